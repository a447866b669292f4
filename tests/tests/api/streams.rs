//! The embedded engine's stream over time (issue 20): it keeps what DynamoDB
//! Streams keeps and refuses a read from before its trim horizon as AWS
//! does, in order, across a restart; its reads and writes use an index; and
//! a stream worker of the local server goes on after a restart from where
//! it stopped.

use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use microblog_tests::stream_file::StreamFile;

const TRIMMED: &str = "TrimmedDataAccessException";

fn keys(records: &[(String, String)]) -> Vec<String> {
    records.iter().map(|(key, _)| key.clone()).collect()
}

fn sequence(n: &str) -> u128 {
    n.parse().expect("a sequence number is a number")
}

fn test_keys(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("TEST#{i}")).collect()
}

#[tokio::test]
async fn trimming_deletes_the_oldest_records_and_a_read_from_before_it_is_refused() {
    let file = StreamFile::create().await;
    let before_anything = file
        .iterator(ShardIteratorType::TrimHorizon, None)
        .await
        .unwrap();
    file.write(0, 5).await;
    let first = file.read_all().await;
    assert_eq!(keys(&first), test_keys(0..5));

    assert_eq!(file.trim_all(), 5);
    assert!(file.read_all().await.is_empty());
    assert_eq!(
        file.read(before_anything).await.unwrap_err(),
        TRIMMED,
        "an iterator from before the trim is refused, as DynamoDB Streams refuses it"
    );
    for (kind, at) in [
        (ShardIteratorType::AfterSequenceNumber, &first[1].1),
        (ShardIteratorType::AtSequenceNumber, &first[4].1),
    ] {
        assert_eq!(
            file.iterator(kind.clone(), Some(at)).await.unwrap_err(),
            TRIMMED,
            "{kind:?} a trimmed record"
        );
    }

    file.write(5, 3).await;
    let after = file.read_all().await;
    assert_eq!(
        keys(&after),
        test_keys(5..8),
        "what was written since, in order"
    );
    assert!(sequence(&after[0].1) > sequence(&first[4].1));
    let last_trimmed = file
        .iterator(ShardIteratorType::AfterSequenceNumber, Some(&first[4].1))
        .await
        .expect("after the last trimmed record is where the stream now starts");
    assert_eq!(file.read(last_trimmed).await.unwrap(), after);
    let latest = file
        .iterator(ShardIteratorType::Latest, None)
        .await
        .unwrap();
    assert!(file.read(latest).await.unwrap().is_empty());
}

#[tokio::test]
async fn trimming_everything_never_lets_a_sequence_number_be_issued_again() {
    let file = StreamFile::create().await;
    file.write(0, 3).await;
    // A number far above the clock's floor (microseconds since 1970), as a
    // burst of writes or a clock set back leaves: only the trim horizon
    // keeps the next number above it once it is trimmed.
    let far: i64 = 9_000_000_000_000_000;
    let path = file.path.clone();
    drop(file);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE _stream_records SET sequence_number = ?1 WHERE id = (SELECT MAX(id) FROM _stream_records)",
            [far.to_string()],
        )
        .unwrap();
    let file = StreamFile::open_at(path).await;
    assert_eq!(file.trim_all(), 3);
    let file = file.reopen().await;
    file.write(3, 1).await;
    let next = file.read_all().await;
    assert_eq!(keys(&next), test_keys(3..4));
    assert!(
        sequence(&next[0].1) > 100_000_000_000_000_000_000 + far as u128,
        "{} was issued after {far} was trimmed",
        next[0].1
    );
}

#[tokio::test]
async fn the_stream_keeps_its_records_and_its_trim_horizon_across_a_restart() {
    let file = StreamFile::create().await;
    file.write(0, 4).await;
    let trimmed = file.read_all().await;
    file.trim_all();
    file.write(4, 6).await;
    let kept = file.read_all().await;

    let file = file.reopen().await;
    assert_eq!(
        file.read_all().await,
        kept,
        "the same records, once each, in order"
    );
    assert_eq!(
        file.iterator(ShardIteratorType::AtSequenceNumber, Some(&trimmed[0].1))
            .await
            .unwrap_err(),
        TRIMMED,
        "the horizon is kept in the file"
    );
    file.write(10, 2).await;
    let all = file.read_all().await;
    assert_eq!(keys(&all), test_keys(4..12));
    assert!(all
        .windows(2)
        .all(|w| sequence(&w[0].1) < sequence(&w[1].1)));
}

