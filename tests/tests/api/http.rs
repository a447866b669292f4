//! The README walkthrough over real HTTP against the local server.

use microblog_tests::api::{bearer, http, TestApi};
use serde_json::json;

#[tokio::test]
async fn the_readme_walkthrough_works_over_http() {
    let api = TestApi::start().await;
    let base = api.serve_http().await;
    let created = http(&base, "POST", "/api/users", &[("content-type", "application/json")],
        Some(&json!({"username": "alice", "password": "dog-dog-dog", "email": "alice@example.com", "about_me": "Hello, my name is Alice!"}).to_string())).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("location"), Some("/api/users/1"));
    http(
        &base,
        "POST",
        "/api/users",
        &[],
        Some(
            &json!({"username": "bob", "password": "cat-cat-cat", "email": "bob@example.com"})
                .to_string(),
        ),
    )
    .await;

    let unauthorized = http(&base, "POST", "/api/tokens", &[], None).await;
    unauthorized.assert_error(401, "");
    assert_eq!(
        unauthorized.header("www-authenticate"),
        Some(r#"Basic realm="Authentication Required""#)
    );
    let basic = "Basic YWxpY2U6ZG9nLWRvZy1kb2c="; // alice:dog-dog-dog
    let token = http(
        &base,
        "POST",
        "/api/tokens",
        &[("authorization", basic)],
        None,
    )
    .await
    .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = bearer(&token);
    let auth = [("authorization", bearer.as_str())];

    let me = http(&base, "GET", "/api/users/1", &auth, None).await;
    assert_eq!(
        (me.status, me.header("content-type")),
        (200, Some("application/json"))
    );
    assert_eq!(me.json()["email"], "alice@example.com");
    let list = http(&base, "GET", "/api/users", &auth, None).await.json();
    assert_eq!(list["_meta"]["total_items"], 2);
    let updated = http(
        &base,
        "PUT",
        "/api/users/1",
        &auth,
        Some(r#"{"about_me": "Hi, I am Alice"}"#),
    )
    .await;
    assert_eq!(updated.json()["about_me"], "Hi, I am Alice");
    assert_eq!(
        http(&base, "PUT", "/api/users/1/followed/2", &auth, None)
            .await
            .status,
        204
    );
    let followers = http(&base, "GET", "/api/users/2/followers", &auth, None)
        .await
        .json();
    assert_eq!(followers["items"][0]["username"], "alice");
    let followed = http(&base, "GET", "/api/users/1/followed", &auth, None)
        .await
        .json();
    assert_eq!(followed["items"][0]["username"], "bob");
    assert_eq!(
        http(&base, "GET", "/api/users/1/followed/2", &auth, None)
            .await
            .status,
        204
    );
    assert_eq!(
        http(&base, "DELETE", "/api/users/1/followed/2", &auth, None)
            .await
            .status,
        204
    );
    http(&base, "GET", "/api/users/1/followed/2", &auth, None)
        .await
        .assert_error(404, "does not follow");
    assert_eq!(
        http(&base, "DELETE", "/api/tokens", &auth, None)
            .await
            .status,
        204
    );
    http(&base, "GET", "/api/users/1", &auth, None)
        .await
        .assert_error(401, "revoked");

    http(&base, "GET", "/nowhere", &[], None)
        .await
        .assert_error(404, "no route");
    let wrong = http(&base, "PATCH", "/api/users/1", &[], None).await;
    assert_eq!(wrong.header("allow"), Some("GET, PUT, DELETE"));
    let big = format!(r#"{{"username": "{}"}}"#, "x".repeat(20_000));
    http(&base, "POST", "/api/users", &[], Some(&big))
        .await
        .assert_error(413, "");
}
