//! DynamoDB failing under the API: each test puts a fault-injecting proxy
//! (`microblog_tests::proxy`) between the handlers and a real engine, then
//! shows for a read, `create_user`'s transaction, a follow and a login that
//! the answer is a 503 with `Retry-After` in bounded time, that nothing was
//! half written (checked over the whole table with a plain client), and that
//! the same request succeeds once the fault clears.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use microblog_shared::auth::token_hash;
use microblog_tests::api::{bearer, http, Reply, TestApi};
use microblog_tests::invariants;
use microblog_tests::proxy::{Fault, Proxy};

/// Short timeouts, so faults resolve quickly; the bounds below are
/// multiples of these, never tight.
const OPERATION_TIMEOUT: Duration = Duration::from_millis(1000);
const ENV: &[(&str, &str)] = &[
    ("DYNAMODB_CONNECT_TIMEOUT_MS", "200"),
    ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "300"),
    ("DYNAMODB_OPERATION_TIMEOUT_MS", "1000"),
    ("DYNAMODB_MAX_ATTEMPTS", "3"),
];
/// Slack for scheduling, argon2 and the engine on a loaded CI machine.
const SLACK: Duration = Duration::from_millis(1500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Read,
    CreateUser,
    Follow,
    Login,
    Post,
}

impl Operation {
    const ALL: [Operation; 5] = [
        Operation::Read,
        Operation::CreateUser,
        Operation::Follow,
        Operation::Login,
        Operation::Post,
    ];

    /// The DynamoDB operation a targeted fault hits: the one that writes,
    /// so the reads before it succeed.
    fn target(self) -> &'static str {
        match self {
            Operation::Read => "GetItem",
            _ => "TransactWriteItems",
        }
    }

    /// Whether a lost answer makes the handler undo or clean up, which is
    /// one more DynamoDB call with its own operation timeout.
    fn cleans_up(self) -> bool {
        matches!(self, Operation::CreateUser | Operation::Login)
    }
}

/// Two users, alice (with a token) and bob, and every token handed out.
struct World {
    api: TestApi,
    proxy: Proxy,
    alice: u64,
    bob: u64,
    token: String,
    given: BTreeSet<String>,
}

impl World {
    async fn start() -> World {
        World::start_with(&[]).await
    }

    /// [`World::start`] with settings beyond the faults' own.
    async fn start_with(extra: &[(&str, &str)]) -> World {
        let (api, proxy) = TestApi::start_behind_proxy(&[ENV, extra].concat()).await;
        let (alice, token) = api.user_with_token("alice").await;
        let (bob, bob_token) = api.user_with_token("bob").await;
        let given = [token_hash(&token), token_hash(&bob_token)].into();
        World {
            api,
            proxy,
            alice,
            bob,
            token,
            given,
        }
    }

    async fn run(&mut self, operation: Operation) -> Reply {
        let bearer = bearer(&self.token);
        let reply = match operation {
            Operation::Read => {
                self.api
                    .get(&format!("/api/users/{}", self.bob), &self.token)
                    .await
            }
            Operation::CreateUser => {
                let body = r#"{"username": "carol", "email": "carol@example.com", "password": "password-123"}"#;
                self.api.call("POST", "/api/users", &[], Some(body)).await
            }
            Operation::Follow => {
                let target = format!("/api/users/{}/followed/{}", self.alice, self.bob);
                self.api
                    .call("PUT", &target, &[("authorization", &bearer)], None)
                    .await
            }
            Operation::Login => self.api.token_reply("alice", "password-123").await,
            // With a key, the retry after a lost answer publishes nothing new.
            Operation::Post => {
                self.api
                    .call(
                        "POST",
                        "/api/posts",
                        &[
                            ("authorization", &bearer),
                            ("idempotency-key", "fault-retry"),
                        ],
                        Some(r#"{"body": "through the outage"}"#),
                    )
                    .await
            }
        };
        if operation == Operation::Login && reply.status == 200 {
            self.given
                .insert(token_hash(reply.json()["token"].as_str().unwrap()));
        }
        reply
    }

    /// The table as a whole is consistent, and holds no token a client was
    /// not given.
    async fn assert_consistent(&self, context: &str) -> invariants::Census {
        invariants::check(&self.api.client, &self.api.table_name, Some(&self.given))
            .await
            .unwrap_or_else(|problems| panic!("{context}:\n{}", problems.join("\n")))
    }
}

fn success(operation: Operation) -> u16 {
    match operation {
        Operation::Read | Operation::Login => 200,
        Operation::CreateUser | Operation::Post => 201,
        Operation::Follow => 204,
    }
}

#[track_caller]
fn assert_unavailable(reply: &Reply, context: &str) {
    assert_eq!(reply.status, 503, "{context}: {}", reply.body);
    reply.assert_error(503, "retry");
    let wait: u64 = reply
        .header("retry-after")
        .unwrap_or_else(|| panic!("{context}: a 503 without Retry-After"))
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=5).contains(&wait), "{context}: Retry-After {wait}");
}

