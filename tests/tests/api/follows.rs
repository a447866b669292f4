//! Following, unfollowing, the follower lists and their counts.

use std::sync::Arc;

use microblog_tests::api::{bearer, ids, TestApi};

async fn counts(api: &TestApi, id: u64, token: &str) -> (u64, u64) {
    let user = api.get(&format!("/api/users/{id}"), token).await.json();
    (
        user["follower_count"].as_u64().unwrap(),
        user["followed_count"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn following_shows_in_both_lists_and_both_counts() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let reply = api
        .authorized("PUT", &format!("/api/users/{john}/followed/{susan}"), &jt)
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    assert_eq!(
        api.authorized("GET", &format!("/api/users/{john}/followed/{susan}"), &st)
            .await
            .status,
        204
    );
    api.authorized("GET", &format!("/api/users/{susan}/followed/{john}"), &st)
        .await
        .assert_error(404, "does not follow");
    assert_eq!(counts(&api, susan, &st).await, (1, 0));
    assert_eq!(counts(&api, john, &st).await, (0, 1));
    let followers = api
        .get(&format!("/api/users/{susan}/followers"), &st)
        .await
        .json();
    assert_eq!(ids(&followers), vec![john]);
    assert_eq!(followers["_meta"]["total_items"], 1);
    assert!(followers["items"][0].get("email").is_none());
    let followed = api
        .get(&format!("/api/users/{john}/followed"), &st)
        .await
        .json();
    assert_eq!(ids(&followed), vec![susan]);
    assert_eq!(
        followed["_links"]["self"],
        format!("/api/users/{john}/followed?page=1&per_page=10")
    );
}

#[tokio::test]
async fn following_twice_and_unfollowing_twice_change_the_counts_once() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let path = format!("/api/users/{john}/followed/{susan}");
    for _ in 0..2 {
        assert_eq!(api.authorized("PUT", &path, &jt).await.status, 204);
    }
    assert_eq!(counts(&api, susan, &st).await, (1, 0));
    for _ in 0..2 {
        assert_eq!(api.authorized("DELETE", &path, &jt).await.status, 204);
    }
    assert_eq!(counts(&api, susan, &st).await, (0, 0));
    assert_eq!(counts(&api, john, &st).await, (0, 0));
    api.authorized("GET", &path, &st)
        .await
        .assert_error(404, "does not follow");
    assert_eq!(
        api.get(&format!("/api/users/{susan}/followers"), &st)
            .await
            .json()["items"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn only_the_user_themself_may_follow_or_unfollow() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, _) = api.user_with_token("john").await;
    for method in ["PUT", "DELETE"] {
        api.authorized(method, &format!("/api/users/{john}/followed/{susan}"), &st)
            .await
            .assert_error(403, "yourself");
    }
}

#[tokio::test]
async fn following_yourself_is_a_400() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    api.authorized("PUT", &format!("/api/users/{susan}/followed/{susan}"), &st)
        .await
        .assert_error(400, "you cannot follow yourself");
    api.authorized(
        "DELETE",
        &format!("/api/users/{susan}/followed/{susan}"),
        &st,
    )
    .await
    .assert_error(400, "yourself");
    assert_eq!(counts(&api, susan, &st).await, (0, 0));
}

#[tokio::test]
async fn an_unknown_user_in_a_follow_path_is_a_404() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    for method in ["PUT", "DELETE", "GET"] {
        api.authorized(method, &format!("/api/users/{susan}/followed/999"), &st)
            .await
            .assert_error(404, "999");
        api.authorized(method, &format!("/api/users/{susan}/followed/abc"), &st)
            .await
            .assert_error(404, "");
    }
    api.authorized("GET", "/api/users/999/followed/1", &st)
        .await
        .assert_error(404, "999");
    api.authorized("GET", "/api/users/999/followers", &st)
        .await
        .assert_error(404, "999");
    api.authorized("GET", "/api/users/999/followed", &st)
        .await
        .assert_error(404, "999");
    assert_eq!(counts(&api, susan, &st).await, (0, 0));
}

