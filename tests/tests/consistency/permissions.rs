//! Least privilege: template.yaml grants each function exactly the DynamoDB
//! access its route declares, and the checks catch any difference, in the
//! template or in what a handler really calls.

use microblog_shared::routes::{Action, FALLBACK_FUNCTION, ROUTES};
use microblog_tests::events::sample_events;
use microblog_tests::recorder::{run_event, undeclared};
use microblog_tests::template::{granted, logical_id, permission_mismatches, Template};
use serde_json::Value;

#[test]
fn every_function_is_granted_exactly_the_dynamodb_access_its_route_declares() {
    let mismatches = permission_mismatches(&Template::load());
    assert!(
        mismatches.is_empty(),
        "template.yaml differs from the declarations in ROUTES:\n{}",
        mismatches.join("\n")
    );
}

/// The action list of the first statement of `function`'s first policy.
fn first_actions<'a>(template: &'a mut Template, function: &str) -> &'a mut Vec<Value> {
    template.doc["Resources"][logical_id(function)]["Properties"]["Policies"][0]["Statement"][0]
        ["Action"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("{function}'s first statement has a list of actions"))
}

#[test]
fn an_action_granted_beyond_the_declaration_is_reported_naming_the_function_and_action() {
    let mut template = Template::load();
    first_actions(&mut template, "get_user").push("dynamodb:PutItem".into());
    let mismatches = permission_mismatches(&template);
    assert!(
        mismatches
            .iter()
            .any(|m| m.contains("(get_user) is granted PutItem on the table")),
        "{mismatches:#?}"
    );
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
}

#[test]
fn a_declared_action_the_template_does_not_grant_is_reported_naming_the_function_and_action() {
    let mut template = Template::load();
    first_actions(&mut template, "create_user").retain(|a| a != "dynamodb:UpdateItem");
    let mismatches = permission_mismatches(&template);
    assert!(
        mismatches
            .iter()
            .any(|m| m.contains("(create_user) is not granted UpdateItem on the table")),
        "{mismatches:#?}"
    );
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
}

#[test]
fn read_only_functions_have_no_write_action_and_the_fallback_no_table_access() {
    let template = Template::load();
    let functions = template.functions();
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        let declared_writes: Vec<_> = route
            .dynamodb
            .iter()
            .filter(|a| a.action.writes())
            .collect();
        assert!(
            declared_writes.is_empty(),
            "{} serves GET but declares {declared_writes:?}",
            route.function
        );
        let granted = granted(&functions[route.function]).expect("a readable policy");
        assert!(
            granted
                .iter()
                .all(|a| !a.action.writes() && a.action != Action::ConditionCheckItem),
            "{} serves GET but may write: {granted:?}",
            route.function
        );
    }
    assert!(
        functions[FALLBACK_FUNCTION]
            .properties
            .get("Policies")
            .is_none(),
        "fallback gets no policy at all"
    );
}

#[tokio::test]
async fn calls_a_function_does_not_declare_are_reported() {
    // get_token's handler checked against get_user's declaration: issuing
    // the token writes, which get_user may not.
    let sample = sample_events()
        .into_iter()
        .find(|e| e.function == "get_token" && e.case.is_none())
        .expect("events/get_token.json");
    let (answer, used) = run_event(&sample, "get_token")
        .await
        .expect("get_token runs");
    assert_eq!(answer.status, 200, "{answer:?}");
    let problems = undeclared("get_user", &used);
    for action in ["PutItem", "UpdateItem"] {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("get_user used {action} on the table"))),
            "{action} not in {problems:#?}"
        );
    }
    assert!(undeclared("get_token", &used).is_empty(), "{used:?}");
}
