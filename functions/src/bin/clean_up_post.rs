//! `clean_up_post`: invoked with batches of the table's stream records (of
//! `POST#` partitions only), it finishes what deleting a post leaves: the
//! likes of the post (each with its pointer in the liker's partition), the
//! entries of its replies (the replies themselves stay, keeping their
//! `in_reply_to`), and, for a reply, its entry under the parent with one
//! from the parent's `reply_count`. Whoever deleted the post (its author, a
//! moderator, an account's clean-up), this is where it is finished, once.
//!
//! Every step is idempotent: the partition is emptied page by page (read
//! strongly; nothing new can be written there once the post is gone, since
//! every like and reply is conditioned on it), and the parent's count moves
//! in one transaction with the deletion of the reply's entry, conditioned
//! on the entry. A redelivered record changes nothing. Records are applied
//! in order and the first that fails is reported, as in `fan_out`.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_runtime::{Error, LambdaEvent};
use microblog_functions::images::{event_of, image, ItemEvent, PostImage};
use microblog_functions::in_order;
use microblog_shared::store::items::KeyOf;
use microblog_shared::store::StoreError;
use microblog_shared::App;

/// Items of a deleted post's partition deleted per page.
const PAGE: u32 = 100;

/// Finishes the deletion `record` shows, if it shows one.
pub async fn clean_up(app: &App, record: &EventRecord) -> Result<(), String> {
    let (event, key) = event_of(record)?;
    if !matches!((key, event), (KeyOf::Post(_), ItemEvent::Removed)) {
        return Ok(());
    }
    let post: PostImage = image(record, false)?;
    finish(app, &post).await.map_err(|e| e.to_string())
}

async fn finish(app: &App, post: &PostImage) -> Result<(), StoreError> {
    while app.likes.clear_deleted_post(post.post(), PAGE).await? == PAGE as usize {}
    if let Some((parent, _)) = post.parent() {
        app.posts.forget_reply(parent, post.post()).await?;
    }
    Ok(())
}

microblog_functions::stream_function!(handler);

/// The Lambda handler: applies the batch's records in order and reports the
/// first that failed, so the batch is retried from there.
pub async fn handler(app: &App, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let records = &event.payload.records;
    Ok(in_order(records, "a deleted post's clean-up", |record| {
        clean_up(app, record)
    })
    .await)
}
