//! The local server answers every request with the API's JSON, whatever
//! the client sends, and sheds clients that stall or crowd it.

use std::time::Duration;

use microblog_local::server::Limits;
use microblog_tests::api::{bearer, http, parse_raw, raw, TestApi};

fn short_limits() -> Limits {
    Limits {
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        max_connections: 64,
        max_connections_per_client: 64,
    }
}

#[tokio::test]
async fn a_host_or_forwarded_proto_that_makes_no_url_gets_a_json_400() {
    let api = TestApi::start().await;
    let base = api.serve_http().await;
    for header in [
        "host: a b",
        "host: [",
        "host: 127.0.0.1:99999",
        "host: 127.0.0.1\r\nx-forwarded-proto: ",
        "host: 127.0.0.1\r\nx-forwarded-proto: a b",
        "host: 127.0.0.1\r\nx-forwarded-proto: ht:tp",
    ] {
        let request = format!("GET /api/users/1 HTTP/1.1\r\n{header}\r\nconnection: close\r\n\r\n");
        let reply = raw(&base, request.as_bytes()).await;
        let (status, json) = parse_raw(&reply);
        assert_eq!(status, 400, "{header:?}: {reply}");
        assert_eq!(json["error"], "Bad Request");
    }
    // The server is still there.
    http(&base, "GET", "/api/users/1", &[], None)
        .await
        .assert_error(401, "");
}

#[tokio::test]
async fn the_largest_page_number_with_a_cursor_is_answered() {
    let api = TestApi::start().await;
    let (_, token) = api.user_with_token("susan").await;
    api.user_with_token("john").await;
    let base = api.serve_http().await;
    let page = u64::MAX;
    let reply = http(
        &base,
        "GET",
        &format!("/api/users?per_page=1&page={page}&cursor=MQ"),
        &[("authorization", &bearer(&token))],
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["_meta"]["page"], page);
    assert_eq!(json["items"][0]["username"], "john");
}

#[tokio::test]
async fn hyper_s_own_400_414_and_431_carry_the_json_error_body() {
    let api = TestApi::start().await;
    let base = api.serve_http().await;
    let long_uri = format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000));
    let huge_header = format!(
        "GET / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "b".repeat(200_000)
    );
    for (request, status, reason) in [
        ("NOT HTTP AT ALL\r\n\r\n".to_string(), 400, "Bad Request"),
        (
            "GET / HTTP/1.1\r\nbad header\r\n\r\n".to_string(),
            400,
            "Bad Request",
        ),
        (long_uri, 414, "URI Too Long"),
        (huge_header, 431, "Request Header Fields Too Large"),
    ] {
        let reply = raw(&base, request.as_bytes()).await;
        let (got, json) = parse_raw(&reply);
        assert_eq!(got, status, "{reply}");
        assert_eq!(json["error"], reason);
        assert!(json["message"].as_str().unwrap().len() > 10, "{json}");
    }
}

#[tokio::test]
async fn an_oversized_body_announced_with_expect_100_continue_gets_413_at_once() {
    let api = TestApi::start().await;
    let base = api.serve_http().await;
    let request = "POST /api/users HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                   content-length: 20000000\r\nexpect: 100-continue\r\n\r\n";
    // No body is sent: the answer must not wait for it.
    let reply = raw(&base, request.as_bytes()).await;
    assert!(!reply.contains("100 Continue"), "{reply}");
    let (status, json) = parse_raw(&reply);
    assert_eq!(status, 413, "{reply}");
    assert_eq!(json["error"], "Payload Too Large");
}

#[tokio::test]
async fn a_declared_body_over_16_kib_gets_413_before_any_of_it_is_sent_on_any_route() {
    let api = TestApi::start().await;
    let base = api.serve_http().await;
    for route in ["POST /api/users", "GET /api/users"] {
        // 16 KiB and one byte declared, nothing sent: the answer must not
        // wait for it (before, a GET read and discarded up to 10 MB).
        let request = format!(
            "{route} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
             content-length: 16385\r\n\r\n"
        );
        let reply = raw(&base, request.as_bytes()).await;
        let (status, json) = parse_raw(&reply);
        assert_eq!(status, 413, "{route}: {reply}");
        assert!(
            json["message"].as_str().unwrap().contains("16384 bytes"),
            "{json}"
        );
    }
}

