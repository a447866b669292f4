//! Mail through Amazon SES v2, against moto's server, which takes SES's
//! API and keeps every raw message it accepts (`/moto-api/data.json`).
//! `.ci/ses-check` installs and starts it, points `AWS_ENDPOINT_URL_SESV2`
//! at it and runs these tests; without it they are ignored, never passed.

use microblog_tests::api::{http, TestApi};
use microblog_tests::mail::Mail;
use serde_json::json;

const IGNORED: &str = "needs moto's server at AWS_ENDPOINT_URL_SESV2: .ci/ses-check runs it";

fn moto() -> String {
    std::env::var("AWS_ENDPOINT_URL_SESV2").unwrap_or_else(|_| panic!("{IGNORED}"))
}

/// What moto accepted for `to`, as sent.
async fn sent_to(to: &str) -> Vec<(String, Mail)> {
    let data = http(&moto(), "GET", "/moto-api/data.json", &[], None)
        .await
        .json();
    data["ses"]["RawMessage"]
        .as_array()
        .expect("moto's SES messages")
        .iter()
        .filter(|m| m["destinations"].to_string().contains(to))
        .map(|m| {
            let source = m["source"].as_str().unwrap_or_default().to_string();
            (
                source,
                Mail::parse(m["raw_data"].as_str().expect("raw data")),
            )
        })
        .collect()
}

#[tokio::test]
#[ignore = "needs moto's server at AWS_ENDPOINT_URL_SESV2: .ci/ses-check runs it"]
async fn a_reset_mail_goes_out_through_ses_whole_as_the_stack_s_sender() {
    // SES (and moto) refuse a sender whose identity is not verified.
    let verify = "Action=VerifyDomainIdentity&Domain=mail.example.com&Version=2010-12-01";
    // moto picks the service and region from the credential's scope (it
    // checks no signature).
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ses/aws4_request, SignedHeaders=host, Signature=0",
        ),
    ];
    let verified = http(&moto(), "POST", "/", &form, Some(verify)).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    let api = TestApi::start_with(&[
        ("MAIL_OUTBOX_DIR", ""),
        ("MAIL_FROM", "Chirp <no-reply@mail.example.com>"),
        ("PRODUCT_NAME", "Chirp"),
    ])
    .await;
    api.create_user("sesuser", "password-123").await;
    let body = json!({ "email": "sesuser@example.com" }).to_string();
    let reply = api
        .call("POST", "/api/tokens/reset", &[], Some(&body))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    api.settle_feeds().await;

    let sent = sent_to("sesuser@example.com").await;
    assert_eq!(sent.len(), 2, "the sign-up's verification and the reset");
    let (source, reset) = sent
        .iter()
        .find(|(_, m)| m.subject == "Reset your Chirp password")
        .expect("the reset message");
    assert_eq!(source, "no-reply@mail.example.com");
    assert!(
        reset
            .raw
            .contains("From: Chirp <no-reply@mail.example.com>"),
        "{}",
        reset.raw
    );
    assert!(
        reset.html.contains(&reset.code()),
        "both parts went: {}",
        reset.raw
    );
    assert!(microblog_tests::mail::outbox(&api.outbox).is_empty());
    let body = json!({ "token": reset.code(), "new_password": "a-new-passphrase-1" }).to_string();
    let reply = api.call("PUT", "/api/tokens/reset", &[], Some(&body)).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
}
