//! The home feed, kept by `fan_out` from the table's real stream: fan-out of
//! new posts, backfill on follow, removal on unfollow and delete, edits and
//! renames shown everywhere, exact feeds after concurrent churn, and
//! redelivered or failed batches.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use microblog_shared::{App, Config};
use microblog_tests::api::{bearer, TestApi};

fn id(post: &serde_json::Value) -> u64 {
    post["id"].as_u64().unwrap()
}

#[tokio::test]
async fn a_post_is_in_its_author_s_feed_at_once_and_in_followers_feeds_after_the_fan_out() {
    let api = TestApi::start().await;
    let (alice, alice_token) = api.user_with_token("alice").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    api.follow(bob, alice, &bob_token).await;
    api.settle_feeds().await;
    let post = id(&api.post(&alice_token, "hello").await);
    assert_eq!(api.feed_ids(&alice_token).await, vec![post], "at once");
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&bob_token).await, vec![post]);
    let page = api.get("/api/feed", &bob_token).await.json();
    assert_eq!(page["items"][0]["author"]["username"], "alice");
    assert_eq!(page["_meta"]["total_items"], serde_json::Value::Null);
    let _ = alice;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_fan_out_running_as_on_the_local_server_a_post_reaches_a_follower_within_2_seconds(
) {
    let api = TestApi::start().await;
    api.spawn_fan_out().await;
    let (alice, alice_token) = api.user_with_token("alice").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    api.follow(bob, alice, &bob_token).await;
    let post = id(&api.post(&alice_token, "live").await);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while !api.feed_ids(&bob_token).await.contains(&post) {
        assert!(
            std::time::Instant::now() < deadline,
            "the post did not reach the follower's feed within 2 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn following_brings_the_newest_posts_in_and_unfollowing_takes_them_out() {
    let api = TestApi::start().await;
    let (alice, alice_token) = api.user_with_token("alice").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let mut alices = Vec::new();
    for i in 0..60 {
        alices.push(id(&api.post(&alice_token, &format!("post {i}")).await));
    }
    let own = id(&api.post(&bob_token, "bob's own").await);
    // Fanned out while bob did not follow yet.
    api.settle_feeds().await;
    api.follow(bob, alice, &bob_token).await;
    api.settle_feeds().await;
    let feed = api.feed_ids(&bob_token).await;
    let newest_50: Vec<u64> = alices.iter().rev().take(50).copied().collect();
    let mut expected = vec![own];
    expected.extend(&newest_50);
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(feed, expected, "the newest 50 of alice's, in time order");

    api.unfollow(bob, alice, &bob_token).await;
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&bob_token).await, vec![own]);
}

