//! The schemas of the validated values, from the same limits and the same
//! character predicates their `parse` enforces. Each pattern accepts
//! exactly what `parse` accepts (Schemathesis checks both ways: valid per
//! schema is accepted, invalid is refused), with documented exceptions a
//! JSON Schema pattern cannot state: an email's local part is at most 64
//! characters (it cannot count across the dots); a password is not a common
//! one nor one character repeated, and counts its characters in NFC; free
//! text stacks at most 8 combining marks and holds tag characters only in a
//! flag sequence; and characters beyond the Basic Multilingual Plane are
//! classed only by `parse`.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::text;
use crate::domain::{
    AboutMe, Email, Password, PostBody, ReportText, Username, MAX_ABOUT_ME_CHARS, MAX_EMAIL_CHARS,
    MAX_POST_CHARS, MAX_REPORT_TEXT_CHARS, PASSWORD_CHARS, USERNAME_CHARS,
};

/// Characters RFC 5322 allows unquoted in an email's local part (`atext`).
const ATEXT: &str = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";

/// The character classes the text patterns are made of, computed from
/// the very predicates `parse` applies (`domain::text`), over the Basic
/// Multilingual Plane: a pattern cannot name characters beyond it the same
/// way in every regex dialect, so there the patterns are looser than
/// `parse` (an astral combining mark or format character).
struct Classes {
    /// What free text may not hold.
    free: Forbidden,
    /// What a password may not hold.
    password: Forbidden,
    /// What a post body is trimmed of at its start.
    trimmed_at_start: String,
    /// What a post body is trimmed of at its end.
    trimmed_at_end: String,
}

/// A field's forbidden characters, and those it may hold that are not
/// visible.
struct Forbidden {
    chars: String,
    or_invisible: String,
}

fn classes() -> &'static Classes {
    static CLASSES: std::sync::LazyLock<Classes> = std::sync::LazyLock::new(|| {
        let password = |c: char| text::is_forbidden_in_password(c);
        Classes {
            free: Forbidden {
                chars: bmp_class(text::is_forbidden_in_free_text),
                or_invisible: bmp_class(|c| {
                    text::is_forbidden_in_free_text(c) || !text::is_visible(c)
                }),
            },
            password: Forbidden {
                chars: bmp_class(password),
                or_invisible: bmp_class(|c| password(c) || !text::is_visible(c)),
            },
            trimmed_at_start: bmp_class(text::trimmed_at_start),
            trimmed_at_end: bmp_class(text::trimmed_at_end),
        }
    });
    &CLASSES
}

/// The body of a regex character class holding exactly the characters of
/// the Basic Multilingual Plane (surrogates aside) `holds` is true of, as
/// `\uXXXX` ranges, which ECMA-262, Python and Rust regexes read alike.
fn bmp_class(holds: impl Fn(char) -> bool) -> String {
    let mut class = String::new();
    let mut start: Option<u32> = None;
    let push = |class: &mut String, from: u32, to: u32| {
        class.push_str(&format!("\\u{from:04x}"));
        if to > from {
            class.push_str(&format!("-\\u{to:04x}"));
        }
    };
    for code in 0..=0x1_0000u32 {
        let inside = char::from_u32(code).is_some_and(&holds) && code < 0x1_0000;
        match (inside, start) {
            (true, None) => start = Some(code),
            (false, Some(from)) => {
                push(&mut class, from, code - 1);
                start = None;
            }
            _ => {}
        }
    }
    class
}

/// Any characters of the field, one of them visible.
fn with_one_visible(forbidden: &Forbidden) -> String {
    let Forbidden {
        chars,
        or_invisible,
    } = forbidden;
    format!("^[^{chars}]*[^{or_invisible}][^{chars}]*$")
}

