//! template.yaml as JSON, its functions with `Globals.Function` merged in,
//! the event a worker is triggered by, and the permissions their policies
//! grant, for the consistency tests.

use std::collections::{BTreeMap, BTreeSet};

use microblog_shared::routes::{Access, Action, Resource, Trigger, FALLBACK_FUNCTION, ROUTES};
use serde_json::{json, Map, Value};

use crate::declared::{declared_index, dynamodb_of, functions, trigger_event, worker_of};
use crate::lambda_emulator::workspace_root;
use microblog_shared::routes::leading_keys_of;

/// A YAML value as JSON, with CloudFormation's short-form tags spelled out:
/// `!Ref X` becomes `{"Ref": "X"}`, `!GetAtt A.B` `{"Fn::GetAtt": ["A", "B"]}`
/// and any other `!Name v` `{"Fn::Name": v}`.
pub fn yaml_to_json(value: serde_norway::Value) -> Value {
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

/// `{"Ref": name}`.
pub fn reference(name: &str) -> Value {
    json!({ "Ref": name })
}

pub use microblog_shared::routes::template::logical_id;

/// The route key template.yaml must give each function's HttpApi event: its
/// route's, and API Gateway's `$default` for the fallback.
pub fn route_keys() -> BTreeMap<String, String> {
    let mut keys: BTreeMap<String, String> = ROUTES
        .iter()
        .map(|r| (r.function.to_string(), r.key()))
        .collect();
    keys.insert(FALLBACK_FUNCTION.to_string(), "$default".to_string());
    keys
}

/// The SAM template, with short-form intrinsics in long form.
#[derive(Debug, Clone)]
pub struct Template {
    /// The whole document.
    pub doc: Value,
}

/// A function of the template, its properties merged over `Globals.Function`.
#[derive(Debug, Clone)]
pub struct Function {
    /// Its logical id (`GetUserFunction`).
    pub logical_id: String,
    /// Its `Metadata` (the build method and binary).
    pub metadata: Value,
    /// Its properties, over those of `Globals.Function`.
    pub properties: Map<String, Value>,
}

impl Function {
    /// A property, its own or from Globals; panics naming the function if
    /// it has neither.
    pub fn property(&self, name: &str) -> &Value {
        self.properties
            .get(name)
            .unwrap_or_else(|| panic!("{} has no {name}, itself or in Globals", self.logical_id))
    }

    /// The route key (`GET /api/users/{id}` or `$default`) of its one
    /// HttpApi event; panics unless it has exactly that event.
    pub fn route_key(&self) -> String {
        let id = &self.logical_id;
        let events = self
            .property("Events")
            .as_object()
            .expect("Events is a mapping");
        assert_eq!(events.len(), 1, "{id} has one event, its route");
        let event = events.values().next().expect("one event");
        assert_eq!(event["Type"], "HttpApi", "{id}");
        let properties = &event["Properties"];
        assert_eq!(properties["ApiId"], reference("HttpApi"), "{id}");
        assert_eq!(properties["PayloadFormatVersion"], "2.0", "{id}");
        match (properties.get("Method"), properties.get("Path")) {
            (None, None) => "$default".to_string(),
            (Some(Value::String(method)), Some(Value::String(path))) => format!("{method} {path}"),
            other => panic!("{id}: an event needs both Method and Path, or neither: {other:?}"),
        }
    }
}

/// `{"Fn::GetAtt": [resource, attribute]}`.
pub fn get_att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}

