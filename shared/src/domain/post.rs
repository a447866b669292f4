//! Posts, and the entries of a user's home feed that point at them.

use super::ids::{PostId, UserId};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::errors::ValidationError;
use super::mention::Mention;
use super::text::{check_text, has_visible, trimmed_at_end, trimmed_at_start, Lines};

/// The most characters (Unicode scalar values) a post body may have.
pub const MAX_POST_CHARS: usize = 280;

/// A post's text: 1 to 280 characters after trimming surrounding whitespace,
/// with no control characters but newline and no bidi overrides.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PostBody(String);

impl PostBody {
    /// Validates `raw` (trimmed first, of white space and of what draws
    /// nothing at its ends: `domain::text`, rule 5) as a post body.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let text = raw
            .trim_start_matches(trimmed_at_start)
            .trim_end_matches(trimmed_at_end);
        if !has_visible(text) {
            return Err(ValidationError::invalid(
                "body",
                "must have at least one visible character, not only spaces or invisible ones",
            ));
        }
        if text.chars().count() > MAX_POST_CHARS {
            return Err(ValidationError::invalid(
                "body",
                "must be at most 280 characters long",
            ));
        }
        check_text("body", text, Lines::Many)?;
        Ok(PostBody(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PostBody {
    type Error = ValidationError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        PostBody::parse(&raw)
    }
}

/// A client's name for one publishing attempt (`Idempotency-Key`): 1 to
/// 255 visible ASCII characters. A retry with the same key publishes nothing
/// new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Validates `raw` as an idempotency key.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let visible = raw.bytes().all(|b| b.is_ascii_graphic());
        if (1..=255).contains(&raw.len()) && visible {
            Ok(IdempotencyKey(raw.to_string()))
        } else {
            Err(ValidationError::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ))
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an idempotency key was first used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    /// The post it published.
    pub post_id: PostId,
    /// The body it published, to tell a retry from a different request.
    pub body: String,
}

/// A post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// The integer id, from the atomic counter; never reused.
    pub id: PostId,
    /// Who wrote it.
    pub author_id: UserId,
    /// The current text.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited, if ever.
    pub edited_at: Option<DateTime<Utc>>,
    /// The post it answers, if it is a reply; kept when that post is
    /// deleted.
    pub in_reply_to: Option<ReplyTo>,
    /// The users its body mentions (resolved when written or edited).
    pub mentions: Vec<Mention>,
    /// How many users like it: moved only with the likes themselves.
    pub like_count: u64,
    /// How many replies it has: one more with each reply's transaction, one
    /// less when the stream shows a reply deleted.
    pub reply_count: u64,
}

/// The post a reply answers, and its author (so that the fan-out and the
/// notifications need not read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyTo {
    /// The parent post.
    pub post: PostId,
    /// The parent's author.
    pub author: UserId,
}

/// One entry of a user's home feed: a pointer to a post, so an edit or a
/// rename shows in every feed without rewriting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedEntry {
    /// Whose feed it is in.
    pub owner: UserId,
    /// The post.
    pub post_id: PostId,
    /// The post's author.
    pub author_id: UserId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idempotency_key_is_1_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse("9f1c-uuid-like").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "has space", "é", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_body_is_trimmed_and_counts_characters_not_bytes() {
        assert_eq!(PostBody::parse("  hi \n").unwrap().as_str(), "hi");
        assert!(PostBody::parse(&"é".repeat(280)).is_ok());
        let err = PostBody::parse(&"é".repeat(281)).unwrap_err();
        assert_eq!(err.to_string(), "body must be at most 280 characters long");
    }

    #[test]
    fn a_body_of_nothing_visible_is_refused_and_what_draws_nothing_at_its_ends_is_trimmed() {
        for invisible in [
            "\u{200b}\u{200b}",
            "\u{200d}",
            "\u{0301}\u{0301}",
            "\u{3164}x\u{3164}",
        ] {
            let parsed = PostBody::parse(invisible);
            if invisible.contains('x') {
                assert_eq!(parsed.unwrap().as_str(), "x");
            } else {
                let err = parsed.unwrap_err().to_string();
                assert!(
                    err.contains("at least one visible character"),
                    "{invisible:?}: {err}"
                );
            }
        }
        // A mark at the end marks the last letter, and a flag ends in a tag.
        assert_eq!(
            PostBody::parse("cafe\u{301} ").unwrap().as_str(),
            "cafe\u{301}"
        );
        let flag = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}";
        assert_eq!(PostBody::parse(flag).unwrap().as_str(), flag);
        let zalgo = format!("a{}", "\u{0301}".repeat(279));
        assert!(PostBody::parse(&zalgo).is_err());
    }

    #[test]
    fn an_empty_body_or_one_with_control_characters_is_refused_naming_the_rule() {
        for blank in ["", "   ", "\n\t "] {
            let err = PostBody::parse(blank).unwrap_err().to_string();
            assert!(err.starts_with("body must have at least one"), "{blank:?}");
        }
        for bad in ["a\u{0}b", "a\u{1b}[31mb", "tab\there", "cr\rlf"] {
            let err = PostBody::parse(bad).unwrap_err().to_string();
            assert!(err.contains("control characters"), "{bad:?}");
        }
        assert!(PostBody::parse("line one\nline two").is_ok());
        let err = PostBody::parse("see \u{202E}gpj.exe")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bidirectional formatting"), "{err}");
    }
}
