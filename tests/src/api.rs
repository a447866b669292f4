//! Test harness for the API: an isolated engine and table per test, requests
//! sent in-process through the same routing and API Gateway event shaping as
//! the local server, or over real HTTP to a local server on an ephemeral port.
//!
//! Every in-process call is checked for least privilege: the DynamoDB calls
//! the serving function makes must all be declared for it in
//! `microblog_shared::routes`, else the call panics naming what was not.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use lambda_http::http::{HeaderMap, HeaderName, HeaderValue};
use lambda_http::Body;
use microblog_local::engine::Engine;
use microblog_local::server::{invoke, Call, Limits};
use microblog_local::stream::{self, StreamPoller, StreamWorker};
use microblog_shared::routes::{resolve, Resolved, FALLBACK_FUNCTION};
use microblog_shared::{App, Config};
use serde_json::Value;

use crate::proxy::Proxy;
use crate::recorder::{attribute, undeclared, Recorder, Used};

/// A response as a client sees it.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body text.
    pub body: String,
}

impl Reply {
    /// The body as JSON; panics with the body if it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts this is a JSON error with `status` whose message contains
    /// `message_part`, and returns the message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, message_part: &str) -> String {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/json"));
        let json = self.json();
        let reason = lambda_http::http::StatusCode::from_u16(status)
            .unwrap()
            .canonical_reason()
            .unwrap();
        assert_eq!(json["error"], reason, "body: {}", self.body);
        let message = json["message"]
            .as_str()
            .expect("message is a string")
            .to_string();
        assert!(
            message.contains(message_part),
            "message {message:?} lacks {message_part:?}"
        );
        message
    }
}

static TABLES: AtomicU32 = AtomicU32::new(0);

/// One isolated API: its own in-memory engine and its own table.
pub struct TestApi {
    /// The app, as every handler receives it.
    pub app: Arc<App>,
    /// A client of the engine that nothing checks, for tests that read or
    /// write items directly.
    pub client: aws_sdk_dynamodb::Client,
    /// The table's name.
    pub table_name: String,
    /// Where the mail worker writes this API's messages (`MAIL_OUTBOX_DIR`),
    /// unless the test gave `SMTP_URL` or its own `MAIL_OUTBOX_DIR` (empty:
    /// SES).
    pub outbox: std::path::PathBuf,
    recorder: Recorder,
    /// Read the table's stream for [`TestApi::settle_feeds`], one per
    /// stream worker, remembering where they stopped.
    pollers: tokio::sync::Mutex<Vec<StreamPoller>>,
    /// Kept alive for the test; its task ends with the test's runtime.
    _engine: Engine,
}

impl TestApi {
    /// A fresh API with the default token lifetime.
    pub async fn start() -> TestApi {
        TestApi::start_with(&[]).await
    }

    /// A fresh API with extra environment settings (e.g. `TOKEN_TTL_SECONDS`).
    /// The abuse limits (`RATE_LIMIT_*`) are off unless set here.
    pub async fn start_with(env: &[(&str, &str)]) -> TestApi {
        let engine = Engine::memory().await.expect("engine starts");
        let endpoint = engine.endpoint.clone();
        TestApi::start_on(engine, &endpoint, env).await
    }

    /// A fresh API whose handlers reach the engine through a fault-injecting
    /// [`Proxy`] (forwarding until told otherwise); [`TestApi::client`]
    /// still reaches the engine directly, to check what was written.
    pub async fn start_behind_proxy(env: &[(&str, &str)]) -> (TestApi, Proxy) {
        let engine = Engine::memory().await.expect("engine starts");
        let proxy = Proxy::start(&engine.endpoint).await;
        let api = TestApi::start_on(engine, &proxy.endpoint, env).await;
        (api, proxy)
    }

