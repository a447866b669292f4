//! One set of functions everywhere: template.yaml, `ROUTES` and `WORKERS`,
//! `functions/`, the local server and `events/`.

use std::collections::BTreeSet;

use microblog_local::dispatch::FUNCTIONS;
use microblog_shared::routes::template::{self, REGENERATE};
use microblog_tests::declared::{functions, http_functions, worker_of};
use microblog_tests::events::sample_events;
use microblog_tests::lambda_emulator::{function_names, workspace_root};
use microblog_tests::template::{route_keys, Template};

/// Fails unless `found` names exactly the functions `declared` lists,
/// saying which are missing from `place` and how to add them, and which
/// `place` has that shared/src/routes/mod.rs does not declare there.
#[track_caller]
fn assert_names_exactly(
    declared: impl IntoIterator<Item = &'static str>,
    place: &str,
    fix: &str,
    found: impl IntoIterator<Item = String>,
) {
    let found: BTreeSet<String> = found.into_iter().collect();
    let declared: BTreeSet<String> = declared.into_iter().map(str::to_string).collect();
    let missing: Vec<&String> = declared.difference(&found).collect();
    let unknown: Vec<&String> = found.difference(&declared).collect();
    assert!(missing.is_empty(), "{place} lacks {missing:?}: {fix}");
    assert!(
        unknown.is_empty(),
        "{place} has {unknown:?}, which no route or worker in shared/src/routes/mod.rs declares there"
    );
}

/// [`assert_names_exactly`] every function: each route's, the fallback
/// and the workers.
#[track_caller]
fn assert_names_every_function(place: &str, fix: &str, found: impl IntoIterator<Item = String>) {
    assert_names_exactly(functions(), place, fix, found);
}

#[test]
fn every_function_has_its_crate_in_functions() {
    assert_names_every_function(
        "functions/",
        "add the crate functions/<name>/ (lib.rs with the handler, main.rs)",
        function_names().expect("functions/ lists"),
    );
}

#[test]
fn the_committed_template_is_the_generated_one() {
    let path = workspace_root().join("template.yaml");
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is missing ({e}): run `{REGENERATE}`", path.display()));
    assert!(
        committed == template::render(),
        "template.yaml differs from the one template.in.yaml and shared/src/routes/ generate: run `{REGENERATE}`"
    );
}

#[test]
fn every_function_in_the_template_has_its_route_or_its_trigger() {
    let template = Template::load();
    let functions = template.functions();
    let keys = route_keys();
    let mut problems = Vec::new();
    for (name, function) in &functions {
        match worker_of(name) {
            Some(worker) => problems.extend(function.trigger_problems(worker.trigger, &template)),
            None => assert_eq!(function.route_key(), keys[name], "the route of {name}"),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_http_function_is_dispatched_by_the_local_server_and_no_worker_is() {
    assert_names_exactly(
        http_functions(),
        "local's HTTP dispatcher (FUNCTIONS)",
        "add `<name> = { path = \"../functions/<name>\" }` to local/Cargo.toml's dependencies; a worker also needs `[package.metadata.microblog] trigger = ...` in its own Cargo.toml",
        FUNCTIONS.iter().map(|f| f.to_string()),
    );
    let unique: BTreeSet<&str> = FUNCTIONS.iter().copied().collect();
    assert_eq!(unique.len(), FUNCTIONS.len(), "FUNCTIONS has no duplicates");
}

#[test]
fn every_worker_crate_declares_its_trigger_and_no_http_crate_does() {
    // local/build.rs reads this to keep workers out of the HTTP dispatcher;
    // the local server runs them from their trigger (local/src/stream.rs).
    let root = workspace_root();
    for name in functions() {
        let manifest =
            std::fs::read_to_string(root.join("functions").join(name).join("Cargo.toml"))
                .unwrap_or_else(|e| panic!("functions/{name}/Cargo.toml: {e}"));
        let declared = manifest
            .lines()
            .find_map(|l| l.trim().strip_prefix("trigger ="))
            .map(|v| v.trim().trim_matches('"').to_string());
        let expected = worker_of(name).map(|w| match w.trigger {
            microblog_shared::routes::Trigger::TableStream => "table-stream".to_string(),
        });
        assert_eq!(
            declared, expected,
            "functions/{name}/Cargo.toml: [package.metadata.microblog] trigger"
        );
    }
}

#[test]
fn every_function_has_sample_events_with_a_success_case() {
    let events = sample_events();
    assert_names_every_function(
        "events/",
        "add events/<name>.json and events/<name>.expect.json",
        events.iter().map(|e| e.function.clone()),
    );
    for name in functions() {
        assert!(
            events
                .iter()
                .any(|e| e.function == name && e.case.is_none()),
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
