//! Getting, using, revoking and expiring tokens.

use aws_sdk_dynamodb::types::AttributeValue;
use microblog_shared::auth::token_hash;
use microblog_shared::store::items::token_key;
use microblog_tests::api::TestApi;

#[tokio::test]
async fn basic_credentials_get_a_token_that_no_cache_may_keep() {
    let api = TestApi::start().await;
    api.create_user("susan", "password-1").await;
    let reply = api.token_reply("susan", "password-1").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let json = reply.json();
    let token = json["token"].as_str().unwrap().to_string();
    let (user, secret) = token.split_once('.').unwrap();
    assert_eq!(
        (user, secret.len()),
        ("1", 43),
        "<user id>.<secret>: {token}"
    );
    assert_eq!(json["expires_in"], 3600);
    assert_eq!(json["user_id"], 1);
    assert!(json["refresh_token"].as_str().unwrap().starts_with("1."));
    let mut fields: Vec<&String> = json.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        ["expires_in", "refresh_token", "token", "user_id"],
        "the token, and what a mobile app needs beside it: {}",
        reply.body
    );
    assert_eq!(api.get("/api/users/1", &token).await.status, 200);
}

#[tokio::test]
async fn the_username_of_basic_credentials_ignores_case() {
    let api = TestApi::start().await;
    api.create_user("Susan", "password-1").await;
    assert_eq!(api.token_reply("sUSAN", "password-1").await.status, 200);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_401() {
    let api = TestApi::start().await;
    api.create_user("susan", "password-1").await;
    let wrong = api.token_reply("susan", "password-2").await;
    let unknown = api.token_reply("nobody", "password-1").await;
    let malformed = api.token_reply("no body!", "password-1").await;
    for reply in [&wrong, &unknown, &malformed] {
        reply.assert_error(401, "invalid username or password");
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Basic realm="Authentication Required""#)
        );
    }
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn missing_or_malformed_basic_credentials_are_a_401_asking_for_basic() {
    let api = TestApi::start().await;
    for headers in [
        vec![],
        vec![("authorization", "Basic %%%")],
        vec![("authorization", "Bearer abc")],
    ] {
        let reply = api.call("POST", "/api/tokens", &headers, None).await;
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Basic realm="Authentication Required""#)
        );
    }
}

#[tokio::test]
async fn issuing_a_token_updates_last_seen() {
    let api = TestApi::start().await;
    let created = api.create_user("susan", "password-1").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token = api.token("susan", "password-1").await;
    let seen = api.get("/api/users/1", &token).await.json()["last_seen"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        seen.as_str() > created["last_seen"].as_str().unwrap(),
        "{seen} vs {}",
        created["last_seen"]
    );
}

#[tokio::test]
async fn every_login_gets_its_own_token_and_revoking_one_leaves_the_others() {
    let api = TestApi::start().await;
    api.create_user("susan", "password-1").await;
    let phone = api.token("susan", "password-1").await;
    let laptop = api.token("susan", "password-1").await;
    assert_ne!(phone, laptop);
    let revoked = api.revoke(&phone).await;
    assert_eq!(revoked.status, 204);
    assert_eq!(revoked.body, "");
    let reply = api.get("/api/users/1", &phone).await;
    reply.assert_error(401, "revoked");
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="Authentication Required""#)
    );
    assert_eq!(api.get("/api/users/1", &laptop).await.status, 200);
    let again = api.revoke(&phone).await;
    assert_eq!(again.status, 401, "a revoked token cannot revoke");
}

