//! hyper answers some requests itself, before any service sees them: a
//! request it cannot parse (400), a URI too long for it (414), a head larger
//! than its buffer (431). It sends those with an empty body. [`JsonParseErrors`]
//! wraps a connection and rewrites exactly those answers to carry the JSON
//! error body every other answer of the API has.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A complete HTTP/1.1 error response, `Connection: close`, with the API's
/// JSON body: `{"error": <reason phrase>, "message": ...}`.
pub fn error_response(status: u16, message: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let body = serde_json::json!({ "error": reason, "message": message }).to_string();
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(&body);
    head.into_bytes()
}

/// The JSON answer standing in for hyper's own bodiless answer `head`, if
/// that is what `head` is: a 400, 414 or 431 head with `content-length: 0`
/// and no content type. The API's own answers of those statuses all have a
/// JSON body, so they never match.
fn replacement_for(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let status: u16 = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let message = match status {
        400 => "the request is not valid HTTP/1.1",
        414 => "the request's URI is too long",
        431 => "the request's header fields are too large",
        _ => return None,
    };
    let lower = text.to_ascii_lowercase();
    let bodiless = lower.ends_with("\r\n\r\n")
        && lower.contains("\r\ncontent-length: 0\r\n")
        && !lower.contains("\r\ncontent-type:");
    bodiless.then(|| error_response(status, message, &[]))
}

/// A connection whose bodiless 400, 414 and 431 answers (hyper's own) are
/// rewritten with the JSON error body. Not vectored, so that hyper hands
/// over each response head in one buffer.
pub struct JsonParseErrors<S> {
    inner: S,
    /// A replacement being written, and how much of it is.
    replacing: Option<(Vec<u8>, usize)>,
    /// Whether bytes came since the last answer was written: a request is
    /// on its way.
    head_started: Arc<AtomicBool>,
}

impl<S> JsonParseErrors<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        JsonParseErrors {
            inner,
            replacing: None,
            head_started: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the client sent anything since the last answer, readable
    /// after hyper has given the connection up (a slow head: then 408).
    pub fn head_started(&self) -> Arc<AtomicBool> {
        self.head_started.clone()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonParseErrors<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        // Line breaks between requests are no request (RFC 9112 2.2).
        if buf.filled()[before..]
            .iter()
            .any(|b| !matches!(b, b'\r' | b'\n'))
        {
            this.head_started.store(true, Ordering::Relaxed);
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonParseErrors<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.head_started.store(false, Ordering::Relaxed);
        if this.replacing.is_none() {
            match replacement_for(buf) {
                Some(replacement) => this.replacing = Some((replacement, 0)),
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        let (bytes, written) = this.replacing.as_mut().expect("set above");
        while *written < bytes.len() {
            match ready!(Pin::new(&mut this.inner).poll_write(cx, &bytes[*written..]))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => *written += n,
            }
        }
        this.replacing = None;
        // hyper's head counts as written: it was, in its JSON form.
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyper_s_bodiless_400_414_and_431_are_replaced() {
        let date = "date: Thu, 26 Nov 2026 01:00:00 GMT\r\n";
        for status in [
            "400 Bad Request",
            "414 URI Too Long",
            "431 Request Header Fields Too Large",
        ] {
            let head = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n{date}\r\n");
            let replaced = String::from_utf8(replacement_for(head.as_bytes()).unwrap()).unwrap();
            let (head, body) = replaced.split_once("\r\n\r\n").unwrap();
            assert!(
                head.starts_with(&format!("HTTP/1.1 {status}\r\n")),
                "{head}"
            );
            assert!(head.contains("content-type: application/json"), "{head}");
            let json: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(json["error"], status.split_once(' ').unwrap().1);
            assert!(json["message"].as_str().unwrap().len() > 10);
        }
        for kept in [
            format!("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n{date}\r\n"),
            format!("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\n{date}\r\n{{}}"),
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_string(),
            "{\"json\": 1}".to_string(),
        ] {
            assert!(replacement_for(kept.as_bytes()).is_none(), "{kept}");
        }
    }
}
