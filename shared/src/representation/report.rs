//! The JSON representations of a report: as its reporter sees it, and as a
//! moderator does (with who reported, the target's current content and how
//! many open reports it has).

use serde::Serialize;
use utoipa::ToSchema;

use super::{PostRepr, UserRepr};
use crate::domain::{timestamp, ModerationAction, Reason, Report, ReportStatus, ReportTarget};
use crate::pagination::{Links, Meta};

/// A report as its reporter sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[schema(as = Report)]
pub struct ReportRepr {
    /// The integer id.
    #[schema(minimum = 1)]
    pub id: u64,
    /// `open` until a moderator resolves or dismisses it.
    pub status: ReportStatus,
    /// Why it was reported.
    pub reason: Reason,
    /// The reporter's words, or null.
    pub comment: Option<String>,
    /// When it was made: RFC 3339, UTC, ending in `Z`.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// What is reported.
    pub target: TargetRepr,
    /// What the moderator did, once closed; null while open.
    pub action: Option<ModerationAction>,
    /// When a moderator closed it, or null.
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
    /// Itself and its target.
    pub _links: ReportLinks,
}

/// What a report is about.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[schema(as = ReportTarget)]
pub struct TargetRepr {
    /// `post` or `user`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(post|user)$")]
    pub kind: &'static str,
    /// The post's or the user's id.
    #[schema(minimum = 1)]
    pub id: u64,
}

/// The links of a report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct ReportLinks {
    /// The report: `/api/reports/{id}`.
    #[serde(rename = "self")]
    self_: String,
    /// The reported post or user (which may be gone, or hidden).
    target: String,
}

impl ReportRepr {
    /// `report` as its reporter sees it.
    pub fn new(report: &Report) -> Self {
        let target_path = match report.target {
            ReportTarget::Post(id) => format!("/api/posts/{id}"),
            ReportTarget::User(id) => format!("/api/users/{id}"),
        };
        ReportRepr {
            id: report.id.get(),
            status: report.status,
            reason: report.reason,
            comment: report.comment.clone(),
            created_at: timestamp(report.created_at),
            target: TargetRepr {
                kind: report.target.kind(),
                id: report.target.id(),
            },
            action: report.decision.as_ref().map(|d| d.action),
            closed_at: report.decision.as_ref().map(|d| timestamp(d.at)),
            _links: ReportLinks {
                self_: format!("/api/reports/{}", report.id),
                target: target_path,
            },
        }
    }
}

/// A report as a moderator sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[schema(as = ModeratedReport)]
pub struct ModeratedReport {
    /// The report as its reporter sees it.
    #[serde(flatten)]
    pub report: ReportRepr,
    /// Who reported it.
    #[schema(minimum = 1)]
    pub reporter_id: u64,
    /// The reported user, or the reported post's author: whom
    /// `suspend_user` suspends.
    #[schema(minimum = 1)]
    pub target_user_id: u64,
    /// The reported post as it is now; null for a report about a user, or
    /// once the post is gone.
    pub post: Option<PostRepr>,
    /// The target user as they are now (suspended or not); null once the
    /// account is gone.
    pub user: Option<UserRepr>,
    /// Whether the target user is suspended now.
    pub user_suspended: bool,
    /// Open reports on the same target, this one included.
    pub target_open_reports: u64,
    /// The moderator who closed it, or null.
    pub moderator_id: Option<u64>,
    /// The moderator's note, or null.
    pub note: Option<String>,
}

/// `_meta` of the open queue: the page's, and how long the oldest open
/// report has waited.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct QueueMeta {
    /// Position and sizes.
    #[serde(flatten)]
    pub page: Meta,
    /// When the oldest open report was made; null when none is open.
    #[schema(format = DateTime)]
    pub oldest_open_at: Option<String>,
    /// Seconds the oldest open report has waited; null when none is open.
    pub oldest_open_age_seconds: Option<u64>,
}

/// A page of the open queue, oldest first.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct ReportQueue {
    /// The page's reports.
    pub items: Vec<ModeratedReport>,
    /// Sizes, position and the oldest report's age.
    pub _meta: QueueMeta,
    /// Self, next and previous pages.
    pub _links: Links,
}
