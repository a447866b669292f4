//! Least privilege: template.yaml grants each function exactly the DynamoDB
//! access its route (or WORKERS entry) declares, a stream worker
//! sqs:SendMessage on its own on-failure queue, the mail worker
//! ses:SendEmail as the stack's identity, and nothing else; the checks catch any
//! difference, in the template or in what a handler really calls.

use std::collections::HashMap;

use microblog_local::engine::Engine;
use microblog_shared::routes::{Access, Action, Resource, FALLBACK_FUNCTION, ROUTES};
use microblog_shared::store::items::BY_TIME_INDEX;
use microblog_tests::events::sample_events;
use microblog_tests::recorder::{attribute, run_event, undeclared, Recorder, Used};
use microblog_tests::template::{
    get_att, granted, grants, logical_id, permission_mismatches, Template,
};
use serde_json::{json, Value};

#[test]
fn every_function_is_granted_exactly_the_dynamodb_access_its_route_declares() {
    let mismatches = permission_mismatches(&Template::load());
    assert!(
        mismatches.is_empty(),
        "template.yaml differs from the declarations in ROUTES and WORKERS:\n{}",
        mismatches.join("\n")
    );
}

/// The action list of the first statement of `function`'s first policy.
fn first_actions<'a>(template: &'a mut Template, function: &str) -> &'a mut Vec<Value> {
    template.doc["Resources"][logical_id(function)]["Properties"]["Policies"][0]["Statement"][0]
        ["Action"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("{function}'s first statement has a list of actions"))
}

#[test]
fn an_action_granted_beyond_the_declaration_is_reported_naming_the_function_and_action() {
    let mut template = Template::load();
    first_actions(&mut template, "get_user").push("dynamodb:PutItem".into());
    let mismatches = permission_mismatches(&template);
    assert!(
        mismatches
            .iter()
            .any(|m| m.contains("(get_user) is granted PutItem on the table")),
        "{mismatches:#?}"
    );
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
}

#[test]
fn a_route_granted_ses_send_email_is_reported_as_mail_no_declaration_allows() {
    let mut template = Template::load();
    let ses = template.doc["Resources"]["SendMailFunction"]["Properties"]["Policies"][0]
        ["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| s["Action"] == json!(["ses:SendEmail"]))
        .cloned()
        .expect("the mail worker's SES statement");
    statements(&mut template, "get_user").push(ses);
    let mismatches = permission_mismatches(&template);
    assert_eq!(
        mismatches,
        ["GetUserFunction (get_user) is granted ses:SendEmail, but its declaration says it sends none"],
    );
}

#[test]
fn a_declared_action_the_template_does_not_grant_is_reported_naming_the_function_and_action() {
    let mut template = Template::load();
    first_actions(&mut template, "create_user").retain(|a| a != "dynamodb:UpdateItem");
    let mismatches = permission_mismatches(&template);
    assert!(
        mismatches
            .iter()
            .any(|m| m.contains("(create_user) is not granted UpdateItem on the table")),
        "{mismatches:#?}"
    );
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
}

/// The statements of `function`'s first policy.
fn statements<'a>(template: &'a mut Template, function: &str) -> &'a mut Vec<Value> {
    template.doc["Resources"][logical_id(function)]["Properties"]["Policies"][0]["Statement"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("{function}'s first policy has statements"))
}

#[test]
fn a_worker_is_granted_what_its_workers_entry_declares_and_a_stream_worker_may_send_to_its_on_failure_queue(
) {
    let template = Template::load();
    let functions = template.functions();
    for worker in microblog_shared::routes::WORKERS {
        let f = &functions[worker.function];
        let grants = grants(f).expect("a readable policy");
        assert_eq!(
            grants.dynamodb,
            worker.dynamodb.iter().copied().collect(),
            "{}",
            worker.function
        );
        // A scheduled worker has no queue (the next run redoes a failed one).
        let streamed = worker.trigger == microblog_shared::routes::Trigger::TableStream;
        assert_eq!(
            grants.sends_to_on_failure_queue, streamed,
            "{}: sqs:SendMessage on its on-failure queue, for a stream worker only",
            worker.function
        );
        assert_eq!(
            grants.sends_mail, worker.sends_mail,
            "{}: ses:SendEmail exactly when its WORKERS entry says it sends mail",
            worker.function
        );
    }
}