    async fn start_on(engine: Engine, endpoint: &str, env: &[(&str, &str)]) -> TestApi {
        let table = format!(
            "microblog-test-{}-{}",
            std::process::id(),
            TABLES.fetch_add(1, Ordering::Relaxed)
        );
        let outbox = std::env::temp_dir().join(format!("{table}-outbox"));
        let _ = std::fs::remove_dir_all(&outbox);
        let config = Config::from_lookup(|name| {
            if name == "TABLE_NAME" {
                return Some(table.clone());
            }
            let given = env.iter().find(|(k, _)| *k == name);
            match given {
                Some((_, v)) => Some(v.to_string()),
                // Mail goes to this API's own outbox unless the test names
                // an SMTP server, or an empty outbox (SES).
                None if name == "MAIL_OUTBOX_DIR" && !env.iter().any(|(k, _)| *k == "SMTP_URL") => {
                    Some(outbox.display().to_string())
                }
                // Pushes go to this API's own push outbox.
                None if name == "PUSH_OUTBOX_DIR" => {
                    Some(outbox.join("push").display().to_string())
                }
                // Every test client calls from 127.0.0.1; tests of the
                // abuse limits turn them on.
                None if name.starts_with("RATE_LIMIT_") => Some("0".to_string()),
                None => None,
            }
        })
        .expect("test config is valid");
        let recorder = Recorder::new();
        let client = recorder.client(endpoint, &config.dynamodb);
        let app = App::new(config, client);
        assert!(app
            .create_table_if_missing()
            .await
            .expect("table is created"));
        let client = engine.client();
        let mut pollers = Vec::new();
        for worker in StreamWorker::all() {
            pollers.push(
                StreamPoller::for_worker(
                    &client,
                    stream::client_for_endpoint(&engine.endpoint),
                    app.table_name(),
                    worker,
                )
                .await
                .expect("the table has a stream"),
            );
        }
        TestApi {
            outbox,
            table_name: app.table_name().to_string(),
            app: Arc::new(app),
            client,
            recorder,
            pollers: tokio::sync::Mutex::new(pollers),
            _engine: engine,
        }
    }

    /// Every item of the partition `pk`, in sort key order, read strongly
    /// past any client the handlers use (one Query; the partitions tests
    /// look into are small).
    pub async fn partition(&self, pk: &str) -> Vec<microblog_shared::store::items::Item> {
        self.client
            .query()
            .table_name(&self.table_name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                aws_sdk_dynamodb::types::AttributeValue::S(pk.to_string()),
            )
            .consistent_read(true)
            .send()
            .await
            .expect("querying a partition")
            .items
            .unwrap_or_default()
    }

    /// Sends a request in-process. `headers` are `(name, value)` pairs.
    /// Panics if the function serving it calls DynamoDB in a way its route
    /// does not declare.
    pub async fn call(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        self.call_recorded(method, target, headers, body).await.0
    }

    /// [`TestApi::call`], also returning every DynamoDB call the serving
    /// function made, in order.
    pub async fn call_recorded(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> (Reply, Vec<Used>) {
        self.call_from("127.0.0.1", method, target, headers, body)
            .await
    }

    /// [`TestApi::call_recorded`] from the client address `source_ip`.
    pub async fn call_from(
        &self,
        source_ip: &str,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> (Reply, Vec<Used>) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        if body.is_some() && !map.contains_key("content-type") {
            map.insert("content-type", HeaderValue::from_static("application/json"));
        }
        let call = Call {
            method,
            path,
            query,
            headers: &map,
            body: body.unwrap_or("").as_bytes(),
            source_ip,
            request_id: "test",
        };
        let function = match resolve(method, path) {
            Resolved::Route(route, _) => route.function,
            _ => FALLBACK_FUNCTION,
        };
        // Boxed: a handler's future is large for a test thread's stack.
        let response = attribute(function, Box::pin(invoke(&self.app, &call))).await;
        let used = self.recorder.take_for(function);
        let problems = undeclared(function, &used);
        assert!(
            problems.is_empty(),
            "{method} {target}:\n{}",
            problems.join("\n")
        );
        let response = response.unwrap_or_else(|()| {
            panic!("{method} {target}: the handler returned Err (an opaque 5xx at API Gateway)")
        });
        let (parts, body) = response.into_parts();
        let body = match body {
            Body::Empty => String::new(),
            Body::Text(text) => text,
            Body::Binary(bytes) => String::from_utf8(bytes).expect("binary bodies are UTF-8 here"),
            _ => String::new(),
        };
        let reply = Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        };
        (reply, used)
    }

