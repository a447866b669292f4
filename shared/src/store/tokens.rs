//! Tokens and sessions.
//!
//! A login opens a *session*: one item in the user's partition
//! (`USER#<id> / SESSION#<sid>`) holding the SHA-256 of its current refresh
//! token and of its current access token, and one *access token* item keyed
//! by the access token's SHA-256 (`TOKEN#<hash>`), so the table never holds
//! a usable secret. Rotating the refresh token replaces both in one
//! transaction; ending the session deletes both. Every session and access
//! token carries the user's *session epoch* from when it was minted: raising
//! the epoch on the profile revokes them all in one write, and deleting the
//! profile does the same. DynamoDB's TTL deletes expired items eventually;
//! expiry is also checked on every read.
//!
//! A session also remembers short prefixes of the refresh tokens it rotated
//! out (the last [`ROTATED_KEPT`]), so that presenting one of them again is
//! known for a reuse (a leak: the session ends), while a secret it never
//! issued is only an invalid token that changes nothing. Within the reuse
//! interval after a rotation (`REFRESH_REUSE_INTERVAL_SECONDS`), presenting
//! a token that rotation replaced is no reuse but a race of one app's own
//! requests: it gets a *spare* pair of the same session, valid beside the
//! current one until the next rotation.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::items::{
    get_s, get_u64, n, s, session_key, token_key, user_key, Item, ItemError, EXPIRES_AT, PK,
    SESSION_EPOCH, SESSION_PREFIX, SK,
};
use super::{Constraint, Order, QueryWindow, Read, StoreError, Table, Transaction};
use crate::domain::{timestamp, User, UserId};

/// A stored access token, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Whose token it is.
    pub user_id: UserId,
    /// Expiry in milliseconds since the epoch; TTL only has seconds.
    pub expires_at_ms: u64,
    /// The session it belongs to; `None` for a token issued before sessions
    /// existed.
    pub session_id: Option<String>,
    /// The user's session epoch when it was minted.
    pub session_epoch: u64,
}

impl TokenRecord {
    fn from_item(item: &Item) -> Result<TokenRecord, ItemError> {
        Ok(TokenRecord {
            user_id: UserId::new(get_u64(item, "user_id")?),
            expires_at_ms: get_u64(item, "expires_at_ms")?,
            session_id: match item.get("session_id") {
                None => None,
                Some(_) => Some(get_s(item, "session_id")?.to_string()),
            },
            session_epoch: match item.get(SESSION_EPOCH) {
                None => 0,
                Some(_) => get_u64(item, SESSION_EPOCH)?,
            },
        })
    }

    /// Whether the token is still valid at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        millis(now) < self.expires_at_ms
    }
}

/// A stored session, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Whose session it is.
    pub user_id: UserId,
    /// Its id (random, named by its refresh tokens).
    pub session_id: String,
    /// The user's session epoch when it was opened.
    pub session_epoch: u64,
    /// SHA-256 of the current refresh token.
    pub refresh_hash: String,
    /// SHA-256 of the current access token.
    pub access_hash: String,
    /// Expiry of the current refresh token, in milliseconds since the epoch.
    pub expires_at_ms: u64,
    /// Changes since it opened, each conditioned on the count it read (0
    /// for sessions written before the count existed).
    pub version: u64,
    /// When its refresh token last rotated, in milliseconds since the epoch
    /// (0: never, or before this was kept).
    pub rotated_at_ms: u64,
    /// Prefixes of the refresh tokens rotated out, oldest first, at most
    /// [`ROTATED_KEPT`].
    pub rotated: Vec<String>,
    /// Prefixes of the refresh tokens the last rotation replaced: the ones
    /// the reuse interval applies to.
    pub replaced: Vec<String>,
    /// Pairs handed out within the reuse interval since the last rotation,
    /// valid like the current one.
    pub spares: Vec<Spare>,
}

/// A pair handed out within the reuse interval: its hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spare {
    /// SHA-256 of its refresh token.
    pub refresh_hash: String,
    /// SHA-256 of its access token.
    pub access_hash: String,
}

