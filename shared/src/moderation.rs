//! The HTTP side of reports and moderation: filing a report, a reporter
//! reading theirs, and the moderators' queue, decisions and lifting of
//! suspensions. Only a moderator (a profile an operator marked) may use the
//! moderation routes; anyone else gets a 403 there, before anything is
//! judged.

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use crate::auth::{authenticate, Alongside, Caller};
use crate::domain::{
    ModerationAction, NoSuchPost, NoSuchReport, NoSuchUser, PostId, Report, ReportId, ReportTarget,
    Resolution, ResolutionRefused, UserId,
};
use crate::error::ApiError;
use crate::http::bodies::{ReportDecision, ReportForm};
use crate::http::{json, json_body, json_with_etag, no_content, path_id};
use crate::pagination::{Collection, Cursor, PageRequest, Total};
use crate::representation::{
    ModeratedReport, PostRepr, QueueMeta, ReportQueue, ReportRepr, UserRepr,
};
use crate::store::limits::Limited;
use crate::store::reports::{Filed, NewReport};
use crate::store::{Constraint, Read, StoreError};
use crate::App;

/// The 403 of a moderation route for anyone but a moderator.
fn require_moderator(caller: &Caller) -> Result<(), ApiError> {
    if caller.user.moderator {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only moderators may do this; an operator grants the role".into(),
        ))
    }
}

/// The report id in path parameter `id`.
fn path_report_id(req: &Request) -> Result<ReportId, ApiError> {
    let params = req.path_parameters();
    let raw = params
        .first("id")
        .ok_or_else(|| ApiError::not_found("the path has no id"))?;
    Ok(ReportId::parse(raw)?)
}

/// `POST /api/reports`. A repeat of the caller's open report on the same
/// target answers 200 with it and counts nothing; a new one is limited per
/// reporter per hour (429 beyond).
pub async fn file_report(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    // A body is judged only once the caller is known: a bad body from a
    // bad token is a 401, like everything else it sends. A good body is
    // read first so that its target is read alongside the token.
    let checked = json_body::<ReportForm>(req).and_then(|form| Ok(form.check()?));
    let (target, reason, comment) = match checked {
        Ok(checked) => checked,
        Err(bad) => {
            authenticate(app, req, crate::auth::Nothing).await?;
            return Err(bad);
        }
    };
    let (caller, target_user) = match target {
        ReportTarget::Post(id) => {
            let (caller, post) =
                authenticate(app, req, Alongside(app.posts.get(id, Read::Eventual))).await?;
            let post = post?.ok_or(NoSuchPost::id(id))?;
            (caller, post.author_id)
        }
        ReportTarget::User(id) => {
            let (caller, user) =
                authenticate(app, req, Alongside(app.users.get(id, Read::Eventual))).await?;
            user?
                .filter(|user| user.visible_to(&caller.user))
                .ok_or(NoSuchUser::id(id))?;
            (caller, id)
        }
    };
    if target_user == caller.user_id {
        return Err(ApiError::bad_request(match target {
            ReportTarget::Post(_) => "you cannot report your own post: delete it instead",
            ReportTarget::User(_) => "you cannot report yourself",
        }));
    }
    if let Some(existing) = app.reports.open_of(caller.user_id, target).await? {
        return json(StatusCode::OK, &ReportRepr::new(&existing));
    }
    let now = chrono::Utc::now();
    let limit = app.config.rate_limits.reports_per_hour;
    let reservation = match app
        .limits
        .reserve(&[(&Limited::reports(caller.user_id), limit)], now)
        .await?
    {
        Ok(reservation) => reservation,
        Err(refusal) => {
            tracing::warn!(reporter = %caller.user_id, "report refused: too many this hour");
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "you made {limit} reports this hour, the most allowed; try again in {} s",
                    refusal.retry_after.as_secs()
                ),
                retry_after: refusal.retry_after,
            });
        }
    };
    let new = NewReport {
        reporter: caller.user_id,
        target,
        target_user,
        reason,
        comment: comment.map(|c| c.as_str().to_string()),
    };
    let filed = app.reports.create(new, now).await;
    if !matches!(filed, Ok(Filed::New(_))) {
        if let Err(e) = app.limits.give_back(reservation).await {
            tracing::warn!(error = %e, "could not give back a report's reserved attempt");
        }
    }
    match filed? {
        Filed::New(report) => {
            let mut response = json(StatusCode::CREATED, &ReportRepr::new(&report))?;
            let location = HeaderValue::try_from(format!("/api/reports/{}", report.id))
                .expect("a path of digits is a valid header value");
            response.headers_mut().insert(header::LOCATION, location);
            Ok(response)
        }
        Filed::Existing(report) => json(StatusCode::OK, &ReportRepr::new(&report)),
        Filed::NoTarget => Err(match target {
            ReportTarget::Post(id) => NoSuchPost::id(id).into(),
            ReportTarget::User(id) => NoSuchUser::id(id).into(),
        }),
        // The account was deleted while it reported: its token is dead.
        Filed::NoReporter => Err(crate::auth::token_rejected()),
    }
}

