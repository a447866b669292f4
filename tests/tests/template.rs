//! template.yaml against the code it deploys.
//!
//! The SAM template, the route table (`microblog_shared::routes::ROUTES`), the
//! crates in `functions/`, the local dispatcher and the sample events in
//! `events/` describe the same API; these tests keep them in step. They also
//! check that each function's IAM policy grants exactly the DynamoDB actions
//! its code performs (read from the source, see [`source`]), that the table
//! is the one the stores expect, and that every sample event gets its
//! expected answer from its function on a freshly seeded table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use lambda_http::Body;
use microblog_local::dispatch::{dispatch, FUNCTIONS};
use microblog_local::engine::Engine;
use microblog_local::seed::seed;
use microblog_shared::routes::{match_path, resolve, Resolved, FALLBACK_FUNCTION, ROUTES};
use microblog_shared::store::items::{BY_TIME_INDEX, EDGE_ORDER, EXPIRES_AT, PK, SK};
use microblog_shared::{App, Config};
use serde_json::{json, Map, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// The template, as JSON with long-form intrinsics
// ---------------------------------------------------------------------------

/// A YAML value as JSON, with CloudFormation's short-form tags spelled out:
/// `!Ref X` becomes `{"Ref": "X"}`, `!GetAtt A.B` `{"Fn::GetAtt": ["A", "B"]}`
/// and any other `!Name v` `{"Fn::Name": v}`.
fn yaml_to_json(value: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).expect("a YAML number is a JSON number"),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| match k {
                    Y::String(k) => (k, yaml_to_json(v)),
                    other => panic!("template.yaml has a non-string key {other:?}"),
                })
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let inner = yaml_to_json(tagged.value);
            let name = tag.trim_start_matches('!');
            match name {
                "Ref" => json!({ "Ref": inner }),
                "Condition" => json!({ "Condition": inner }),
                "GetAtt" => match inner {
                    Value::String(s) => {
                        let (resource, attribute) = s
                            .split_once('.')
                            .unwrap_or_else(|| panic!("!GetAtt {s} has no attribute"));
                        json!({ "Fn::GetAtt": [resource, attribute] })
                    }
                    other => json!({ "Fn::GetAtt": other }),
                },
                _ => json!({ format!("Fn::{name}"): inner }),
            }
        }
    }
}

struct Template {
    doc: Value,
}

/// A function of the template, its properties merged over `Globals.Function`.
#[derive(Debug)]
struct Function {
    logical_id: String,
    metadata: Value,
    properties: Map<String, Value>,
}

impl Function {
    fn property(&self, name: &str) -> &Value {
        self.properties
            .get(name)
            .unwrap_or_else(|| panic!("{} has no {name}, itself or in Globals", self.logical_id))
    }
}

/// `GetUserFunction` for `get_user`.
fn logical_id(function: &str) -> String {
    let mut id = String::new();
    for word in function.split('_') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    id + "Function"
}

impl Template {
    fn load() -> Template {
        let text = read(&root().join("template.yaml"));
        let yaml: serde_norway::Value = serde_norway::from_str(&text)
            .unwrap_or_else(|e| panic!("template.yaml is not YAML: {e}"));
        Template {
            doc: yaml_to_json(yaml),
        }
    }

    fn resources(&self) -> &Map<String, Value> {
        self.doc["Resources"]
            .as_object()
            .expect("Resources is a mapping")
    }

    fn resource(&self, id: &str) -> &Value {
        self.resources()
            .get(id)
            .unwrap_or_else(|| panic!("template.yaml has no resource {id}"))
    }

