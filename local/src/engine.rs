//! The embedded DynamoDB-compatible engine (dynoxide) and SDK clients for it.

use std::future::Future;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A dynoxide engine serving DynamoDB's wire protocol on a loopback port.
pub struct Engine {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    task: JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Engine {
    /// Starts `db` on an ephemeral loopback port.
    pub async fn start(db: dynoxide::Database) -> std::io::Result<Engine> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(serve(listener, db, shutdown));
        Ok(Engine {
            endpoint,
            task,
            stop: Some(stop),
        })
    }

    /// An in-memory engine.
    pub async fn memory() -> std::io::Result<Engine> {
        let db = dynoxide::Database::memory().map_err(std::io::Error::other)?;
        Engine::start(db).await
    }

    /// A client for this engine.
    pub fn client(&self) -> aws_sdk_dynamodb::Client {
        client_for_endpoint(&self.endpoint)
    }

    /// A client for this engine with extra SDK configuration, such as an
    /// interceptor.
    pub fn client_with(
        &self,
        configure: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
    ) -> aws_sdk_dynamodb::Client {
        client_for_endpoint_with(&self.endpoint, configure)
    }

    /// Stops serving and waits for open requests to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
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

/// A DynamoDB client for a local engine at `endpoint`. Local engines accept
/// any credentials, but the SDK insists on signing, so fixed ones are used.
pub fn client_for_endpoint(endpoint: &str) -> aws_sdk_dynamodb::Client {
    client_for_endpoint_with(endpoint, |builder| builder)
}

/// [`client_for_endpoint`] with extra SDK configuration applied last.
pub fn client_for_endpoint_with(
    endpoint: &str,
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
        .endpoint_url(endpoint);
    aws_sdk_dynamodb::Client::from_conf(configure(builder).build())
}
