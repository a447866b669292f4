//! Reports and moderation: one open report per reporter and target (a
//! repeat or a race answers the same one), limited per hour; reporters
//! and moderators alone see a report; the queue is oldest first with the
//! targets as they are now and the oldest report's age; a decision is
//! taken once, with its audit record; removing a post takes it out of
//! every feed; a suspension ends every session, refuses log-in and every
//! request, and hides the user from all but moderators until lifted; a
//! deleted reporter takes their reports along, and every count stays exact.

use microblog_tests::api::{ids, Reply, TestApi};
use microblog_tests::invariants;
use serde_json::{json, Value};

async fn assert_invariants(api: &TestApi) {
    if let Err(problems) = invariants::check(&api.client, &api.table_name, None).await {
        panic!("{problems:#?}");
    }
}

fn id(value: &Value) -> u64 {
    value["id"].as_u64().unwrap()
}

fn created(reply: Reply) -> Value {
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()
}

/// Every audit record of moderators' acts (not the operator's grants of
/// the role), in the order they were written.
async fn audit(api: &TestApi) -> Vec<Value> {
    let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
    api.partition(&format!("AUDIT#{day}"))
        .await
        .iter()
        .map(|item| {
            let text = |name: &str| {
                item.get(name)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default()
            };
            let number = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).cloned();
            json!({
                "actor": text("actor"),
                "act": text("act"),
                "taken": text("taken"),
                "report_id": number("report_id"),
                "user_id": number("user_id"),
                "note": text("note"),
            })
        })
        .filter(|record| record["actor"] != "operator")
        .collect()
}

