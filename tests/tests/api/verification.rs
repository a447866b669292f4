//! Verified email addresses: every new account and every new address gets
//! a verification mail from the `send_mail` worker (through the table's
//! real stream); its code verifies the address once, and only while it is
//! still the account's.

use std::time::Duration;

use microblog_tests::api::{Reply, TestApi};
use microblog_tests::mail::{resets, verifications, Mail};
use serde_json::json;

async fn verify(api: &TestApi, code: &str) -> Reply {
    let body = json!({ "token": code }).to_string();
    api.call("POST", "/api/email-verifications", &[], Some(&body))
        .await
}

/// Verifies with the account's password too, as a changed address needs.
async fn verify_with(api: &TestApi, code: &str, password: &str) -> Reply {
    let body = json!({ "token": code, "password": password }).to_string();
    api.call("POST", "/api/email-verifications", &[], Some(&body))
        .await
}

/// The newest verification message to `email`, after running the workers.
async fn verification_to(api: &TestApi, email: &str) -> Mail {
    api.settle_feeds().await;
    verifications(&api.outbox)
        .into_iter()
        .rfind(|m| m.to == email)
        .unwrap_or_else(|| panic!("no verification mail to {email}"))
}

async fn verified(api: &TestApi, token: &str) -> bool {
    let me = api.get("/api/me", token).await;
    assert_eq!(me.status, 200, "{}", me.body);
    me.json()["email_verified"]
        .as_bool()
        .expect("email_verified in one's own representation")
}

#[tokio::test]
async fn a_new_account_s_verification_mail_verifies_its_address_once() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let mail = verification_to(&api, "susan@example.com").await;
    assert_eq!(mail.subject, "Confirm your email address for microblog");
    let code = mail.code();
    assert!(
        mail.text
            .contains(&format!("microblog://verify-email?token={code}")),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("within 48 hours"), "{}", mail.text);
    assert!(!verified(&api, &token).await);
    assert_eq!(verify(&api, &code).await.status, 204);
    assert!(verified(&api, &token).await);
    verify(&api, &code)
        .await
        .assert_error(400, "invalid, used or expired");
    // Others never see whether it is verified.
    let (_, john) = api.user_with_token("john").await;
    let seen = api.get(&format!("/api/users/{id}"), &john).await.json();
    assert!(seen.get("email_verified").is_none(), "{seen}");
}

#[tokio::test]
async fn a_new_address_is_unverified_and_a_code_for_the_old_one_stops_working() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let old_code = verification_to(&api, "susan@example.com").await.code();
    let change = json!({ "email": "susan@new.example.com" });
    let reply = api
        .send("PUT", &format!("/api/users/{id}"), &token, Some(change))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let new_code = verification_to(&api, "susan@new.example.com").await.code();
    verify_with(&api, &old_code, "password-123")
        .await
        .assert_error(400, "invalid, used or expired");
    assert!(!verified(&api, &token).await);
    assert_eq!(
        verify_with(&api, &new_code, "password-123").await.status,
        204
    );
    assert!(verified(&api, &token).await);
    // Changing it again makes it unverified again.
    let change = json!({ "email": "susan@third.example.com" });
    let reply = api
        .send("PUT", &format!("/api/users/{id}"), &token, Some(change))
        .await;
    assert_eq!(reply.json()["email_verified"], false);
    assert!(!verified(&api, &token).await);
}

#[tokio::test]
async fn a_verification_mail_is_sent_again_on_request_for_oneself_within_a_limit() {
    let api = TestApi::start_with(&[("RATE_LIMIT_VERIFICATION_RESENDS", "2")]).await;
    let (id, token) = api.user_with_token("susan").await;
    let (other, _) = api.user_with_token("john").await;
    let path = format!("/api/users/{id}/email-verification");
    let reply = api.authorized("POST", &path, &token).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.json()["email"], "susan@example.com");
    api.authorized(
        "POST",
        &format!("/api/users/{other}/email-verification"),
        &token,
    )
    .await
    .assert_error(403, "your own address");
    assert_eq!(api.authorized("POST", &path, &token).await.status, 202);
    let refused = api.authorized("POST", &path, &token).await;
    refused.assert_error(429, "too many verification mails");
    assert!(refused.header("retry-after").is_some());
    api.settle_feeds().await;
    let mail: Vec<Mail> = verifications(&api.outbox)
        .into_iter()
        .filter(|m| m.to == "susan@example.com")
        .collect();
    assert_eq!(mail.len(), 3, "the sign-up's and two resends");
    assert_eq!(verify(&api, &mail[1].code()).await.status, 204);
    api.authorized("POST", &path, &token)
        .await
        .assert_error(409, "verified already");
}

