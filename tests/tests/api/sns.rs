//! Push through Amazon SNS mobile push, against moto's server, which takes
//! SNS's API and keeps every message published to an endpoint
//! (`/moto-api/data.json`). `.ci/ses-check` starts it, points
//! `AWS_ENDPOINT_URL_SNS` at it and runs these tests; without it they are
//! ignored, never passed.

use microblog_tests::api::{http, TestApi};
use serde_json::Value;

const IGNORED: &str = "needs moto's server at AWS_ENDPOINT_URL_SNS: .ci/ses-check runs it";

fn moto() -> String {
    std::env::var("AWS_ENDPOINT_URL_SNS").unwrap_or_else(|_| panic!("{IGNORED}"))
}

/// One call of SNS's query API (moto checks no signature; it reads the
/// service and region from the credential's scope).
async fn sns(query: &str) -> String {
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0",
        ),
    ];
    let reply = http(
        &moto(),
        "POST",
        "/",
        &form,
        Some(&format!("{query}&Version=2010-03-31")),
    )
    .await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    reply.body
}

/// A new APNs platform application's ARN.
async fn platform_application(name: &str) -> String {
    let body = sns(&format!(
        "Action=CreatePlatformApplication&Name={name}&Platform=APNS&Attributes.entry.1.key=PlatformCredential&Attributes.entry.1.value=key"
    ))
    .await;
    let start = body.find("<PlatformApplicationArn>").unwrap() + "<PlatformApplicationArn>".len();
    let end = body.find("</PlatformApplicationArn>").unwrap();
    body[start..end].to_string()
}

/// A fresh API pushing through a new APNs platform application `name` of
/// moto's, with no push outbox.
async fn pushing_through_sns(name: &str) -> TestApi {
    let application = platform_application(name).await;
    TestApi::start_with(&[
        ("PUSH_OUTBOX_DIR", ""),
        ("SNS_PLATFORM_APPLICATION_IOS", &application),
    ])
    .await
}

/// The holder of `token` registers `device` for `platform`; asserts 204.
async fn register(api: &TestApi, token: &str, device: &str, platform: &str) {
    let body = serde_json::json!({ "platform": platform });
    let reply = api
        .send(
            "PUT",
            &format!("/api/me/devices/{device}"),
            token,
            Some(body),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
}

/// moto's endpoints of the device `token`.
async fn endpoints_of(token: &str) -> Vec<Value> {
    let data = http(&moto(), "GET", "/moto-api/data.json", &[], None)
        .await
        .json();
    data["sns"]["PlatformEndpoint"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["token"] == token)
        .collect()
}

#[tokio::test]
#[ignore = "needs moto's server at AWS_ENDPOINT_URL_SNS: .ci/ses-check runs it"]
async fn a_notification_is_published_to_the_device_s_endpoint_with_a_message_per_platform() {
    let api = pushing_through_sns("microblog-push").await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let device = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    register(&api, &st, device, "ios").await;
    // An Android device with no platform application gets nothing.
    register(&api, &st, "android-device-token", "android").await;
    api.follow(john, susan, &jt).await;
    api.settle_feeds().await;
    let endpoints = endpoints_of(device).await;
    assert_eq!(endpoints.len(), 1, "{endpoints:?}");
    let messages: Vec<Value> = endpoints[0]["messages"]
        .as_object()
        .unwrap()
        .values()
        .map(|m| serde_json::from_str(m.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["default"], "john followed you");
    let apns: Value = serde_json::from_str(messages[0]["APNS"].as_str().unwrap()).unwrap();
    assert_eq!(apns["aps"]["alert"], "john followed you");
    assert_eq!(apns["data"]["type"], "follow");
    assert!(endpoints_of("android-device-token").await.is_empty());
    assert!(!api.outbox.join("push").exists(), "no file: SNS sent it");
}

#[tokio::test]
#[ignore = "needs moto's server at AWS_ENDPOINT_URL_SNS: .ci/ses-check runs it"]
async fn a_device_whose_endpoint_sns_disabled_is_forgotten() {
    let api = pushing_through_sns("microblog-disabled").await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let device = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d1a2b";
    register(&api, &st, device, "ios").await;
    api.follow(john, susan, &jt).await;
    api.settle_feeds().await;
    let endpoint = endpoints_of(device).await[0]["arn"]
        .as_str()
        .unwrap()
        .to_string();
    // The app was uninstalled: APNs told SNS, which disabled the endpoint.
    sns(&format!(
        "Action=SetEndpointAttributes&EndpointArn={endpoint}&Attributes.entry.1.key=Enabled&Attributes.entry.1.value=false"
    ))
    .await;
    api.post(&jt, "hello @susan").await;
    api.settle_feeds().await;
    let devices = api
        .partition(&format!("USER#{susan}"))
        .await
        .into_iter()
        .filter(|i| i["sk"].as_s().unwrap().starts_with("DEVICE#"))
        .count();
    assert_eq!(devices, 0, "the disabled device is forgotten");
    assert_eq!(api.notifications(&st).await.len(), 2, "the inbox has both");
}
