//! `purge_user`: invoked with batches of the table's stream records, it
//! cleans up deleted accounts. `DELETE /api/users/{id}` writes a job item
//! (`PURGE#<id>`); each write of it (the insert, then each advance) is one
//! record here, answered with one bounded step (`PurgeStore::step`): at
//! most 100 edges, posts, feed entries or sessions, then the advance, which
//! is the next record. So deleting a user with 100,000 followers is a
//! thousand short invocations, never one long one, and a failure resumes
//! at the step it stopped at. Every step is idempotent and its advance is
//! conditioned on the step it read, so a redelivered record changes
//! nothing. Records are applied in order; the first that fails is reported
//! (`ReportBatchItemFailures`) and the batch is retried from it. Every
//! other record is ignored.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_runtime::{Error, LambdaEvent};
use microblog_functions::in_order;
use microblog_shared::domain::UserId;
use microblog_shared::store::items::{key_of, KeyOf};
use microblog_shared::store::purge::{PurgeJob, PurgePhase};
use microblog_shared::App;
use serde::Deserialize;

#[derive(Deserialize)]
struct Keys {
    pk: String,
    sk: String,
}

#[derive(Deserialize)]
struct JobImage {
    user_id: u64,
    phase: String,
    step: u64,
}

/// The clean-up step `record` asks for, if any; `Err` for a record that
/// cannot be read, which is a bug of ours (or not our table).
pub fn job_of(record: &EventRecord) -> Result<Option<PurgeJob>, String> {
    let keys: Keys = serde_dynamo::from_item(record.change.keys.clone())
        .map_err(|e| format!("unreadable keys: {e}"))?;
    let written = matches!(record.event_name.as_str(), "INSERT" | "MODIFY");
    if !matches!(key_of(&keys.pk, &keys.sk), KeyOf::PurgeJob(_)) || !written {
        return Ok(None);
    }
    let image: JobImage = serde_dynamo::from_item(record.change.new_image.clone())
        .map_err(|e| format!("unreadable clean-up job: {e}"))?;
    let phase = PurgePhase::parse(&image.phase)
        .ok_or_else(|| format!("unknown clean-up phase {:?}", image.phase))?;
    Ok(Some(PurgeJob {
        user_id: UserId::new(image.user_id),
        phase,
        step: image.step,
    }))
}

microblog_functions::stream_function!(handler);

/// The Lambda handler: applies the batch's records in order and reports the
/// first that failed, so the batch is retried from there.
pub async fn handler(app: &App, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let records = &event.payload.records;
    Ok(
        in_order(records, "an account clean-up step", |record| async move {
            match job_of(record)? {
                Some(job) => app.purges.step(job).await.map_err(|e| e.to_string()),
                None => Ok(()),
            }
        })
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(event_name: &str, pk: &str, new_image: serde_json::Value) -> EventRecord {
        serde_json::from_value(json!({
            "eventID": "1",
            "eventName": event_name,
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"pk": {"S": pk}, "sk": {"S": "X"}},
                "NewImage": new_image,
                "SequenceNumber": "1",
                "SizeBytes": 10,
                "StreamViewType": "NEW_AND_OLD_IMAGES"
            }
        }))
        .unwrap()
    }

    #[test]
    fn only_a_written_clean_up_job_is_a_step() {
        let job = json!({
            "pk": {"S": "PURGE#7"}, "sk": {"S": "PURGE"}, "user_id": {"N": "7"},
            "phase": {"S": "posts"}, "step": {"N": "3"}
        });
        for event in ["INSERT", "MODIFY"] {
            assert_eq!(
                job_of(&record(event, "PURGE#7", job.clone())).unwrap(),
                Some(PurgeJob {
                    user_id: UserId::new(7),
                    phase: PurgePhase::Posts,
                    step: 3
                })
            );
        }
        // The job's own deletion, and everything else, asks for nothing.
        assert_eq!(
            job_of(&record("REMOVE", "PURGE#7", json!({}))).unwrap(),
            None
        );
        assert_eq!(
            job_of(&record("INSERT", "USER#7", json!({}))).unwrap(),
            None
        );
        let broken = json!({"pk": {"S": "PURGE#7"}, "user_id": {"N": "7"},
            "phase": {"S": "later"}, "step": {"N": "0"}});
        assert!(job_of(&record("MODIFY", "PURGE#7", broken))
            .unwrap_err()
            .contains("unknown clean-up phase"));
    }
}