#[test]
fn an_sqs_statement_other_than_sending_to_the_own_on_failure_queue_or_none_at_all_is_reported() {
    let worker = "fan_out";
    let id = logical_id(worker);
    let queue = Template::load().functions()[worker]
        .on_failure_queue()
        .expect("fan_out has an on-failure queue");
    let sqs_statement = |statements: &mut Vec<Value>| -> usize {
        statements
            .iter()
            .position(|s| s["Resource"] == get_att(&queue, "Arn"))
            .expect("a statement on the queue")
    };
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: [Breakage; 4] = [
        ("another action", |s| {
            s["Action"]
                .as_array_mut()
                .unwrap()
                .push("sqs:ReceiveMessage".into())
        }),
        ("any queue", |s| s["Resource"] = json!("*")),
        ("another queue", |s| {
            s["Resource"] = get_att("OtherQueue", "Arn")
        }),
        ("a wildcard action", |s| s["Action"] = json!(["sqs:*"])),
    ];
    for (what, break_it) in breakages {
        let mut template = Template::load();
        let policy = statements(&mut template, worker);
        let at = sqs_statement(policy);
        break_it(&mut policy[at]);
        let mismatches = permission_mismatches(&template);
        assert!(
            mismatches.iter().any(|m| m.starts_with(&format!(
                "{id}: the only SQS statement allowed is sqs:SendMessage on its own on-failure queue"
            ))),
            "{what}: {mismatches:#?}"
        );
    }
    let mut template = Template::load();
    let policy = statements(&mut template, worker);
    let at = sqs_statement(policy);
    policy.remove(at);
    let mismatches = permission_mismatches(&template);
    assert_eq!(
        mismatches,
        vec![format!(
            "{id} ({worker}) may not send to its on-failure queue {queue}: add a statement allowing sqs:SendMessage on !GetAtt {queue}.Arn"
        )]
    );
    // An HTTP function has no on-failure queue to send to.
    let mut template = Template::load();
    let statement = json!({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": get_att(&queue, "Arn")});
    statements(&mut template, "get_user").push(statement);
    let mismatches = permission_mismatches(&template);
    assert!(
        mismatches
            .iter()
            .any(|m| m.starts_with("GetUserFunction: the only SQS statement allowed")),
        "{mismatches:#?}"
    );
}

#[test]
fn a_worker_granted_beyond_its_declaration_is_reported_naming_its_workers_entry() {
    let mut template = Template::load();
    first_actions(&mut template, "fan_out").push("dynamodb:DeleteItem".into());
    let mismatches = permission_mismatches(&template);
    assert_eq!(
        mismatches,
        vec!["FanOutFunction (fan_out) is granted DeleteItem on the table, which its WORKERS entry does not declare"]
    );
}

#[test]
fn read_only_functions_have_no_write_action_and_the_fallback_no_table_access() {
    let template = Template::load();
    let functions = template.functions();
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        let declared_writes: Vec<_> = route
            .dynamodb
            .iter()
            .filter(|a| a.action.writes())
            .collect();
        assert!(
            declared_writes.is_empty(),
            "{} serves GET but declares {declared_writes:?}",
            route.function
        );
        let granted = granted(&functions[route.function]).expect("a readable policy");
        assert!(
            granted
                .iter()
                .all(|a| !a.action.writes() && a.action != Action::ConditionCheckItem),
            "{} serves GET but may write: {granted:?}",
            route.function
        );
    }
    assert!(
        functions[FALLBACK_FUNCTION]
            .properties
            .get("Policies")
            .is_none(),
        "fallback gets no policy at all"
    );
}

#[tokio::test]
async fn calls_a_function_does_not_declare_are_reported() {
    // get_token's handler checked against get_user's declaration: issuing
    // the token writes, which get_user may not.
    let sample = sample_events()
        .into_iter()
        .find(|e| e.function == "get_token" && e.case.is_none())
        .expect("events/get_token.json");
    let (answer, used) = run_event(&sample, "get_token")
        .await
        .expect("get_token runs");
    assert_eq!(answer.status, 200, "{answer:?}");
    let problems = undeclared("get_user", &used);
    for action in ["PutItem", "UpdateItem"] {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("get_user used {action} on the table"))),
            "{action} not in {problems:#?}"
        );
    }
    assert!(undeclared("get_token", &used).is_empty(), "{used:?}");
}