/// What a stream worker's one event must say besides its source and its
/// bounds, property by property.
pub fn stream_event_settings() -> [(&'static str, Value); 3] {
    [
        // Nothing written before the mapping existed is skipped.
        ("StartingPosition", json!("TRIM_HORIZON")),
        // Retried from the first failed record, not the whole batch.
        ("FunctionResponseTypes", json!(["ReportBatchItemFailures"])),
        // A failing batch is halved until the bad record is alone.
        ("BisectBatchOnFunctionError", json!(true)),
    ]
}

impl Function {
    /// Its only event, if it has exactly one.
    fn only_event(&self) -> Option<&Value> {
        let events = self.properties.get("Events")?.as_object()?;
        (events.len() == 1).then(|| events.values().next().expect("one event"))
    }

    /// The logical id of the queue its stream event sends what Lambda gives
    /// up on to (`DestinationConfig.OnFailure.Destination: !GetAtt X.Arn`).
    pub fn on_failure_queue(&self) -> Option<String> {
        let event = self.only_event()?;
        let destination =
            &event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"];
        match destination.as_array()?.as_slice() {
            [Value::String(queue), attribute] if attribute == "Arn" => Some(queue.clone()),
            _ => None,
        }
    }

    /// Every way its events differ from what a worker with `trigger` needs:
    /// exactly one event, of the trigger's type and source, reporting
    /// partial batch failures, bisecting, retrying a bounded number of times
    /// and for a bounded time, and sending what it gives up on to an SQS
    /// queue of `template`.
    pub fn trigger_problems(&self, trigger: Trigger, template: &Template) -> Vec<String> {
        let id = &self.logical_id;
        let Some(event) = self.only_event() else {
            return vec![format!(
                "{id} must have exactly one event, {}",
                trigger_event(trigger)
            )];
        };
        let mut problems = Vec::new();
        let p = &event["Properties"];
        match trigger {
            Trigger::Schedule(expression) => {
                if event["Type"] != "Schedule" || p["Schedule"] != expression {
                    problems.push(format!(
                        "{id}: its event is not {}: {event}",
                        trigger_event(trigger)
                    ));
                }
                return problems;
            }
            Trigger::TableStream => {
                if event["Type"] != "DynamoDB" || p["Stream"] != get_att("Table", "StreamArn") {
                    problems.push(format!(
                        "{id}: its event is not {}: {event}",
                        trigger_event(trigger)
                    ));
                }
            }
        }
        for (name, value) in stream_event_settings() {
            if p[name] != value {
                problems.push(format!(
                    "{id}: its event's {name} is {}, not {value}",
                    p[name]
                ));
            }
        }
        let bounded = |name: &str, range: std::ops::RangeInclusive<u64>| {
            p[name].as_u64().is_some_and(|n| range.contains(&n))
        };
        if !bounded("MaximumRetryAttempts", 0..=10_000) {
            problems.push(format!(
                "{id}: its event's MaximumRetryAttempts must be a literal 0 to 10000 (not -1, forever)"
            ));
        }
        // Below the stream's 24-hour retention, so a record given up on can
        // still be read from the stream when its failure message arrives.
        if !bounded("MaximumRecordAgeInSeconds", 60..=43_200) {
            problems.push(format!(
                "{id}: its event's MaximumRecordAgeInSeconds must be a literal 60 to 43200 (half the stream's retention at most)"
            ));
        }
        if !bounded("BatchSize", 1..=10_000) {
            problems.push(format!("{id}: its event needs a literal BatchSize"));
        }
        let on_failure = &p["DestinationConfig"]["OnFailure"];
        if on_failure.get("Type").is_some() {
            problems.push(format!(
                "{id}: OnFailure has a Type, with which SAM adds a policy of its own; grant sqs:SendMessage in Policies instead"
            ));
        }
        match self.on_failure_queue() {
            None => problems.push(format!(
                "{id}: its event needs DestinationConfig.OnFailure.Destination: !GetAtt <Queue>.Arn, or what Lambda gives up on is lost"
            )),
            Some(queue) => match template.resources().get(&queue) {
                Some(q) if q["Type"] == "AWS::SQS::Queue" => {}
                _ => problems.push(format!(
                    "{id}: its on-failure destination {queue} is not an AWS::SQS::Queue of the template"
                )),
            },
        }
        problems
    }
}

impl Template {
    /// The workspace's template.yaml.
    pub fn load() -> Template {
        let path = workspace_root().join("template.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let yaml: serde_norway::Value = serde_norway::from_str(&text)
            .unwrap_or_else(|e| panic!("template.yaml is not YAML: {e}"));
        Template {
            doc: yaml_to_json(yaml),
        }
    }

    /// `Resources`.
    pub fn resources(&self) -> &Map<String, Value> {
        self.doc["Resources"]
            .as_object()
            .expect("Resources is a mapping")
    }

    /// One resource; panics if there is none of that id.
    pub fn resource(&self, id: &str) -> &Value {
        self.resources()
            .get(id)
            .unwrap_or_else(|| panic!("template.yaml has no resource {id}"))
    }

    /// `Globals.Function`.
    pub fn globals(&self) -> Map<String, Value> {
        self.doc["Globals"]["Function"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    /// Every `AWS::Serverless::Function`, by the binary it runs.
    pub fn functions(&self) -> BTreeMap<String, Function> {
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
            let mut properties = globals.clone();
            if let Some(own) = resource["Properties"].as_object() {
                merge(&mut properties, own);
            }
            let function = Function {
                logical_id: id.clone(),
                metadata,
                properties,
            };
            let previous = functions.insert(binary.clone(), function);
            assert!(previous.is_none(), "two functions run the binary {binary}");
        }
        functions
    }
}

/// SAM's merge of a function's properties over Globals: maps merge, other
/// values replace.
fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (key, value) in from {
        match (into.get_mut(key), value) {
            (Some(Value::Object(inner)), Value::Object(value)) => merge(inner, value),
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

/// What a function's policies grant: DynamoDB access, and whether it may
/// send to its own on-failure queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// The DynamoDB permissions.
    pub dynamodb: BTreeSet<Access>,
    /// Whether a statement allows exactly `sqs:SendMessage` on the queue
    /// its event's on-failure destination names.
    pub sends_to_on_failure_queue: bool,
    /// Whether a statement allows exactly `ses:SendEmail` as the stack's
    /// identity (`MailIdentity`) and its configuration set, if one is given.
    pub sends_mail: bool,
    /// Whether a statement allows exactly SNS mobile push
    /// (`sns:CreatePlatformEndpoint`, `sns:Publish`, `sns:DeleteEndpoint`)
    /// on the account's platform applications and endpoints.
    pub pushes: bool,
    /// The `dynamodb:LeadingKeys` patterns of each DynamoDB statement, in
    /// order; `None` for a statement without that condition.
    pub leading_keys: Vec<Option<BTreeSet<String>>>,
}

/// The `dynamodb:LeadingKeys` patterns of a statement's `Condition`
/// (`ForAllValues:StringLike`, the only form that limits every key a call
/// names), or why it is not that.
fn leading_keys_condition(condition: &Value) -> Result<BTreeSet<String>, String> {
    let form = condition.as_object().filter(|c| c.len() == 1);
    let patterns = form
        .and_then(|c| c.get("ForAllValues:StringLike"))
        .and_then(Value::as_object)
        .filter(|operator| operator.len() == 1)
        .and_then(|operator| operator.get("dynamodb:LeadingKeys"));
    let patterns = match patterns {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::String(one)) => vec![Value::String(one.clone())],
        _ => {
            return Err(format!(
            "a Condition other than ForAllValues:StringLike on dynamodb:LeadingKeys: {condition}"
        ))
        }
    };
    patterns
        .iter()
        .map(|p| {
            p.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("a LeadingKeys pattern that is not a string: {p}"))
        })
        .collect()
}

/// The DynamoDB permissions a function's policies grant; `Err` lists what
/// cannot be read as such (see [`grants`]).
pub fn granted(f: &Function) -> Result<BTreeSet<Access>, Vec<String>> {
    grants(f).map(|g| g.dynamodb)
}

/// What a function's policies grant; `Err` lists what cannot be read as
/// DynamoDB access on the table or a declared index, or as `sqs:SendMessage`
/// on the function's own on-failure queue (wildcards, other actions and
/// services, other resources, anything but plain Allow statements).
pub fn grants(f: &Function) -> Result<Grants, Vec<String>> {
    let id = &f.logical_id;
    let mut granted = BTreeSet::new();
    let mut sends = false;
    let mut mails = false;
    let mut pushes = false;
    let mut leading_keys = Vec::new();
    let mut problems = Vec::new();
    let Some(policies) = f.properties.get("Policies") else {
        return Ok(Grants::default());
    };
    let Some(policies) = policies.as_array() else {
        return Err(vec![format!("{id}: Policies is not a list")]);
    };
    for policy in policies {
        let Some(statements) = policy["Statement"].as_array() else {
            problems.push(format!(
                "{id}: a policy is not an inline {{Statement: [...]}}: {policy}"
            ));
            continue;
        };
        for statement in statements {
            let keys: BTreeSet<&str> = statement
                .as_object()
                .map(|s| s.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let plain = BTreeSet::from(["Effect", "Action", "Resource"]);
            let conditional = BTreeSet::from(["Effect", "Action", "Resource", "Condition"]);
            if statement["Effect"] != "Allow" || (keys != plain && keys != conditional) {
                problems.push(format!("{id}: not a plain Allow statement: {statement}"));
                continue;
            }
            let actions = one_or_many(&statement["Action"]);
            if actions.iter().any(|a| {
                a.as_str()
                    .is_some_and(|a| a.to_ascii_lowercase().starts_with("sqs:"))
            }) {
                let queue = f.on_failure_queue();
                let own_queue = queue
                    .as_ref()
                    .is_some_and(|q| statement["Resource"] == get_att(q, "Arn"));
                if actions == [json!("sqs:SendMessage")] && own_queue && keys == plain {
                    sends = true;
                } else {
                    problems.push(format!(
                        "{id}: the only SQS statement allowed is sqs:SendMessage on its own on-failure queue{}: {statement}",
                        queue.map(|q| format!(" (!GetAtt {q}.Arn)")).unwrap_or_default()
                    ));
                }
                continue;
            }
            if actions.iter().any(|a| {
                a.as_str()
                    .is_some_and(|a| a.to_ascii_lowercase().starts_with("ses:"))
            }) {
                if actions == [json!("ses:SendEmail")]
                    && keys == plain
                    && statement["Resource"] == mail_resources()
                {
                    mails = true;
                } else {
                    problems.push(format!(
                        "{id}: the only SES statement allowed is ses:SendEmail as MailIdentity (and SesConfigurationSet): {statement}"
                    ));
                }
                continue;
            }
            if actions.iter().any(|a| {
                a.as_str()
                    .is_some_and(|a| a.to_ascii_lowercase().starts_with("sns:"))
            }) {
                if actions
                    == [
                        json!("sns:CreatePlatformEndpoint"),
                        json!("sns:Publish"),
                        json!("sns:DeleteEndpoint"),
                    ]
                    && keys == plain
                    && statement["Resource"] == push_resources()
                {
                    pushes = true;
                } else {
                    problems.push(format!(
                        "{id}: the only SNS statement allowed is CreatePlatformEndpoint, Publish and DeleteEndpoint on the account's platform applications and endpoints: {statement}"
                    ));
                }
                continue;
            }
            match statement.get("Condition") {
                None => leading_keys.push(None),
                Some(condition) => match leading_keys_condition(condition) {
                    Ok(patterns) => leading_keys.push(Some(patterns)),
                    Err(problem) => problems.push(format!("{id}: {problem}")),
                },
            }
            let resources: Vec<Resource> = one_or_many(&statement["Resource"])
                .iter()
                .filter_map(|r| {
                    let resource = resource_of(r);
                    if resource.is_none() {
                        problems.push(format!(
                            "{id}: {r} is neither the table's ARN nor a declared index"
                        ));
                    }
                    resource
                })
                .collect();
            for action in actions {
                let name = action.as_str().and_then(|a| a.strip_prefix("dynamodb:"));
                match name.and_then(Action::from_name) {
                    Some(action) => granted.extend(
                        resources
                            .iter()
                            .map(|&resource| Access { action, resource }),
                    ),
                    None => problems.push(format!(
                        "{id}: {action} is not a DynamoDB action a function can declare"
                    )),
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(Grants {
            dynamodb: granted,
            sends_to_on_failure_queue: sends,
            sends_mail: mails,
            pushes,
            leading_keys,
        })
    } else {
        Err(problems)
    }
}

/// The resources a mail worker may send as, as template.yaml reads in JSON:
/// the stack's SES identity, and its configuration set when one is given.
fn mail_resources() -> Value {
    let arn = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}";
    json!([
        { "Fn::Sub": format!("{arn}:identity/${{MailIdentity}}") },
        { "Fn::If": [
            "HasSesConfigurationSet",
            { "Fn::Sub": format!("{arn}:configuration-set/${{SesConfigurationSet}}") },
            { "Ref": "AWS::NoValue" }
        ] }
    ])
}

/// The resources a pushing worker may use, as template.yaml reads in JSON:
/// the account's platform applications and their endpoints.
fn push_resources() -> Value {
    let arn = "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}";
    json!([
        { "Fn::Sub": format!("{arn}:app/*") },
        { "Fn::Sub": format!("{arn}:endpoint/*") },
    ])
}

fn one_or_many(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// `!GetAtt Table.Arn` is the table; `!Sub ${Table.Arn}/index/<name>` an
/// index some function declares.
fn resource_of(resource: &Value) -> Option<Resource> {
    if resource == &get_att("Table", "Arn") {
        return Some(Resource::Table);
    }
    let index = resource
        .get("Fn::Sub")?
        .as_str()?
        .strip_prefix("${Table.Arn}/index/")?;
    declared_index(index).map(Resource::Index)
}

/// Every way the template's policies differ from the declarations of
/// `microblog_shared::routes` (`ROUTES` and `WORKERS`): each function must
/// be granted exactly what it declares, a function declaring nothing (the
/// fallback) gets no `Policies` at all, and a function with an on-failure
/// queue may send to it, and to nothing else. Each mismatch names the
/// function and the access.
pub fn permission_mismatches(template: &Template) -> Vec<String> {
    let in_template = template.functions();
    let mut mismatches = Vec::new();
    for name in functions() {
        if !in_template.contains_key(name) {
            mismatches.push(format!("{name} has no function in template.yaml"));
        }
    }
    for (name, f) in &in_template {
        let id = &f.logical_id;
        let Some(declared) = dynamodb_of(name) else {
            mismatches.push(format!(
                "{id} runs {name}, which neither a route nor WORKERS declares"
            ));
            continue;
        };
        if declared.is_empty() {
            if f.properties.contains_key("Policies") {
                mismatches.push(format!(
                    "{id} ({name}) declares no DynamoDB access, so it gets no Policies"
                ));
            }
            continue;
        }
        let grants = match grants(f) {
            Ok(grants) => grants,
            Err(problems) => {
                mismatches.extend(problems);
                continue;
            }
        };
        if let Some(queue) = f.on_failure_queue() {
            if !grants.sends_to_on_failure_queue {
                mismatches.push(format!(
                    "{id} ({name}) may not send to its on-failure queue {queue}: add a statement allowing sqs:SendMessage on !GetAtt {queue}.Arn"
                ));
            }
        }
        let sends_mail = worker_of(name).is_some_and(|w| w.sends_mail);
        if grants.sends_mail != sends_mail {
            mismatches.push(format!(
                "{id} ({name}) {} ses:SendEmail, but its declaration says it {}",
                if grants.sends_mail {
                    "is granted"
                } else {
                    "is not granted"
                },
                if sends_mail {
                    "sends mail"
                } else {
                    "sends none"
                }
            ));
        }
        let pushes = worker_of(name).is_some_and(|w| w.pushes);
        if grants.pushes != pushes {
            mismatches.push(format!(
                "{id} ({name}) {} SNS mobile push, but its declaration says it {}",
                if grants.pushes {
                    "is granted"
                } else {
                    "is not granted"
                },
                if pushes { "pushes" } else { "pushes nothing" }
            ));
        }
        let declared_keys: BTreeSet<String> = leading_keys_of(name)
            .unwrap_or_default()
            .iter()
            .map(|k| k.to_string())
            .collect();
        let wanted = || {
            format!(
                "Condition: {{ForAllValues:StringLike: {{dynamodb:LeadingKeys: {:?}}}}}",
                declared_keys
            )
        };
        for keys in &grants.leading_keys {
            match keys {
                None => mismatches.push(format!(
                    "{id} ({name}) has a DynamoDB statement without a dynamodb:LeadingKeys condition: add {}",
                    wanted()
                )),
                Some(keys) => {
                    for key in keys.difference(&declared_keys) {
                        mismatches.push(format!(
                            "{id} ({name}) allows the leading key {key:?}, which {} does not declare",
                            declarer(name)
                        ));
                    }
                    for key in declared_keys.difference(keys) {
                        mismatches.push(format!(
                            "{id} ({name}) does not allow the leading key {key:?}, which {} declares",
                            declarer(name)
                        ));
                    }
                }
            }
        }
        let granted = grants.dynamodb;
        let declared: BTreeSet<Access> = declared.iter().copied().collect();
        for access in declared.difference(&granted) {
            mismatches.push(format!(
                "{id} ({name}) is not granted {access}, which {} declares",
                declarer(name)
            ));
        }
        for access in granted.difference(&declared) {
            mismatches.push(format!(
                "{id} ({name}) is granted {access}, which {} does not declare",
                declarer(name)
            ));
        }
    }
    mismatches
}

/// Where `function`'s access is declared, for messages.
fn declarer(function: &str) -> &'static str {
    if worker_of(function).is_some() {
        "its WORKERS entry"
    } else {
        "its route"
    }
}