    /// Runs every stream worker (`fan_out`, `purge_user`) over every record
    /// the table's stream holds now, from the real stream as Lambda would,
    /// until none finds anything new: the feeds and any account clean-ups
    /// are then settled. Panics if a worker calls DynamoDB in a way its
    /// declaration does not allow.
    pub async fn settle_feeds(&self) {
        let mut pollers = self.pollers.lock().await;
        loop {
            let mut handled = 0;
            for poller in pollers.iter_mut() {
                let worker = poller.worker().name();
                handled += attribute(worker, poller.poll_once(&self.app))
                    .await
                    .expect("the stream is readable");
            }
            if handled == 0 {
                break;
            }
        }
        for worker in StreamWorker::all() {
            let name = worker.name();
            let problems = undeclared(name, &self.recorder.take_for(name));
            assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
        }
    }

    /// A client of this API's engine with extra SDK configuration (an
    /// interceptor injecting faults, say), unchecked by the recorder.
    pub fn client_with(
        &self,
        configure: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
    ) -> aws_sdk_dynamodb::Client {
        microblog_local::engine::client_for_endpoint_with(
            &self._engine.endpoint,
            &self.app.config.dynamodb,
            configure,
        )
    }

    /// A new reader of the table's stream, from its oldest record: it hands
    /// `fan_out` every record again, as a redelivery would.
    pub async fn new_poller(&self) -> StreamPoller {
        self.new_poller_for(StreamWorker::named("fan_out")).await
    }

    /// A new reader of the table's stream for `worker`, from its oldest
    /// record, like [`TestApi::new_poller`].
    pub async fn new_poller_for(&self, worker: StreamWorker) -> StreamPoller {
        StreamPoller::for_worker(
            &self.client,
            stream::client_for_endpoint(&self._engine.endpoint),
            &self.table_name,
            worker,
        )
        .await
        .expect("the table has a stream")
    }

    /// Hands every record the stream holds to `worker` again, from the
    /// oldest, as a redelivery would; panics if it fails.
    pub async fn redeliver(&self, worker: &str) {
        self.new_poller_for(StreamWorker::named(worker))
            .await
            .settle(&self.app)
            .await
            .expect("the worker handles a redelivered stream");
    }

    /// Runs `fan_out` from the stream in the background, as the local server
    /// does, until the test's runtime ends.
    pub async fn spawn_fan_out(&self) {
        self.spawn_worker(StreamWorker::named("fan_out")).await;
    }

    /// Runs `worker` from the stream in the background, as the local server
    /// does, until the test's runtime ends.
    pub async fn spawn_worker(&self, worker: StreamWorker) {
        let poller = self.new_poller_for(worker).await;
        let app = self.app.clone();
        tokio::spawn(async move { poller.run(&app, std::future::pending()).await });
    }

    /// Publishes a post as the holder of `token`; panics unless 201.
    pub async fn post(&self, token: &str, body: &str) -> Value {
        let reply = self
            .call(
                "POST",
                "/api/posts",
                &[("authorization", &format!("Bearer {token}"))],
                Some(&serde_json::json!({ "body": body }).to_string()),
            )
            .await;
        assert_eq!(reply.status, 201, "posting {body:?}: {}", reply.body);
        reply.json()
    }

    /// Publishes a reply to `parent` as the holder of `token`; panics
    /// unless 201.
    pub async fn reply(&self, token: &str, parent: u64, body: &str) -> Value {
        let reply = self
            .send(
                "POST",
                "/api/posts",
                token,
                Some(serde_json::json!({ "body": body, "in_reply_to": parent })),
            )
            .await;
        assert_eq!(reply.status, 201, "replying {body:?}: {}", reply.body);
        reply.json()
    }

