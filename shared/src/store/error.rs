//! How a store call fails. Failures of DynamoDB itself are logged here, with
//! their full context, where that context exists; callers see only what they
//! can act on.

use std::fmt;
use std::time::Duration;

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
    /// A new token's hash is in use: 256 random bits do not collide.
    TokenInUse,
    /// A uniqueness marker we read as ours belongs to someone else.
    MarkerNotOurs,
}

/// Why a store call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// A conditional write was refused by the named constraint; nothing was
    /// written.
    Conflict(Constraint),
    /// DynamoDB throttled us, or stayed contended after retries: the same
    /// request may succeed after `retry_after`. Already logged.
    Unavailable {
        /// How long a client should wait before retrying.
        retry_after: Duration,
    },
    /// DynamoDB failed, or a stored item is malformed. Already logged.
    Internal,
}

impl StoreError {
    /// Throttled or contended: retry in about a second.
    pub const BUSY: StoreError = StoreError::Unavailable {
        retry_after: Duration::from_secs(1),
    };
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Conflict(constraint) => write!(f, "conflict: {constraint:?}"),
            StoreError::Unavailable { retry_after } => {
                write!(f, "DynamoDB is busy; retry after {retry_after:?}")
            }
            StoreError::Internal => f.write_str("DynamoDB call failed (logged)"),
        }
    }
}

impl std::error::Error for StoreError {}

/// Logs an SDK failure with its full context: throttling is
/// [`StoreError::Unavailable`], anything else [`StoreError::Internal`].
pub(crate) fn sdk_error<E, R>(operation: &str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    let throttled = matches!(
        err.code(),
        Some(
            "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
        )
    );
    tracing::error!(operation, error = %DisplayErrorContext(&err), "DynamoDB call failed");
    if throttled {
        StoreError::BUSY
    } else {
        StoreError::Internal
    }
}

/// A stored item that does not convert is a bug or a hand edit: logged.
impl From<ItemError> for StoreError {
    fn from(err: ItemError) -> Self {
        tracing::error!(error = %err, "stored item is malformed");
        StoreError::Internal
    }
}
