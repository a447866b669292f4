//! The app's table on an embedded engine kept in a file, which a test can
//! close and open again (a restart of `microblog-local`), with its stream
//! read the way the local server reads it: for the tests of the stream's
//! trimming, its positions and its index (issue 20).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use microblog_local::checkpoint::Checkpoints;
use microblog_local::engine::Engine;
use microblog_local::stream::{StreamPoller, StreamWorker};
use microblog_shared::config::ClientSettings;
use microblog_shared::{App, Config};

static FILES: AtomicUsize = AtomicUsize::new(0);

/// A table with a stream, on an engine whose data is in [`StreamFile::path`]
/// (under the system's temporary directory, left there as other tests'
/// files are).
pub struct StreamFile {
    /// The engine's SQLite file.
    pub path: PathBuf,
    /// The app on it.
    pub app: App,
    /// A DynamoDB client of the engine.
    pub client: aws_sdk_dynamodb::Client,
    /// A DynamoDB Streams client of the engine.
    pub streams: aws_sdk_dynamodbstreams::Client,
    db: dynoxide::Database,
    stream_arn: String,
    shard: String,
}

impl StreamFile {
    /// A new file (removed first if a run before left it), its table made.
    pub async fn create() -> StreamFile {
        let path = std::env::temp_dir().join(format!(
            "microblog-stream-{}-{}.db",
            std::process::id(),
            FILES.fetch_add(1, Ordering::Relaxed)
        ));
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
        StreamFile::open(path).await
    }

    /// The same file opened again, as a restarted server opens it.
    pub async fn reopen(self) -> StreamFile {
        let path = self.path.clone();
        drop(self);
        StreamFile::open(path).await
    }

    /// The engine's file at `path`, opened as a server opens it.
    pub async fn open_at(path: PathBuf) -> StreamFile {
        StreamFile::open(path).await
    }

    async fn open(path: PathBuf) -> StreamFile {
        let db = dynoxide::Database::new(path.to_str().expect("a UTF-8 path"))
            .expect("the engine opens its file");
        let engine = Engine::in_process(db.clone());
        let client = engine.in_process_client(&ClientSettings::default());
        let streams = engine.in_process_streams();
        let config = Config::from_lookup(|name| match name {
            "TABLE_NAME" => Some("microblog".to_string()),
            _ => None,
        })
        .expect("a valid config");
        let app = App::new(config, client.clone());
        app.create_table_if_missing()
            .await
            .expect("the table is made");
        let stream_arn = client
            .describe_table()
            .table_name(app.table_name())
            .send()
            .await
            .expect("the table is described")
            .table
            .and_then(|t| t.latest_stream_arn)
            .expect("the table has a stream");
        let shard = streams
            .describe_stream()
            .stream_arn(&stream_arn)
            .send()
            .await
            .expect("the stream is described")
            .stream_description
            .and_then(|d| d.shards.and_then(|s| s.into_iter().next()))
            .and_then(|s| s.shard_id)
            .expect("the stream has a shard");
        StreamFile {
            path,
            app,
            client,
            streams,
            db,
            stream_arn,
            shard,
        }
    }

    /// Writes `count` items to the table (one stream record each), keyed
    /// `TEST#<first + i>`.
    pub async fn write(&self, first: usize, count: usize) {
        for i in first..first + count {
            self.client
                .put_item()
                .table_name(self.app.table_name())
                .item("pk", AttributeValue::S(format!("TEST#{i}")))
                .item("sk", AttributeValue::S("ITEM".into()))
                .send()
                .await
                .expect("an item is written");
        }
    }

    /// Trims every stream record written so far (as the background task
    /// trims those older than a day); returns how many.
    pub fn trim_all(&self) -> usize {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_secs() as i64;
        self.db
            .trim_stream_records(now + 1)
            .expect("the stream is trimmed")
    }

    /// A shard iterator of the kind asked for, or the error's code.
    pub async fn iterator(
        &self,
        kind: ShardIteratorType,
        sequence: Option<&str>,
    ) -> Result<String, String> {
        self.streams
            .get_shard_iterator()
            .stream_arn(&self.stream_arn)
            .shard_id(&self.shard)
            .shard_iterator_type(kind)
            .set_sequence_number(sequence.map(str::to_string))
            .send()
            .await
            .map(|out| out.shard_iterator.expect("an iterator"))
            .map_err(code)
    }

    /// Every record from `iterator` to the end, as (key, sequence number),
    /// or the error's code.
    pub async fn read(&self, iterator: String) -> Result<Vec<(String, String)>, String> {
        let mut records = Vec::new();
        let mut next = Some(iterator);
        while let Some(iterator) = next.take() {
            let out = self
                .streams
                .get_records()
                .shard_iterator(iterator)
                .send()
                .await
                .map_err(code)?;
            let page = out.records.unwrap_or_default();
            if page.is_empty() {
                break;
            }
            for record in page {
                let change = record.dynamodb.expect("a change");
                let key = change
                    .keys
                    .as_ref()
                    .and_then(|k| k.get("pk"))
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                records.push((key, change.sequence_number.unwrap_or_default()));
            }
            next = out.next_shard_iterator;
        }
        Ok(records)
    }

    /// Everything the stream keeps, oldest first.
    pub async fn read_all(&self) -> Vec<(String, String)> {
        let iterator = self
            .iterator(ShardIteratorType::TrimHorizon, None)
            .await
            .expect("a TRIM_HORIZON iterator");
        self.read(iterator).await.expect("the stream reads")
    }

    /// A poller for `worker` keeping its position in the file.
    pub async fn poller(&self, worker: &str) -> StreamPoller {
        let checkpoints = Checkpoints::open(&self.client, self.app.table_name())
            .await
            .expect("the positions' table opens");
        StreamPoller::for_worker(
            &self.client,
            self.streams.clone(),
            self.app.table_name(),
            StreamWorker::named(worker),
        )
        .await
        .expect("a poller")
        .with_checkpoints(checkpoints)
    }
}

/// The code of a DynamoDB Streams error (`TrimmedDataAccessException`, ...).
fn code(error: impl aws_sdk_dynamodbstreams::error::ProvideErrorMetadata) -> String {
    error.code().unwrap_or("?").to_string()
}
