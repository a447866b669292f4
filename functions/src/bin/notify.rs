//! `notify`: invoked with batches of the table's stream records, it keeps
//! every inbox in step with what users do to each other:
//!
//! - a like inserted: the post's author is told; removed: taken back;
//! - a follow edge inserted: the followed user is told; removed: taken back;
//! - a post inserted: the author it replies to is told (`reply`), and each
//!   user it mentions (`mention`; not the replied-to author, who has the
//!   reply); an edit tells users newly mentioned and takes back the
//!   mentions edited out; a deletion takes back its reply and mentions.
//!
//! Nobody is told of their own doing, or by a user they block, are blocked
//! by or mute (the recipient's safety item is read first; a block made
//! later hides the notification when the inbox is read).
//!
//! Each new notification is pushed to the recipient's registered devices
//! whose sessions still stand (SNS mobile push on AWS, files in
//! `PUSH_OUTBOX_DIR` locally), best effort; devices of ended sessions are
//! forgotten then.
//!
//! Each cause is notified at most once: its claim is written with the
//! notification, conditioned on not existing, so a redelivered record
//! writes nothing; the cause itself is checked in the same transaction, so
//! a stale record of a like since undone notifies nothing. Records are
//! applied in order and the first that fails is reported, as in `fan_out`.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use chrono::{DateTime, Utc};
use lambda_runtime::{Error, LambdaEvent};
use microblog_functions::images::{event_of, image, EdgeImage, ItemEvent, LikeImage, PostImage};
use microblog_functions::in_order;
use microblog_shared::domain::{Cause, Notification, NotificationKind, PostId, UserId};
use microblog_shared::push::{PushError, PushMessage};
use microblog_shared::store::items::KeyOf;
use microblog_shared::store::limits::Limited;
use microblog_shared::store::Read;
use microblog_shared::store::StoreError;
use microblog_shared::App;

/// What a record asks of the inboxes: causes to notify, causes to take
/// back.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Causes to notify, each with when it happened.
    pub notify: Vec<(Cause, DateTime<Utc>)>,
    /// Causes to take back.
    pub withdraw: Vec<Cause>,
}

fn micros_time(micros: u64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros as i64).unwrap_or_default()
}

/// The causes a post's image holds: its reply to another author and its
/// mentions of others (the replied-to author excepted).
fn post_causes(post: &PostImage) -> Vec<Cause> {
    let author = post.author();
    let mut causes = Vec::new();
    let answered = post.parent().map(|(_, answered)| answered);
    if let Some(answered) = answered.filter(|a| *a != author) {
        causes.push(Cause {
            recipient: answered,
            kind: NotificationKind::Reply,
            actor: author,
            post: Some(post.post()),
            at_micros: 0,
        });
    }
    for mentioned in post.mentioned() {
        if mentioned != author && Some(mentioned) != answered {
            causes.push(Cause {
                recipient: mentioned,
                kind: NotificationKind::Mention,
                actor: author,
                post: Some(post.post()),
                at_micros: 0,
            });
        }
    }
    causes
}

fn post_time(post: &PostImage) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&post.created_at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// What `record` asks of the inboxes; `Err` for a record that cannot be
/// read.
pub fn work_of(record: &EventRecord) -> Result<Work, String> {
    let (event, key) = event_of(record)?;
    let mut work = Work::default();
    match (key, event) {
        (KeyOf::Like { .. }, ItemEvent::Inserted | ItemEvent::Removed) => {
            let inserted = event == ItemEvent::Inserted;
            let like: LikeImage = image(record, inserted)?;
            let cause = Cause {
                recipient: UserId::new(like.author_id),
                kind: NotificationKind::Like,
                actor: UserId::new(like.user_id),
                post: Some(PostId::new(like.post_id)),
                at_micros: like.liked_at,
            };
            match inserted {
                true => work.notify.push((cause, micros_time(like.liked_at))),
                false => work.withdraw.push(cause),
            }
        }
        (KeyOf::Following { follower, followed }, ItemEvent::Inserted | ItemEvent::Removed) => {
            let inserted = event == ItemEvent::Inserted;
            let edge: EdgeImage = image(record, inserted)?;
            let cause = Cause {
                recipient: followed,
                kind: NotificationKind::Follow,
                actor: follower,
                post: None,
                at_micros: edge.followed_at,
            };
            match inserted {
                true => work.notify.push((cause, micros_time(edge.followed_at))),
                false => work.withdraw.push(cause),
            }
        }
        (KeyOf::Post(_), ItemEvent::Inserted) => {
            let post: PostImage = image(record, true)?;
            let at = post_time(&post);
            work.notify = post_causes(&post).into_iter().map(|c| (c, at)).collect();
        }
        (KeyOf::Post(_), ItemEvent::Modified) => {
            let (old, new): (PostImage, PostImage) = (image(record, false)?, image(record, true)?);
            let (before, after) = (post_causes(&old), post_causes(&new));
            let now = Utc::now();
            work.notify = after
                .iter()
                .filter(|c| !before.contains(c))
                .map(|c| (*c, now))
                .collect();
            work.withdraw = before.into_iter().filter(|c| !after.contains(c)).collect();
        }
        (KeyOf::Post(_), ItemEvent::Removed) => {
            work.withdraw = post_causes(&image(record, false)?);
        }
        _ => {}
    }
    Ok(work)
}

