//! Conditional requests: an `ETag` on every user, post and collection page,
//! 304 for a matching `If-None-Match`, and `If-Match` on PUTs (412 when the
//! representation changed since it was read), atomic with the write.

use std::sync::Arc;

use microblog_tests::api::{bearer, http, Reply, TestApi};
use serde_json::json;

fn etag(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let etag = reply.header("etag").expect("an ETag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    etag
}

async fn conditional_get(api: &TestApi, target: &str, token: &str, tag: &str) -> Reply {
    let bearer = bearer(token);
    api.call(
        "GET",
        target,
        &[("authorization", &bearer), ("if-none-match", tag)],
        None,
    )
    .await
}

async fn put(
    api: &TestApi,
    target: &str,
    token: &str,
    if_match: Option<&str>,
    body: &str,
) -> Reply {
    let bearer = bearer(token);
    let mut headers = vec![("authorization", bearer.as_str())];
    if let Some(tag) = if_match {
        headers.push(("if-match", tag));
    }
    api.call("PUT", target, &headers, Some(body)).await
}

#[tokio::test]
async fn every_user_post_and_collection_page_has_an_etag_and_a_matching_if_none_match_is_a_304() {
    let api = TestApi::start().await;
    let (alice, token) = api.user_with_token("alice").await;
    let (bob, _) = api.user_with_token("bob").await;
    api.call(
        "PUT",
        &format!("/api/users/{alice}/followed/{bob}"),
        &[("authorization", &bearer(&token))],
        None,
    )
    .await;
    let post = api.post(&token, "Hello").await;
    api.settle_feeds().await;
    for target in [
        format!("/api/users/{alice}"),
        format!("/api/posts/{}", post["id"]),
        "/api/users".to_string(),
        "/api/users?page=1&per_page=1".to_string(),
        format!("/api/users/{bob}/followers"),
        format!("/api/users/{alice}/followed"),
        format!("/api/users/{alice}/posts"),
        "/api/feed".to_string(),
    ] {
        let first = api.get(&target, &token).await;
        let tag = etag(&first);
        assert_eq!(first.header("cache-control"), Some("private, no-cache"));
        assert_eq!(
            api.get(&target, &token).await.header("etag"),
            Some(tag.as_str()),
            "{target}: stable"
        );
        for matching in [
            tag.clone(),
            format!("W/{tag}"),
            format!("\"other\", {tag}"),
            "*".to_string(),
        ] {
            let again = conditional_get(&api, &target, &token, &matching).await;
            assert_eq!(again.status, 304, "{target} with {matching}");
            assert_eq!(again.body, "", "{target}: a 304 has no body");
            assert_eq!(again.header("etag"), Some(tag.as_str()));
        }
        let stale = conditional_get(&api, &target, &token, "\"not-the-tag\"").await;
        assert_eq!(stale.status, 200, "{target}");
        assert_eq!(stale.body, first.body);
    }
}

#[tokio::test]
async fn a_user_s_etag_changes_with_what_the_answer_shows_and_differs_by_viewer() {
    let api = TestApi::start().await;
    let (alice, alice_token) = api.user_with_token("alice").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let target = format!("/api/users/{alice}");
    let own = etag(&api.get(&target, &alice_token).await);
    let seen_by_bob = etag(&api.get(&target, &bob_token).await);
    assert_ne!(
        own, seen_by_bob,
        "bob's answer has no email, so another tag"
    );
    api.call(
        "PUT",
        &format!("/api/users/{bob}/followed/{alice}"),
        &[("authorization", &bearer(&bob_token))],
        None,
    )
    .await;
    let followed = conditional_get(&api, &target, &alice_token, &own).await;
    assert_eq!(followed.status, 200, "a new follower changes the answer");
    assert_eq!(followed.json()["follower_count"], 1);
    assert_ne!(etag(&followed), own);
}

#[tokio::test]
async fn a_profile_put_with_a_stale_if_match_is_a_412_and_changes_nothing() {
    let api = TestApi::start().await;
    let (alice, token) = api.user_with_token("alice").await;
    let target = format!("/api/users/{alice}");
    // Two devices read the profile.
    let read = etag(&api.get(&target, &token).await);
    let phone = put(
        &api,
        &target,
        &token,
        Some(&read),
        r#"{"about_me": "from the phone"}"#,
    )
    .await;
    let after_phone = etag(&phone);
    assert_eq!(
        api.get(&target, &token).await.header("etag"),
        Some(after_phone.as_str()),
        "the PUT's ETag is the GET's"
    );
    let laptop = put(
        &api,
        &target,
        &token,
        Some(&read),
        r#"{"about_me": "from the laptop"}"#,
    )
    .await;
    laptop.assert_error(412, "GET it again");
    assert_eq!(
        api.get(&target, &token).await.json()["about_me"],
        "from the phone"
    );
    // With the current tag, or *, or none at all, the change applies.
    let retried = put(
        &api,
        &target,
        &token,
        Some(&after_phone),
        r#"{"about_me": "from the laptop"}"#,
    )
    .await;
    assert_eq!(retried.json()["about_me"], "from the laptop");
    assert_eq!(
        put(&api, &target, &token, Some("*"), r#"{"about_me": "any"}"#)
            .await
            .status,
        200
    );
    assert_eq!(
        put(&api, &target, &token, None, r#"{"about_me": "none"}"#)
            .await
            .status,
        200
    );
    // A weak tag never matches (If-Match compares strongly).
    let current = etag(&api.get(&target, &token).await);
    put(&api, &target, &token, Some(&format!("W/{current}")), "{}")
        .await
        .assert_error(412, "");
}

#[tokio::test]
async fn a_new_follower_since_the_read_also_fails_the_precondition() {
    let api = TestApi::start().await;
    let (alice, token) = api.user_with_token("alice").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let target = format!("/api/users/{alice}");
    let read = etag(&api.get(&target, &token).await);
    api.call(
        "PUT",
        &format!("/api/users/{bob}/followed/{alice}"),
        &[("authorization", &bearer(&bob_token))],
        None,
    )
    .await;
    put(&api, &target, &token, Some(&read), r#"{"about_me": "x"}"#)
        .await
        .assert_error(412, "");
}

#[tokio::test]
async fn of_concurrent_puts_based_on_one_read_exactly_one_wins() {
    let api = Arc::new(TestApi::start().await);
    let (alice, token) = api.user_with_token("alice").await;
    let target = format!("/api/users/{alice}");
    let read = etag(&api.get(&target, &token).await);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (api, target, token, read) = (api.clone(), target.clone(), token.clone(), read.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({ "about_me": format!("device {i}") }).to_string();
            put(&api, &target, &token, Some(&read), &body).await
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().status);
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 412, 412, 412, 412, 412, 412, 412],
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_post_put_honours_if_match_and_answers_the_new_etag() {
    let api = Arc::new(TestApi::start().await);
    let (_, token) = api.user_with_token("alice").await;
    let post = api.post(&token, "first").await;
    let target = format!("/api/posts/{}", post["id"]);
    let read = etag(&api.get(&target, &token).await);
    let edited = put(&api, &target, &token, Some(&read), r#"{"body": "second"}"#).await;
    let after = etag(&edited);
    assert_eq!(
        api.get(&target, &token).await.header("etag"),
        Some(after.as_str())
    );
    put(&api, &target, &token, Some(&read), r#"{"body": "third"}"#)
        .await
        .assert_error(412, "GET it again");
    assert_eq!(api.get(&target, &token).await.json()["body"], "second");
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (api, target, token, after) =
            (api.clone(), target.clone(), token.clone(), after.clone());
        tasks.push(tokio::spawn(async move {
            put(
                &api,
                &target,
                &token,
                Some(&after),
                &json!({ "body": format!("edit {i}") }).to_string(),
            )
            .await
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412, 412, 412, 412, 412], "{statuses:?}");
}

#[tokio::test]
async fn over_http_a_304_has_the_etag_and_no_body() {
    let api = TestApi::start().await;
    let (alice, token) = api.user_with_token("alice").await;
    let base = api.serve_http().await;
    let bearer = bearer(&token);
    let target = format!("/api/users/{alice}");
    let first = http(&base, "GET", &target, &[("authorization", &bearer)], None).await;
    let tag = etag(&first);
    let again = http(
        &base,
        "GET",
        &target,
        &[("authorization", &bearer), ("if-none-match", &tag)],
        None,
    )
    .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.body, "");
    assert_eq!(again.header("etag"), Some(tag.as_str()));
}
