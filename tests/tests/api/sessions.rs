//! Sessions: refresh-token rotation and reuse detection, expiry, `/api/me`,
//! logging out one session or every session, and changing the password.

use std::time::Duration;

use microblog_tests::api::TestApi;
use microblog_tests::invariants;
use serde_json::{json, Value};

const PASSWORD: &str = "password-1";

fn field(json: &Value, name: &str) -> String {
    json[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {json}"))
        .to_string()
}

/// Asserts that neither the access token nor the refresh token of `login`
/// works any more.
async fn assert_dead(api: &TestApi, login: &Value) {
    let token = field(login, "token");
    let id = &login["user_id"];
    // The routes that read nothing beyond authentication for one's own id.
    for path in [
        "/api/me".to_string(),
        format!("/api/users/{id}"),
        format!("/api/users/{id}/followers"),
    ] {
        api.get(&path, &token).await.assert_error(401, "revoked");
    }
    api.refresh(&field(login, "refresh_token"))
        .await
        .assert_error(401, "log in again");
}

#[tokio::test]
async fn a_refresh_rotates_both_tokens_and_the_old_ones_stop_working() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    let first = api.login("susan", PASSWORD).await;
    let reply = api.refresh(&field(&first, "refresh_token")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let second = reply.json();
    assert_eq!(second["user_id"], 1);
    assert_eq!(second["expires_in"], 3600);
    assert_ne!(second["token"], first["token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(
        api.get("/api/me", &field(&second, "token")).await.status,
        200
    );
    api.get("/api/me", &field(&first, "token"))
        .await
        .assert_error(401, "revoked");
    // And the new refresh token rotates in turn.
    let third = api.refresh(&field(&second, "refresh_token")).await;
    assert_eq!(third.status, 200, "{}", third.body);
    assert_eq!(
        api.get("/api/me", &field(&third.json(), "token"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_rotated_refresh_token_presented_again_revokes_its_whole_session_and_only_it() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    let other_device = api.login("susan", PASSWORD).await;
    let stolen = api.login("susan", PASSWORD).await;
    let rotated = api.refresh(&field(&stolen, "refresh_token")).await.json();
    let latest = api.refresh(&field(&rotated, "refresh_token")).await.json();

    // The thief replays the refresh token they copied before the rotations.
    api.refresh(&field(&stolen, "refresh_token"))
        .await
        .assert_error(401, "already used");
    // Every token descended from that login is dead: the legitimate app must
    // log in again, and so must the thief.
    assert_dead(&api, &latest).await;
    assert_dead(&api, &rotated).await;
    // Another login of the same user is another session: untouched.
    assert_eq!(
        api.get("/api/me", &field(&other_device, "token"))
            .await
            .status,
        200
    );
    assert_eq!(
        api.refresh(&field(&other_device, "refresh_token"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn eight_refreshes_racing_with_one_token_all_get_working_pairs_and_revoke_nothing() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    let login = api.login("susan", PASSWORD).await;
    let refresh = field(&login, "refresh_token");
    // One app, eight requests finding the access token expired together.
    let replies = futures_util::future::join_all((0..8).map(|_| api.refresh(&refresh))).await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    // Every pair works, the winner's too, and each refreshes in turn.
    for reply in &replies {
        let pair = reply.json();
        assert_eq!(api.get("/api/me", &field(&pair, "token")).await.status, 200);
    }
    let kept = replies[3].json();
    let next = api.refresh(&field(&kept, "refresh_token")).await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert_eq!(
        api.get("/api/me", &field(&next.json(), "token"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn with_no_reuse_interval_two_racing_refreshes_end_the_session() {
    let api = TestApi::start_with(&[("REFRESH_REUSE_INTERVAL_SECONDS", "0")]).await;
    api.create_user("susan", PASSWORD).await;
    let login = api.login("susan", PASSWORD).await;
    let refresh = field(&login, "refresh_token");
    let (a, b) = tokio::join!(api.refresh(&refresh), api.refresh(&refresh));
    let statuses = [a.status, b.status];
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 1,
        "{statuses:?}"
    );
    assert!(statuses.contains(&401), "{statuses:?}");
    // Whichever won, the reuse ended the session: its new tokens are dead.
    for reply in [a, b].iter().filter(|r| r.status == 200) {
        assert_dead(&api, &reply.json()).await;
    }
}

#[tokio::test]
async fn a_replaced_refresh_token_presented_after_the_reuse_interval_ends_the_session() {
    let api = TestApi::start_with(&[("REFRESH_REUSE_INTERVAL_SECONDS", "1")]).await;
    api.create_user("susan", PASSWORD).await;
    let login = api.login("susan", PASSWORD).await;
    let refreshed = api.refresh(&field(&login, "refresh_token")).await.json();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    api.refresh(&field(&login, "refresh_token"))
        .await
        .assert_error(401, "already used");
    assert_dead(&api, &refreshed).await;
}

#[tokio::test]
async fn a_made_up_secret_for_a_real_session_is_a_plain_401_that_ends_nothing() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    let login = api.login("susan", PASSWORD).await;
    let real = field(&login, "refresh_token");
    let (user_and_session, _) = real.rsplit_once('.').unwrap();
    // The session id alone (seen in a log, say) with any secret.
    let forged = format!("{user_and_session}.{}", "A".repeat(43));
    api.refresh(&forged).await.assert_error(401, "invalid");
    // And after a rotation too: only secrets the session issued are reuse.
    let rotated = api.refresh(&real).await.json();
    api.refresh(&forged).await.assert_error(401, "invalid");
    assert_eq!(
        api.get("/api/me", &field(&rotated, "token")).await.status,
        200
    );
    assert_eq!(
        api.refresh(&field(&rotated, "refresh_token")).await.status,
        200
    );
}

#[tokio::test]
async fn logging_out_with_a_spare_pair_ends_every_pair_of_the_session() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    let login = api.login("susan", PASSWORD).await;
    let refresh = field(&login, "refresh_token");
    let first = api.refresh(&refresh).await.json();
    let spare = api.refresh(&refresh).await.json();
    assert_ne!(first["token"], spare["token"]);
    assert_eq!(api.revoke(&field(&spare, "token")).await.status, 204);
    assert_dead(&api, &first).await;
    assert_dead(&api, &spare).await;
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_with_the_refresh_token_until_that_expires() {
    let api = TestApi::start_with(&[
        ("TOKEN_TTL_SECONDS", "1"),
        ("REFRESH_TOKEN_TTL_SECONDS", "3"),
    ])
    .await;
    api.create_user("susan", PASSWORD).await;
    let login = api.login("susan", PASSWORD).await;
    assert_eq!(login["expires_in"], 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    api.get("/api/me", &field(&login, "token"))
        .await
        .assert_error(401, "expired");
    let renewed = api.refresh(&field(&login, "refresh_token")).await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    let renewed = renewed.json();
    assert_eq!(
        api.get("/api/me", &field(&renewed, "token")).await.status,
        200
    );

    // Each refresh token lives REFRESH_TOKEN_TTL_SECONDS from its issue.
    tokio::time::sleep(Duration::from_millis(3300)).await;
    api.refresh(&field(&renewed, "refresh_token"))
        .await
        .assert_error(401, "expired");
}

#[tokio::test]
async fn a_malformed_unknown_or_missing_refresh_token_is_refused() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    let login = api.login("susan", PASSWORD).await;
    let real = field(&login, "refresh_token");
    let unknown_session = format!("1.{}.{}", "s".repeat(22), "x".repeat(43));
    let unknown_user = real.replacen("1.", "99.", 1);
    for bad in ["", "garbage", &unknown_session, &unknown_user] {
        api.refresh(bad).await.assert_error(401, "invalid");
    }
    api.call("PUT", "/api/tokens", &[], Some("{}"))
        .await
        .assert_error(400, "must include refresh_token");
    api.call("PUT", "/api/tokens", &[], Some(r#"{"refresh_token": 5}"#))
        .await
        .assert_error(400, "refresh_token");
    // None of that touched the real session.
    assert_eq!(api.refresh(&real).await.status, 200);
}

#[tokio::test]
async fn refresh_tokens_are_stored_only_as_hashes() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    let login = api.login("susan", PASSWORD).await;
    let renewed = api.refresh(&field(&login, "refresh_token")).await.json();
    let everything = invariants::scan(&api.client, &api.table_name).await;
    for secret in [&login, &renewed]
        .iter()
        .flat_map(|l| [field(l, "token"), field(l, "refresh_token")])
    {
        for item in &everything {
            assert!(!format!("{item:?}").contains(&secret), "{item:?}");
        }
    }
}

#[tokio::test]
async fn me_is_the_caller_s_own_user_with_email() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let me = api.get("/api/me", &token).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["email"], "susan@example.com");
    let by_id = api.get(&format!("/api/users/{id}"), &token).await;
    assert_eq!(me.json(), by_id.json());
    api.call("GET", "/api/me", &[], None)
        .await
        .assert_error(401, "needs a token");
}

#[tokio::test]
async fn logging_out_ends_the_session_s_access_and_refresh_token_and_no_other() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    let phone = api.login("susan", PASSWORD).await;
    let laptop = api.login("susan", PASSWORD).await;
    assert_eq!(api.revoke(&field(&phone, "token")).await.status, 204);
    assert_dead(&api, &phone).await;
    assert_eq!(
        api.get("/api/me", &field(&laptop, "token")).await.status,
        200
    );
    assert_eq!(
        api.refresh(&field(&laptop, "refresh_token")).await.status,
        200
    );
}

#[tokio::test]
async fn revoking_every_session_kills_every_token_of_the_user_at_once_and_no_one_else_s() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    api.create_user("john", PASSWORD).await;
    let logins = [
        api.login("susan", PASSWORD).await,
        api.login("susan", PASSWORD).await,
        api.login("susan", PASSWORD).await,
    ];
    // One of them rotated, one of them used to revoke.
    let rotated = api
        .refresh(&field(&logins[1], "refresh_token"))
        .await
        .json();
    let john = api.login("john", PASSWORD).await;
    let caller = field(&logins[0], "token");
    api.send("DELETE", "/api/users/2/tokens", &caller, None)
        .await
        .assert_error(403, "your own sessions");
    let reply = api
        .send("DELETE", "/api/users/1/tokens", &caller, None)
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    // The very next request with any of them fails: nothing to wait for.
    for login in logins.iter().chain([&rotated]) {
        assert_dead(&api, login).await;
    }
    assert_eq!(api.get("/api/me", &field(&john, "token")).await.status, 200);
    // Logging in again works, with the new epoch.
    let again = api.login("susan", PASSWORD).await;
    assert_eq!(
        api.get("/api/me", &field(&again, "token")).await.status,
        200
    );
    assert_eq!(
        api.refresh(&field(&again, "refresh_token")).await.status,
        200
    );
    invariants::check(&api.client, &api.table_name, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_password_change_revokes_the_other_sessions_and_keeps_the_one_used() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    api.create_user("john", PASSWORD).await;
    let used = api.login("susan", PASSWORD).await;
    let other = api.login("susan", PASSWORD).await;
    let token = field(&used, "token");
    let change = |old: &str, new: &str| json!({"old_password": old, "new_password": new});

    api.send(
        "PUT",
        "/api/users/1/password",
        &token,
        Some(change("wrong-password", "new-password-1")),
    )
    .await
    .assert_error(403, "old password is wrong");
    api.send(
        "PUT",
        "/api/users/1/password",
        &token,
        Some(change(PASSWORD, "short")),
    )
    .await
    .assert_error(400, "new_password must be 8 to 1024 characters long");
    api.send(
        "PUT",
        "/api/users/1/password",
        &token,
        Some(json!({"new_password": "new-password-1"})),
    )
    .await
    .assert_error(400, "must include old_password and new_password");
    api.send(
        "PUT",
        "/api/users/2/password",
        &token,
        Some(change(PASSWORD, "new-password-1")),
    )
    .await
    .assert_error(403, "your own password");
    // None of those changed anything.
    assert_eq!(
        api.get("/api/me", &field(&other, "token")).await.status,
        200
    );

    let reply = api
        .send(
            "PUT",
            "/api/users/1/password",
            &token,
            Some(change(PASSWORD, "new-password-1")),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert_eq!(reply.body, "");
    assert_dead(&api, &other).await;
    assert_eq!(api.get("/api/me", &token).await.status, 200);
    let renewed = api.refresh(&field(&used, "refresh_token")).await;
    assert_eq!(
        renewed.status, 200,
        "the session used lives on: {}",
        renewed.body
    );
    assert_eq!(
        api.get("/api/me", &field(&renewed.json(), "token"))
            .await
            .status,
        200
    );
    api.token_reply("susan", PASSWORD)
        .await
        .assert_error(401, "invalid username or password");
    assert_eq!(api.token_reply("susan", "new-password-1").await.status, 200);
}

/// Puts an access token as releases before sessions wrote them (a bare
/// secret: no user id, no session, no epoch). Returns the token.
async fn legacy_token(api: &TestApi, user_id: u64) -> String {
    let token = microblog_shared::auth::new_token();
    api.put_bare_token(&token, user_id).await;
    token
}

#[tokio::test]
async fn tokens_issued_before_sessions_existed_keep_working_until_revoked() {
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    let old = legacy_token(&api, 1).await;
    assert_eq!(api.get("/api/me", &old).await.status, 200);
    assert_eq!(api.get("/api/users/1", &old).await.status, 200);
    assert_eq!(api.revoke(&old).await.status, 204);
    api.get("/api/me", &old).await.assert_error(401, "revoked");

    // A password change made with one keeps it working; revoking every
    // session ends it.
    let old = legacy_token(&api, 1).await;
    let other = legacy_token(&api, 1).await;
    let change = json!({"old_password": PASSWORD, "new_password": "new-password-1"});
    let reply = api
        .send("PUT", "/api/users/1/password", &old, Some(change))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert_eq!(api.get("/api/me", &old).await.status, 200);
    api.get("/api/me", &other)
        .await
        .assert_error(401, "revoked");
    assert_eq!(
        api.send("DELETE", "/api/users/1/tokens", &old, None)
            .await
            .status,
        204
    );
    api.get("/api/me", &old).await.assert_error(401, "revoked");
}

#[tokio::test]
async fn a_refresh_that_lost_the_race_to_a_logout_makes_no_session_again() {
    use microblog_shared::auth::session::{Grant, RefreshToken};
    use microblog_shared::store::{Constraint, StoreError};
    let api = TestApi::start().await;
    api.create_user("susan", PASSWORD).await;
    let login = api.login("susan", PASSWORD).await;
    let refresh = field(&login, "refresh_token");
    let token = RefreshToken::parse(&refresh).unwrap();
    // The refresh read the session (never refreshed: no version) ...
    let read = api
        .app
        .tokens
        .session(token.user_id, token.session_id)
        .await
        .unwrap()
        .unwrap();
    // ... then the logout ended it ...
    assert_eq!(api.revoke(&field(&login, "token")).await.status, 204);
    // ... then the rotation comes: it must not write the session back.
    let now = chrono::Utc::now();
    let grant = Grant::new(&api.app.config, token.user_id, token.session_id, now);
    assert_eq!(
        api.app.tokens.rotate(&read, &grant.pair, now).await,
        Err(StoreError::Conflict(Constraint::SessionMoved))
    );
    assert_eq!(
        api.app
            .tokens
            .session(token.user_id, token.session_id)
            .await
            .unwrap(),
        None
    );
    api.get("/api/me", &grant.access_token)
        .await
        .assert_error(401, "");
}