    /// `method` (PUT: like, DELETE: unlike) on `post`'s like as the holder
    /// of `token`; panics unless 204.
    pub async fn like(&self, method: &str, post: u64, token: &str) {
        let reply = self
            .authorized(method, &format!("/api/posts/{post}/like"), token)
            .await;
        assert_eq!(reply.status, 204, "{method} like of {post}: {}", reply.body);
    }

    /// Every notification of the holder of `token`, newest first, after
    /// the stream workers have settled.
    pub async fn notifications(&self, token: &str) -> Vec<Value> {
        self.settle_feeds().await;
        self.walk("/api/notifications?per_page=100", token)
            .await
            .iter()
            .flat_map(|page| page["items"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// The unread count of the holder of `token`: (count, capped).
    pub async fn unread(&self, token: &str) -> (u64, bool) {
        let reply = self.get("/api/notifications/unread", token).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let body = reply.json();
        (
            body["count"].as_u64().unwrap(),
            body["capped"].as_bool().unwrap(),
        )
    }

    /// The ids of the posts in the feed of the holder of `token`, newest
    /// first, walking every page by its `next` links.
    pub async fn feed_ids(&self, token: &str) -> Vec<u64> {
        self.walk_ids("/api/feed?per_page=100", token).await
    }

    /// Every page of a collection from `first`, following `next` links.
    pub async fn walk(&self, first: &str, token: &str) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut next = Some(first.to_string());
        while let Some(link) = next {
            let reply = self.get(&link, token).await;
            assert_eq!(reply.status, 200, "{link}: {}", reply.body);
            let page = reply.json();
            next = page["_links"]["next"].as_str().map(str::to_string);
            pages.push(page);
            assert!(pages.len() < 1000, "next links do not end");
        }
        pages
    }

    /// The ids of every item of a collection, walking its `next` links.
    pub async fn walk_ids(&self, first: &str, token: &str) -> Vec<u64> {
        self.walk(first, token).await.iter().flat_map(ids).collect()
    }

    /// GET with a bearer token.
    pub async fn get(&self, target: &str, token: &str) -> Reply {
        self.authorized("GET", target, token).await
    }

    /// `DELETE /api/tokens` with a bearer token.
    pub async fn revoke(&self, token: &str) -> Reply {
        self.call(
            "DELETE",
            "/api/tokens",
            &[("authorization", &format!("Bearer {token}"))],
            None,
        )
        .await
    }

    /// Puts an access token item for `token`, naming `user_id` and valid for
    /// an hour, with no session and no epoch: what releases before sessions
    /// wrote, or (with a `token` naming another user) a table that
    /// disagrees with the token.
    pub async fn put_bare_token(&self, token: &str, user_id: u64) {
        use aws_sdk_dynamodb::types::AttributeValue;
        let expires = chrono::Utc::now() + chrono::Duration::hours(1);
        let mut item =
            microblog_shared::store::items::token_key(&microblog_shared::auth::token_hash(token));
        for (name, value) in [
            ("user_id", user_id.to_string()),
            ("expires_at_ms", expires.timestamp_millis().to_string()),
            ("expires_at", expires.timestamp().to_string()),
        ] {
            item.insert(name.into(), AttributeValue::N(value));
        }
        self.client
            .put_item()
            .table_name(&self.table_name)
            .set_item(Some(item))
            .send()
            .await
            .expect("putting a token item");
    }

    /// Registers a user and returns its JSON; panics unless 201.
    pub async fn create_user(&self, username: &str, password: &str) -> Value {
        let body = serde_json::json!({
            "username": username,
            "email": format!("{username}@example.com"),
            "password": password,
        });
        let reply = self
            .call("POST", "/api/users", &[], Some(&body.to_string()))
            .await;
        assert_eq!(reply.status, 201, "creating {username}: {}", reply.body);
        reply.json()
    }

    /// Gets a token with HTTP Basic.
    pub async fn token_reply(&self, username: &str, password: &str) -> Reply {
        let basic = format!(
            "Basic {}",
            STANDARD.encode(format!("{username}:{password}"))
        );
        self.call("POST", "/api/tokens", &[("authorization", &basic)], None)
            .await
    }

    /// A token for the user; panics unless 200.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let reply = self.token_reply(username, password).await;
        assert_eq!(reply.status, 200, "token for {username}: {}", reply.body);
        reply.json()["token"].as_str().unwrap().to_string()
    }

    /// Logs in with HTTP Basic and returns the whole answer (`token`,
    /// `expires_in`, `refresh_token`, `user_id`); panics unless 200.
    pub async fn login(&self, username: &str, password: &str) -> Value {
        let reply = self.token_reply(username, password).await;
        assert_eq!(reply.status, 200, "login of {username}: {}", reply.body);
        reply.json()
    }

    /// `PUT /api/tokens` with `refresh_token` in the body.
    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        let body = serde_json::json!({ "refresh_token": refresh_token }).to_string();
        self.call("PUT", "/api/tokens", &[], Some(&body)).await
    }

