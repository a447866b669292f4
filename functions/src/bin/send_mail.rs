//! `send_mail`: invoked with batches of the table's stream records (only
//! mail jobs, `MAIL#<id>`, by Lambda's filter), it sends the mail each new
//! job asks for, then deletes the job, so a redelivered record finds
//! nothing left to send. For a password reset it looks up the address
//! itself (the request wrote the same job whoever has it): no account, a
//! suspended one, or an address changed since sign-up and not verified
//! means no message; a verification goes to its user while the address is
//! theirs and unverified. Otherwise it issues a code (only its hash is
//! stored, in one transaction with the job) and mails it. A send that fails is
//! reported (`ReportBatchItemFailures`) and retried from that record; the
//! retry issues a new code that voids the one it may have sent. Nothing
//! secret, and no address, is logged.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_runtime::{Error, LambdaEvent};
use microblog_functions::in_order;
use microblog_shared::auth::token::new_token;
use microblog_shared::domain::{CodeGrant, MailJob, MailKind, User};
use microblog_shared::mail::{compose, validity, MailError};
use microblog_shared::store::items::sha256_hex;
use microblog_shared::store::mail::job_id_of;
use microblog_shared::store::{Constraint, Read, StoreError};
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
    let store_error = |e: StoreError| e.to_string();
    let Some(job) = app.mail.job(id).await.map_err(store_error)? else {
        tracing::info!(job = id, "mail job already done");
        return Ok(());
    };
    let Some(user) = recipient(app, &job).await.map_err(store_error)? else {
        tracing::info!(job = %job.id, kind = job.kind.name(), "nothing to send for this job: no such account, or not this mail now");
        return app.mail.finish(&job.id).await.map_err(store_error);
    };
    let settings = app.mailer.settings();
    let (link_template, ttl) = match job.kind {
        MailKind::PasswordReset => (&settings.reset_url_template, settings.reset_code_ttl),
        MailKind::VerifyEmail => (&settings.verify_url_template, settings.verify_code_ttl),
    };
    let code = new_token();
    let grant = CodeGrant {
        purpose: job.kind,
        code_hash: sha256_hex(&code),
        user_id: user.id,
        email: user.email.clone(),
        session_epoch: user.session_epoch,
        expires_at: chrono::Utc::now().timestamp() + ttl.as_secs() as i64,
    };
    match app.mail.issue_code(&job, &grant).await {
        Err(StoreError::Conflict(Constraint::MailJobMoved)) => {
            tracing::info!(job = %job.id, "another delivery of this job got there first");
            return Ok(());
        }
        Err(StoreError::Conflict(Constraint::UserMissing)) => {
            tracing::info!(job = %job.id, user = %user.id, "the account was deleted meanwhile: nothing to send");
            return app.mail.finish(&job.id).await.map_err(store_error);
        }
        other => other.map_err(store_error)?,
    }
    let link = link_template.replace("{token}", &code);
    let message = compose(
        job.kind,
        &settings.from,
        &user.email,
        &[
            ("product", &settings.product_name),
            ("username", &user.username),
            ("link", &link),
            ("code", &code),
            ("validity", &validity(ttl)),
        ],
    );
    let sent = match message {
        Ok(message) => app.mailer.send(&job.id, message).await,
        Err(e) => Err(e),
    };
    match sent {
        Ok(()) => {
            tracing::info!(job = %job.id, user = %user.id, kind = job.kind.name(), "mail sent")
        }
        // An address the mail library or the server refuses for good will be
        // refused again: the job is dropped, not retried for an hour while
        // the mail behind it waits.
        Err(MailError::Address(e) | MailError::Refused(e)) => {
            tracing::warn!(job = %job.id, user = %user.id, error = %e, "mail not sent: the address was refused");
        }
        Err(e) => return Err(e.to_string()),
    }
    app.mail.finish(&job.id).await.map_err(store_error)
}

/// Whom `job`'s mail goes to, if anyone: for a reset, the holder of the
/// address if a reset may go to it (verified, or the sign-up address) and
/// the account is not suspended; for a verification, the job's user while
/// the address is still theirs and not yet verified.
async fn recipient(app: &App, job: &MailJob) -> Result<Option<User>, StoreError> {
    let user = match (job.kind, job.user_id) {
        (MailKind::PasswordReset, _) => app
            .mail
            .holder_of(&job.email)
            .await?
            .filter(User::may_reset_by_email),
        (MailKind::VerifyEmail, Some(id)) => app
            .users
            .get(id, Read::Strong)
            .await?
            .filter(|u| u.email.eq_ignore_ascii_case(&job.email) && !u.email_verified),
        (MailKind::VerifyEmail, None) => None,
    };
    Ok(user.filter(|u| u.suspended_at.is_none()))
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
