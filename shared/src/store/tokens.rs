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

use chrono::{DateTime, Utc};

use super::items::{
    get_s, get_u64, n, s, safety_key, session_key, token_key, user_key, Item, ItemError,
    EXPIRES_AT, PK, SAFETY, SESSION_EPOCH, SESSION_PREFIX, SK,
};
use super::{Constraint, Order, QueryWindow, Read, StoreError, Table, Transaction};
use crate::domain::{timestamp, Safety, User, UserId};

use super::safety::safety_of;
use super::sessions::session_of;
pub use super::sessions::{Presented, SessionRecord, Spare, MAX_SPARES, ROTATED_KEPT};

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

pub(super) fn millis(at: DateTime<Utc>) -> u64 {
    at.timestamp_millis().max(0) as u64
}

/// TTL wants whole seconds; round up so DynamoDB never deletes early.
pub(super) fn ttl_seconds(at: DateTime<Utc>) -> i64 {
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
    pub(super) table: Table,
}

impl TokenStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        TokenStore { table }
    }

    /// The access token item of `pair`, issued at `now` in `session`.
    pub(super) fn session_access_item(
        session: &SessionRecord,
        pair: &TokenPair,
        now: DateTime<Utc>,
    ) -> Item {
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
    pub(super) fn touch_profile(
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
    pub(super) async fn run_issuing(
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
        let (record, user, _) = self.find_screening(token_hash, user_id, false).await?;
        Ok((record, user))
    }

    /// [`TokenStore::find_with_profile`], and, when `screen`, the user's
    /// blocks and mutes (their safety item) in the same BatchGetItem.
    pub async fn find_screening(
        &self,
        token_hash: &str,
        user_id: Option<UserId>,
        screen: bool,
    ) -> Result<(Option<TokenRecord>, Option<User>, Option<Safety>), StoreError> {
        let token = token_key(token_hash);
        let with_safety = |id: UserId, mut keys: Vec<Item>| {
            if screen {
                keys.push(safety_key(id));
            }
            keys
        };
        let (mut record, keys) = match user_id {
            Some(id) => (None, with_safety(id, vec![token.clone(), user_key(id)])),
            None => {
                let found = self
                    .table
                    .batch_get(vec![token.clone()], Read::Strong)
                    .await?;
                let Some(item) = found.first() else {
                    return Ok((None, None, None));
                };
                let record = TokenRecord::from_item(item)?;
                let profile = user_key(record.user_id);
                let keys = with_safety(record.user_id, vec![profile]);
                (Some(record), keys)
            }
        };
        let mut user = None;
        let mut safety = screen.then(Safety::default);
        for item in &self.table.batch_get(keys, Read::Strong).await? {
            if item.get(PK) == token.get(PK) {
                record = Some(TokenRecord::from_item(item)?);
            } else if item.get(SK) == Some(&s(SAFETY)) {
                safety = Some(safety_of(item)?);
            } else {
                user = Some(User::from_item(item)?);
            }
        }
        Ok((record, user, safety))
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
