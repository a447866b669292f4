//! Registration, reading and updating users.

use std::sync::Arc;

use microblog_tests::api::TestApi;
use serde_json::json;

async fn create(api: &TestApi, body: serde_json::Value) -> microblog_tests::api::Reply {
    api.call("POST", "/api/users", &[], Some(&body.to_string()))
        .await
}

#[tokio::test]
async fn creating_a_user_returns_201_with_its_location_and_email() {
    let api = TestApi::start().await;
    let reply = create(&api, json!({"username": "susan", "email": "susan@example.com", "password": "dog-dog-dog", "about_me": "Hello!"})).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.header("location"), Some("/api/users/1"));
    let user = reply.json();
    assert_eq!(user["id"], 1);
    assert_eq!(user["username"], "susan");
    assert_eq!(user["email"], "susan@example.com");
    assert_eq!(user["about_me"], "Hello!");
    assert_eq!(
        (
            user["post_count"].clone(),
            user["follower_count"].clone(),
            user["followed_count"].clone()
        ),
        (json!(0), json!(0), json!(0))
    );
    assert!(user["last_seen"].as_str().unwrap().ends_with('Z'));
    assert_eq!(user["_links"]["self"], "/api/users/1");
    assert_eq!(
        user["_links"]["avatar"],
        "https://www.gravatar.com/avatar/f3fc30174d7fd74ab6ca3c36d198fcb9?d=identicon&s=128"
    );
    assert!(
        !reply.body.contains("password") && !reply.body.contains("argon2"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn ids_count_up_from_one() {
    let api = TestApi::start().await;
    assert_eq!(api.create_user("first", "password-1").await["id"], 1);
    assert_eq!(api.create_user("second", "password-2").await["id"], 2);
}

#[tokio::test]
async fn a_registration_missing_a_field_is_a_400_naming_the_required_fields() {
    let api = TestApi::start().await;
    for body in [
        json!({"email": "a@example.com", "password": "password-1"}),
        json!({"username": "alice", "password": "password-1"}),
        json!({"username": "alice", "email": "a@example.com"}),
        json!({"username": null, "email": "a@example.com", "password": "password-1"}),
        json!({}),
    ] {
        create(&api, body)
            .await
            .assert_error(400, "must include username, email and password fields");
    }
}

#[tokio::test]
async fn a_registration_breaking_a_rule_is_a_400_saying_which() {
    let api = TestApi::start().await;
    let base = json!({"username": "alice", "email": "alice@example.com", "password": "password-1"});
    for (field, value, part) in [
        ("username", json!("ab"), "username"),
        ("username", json!("9lives"), "username"),
        ("username", json!("al ice"), "username"),
        ("username", json!(42), "username must be a string"),
        ("email", json!("not-an-email"), "email"),
        (
            "email",
            json!(format!("{}@example.com", "a".repeat(115))),
            "120",
        ),
        ("password", json!("short"), "password"),
        ("password", json!("p".repeat(1025)), "password"),
        ("about_me", json!("x".repeat(141)), "about_me"),
        ("about_me", json!(["list"]), "about_me"),
    ] {
        let mut body = base.clone();
        body[field] = value;
        create(&api, body).await.assert_error(400, part);
    }
}

#[tokio::test]
async fn a_taken_username_or_email_is_refused_whatever_its_case() {
    let api = TestApi::start().await;
    api.create_user("susan", "password-1").await;
    create(
        &api,
        json!({"username": "SUSAN", "email": "other@example.com", "password": "password-1"}),
    )
    .await
    .assert_error(400, "please use a different username");
    create(
        &api,
        json!({"username": "other", "email": "Susan@Example.COM", "password": "password-1"}),
    )
    .await
    .assert_error(400, "please use a different email address");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_creates_of_one_username_give_one_201_and_fifteen_400s() {
    let api = Arc::new(TestApi::start().await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let api = api.clone();
        tasks.spawn(async move {
            let body = json!({"username": "racer", "email": format!("racer{i}@example.com"), "password": "password-1"});
            api.call("POST", "/api/users", &[], Some(&body.to_string())).await
        });
    }
    let mut statuses = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        let reply = reply.unwrap();
        if reply.status == 400 {
            reply.assert_error(400, "please use a different username");
        }
        statuses.push(reply.status);
    }
    statuses.sort();
    assert_eq!(statuses, [vec![201], vec![400; 15]].concat());
    let (_, token) = api.user_with_token("watcher").await;
    assert_eq!(
        api.get("/api/users", &token).await.json()["_meta"]["total_items"],
        2
    );
}

#[tokio::test]
async fn a_user_sees_their_own_email_but_not_anyone_elses() {
    let api = TestApi::start().await;
    let (susan, token) = api.user_with_token("susan").await;
    let john = api.create_user("john", "password-1").await["id"]
        .as_u64()
        .unwrap();
    let me = api.get(&format!("/api/users/{susan}"), &token).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["email"], "susan@example.com");
    let other = api.get(&format!("/api/users/{john}"), &token).await;
    assert_eq!(other.status, 200);
    assert_eq!(other.json()["username"], "john");
    assert!(other.json().get("email").is_none(), "{}", other.body);
}

#[tokio::test]
async fn an_unknown_or_malformed_user_id_is_a_404() {
    let api = TestApi::start().await;
    let (_, token) = api.user_with_token("susan").await;
    for path in [
        "/api/users/999",
        "/api/users/0",
        "/api/users/abc",
        "/api/users/-1",
        "/api/users/1.5",
        "/api/users/01",
        "/api/users/0001/followers",
    ] {
        api.get(path, &token).await.assert_error(404, "no user");
    }
}

#[tokio::test]
async fn reading_a_user_needs_a_token_even_for_an_unknown_id() {
    let api = TestApi::start().await;
    for path in ["/api/users/1", "/api/users/abc"] {
        let reply = api.call("GET", path, &[], None).await;
        reply.assert_error(401, "token");
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="Authentication Required""#)
        );
    }
}

