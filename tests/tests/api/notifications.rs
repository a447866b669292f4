//! Notifications: written from the stream, once per cause, taken back with
//! it, never for one's own doing or from a silenced user; the inbox newest
//! first, the unread count and the read marker.

use std::sync::Arc;

use microblog_tests::api::TestApi;
use serde_json::Value;

/// (type, actor id, post id or 0) of each notification.
fn summary(notifications: &[Value]) -> Vec<(String, u64, u64)> {
    notifications
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap().to_string(),
                n["actor"]["id"].as_u64().unwrap(),
                n["post"]["id"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn kinds(notifications: &[Value]) -> Vec<&str> {
    notifications
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn follows_likes_replies_and_mentions_notify_once_each_newest_first() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let (cat, ct) = api.user_with_token("cat").await;
    let post = api.post(&st, "Hello").await["id"].as_u64().unwrap();
    api.follow(john, susan, &jt).await;
    api.settle_feeds().await;
    api.like("PUT", post, &jt).await;
    api.settle_feeds().await;
    // A reply that also mentions its parent's author is one reply.
    let reply = api.reply(&jt, post, "Hi @Susan!").await;
    assert_eq!(reply["mentions"][0]["id"], susan);
    let reply = reply["id"].as_u64().unwrap();
    api.settle_feeds().await;
    let mention = api.post(&ct, "cc @susan and @nobody-here").await;
    assert_eq!(mention["mentions"].as_array().unwrap().len(), 1);
    let mention = mention["id"].as_u64().unwrap();
    let inbox = api.notifications(&st).await;
    assert_eq!(
        summary(&inbox),
        vec![
            ("mention".into(), cat, mention),
            ("reply".into(), john, reply),
            ("like".into(), john, post),
            ("follow".into(), john, 0),
        ]
    );
    let ids: Vec<u64> = inbox.iter().map(|n| n["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert_eq!(inbox[3]["actor"]["username"], "john");
    assert_eq!(
        inbox[3]["actor"]["_links"]["self"],
        format!("/api/users/{john}")
    );
    assert_eq!(
        inbox[2]["post"]["_links"]["self"],
        format!("/api/posts/{post}")
    );
    assert!(inbox.iter().all(|n| n["read"] == false));
    assert!(
        api.notifications(&jt).await.is_empty(),
        "nobody told john of his own doings"
    );
    // Every record of the stream delivered again notifies nothing twice.
    api.redeliver("notify").await;
    assert_eq!(summary(&api.notifications(&st).await), summary(&inbox));
}

#[tokio::test]
async fn the_read_marker_moves_forward_only_and_the_unread_count_follows_it() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    api.send(
        "PUT",
        "/api/notifications/read",
        &st,
        Some(serde_json::json!({"up_to": 1})),
    )
    .await
    .assert_error(400, "no notification with the id 1");
    api.follow(john, susan, &jt).await;
    let post = api.post(&st, "Hello").await["id"].as_u64().unwrap();
    api.like("PUT", post, &jt).await;
    let inbox = api.notifications(&st).await;
    assert_eq!(api.unread(&st).await, (2, false));
    let (newest, oldest) = (
        inbox[0]["id"].as_u64().unwrap(),
        inbox[1]["id"].as_u64().unwrap(),
    );
    let mark = |up_to: Value| {
        api.send(
            "PUT",
            "/api/notifications/read",
            &st,
            Some(serde_json::json!({ "up_to": up_to })),
        )
    };
    assert_eq!(mark(oldest.into()).await.status, 204);
    assert_eq!(api.unread(&st).await, (1, false));
    let read: Vec<bool> = api
        .notifications(&st)
        .await
        .iter()
        .map(|n| n["read"].as_bool().unwrap())
        .collect();
    assert_eq!(read, vec![false, true]);
    assert_eq!(mark(newest.into()).await.status, 204);
    assert_eq!(
        mark(oldest.into()).await.status,
        204,
        "an older id changes nothing"
    );
    assert_eq!(api.unread(&st).await, (0, false));
    mark((newest + 50).into())
        .await
        .assert_error(400, "no notification with the id");
    mark("one".into())
        .await
        .assert_error(400, "up_to must be a positive integer id");
    api.send(
        "PUT",
        "/api/notifications/read",
        &st,
        Some(serde_json::json!({})),
    )
    .await
    .assert_error(400, "up_to");
}

#[tokio::test]
async fn the_unread_count_stops_at_100_and_says_it_is_capped() {
    let api = TestApi::start().await;
    let (_, st) = api.user_with_token("susan").await;
    let (_, jt) = api.user_with_token("john").await;
    for n in 0..101 {
        api.post(&jt, &format!("@susan number {n}")).await;
    }
    api.settle_feeds().await;
    assert_eq!(api.unread(&st).await, (100, true));
    let first = api.get("/api/notifications?per_page=100", &st).await.json();
    let newest = first["items"][0]["id"].as_u64().unwrap();
    let oldest_shown = first["items"][99]["id"].as_u64().unwrap();
    assert_eq!(
        api.send(
            "PUT",
            "/api/notifications/read",
            &st,
            Some(serde_json::json!({"up_to": oldest_shown}))
        )
        .await
        .status,
        204
    );
    assert_eq!(api.unread(&st).await, (99, false));
    assert!(newest > oldest_shown);
}

#[tokio::test]
async fn undoing_a_cause_takes_its_notification_back() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let post = api.post(&st, "Hello").await["id"].as_u64().unwrap();
    api.follow(john, susan, &jt).await;
    api.like("PUT", post, &jt).await;
    let reply = api.reply(&jt, post, "hi").await["id"].as_u64().unwrap();
    let mention = api.post(&jt, "hey @susan").await["id"].as_u64().unwrap();
    assert_eq!(
        kinds(&api.notifications(&st).await),
        vec!["mention", "reply", "like", "follow"]
    );
    // The mention edited out, then the like, the follow and the reply undone.
    let edited = api
        .send(
            "PUT",
            &format!("/api/posts/{mention}"),
            &jt,
            Some(serde_json::json!({"body": "hey all"})),
        )
        .await;
    assert_eq!(edited.json()["mentions"], serde_json::json!([]));
    assert_eq!(
        kinds(&api.notifications(&st).await),
        vec!["reply", "like", "follow"]
    );
    api.like("DELETE", post, &jt).await;
    api.unfollow(john, susan, &jt).await;
    api.authorized("DELETE", &format!("/api/posts/{reply}"), &jt)
        .await;
    assert!(api.notifications(&st).await.is_empty());
    assert_eq!(api.unread(&st).await, (0, false));
    // Done again, each is a new cause, told again.
    api.like("PUT", post, &jt).await;
    api.send(
        "PUT",
        &format!("/api/posts/{mention}"),
        &jt,
        Some(serde_json::json!({"body": "hey @susan, again"})),
    )
    .await;
    assert_eq!(
        kinds(&api.notifications(&st).await),
        vec!["mention", "like"]
    );
    // A deleted post takes back the like notifications of its likes.
    api.authorized("DELETE", &format!("/api/posts/{post}"), &st)
        .await;
    assert_eq!(kinds(&api.notifications(&st).await), vec!["mention"]);
}

#[tokio::test]
async fn nobody_is_told_by_a_user_they_block_or_mute() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (mallory, mt) = api.user_with_token("mallory").await;
    let (nora, nt) = api.user_with_token("nora").await;
    api.silence("PUT", "muted", susan, nora, &st).await;
    api.post(&nt, "@susan look").await;
    api.follow(nora, susan, &nt).await;
    api.post(&mt, "@susan hello").await;
    assert_eq!(kinds(&api.notifications(&st).await), vec!["mention"]);
    // A block made after the notification hides it from then on.
    api.silence("PUT", "blocked", susan, mallory, &st).await;
    assert!(api.notifications(&st).await.is_empty());
    assert_eq!(api.unread(&st).await, (0, false));
    // So does a suspension, from the list and the count alike.
    let (sam, samt) = api.user_with_token("sam").await;
    api.post(&samt, "hi @susan").await;
    api.settle_feeds().await;
    assert_eq!(api.unread(&st).await.0, 1);
    api.suspend(sam, "moddy").await;
    assert!(api.notifications(&st).await.is_empty());
    assert_eq!(api.unread(&st).await, (0, false));
}

#[tokio::test]
async fn concurrent_likes_and_unlikes_leave_one_notification_per_standing_like() {
    let api = Arc::new(TestApi::start().await);
    let (_, st) = api.user_with_token("author").await;
    let post = api.post(&st, "Like it").await["id"].as_u64().unwrap();
    let mut fans = Vec::new();
    for i in 0..10 {
        fans.push(api.user_with_token(&format!("fan{i}")).await);
    }
    let mut set = tokio::task::JoinSet::new();
    for (i, (_, token)) in fans.iter().enumerate() {
        let (api, token) = (api.clone(), token.clone());
        set.spawn(async move {
            api.like("PUT", post, &token).await;
            if i % 2 == 0 {
                api.like("DELETE", post, &token).await;
            }
        });
    }
    // The stream is read while the likes come and go.
    let reader = {
        let api = api.clone();
        tokio::spawn(async move {
            for _ in 0..5 {
                api.settle_feeds().await;
            }
        })
    };
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
    reader.await.unwrap();
    let mut actors: Vec<u64> = api
        .notifications(&st)
        .await
        .iter()
        .map(|n| n["actor"]["id"].as_u64().unwrap())
        .collect();
    actors.sort_unstable();
    let mut standing: Vec<u64> = fans
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, (id, _))| *id)
        .collect();
    standing.sort_unstable();
    assert_eq!(actors, standing);
}

