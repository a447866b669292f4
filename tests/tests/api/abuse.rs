//! Abuse limits: failed logins per (username, address) and per address,
//! and sign-ups per address, counted in the table, answered 429 with
//! `Retry-After`, and holding when the attempts arrive all at once.

use base64::Engine as _;
use microblog_shared::store::items::sha256_hex;
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

/// The attempts counted in the current window of the counter `pk`.
async fn attempts(api: &TestApi, pk: &str) -> u64 {
    api.partition(pk)
        .await
        .iter()
        .map(|item| item["attempts"].as_n().unwrap().parse::<u64>().unwrap())
        .sum()
}

/// Client timeouts for bursts of hundreds of requests at once: the embedded
/// engine answers one call at a time, and a debug build's last answer of a
/// burst comes later than the default 1 s attempt timeout.
const PATIENT: [(&str, &str); 2] = [
    ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "10000"),
    ("DYNAMODB_OPERATION_TIMEOUT_MS", "20000"),
];

/// How many of `replies` have each status, as `(status, count)` in order.
fn statuses(replies: &[Reply]) -> Vec<(u16, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for reply in replies {
        *counts.entry(reply.status).or_insert(0) += 1;
    }
    counts.into_iter().collect()
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
async fn a_locked_pair_is_refused_without_checking_the_password_or_counting_more() {
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
    // No token issued, no last_seen: the one write tried is the refused
    // conditional increment, which changed nothing.
    assert!(
        !used.iter().any(|u| matches!(u, Used::Access(a)
            if a.action.writes() && a.action != microblog_shared::routes::Action::UpdateItem)),
        "{used:?}"
    );
    let pair = format!("LIMIT#login#{}", sha256_hex("susan\n203.0.113.9"));
    assert_eq!(attempts(&api, &pair).await, 1);
}

#[tokio::test]
async fn two_hundred_guesses_at_once_check_no_more_passwords_than_the_limit() {
    let api =
        TestApi::start_with(&[&[("RATE_LIMIT_LOGIN_FAILURES", "10")][..], &PATIENT].concat()).await;
    api.create_user("susan", "password-123").await;
    // The right password comes last: before the fix, every guess of the
    // burst was checked and it was found.
    let guesses: Vec<String> = (0..199)
        .map(|n| format!("guess-{n:04}"))
        .chain(["password-123".to_string()])
        .collect();
    let replies = futures_util::future::join_all(
        guesses
            .iter()
            .map(|guess| login_from(&api, "203.0.113.9", "susan", guess)),
    )
    .await;
    // Exactly the limit's number of passwords checked, whichever of the
    // burst reserved first; the right one, if among them, gave its back.
    let checked = replies
        .iter()
        .filter(|r| matches!(r.status, 200 | 401))
        .count();
    let found = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(checked, 10, "{:?}", statuses(&replies));
    assert_eq!(replies.len() - checked, 190);
    for refused in replies.iter().filter(|r| r.status == 429) {
        refused.assert_error(429, "too many failed logins for this username");
    }
    let pair = format!("LIMIT#login#{}", sha256_hex("susan\n203.0.113.9"));
    assert_eq!(attempts(&api, &pair).await, 10 - found as u64);
}

#[tokio::test]
async fn failures_across_many_usernames_from_one_address_reach_the_address_limit() {
    let api = TestApi::start_with(
        &[
            &[
                ("RATE_LIMIT_LOGIN_FAILURES", "10"),
                ("RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS", "5"),
            ][..],
            &PATIENT,
        ]
        .concat(),
    )
    .await;
    api.create_user("victim", "password-123").await;
    let sprayer = "203.0.113.77";
    // Fifty names at once, one guess each: five are checked.
    let names: Vec<String> = (0..50).map(|n| format!("user{n}")).collect();
    let replies = futures_util::future::join_all(
        names
            .iter()
            .map(|name| login_from(&api, sprayer, name, "Summer2026!")),
    )
    .await;
    assert_eq!(statuses(&replies), [(401, 5), (429, 45)]);
    let refused = replies.iter().find(|r| r.status == 429).unwrap();
    assert_limited(refused, "too many failed logins from your address", 900);
    // Even the victim's right password, from that address.
    assert_eq!(
        login_from(&api, sprayer, "victim", "password-123")
            .await
            .status,
        429
    );
    // The victim, from another address, logs in.
    assert_eq!(
        login_from(&api, "198.51.100.1", "victim", "password-123")
            .await
            .status,
        200
    );
    assert_eq!(
        attempts(&api, &format!("LIMIT#login#source#{sprayer}")).await,
        5
    );
}

#[tokio::test]
async fn a_successful_login_gives_its_reserved_attempt_back() {
    let api = TestApi::start_with(&[
        ("RATE_LIMIT_LOGIN_FAILURES", "2"),
        ("RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS", "2"),
    ])
    .await;
    api.create_user("susan", "password-123").await;
    let phone = "198.51.100.20";
    for _ in 0..5 {
        assert_eq!(
            login_from(&api, phone, "susan", "password-123")
                .await
                .status,
            200
        );
    }
    let pair = format!("LIMIT#login#{}", sha256_hex("susan\n198.51.100.20"));
    assert_eq!(attempts(&api, &pair).await, 0);
    assert_eq!(
        attempts(&api, &format!("LIMIT#login#source#{phone}")).await,
        0
    );
    for _ in 0..2 {
        login_from(&api, phone, "susan", "typo-typo")
            .await
            .assert_error(401, "");
    }
    assert_eq!(
        login_from(&api, phone, "susan", "password-123")
            .await
            .status,
        429
    );
}

#[tokio::test]
async fn sign_ups_at_once_from_one_address_are_held_to_the_limit() {
    let api =
        TestApi::start_with(&[&[("RATE_LIMIT_SIGNUPS_PER_HOUR", "5")][..], &PATIENT].concat())
            .await;
    let names: Vec<String> = (0..30).map(|n| format!("bot{n}")).collect();
    let replies = futures_util::future::join_all(
        names
            .iter()
            .map(|name| sign_up_from(&api, "203.0.113.50", name)),
    )
    .await;
    assert_eq!(statuses(&replies), [(201, 5), (429, 25)]);
}

#[tokio::test]
async fn a_window_s_count_expires_with_the_window_and_the_next_window_starts_from_zero() {
    let api = TestApi::start().await;
    let limited = Limited::login_failures("susan", "203.0.113.9");
    let now = chrono::Utc::now();
    for _ in 0..10 {
        assert_eq!(api.app.limits.take(&limited, 10, now).await.unwrap(), None);
    }
    let wait = api.app.limits.take(&limited, 10, now).await.unwrap();
    assert!(wait.is_some_and(|w| w <= LOGIN_WINDOW), "{wait:?}");
    let next_window = now + LOGIN_WINDOW;
    assert_eq!(
        api.app
            .limits
            .take(&limited, 10, next_window)
            .await
            .unwrap(),
        None
    );
    // The counter carries a TTL at its window's end, so DynamoDB deletes it.
    let items = api
        .partition(&format!("LIMIT#login#{}", sha256_hex("susan\n203.0.113.9")))
        .await;
    assert_eq!(items.len(), 2, "this window's and the next's");
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
        ("RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS", "0"),
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