async fn put(api: &TestApi, id: u64, token: &str, body: &str) -> microblog_tests::api::Reply {
    api.send_text("PUT", &format!("/api/users/{id}"), token, Some(body))
        .await
}

#[tokio::test]
async fn a_user_updates_their_own_profile_and_other_fields_are_ignored() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let reply = put(&api, id, &token, &json!({"about_me": "Hi, I am Susan", "id": 99, "post_count": 1000, "password": "ignored-pw"}).to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = reply.json();
    assert_eq!(
        (
            user["id"].clone(),
            user["about_me"].clone(),
            user["post_count"].clone()
        ),
        (json!(id), json!("Hi, I am Susan"), json!(0))
    );
    assert_eq!(user["email"], "susan@example.com");
    assert_eq!(
        api.token_reply("susan", "ignored-pw").await.status,
        401,
        "password must not change"
    );
    let cleared = put(&api, id, &token, r#"{"about_me": null}"#).await;
    assert_eq!(cleared.json()["about_me"], serde_json::Value::Null);
}

#[tokio::test]
async fn updating_someone_else_is_forbidden() {
    let api = TestApi::start().await;
    let (_, token) = api.user_with_token("susan").await;
    let john = api.create_user("john", "password-1").await["id"]
        .as_u64()
        .unwrap();
    put(&api, john, &token, r#"{"about_me": "hacked"}"#)
        .await
        .assert_error(403, "own profile");
    put(&api, 999, &token, r#"{"about_me": "x"}"#)
        .await
        .assert_error(403, "own profile");
}

#[tokio::test]
async fn a_rename_frees_the_old_name_and_takes_the_new_one() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let renamed = put(
        &api,
        id,
        &token,
        r#"{"username": "suzy", "email": "suzy@example.com"}"#,
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.json()["username"], "suzy");
    assert_eq!(renamed.json()["email"], "suzy@example.com");
    // The old name and address are free again; the new ones are taken.
    api.create_user("susan", "password-1").await;
    let body = json!({"username": "SUZY", "email": "new@example.com", "password": "password-1"});
    api.call("POST", "/api/users", &[], Some(&body.to_string()))
        .await
        .assert_error(400, "different username");
    let body = json!({"username": "other", "email": "SUZY@example.com", "password": "password-1"});
    api.call("POST", "/api/users", &[], Some(&body.to_string()))
        .await
        .assert_error(400, "different email");
    // The user logs in under the new name only.
    assert_eq!(api.token_reply("suzy", "password-123").await.status, 200);
}

#[tokio::test]
async fn renaming_to_a_taken_name_or_email_is_a_400_and_changes_nothing() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    api.create_user("john", "password-1").await;
    put(&api, id, &token, r#"{"username": "John", "about_me": "x"}"#)
        .await
        .assert_error(400, "please use a different username");
    put(&api, id, &token, r#"{"email": "JOHN@example.com"}"#)
        .await
        .assert_error(400, "please use a different email address");
    let me = api.get(&format!("/api/users/{id}"), &token).await.json();
    assert_eq!(
        (
            me["username"].clone(),
            me["email"].clone(),
            me["about_me"].clone()
        ),
        (json!("susan"), json!("susan@example.com"), json!(null))
    );
}

#[tokio::test]
async fn changing_only_the_case_of_your_own_name_or_email_is_allowed() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let reply = put(
        &api,
        id,
        &token,
        r#"{"username": "Susan", "email": "SUSAN@example.com"}"#,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["username"], "Susan");
    let same = put(&api, id, &token, r#"{"username": "Susan"}"#).await;
    assert_eq!(same.status, 200, "{}", same.body);
}

#[tokio::test]
async fn an_update_breaking_a_rule_is_a_400() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    for (body, part) in [
        (r#"{"username": "x"}"#, "username"),
        (r#"{"email": "nope"}"#, "email"),
        (r#"{"about_me": 5}"#, "about_me"),
        ("[1, 2]", "JSON object"),
        ("not json", "not valid JSON"),
        ("", "JSON object"),
    ] {
        put(&api, id, &token, body).await.assert_error(400, part);
    }
    let big = json!({"about_me": "x".repeat(17 * 1024)}).to_string();
    put(&api, id, &token, &big).await.assert_error(413, "16384");
}

#[tokio::test]
async fn a_body_of_exactly_16_kib_is_read_and_one_byte_more_is_a_413() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let pad = |len: usize| {
        let skeleton = r#"{"about_me": "hi", "pad": ""}"#;
        format!(
            r#"{{"about_me": "hi", "pad": "{}"}}"#,
            "x".repeat(len - skeleton.len())
        )
    };
    let exact = pad(16 * 1024);
    assert_eq!(exact.len(), 16 * 1024);
    assert_eq!(put(&api, id, &token, &exact).await.status, 200);
    put(&api, id, &token, &pad(16 * 1024 + 1))
        .await
        .assert_error(413, "at most");
    let reply = api
        .call("POST", "/api/users", &[], Some(&pad(16 * 1024 + 1)))
        .await;
    reply.assert_error(413, "at most");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_renames_and_a_create_of_one_name_exactly_one_wins() {
    let api = Arc::new(TestApi::start().await);
    let mut renamers = Vec::new();
    for i in 0..6 {
        renamers.push(api.user_with_token(&format!("renamer{i}")).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (id, token) in renamers.clone() {
        let api = api.clone();
        tasks.spawn(async move {
            put(&api, id, &token, r#"{"username": "prize"}"#)
                .await
                .status
        });
    }
    let creator = api.clone();
    tasks.spawn(async move {
        let body =
            json!({"username": "Prize", "email": "prize@example.com", "password": "password-1"});
        match creator
            .call("POST", "/api/users", &[], Some(&body.to_string()))
            .await
            .status
        {
            201 => 200,
            other => other,
        }
    });
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [vec![200], vec![400; 6]].concat());
    // Whoever won, exactly one user is called prize, and its marker is its own.
    let (_, token) = renamers[0].clone();
    let list = api.get("/api/users?per_page=100", &token).await.json();
    let prizes: Vec<&serde_json::Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["username"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("prize")
        })
        .collect();
    assert_eq!(prizes.len(), 1);
}
