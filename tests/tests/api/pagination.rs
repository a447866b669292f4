//! The users collection: page numbers, cursors, links and limits.

use std::collections::HashSet;

use microblog_tests::api::{ids, TestApi};
use serde_json::Value;

async fn api_with_users(n: usize) -> (TestApi, String) {
    let api = TestApi::start().await;
    let (_, token) = api.user_with_token("viewer").await;
    for i in 1..n {
        api.create_user(&format!("user{i:02}"), "password-1").await;
    }
    (api, token)
}

#[tokio::test]
async fn walking_next_from_the_first_page_visits_every_user_once_in_id_order() {
    let (api, token) = api_with_users(23).await;
    let pages = api.walk("/api/users?per_page=5", &token).await;
    assert_eq!(pages.len(), 5);
    let seen: Vec<u64> = pages.iter().flat_map(ids).collect();
    assert_eq!(seen, (1..=23).collect::<Vec<u64>>());
    for (i, page) in pages.iter().enumerate() {
        let meta = &page["_meta"];
        assert_eq!(
            (meta["page"].as_u64(), meta["per_page"].as_u64()),
            (Some(i as u64 + 1), Some(5))
        );
        assert_eq!(
            (meta["total_pages"].as_u64(), meta["total_items"].as_u64()),
            (Some(5), Some(23))
        );
        assert!(page["_links"]["self"]
            .as_str()
            .unwrap()
            .starts_with("/api/users?page="));
    }
    assert_eq!(pages[0]["_links"]["prev"], Value::Null);
    assert_eq!(pages[4]["_links"]["next"], Value::Null);
    assert_eq!(pages[1]["_links"]["prev"], "/api/users?page=1&per_page=5");
    assert!(
        pages[0]["_links"]["next"]
            .as_str()
            .unwrap()
            .contains("cursor="),
        "next carries a cursor"
    );
}

#[tokio::test]
async fn a_bare_page_number_gives_the_same_page_as_the_next_link() {
    let (api, token) = api_with_users(12).await;
    let pages = api.walk("/api/users?per_page=5", &token).await;
    for n in 1..=3 {
        let bare = api
            .get(&format!("/api/users?page={n}&per_page=5"), &token)
            .await
            .json();
        assert_eq!(ids(&bare), ids(&pages[n - 1]), "page {n}");
        assert_eq!(
            bare["_links"]["next"].is_null(),
            pages[n - 1]["_links"]["next"].is_null()
        );
    }
}

#[tokio::test]
async fn a_walk_stays_exact_while_users_register_during_it() {
    let (api, token) = api_with_users(6).await;
    let first = api.get("/api/users?per_page=4", &token).await.json();
    api.create_user("latecomer", "password-1").await;
    let second = api
        .get(first["_links"]["next"].as_str().unwrap(), &token)
        .await
        .json();
    let seen: HashSet<u64> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert_eq!(seen, (1..=7).collect());
}

#[tokio::test]
async fn defaults_are_page_1_of_10_and_per_page_is_clamped_to_100() {
    let (api, token) = api_with_users(12).await;
    let page = api.get("/api/users", &token).await.json();
    assert_eq!(ids(&page), (1..=10).collect::<Vec<u64>>());
    assert_eq!(page["_meta"]["per_page"], 10);
    let clamped = api.get("/api/users?per_page=1000", &token).await.json();
    assert_eq!(clamped["_meta"]["per_page"], 100);
    assert_eq!(ids(&clamped).len(), 12);
    assert_eq!(clamped["_links"]["next"], Value::Null);
}

#[tokio::test]
async fn a_page_past_the_end_is_200_with_no_items() {
    let (api, token) = api_with_users(3).await;
    let reply = api.get("/api/users?page=7&per_page=2", &token).await;
    assert_eq!(reply.status, 200);
    let page = reply.json();
    assert_eq!(page["items"], serde_json::json!([]));
    assert_eq!(page["_meta"]["total_items"], 3);
    assert_eq!(page["_links"]["next"], Value::Null);
    assert_eq!(page["_links"]["prev"], "/api/users?page=6&per_page=2");
}

#[tokio::test]
async fn bad_page_parameters_and_forged_cursors_are_a_400() {
    let (api, token) = api_with_users(2).await;
    for query in [
        "page=0",
        "page=-1",
        "page=abc",
        "per_page=0",
        "per_page=2.5",
        "page=",
        "cursor=%%%",
        "cursor=bm9wZQ",
    ] {
        api.get(&format!("/api/users?{query}"), &token)
            .await
            .assert_error(400, "");
    }
}

