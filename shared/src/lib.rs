//! The library every microblog function uses.
//!
//! Two layers that know nothing of HTTP: [`domain`] (users, follow edges,
//! validated values, `ValidationError`) and [`store`] (DynamoDB access,
//! `StoreError`). Above them the HTTP layer: [`http`] (typed bodies,
//! responses), [`auth`], [`pagination`], [`collections`], [`representation`],
//! [`safety`] (blocks and mutes), [`routes`], and [`error`], where every
//! lower error becomes an [`ApiError`].

pub mod auth;
pub mod collections;
pub mod config;
pub mod domain;
pub mod error;
pub mod hashing;
pub mod http;
pub mod lambda;
pub mod mail;
pub mod metrics;
pub mod moderation;
pub mod openapi;
pub mod pagination;
pub mod push;
pub mod representation;
pub mod routes;
pub mod safety;
pub mod store;
pub mod writing;

pub use config::Config;
pub use error::{respond, ApiError};

use store::devices::DeviceStore;
use store::feed::FeedStore;
use store::follows::FollowStore;
use store::likes::LikeStore;
use store::limits::LimitStore;
use store::mail::MailStore;
use store::moderation::ModerationStore;
use store::notifications::NotificationStore;
use store::posts::PostStore;
use store::purge::PurgeStore;
use store::reports::ReportStore;
use store::safety::SafetyStore;
use store::tokens::TokenStore;
use store::users::UserStore;
use store::Table;

/// Everything a handler needs, built once per cold start and shared by every
/// invocation of the warm function.
#[derive(Debug, Clone)]
pub struct App {
    /// The configuration.
    pub config: Config,
    table: Table,
    /// Users, markers, counters and the directory.
    pub users: UserStore,
    /// Tokens.
    pub tokens: TokenStore,
    /// Follow edges.
    pub follows: FollowStore,
    /// Posts and timelines.
    pub posts: PostStore,
    /// Likes, with their pointers and the posts' counts.
    pub likes: LikeStore,
    /// Notification inboxes.
    pub notifications: NotificationStore,
    /// Push devices.
    pub devices: DeviceStore,
    /// Sends pushes to devices.
    pub pusher: push::Pusher,
    /// Home feeds.
    pub feeds: FeedStore,
    /// Abuse-limit counters.
    pub limits: LimitStore,
    /// Clean-ups of deleted accounts.
    pub purges: PurgeStore,
    /// Blocks and mutes.
    pub safety: SafetyStore,
    /// Reports and the open queue.
    pub reports: ReportStore,
    /// Moderators' acts and their audit records.
    pub moderation: ModerationStore,
    /// Mail jobs and reset codes.
    pub mail: MailStore,
    /// Sends mail (only the `send_mail` worker does).
    pub mailer: mail::Mailer,
}

impl App {
    /// An app over an existing DynamoDB client.
    pub fn new(config: Config, client: aws_sdk_dynamodb::Client) -> Self {
        let table = Table::new(client, config.table_name.as_str());
        App {
            users: UserStore::new(table.clone()),
            tokens: TokenStore::new(table.clone()),
            follows: FollowStore::new(table.clone()),
            posts: PostStore::new(table.clone()),
            likes: LikeStore::new(table.clone()),
            notifications: NotificationStore::new(table.clone(), config.notification_ttl_days),
            devices: DeviceStore::new(table.clone()),
            pusher: push::Pusher::new(config.push.clone()),
            feeds: FeedStore::new(table.clone()),
            limits: LimitStore::new(table.clone()),
            purges: PurgeStore::new(table.clone(), config.cleanup_step),
            safety: SafetyStore::new(table.clone()),
            reports: ReportStore::new(table.clone()),
            moderation: ModerationStore::new(table.clone()),
            mail: MailStore::new(table.clone()),
            mailer: mail::Mailer::new(config.mail.clone()),
            table,
            config,
        }
    }

    /// Creates the table with its index and TTL unless it exists (the local
    /// server and the tests; on AWS the template creates it). Returns whether
    /// it was created.
    pub async fn create_table_if_missing(&self) -> Result<bool, store::StoreError> {
        self.table.create_if_missing().await
    }

    /// The name of the table every store uses.
    pub fn table_name(&self) -> &str {
        self.table.name()
    }

    /// An app whose DynamoDB client comes from the standard AWS environment
    /// (region, credentials, and `AWS_ENDPOINT_URL_DYNAMODB` when set), with
    /// the timeouts and retries of `config.dynamodb`.
    pub async fn from_config(config: Config) -> Self {
        let (client, _) = store::client::from_environment(&config.dynamodb).await;
        App::new(config, client)
    }
}