    /// `method` on `target` with a bearer token and an optional JSON body.
    pub async fn send(
        &self,
        method: &str,
        target: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        let body = body.map(|b| b.to_string());
        self.send_text(method, target, token, body.as_deref()).await
    }

    /// [`TestApi::send`] with the body as text (which need not be JSON).
    pub async fn send_text(
        &self,
        method: &str,
        target: &str,
        token: &str,
        body: Option<&str>,
    ) -> Reply {
        self.call(method, target, &[("authorization", &bearer(token))], body)
            .await
    }

    /// `method` on `target` with a bearer token and no body.
    pub async fn authorized(&self, method: &str, target: &str, token: &str) -> Reply {
        self.send_text(method, target, token, None).await
    }

    /// `follower` (holding `token`) asks to follow `followed`.
    pub async fn follow_reply(&self, follower: u64, followed: u64, token: &str) -> Reply {
        let path = format!("/api/users/{follower}/followed/{followed}");
        self.authorized("PUT", &path, token).await
    }

    /// `follower` (holding `token`) follows `followed`; asserts the 204.
    pub async fn follow(&self, follower: u64, followed: u64, token: &str) {
        let reply = self.follow_reply(follower, followed, token).await;
        assert_eq!(
            reply.status, 204,
            "{follower} follows {followed}: {}",
            reply.body
        );
    }

    /// `follower` (holding `token`) stops following `followed`; asserts the
    /// 204.
    pub async fn unfollow(&self, follower: u64, followed: u64, token: &str) {
        let path = format!("/api/users/{follower}/followed/{followed}");
        let reply = self.authorized("DELETE", &path, token).await;
        assert_eq!(
            reply.status, 204,
            "{follower} unfollows {followed}: {}",
            reply.body
        );
    }

    /// `owner` (holding `token`) blocks or mutes (`PUT`), or unblocks or
    /// unmutes (`DELETE`), `target`; `list` is `blocked` or `muted`.
    pub async fn silence_reply(
        &self,
        method: &str,
        list: &str,
        owner: u64,
        target: u64,
        token: &str,
    ) -> Reply {
        let path = format!("/api/users/{owner}/{list}/{target}");
        self.authorized(method, &path, token).await
    }

    /// [`TestApi::silence_reply`], asserting the 204.
    pub async fn silence(&self, method: &str, list: &str, owner: u64, target: u64, token: &str) {
        let reply = self.silence_reply(method, list, owner, target, token).await;
        assert_eq!(
            reply.status, 204,
            "{method} /api/users/{owner}/{list}/{target}: {}",
            reply.body
        );
    }

    /// Deletes account `id` with its password (`DELETE /api/users/{id}`).
    pub async fn delete_account(&self, id: u64, token: &str, password: &str) -> Reply {
        let body = serde_json::json!({ "password": password });
        self.send("DELETE", &format!("/api/users/{id}"), token, Some(body))
            .await
    }

    /// Creates a user and returns (id, token).
    pub async fn user_with_token(&self, username: &str) -> (u64, String) {
        let user = self.create_user(username, "password-123").await;
        let token = self.token(username, "password-123").await;
        (user["id"].as_u64().unwrap(), token)
    }

