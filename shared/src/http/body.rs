//! Typed JSON request bodies.
//!
//! A body is read into one `Deserialize` type whose fields are the domain's
//! validated values, so a body that reads is a valid one. Every way a body
//! can fail becomes a 400 (413 when too large) whose message names the
//! field: a broken rule in the rule's own words (`username must be 3 to 64
//! characters long`), a value of the wrong JSON type as `<field> must be <what
//! the field takes>`. Fields are read in the order the type declares them,
//! not the order the client sent them, so the first rule reported for a body
//! breaking several is always the same one.
//!
//! Strict by design: a body must say it is JSON (`application/json` or any
//! `application/*+json`, UTF-8), else 415, so that a cross-site form or a
//! `text/plain` "simple request" cannot reach a handler; and an object
//! holding one key twice is a 400, not "the last one wins", so no two
//! readers of one body (a proxy, a WAF, this API) can see different values.

use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::Request;
use serde::de::{
    self, Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer,
    MapAccess, SeqAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Largest request body accepted: 16 KiB is far above any valid body.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The body of `req` as `T`. A body over [`MAX_BODY_BYTES`] is a 413; one
/// whose `Content-Type` is not JSON a 415; anything but a JSON object, or an
/// object with a key twice, a 400; unknown fields are ignored.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge(format!(
            "the request body must be at most {MAX_BODY_BYTES} bytes"
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(not_an_object());
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    if !content_type.is_some_and(is_json_media_type) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "the request body must be JSON, sent with Content-Type: application/json (got {})",
            content_type.unwrap_or("no Content-Type")
        )));
    }
    let object = json_object(bytes)?;
    T::deserialize(InFieldOrder(object)).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn not_an_object() -> ApiError {
    ApiError::bad_request("the request body must be a JSON object")
}

/// `application/json` or `application/<anything>+json`, any case, with no
/// charset or UTF-8 (RFC 8259: JSON exchanged between systems is UTF-8).
fn is_json_media_type(value: &str) -> bool {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let json = match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    };
    let utf8 = parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    });
    json && utf8
}

fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Strict>(bytes) {
        Ok(Strict(Value::Object(map))) => Ok(map),
        Ok(_) => Err(not_an_object()),
        Err(e) if e.is_data() => Err(ApiError::bad_request(format!("the request body {e}"))),
        Err(e) => Err(ApiError::bad_request(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// A JSON value read like `serde_json::Value`, except that an object
/// holding a key twice, at any depth, is an error.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Strict(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "has the key \"{key}\" more than once; send each key once"
                )));
            }
            let Strict(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Strict(Value::Object(object)))
    }
}

/// A JSON object handed to a struct's `Deserialize` in the struct's field
/// order, naming the field in any error of its value.
struct InFieldOrder(Map<String, Value>);

impl<'de> de::Deserializer<'de> for InFieldOrder {
    type Error = serde_json::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        mut self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let mut entries: Vec<(String, Value)> = fields
            .iter()
            .filter_map(|field| self.0.remove(*field).map(|v| (field.to_string(), v)))
            .collect();
        entries.extend(self.0);
        visitor.visit_map(Fields {
            entries: entries.into_iter(),
            current: None,
        })
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        de::Deserializer::deserialize_any(Value::Object(self.0), visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct Fields {
    entries: std::vec::IntoIter<(String, Value)>,
    current: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for Fields {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((field, value)) = self.entries.next() else {
            return Ok(None);
        };
        let key = seed.deserialize(field.as_str().into_deserializer())?;
        self.current = Some((field, value));
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let (field, value) = self
            .current
            .take()
            .ok_or_else(|| de::Error::custom("a value without its field"))?;
        seed.deserialize(value)
            .map_err(|e| de::Error::custom(field_error(&field, &e.to_string())))
    }
}

/// The message for a field's value that did not read. serde words a type
/// mismatch as "invalid type: integer `5`, expected a string"; the client is
/// told "`field` must be a string". Rule violations already name the field.
fn field_error(field: &str, message: &str) -> String {
    match message
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.rsplit_once(", expected "))
    {
        Some((_, expected)) => format!("{field} must be {expected}"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Change, CompleteRegistration};
    use crate::http::bodies::{ProfileChanges, Registration};
    use lambda_http::Body;

    fn with_body(body: &str) -> Request {
        with_typed_body("application/json", body)
    }

    fn with_typed_body(content_type: &str, body: &str) -> Request {
        lambda_http::http::Request::builder()
            .header("content-type", content_type)
            .body(Body::Text(body.to_string()))
            .unwrap()
    }

    #[test]
    fn a_body_that_does_not_say_it_is_json_is_a_415() {
        let body = r#"{"about_me": "hi"}"#;
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "application/json; charset=latin1",
            "json",
            "",
        ] {
            let err = json_body::<ProfileChanges>(&with_typed_body(bad, body)).unwrap_err();
            assert_eq!(err.status(), 415, "{bad:?}");
            assert!(err.message().contains("application/json"), "{bad:?}");
        }
        let untyped = lambda_http::http::Request::builder()
            .body(Body::Text(body.to_string()))
            .unwrap();
        let err = json_body::<ProfileChanges>(&untyped).unwrap_err();
        assert_eq!(
            (
                err.status().as_u16(),
                err.message().contains("no Content-Type")
            ),
            (415, true)
        );
        for good in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
            "application/merge-patch+json",
            "application/vnd.microblog+json",
        ] {
            assert!(
                json_body::<ProfileChanges>(&with_typed_body(good, body)).is_ok(),
                "{good:?}"
            );
        }
    }

