//! Users: profiles, the username and email uniqueness markers, the id counter,
//! the user count and the directory that lists users by id.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use super::items::{
    self, directory_key, email_key, get_u64, n, s, user_key, username_key, Item, User, COUNTER_PK,
    DIRECTORY_PK, SK, STATS_PK,
};
use super::{item_error, Table};
use crate::domain::{Email, Username};
use crate::error::ApiError;

/// A user about to be created: validated fields and the password's hash.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The username.
    pub username: Username,
    /// The email address.
    pub email: Email,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Optional profile text.
    pub about_me: Option<String>,
}

/// The profile fields a PUT may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    /// A new username.
    pub username: Option<Username>,
    /// A new email address.
    pub email: Option<Email>,
    /// A new about-me text; `Some(None)` clears it.
    pub about_me: Option<Option<String>>,
}

/// Why a create or update did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Another user holds the username (ignoring case).
    Username,
    /// Another user holds the email address (ignoring case).
    Email,
    /// The profile changed between our read and our write.
    Raced,
}

impl Taken {
    /// The 400 (or 409) the client gets.
    pub fn into_error(self) -> ApiError {
        match self {
            Taken::Username => ApiError::bad_request("please use a different username"),
            Taken::Email => ApiError::bad_request("please use a different email address"),
            Taken::Raced => ApiError::Conflict(
                "the profile was changed by another request at the same time; retry".into(),
            ),
        }
    }
}

/// Store of users.
#[derive(Debug, Clone)]
pub struct UserStore {
    table: Table,
}

fn put(table: &Table, item: Item, condition: Option<&str>) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table.name())
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_string))
        .build()
        .expect("table and item are set");
    TransactWriteItem::builder().put(put).build()
}

fn marker(key: Item, user_id: u64) -> Item {
    let mut item = key;
    item.insert("user_id".into(), n(user_id));
    item
}

