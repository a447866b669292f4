//! Push devices: `USER#<id> / DEVICE#<hex SHA-256 of the token>`, each with
//! its token, platform and the session that registered it. A device lives
//! as long as that session: the push worker checks the session (and the
//! profile's session epoch) before each push and forgets the device of a
//! session that ended (a log-out, a log-out everywhere, a password change).
//! An account's clean-up deletes them all.

use super::items::{get_s, key, n, s, sha256_hex, user_pk, Item, ItemError, SK};
use super::{Order, QueryWindow, Read, StoreError, Table};
use crate::domain::{Device, DeviceToken, Platform, UserId, MAX_DEVICES};

/// Prefix of the sort keys of a user's devices.
pub const DEVICE_PREFIX: &str = "DEVICE#";

fn device_key(user: UserId, token_hash: &str) -> Item {
    key(user_pk(user), format!("{DEVICE_PREFIX}{token_hash}"))
}

/// What a registration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// The device is registered to the session.
    Done,
    /// The user has [`MAX_DEVICES`] other devices registered.
    Full,
}

/// Store of push devices.
#[derive(Debug, Clone)]
pub struct DeviceStore {
    table: Table,
}

impl DeviceStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        DeviceStore { table }
    }

    /// Registers `token` for `user`'s session `session_id` (again: it moves
    /// to this session). A new device beyond [`MAX_DEVICES`] is refused.
    pub async fn register(
        &self,
        user: UserId,
        token: &DeviceToken,
        platform: Platform,
        session_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Registered, StoreError> {
        let hash = sha256_hex(token.as_str());
        let known = self
            .table
            .get(device_key(user, &hash), Read::Strong)
            .await?
            .is_some();
        if !known && self.of(user).await?.len() >= MAX_DEVICES {
            return Ok(Registered::Full);
        }
        let mut item = device_key(user, &hash);
        item.insert("token".into(), s(token.as_str()));
        item.insert("platform".into(), s(platform.as_str()));
        item.insert("session_id".into(), s(session_id));
        item.insert("registered_at".into(), n(now.timestamp()));
        self.table.put_now(item).await?;
        Ok(Registered::Done)
    }

    /// Forgets `user`'s device with the token hashed `token_hash` (nothing
    /// if it is not registered).
    pub async fn forget(&self, user: UserId, token_hash: &str) -> Result<(), StoreError> {
        self.table.delete_now(device_key(user, token_hash)).await
    }

    /// Unregisters `token` for `user`.
    pub async fn unregister(&self, user: UserId, token: &DeviceToken) -> Result<(), StoreError> {
        self.forget(user, &sha256_hex(token.as_str())).await
    }

    /// `user`'s devices (one strongly consistent Query of at most
    /// [`MAX_DEVICES`] + 1 items).
    pub async fn of(&self, user: UserId) -> Result<Vec<Device>, StoreError> {
        let window = QueryWindow {
            index: None,
            partition: user_pk(user),
            sort_attribute: SK,
            sort_prefix: Some(DEVICE_PREFIX),
            order: Order::OldestFirst,
        };
        let found = self
            .table
            .query_first(&window, MAX_DEVICES as u32 + 1)
            .await?;
        found
            .iter()
            .map(|item| Ok(device_of(user, item)?))
            .collect()
    }
}

fn device_of(user: UserId, item: &Item) -> Result<Device, ItemError> {
    let sk = get_s(item, SK)?;
    let platform = get_s(item, "platform")?;
    Ok(Device {
        user,
        token: get_s(item, "token")?.to_string(),
        token_hash: sk.trim_start_matches(DEVICE_PREFIX).to_string(),
        platform: Platform::parse(platform)
            .map_err(|_| ItemError(format!("unknown platform {platform}")))?,
        session_id: get_s(item, "session_id")?.to_string(),
    })
}
