//! Abuse limits: failed logins per (username, address) and sign-ups per
//! address, counted in the table, answered 429 with `Retry-After`.

use base64::Engine as _;
use microblog_shared::store::limits::{Limited, LOGIN_WINDOW};
use microblog_tests::api::{Reply, TestApi};
use microblog_tests::recorder::Used;
use serde_json::json;

fn basic(username: &str, password: &str) -> String {
    let pair = format!("{username}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

async fn login_from(api: &TestApi, ip: &str, username: &str, password: &str) -> Reply {
    let auth = basic(username, password);
    api.call_from(ip, "POST", "/api/tokens", &[("authorization", &auth)], None)
        .await
        .0
}

async fn sign_up_from(api: &TestApi, ip: &str, username: &str) -> Reply {
    let body = json!({
        "username": username,
        "email": format!("{username}@example.com"),
        "password": "password-123",
    });
    api.call_from(ip, "POST", "/api/users", &[], Some(&body.to_string()))
        .await
        .0
}

#[track_caller]
fn assert_limited(reply: &Reply, message: &str, longest: u64) {
    reply.assert_error(429, message);
    let wait: u64 = reply
        .header("retry-after")
        .expect("a 429 says when to retry")
        .parse()
        .unwrap();
    assert!((1..=longest).contains(&wait), "Retry-After {wait}");
}

#[tokio::test]
async fn after_the_limit_of_failed_logins_that_username_from_that_address_gets_429s() {
    let api = TestApi::start_with(&[("RATE_LIMIT_LOGIN_FAILURES", "3")]).await;
    api.create_user("susan", "password-123").await;
    let attacker = "203.0.113.9";
    for _ in 0..3 {
        login_from(&api, attacker, "susan", "guess-guess")
            .await
            .assert_error(401, "invalid username or password");
    }
    // Even the right password: the pair is locked until the window ends.
    let locked = login_from(&api, attacker, "SUSAN", "password-123").await;
    assert_limited(&locked, "too many failed logins", LOGIN_WINDOW.as_secs());
    // Susan herself, from her own address, is not locked out.
    assert_eq!(
        login_from(&api, "198.51.100.1", "susan", "password-123")
            .await
            .status,
        200
    );
    // Nor is another name from the attacker's address.
    api.create_user("john", "password-123").await;
    assert_eq!(
        login_from(&api, attacker, "john", "password-123")
            .await
            .status,
        200
    );
    // Unknown names are counted the same way, so they cannot be told apart.
    for _ in 0..3 {
        login_from(&api, attacker, "nobody", "guess-guess")
            .await
            .assert_error(401, "");
    }
    assert_limited(
        &login_from(&api, attacker, "nobody", "x").await,
        "too many",
        900,
    );
}

#[tokio::test]
async fn a_locked_pair_is_refused_without_checking_the_password() {
    let api = TestApi::start_with(&[("RATE_LIMIT_LOGIN_FAILURES", "1")]).await;
    api.create_user("susan", "password-123").await;
    login_from(&api, "203.0.113.9", "susan", "wrong-wrong")
        .await
        .assert_error(401, "");
    let auth = basic("susan", "password-123");
    let (reply, used) = api
        .call_from(
            "203.0.113.9",
            "POST",
            "/api/tokens",
            &[("authorization", &auth)],
            None,
        )
        .await;
    reply.assert_error(429, "");
    // Reads only: no token issued, nothing counted, no last_seen.
    assert!(
        !used
            .iter()
            .any(|u| matches!(u, Used::Access(a) if a.action.writes())),
        "{used:?}"
    );
}

#[tokio::test]
async fn a_window_s_count_expires_with_the_window_and_the_next_window_starts_from_zero() {
    let api = TestApi::start().await;
    let limited = Limited::login_failures("susan", "203.0.113.9");
    let now = chrono::Utc::now();
    for _ in 0..10 {
        api.app.limits.count(&limited, now).await.unwrap();
    }
    let wait = api.app.limits.reached(&limited, 10, now).await.unwrap();
    assert!(wait.is_some_and(|w| w <= LOGIN_WINDOW), "{wait:?}");
    assert_eq!(
        api.app.limits.reached(&limited, 11, now).await.unwrap(),
        None
    );
    let next_window = now + LOGIN_WINDOW;
    assert_eq!(
        api.app
            .limits
            .reached(&limited, 10, next_window)
            .await
            .unwrap(),
        None
    );
    // The counter carries a TTL at its window's end, so DynamoDB deletes it.
    let items = api
        .client
        .query()
        .table_name(&api.table_name)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "LIMIT#login#{}",
                microblog_shared::store::items::sha256_hex("susan\n203.0.113.9")
            )),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(items.len(), 1);
    let ttl: i64 = items[0]["expires_at"].as_n().unwrap().parse().unwrap();
    let left = ttl - now.timestamp();
    assert!(
        (1..=LOGIN_WINDOW.as_secs() as i64).contains(&left),
        "{left}"
    );
}

#[tokio::test]
async fn after_the_limit_of_sign_ups_from_an_address_it_gets_429s_and_others_do_not() {
    let api = TestApi::start_with(&[("RATE_LIMIT_SIGNUPS_PER_HOUR", "2")]).await;
    let farm = "203.0.113.50";
    assert_eq!(sign_up_from(&api, farm, "bot1").await.status, 201);
    assert_eq!(sign_up_from(&api, farm, "bot2").await.status, 201);
    assert_limited(
        &sign_up_from(&api, farm, "bot3").await,
        "too many sign-ups",
        3600,
    );
    // Probing for taken names or emails is counted too.
    assert_limited(
        &sign_up_from(&api, farm, "bot1").await,
        "too many sign-ups",
        3600,
    );
    // An invalid body is refused as before, and not counted.
    let (reply, _) = api
        .call_from(
            farm,
            "POST",
            "/api/users",
            &[],
            Some(r#"{"username": "x"}"#),
        )
        .await;
    reply.assert_error(400, "");
    assert_eq!(
        sign_up_from(&api, "198.51.100.1", "alice").await.status,
        201
    );
    // One IPv6 subscriber's /64 is one client.
    let v6 = TestApi::start_with(&[("RATE_LIMIT_SIGNUPS_PER_HOUR", "1")]).await;
    assert_eq!(
        sign_up_from(&v6, "2001:db8:5:6::1", "carol").await.status,
        201
    );
    assert_eq!(
        sign_up_from(&v6, "2001:db8:5:6::2", "dave").await.status,
        429
    );
}

#[tokio::test]
async fn a_limit_of_zero_turns_the_limit_off_and_counts_nothing() {
    let api = TestApi::start_with(&[
        ("RATE_LIMIT_LOGIN_FAILURES", "0"),
        ("RATE_LIMIT_SIGNUPS_PER_HOUR", "0"),
    ])
    .await;
    for n in 0..5 {
        assert_eq!(
            sign_up_from(&api, "203.0.113.9", &format!("user{n}"))
                .await
                .status,
            201
        );
    }
    for _ in 0..12 {
        login_from(&api, "203.0.113.9", "user1", "wrong-wrong")
            .await
            .assert_error(401, "");
    }
    assert_eq!(
        login_from(&api, "203.0.113.9", "user1", "password-123")
            .await
            .status,
        200
    );
    let counters = api
        .client
        .query()
        .table_name(&api.table_name)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S("LIMIT#signup#203.0.113.9".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(counters.count(), 0);
}
