//! Push devices: registered to a session, pushed to for each new
//! notification (here into the push outbox, as locally), forgotten when
//! their session ends or their account goes.

use microblog_tests::api::TestApi;
use serde_json::Value;

const PHONE: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const TABLET: &str = "fcm:tablet-token_0002.x";

/// Every push written so far, oldest name first.
fn pushes(api: &TestApi) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(api.outbox.join("push")) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
        .collect()
}

async fn register(api: &TestApi, token: &str, device: &str, platform: &str) -> u16 {
    let body = serde_json::json!({ "platform": platform });
    let reply = api
        .send(
            "PUT",
            &format!("/api/me/devices/{device}"),
            token,
            Some(body),
        )
        .await;
    reply.status
}

fn devices_of(items: &[microblog_shared::store::items::Item]) -> usize {
    items
        .iter()
        .filter(|i| i["sk"].as_s().unwrap().starts_with("DEVICE#"))
        .count()
}

#[tokio::test]
async fn a_registered_device_gets_one_push_for_each_new_notification() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    assert_eq!(register(&api, &st, PHONE, "ios").await, 204);
    assert_eq!(
        register(&api, &st, PHONE, "ios").await,
        204,
        "again: no error"
    );
    api.follow(john, susan, &jt).await;
    api.settle_feeds().await;
    let sent = pushes(&api);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["platform"], "ios");
    assert_eq!(sent[0]["device_token"], PHONE);
    assert_eq!(sent[0]["text"], "john followed you");
    assert_eq!(sent[0]["data"]["type"], "follow");
    assert_eq!(sent[0]["data"]["actor_id"], john.to_string());
    assert!(
        sent[0]["data"].get("post_id").is_none(),
        "a follow names no post"
    );
    // The whole stream again pushes nothing new.
    api.redeliver("notify").await;
    assert_eq!(pushes(&api).len(), 1);
    // Unregistered, it gets nothing.
    let gone = api
        .authorized("DELETE", &format!("/api/me/devices/{PHONE}"), &st)
        .await;
    assert_eq!(gone.status, 204);
    api.post(&jt, "hello @susan").await;
    api.settle_feeds().await;
    assert_eq!(pushes(&api).len(), 1);
    assert_eq!(
        api.notifications(&st).await.len(),
        2,
        "the inbox has it all the same"
    );
}

#[tokio::test]
async fn a_device_stops_getting_pushes_when_its_session_ends() {
    let api = TestApi::start().await;
    let (susan, _) = api.user_with_token("susan").await;
    let (_, jt) = api.user_with_token("john").await;
    let phone_session = api.token("susan", "password-123").await;
    let tablet_session = api.token("susan", "password-123").await;
    assert_eq!(register(&api, &phone_session, PHONE, "ios").await, 204);
    assert_eq!(
        register(&api, &tablet_session, TABLET, "android").await,
        204
    );
    // The phone logs out: only the tablet is told, and the phone is forgotten.
    assert_eq!(api.revoke(&phone_session).await.status, 204);
    api.post(&jt, "one for @susan").await;
    api.settle_feeds().await;
    let sent: Vec<Value> = pushes(&api)
        .iter()
        .map(|p| p["device_token"].clone())
        .collect();
    assert_eq!(sent, vec![Value::from(TABLET)]);
    assert_eq!(
        devices_of(&api.partition(&format!("USER#{susan}")).await),
        1
    );
    // Logging out everywhere ends the tablet's session too.
    let everywhere = api
        .authorized(
            "DELETE",
            &format!("/api/users/{susan}/tokens"),
            &tablet_session,
        )
        .await;
    assert_eq!(everywhere.status, 204);
    api.post(&jt, "two for @susan").await;
    api.settle_feeds().await;
    assert_eq!(pushes(&api).len(), 1);
    assert_eq!(
        devices_of(&api.partition(&format!("USER#{susan}")).await),
        0
    );
}

#[tokio::test]
async fn a_registration_names_its_platform_and_a_user_has_at_most_20_devices() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let body = |platform: Value| Some(serde_json::json!({ "platform": platform }));
    let path = format!("/api/me/devices/{PHONE}");
    api.send("PUT", &path, &st, body("windows".into()))
        .await
        .assert_error(400, "platform must be \"ios\" or \"android\"");
    api.send("PUT", &path, &st, body(Value::Null))
        .await
        .assert_error(400, "platform");
    api.send(
        "PUT",
        "/api/me/devices/has%20space",
        &st,
        body("ios".into()),
    )
    .await
    .assert_error(400, "device_token must be 8 to 512");
    for n in 0..20 {
        assert_eq!(
            register(&api, &st, &format!("device-token-{n:04}"), "android").await,
            204
        );
    }
    api.send("PUT", &path, &st, body("ios".into()))
        .await
        .assert_error(409, "20 devices registered");
    assert_eq!(
        register(&api, &st, "device-token-0007", "ios").await,
        204,
        "a known one moves"
    );
    assert_eq!(
        api.delete_account(susan, &st, "password-123").await.status,
        204
    );
    api.settle_feeds().await;
    assert!(api.partition(&format!("USER#{susan}")).await.is_empty());
}

#[tokio::test]
async fn liking_and_unliking_in_a_loop_buzzes_the_phone_at_most_ten_times_an_hour() {
    let api = TestApi::start().await;
    let (_, st) = api.user_with_token("susan").await;
    let (_, jt) = api.user_with_token("john").await;
    assert_eq!(register(&api, &st, PHONE, "ios").await, 204);
    let post = api.post(&st, "Like me").await["id"].as_u64().unwrap();
    for _ in 0..12 {
        api.like("PUT", post, &jt).await;
        api.settle_feeds().await;
        api.like("DELETE", post, &jt).await;
        api.settle_feeds().await;
    }
    assert_eq!(pushes(&api).len(), 10);
    api.like("PUT", post, &jt).await;
    assert_eq!(
        api.notifications(&st).await.len(),
        1,
        "the inbox still has the like"
    );
}