/// `GET /api/reports/{id}`: the reporter's own report, or any for a
/// moderator; a 404 for anyone else, as for a report that does not exist.
pub async fn show_report(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = match path_report_id(req) {
        Ok(id) => id,
        Err(not_found) => {
            authenticate(app, req, crate::auth::Nothing).await?;
            return Err(not_found);
        }
    };
    // Strongly: a client following a 201's Location at once finds it.
    let (caller, report) =
        authenticate(app, req, Alongside(app.reports.get(id, Read::Strong))).await?;
    let report = report?
        .filter(|r| r.reporter == caller.user_id || caller.user.moderator)
        .ok_or(NoSuchReport::id(id))?;
    json_with_etag(req, StatusCode::OK, &ReportRepr::new(&report))
}

/// `GET /api/reports?status=open`: the open queue, oldest first, for
/// moderators: the token, the open count and the oldest open report
/// concurrently, one Query of the queue, then the page's targets.
pub async fn list_open_reports(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, (total, oldest)) = authenticate(
        app,
        req,
        Alongside(async { tokio::join!(app.reports.open_count(), app.reports.oldest_open()) }),
    )
    .await?;
    require_moderator(&caller)?;
    match req.query_string_parameters().first("status") {
        None | Some("open") => {}
        Some("resolved" | "dismissed") => {
            return Err(ApiError::bad_request(
                "only the open queue is listed (status=open); closed reports are kept in the audit records",
            ))
        }
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status must be open, got {other:?}"
            )))
        }
    }
    let (total, oldest) = (total?, oldest?);
    let request = PageRequest::from_request(req)?;
    let window = match request.plan(Total::Counted(total))? {
        None => Vec::new(),
        Some((after, skip)) => {
            let after = match after {
                Some(Cursor(id, None)) => Some(ReportId::new(id)),
                Some(_) => return Err(crate::collections::invalid_cursor()),
                None => None,
            };
            app.reports
                .open_window(after, skip, request.fetch_limit())
                .await?
        }
    };
    let more = window.len() > request.per_page as usize;
    let page: Vec<Report> = window.into_iter().take(request.per_page as usize).collect();
    let next = page
        .last()
        .filter(|_| more)
        .map(|r| Cursor(r.id.get(), None));
    let items = moderated(app, caller.user_id, &page).await?;
    let collection = Collection::new("/api/reports", &request, Total::Counted(total), items, next);
    let now = chrono::Utc::now();
    let queue = ReportQueue {
        items: collection.items,
        _meta: QueueMeta {
            page: collection._meta,
            oldest_open_at: oldest
                .as_ref()
                .map(|r| crate::domain::timestamp(r.created_at)),
            oldest_open_age_seconds: oldest
                .as_ref()
                .map(|r| (now - r.created_at).num_seconds().max(0) as u64),
        },
        _links: collection._links,
    };
    json_with_etag(req, StatusCode::OK, &queue)
}

/// `PUT /api/reports/{id}`: a moderator closes an open report, perhaps
/// removing the post or suspending the user, in one transaction with the
/// audit record.
pub async fn decide_report(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = match path_report_id(req) {
        Ok(id) => id,
        Err(not_found) => {
            let (caller, ()) = authenticate(app, req, crate::auth::Nothing).await?;
            require_moderator(&caller)?;
            return Err(not_found);
        }
    };
    let (caller, report) =
        authenticate(app, req, Alongside(app.reports.get(id, Read::Strong))).await?;
    require_moderator(&caller)?;
    let resolution = Resolution::try_from(json_body::<ReportDecision>(req)?)?;
    let report = report?.ok_or(NoSuchReport::id(id))?;
    if let Some(decision) = &report.decision {
        return Err(ApiError::Conflict(format!(
            "report {id} was {} already (by moderator {}); it cannot be decided again",
            report.status.as_str(),
            decision.moderator
        )));
    }
    resolution.check(report.target).map_err(|refused| {
        ApiError::bad_request(match refused {
            ResolutionRefused::StillOpen => "status must be resolved or dismissed",
            ResolutionRefused::DismissedWithAction => {
                "a dismissed report takes action none: resolve it to act"
            }
            ResolutionRefused::NoPostToRemove => {
                "this report is about a user, not a post: there is no post to remove"
            }
        })
    })?;
    if resolution.action == ModerationAction::SuspendUser && report.target_user == caller.user_id {
        return Err(ApiError::bad_request("you cannot suspend yourself"));
    }
    let post = match (resolution.action, report.target) {
        (ModerationAction::RemovePost, ReportTarget::Post(post_id)) => Some(
            app.posts
                .get(post_id, Read::Strong)
                .await?
                .ok_or_else(post_gone)?,
        ),
        _ => None,
    };
    let now = chrono::Utc::now();
    let closed = app
        .moderation
        .resolve(&report, &resolution, caller.user_id, post.as_ref(), now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Constraint::ReportNotOpen) => ApiError::Conflict(format!(
                "report {id} was closed by another moderator meanwhile"
            )),
            // The post, or its author's profile (the account deleted, its
            // posts not yet cleaned up), is gone.
            StoreError::Conflict(
                Constraint::PostToRemoveMissing | Constraint::CountBelowZero,
            ) => post_gone(),
            StoreError::Conflict(Constraint::UserToSuspendMissing) => ApiError::Conflict(
                "the user has deleted their account: there is no one to suspend; resolve with action none".into(),
            ),
            other => other.into(),
        })?;
    tracing::info!(report = %id, moderator = %caller.user_id, status = closed.status.as_str(), action = resolution.action.as_str(), "report closed");
    let shown = moderated(app, caller.user_id, std::slice::from_ref(&closed)).await?;
    json(StatusCode::OK, &shown[0])
}