#[tokio::test]
async fn a_chunked_body_is_read_no_further_than_16_kib() {
    let api = TestApi::start().await;
    let base = api.serve_http().await;
    let chunk = format!("400\r\n{}\r\n", "x".repeat(1024));
    // 64 KiB in 1 KiB chunks, to a route that takes no body.
    let request = format!(
        "GET /api/users HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n{}0\r\n\r\n",
        chunk.repeat(64)
    );
    let reply = raw(&base, request.as_bytes()).await;
    let (status, json) = parse_raw(&reply);
    assert_eq!(status, 413, "{reply}");
    assert_eq!(json["error"], "Payload Too Large");
}

#[tokio::test]
async fn a_body_that_stops_coming_gets_408_and_a_silent_client_is_disconnected() {
    let api = TestApi::start().await;
    let base = api.serve_http_with(short_limits()).await;
    let request = "POST /api/users HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                   content-length: 100\r\n\r\n{\"user";
    let reply = raw(&base, request.as_bytes()).await;
    let (status, json) = parse_raw(&reply);
    assert_eq!(status, 408, "{reply}");
    assert_eq!(json["error"], "Request Timeout");
    // Half a request head, then nothing: a JSON 408 (within `raw`'s 10 s;
    // the limit is 0.3 s), not a silent close.
    let reply = raw(&base, b"GET /api/users HTTP/1.1\r\nhost:").await;
    let (status, json) = parse_raw(&reply);
    assert_eq!(status, 408, "{reply}");
    assert!(
        json["message"].as_str().unwrap().contains("request head"),
        "{json}"
    );
    // Nothing at all: the idle connection is closed without a word.
    assert_eq!(raw(&base, b"").await, "");
}

#[tokio::test]
async fn connections_beyond_the_cap_get_a_json_503_and_a_freed_slot_serves_again() {
    use tokio::io::AsyncReadExt;
    let api = TestApi::start().await;
    let limits = Limits {
        header_timeout: Duration::from_secs(1),
        max_connections: 2,
        ..short_limits()
    };
    let base = api.serve_http_with(limits).await;
    let addr = base.strip_prefix("http://").unwrap().to_string();
    let mut idle = Vec::new();
    for _ in 0..2 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    // Once the server has accepted both, a third connection is refused;
    // until then it may still be served (and closed), so try again.
    let mut attempts = 0;
    let (reply, status, json) = loop {
        let reply = raw(
            &base,
            b"GET /api/users HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        let (status, json) = parse_raw(&reply);
        attempts += 1;
        if status == 503 || attempts == 50 {
            break (reply, status, json);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status, 503, "{reply}");
    assert!(
        reply.to_ascii_lowercase().contains("retry-after: 1"),
        "{reply}"
    );
    assert!(json["message"]
        .as_str()
        .unwrap()
        .contains("too many open connections"));
    // The idle ones are cut off by the header timeout, freeing their slots.
    for mut stream in idle {
        let mut rest = Vec::new();
        let read = stream.read_to_end(&mut rest);
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .expect("an idle connection is closed")
            .unwrap();
    }
    http(&base, "GET", "/api/users", &[], None)
        .await
        .assert_error(401, "");
}

#[cfg(target_os = "linux")]
/// Connects to `addr` from the loopback address `source` (any of
/// 127.0.0.0/8 is this machine, and the server sees it as another client).
async fn connect_from(source: &str, addr: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(addr.parse().unwrap()).await.unwrap()
}

#[cfg(target_os = "linux")]
/// One request on `stream`, and the status of its answer.
async fn status_of(mut stream: tokio::net::TcpStream) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = stream
        .write_all(b"GET /api/users HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await;
    let mut reply = Vec::new();
    let read = stream.read_to_end(&mut reply);
    let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
    parse_raw(&String::from_utf8_lossy(&reply)).0
}

// Linux routes all of 127.0.0.0/8 to loopback; other systems only 127.0.0.1.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn one_client_holding_idle_sockets_cannot_starve_another() {
    let api = TestApi::start().await;
    let limits = Limits {
        header_timeout: Duration::from_secs(5),
        max_connections: 64,
        max_connections_per_client: 8,
        ..short_limits()
    };
    let base = api.serve_http_with(limits).await;
    let addr = base.strip_prefix("http://").unwrap().to_string();
    // The hog opens more idle sockets than the server takes in all (before
    // a client's share existed, that starved everyone else: 503s).
    let mut hog = Vec::new();
    for _ in 0..80 {
        hog.push(connect_from("127.0.0.1", &addr).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Its further requests are refused with a JSON 429 ...
    assert_eq!(status_of(connect_from("127.0.0.1", &addr).await).await, 429);
    // ... while every request of another client is served.
    for _ in 0..20 {
        assert_eq!(status_of(connect_from("127.0.0.2", &addr).await).await, 401);
    }
    drop(hog);
}
