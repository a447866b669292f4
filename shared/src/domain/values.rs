//! Validated values. Each `parse` is the only way to build one, so a value
//! that reaches a store has passed every rule. Each also deserializes from a
//! JSON string through the same `parse` (`#[serde(try_from = "String")]`),
//! so a typed request body is valid once it is read.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::errors::ValidationError;
use super::text::{check_secret, check_text, has_visible, Lines};

/// Implements `TryFrom<String>` through `parse`, for serde's `try_from`.
macro_rules! try_from_string {
    ($($ty:ident),*) => {$(
        impl TryFrom<String> for $ty {
            type Error = ValidationError;

            fn try_from(raw: String) -> Result<Self, Self::Error> {
                $ty::parse(&raw)
            }
        }
    )*};
}

try_from_string!(Username, Email, Password, AboutMe);

/// Characters a username may have, at least and at most.
pub const USERNAME_CHARS: (usize, usize) = (3, 64);
/// Characters an email address may have, at most.
pub const MAX_EMAIL_CHARS: usize = 120;
/// Characters a password may have, at least and at most.
pub const PASSWORD_CHARS: (usize, usize) = (8, 1024);
/// Characters an about-me text may have, at most.
pub const MAX_ABOUT_ME_CHARS: usize = 140;

/// A username: 3 to 64 ASCII letters, digits, `_`, `.` or `-`, starting with a
/// letter. ASCII only, so that case-insensitive uniqueness is exact and no two
/// names look alike through Unicode confusables.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Username(String);

impl Username {
    /// Validates `raw` as a username.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let len = raw.chars().count();
        if !(USERNAME_CHARS.0..=USERNAME_CHARS.1).contains(&len) {
            return Err(ValidationError::invalid(
                "username",
                "must be 3 to 64 characters long",
            ));
        }
        if !raw.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(ValidationError::invalid(
                "username",
                "must start with a letter",
            ));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(ValidationError::invalid(
                "username",
                "may contain only letters, digits, '_', '.' and '-'",
            ));
        }
        Ok(Username(raw.to_string()))
    }

    /// The name as the user typed it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness and login look-ups use.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// An email address: syntactically valid, at most 120 characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Email(String);

/// Characters RFC 5322 allows unquoted in a local part (`atext`), plus `.`.
fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(c)
}

impl Email {
    /// Validates `raw` as an email address. Quoted local parts and IP-literal
    /// domains are valid in RFC 5322 but refused here: no mail provider hands
    /// them out and they complicate case-insensitive uniqueness.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const INVALID: ValidationError =
            ValidationError::invalid("email", "must be a valid address like name@example.com");
        if raw.chars().count() > MAX_EMAIL_CHARS {
            return Err(ValidationError::invalid(
                "email",
                "must be at most 120 characters long",
            ));
        }
        let (local, domain) = raw.split_once('@').ok_or(INVALID)?;
        let local_ok = (1..=64).contains(&local.len())
            && local.chars().all(is_local_char)
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                (1..=63).contains(&label.len())
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok {
            Ok(Email(raw.to_string()))
        } else {
            Err(INVALID)
        }
    }

    /// The address as the user typed it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness uses.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// A new password, in Unicode's NFC form (NIST SP 800-63B 5.1.1.2: the
/// same password typed on a keyboard that composes and one that does not
/// is the same password): 8 to 1024 characters, at least one visible, no
/// control characters or bidi overrides, not one character repeated, and
/// not a common password ([`COMMON_PASSWORDS`], ignoring case). The upper
/// bound keeps hashing cheap enough that a giant password cannot be used
/// to burn CPU.
#[derive(serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

