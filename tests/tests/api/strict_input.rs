//! Strict input: only JSON bodies, each key once, no control characters or
//! bidi overrides in text, no blank or common passwords.

use microblog_tests::api::{bearer, http, TestApi};
use serde_json::json;

fn registration(password: &str) -> String {
    json!({"username": "alice", "email": "alice@example.com", "password": password}).to_string()
}

#[tokio::test]
async fn a_body_not_sent_as_json_is_a_415_on_every_route_that_reads_one() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let post = api.post(&token, "first").await["id"].as_u64().unwrap();
    let bearer = bearer(&token);
    let base = api.serve_http().await;
    let body = r#"{"username": "mallory", "email": "m@example.com", "password": "long-enough-1", "body": "x"}"#;
    for (method, path) in [
        ("POST", "/api/users".to_string()),
        ("PUT", format!("/api/users/{id}")),
        ("POST", "/api/posts".to_string()),
        ("PUT", format!("/api/posts/{post}")),
    ] {
        // What a cross-site page can send without a CORS preflight.
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            let reply = http(
                &base,
                method,
                &path,
                &[("content-type", content_type), ("authorization", &bearer)],
                Some(body),
            )
            .await;
            reply.assert_error(415, "Content-Type: application/json");
        }
    }
    // Nothing was created by any of them.
    assert_eq!(
        api.get("/api/users", &token).await.json()["_meta"]["total_items"],
        1
    );
    let typed = http(
        &base,
        "POST",
        "/api/users",
        &[("content-type", "application/json; charset=utf-8")],
        Some(&registration("long-enough-1")),
    )
    .await;
    assert_eq!(typed.status, 201, "{}", typed.body);
}

#[tokio::test]
async fn a_key_sent_twice_is_a_400_not_the_last_one_wins() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let twice = r#"{"username": "alice", "username": "admin", "email": "a@example.com", "password": "long-enough-1"}"#;
    api.call("POST", "/api/users", &[], Some(twice))
        .await
        .assert_error(400, "has the key \"username\" more than once");
    let reply = api
        .call(
            "PUT",
            &format!("/api/users/{id}"),
            &[("authorization", &bearer(&token))],
            Some(r#"{"about_me": "a", "about_me": "b"}"#),
        )
        .await;
    reply.assert_error(400, "more than once");
}

#[tokio::test]
async fn control_characters_and_bidi_overrides_in_about_me_and_posts_are_a_400() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let bearer = bearer(&token);
    for (text, rule) in [
        ("nul\u{0}here", "control characters"),
        ("\u{1b}[2J\u{1b}[31mred", "control characters"),
        ("cr\rhere", "control characters"),
        ("harmless \u{202E}txt.exe", "bidirectional"),
        ("\u{2066}isolated\u{2069}", "bidirectional"),
    ] {
        let about = api
            .call(
                "PUT",
                &format!("/api/users/{id}"),
                &[("authorization", &bearer)],
                Some(&json!({ "about_me": text }).to_string()),
            )
            .await;
        about.assert_error(400, rule);
        assert!(about.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("about_me "));
        let post = api
            .call(
                "POST",
                "/api/posts",
                &[("authorization", &bearer)],
                Some(&json!({ "body": text }).to_string()),
            )
            .await;
        post.assert_error(400, rule);
    }
    let multi_line = api
        .call(
            "PUT",
            &format!("/api/users/{id}"),
            &[("authorization", &bearer)],
            Some(&json!({ "about_me": "line one\nline two" }).to_string()),
        )
        .await;
    assert_eq!(multi_line.status, 200, "{}", multi_line.body);
}

#[tokio::test]
async fn a_blank_or_common_password_is_a_400_saying_why() {
    let api = TestApi::start().await;
    for blank in ["        ", &"\u{200b}".repeat(10)] {
        api.call("POST", "/api/users", &[], Some(&registration(blank)))
            .await
            .assert_error(400, "password must have at least one visible character");
    }
    for common in [
        "password",
        "Password1",
        "iloveyou",
        "qwertyuiop",
        "1q2w3e4r5t",
        "password123",
        "P@ssw0rd",
        "Welcome123",
        "iloveyou123",
    ] {
        api.call("POST", "/api/users", &[], Some(&registration(common)))
            .await
            .assert_error(400, "most common passwords");
    }
    api.call("POST", "/api/users", &[], Some(&registration("00000000")))
        .await
        .assert_error(400, "one character repeated");
    api.call(
        "POST",
        "/api/users",
        &[],
        Some(&registration("tab\tin-the-middle")),
    )
    .await
    .assert_error(400, "password may not contain control characters");
    assert_eq!(
        api.call(
            "POST",
            "/api/users",
            &[],
            Some(&registration("not-in-any-list-7"))
        )
        .await
        .status,
        201
    );
}
