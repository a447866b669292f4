//! `microblog-local --seed-demo`: the demo world is made for any size the
//! option takes, is the same every time, has popular authors (read into
//! feeds at read time) and a feed to read, and is refused on a table that
//! already has users.

use microblog_local::demo::{seed_demo, DEMO_PASSWORD};
use microblog_shared::domain::UserId;
use microblog_shared::store::Read;
use microblog_tests::api::TestApi;

async fn username(api: &TestApi, id: u64) -> String {
    api.app
        .users
        .get(UserId::new(id), Read::Strong)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no user {id}"))
        .username
}

#[tokio::test]
async fn the_smallest_demo_worlds_are_made() {
    for users in [2, 3, 6] {
        let api = TestApi::start().await;
        let made = seed_demo(&api.app, users).await.expect("the world is made");
        assert_eq!(made.users, users);
        assert!(made.follows >= users, "everyone follows someone: {made:?}");
        assert!(made.posts >= 3 * users, "{made:?}");
    }
}

#[tokio::test]
async fn a_demo_world_has_popular_authors_and_a_feed_to_read() {
    let api = TestApi::start_with(&[("POPULAR_FOLLOWERS", "15")]).await;
    let made = seed_demo(&api.app, 100).await.unwrap();
    assert!(made.popular >= 1, "{made:?}");
    assert!(made.likes > 0 && made.follows > 500, "{made:?}");
    api.settle_feeds().await;

    // User 1 is the most followed: a popular author, merged into feeds.
    let name = username(&api, 1).await;
    assert!(name.ends_with('1'), "{name}");
    let token = api.token(&name, DEMO_PASSWORD).await;
    let me = api.get("/api/users/1", &token).await.json();
    assert!(me["follower_count"].as_u64().unwrap() >= 15, "{me}");
    let follower = api
        .get("/api/users/1/followers?per_page=1", &token)
        .await
        .json();
    let follower_name = follower["items"][0]["username"]
        .as_str()
        .unwrap()
        .to_string();
    let follower_token = api.token(&follower_name, DEMO_PASSWORD).await;
    let feed = api
        .walk_ids("/api/feed?per_page=100", &follower_token)
        .await;
    assert!(!feed.is_empty());
    let mut newest_first = feed.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(feed, newest_first, "the feed is newest first");
}

#[tokio::test]
async fn the_same_size_gives_the_same_world() {
    let mut worlds = Vec::new();
    for _ in 0..2 {
        let api = TestApi::start().await;
        let made = seed_demo(&api.app, 20).await.unwrap();
        let mut names = Vec::new();
        for id in 1..=20 {
            names.push(username(&api, id).await);
        }
        worlds.push((format!("{made:?}"), names));
    }
    assert_eq!(worlds[0], worlds[1]);
}

#[tokio::test]
async fn a_table_with_users_is_refused() {
    let api = TestApi::start().await;
    api.create_user("susan", "correct-horse-99").await;
    let refused = seed_demo(&api.app, 10).await.unwrap_err();
    assert!(
        refused.to_string().contains("fills an empty table"),
        "{refused}"
    );
}