/// Rotated-out refresh tokens a session remembers: ten rotations back
/// (ten hours of hourly refreshes), and at most a few hundred bytes.
pub const ROTATED_KEPT: usize = 10;
/// Times ending a session reads it again when a refresh changed it between
/// the read and the delete.
const END_ATTEMPTS: u32 = 4;
/// Spare pairs a session hands out between two rotations at most.
pub const MAX_SPARES: usize = 16;
/// Hex digits of a refresh token's SHA-256 a session remembers once it is
/// rotated out: 128 bits tell issued tokens apart as surely as 256, at half
/// the item size.
const REMEMBERED_DIGITS: usize = 32;

fn remembered(hash: &str) -> String {
    hash.chars().take(REMEMBERED_DIGITS).collect()
}

/// What a presented refresh token is to its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// Its current refresh token, or a spare's: rotate.
    Current,
    /// One the last rotation replaced, within the reuse interval: a spare.
    Replaced,
    /// One it rotated out, past the interval: a reuse; the session ends.
    Reused,
    /// Not one it issued (or one too long ago to remember): invalid.
    Unknown,
}

impl SessionRecord {
    /// Whether the current refresh token is still valid at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        millis(now) < self.expires_at_ms
    }

    /// What the refresh token hashing to `hash` is to this session at
    /// `now`, with reuse interval `interval`.
    pub fn classify(&self, hash: &str, now: DateTime<Utc>, interval: Duration) -> Presented {
        if hash == self.refresh_hash || self.spares.iter().any(|s| s.refresh_hash == hash) {
            return Presented::Current;
        }
        let short = remembered(hash);
        let within = millis(now)
            < self
                .rotated_at_ms
                .saturating_add(interval.as_millis() as u64);
        if within && !interval.is_zero() && self.replaced.contains(&short) {
            Presented::Replaced
        } else if self.rotated.contains(&short) || self.replaced.contains(&short) {
            Presented::Reused
        } else {
            Presented::Unknown
        }
    }

    /// The hashes of every access token of the session: the current one
    /// and the spares'.
    pub fn access_hashes(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.access_hash.as_str())
            .chain(self.spares.iter().map(|s| s.access_hash.as_str()))
    }

    /// The condition that the session is as read: its version unchanged.
    fn unchanged(&self) -> &'static str {
        // A missing session matches neither: an update must not make one.
        if self.version == 0 {
            "attribute_exists(pk) AND attribute_not_exists(version)"
        } else {
            "version = :version"
        }
    }
}

/// `update` with the value [`SessionRecord::unchanged`] names, when it
/// names one.
fn with_version(
    update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    session: &SessionRecord,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    match session.version {
        0 => update,
        version => update.expression_attribute_values(":version", n(version)),
    }
}

fn strings(values: impl IntoIterator<Item = String>) -> AttributeValue {
    AttributeValue::L(values.into_iter().map(AttributeValue::S).collect())
}

/// The tokens of a new session, or of a session's next rotation: hashes
/// only, with their expiries.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// SHA-256 of the access token.
    pub access_hash: String,
    /// When the access token expires.
    pub access_expires_at: DateTime<Utc>,
    /// SHA-256 of the refresh token.
    pub refresh_hash: String,
    /// When the refresh token expires.
    pub refresh_expires_at: DateTime<Utc>,
}

fn millis(at: DateTime<Utc>) -> u64 {
    at.timestamp_millis().max(0) as u64
}

/// TTL wants whole seconds; round up so DynamoDB never deletes early.
fn ttl_seconds(at: DateTime<Utc>) -> i64 {
    (at.timestamp_millis() + 999).div_euclid(1000)
}

/// The condition that the profile exists with session epoch `epoch`
/// (profiles written before sessions existed have none: epoch 0).
pub(crate) fn epoch_is(epoch: u64) -> &'static str {
    if epoch == 0 {
        "attribute_exists(pk) AND (attribute_not_exists(session_epoch) OR session_epoch = :epoch)"
    } else {
        "attribute_exists(pk) AND session_epoch = :epoch"
    }
}

/// Store of tokens and sessions.
#[derive(Debug, Clone)]
pub struct TokenStore {
    table: Table,
}