#[tokio::test]
async fn a_report_is_open_with_its_target_and_a_repeat_answers_the_same_report() {
    let api = TestApi::start().await;
    let (_, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let post = api.post(&bob_token, "buy my stuff").await;
    let body = json!({"post_id": id(&post), "reason": "spam", "comment": "the same link, again"});
    let reply = api.report(&ann_token, body.clone()).await;
    let location = reply.header("location").map(str::to_string);
    let report = created(reply);
    assert_eq!(
        location.as_deref(),
        Some(format!("/api/reports/{}", id(&report)).as_str())
    );
    assert_eq!(report["status"], "open");
    assert_eq!(report["reason"], "spam");
    assert_eq!(report["comment"], "the same link, again");
    assert_eq!(report["target"], json!({"type": "post", "id": id(&post)}));
    assert_eq!(report["action"], Value::Null);
    assert_eq!(
        report["_links"]["target"],
        format!("/api/posts/{}", id(&post))
    );
    // Another reason, the same target: still the one open report.
    let again = api
        .report(
            &ann_token,
            json!({"post_id": id(&post), "reason": "harassment"}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json(), report);
    // The user is another target.
    let user_report = created(
        api.report(&ann_token, json!({"user_id": bob, "reason": "other"}))
            .await,
    );
    assert_ne!(id(&user_report), id(&report));
    assert_eq!(user_report["comment"], Value::Null);
    assert_invariants(&api).await;
}

#[tokio::test]
async fn a_report_names_one_existing_target_not_oneself_and_a_known_reason() {
    let api = TestApi::start().await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let own = api.post(&ann_token, "mine").await;
    for (body, status, message) in [
        (json!({"reason": "spam"}), 400, "post_id or user_id"),
        (
            json!({"post_id": 1, "user_id": ann, "reason": "spam"}),
            400,
            "cannot both be given",
        ),
        (
            json!({"post_id": 0, "reason": "spam"}),
            400,
            "post_id must be a positive integer id",
        ),
        (
            json!({"user_id": "2", "reason": "spam"}),
            400,
            "user_id must be a positive integer id",
        ),
        (json!({"user_id": ann}), 400, "reason"),
        (
            json!({"user_id": ann, "reason": "rude"}),
            400,
            "reason must be one of",
        ),
        (
            json!({"user_id": ann, "reason": "spam"}),
            400,
            "you cannot report yourself",
        ),
        (
            json!({"post_id": id(&own), "reason": "spam"}),
            400,
            "your own post",
        ),
        (
            json!({"post_id": 999, "reason": "spam"}),
            404,
            "no post has the id 999",
        ),
        (
            json!({"user_id": 999, "reason": "spam"}),
            404,
            "no user has the id 999",
        ),
        (
            json!({"user_id": 999, "reason": "spam", "comment": "x".repeat(1001)}),
            400,
            "comment must be at most 1000",
        ),
        (
            json!({"user_id": 999, "reason": "spam", "comment": "  "}),
            400,
            "comment must have at least one visible character",
        ),
    ] {
        api.report(&ann_token, body.clone())
            .await
            .assert_error(status, message);
    }
    assert_invariants(&api).await;
}

#[tokio::test]
async fn reports_are_limited_per_reporter_per_hour_and_a_repeat_costs_nothing() {
    let api = TestApi::start_with(&[("RATE_LIMIT_REPORTS_PER_HOUR", "2")]).await;
    let (_, ann_token) = api.user_with_token("ann").await;
    let mut targets = Vec::new();
    for name in ["bob", "cat", "dan"] {
        targets.push(api.user_with_token(name).await.0);
    }
    let report = |target: u64| json!({"user_id": target, "reason": "spam"});
    created(api.report(&ann_token, report(targets[0])).await);
    // Repeats answer the open report and count nothing.
    for _ in 0..3 {
        assert_eq!(api.report(&ann_token, report(targets[0])).await.status, 200);
    }
    created(api.report(&ann_token, report(targets[1])).await);
    let refused = api.report(&ann_token, report(targets[2])).await;
    refused.assert_error(429, "you made 2 reports this hour");
    assert!(refused.header("retry-after").is_some());
    // Another reporter has a limit of their own.
    let (_, bob_token) = api.user_with_token("eve").await;
    created(api.report(&bob_token, report(targets[2])).await);
    assert_invariants(&api).await;
}

#[tokio::test]
async fn reports_of_one_target_by_one_reporter_at_once_file_one() {
    let api = std::sync::Arc::new(TestApi::start().await);
    let (_, ann_token) = api.user_with_token("ann").await;
    let (bob, _) = api.user_with_token("bob").await;
    let mut running = Vec::new();
    for _ in 0..12 {
        let (api, token) = (api.clone(), ann_token.clone());
        running.push(tokio::spawn(async move {
            api.report(&token, json!({"user_id": bob, "reason": "spam"}))
                .await
        }));
    }
    let mut statuses = Vec::new();
    let mut report_ids = std::collections::BTreeSet::new();
    for task in running {
        let reply = task.await.unwrap();
        statuses.push(reply.status);
        report_ids.insert(id(&reply.json()));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    assert_eq!(report_ids.len(), 1, "every answer is the one report");
    assert_invariants(&api).await;
}

#[tokio::test]
async fn a_report_is_seen_by_its_reporter_and_moderators_and_no_one_else() {
    let api = TestApi::start().await;
    let (_, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let (_, moderator_token) = api.moderator_with_token("mod").await;
    let report = created(
        api.report(&ann_token, json!({"user_id": bob, "reason": "hate"}))
            .await,
    );
    let path = format!("/api/reports/{}", id(&report));
    assert_eq!(api.get(&path, &ann_token).await.json(), report);
    assert_eq!(api.get(&path, &moderator_token).await.status, 200);
    api.get(&path, &bob_token)
        .await
        .assert_error(404, "no report you may see");
    api.get("/api/reports/0", &ann_token)
        .await
        .assert_error(404, "no report");
}

#[tokio::test]
async fn every_moderation_route_is_a_403_to_anyone_but_a_moderator() {
    let api = TestApi::start().await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, _) = api.user_with_token("bob").await;
    let report = created(
        api.report(&ann_token, json!({"user_id": bob, "reason": "spam"}))
            .await,
    );
    let decision = json!({"status": "dismissed"});
    for reply in [
        api.get("/api/reports", &ann_token).await,
        api.get("/api/reports?status=open", &ann_token).await,
        api.decide(id(&report), &ann_token, decision.clone()).await,
        api.decide(999, &ann_token, decision.clone()).await,
        api.authorized(
            "DELETE",
            &format!("/api/users/{bob}/suspension"),
            &ann_token,
        )
        .await,
        api.authorized("DELETE", "/api/users/x/suspension", &ann_token)
            .await,
    ] {
        reply.assert_error(403, "only moderators");
    }
    // Nothing changed: the report is still open and nobody is suspended.
    let path = format!("/api/reports/{}", id(&report));
    assert_eq!(api.get(&path, &ann_token).await.json()["status"], "open");
    assert_eq!(
        api.get(&format!("/api/users/{ann}"), &ann_token)
            .await
            .status,
        200
    );
    assert!(audit(&api).await.is_empty());
}

#[tokio::test]
async fn the_queue_is_oldest_first_with_each_target_as_it_is_now_and_the_oldest_age() {
    let api = TestApi::start().await;
    let (_, moderator_token) = api.moderator_with_token("mod").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let post = api.post(&bob_token, "a post many dislike").await;
    let mut reporters = Vec::new();
    for name in ["ann", "cat", "dan", "eve"] {
        reporters.push(api.user_with_token(name).await.1);
    }
    let mut filed = Vec::new();
    for token in &reporters {
        let body = json!({"post_id": id(&post), "reason": "hate"});
        filed.push(id(&created(api.report(token, body).await)));
    }
    let body = json!({"user_id": bob, "reason": "spam"});
    filed.push(id(&created(api.report(&reporters[0], body).await)));
    // The post's author edits it: the queue shows what it says now.
    let edit = json!({"body": "edited since"});
    let path = format!("/api/posts/{}", id(&post));
    assert_eq!(
        api.send("PUT", &path, &bob_token, Some(edit)).await.status,
        200
    );

    let page = api
        .get("/api/reports?per_page=2", &moderator_token)
        .await
        .json();
    assert_eq!(page["_meta"]["total_items"], 5);
    assert!(page["_meta"]["oldest_open_age_seconds"].as_u64().unwrap() < 600);
    assert!(page["_meta"]["oldest_open_at"].is_string());
    let first = &page["items"][0];
    assert_eq!(first["post"]["body"], "edited since");
    assert_eq!(first["target_open_reports"], 4);
    assert_eq!(first["user"]["username"], "bob");
    assert_eq!(first["user_suspended"], false);
    let walked = api
        .walk_ids("/api/reports?per_page=2", &moderator_token)
        .await;
    assert_eq!(walked, filed, "every open report once, oldest first");
    let pages = api.walk("/api/reports?per_page=2", &moderator_token).await;
    let last = &pages[2]["items"][0];
    assert_eq!(last["post"], Value::Null, "a user's report has no post");
    assert_eq!(last["target_open_reports"], 1);
    api.get("/api/reports?status=resolved", &moderator_token)
        .await
        .assert_error(400, "only the open queue");
    api.get("/api/reports?cursor=bad", &moderator_token)
        .await
        .assert_error(400, "cursor");
    // Closing reports takes them out of the queue and its counts.
    for report in &filed[..2] {
        let decision = json!({"status": "dismissed", "note": "not hate speech"});
        assert_eq!(
            api.decide(*report, &moderator_token, decision).await.status,
            200
        );
    }
    let page = api.get("/api/reports", &moderator_token).await.json();
    assert_eq!(ids(&page), filed[2..].to_vec());
    assert_eq!(page["items"][0]["target_open_reports"], 2);
    assert_invariants(&api).await;
}

#[tokio::test]
async fn a_decision_is_taken_once_and_kept_as_an_audit_record() {
    let api = std::sync::Arc::new(TestApi::start().await);
    let (first, first_token) = api.moderator_with_token("mod1").await;
    let (second, second_token) = api.moderator_with_token("mod2").await;
    let (_, ann_token) = api.user_with_token("ann").await;
    let (bob, _) = api.user_with_token("bob").await;
    let report = id(&created(
        api.report(&ann_token, json!({"user_id": bob, "reason": "spam"}))
            .await,
    ));
    let mut running = Vec::new();
    for token in [first_token.clone(), second_token.clone()] {
        let api = api.clone();
        running.push(tokio::spawn(async move {
            let decision = json!({"status": "dismissed", "note": "looks fine"});
            api.decide(report, &token, decision).await
        }));
    }
    let mut statuses = Vec::new();
    for task in running {
        statuses.push(task.await.unwrap().status);
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 409]);
    let shown = api
        .get(&format!("/api/reports/{report}"), &ann_token)
        .await
        .json();
    assert_eq!(shown["status"], "dismissed");
    assert_eq!(shown["action"], "none");
    assert!(shown["closed_at"].is_string());
    assert!(shown.get("note").is_none(), "the note is the moderators'");
    api.decide(report, &first_token, json!({"status": "resolved"}))
        .await
        .assert_error(409, "already");
    let records = audit(&api).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let actor = &records[0]["actor"];
    assert!(
        *actor == format!("moderator#{first}") || *actor == format!("moderator#{second}"),
        "{actor}"
    );
    assert_eq!(records[0]["act"], "dismissed");
    assert_eq!(records[0]["taken"], "none");
    assert_eq!(records[0]["report_id"], report.to_string());
    assert_eq!(records[0]["note"], "looks fine");
    for (decision, message) in [
        (json!({}), "status"),
        (
            json!({"status": "open"}),
            "status must be resolved or dismissed",
        ),
        (
            json!({"status": "resolved", "action": "ban"}),
            "action must be",
        ),
    ] {
        api.decide(report, &first_token, decision)
            .await
            .assert_error(400, message);
    }
    assert_invariants(&api).await;
}

#[tokio::test]
async fn removing_a_reported_post_deletes_it_everywhere_feeds_included() {
    let api = TestApi::start().await;
    let (_, moderator_token) = api.moderator_with_token("mod").await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    api.follow(ann, bob, &ann_token).await;
    let kept = api.post(&bob_token, "a fine post").await;
    let post = api.post(&bob_token, "an illegal post").await;
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&ann_token).await, vec![id(&post), id(&kept)]);
    let report = id(&created(
        api.report(
            &ann_token,
            json!({"post_id": id(&post), "reason": "illegal"}),
        )
        .await,
    ));
    api.decide(
        report,
        &moderator_token,
        json!({"status": "dismissed", "action": "remove_post"}),
    )
    .await
    .assert_error(400, "a dismissed report takes action none");
    let decided = api
        .decide(
            report,
            &moderator_token,
            json!({"status": "resolved", "action": "remove_post", "note": "illegal content"}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    let decided = decided.json();
    assert_eq!(decided["action"], "remove_post");
    assert_eq!(decided["post"], Value::Null);
    assert!(decided["moderator_id"].as_u64().is_some());
    api.get(&format!("/api/posts/{}", id(&post)), &ann_token)
        .await
        .assert_error(404, "no post");
    // Gone from the feed at once, and its entries go through the fan-out.
    assert_eq!(api.feed_ids(&ann_token).await, vec![id(&kept)]);
    api.settle_feeds().await;
    assert_eq!(api.feed_ids(&ann_token).await, vec![id(&kept)]);
    let bob_now = api
        .get(&format!("/api/users/{bob}"), &bob_token)
        .await
        .json();
    assert_eq!(bob_now["post_count"], 1);
    let records = audit(&api).await;
    assert_eq!(records.last().unwrap()["taken"], "remove_post");
    // A user's report has no post to remove.
    let user_report = id(&created(
        api.report(&ann_token, json!({"user_id": bob, "reason": "spam"}))
            .await,
    ));
    api.decide(
        user_report,
        &moderator_token,
        json!({"status": "resolved", "action": "remove_post"}),
    )
    .await
    .assert_error(400, "no post to remove");
    assert_invariants(&api).await;
}

#[tokio::test]
async fn a_suspension_ends_every_session_refuses_log_in_and_hides_the_user_until_lifted() {
    let api = TestApi::start().await;
    let (moderator, moderator_token) = api.moderator_with_token("mod").await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let bob_session = api.login("bob", "password-123").await;
    api.follow(ann, bob, &ann_token).await;
    let post = api.post(&bob_token, "abuse").await;
    api.settle_feeds().await;
    let report = id(&created(
        api.report(
            &ann_token,
            json!({"post_id": id(&post), "reason": "harassment"}),
        )
        .await,
    ));
    api.decide(
        report,
        &moderator_token,
        json!({"status": "resolved", "action": "suspend_user"}),
    )
    .await;
    // Every session ended: each token and refresh token says why.
    for token in [&bob_token, bob_session["token"].as_str().unwrap()] {
        api.get("/api/me", token)
            .await
            .assert_error(403, "account suspended");
        api.send(
            "POST",
            "/api/posts",
            token,
            Some(json!({"body": "still here"})),
        )
        .await
        .assert_error(403, "account suspended");
    }
    api.refresh(bob_session["refresh_token"].as_str().unwrap())
        .await
        .assert_error(403, "account suspended");
    api.token_reply("bob", "password-123")
        .await
        .assert_error(403, "account suspended");
    api.token_reply("bob", "a-wrong-password")
        .await
        .assert_error(401, "invalid username or password");
    // Hidden from everyone but moderators.
    let profile = format!("/api/users/{bob}");
    let post_path = format!("/api/posts/{}", id(&post));
    for path in [&profile, &post_path, &format!("{profile}/posts")] {
        api.get(path, &ann_token).await.assert_error(404, "no ");
        assert_eq!(api.get(path, &moderator_token).await.status, 200, "{path}");
    }
    assert_eq!(api.feed_ids(&ann_token).await, Vec::<u64>::new());
    let followed = api
        .get(&format!("/api/users/{ann}/followed"), &ann_token)
        .await
        .json();
    assert_eq!(ids(&followed), Vec::<u64>::new());
    let everyone = api.get("/api/users", &ann_token).await.json();
    assert!(!ids(&everyone).contains(&bob));
    assert!(ids(&api.get("/api/users", &moderator_token).await.json()).contains(&bob));
    let queue_view = api
        .get(&format!("/api/reports/{report}"), &moderator_token)
        .await
        .json();
    assert_eq!(queue_view["action"], "suspend_user");
    // Nor can they or their posts be reported; a moderator's report stands.
    api.report(&ann_token, json!({"user_id": bob, "reason": "spam"}))
        .await
        .assert_error(404, "no user has the id");
    api.report(&ann_token, json!({"post_id": id(&post), "reason": "spam"}))
        .await
        .assert_error(404, "no post has the id");
    // One's own blocks still list them, so they can be undone.
    let (cat, cat_token) = api.user_with_token("cat").await;
    api.follow_reply(cat, bob, &cat_token)
        .await
        .assert_error(404, "no user has the id");
    api.silence("PUT", "blocked", cat, bob, &cat_token).await;
    let blocked = api
        .get(&format!("/api/users/{cat}/blocked"), &cat_token)
        .await
        .json();
    assert_eq!(ids(&blocked), vec![bob]);

    // Lifted: seen again, and a new log-in works (old sessions stay ended).
    let lift = format!("/api/users/{bob}/suspension");
    assert_eq!(
        api.authorized("DELETE", &lift, &moderator_token)
            .await
            .status,
        204
    );
    assert_eq!(
        api.authorized("DELETE", &lift, &moderator_token)
            .await
            .status,
        204
    );
    assert_eq!(api.get(&profile, &ann_token).await.status, 200);
    api.silence("DELETE", "blocked", cat, bob, &cat_token).await;
    api.follow(cat, bob, &cat_token).await;
    assert_eq!(api.feed_ids(&ann_token).await, vec![id(&post)]);
    api.get("/api/me", &bob_token)
        .await
        .assert_error(401, "invalid");
    let fresh = api.token("bob", "password-123").await;
    assert_eq!(api.get("/api/me", &fresh).await.status, 200);
    let acts: Vec<Value> = audit(&api).await.iter().map(|r| r["act"].clone()).collect();
    assert_eq!(acts, vec![json!("resolved"), json!("unsuspended")]);
    let records = audit(&api).await;
    assert_eq!(records[0]["actor"], format!("moderator#{moderator}"));
    assert_eq!(records[1]["user_id"], bob.to_string());
    // A moderator cannot suspend themselves.
    let (_, other_moderator_token) = api.moderator_with_token("mod2").await;
    let own = api.post(&moderator_token, "a moderator's post").await;
    let report = id(&created(
        api.report(
            &other_moderator_token,
            json!({"post_id": id(&own), "reason": "other"}),
        )
        .await,
    ));
    api.decide(
        report,
        &moderator_token,
        json!({"status": "resolved", "action": "suspend_user"}),
    )
    .await
    .assert_error(400, "you cannot suspend yourself");
    assert_invariants(&api).await;
}

#[tokio::test]
async fn a_deleted_reporter_takes_their_reports_along_and_reports_about_a_deleted_user_stay() {
    let api = TestApi::start().await;
    let (_, moderator_token) = api.moderator_with_token("mod").await;
    let (ann, ann_token) = api.user_with_token("ann").await;
    let (bob, bob_token) = api.user_with_token("bob").await;
    let post = api.post(&bob_token, "hello").await;
    let by_ann = id(&created(
        api.report(&ann_token, json!({"post_id": id(&post), "reason": "spam"}))
            .await,
    ));
    let closed_by_ann = id(&created(
        api.report(&ann_token, json!({"user_id": bob, "reason": "spam"}))
            .await,
    ));
    api.decide(
        closed_by_ann,
        &moderator_token,
        json!({"status": "dismissed"}),
    )
    .await;
    let by_bob = id(&created(
        api.report(&bob_token, json!({"user_id": ann, "reason": "harassment"}))
            .await,
    ));
    assert_eq!(
        api.delete_account(ann, &ann_token, "password-123")
            .await
            .status,
        204
    );
    api.settle_feeds().await;
    let traces = invariants::traces_of(&api.client, &api.table_name, ann).await;
    assert!(traces.is_empty(), "{traces:?}");
    for gone in [by_ann, closed_by_ann] {
        api.get(&format!("/api/reports/{gone}"), &moderator_token)
            .await
            .assert_error(404, "no report");
    }
    // The report about ann stays for the moderators, her profile gone.
    let queue = api.get("/api/reports", &moderator_token).await.json();
    assert_eq!(ids(&queue), vec![by_bob]);
    assert_eq!(queue["items"][0]["user"], Value::Null);
    assert_invariants(&api).await;
    // Every record of the stream handed to purge_user again, as a
    // redelivery would: no report comes back, no count moves.
    let mut again = api
        .new_poller_for(microblog_local::stream::StreamWorker::named("purge_user"))
        .await;
    again.settle(&api.app).await.unwrap();
    let traces = invariants::traces_of(&api.client, &api.table_name, ann).await;
    assert!(traces.is_empty(), "after redelivery: {traces:?}");
    let queue = api.get("/api/reports", &moderator_token).await.json();
    assert_eq!(ids(&queue), vec![by_bob]);
    assert_eq!(queue["_meta"]["total_items"], 1);
    assert_invariants(&api).await;
}

#[tokio::test]
async fn the_scheduled_age_check_reports_the_oldest_open_report_and_zero_once_all_are_closed() {
    let api = TestApi::start().await;
    let (_, moderator_token) = api.moderator_with_token("mod").await;
    let (_, ann_token) = api.user_with_token("ann").await;
    let (bob, _) = api.user_with_token("bob").await;
    let check = microblog_functions::scheduled("report_age").expect("report_age is scheduled");
    let run = || async {
        let event = lambda_runtime::LambdaEvent::new(json!({}), lambda_runtime::Context::default());
        check(&api.app, event).await.expect("the check runs")
    };
    assert_eq!(
        run().await,
        json!({"open_reports": 0, "oldest_open_age_seconds": 0})
    );
    let report = id(&created(
        api.report(&ann_token, json!({"user_id": bob, "reason": "spam"}))
            .await,
    ));
    // Made a moment ago: open, and young.
    let state = run().await;
    assert_eq!(state["open_reports"], 1);
    assert!(state["oldest_open_age_seconds"].as_u64().unwrap() < 600);
    api.decide(report, &moderator_token, json!({"status": "dismissed"}))
        .await;
    assert_eq!(run().await["open_reports"], 0);
    // A report a day and a half old is what the alarm (24 h) fires on.
    let old = microblog_shared::store::reports::NewReport {
        reporter: microblog_shared::domain::UserId::new(bob),
        target: microblog_shared::domain::ReportTarget::User(
            microblog_shared::domain::UserId::new(1),
        ),
        target_user: microblog_shared::domain::UserId::new(1),
        reason: microblog_shared::domain::Reason::Spam,
        comment: None,
    };
    let made = chrono::Utc::now() - chrono::Duration::hours(36);
    api.app.reports.create(old, made).await.expect("filed");
    let state = run().await;
    assert_eq!(state["open_reports"], 1);
    let age = state["oldest_open_age_seconds"].as_u64().unwrap();
    assert!((36 * 3600..37 * 3600).contains(&age), "{age}");
    let page = api.get("/api/reports", &moderator_token).await.json();
    assert!(page["_meta"]["oldest_open_age_seconds"].as_u64().unwrap() >= 36 * 3600);
}
