//! Shapes an HTTP request as API Gateway's HTTP API (payload format 2.0)
//! delivers it to Lambda, then lets lambda_http turn that event into the
//! `Request` handlers see, exactly as it does on AWS.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use lambda_http::http::HeaderMap;
use serde_json::{json, Map, Value};

/// One HTTP request, as the local server (or a test) received it.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The body bytes.
    pub body: &'a [u8],
    /// The client's address.
    pub source_ip: &'a str,
    /// The id API Gateway would give the request.
    pub request_id: &'a str,
}

/// The route API Gateway matched: its key (`GET /api/users/{id}`, or
/// `$default`) and the path parameters it extracted.
#[derive(Debug, Clone)]
pub struct Matched<'a> {
    /// The route key.
    pub route_key: &'a str,
    /// The path parameters, in template order.
    pub path_parameters: &'a [(&'static str, String)],
}

/// The payload 2.0 event API Gateway would send for `incoming`.
pub fn event(incoming: &Call<'_>, matched: &Matched<'_>) -> Value {
    // API Gateway lower-cases header names and joins repeated ones with commas.
    let mut headers = Map::new();
    for name in incoming.headers.keys() {
        let joined = incoming
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        headers.insert(name.as_str().to_ascii_lowercase(), Value::String(joined));
    }
    let mut query = Map::new();
    for pair in incoming.query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        query
            .entry(k.to_string())
            .or_insert_with(|| Value::String(v.to_string()));
    }
    let params: Map<String, Value> = matched
        .path_parameters
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect();
    let (body, base64) = match std::str::from_utf8(incoming.body) {
        Ok(text) => (text.to_string(), false),
        Err(_) => (STANDARD.encode(incoming.body), true),
    };
    let now = chrono::Utc::now();
    let mut event = json!({
        "version": "2.0",
        "routeKey": matched.route_key,
        "rawPath": incoming.path,
        "rawQueryString": incoming.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": incoming.method,
                "path": incoming.path,
                "protocol": "HTTP/1.1",
                "sourceIp": incoming.source_ip,
                "userAgent": headers.get("user-agent").cloned().unwrap_or(Value::String(String::new())),
            },
            "requestId": incoming.request_id,
            "routeKey": matched.route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": base64,
    });
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !params.is_empty() {
        event["pathParameters"] = Value::Object(params);
    }
    if !incoming.body.is_empty() {
        event["body"] = Value::String(body);
    }
    event
}

/// The `Request` a handler receives for `event`, built by lambda_http.
pub fn request(event: &Value) -> Result<lambda_http::Request, serde_json::Error> {
    lambda_http::request::from_str(&event.to_string())
}