impl TokenStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        TokenStore { table }
    }

    /// The access token item of `pair`, issued at `now` in `session`.
    fn session_access_item(session: &SessionRecord, pair: &TokenPair, now: DateTime<Utc>) -> Item {
        Self::access_item(
            session.user_id,
            &session.session_id,
            session.session_epoch,
            &pair.access_hash,
            now,
            pair.access_expires_at,
        )
    }

    fn access_item(
        user_id: UserId,
        session_id: &str,
        epoch: u64,
        hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Item {
        let mut item = token_key(hash);
        item.insert("user_id".into(), n(user_id));
        item.insert("session_id".into(), s(session_id));
        item.insert(SESSION_EPOCH.into(), n(epoch));
        item.insert("issued_at".into(), s(timestamp(now)));
        item.insert("expires_at_ms".into(), n(expires_at.timestamp_millis()));
        item.insert(EXPIRES_AT.into(), n(ttl_seconds(expires_at)));
        item
    }

    /// Opens a session for `user_id` (a login): the session, its access
    /// token, and the user's `last_seen` set to `now`, in one transaction
    /// conditioned on the user still having session epoch `epoch`
    /// ([`Constraint::SessionsRevoked`] otherwise: revoked or deleted since
    /// the profile was read).
    pub async fn open(
        &self,
        user_id: UserId,
        epoch: u64,
        session_id: &str,
        pair: &TokenPair,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let access = Self::access_item(
            user_id,
            session_id,
            epoch,
            &pair.access_hash,
            now,
            pair.access_expires_at,
        );
        let mut session = session_key(user_id, session_id);
        session.insert("session_id".into(), s(session_id));
        session.insert("user_id".into(), n(user_id));
        session.insert(SESSION_EPOCH.into(), n(epoch));
        session.insert("created_at".into(), s(timestamp(now)));
        session.insert("refreshed_at".into(), s(timestamp(now)));
        session.insert("access_hash".into(), s(&pair.access_hash));
        session.insert("refresh_hash".into(), s(&pair.refresh_hash));
        session.insert(
            "expires_at_ms".into(),
            n(pair.refresh_expires_at.timestamp_millis()),
        );
        session.insert(EXPIRES_AT.into(), n(ttl_seconds(pair.refresh_expires_at)));
        let mut transaction = Transaction::new("OpenSession");
        transaction
            .guarded(
                self.table.put(access, Some("attribute_not_exists(pk)")),
                Constraint::TokenInUse,
            )
            .guarded(
                self.table.put(session, Some("attribute_not_exists(pk)")),
                Constraint::TokenInUse,
            )
            .guarded(
                self.touch_profile(user_id, epoch, now),
                Constraint::SessionsRevoked,
            );
        // A session whose access token was never received is useless
        // without it: deleting the token is enough.
        self.run_issuing(transaction, user_id, vec![token_key(&pair.access_hash)])
            .await
    }

    /// Sets `last_seen` on the profile, conditioned on its session epoch.
    fn touch_profile(
        &self,
        user_id: UserId,
        epoch: u64,
        now: DateTime<Utc>,
    ) -> aws_sdk_dynamodb::types::TransactWriteItem {
        self.table.update(user_key(user_id), |u| {
            u.update_expression("SET last_seen = :now")
                .condition_expression(epoch_is(epoch))
                .expression_attribute_values(":now", s(timestamp(now)))
                .expression_attribute_values(":epoch", n(epoch))
        })
    }

    /// Runs a transaction that hands out new tokens; when its answer was
    /// lost, deletes the items at `forget`, which the client never received.
    async fn run_issuing(
        &self,
        transaction: Transaction,
        user_id: UserId,
        forget: Vec<Item>,
    ) -> Result<(), StoreError> {
        match self.table.transact(transaction).await {
            Err(StoreError::Conflict(Constraint::TokenInUse)) => {
                tracing::error!("token or session id collision");
                Err(StoreError::Internal)
            }
            Err(lost) if lost.may_have_written() => {
                // The transaction may have committed with its answer lost:
                // the client will never receive these tokens, so none must
                // be left usable. If DynamoDB is still out, the hash stays
                // until its TTL, known to nobody.
                let mut forgotten = true;
                for key in forget {
                    forgotten &= self.table.delete_now(key).await.is_ok();
                }
                if forgotten {
                    tracing::info!(%user_id, "deleted the token whose issue failed");
                }
                Err(lost)
            }
            outcome => outcome,
        }
    }

    /// Rotates `session`'s tokens to `next` (a refresh): the session's
    /// hashes and expiry, its memory of rotated tokens, its spares dropped,
    /// its old access tokens deleted and the new one put, the user's
    /// `last_seen`, in one transaction. Conditioned on the session being as
    /// read ([`Constraint::SessionMoved`]: a concurrent refresh changed it,
    /// or the session ended) and on the user's epoch
    /// ([`Constraint::SessionsRevoked`]).
    pub async fn rotate(
        &self,
        session: &SessionRecord,
        next: &TokenPair,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let user_id = session.user_id;
        let access = Self::session_access_item(session, next, now);
        let replaced: Vec<String> = std::iter::once(&session.refresh_hash)
            .chain(session.spares.iter().map(|s| &s.refresh_hash))
            .map(|hash| remembered(hash))
            .collect();
        let mut rotated = session.rotated.clone();
        rotated.extend(replaced.iter().cloned());
        let rotated = rotated.split_off(rotated.len().saturating_sub(ROTATED_KEPT));
        let mut transaction = Transaction::new("RotateSession");
        transaction.guarded(
            self.table
                .update(session_key(user_id, &session.session_id), |u| {
                    let u = u
                        .update_expression(
                            "SET refresh_hash = :refresh, access_hash = :access, \
                             refreshed_at = :now, rotated_at_ms = :now_ms, \
                             expires_at_ms = :expires_ms, expires_at = :ttl, \
                             rotated = :rotated, replaced = :replaced, version = :next \
                             REMOVE spares",
                        )
                        .condition_expression(session.unchanged())
                        .expression_attribute_values(":refresh", s(&next.refresh_hash))
                        .expression_attribute_values(":access", s(&next.access_hash))
                        .expression_attribute_values(":now", s(timestamp(now)))
                        .expression_attribute_values(":now_ms", n(millis(now)))
                        .expression_attribute_values(
                            ":expires_ms",
                            n(next.refresh_expires_at.timestamp_millis()),
                        )
                        .expression_attribute_values(
                            ":ttl",
                            n(ttl_seconds(next.refresh_expires_at)),
                        )
                        .expression_attribute_values(":rotated", strings(rotated))
                        .expression_attribute_values(":replaced", strings(replaced))
                        .expression_attribute_values(":next", n(session.version + 1));
                    with_version(u, session)
                }),
            Constraint::SessionMoved,
        );
        for hash in session.access_hashes() {
            transaction.always(self.table.delete(token_key(hash), |d| d));
        }
        transaction
            .guarded(
                self.table.put(access, Some("attribute_not_exists(pk)")),
                Constraint::TokenInUse,
            )
            .guarded(
                self.touch_profile(user_id, session.session_epoch, now),
                Constraint::SessionsRevoked,
            );
        // The client never received the new access token: it must not
        // exist. If the rotation did not commit, the client's retry with
        // its refresh token succeeds; if it did, that retry is a reuse
        // within the interval (a spare) or, later, one that ends the
        // session, as any replay does.
        self.run_issuing(transaction, user_id, vec![token_key(&next.access_hash)])
            .await
    }

    /// Hands out `spare` as a spare pair of `session` (a refresh token the
    /// last rotation replaced, presented within the reuse interval): the
    /// session's spares, its access token put, the user's `last_seen`, in
    /// one transaction, conditioned on no rotation since `session` was read
    /// and fewer than [`MAX_SPARES`] spares ([`Constraint::SessionMoved`])
    /// and on the user's epoch ([`Constraint::SessionsRevoked`]).
    pub async fn add_spare(
        &self,
        session: &SessionRecord,
        spare: &TokenPair,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let user_id = session.user_id;
        let access = Self::session_access_item(session, spare, now);
        let entry = AttributeValue::M(
            [
                ("refresh_hash".to_string(), s(&spare.refresh_hash)),
                ("access_hash".to_string(), s(&spare.access_hash)),
            ]
            .into(),
        );
        let mut transaction = Transaction::new("AddSpare");
        transaction
            .guarded(
                self.table
                    .update(session_key(user_id, &session.session_id), |u| {
                        // Spares added at once commute: each is only
                        // conditioned on no rotation since the read, and
                        // raises the version so that a rotation racing it
                        // reads it first.
                        u.update_expression(
                            "SET spares = list_append(if_not_exists(spares, :none), :spare) \
                             ADD version :one",
                        )
                        .condition_expression(
                            "rotated_at_ms = :rotated_at AND \
                             (attribute_not_exists(spares) OR size(spares) < :max)",
                        )
                        .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
                        .expression_attribute_values(":spare", AttributeValue::L(vec![entry]))
                        .expression_attribute_values(":one", n(1))
                        .expression_attribute_values(":rotated_at", n(session.rotated_at_ms))
                        .expression_attribute_values(":max", n(MAX_SPARES))
                    }),
                Constraint::SessionMoved,
            )
            .guarded(
                self.table.put(access, Some("attribute_not_exists(pk)")),
                Constraint::TokenInUse,
            )
            .guarded(
                self.touch_profile(user_id, session.session_epoch, now),
                Constraint::SessionsRevoked,
            );
        self.run_issuing(transaction, user_id, vec![token_key(&spare.access_hash)])
            .await
    }

    /// The access token with this hash, expired or not, and the profile of
    /// its user, both strongly consistent: a token issued a moment ago is
    /// found, and one revoked a moment ago (or whose sessions were) is not.
    /// A token that names its user (`user_id`) costs one BatchGetItem for
    /// both; one minted before tokens did is read first, then its profile.
    /// Always BatchGetItem, so authentication needs one permission.
    pub async fn find_with_profile(
        &self,
        token_hash: &str,
        user_id: Option<UserId>,
    ) -> Result<(Option<TokenRecord>, Option<User>), StoreError> {
        let token = token_key(token_hash);
        let (mut record, keys) = match user_id {
            Some(id) => (None, vec![token.clone(), user_key(id)]),
            None => {
                let found = self
                    .table
                    .batch_get(vec![token.clone()], Read::Strong)
                    .await?;
                let Some(item) = found.first() else {
                    return Ok((None, None));
                };
                let record = TokenRecord::from_item(item)?;
                let profile = user_key(record.user_id);
                (Some(record), vec![profile])
            }
        };
        let mut user = None;
        for item in &self.table.batch_get(keys, Read::Strong).await? {
            if item.get(PK) == token.get(PK) {
                record = Some(TokenRecord::from_item(item)?);
            } else {
                user = Some(User::from_item(item)?);
            }
        }
        Ok((record, user))
    }

    /// Session `session_id` of `user_id`, expired or not (strongly
    /// consistent: it decides whether a refresh token was already used).
    pub async fn session(
        &self,
        user_id: UserId,
        session_id: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let item = self
            .table
            .get(session_key(user_id, session_id), Read::Strong)
            .await?;
        item.as_ref()
            .map(session_of)
            .transpose()
            .map_err(Into::into)
    }

    /// Ends a session by the access token presented (a logout): deletes it
    /// and the session, in one transaction, when the session holds that
    /// token as its current one and has no spares (almost always);
    /// otherwise reads the session and ends it whole ([`TokenStore::end`]),
    /// so that no access token of it outlives it. The read is a
    /// BatchGetItem, the one read a logout is allowed: it authenticated
    /// with one.
    pub async fn end_session(
        &self,
        user_id: UserId,
        session_id: &str,
        access_hash: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("EndSession");
        transaction
            .always(self.table.delete(token_key(access_hash), |d| d))
            .guarded(
                self.table.delete(session_key(user_id, session_id), |d| {
                    d.condition_expression(
                        "access_hash = :presented AND attribute_not_exists(spares)",
                    )
                    .expression_attribute_values(":presented", s(access_hash))
                }),
                Constraint::SessionMoved,
            );
        match self.table.transact(transaction).await {
            Err(StoreError::Conflict(Constraint::SessionMoved)) => {
                let read = || async {
                    let found = self
                        .table
                        .batch_get(vec![session_key(user_id, session_id)], Read::Strong)
                        .await?;
                    Ok(found.first().map(session_of).transpose()?)
                };
                match read().await? {
                    Some(session) => self.end_reading(session, Some(access_hash), read).await,
                    None => self.revoke(access_hash).await,
                }
            }
            outcome => outcome,
        }
    }

    /// Ends `session` (read strongly with GetItem): deletes it and every
    /// access token of it, in one transaction conditioned on the session
    /// being as read; when a refresh changed it meanwhile, reads it again
    /// and ends what it holds then, so no new access token outlives it.
    pub async fn end(&self, session: &SessionRecord, also: Option<&str>) -> Result<(), StoreError> {
        let (user_id, session_id) = (session.user_id, session.session_id.clone());
        let read = || self.session(user_id, &session_id);
        self.end_reading(session.clone(), also, read).await
    }

    /// [`TokenStore::end`], reading the session again with `read`.
    async fn end_reading<F, R>(
        &self,
        mut session: SessionRecord,
        also: Option<&str>,
        read: F,
    ) -> Result<(), StoreError>
    where
        F: Fn() -> R,
        R: std::future::Future<Output = Result<Option<SessionRecord>, StoreError>>,
    {
        for _ in 0..END_ATTEMPTS {
            let mut hashes: Vec<&str> = session.access_hashes().collect();
            hashes.extend(also.filter(|hash| !hashes.contains(hash)));
            let mut transaction = Transaction::new("EndSession");
            for hash in hashes {
                transaction.always(self.table.delete(token_key(hash), |d| d));
            }
            transaction.guarded(
                self.table
                    .delete(session_key(session.user_id, &session.session_id), |d| {
                        let d = d.condition_expression(session.unchanged());
                        match session.version {
                            0 => d,
                            version => d.expression_attribute_values(":version", n(version)),
                        }
                    }),
                Constraint::SessionMoved,
            );
            match self.table.transact(transaction).await {
                Err(StoreError::Conflict(Constraint::SessionMoved)) => match read().await? {
                    Some(moved) => session = moved,
                    // Ended meanwhile, by another; the token presented, if
                    // any, goes too.
                    None => {
                        return match also {
                            Some(hash) => self.revoke(hash).await,
                            None => Ok(()),
                        }
                    }
                },
                outcome => return outcome,
            }
        }
        Err(StoreError::BUSY)
    }

    /// Deletes the access token with this hash (a token without a session).
    pub async fn revoke(&self, token_hash: &str) -> Result<(), StoreError> {
        self.table.delete_now(token_key(token_hash)).await
    }

    /// Revokes every session and token of `user_id` at once: one UpdateItem
    /// raising the profile's session epoch ([`Constraint::UserMissing`] if
    /// the user is gone).
    pub async fn revoke_all(&self, user_id: UserId) -> Result<(), StoreError> {
        self.table
            .update_guarded(user_key(user_id), Constraint::UserMissing, |u| {
                u.update_expression("ADD session_epoch :one")
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_values(":one", n(1))
            })
            .await
    }

    /// Changes `user`'s password hash to `new_hash` and revokes every other
    /// session, in one transaction: the profile's hash and epoch (raised by
    /// one), conditioned on the hash and epoch being those just verified
    /// ([`Constraint::PasswordChanged`]); and the caller's access token and
    /// session (if any) moved to the new epoch, so they keep working
    /// ([`Constraint::SessionMoved`] if they ended meanwhile).
    pub async fn change_password(
        &self,
        user: &User,
        new_hash: &str,
        token_hash: &str,
        session_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let next = user.session_epoch + 1;
        let mut transaction = Transaction::new("ChangePassword");
        transaction.guarded(
            self.table.update(user_key(user.id), |u| {
                u.update_expression("SET password_hash = :new, session_epoch = :next")
                    .condition_expression(format!(
                        "password_hash = :old AND ({})",
                        epoch_is(user.session_epoch)
                    ))
                    .expression_attribute_values(":new", s(new_hash))
                    .expression_attribute_values(":old", s(&user.password_hash))
                    .expression_attribute_values(":next", n(next))
                    .expression_attribute_values(":epoch", n(user.session_epoch))
            }),
            Constraint::PasswordChanged,
        );
        let mut keep = vec![token_key(token_hash)];
        keep.extend(session_id.map(|session| session_key(user.id, session)));
        for key in keep {
            transaction.guarded(
                self.table.update(key, |u| {
                    u.update_expression("SET session_epoch = :next")
                        .condition_expression("attribute_exists(pk)")
                        .expression_attribute_values(":next", n(next))
                }),
                Constraint::SessionMoved,
            );
        }
        self.table.transact(transaction).await
    }

    /// Up to `limit` sessions of `user_id`, by id: one strongly consistent
    /// Query of the user's partition (never a Scan).
    pub async fn sessions_of(
        &self,
        user_id: UserId,
        limit: u32,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let window = QueryWindow {
            index: None,
            partition: super::items::user_pk(user_id),
            sort_attribute: SK,
            sort_prefix: Some(SESSION_PREFIX),
            order: Order::OldestFirst,
        };
        let found = self.table.query_first(&window, limit).await?;
        Ok(found
            .iter()
            .map(session_of)
            .collect::<Result<_, ItemError>>()?)
    }

    /// Deletes `sessions` and their access tokens (BatchWriteItem;
    /// idempotent).
    pub async fn delete_sessions(&self, sessions: &[SessionRecord]) -> Result<(), StoreError> {
        let keys = sessions
            .iter()
            .flat_map(|session| {
                session
                    .access_hashes()
                    .map(token_key)
                    .chain([session_key(session.user_id, &session.session_id)])
                    .collect::<Vec<_>>()
            })
            .collect();
        self.table.batch_write(Vec::new(), keys).await
    }
}

