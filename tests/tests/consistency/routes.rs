//! One set of functions and routes everywhere: template.yaml, `ROUTES`,
//! `functions/`, the local dispatcher and `events/`.

use std::collections::{BTreeMap, BTreeSet};

use microblog_local::dispatch::FUNCTIONS;
use microblog_tests::events::sample_events;
use microblog_tests::lambda_emulator::{function_names, workspace_root};
use microblog_tests::template::{logical_id, route_keys, Template};

#[test]
fn the_template_routes_the_crates_the_dispatcher_and_the_events_name_the_same_functions() {
    let template = Template::load();
    let functions = template.functions();
    let from_template: BTreeMap<String, String> = functions
        .iter()
        .map(|(name, f)| (name.clone(), f.route_key()))
        .collect();
    let routes = route_keys();
    assert_eq!(
        from_template, routes,
        "template.yaml routes every ROUTES entry, and $default to fallback"
    );
    let names: BTreeSet<String> = routes.keys().cloned().collect();

    let crates: BTreeSet<String> = function_names()
        .expect("functions/ lists")
        .into_iter()
        .collect();
    assert_eq!(crates, names, "one crate in functions/ per route");

    let dispatched: BTreeSet<String> = FUNCTIONS.iter().map(|f| f.to_string()).collect();
    assert_eq!(dispatched, names, "microblog_local::dispatch::FUNCTIONS");
    assert_eq!(
        dispatched.len(),
        FUNCTIONS.len(),
        "FUNCTIONS has no duplicates"
    );

    for (name, function) in &functions {
        assert_eq!(
            function.logical_id,
            logical_id(name),
            "logical id of {name}"
        );
    }

    let events = sample_events();
    let with_events: BTreeSet<String> = events.iter().map(|e| e.function.clone()).collect();
    assert_eq!(with_events, names, "events/ covers exactly the functions");
    for name in &names {
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
