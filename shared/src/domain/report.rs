//! Reports and moderation: what a user reports (a post or a user), why,
//! and what a moderator decides. A report is open until a moderator
//! resolves or dismisses it; resolving may remove the reported post or
//! suspend its author (or the reported user).

use chrono::{DateTime, Utc};

use super::errors::ValidationError;
use super::ids::{PostId, ReportId, UserId};
use super::text::{check_text, has_visible, Lines};

/// Characters a report's comment or a moderator's note may have, at most.
pub const MAX_REPORT_TEXT_CHARS: usize = 1000;

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportTarget {
    /// A post.
    Post(PostId),
    /// A user (their profile, or their conduct as a whole).
    User(UserId),
}

impl ReportTarget {
    /// `post` or `user`, as the API and the stored report name the kind.
    pub fn kind(self) -> &'static str {
        match self {
            ReportTarget::Post(_) => "post",
            ReportTarget::User(_) => "user",
        }
    }

    /// The target's id as a number.
    pub fn id(self) -> u64 {
        match self {
            ReportTarget::Post(id) => id.get(),
            ReportTarget::User(id) => id.get(),
        }
    }

    /// The target of kind `kind` (as [`ReportTarget::kind`] names it) and id `id`.
    pub fn from_parts(kind: &str, id: u64) -> Option<ReportTarget> {
        match kind {
            "post" => Some(ReportTarget::Post(PostId::new(id))),
            "user" => Some(ReportTarget::User(UserId::new(id))),
            _ => None,
        }
    }
}

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in the order the API lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The name the API uses.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value named `text`, if any.
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }
    };
}

named_enum!(
    /// Why something is reported: the categories of the app stores' and
    /// the large networks' report forms.
    Reason {
        /// Unwanted commercial or repetitive content.
        Spam = "spam",
        /// Attacks on or intimidation of a person.
        Harassment = "harassment",
        /// Hate against a protected group.
        Hate = "hate",
        /// Threats or glorification of violence.
        Violence = "violence",
        /// Sexual content.
        Sexual = "sexual",
        /// Self-harm or suicide.
        SelfHarm = "self_harm",
        /// Something illegal.
        Illegal = "illegal",
        /// Anything else (say what in the comment).
        Other = "other",
    }
);

named_enum!(
    /// Where a report stands.
    ReportStatus {
        /// Waiting for a moderator.
        Open = "open",
        /// A moderator found it founded (and may have acted).
        Resolved = "resolved",
        /// A moderator found nothing to act on.
        Dismissed = "dismissed",
    }
);

named_enum!(
    /// What a moderator does about a report.
    ModerationAction {
        /// Nothing beyond closing the report.
        None = "none",
        /// Deletes the reported post everywhere (feeds included).
        RemovePost = "remove_post",
        /// Suspends the reported user, or the reported post's author.
        SuspendUser = "suspend_user",
    }
);

/// A report's comment or a moderator's note: free text of 1 to 1,000
/// characters with a visible one, by the rules of free text
/// ([`check_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportText(String);

impl ReportText {
    /// Validates `raw` as the text of field `field`.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        if raw.chars().count() > MAX_REPORT_TEXT_CHARS {
            return Err(ValidationError::invalid(
                field,
                "must be at most 1000 characters long",
            ));
        }
        check_text(field, raw, Lines::Many)?;
        if !has_visible(raw) {
            return Err(ValidationError::invalid(
                field,
                "must have at least one visible character; leave it out to say nothing",
            ));
        }
        Ok(ReportText(raw.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The id, from the report counter.
    pub id: ReportId,
    /// Who reported.
    pub reporter: UserId,
    /// What is reported.
    pub target: ReportTarget,
    /// The user the report is about: the reported user, or the reported
    /// post's author (whom `suspend_user` suspends).
    pub target_user: UserId,
    /// Why.
    pub reason: Reason,
    /// The reporter's words, if any.
    pub comment: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Open, resolved or dismissed.
    pub status: ReportStatus,
    /// The moderator's decision, once closed.
    pub decision: Option<Decision>,
}

/// What a moderator decided about a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The moderator.
    pub moderator: UserId,
    /// What they did.
    pub action: ModerationAction,
    /// Their note, if any.
    pub note: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A moderator's resolution of a report, checked whole: a dismissal takes
/// no action, and only a post's report can remove a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// `resolved` or `dismissed`.
    pub status: ReportStatus,
    /// What to do.
    pub action: ModerationAction,
    /// Why, for the audit.
    pub note: Option<ReportText>,
}

/// Why a resolution cannot apply to its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolutionRefused {
    /// `status` was `open`.
    StillOpen,
    /// A dismissal with an action.
    DismissedWithAction,
    /// `remove_post` on a report about a user.
    NoPostToRemove,
}

impl Resolution {
    /// Checks this resolution against the report it closes.
    pub fn check(&self, target: ReportTarget) -> Result<(), ResolutionRefused> {
        match (self.status, self.action, target) {
            (ReportStatus::Open, _, _) => Err(ResolutionRefused::StillOpen),
            (ReportStatus::Dismissed, action, _) if action != ModerationAction::None => {
                Err(ResolutionRefused::DismissedWithAction)
            }
            (_, ModerationAction::RemovePost, ReportTarget::User(_)) => {
                Err(ResolutionRefused::NoPostToRemove)
            }
            _ => Ok(()),
        }
    }
}

/// The most reports one user may make in an hour by default
/// (`RATE_LIMIT_REPORTS_PER_HOUR`).
pub const DEFAULT_REPORTS_PER_HOUR: u32 = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_from_its_name_and_nothing_else_does() {
        for reason in Reason::ALL {
            assert_eq!(Reason::parse(reason.as_str()), Some(*reason));
        }
        assert_eq!(Reason::ALL.len(), 8);
        assert_eq!(Reason::parse("Spam"), None);
        assert_eq!(Reason::SelfHarm.as_str(), "self_harm");
    }

    #[test]
    fn a_dismissal_takes_no_action_and_only_a_post_s_report_removes_a_post() {
        let post = ReportTarget::Post(PostId::new(1));
        let user = ReportTarget::User(UserId::new(1));
        let resolution = |status, action| Resolution {
            status,
            action,
            note: None,
        };
        use ModerationAction as A;
        use ReportStatus as S;
        assert_eq!(resolution(S::Resolved, A::RemovePost).check(post), Ok(()));
        assert_eq!(resolution(S::Resolved, A::SuspendUser).check(post), Ok(()));
        assert_eq!(resolution(S::Dismissed, A::None).check(user), Ok(()));
        assert_eq!(
            resolution(S::Dismissed, A::SuspendUser).check(user),
            Err(ResolutionRefused::DismissedWithAction)
        );
        assert_eq!(
            resolution(S::Resolved, A::RemovePost).check(user),
            Err(ResolutionRefused::NoPostToRemove)
        );
        assert_eq!(
            resolution(S::Open, A::None).check(user),
            Err(ResolutionRefused::StillOpen)
        );
    }

    #[test]
    fn a_report_text_has_a_visible_character_and_at_most_1000() {
        assert!(ReportText::parse("comment", "they keep posting my address").is_ok());
        assert!(ReportText::parse("comment", &"a".repeat(1000)).is_ok());
        let too_long = ReportText::parse("comment", &"a".repeat(1001)).unwrap_err();
        assert!(too_long
            .to_string()
            .starts_with("comment must be at most 1000"));
        assert!(ReportText::parse("note", "   ").is_err());
        assert!(ReportText::parse("note", "").is_err());
        assert!(ReportText::parse("note", "a\u{202E}b").is_err());
    }
}