    fn globals(&self) -> Map<String, Value> {
        self.doc["Globals"]["Function"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    /// Every `AWS::Serverless::Function`, by the binary it runs.
    fn functions(&self) -> BTreeMap<String, Function> {
        let globals = self.globals();
        let mut functions = BTreeMap::new();
        for (id, resource) in self.resources() {
            if resource["Type"] != "AWS::Serverless::Function" {
                continue;
            }
            let metadata = resource["Metadata"].clone();
            let binary = metadata["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_else(|| panic!("{id} names no Metadata.BuildProperties.Binary"))
                .to_string();
            let own = resource["Properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let mut properties = globals.clone();
            for (key, value) in own {
                match (key.as_str(), properties.get_mut(&key)) {
                    // SAM merges maps such as Environment with Globals.
                    (_, Some(Value::Object(global))) if value.is_object() => {
                        merge(global, value);
                    }
                    _ => {
                        properties.insert(key, value);
                    }
                }
            }
            let previous = functions.insert(
                binary.clone(),
                Function {
                    logical_id: id.clone(),
                    metadata,
                    properties,
                },
            );
            assert!(previous.is_none(), "two functions run the binary {binary}");
        }
        functions
    }
}

fn merge(into: &mut Map<String, Value>, from: Value) {
    let Value::Object(from) = from else {
        unreachable!()
    };
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(inner)), value @ Value::Object(_)) => merge(inner, value),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

fn reference(name: &str) -> Value {
    json!({ "Ref": name })
}

/// The route key (`GET /api/users/{id}` or `$default`) of a function's one
/// HttpApi event.
fn route_key(function: &Function) -> String {
    let events = function
        .property("Events")
        .as_object()
        .expect("Events is a mapping");
    assert_eq!(
        events.len(),
        1,
        "{} has one event, its route",
        function.logical_id
    );
    let event = events.values().next().unwrap();
    assert_eq!(event["Type"], "HttpApi", "{}", function.logical_id);
    let properties = &event["Properties"];
    assert_eq!(
        properties["ApiId"],
        reference("HttpApi"),
        "{}",
        function.logical_id
    );
    assert_eq!(
        properties["PayloadFormatVersion"], "2.0",
        "{}",
        function.logical_id
    );
    match (properties.get("Method"), properties.get("Path")) {
        (None, None) => "$default".to_string(),
        (Some(Value::String(method)), Some(Value::String(path))) => format!("{method} {path}"),
        other => panic!(
            "{}: an event needs both Method and Path, or neither: {other:?}",
            function.logical_id
        ),
    }
}

/// The crates in `functions/`, checking that each builds a binary of its
/// directory's name (the name SAM's cargo-lambda build looks for).
fn function_crates() -> BTreeSet<String> {
    let mut crates = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("functions")).expect("functions/ exists") {
        let dir = entry.expect("readable entry").path();
        let manifest = dir.join("Cargo.toml");
        if !manifest.exists() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            read(&manifest).contains(&format!("name = \"{name}\"")),
            "functions/{name}/Cargo.toml must name its package {name}"
        );
        assert!(
            dir.join("src/main.rs").exists(),
            "functions/{name} has a binary"
        );
        crates.insert(name);
    }
    crates
}

fn route_table() -> BTreeMap<String, String> {
    let mut routes: BTreeMap<String, String> = ROUTES
        .iter()
        .map(|r| (r.function.to_string(), format!("{} {}", r.method, r.path)))
        .collect();
    routes.insert(FALLBACK_FUNCTION.to_string(), "$default".to_string());
    routes
}

#[test]
fn the_template_routes_the_crates_the_dispatcher_and_the_events_name_the_same_functions() {
    let template = Template::load();
    let functions = template.functions();
    let from_template: BTreeMap<String, String> = functions
        .iter()
        .map(|(name, f)| (name.clone(), route_key(f)))
        .collect();
    let routes = route_table();
    assert_eq!(
        from_template, routes,
        "template.yaml routes every ROUTES entry, and $default to fallback"
    );

    let names: BTreeSet<String> = routes.keys().cloned().collect();
    assert_eq!(
        function_crates(),
        names,
        "one crate in functions/ per route"
    );
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
    for event in &events {
        assert_eq!(
            event.event["routeKey"].as_str(),
            Some(routes[&event.function].as_str()),
            "routeKey of events/{}",
            event.file_name()
        );
    }
}

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
        assert!(
            (1..30).contains(&timeout),
            "{id}: Timeout below API Gateway's 30 s"
        );

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
fn functions_that_hash_passwords_get_more_memory_and_so_more_cpu_than_the_rest() {
    let template = Template::load();
    let global = template.globals()["MemorySize"]
        .as_u64()
        .expect("Globals.Function.MemorySize");
    let mut hashing = BTreeSet::new();
    let mut more_memory = BTreeSet::new();
    for (name, f) in template.functions() {
        let runs_argon2 =
            microblog_shared::routes::route_of(&name).is_some_and(|r| r.hashes_passwords);
        if runs_argon2 {
            hashing.insert(name.clone());
        }
        let memory = f
            .property("MemorySize")
            .as_u64()
            .expect("a literal MemorySize");
        if memory > global {
            more_memory.insert(name.clone());
        }
        if runs_argon2 {
            assert!(
                memory >= 1024,
                "{name} runs argon2id: give it at least 1024 MB"
            );
        }
    }
    assert!(
        !hashing.is_empty(),
        "the routes declare argon2 in create_user and get_token"
    );
    assert_eq!(more_memory, hashing);
}

// ---------------------------------------------------------------------------
// Least privilege
// ---------------------------------------------------------------------------

/// The DynamoDB actions a function's policy allows, on the table or index.
fn granted(template: &Template, f: &Function) -> BTreeSet<source::Access> {
    let mut granted = BTreeSet::new();
    let Some(policies) = f.properties.get("Policies") else {
        return granted;
    };
    let id = &f.logical_id;
    let policies = policies
        .as_array()
        .unwrap_or_else(|| panic!("{id}: Policies is a list"));
    for policy in policies {
        let statements = policy["Statement"].as_array().unwrap_or_else(|| {
            panic!("{id}: each policy is an inline {{Statement: [...]}}, got {policy}")
        });
        for statement in statements {
            assert_eq!(statement["Effect"], "Allow", "{id}");
            let keys: BTreeSet<&str> = statement
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                keys,
                BTreeSet::from(["Effect", "Action", "Resource"]),
                "{id}: plain statements only"
            );
            let actions = one_or_many(&statement["Action"]);
            let resources = one_or_many(&statement["Resource"]);
            for resource in &resources {
                let target = target_of(template, resource).unwrap_or_else(|| {
                    panic!("{id}: a resource must be the table's ARN or its by_time index, got {resource}")
                });
                for action in &actions {
                    let action = action
                        .as_str()
                        .unwrap_or_else(|| panic!("{id}: {action} is not a string"));
                    let name = action
                        .strip_prefix("dynamodb:")
                        .unwrap_or_else(|| panic!("{id}: {action} is not a DynamoDB action"));
                    assert!(!name.contains('*'), "{id}: no wildcard actions ({action})");
                    granted.insert((name.to_string(), target));
                }
            }
        }
    }
    granted
}

