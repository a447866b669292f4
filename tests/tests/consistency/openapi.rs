//! The OpenAPI document: committed as docs/openapi.json exactly as the code
//! generates it, and describing exactly the routes of the route table.

use std::collections::BTreeSet;

use microblog_functions::openapi;
use microblog_shared::routes::{Auth, ROUTES};
use microblog_tests::lambda_emulator::workspace_root;
use serde_json::Value;

use microblog_tests::generated::REGENERATE;

fn document() -> Value {
    serde_json::from_str(&openapi::json()).expect("the document is JSON")
}

/// (method, path, operation id) of every operation in the document.
fn operations(document: &Value) -> BTreeSet<(String, String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let id = operation["operationId"].as_str().unwrap_or("<none>");
            found.insert((method.to_uppercase(), path.clone(), id.to_string()));
        }
    }
    found
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let path = workspace_root().join("docs/openapi.json");
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is missing ({e}): run `{REGENERATE}`", path.display()));
    assert!(
        committed == openapi::json(),
        "docs/openapi.json differs from the document the code generates: run `{REGENERATE}`"
    );
}

#[test]
fn the_document_has_exactly_the_routes_of_the_route_table_named_after_their_functions() {
    let declared: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.to_string(),
                r.function.to_string(),
            )
        })
        .collect();
    let documented = operations(&document());
    let undocumented: Vec<_> = declared.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&declared).collect();
    assert!(
        undocumented.is_empty(),
        "routes without an operation in the OpenAPI document: {undocumented:?}; describe it with \
         #[utoipa::path] on the handler in functions/src/bin/<function>.rs, operation_id = the function"
    );
    assert!(
        unrouted.is_empty(),
        "operations no route of shared/src/routes/mod.rs serves: {unrouted:?}"
    );
}

#[test]
fn the_document_is_openapi_3_1_with_basic_and_bearer_schemes() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
}

#[test]
fn every_operation_documents_its_errors_with_the_error_schema_and_needs_the_right_credentials() {
    let document = document();
    let mut problems = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            let security = operation["security"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let scheme = security
                .first()
                .and_then(|s| s.as_object())
                .and_then(|s| s.keys().next().cloned());
            let route = ROUTES.iter().find(|r| r.function == id);
            // A refresh's credential is the refresh token in its body.
            let expected = match route.map(|r| r.auth) {
                Some(Auth::Basic) => Some("basic".to_string()),
                Some(Auth::Bearer) => Some("bearer".to_string()),
                _ => None,
            };
            if scheme != expected {
                problems.push(format!(
                    "{method} {path}: security {scheme:?}, expected {expected:?}"
                ));
            }
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses {
                if status.starts_with(['4', '5']) {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    if schema != "#/components/schemas/MicroblogError" {
                        problems.push(format!(
                            "{method} {path} {status}: body is not the MicroblogError schema"
                        ));
                    }
                }
            }
            if expected.is_some() && !responses.contains_key("401") {
                problems.push(format!("{method} {path}: no 401"));
            }
            if operation.get("requestBody").is_some() && !responses.contains_key("400") {
                problems.push(format!(
                    "{method} {path}: takes a body but documents no 400"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_created_user_or_post_links_to_its_get() {
    let document = document();
    for (path, get) in [("/api/users", "get_user"), ("/api/posts", "get_post")] {
        let links = &document["paths"][path]["post"]["responses"]["201"]["links"];
        let to_get = links
            .as_object()
            .and_then(|l| l.values().find(|link| link["operationId"] == get))
            .unwrap_or_else(|| panic!("POST {path} has no link to {get}: {links}"));
        assert_eq!(to_get["parameters"]["path.id"], "$response.body#/id");
    }
}

#[test]
fn every_schema_referenced_is_defined() {
    let document = document();
    let text = document.to_string();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            schemas.contains_key(name),
            "{name} is referenced but not defined"
        );
    }
}

#[test]
fn every_get_of_a_resource_documents_its_etag_and_every_put_of_one_its_if_match() {
    let document = document();
    let mut problems = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            if responses.get("200").is_none() || path == "/api/openapi.json" {
                continue;
            }
            let headers: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "header")
                .filter_map(|p| p["name"].as_str())
                .collect();
            // A PUT replacing a resource; not one that issues tokens, nor a
            // moderator's decision on a report, which closes it once (a
            // second is a 409: the condition If-Match would add).
            let expected = match method.as_str() {
                "get" => Some(("If-None-Match", "304")),
                "put" if path.ends_with("{id}") && path != "/api/reports/{id}" => {
                    Some(("If-Match", "412"))
                }
                _ => None,
            };
            let Some((header, status)) = expected else {
                continue;
            };
            if responses["200"]["headers"].get("ETag").is_none() {
                problems.push(format!("{method} {path}: its 200 has no ETag"));
            }
            if !headers.contains(&header) || responses.get(status).is_none() {
                problems.push(format!("{method} {path}: no {header} or no {status}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_parameter_may_be_null_and_only_path_parameters_are_required() {
    let document = document();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = &parameter["name"];
                let types = &parameter["schema"]["type"];
                assert!(
                    !types
                        .as_array()
                        .is_some_and(|t| t.contains(&Value::from("null"))),
                    "{method} {path}: parameter {name} may be null: {types}"
                );
                assert_eq!(
                    parameter["required"] == true,
                    parameter["in"] == "path",
                    "{method} {path}: parameter {name}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} parameters");
}

#[test]
fn every_answer_of_a_conditional_get_documents_vary_and_cache_control() {
    let document = document();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let responses = &item["get"]["responses"];
        if responses.get("304").is_none() {
            continue;
        }
        for status in ["200", "304"] {
            let headers = &responses[status]["headers"];
            for header in ["ETag", "Cache-Control", "Vary"] {
                assert!(
                    headers.get(header).is_some(),
                    "GET {path} {status} does not document {header}"
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} conditional GETs");
}
