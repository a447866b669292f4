//! Replies: a post that answers another, counted on its parent, listed
//! oldest first, kept when the parent goes, and shown in the feeds of the
//! followers who follow both authors.

use std::sync::Arc;

use microblog_tests::api::{ids, TestApi};

async fn reply_count(api: &TestApi, post: u64, token: &str) -> u64 {
    let reply = api.get(&format!("/api/posts/{post}"), token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["reply_count"].as_u64().unwrap()
}

#[tokio::test]
async fn a_reply_names_its_parent_is_counted_and_is_listed_oldest_first() {
    let api = TestApi::start().await;
    let (_, st) = api.user_with_token("susan").await;
    let (_, jt) = api.user_with_token("john").await;
    let (_, ct) = api.user_with_token("cat").await;
    let parent = api.post(&st, "What do you think?").await["id"]
        .as_u64()
        .unwrap();
    let first = api.reply(&jt, parent, "I agree").await;
    assert_eq!(first["in_reply_to"], parent);
    let first = first["id"].as_u64().unwrap();
    let second = api.reply(&ct, parent, "I do not").await["id"]
        .as_u64()
        .unwrap();
    let nested = api.reply(&st, first, "Thanks, john").await["id"]
        .as_u64()
        .unwrap();
    assert_eq!(reply_count(&api, parent, &st).await, 2);
    assert_eq!(reply_count(&api, first, &st).await, 1);
    let page = api
        .get(&format!("/api/posts/{parent}/replies"), &ct)
        .await
        .json();
    assert_eq!(ids(&page), vec![first, second]);
    assert_eq!(page["_meta"]["total_items"], 2);
    assert_eq!(
        api.walk_ids(&format!("/api/posts/{parent}/replies?per_page=1"), &ct)
            .await,
        vec![first, second]
    );
    assert_eq!(
        ids(&api
            .get(&format!("/api/posts/{first}/replies"), &ct)
            .await
            .json()),
        vec![nested]
    );
    assert_eq!(
        api.get(&format!("/api/posts/{parent}"), &st).await.json()["in_reply_to"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn a_reply_to_a_missing_post_or_one_hidden_by_a_block_is_a_404_and_writes_nothing() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (mallory, mt) = api.user_with_token("mallory").await;
    let parent = api.post(&st, "Hello").await["id"].as_u64().unwrap();
    let body = |to: serde_json::Value| Some(serde_json::json!({"body": "hi", "in_reply_to": to}));
    api.send("POST", "/api/posts", &mt, body(999.into()))
        .await
        .assert_error(404, "no post has the id 999");
    for bad in [
        serde_json::json!("1"),
        serde_json::json!(0),
        serde_json::json!(-3),
        serde_json::json!(1.5),
    ] {
        api.send("POST", "/api/posts", &mt, body(bad))
            .await
            .assert_error(400, "in_reply_to must be a positive integer id");
    }
    api.silence("PUT", "blocked", susan, mallory, &st).await;
    api.send("POST", "/api/posts", &mt, body(parent.into()))
        .await
        .assert_error(404, "no post has the id");
    assert_eq!(reply_count(&api, parent, &st).await, 0);
    let posts = api
        .get(&format!("/api/users/{mallory}/posts"), &mt)
        .await
        .json();
    assert_eq!(posts["_meta"]["total_items"], 0, "nothing was published");
}

#[tokio::test]
async fn deleting_a_reply_takes_it_from_the_count_and_deleting_the_parent_keeps_the_replies() {
    let api = TestApi::start().await;
    let (_, st) = api.user_with_token("susan").await;
    let (_, jt) = api.user_with_token("john").await;
    let parent = api.post(&st, "Parent").await["id"].as_u64().unwrap();
    let keep = api.reply(&jt, parent, "keep").await["id"].as_u64().unwrap();
    let gone = api.reply(&jt, parent, "gone").await["id"].as_u64().unwrap();
    assert_eq!(
        api.authorized("DELETE", &format!("/api/posts/{gone}"), &jt)
            .await
            .status,
        204
    );
    api.settle_feeds().await;
    assert_eq!(reply_count(&api, parent, &st).await, 1);
    assert_eq!(
        ids(&api
            .get(&format!("/api/posts/{parent}/replies"), &st)
            .await
            .json()),
        vec![keep]
    );
    // Delivered again, the deletion takes nothing twice.
    api.redeliver("clean_up_post").await;
    assert_eq!(reply_count(&api, parent, &st).await, 1);
    assert_eq!(
        api.authorized("DELETE", &format!("/api/posts/{parent}"), &st)
            .await
            .status,
        204
    );
    api.settle_feeds().await;
    let kept = api.get(&format!("/api/posts/{keep}"), &st).await.json();
    assert_eq!(
        kept["in_reply_to"], parent,
        "a reply keeps the id of its deleted parent"
    );
    api.get(&format!("/api/posts/{parent}"), &st)
        .await
        .assert_error(404, "no post has the id");
    api.get(&format!("/api/posts/{parent}/replies"), &st)
        .await
        .assert_error(404, "no post has the id");
    assert!(api.partition(&format!("POST#{parent}")).await.is_empty());
}

#[tokio::test]
async fn a_reply_racing_its_parent_s_deletion_is_refused_or_counted_and_nothing_is_left_behind() {
    let api = Arc::new(TestApi::start().await);
    let (_, st) = api.user_with_token("susan").await;
    let (_, jt) = api.user_with_token("john").await;
    let mut published = 0;
    for round in 0..6 {
        let parent = api.post(&st, &format!("round {round}")).await["id"]
            .as_u64()
            .unwrap();
        let path = format!("/api/posts/{parent}");
        let (reply, delete) = tokio::join!(
            api.send(
                "POST",
                "/api/posts",
                &jt,
                Some(serde_json::json!({"body": "racing", "in_reply_to": parent}))
            ),
            api.authorized("DELETE", &path, &st)
        );
        assert_eq!(delete.status, 204);
        match reply.status {
            201 => {
                published += 1;
                assert_eq!(reply.json()["in_reply_to"], parent);
            }
            404 => {
                reply.assert_error(404, &format!("no post has the id {parent}"));
            }
            other => panic!("round {round}: {other} {}", reply.body),
        }
        api.settle_feeds().await;
        assert!(
            api.partition(&format!("POST#{parent}")).await.is_empty(),
            "round {round}: the deleted parent's partition is empty"
        );
    }
    let count = api.get("/api/me", &jt).await.json()["post_count"].as_u64();
    assert_eq!(
        count,
        Some(published),
        "only the replies that were published count"
    );
}

#[tokio::test]
async fn a_reply_reaches_only_the_followers_who_follow_the_author_it_answers() {
    let api = TestApi::start().await;
    let (bob, bt) = api.user_with_token("bob").await;
    let (carol, ct) = api.user_with_token("carol").await;
    let (both, both_t) = api.user_with_token("both").await;
    let (bob_only, bob_only_t) = api.user_with_token("bobonly").await;
    api.follow(both, bob, &both_t).await;
    api.follow(both, carol, &both_t).await;
    api.follow(bob_only, bob, &bob_only_t).await;
    let question = api.post(&ct, "A question").await["id"].as_u64().unwrap();
    let answer = api.reply(&bt, question, "An answer").await["id"]
        .as_u64()
        .unwrap();
    let thread = api.reply(&bt, answer, "And more (a thread)").await["id"]
        .as_u64()
        .unwrap();
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&both_t).await, vec![thread, answer, question]);
    assert_eq!(
        api.feed_ids(&bob_only_t).await,
        vec![thread],
        "a reply to oneself reaches every follower"
    );
    // A new follower of bob gets the same from the backfill.
    let (late, late_t) = api.user_with_token("late").await;
    api.follow(late, bob, &late_t).await;
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&late_t).await, vec![thread]);
}