#[tokio::test]
async fn follow_routes_need_a_token() {
    let api = TestApi::start().await;
    api.user_with_token("susan").await;
    for (method, path) in [
        ("PUT", "/api/users/1/followed/2"),
        ("DELETE", "/api/users/1/followed/2"),
        ("GET", "/api/users/1/followed/2"),
        ("GET", "/api/users/1/followers"),
        ("GET", "/api/users/1/followed"),
    ] {
        let reply = api.call(method, path, &[], None).await;
        reply.assert_error(401, "token");
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="Authentication Required""#)
        );
    }
}

#[tokio::test]
async fn followers_are_listed_newest_first_and_a_walk_visits_each_once() {
    let api = TestApi::start().await;
    let (star, st) = api.user_with_token("star").await;
    let mut fans = Vec::new();
    for i in 0..13 {
        let (fan, ft) = api.user_with_token(&format!("fan{i:02}")).await;
        api.follow(fan, star, &ft).await;
        fans.push(fan);
    }
    let pages = api
        .walk(&format!("/api/users/{star}/followers?per_page=4"), &st)
        .await;
    assert_eq!(pages.len(), 4);
    let seen: Vec<u64> = pages.iter().flat_map(ids).collect();
    fans.reverse();
    assert_eq!(seen, fans, "newest follow first, each once");
    assert_eq!(pages[0]["_meta"]["total_items"], 13);
    assert_eq!(pages[0]["_meta"]["total_pages"], 4);
    let bare = api
        .get(
            &format!("/api/users/{star}/followers?page=3&per_page=4"),
            &st,
        )
        .await
        .json();
    assert_eq!(ids(&bare), ids(&pages[2]));
    let past = api
        .get(
            &format!("/api/users/{star}/followers?page=9&per_page=4"),
            &st,
        )
        .await
        .json();
    assert_eq!(past["items"], serde_json::json!([]));
    let users_cursor = api.get("/api/users?per_page=1", &st).await.json()["_links"]["next"]
        .as_str()
        .unwrap()
        .to_string();
    let cursor = users_cursor.split("cursor=").nth(1).unwrap();
    api.get(&format!("/api/users/{star}/followers?cursor={cursor}"), &st)
        .await
        .assert_error(400, "cursor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_and_repeated_follows_and_unfollows_keep_counts_equal_to_edges() {
    let api = Arc::new(TestApi::start().await);
    let (target, tt) = api.user_with_token("target").await;
    let mut fans = Vec::new();
    for i in 0..20 {
        fans.push(api.user_with_token(&format!("fan{i:02}")).await);
    }
    let run = |method: &'static str, jobs: Vec<(u64, String)>| {
        let api = api.clone();
        async move {
            let mut set = tokio::task::JoinSet::new();
            for (fan, token) in jobs {
                let api = api.clone();
                set.spawn(async move {
                    api.authorized(
                        method,
                        &format!("/api/users/{fan}/followed/{target}"),
                        &token,
                    )
                    .await
                });
            }
            while let Some(reply) = set.join_next().await {
                let reply = reply.unwrap();
                assert_eq!(reply.status, 204, "{method}: {}", reply.body);
            }
        }
    };
    // 20 users follow one target at once, and one of them repeats it 20 times at once.
    let repeats: Vec<(u64, String)> = std::iter::repeat_n(fans[0].clone(), 20).collect();
    run("PUT", fans.clone()).await;
    run("PUT", repeats.clone()).await;
    assert_eq!(counts(&api, target, &tt).await, (20, 0));
    for (fan, _) in &fans {
        assert_eq!(counts(&api, *fan, &tt).await, (0, 1));
    }
    let listed: Vec<u64> = api
        .walk(&format!("/api/users/{target}/followers?per_page=7"), &tt)
        .await
        .iter()
        .flat_map(ids)
        .collect();
    assert_eq!(listed.len(), 20);
    // Concurrent repeats of one unfollow, then everyone unfollows at once.
    run("DELETE", repeats).await;
    assert_eq!(counts(&api, target, &tt).await, (19, 0));
    assert_eq!(counts(&api, fans[0].0, &tt).await, (0, 0));
    run("DELETE", fans.clone()).await;
    assert_eq!(counts(&api, target, &tt).await, (0, 0));
    for (fan, _) in &fans {
        assert_eq!(counts(&api, *fan, &tt).await, (0, 0));
    }
}

