//! Unknown routes, wrong methods and hostile input: always a JSON 4xx.

use microblog_shared::routes::{Auth, ROUTES};
use microblog_tests::api::{bearer, TestApi};

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let api = TestApi::start().await;
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/api"),
        ("POST", "/api/postings"),
        ("GET", "/api/users/1/friends"),
        ("GET", "/api/users/"),
    ] {
        api.call(method, path, &[], None)
            .await
            .assert_error(404, "no route");
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405_with_allow() {
    let api = TestApi::start().await;
    for (method, path, allow) in [
        ("DELETE", "/api/users", "GET, POST"),
        ("PATCH", "/api/users/1", "GET, PUT, DELETE"),
        ("GET", "/api/tokens", "POST, PUT, DELETE"),
        ("POST", "/api/users/1/followed/2", "GET, PUT, DELETE"),
        ("PUT", "/api/users/1/followers", "GET"),
    ] {
        let reply = api.call(method, path, &[], None).await;
        reply.assert_error(405, "allows only");
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }
}

#[tokio::test]
async fn every_route_but_registration_login_refresh_reset_and_the_document_needs_a_bearer_token() {
    let api = TestApi::start().await;
    for route in ROUTES {
        let path = route.path.replace("{id}", "1").replace("{target_id}", "2");
        let reply = api.call(route.method, &path, &[], Some("{}")).await;
        match route.function {
            "create_user" => assert_eq!(reply.status, 400),
            "get_openapi" => assert_eq!(reply.status, 200),
            // Whoever forgot their password has no credential at all.
            "request_password_reset" => {
                reply.assert_error(400, "must include email");
            }
            "reset_password" => {
                reply.assert_error(400, "must include token and new_password");
            }
            // The link in the mail may be opened anywhere, signed in or not.
            "verify_email" => {
                reply.assert_error(400, "must include token");
            }
            // Its credential is the refresh token in the body.
            "refresh_token" => {
                reply.assert_error(400, "refresh_token");
            }
            "get_token" => {
                assert_eq!(reply.status, 401);
                assert_eq!(
                    reply.header("www-authenticate"),
                    Some(r#"Basic realm="Authentication Required""#)
                );
            }
            _ => {
                reply.assert_error(401, "");
                assert_eq!(
                    reply.header("www-authenticate"),
                    Some(r#"Bearer realm="Authentication Required""#),
                    "{}",
                    route.function
                );
            }
        }
    }
}

#[tokio::test]
async fn a_missing_or_malformed_token_is_a_401_without_any_dynamodb_call() {
    let api = TestApi::start().await;
    let (_, token) = api.user_with_token("susan").await;
    let bearer_routes: Vec<_> = ROUTES.iter().filter(|r| r.auth == Auth::Bearer).collect();
    assert!(bearer_routes.len() >= 15, "{}", bearer_routes.len());
    let missing: &[(&str, &str)] = &[];
    let credentials: [&[(&str, &str)]; 5] = [
        missing,
        &[("authorization", "Bearer")],
        &[("authorization", "Bearer short")],
        &[("authorization", "Bearer not a token at all, with spaces")],
        &[("authorization", "Basic c3VzYW46cGFzc3dvcmQtMTIz")],
    ];
    for route in bearer_routes {
        for (id, target) in [("1", "2"), ("x", "2"), ("1", "x")] {
            let path = route
                .path
                .replace("{id}", id)
                .replace("{target_id}", target);
            for headers in credentials {
                let mut headers = headers.to_vec();
                headers.push(("content-type", "application/json"));
                let (reply, used) = api
                    .call_recorded(route.method, &path, &headers, Some(r#"{"body": "x"}"#))
                    .await;
                reply.assert_error(401, "");
                assert!(
                    used.is_empty(),
                    "{} {path} with {headers:?} called DynamoDB: {used:?}",
                    route.method
                );
            }
        }
        // The same request with a real token does read the table, so the
        // recorder would have seen any call above.
        let path = route.path.replace("{id}", "1").replace("{target_id}", "1");
        let (_, used) = api
            .call_recorded(
                route.method,
                &path,
                &[("authorization", &bearer(&token))],
                Some(r#"{"body": "x"}"#),
            )
            .await;
        assert!(!used.is_empty(), "{} {path} read nothing", route.method);
    }
}

#[tokio::test]
async fn a_malformed_refresh_token_is_a_401_without_any_dynamodb_call() {
    let api = TestApi::start().await;
    api.user_with_token("susan").await;
    let refresh_routes: Vec<_> = ROUTES
        .iter()
        .filter(|r| r.auth == Auth::RefreshToken)
        .collect();
    assert!(!refresh_routes.is_empty());
    for route in refresh_routes {
        for token in ["x", "not-a-refresh-token-at-all", &"A".repeat(200)] {
            let body = serde_json::json!({ "refresh_token": token }).to_string();
            let (reply, used) = api
                .call_recorded(route.method, route.path, &[], Some(&body))
                .await;
            reply.assert_error(401, "");
            assert!(
                used.is_empty(),
                "{} {token:?} called DynamoDB: {used:?}",
                route.function
            );
        }
    }
}

#[tokio::test]
async fn hostile_input_never_causes_a_5xx() {
    let api = TestApi::start().await;
    let (id, token) = api.user_with_token("susan").await;
    let bearer = bearer(&token);
    let long_name = "a".repeat(5000);
    let bodies = [
        "",
        "null",
        "{}",
        "[]",
        "\"str\"",
        "{\"username\": null}",
        "{\"username\": {\"$ne\": 1}}",
        "{\"username\": \"\\u0000\"}",
        "{\"email\": \"a@b.co\\u0000\"}",
        "{{{{",
        "\u{feff}{}",
        &format!("{{\"username\": \"{long_name}\"}}"),
    ];
    for body in bodies {
        for (method, path) in [
            ("POST", "/api/users".to_string()),
            ("PUT", format!("/api/users/{id}")),
        ] {
            let reply = api
                .call(method, &path, &[("authorization", &bearer)], Some(body))
                .await;
            // `{}` and a null username are valid, empty updates; the rest is a 4xx.
            let ok = if method == "PUT" && matches!(body, "{}" | "{\"username\": null}") {
                200..201
            } else {
                400..500
            };
            assert!(
                ok.contains(&reply.status),
                "{method} {path} {body:?}: {} {}",
                reply.status,
                reply.body
            );
            reply.json();
        }
    }
    let basic = format!("Basic {}", base64_of(&format!("{long_name}:{long_name}")));
    assert_eq!(
        api.call("POST", "/api/tokens", &[("authorization", &basic)], None)
            .await
            .status,
        401
    );
    for path in [
        format!("/api/users/{long_name}"),
        "/api/users/%00".to_string(),
        "/api/users/1?page=1".to_string(),
        "/api/users?page=99999999999999999999".to_string(),
        "/api/users?per_page=18446744073709551615".to_string(),
    ] {
        let reply = api.get(&path, &token).await;
        assert!(
            reply.status < 500,
            "{path}: {} {}",
            reply.status,
            reply.body
        );
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn an_unknown_path_is_named_as_received_and_cut_short() {
    let api = TestApi::start().await;
    api.call("GET", "/api/users/7/../6", &[], None)
        .await
        .assert_error(404, "there is no route GET /api/users/7/../6");
    let long = format!("/api/{}", "x".repeat(20_000));
    let message = api
        .call("GET", &long, &[], None)
        .await
        .assert_error(404, "there is no route GET /api/xxx");
    assert!(message.len() < 300, "{} bytes", message.len());
}
