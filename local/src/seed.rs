//! Fixture users, tokens, a post, a like and notifications, written into a table so that the
//! sample events in `events/` (and `sam local invoke` with them) get real
//! answers.

use microblog_shared::auth::session::RefreshToken;
use microblog_shared::auth::{token_hash, token_user};
use microblog_shared::domain::{
    AboutMe, Cause, Change, CodeGrant, DeviceToken, EdgeKind, Email, MailKind, NewUser,
    NotificationKind, Password, Platform, PostBody, ProfileUpdate, Reason, ReplyTo, ReportId,
    ReportTarget, UserId, Username,
};
use microblog_shared::hashing::hash_password;
use microblog_shared::store::items::sha256_hex;
use microblog_shared::store::posts::Draft;
use microblog_shared::store::reports::NewReport;
use microblog_shared::store::tokens::TokenPair;
use microblog_shared::store::Read;
use microblog_shared::App;

/// Why seeding failed: a store or hashing failure (logged), or a fixture
/// that breaks a rule.
pub type SeedError = Box<dyn std::error::Error + Send + Sync>;

/// When john liked susan's fixture post: fixed, so that a sample event of
/// the like's removal names the same cause (2026-11-25T18:30:00Z).
pub const FIXTURE_LIKED_AT_MICROS: u64 = 1_795_631_400_000_000;
/// The token of john's fixture push device (Android), registered to his
/// fixture session.
pub const FIXTURE_DEVICE_TOKEN: &str = "fixture-fcm-token-of-johns-phone-0002";
/// The body of john's fixture reply to susan's fixture post.
pub const FIXTURE_REPLY: &str = "Fixture reply";

/// The bearer token the authenticated sample events carry (user 1, susan).
pub const FIXTURE_TOKEN: &str = "1.fixture-token-for-sample-events-000000000001";
/// The fixture token of user 2 (john).
pub const FIXTURE_TOKEN_2: &str = "2.fixture-token-for-sample-events-000000000002";
/// The refresh token of susan's fixture session (the session of
/// [`FIXTURE_TOKEN`]).
pub const FIXTURE_REFRESH_TOKEN: &str =
    "1.fixture-session-00000001.fixture-refresh-token-for-sample-events-0001";
/// The refresh token of john's fixture session.
pub const FIXTURE_REFRESH_TOKEN_2: &str =
    "2.fixture-session-00000002.fixture-refresh-token-for-sample-events-0002";
/// A refresh token susan's fixture session issued and rotated out an hour
/// before the seed, past any reuse interval: presenting it is a reuse.
pub const FIXTURE_ROTATED_REFRESH_TOKEN: &str =
    "1.fixture-session-00000001.an-earlier-refresh-token-of-this-session-01";
/// The fixture users' password.
pub const FIXTURE_PASSWORD: &str = "correct-horse-battery";
/// The body of susan's fixture post (post 1).
pub const FIXTURE_POST: &str = "Fixture post";
/// The comment of john's fixture report on mallory (report 1).
pub const FIXTURE_REPORT_COMMENT: &str = "Fixture report";
/// john's password reset code (as if mailed to him), for the sample events
/// of `PUT /api/tokens/reset`.
pub const FIXTURE_RESET_CODE: &str = "fixture-reset-code-for-sample-events-000001";
/// The id of a mail job asking for a reset code for susan's address, for
/// the sample event of `send_mail`.
pub const FIXTURE_MAIL_JOB: &str = "fixture-mail-job-0001";
/// john's verification code (as if mailed to him: his address is not
/// verified, susan's is), for the sample events of
/// `POST /api/email-verifications`.
pub const FIXTURE_VERIFY_CODE: &str = "fixture-verify-code-for-sample-events-00001";
/// mallory's address since she changed it (not verified).
pub const FIXTURE_CHANGED_EMAIL: &str = "mallory@new.example.com";
/// mallory's verification code for her changed address, which takes her
/// password too.
pub const FIXTURE_CHANGED_VERIFY_CODE: &str = "fixture-changed-address-verify-code-0000001";
/// The id of a mail job asking for john's verification mail, for the
/// sample event `send_mail.verify_email`.
pub const FIXTURE_VERIFY_JOB: &str = "fixture-verify-job-0001";

