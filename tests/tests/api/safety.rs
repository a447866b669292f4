//! Blocks and mutes: a block removes the follows both ways with exact
//! counts and holds from its 204 (follows refused, posts 404, feeds
//! screened, popular authors included), a mute empties the feed of the
//! muted user and nothing else, the lists are the owner's own, races with
//! follows and posts leave every invariant true, and a deleted account
//! takes its blocks and mutes, both ways, with it, redelivered or not.

use microblog_local::stream::StreamWorker;
use microblog_tests::api::{ids, Reply, TestApi};
use microblog_tests::invariants;

async fn assert_invariants(api: &TestApi) {
    if let Err(problems) = invariants::check(&api.client, &api.table_name, None).await {
        panic!("{problems:#?}");
    }
}

async fn counts(api: &TestApi, id: u64, token: &str) -> (u64, u64) {
    let user = api.get(&format!("/api/users/{id}"), token).await.json();
    (
        user["follower_count"].as_u64().unwrap(),
        user["followed_count"].as_u64().unwrap(),
    )
}

async fn relationship(api: &TestApi, of: u64, token: &str) -> serde_json::Value {
    api.get(&format!("/api/users/{of}/relationship"), token)
        .await
        .json()
}

fn post_id(post: &serde_json::Value) -> u64 {
    post["id"].as_u64().unwrap()
}

#[tokio::test]
async fn blocking_removes_the_follows_both_ways_with_exact_counts_and_refuses_new_ones() {
    let api = TestApi::start().await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    api.follow(ann, bob, &ann_token).await;
    api.follow(bob, ann, &bob_token).await;
    api.silence("PUT", "blocked", ann, bob, &ann_token).await;
    assert_eq!(counts(&api, ann, &ann_token).await, (0, 0));
    assert_eq!(counts(&api, bob, &bob_token).await, (0, 0));
    for (list, who, token) in [
        ("followers", ann, &ann_token),
        ("followed", bob, &bob_token),
    ] {
        let page = api
            .get(&format!("/api/users/{who}/{list}"), token)
            .await
            .json();
        assert_eq!(ids(&page), Vec::<u64>::new(), "{list} of {who}");
    }
    api.follow_reply(ann, bob, &ann_token)
        .await
        .assert_error(403, "you block this user");
    api.follow_reply(bob, ann, &bob_token)
        .await
        .assert_error(403, "has blocked you");
    // Idempotent, and the relationship shows it from both sides.
    api.silence("PUT", "blocked", ann, bob, &ann_token).await;
    let seen_by_ann = relationship(&api, bob, &ann_token).await;
    assert_eq!(
        (
            seen_by_ann["blocking"].as_bool(),
            seen_by_ann["blocked_by"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(
        seen_by_ann["_links"]["block"],
        format!("/api/users/{ann}/blocked/{bob}")
    );
    let seen_by_bob = relationship(&api, ann, &bob_token).await;
    assert_eq!(
        (
            seen_by_bob["blocking"].as_bool(),
            seen_by_bob["blocked_by"].as_bool()
        ),
        (Some(false), Some(true))
    );
    assert_invariants(&api).await;
    // Unblocking lets them follow again; the removed follows stay removed.
    api.silence("DELETE", "blocked", ann, bob, &ann_token).await;
    api.silence("DELETE", "blocked", ann, bob, &ann_token).await;
    assert_eq!(counts(&api, ann, &ann_token).await, (0, 0));
    api.follow(bob, ann, &bob_token).await;
    assert_eq!(counts(&api, ann, &ann_token).await, (1, 0));
    assert_invariants(&api).await;
}

#[tokio::test]
async fn a_block_is_the_callers_own_to_make_and_names_an_existing_other_user() {
    let api = TestApi::start().await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, _) = api.user_with_token("bob").await;
    for list in ["blocked", "muted"] {
        let noun = if list == "blocked" { "block" } else { "mute" };
        api.silence_reply("PUT", list, bob, ann, &ann_token)
            .await
            .assert_error(403, &format!("whom you {noun} yourself"));
        api.silence_reply("PUT", list, ann, ann, &ann_token)
            .await
            .assert_error(400, &format!("you cannot {noun} yourself"));
        api.silence_reply("PUT", list, ann, 999_999, &ann_token)
            .await
            .assert_error(404, "no user has the id 999999");
        api.get(&format!("/api/users/{bob}/{list}"), &ann_token)
            .await
            .assert_error(403, &format!("only you can see whom you {noun}"));
        let reply: Reply = api
            .silence_reply(
                "PUT",
                list,
                ann,
                bob,
                "1.no-such-token-at-all-000000000000000000",
            )
            .await;
        assert_eq!(reply.status, 401);
    }
}

#[tokio::test]
async fn a_blocked_users_posts_are_404_both_ways_and_visible_again_after_the_unblock() {
    let api = TestApi::start().await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let (_, cat_token) = api.user_with_token("cat").await;
    let hers = post_id(&api.post(&ann_token, "ann's").await);
    let his = post_id(&api.post(&bob_token, "bob's").await);
    api.silence("PUT", "blocked", ann, bob, &ann_token).await;
    for (post, author, reader) in [(his, bob, &ann_token), (hers, ann, &bob_token)] {
        api.get(&format!("/api/posts/{post}"), reader)
            .await
            .assert_error(404, &format!("no post has the id {post}"));
        api.get(&format!("/api/users/{author}/posts"), reader)
            .await
            .assert_error(404, "a block stands between you");
        // Anyone else still sees them.
        assert_eq!(
            api.get(&format!("/api/posts/{post}"), &cat_token)
                .await
                .status,
            200
        );
    }
    api.silence("DELETE", "blocked", ann, bob, &ann_token).await;
    assert_eq!(
        api.get(&format!("/api/posts/{his}"), &ann_token)
            .await
            .status,
        200
    );
    let timeline = api
        .get(&format!("/api/users/{ann}/posts"), &bob_token)
        .await
        .json();
    assert_eq!(ids(&timeline), vec![hers]);
}

#[tokio::test]
async fn neither_sees_the_other_in_the_feed_from_the_204_before_the_fan_out_runs() {
    let api = TestApi::start().await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    api.follow(ann, bob, &ann_token).await;
    api.follow(bob, ann, &bob_token).await;
    let hers = post_id(&api.post(&ann_token, "ann's").await);
    let his = post_id(&api.post(&bob_token, "bob's").await);
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&ann_token).await, vec![his, hers]);
    api.silence("PUT", "blocked", bob, ann, &bob_token).await;
    // The fan-out has not run: the entries are still stored, yet hidden.
    let stored = api.partition(&format!("FEED#{ann}")).await;
    assert_eq!(stored.len(), 2, "the fan-out has not removed anything yet");
    assert_eq!(api.feed_ids(&ann_token).await, vec![hers]);
    assert_eq!(api.feed_ids(&bob_token).await, vec![his]);
    api.settle_feeds().await;
    assert_eq!(
        api.partition(&format!("FEED#{ann}")).await.len(),
        1,
        "then removed"
    );
    assert_eq!(api.feed_ids(&ann_token).await, vec![hers]);
    assert_invariants(&api).await;
}

