//! How a store call fails. Failures of DynamoDB itself are logged here, with
//! their full context, where that context exists; callers see only what they
//! can act on.

use std::fmt;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::items::ItemError;

/// A condition of a write that did not hold, named by what it protects, so
/// that callers match on meaning rather than on an item's position in a
/// transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// Another user holds the username (ignoring case).
    UsernameTaken,
    /// Another user holds the email address (ignoring case).
    EmailTaken,
    /// The profile changed between our read and our write.
    ProfileChanged,
    /// A user the write needs does not exist.
    UserMissing,
    /// The follow edge already exists.
    AlreadyFollowing,
    /// The follow edge does not exist (or a count would go below zero).
    NotFollowing,
    /// A freshly allocated user or post id is in use: a bug or a hand edit.
    IdInUse,
    /// The post does not exist (any more).
    PostMissing,
    /// The idempotency key was used (by a concurrent request) first.
    KeyUsed,
    /// A count would go below zero: it disagrees with what it counts.
    CountBelowZero,
    /// A new token's hash is in use: 256 random bits do not collide.
    TokenInUse,
    /// A uniqueness marker we read as ours belongs to someone else.
    MarkerNotOurs,
    /// An abuse limit's count reached its limit in the current window.
    LimitReached,
    /// The user's session epoch moved (every session was revoked) or the
    /// user is gone, since we read it.
    SessionsRevoked,
    /// The session no longer holds the refresh token we read: a concurrent
    /// refresh rotated it, or the session ended.
    SessionMoved,
    /// The password changed since we verified it.
    PasswordChanged,
    /// The follower blocks the user to follow.
    Blocking,
    /// The user to follow blocks the follower.
    Blocked,
    /// The block, or mute, already exists.
    AlreadySilenced,
    /// The block, or mute, does not exist.
    NotSilenced,
    /// The caller's set of blocks, or of mutes, is at its limit.
    SilenceListFull,
    /// The set of users blocking the target is at its limit.
    BlockersFull,
    /// The follow edges or users a block read changed before it was
    /// written: it reads again.
    BlockRaced,
    /// The reporter has an open report on the target already.
    AlreadyReported,
    /// The reported post or user does not exist.
    ReportTargetMissing,
    /// The report is no longer open (a moderator closed it meanwhile), or
    /// is gone.
    ReportNotOpen,
    /// The post a moderator removes is already gone.
    PostToRemoveMissing,
    /// The user a moderator suspends is gone.
    UserToSuspendMissing,
    /// The user is not suspended.
    NotSuspended,
    /// An account clean-up job is not at the step we read (a redelivered
    /// record), or the item it updates is gone.
    PurgeMoved,
    /// A mail job is gone, or holds another code than the one we read:
    /// another delivery of its record handled it.
    MailJobMoved,
    /// The mailed code is gone: it was used (or has expired and its TTL
    /// removed it).
    CodeUsed,
    /// The account a mailed code was issued for changed its address (or,
    /// for a reset code, its password, or ended every session), or is gone.
    CodeVoid,
    /// The caller likes the post already.
    AlreadyLiked,
    /// The caller does not like the post.
    NotLiked,
    /// The post a reply answers does not exist (any more).
    ParentMissing,
    /// A reply's entry under its parent is gone: a redelivered record, or
    /// the parent's clean-up, removed it already.
    ReplyGone,
    /// The notification of this cause was written already (a redelivered
    /// stream record).
    AlreadyNotified,
    /// The read marker cannot move there: no notification of the inbox
    /// has that id yet, or the marker is there already.
    NotificationMissing,
    /// The cause of a notification (a like, a follow, a post) is gone
    /// since its stream record was written: it is not notified.
    CauseGone,
}

/// Why a store call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// A conditional write was refused by the named constraint; nothing was
    /// written.
    Conflict(Constraint),
    /// DynamoDB could not serve the call: unreachable, timed out, a 5xx,
    /// throttled or contended after every retry. The same request may
    /// succeed after `retry_after`. Already logged.
    Unavailable {
        /// How long a client should wait before retrying.
        retry_after: Duration,
    },
    /// Our fault: DynamoDB refused the request as malformed, a condition
    /// that cannot fail did, or a stored item is malformed. Already logged.
    Internal,
}

