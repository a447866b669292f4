//! Every file, or part of a file, derived from the code rather than written:
//! template.yaml (from template.in.yaml and the route table),
//! docs/openapi.json (from the handlers' operations), README's route table
//! (from the route table and each operation's summary) and
//! docs/ARCHITECTURE.md's measured cost of every sample event. [`REGENERATE`]
//! writes them all; a test of each fails when the committed text is not
//! what this module makes.

use std::path::Path;

use microblog_shared::routes::{Auth, ROUTES};
use serde_json::Value;

use crate::cost::{measure, EventCost};
use crate::events::sample_events;

/// The one command that writes every derived file.
pub const REGENERATE: &str = "cargo run -p microblog-tests --bin regenerate";

/// The header of README's route table (the rows follow, one per route).
pub const ROUTE_TABLE_HEADER: &str = "| route | credentials | what it does |\n|---|---|---|";

/// The route table of README.md: every route in the route table's order,
/// the credentials it asks for, and its operation's summary (the first
/// paragraph of its handler's doc comment).
pub fn route_table() -> String {
    let document: Value =
        serde_json::from_str(&microblog_functions::openapi::json()).expect("the document is JSON");
    let mut table = String::from(ROUTE_TABLE_HEADER);
    for route in ROUTES {
        let operation = &document["paths"][route.path][route.method.to_lowercase()];
        let summary = operation["summary"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no summary", route.key()))
            .replace('\n', " ");
        let credentials = match route.auth {
            Auth::None => "none",
            Auth::Basic => "HTTP Basic",
            Auth::Bearer => "Bearer",
            Auth::RefreshToken => "a refresh token in the body",
        };
        table.push_str(&format!(
            "\n| `{}` | {credentials} | {summary} |",
            route.key()
        ));
    }
    table
}

/// The measured-cost table of docs/ARCHITECTURE.md, a row per sample event
/// in file order; `Err` names the events that could not be measured.
pub async fn cost_table() -> Result<String, Vec<String>> {
    let mut table = String::from(EventCost::HEADER);
    let mut problems = Vec::new();
    for sample in sample_events() {
        match measure(&sample).await {
            Ok(cost) => {
                table.push('\n');
                table.push_str(&cost.row());
            }
            Err(e) => problems.push(format!("{}: {e}", sample.file())),
        }
    }
    if problems.is_empty() {
        Ok(table)
    } else {
        Err(problems)
    }
}

/// Where the Markdown table of `text` whose first line is `header`'s
/// first line starts and ends (it runs while lines start with `|`).
fn table_span(text: &str, header: &str) -> Option<(usize, usize)> {
    let first = header.lines().next()?;
    let start = text.find(&format!("\n{first}\n"))? + 1;
    let mut end = start;
    for line in text[start..].split_inclusive('\n') {
        if !line.starts_with('|') {
            break;
        }
        end += line.len();
    }
    Some((start, end))
}

/// `text` with the table [`table_span`] finds replaced by `table`; `None`
/// if `text` has no such table.
pub fn replace_table(text: &str, header: &str, table: &str) -> Option<String> {
    let (start, end) = table_span(text, header)?;
    Some(format!("{}{table}\n{}", &text[..start], &text[end..]))
}

/// The table of `text` that [`replace_table`] would replace.
pub fn table_in<'a>(text: &'a str, header: &str) -> Option<&'a str> {
    let (start, end) = table_span(text, header)?;
    Some(text[start..end].trim_end_matches('\n'))
}

/// Writes `text` to `path` (relative to `root`) if it differs; whether it
/// did.
pub fn write_if_changed(root: &Path, path: &str, text: &str) -> std::io::Result<bool> {
    let path = root.join(path);
    if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    std::fs::write(&path, text)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_is_found_and_replaced_whole_and_what_surrounds_it_kept() {
        let text = "intro\n\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\nafter\n";
        assert_eq!(
            table_in(text, "| a | b |\n|---|---|"),
            Some("| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |")
        );
        assert_eq!(
            replace_table(text, "| a | b |", "| a | b |\n|---|---|\n| 5 | 6 |").as_deref(),
            Some("intro\n\n| a | b |\n|---|---|\n| 5 | 6 |\n\nafter\n")
        );
        assert_eq!(replace_table(text, "| c |", "x"), None);
    }
}
