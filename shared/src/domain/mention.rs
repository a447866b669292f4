//! Mentions: the `@username`s of a post body that may name users.

use super::ids::UserId;

/// The most mentions of one post that are resolved, listed and notified:
/// the first ten distinct names, in the order of the body.
pub const MAX_MENTIONS: usize = 10;

/// A user a post mentions, by the name they had when it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The user's id.
    pub id: UserId,
    /// Their username when the post was written (or last edited).
    pub username: String,
}

/// Whether `c` may be part of a username (`Username::parse`'s rule).
fn in_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The case-folded usernames `@mentioned` in `body`, distinct, in order of
/// first appearance, at most [`MAX_MENTIONS`]. An `@` counts only at a word
/// boundary (so `name@example.com` mentions nobody); the name is the
/// longest run of username characters after it, less any `.` or `-` that
/// ends a sentence ("thanks @ann." mentions `ann`), and must be a valid
/// username (3 to 64 characters, starting with a letter).
pub fn mentioned_usernames(body: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in body.char_indices() {
        let boundary = previous.is_none_or(|p| !(in_name(p) || p == '@'));
        previous = Some(c);
        if c != '@' || !boundary {
            continue;
        }
        let rest = &body[at + 1..];
        let end = rest.find(|c: char| !in_name(c)).unwrap_or(rest.len());
        let name = rest[..end].trim_end_matches(['.', '-']);
        let valid =
            (3..=64).contains(&name.len()) && name.starts_with(|c: char| c.is_ascii_alphabetic());
        let folded = name.to_ascii_lowercase();
        if valid && !found.contains(&folded) {
            found.push(folded);
            if found.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_names_after_an_at_sign_at_a_word_boundary_folded_and_distinct() {
        assert_eq!(
            mentioned_usernames("@Ann and @bob_2, see @ann again. cc:@carol."),
            ["ann", "bob_2", "carol"]
        );
        assert!(mentioned_usernames("mail me at dan@example.com").is_empty());
        assert!(mentioned_usernames("@@dan @1abc @ab @ @-x").is_empty());
        assert_eq!(mentioned_usernames("(@eve) @frank-"), ["eve", "frank"]);
        assert_eq!(mentioned_usernames("@gus.b.x"), ["gus.b.x"]);
    }

    #[test]
    fn at_most_ten_names_are_taken_in_the_order_of_the_body() {
        let body: String = (0..15).map(|i| format!("@user{i:02} ")).collect();
        let names = mentioned_usernames(&body);
        assert_eq!(names.len(), MAX_MENTIONS);
        assert_eq!(names[0], "user00");
        assert_eq!(names[9], "user09");
    }
}