#[tokio::test]
async fn the_followed_list_walks_newest_first_and_rejects_bad_page_parameters() {
    let api = TestApi::start().await;
    let (fan, ft) = api.user_with_token("fan").await;
    let mut stars = Vec::new();
    for i in 0..7 {
        let star = api.create_user(&format!("star{i}"), "password-1").await["id"]
            .as_u64()
            .unwrap();
        api.follow(fan, star, &ft).await;
        stars.push(star);
    }
    let pages = api
        .walk(&format!("/api/users/{fan}/followed?per_page=3"), &ft)
        .await;
    let seen: Vec<u64> = pages.iter().flat_map(ids).collect();
    stars.reverse();
    assert_eq!(seen, stars);
    assert_eq!(pages.len(), 3);
    for list in ["followed", "followers"] {
        for query in ["page=0", "per_page=x", "cursor=%%", "cursor=MQ"] {
            api.get(&format!("/api/users/{fan}/{list}?{query}"), &ft)
                .await
                .assert_error(400, "");
        }
    }
}

#[tokio::test]
async fn a_walk_visits_every_remaining_follower_even_when_others_unfollow_meanwhile() {
    let api = TestApi::start().await;
    let (star, st) = api.user_with_token("star").await;
    let mut fans = Vec::new();
    for i in 0..9 {
        let (fan, ft) = api.user_with_token(&format!("fan{i}")).await;
        api.authorized("PUT", &format!("/api/users/{fan}/followed/{star}"), &ft)
            .await;
        fans.push((fan, ft));
    }
    let first = api
        .get(&format!("/api/users/{star}/followers?per_page=3"), &st)
        .await
        .json();
    assert_eq!(ids(&first), vec![fans[8].0, fans[7].0, fans[6].0]);
    // Four of the first page's and earlier followers leave: the count drops to 5.
    for (fan, ft) in [&fans[8], &fans[7], &fans[6], &fans[5]] {
        assert_eq!(
            api.authorized("DELETE", &format!("/api/users/{fan}/followed/{star}"), ft)
                .await
                .status,
            204
        );
    }
    let rest = api
        .walk(first["_links"]["next"].as_str().unwrap(), &st)
        .await;
    let seen: Vec<u64> = rest.iter().flat_map(ids).collect();
    assert_eq!(
        seen,
        vec![fans[4].0, fans[3].0, fans[2].0, fans[1].0, fans[0].0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interleaved_follows_and_unfollows_of_one_pair_leave_counts_equal_to_the_edges() {
    let api = Arc::new(TestApi::start().await);
    let (target, tt) = api.user_with_token("target").await;
    let mut fans = Vec::new();
    for i in 0..4 {
        fans.push(api.user_with_token(&format!("fan{i}")).await);
    }
    let mut set = tokio::task::JoinSet::new();
    for round in 0..10 {
        for (fan, token) in fans.clone() {
            let api = api.clone();
            let method = if (round + fan) % 2 == 0 {
                "PUT"
            } else {
                "DELETE"
            };
            set.spawn(async move {
                api.authorized(
                    method,
                    &format!("/api/users/{fan}/followed/{target}"),
                    &token,
                )
                .await
                .status
            });
        }
    }
    while let Some(status) = set.join_next().await {
        assert_eq!(status.unwrap(), 204);
    }
    // Whatever order the requests landed in, the counts equal the edges.
    let mut edges = 0;
    for (fan, _) in &fans {
        let follows = api
            .authorized("GET", &format!("/api/users/{fan}/followed/{target}"), &tt)
            .await
            .status
            == 204;
        assert_eq!(counts(&api, *fan, &tt).await, (0, follows as u64));
        edges += follows as u64;
    }
    assert_eq!(counts(&api, target, &tt).await, (edges, 0));
    let listed: Vec<u64> = api
        .walk(&format!("/api/users/{target}/followers?per_page=2"), &tt)
        .await
        .iter()
        .flat_map(ids)
        .collect();
    assert_eq!(listed.len() as u64, edges);
}

#[tokio::test]
async fn the_existence_checks_behind_a_404_and_a_sign_up_read_strongly() {
    use microblog_shared::domain::{Email, UserId, Username};
    use microblog_tests::recorder::ReadLog;
    let api = TestApi::start().await;
    api.user_with_token("susan").await;
    api.user_with_token("john").await;
    let log = ReadLog::default();
    let app = microblog_shared::App::new(
        api.app.config.clone(),
        api.client_with(|config| config.interceptor(log.clone())),
    );
    // "Does 1 follow 2?" missed: is it "not following" or "no such user"?
    assert!(app
        .follows
        .both_exist(UserId::new(1), UserId::new(2))
        .await
        .unwrap());
    assert!(!app
        .follows
        .both_exist(UserId::new(1), UserId::new(99))
        .await
        .unwrap());
    // Registration's pre-check of the username and email markers.
    let name = Username::parse("alice").unwrap();
    let email = Email::parse("alice@example.com").unwrap();
    app.users.precheck(&name, &email).await.unwrap();
    assert_eq!(log.strong_get_items(), vec![true; 6]);
}

#[tokio::test]
async fn a_relationship_says_whether_each_follows_the_other_and_follows_every_change() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let between = |viewer: u64, token: String, other: u64| {
        let api = &api;
        async move {
            let reply = api
                .get(&format!("/api/users/{other}/relationship"), &token)
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            let json = reply.json();
            assert_eq!(json["id"], other);
            assert_eq!(json["_links"]["user"], format!("/api/users/{other}"));
            assert_eq!(
                json["_links"]["follow"],
                format!("/api/users/{viewer}/followed/{other}")
            );
            (json["following"] == true, json["followed_by"] == true)
        }
    };
    assert_eq!(between(susan, st.clone(), john).await, (false, false));
    api.follow(john, susan, &jt).await;
    assert_eq!(between(susan, st.clone(), john).await, (false, true));
    assert_eq!(between(john, jt.clone(), susan).await, (true, false));
    api.follow(susan, john, &st).await;
    assert_eq!(between(susan, st.clone(), john).await, (true, true));
    api.unfollow(john, susan, &jt).await;
    assert_eq!(between(susan, st.clone(), john).await, (true, false));
    assert_eq!(between(john, jt.clone(), susan).await, (false, true));
}

#[tokio::test]
async fn one_s_own_relationship_is_neither_and_unknown_or_unauthenticated_ones_are_errors() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let own = api
        .get(&format!("/api/users/{susan}/relationship"), &st)
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    let json = own.json();
    assert_eq!(
        (&json["following"], &json["followed_by"]),
        (&false.into(), &false.into())
    );
    assert!(json["_links"].get("follow").is_none(), "{json}");
    for path in ["/api/users/999/relationship", "/api/users/01/relationship"] {
        api.get(path, &st).await.assert_error(404, "");
    }
    let reply = api
        .call("GET", "/api/users/1/relationship", &[], None)
        .await;
    assert_eq!(reply.status, 401, "{}", reply.body);
}

#[tokio::test]
async fn a_relationship_unchanged_since_its_etag_is_a_304() {
    let api = TestApi::start().await;
    let (susan, st) = api.user_with_token("susan").await;
    let (john, jt) = api.user_with_token("john").await;
    let path = format!("/api/users/{john}/relationship");
    let first = api.get(&path, &st).await;
    let etag = first.header("etag").expect("an ETag").to_string();
    let auth = bearer(&st);
    let headers = [
        ("authorization", auth.as_str()),
        ("if-none-match", etag.as_str()),
    ];
    assert_eq!(api.call("GET", &path, &headers, None).await.status, 304);
    api.follow(john, susan, &jt).await;
    assert_eq!(api.call("GET", &path, &headers, None).await.status, 200);
}