#[tokio::test]
async fn a_popular_author_merged_at_read_time_is_screened_by_a_block_and_by_a_mute() {
    let api = TestApi::start_with(&[("POPULAR_FOLLOWERS", "2")]).await;
    let (star, star_token) = api.user_with_token("star").await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (ben, ben_token) = api.user_with_token("ben").await;
    api.follow(ann, star, &ann_token).await;
    api.follow(ben, star, &ben_token).await;
    api.settle_feeds().await;
    let famous = post_id(&api.post(&star_token, "famous").await);
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&ann_token).await, vec![famous]);
    assert_eq!(api.feed_ids(&ben_token).await, vec![famous]);
    api.silence("PUT", "muted", ann, star, &ann_token).await;
    api.silence("PUT", "blocked", star, ben, &star_token).await;
    assert_eq!(api.feed_ids(&ann_token).await, Vec::<u64>::new(), "muted");
    assert_eq!(api.feed_ids(&ben_token).await, Vec::<u64>::new(), "blocked");
    api.silence("DELETE", "muted", ann, star, &ann_token).await;
    assert_eq!(
        api.feed_ids(&ann_token).await,
        vec![famous],
        "unmuted: back"
    );
}

#[tokio::test]
async fn a_mute_takes_the_muted_users_posts_out_of_the_feed_at_once_and_changes_nothing_else() {
    let api = TestApi::start().await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    api.follow(ann, bob, &ann_token).await;
    let his = post_id(&api.post(&bob_token, "bob's").await);
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&ann_token).await, vec![his]);
    api.silence("PUT", "muted", ann, bob, &ann_token).await;
    api.silence("PUT", "muted", ann, bob, &ann_token).await;
    assert_eq!(api.feed_ids(&ann_token).await, Vec::<u64>::new());
    // Follows stay, the posts stay readable, and bob sees no sign of it.
    assert_eq!(counts(&api, bob, &bob_token).await, (1, 0));
    assert_eq!(
        api.get(&format!("/api/posts/{his}"), &ann_token)
            .await
            .status,
        200
    );
    let mine = relationship(&api, bob, &ann_token).await;
    assert_eq!(
        (mine["muting"].as_bool(), mine["following"].as_bool()),
        (Some(true), Some(true))
    );
    let theirs = relationship(&api, ann, &bob_token).await;
    assert_eq!(theirs["muting"].as_bool(), Some(false));
    assert_eq!(theirs["blocked_by"].as_bool(), Some(false));
    let later = post_id(&api.post(&bob_token, "still muted").await);
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&ann_token).await, Vec::<u64>::new());
    api.silence("DELETE", "muted", ann, bob, &ann_token).await;
    assert_eq!(api.feed_ids(&ann_token).await, vec![later, his]);
    assert_invariants(&api).await;
}