fn one_or_many(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

fn target_of(template: &Template, resource: &Value) -> Option<source::Target> {
    let table_arn = json!({ "Fn::GetAtt": ["Table", "Arn"] });
    if resource == &table_arn {
        return Some(source::Target::Table);
    }
    let sub = resource.get("Fn::Sub")?.as_str()?;
    let index = sub.strip_prefix("${Table.Arn}/index/")?;
    assert_eq!(index, BY_TIME_INDEX, "the only index is {BY_TIME_INDEX}");
    assert_eq!(template.resource("Table")["Type"], "AWS::DynamoDB::Table");
    Some(source::Target::Index)
}

#[test]
fn every_function_is_granted_exactly_the_dynamodb_actions_its_code_performs() {
    let template = Template::load();
    let mut source = source::Source::new(root());
    let mut failures = Vec::new();
    for (name, f) in template.functions() {
        let needed = source.function(&name).accesses;
        let granted = granted(&template, &f);
        if needed != granted {
            let missing: Vec<_> = needed.difference(&granted).collect();
            let excess: Vec<_> = granted.difference(&needed).collect();
            failures.push(format!(
                "{} ({name}): missing {missing:?}, not needed {excess:?}",
                f.logical_id
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "policies differ from what the code does:\n{}",
        failures.join("\n")
    );
}

#[test]
fn read_only_functions_have_no_write_action_and_the_fallback_no_table_access() {
    let template = Template::load();
    let functions = template.functions();
    let writes = [
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "ConditionCheckItem",
    ];
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        let granted = granted(&template, &functions[route.function]);
        assert!(
            granted
                .iter()
                .all(|(action, _)| !writes.contains(&action.as_str())),
            "{} serves GET but may write: {granted:?}",
            route.function
        );
    }
    let fallback = &functions[FALLBACK_FUNCTION];
    assert!(
        fallback.properties.get("Policies").is_none(),
        "fallback gets no policy at all"
    );
}

/// What a reader of shared/src/store sees each store method do, to check the
/// source analysis that the least-privilege test relies on.
#[test]
fn the_source_analysis_finds_what_each_store_method_is_known_to_do() {
    use source::Target::{Index, Table};
    type Known<'a> = (&'a str, &'a str, &'a [(&'a str, source::Target)]);
    let known: &[Known] = &[
        ("users", "get", &[("GetItem", Table)]),
        ("users", "get_many", &[("BatchGetItem", Table)]),
        ("users", "id_by_username", &[("GetItem", Table)]),
        ("users", "precheck", &[("GetItem", Table)]),
        // The atomic counter, then one transaction of Puts and an Update.
        (
            "users",
            "create",
            &[("UpdateItem", Table), ("PutItem", Table)],
        ),
        // A transaction: Update the profile, Put and Delete moved markers.
        (
            "users",
            "update",
            &[
                ("UpdateItem", Table),
                ("PutItem", Table),
                ("DeleteItem", Table),
            ],
        ),
        ("users", "count", &[("GetItem", Table)]),
        ("users", "directory_window", &[("Query", Table)]),
        (
            "tokens",
            "issue",
            &[("PutItem", Table), ("UpdateItem", Table)],
        ),
        ("tokens", "find", &[("GetItem", Table)]),
        ("tokens", "revoke", &[("DeleteItem", Table)]),
        (
            "follows",
            "follow",
            &[("UpdateItem", Table), ("PutItem", Table)],
        ),
        // After a cancelled transaction, two GetItems tell why.
        (
            "follows",
            "unfollow",
            &[
                ("UpdateItem", Table),
                ("DeleteItem", Table),
                ("GetItem", Table),
            ],
        ),
        ("follows", "both_exist", &[("GetItem", Table)]),
        ("follows", "is_following", &[("GetItem", Table)]),
        ("follows", "window", &[("Query", Index)]),
    ];
    let mut source = source::Source::new(root());
    for (store, method, expected) in known {
        let expected: BTreeSet<source::Access> =
            expected.iter().map(|(a, t)| (a.to_string(), *t)).collect();
        let found = source.store_method(store, method).accesses;
        assert_eq!(found, expected, "{store}.{method}");
    }
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

fn key_schema(elements: &[(&str, &str)]) -> Value {
    Value::Array(
        elements
            .iter()
            .map(|(name, kind)| json!({ "AttributeName": name, "KeyType": kind }))
            .collect(),
    )
}

#[test]
fn the_table_has_the_keys_index_and_ttl_the_stores_use() {
    let template = Template::load();
    let table = template.resource("Table");
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    let p = &table["Properties"];
    assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(p["KeySchema"], key_schema(&[(PK, "HASH"), (SK, "RANGE")]));
    let attributes: BTreeMap<String, String> = p["AttributeDefinitions"]
        .as_array()
        .expect("AttributeDefinitions")
        .iter()
        .map(|a| {
            (
                a["AttributeName"].as_str().unwrap().into(),
                a["AttributeType"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = [PK, SK, EDGE_ORDER]
        .iter()
        .map(|n| (n.to_string(), "S".to_string()))
        .collect();
    assert_eq!(
        attributes, expected,
        "exactly the key attributes, all strings"
    );
    assert_eq!(
        p["LocalSecondaryIndexes"],
        json!([{
            "IndexName": BY_TIME_INDEX,
            "KeySchema": key_schema(&[(PK, "HASH"), (EDGE_ORDER, "RANGE")]),
            "Projection": { "ProjectionType": "ALL" },
        }])
    );
    assert!(p.get("GlobalSecondaryIndexes").is_none());
    assert_eq!(
        p["TimeToLiveSpecification"],
        json!({ "AttributeName": EXPIRES_AT, "Enabled": true })
    );
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(p["SSESpecification"]["SSEEnabled"], true);
    assert_eq!(
        p["DeletionProtectionEnabled"],
        reference("TableDeletionProtection")
    );
}

/// The same table as `Table::create_if_missing` (the local server's and the
/// tests' table) creates, read back from a local engine.
#[tokio::test]
async fn the_table_is_the_one_the_local_server_creates() {
    let template = Template::load();
    let p = &template.resource("Table")["Properties"];
    let engine = Engine::memory().await.expect("engine starts");
    let app = app_on(&engine);
    assert!(app.create_table_if_missing().await.expect("table created"));
    let client = engine.client();
    let described = client
        .describe_table()
        .table_name(app.table_name())
        .send()
        .await
        .expect("DescribeTable")
        .table
        .expect("a table description");

    let keys = |elements: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
        Value::Array(
            elements
                .iter()
                .map(|k| json!({ "AttributeName": k.attribute_name(), "KeyType": k.key_type().as_str() }))
                .collect(),
        )
    };
    assert_eq!(keys(described.key_schema()), p["KeySchema"]);
    let mut attributes: Vec<Value> = described
        .attribute_definitions()
        .iter()
        .map(|a| json!({ "AttributeName": a.attribute_name(), "AttributeType": a.attribute_type().as_str() }))
        .collect();
    let mut declared = p["AttributeDefinitions"].as_array().unwrap().clone();
    let by_name = |v: &Value| v["AttributeName"].as_str().unwrap().to_string();
    attributes.sort_by_key(by_name);
    declared.sort_by_key(by_name);
    assert_eq!(attributes, declared);
    let indexes: Vec<Value> = described
        .local_secondary_indexes()
        .iter()
        .map(|i| {
            json!({
                "IndexName": i.index_name(),
                "KeySchema": keys(i.key_schema()),
                "Projection": {
                    "ProjectionType": i.projection().and_then(|p| p.projection_type()).map(|t| t.as_str()),
                },
            })
        })
        .collect();
    assert_eq!(Value::Array(indexes), p["LocalSecondaryIndexes"]);
    assert!(described.global_secondary_indexes().is_empty());

    let ttl = client
        .describe_time_to_live()
        .table_name(app.table_name())
        .send()
        .await
        .expect("DescribeTimeToLive")
        .time_to_live_description
        .expect("a TTL description");
    assert_eq!(
        ttl.attribute_name(),
        p["TimeToLiveSpecification"]["AttributeName"].as_str()
    );
    engine.stop().await;
}

// ---------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------

#[test]
fn the_api_is_throttled_by_parameters_and_the_outputs_name_its_url_and_the_table() {
    let template = Template::load();
    let api = template.resource("HttpApi");
    assert_eq!(api["Type"], "AWS::Serverless::HttpApi");
    let p = &api["Properties"];
    assert!(
        p.get("StageName").is_none(),
        "the $default stage, served at the root"
    );
    assert_eq!(
        p["DefaultRouteSettings"]["ThrottlingBurstLimit"],
        reference("ThrottlingBurstLimit")
    );
    assert_eq!(
        p["DefaultRouteSettings"]["ThrottlingRateLimit"],
        reference("ThrottlingRateLimit")
    );
    let cors = &p["CorsConfiguration"]["Fn::If"];
    assert_eq!(cors[0], "CorsEnabled");
    assert_eq!(
        cors[1]["AllowOrigins"],
        json!({ "Fn::Split": [",", reference("CorsOrigins")] })
    );
    let methods: BTreeSet<&str> = cors[1]["AllowMethods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let used: BTreeSet<&str> = ROUTES.iter().map(|r| r.method).collect();
    assert_eq!(methods, used, "CORS allows the methods the routes use");

    let parameters = template.doc["Parameters"].as_object().expect("Parameters");
    for name in [
        "TokenTtlSeconds",
        "ThrottlingRateLimit",
        "ThrottlingBurstLimit",
        "CorsOrigins",
        "LogRetentionInDays",
        "EnableTracing",
        "TableDeletionProtection",
    ] {
        assert!(parameters.contains_key(name), "parameter {name}");
    }
    let ttl = &parameters["TokenTtlSeconds"];
    assert_eq!(
        ttl["Default"],
        microblog_shared::config::DEFAULT_TOKEN_TTL_SECONDS
    );
    assert_eq!(
        ttl["MaxValue"],
        microblog_shared::config::MAX_TOKEN_TTL_SECONDS
    );

    let outputs = &template.doc["Outputs"];
    assert_eq!(outputs["TableName"]["Value"], reference("Table"));
    let url = outputs["ApiUrl"]["Value"]["Fn::Sub"]
        .as_str()
        .expect("ApiUrl is a !Sub");
    assert!(url.starts_with("https://${HttpApi}.execute-api."), "{url}");
}

// ---------------------------------------------------------------------------
// Sample events
// ---------------------------------------------------------------------------

struct SampleEvent {
    function: String,
    case: Option<String>,
    event: Value,
    expect: Value,
}

impl SampleEvent {
    fn file_name(&self) -> String {
        match &self.case {
            Some(case) => format!("{}.{case}.json", self.function),
            None => format!("{}.json", self.function),
        }
    }
}

/// Every `events/<function>[.<case>].json` with its `.expect.json`; panics on
/// any other file but `env.json`.
fn sample_events() -> Vec<SampleEvent> {
    let dir = root().join("events");
    let names: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("events/ exists")
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    let functions = function_crates();
    let parse = |name: &str| -> Value {
        serde_json::from_str(&read(&dir.join(name)))
            .unwrap_or_else(|e| panic!("events/{name} is not JSON: {e}"))
    };
    let mut events = Vec::new();
    for name in &names {
        if name == "env.json" || name.ends_with(".expect.json") {
            let event = name
                .strip_suffix(".expect.json")
                .map(|base| format!("{base}.json"));
            if let Some(event) = event {
                assert!(
                    names.contains(&event),
                    "events/{name} expects the answer to a missing events/{event}"
                );
            }
            continue;
        }
        let base = name
            .strip_suffix(".json")
            .unwrap_or_else(|| panic!("events/{name}: only .json files belong here"));
        let (function, case) = match base.split_once('.') {
            Some((f, c)) => (f.to_string(), Some(c.to_string())),
            None => (base.to_string(), None),
        };
        assert!(
            functions.contains(&function),
            "events/{name} names no function in functions/"
        );
        if let Some(case) = &case {
            assert!(
                !case.is_empty() && case.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "events/{name}: the case is snake_case"
            );
        }
        let expect_name = format!("{base}.expect.json");
        assert!(
            names.contains(&expect_name),
            "events/{name} has no events/{expect_name}"
        );
        events.push(SampleEvent {
            function,
            case,
            event: parse(name),
            expect: parse(&expect_name),
        });
    }
    events
}

fn check_expectation(name: &str, expect: &Value) {
    let object = expect
        .as_object()
        .unwrap_or_else(|| panic!("{name}: an object"));
    for key in object.keys() {
        assert!(
            ["status", "json", "headers"].contains(&key.as_str()),
            "{name}: unknown key {key}"
        );
    }
    let status = object
        .get("status")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{name}: a status"));
    assert!((100..600).contains(&status), "{name}: status {status}");
    if status == 204 {
        assert!(object.get("json").is_none(), "{name}: a 204 has no body");
    }
    if let Some(headers) = object.get("headers") {
        let headers = headers
            .as_object()
            .unwrap_or_else(|| panic!("{name}: headers is an object"));
        for (header, value) in headers {
            assert_eq!(
                header,
                &header.to_ascii_lowercase(),
                "{name}: header names in lower case"
            );
            assert!(value.is_string(), "{name}: header {header} is a string");
        }
    }
}

#[test]
fn every_event_is_an_api_gateway_request_for_its_route_with_a_valid_expectation() {
    let routes = route_table();
    for sample in sample_events() {
        let name = format!("events/{}", sample.file_name());
        let event = &sample.event;
        let request = lambda_http::request::from_str(&event.to_string())
            .unwrap_or_else(|e| panic!("{name}: lambda_http cannot read it: {e}"));

        assert_eq!(event["version"], "2.0", "{name}");
        let context = &event["requestContext"];
        assert_eq!(context["stage"], "$default", "{name}");
        assert_eq!(context["routeKey"], event["routeKey"], "{name}");
        assert_eq!(context["http"]["path"], event["rawPath"], "{name}");
        for field in [
            "accountId",
            "apiId",
            "domainName",
            "domainPrefix",
            "requestId",
            "time",
            "timeEpoch",
        ] {
            assert!(
                context.get(field).is_some(),
                "{name}: requestContext.{field}"
            );
        }
        for field in ["protocol", "sourceIp", "userAgent"] {
            assert!(
                context["http"].get(field).is_some(),
                "{name}: requestContext.http.{field}"
            );
        }
        assert!(
            event["isBase64Encoded"].is_boolean(),
            "{name}: isBase64Encoded"
        );
        assert!(
            event["rawQueryString"].is_string(),
            "{name}: rawQueryString"
        );
        let headers = event["headers"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: headers"));
        for header in headers.keys() {
            assert_eq!(
                header,
                &header.to_ascii_lowercase(),
                "{name}: API Gateway lower-cases {header}"
            );
        }
        let method = context["http"]["method"].as_str().unwrap();
        let path = event["rawPath"].as_str().unwrap();
        assert_eq!(request.method().as_str(), method, "{name}");
        assert_eq!(request.uri().path(), path, "{name}");

        // API Gateway picks the route by method and path, as resolve() does.
        let route_key = &routes[&sample.function];
        assert_eq!(
            event["routeKey"].as_str(),
            Some(route_key.as_str()),
            "{name}"
        );
        match resolve(method, path) {
            Resolved::Route(route, params) => {
                assert_eq!(
                    route.function, sample.function,
                    "{name}: {method} {path} is another route"
                );
                // API Gateway leaves pathParameters out when a route has none.
                let expected: Map<String, Value> = params
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), Value::String(v)))
                    .collect();
                let expected = if expected.is_empty() {
                    Value::Null
                } else {
                    Value::Object(expected)
                };
                assert_eq!(event["pathParameters"], expected, "{name}: pathParameters");
                assert!(match_path(route.path, path).is_some());
            }
            _ => {
                assert_eq!(
                    sample.function, FALLBACK_FUNCTION,
                    "{name}: {method} {path} matches no route"
                );
                assert!(
                    event.get("pathParameters").is_none(),
                    "{name}: $default has no path parameters"
                );
            }
        }
        check_expectation(&format!("{name} (expect)"), &sample.expect);
    }
}

/// `expected` is a subset of `actual`: objects need the expected keys (and
/// may have more), arrays the same length, scalars the same value.
fn subset_mismatch(expected: &Value, actual: &Value, at: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            e.iter().find_map(|(key, value)| match a.get(key) {
                Some(found) => subset_mismatch(value, found, &format!("{at}.{key}")),
                None => Some(format!("{at}.{key} is missing")),
            })
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (e, a))| subset_mismatch(e, a, &format!("{at}[{i}]"))),
        (e, a) if e == a => None,
        (e, a) => Some(format!("{at} is {a}, expected {e}")),
    }
}

fn app_on(engine: &Engine) -> App {
    let config = Config {
        table_name: "microblog".to_string(),
        token_ttl: Duration::from_secs(microblog_shared::config::DEFAULT_TOKEN_TTL_SECONDS),
    };
    App::new(config, engine.client())
}

#[tokio::test]
async fn every_sample_event_gets_its_expected_answer_on_a_freshly_seeded_table() {
    let mut failures = Vec::new();
    for sample in sample_events() {
        let name = format!("events/{}", sample.file_name());
        let engine = Engine::memory().await.expect("engine starts");
        let app = app_on(&engine);
        app.create_table_if_missing().await.expect("table created");
        seed(&app).await.expect("seeded");
        let request =
            lambda_http::request::from_str(&sample.event.to_string()).expect("a valid event");
        let response = dispatch(&app, &sample.function, request)
            .await
            .unwrap_or_else(|| panic!("{name}: no handler for {}", sample.function))
            .unwrap_or_else(|e| panic!("{name}: the handler failed: {e}"));
        engine.stop().await;

        let status = response.status().as_u16();
        let expect = &sample.expect;
        if Some(u64::from(status)) != expect["status"].as_u64() {
            failures.push(format!(
                "{name}: status {status}, expected {}",
                expect["status"]
            ));
        }
        if let Some(headers) = expect.get("headers").and_then(Value::as_object) {
            for (header, value) in headers {
                let actual = response
                    .headers()
                    .get(header.as_str())
                    .and_then(|v| v.to_str().ok());
                if actual != value.as_str() {
                    failures.push(format!(
                        "{name}: header {header} is {actual:?}, expected {value}"
                    ));
                }
            }
        }
        let body: &[u8] = match response.body() {
            Body::Empty => b"",
            Body::Text(text) => text.as_bytes(),
            Body::Binary(bytes) => bytes,
            _ => b"",
        };
        if status == 204 && !body.is_empty() {
            failures.push(format!("{name}: a 204 with a body"));
        }
        if let Some(expected) = expect.get("json") {
            match serde_json::from_slice::<Value>(body) {
                Ok(actual) => {
                    if let Some(mismatch) = subset_mismatch(expected, &actual, "body") {
                        failures.push(format!("{name}: {mismatch} in {actual}"));
                    }
                }
                Err(e) => failures.push(format!("{name}: the body is not JSON: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn env_json_overrides_only_variables_the_template_declares() {
    // `sam local invoke --env-vars` ignores variables a function does not
    // declare, so anything else in events/env.json would silently do nothing.
    let template = Template::load();
    let env: Value =
        serde_json::from_str(&read(&root().join("events/env.json"))).expect("env.json is JSON");
    let overrides = env["Parameters"]
        .as_object()
        .expect("env.json has a Parameters object for every function");
    let declared = template.globals()["Environment"]["Variables"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, value) in overrides {
        assert!(
            declared.contains_key(name),
            "env.json sets {name}, which no function declares"
        );
        assert!(value.is_string(), "env.json: {name} is a string");
    }
    assert_eq!(
        overrides["TABLE_NAME"], "microblog",
        "the table microblog-local seeds by default"
    );
    assert!(overrides.contains_key("AWS_ENDPOINT_URL_DYNAMODB"));
}

// ---------------------------------------------------------------------------
// What the code does to DynamoDB, read from the source
// ---------------------------------------------------------------------------

/// A small reader of this workspace's Rust source that follows a function's
/// handler through the shared library and collects the DynamoDB actions it
/// can reach: SDK calls (`client.get_item()` ...), transaction items
/// (`Put::builder` ...), the `Table` methods that wrap them, store methods
/// (`app.users.get(` ...), and free functions resolved through `use`. It is a
/// text scan, not a compiler: anything it does not recognise on the way to
/// DynamoDB (an unknown SDK operation, `app.<field>` other than the stores) is
/// a panic asking to teach it, never a silent gap.
mod source {
    use std::collections::{BTreeSet, HashMap};
    use std::path::{Path, PathBuf};

    /// Where an action applies.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Target {
        /// The table's ARN.
        Table,
        /// `${Table.Arn}/index/by_time`.
        Index,
    }

    /// A DynamoDB action (`GetItem`) and where it applies.
    pub type Access = (String, Target);

    /// What a function can do.
    #[derive(Debug, Default, Clone)]
    pub struct Analysis {
        /// The DynamoDB actions it can perform.
        pub accesses: BTreeSet<Access>,
        /// Whether it can reach argon2id.
        pub runs_argon2: bool,
    }

    /// The source files, stripped of comments, strings and tests.
    pub struct Source {
        root: PathBuf,
        files: HashMap<PathBuf, String>,
        memo: HashMap<(PathBuf, String), Analysis>,
        active: BTreeSet<(PathBuf, String)>,
    }

    /// `App` fields holding stores, and the store modules.
    const STORES: &[(&str, &str)] = &[
        ("users", "shared/src/store/users.rs"),
        ("tokens", "shared/src/store/tokens.rs"),
        ("follows", "shared/src/store/follows.rs"),
        ("table", "shared/src/store/mod.rs"),
    ];

    /// SDK operations and the IAM action each needs. `None`: authorised per
    /// item (TransactWriteItems: the items' Put/Update/Delete/ConditionCheck).
    const OPERATIONS: &[(&str, Option<&str>)] = &[
        ("get_item", Some("GetItem")),
        ("put_item", Some("PutItem")),
        ("update_item", Some("UpdateItem")),
        ("delete_item", Some("DeleteItem")),
        ("query", Some("Query")),
        ("scan", Some("Scan")),
        ("batch_get_item", Some("BatchGetItem")),
        ("batch_write_item", Some("BatchWriteItem")),
        ("transact_write_items", None),
        ("describe_table", Some("DescribeTable")),
        ("create_table", Some("CreateTable")),
        ("update_time_to_live", Some("UpdateTimeToLive")),
    ];

    /// Transaction item builders and the action each item needs.
    const TRANSACTION_ITEMS: &[(&str, &str)] = &[
        ("Put::", "PutItem"),
        ("Update::", "UpdateItem"),
        ("Delete::", "DeleteItem"),
        ("ConditionCheck::", "ConditionCheckItem"),
    ];

    const KEYWORDS: &[&str] = &[
        "if", "while", "match", "for", "return", "loop", "in", "as", "move", "fn", "let",
    ];

    fn is_ident(c: u8) -> bool {
        c.is_ascii_alphanumeric() || c == b'_'
    }

    /// The code without comments, without the text of string and char
    /// literals, and without a trailing `#[cfg(test)]` module.
    fn strip(text: &str) -> String {
        let text = match text.find("#[cfg(test)]") {
            Some(at) => &text[..at],
            None => text,
        };
        let b = text.as_bytes();
        let mut out = String::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i..].starts_with(b"//") {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            } else if b[i..].starts_with(b"/*") {
                let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                i = end;
                out.push(' ');
            } else if b[i] == b'r'
                && (i == 0 || !is_ident(b[i - 1]))
                && matches!(b.get(i + 1), Some(b'"' | b'#'))
            {
                // A raw string r"..." or r#"..."#.
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let open = i + 1 + hashes;
                if b.get(open) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let end = text[open + 1..]
                    .find(&close)
                    .map_or(b.len(), |e| open + 1 + e + close.len());
                out.push_str("\"\"");
                i = end;
            } else if b[i] == b'"' {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            } else if b[i] == b'\'' {
                // A char literal ('x', '\n', '{') or a lifetime ('a).
                let len = if b.get(i + 1) == Some(&b'\\') {
                    b[i + 2..].iter().position(|&c| c == b'\'').map(|p| p + 3)
                } else {
                    let ch = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + ch) == Some(&b'\'')).then_some(ch + 2)
                };
                match len {
                    Some(len) => {
                        out.push_str("' '");
                        i += len;
                    }
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            } else {
                let ch = text[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        out
    }

    /// Whitespace only where it separates two words, so that
    /// `self\n    .table\n    .get(` reads `self.table.get(`.
    fn compact(code: &str) -> String {
        let b = code.as_bytes();
        let mut out = String::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_whitespace() {
                let start = i;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                let before = start.checked_sub(1).map(|j| b[j]);
                let after = b.get(i).copied();
                if before.is_some_and(is_ident) && after.is_some_and(is_ident) {
                    out.push(' ');
                }
            } else {
                let ch = code[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        out
    }

    /// The identifier starting at `at`, if any.
    fn ident_at(code: &str, at: usize) -> &str {
        let end = code[at..]
            .bytes()
            .position(|c| !is_ident(c))
            .map_or(code.len(), |p| at + p);
        &code[at..end]
    }

    /// Every `name(` call in `code` whose name follows `prefix` (which must
    /// not itself follow an identifier character), as (name, offset).
    fn calls_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(p) = code[from..].find(prefix) {
            let at = from + p;
            from = at + prefix.len();
            if at > 0 && is_ident(code.as_bytes()[at - 1]) {
                continue;
            }
            let name = ident_at(code, at + prefix.len());
            if !name.is_empty() && code[at + prefix.len() + name.len()..].starts_with('(') {
                found.push(name);
            }
        }
        found
    }

    /// Free function calls `name(`: not a method, not a path, not a macro.
    fn free_calls(code: &str) -> Vec<&str> {
        let b = code.as_bytes();
        let mut found = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if is_ident(b[i])
                && (i == 0 || !(is_ident(b[i - 1]) || matches!(b[i - 1], b'.' | b':' | b'\'')))
            {
                let name = ident_at(code, i);
                let next = i + name.len();
                if b.get(next) == Some(&b'(')
                    && !name.as_bytes()[0].is_ascii_digit()
                    && !KEYWORDS.contains(&name)
                {
                    found.push(name);
                }
                i = next;
            } else {
                i += 1;
            }
        }
        found
    }

    /// The body of `fn name` in `code`, braces included.
    fn fn_bodies<'a>(code: &'a str, name: &str) -> Vec<&'a str> {
        let needle = format!("fn {name}");
        let b = code.as_bytes();
        let mut bodies = Vec::new();
        let mut from = 0;
        while let Some(p) = code[from..].find(&needle) {
            let at = from + p;
            from = at + needle.len();
            let before_ok = at == 0 || !is_ident(b[at - 1]);
            let after = code[from..].trim_start().bytes().next();
            if !before_ok || !matches!(after, Some(b'(' | b'<')) {
                continue;
            }
            let Some(open) = code[from..].find(['{', ';']).map(|o| from + o) else {
                continue;
            };
            if b[open] == b';' {
                continue; // a declaration without a body
            }
            let mut depth = 0usize;
            for (j, &c) in b.iter().enumerate().skip(open) {
                match c {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            bodies.push(&code[open..=j]);
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
        bodies
    }

    impl Source {
        pub fn new(root: PathBuf) -> Source {
            Source {
                root,
                files: HashMap::new(),
                memo: HashMap::new(),
                active: BTreeSet::new(),
            }
        }

        fn code(&mut self, file: &Path) -> String {
            if let Some(code) = self.files.get(file) {
                return code.clone();
            }
            let text = std::fs::read_to_string(self.root.join(file))
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            let code = strip(&text);
            self.files.insert(file.to_path_buf(), code.clone());
            code
        }

        /// What the handler of `functions/<name>` can do.
        pub fn function(&mut self, name: &str) -> Analysis {
            let file = PathBuf::from(format!("functions/{name}/src/lib.rs"));
            self.analyse(&file, "handler")
                .unwrap_or_else(|| panic!("functions/{name}/src/lib.rs has no fn handler"))
        }

        /// What `app.<store>.<method>(...)` can do.
        pub fn store_method(&mut self, store: &str, method: &str) -> Analysis {
            let file = STORES
                .iter()
                .find(|(f, _)| *f == store)
                .expect("a known store")
                .1;
            self.analyse(Path::new(file), method)
                .unwrap_or_else(|| panic!("{file} has no fn {method}"))
        }

        /// The module file `segments` names, relative to the module of `file`.
        fn module_file(&self, file: &Path, segments: &[&str]) -> Option<PathBuf> {
            // The directory holding `file`'s child modules, and its crate's src/.
            let src: PathBuf = file.ancestors().find(|a| a.ends_with("src"))?.to_path_buf();
            let stem = file.file_stem()?.to_string_lossy().to_string();
            let own_dir = if stem == "mod" || stem == "lib" || stem == "main" {
                file.parent()?.to_path_buf()
            } else {
                file.parent()?.join(&stem)
            };
            let (mut dir, rest) = match segments.first().copied() {
                Some("crate") => (src, &segments[1..]),
                Some("microblog_shared") => (PathBuf::from("shared/src"), &segments[1..]),
                Some("self") => (own_dir, &segments[1..]),
                Some("super") => {
                    let parent = if stem == "mod" || stem == "lib" {
                        own_dir.parent()?.to_path_buf()
                    } else {
                        file.parent()?.to_path_buf()
                    };
                    (parent, &segments[1..])
                }
                Some(first)
                    if self.exists(&own_dir.join(format!("{first}.rs")))
                        || self.exists(&own_dir.join(first).join("mod.rs")) =>
                {
                    (own_dir, segments)
                }
                _ => return None, // another crate
            };
            for segment in rest {
                dir = dir.join(segment);
            }
            let as_file = dir.with_extension("rs");
            if rest.is_empty() {
                let lib = dir.join("lib.rs");
                let module = dir.join("mod.rs");
                return [lib, module].into_iter().find(|p| self.exists(p));
            }
            if self.exists(&as_file) {
                Some(as_file)
            } else {
                Some(dir.join("mod.rs")).filter(|p| self.exists(p))
            }
        }

        fn exists(&self, relative: &Path) -> bool {
            self.root.join(relative).is_file()
        }

        /// Where `name` comes from, per the `use` items of `file`: the module
        /// path it is imported from.
        fn imported_from(&mut self, file: &Path, name: &str) -> Option<Vec<String>> {
            let code = compact(&self.code(file));
            let mut from = 0;
            while let Some(p) = code[from..].find("use ") {
                let at = from + p;
                from = at + 4;
                if at > 0 && is_ident(code.as_bytes()[at - 1]) {
                    continue;
                }
                let end = code[from..].find(';').map_or(code.len(), |e| from + e);
                let item = &code[from..end];
                for path in expand_use(item) {
                    let (path, alias) = match path.split_once(" as ") {
                        Some((p, a)) => (p.to_string(), a.to_string()),
                        None => {
                            let last = path.rsplit("::").next().unwrap_or(&path).to_string();
                            (path.clone(), last)
                        }
                    };
                    if alias == name {
                        let mut segments: Vec<String> =
                            path.split("::").map(str::to_string).collect();
                        segments.pop();
                        return Some(segments);
                    }
                }
            }
            None
        }

        /// Finds `fn name` for a call made in `file`: in `file` itself, else
        /// where a `use` item imports it from (following re-exports).
        fn resolve(&mut self, file: &Path, name: &str, depth: usize) -> Option<PathBuf> {
            if !fn_bodies(&self.code(file), name).is_empty() {
                return Some(file.to_path_buf());
            }
            if depth > 4 {
                return None;
            }
            let segments = self.imported_from(file, name)?;
            let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
            let module = self.module_file(file, &refs)?;
            let ours = module.starts_with("shared") || module.starts_with("functions");
            if !ours {
                return None;
            }
            match self.resolve(&module, name, depth + 1) {
                Some(found) => Some(found),
                None if name.as_bytes()[0].is_ascii_lowercase() => {
                    panic!(
                        "{}: {name} is imported from {} but its fn was not found",
                        file.display(),
                        module.display()
                    )
                }
                None => None, // a type or tuple struct, not a function
            }
        }

        /// The `impl Table` file defining `fn method`.
        fn table_method(&mut self, method: &str) -> PathBuf {
            let mut found = Vec::new();
            let dir = self.root.join("shared/src/store");
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .expect("shared/src/store")
                .map(|e| PathBuf::from("shared/src/store").join(e.expect("entry").file_name()))
                .collect();
            files.sort();
            for file in files {
                let code = self.code(&file);
                if code.contains("impl Table") && !fn_bodies(&code, method).is_empty() {
                    found.push(file);
                }
            }
            match found.as_slice() {
                [one] => one.clone(),
                _ => panic!(
                    "Table::{method} is defined {} times in shared/src/store",
                    found.len()
                ),
            }
        }

        /// What `fn name` in `file` can do; `None` if it has no such fn.
        fn analyse(&mut self, file: &Path, name: &str) -> Option<Analysis> {
            let key = (file.to_path_buf(), name.to_string());
            if let Some(done) = self.memo.get(&key) {
                return Some(done.clone());
            }
            if !self.active.insert(key.clone()) {
                return Some(Analysis::default()); // recursion: already being counted
            }
            let code = self.code(file);
            let bodies = fn_bodies(&code, name);
            if bodies.is_empty() {
                self.active.remove(&key);
                return None;
            }
            assert_eq!(
                bodies.len(),
                1,
                "{}: fn {name} is defined more than once",
                file.display()
            );
            let body = compact(bodies[0]);
            let mut result = Analysis {
                runs_argon2: body.contains("Argon2::new("),
                ..Analysis::default()
            };
            let add = |result: &mut Analysis, other: Analysis| {
                result.accesses.extend(other.accesses);
                result.runs_argon2 |= other.runs_argon2;
            };

            // SDK operations on a client.
            for prefix in ["client.", "client()."] {
                for op in calls_after(&body, prefix) {
                    let action = OPERATIONS
                        .iter()
                        .find(|(o, _)| *o == op)
                        .unwrap_or_else(|| panic!("{}: unknown DynamoDB operation {op}; teach tests/tests/template.rs", file.display()))
                        .1;
                    if let Some(action) = action {
                        result.accesses.insert((action.to_string(), Target::Table));
                    }
                }
            }
            // Items of a TransactWriteItems.
            for (builder, action) in TRANSACTION_ITEMS {
                if !calls_after(&body, builder).is_empty() {
                    result.accesses.insert((action.to_string(), Target::Table));
                }
            }
            // `app.<store>.<method>(`: store methods. `table.<method>(`
            // (self.table, app.table, a `table` argument): Table methods.
            let mut from = 0;
            while let Some(p) = body[from..].find("app.") {
                let at = from + p;
                from = at + 4;
                if at > 0 && is_ident(body.as_bytes()[at - 1]) {
                    continue;
                }
                let field = ident_at(&body, from);
                if field == "config" || field == "table" {
                    continue; // plain data; app.table is handled below
                }
                let store = STORES.iter().find(|(f, _)| *f == field).unwrap_or_else(|| {
                    panic!(
                        "{}: app.{field} is not a store this test knows; teach it",
                        file.display()
                    )
                });
                let rest = &body[from + field.len()..];
                let method = rest.strip_prefix('.').map(|r| ident_at(r, 0)).unwrap_or("");
                assert!(
                    !method.is_empty() && rest[1 + method.len()..].starts_with('('),
                    "{}: app.{field} is used other than by calling a method; the analysis cannot follow it",
                    file.display()
                );
                let analysis = self
                    .analyse(Path::new(store.1), method)
                    .unwrap_or_else(|| panic!("{} has no fn {method}", store.1));
                add(&mut result, analysis);
            }
            for method in calls_after(&body, "table.") {
                let defined_in = self.table_method(method);
                let mut analysis = self.analyse(&defined_in, method).expect("found above");
                if method == "query_window" {
                    // The call site says whether the Query reads the index.
                    let target = if body.contains("index:Some(") {
                        Target::Index
                    } else if body.contains("index:None") {
                        Target::Table
                    } else {
                        panic!(
                            "{}: a query_window whose index the analysis cannot see",
                            file.display()
                        )
                    };
                    analysis.accesses = analysis
                        .accesses
                        .into_iter()
                        .map(|(a, t)| if a == "Query" { (a, target) } else { (a, t) })
                        .collect();
                }
                add(&mut result, analysis);
            }
            // Methods of the same type, and free functions.
            let mut local: Vec<&str> = calls_after(&body, "self.");
            local.extend(calls_after(&body, "Self::"));
            for method in local {
                if let Some(analysis) = self.analyse(file, method) {
                    add(&mut result, analysis);
                }
            }
            for call in free_calls(&body) {
                if let Some(defined_in) = self.resolve(file, call, 0) {
                    if let Some(analysis) = self.analyse(&defined_in, call) {
                        add(&mut result, analysis);
                    }
                }
            }

            self.active.remove(&key);
            self.memo.insert(key, result.clone());
            Some(result)
        }
    }

    /// The paths a compacted `use` item brings in: `a::b::{c,d::e,self}`
    /// gives `a::b::c`, `a::b::d::e` and `a::b`.
    fn expand_use(item: &str) -> Vec<String> {
        let item = item
            .trim_start_matches("pub ")
            .trim_start_matches("pub(crate) ");
        match item.find('{') {
            None => vec![item.to_string()],
            Some(open) => {
                let prefix = item[..open].trim_end_matches("::");
                let inner = item[open + 1..].trim_end_matches('}');
                let mut parts = Vec::new();
                let mut depth = 0;
                let mut start = 0;
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            parts.push(&inner[start..i]);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                parts.push(&inner[start..]);
                parts
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .flat_map(|p| {
                        if p == "self" {
                            vec![prefix.to_string()]
                        } else {
                            expand_use(&format!("{prefix}::{p}"))
                        }
                    })
                    .collect()
            }
        }
    }
}