/// Writes the fixture users (susan = 1, john = 2, who follows susan), a
/// session each with a fixed access token and refresh token, valid for ten
/// years, susan's post "Fixture post" (post 1), and mallory (3, no
/// session), whom susan blocks and mutes; susan is a moderator, and john
/// has two open reports: on mallory (report 1) and on susan's post (2).
/// Safe to run again: existing fixtures are left as they are (the post is
/// written only while susan has none). Expects an empty table so the ids
/// come out as 1, 2, 3 and post 1, as the sample events assume. The post
/// reaches john's feed through the fan-out, which the seed does not run. These are publicly known credentials: the
/// `seed` command refuses endpoints that are not on this machine.
pub async fn seed(app: &App) -> Result<(), SeedError> {
    let mut ids: Vec<UserId> = Vec::new();
    for (i, (name, email)) in [("susan", "susan@example.com"), ("john", "john@example.com")]
        .into_iter()
        .enumerate()
    {
        let id = fixture_user(app, name, email).await?;
        let token = [FIXTURE_TOKEN, FIXTURE_TOKEN_2][i];
        let refresh = [FIXTURE_REFRESH_TOKEN, FIXTURE_REFRESH_TOKEN_2][i];
        if token_user(token) != Some(id) {
            return Err("the fixture token does not name the fixture user".into());
        }
        let (existing, _) = app
            .tokens
            .find_with_profile(&token_hash(token), Some(id))
            .await?;
        if existing.is_none() {
            let now = chrono::Utc::now();
            let ten_years = now + chrono::Duration::days(3650);
            let session = RefreshToken::parse(refresh)
                .filter(|r| r.user_id == id)
                .ok_or("the fixture refresh token does not name the fixture user")?;
            // A table seeded before the fixture tokens named their user holds
            // the fixture session with the old token: end it, then open it
            // again with the current one.
            if let Some(old) = app.tokens.session(id, session.session_id).await? {
                app.tokens.end(&old, None).await?;
            }
            let pair = TokenPair {
                access_hash: token_hash(token),
                access_expires_at: ten_years,
                refresh_hash: session.hash(),
                refresh_expires_at: ten_years,
            };
            // Susan's session was refreshed once, an hour ago, from
            // FIXTURE_ROTATED_REFRESH_TOKEN (the real rotation), so that
            // token counts as reused; john's was never refreshed.
            let earlier = (i == 0)
                .then(|| RefreshToken::parse(FIXTURE_ROTATED_REFRESH_TOKEN))
                .flatten();
            match earlier {
                Some(earlier) => {
                    let hour_ago = now - chrono::Duration::hours(1);
                    let first = TokenPair {
                        access_hash: token_hash(&format!("{token}-before-the-refresh")),
                        refresh_hash: earlier.hash(),
                        ..pair.clone()
                    };
                    app.tokens
                        .open(id, 0, session.session_id, &first, hour_ago)
                        .await?;
                    let opened = app
                        .tokens
                        .session(id, session.session_id)
                        .await?
                        .ok_or("the fixture session was not written")?;
                    app.tokens.rotate(&opened, &pair, hour_ago).await?;
                }
                None => {
                    app.tokens
                        .open(id, 0, session.session_id, &pair, now)
                        .await?;
                }
            }
        }
        ids.push(id);
    }
    let now_micros = chrono::Utc::now().timestamp_micros() as u64;
    app.follows.follow(ids[1], ids[0], now_micros).await?;
    let mallory = fixture_user(app, "mallory", "mallory@example.com").await?;
    app.safety.block(ids[0], mallory, now_micros).await?;
    app.safety.mute(ids[0], mallory, now_micros).await?;
    if !app
        .users
        .get(ids[0], Read::Strong)
        .await?
        .is_some_and(|susan| susan.moderator)
    {
        app.moderation
            .set_moderator(ids[0], true, chrono::Utc::now())
            .await?;
    }
    if app.posts.newest(ids[0], 1).await?.is_empty() {
        app.posts
            .create(
                ids[0],
                Draft::plain(PostBody::parse(FIXTURE_POST)?),
                chrono::Utc::now(),
                None,
            )
            .await?;
    }
    seed_conversation(app, ids[0], ids[1]).await?;
    if app
        .reports
        .get(ReportId::new(1), Read::Strong)
        .await?
        .is_none()
    {
        let post = app
            .posts
            .newest(ids[0], 1)
            .await?
            .first()
            .map(|(id, _)| *id)
            .ok_or("the fixture post was not written")?;
        for (target, target_user, reason, comment) in [
            (
                ReportTarget::User(mallory),
                mallory,
                Reason::Harassment,
                Some(FIXTURE_REPORT_COMMENT.to_string()),
            ),
            (ReportTarget::Post(post), ids[0], Reason::Spam, None),
        ] {
            let report = NewReport {
                reporter: ids[1],
                target,
                target_user,
                reason,
                comment,
            };
            app.reports.create(report, chrono::Utc::now()).await?;
        }
    }
    seed_recovery(app, ids[0], ids[1]).await
}

