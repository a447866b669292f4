//! The schemas of the validated values, from the same limits their `parse`
//! enforces. Each pattern accepts exactly what `parse` accepts (Schemathesis
//! checks both ways: valid per schema is accepted, invalid is refused), with
//! one documented exception: an email's local part is at most 64
//! characters, which a JSON Schema pattern cannot count across its dots,
//! and a password is not one of the 10,000 most common ones.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{
    AboutMe, Email, Password, PostBody, Username, MAX_ABOUT_ME_CHARS, MAX_EMAIL_CHARS,
    MAX_POST_CHARS, PASSWORD_CHARS, USERNAME_CHARS,
};

/// Characters RFC 5322 allows unquoted in an email's local part (`atext`).
const ATEXT: &str = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";

/// What Rust's `str::trim` removes: the Unicode `White_Space` characters.
const WHITE_SPACE: &str =
    "\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// The Unicode control characters (`Cc`), which `char::is_control` matches.
const CONTROL: &str = "\\u0000-\\u001f\\u007f-\\u009f";

/// The bidi embeddings, overrides and isolates no text field may hold.
const BIDI: &str = "\\u202a-\\u202e\\u2066-\\u2069";

fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .description(Some(description))
}

macro_rules! named_schema {
    ($($ty:ident => $schema:expr;)*) => {$(
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                $schema.build().into()
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($ty))
            }
        }
    )*};
}

named_schema! {
    Username => text(
        "3 to 64 ASCII letters, digits, `_`, `.` or `-`, starting with a letter; \
         unique ignoring case",
    )
    .min_length(Some(USERNAME_CHARS.0))
    .max_length(Some(USERNAME_CHARS.1))
    .pattern(Some(format!(
        "^[A-Za-z][A-Za-z0-9_.-]{{{},{}}}$",
        USERNAME_CHARS.0 - 1,
        USERNAME_CHARS.1 - 1
    )))
    .examples(["susan"]);
    Email => text(
        "an address like name@example.com: an unquoted local part of at most 64 characters, \
         a domain of at least two labels ending in letters; unique ignoring case",
    )
    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
    .max_length(Some(MAX_EMAIL_CHARS))
    .pattern(Some(format!(
        "^{ATEXT}+(\\.{ATEXT}+)*@([A-Za-z0-9]([A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\\.)+[A-Za-z]{{2,63}}$"
    )))
    .examples(["susan@example.com"]);
    Password => text(
        "8 to 1024 characters, not only spaces, no control characters or bidi overrides, \
         and not one of the 10,000 most common passwords (which no pattern states)",
    )
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(PASSWORD_CHARS.0))
        .max_length(Some(PASSWORD_CHARS.1))
        .pattern(Some(format!(
            "^[^{CONTROL}{BIDI}]*[^{CONTROL}{BIDI}{WHITE_SPACE}][^{CONTROL}{BIDI}]*$"
        )))
        .examples(["dog-dog-dog"]);
    AboutMe => text(
        "free text of at most 140 characters; it may span lines, but holds no other \
         control character and no bidi override",
    )
        .max_length(Some(MAX_ABOUT_ME_CHARS))
        .pattern(Some(format!("^[^{CONTROL_BUT_NEWLINE}{BIDI}]*$")))
        .examples(["Hello, my name is Susan!"]);
    PostBody => text(
        "1 to 280 characters once surrounding white space is trimmed (it is stored trimmed); \
         no control characters but newline, no bidi overrides",
    )
    .pattern(Some(format!(
        "^[{WHITE_SPACE}]*[^{WHITE_SPACE}{CONTROL}{BIDI}]([^{CONTROL_BUT_NEWLINE}{BIDI}]{{0,{}}}[^{WHITE_SPACE}{CONTROL}{BIDI}])?[{WHITE_SPACE}]*$",
        MAX_POST_CHARS - 2
    )))
    .examples(["Hello from the train"]);
}

/// The control characters but newline: what a post may not contain inside.
const CONTROL_BUT_NEWLINE: &str = "\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f";

#[cfg(test)]
mod tests {
    use super::*;

    fn schema<T: PartialSchema>() -> serde_json::Value {
        serde_json::to_value(T::schema()).unwrap()
    }

