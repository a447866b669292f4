//! The HTTP API in front of the functions, the template's parameters and
//! outputs, and the settings `sam local invoke` reads from `events/env.json`.

use std::collections::BTreeSet;

use microblog_shared::routes::ROUTES;
use microblog_tests::lambda_emulator::workspace_root;
use microblog_tests::template::{reference, Template};
use serde_json::{json, Value};

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
    let headers: BTreeSet<&str> = cors[1]["AllowHeaders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    for header in [
        "authorization",
        "content-type",
        "idempotency-key",
        "if-match",
        "if-none-match",
    ] {
        assert!(
            headers.contains(header),
            "CORS allows the request header {header}, which a handler reads"
        );
    }

    let exposed: BTreeSet<&str> = cors[1]["ExposeHeaders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(
        exposed.contains("etag"),
        "CORS exposes ETag, which a client sends back in If-None-Match and If-Match"
    );

    let parameters = template.doc["Parameters"].as_object().expect("Parameters");
    for name in [
        "TokenTtlSeconds",
        "ThrottlingRateLimit",
        "ThrottlingBurstLimit",
        "CorsOrigins",
        "LogRetentionInDays",
        "EnableTracing",
        "TableDeletionProtection",
        "AlarmTopicArn",
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
    assert_eq!(
        outputs["FanOutFailuresQueueUrl"]["Value"],
        reference("FanOutFailures"),
        "the queue to drain when the fan-out gives up (docs/DEPLOYING.md)"
    );
}

#[test]
fn env_json_overrides_only_variables_the_template_declares() {
    // `sam local invoke --env-vars` ignores variables a function does not
    // declare, so anything else in events/env.json would silently do nothing.
    let template = Template::load();
    let text =
        std::fs::read_to_string(workspace_root().join("events/env.json")).expect("events/env.json");
    let env: Value = serde_json::from_str(&text).expect("env.json is JSON");
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
    // A function's own section may set only what that function declares.
    for (function, settings) in env.as_object().expect("an object") {
        if function == "Parameters" {
            continue;
        }
        let own = template.doc["Resources"][function]["Properties"]["Environment"]["Variables"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (name, _) in settings.as_object().expect("a function's settings") {
            assert!(
                own.contains_key(name),
                "env.json sets {name} for {function}, which does not declare it"
            );
        }
    }
}

#[test]
fn the_mail_worker_alone_may_send_mail_and_only_as_the_stack_s_identity() {
    let template = Template::load();
    let resources = template.doc["Resources"].as_object().expect("resources");
    for (id, resource) in resources {
        let policy = resource["Properties"]["Policies"].to_string();
        assert_eq!(
            policy.contains("ses:SendEmail"),
            id == "SendMailFunction",
            "{id}"
        );
    }
    let policy = resources["SendMailFunction"]["Properties"]["Policies"].to_string();
    assert!(policy.contains("identity/${MailIdentity}"), "{policy}");
    assert!(
        !policy.contains("ses:*") && !policy.contains("\"Resource\":\"*\""),
        "{policy}"
    );
    let variables = &resources["SendMailFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(variables["MAIL_FROM"], reference("MailFrom"));
    assert_eq!(variables["MAIL_OUTBOX_DIR"], "", "SES on AWS");
    // The lifetimes' defaults are the code's.
    let parameters = &template.doc["Parameters"];
    let defaults = microblog_shared::mail::MailSettings::default();
    for (variable, parameter, default) in [
        (
            "RESET_TOKEN_TTL_SECONDS",
            "ResetTokenTtlSeconds",
            defaults.reset_code_ttl,
        ),
        (
            "VERIFY_TOKEN_TTL_SECONDS",
            "VerifyTokenTtlSeconds",
            defaults.verify_code_ttl,
        ),
    ] {
        assert_eq!(variables[variable], reference(parameter), "{variable}");
        assert_eq!(
            parameters[parameter]["Default"],
            default.as_secs(),
            "{parameter}"
        );
    }
    for (variable, parameter, default) in [
        (
            "RESET_URL_TEMPLATE",
            "ResetUrlTemplate",
            defaults.reset_url_template,
        ),
        (
            "VERIFY_URL_TEMPLATE",
            "VerifyUrlTemplate",
            defaults.verify_url_template,
        ),
        ("PRODUCT_NAME", "ProductName", defaults.product_name),
    ] {
        assert_eq!(variables[variable], reference(parameter), "{variable}");
        assert_eq!(
            parameters[parameter]["Default"],
            default.as_str(),
            "{parameter}"
        );
    }
}

#[test]
fn the_abuse_limits_are_parameters_whose_defaults_are_the_code_s() {
    use microblog_shared::config::RateLimits;
    let template = Template::load();
    let variables = &template.globals()["Environment"]["Variables"];
    let defaults = RateLimits::default();
    for (variable, parameter, default) in [
        (
            "RATE_LIMIT_LOGIN_FAILURES",
            "RateLimitLoginFailures",
            defaults.login_failures,
        ),
        (
            "RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS",
            "RateLimitLoginFailuresPerAddress",
            defaults.login_failures_per_address,
        ),
        (
            "RATE_LIMIT_SIGNUPS_PER_HOUR",
            "RateLimitSignupsPerHour",
            defaults.signups_per_hour,
        ),
        (
            "RATE_LIMIT_REPORTS_PER_HOUR",
            "RateLimitReportsPerHour",
            defaults.reports_per_hour,
        ),
        (
            "RATE_LIMIT_RESETS_PER_EMAIL",
            "RateLimitResetsPerEmail",
            defaults.resets_per_email,
        ),
        (
            "RATE_LIMIT_RESETS_PER_ADDRESS",
            "RateLimitResetsPerAddress",
            defaults.resets_per_address,
        ),
        (
            "RATE_LIMIT_VERIFICATION_RESENDS",
            "RateLimitVerificationResends",
            defaults.verification_resends,
        ),
    ] {
        assert_eq!(variables[variable], reference(parameter), "{variable}");
        let declared = &template.doc["Parameters"][parameter];
        assert_eq!(declared["Default"], default, "{parameter}");
        assert_eq!(declared["MinValue"], 0, "{parameter}: 0 turns it off");
    }
}