impl Password {
    /// Validates `raw` as a new password.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let normalized = Password::normalize(raw);
        let len = normalized.chars().count();
        if !(PASSWORD_CHARS.0..=PASSWORD_CHARS.1).contains(&len) {
            return Err(ValidationError::invalid(
                "password",
                "must be 8 to 1024 characters long",
            ));
        }
        if !has_visible(&normalized) {
            return Err(ValidationError::invalid(
                "password",
                "must have at least one visible character, not only spaces or invisible ones",
            ));
        }
        check_secret("password", &normalized)?;
        let mut chars = normalized.chars();
        let first = chars.next();
        if chars.all(|c| Some(c) == first) {
            return Err(ValidationError::invalid(
                "password",
                "is one character repeated, the first an attacker tries: choose another",
            ));
        }
        if is_common_password(&normalized) {
            return Err(ValidationError::invalid(
                "password",
                "is one of the most common passwords in leaked password lists, the first an attacker tries: choose another",
            ));
        }
        Ok(Password(normalized))
    }

    /// `raw` in NFC, the form every password is hashed and checked in.
    pub fn normalize(raw: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        raw.nfc().collect()
    }

    /// The secret, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The free-text profile line: at most 140 characters, which may span lines
/// and obeys the rules of free text (`domain::text`); empty clears it, and
/// otherwise it has a visible character.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct AboutMe(String);

impl AboutMe {
    /// Validates `raw` as an about-me text.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.chars().count() > MAX_ABOUT_ME_CHARS {
            return Err(ValidationError::invalid(
                "about_me",
                "must be at most 140 characters long",
            ));
        }
        check_text("about_me", raw, Lines::Many)?;
        if !raw.is_empty() && !has_visible(raw) {
            return Err(ValidationError::invalid(
                "about_me",
                "must be empty or have at least one visible character, not only spaces or invisible ones",
            ));
        }
        Ok(AboutMe(raw.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Takes the text out.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Common passwords of 8 characters or more, one a line, lower case: the
/// long ones of SecLists' 10,000 most common and of zxcvbn's 30,000 most
/// frequent in a dump of 10 million leaked passwords (both MIT licence;
/// `shared/data/README.md` has the sources and how the list is built),
/// shipped in the repository and compiled in.
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// Whether `raw`, ignoring case, is one of [`COMMON_PASSWORDS`].
fn is_common_password(raw: &str) -> bool {
    static SET: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| COMMON_PASSWORDS.lines().collect());
    SET.contains(raw.to_lowercase().as_str())
}

/// A string read from a body now and validated later, so that a body's
/// checks run in a fixed order whatever the JSON holds: every field's type
/// as it is read, then which fields are present, then each field's rules.
/// Its text never shows in `Debug` (it may be a password).
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Unchecked<T> {
    raw: String,
    #[serde(skip)]
    checked_as: PhantomData<T>,
}

impl<T: TryFrom<String, Error = ValidationError>> Unchecked<T> {
    /// Validates the text as a `T`.
    pub fn check(self) -> Result<T, ValidationError> {
        T::try_from(self.raw)
    }
}

impl<T> fmt::Debug for Unchecked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Unchecked(..)")
    }
}

/// A [`Change`] read now and validated later, like [`Unchecked`]: even its
/// JSON type is checked only by [`UncheckedChange::check`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UncheckedChange<T> {
    /// Absent: leave the field as it is.
    #[default]
    Keep,
    /// `null`.
    Clear,
    /// A string, not yet validated.
    Set(Unchecked<T>),
    /// Neither a string nor null.
    WrongType,
}

impl<T: TryFrom<String, Error = ValidationError>> UncheckedChange<T> {
    /// The change, or why `field` cannot be it.
    pub fn check(self, field: &'static str) -> Result<Change<T>, ValidationError> {
        match self {
            UncheckedChange::Keep => Ok(Change::Keep),
            UncheckedChange::Clear => Ok(Change::Clear),
            UncheckedChange::Set(text) => text.check().map(Change::Set),
            UncheckedChange::WrongType => {
                Err(ValidationError::invalid(field, "must be a string or null"))
            }
        }
    }
}

