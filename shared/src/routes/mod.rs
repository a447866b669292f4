//! The route table: which function serves which method and path, and what
//! each function may do to DynamoDB.
//!
//! This table is the one place a route is declared. template.yaml's
//! functions are generated from it ([`template`]): each routed as declared
//! and granted exactly the DynamoDB actions declared here; the local server
//! dispatches by this table. Tests check that the calls each function
//! really makes while answering requests are declared. Requests matching no route go to the
//! `fallback` function, which answers 404, or 405 with `Allow`.

mod access;
mod resolve;
pub mod template;

pub use access::{keys, Access, Action, Resource};
pub use resolve::{match_path, resolve, shown, unrouted, Resolved, SHOWN_CHARACTERS};

use access::{index, table};

/// How a route's caller proves who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Nobody needs to (registration).
    None,
    /// HTTP Basic: username and password (getting a token).
    Basic,
    /// A bearer token. A request without one of the right shape is a 401
    /// before any DynamoDB call (tested for every such route).
    Bearer,
    /// A refresh token in the body (renewing a session).
    RefreshToken,
}

/// One route: an HTTP method and a path template served by one function,
/// with everything that function needs from its deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The function crate (and Lambda function) serving it.
    pub function: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path, with `{name}` for a path parameter.
    pub path: &'static str,
    /// The DynamoDB permissions the function's policy grants, no more.
    pub dynamodb: &'static [Access],
    /// Whether the function runs argon2id, and so needs the memory (and the
    /// CPU share that comes with it) to hash in ~20 ms.
    pub hashes_passwords: bool,
    /// The credentials it asks for.
    pub auth: Auth,
    /// The partition keys its function may touch, as patterns of IAM's
    /// `dynamodb:LeadingKeys` condition ([`keys`]); its policy allows no
    /// others.
    pub leading_keys: &'static [&'static str],
}

impl Route {
    const fn new(
        method: &'static str,
        path: &'static str,
        function: &'static str,
        dynamodb: &'static [Access],
    ) -> Route {
        Route {
            function,
            method,
            path,
            dynamodb,
            hashes_passwords: false,
            auth: Auth::Bearer,
            leading_keys: &[],
        }
    }

    const fn keys(self, leading_keys: &'static [&'static str]) -> Route {
        Route {
            leading_keys,
            ..self
        }
    }

    const fn hashing_passwords(self) -> Route {
        Route {
            hashes_passwords: true,
            ..self
        }
    }

    const fn authenticated_by(self, auth: Auth) -> Route {
        Route { auth, ..self }
    }

    /// API Gateway's route key: `GET /api/users/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

use Action::{
    BatchGetItem, BatchWriteItem, ConditionCheckItem, DeleteItem, GetItem, PutItem, Query,
    UpdateItem,
};

use crate::store::items::BY_TIME_INDEX as BY_TIME;

