//! template.yaml as JSON, its functions with `Globals.Function` merged in,
//! and the DynamoDB permissions their policies grant, for the consistency
//! tests.

use std::collections::{BTreeMap, BTreeSet};

use microblog_shared::routes::{
    dynamodb_of, functions, Access, Action, Resource, FALLBACK_FUNCTION, ROUTES,
};
use serde_json::{json, Map, Value};

use crate::lambda_emulator::workspace_root;

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

/// `GetUserFunction` for `get_user`.
pub fn logical_id(function: &str) -> String {
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

/// The DynamoDB permissions a function's policies grant; `Err` lists what
/// cannot be read as such (wildcards, other services, other resources,
/// anything but plain Allow statements).
pub fn granted(f: &Function) -> Result<BTreeSet<Access>, Vec<String>> {
    let id = &f.logical_id;
    let mut granted = BTreeSet::new();
    let mut problems = Vec::new();
    let Some(policies) = f.properties.get("Policies") else {
        return Ok(granted);
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
            if statement["Effect"] != "Allow"
                || keys != BTreeSet::from(["Effect", "Action", "Resource"])
            {
                problems.push(format!("{id}: not a plain Allow statement: {statement}"));
                continue;
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
            for action in one_or_many(&statement["Action"]) {
                let name = action.as_str().and_then(|a| a.strip_prefix("dynamodb:"));
                match name.and_then(Action::from_name) {
                    Some(action) => granted.extend(
                        resources
                            .iter()
                            .map(|&resource| Access { action, resource }),
                    ),
                    None => problems.push(format!(
                        "{id}: {action} is not a DynamoDB action a route can declare"
                    )),
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(granted)
    } else {
        Err(problems)
    }
}

fn one_or_many(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// `!GetAtt Table.Arn` is the table; `!Sub ${Table.Arn}/index/<name>` an
/// index some route declares.
fn resource_of(resource: &Value) -> Option<Resource> {
    if resource == &json!({ "Fn::GetAtt": ["Table", "Arn"] }) {
        return Some(Resource::Table);
    }
    let index = resource
        .get("Fn::Sub")?
        .as_str()?
        .strip_prefix("${Table.Arn}/index/")?;
    ROUTES
        .iter()
        .flat_map(|r| r.dynamodb)
        .find_map(|a| match a.resource {
            Resource::Index(declared) if declared == index => Some(a.resource),
            _ => None,
        })
}

/// Every way the template's policies differ from the declarations of
/// `microblog_shared::routes`: each function must be granted exactly what
/// its route declares, and a function declaring nothing (the fallback) gets
/// no `Policies` at all. Each mismatch names the function and the access.
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
            mismatches.push(format!("{id} runs {name}, which has no route"));
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
        let granted = match granted(f) {
            Ok(granted) => granted,
            Err(problems) => {
                mismatches.extend(problems);
                continue;
            }
        };
        let declared: BTreeSet<Access> = declared.iter().copied().collect();
        for access in declared.difference(&granted) {
            mismatches.push(format!(
                "{id} ({name}) is not granted {access}, which its route declares"
            ));
        }
        for access in granted.difference(&declared) {
            mismatches.push(format!(
                "{id} ({name}) is granted {access}, which its route does not declare"
            ));
        }
    }
    mismatches
}
