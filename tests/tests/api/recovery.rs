//! Password reset by email: the request, the mail the `send_mail` worker
//! sends from the table's real stream (to the outbox directory, or to an
//! SMTP server), and the code that sets a new password once.

use std::time::Duration;

use microblog_local::stream::StreamWorker;
use microblog_tests::api::{http, TestApi};
use microblog_tests::invariants;
use microblog_tests::mail::{pending_jobs, resets, verifications, Mail, SmtpCatcher};
use microblog_tests::recorder::Used;
use serde_json::{json, Value};

const ACCEPTED: &str = "if an account has this address, a reset code is on its way to it";

async fn request_reset(api: &TestApi, email: &str) -> microblog_tests::api::Reply {
    let body = json!({ "email": email }).to_string();
    api.call("POST", "/api/tokens/reset", &[], Some(&body))
        .await
}

async fn reset(api: &TestApi, code: &str, new_password: &str) -> microblog_tests::api::Reply {
    let body = json!({ "token": code, "new_password": new_password }).to_string();
    api.call("PUT", "/api/tokens/reset", &[], Some(&body)).await
}

/// Asks for a reset for `email`, runs the stream workers, and returns the
/// one new reset message of the outbox.
async fn mailed_reset(api: &TestApi, email: &str) -> Mail {
    let before = resets(&api.outbox).len();
    let reply = request_reset(api, email).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    api.settle_feeds().await;
    let mail = resets(&api.outbox);
    assert_eq!(mail.len(), before + 1, "one new reset message");
    mail.into_iter()
        .find(|m| m.to.to_lowercase().contains(&email.to_lowercase()))
        .expect("a message to the address")
}

/// Asserts every invariant of the table holds, codes and pointers included.
async fn assert_invariants(api: &TestApi) {
    if let Err(problems) = invariants::check(&api.client, &api.table_name, None).await {
        panic!("{problems:#?}");
    }
}

