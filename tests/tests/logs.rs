//! Secrets never reach the logs, at any level.
//!
//! A test binary of its own: the subscriber it sets is per thread, but
//! tracing caches each call site's interest process-wide, so tests logging on
//! other threads of one binary could make this one miss events.

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::tracing::subscriber::util::SubscriberInitExt;
use microblog_shared::lambda::log_filter;
use microblog_tests::api::TestApi;

/// Everything logged, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn stored(api: &TestApi, pk: String, sk: &str, attribute: &str) -> String {
    let item = api
        .client
        .get_item()
        .table_name(&api.table_name)
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk.into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the item exists");
    item[attribute].as_s().unwrap().clone()
}

// One thread: the engine, the SDK and the handlers all log on it, to the
// subscriber this test sets.
#[tokio::test(flavor = "current_thread")]
async fn at_trace_level_no_password_token_or_hash_of_either_is_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let _logging = lambda_http::tracing::subscriber::fmt()
        .with_env_filter(log_filter(Some("TRACE"), Some("trace")))
        .with_writer(move || writer.clone())
        .finish()
        .set_default();

    let api = TestApi::start().await;
    let password = "secret-horse-battery-staple";
    api.create_user("susan", password).await;
    let token = api.token("susan", password).await;
    assert_eq!(api.get("/api/users/1", &token).await.status, 200);
    assert_eq!(api.revoke(&token).await.status, 204);

    let password_hash = stored(&api, "USER#1".into(), "PROFILE", "password_hash").await;
    let token_hash = microblog_shared::auth::token_hash(&token);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The logs were captured, the engine's included (at DEBUG, sizes only).
    assert!(logs.contains("body_len"), "{logs}");
    let digest = password_hash.rsplit('$').next().unwrap().to_string();
    for secret in [password, &password_hash, &digest, &token, &token_hash] {
        assert!(!logs.contains(secret), "{secret} is in the logs");
    }
}
