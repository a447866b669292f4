//! SECURITY.md stays true: every file it cites exists, it names every
//! abuse-limit setting, and it says how to report a vulnerability.

use microblog_tests::lambda_emulator::workspace_root;

fn security_md() -> String {
    std::fs::read_to_string(workspace_root().join("SECURITY.md")).expect("SECURITY.md exists")
}

#[test]
fn every_file_security_md_cites_exists() {
    let text = security_md();
    let cited: Vec<&str> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| {
            span.contains('/')
                && !span.contains(' ')
                && [".rs", ".md", ".txt", ".yaml"]
                    .iter()
                    .any(|ext| span.ends_with(ext))
        })
        .collect();
    assert!(cited.len() >= 8, "{cited:?}");
    for path in cited {
        assert!(
            workspace_root().join(path).exists(),
            "SECURITY.md cites {path}, which does not exist"
        );
    }
}

#[test]
fn security_md_names_each_limit_setting_the_threat_model_and_how_to_report() {
    let text = security_md();
    for needed in [
        "RATE_LIMIT_LOGIN_FAILURES",
        "RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS",
        "RATE_LIMIT_SIGNUPS_PER_HOUR",
        "RATE_LIMIT_REPORTS_PER_HOUR",
        "## Reporting a vulnerability",
        "## What is protected, and from whom",
        "## Accepted risks",
        "enumeration",
        "dynamodb:LeadingKeys",
    ] {
        assert!(text.contains(needed), "SECURITY.md lacks {needed:?}");
    }
}
