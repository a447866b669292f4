//! The OpenAPI 3.1 document of the API, generated from the code: each
//! handler in src/bin/ carries its operation (`#[utoipa::path]`: parameters,
//! responses, links to follow from a created resource; the handler's doc
//! comment is its description) under its function's name as operation id;
//! the representations and request bodies derive their schemas, and the
//! validated values describe their rules (`microblog_shared::openapi`).
//! Here: what the whole document says, and the parameters several
//! operations share. `GET /api/openapi.json` serves it; docs/openapi.json
//! is a copy that a test keeps equal, and another test keeps its paths and
//! methods equal to the route table. Optional headers are declared as plain
//! strings (`value_type`, `required = false`), never `null`: a header is
//! absent or has a value, and a generated client must not hand a null to
//! its HTTP library (issue 21); utoipa already declares optional query
//! parameters so.

use microblog_shared::error::ErrorBody;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

/// The document's description of the whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "microblog",
        description = "The REST API of a microblogging service: users as JSON resources with \
            hypermedia `_links`, paginated collections, token authentication (HTTP Basic to \
            get a token, Bearer to use it) and JSON errors `{\"error\", \"message\"}` on \
            every route, unknown routes (404) and wrong methods (405 with `Allow`) included.",
        license(name = "MIT", identifier = "MIT"),
    ),
    servers(
        (url = "/", description = "The host that serves this document (API Gateway's URL once deployed)"),
        (url = "http://127.0.0.1:3000", description = "microblog-local, the whole API on this machine"),
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "users", description = "Users and their profiles"),
        (name = "follows", description = "Who follows whom"),
        (name = "posts", description = "Posts, timelines and the home feed"),
        (name = "safety", description = "Blocks and mutes"),
        (name = "moderation", description = "Reports, and the moderators' queue"),
        (name = "notifications", description = "What others did: follows, likes, replies and mentions, and push devices"),
        (name = "tokens", description = "Bearer tokens"),
        (name = "meta", description = "This document"),
    ),
)]
struct ApiDoc;

/// `basic` (HTTP Basic, to get a token) and `bearer` (the token).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.description =
            Some("A token from `POST /api/tokens`, valid for an hour by default.".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    }
}

/// The `{id}` of a user.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct UserPath {
    /// The user's id.
    #[param(minimum = 1)]
    id: u64,
}

/// The `{id}` of a post.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct PostPath {
    /// The post's id.
    #[param(minimum = 1)]
    id: u64,
}

/// The `{device_token}` of a push device.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct DevicePath {
    /// The device's token, as its push service (APNs, FCM) issued it.
    #[param(min_length = 8, max_length = 512, pattern = "^[A-Za-z0-9_:.-]+$")]
    device_token: String,
}

/// The `{id}` of a report.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ReportPath {
    /// The report's id.
    #[param(minimum = 1)]
    id: u64,
}

/// Which reports a moderator lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ReportStatusQuery {
    /// `open` (the default): the queue. Closed reports are not listed;
    /// their audit records keep what was decided.
    #[param(pattern = "^open$")]
    status: Option<String>,
}

/// The two users of a follow.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct EdgePath {
    /// The follower: for a change, the caller.
    #[param(minimum = 1)]
    id: u64,
    /// The user followed.
    #[param(minimum = 1)]
    target_id: u64,
}

/// The caller and a user they block or mute.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct SilencePath {
    /// The caller.
    #[param(minimum = 1)]
    id: u64,
    /// The user blocked or muted.
    #[param(minimum = 1)]
    target_id: u64,
}

/// Which page of a collection.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageQuery {
    /// The page, from 1 (default 1), an unsigned 64-bit integer. A bare
    /// page number reaches at most 10,000 items deep; follow `next` links
    /// to go further.
    #[param(minimum = 1, maximum = 18446744073709551615_u64, format = "uint64")]
    page: Option<u64>,
    /// Items per page (default 10), an unsigned 64-bit integer; more than
    /// 100 is taken as 100.
    #[param(minimum = 1, maximum = 18446744073709551615_u64, format = "uint64")]
    per_page: Option<u64>,
    /// Where the page starts: only as given in a `next` link.
    cursor: Option<String>,
}