    /// Suspends `user` as moderators do: a new moderator called
    /// `moderator` reports them and resolves the report with
    /// `suspend_user`. Panics unless both answers are success.
    pub async fn suspend(&self, user: u64, moderator: &str) {
        let (_, token) = self.moderator_with_token(moderator).await;
        let report = self
            .report(
                &token,
                serde_json::json!({"user_id": user, "reason": "spam"}),
            )
            .await;
        assert!(matches!(report.status, 200 | 201), "{}", report.body);
        let id = report.json()["id"].as_u64().unwrap();
        let decided = self
            .decide(
                id,
                &token,
                serde_json::json!({"status": "resolved", "action": "suspend_user"}),
            )
            .await;
        assert_eq!(decided.status, 200, "{}", decided.body);
    }

    /// Creates a user whom an operator makes a moderator (as
    /// `microblog-local grant-moderator` does); returns (id, token).
    pub async fn moderator_with_token(&self, username: &str) -> (u64, String) {
        let (id, token) = self.user_with_token(username).await;
        self.app
            .moderation
            .set_moderator(
                microblog_shared::domain::UserId::new(id),
                true,
                chrono::Utc::now(),
            )
            .await
            .expect("granting the moderator role");
        (id, token)
    }

    /// Files a report (`POST /api/reports`) with `body`.
    pub async fn report(&self, token: &str, body: Value) -> Reply {
        self.send("POST", "/api/reports", token, Some(body)).await
    }

    /// A moderator's decision on report `id` (`PUT /api/reports/{id}`).
    pub async fn decide(&self, id: u64, token: &str, body: Value) -> Reply {
        self.send("PUT", &format!("/api/reports/{id}"), token, Some(body))
            .await
    }

    /// Serves this API over HTTP on an ephemeral loopback port; returns the
    /// base URL. The server stops when the test's runtime ends.
    pub async fn serve_http(&self) -> String {
        self.serve_http_with(Limits::default()).await
    }

    /// [`TestApi::serve_http`] with other timeouts and connection cap.
    pub async fn serve_http_with(&self, limits: Limits) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = self.app.clone();
        tokio::spawn(microblog_local::server::serve_with(
            listener,
            app,
            std::future::pending(),
            limits,
        ));
        base
    }
}

/// The `Authorization` value for a bearer `token`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The ids of the items of one page of a collection.
pub fn ids(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .expect("a collection has items")
        .iter()
        .map(|item| item["id"].as_u64().expect("an item has an id"))
        .collect()
}

/// Sends one HTTP/1.1 request over a real socket (`Connection: close`) and
/// reads the whole reply: a deliberately plain client, so the test sees the
/// bytes the server really sends. A body is sent as JSON unless `headers`
/// name another `Content-Type`.
pub async fn http(
    base: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base
        .strip_prefix("http://")
        .expect("base is http://host:port");
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("server accepts");
    let typed = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.map_or(0, str::len)
    );
    if body.is_some() && !typed {
        request.push_str("content-type: application/json\r\n");
    }
    let body = body.unwrap_or("");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).expect("UTF-8 reply");
    let (head, body) = text.split_once("\r\n\r\n").expect("reply has a head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
            HeaderValue::from_str(value.trim()).unwrap(),
        );
    }
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Sends `request` as raw bytes to the server at `base` and reads until it
/// closes the connection: the bytes of every answer, as text. Fails the
/// test if the server neither answers nor closes within 10 s.
pub async fn raw(base: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base
        .strip_prefix("http://")
        .expect("base is http://host:port");
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("server accepts");
    // A server refusing a request may close before reading all of it.
    let _ = stream.write_all(request).await;
    let mut reply = Vec::new();
    let read = stream.read_to_end(&mut reply);
    if tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .is_err()
    {
        panic!("the server neither answered nor closed within 10 s");
    }
    String::from_utf8_lossy(&reply).into_owned()
}

/// The status and JSON body of a raw reply holding one JSON answer.
pub fn parse_raw(reply: &str) -> (u16, Value) {
    let (head, body) = reply
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {reply:?}"));
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {reply:?}"));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{reply}"
    );
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {reply:?}"));
    (status, json)
}
