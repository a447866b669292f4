//! Messages from the templates of `shared/templates/mail/`: one plain-text
//! and one HTML file per kind of mail, the text's first line the subject
//! (`Subject: ...`), `{{name}}` where a value goes (escaped in the HTML).

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;

use super::MailError;
use crate::domain::MailKind;

/// The plain-text and HTML templates of `kind`.
fn templates(kind: MailKind) -> (&'static str, &'static str) {
    match kind {
        MailKind::PasswordReset => (
            include_str!("../../templates/mail/password_reset.txt"),
            include_str!("../../templates/mail/password_reset.html"),
        ),
        MailKind::VerifyEmail => (
            include_str!("../../templates/mail/verify_email.txt"),
            include_str!("../../templates/mail/verify_email.html"),
        ),
    }
}

/// `template` with each `{{name}}` of `values` replaced by its value, passed
/// through `escape`; a placeholder without a value is a bug, reported.
fn fill(
    template: &str,
    values: &[(&str, &str)],
    escape: fn(&str) -> String,
) -> Result<String, MailError> {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{{{name}}}}}"), &escape(value));
    }
    match out.find("{{") {
        Some(at) => Err(MailError::Template(format!(
            "a placeholder has no value: {}",
            out[at..].chars().take(30).collect::<String>()
        ))),
        None => Ok(out),
    }
}

/// How long a code works, as the message says it: minutes up to two hours,
/// then hours, rounded up.
pub fn validity(ttl: std::time::Duration) -> String {
    let minutes = ttl.as_secs().div_ceil(60).max(1);
    match minutes {
        1 => "1 minute".to_string(),
        m if m <= 120 => format!("{m} minutes"),
        m => format!("{} hours", m.div_ceil(60)),
    }
}

/// One part of `content_type`, its lines ended with CRLF as RFC 5322
/// wants them (the templates are stored with LF); lettre picks the
/// transfer encoding: 7bit when every line fits in 76 characters,
/// quoted-printable when one does not (a long link), which every mail
/// client decodes.
fn part(content_type: ContentType, text: &str) -> SinglePart {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    SinglePart::builder().header(content_type).body(crlf)
}

/// `text` safe inside HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The message of `kind` from `from` to `to`, its templates filled with
/// `values`: multipart/alternative, plain text first.
pub fn compose(
    kind: MailKind,
    from: &str,
    to: &str,
    values: &[(&str, &str)],
) -> Result<Message, MailError> {
    let (text, html) = templates(kind);
    let text = fill(text, values, str::to_string)?;
    let (subject, body) = text
        .strip_prefix("Subject: ")
        .and_then(|rest| rest.split_once("\n\n"))
        .ok_or_else(|| {
            MailError::Template(format!(
                "{}.txt must start with `Subject: ...` and a blank line",
                kind.name()
            ))
        })?;
    let html = fill(html, values, escape_html)?;
    let from: Mailbox = from
        .parse()
        .map_err(|e| MailError::Address(format!("the sender: {e}")))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| MailError::Address(format!("the recipient: {e}")))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject.trim())
        .date_now()
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, body))
                .singlepart(part(ContentType::TEXT_HTML, &html)),
        )
        .map_err(|e| MailError::Template(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: &[(&str, &str)] = &[
        ("product", "Chirp & Co"),
        ("username", "susan"),
        ("link", "https://example.com/reset?a=1&token=CODE"),
        ("code", "CODE"),
        ("validity", "15 minutes"),
    ];

    #[test]
    fn a_reset_message_has_a_subject_both_parts_and_every_value() {
        let message = compose(
            MailKind::PasswordReset,
            "Chirp <no-reply@example.com>",
            "susan@example.com",
            VALUES,
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(
            raw.contains("Subject: Reset your Chirp & Co password"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(
            raw.contains("text/plain") && raw.contains("text/html"),
            "{raw}"
        );
        assert!(
            raw.contains("Chirp &amp; Co"),
            "the HTML part escapes: {raw}"
        );
        assert!(
            raw.contains("\r\nCODE\r\n"),
            "the code on a line of its own: {raw}"
        );
        assert!(!raw.contains("{{"), "{raw}");
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_message_with_a_hole() {
        let err = compose(
            MailKind::PasswordReset,
            "no-reply@example.com",
            "susan@example.com",
            &VALUES[..2],
        )
        .unwrap_err();
        assert!(err.to_string().contains("placeholder"), "{err}");
    }

    #[test]
    fn every_kind_has_both_templates_and_they_take_the_same_values() {
        for kind in [MailKind::PasswordReset, MailKind::VerifyEmail] {
            compose(kind, "no-reply@example.com", "susan@example.com", VALUES)
                .unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
        }
    }

    #[test]
    fn validity_reads_in_minutes_then_hours() {
        use std::time::Duration;
        assert_eq!(validity(Duration::from_secs(1)), "1 minute");
        assert_eq!(validity(Duration::from_secs(900)), "15 minutes");
        assert_eq!(validity(Duration::from_secs(7200)), "120 minutes");
        assert_eq!(validity(Duration::from_secs(172_800)), "48 hours");
    }

    #[test]
    fn html_escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
