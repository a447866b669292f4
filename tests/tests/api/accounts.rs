//! Deleting an account: at once a 404 with every token dead and the name
//! free; then `purge_user`, from the table's real stream, removes every
//! follow (fixing the other users' counts), post, feed entry and session,
//! in bounded steps, under concurrent follows, posts and logins.

use std::time::{Duration, Instant};

use microblog_local::stream::StreamWorker;
use microblog_shared::domain::{Email, NewUser, PostBody, UserId, Username};
use microblog_shared::hashing::DUMMY_HASH;
use microblog_shared::store::posts::Draft;
use microblog_tests::api::{Reply, TestApi};
use microblog_tests::invariants;
use serde_json::{json, Value};

const PASSWORD: &str = "password-123";

fn token_of(login: &Value) -> String {
    login["token"].as_str().unwrap().to_string()
}

async fn total_users(api: &TestApi, token: &str) -> u64 {
    api.get("/api/users", token).await.json()["_meta"]["total_items"]
        .as_u64()
        .unwrap()
}

/// Asserts the table keeps nothing of user `id` and every invariant holds.
async fn assert_gone(api: &TestApi, id: u64) {
    let traces = invariants::traces_of(&api.client, &api.table_name, id).await;
    assert!(traces.is_empty(), "left of user {id}: {traces:#?}");
    if let Err(problems) = invariants::check(&api.client, &api.table_name, None).await {
        panic!("{problems:#?}");
    }
}

#[tokio::test]
async fn a_deleted_account_is_gone_at_once_and_the_stream_cleans_up_everything_else() {
    let api = TestApi::start().await;
    let (susan, susan_token) = api.user_with_token("susan").await;
    let susan_login = api.login("susan", PASSWORD).await;
    let (john, john_token) = api.user_with_token("john").await;
    let (amy, amy_token) = api.user_with_token("amy").await;
    api.follow(susan, john, &susan_token).await;
    api.follow(john, susan, &john_token).await;
    api.follow(amy, susan, &amy_token).await;
    let hers = api.post(&susan_token, "from susan").await["id"]
        .as_u64()
        .unwrap();
    let his = api.post(&john_token, "from john").await["id"]
        .as_u64()
        .unwrap();
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&john_token).await, [his, hers]);
    assert_eq!(api.feed_ids(&susan_token).await, [his, hers]);
    assert_eq!(total_users(&api, &john_token).await, 3);

    api.delete_account(susan, &susan_token, "wrong-password")
        .await
        .assert_error(403, "password is wrong");
    api.delete_account(susan, &john_token, PASSWORD)
        .await
        .assert_error(403, "your own account");
    api.send("DELETE", "/api/users/1", &susan_token, Some(json!({})))
        .await
        .assert_error(400, "must include password");
    let reply = api.delete_account(susan, &susan_token, PASSWORD).await;
    assert_eq!(reply.status, 204, "{}", reply.body);

    // At once, before any clean-up ran.
    api.get(&format!("/api/users/{susan}"), &john_token)
        .await
        .assert_error(404, "no user");
    for token in [&susan_token, &token_of(&susan_login)] {
        api.get("/api/me", token).await.assert_error(401, "revoked");
    }
    api.refresh(susan_login["refresh_token"].as_str().unwrap())
        .await
        .assert_error(401, "log in again");
    api.token_reply("susan", PASSWORD)
        .await
        .assert_error(401, "invalid username or password");
    assert_eq!(total_users(&api, &john_token).await, 2);
    assert!(!api
        .walk_ids("/api/users", &john_token)
        .await
        .contains(&susan));

    // Then the stream.
    api.settle_feeds().await;
    assert_gone(&api, susan).await;
    for (id, token) in [(john, &john_token), (amy, &amy_token)] {
        let user = api.get(&format!("/api/users/{id}"), token).await.json();
        assert_eq!(user["follower_count"], 0, "{user}");
        assert_eq!(user["followed_count"], 0, "{user}");
    }
    assert!(api
        .walk_ids("/api/users/2/followers", &john_token)
        .await
        .is_empty());
    assert!(api
        .walk_ids("/api/users/3/followed", &amy_token)
        .await
        .is_empty());
    assert_eq!(api.feed_ids(&john_token).await, [his]);
    assert!(api.feed_ids(&amy_token).await.is_empty());
    api.get(&format!("/api/posts/{hers}"), &john_token)
        .await
        .assert_error(404, "no post");

    // The name and address are free, and the id is never reused.
    let again = api.create_user("susan", "another-password").await;
    assert_eq!(again["id"], 4);
    assert_eq!(total_users(&api, &john_token).await, 3);
    api.settle_feeds().await;
    assert_gone(&api, susan).await;
}