fn session_of(item: &Item) -> Result<SessionRecord, ItemError> {
    Ok(SessionRecord {
        user_id: UserId::new(get_u64(item, "user_id")?),
        session_id: get_s(item, "session_id")?.to_string(),
        session_epoch: get_u64(item, SESSION_EPOCH)?,
        refresh_hash: get_s(item, "refresh_hash")?.to_string(),
        access_hash: get_s(item, "access_hash")?.to_string(),
        expires_at_ms: get_u64(item, "expires_at_ms")?,
        version: optional_u64(item, "version")?,
        rotated_at_ms: optional_u64(item, "rotated_at_ms")?,
        rotated: string_list(item, "rotated")?,
        replaced: string_list(item, "replaced")?,
        spares: match item.get("spares") {
            None => Vec::new(),
            Some(AttributeValue::L(entries)) => entries
                .iter()
                .map(|entry| match entry {
                    AttributeValue::M(spare) => Ok(Spare {
                        refresh_hash: get_s(spare, "refresh_hash")?.to_string(),
                        access_hash: get_s(spare, "access_hash")?.to_string(),
                    }),
                    _ => Err(ItemError("spares holds a non-map".into())),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(ItemError("spares is not a list".into())),
        },
    })
}

/// The hashes of every access token a session item names (its current
/// one and its spares'), read leniently: for deleting them, whatever else
/// the item holds.
pub(crate) fn access_hashes_of(item: &Item) -> Vec<String> {
    let mut hashes: Vec<String> = get_s(item, "access_hash")
        .ok()
        .map(str::to_string)
        .into_iter()
        .collect();
    if let Some(AttributeValue::L(spares)) = item.get("spares") {
        for spare in spares {
            if let AttributeValue::M(spare) = spare {
                hashes.extend(get_s(spare, "access_hash").ok().map(str::to_string));
            }
        }
    }
    hashes
}

fn optional_u64(item: &Item, name: &str) -> Result<u64, ItemError> {
    match item.get(name) {
        None => Ok(0),
        Some(_) => get_u64(item, name),
    }
}

fn string_list(item: &Item, name: &str) -> Result<Vec<String>, ItemError> {
    match item.get(name) {
        None => Ok(Vec::new()),
        Some(AttributeValue::L(values)) => values
            .iter()
            .map(|value| match value {
                AttributeValue::S(text) => Ok(text.clone()),
                _ => Err(ItemError(format!("{name} holds a non-string"))),
            })
            .collect(),
        Some(_) => Err(ItemError(format!("{name} is not a list"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_valid_until_the_millisecond_it_expires() {
        let record = TokenRecord {
            user_id: UserId::new(1),
            expires_at_ms: 10_000,
            session_id: None,
            session_epoch: 0,
        };
        let at = |ms| DateTime::<Utc>::from_timestamp_millis(ms).unwrap();
        assert!(record.is_valid_at(at(9_999)));
        assert!(!record.is_valid_at(at(10_000)));
        assert!(!record.is_valid_at(at(20_000)));
    }

    #[test]
    fn ttl_seconds_round_up_so_an_item_never_expires_early() {
        let at = |ms| DateTime::<Utc>::from_timestamp_millis(ms).unwrap();
        assert_eq!(ttl_seconds(at(10_000)), 10);
        assert_eq!(ttl_seconds(at(10_001)), 11);
    }
}