/// Waits (a hang guard of 30 s, not a timing requirement) until the outbox
/// holds `count` reset messages, the worker running in the background.
async fn wait_for_resets(api: &TestApi, count: usize) -> Vec<Mail> {
    for _ in 0..600 {
        let mail = resets(&api.outbox);
        if mail.len() >= count {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{count} reset messages never arrived");
}

#[tokio::test]
async fn a_mailed_reset_code_sets_a_new_password_once_and_ends_every_session() {
    let api = TestApi::start().await;
    let (_, token) = api.user_with_token("susan").await;
    let mail = mailed_reset(&api, "susan@example.com").await;
    assert_eq!(mail.subject, "Reset your microblog password");
    let code = mail.code();
    assert!(
        mail.text
            .contains(&format!("microblog://reset-password?token={code}")),
        "{}",
        mail.text
    );
    assert!(
        mail.html.contains(&code) && mail.html.contains("susan"),
        "{}",
        mail.html
    );
    assert!(mail.text.contains("within 15 minutes"), "{}", mail.text);

    let done = reset(&api, &code, "a-new-passphrase-1").await;
    assert_eq!(done.status, 204, "{}", done.body);
    api.get("/api/users/1", &token).await.assert_error(401, "");
    api.token_reply("susan", "password-123")
        .await
        .assert_error(401, "");
    api.token("susan", "a-new-passphrase-1").await;

    // Once only, and nothing changes.
    reset(&api, &code, "another-passphrase-2")
        .await
        .assert_error(400, "invalid, used or expired");
    api.token("susan", "a-new-passphrase-1").await;
    assert_invariants(&api).await;
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_the_same_calls_and_no_message() {
    let api = TestApi::start().await;
    api.user_with_token("susan").await;
    let ask = |email: &str| json!({ "email": email }).to_string();
    let (known, known_calls) = api
        .call_recorded(
            "POST",
            "/api/tokens/reset",
            &[],
            Some(&ask("susan@example.com")),
        )
        .await;
    let (unknown, unknown_calls) = api
        .call_recorded(
            "POST",
            "/api/tokens/reset",
            &[],
            Some(&ask("nobody@example.com")),
        )
        .await;
    assert_eq!((known.status, unknown.status), (202, 202));
    assert_eq!(known.body, unknown.body);
    assert_eq!(known.json()["message"], ACCEPTED);
    let actions = |calls: &[Used]| -> Vec<String> {
        calls
            .iter()
            .filter(|u| matches!(u, Used::Access(_)))
            .map(ToString::to_string)
            .collect()
    };
    assert_eq!(actions(&known_calls), actions(&unknown_calls));
    api.settle_feeds().await;
    let mail = resets(&api.outbox);
    assert_eq!(mail.len(), 1, "only the known address gets mail");
    assert_eq!(mail[0].to, "susan@example.com");
    assert!(
        pending_jobs(&api.client, &api.table_name).await == 0,
        "no job is left behind either way"
    );
}

#[tokio::test]
async fn a_reset_code_stops_working_when_it_expires() {
    let api = TestApi::start_with(&[("RESET_TOKEN_TTL_SECONDS", "1")]).await;
    api.user_with_token("susan").await;
    let code = mailed_reset(&api, "susan@example.com").await.code();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    reset(&api, &code, "a-new-passphrase-1")
        .await
        .assert_error(400, "invalid, used or expired");
    api.token("susan", "password-123").await;
}

#[tokio::test]
async fn a_redelivered_mail_job_sends_nothing_again_and_the_code_still_works() {
    let api = TestApi::start().await;
    api.user_with_token("susan").await;
    let code = mailed_reset(&api, "susan@example.com").await.code();
    // The whole stream again, as a redelivery from the oldest record.
    let mut again = api.new_poller_for(StreamWorker::named("send_mail")).await;
    assert!(
        again.poll_once(&api.app).await.unwrap() > 0,
        "records read again"
    );
    assert_eq!(resets(&api.outbox).len(), 1);
    assert_eq!(reset(&api, &code, "a-new-passphrase-1").await.status, 204);
}

#[tokio::test]
async fn a_new_code_voids_the_one_before_when_a_job_is_retried_after_a_crash() {
    use microblog_shared::domain::{CodeGrant, MailJob, MailKind, UserId};
    let api = TestApi::start().await;
    api.user_with_token("susan").await;
    // A job whose first delivery issued a code and died before sending.
    api.app
        .mail
        .request(
            "crashed-job",
            MailKind::PasswordReset,
            "susan@example.com",
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let user = api
        .app
        .users
        .get(UserId::new(1), microblog_shared::store::Read::Strong)
        .await
        .unwrap()
        .unwrap();
    let first = "first-code-issued-before-the-crash-00000001";
    let job = MailJob {
        id: "crashed-job".into(),
        kind: MailKind::PasswordReset,
        email: user.email.clone(),
        user_id: None,
        code_hash: None,
    };
    let grant = CodeGrant {
        purpose: MailKind::PasswordReset,
        code_hash: microblog_shared::store::items::sha256_hex(first),
        user_id: user.id,
        email: user.email.clone(),
        session_epoch: user.session_epoch,
        expires_at: chrono::Utc::now().timestamp() + 600,
    };
    api.app.mail.issue_code(&job, &grant).await.unwrap();
    api.settle_feeds().await;
    let mail = wait_for_resets(&api, 1).await;
    assert_ne!(mail[0].code(), first);
    reset(&api, first, "a-new-passphrase-1")
        .await
        .assert_error(400, "invalid, used or expired");
    assert_eq!(
        reset(&api, &mail[0].code(), "a-new-passphrase-1")
            .await
            .status,
        204
    );
    assert_invariants(&api).await;
}

#[tokio::test]
async fn a_changed_address_gets_no_reset_mail_until_it_is_verified() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let change = json!({ "email": "susan@new.example.com" });
    let reply = api
        .send("PUT", &format!("/api/users/{id}"), &token, Some(change))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["email_verified"], false);
    assert_eq!(
        request_reset(&api, "susan@new.example.com").await.status,
        202
    );
    api.settle_feeds().await;
    assert!(resets(&api.outbox).is_empty());
    // Verified, it gets them.
    let verification = verifications(&api.outbox)
        .into_iter()
        .find(|m| m.to == "susan@new.example.com")
        .expect("the new address's verification mail");
    let body = json!({ "token": verification.code(), "password": "password-123" }).to_string();
    let verified = api
        .call("POST", "/api/email-verifications", &[], Some(&body))
        .await;
    assert_eq!(verified.status, 204, "{}", verified.body);
    assert_eq!(
        mailed_reset(&api, "susan@new.example.com").await.to,
        "susan@new.example.com"
    );
    // A change of case only is the same address.
    let (id, token) = api.user_with_token("john").await;
    let change = json!({ "email": "John@Example.com" });
    api.send("PUT", &format!("/api/users/{id}"), &token, Some(change))
        .await;
    assert_eq!(
        mailed_reset(&api, "john@example.com").await.to,
        "John@Example.com"
    );
}

#[tokio::test]
async fn a_password_changed_after_the_mail_voids_its_code() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let code = mailed_reset(&api, "susan@example.com").await.code();
    let change = json!({ "old_password": "password-123", "new_password": "changed-meanwhile-1" });
    let reply = api
        .send(
            "PUT",
            &format!("/api/users/{id}/password"),
            &token,
            Some(change),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    reset(&api, &code, "a-new-passphrase-1")
        .await
        .assert_error(400, "invalid, used or expired");
    api.token("susan", "changed-meanwhile-1").await;
}

#[tokio::test]
async fn a_suspended_account_gets_no_reset_mail() {
    let api = TestApi::start().await;
    let (id, _) = api.user_with_token("mallory").await;
    let (_, reporter) = api.user_with_token("john").await;
    let (_, moderator) = api.moderator_with_token("susan").await;
    let report = api
        .report(&reporter, json!({ "user_id": id, "reason": "spam" }))
        .await;
    assert_eq!(report.status, 201, "{}", report.body);
    let decision = json!({ "status": "resolved", "action": "suspend_user" });
    let report_id = report.json()["id"].as_u64().unwrap();
    let reply = api.decide(report_id, &moderator, decision).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(request_reset(&api, "mallory@example.com").await.status, 202);
    api.settle_feeds().await;
    assert!(resets(&api.outbox).is_empty());
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field_and_reads_nothing() {
    let api = TestApi::start().await;
    for (body, message) in [
        (json!({}), "must include email"),
        (
            json!({ "email": "not-an-address" }),
            "email must be a valid address",
        ),
        (json!({ "email": 7 }), "email"),
    ] {
        let (reply, calls) = api
            .call_recorded("POST", "/api/tokens/reset", &[], Some(&body.to_string()))
            .await;
        reply.assert_error(400, message);
        assert!(calls.is_empty(), "{body}: {calls:?}");
    }
    for (body, message) in [
        (
            json!({ "new_password": "long-enough-1" }),
            "must include token and new_password",
        ),
        (
            json!({ "token": "short", "new_password": "long-enough-1" }),
            "token is not a code from our email",
        ),
        (
            json!({ "token": "a".repeat(43), "new_password": "short" }),
            "new_password must be 8 to 1024 characters long",
        ),
    ] {
        let (reply, calls) = api
            .call_recorded("PUT", "/api/tokens/reset", &[], Some(&body.to_string()))
            .await;
        reply.assert_error(400, message);
        assert!(calls.is_empty(), "{body}: {calls:?}");
    }
    reset(&api, &"a".repeat(43), "long-enough-1")
        .await
        .assert_error(400, "invalid, used or expired");
}

#[tokio::test]
async fn reset_requests_are_limited_per_email_and_per_client_even_all_at_once() {
    let api = TestApi::start_with(&[
        ("RATE_LIMIT_RESETS_PER_EMAIL", "3"),
        ("RATE_LIMIT_RESETS_PER_ADDRESS", "5"),
    ])
    .await;
    let replies =
        futures_util::future::join_all((0..12).map(|_| request_reset(&api, "susan@example.com")))
            .await;
    let accepted = replies.iter().filter(|r| r.status == 202).count();
    assert_eq!(accepted, 3, "exactly the limit gets through at once");
    let refused = replies.iter().find(|r| r.status == 429).expect("a 429");
    refused.assert_error(429, "for this email address");
    assert!(refused.header("retry-after").is_some());
    // The client has 2 left of its 5, whatever the addresses.
    assert_eq!(request_reset(&api, "a@example.com").await.status, 202);
    assert_eq!(request_reset(&api, "b@example.com").await.status, 202);
    request_reset(&api, "c@example.com")
        .await
        .assert_error(429, "from your address");
    // Another client may still ask for other addresses.
    let body = json!({ "email": "d@example.com" }).to_string();
    let (reply, _) = api
        .call_from(
            "198.51.100.9",
            "POST",
            "/api/tokens/reset",
            &[],
            Some(&body),
        )
        .await;
    assert_eq!(reply.status, 202);
}

#[tokio::test]
async fn with_smtp_url_the_message_goes_to_that_server() {
    let catcher = SmtpCatcher::start().await;
    let api = TestApi::start_with(&[
        ("SMTP_URL", &catcher.url),
        ("PRODUCT_NAME", "Chirp"),
        (
            "RESET_URL_TEMPLATE",
            "https://app.example.com/account/password/reset?code={token}&source=mail",
        ),
    ])
    .await;
    api.user_with_token("susan").await;
    assert_eq!(request_reset(&api, "susan@example.com").await.status, 202);
    api.settle_feeds().await;
    let received = catcher.received();
    assert_eq!(
        received.len(),
        2,
        "the sign-up's verification, then the reset"
    );
    let mail = received
        .iter()
        .find(|m| m.subject.starts_with("Reset"))
        .expect("the reset message");
    assert_eq!(mail.subject, "Reset your Chirp password");
    let code = mail.code();
    let link = format!("https://app.example.com/account/password/reset?code={code}&source=mail");
    assert!(mail.text.contains(&link), "{}", mail.text);
    assert!(
        mail.html.contains(&link.replace('&', "&amp;")),
        "{}",
        mail.html
    );
    assert!(
        microblog_tests::mail::outbox(&api.outbox).is_empty(),
        "nothing in the outbox"
    );
    assert_eq!(reset(&api, &code, "a-new-passphrase-1").await.status, 204);
}

#[tokio::test]
async fn the_whole_flow_works_over_http_with_the_worker_running_in_the_background() {
    let api = TestApi::start().await;
    api.user_with_token("susan").await;
    api.spawn_worker(StreamWorker::named("send_mail")).await;
    let base = api.serve_http().await;
    let ask = json!({ "email": "susan@example.com" }).to_string();
    let reply = http(&base, "POST", "/api/tokens/reset", &[], Some(&ask)).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let mail = wait_for_resets(&api, 1).await;
    let body = json!({ "token": mail[0].code(), "new_password": "a-new-passphrase-1" }).to_string();
    let reply = http(&base, "PUT", "/api/tokens/reset", &[], Some(&body)).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let reply: Value = api.login("susan", "a-new-passphrase-1").await;
    assert_eq!(reply["user_id"], 1);
}

#[tokio::test]
async fn a_message_the_smtp_server_refuses_for_good_is_dropped_and_the_rest_go_out() {
    let catcher = SmtpCatcher::start().await;
    let api = TestApi::start_with(&[("SMTP_URL", &catcher.url)]).await;
    api.create_user("refused", "password-123").await;
    api.create_user("susan", "password-123").await;
    api.settle_feeds().await;
    // The refused address's verification was dropped, not retried, and did
    // not hold up susan's.
    let received = catcher.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].to, "susan@example.com");
    assert!(pending_jobs(&api.client, &api.table_name).await == 0);
}

#[tokio::test]
async fn a_reordered_and_redelivered_batch_of_mail_jobs_sends_each_mail_once() {
    use microblog_shared::domain::MailKind;
    let api = TestApi::start().await;
    api.create_user("susan", "password-123").await;
    api.create_user("john", "password-123").await;
    api.settle_feeds().await;
    for (id, email) in [
        ("job-a", "susan@example.com"),
        ("job-b", "john@example.com"),
    ] {
        api.app
            .mail
            .request(id, MailKind::PasswordReset, email, None, chrono::Utc::now())
            .await
            .unwrap();
    }
    let record = |id: &str, sequence: u32| {
        json!({
            "eventID": format!("e{sequence}"), "eventName": "INSERT", "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"pk": {"S": format!("MAIL#{id}")}, "sk": {"S": "JOB"}},
                "SequenceNumber": sequence.to_string(), "SizeBytes": 10,
                "StreamViewType": "NEW_AND_OLD_IMAGES"
            }
        })
    };
    let handler = microblog_functions::stream("send_mail").expect("the mail worker");
    // Out of order, then the same batch again in order, as a retry would.
    for batch in [
        vec![record("job-b", 2), record("job-a", 1)],
        vec![record("job-a", 1), record("job-b", 2)],
    ] {
        let event = serde_json::from_value(json!({ "Records": batch })).unwrap();
        let answer = handler(
            &api.app,
            lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default()),
        )
        .await
        .expect("the worker answers");
        assert!(answer.batch_item_failures.is_empty());
    }
    let mail = resets(&api.outbox);
    let mut to: Vec<&str> = mail.iter().map(|m| m.to.as_str()).collect();
    to.sort();
    assert_eq!(to, ["john@example.com", "susan@example.com"]);
    assert_eq!(pending_jobs(&api.client, &api.table_name).await, 0);
    assert_invariants(&api).await;
}