#[tokio::test]
async fn deleting_an_account_empties_its_inbox_and_takes_back_what_it_caused() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let post = api.post(&st, "Hello").await["id"].as_u64().unwrap();
    api.follow(john, susan, &jt).await;
    api.follow(susan, john, &st).await;
    api.like("PUT", post, &jt).await;
    api.reply(&jt, post, "hi").await;
    assert_eq!(api.notifications(&jt).await.len(), 1, "john was followed");
    assert_eq!(
        api.delete_account(john, &jt, "password-123").await.status,
        204
    );
    api.settle_feeds().await;
    assert!(api.notifications(&st).await.is_empty());
    assert_eq!(api.unread(&st).await, (0, false));
    assert!(api.partition(&format!("USER#{john}")).await.is_empty());
}

#[tokio::test]
async fn a_record_read_after_its_cause_was_undone_notifies_nothing() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let post = api.post(&st, "Hello").await["id"].as_u64().unwrap();
    // The like and the follow are undone before the worker reads their
    // inserts: the inserts find their causes gone, the removals nothing to
    // take back, and the inbox stays empty (no notification lost either:
    // none is due).
    api.like("PUT", post, &jt).await;
    api.follow(john, susan, &jt).await;
    api.like("DELETE", post, &jt).await;
    api.unfollow(john, susan, &jt).await;
    assert!(api.notifications(&st).await.is_empty());
    // Made again, each is a new cause and is told once, even with every
    // record delivered again in order after it.
    api.like("PUT", post, &jt).await;
    api.follow(john, susan, &jt).await;
    assert_eq!(kinds(&api.notifications(&st).await), vec!["follow", "like"]);
    api.redeliver("notify").await;
    assert_eq!(kinds(&api.notifications(&st).await), vec!["follow", "like"]);
}
