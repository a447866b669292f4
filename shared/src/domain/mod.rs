//! The domain: users, follow edges, blocks and mutes, posts and feed
//! entries, reports and moderation, and the validated values they are made
//! of. Nothing here knows about HTTP or DynamoDB; a value that reaches a
//! store has passed every rule, and a rule broken is a [`ValidationError`]
//! that the HTTP layer turns into a 400 in one place.

mod device;
mod errors;
mod follow;
mod ids;
mod mention;
mod notification;
mod post;
mod recovery;
mod report;
mod safety;
mod session;
pub(crate) mod text;
mod time;
mod user;
mod values;

pub use device::{Device, DeviceToken, Platform, MAX_DEVICES};
pub use errors::{NoSuchPost, NoSuchReport, NoSuchUser, ValidationError};
pub use follow::{Edge, EdgeKind};
pub use ids::{PostId, ReportId, UserId};
pub use mention::{mentioned_usernames, Mention, MAX_MENTIONS};
pub use notification::{Cause, Notification, NotificationKind, DEFAULT_NOTIFICATION_TTL_DAYS};
pub use post::{FeedEntry, IdempotencyKey, KeyUse, Post, PostBody, ReplyTo, MAX_POST_CHARS};
pub use recovery::{CodeGrant, MailJob, MailKind, MailedCode, CODE_CHARS};
pub use report::{
    Decision, ModerationAction, Reason, Report, ReportStatus, ReportTarget, ReportText, Resolution,
    ResolutionRefused, DEFAULT_REPORTS_PER_HOUR, MAX_REPORT_TEXT_CHARS,
};
pub use safety::{Safety, Silence, MAX_BLOCKED_BY, MAX_BLOCKS, MAX_MUTES};
pub use session::Secret;
pub use text::MAX_MARKS_IN_A_ROW;
pub use time::timestamp;
pub use user::{CompleteRegistration, NewUser, ProfileUpdate, User};
pub use values::{
    AboutMe, Change, Email, Password, Unchecked, UncheckedChange, Username, MAX_ABOUT_ME_CHARS,
    MAX_EMAIL_CHARS, PASSWORD_CHARS, USERNAME_CHARS,
};
