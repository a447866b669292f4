//! What a function may do to DynamoDB: IAM's actions, the resources they
//! apply to, and the partition keys of its `dynamodb:LeadingKeys` condition.

use std::fmt;

/// A DynamoDB action as IAM names it (without the `dynamodb:` prefix). A
/// TransactWriteItems needs the action of each of its items, not an action
/// of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// GetItem.
    GetItem,
    /// BatchGetItem.
    BatchGetItem,
    /// Query.
    Query,
    /// PutItem, alone or in a transaction.
    PutItem,
    /// UpdateItem, alone or in a transaction.
    UpdateItem,
    /// DeleteItem, alone or in a transaction.
    DeleteItem,
    /// ConditionCheck in a transaction.
    ConditionCheckItem,
    /// BatchWriteItem (its puts and deletes need no action of their own).
    BatchWriteItem,
}

impl Action {
    /// Every action, for parsing.
    pub const ALL: [Action; 8] = [
        Action::GetItem,
        Action::BatchGetItem,
        Action::Query,
        Action::PutItem,
        Action::UpdateItem,
        Action::DeleteItem,
        Action::ConditionCheckItem,
        Action::BatchWriteItem,
    ];

    /// The IAM action name without its service prefix.
    pub fn name(self) -> &'static str {
        match self {
            Action::GetItem => "GetItem",
            Action::BatchGetItem => "BatchGetItem",
            Action::Query => "Query",
            Action::PutItem => "PutItem",
            Action::UpdateItem => "UpdateItem",
            Action::DeleteItem => "DeleteItem",
            Action::ConditionCheckItem => "ConditionCheckItem",
            Action::BatchWriteItem => "BatchWriteItem",
        }
    }

    /// The action named `name` (`GetItem`, without `dynamodb:`).
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether the action changes data.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Action::PutItem | Action::UpdateItem | Action::DeleteItem | Action::BatchWriteItem
        )
    }
}

/// What an action applies to: the table, or one of its indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// The table itself (`Table.Arn` in template.yaml).
    Table,
    /// An index of the table (`${Table.Arn}/index/<name>`).
    Index(&'static str),
}

/// One DynamoDB permission: an action on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Access {
    /// The action.
    pub action: Action,
    /// Where it applies.
    pub resource: Resource,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.resource {
            Resource::Table => write!(f, "{} on the table", self.action.name()),
            Resource::Index(index) => write!(f, "{} on index {index}", self.action.name()),
        }
    }
}

pub(super) const fn table(action: Action) -> Access {
    Access {
        action,
        resource: Resource::Table,
    }
}

pub(super) const fn index(action: Action, name: &'static str) -> Access {
    Access {
        action,
        resource: Resource::Index(name),
    }
}

/// Partition keys, as patterns of IAM's `dynamodb:LeadingKeys` condition
/// (`*` stands for any rest; anything else is exact). The exact ones are
/// the very constants the stores use.
pub mod keys {
    use crate::store::items;

    /// Profiles, follow edges and timelines: `USER#<id>`.
    pub const USER: &str = "USER#*";
    /// Tokens, by hash: `TOKEN#<sha256>`.
    pub const TOKEN: &str = "TOKEN#*";
    /// Username markers.
    pub const USERNAME: &str = "USERNAME#*";
    /// Email markers.
    pub const EMAIL: &str = "EMAIL#*";
    /// The next user id.
    pub const USER_COUNTER: &str = items::COUNTER_PK;
    /// The number of users.
    pub const USER_COUNT: &str = items::STATS_PK;
    /// The directory of every user.
    pub const DIRECTORY: &str = items::DIRECTORY_PK;
    /// Posts: `POST#<id>`.
    pub const POST: &str = "POST#*";
    /// The next post id.
    pub const POST_COUNTER: &str = items::POST_COUNTER_PK;
    /// Home feeds: `FEED#<id>`.
    pub const FEED: &str = "FEED#*";
    /// Idempotency-Key records.
    pub const IDEMPOTENCY: &str = "IDEMPOTENCY#*";
    /// The set of popular authors.
    pub const POPULAR: &str = items::POPULAR_PK;
    /// Failed-login counters.
    pub const LOGIN_LIMIT: &str = "LIMIT#login#*";
    /// Sign-up counters.
    pub const SIGNUP_LIMIT: &str = "LIMIT#signup#*";
    /// Password reset request counters, per email and per client.
    pub const RESET_LIMIT: &str = "LIMIT#reset#*";
    /// Verification resend counters, per user.
    pub const VERIFY_LIMIT: &str = "LIMIT#verify#*";
    /// Counters of the pushes one user's doings send another.
    pub const PUSH_LIMIT: &str = "LIMIT#push#*";
    /// Mail jobs: `MAIL#<id>`.
    pub const MAIL: &str = "MAIL#*";
    /// Reset codes, by hash: `CODE#<sha256>`.
    pub const CODE: &str = "CODE#*";
    /// Clean-up jobs of deleted accounts: `PURGE#<id>`.
    pub const PURGE: &str = "PURGE#*";
    /// Reports: `REPORT#<id>`.
    pub const REPORT: &str = "REPORT#*";
    /// The open queue and its count (`REPORTS#open`), and each target's
    /// count of open reports (`REPORTS#<post|user>#<id>`).
    pub const REPORTS: &str = "REPORTS#*";
    /// The next report id.
    pub const REPORT_COUNTER: &str = crate::store::reports::REPORT_COUNTER_PK;
    /// Report counters, per reporter and hour.
    pub const REPORT_LIMIT: &str = "LIMIT#report#*";
    /// Audit records of moderators' acts: `AUDIT#<yyyy-mm-dd>`.
    pub const AUDIT: &str = "AUDIT#*";

    /// Whether `pk` matches `pattern` as IAM's StringLike does (for the
    /// patterns above: a trailing `*`, or exact).
    pub fn matches(pattern: &str, pk: &str) -> bool {
        match pattern.strip_suffix('*') {
            Some(prefix) => pk.starts_with(prefix),
            None => pk == pattern,
        }
    }
}