/// Every route of the API. A route asks for a bearer token unless it says
/// otherwise; every Bearer route reads the token and its user's profile
/// in one BatchGetItem (`auth::authenticate`).
pub const ROUTES: &[Route] = &[
    Route::new(
        "GET",
        "/api/users",
        "get_users",
        // Token, the user count's shards (a Query), the directory, the
        // page's profiles.
        &[table(Query), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::USER_COUNT, keys::DIRECTORY, keys::USER]),
    Route::new(
        "POST",
        "/api/users",
        "create_user",
        // Pre-check of the markers; the id counter (UpdateItem) and one
        // transaction of Puts (with the verification mail's job) and the
        // user count's Update; when that transaction's answer is lost, one
        // undoing it (Deletes).
        &[
            table(GetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .hashing_passwords()
    .authenticated_by(Auth::None)
    .keys(&[
        keys::SIGNUP_LIMIT,
        keys::USERNAME,
        keys::EMAIL,
        keys::USER_COUNTER,
        keys::USER,
        keys::DIRECTORY,
        keys::USER_COUNT,
        keys::MAIL,
    ]),
    Route::new(
        "GET",
        "/api/users/{id}",
        "get_user",
        &[table(GetItem), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    // The token and profile (authentication reads it) is all it needs.
    Route::new("GET", "/api/me", "get_me", &[table(BatchGetItem)]).keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "PUT",
        "/api/users/{id}",
        "update_user",
        // One transaction: the profile's Update, a Put and a Delete per
        // moved uniqueness marker, and a new address's verification job.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .keys(&[
        keys::TOKEN,
        keys::USER,
        keys::USERNAME,
        keys::EMAIL,
        keys::MAIL,
    ]),
    Route::new(
        "DELETE",
        "/api/users/{id}",
        "delete_user",
        // One transaction: the profile, both markers and the directory
        // entry deleted, the user count updated, the clean-up job put.
        &[
            table(BatchGetItem),
            table(DeleteItem),
            table(UpdateItem),
            table(PutItem),
        ],
    )
    .hashing_passwords()
    .keys(&[
        keys::TOKEN,
        keys::USER,
        keys::USERNAME,
        keys::EMAIL,
        keys::DIRECTORY,
        keys::USER_COUNT,
        keys::PURGE,
    ]),
    Route::new(
        "PUT",
        "/api/users/{id}/password",
        "change_password",
        // One transaction updating the profile (hash and session epoch),
        // the caller's token and session.
        &[table(BatchGetItem), table(UpdateItem)],
    )
    .hashing_passwords()
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "DELETE",
        "/api/users/{id}/tokens",
        "revoke_sessions",
        // One UpdateItem raising the session epoch on the profile.
        &[table(BatchGetItem), table(UpdateItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "GET",
        "/api/users/{id}/followers",
        "get_followers",
        &[table(GetItem), table(BatchGetItem), index(Query, BY_TIME)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "GET",
        "/api/users/{id}/followed",
        "get_followed",
        &[table(GetItem), table(BatchGetItem), index(Query, BY_TIME)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "GET",
        "/api/users/{id}/followed/{target_id}",
        "is_following",
        &[table(GetItem), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "GET",
        "/api/users/{id}/relationship",
        "get_relationship",
        // The user read alongside authentication, then both edges.
        &[table(GetItem), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "PUT",
        "/api/users/{id}/followed/{target_id}",
        "follow_user",
        // One transaction: both counts' Updates, both edge halves' Puts and
        // a check of each user's blocks.
        &[
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
            table(ConditionCheckItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "DELETE",
        "/api/users/{id}/followed/{target_id}",
        "unfollow_user",
        // One transaction: both counts' Updates, both edge halves' Deletes;
        // GetItems explain a cancelled one.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "PUT",
        "/api/users/{id}/blocked/{target_id}",
        "block_user",
        // Both edges and both profiles read; one transaction: the block's
        // entry, both safety items, both profiles (counts, or a check) and
        // the follow edges deleted or checked absent.
        &[
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
            table(ConditionCheckItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "DELETE",
        "/api/users/{id}/blocked/{target_id}",
        "unblock_user",
        // One transaction: the entry deleted, both safety items updated.
        &[table(BatchGetItem), table(UpdateItem), table(DeleteItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "GET",
        "/api/users/{id}/blocked",
        "get_blocked",
        // The caller's safety item (the count), the index, the profiles.
        &[table(GetItem), table(BatchGetItem), index(Query, BY_TIME)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "PUT",
        "/api/users/{id}/muted/{target_id}",
        "mute_user",
        // One transaction: the entry, the caller's safety item, both
        // profiles checked.
        &[
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
            table(ConditionCheckItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "DELETE",
        "/api/users/{id}/muted/{target_id}",
        "unmute_user",
        // One transaction: the entry deleted, the caller's safety item.
        &[table(BatchGetItem), table(UpdateItem), table(DeleteItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "GET",
        "/api/users/{id}/muted",
        "get_muted",
        &[table(GetItem), table(BatchGetItem), index(Query, BY_TIME)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "POST",
        "/api/reports",
        "create_report",
        // The target (post or profile) alongside authentication; the
        // reporter's open marker; the limit and the report id counter
        // (UpdateItem); one transaction: the report, its queue entry, marker
        // and reporter's entry (Puts), both counts (Updates), the target and
        // the reporter checked; the marker again when a report raced it.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
            table(ConditionCheckItem),
        ],
    )
    .keys(&[
        keys::TOKEN,
        keys::USER,
        keys::POST,
        keys::REPORT_LIMIT,
        keys::REPORT_COUNTER,
        keys::REPORT,
        keys::REPORTS,
    ]),
    Route::new(
        "GET",
        "/api/reports/{id}",
        "get_report",
        &[table(GetItem), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::REPORT]),
    Route::new(
        "GET",
        "/api/reports",
        "list_reports",
        // The queue's count (GetItem) and oldest entry (Query) alongside
        // authentication; one Query of the queue; one BatchGetItem of the
        // targets' posts and users and one of their counts.
        &[table(GetItem), table(BatchGetItem), table(Query)],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::POST, keys::REPORTS]),
    Route::new(
        "PUT",
        "/api/reports/{id}",
        "resolve_report",
        // The report (and, to remove it, the post) read strongly; one
        // transaction: the report updated, its queue entry and marker
        // deleted, both counts updated, the audit record put, and the
        // post's delete (post, timeline and own-feed entries, post_count)
        // or the user's suspension; then the targets read to answer.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .keys(&[
        keys::TOKEN,
        keys::USER,
        keys::POST,
        keys::FEED,
        keys::REPORT,
        keys::REPORTS,
        keys::AUDIT,
    ]),
    Route::new(
        "DELETE",
        "/api/users/{id}/suspension",
        "unsuspend_user",
        // The user alongside authentication; one transaction: the profile
        // updated, the audit record put.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::AUDIT]),
    Route::new(
        "POST",
        "/api/posts",
        "create_post",
        // The post id counter and post_count (UpdateItem); one transaction
        // putting the post, its timeline entry and the author's feed entry
        // (and, for a reply, its entry under the parent and the parent's
        // reply_count); the Idempotency-Key record is read, and put with
        // the post. A reply reads its parent, the caller's safety item and
        // the parent's author; mentions read the username markers and the
        // profiles they name (BatchGetItems).
        &[
            table(GetItem),
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
        ],
    )
    .keys(&[
        keys::TOKEN,
        keys::IDEMPOTENCY,
        keys::POST_COUNTER,
        keys::POST,
        keys::USER,
        keys::USERNAME,
        keys::FEED,
    ]),
    Route::new(
        "GET",
        "/api/posts/{id}",
        "get_post",
        &[table(GetItem), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::POST, keys::USER]),
    Route::new(
        "PUT",
        "/api/posts/{id}",
        "update_post",
        // The post and the caller's like of it; the mentions' markers and
        // profiles; one conditional UpdateItem.
        &[table(GetItem), table(BatchGetItem), table(UpdateItem)],
    )
    .keys(&[keys::TOKEN, keys::POST, keys::USER, keys::USERNAME]),
    Route::new(
        "DELETE",
        "/api/posts/{id}",
        "delete_post",
        // One transaction: the post, its timeline and own-feed entries, and
        // post_count.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(DeleteItem),
            table(UpdateItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::POST, keys::USER, keys::FEED]),
    Route::new(
        "PUT",
        "/api/posts/{id}/like",
        "like_post",
        // The token, the caller's safety item and the post, then its author
        // (GetItem); one transaction: the like and its pointer (Puts),
        // like_count (Update), the liker's profile checked.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
            table(ConditionCheckItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::POST]),
    Route::new(
        "DELETE",
        "/api/posts/{id}/like",
        "unlike_post",
        // The token and the post; one transaction: the like and its
        // pointer (Deletes), like_count (Update); without the count when
        // the post went meanwhile.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(DeleteItem),
            table(UpdateItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::POST]),
    Route::new(
        "GET",
        "/api/posts/{id}/likes",
        "get_post_likes",
        // The token, safety item and post; the likes in the index; the
        // page's users.
        &[table(GetItem), table(BatchGetItem), index(Query, BY_TIME)],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::POST]),
    Route::new(
        "GET",
        "/api/posts/{id}/replies",
        "get_post_replies",
        // The token, safety item and parent; the reply entries (Query);
        // the page's replies and authors, and the caller's likes of them.
        &[table(GetItem), table(BatchGetItem), table(Query)],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::POST]),
    Route::new(
        "GET",
        "/api/users/{id}/posts",
        "get_user_posts",
        &[table(GetItem), table(Query), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::POST]),
    Route::new(
        "GET",
        "/api/feed",
        "get_feed",
        &[table(GetItem), table(Query), table(BatchGetItem)],
    )
    .keys(&[
        keys::TOKEN,
        keys::POPULAR,
        keys::FEED,
        keys::USER,
        keys::POST,
    ]),
    Route::new(
        "POST",
        "/api/tokens",
        "get_token",
        // The username marker and profile; one transaction putting the
        // token and updating last_seen; deleting the token again when that
        // transaction's answer was lost (a token the client never got).
        &[
            table(GetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .hashing_passwords()
    .authenticated_by(Auth::Basic)
    .keys(&[keys::LOGIN_LIMIT, keys::USERNAME, keys::USER, keys::TOKEN]),
    Route::new(
        "PUT",
        "/api/tokens",
        "refresh_token",
        // The session and profile; one transaction rotating the session
        // (Update), replacing its access token (Delete, Put) and setting
        // last_seen (Update); ending the session (Deletes) on reuse.
        &[
            table(GetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .authenticated_by(Auth::RefreshToken)
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "DELETE",
        "/api/tokens",
        "revoke_token",
        // One transaction deleting the session and its access token; for a
        // session with spare pairs, it read (BatchGetItem) and ended whole.
        &[table(BatchGetItem), table(DeleteItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "POST",
        "/api/tokens/reset",
        "request_password_reset",
        // The two limits' counters (conditional UpdateItems, given back by
        // UpdateItem when the other refuses) and the mail job (PutItem),
        // whoever has the address.
        &[table(PutItem), table(UpdateItem)],
    )
    .authenticated_by(Auth::None)
    .keys(&[keys::RESET_LIMIT, keys::MAIL]),
    Route::new(
        "PUT",
        "/api/tokens/reset",
        "reset_password",
        // The code read strongly; one transaction deleting it and setting
        // the profile's hash and session epoch.
        &[table(GetItem), table(UpdateItem), table(DeleteItem)],
    )
    .hashing_passwords()
    .authenticated_by(Auth::None)
    .keys(&[keys::CODE, keys::USER]),
    Route::new(
        "POST",
        "/api/email-verifications",
        "verify_email",
        // The code and the profile read strongly; for a changed address the
        // login limits' counters (UpdateItem) and argon2; one transaction
        // deleting the code and marking the profile's address verified.
        &[table(GetItem), table(UpdateItem), table(DeleteItem)],
    )
    .hashing_passwords()
    .authenticated_by(Auth::None)
    .keys(&[keys::CODE, keys::USER, keys::LOGIN_LIMIT]),
    Route::new(
        "POST",
        "/api/users/{id}/email-verification",
        "resend_verification",
        // The caller's limit (a conditional UpdateItem) and the mail job
        // (PutItem).
        &[table(BatchGetItem), table(PutItem), table(UpdateItem)],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::VERIFY_LIMIT, keys::MAIL]),
    Route::new(
        "GET",
        "/api/notifications",
        "get_notifications",
        // The token and safety item; the inbox (GetItem) and the page
        // (Query) concurrently; the actors (BatchGetItem).
        &[table(GetItem), table(BatchGetItem), table(Query)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "GET",
        "/api/notifications/unread",
        "get_unread_count",
        // The token and safety item; the inbox (GetItem); at most 101 keys
        // and actors (Query); those actors (BatchGetItem).
        &[table(GetItem), table(BatchGetItem), table(Query)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "PUT",
        "/api/notifications/read",
        "mark_notifications_read",
        // One conditional UpdateItem of the inbox; the inbox read
        // (GetItem) when it refuses.
        &[table(GetItem), table(BatchGetItem), table(UpdateItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "PUT",
        "/api/me/devices/{device_token}",
        "register_device",
        // The token; the device (strong GetItem) and, for a new one, the
        // caller's devices (Query, to keep the limit); one PutItem.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(Query),
            table(PutItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "DELETE",
        "/api/me/devices/{device_token}",
        "unregister_device",
        // The token; one DeleteItem.
        &[table(BatchGetItem), table(DeleteItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    // The OpenAPI document, built from the code: no table, no token.
    Route::new("GET", "/api/openapi.json", "get_openapi", &[]).authenticated_by(Auth::None),
];

/// The function serving requests that match no route. It touches no table.
pub const FALLBACK_FUNCTION: &str = "fallback";

/// What starts a function that serves no route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Batches of records of the table's DynamoDB stream.
    TableStream,
    /// An EventBridge schedule, as its expression (`rate(5 minutes)`).
    Schedule(&'static str),
}

/// A function started by something other than an HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Worker {
    /// The function crate (and Lambda function).
    pub function: &'static str,
    /// What invokes it.
    pub trigger: Trigger,
    /// The DynamoDB permissions its policy grants on the table, no more
    /// (reading the stream itself is granted with the trigger).
    pub dynamodb: &'static [Access],
    /// The partition keys it may touch, like [`Route::leading_keys`].
    pub leading_keys: &'static [&'static str],
    /// What it does, as the Lambda console shows it.
    pub description: &'static str,
    /// How long one batch may take.
    pub timeout_seconds: u32,
    /// The start of the partition keys of the only records it is given
    /// (Lambda's filter drops the rest before invoking it); `None`: all.
    pub only_partitions_starting: Option<&'static str>,
    /// Whether it sends mail: SES's `SendEmail` for the stack's identity and
    /// configuration set, and the mail settings in its environment.
    pub sends_mail: bool,
    /// Whether it pushes to devices: SNS's `CreatePlatformEndpoint` and
    /// `Publish` for the account's mobile push applications and endpoints,
    /// and the push settings in its environment.
    pub pushes: bool,
}

/// Every function that serves no route.
pub const WORKERS: &[Worker] = &[
    Worker {
        function: "fan_out",
        trigger: Trigger::TableStream,
        // Followers, an author's newest posts and a feed's entries of one
        // author (Query); feed entries written and deleted (BatchWriteItem);
        // the set of popular authors and a follower count (GetItem), and
        // marking an author popular (UpdateItem); for replies, which
        // followers also follow the author answered (BatchGetItem).
        dynamodb: &[
            table(GetItem),
            table(BatchGetItem),
            table(Query),
            table(BatchWriteItem),
            table(UpdateItem),
        ],
        leading_keys: &[keys::POPULAR, keys::USER, keys::FEED],
        description: "table stream -> home feeds (fan-out on write)",
        // No API Gateway in front: a batch may fan a post out to up to
        // 10,000 followers (400 BatchWriteItem calls) per record. A batch
        // that times out is retried and bisected like one that fails; every
        // write is idempotent, so work done before the timeout is redone.
        timeout_seconds: 300,
        only_partitions_starting: None,
        sends_mail: false,
        pushes: false,
    },
    Worker {
        function: "purge_user",
        trigger: Trigger::TableStream,
        // A deleted user's edges, blocks, mutes, reports, posts, feed, codes
        // and sessions, a page at a time (Query); each report read (GetItem) and
        // deleted with its queue entry, marker and counts in one transaction; each edge unlinked with the other
        // user's count in one transaction (Delete, Update); the rest deleted
        // in batches (BatchWriteItem); the user's safety item read (GetItem)
        // and other users' safety items, the job and the popular mark
        // updated (UpdateItem); the job and safety item deleted (DeleteItem).
        dynamodb: &[
            table(GetItem),
            table(Query),
            table(DeleteItem),
            table(UpdateItem),
            table(BatchWriteItem),
        ],
        leading_keys: &[
            keys::PURGE,
            keys::USER,
            keys::FEED,
            keys::POST,
            keys::TOKEN,
            keys::POPULAR,
            keys::REPORT,
            keys::REPORTS,
            keys::CODE,
        ],
        description: "table stream -> clean-up of deleted accounts, in bounded steps",
        // One step is at most 100 edge transactions (10 at a time) or four
        // BatchWriteItems: well under a second, so a batch of 100 records
        // fits easily. A batch that times out is retried and bisected; every
        // step is idempotent and advances its job only once.
        timeout_seconds: 120,
        // Only clean-up jobs matter to it.
        only_partitions_starting: Some(crate::store::items::PURGE_PREFIX),
        sends_mail: false,
        pushes: false,
    },
    Worker {
        function: "clean_up_post",
        trigger: Trigger::TableStream,
        // A deleted post's partition, a page at a time (Query), its likes,
        // their pointers and its replies' entries deleted (BatchWriteItem);
        // a deleted reply's entry (DeleteItem) and its parent's
        // reply_count (UpdateItem) in one transaction.
        dynamodb: &[
            table(Query),
            table(BatchWriteItem),
            table(DeleteItem),
            table(UpdateItem),
        ],
        leading_keys: &[keys::POST, keys::USER],
        description:
            "table stream -> a deleted post's likes and reply entries, and its parent's reply count",
        // A post with 100,000 likes is 1,000 pages of a Query and four
        // BatchWriteItems: minutes. A batch that times out is retried and
        // carries on from what is left.
        timeout_seconds: 300,
        // Only posts (and their likes) matter to it.
        only_partitions_starting: Some(crate::store::items::POST_PREFIX),
        sends_mail: false,
        pushes: false,
    },
    Worker {
        function: "notify",
        trigger: Trigger::TableStream,
        // The recipient's safety item and a cause's claim (GetItem); the
        // inbox's next id (UpdateItem); one transaction putting the claim
        // and the notification (PutItem) and checking the cause and the
        // recipient (ConditionCheckItem); taking one back (DeleteItem). To
        // push: the recipient's devices (Query), the profile, the actor and
        // each device's session (GetItem), the pushes' limit per actor
        // (UpdateItem); a device whose session ended forgotten (DeleteItem).
        dynamodb: &[
            table(GetItem),
            table(Query),
            table(UpdateItem),
            table(PutItem),
            table(ConditionCheckItem),
            table(DeleteItem),
        ],
        leading_keys: &[keys::USER, keys::POST, keys::PUSH_LIMIT],
        description: "table stream -> notifications (follows, likes, replies, mentions) and their pushes (SNS)",
        // A batch is at most 100 records; a post notifies at most 11 users
        // (a reply and 10 mentions), each a few calls and two SNS calls per
        // device (at most 20): usually seconds, at worst minutes.
        timeout_seconds: 300,
        only_partitions_starting: None,
        sends_mail: false,
        pushes: true,
    },
    Worker {
        function: "send_mail",
        trigger: Trigger::TableStream,
        // The job, the email marker and the profile (GetItem, strong); one
        // transaction putting the code and its pointer, checking the
        // profile (ConditionCheckItem) and recording the code on the job
        // (UpdateItem), deleting any code it replaces; the job deleted
        // once sent (DeleteItem).
        dynamodb: &[
            table(GetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
            table(ConditionCheckItem),
        ],
        leading_keys: &[keys::MAIL, keys::EMAIL, keys::USER, keys::CODE],
        description: "table stream -> mail (password reset and verification codes), through SES",
        // A batch is at most 100 jobs, each three reads, a transaction, one
        // SendEmail and a delete: seconds. A batch that times out is retried
        // from its first unfinished job.
        timeout_seconds: 120,
        // Only mail jobs matter to it.
        only_partitions_starting: Some(crate::store::mail::MAIL_PREFIX),
        sends_mail: true,
        pushes: false,
    },
    Worker {
        function: "report_age",
        trigger: Trigger::Schedule("rate(5 minutes)"),
        // The open queue's count (GetItem) and its oldest entry (a Query
        // of one item).
        dynamodb: &[table(GetItem), table(Query)],
        leading_keys: &[keys::REPORTS],
        description: "every 5 minutes -> the oldest open report's age, as a CloudWatch metric",
        // Two reads.
        timeout_seconds: 30,
        only_partitions_starting: None,
        sends_mail: false,
        pushes: false,
    },
];

/// The route `function` serves; `None` for the fallback and unknown names.
pub fn route_of(function: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.function == function)
}

/// The functions serving HTTP: one per route, then the fallback.
pub fn http_functions() -> impl Iterator<Item = &'static str> {
    ROUTES.iter().map(|r| r.function).chain([FALLBACK_FUNCTION])
}

/// Every function's name: those serving HTTP, then the workers.
pub fn functions() -> impl Iterator<Item = &'static str> {
    http_functions().chain(WORKERS.iter().map(|w| w.function))
}

/// The partition-key patterns declared for `function` (none for the
/// fallback); `None` if no function has that name.
pub fn leading_keys_of(function: &str) -> Option<&'static [&'static str]> {
    match (route_of(function), worker_of(function)) {
        (Some(route), _) => Some(route.leading_keys),
        (None, Some(worker)) => Some(worker.leading_keys),
        (None, None) if function == FALLBACK_FUNCTION => Some(&[]),
        (None, None) => None,
    }
}

/// The worker called `function`, if it is one.
pub fn worker_of(function: &str) -> Option<&'static Worker> {
    WORKERS.iter().find(|w| w.function == function)
}

/// The DynamoDB permissions declared for `function` (none for the
/// fallback); `None` if no function has that name.
pub fn dynamodb_of(function: &str) -> Option<&'static [Access]> {
    match (route_of(function), worker_of(function)) {
        (Some(route), _) => Some(route.dynamodb),
        (None, Some(worker)) => Some(worker.dynamodb),
        (None, None) if function == FALLBACK_FUNCTION => Some(&[]),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_that_only_reads_declares_no_write_and_no_action_twice() {
        for route in ROUTES {
            if route.method == "GET" {
                assert!(
                    route.dynamodb.iter().all(|a| !a.action.writes()),
                    "{}",
                    route.function
                );
            }
            let mut seen = route.dynamodb.to_vec();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), route.dynamodb.len(), "{}", route.function);
        }
        assert_eq!(dynamodb_of(FALLBACK_FUNCTION), Some(&[][..]));
        assert_eq!(dynamodb_of("no_such_function"), None);
    }

    #[test]
    fn every_function_with_table_access_declares_its_leading_keys_once_each() {
        for function in functions() {
            let declared = dynamodb_of(function).unwrap();
            let keys = leading_keys_of(function).unwrap();
            assert_eq!(declared.is_empty(), keys.is_empty(), "{function}");
            let mut unique = keys.to_vec();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), keys.len(), "{function}");
        }
        assert!(keys::matches(keys::USER, "USER#12"));
        assert!(!keys::matches(keys::USER, "USERNAME#susan"));
        assert!(keys::matches(keys::DIRECTORY, "USERS"));
        assert!(!keys::matches(keys::DIRECTORY, "USERS2"));
    }

    #[test]
    fn every_route_is_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(a.function != b.function && (a.method, a.path) != (b.method, b.path));
            }
        }
    }
}
