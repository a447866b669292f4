//! How each function is built, sized and logged.

use std::collections::BTreeSet;
use std::time::Duration;

use microblog_shared::routes::route_of;
use microblog_tests::declared::worker_of;
use microblog_tests::template::{reference, Template};
use serde_json::json;

#[test]
fn every_function_is_an_arm64_rust_binary_with_json_logs_kept_by_its_own_log_group() {
    let template = Template::load();
    for (name, f) in template.functions() {
        let id = &f.logical_id;
        assert_eq!(f.property("Runtime"), "provided.al2023", "{id}");
        assert_eq!(f.property("Architectures"), &json!(["arm64"]), "{id}");
        assert_eq!(f.property("Handler"), "bootstrap", "{id}");
        assert_eq!(
            f.property("CodeUri"),
            ".",
            "{id}: the workspace root, where cargo-lambda runs"
        );
        assert_eq!(
            f.metadata,
            json!({ "BuildMethod": "rust-cargolambda", "BuildProperties": { "Binary": name } }),
            "{id}"
        );
        let timeout = f.property("Timeout").as_u64().expect("a literal Timeout");
        if worker_of(&name).is_some() {
            // No client waits; Lambda allows 15 minutes.
            assert!((1..=900).contains(&timeout), "{id}: Timeout up to 900 s");
        } else {
            assert!(
                (1..30).contains(&timeout),
                "{id}: Timeout below API Gateway's 30 s"
            );
        }

        let variables = &f.property("Environment")["Variables"];
        assert_eq!(variables["TABLE_NAME"], reference("Table"), "{id}");
        assert_eq!(
            variables["TOKEN_TTL_SECONDS"],
            reference("TokenTtlSeconds"),
            "{id}"
        );
        assert_eq!(
            f.property("Tracing"),
            &json!({ "Fn::If": ["TracingEnabled", "Active", "PassThrough"] }),
            "{id}: X-Ray switched by a parameter"
        );

        let logging = f.property("LoggingConfig");
        assert_eq!(logging["LogFormat"], "JSON", "{id}");
        let group = logging["LogGroup"]["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: LoggingConfig.LogGroup is a !Ref"));
        let group = template.resource(group);
        assert_eq!(group["Type"], "AWS::Logs::LogGroup", "{id}");
        assert_eq!(
            group["Properties"]["RetentionInDays"],
            reference("LogRetentionInDays"),
            "{id}"
        );
    }
}

#[test]
fn every_function_outlasts_its_worst_case_against_a_failing_dynamodb() {
    // A request against a failing DynamoDB ends at its first failed call,
    // which the operation timeout bounds; a write whose answer was lost
    // makes one more call to undo it; a contended transaction waits in
    // backoff first. Add a second for argon2 at 256 MB, cold start and
    // the fast calls before. The function must not time out first, or the
    // client gets API Gateway's opaque 500 instead of our 503.
    let operation = Duration::from_millis(microblog_shared::config::DEFAULT_OPERATION_TIMEOUT_MS);
    let worst = operation * 2
        + microblog_shared::store::longest_contention_backoff()
        + Duration::from_secs(1);
    let template = Template::load();
    for (_, f) in template.functions() {
        let timeout =
            Duration::from_secs(f.property("Timeout").as_u64().expect("a literal Timeout"));
        assert!(
            timeout >= worst,
            "{}: Timeout {timeout:?} is below the worst case {worst:?} (docs/ARCHITECTURE.md, \"Timeouts and retries\")",
            f.logical_id
        );
    }
}

#[test]
fn functions_that_hash_passwords_get_more_memory_and_so_more_cpu_than_the_rest() {
    let template = Template::load();
    let global = template.globals()["MemorySize"]
        .as_u64()
        .expect("Globals.Function.MemorySize");
    let mut hashing = BTreeSet::new();
    let mut more_memory = BTreeSet::new();
    for (name, f) in template.functions() {
        let memory = f
            .property("MemorySize")
            .as_u64()
            .expect("a literal MemorySize");
        if memory > global {
            more_memory.insert(name.clone());
        }
        if route_of(&name).is_some_and(|r| r.hashes_passwords) {
            assert!(
                memory >= 1024,
                "{name} runs argon2id: give it at least 1024 MB"
            );
            hashing.insert(name);
        }
    }
    assert!(
        !hashing.is_empty(),
        "create_user and get_token hash passwords"
    );
    assert_eq!(more_memory, hashing);
}