/// john likes susan's fixture post (at [`FIXTURE_LIKED_AT_MICROS`]) and
/// replies to it (post 2 of a fresh table), and susan's inbox tells her of
/// john's follow, like and reply (notifications 1, 2 and 3): what the
/// `notify` worker would have written from the stream. john's phone is
/// registered for pushes.
async fn seed_conversation(app: &App, susan: UserId, john: UserId) -> Result<(), SeedError> {
    let (post_id, _) = *app
        .posts
        .newest(susan, 1)
        .await?
        .first()
        .ok_or("the fixture post was not written")?;
    let post = app
        .posts
        .get(post_id, Read::Strong)
        .await?
        .ok_or("the fixture post was not written")?;
    let now = chrono::Utc::now();
    app.likes.like(john, &post, FIXTURE_LIKED_AT_MICROS).await?;
    let replied = app.posts.newest(john, 1).await?.first().map(|(id, _)| *id);
    let reply = match replied {
        Some(reply) => reply,
        None => {
            let draft = Draft {
                body: PostBody::parse(FIXTURE_REPLY)?,
                in_reply_to: Some(ReplyTo {
                    post: post.id,
                    author: susan,
                }),
                mentions: Vec::new(),
            };
            app.posts.create(john, draft, now, None).await?.id
        }
    };
    let follow = app
        .follows
        .window(susan, EdgeKind::Follower, None, 0, 1)
        .await?
        .first()
        .map(|edge| edge.followed_at_micros)
        .ok_or("john's follow was not written")?;
    let like = app
        .likes
        .window(post.id, None, 0, 1)
        .await?
        .first()
        .map(|like| like.liked_at_micros)
        .ok_or("john's like was not written")?;
    let john_session = RefreshToken::parse(FIXTURE_REFRESH_TOKEN_2)
        .ok_or("the fixture refresh token is malformed")?
        .session_id;
    app.devices
        .register(
            john,
            &DeviceToken::parse(FIXTURE_DEVICE_TOKEN)?,
            Platform::Android,
            john_session,
            now,
        )
        .await?;
    for (kind, post, at_micros) in [
        (NotificationKind::Follow, None, follow),
        (NotificationKind::Like, Some(post.id), like),
        (NotificationKind::Reply, Some(reply), 0),
    ] {
        let cause = Cause {
            recipient: susan,
            kind,
            actor: john,
            post,
            at_micros,
        };
        let at = chrono::DateTime::from_timestamp_micros(at_micros as i64).unwrap_or(now);
        app.notifications.notify(cause, at, now).await?;
    }
    Ok(())
}