impl UserStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        UserStore { table }
    }

    /// One user by id: eventually consistent (confirmed by a consistent read
    /// before answering "no such user"), or strongly consistent when
    /// `consistent`, for read-modify-write.
    pub async fn get(&self, id: u64, consistent: bool) -> Result<Option<User>, ApiError> {
        let item = if consistent {
            self.table.get(user_key(id), true).await?
        } else {
            self.table.get_confirming_miss(user_key(id)).await?
        };
        item.map(|item| User::from_item(&item).map_err(item_error))
            .transpose()
    }

    /// The users with `ids` (one BatchGetItem), in the order of `ids`; ids
    /// that name no user are skipped.
    pub async fn get_many(&self, ids: &[u64]) -> Result<Vec<User>, ApiError> {
        let found = self
            .table
            .batch_get(ids.iter().map(|id| user_key(*id)).collect())
            .await?;
        let mut users = found
            .iter()
            .map(User::from_item)
            .collect::<Result<Vec<_>, _>>()
            .map_err(item_error)?;
        users.sort_by_key(|u| ids.iter().position(|id| *id == u.id));
        Ok(users)
    }

    /// The id of the user holding the case-folded `username`, if any. A
    /// strongly consistent read: a login right after a sign-up or a rename
    /// must see it.
    pub async fn id_by_username(&self, folded: &str) -> Result<Option<u64>, ApiError> {
        self.table
            .get(username_key(folded), true)
            .await?
            .map(|item| get_u64(&item, "user_id").map_err(item_error))
            .transpose()
    }

    /// A cheap early answer to "is this name or address taken?", so that an
    /// obvious duplicate costs no password hash and no id. The transaction in
    /// [`UserStore::create`] remains the guarantee.
    pub async fn precheck(
        &self,
        username: &Username,
        email: &Email,
    ) -> Result<Option<Taken>, ApiError> {
        let (name, mail) = tokio::join!(
            self.table.get(username_key(&username.key()), false),
            self.table.get(email_key(&email.key()), false),
        );
        Ok(if name?.is_some() {
            Some(Taken::Username)
        } else if mail?.is_some() {
            Some(Taken::Email)
        } else {
            None
        })
    }

    /// Creates a user: takes an id from the atomic counter, then writes the
    /// profile, both uniqueness markers, the directory entry and the user
    /// count in one transaction, so that of any number of concurrent creates
    /// of one name exactly one succeeds.
    pub async fn create(
        &self,
        new: NewUser,
        now: DateTime<Utc>,
    ) -> Result<Result<User, Taken>, ApiError> {
        let id = self
            .table
            .increment(items::key(COUNTER_PK, "COUNTER"), "next_id", 1)
            .await?;
        let user = User {
            id,
            username: new.username.as_str().to_string(),
            email: new.email.as_str().to_string(),
            password_hash: new.password_hash,
            about_me: new.about_me,
            last_seen: now,
            post_count: 0,
            follower_count: 0,
            followed_count: 0,
        };
        let not_exists = Some("attribute_not_exists(pk)");
        let mut directory = directory_key(id);
        directory.insert("user_id".into(), n(id));
        let count = Update::builder()
            .table_name(self.table.name())
            .set_key(Some(items::key(STATS_PK, "COUNT")))
            .update_expression("ADD user_count :one")
            .expression_attribute_values(":one", n(1))
            .build()
            .expect("table, key and expression are set");
        let transaction = vec![
            put(
                &self.table,
                marker(username_key(&new.username.key()), id),
                not_exists,
            ),
            put(
                &self.table,
                marker(email_key(&new.email.key()), id),
                not_exists,
            ),
            put(&self.table, user.to_item(), not_exists),
            put(&self.table, directory, None),
            TransactWriteItem::builder().update(count).build(),
        ];
        Ok(
            match self.table.transact("CreateUser", transaction).await? {
                Ok(()) => Ok(user),
                Err(cancelled) if cancelled.failed(0) => Err(Taken::Username),
                Err(cancelled) if cancelled.failed(1) => Err(Taken::Email),
                Err(cancelled) => {
                    tracing::error!(
                        ?cancelled,
                        id,
                        "a freshly allocated user id was already in use"
                    );
                    return Err(ApiError::Internal);
                }
            },
        )
    }

    /// Applies `changes` to `current` (read with a consistent read): one
    /// transaction updates the profile, conditioned on the username and email
    /// being what we read, and moves any marker whose key changes.
    pub async fn update(
        &self,
        current: &User,
        changes: ProfileChanges,
    ) -> Result<Result<User, Taken>, ApiError> {
        let mut updated = current.clone();
        let mut transaction = Vec::new();
        let mut markers = Vec::new();
        if let Some(username) = &changes.username {
            updated.username = username.as_str().to_string();
            let old = current.username.to_ascii_lowercase();
            if username.key() != old {
                markers.push((
                    Taken::Username,
                    username_key(&old),
                    username_key(&username.key()),
                ));
            }
        }
        if let Some(email) = &changes.email {
            updated.email = email.as_str().to_string();
            let old = current.email.to_ascii_lowercase();
            if email.key() != old {
                markers.push((Taken::Email, email_key(&old), email_key(&email.key())));
            }
        }
        if let Some(about) = changes.about_me {
            updated.about_me = about;
        }

        let mut expression = "SET username = :username, email = :email".to_string();
        let mut update = Update::builder()
            .table_name(self.table.name())
            .set_key(Some(user_key(current.id)))
            .condition_expression("username = :old_username AND email = :old_email")
            .expression_attribute_values(":username", s(&updated.username))
            .expression_attribute_values(":email", s(&updated.email))
            .expression_attribute_values(":old_username", s(&current.username))
            .expression_attribute_values(":old_email", s(&current.email));
        match &updated.about_me {
            Some(about) => {
                expression.push_str(", about_me = :about");
                update = update.expression_attribute_values(":about", s(about));
            }
            None => expression.push_str(" REMOVE about_me"),
        }
        let update = update
            .update_expression(expression)
            .build()
            .expect("table, key and expression are set");
        transaction.push(TransactWriteItem::builder().update(update).build());

        // Each moved marker adds two items: [Put new, Delete old]. Remember
        // where each Put sits to explain a cancellation.
        let mut put_positions = Vec::new();
        for (kind, old_key, new_key) in markers {
            put_positions.push((transaction.len(), kind));
            transaction.push(put(
                &self.table,
                marker(new_key, current.id),
                Some("attribute_not_exists(pk)"),
            ));
            let delete = Delete::builder()
                .table_name(self.table.name())
                .set_key(Some(old_key))
                .condition_expression("user_id = :me")
                .expression_attribute_values(":me", n(current.id))
                .build()
                .expect("table and key are set");
            transaction.push(TransactWriteItem::builder().delete(delete).build());
        }

        Ok(
            match self.table.transact("UpdateUser", transaction).await? {
                Ok(()) => Ok(updated),
                Err(cancelled) => {
                    if cancelled.failed(0) {
                        return Ok(Err(Taken::Raced));
                    }
                    match put_positions.iter().find(|(i, _)| cancelled.failed(*i)) {
                        Some((_, kind)) => Err(*kind),
                        None => {
                            tracing::error!(?cancelled, "a marker we own was missing");
                            return Err(ApiError::Internal);
                        }
                    }
                }
            },
        )
    }

    /// The exact number of users, kept by the create transaction.
    pub async fn count(&self) -> Result<u64, ApiError> {
        Ok(
            match self.table.get(items::key(STATS_PK, "COUNT"), false).await? {
                Some(item) => get_u64(&item, "user_count").map_err(item_error)?,
                None => 0,
            },
        )
    }

    /// A window of user ids in id order from the directory: after `after`
    /// (a cursor) or after skipping `skip` entries (a bare page number).
    pub async fn directory_window(
        &self,
        after: Option<u64>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<u64>, ApiError> {
        let start = after.map(directory_key);
        let found = self
            .table
            .query_window(
                super::QueryWindow {
                    index: None,
                    partition: DIRECTORY_PK.to_string(),
                    sort_attribute: SK,
                    sort_prefix: None,
                    newest_first: false,
                },
                start,
                skip,
                limit,
            )
            .await?;
        found
            .iter()
            .map(|item| get_u64(item, "user_id").map_err(item_error))
            .collect()
    }
}