#[tokio::test]
async fn a_deleted_post_leaves_every_feed_and_edits_and_renames_show_everywhere() {
    let api = TestApi::start().await;
    let (alice, alice_token) = api.user_with_token("alice").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    api.follow(bob, alice, &bob_token).await;
    let kept = id(&api.post(&alice_token, "kept").await);
    let doomed = id(&api.post(&alice_token, "doomed").await);
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&bob_token).await, vec![doomed, kept]);

    let path = format!("/api/posts/{doomed}");
    assert_eq!(
        api.authorized("DELETE", &path, &alice_token).await.status,
        204
    );
    // Left out of pages at once, and its entries removed by the fan-out.
    assert_eq!(api.feed_ids(&bob_token).await, vec![kept]);
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&bob_token).await, vec![kept]);
    assert_eq!(api.feed_ids(&alice_token).await, vec![kept]);

    let edit = api
        .call(
            "PUT",
            &format!("/api/posts/{kept}"),
            &[("authorization", &bearer(&alice_token))],
            Some(r#"{"body": "kept, edited"}"#),
        )
        .await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    let rename = api
        .call(
            "PUT",
            &format!("/api/users/{alice}"),
            &[("authorization", &bearer(&alice_token))],
            Some(r#"{"username": "alicia"}"#),
        )
        .await;
    assert_eq!(rename.status, 200, "{}", rename.body);
    for token in [&alice_token, &bob_token] {
        let page = api.get("/api/feed", token).await.json();
        assert_eq!(page["items"][0]["body"], "kept, edited");
        assert_eq!(page["items"][0]["author"]["username"], "alicia");
    }
    let timeline = api
        .get(&format!("/api/users/{alice}/posts"), &bob_token)
        .await
        .json();
    assert_eq!(timeline["items"][0]["author"]["username"], "alicia");
}

/// Who follows whom at the end, and every post that still exists, give
/// each user's exact feed: their own posts and those of everyone they
/// follow, newest first.
fn expected_feed(user: u64, follows: &BTreeSet<(u64, u64)>, posts: &[(u64, u64)]) -> Vec<u64> {
    let mut feed: Vec<u64> = posts
        .iter()
        .filter(|(author, _)| *author == user || follows.contains(&(user, *author)))
        .map(|(_, post)| *post)
        .collect();
    feed.sort_unstable_by(|a, b| b.cmp(a));
    feed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_concurrent_posts_follows_and_unfollows_every_feed_is_the_exact_merge() {
    let api = Arc::new(TestApi::start().await);
    let mut users = Vec::new();
    for name in ["ann", "ben", "cat", "dan", "eve", "fay"] {
        users.push(api.user_with_token(name).await);
    }
    let users = Arc::new(users);
    let mut tasks = tokio::task::JoinSet::new();
    // Each user posts 6 times and, meanwhile, follows every other user, then
    // unfollows the next one; a third of the posts are deleted again.
    for (i, (me, token)) in users.iter().cloned().enumerate() {
        let (api, users) = (api.clone(), users.clone());
        tasks.spawn(async move {
            let mut mine = Vec::new();
            for (j, (other, _)) in users.iter().enumerate() {
                if *other != me {
                    api.follow(me, *other, &token).await;
                }
                let post = id(&api.post(&token, &format!("{i}/{j}")).await);
                if j % 3 == 2 {
                    let path = format!("/api/posts/{post}");
                    assert_eq!(api.authorized("DELETE", &path, &token).await.status, 204);
                } else {
                    mine.push((me, post));
                }
            }
            let next = users[(i + 1) % users.len()].0;
            api.unfollow(me, next, &token).await;
            (me, next, mine)
        });
    }
    let mut follows = BTreeSet::new();
    for (me, _) in users.iter() {
        for (other, _) in users.iter() {
            if me != other {
                follows.insert((*me, *other));
            }
        }
    }
    let mut posts = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (me, unfollowed, mine) = done.unwrap();
        follows.remove(&(me, unfollowed));
        posts.extend(mine);
    }
    api.settle_feeds().await;
    for (user, token) in users.iter() {
        assert_eq!(
            api.feed_ids(token).await,
            expected_feed(*user, &follows, &posts),
            "the feed of user {user}"
        );
    }
}

#[tokio::test]
async fn a_redelivered_stream_changes_no_feed() {
    let api = TestApi::start().await;
    let (alice, alice_token) = api.user_with_token("alice").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    api.follow(bob, alice, &bob_token).await;
    for i in 0..5 {
        api.post(&alice_token, &format!("post {i}")).await;
    }
    let gone = id(&api.post(&alice_token, "gone").await);
    assert_eq!(
        api.authorized("DELETE", &format!("/api/posts/{gone}"), &alice_token)
            .await
            .status,
        204
    );
    api.settle_feeds().await;
    let before = (
        api.feed_ids(&alice_token).await,
        api.feed_ids(&bob_token).await,
    );
    // Every record of the stream, handed to fan_out a second time.
    let mut again = api.new_poller().await;
    again.settle(&api.app).await.unwrap();
    let after = (
        api.feed_ids(&alice_token).await,
        api.feed_ids(&bob_token).await,
    );
    assert_eq!(after, before);
    assert_eq!(before.1.len(), 5);
}

/// Fails the first `remaining` BatchWriteItem calls, as DynamoDB failing
/// mid-batch would.
#[derive(Debug)]
struct FailBatchWrites {
    remaining: Arc<AtomicUsize>,
}

impl Intercept for FailBatchWrites {
    fn name(&self) -> &'static str {
        "fails BatchWriteItem"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let writes = cfg
            .load::<Metadata>()
            .is_some_and(|m| m.name() == "BatchWriteItem");
        let fail = writes
            && self
                .remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if fail {
            Err("injected BatchWriteItem failure".into())
        } else {
            Ok(())
        }
    }
}

