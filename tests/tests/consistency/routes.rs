//! One set of functions and routes everywhere: template.yaml, `ROUTES`,
//! `functions/`, the local dispatcher and `events/`.

use std::collections::BTreeSet;

use microblog_local::dispatch::FUNCTIONS;
use microblog_tests::events::sample_events;
use microblog_tests::lambda_emulator::{function_names, workspace_root};
use microblog_tests::template::{logical_id, route_keys, Template};

/// Fails unless `found` names exactly the functions of `ROUTES` (and the
/// fallback), saying which are missing from `place` and how to add them,
/// and which `place` has that no route declares.
#[track_caller]
fn assert_names_every_function(place: &str, fix: &str, found: impl IntoIterator<Item = String>) {
    let found: BTreeSet<String> = found.into_iter().collect();
    let declared: BTreeSet<String> = route_keys().into_keys().collect();
    let missing: Vec<&String> = declared.difference(&found).collect();
    let unknown: Vec<&String> = found.difference(&declared).collect();
    assert!(missing.is_empty(), "{place} lacks {missing:?}: {fix}");
    assert!(
        unknown.is_empty(),
        "{place} has {unknown:?}, which no route in shared/src/routes.rs declares"
    );
}

#[test]
fn every_route_has_its_crate_in_functions() {
    assert_names_every_function(
        "functions/",
        "add the crate functions/<name>/ (lib.rs with the handler, main.rs)",
        function_names().expect("functions/ lists"),
    );
}

#[test]
fn every_route_has_its_function_in_the_template_with_the_same_route() {
    let template = Template::load();
    let functions = template.functions();
    assert_names_every_function(
        "template.yaml",
        "add <Name>Function with its HttpApi event and DynamoDB policy",
        functions.keys().cloned(),
    );
    let keys = route_keys();
    for (name, function) in &functions {
        assert_eq!(function.route_key(), keys[name], "the route of {name}");
        assert_eq!(
            function.logical_id,
            logical_id(name),
            "logical id of {name}"
        );
    }
}

#[test]
fn every_route_is_dispatched_by_the_local_server() {
    assert_names_every_function(
        "local/Cargo.toml",
        "add `<name> = { path = \"../functions/<name>\" }` to its dependencies",
        FUNCTIONS.iter().map(|f| f.to_string()),
    );
    let unique: BTreeSet<&str> = FUNCTIONS.iter().copied().collect();
    assert_eq!(unique.len(), FUNCTIONS.len(), "FUNCTIONS has no duplicates");
}

#[test]
fn every_route_has_sample_events_with_a_success_case() {
    let events = sample_events();
    assert_names_every_function(
        "events/",
        "add events/<name>.json and events/<name>.expect.json",
        events.iter().map(|e| e.function.clone()),
    );
    for name in route_keys().keys() {
        assert!(
            events
                .iter()
                .any(|e| &e.function == name && e.case.is_none()),
            "events/{name}.json, the success case, is missing"
        );
    }
}

#[test]
fn every_function_crate_builds_a_binary_of_its_own_name() {
    // SAM's cargo-lambda build looks for a binary named as the directory.
    let root = workspace_root();
    for name in function_names().expect("functions/ lists") {
        let dir = root.join("functions").join(&name);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("a manifest");
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "functions/{name}/Cargo.toml must name its package {name}"
        );
        assert!(
            dir.join("src/main.rs").exists(),
            "functions/{name} has a binary"
        );
    }
}