/// A post body: trimmed at its start of `trimmed_at_start`, at its end of
/// `trimmed_at_end`; what remains is 1 to 280 characters of free text, the
/// first visible, the last not one trimmed at the end.
fn post_body_pattern() -> String {
    let Classes {
        free: Forbidden {
            chars,
            or_invisible,
        },
        trimmed_at_start,
        trimmed_at_end,
        ..
    } = classes();
    format!(
        "^[{trimmed_at_start}]*[^{or_invisible}]([^{chars}]{{0,{}}}[^{chars}{trimmed_at_end}])?[{trimmed_at_end}]*$",
        MAX_POST_CHARS - 2
    )
}

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
        "8 to 1024 characters, at least one visible, no control characters, line \
         separators or bidi overrides; compared in Unicode NFC (a decomposed password \
         counts its characters once composed); not one character repeated and not one \
         of the common passwords of leaked lists (which no pattern states)",
    )
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(PASSWORD_CHARS.0))
        .max_length(Some(PASSWORD_CHARS.1))
        .pattern(Some(with_one_visible(&classes().password)))
        .examples(["dog-dog-dog"]);
    AboutMe => text(
        "free text of at most 140 characters, empty or with at least one visible \
         character; it may span lines, but holds no other control character, no line \
         separator, no bidi formatting and no invisible format character but the \
         zero-width joiners; at most 8 combining marks in a row, and tag characters only \
         in an emoji flag sequence (which no pattern states)",
    )
        .max_length(Some(MAX_ABOUT_ME_CHARS))
        .pattern(Some(format!("^$|{}", with_one_visible(&classes().free))))
        .examples(["Hello, my name is Susan!"]);
    ReportText => text(
        "free text of 1 to 1,000 characters with at least one visible, by the rules of \
         about_me (a report's comment, a moderator's note)",
    )
        .min_length(Some(1))
        .max_length(Some(MAX_REPORT_TEXT_CHARS))
        .pattern(Some(with_one_visible(&classes().free)))
        .examples(["They keep posting my address"]);
    PostBody => text(
        "1 to 280 characters once trimmed (it is stored trimmed) of white space and of \
         what draws nothing at its ends (combining marks, zero-width joiners, Hangul \
         fillers; marks only at its start), starting with a visible character; the \
         characters of free text as in about_me",
    )
    .pattern(Some(post_body_pattern()))
    .examples(["Hello from the train"]);
}

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
        let mut passwords = lengths("é", &[0, 7]);
        passwords.extend(lengths("éa", &[4, 512]));
        passwords.push("éa".repeat(512) + "é");
        passwords.extend(owned(&[
            "        ",
            "pass\u{0}word",
            "\u{202e}password",
            "pass\u{2028}word",
            "\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}",
            "\u{3164}\u{3164}\u{3164}\u{3164}\u{3164}\u{3164}\u{3164}\u{3164}",
            "\u{200f}rtl-marked-pass",
            "zero\u{200b}width-pass",
        ]));
        agree::<Password>(|t| Password::parse(t).is_ok(), &passwords);
        let mut abouts = lengths("é", &[0, 1, 140, 141]);
        abouts.extend(owned(&[
            "two\nlines",
            "a\u{0}b",
            "\u{1b}[31mred",
            "\u{202e}evil",
            " ",
            "\u{200f}rtl",
            "\u{feff}bom",
            "a\u{2028}b",
            "\u{200b}",
            "\u{0301}",
            "e\u{0301}",
            "\u{1f468}\u{200d}\u{1f469}",
            "\u{3164}",
        ]));
        agree::<AboutMe>(|t| AboutMe::parse(t).is_ok(), &abouts);
        let mut report_texts: Vec<String> = abouts
            .iter()
            .filter(|t| t.chars().count() <= 140)
            .cloned()
            .collect();
        report_texts.extend(lengths("é", &[1000, 1001]));
        agree::<ReportText>(|t| ReportText::parse("comment", t).is_ok(), &report_texts);
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
            "\u{200b}x",
            "\u{0301}x",
            "\u{0301}",
            "\u{200d}",
            "x\u{200d}",
            "x\u{0301}",
            "\u{200f}x",
            "\u{3164}x\u{3164}",
            " \u{200d}x\u{0301}\u{200d} ",
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