/// Runs every operation under `fault` (on its target operation, or on
/// every one with `targeted` false): a 503 within the bound, the table
/// consistent, then the same request succeeds once the fault clears.
async fn every_operation_under(fault: Fault, targeted: bool) {
    let mut world = World::start().await;
    for operation in Operation::ALL {
        let context = format!("{operation:?} under {fault:?}");
        let only = targeted.then(|| operation.target());
        world.proxy.set_for(fault, only).await;
        let started = Instant::now();
        let reply = world.run(operation).await;
        let took = started.elapsed();
        world.proxy.clear().await;
        assert_unavailable(&reply, &context);
        // One operation timeout for the call that failed, and one more when
        // the handler cleans up after a write whose answer was lost.
        let calls = if targeted && operation.cleans_up() {
            2
        } else {
            1
        };
        let bound = OPERATION_TIMEOUT * calls + SLACK;
        assert!(
            took < bound,
            "{context}: answered after {took:?} (bound {bound:?})"
        );
        world.assert_consistent(&context).await;

        let again = world.run(operation).await;
        assert_eq!(
            again.status,
            success(operation),
            "{context}, after the fault cleared: {}",
            again.body
        );
        world
            .assert_consistent(&format!("{context}, then again"))
            .await;
    }
    let census = world.assert_consistent("at the end").await;
    assert_eq!((census.users, census.follows), (3, 1), "{fault:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_answer_503_and_the_next_request_succeeds() {
    every_operation_under(Fault::Refuse, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_engine_answers_503_within_the_operation_timeout() {
    every_operation_under(Fault::Hang, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_hangs_leaves_nothing_half_written() {
    every_operation_under(Fault::Hang, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_reset_midway_after_the_engine_wrote_leaves_no_partial_write_and_no_unknown_token(
) {
    every_operation_under(Fault::Reset, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_delayed_past_the_timeouts_after_the_engine_wrote_is_a_503_and_is_undone() {
    every_operation_under(Fault::Delay(Duration::from_secs(3)), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_through_every_retry_is_a_503() {
    every_operation_under(Fault::Throttle, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_500s_through_every_retry_are_a_503() {
    every_operation_under(Fault::ServerError, true).await;
}

#[tokio::test]
async fn the_sdk_retries_throttling_as_configured_before_answering_503() {
    let mut world = World::start().await;
    world.proxy.set_for(Fault::Throttle, Some("GetItem")).await;
    let before = world.proxy.faulted();
    // A login reads the username marker first, alone.
    let reply = world.run(Operation::Login).await;
    assert_unavailable(&reply, "throttled login");
    assert_eq!(
        reply.header("retry-after"),
        Some("1"),
        "throttling passes quickly"
    );
    // That GetItem was tried DYNAMODB_MAX_ATTEMPTS times, then no other call.
    assert_eq!(world.proxy.faulted() - before, 3);
}

#[tokio::test]
async fn over_http_an_outage_is_a_json_503_with_retry_after() {
    let world = World::start().await;
    let base = world.api.serve_http().await;
    world.proxy.set(Fault::Refuse).await;
    let target = format!("/api/users/{}", world.bob);
    let bearer = bearer(&world.token);
    let reply = http(&base, "GET", &target, &[("authorization", &bearer)], None).await;
    assert_unavailable(&reply, "over HTTP");
    assert_eq!(reply.header("retry-after"), Some("2"));
    world.proxy.clear().await;
    let reply = http(&base, "GET", &target, &[("authorization", &bearer)], None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// A refresh whose rotation fails: a 503, no access token left that nobody
/// received, and then the outcome the design promises. A write refused
/// (throttled, 500s) changed nothing, so the same refresh token works; a
/// write whose answer was lost after the engine applied it has rotated the
/// session, so the retry, within the reuse interval, gets a spare pair of
/// the session (the client never received the rotation's), and with no
/// interval is a reuse that ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_whose_rotation_fails_is_a_503_and_leaves_no_token_nobody_received() {
    for (fault, applied, interval) in [
        (Fault::Throttle, false, "10"),
        (Fault::ServerError, false, "10"),
        (Fault::Reset, true, "10"),
        (Fault::Reset, true, "0"),
    ] {
        let context = format!("refresh under {fault:?}, reuse interval {interval} s");
        let mut world = World::start_with(&[("REFRESH_REUSE_INTERVAL_SECONDS", interval)]).await;
        let login = world.api.token_reply("alice", "password-123").await.json();
        world
            .given
            .insert(token_hash(login["token"].as_str().unwrap()));
        let refresh = login["refresh_token"].as_str().unwrap();
        world.proxy.set_for(fault, Some("TransactWriteItems")).await;
        let reply = world.api.refresh(refresh).await;
        world.proxy.clear().await;
        assert_unavailable(&reply, &context);
        world.assert_consistent(&context).await;
        let again = world.api.refresh(refresh).await;
        if applied && interval == "0" {
            again.assert_error(401, "already used");
        } else {
            assert_eq!(again.status, 200, "{context}: {}", again.body);
            world
                .given
                .insert(token_hash(again.json()["token"].as_str().unwrap()));
        }
        world
            .assert_consistent(&format!("{context}, then again"))
            .await;
    }
}
