//! The embedded DynamoDB-compatible engine (dynoxide) and SDK clients for it.

use std::future::Future;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use microblog_shared::config::ClientSettings;

use aws_smithy_runtime_api::client::auth::{
    AuthSchemeId, AuthSchemeOption, AuthSchemeOptionsFuture,
};

use crate::in_process::InProcess;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A dynoxide engine serving in-process to the clients of
/// [`Engine::in_process_client`] and, when started with a port, DynamoDB's
/// wire protocol on it.
///
/// The wire protocol is served without checking signatures (dynoxide takes
/// any SigV4 header), so a port hands every item, password hashes
/// included, to any process of the machine that connects: `microblog-local`
/// opens none unless asked (`--engine-port`).
pub struct Engine {
    /// `http://127.0.0.1:<port>`, or [`IN_PROCESS_ENDPOINT`] when the engine
    /// has no port.
    pub endpoint: String,
    db: dynoxide::Database,
    task: Option<JoinHandle<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The endpoint URL of an engine without a port: the SDK wants one, and the
/// in-process client never connects to it (`.invalid` never resolves).
pub const IN_PROCESS_ENDPOINT: &str = "http://in-process.invalid";

impl Engine {
    /// Starts `db` on an ephemeral loopback port.
    pub async fn start(db: dynoxide::Database) -> std::io::Result<Engine> {
        Engine::start_on(db, "127.0.0.1:0").await
    }

    /// Starts `db` on `addr` (`127.0.0.1:8000`), e.g. again on the port of
    /// an engine that was stopped.
    pub async fn start_on(db: dynoxide::Database, addr: &str) -> std::io::Result<Engine> {
        let listener = TcpListener::bind(addr).await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(serve(listener, db.clone(), shutdown));
        Ok(Engine {
            endpoint,
            db,
            task: Some(task),
            stop: Some(stop),
        })
    }

    /// `db` without any listening socket: only in-process clients reach it.
    pub fn in_process(db: dynoxide::Database) -> Engine {
        Engine {
            endpoint: IN_PROCESS_ENDPOINT.to_string(),
            db,
            task: None,
            stop: None,
        }
    }

    /// The engine's database (a handle on the same data).
    pub fn database(&self) -> dynoxide::Database {
        self.db.clone()
    }

    /// Whether the engine serves the wire protocol on a port.
    pub fn has_port(&self) -> bool {
        self.task.is_some()
    }

    /// An in-memory engine.
    pub async fn memory() -> std::io::Result<Engine> {
        let db = dynoxide::Database::memory().map_err(std::io::Error::other)?;
        Engine::start(db).await
    }

    /// A client for this engine with the default timeouts and retries.
    pub fn client(&self) -> aws_sdk_dynamodb::Client {
        client_for_endpoint(&self.endpoint, &ClientSettings::default())
    }

    /// A client whose calls this engine answers in-process (no HTTP, see
    /// [`InProcess`]), with the timeouts and retries of `settings`.
    pub fn in_process_client(&self, settings: &ClientSettings) -> aws_sdk_dynamodb::Client {
        self.in_process_client_with(settings, |builder| builder)
    }

    /// [`Engine::in_process_client`] with extra SDK configuration (an
    /// interceptor, say) applied last.
    pub fn in_process_client_with(
        &self,
        settings: &ClientSettings,
        configure: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
    ) -> aws_sdk_dynamodb::Client {
        let in_process = InProcess::new(self.db.clone()).shared();
        client_for_endpoint_with(&self.endpoint, settings, |builder| {
            // Unsigned: the engine checks no signature in-process, so SigV4
            // here would prove nothing and cost ~11% of a request's CPU
            // (docs/PERFORMANCE.md); everything else of the SDK's path runs.
            configure(
                builder
                    .http_client(in_process)
                    .allow_no_auth()
                    .auth_scheme_resolver(Unsigned),
            )
        })
    }

    /// A DynamoDB Streams client answered in-process, like
    /// [`Engine::in_process_client`].
    pub fn in_process_streams(&self) -> aws_sdk_dynamodbstreams::Client {
        crate::stream::client_with(
            &self.endpoint,
            Some(InProcess::new(self.db.clone()).shared()),
        )
    }

