//! The DynamoDB cost of every operation, measured: each sample event in
//! `events/` (found afresh on every run, so a new operation's events are
//! covered as soon as they exist) runs with `ReturnConsumedCapacity` on
//! every call (`microblog_tests::cost`), and the RCU and WCU the engine
//! reports must be those docs/ARCHITECTURE.md lists for it.

use std::collections::BTreeMap;

use microblog_tests::cost::{measure, EventCost};
use microblog_tests::events::sample_events;
use microblog_tests::generated::REGENERATE;
use microblog_tests::lambda_emulator::workspace_root;

const DOC: &str = "docs/ARCHITECTURE.md";
const SECTION: &str = "### Measured cost of every sample event";

/// The rows of the measured-cost table in the docs, by event name.
fn documented() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(workspace_root().join(DOC)).expect("docs/ARCHITECTURE.md");
    let start = text
        .find(SECTION)
        .unwrap_or_else(|| panic!("{DOC} has no section {SECTION:?}"));
    let section = &text[start + SECTION.len()..];
    let section = &section[..section.find("\n#").unwrap_or(section.len())];
    section
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| `")?;
            let name = &rest[..rest.find('`')?];
            Some((name.to_string(), line.trim_end().to_string()))
        })
        .collect()
}

#[tokio::test]
async fn every_sample_event_costs_what_the_architecture_doc_says() {
    let documented = documented();
    let mut problems = Vec::new();
    let mut measured = Vec::new();
    for sample in sample_events() {
        match measure(&sample).await {
            Ok(cost) => measured.push(cost),
            Err(e) => problems.push(format!("{}: {e}", sample.file())),
        }
    }
    for cost in &measured {
        match documented.get(&cost.event) {
            None => problems.push(format!(
                "{DOC} has no row for {}; add, in {SECTION:?}:\n{}",
                cost.event,
                cost.row()
            )),
            Some(row) if *row != cost.row() => problems.push(format!(
                "{DOC} says of {}:\n{row}\nbut it measured:\n{}",
                cost.event,
                cost.row()
            )),
            Some(_) => {}
        }
    }
    for event in documented.keys() {
        if !measured.iter().any(|c: &EventCost| &c.event == event) {
            problems.push(format!(
                "{DOC} lists {event}, which is no sample event in events/: remove its row"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n\n(`{REGENERATE}` writes the measured table)",
        problems.join("\n")
    );
}

#[test]
fn the_table_has_rows_for_events_that_exist() {
    // A parse that finds nothing would let the test above pass vacuously.
    let documented = documented();
    assert!(documented.contains_key("get_user"), "{documented:?}");
}
