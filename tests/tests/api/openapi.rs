//! `GET /api/openapi.json`: the document, without a token, on the local
//! server as on Lambda.

use microblog_tests::api::{http, TestApi};

#[tokio::test]
async fn the_document_is_served_without_a_token_and_is_the_generated_one() {
    let api = TestApi::start().await;
    let reply = api.call("GET", "/api/openapi.json", &[], None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.body, microblog_functions::openapi::json());
    assert_eq!(reply.json()["openapi"], "3.1.0");
}

#[tokio::test]
async fn the_local_server_serves_the_document_over_http_and_refuses_other_methods() {
    let api = TestApi::start().await;
    let base = api.serve_http().await;
    let reply = http(&base, "GET", "/api/openapi.json", &[], None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, microblog_functions::openapi::json());
    let post = http(&base, "POST", "/api/openapi.json", &[], None).await;
    post.assert_error(405, "GET");
    assert_eq!(post.header("allow"), Some("GET"));
}