    /// Stops serving and waits for open requests to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Resolves every operation's authentication to no authentication.
#[derive(Debug)]
struct Unsigned;

impl aws_sdk_dynamodb::config::auth::ResolveAuthScheme for Unsigned {
    fn resolve_auth_scheme<'a>(
        &'a self,
        _params: &'a aws_sdk_dynamodb::config::auth::Params,
        _cfg: &'a aws_smithy_types::config_bag::ConfigBag,
        _components: &'a aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
    ) -> AuthSchemeOptionsFuture<'a> {
        AuthSchemeOptionsFuture::ready(Ok(vec![AuthSchemeOption::from(AuthSchemeId::new(
            "noAuth",
        ))]))
    }
}

async fn serve(
    listener: TcpListener,
    db: dynoxide::Database,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    if let Err(e) = dynoxide::server::serve_with_shutdown(listener, db, shutdown).await {
        tracing::error!(error = %e, "embedded DynamoDB engine stopped");
    }
}

/// A DynamoDB client for a local engine at `endpoint`, with the timeouts and
/// retries of `settings` (applied by the same function as on Lambda). Local
/// engines accept any credentials, but the SDK insists on signing, so fixed
/// ones are used.
pub fn client_for_endpoint(endpoint: &str, settings: &ClientSettings) -> aws_sdk_dynamodb::Client {
    client_for_endpoint_with(endpoint, settings, |builder| builder)
}

/// [`client_for_endpoint`] with extra SDK configuration (an interceptor, say)
/// applied last.
pub fn client_for_endpoint_with(
    endpoint: &str,
    settings: &ClientSettings,
    configure: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
) -> aws_sdk_dynamodb::Client {
    let builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "microblog-local",
        ))
        .endpoint_url(endpoint)
        .http_client(microblog_shared::store::client::http_client(
            microblog_shared::store::client::Trust::for_endpoint(Some(endpoint)),
        ));
    let builder = microblog_shared::store::client::configure(builder, settings);
    aws_sdk_dynamodb::Client::from_conf(configure(builder).build())
}

/// Checks before serving that the DynamoDB endpoint answers as DynamoDB, with
/// one DescribeTable of `table` (a missing table is fine: it is created next).
/// Fails within the operation timeout of `settings` (plus a second for
/// resolving credentials) with a sentence for a terminal: the endpoint, the
/// cause, and what to check.
pub async fn check_reachable(
    client: &aws_sdk_dynamodb::Client,
    endpoint: &str,
    table: &str,
    settings: &ClientSettings,
) -> Result<(), String> {
    use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
    let waited = settings.operation_timeout.as_millis();
    let silent = || {
        format!(
            "the DynamoDB endpoint {endpoint} did not answer within {waited} ms \
             (DYNAMODB_OPERATION_TIMEOUT_MS): check that a DynamoDB engine, not another \
             program, listens there and that it is not stopped or overloaded"
        )
    };
    let call = client.describe_table().table_name(table).send();
    let limit = settings.operation_timeout + std::time::Duration::from_secs(1);
    let Ok(result) = tokio::time::timeout(limit, call).await else {
        return Err(silent());
    };
    let err = match result {
        Ok(_) => return Ok(()),
        Err(err) => err,
    };
    let innermost = innermost_cause(&err);
    Err(match &err {
        SdkError::ServiceError(service) if service.err().is_resource_not_found_exception() => {
            return Ok(())
        }
        SdkError::ServiceError(_) => format!(
            "the DynamoDB endpoint {endpoint} refused the request: {}: {}; check the \
             credentials and region (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)",
            err.code().unwrap_or("an unnamed error"),
            err.message().unwrap_or("no message"),
        ),
        SdkError::TimeoutError(_) => silent(),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => format!(
            "cannot connect to the DynamoDB endpoint {endpoint} within {} ms \
             (DYNAMODB_CONNECT_TIMEOUT_MS): check that the host is reachable and that \
             AWS_ENDPOINT_URL_DYNAMODB names the right host and port",
            settings.connect_timeout.as_millis()
        ),
        SdkError::DispatchFailure(_) => format!(
            "cannot connect to the DynamoDB endpoint {endpoint}: {innermost}; check that the \
             engine is running and that AWS_ENDPOINT_URL_DYNAMODB names its host and port"
        ),
        SdkError::ResponseError(_) => format!(
            "the DynamoDB endpoint {endpoint} answered something that is not DynamoDB's \
             protocol ({innermost}): check that AWS_ENDPOINT_URL_DYNAMODB names a DynamoDB \
             engine"
        ),
        _ => format!("cannot use the DynamoDB endpoint {endpoint}: {innermost}"),
    })
}

/// The last error in `err`'s chain of sources: the cause a person can act
/// on ("Connection refused (os error 111)"), not the SDK's wrapping.
fn innermost_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}
