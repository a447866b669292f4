//! The domain's two ways to refuse: a broken rule, and an id naming nobody.

use super::ids::{PostId, ReportId, UserId};
use std::fmt;

/// A value breaks a rule. The message names the field, so a client knows
/// what to fix: `username must be 3 to 64 characters long`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationError {
    /// The field holds a value the rule refuses.
    Invalid {
        /// The field, as the API names it.
        field: &'static str,
        /// What the value must be: `must be at most 140 characters long`.
        rule: &'static str,
    },
    /// Required fields are absent (or null).
    Missing(&'static [&'static str]),
}

impl ValidationError {
    pub(crate) const fn invalid(field: &'static str, rule: &'static str) -> Self {
        ValidationError::Invalid { field, rule }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidationError::Invalid { field, rule } => write!(f, "{field} {rule}"),
            ValidationError::Missing(fields) => {
                let list = match fields {
                    [] => String::new(),
                    [one] => one.to_string(),
                    [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
                };
                let noun = if fields.len() == 1 { "field" } else { "fields" };
                write!(f, "must include {list} {noun}")
            }
        }
    }
}

impl std::error::Error for ValidationError {}

/// No user has the id asked for, or what stands in its place is no id. The
/// one way every operation says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSuchUser(String);

impl NoSuchUser {
    /// No user has `id`.
    pub fn id(id: UserId) -> Self {
        NoSuchUser(id.to_string())
    }

    /// At least one of `a` and `b` names no user.
    pub fn either(a: UserId, b: UserId) -> Self {
        NoSuchUser(format!("{a} or {b}"))
    }

    /// `raw` (from a path) is not a user id at all.
    pub fn malformed(raw: &str) -> Self {
        NoSuchUser(format!("'{raw}'"))
    }
}

impl fmt::Display for NoSuchUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no user has the id {}", self.0)
    }
}

impl std::error::Error for NoSuchUser {}

/// No post has the id asked for, or what stands in its place is no id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSuchPost(String);

impl NoSuchPost {
    /// No post has `id` (or it was deleted).
    pub fn id(id: PostId) -> Self {
        NoSuchPost(id.to_string())
    }

    /// `raw` (from a path) is not a post id at all.
    pub fn malformed(raw: &str) -> Self {
        NoSuchPost(format!("'{raw}'"))
    }
}

impl fmt::Display for NoSuchPost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no post has the id {}", self.0)
    }
}

impl std::error::Error for NoSuchPost {}

/// No report has the id asked for, or the caller may not see it (neither
/// its reporter nor a moderator): the same 404, so that report ids tell
/// nothing to anyone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSuchReport(String);

impl NoSuchReport {
    /// No report has `id` that the caller may see.
    pub fn id(id: ReportId) -> Self {
        NoSuchReport(id.to_string())
    }

    /// `raw` (from a path) is not a report id at all.
    pub fn malformed(raw: &str) -> Self {
        NoSuchReport(format!("'{raw}'"))
    }
}

impl fmt::Display for NoSuchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no report you may see has the id {}", self.0)
    }
}

impl std::error::Error for NoSuchReport {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_rule_reads_as_the_field_then_the_rule() {
        let err = ValidationError::invalid("about_me", "must be at most 140 characters long");
        assert_eq!(
            err.to_string(),
            "about_me must be at most 140 characters long"
        );
    }

    #[test]
    fn missing_fields_are_listed_in_prose() {
        let err = ValidationError::Missing(&["username", "email", "password"]);
        assert_eq!(
            err.to_string(),
            "must include username, email and password fields"
        );
        assert_eq!(
            ValidationError::Missing(&["refresh_token"]).to_string(),
            "must include refresh_token field"
        );
    }

    #[test]
    fn every_unknown_user_is_reported_in_the_same_words() {
        assert_eq!(
            NoSuchUser::id(UserId::new(99)).to_string(),
            "no user has the id 99"
        );
        assert_eq!(
            NoSuchUser::either(UserId::new(1), UserId::new(99)).to_string(),
            "no user has the id 1 or 99"
        );
        assert_eq!(
            NoSuchUser::malformed("abc").to_string(),
            "no user has the id 'abc'"
        );
    }
}