#[tokio::test]
// Not a timing test (docs/PERFORMANCE.md measures speed): the bound only
// turns a stuck clean-up into a failure instead of a hang, and leaves room
// for a machine loaded by other builds.
async fn with_the_workers_running_as_on_the_local_server_the_clean_up_finishes_by_itself() {
    let api = TestApi::start().await;
    for worker in StreamWorker::all() {
        api.spawn_worker(worker).await;
    }
    let (susan, susan_token) = api.user_with_token("susan").await;
    let (john, john_token) = api.user_with_token("john").await;
    api.follow(john, susan, &john_token).await;
    api.follow(susan, john, &susan_token).await;
    for n in 0..3 {
        api.post(&susan_token, &format!("post {n}")).await;
    }
    let started = Instant::now();
    while api.feed_ids(&john_token).await.len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "fan-out stalled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let deleted = Instant::now();
    assert_eq!(
        api.delete_account(susan, &susan_token, PASSWORD)
            .await
            .status,
        204
    );
    loop {
        let traces = invariants::traces_of(&api.client, &api.table_name, susan).await;
        let settled = traces.is_empty()
            && invariants::check(&api.client, &api.table_name, None)
                .await
                .is_ok();
        if settled {
            break;
        }
        assert!(
            deleted.elapsed() < Duration::from_secs(60),
            "still there after 60 s: {traces:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(api.feed_ids(&john_token).await.is_empty());
}

#[tokio::test]
async fn deleting_an_account_during_its_own_follows_posts_and_logins_leaves_nothing_and_no_wrong_count(
) {
    let api = TestApi::start().await;
    let (victim, victim_token) = api.user_with_token("victim").await;
    let mut others = Vec::new();
    for name in ["ann", "bob", "cat", "dan", "eve", "fay"] {
        others.push(api.user_with_token(name).await);
    }
    // A head start: some edges and posts exist before the race.
    for (id, token) in &others[..3] {
        api.follow(*id, victim, token).await;
        api.follow(victim, *id, &victim_token).await;
    }
    api.post(&victim_token, "before").await;

    let follows_in = async {
        for (id, token) in &others {
            let status = api.follow_reply(*id, victim, token).await.status;
            assert!([204, 404].contains(&status), "{status}");
        }
    };
    let follows_out = async {
        for (id, _) in &others[3..] {
            // 404 when the token was checked just before the deletion and
            // the follow's transaction ran just after it.
            let status = api.follow_reply(victim, *id, &victim_token).await.status;
            assert!([204, 401, 404].contains(&status), "{status}");
        }
    };
    let unfollows = async {
        for (id, token) in &others[..2] {
            let target = format!("/api/users/{id}/followed/{victim}");
            let status = api.send("DELETE", &target, token, None).await.status;
            assert!([204, 404].contains(&status), "{status}");
        }
    };
    let posts = async {
        for n in 0..5 {
            let reply = api
                .send(
                    "POST",
                    "/api/posts",
                    &victim_token,
                    Some(json!({"body": format!("racing {n}")})),
                )
                .await;
            assert!([201, 401, 404].contains(&reply.status), "{}", reply.body);
        }
    };
    let logins = async {
        for _ in 0..3 {
            let status = api.token_reply("victim", PASSWORD).await.status;
            assert!([200, 401].contains(&status), "{status}");
        }
    };
    let deletion = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        api.delete_account(victim, &victim_token, PASSWORD).await
    };
    let (.., deleted) = tokio::join!(follows_in, follows_out, unfollows, posts, logins, deletion);
    assert_eq!(deleted.status, 204, "{}", deleted.body);

    api.settle_feeds().await;
    assert_gone(&api, victim).await;
    let (_, token) = &others[0];
    assert_eq!(total_users(&api, token).await, others.len() as u64);
    for (id, token) in &others {
        let user = api.get(&format!("/api/users/{id}"), token).await.json();
        assert_eq!(user["follower_count"], 0, "{user}");
        assert_eq!(user["followed_count"], 0, "{user}");
        assert!(api.feed_ids(token).await.is_empty());
    }
}

#[tokio::test]
async fn a_clean_up_bigger_than_one_step_resumes_step_by_step_and_a_redelivery_changes_nothing() {
    const STEP: usize = 3;
    let api = TestApi::start_with(&[("ACCOUNT_CLEANUP_STEP", "3")]).await;
    let (star, star_token) = api.user_with_token("star").await;
    let (fan, fan_token) = api.user_with_token("fan").await;
    // More posts and followers than one step handles, written through the
    // stores (no argon2 for each of them); the posts first, so that the
    // fan-out has little to do.
    for n in 0..2 * STEP + 1 {
        let body = PostBody::parse(&format!("post {n}")).unwrap();
        api.app
            .posts
            .create(
                UserId::new(star),
                Draft::plain(body),
                chrono::Utc::now(),
                None,
            )
            .await
            .unwrap();
    }
    let crowd = 3 * STEP + 1;
    for n in 0..crowd {
        let new = NewUser {
            username: Username::parse(&format!("follower{n}")).unwrap(),
            email: Email::parse(&format!("follower{n}@example.com")).unwrap(),
            password_hash: DUMMY_HASH.to_string(),
            about_me: None,
        };
        let user = api.app.users.create(new, chrono::Utc::now()).await.unwrap();
        api.app
            .follows
            .follow(user.id, UserId::new(star), n as u64 + 1)
            .await
            .unwrap();
    }
    api.follow(fan, star, &fan_token).await;
    api.settle_feeds().await;
    let star_user = api.get("/api/me", &star_token).await.json();
    assert_eq!(star_user["follower_count"], crowd as u64 + 1);

    // Sessions too: more than a step's worth.
    for _ in 0..STEP {
        api.login("star", PASSWORD).await;
    }
    assert_eq!(
        api.delete_account(star, &star_token, PASSWORD).await.status,
        204
    );
    api.settle_feeds().await;
    assert_gone(&api, star).await;
    assert!(api.feed_ids(&fan_token).await.is_empty());

    // Every record of the stream handed to purge_user again, as a
    // redelivery would: nothing comes back and no count moves.
    let mut again = api.new_poller_for(StreamWorker::named("purge_user")).await;
    again.settle(&api.app).await.unwrap();
    assert_gone(&api, star).await;
    let census = invariants::check(&api.client, &api.table_name, None)
        .await
        .unwrap();
    assert_eq!(census.users, crowd + 1);
    assert_eq!(census.follows, 0);
}

/// The user count's items, `(sort key, user_count)`, in key order.
async fn count_items(api: &TestApi) -> Vec<(String, u64)> {
    api.partition("STATS#users")
        .await
        .iter()
        .map(|item| {
            let n = item["user_count"].as_n().unwrap().parse().unwrap();
            (item["sk"].as_s().unwrap().clone(), n)
        })
        .collect()
}

fn registration(name: &str) -> String {
    json!({"username": name, "email": format!("{name}@example.com"), "password": "password-123"})
        .to_string()
}

/// Sends every registration of `bodies` at once.
async fn sign_up_at_once(api: &TestApi, bodies: &[String]) -> Vec<Reply> {
    futures_util::future::join_all(
        bodies
            .iter()
            .map(|body| api.call("POST", "/api/users", &[], Some(body))),
    )
    .await
}

#[tokio::test]
async fn sign_ups_at_once_update_no_common_count_item_and_all_succeed_with_an_exact_total() {
    let api = TestApi::start().await;
    let bodies: Vec<String> = (0..24)
        .map(|n| registration(&format!("person{n}")))
        .collect();
    let replies = sign_up_at_once(&api, &bodies).await;
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    // Each sign-up counted in the shard of its id: no item every sign-up's
    // transaction updates (before, all 24 updated `STATS#users / COUNT`).
    let items = count_items(&api).await;
    assert_eq!(items.len(), 24, "{items:?}");
    assert!(items
        .iter()
        .all(|(sk, n)| sk.starts_with("SHARD#") && *n == 1));
    let token = api.token("person0", "password-123").await;
    assert_eq!(total_users(&api, &token).await, 24);
    let census = invariants::check(&api.client, &api.table_name, None)
        .await
        .unwrap_or_else(|problems| panic!("{problems:#?}"));
    assert_eq!(census.users, 24);
}

#[tokio::test]
async fn racing_sign_ups_for_one_username_make_exactly_one_account() {
    // On an engine that isolates transactions (dynoxide, as DynamoDB); moto
    // does not, and once let two through (docs/RELIABILITY.md).
    let api = TestApi::start().await;
    let bodies: Vec<String> = (0..16)
        .map(|n| {
            json!({"username": "taken", "email": format!("t{n}@example.com"), "password": "password-123"})
                .to_string()
        })
        .collect();
    let replies = sign_up_at_once(&api, &bodies).await;
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1);
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_error(400, "please use a different username");
    }
    let token = api.token("taken", "password-123").await;
    assert_eq!(total_users(&api, &token).await, 1);
}

