//! The schemas of the validated values, from the same limits their `parse`
//! enforces. Each pattern accepts exactly what `parse` accepts (Schemathesis
//! checks both ways: valid per schema is accepted, invalid is refused), with
//! one documented exception: an email's local part is at most 64
//! characters, which a JSON Schema pattern cannot count across its dots.

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
    Password => text("8 to 1024 characters")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(PASSWORD_CHARS.0))
        .max_length(Some(PASSWORD_CHARS.1))
        .examples(["correct-horse-battery"]);
    AboutMe => text("free text of at most 140 characters")
        .max_length(Some(MAX_ABOUT_ME_CHARS))
        .examples(["Hello, my name is Susan!"]);
    PostBody => text(
        "1 to 280 characters once surrounding white space is trimmed (it is stored trimmed); \
         no control characters but newline",
    )
    .pattern(Some(format!(
        "^[{WHITE_SPACE}]*[^{WHITE_SPACE}{CONTROL}]([^{CONTROL_BUT_NEWLINE}]{{0,{}}}[^{WHITE_SPACE}{CONTROL}])?[{WHITE_SPACE}]*$",
        MAX_POST_CHARS - 2
    )))
    .examples(["Hello from the train"]);
}

/// The control characters but newline: what a post may not contain inside.
const CONTROL_BUT_NEWLINE: &str = "\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f";

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern<T: PartialSchema>() -> String {
        let json = serde_json::to_value(T::schema()).unwrap();
        json["pattern"].as_str().unwrap().to_string()
    }

    #[test]
    fn the_length_bounds_are_the_rules_own() {
        let json = serde_json::to_value(Username::schema()).unwrap();
        assert_eq!(json["minLength"], 3);
        assert_eq!(json["maxLength"], 64);
        assert!(pattern::<Username>().ends_with("{2,63}$"));
        assert!(pattern::<PostBody>().contains("{0,278}"));
    }
}
