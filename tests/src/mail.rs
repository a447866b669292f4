//! Reading the mail the `send_mail` worker sent: the `.eml` files of an
//! outbox directory, or what an SMTP server started by the test received
//! ([`SmtpCatcher`]), parsed far enough to check them and pick the code out.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use microblog_shared::domain::CODE_CHARS;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message, its parts decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The `To` header.
    pub to: String,
    /// The `Subject` header.
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
    /// The whole message as sent.
    pub raw: String,
}

impl Mail {
    /// Parses an RFC 5322 message of one multipart/alternative body with a
    /// plain-text and an HTML part, as the worker composes them.
    ///
    /// # Panics
    /// When it is not such a message.
    pub fn parse(raw: &str) -> Mail {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw
            .split_once("\n\n")
            .expect("headers, a blank line, a body");
        let header = |name: &str| {
            unfold(head)
                .lines()
                .find_map(|line| {
                    let (key, value) = line.split_once(':')?;
                    key.eq_ignore_ascii_case(name)
                        .then(|| value.trim().to_string())
                })
                .unwrap_or_else(|| panic!("no {name} header in {head}"))
        };
        let content_type = header("Content-Type");
        let boundary = content_type
            .split("boundary=")
            .nth(1)
            .expect("a multipart boundary")
            .trim_matches('"')
            .to_string();
        let mut text = None;
        let mut html = None;
        for part in body.split(&format!("--{boundary}")).skip(1) {
            let Some((part_head, part_body)) = part.split_once("\n\n") else {
                continue;
            };
            let part_head = unfold(part_head).to_ascii_lowercase();
            let decoded = if part_head.contains("quoted-printable") {
                decode_quoted_printable(part_body)
            } else {
                part_body.to_string()
            };
            if part_head.contains("text/plain") {
                text = Some(decoded);
            } else if part_head.contains("text/html") {
                html = Some(decoded);
            }
        }
        Mail {
            to: header("To"),
            subject: header("Subject"),
            text: text.expect("a text/plain part"),
            html: html.expect("a text/html part"),
            raw,
        }
    }

    /// The reset code: the line of the text part that is one.
    ///
    /// # Panics
    /// When there is none.
    pub fn code(&self) -> String {
        self.text
            .lines()
            .map(str::trim)
            .find(|line| {
                line.len() == CODE_CHARS
                    && line
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .unwrap_or_else(|| panic!("no code in {}", self.text))
            .to_string()
    }
}

/// Headers with their continuation lines joined.
fn unfold(head: &str) -> String {
    head.replace("\n ", " ").replace("\n\t", " ")
}

/// Quoted-printable (RFC 2045 6.7): soft line breaks removed, `=XX` bytes.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("UTF-8 text")
}

/// Every message of the outbox `dir`, by file name (none when it does not
/// exist); a file being written (`.partial`) is not one.
pub fn outbox(dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| Mail::parse(&std::fs::read_to_string(p).expect("a readable message")))
        .collect()
}

/// How many mail jobs (`MAIL#<id>` items) `table` holds: jobs not done.
pub async fn pending_jobs(client: &aws_sdk_dynamodb::Client, table: &str) -> usize {
    crate::invariants::scan(client, table)
        .await
        .iter()
        .filter(|item| {
            item.get("pk")
                .and_then(|pk| pk.as_s().ok())
                .is_some_and(|pk| pk.starts_with("MAIL#"))
        })
        .count()
}

/// The password reset messages of the outbox `dir`.
pub fn resets(dir: &Path) -> Vec<Mail> {
    outbox(dir)
        .into_iter()
        .filter(|m| m.subject.starts_with("Reset your"))
        .collect()
}

/// The verification messages of the outbox `dir`.
pub fn verifications(dir: &Path) -> Vec<Mail> {
    outbox(dir)
        .into_iter()
        .filter(|m| m.subject.starts_with("Confirm your email address"))
        .collect()
}

/// Waits until the outbox `dir` holds `count` messages and returns them;
/// panics after 30 s (a hang guard, not a timing requirement).
pub async fn wait_for_outbox(dir: &Path, count: usize) -> Vec<Mail> {
    for _ in 0..600 {
        let mail = outbox(dir);
        if mail.len() >= count {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{count} messages never arrived in {}", dir.display());
}

/// An SMTP server on a loopback port that accepts every message and keeps
/// it, but refuses for good (550) any recipient whose address starts with
/// `refused`: enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA with
/// dot-stuffing, RSET, NOOP, QUIT) for a real client to deliver to it.
pub struct SmtpCatcher {
    /// `smtp://127.0.0.1:<port>`, for `SMTP_URL`.
    pub url: String,
    received: Arc<Mutex<Vec<String>>>,
}

impl SmtpCatcher {
    /// Starts one; it serves until the test's runtime ends.
    pub async fn start() -> SmtpCatcher {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(converse(socket, kept.clone()));
            }
        });
        SmtpCatcher { url, received }
    }

    /// The messages received so far, as sent.
    pub fn received(&self) -> Vec<Mail> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|raw| Mail::parse(raw))
            .collect()
    }
}

async fn converse(socket: tokio::net::TcpStream, kept: Arc<Mutex<Vec<String>>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 catcher ESMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "RCPT" if line.to_ascii_lowercase().contains("<refused") => {
                b"550 5.1.1 no such mailbox\r\n"
            }
            "EHLO" | "HELO" => b"250 catcher\r\n",
            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "DATA" => {
                let _ = write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await;
                let mut message = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    message.push_str(line.strip_prefix('.').unwrap_or(&line));
                    message.push_str("\r\n");
                }
                kept.lock().unwrap().push(message);
                b"250 queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"502 not implemented\r\n",
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_is_decoded() {
        assert_eq!(decode_quoted_printable("a=3Db=\nc caf=C3=A9"), "a=bc café");
    }
}