#[tokio::test]
async fn the_block_and_mute_lists_are_newest_first_counted_and_paged() {
    let api = TestApi::start().await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let mut others = Vec::new();
    for name in ["bob", "cat", "dan"] {
        let (id, _) = api.user_with_token(name).await;
        api.silence("PUT", "blocked", ann, id, &ann_token).await;
        api.silence("PUT", "muted", ann, id, &ann_token).await;
        others.push(id);
    }
    others.reverse();
    for list in ["blocked", "muted"] {
        let first = format!("/api/users/{ann}/{list}?per_page=2");
        let page = api.get(&first, &ann_token).await.json();
        assert_eq!(page["_meta"]["total_items"], 3, "{list}");
        assert_eq!(api.walk_ids(&first, &ann_token).await, others, "{list}");
    }
    api.silence("DELETE", "muted", ann, others[0], &ann_token)
        .await;
    let page = api
        .get(&format!("/api/users/{ann}/muted"), &ann_token)
        .await
        .json();
    assert_eq!(ids(&page), others[1..].to_vec());
    assert_eq!(page["_meta"]["total_items"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_racing_a_block_end_with_no_follow_across_it_and_exact_counts() {
    let api = std::sync::Arc::new(TestApi::start().await);
    let (ann, ann_token) = api.user_with_token("ann").await;
    let mut racers = Vec::new();
    for i in 0..6 {
        racers.push(api.user_with_token(&format!("racer{i}")).await);
    }
    let mut running = Vec::new();
    for (id, token) in &racers {
        let (api, token, id) = (api.clone(), token.clone(), *id);
        running.push(tokio::spawn(async move {
            api.follow_reply(id, ann, &token).await.status
        }));
    }
    for (id, _) in &racers {
        let (api, token, id) = (api.clone(), ann_token.clone(), *id);
        running.push(tokio::spawn(async move {
            api.silence_reply("PUT", "blocked", ann, id, &token)
                .await
                .status
        }));
    }
    for done in running {
        let status = done.await.unwrap();
        assert!(status == 204 || status == 403, "{status}");
    }
    assert_eq!(counts(&api, ann, &ann_token).await, (0, 0));
    for (id, token) in &racers {
        assert_eq!(counts(&api, *id, token).await, (0, 0));
        api.follow_reply(*id, ann, token)
            .await
            .assert_error(403, "has blocked you");
    }
    assert_invariants(&api).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_racing_a_block_never_reach_the_blockers_feed_after_its_204() {
    let api = std::sync::Arc::new(TestApi::start().await);
    api.spawn_fan_out().await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    api.follow(ann, bob, &ann_token).await;
    let poster = {
        let (api, token) = (api.clone(), bob_token.clone());
        tokio::spawn(async move {
            for i in 0..20 {
                api.post(&token, &format!("racing {i}")).await;
            }
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    api.silence("PUT", "blocked", ann, bob, &ann_token).await;
    for _ in 0..10 {
        assert_eq!(api.feed_ids(&ann_token).await, Vec::<u64>::new());
    }
    poster.await.unwrap();
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&ann_token).await, Vec::<u64>::new());
    assert!(api.partition(&format!("FEED#{ann}")).await.is_empty());
    let _ = bob;
    assert_invariants(&api).await;
}

#[tokio::test]
async fn a_deleted_account_takes_its_blocks_and_mutes_both_ways_with_it() {
    let api = TestApi::start().await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let (cat, cat_token) = api.user_with_token("cat").await;
    api.silence("PUT", "blocked", ann, bob, &ann_token).await;
    api.silence("PUT", "muted", ann, cat, &ann_token).await;
    api.silence("PUT", "blocked", cat, ann, &cat_token).await;
    api.silence("PUT", "muted", bob, ann, &bob_token).await;
    let deleted = api.delete_account(ann, &ann_token, "password-123").await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    api.settle_feeds().await;
    let traces = invariants::traces_of(&api.client, &api.table_name, ann).await;
    assert!(traces.is_empty(), "left of ann: {traces:#?}");
    for (who, token) in [(bob, &bob_token), (cat, &cat_token)] {
        for list in ["blocked", "muted"] {
            let page = api
                .get(&format!("/api/users/{who}/{list}"), token)
                .await
                .json();
            assert_eq!(page["_meta"]["total_items"], 0, "{list} of {who}");
        }
    }
    assert_invariants(&api).await;
    // Every record of the stream handed to purge_user again, as a
    // redelivery would: nothing comes back, nothing breaks.
    let mut again = api.new_poller_for(StreamWorker::named("purge_user")).await;
    again.settle(&api.app).await.unwrap();
    let traces = invariants::traces_of(&api.client, &api.table_name, ann).await;
    assert!(traces.is_empty(), "after redelivery: {traces:#?}");
    assert_invariants(&api).await;
}