/// The steps of SQLite's plan for `sql` in the engine's file at `path`.
fn plan(path: &std::path::Path, sql: &str) -> Vec<String> {
    let sqlite = rusqlite::Connection::open(path).unwrap();
    let mut statement = sqlite
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    let steps = statement
        .query_map([], |row| row.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    steps
}

#[tokio::test]
async fn the_engine_file_indexes_the_stream_by_shard_and_sequence_number() {
    let file = StreamFile::create().await;
    file.write(0, 1).await;
    let path = file.path.clone();
    drop(file);
    // The engine's own statements (vendor/dynoxide-rs/src/storage.rs): a
    // write's next sequence number, GetRecords, DescribeStream's range.
    for (what, sql) in [
        (
            "a write's next sequence number",
            "SELECT MAX(CAST(sequence_number AS INTEGER)) FROM _stream_records WHERE table_name = 'microblog' AND shard_id = 's'",
        ),
        (
            "GetRecords",
            "SELECT * FROM _stream_records WHERE table_name = 'microblog' AND shard_id = 's' AND CAST(sequence_number AS INTEGER) > 5 ORDER BY CAST(sequence_number AS INTEGER) LIMIT 100",
        ),
    ] {
        let steps = plan(&path, sql);
        assert!(
            steps
                .iter()
                .any(|step| step.contains("USING COVERING INDEX _stream_records_by_sequence")
                    || step.contains("USING INDEX _stream_records_by_sequence")),
            "{what} reads the index, not the whole stream: {steps:?}"
        );
        assert!(
            !steps.iter().any(|step| step.starts_with("SCAN")),
            "{what} scans: {steps:?}"
        );
    }
}

#[tokio::test]
async fn a_stream_worker_goes_on_after_a_restart_from_where_it_stopped() {
    let file = StreamFile::create().await;
    file.write(0, 7).await;
    let mut poller = file.poller("fan_out").await;
    assert_eq!(poller.poll_once(&file.app).await.unwrap(), 7);
    drop(poller);

    let file = file.reopen().await;
    let mut poller = file.poller("fan_out").await;
    assert_eq!(
        poller.poll_once(&file.app).await.unwrap(),
        0,
        "nothing handled before the restart is handed over again"
    );
    file.write(7, 3).await;
    assert_eq!(poller.poll_once(&file.app).await.unwrap(), 3);
    let mut other = file.poller("notify").await;
    assert_eq!(
        other.poll_once(&file.app).await.unwrap(),
        10,
        "each worker has its own position"
    );
}

#[tokio::test]
async fn a_stream_worker_whose_position_was_trimmed_goes_on_from_the_oldest_record_left() {
    let file = StreamFile::create().await;
    file.write(0, 2).await;
    let mut poller = file.poller("fan_out").await;
    assert_eq!(poller.poll_once(&file.app).await.unwrap(), 2);
    drop(poller);
    // Written and trimmed while the worker was stopped: lost, as on AWS
    // when a function falls a day behind.
    file.write(2, 3).await;
    file.trim_all();
    file.write(5, 4).await;

    let file = file.reopen().await;
    let mut poller = file.poller("fan_out").await;
    assert_eq!(poller.poll_once(&file.app).await.unwrap(), 4);
    assert_eq!(poller.poll_once(&file.app).await.unwrap(), 0);
}

#[tokio::test]
async fn a_running_stream_worker_trimmed_past_goes_on_from_the_oldest_record_left() {
    let file = StreamFile::create().await;
    let mut poller = file.poller("fan_out").await;
    assert_eq!(poller.poll_once(&file.app).await.unwrap(), 0);
    file.write(0, 3).await;
    file.trim_all();
    file.write(3, 2).await;
    // The first round finds its iterator trimmed past and takes a new one.
    let mut handled = 0;
    for _ in 0..3 {
        handled += poller.poll_once(&file.app).await.unwrap();
    }
    assert_eq!(handled, 2);
}