#[tokio::test]
async fn a_verification_code_stops_working_when_it_expires() {
    let api = TestApi::start_with(&[("VERIFY_TOKEN_TTL_SECONDS", "1")]).await;
    let (_, token) = api.user_with_token("susan").await;
    let code = verification_to(&api, "susan@example.com").await.code();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    verify(&api, &code)
        .await
        .assert_error(400, "invalid, used or expired");
    assert!(!verified(&api, &token).await);
}

#[tokio::test]
async fn a_verification_code_is_no_reset_code_and_a_reset_code_no_verification_code() {
    let api = TestApi::start().await;
    let (_, token) = api.user_with_token("susan").await;
    let verification = verification_to(&api, "susan@example.com").await.code();
    let body = json!({ "email": "susan@example.com" }).to_string();
    api.call("POST", "/api/tokens/reset", &[], Some(&body))
        .await;
    api.settle_feeds().await;
    let reset = resets(&api.outbox)[0].code();
    verify(&api, &reset)
        .await
        .assert_error(400, "invalid, used or expired");
    let body = json!({ "token": verification, "new_password": "a-new-passphrase-1" }).to_string();
    api.call("PUT", "/api/tokens/reset", &[], Some(&body))
        .await
        .assert_error(400, "invalid, used or expired");
    assert!(!verified(&api, &token).await);
    api.token("susan", "password-123").await;
    if let Err(problems) =
        microblog_tests::invariants::check(&api.client, &api.table_name, None).await
    {
        panic!("{problems:#?}");
    }
}

#[tokio::test]
async fn a_stolen_token_cannot_make_a_changed_address_receive_password_resets() {
    let api = TestApi::start_with(&[("RATE_LIMIT_LOGIN_FAILURES", "3")]).await;
    let (id, token) = api.user_with_token("susan").await;
    // The thief, holding only the access token, moves the address to theirs
    // and receives its code.
    let change = json!({ "email": "thief@example.net" });
    let reply = api
        .send("PUT", &format!("/api/users/{id}"), &token, Some(change))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let code = verification_to(&api, "thief@example.net").await.code();
    verify(&api, &code)
        .await
        .assert_error(400, "send the account's password");
    for _ in 0..3 {
        verify_with(&api, &code, "a-guess-at-it-1")
            .await
            .assert_error(403, "the password is wrong");
    }
    // Guessing counts against the login limits.
    verify_with(&api, &code, "password-123")
        .await
        .assert_error(429, "too many wrong passwords");
    assert!(!verified(&api, &token).await);
    let body = json!({ "email": "thief@example.net" }).to_string();
    api.call("POST", "/api/tokens/reset", &[], Some(&body))
        .await;
    api.settle_feeds().await;
    assert!(resets(&api.outbox).is_empty(), "no reset goes to the thief");
}

#[tokio::test]
async fn the_owner_verifies_a_changed_address_with_the_password_and_resets_go_there() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let change = json!({ "email": "susan@new.example.com" });
    api.send("PUT", &format!("/api/users/{id}"), &token, Some(change))
        .await;
    let code = verification_to(&api, "susan@new.example.com").await.code();
    assert_eq!(verify_with(&api, &code, "password-123").await.status, 204);
    assert!(verified(&api, &token).await);
    let body = json!({ "email": "susan@new.example.com" }).to_string();
    api.call("POST", "/api/tokens/reset", &[], Some(&body))
        .await;
    api.settle_feeds().await;
    assert_eq!(resets(&api.outbox).len(), 1);
}