impl StoreError {
    /// Throttled or contended: retry in about a second.
    pub const BUSY: StoreError = StoreError::Unavailable {
        retry_after: Duration::from_secs(1),
    };
    /// Unreachable, timed out or failing: retry in a couple of seconds.
    pub const DOWN: StoreError = StoreError::Unavailable {
        retry_after: Duration::from_secs(2),
    };
}

impl StoreError {
    /// Whether the failed call may have taken effect anyway: DynamoDB was
    /// unreachable, timed out, broke off its answer or failed ([`Self::DOWN`]),
    /// so a write may have committed with its answer lost. Throttling and
    /// contention ([`Self::BUSY`]) and conflicts are refusals: nothing was
    /// written.
    pub fn may_have_written(&self) -> bool {
        *self == StoreError::DOWN
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Conflict(constraint) => write!(f, "conflict: {constraint:?}"),
            StoreError::Unavailable { retry_after } => {
                write!(f, "DynamoDB is unavailable; retry after {retry_after:?}")
            }
            StoreError::Internal => f.write_str("DynamoDB call failed (logged)"),
        }
    }
}

impl std::error::Error for StoreError {}

/// Why DynamoDB could not serve a call, as the log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outage {
    /// No connection: refused, reset, or the connect timeout passed.
    Unreachable,
    /// An attempt or the whole operation passed its timeout.
    TimedOut,
    /// The connection broke mid-answer, or the answer was not DynamoDB's.
    BrokenResponse,
    /// DynamoDB answered 5xx (InternalServerError, ServiceUnavailable).
    ServerError,
    /// DynamoDB throttled us through every retry.
    Throttled,
}

impl Outage {
    fn cause(self) -> &'static str {
        match self {
            Outage::Unreachable => "DynamoDB unreachable",
            Outage::TimedOut => "DynamoDB did not answer in time",
            Outage::BrokenResponse => "DynamoDB's answer broke off or was malformed",
            Outage::ServerError => "DynamoDB answered a server error",
            Outage::Throttled => "DynamoDB throttled every retry",
        }
    }

    /// What a client is told to wait: a second for throttling, which passes
    /// quickly; two for an outage, so that clients retrying in step do not
    /// hammer a recovering dependency.
    fn error(self) -> StoreError {
        match self {
            Outage::Throttled => StoreError::BUSY,
            _ => StoreError::DOWN,
        }
    }
}

/// The DynamoDB error codes of throttling.
const THROTTLING: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
];

/// Tells a dependency failure (the SDK's retries already spent) from a
/// fault of ours: `None` for a refused request (validation, a missing
/// table, bad credentials), which retrying will not fix.
pub(crate) fn outage_of<E>(err: &SdkError<E, HttpResponse>) -> Option<Outage>
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::TimeoutError(_) => Some(Outage::TimedOut),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Some(Outage::TimedOut),
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_other() => {
            Some(Outage::Unreachable)
        }
        SdkError::DispatchFailure(_) => None,
        SdkError::ResponseError(_) => Some(Outage::BrokenResponse),
        SdkError::ServiceError(service) => {
            if err.code().is_some_and(|code| THROTTLING.contains(&code)) {
                Some(Outage::Throttled)
            } else if service.raw().status().is_server_error() {
                Some(Outage::ServerError)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Logs an SDK failure once, with its full context and its cause: a
/// dependency failure (see [`outage_of`]) is [`StoreError::Unavailable`] and
/// a warning, anything else [`StoreError::Internal`] and an error.
pub(crate) fn sdk_error<E>(operation: &str, err: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match outage_of(&err) {
        Some(outage) => {
            tracing::warn!(
                operation,
                cause = outage.cause(),
                error = %DisplayErrorContext(&err),
                "DynamoDB unavailable"
            );
            outage.error()
        }
        None => {
            tracing::error!(operation, error = %DisplayErrorContext(&err), "DynamoDB call failed");
            StoreError::Internal
        }
    }
}

/// A stored item that does not convert is a bug or a hand edit: logged.
impl From<ItemError> for StoreError {
    fn from(err: ItemError) -> Self {
        tracing::error!(error = %err, "stored item is malformed");
        StoreError::Internal
    }
}