    /// Whether `text` is valid by `T`'s schema: its pattern and lengths,
    /// counted in characters as JSON Schema counts them.
    fn valid_by_schema<T: PartialSchema>(text: &str) -> bool {
        let schema = schema::<T>();
        let chars = text.chars().count() as u64;
        let pattern_ok = schema["pattern"].as_str().is_none_or(|p| {
            regex_lite::Regex::new(p)
                .unwrap_or_else(|e| panic!("{p}: {e}"))
                .is_match(text)
        });
        pattern_ok
            && schema["minLength"].as_u64().is_none_or(|min| chars >= min)
            && schema["maxLength"].as_u64().is_none_or(|max| chars <= max)
    }

    /// Fails unless the schema of `T` and `parse` agree on every sample.
    #[track_caller]
    fn agree<T: PartialSchema>(parse: impl Fn(&str) -> bool, samples: &[String]) {
        for text in samples {
            assert_eq!(
                valid_by_schema::<T>(text),
                parse(text),
                "{text:?}: schema and parse disagree"
            );
        }
    }

    fn owned(samples: &[&str]) -> Vec<String> {
        samples.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_username_is_valid_by_its_schema_exactly_when_it_parses() {
        let mut samples = owned(&[
            "abc",
            "Susan",
            "john.doe",
            "a_b-c.d",
            "x12",
            "ab",
            "1abc",
            "_abc",
            "has space",
            "émile",
            "a/b",
            "",
            "a\n",
            "abc\n",
        ]);
        samples.extend(["a".repeat(64), "a".repeat(65)]);
        agree::<Username>(|t| Username::parse(t).is_ok(), &samples);
    }

    #[test]
    fn an_email_is_valid_by_its_schema_exactly_when_it_parses_local_parts_to_64_characters() {
        let mut samples = owned(&[
            "a@b.co",
            "susan@example.com",
            "first.last+tag@mail.example.org",
            "x_y@a-b.io",
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
            "a@b.com\n",
        ]);
        samples.push(format!("{}@example.com", "a".repeat(64)));
        samples.push(format!("a@{}.com", "b".repeat(63)));
        samples.push(format!("a@{}.com", "b".repeat(64)));
        samples.push(format!("{}@example.com", "a.".repeat(60) + "b"));
        agree::<Email>(|t| Email::parse(t).is_ok(), &samples);
        // The one documented difference: a local part over 64 characters.
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(valid_by_schema::<Email>(&long_local) && Email::parse(&long_local).is_err());
    }

    #[test]
    fn a_password_and_about_me_are_valid_by_their_schemas_exactly_when_they_parse() {
        let lengths =
            |c: &str, ns: &[usize]| -> Vec<String> { ns.iter().map(|n| c.repeat(*n)).collect() };
        // Blank, control and bidi characters: when a rule about them comes,
        // its schema must come with it.
        let mut passwords = lengths("é", &[0, 7, 8, 1024, 1025]);
        passwords.extend(owned(&["        ", "pass\u{0}word", "\u{202e}password"]));
        agree::<Password>(|t| Password::parse(t).is_ok(), &passwords);
        let mut abouts = lengths("é", &[0, 1, 140, 141]);
        abouts.extend(owned(&[
            "two\nlines",
            "a\u{0}b",
            "\u{1b}[31mred",
            "\u{202e}evil",
            " ",
        ]));
        agree::<AboutMe>(|t| AboutMe::parse(t).is_ok(), &abouts);
    }

    #[test]
    fn a_post_body_is_valid_by_its_schema_exactly_when_it_parses() {
        let mut samples = owned(&[
            "Hello",
            " hello ",
            "\thello\r\n",
            "a\nb",
            "a\tb",
            "a\u{0}b",
            "   ",
            "",
            "\n",
            "\u{85}x\u{85}",
            "x\u{85}y",
            "x\u{2028}y",
            "\u{3000}x",
            "\u{200b}",
            "é",
            "a\u{7f}",
            "\u{1b}[31m",
        ]);
        samples.extend([
            "x".repeat(280),
            "x".repeat(281),
            format!("  {}  ", "x".repeat(280)),
            format!("{}\n{}", "x".repeat(139), "y".repeat(140)),
        ]);
        agree::<PostBody>(|t| PostBody::parse(t).is_ok(), &samples);
    }
}