/// john's reset and verification codes, susan's address verified, and a
/// job of each kind of mail, unless there.
async fn seed_recovery(app: &App, susan: UserId, john: UserId) -> Result<(), SeedError> {
    let ten_years = (chrono::Utc::now() + chrono::Duration::days(3650)).timestamp();
    let profile = |id| async move {
        app.users
            .get(id, Read::Strong)
            .await?
            .ok_or_else(|| SeedError::from("a fixture user was not written"))
    };
    let grant = |purpose, code: &str, user: &microblog_shared::domain::User| CodeGrant {
        purpose,
        code_hash: sha256_hex(code),
        user_id: user.id,
        email: user.email.clone(),
        session_epoch: user.session_epoch,
        expires_at: ten_years,
    };
    let john_profile = profile(john).await?;
    for (purpose, code) in [
        (MailKind::PasswordReset, FIXTURE_RESET_CODE),
        (MailKind::VerifyEmail, FIXTURE_VERIFY_CODE),
    ] {
        if app.mail.grant(purpose, &sha256_hex(code)).await?.is_none() {
            app.mail
                .put_code(&grant(purpose, code, &john_profile))
                .await?;
        }
    }
    // mallory changed her address since sign-up: verifying it takes her
    // password too (the sample events of that refusal use this code).
    let mallory = app
        .users
        .id_by_username(&Username::parse("mallory")?)
        .await?
        .ok_or("mallory was not written")?;
    let mut mallory_profile = profile(mallory).await?;
    if !mallory_profile.email_changed {
        let change = ProfileUpdate {
            username: None,
            email: Some(Email::parse(FIXTURE_CHANGED_EMAIL)?),
            about_me: Change::Keep,
        };
        mallory_profile = app.users.update(&mallory_profile, &change, false).await?;
    }
    if app
        .mail
        .grant(
            MailKind::VerifyEmail,
            &sha256_hex(FIXTURE_CHANGED_VERIFY_CODE),
        )
        .await?
        .is_none()
    {
        let code = grant(
            MailKind::VerifyEmail,
            FIXTURE_CHANGED_VERIFY_CODE,
            &mallory_profile,
        );
        app.mail.put_code(&code).await?;
    }
    let susan_profile = profile(susan).await?;
    if !susan_profile.email_verified {
        let verified = grant(
            MailKind::VerifyEmail,
            "fixture: susan's address",
            &susan_profile,
        );
        app.mail.put_code(&verified).await?;
        app.mail
            .verify_email(&verified, None, chrono::Utc::now())
            .await?;
    }
    for (id, kind, email, user) in [
        (
            FIXTURE_MAIL_JOB,
            MailKind::PasswordReset,
            "susan@example.com",
            None,
        ),
        (
            FIXTURE_VERIFY_JOB,
            MailKind::VerifyEmail,
            "john@example.com",
            Some(john),
        ),
    ] {
        if app.mail.job(id).await?.is_none() {
            app.mail
                .request(id, kind, email, user, chrono::Utc::now())
                .await?;
        }
    }
    Ok(())
}

/// The id of the fixture user `name`, created unless it exists.
async fn fixture_user(app: &App, name: &str, email: &str) -> Result<UserId, SeedError> {
    let username = Username::parse(name)?;
    if let Some(id) = app.users.id_by_username(&username).await? {
        return Ok(id);
    }
    let new = NewUser {
        username,
        email: Email::parse(email)?,
        password_hash: hash_password(Password::parse(FIXTURE_PASSWORD)?).await?,
        about_me: Some(AboutMe::parse(&format!("Fixture user {name}"))?),
    };
    Ok(app.users.create(new, chrono::Utc::now()).await?.id)
}

/// Whether `endpoint` is on this machine (or the Docker host, for `sam local
/// invoke`), where fixture credentials are harmless.
pub fn is_local_endpoint(endpoint: &str) -> bool {
    let host = endpoint
        .split("://")
        .nth(1)
        .unwrap_or(endpoint)
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    matches!(host, "localhost" | "[::1]" | "host.docker.internal")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_local_endpoint;

    #[test]
    fn only_loopback_and_the_docker_host_count_as_local() {
        for local in [
            "http://127.0.0.1:8000",
            "http://localhost:8000",
            "http://[::1]:8000",
            "http://host.docker.internal:8000/",
        ] {
            assert!(is_local_endpoint(local), "{local}");
        }
        for remote in [
            "https://dynamodb.us-east-1.amazonaws.com",
            "http://10.0.0.5:8000",
            "http://127.evil.com:80",
        ] {
            assert!(!is_local_endpoint(remote), "{remote}");
        }
    }
}
