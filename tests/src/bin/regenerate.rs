//! Writes every file derived from the code (`microblog_tests::generated`):
//! template.yaml, docs/openapi.json, README.md's route table and
//! docs/ARCHITECTURE.md's measured costs. Run it after changing a route, a
//! handler's operation, template.in.yaml or a sample event:
//! `cargo run -p microblog-tests --bin regenerate`.

use std::process::ExitCode;

use microblog_tests::cost::EventCost;
use microblog_tests::generated::{
    cost_table, replace_table, route_table, write_if_changed, ROUTE_TABLE_HEADER,
};
use microblog_tests::lambda_emulator::workspace_root;

#[tokio::main]
async fn main() -> ExitCode {
    let root = workspace_root();
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let costs = match cost_table().await {
        Ok(table) => table,
        Err(problems) => {
            eprintln!(
                "cannot measure every sample event:\n{}",
                problems.join("\n")
            );
            return ExitCode::FAILURE;
        }
    };
    let readme = replace_table(&read("README.md"), ROUTE_TABLE_HEADER, &route_table())
        .expect("README.md has the route table");
    let architecture = replace_table(&read("docs/ARCHITECTURE.md"), EventCost::HEADER, &costs)
        .expect("docs/ARCHITECTURE.md has the measured-cost table");
    let files = [
        (
            "template.yaml",
            microblog_shared::routes::template::render(),
        ),
        ("docs/openapi.json", microblog_functions::openapi::json()),
        ("README.md", readme),
        ("docs/ARCHITECTURE.md", architecture),
    ];
    for (path, text) in files {
        match write_if_changed(&root, path, &text) {
            Ok(true) => println!("wrote {path}"),
            Ok(false) => println!("{path} is up to date"),
            Err(e) => {
                eprintln!("cannot write {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
