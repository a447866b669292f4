//! Tokens: one item per issued token, keyed by the token's SHA-256, so the
//! table never holds a usable secret. DynamoDB's TTL deletes expired items
//! eventually; the expiry is also checked on every read.

use chrono::{DateTime, Utc};

use super::items::{get_u64, n, s, token_key, user_key, EXPIRES_AT};
use super::{Constraint, StoreError, Table, Transaction};
use crate::domain::timestamp;

/// A stored token, as read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRecord {
    /// Whose token it is.
    pub user_id: u64,
    /// Expiry in milliseconds since the epoch; TTL only has seconds.
    pub expires_at_ms: u64,
}

impl TokenRecord {
    /// Whether the token is still valid at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        (now.timestamp_millis().max(0) as u64) < self.expires_at_ms
    }
}

/// Store of tokens.
#[derive(Debug, Clone)]
pub struct TokenStore {
    table: Table,
}

impl TokenStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        TokenStore { table }
    }

    /// Stores a new token for `user_id` and sets the user's `last_seen` to
    /// `now`, in one transaction. [`Constraint::UserMissing`] if the user no
    /// longer exists.
    pub async fn issue(
        &self,
        token_hash: &str,
        user_id: u64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut item = token_key(token_hash);
        item.insert("user_id".into(), n(user_id));
        item.insert("issued_at".into(), s(timestamp(now)));
        item.insert("expires_at_ms".into(), n(expires_at.timestamp_millis()));
        // TTL wants whole seconds; round up so DynamoDB never deletes early.
        let ttl_secs = (expires_at.timestamp_millis() + 999).div_euclid(1000);
        item.insert(EXPIRES_AT.into(), n(ttl_secs));
        let mut transaction = Transaction::new("IssueToken");
        transaction
            .guarded(
                self.table.put(item, Some("attribute_not_exists(pk)")),
                Constraint::TokenInUse,
            )
            .guarded(
                self.table.update(user_key(user_id), |u| {
                    u.update_expression("SET last_seen = :now")
                        .condition_expression("attribute_exists(pk)")
                        .expression_attribute_values(":now", s(timestamp(now)))
                }),
                Constraint::UserMissing,
            );
        match self.table.transact(transaction).await {
            Err(StoreError::Conflict(Constraint::TokenInUse)) => {
                tracing::error!("token hash collision");
                Err(StoreError::Internal)
            }
            Err(lost) if lost.may_have_written() => {
                // The transaction may have committed with its answer lost (a
                // timeout or a broken connection after DynamoDB wrote it):
                // the client will never receive this token, so none must be
                // left usable. If DynamoDB is still out, the token's hash
                // stays until its TTL, known to nobody.
                if self.table.delete_now(token_key(token_hash)).await.is_ok() {
                    tracing::info!(user_id, "deleted the token whose issue failed");
                }
                Err(lost)
            }
            outcome => outcome,
        }
    }

    /// The token with this hash, expired or not. Eventually consistent, with
    /// a consistent re-read on a miss so that a token issued a moment ago is
    /// found; a token revoked less than about a second ago may still be seen.
    pub async fn find(&self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let Some(item) = self
            .table
            .get_confirming_miss(token_key(token_hash))
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(TokenRecord {
            user_id: get_u64(&item, "user_id")?,
            expires_at_ms: get_u64(&item, "expires_at_ms")?,
        }))
    }

    /// Deletes the token with this hash.
    pub async fn revoke(&self, token_hash: &str) -> Result<(), StoreError> {
        self.table.delete_now(token_key(token_hash)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_valid_until_the_millisecond_it_expires() {
        let record = TokenRecord {
            user_id: 1,
            expires_at_ms: 10_000,
        };
        let at = |ms| DateTime::<Utc>::from_timestamp_millis(ms).unwrap();
        assert!(record.is_valid_at(at(9_999)));
        assert!(!record.is_valid_at(at(10_000)));
        assert!(!record.is_valid_at(at(20_000)));
    }
}
