//! Posts: publishing, reading, editing, deleting, a user's timeline, the
//! exact `post_count`, and `Idempotency-Key`.

use std::sync::Arc;

use microblog_tests::api::{bearer, TestApi};
use serde_json::json;

async fn post_count(api: &TestApi, id: u64, token: &str) -> u64 {
    let reply = api.get(&format!("/api/users/{id}"), token).await;
    reply.json()["post_count"].as_u64().unwrap()
}

#[tokio::test]
async fn a_post_is_published_with_its_author_its_links_and_a_location_and_counted() {
    let api = TestApi::start().await;
    let (alice, token) = api.user_with_token("alice").await;
    let reply = api
        .send_text(
            "POST",
            "/api/posts",
            &token,
            Some(r#"{"body": "  Hello from the train \n"}"#),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let post = reply.json();
    let id = post["id"].as_u64().unwrap();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/posts/{id}").as_str())
    );
    assert_eq!(post["body"], "Hello from the train", "trimmed");
    assert_eq!(post["edited"], serde_json::Value::Null);
    assert!(post["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(post["author"]["id"], alice);
    assert_eq!(post["author"]["username"], "alice");
    assert_eq!(
        post["author"]["_links"]["self"],
        format!("/api/users/{alice}")
    );
    assert!(post["author"].get("email").is_none());
    assert_eq!(post["_links"]["self"], format!("/api/posts/{id}"));
    assert_eq!(post["_links"]["author"], format!("/api/users/{alice}"));

    let (_, other) = api.user_with_token("bob").await;
    let read = api.get(&format!("/api/posts/{id}"), &other).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.json(), post);
    assert_eq!(post_count(&api, alice, &other).await, 1);
}

#[tokio::test]
async fn a_body_breaking_a_rule_is_a_400_naming_the_rule() {
    let api = TestApi::start().await;
    let (_, token) = api.user_with_token("alice").await;
    for (body, part) in [
        (
            json!({"body": ""}),
            "body must have at least one visible character",
        ),
        (
            json!({"body": " \n\t "}),
            "body must have at least one visible character",
        ),
        // Invisible posts (issue 18): nothing that draws, or hidden
        // formatting, or a letter under hundreds of marks.
        (
            json!({"body": "\u{200b}\u{200b}"}),
            "body must have at least one visible character",
        ),
        (
            json!({"body": "\u{3164}\u{0301}"}),
            "body must have at least one visible character",
        ),
        (
            json!({"body": "hi\u{2060}there"}),
            "invisible formatting characters",
        ),
        (
            json!({"body": format!("a{}", "\u{0301}".repeat(279))}),
            "combining marks",
        ),
        (
            json!({"body": "x".repeat(281)}),
            "body must be at most 280 characters",
        ),
        (json!({"body": "bell\u{7}"}), "control characters"),
        (json!({"body": 5}), "body must be a string"),
        (json!({}), "must include body field"),
        (json!({"body": null}), "must include body field"),
    ] {
        api.send_text("POST", "/api/posts", &token, Some(&body.to_string()))
            .await
            .assert_error(400, part);
    }
    let ok = json!({"body": "é".repeat(280)}).to_string();
    assert_eq!(
        api.send_text("POST", "/api/posts", &token, Some(&ok))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn only_the_author_edits_or_deletes_a_post_and_a_deleted_post_is_gone() {
    let api = TestApi::start().await;
    let (alice, alice_token) = api.user_with_token("alice").await;
    let (_, bob_token) = api.user_with_token("bob").await;
    let id = api.post(&alice_token, "first draft").await["id"]
        .as_u64()
        .unwrap();
    let path = format!("/api/posts/{id}");
    let edit = r#"{"body": "second draft"}"#;

    api.send_text("PUT", &path, &bob_token, Some(edit))
        .await
        .assert_error(403, "your own posts");
    api.send_text("DELETE", &path, &bob_token, None)
        .await
        .assert_error(403, "your own posts");

    let edited = api.send_text("PUT", &path, &alice_token, Some(edit)).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.json()["body"], "second draft");
    assert!(edited.json()["edited"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        api.get(&path, &bob_token).await.json()["body"],
        "second draft"
    );
    api.send_text("PUT", &path, &alice_token, Some(r#"{"body": ""}"#))
        .await
        .assert_error(400, "body");

    assert_eq!(
        api.send_text("DELETE", &path, &alice_token, None)
            .await
            .status,
        204
    );
    api.get(&path, &bob_token)
        .await
        .assert_error(404, &format!("no post has the id {id}"));
    api.send_text("DELETE", &path, &alice_token, None)
        .await
        .assert_error(404, "no post has the id");
    api.send_text("PUT", &path, &alice_token, Some(edit))
        .await
        .assert_error(404, "no post has the id");
    assert_eq!(post_count(&api, alice, &bob_token).await, 0);
}

#[tokio::test]
async fn an_unknown_or_malformed_post_id_is_a_404_and_every_post_route_needs_a_token() {
    let api = TestApi::start().await;
    let (_, token) = api.user_with_token("alice").await;
    api.get("/api/posts/999", &token)
        .await
        .assert_error(404, "no post has the id 999");
    api.get("/api/posts/abc", &token)
        .await
        .assert_error(404, "no post has the id 'abc'");
    for (method, path) in [
        ("POST", "/api/posts"),
        ("GET", "/api/posts/1"),
        ("PUT", "/api/posts/1"),
        ("DELETE", "/api/posts/1"),
        ("GET", "/api/users/1/posts"),
        ("GET", "/api/feed"),
    ] {
        api.call(method, path, &[], Some("{}"))
            .await
            .assert_error(401, "");
    }
}

#[tokio::test]
async fn a_user_s_posts_are_listed_newest_first_with_an_exact_count_and_cursor_links() {
    let api = TestApi::start().await;
    let (alice, token) = api.user_with_token("alice").await;
    let mut published = Vec::new();
    for i in 0..5 {
        published.push(
            api.post(&token, &format!("post {i}")).await["id"]
                .as_u64()
                .unwrap(),
        );
    }
    published.reverse();
    let first = api
        .get(&format!("/api/users/{alice}/posts?per_page=2"), &token)
        .await;
    assert_eq!(first.json()["_meta"]["total_items"], 5);
    assert_eq!(first.json()["_meta"]["total_pages"], 3);
    let listed = api
        .walk_ids(&format!("/api/users/{alice}/posts?per_page=2"), &token)
        .await;
    assert_eq!(listed, published);
    api.get("/api/users/99/posts", &token)
        .await
        .assert_error(404, "no user has the id 99");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_posts_and_deletes_keep_post_count_exact() {
    let api = Arc::new(TestApi::start().await);
    let (alice, token) = api.user_with_token("alice").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (api, token) = (api.clone(), token.clone());
        tasks.spawn(async move {
            api.post(&token, &format!("post {i}")).await["id"]
                .as_u64()
                .unwrap()
        });
    }
    let mut ids = Vec::new();
    while let Some(id) = tasks.join_next().await {
        ids.push(id.unwrap());
    }
    for id in ids.iter().take(10).copied() {
        let (api, token) = (api.clone(), token.clone());
        tasks.spawn(async move {
            // Each deleted twice at once: one 204, one 404, one decrement.
            let path = format!("/api/posts/{id}");
            let (a, b) = tokio::join!(
                api.send_text("DELETE", &path, &token, None),
                api.send_text("DELETE", &path, &token, None)
            );
            let mut statuses = [a.status, b.status];
            statuses.sort();
            assert!(
                statuses == [204, 404] || statuses == [204, 204],
                "{statuses:?}"
            );
            id
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    assert_eq!(post_count(&api, alice, &token).await, 10);
    let listed = api
        .walk_ids(&format!("/api/users/{alice}/posts?per_page=7"), &token)
        .await;
    assert_eq!(listed.len(), 10);
    microblog_tests::invariants::check(&api.client, &api.table_name, None)
        .await
        .unwrap_or_else(|problems| panic!("{}", problems.join("\n")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_with_the_same_idempotency_key_publishes_nothing_new() {
    let api = Arc::new(TestApi::start().await);
    let (alice, token) = api.user_with_token("alice").await;
    let publish = |key: &'static str, body: &'static str| {
        let (api, token) = (api.clone(), token.clone());
        async move {
            api.call(
                "POST",
                "/api/posts",
                &[("authorization", &bearer(&token)), ("idempotency-key", key)],
                Some(&json!({ "body": body }).to_string()),
            )
            .await
        }
    };
    let first = publish("retry-1", "hello").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = publish("retry-1", "hello").await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.json()["id"], first.json()["id"]);
    publish("retry-1", "another body")
        .await
        .assert_error(422, "Idempotency-Key");

    // Eight at once with one new key publish once.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        tasks.spawn(publish("burst", "once"));
    }
    let mut ids = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        let reply = reply.unwrap();
        assert_eq!(reply.status, 201, "{}", reply.body);
        ids.push(reply.json()["id"].as_u64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(post_count(&api, alice, &token).await, 2);

    api.call(
        "POST",
        "/api/posts",
        &[
            ("authorization", &bearer(&token)),
            ("idempotency-key", "has space"),
        ],
        Some(r#"{"body": "x"}"#),
    )
    .await
    .assert_error(400, "Idempotency-Key");
}