#[tokio::test]
async fn the_collection_needs_a_token() {
    let (api, _) = api_with_users(1).await;
    api.call("GET", "/api/users", &[], None)
        .await
        .assert_error(401, "token");
}

#[tokio::test]
async fn a_bare_page_skips_across_many_query_batches_to_the_right_place() {
    use microblog_shared::domain::UserId;
    use microblog_shared::store::items::{directory_key, n};
    use microblog_shared::store::SKIP_BATCH;
    let api = TestApi::start().await;
    // Directory entries written directly: 2.5 skip batches' worth, cheaply.
    let total = SKIP_BATCH * 5 / 2;
    let ids: Vec<UserId> = (1..=total).map(UserId::new).collect();
    for chunk in ids.chunks(25) {
        let writes = chunk
            .iter()
            .map(|id| {
                let mut item = directory_key(*id);
                item.insert("user_id".into(), n(id));
                let put = aws_sdk_dynamodb::types::PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .unwrap();
                aws_sdk_dynamodb::types::WriteRequest::builder()
                    .put_request(put)
                    .build()
            })
            .collect();
        api.client
            .batch_write_item()
            .request_items(&api.table_name, writes)
            .send()
            .await
            .unwrap();
    }
    let skip = SKIP_BATCH * 2 + 7;
    let window = api.app.users.directory_window(None, skip, 3).await.unwrap();
    let users = |range: std::ops::RangeInclusive<u64>| range.map(UserId::new).collect::<Vec<_>>();
    assert_eq!(window, users(skip + 1..=skip + 3));
    assert_eq!(
        api.app
            .users
            .directory_window(None, total - 1, 3)
            .await
            .unwrap(),
        users(total..=total)
    );
    assert_eq!(
        api.app
            .users
            .directory_window(None, total, 3)
            .await
            .unwrap(),
        Vec::<UserId>::new()
    );
    assert_eq!(
        api.app
            .users
            .directory_window(Some(UserId::new(total - 2)), 0, 5)
            .await
            .unwrap(),
        users(total - 1..=total)
    );
}

#[tokio::test]
async fn a_bare_page_deeper_than_the_skip_limit_is_a_400_pointing_to_next_links() {
    use microblog_shared::store::items::{key, n};
    let (api, token) = api_with_users(2).await;
    // Pretend to hold many users: only the count decides how deep a page lies.
    let mut stats = key("STATS#users", "COUNT");
    stats.insert("user_count".into(), n(50_000));
    api.client
        .put_item()
        .table_name(&api.table_name)
        .set_item(Some(stats))
        .send()
        .await
        .unwrap();
    api.get("/api/users?page=1002&per_page=10", &token)
        .await
        .assert_error(400, "follow the next links");
    assert_eq!(
        api.get("/api/users?page=1001&per_page=10", &token)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_feed_page_past_u64_s_range_is_the_documented_400() {
    let (api, token) = api_with_users(1).await;
    api.get("/api/feed?page=18446744073709551615", &token)
        .await
        .assert_error(400, "follow the next links");
}

#[tokio::test]
async fn the_next_cursor_in_meta_pages_like_the_next_link_without_parsing_it() {
    let (api, token) = api_with_users(12).await;
    let by_links = api.walk("/api/users?per_page=5", &token).await;
    let mut by_cursor = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let target = match &cursor {
            Some(cursor) => format!("/api/users?per_page=5&cursor={cursor}"),
            None => "/api/users?per_page=5".to_string(),
        };
        let page = api.get(&target, &token).await.json();
        by_cursor.extend(ids(&page));
        match page["_meta"]["next_cursor"].as_str() {
            Some(next) => {
                let link = page["_links"]["next"].as_str().unwrap();
                assert!(link.ends_with(&format!("&cursor={next}")), "{link}");
                cursor = Some(next.to_string());
            }
            None => {
                assert_eq!(page["_links"]["next"], Value::Null);
                assert!(page["_meta"]
                    .as_object()
                    .unwrap()
                    .contains_key("next_cursor"));
                break;
            }
        }
    }
    assert_eq!(
        by_cursor,
        by_links.iter().flat_map(ids).collect::<Vec<u64>>()
    );
    assert_eq!(by_cursor.len(), 12);
}