impl<'de, T> Deserialize<'de> for UncheckedChange<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Null => UncheckedChange::Clear,
            serde_json::Value::String(raw) => UncheckedChange::Set(Unchecked {
                raw,
                checked_as: PhantomData,
            }),
            _ => UncheckedChange::WrongType,
        })
    }
}

/// A change to an optional field: absent from a request body leaves it as
/// it is, `null` clears it, a string sets it (after validation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Change<T> {
    /// Leave the field as it is.
    #[default]
    Keep,
    /// Remove the value.
    Clear,
    /// Set this value.
    Set(T),
}

impl<T> Change<T> {
    /// The value to store when creating: nothing unless set.
    pub fn into_option(self) -> Option<T> {
        match self {
            Change::Set(value) => Some(value),
            Change::Keep | Change::Clear => None,
        }
    }
}

/// Deserializes `null` as [`Change::Clear`] and a string through `T`'s
/// `TryFrom<String>`; a field absent from the body is [`Change::Keep`] by
/// `#[serde(default)]`. Anything else is refused as "a string or null".
impl<'de, T> Deserialize<'de> for Change<T>
where
    T: TryFrom<String>,
    T::Error: fmt::Display,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ChangeVisitor<T>(PhantomData<T>);

        impl<'de, T> Visitor<'de> for ChangeVisitor<T>
        where
            T: TryFrom<String>,
            T::Error: fmt::Display,
        {
            type Value = Change<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or null")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Change::Clear)
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Change::Clear)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                self.visit_string(text.to_string())
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                T::try_from(text).map(Change::Set).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(ChangeVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_of_letters_digits_and_punctuation_are_accepted() {
        for ok in [
            "abc",
            "Susan",
            "john.doe",
            "a_b-c.d",
            "x12",
            &"a".repeat(64),
        ] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn usernames_that_break_a_rule_are_refused_with_a_reason() {
        for bad in [
            "ab",
            "1abc",
            "_abc",
            "has space",
            "émile",
            "a/b",
            "",
            &"a".repeat(65),
        ] {
            let err = Username::parse(bad).unwrap_err();
            assert!(err.to_string().starts_with("username "), "{bad}");
        }
    }

    #[test]
    fn username_keys_ignore_case() {
        assert_eq!(Username::parse("SuSan").unwrap().key(), "susan");
        assert_eq!(Username::parse("SuSan").unwrap().as_str(), "SuSan");
    }

    #[test]
    fn ordinary_email_addresses_are_accepted() {
        for ok in [
            "a@b.co",
            "susan@example.com",
            "first.last+tag@mail.example.org",
            "x_y@a-b.io",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn malformed_email_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@b.c",
            "a b@example.com",
            "a@@b.com",
            ".a@b.com",
            "a.@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b-.com",
            "a@b..com",
            "a@b.c0m",
            "\"q\"@b.com",
            "a@[1.2.3.4]",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_email_over_120_characters_is_refused() {
        let long = format!("{}@example.com", "a".repeat(60) + "." + &"b".repeat(60));
        assert!(long.len() > 120);
        assert!(Email::parse(&long).unwrap_err().to_string().contains("120"));
    }

    #[test]
    fn passwords_must_be_8_to_1024_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("1234567x").is_ok());
        assert!(Password::parse(&"pq".repeat(512)).is_ok());
        assert!(Password::parse(&format!("{}p", "pq".repeat(512))).is_err());
    }

    #[test]
    fn a_password_of_only_spaces_or_invisible_characters_is_refused() {
        for blank in [
            "        ",
            " \u{3000}  \u{a0}    ",
            &"\u{200B}".repeat(10),
            &"\u{3164}".repeat(9),
        ] {
            let err = Password::parse(blank).unwrap_err().to_string();
            assert!(
                err.contains("at least one visible character"),
                "{blank:?}: {err}"
            );
        }
        assert!(Password::parse("  spaced out  ").is_ok());
    }

    #[test]
    fn common_passwords_of_eight_characters_or_more_are_refused_ignoring_case() {
        let lines: Vec<&str> = COMMON_PASSWORDS.lines().collect();
        assert!(lines.len() > 12_000, "{}", lines.len());
        assert!(lines.iter().all(|p| p.len() >= 8 && *p == p.to_lowercase()));
        for common in [
            "password",
            "12345678",
            "PassWord1",
            "iloveyou",
            "trustno1",
            "qwertyui",
            "password123",
            "P@ssw0rd",
            "Welcome123",
            "iloveyou123",
        ] {
            let err = Password::parse(common).unwrap_err().to_string();
            assert!(err.contains("most common passwords"), "{common}: {err}");
        }
        for repeated in ["00000000", "aaaaaaaaaaaa", "ééééééééé"] {
            let err = Password::parse(repeated).unwrap_err().to_string();
            assert!(err.contains("one character repeated"), "{repeated}: {err}");
        }
        // The last entry of the list is in too.
        let last = lines[lines.len() - 1];
        assert!(is_common_password(last), "{last}");
        assert!(Password::parse("correct-horse-battery").is_ok());
    }

    #[test]
    fn a_password_is_kept_in_nfc_so_composed_and_decomposed_typing_agree() {
        let composed = "caf\u{e9}-au-lait";
        let decomposed = "cafe\u{301}-au-lait";
        assert_eq!(Password::parse(decomposed).unwrap().expose(), composed);
        assert_eq!(Password::normalize(decomposed), composed);
    }

    #[test]
    fn control_characters_and_bidi_overrides_are_refused_in_passwords() {
        for bad in [
            "a\u{0}b",
            "esc\u{1b}[31m",
            "tab\there",
            "cr\rhere",
            "c1\u{85}",
            "del\u{7f}",
        ] {
            let err = AboutMe::parse(bad).unwrap_err().to_string();
            assert_eq!(
                err, "about_me may not contain control characters other than newline",
                "{bad:?}"
            );
            let password = format!("{bad}-long-enough");
            let err = Password::parse(&password).unwrap_err().to_string();
            assert_eq!(
                err, "password may not contain control characters",
                "{bad:?}"
            );
        }
        let err = Password::parse("admin\u{202E}txt.exe")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bidirectional overrides"), "{err}");
        assert!(Password::parse("two\nlines-here").is_err());
    }

    #[test]
    fn about_me_follows_the_free_text_rules_and_is_empty_or_visible() {
        assert!(AboutMe::parse("line one\nline two").is_ok());
        assert!(AboutMe::parse("").is_ok());
        for bad in [
            "\u{FEFF}hi",
            "hi\u{200F}",
            "\u{061C}hi",
            "a\u{2028}b",
            "\u{E0041}\u{E0042}",
            "\u{200B}\u{200B}",
            "   ",
        ] {
            assert!(AboutMe::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let p = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn about_me_counts_characters_not_bytes() {
        assert!(AboutMe::parse(&"é".repeat(140)).is_ok());
        assert!(AboutMe::parse(&"é".repeat(141)).is_err());
    }

    #[test]
    fn a_change_is_kept_when_absent_cleared_by_null_and_set_by_a_valid_string() {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(default)]
            about_me: Change<AboutMe>,
        }
        let read = |json: &str| serde_json::from_str::<Body>(json).map(|b| b.about_me);
        assert_eq!(read("{}").unwrap(), Change::Keep);
        assert_eq!(read(r#"{"about_me": null}"#).unwrap(), Change::Clear);
        assert_eq!(
            read(r#"{"about_me": "hi"}"#).unwrap(),
            Change::Set(AboutMe::parse("hi").unwrap())
        );
        let long = format!(r#"{{"about_me": "{}"}}"#, "x".repeat(141));
        assert!(read(&long).unwrap_err().to_string().contains("140"));
        assert!(read(r#"{"about_me": 5}"#)
            .unwrap_err()
            .to_string()
            .contains("expected a string or null"));
    }
}