/// Does `work`: each notification unless its recipient silences its actor
/// (and a push of each one written), then each withdrawal.
pub async fn apply(app: &App, work: Work) -> Result<(), StoreError> {
    for (cause, at) in work.notify {
        if cause.recipient == cause.actor || silenced(app, cause.recipient, cause.actor).await? {
            continue;
        }
        if let Some(notification) = app.notifications.notify(cause, at, Utc::now()).await? {
            push(app, cause.recipient, notification).await?;
        }
    }
    for cause in work.withdraw {
        app.notifications.withdraw(cause).await?;
    }
    Ok(())
}

/// The most pushes one user's doings send another in an hour: a like
/// taken back and given again is a new notification each time, but not a
/// new buzz of the phone each time.
pub const PUSHES_PER_ACTOR_PER_HOUR: u32 = 10;

/// Pushes a new `notification` to `recipient`'s devices whose sessions
/// still stand, and forgets the others (their sessions ended: a log-out, a
/// log-out everywhere, a password change) and those the push service says
/// are gone; at most [`PUSHES_PER_ACTOR_PER_HOUR`] from one actor. Best
/// effort: a push that fails is logged and not tried again,
/// since the notification itself is written (a retry of the record would
/// find its claim and push nothing).
async fn push(app: &App, recipient: UserId, notification: Notification) -> Result<(), StoreError> {
    if !app.pusher.is_on() {
        return Ok(());
    }
    let devices = app.devices.of(recipient).await?;
    if devices.is_empty() {
        return Ok(());
    }
    let (profile, actor) = tokio::join!(
        app.users.get(recipient, Read::Strong),
        app.users.get(notification.actor, Read::Eventual)
    );
    let (Some(profile), Some(actor)) = (profile?, actor?) else {
        return Ok(());
    };
    // The notification stays in the inbox; only its push is held back.
    let limit = Limited::pushes(recipient, actor.id);
    if let Some(wait) = app
        .limits
        .take(&limit, PUSHES_PER_ACTOR_PER_HOUR, Utc::now())
        .await?
    {
        tracing::info!(%recipient, actor = %actor.id, wait_seconds = wait.as_secs(), "pushes from this actor are held back for the hour");
        return Ok(());
    }
    let message = PushMessage {
        notification,
        actor_username: actor.username,
    };
    let now_ms = Utc::now().timestamp_millis().max(0) as u64;
    for device in devices {
        let session = app.tokens.session(recipient, &device.session_id).await?;
        let live = session
            .is_some_and(|s| s.session_epoch == profile.session_epoch && s.expires_at_ms > now_ms);
        if !live {
            app.devices.forget(recipient, &device.token_hash).await?;
            continue;
        }
        match app.pusher.push(&device, &message).await {
            Ok(()) => {}
            Err(PushError::Gone) => app.devices.forget(recipient, &device.token_hash).await?,
            Err(PushError::Failed(why)) => tracing::warn!(
                %recipient,
                notification = message.notification.id,
                %why,
                "a push failed; it is not tried again"
            ),
        }
    }
    Ok(())
}

/// Whether `recipient` blocks `actor`, is blocked by them or mutes them.
async fn silenced(app: &App, recipient: UserId, actor: UserId) -> Result<bool, StoreError> {
    Ok(app.safety.of(recipient).await?.hides(actor))
}

microblog_functions::stream_function!(handler);

/// The Lambda handler: applies the batch's records in order and reports the
/// first that failed, so the batch is retried from there.
pub async fn handler(app: &App, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let records = &event.payload.records;
    Ok(in_order(records, "a notification", |record| async move {
        let work = work_of(record)?;
        apply(app, work).await.map_err(|e| e.to_string())
    })
    .await)
}
