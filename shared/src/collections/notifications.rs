//! The caller's notifications: the inbox, newest first; the unread count;
//! the read marker.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{invalid_cursor, split_page};
use crate::auth::{authenticate, Nothing, Screened};
use crate::domain::UserId;
use crate::error::ApiError;
use crate::http::bodies::ReadMarker;
use crate::http::{json_body, json_with_etag, no_content};
use crate::pagination::{Collection, Cursor, PageRequest, Total};
use crate::representation::{NotificationRepr, UnreadCount};
use crate::store::notifications::Marked;
use crate::App;

/// The most unread notifications counted: one bounded read, whatever the
/// inbox holds.
pub const UNREAD_CAP: u32 = 100;

/// `GET /api/notifications`: the token (with the caller's blocks and
/// mutes), then the inbox's read marker and one Query of the page
/// concurrently, then one BatchGetItem of the actors. Notifications from
/// users the caller now blocks, is blocked by or mutes, from deleted or
/// suspended users, and expired ones are left out of the page (follow
/// `next`). Not counted: `total_items` is null.
pub async fn list_notifications(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, (_, safety)) = authenticate(app, req, Screened(Nothing)).await?;
    let request = PageRequest::from_request(req)?;
    let plan = request.plan(Total::Uncounted)?;
    let window = async {
        match plan {
            None => Ok(Vec::new()),
            Some((after, skip)) => {
                let after = match after {
                    Some(Cursor(id, None)) => Some(id),
                    Some(_) => return Err(invalid_cursor()),
                    None => None,
                };
                Ok(app
                    .notifications
                    .window(caller.user_id, after, skip, request.fetch_limit())
                    .await?)
            }
        }
    };
    let (inbox, window) = tokio::join!(app.notifications.inbox(caller.user_id), window);
    let (inbox, window) = (inbox?, window?);
    let (page, more) = split_page(window, &request);
    let next = page
        .last()
        .filter(|_| more)
        .map(|(notification, _)| Cursor(notification.id, None));
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let shown: Vec<_> = page
        .iter()
        .filter(|(n, expires)| *expires >= now && !safety.hides(n.actor))
        .map(|(n, _)| n)
        .collect();
    let mut actors: Vec<UserId> = shown.iter().map(|n| n.actor).collect();
    actors.sort_unstable();
    actors.dedup();
    let users = app.users.get_many(&actors).await?;
    let items = shown
        .iter()
        .filter_map(|n| {
            let actor = users
                .iter()
                .find(|u| u.id == n.actor && u.visible_to(&caller.user))?;
            Some(NotificationRepr::new(n, actor, n.id <= inbox.read_up_to))
        })
        .collect();
    json_with_etag(
        req,
        StatusCode::OK,
        &Collection::new(
            "/api/notifications",
            &request,
            Total::Uncounted,
            items,
            next,
        ),
    )
}

/// `GET /api/notifications/unread`: the token (with the caller's blocks
/// and mutes), the inbox's read marker, then one Query of at most 101 keys
/// and actors newer than it, then one BatchGetItem of those actors.
/// Notifications the inbox does not show (from users the caller silences,
/// deleted or suspended users) are not counted.
pub async fn unread_count(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, (_, safety)) = authenticate(app, req, Screened(Nothing)).await?;
    let inbox = app.notifications.inbox(caller.user_id).await?;
    let (actors, more) = app
        .notifications
        .unread(
            caller.user_id,
            inbox.read_up_to,
            UNREAD_CAP + 1,
            chrono::Utc::now(),
        )
        .await?;
    // Counted as the inbox shows them: not from users the caller
    // silences, nor from deleted or suspended ones (whose notifications the
    // caller never sees, so could never mark read).
    let mut distinct: Vec<UserId> = actors
        .iter()
        .filter(|a| !safety.hides(**a))
        .copied()
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    let shown: Vec<UserId> = app
        .users
        .get_many(&distinct)
        .await?
        .iter()
        .filter(|u| u.visible_to(&caller.user))
        .map(|u| u.id)
        .collect();
    let counted = actors.iter().filter(|a| shown.contains(a)).count() as u64;
    let capped = more || counted > u64::from(UNREAD_CAP);
    let body = UnreadCount {
        count: counted.min(u64::from(UNREAD_CAP)),
        capped,
    };
    json_with_etag(req, StatusCode::OK, &body)
}

/// `PUT /api/notifications/read`: one conditional UpdateItem moving the
/// read marker forward (never back: a marker already past `up_to` is a 204
/// that changes nothing).
pub async fn mark_read(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, ()) = authenticate(app, req, Nothing).await?;
    let up_to = json_body::<ReadMarker>(req)?.up_to()?;
    match app.notifications.mark_read(caller.user_id, up_to).await? {
        Marked::Moved | Marked::Unchanged => Ok(no_content()),
        Marked::NoSuchNotification => Err(ApiError::bad_request(format!(
            "up_to: you have no notification with the id {up_to}; give the id of one you have read"
        ))),
    }
}
