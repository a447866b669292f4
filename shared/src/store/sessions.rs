//! Sessions: the record of one login, its rotation and its spares, and
//! ending it (the module doc of [`super::tokens`] tells the whole scheme).

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::items::{get_s, get_u64, n, s, session_key, token_key, Item, ItemError, SESSION_EPOCH};
use super::tokens::{millis, ttl_seconds, TokenPair, TokenStore};
use super::{Constraint, Read, StoreError, Transaction};
use crate::domain::{timestamp, UserId};

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

pub(super) fn session_of(item: &Item) -> Result<SessionRecord, ItemError> {
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

impl TokenStore {
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
}