fn post_gone() -> ApiError {
    ApiError::Conflict(
        "the reported post is already gone: resolve with action none (or suspend_user)".into(),
    )
}

/// `DELETE /api/users/{id}/suspension`: a moderator lifts a suspension;
/// 204 whether or not the user was suspended.
pub async fn lift_suspension(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = match path_id(req, "id") {
        Ok(id) => id,
        Err(not_found) => {
            let (caller, ()) = authenticate(app, req, crate::auth::Nothing).await?;
            require_moderator(&caller)?;
            return Err(not_found);
        }
    };
    let (caller, user) = authenticate(app, req, Alongside(app.users.get(id, Read::Strong))).await?;
    require_moderator(&caller)?;
    user?.ok_or(NoSuchUser::id(id))?;
    match app
        .moderation
        .unsuspend(id, caller.user_id, chrono::Utc::now())
        .await
    {
        Ok(()) => {
            tracing::info!(user = %id, moderator = %caller.user_id, "suspension lifted");
            Ok(no_content())
        }
        Err(StoreError::Conflict(Constraint::NotSuspended)) => Ok(no_content()),
        Err(other) => Err(other.into()),
    }
}

/// `reports` as the moderator `viewer` sees them: one BatchGetItem of the
/// targets' posts and users, one of their open counts and one of the
/// viewer's likes of the posts, concurrently.
async fn moderated(
    app: &App,
    viewer: UserId,
    reports: &[Report],
) -> Result<Vec<ModeratedReport>, ApiError> {
    let mut post_ids: Vec<PostId> = Vec::new();
    let mut user_ids: Vec<UserId> = Vec::new();
    let mut targets: Vec<ReportTarget> = Vec::new();
    for report in reports {
        if let ReportTarget::Post(id) = report.target {
            if !post_ids.contains(&id) {
                post_ids.push(id);
            }
        }
        if !user_ids.contains(&report.target_user) {
            user_ids.push(report.target_user);
        }
        if !targets.contains(&report.target) {
            targets.push(report.target);
        }
    }
    let (counts, found, liked) = tokio::join!(
        app.reports.open_counts(&targets),
        app.posts.with_authors(&post_ids, &user_ids),
        app.likes.liked_among(viewer, &post_ids)
    );
    let (counts, (posts, users), liked) = (counts?, found?, liked?);
    Ok(reports
        .iter()
        .map(|report| {
            let user = users.iter().find(|u| u.id == report.target_user);
            let post = match report.target {
                ReportTarget::Post(id) => posts
                    .iter()
                    .find(|p| p.id == id)
                    .zip(user)
                    .map(|(post, author)| PostRepr::new(post, author, liked.contains(&post.id))),
                ReportTarget::User(_) => None,
            };
            let count = targets
                .iter()
                .position(|t| *t == report.target)
                .map_or(0, |i| counts[i]);
            ModeratedReport {
                report: ReportRepr::new(report),
                reporter_id: report.reporter.get(),
                target_user_id: report.target_user.get(),
                post,
                user: user.map(UserRepr::public),
                user_suspended: user.is_some_and(|u| u.suspended_at.is_some()),
                target_open_reports: count,
                moderator_id: report.decision.as_ref().map(|d| d.moderator.get()),
                note: report.decision.as_ref().and_then(|d| d.note.clone()),
            }
        })
        .collect())
}

/// The open queue now: how many reports are open and how long the oldest
/// has waited (one GetItem and one Query of one item, concurrently).
pub async fn queue_state(app: &App) -> Result<QueueState, StoreError> {
    let (open, oldest) = tokio::join!(app.reports.open_count(), app.reports.oldest_open());
    let now = chrono::Utc::now();
    Ok(QueueState {
        open: open?,
        oldest_age_seconds: oldest?.map_or(0, |r| (now - r.created_at).num_seconds().max(0) as u64),
    })
}

/// What [`queue_state`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QueueState {
    /// Open reports.
    pub open: u64,
    /// Seconds the oldest open report has waited; 0 when none is open.
    pub oldest_age_seconds: u64,
}
