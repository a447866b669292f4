//! `send_mail`: invoked with batches of the table's stream records (only
//! mail jobs, `MAIL#<id>`, by Lambda's filter), it sends the mail each new
//! job asks for, then deletes the job, so a redelivered record finds
//! nothing left to send. For a password reset it looks up the address
//! itself (the request wrote the same job whoever has it): no account, a
//! suspended one, or an address changed since sign-up and not verified
//! means no message; otherwise it issues a code (only its hash is stored,
//! in one transaction with the job) and mails it. A send that fails is
//! reported (`ReportBatchItemFailures`) and retried from that record; the
//! retry issues a new code that voids the one it may have sent. Nothing
//! secret, and no address, is logged.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_runtime::{Error, LambdaEvent};
use microblog_functions::in_order;
use microblog_shared::auth::token::new_token;
use microblog_shared::domain::{MailJob, MailKind, ResetGrant};
use microblog_shared::mail::{compose, MailError};
use microblog_shared::store::items::sha256_hex;
use microblog_shared::store::mail::job_id_of;
use microblog_shared::store::{Constraint, StoreError};
use microblog_shared::App;
use serde::Deserialize;

#[derive(Deserialize)]
struct Keys {
    pk: String,
    sk: String,
}

/// The id of the job `record` creates, if it creates one: an update of a
/// job (its code recorded) or its deletion asks for nothing.
pub fn new_job_of(record: &EventRecord) -> Result<Option<String>, String> {
    if record.event_name != "INSERT" {
        return Ok(None);
    }
    let keys: Keys = serde_dynamo::from_item(record.change.keys.clone())
        .map_err(|e| format!("unreadable keys: {e}"))?;
    Ok(job_id_of(&keys.pk, &keys.sk).map(str::to_string))
}

microblog_functions::stream_function!(handler);

/// The Lambda handler: sends each new job's mail in order and reports the
/// first that failed, so the batch is retried from there.
pub async fn handler(app: &App, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let records = &event.payload.records;
    Ok(in_order(records, "a mail job", |record| async move {
        match new_job_of(record)? {
            Some(id) => send(app, &id).await,
            None => Ok(()),
        }
    })
    .await)
}

/// Does job `id`, if it is still there.
async fn send(app: &App, id: &str) -> Result<(), String> {
    let job = match app.mail.job(id).await.map_err(|e| e.to_string())? {
        Some(job) => job,
        None => {
            tracing::info!(job = id, "mail job already done");
            return Ok(());
        }
    };
    match job.kind {
        MailKind::PasswordReset => send_reset(app, &job).await,
    }
}

async fn send_reset(app: &App, job: &MailJob) -> Result<(), String> {
    let store_error = |e: StoreError| e.to_string();
    let recipient = app.mail.holder_of(&job.email).await.map_err(store_error)?;
    let Some(recipient) = recipient.filter(|r| {
        let eligible = !r.address_changed && r.user.suspended_at.is_none();
        if !eligible {
            tracing::info!(job = %job.id, user = %r.user.id, changed = r.address_changed, "no reset mail: the address was changed and not verified, or the account is suspended");
        }
        eligible
    }) else {
        tracing::info!(job = %job.id, "no reset mail for this job");
        return app.mail.finish(&job.id).await.map_err(store_error);
    };
    let settings = app.mailer.settings();
    let code = new_token();
    let ttl = settings.reset_code_ttl.as_secs();
    let grant = ResetGrant {
        code_hash: sha256_hex(&code),
        user_id: recipient.user.id,
        email: recipient.user.email.clone(),
        session_epoch: recipient.user.session_epoch,
        expires_at: chrono::Utc::now().timestamp() + ttl as i64,
    };
    match app.mail.issue_reset_code(job, &grant).await {
        Err(StoreError::Conflict(Constraint::MailJobMoved)) => {
            tracing::info!(job = %job.id, "another delivery of this job got there first");
            return Ok(());
        }
        other => other.map_err(store_error)?,
    }
    let link = settings.reset_url_template.replace("{token}", &code);
    let minutes = ttl.div_ceil(60).to_string();
    let message = compose(
        MailKind::PasswordReset,
        &settings.from,
        &recipient.user.email,
        &[
            ("product", &settings.product_name),
            ("username", &recipient.user.username),
            ("link", &link),
            ("code", &code),
            ("minutes", &minutes),
        ],
    );
    let sent = match message {
        Ok(message) => app.mailer.send(&job.id, message).await,
        Err(e) => Err(e),
    };
    match sent {
        Ok(()) => tracing::info!(job = %job.id, user = %grant.user_id, "reset mail sent"),
        // An address the mail library refuses will be refused again: the
        // job is dropped, not retried for an hour.
        Err(MailError::Address(e)) => {
            tracing::warn!(job = %job.id, user = %grant.user_id, error = %e, "reset mail not sent: the address was refused");
        }
        Err(e) => return Err(e.to_string()),
    }
    app.mail.finish(&job.id).await.map_err(store_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(event_name: &str, pk: &str, sk: &str) -> EventRecord {
        serde_json::from_value(json!({
            "eventID": "1",
            "eventName": event_name,
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"pk": {"S": pk}, "sk": {"S": sk}},
                "SequenceNumber": "1",
                "SizeBytes": 10,
                "StreamViewType": "NEW_AND_OLD_IMAGES"
            }
        }))
        .unwrap()
    }

    #[test]
    fn only_a_new_mail_job_is_work() {
        assert_eq!(
            new_job_of(&record("INSERT", "MAIL#abc", "JOB")).unwrap(),
            Some("abc".to_string())
        );
        // Recording a code, and the job's deletion, ask for nothing.
        for event in ["MODIFY", "REMOVE"] {
            assert_eq!(new_job_of(&record(event, "MAIL#abc", "JOB")).unwrap(), None);
        }
        assert_eq!(
            new_job_of(&record("INSERT", "POST#1", "POST")).unwrap(),
            None
        );
        assert_eq!(
            new_job_of(&record("INSERT", "MAIL#abc", "X")).unwrap(),
            None
        );
    }
}