#[tokio::test]
async fn a_fan_out_failing_in_the_middle_of_a_batch_is_retried_and_feeds_end_exact() {
    let api = TestApi::start().await;
    let (alice, alice_token) = api.user_with_token("alice").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let (cat, cat_token) = api.user_with_token("cat").await;
    api.follow(bob, alice, &bob_token).await;
    api.follow(cat, alice, &cat_token).await;
    let mut posts = Vec::new();
    for i in 0..6 {
        posts.push(id(&api.post(&alice_token, &format!("post {i}")).await));
    }
    posts.reverse();
    let remaining = Arc::new(AtomicUsize::new(3));
    let failing = api.client_with(|c| {
        c.interceptor(FailBatchWrites {
            remaining: remaining.clone(),
        })
    });
    let config =
        Config::from_lookup(|n| (n == "TABLE_NAME").then(|| api.table_name.clone())).unwrap();
    let app = App::new(config, failing);
    let mut poller = api.new_poller().await;
    poller.settle(&app).await.unwrap();
    assert_eq!(remaining.load(Ordering::SeqCst), 0, "the failures happened");
    for token in [&bob_token, &cat_token] {
        assert_eq!(api.feed_ids(token).await, posts);
    }
}

#[tokio::test]
async fn a_popular_author_s_posts_reach_followers_through_the_read_time_merge_not_the_fan_out() {
    let api = TestApi::start_with(&[("POPULAR_FOLLOWERS", "2")]).await;
    let (star, star_token) = api.user_with_token("star").await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (ben, ben_token) = api.user_with_token("ben").await;
    let (_, cat_token) = api.user_with_token("cat").await;
    let early = id(&api.post(&star_token, "before fame").await);
    api.follow(ann, star, &ann_token).await;
    api.settle_feeds().await;
    assert_eq!(
        api.feed_ids(&ann_token).await,
        vec![early],
        "backfilled: not popular yet"
    );
    api.follow(ben, star, &ben_token).await;
    // Two followers now: the star is popular from here on.
    let mut famous = Vec::new();
    for i in 0..7 {
        famous.push(id(&api.post(&star_token, &format!("famous {i}")).await));
    }
    let ben_own = id(&api.post(&ben_token, "ben's own").await);
    api.settle_feeds().await;

    // No feed entries were written for the popular posts...
    let entries = api
        .client
        .query()
        .table_name(&api.table_name)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("FEED#{ann}")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(entries.count, 1, "only the post from before fame");
    // ...yet they are in the feeds, in order, across pages of a walk.
    let mut expected: Vec<u64> = famous.iter().rev().copied().collect();
    expected.push(early);
    assert_eq!(api.feed_ids(&ann_token).await, expected);
    assert_eq!(
        api.walk_ids("/api/feed?per_page=3", &ann_token).await,
        expected
    );
    // Ben followed once the star was popular: all of the star's posts come
    // from the merge, the early one too.
    let mut bens = vec![ben_own];
    bens.extend(famous.iter().rev());
    bens.push(early);
    assert_eq!(api.feed_ids(&ben_token).await, bens);
    let bare = api
        .get("/api/feed?page=2&per_page=3", &ann_token)
        .await
        .json();
    let second: Vec<u64> = bare["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        second,
        expected[3..6].to_vec(),
        "a bare page skips the merge"
    );
    assert!(api.feed_ids(&cat_token).await.is_empty(), "not a follower");

    // Unfollowing a popular author takes their posts out at once.
    api.unfollow(ann, star, &ann_token).await;
    api.settle_feeds().await;
    assert!(api.feed_ids(&ann_token).await.is_empty());
}
