//! One set of functions everywhere: template.yaml is the one the route
//! table generates, and `events/` has a sample of every function.

use std::collections::BTreeSet;

use microblog_shared::routes::template;
use microblog_tests::declared::{functions, worker_of};
use microblog_tests::events::sample_events;
use microblog_tests::generated::{route_table, table_in, REGENERATE, ROUTE_TABLE_HEADER};
use microblog_tests::lambda_emulator::workspace_root;
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
fn readme_s_route_table_is_the_generated_one() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let committed = table_in(&readme, ROUTE_TABLE_HEADER)
        .unwrap_or_else(|| panic!("README.md has no table headed {ROUTE_TABLE_HEADER:?}"));
    assert!(
        committed == route_table(),
        "README.md's route table differs from the route table's: run `{REGENERATE}`"
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