    #[test]
    fn a_key_given_twice_is_a_400_at_any_depth() {
        for twice in [
            r#"{"username": "alice", "username": "admin"}"#,
            r#"{"about_me": "x", "nested": {"a": 1, "a": 2}}"#,
            r#"{"list": [{"b": 1, "b": 1}]}"#,
        ] {
            let err = json_body::<ProfileChanges>(&with_body(twice)).unwrap_err();
            assert_eq!(err.status(), 400, "{twice}");
            assert!(
                err.message().contains("more than once"),
                "{}",
                err.message()
            );
        }
        let fine = r#"{"username": "alice", "nested": {"username": 1}, "list": [1, 1.5, -2, true, null, "s"]}"#;
        assert!(json_body::<ProfileChanges>(&with_body(fine)).is_ok());
    }

    fn message<T: DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        json_body::<T>(&with_body(body)).unwrap_err().message()
    }

    #[test]
    fn only_a_json_object_is_a_valid_body() {
        assert!(json_body::<ProfileChanges>(&with_body(r#"{"a": 1}"#)).is_ok());
        for bad in [
            "",
            "  ",
            "[]",
            "null",
            "3",
            "\"x\"",
            "{",
            "{\"a\":}",
            "username=x",
        ] {
            let err = json_body::<ProfileChanges>(&with_body(bad)).unwrap_err();
            assert_eq!(err.status(), 400, "{bad:?}");
        }
    }

    #[test]
    fn a_body_over_16_kib_is_a_413() {
        let big = format!(r#"{{"about_me": "{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        let err = json_body::<ProfileChanges>(&with_body(&big)).unwrap_err();
        assert_eq!(err.status(), 413);
    }

    #[test]
    fn a_value_of_the_wrong_type_is_a_400_naming_the_field_and_the_type_it_takes() {
        assert_eq!(
            message::<ProfileChanges>(r#"{"username": 5}"#),
            "username must be a string"
        );
        assert_eq!(
            message::<ProfileChanges>(r#"{"about_me": ["list"]}"#),
            "about_me must be a string or null"
        );
    }

    #[test]
    fn a_broken_rule_is_reported_in_the_rule_s_own_words() {
        assert_eq!(
            message::<ProfileChanges>(r#"{"username": "ab"}"#),
            "username must be 3 to 64 characters long"
        );
    }

    #[test]
    fn fields_are_checked_in_declared_order_whatever_order_they_arrive_in() {
        // Both break a rule; username is declared first.
        let body = r#"{"email": "nope", "username": "ab"}"#;
        assert!(message::<ProfileChanges>(body).starts_with("username"));
    }

    #[test]
    fn a_registration_without_a_required_field_names_all_of_them() {
        let read = |body: &str| {
            let form: Registration = json_body(&with_body(body)).unwrap();
            CompleteRegistration::try_from(form)
                .unwrap_err()
                .to_string()
        };
        let missing = "must include username, email and password fields";
        assert_eq!(read(r#"{"username": "alice"}"#), missing);
        assert_eq!(
            read(r#"{"username": null, "email": "a@b.co", "password": "password-1"}"#),
            missing
        );
    }

    #[test]
    fn a_registration_is_checked_types_first_then_presence_then_rules_then_about_me() {
        let read = |body: &str| -> String {
            match json_body::<Registration>(&with_body(body)) {
                Err(e) => e.message(),
                Ok(form) => CompleteRegistration::try_from(form)
                    .map(|_| "valid".to_string())
                    .unwrap_or_else(|e| e.to_string()),
            }
        };
        let missing = "must include username, email and password fields";
        let long = "x".repeat(141);
        for (body, expected) in [
            (r#"{"username": "ab"}"#.to_string(), missing),
            (
                r#"{"username": "ab", "email": "a@b.co", "password": 5}"#.to_string(),
                "password must be a string",
            ),
            (r#"{"email": 6, "username": 5}"#.to_string(), "username must be a string"),
            (r#"{"username": "alice", "about_me": 5}"#.to_string(), missing),
            (
                format!(r#"{{"username": "alice", "email": "a@b.co", "about_me": "{long}"}}"#),
                missing,
            ),
            (
                r#"{"username": "ab", "email": "nope", "password": "password-1"}"#.to_string(),
                "username must be 3 to 64 characters long",
            ),
            (
                r#"{"username": "alice", "email": "a@b.co", "password": "password-1", "about_me": 5}"#
                    .to_string(),
                "about_me must be a string or null",
            ),
            (
                r#"{"username": "alice", "email": "a@b.co", "password": "password-1", "about_me": null}"#
                    .to_string(),
                "valid",
            ),
        ] {
            assert_eq!(read(&body), expected, "{body}");
        }
    }

    #[test]
    fn a_password_never_shows_in_a_registration_s_debug_output() {
        let form: Registration =
            json_body(&with_body(r#"{"password": "hunter2hunter2"}"#)).unwrap();
        assert!(!format!("{form:?}").contains("hunter2"));
    }

    #[test]
    fn null_clears_about_me_and_absent_keeps_it_and_unknown_fields_are_ignored() {
        let changes: ProfileChanges =
            json_body(&with_body(r#"{"about_me": null, "id": 7}"#)).unwrap();
        assert_eq!(changes.about_me, Change::Clear);
        let changes: ProfileChanges = json_body(&with_body(r#"{"username": null}"#)).unwrap();
        assert_eq!((changes.username, changes.about_me), (None, Change::Keep));
    }
}