/// The `Idempotency-Key` of a publishing attempt.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKeyHeader {
    /// 1 to 255 visible ASCII characters naming this publishing attempt: a
    /// retry with the same key within 24 hours publishes nothing new.
    #[param(rename = "Idempotency-Key", value_type = String, required = false, pattern = "^[!-~]{1,255}$")]
    idempotency_key: Option<String>,
}

/// The validator of a conditional GET.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfNoneMatchHeader {
    /// ETags of representations the client holds (or `*`): when the
    /// current one is among them, the answer is 304 with no body.
    #[param(rename = "If-None-Match", value_type = String, required = false)]
    if_none_match: Option<String>,
}

/// The precondition of a PUT.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatchHeader {
    /// The ETag of the representation the change is based on (or `*`):
    /// when it is no longer the current one, the answer is 412 and nothing
    /// changes, so that two clients cannot silently overwrite each other.
    #[param(rename = "If-Match", value_type = String, required = false)]
    if_match: Option<String>,
}

/// The 401 of every route that takes a bearer token.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 401,
    description = "No valid token.",
    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))
)]
pub struct NoValidToken(pub ErrorBody<'static>);

/// The 503 of every route that reads or writes the table.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 503,
    description = "DynamoDB is unavailable; retry.",
    headers(("Retry-After" = u32, description = "Seconds to wait"))
)]
pub struct Unavailable(pub ErrorBody<'static>);

/// The document: the API's description, and the operation of every
/// handler ([`crate::Operations`], every `#[utoipa::path]` of src/bin/).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.merge(crate::Operations::openapi());
    add_suspension_answers(&mut document);
    add_conditional_headers(&mut document);
    document
}

/// What every answer of a conditional GET carries (`json_with_etag`),
/// said once for every operation that can answer 304: `Vary:
/// Authorization` on the 200 and the 304 (what a user sees depends on who
/// asks, so no shared cache may hand one user's page to another), and the
/// 304's `Cache-Control`, as the 200's.
fn add_conditional_headers(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{HeaderBuilder, RefOr};
    let header = |description: &str| {
        HeaderBuilder::new()
            .schema(Some(utoipa::openapi::schema::Object::with_type(
                utoipa::openapi::schema::Type::String,
            )))
            .description(Some(description))
            .build()
    };
    for item in document.paths.paths.values_mut() {
        let Some(operation) = item.get.as_mut() else {
            continue;
        };
        let responses = &mut operation.responses.responses;
        if !responses.contains_key("304") {
            continue;
        }
        for status in ["200", "304"] {
            if let Some(RefOr::T(response)) = responses.get_mut(status) {
                response.headers.entry("Vary".into()).or_insert_with(|| {
                    RefOr::T(header("`Authorization`: the answer depends on the caller"))
                });
                response
                    .headers
                    .entry("Cache-Control".into())
                    .or_insert_with(|| RefOr::T(header("`private, no-cache`")));
            }
        }
    }
}

/// What every route taking a bearer token may answer to a suspended user,
/// said once, for the routes the route table says take one: a 403
/// `account suspended` (added to the route's own 403, if it has one).
fn add_suspension_answers(document: &mut utoipa::openapi::OpenApi) {
    use microblog_shared::routes::{Auth, ROUTES};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    const SUSPENDED: &str = "The caller's account is suspended (`account suspended`).";
    for route in ROUTES.iter().filter(|r| r.auth == Auth::Bearer) {
        let Some(item) = document.paths.paths.get_mut(route.path) else {
            continue;
        };
        let operation = match route.method {
            "GET" => item.get.as_mut(),
            "PUT" => item.put.as_mut(),
            "POST" => item.post.as_mut(),
            "DELETE" => item.delete.as_mut(),
            _ => None,
        };
        let Some(operation) = operation else {
            continue;
        };
        match operation.responses.responses.get_mut("403") {
            Some(RefOr::T(response)) => {
                response.description.push_str(" Or: ");
                response.description.push_str(SUSPENDED);
            }
            _ => {
                let content = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("MicroblogError")))
                    .build();
                let response = ResponseBuilder::new()
                    .description(SUSPENDED)
                    .content("application/json", content)
                    .build();
                operation
                    .responses
                    .responses
                    .insert("403".into(), RefOr::T(response));
            }
        }
    }
}

/// The document as served and committed: pretty JSON, with a final newline.
pub fn json() -> String {
    let mut text = document()
        .to_pretty_json()
        .expect("the document serialises");
    text.push('\n');
    text
}