#[tokio::test]
async fn a_user_counted_before_shards_is_uncounted_from_the_old_count_on_deletion() {
    let api = TestApi::start().await;
    api.create_user("susan", "password-123").await;
    api.create_user("john", "password-123").await;
    // A table made before shards: the two are counted in `COUNT`.
    for (sk, _) in count_items(&api).await {
        api.client
            .delete_item()
            .table_name(&api.table_name)
            .set_key(Some(microblog_shared::store::items::key("STATS#users", sk)))
            .send()
            .await
            .unwrap();
    }
    let mut legacy = microblog_shared::store::items::key("STATS#users", "COUNT");
    legacy.insert(
        "user_count".into(),
        aws_sdk_dynamodb::types::AttributeValue::N("2".into()),
    );
    api.client
        .put_item()
        .table_name(&api.table_name)
        .set_item(Some(legacy))
        .send()
        .await
        .unwrap();
    let token = api.token("susan", "password-123").await;
    assert_eq!(total_users(&api, &token).await, 2);
    assert_eq!(
        api.delete_account(1, &token, "password-123").await.status,
        204
    );
    let john = api.token("john", "password-123").await;
    assert_eq!(total_users(&api, &john).await, 1);
    assert_eq!(count_items(&api).await, [("COUNT".to_string(), 1)]);
}
