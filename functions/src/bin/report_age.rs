//! `report_age`, every 5 minutes: how many reports are open and how long
//! the oldest has waited, written as a CloudWatch metric (the embedded
//! metric format, one line of standard output) that template.yaml's
//! `OpenReportAgeAlarm` watches. Two reads; it writes nothing.

use lambda_runtime::{Error, LambdaEvent};
use microblog_shared::moderation::queue_state;
use microblog_shared::{metrics, App};
use serde_json::Value;

microblog_functions::scheduled_function!(handler);

/// Reads the open queue and publishes its state; answers it too.
pub async fn handler(app: &App, _: LambdaEvent<Value>) -> Result<Value, Error> {
    let state = queue_state(app).await.map_err(|e| {
        tracing::error!(error = %e, "cannot read the moderation queue");
        Error::from(format!("cannot read the moderation queue: {e}"))
    })?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let line = metrics::report_queue(
        app.table_name(),
        state.open,
        state.oldest_age_seconds,
        now_ms,
    );
    // On its own line, as EMF asks: not through the log formatter.
    println!("{line}");
    Ok(serde_json::json!({
        "open_reports": state.open,
        "oldest_open_age_seconds": state.oldest_age_seconds,
    }))
}