#[tokio::test]
async fn the_recorder_sees_index_queries_and_transaction_items_and_names_other_operations() {
    use aws_sdk_dynamodb::types::{
        AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
    };
    let engine = Engine::memory().await.expect("engine starts");
    let recorder = Recorder::new();
    let client = recorder.client(&engine.endpoint, &Default::default());
    let key = HashMap::from([("pk".to_string(), AttributeValue::S("x".into()))]);
    let items = vec![
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name("t")
                    .set_item(Some(key.clone()))
                    .build()
                    .unwrap(),
            )
            .build(),
        TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name("t")
                    .set_key(Some(key.clone()))
                    .update_expression("SET a = :a")
                    .build()
                    .unwrap(),
            )
            .build(),
        TransactWriteItem::builder()
            .delete(
                Delete::builder()
                    .table_name("t")
                    .set_key(Some(key.clone()))
                    .build()
                    .unwrap(),
            )
            .build(),
        TransactWriteItem::builder()
            .condition_check(
                ConditionCheck::builder()
                    .table_name("t")
                    .set_key(Some(key.clone()))
                    .condition_expression("attribute_exists(pk)")
                    .build()
                    .unwrap(),
            )
            .build(),
    ];
    // The calls fail (there is no table); the recorder logs them before
    // they are sent.
    let _ = client.scan().table_name("t").send().await;
    attribute("get_user", async {
        let _ = client.scan().table_name("t").send().await;
        let _ = client
            .get_item()
            .table_name("t")
            .set_key(Some(key.clone()))
            .send()
            .await;
        let _ = client
            .query()
            .table_name("t")
            .index_name(BY_TIME_INDEX)
            .send()
            .await;
        let _ = client.query().table_name("t").send().await;
        let _ = client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
    })
    .await;
    engine.stop().await;

    let table = |action| {
        Used::Access(Access {
            action,
            resource: Resource::Table,
        })
    };
    let used = recorder.take_for("get_user");
    let pk = |key: &str| Used::PartitionKey(key.into());
    assert_eq!(
        used,
        vec![
            Used::Undeclarable("Scan".into()),
            table(Action::GetItem),
            pk("x"),
            Used::Access(Access {
                action: Action::Query,
                resource: Resource::Index(BY_TIME_INDEX)
            }),
            pk("?"),
            table(Action::Query),
            pk("?"),
            table(Action::PutItem),
            table(Action::UpdateItem),
            table(Action::DeleteItem),
            table(Action::ConditionCheckItem),
            pk("x"),
            pk("x"),
            pk("x"),
            pk("x"),
        ],
        "the Scan outside `attribute` is not recorded"
    );
    let problems = undeclared("get_user", &used);
    // Every action but GetItem (7), and both keys, which no pattern of
    // get_user's (TOKEN#*, USER#*) matches (2).
    assert_eq!(problems.len(), 9, "{problems:#?}");
    assert!(
        problems.contains(&"get_user used Scan, which no function may declare".to_string()),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("get_user touched the partition key \"x\"")),
        "{problems:#?}"
    );
}

#[test]
fn every_dynamodb_statement_allows_exactly_the_leading_keys_its_function_declares() {
    // The template as it is: no mismatch (checked above with the rest).
    let statement = |template: &mut Template, function: &str| -> Value {
        statements(template, function)[0].clone()
    };
    // A pattern too many, one too few, none at all, and the wrong operator.
    let mut template = Template::load();
    let mut widened = statement(&mut template, "get_user");
    widened["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        .as_array_mut()
        .unwrap()
        .push("*".into());
    statements(&mut template, "get_user")[0] = widened;
    assert_eq!(
        permission_mismatches(&template),
        vec!["GetUserFunction (get_user) allows the leading key \"*\", which its route does not declare"]
    );

    let mut template = Template::load();
    let mut narrowed = statement(&mut template, "get_token");
    narrowed["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        .as_array_mut()
        .unwrap()
        .retain(|k| k != "LIMIT#login#*");
    statements(&mut template, "get_token")[0] = narrowed;
    assert_eq!(
        permission_mismatches(&template),
        vec!["GetTokenFunction (get_token) does not allow the leading key \"LIMIT#login#*\", which its route declares"]
    );

    let mut template = Template::load();
    statements(&mut template, "fan_out")[0]
        .as_object_mut()
        .unwrap()
        .remove("Condition");
    let mismatches = permission_mismatches(&template);
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
    assert!(
        mismatches[0].starts_with(
            "FanOutFunction (fan_out) has a DynamoDB statement without a dynamodb:LeadingKeys condition"
        ),
        "{mismatches:#?}"
    );

    let mut template = Template::load();
    let mut any = statement(&mut template, "get_feed");
    let patterns = any["Condition"]["ForAllValues:StringLike"].clone();
    any["Condition"] = json!({ "ForAnyValue:StringLike": patterns });
    statements(&mut template, "get_feed")[0] = any;
    let mismatches = permission_mismatches(&template);
    assert!(
        mismatches
            .iter()
            .any(|m| m.contains("a Condition other than ForAllValues:StringLike")),
        "{mismatches:#?}"
    );
}
