//! Likes: idempotent, counted exactly under concurrency, listed newest
//! first, shown as `liked` to the caller, and gone with their post or their
//! liker's account.

use std::sync::Arc;

use microblog_tests::api::{ids, TestApi};

async fn post_as(api: &TestApi, id: u64, token: &str) -> serde_json::Value {
    let reply = api.get(&format!("/api/posts/{id}"), token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

#[tokio::test]
async fn a_like_counts_once_shows_as_liked_to_its_giver_and_lists_the_likers_newest_first() {
    let api = TestApi::start().await;
    let (_, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let (cat, ct) = api.user_with_token("cat").await;
    let post = api.post(&st, "Like me").await["id"].as_u64().unwrap();
    api.like("PUT", post, &jt).await;
    api.like("PUT", post, &jt).await;
    let seen = post_as(&api, post, &jt).await;
    assert_eq!(
        (seen["like_count"].as_u64(), seen["liked"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(post_as(&api, post, &st).await["liked"], false);
    api.like("PUT", post, &ct).await;
    let likes = api
        .get(&format!("/api/posts/{post}/likes"), &st)
        .await
        .json();
    assert_eq!(ids(&likes), vec![cat, john]);
    assert_eq!(likes["_meta"]["total_items"], 2);
    assert!(likes["items"][0].get("email").is_none());
    assert_eq!(
        api.walk_ids(&format!("/api/posts/{post}/likes?per_page=1"), &st)
            .await,
        vec![cat, john],
        "the cursor pages through the index"
    );
    api.like("DELETE", post, &jt).await;
    api.like("DELETE", post, &jt).await;
    let seen = post_as(&api, post, &jt).await;
    assert_eq!(
        (seen["like_count"].as_u64(), seen["liked"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(
        api.get(&format!("/api/posts/{post}/likes"), &st)
            .await
            .json()["_meta"]["total_items"],
        1
    );
}

#[tokio::test]
async fn liked_shows_on_every_page_of_posts_the_caller_reads() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    api.follow(john, susan, &jt).await;
    let first = api.post(&st, "one").await["id"].as_u64().unwrap();
    let second = api.post(&st, "two").await["id"].as_u64().unwrap();
    api.like("PUT", first, &jt).await;
    api.settle_feeds().await;
    for page in ["/api/feed".to_string(), format!("/api/users/{susan}/posts")] {
        let items = api.get(&page, &jt).await.json()["items"].clone();
        let liked: Vec<(u64, bool)> = items
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["id"].as_u64().unwrap(), p["liked"].as_bool().unwrap()))
            .collect();
        assert_eq!(liked, vec![(second, false), (first, true)], "{page}");
    }
}

#[tokio::test]
async fn concurrent_likes_and_unlikes_keep_the_count_equal_to_the_likes() {
    let api = Arc::new(TestApi::start().await);
    let (_, st) = api.user_with_token("author").await;
    let post = api.post(&st, "Popular").await["id"].as_u64().unwrap();
    let mut fans = Vec::new();
    for i in 0..16 {
        fans.push(api.user_with_token(&format!("fan{i:02}")).await.1);
    }
    let mut set = tokio::task::JoinSet::new();
    for (i, token) in fans.iter().enumerate() {
        // Each fan likes twice at once; the even ones then unlike twice at
        // once, racing the others' likes.
        for round in 0..2 {
            let (api, token) = (api.clone(), token.clone());
            set.spawn(async move {
                api.like("PUT", post, &token).await;
                if i % 2 == 0 && round == 1 {
                    let path = format!("/api/posts/{post}/like");
                    let (a, b) = tokio::join!(
                        api.authorized("DELETE", &path, &token),
                        api.authorized("DELETE", &path, &token)
                    );
                    assert_eq!((a.status, b.status), (204, 204));
                }
            });
        }
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
    let likes = api
        .partition(&format!("POST#{post}"))
        .await
        .iter()
        .filter(|item| item["sk"].as_s().unwrap().starts_with("LIKE#"))
        .count() as u64;
    let count = post_as(&api, post, &st).await["like_count"]
        .as_u64()
        .unwrap();
    assert_eq!(count, likes);
    assert!(count >= 8, "every odd fan likes it: {count}");
}

#[tokio::test]
async fn a_block_hides_the_post_from_liking_and_its_likes_list() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (mallory, mt) = api.user_with_token("mallory").await;
    let post = api.post(&st, "Not for mallory").await["id"]
        .as_u64()
        .unwrap();
    api.silence("PUT", "blocked", susan, mallory, &st).await;
    api.authorized("PUT", &format!("/api/posts/{post}/like"), &mt)
        .await
        .assert_error(404, "no post has the id");
    api.get(&format!("/api/posts/{post}/likes"), &mt)
        .await
        .assert_error(404, "no post has the id");
    assert_eq!(post_as(&api, post, &st).await["like_count"], 0);
}

#[tokio::test]
async fn deleting_a_post_removes_its_likes_and_the_likers_pointers() {
    let api = TestApi::start().await;
    let (_, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let post = api.post(&st, "Short-lived").await["id"].as_u64().unwrap();
    api.like("PUT", post, &jt).await;
    api.like("PUT", post, &st).await;
    assert_eq!(
        api.authorized("DELETE", &format!("/api/posts/{post}"), &st)
            .await
            .status,
        204
    );
    api.settle_feeds().await;
    assert!(api.partition(&format!("POST#{post}")).await.is_empty());
    let pointers = api
        .partition(&format!("USER#{john}"))
        .await
        .into_iter()
        .filter(|item| item["sk"].as_s().unwrap().starts_with("LIKED#"))
        .count();
    assert_eq!(pointers, 0);
    // Redelivered, the deletion's record finds nothing left to do.
    api.redeliver("clean_up_post").await;
}

#[tokio::test]
async fn deleting_an_account_takes_back_its_likes_and_fixes_the_counts() {
    let api = TestApi::start_with(&[("ACCOUNT_CLEANUP_STEP", "2")]).await;
    let (_, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let mut posts = Vec::new();
    for n in 0..5 {
        let post = api.post(&st, &format!("post {n}")).await["id"]
            .as_u64()
            .unwrap();
        api.like("PUT", post, &jt).await;
        api.like("PUT", post, &st).await;
        posts.push(post);
    }
    // One liked post is already gone when the account goes.
    api.authorized("DELETE", &format!("/api/posts/{}", posts[0]), &st)
        .await;
    assert_eq!(
        api.delete_account(john, &jt, "password-123").await.status,
        204
    );
    api.settle_feeds().await;
    for post in &posts[1..] {
        let seen = post_as(&api, *post, &st).await;
        assert_eq!(seen["like_count"], 1, "only susan's like is left");
        assert_eq!(
            ids(&api
                .get(&format!("/api/posts/{post}/likes"), &st)
                .await
                .json())
            .len(),
            1
        );
    }
    assert!(api.partition(&format!("USER#{john}")).await.is_empty());
}

#[tokio::test]
async fn a_suspended_author_s_post_cannot_be_liked_nor_its_likes_or_replies_read() {
    let api = TestApi::start().await;
    let (sam, samt) = api.user_with_token("sam").await;
    let (_, jt) = api.user_with_token("john").await;
    let post = api.post(&samt, "Soon hidden").await["id"].as_u64().unwrap();
    api.like("PUT", post, &jt).await;
    api.reply(&jt, post, "a reply").await;
    api.suspend(sam, "moddy").await;
    for (method, path) in [
        ("PUT", format!("/api/posts/{post}/like")),
        ("GET", format!("/api/posts/{post}/likes")),
        ("GET", format!("/api/posts/{post}/replies")),
        ("GET", format!("/api/posts/{post}")),
    ] {
        api.authorized(method, &path, &jt)
            .await
            .assert_error(404, "no post has the id");
    }
    // Taking one's like back is never refused.
    api.like("DELETE", post, &jt).await;
}