#[tokio::test]
async fn a_token_stops_working_when_it_expires() {
    let api = TestApi::start_with(&[("TOKEN_TTL_SECONDS", "1")]).await;
    api.create_user("susan", "password-1").await;
    let token = api.token("susan", "password-1").await;
    assert_eq!(api.get("/api/users/1", &token).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    api.get("/api/users/1", &token)
        .await
        .assert_error(401, "expired");
}

#[tokio::test]
async fn a_malformed_or_unknown_bearer_token_is_a_401() {
    let api = TestApi::start().await;
    api.create_user("susan", "password-1").await;
    for header in [
        "Bearer",
        "Bearer x",
        "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Basic c3VzYW46cGFzc3dvcmQtMQ==",
        "token",
    ] {
        let reply = api
            .call("GET", "/api/users/1", &[("authorization", header)], None)
            .await;
        assert_eq!(reply.status, 401, "{header}: {}", reply.body);
    }
}

#[tokio::test]
async fn the_table_keeps_only_a_hash_of_each_token_with_a_ttl() {
    let api = TestApi::start().await;
    api.create_user("susan", "password-1").await;
    let token = api.token("susan", "password-1").await;
    let item = api
        .client
        .get_item()
        .table_name(&api.table_name)
        .set_key(Some(token_key(&token_hash(&token))))
        .send()
        .await
        .unwrap()
        .item
        .expect("the token's hash is the key");
    let ttl: i64 = match &item["expires_at"] {
        AttributeValue::N(n) => n.parse().unwrap(),
        other => panic!("{other:?}"),
    };
    let in_an_hour = chrono::Utc::now().timestamp() + 3600;
    assert!((in_an_hour - 5..=in_an_hour + 5).contains(&ttl), "{ttl}");
    // A test-only Scan: no stored attribute holds the token itself.
    let everything = api
        .client
        .scan()
        .table_name(&api.table_name)
        .send()
        .await
        .unwrap();
    for item in everything.items() {
        assert!(!format!("{item:?}").contains(&token), "{item:?}");
    }
}

#[tokio::test]
async fn a_token_names_its_user_and_naming_another_breaks_it() {
    let api = TestApi::start().await;
    api.create_user("susan", "password-1").await;
    api.create_user("john", "password-2").await;
    let token = api.token("susan", "password-1").await;
    let secret = token.strip_prefix("1.").expect("susan is user 1");
    assert_eq!(api.get("/api/me", &token).await.status, 200);
    for forged in [format!("2.{secret}"), format!("3.{secret}"), secret.into()] {
        api.get("/api/me", &forged)
            .await
            .assert_error(401, "invalid, expired or revoked");
    }

    // A stored token whose record names another user than its text does is
    // refused too (the table, not the client, is wrong then).
    let mismatched = "2.a-token-whose-record-says-it-is-susans-0001";
    api.put_bare_token(mismatched, 1).await;
    api.get("/api/me", mismatched)
        .await
        .assert_error(401, "invalid, expired or revoked");
}

#[tokio::test]
async fn a_password_logs_in_typed_composed_or_decomposed() {
    let api = TestApi::start().await;
    let composed = "caf\u{e9}-au-lait";
    let decomposed = "cafe\u{301}-au-lait";
    api.create_user("susan", composed).await;
    assert_eq!(api.token_reply("susan", decomposed).await.status, 200);
    api.create_user("john", decomposed).await;
    assert_eq!(api.token_reply("john", composed).await.status, 200);
}

#[tokio::test]
async fn a_hash_made_before_passwords_were_normalised_works_and_is_made_again_in_nfc() {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let api = TestApi::start().await;
    let decomposed = "cafe\u{301}-au-lait";
    api.create_user("susan", "placeholder-password").await;
    // The hash an account made before the change holds: of the bytes typed.
    let old = argon2::Argon2::default()
        .hash_password(decomposed.as_bytes(), &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
    let profile =
        microblog_shared::store::items::user_key(microblog_shared::domain::UserId::new(1));
    api.client
        .update_item()
        .table_name(&api.table_name)
        .set_key(Some(profile.clone()))
        .update_expression("SET password_hash = :old")
        .expression_attribute_values(":old", AttributeValue::S(old.clone()))
        .send()
        .await
        .unwrap();
    // Typed as before, it logs in, and the hash is made again from NFC ...
    assert_eq!(api.token_reply("susan", decomposed).await.status, 200);
    let stored = api
        .client
        .get_item()
        .table_name(&api.table_name)
        .set_key(Some(profile))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_ne!(stored["password_hash"].as_s().unwrap(), &old);
    // ... so that it now logs in however it is typed.
    assert_eq!(
        api.token_reply("susan", "caf\u{e9}-au-lait").await.status,
        200
    );
    assert_eq!(api.token_reply("susan", decomposed).await.status, 200);
}
