//! Users: profiles, the username and email uniqueness markers, the id counter,
//! the user count and the directory that lists users by id.

use chrono::{DateTime, Utc};

use super::items::{
    self, directory_key, email_key, get_u64, n, purge_key, s, user_key, username_key, Item,
    COUNTER_PK, DIRECTORY_PK, EMAIL_CHANGED_AT, EMAIL_VERIFIED_AT, LEGACY_USER_COUNT_SK, SK,
    STATS_PK,
};
use super::mail::{job_item, new_job_id};
use super::purge::PurgePhase;
use super::tokens::epoch_is;
use super::{Constraint, Order, QueryWindow, Read, StoreError, Table, Transaction};
use crate::domain::{timestamp, Email, MailKind, NewUser, ProfileUpdate, User, UserId, Username};

/// Store of users.
#[derive(Debug, Clone)]
pub struct UserStore {
    table: Table,
}

fn marker(key: Item, user_id: UserId) -> Item {
    let mut item = key;
    item.insert("user_id".into(), n(user_id));
    item
}

const ABSENT: Option<&str> = Some("attribute_not_exists(pk)");

impl UserStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        UserStore { table }
    }

    /// One user by id. [`Read::Eventual`] confirms a miss with a strong read
    /// before answering "no such user", so a user created a moment ago is
    /// found; [`Read::Strong`] is for read-modify-write.
    pub async fn get(&self, id: UserId, read: Read) -> Result<Option<User>, StoreError> {
        self.table.get_by_id(id, read).await
    }

    /// The users with `ids` (one BatchGetItem), in the order of `ids`; ids
    /// that name no user are skipped.
    pub async fn get_many(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        self.table.get_many_by_id(ids).await
    }

    /// The id of the user holding `username` (ignoring case), if any. A
    /// strongly consistent read: a login right after a sign-up or a rename
    /// must see it.
    pub async fn id_by_username(&self, username: &Username) -> Result<Option<UserId>, StoreError> {
        self.id_by_folded_name(&username.key()).await
    }

    async fn id_by_folded_name(&self, folded: &str) -> Result<Option<UserId>, StoreError> {
        Ok(self
            .table
            .get(username_key(folded), Read::Strong)
            .await?
            .map(|item| items::get_user_id(&item, "user_id"))
            .transpose()?)
    }

    /// The users holding the case-folded usernames `folded` (what a post's
    /// mentions name), in the order of `folded`; names nobody holds, and
    /// suspended users, are skipped. Two BatchGetItems: the markers, then
    /// the profiles (for the names as their holders spell them).
    pub async fn by_folded_names(&self, folded: &[String]) -> Result<Vec<User>, StoreError> {
        if folded.is_empty() {
            return Ok(Vec::new());
        }
        let markers = self
            .table
            .batch_get(
                folded.iter().map(|name| username_key(name)).collect(),
                Read::Eventual,
            )
            .await?;
        let mut ids = Vec::with_capacity(markers.len());
        for marker in &markers {
            let name = items::get_s(marker, items::PK)?
                .strip_prefix("USERNAME#")
                .unwrap_or_default();
            let at = folded.iter().position(|f| f == name).unwrap_or(usize::MAX);
            ids.push((at, items::get_user_id(marker, "user_id")?));
        }
        ids.sort_unstable();
        let ids: Vec<UserId> = ids.into_iter().map(|(_, id)| id).collect();
        let users = self.get_many(&ids).await?;
        Ok(users
            .into_iter()
            .filter(|u| u.suspended_at.is_none())
            .collect())
    }

    /// The user trying to log in as `username` (`None` when the name could
    /// not be a username). Every call makes the same two reads, the marker
    /// and a profile (of user 0, never assigned, when the name is unknown),
    /// so neither the answer nor its timing tells whether the name exists.
    pub async fn for_login(&self, username: Option<&Username>) -> Result<Option<User>, StoreError> {
        // No marker has the empty key.
        let folded = username.map(Username::key).unwrap_or_default();
        match self.id_by_folded_name(&folded).await? {
            Some(id) => self.get(id, Read::Eventual).await,
            None => {
                self.table
                    .get(user_key(UserId::new(0)), Read::Eventual)
                    .await?;
                Ok(None)
            }
        }
    }

    /// Replaces `user`'s password hash with `new_hash`, the same password
    /// hashed again (in NFC): one UpdateItem, conditioned on the hash being
    /// the one read ([`Constraint::PasswordChanged`] otherwise, and then
    /// nothing changes).
    pub async fn replace_hash(&self, user: &User, new_hash: &str) -> Result<(), StoreError> {
        self.table
            .update_guarded(user_key(user.id), Constraint::PasswordChanged, |u| {
                u.update_expression("SET password_hash = :new")
                    .condition_expression("password_hash = :old")
                    .expression_attribute_values(":new", super::items::s(new_hash))
                    .expression_attribute_values(":old", super::items::s(&user.password_hash))
            })
            .await
    }

    /// A cheap early answer to "is this name or address taken?", so that an
    /// obvious duplicate costs no password hash and no id: a taken one is
    /// [`StoreError::Conflict`]. The transaction in [`UserStore::create`]
    /// remains the guarantee.
    pub async fn precheck(&self, username: &Username, email: &Email) -> Result<(), StoreError> {
        // Strong: a name freed by a rename a moment ago is free.
        let (name, mail) = tokio::join!(
            self.table.get(username_key(&username.key()), Read::Strong),
            self.table.get(email_key(&email.key()), Read::Strong),
        );
        if name?.is_some() {
            Err(StoreError::Conflict(Constraint::UsernameTaken))
        } else if mail?.is_some() {
            Err(StoreError::Conflict(Constraint::EmailTaken))
        } else {
            Ok(())
        }
    }

    /// Creates a user: takes an id from the atomic counter, then writes the
    /// profile, both uniqueness markers, the directory entry and the user
    /// count in one transaction, so that of any number of concurrent creates
    /// of one name exactly one succeeds; the others get
    /// [`Constraint::UsernameTaken`] (or `EmailTaken`).
    pub async fn create(&self, new: NewUser, now: DateTime<Utc>) -> Result<User, StoreError> {
        let id = self
            .table
            .increment(items::key(COUNTER_PK, "COUNTER"), "next_id", 1)
            .await
            .map(UserId::new)?;
        let user = User {
            id,
            username: new.username.as_str().to_string(),
            email: new.email.as_str().to_string(),
            password_hash: new.password_hash,
            about_me: new.about_me.map(|about| about.as_str().to_string()),
            last_seen: now,
            post_count: 0,
            follower_count: 0,
            followed_count: 0,
            session_epoch: 0,
            moderator: false,
            suspended_at: None,
            email_verified: false,
            email_changed: false,
        };
        let mut directory = directory_key(id);
        directory.insert("user_id".into(), n(id));
        let mut transaction = Transaction::new("CreateUser");
        transaction
            .guarded(
                self.table
                    .put(marker(username_key(&new.username.key()), id), ABSENT),
                Constraint::UsernameTaken,
            )
            .guarded(
                self.table
                    .put(marker(email_key(&new.email.key()), id), ABSENT),
                Constraint::EmailTaken,
            )
            .guarded(self.table.put(user.to_item(), ABSENT), Constraint::IdInUse)
            .always(self.table.put(directory, None))
            .always(self.table.update(items::user_count_key(id), |u| {
                u.update_expression("ADD user_count :one")
                    .expression_attribute_values(":one", n(1))
            }))
            // The address's verification mail, sent from the stream.
            .always(self.table.put(
                job_item(
                    &new_job_id(),
                    MailKind::VerifyEmail,
                    &user.email,
                    Some(id),
                    now,
                ),
                None,
            ));
        match self.table.transact(transaction).await {
            Err(StoreError::Conflict(Constraint::IdInUse)) => {
                tracing::error!(%id, "a freshly allocated user id was already in use");
                Err(StoreError::Internal)
            }
            Err(lost) if lost.may_have_written() => {
                self.undo_create(&user).await;
                Err(lost)
            }
            outcome => outcome.map(|()| user),
        }
    }

    /// After a create whose answer was lost (it may have committed: a
    /// timeout or a broken connection after DynamoDB wrote it), removes the
    /// user again if it is there and untouched, so that the client, told
    /// 503, can retry the same registration. One transaction, the exact
    /// inverse of the create, conditioned on the markers being this user's
    /// and the profile having no follows: if the create did not commit, the
    /// conditions fail and nothing changes; if DynamoDB is still out, the
    /// user stays whole and a retry is told the name is taken.
    async fn undo_create(&self, user: &User) {
        let ours = |key: Item| {
            self.table.delete(key, |d| {
                d.condition_expression("user_id = :id")
                    .expression_attribute_values(":id", n(user.id))
            })
        };
        let mut undo = Transaction::new("UndoCreateUser");
        undo.guarded(
            ours(username_key(&user.username.to_ascii_lowercase())),
            Constraint::MarkerNotOurs,
        )
        .guarded(
            ours(email_key(&user.email.to_ascii_lowercase())),
            Constraint::MarkerNotOurs,
        )
        .guarded(
            self.table.delete(user_key(user.id), |d| {
                d.condition_expression(
                    "attribute_exists(pk) AND follower_count = :zero AND followed_count = :zero",
                )
                .expression_attribute_values(":zero", n(0))
            }),
            Constraint::UserMissing,
        )
        .always(self.table.delete(directory_key(user.id), |d| d))
        .always(self.table.update(items::user_count_key(user.id), |u| {
            u.update_expression("ADD user_count :minus_one")
                .expression_attribute_values(":minus_one", n(-1))
        }));
        match self.table.transact(undo).await {
            Ok(()) => tracing::info!(id = %user.id, "undid a create whose answer was lost"),
            Err(StoreError::Conflict(_)) => {
                tracing::info!(
                    id = %user.id,
                    "a create whose answer was lost had not committed"
                )
            }
            Err(_) => tracing::warn!(
                id = %user.id,
                "could not undo a create whose answer was lost; the user may exist"
            ),
        }
    }

    /// Applies `changes` to `current` (read with [`Read::Strong`]): one
    /// transaction updates the profile, conditioned on the username and
    /// email being what we read ([`Constraint::ProfileChanged`] otherwise),
    /// and moves any marker whose key changes ([`Constraint::UsernameTaken`]
    /// or `EmailTaken` when the new one is held). With `unchanged`, the
    /// update is conditioned on every attribute the user's representation
    /// shows (about_me, last_seen, the counts too): the state an `If-Match`
    /// was compared with, so the comparison and the write are atomic.
    pub async fn update(
        &self,
        current: &User,
        changes: &ProfileUpdate,
        unchanged: bool,
    ) -> Result<User, StoreError> {
        let updated = changes.apply_to(current);
        let address_changed = !updated.email.eq_ignore_ascii_case(&current.email);
        let now = chrono::Utc::now();
        let mut transaction = Transaction::new("UpdateUser");
        transaction.guarded(
            self.table.update(user_key(current.id), |u| {
                let names = "username = :old_username AND email = :old_email";
                let u = if unchanged {
                    let about = match current.about_me {
                        Some(_) => "about_me = :old_about",
                        None => "attribute_not_exists(about_me)",
                    };
                    let verified = if current.email_verified {
                        format!("attribute_exists({EMAIL_VERIFIED_AT})")
                    } else {
                        format!("attribute_not_exists({EMAIL_VERIFIED_AT})")
                    };
                    let u = u
                        .condition_expression(format!(
                            "{names} AND {about} AND {verified} AND last_seen = :old_seen \
                             AND post_count = :old_posts AND follower_count = :old_followers \
                             AND followed_count = :old_followed"
                        ))
                        .expression_attribute_values(":old_seen", s(timestamp(current.last_seen)))
                        .expression_attribute_values(":old_posts", n(current.post_count))
                        .expression_attribute_values(":old_followers", n(current.follower_count))
                        .expression_attribute_values(":old_followed", n(current.followed_count));
                    match &current.about_me {
                        Some(about) => u.expression_attribute_values(":old_about", s(about)),
                        None => u,
                    }
                } else {
                    u.condition_expression(names)
                };
                let u = u
                    .expression_attribute_values(":username", s(&updated.username))
                    .expression_attribute_values(":email", s(&updated.email))
                    .expression_attribute_values(":old_username", s(&current.username))
                    .expression_attribute_values(":old_email", s(&current.email));
                // A new address is marked changed and not verified, so that
                // no password reset goes to it before it is verified.
                let (u, set, remove) = if address_changed {
                    (
                        u.expression_attribute_values(":now", s(timestamp(now))),
                        format!(
                            "SET username = :username, email = :email, {EMAIL_CHANGED_AT} = :now"
                        ),
                        format!(" {EMAIL_VERIFIED_AT}"),
                    )
                } else {
                    (
                        u,
                        "SET username = :username, email = :email".to_string(),
                        String::new(),
                    )
                };
                match &updated.about_me {
                    Some(about) if remove.is_empty() => u
                        .update_expression(format!("{set}, about_me = :about"))
                        .expression_attribute_values(":about", s(about)),
                    Some(about) => u
                        .update_expression(format!("{set}, about_me = :about REMOVE{remove}"))
                        .expression_attribute_values(":about", s(about)),
                    None if remove.is_empty() => {
                        u.update_expression(format!("{set} REMOVE about_me"))
                    }
                    None => u.update_expression(format!("{set} REMOVE about_me,{remove}")),
                }
            }),
            Constraint::ProfileChanged,
        );
        let moves = [
            (
                username_key(&current.username.to_ascii_lowercase()),
                username_key(&updated.username.to_ascii_lowercase()),
                Constraint::UsernameTaken,
            ),
            (
                email_key(&current.email.to_ascii_lowercase()),
                email_key(&updated.email.to_ascii_lowercase()),
                Constraint::EmailTaken,
            ),
        ];
        if address_changed {
            transaction.always(self.table.put(
                job_item(
                    &new_job_id(),
                    MailKind::VerifyEmail,
                    &updated.email,
                    Some(current.id),
                    now,
                ),
                None,
            ));
        }
        for (old, new, taken) in moves {
            if old == new {
                continue;
            }
            let ours = self.table.delete(old, |d| {
                d.condition_expression("user_id = :me")
                    .expression_attribute_values(":me", n(current.id))
            });
            transaction
                .guarded(self.table.put(marker(new, current.id), ABSENT), taken)
                .guarded(ours, Constraint::MarkerNotOurs);
        }
        match self.table.transact(transaction).await {
            Err(StoreError::Conflict(Constraint::MarkerNotOurs)) => {
                tracing::error!(id = %current.id, "a marker we own was missing");
                Err(StoreError::Internal)
            }
            outcome => outcome.map(|()| updated),
        }
    }

    /// Deletes `user` (read strongly, its password just verified): the
    /// profile, both uniqueness markers, the directory entry and one from
    /// the user count go in one transaction with the start of the clean-up
    /// job (`PURGE#<id>`), whose stream records drive `purge_user` through
    /// the rest (edges, posts, feed, sessions). From its commit the user is
    /// a 404, every token is dead (authentication reads the profile), and
    /// the name and address are free. [`Constraint::PasswordChanged`] if
    /// the password or the sessions changed since the read.
    pub async fn delete(&self, user: &User, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut job = purge_key(user.id);
        job.insert("user_id".into(), n(user.id));
        job.insert("phase".into(), s(PurgePhase::FIRST.name()));
        job.insert("step".into(), n(0));
        job.insert("deleted_at".into(), s(crate::domain::timestamp(now)));
        // The user is counted in its id's shard, or, made before shards, in
        // the one count of old tables: tried second, when the shard has
        // nobody to uncount.
        let mut outcome = Ok(());
        for count in [
            items::user_count_key(user.id),
            items::key(STATS_PK, LEGACY_USER_COUNT_SK),
        ] {
            outcome = self.table.transact(self.deletion(user, &job, count)).await;
            if outcome != Err(StoreError::Conflict(Constraint::CountBelowZero)) {
                break;
            }
        }
        match outcome {
            Err(StoreError::Conflict(
                broken @ (Constraint::MarkerNotOurs
                | Constraint::CountBelowZero
                | Constraint::IdInUse),
            )) => {
                tracing::error!(
                    id = %user.id,
                    ?broken,
                    "deleting a user found the table inconsistent"
                );
                Err(StoreError::Internal)
            }
            outcome => outcome,
        }
    }

    /// The transaction deleting `user`, putting the clean-up `job` and
    /// uncounting the user in the count item `count`.
    fn deletion(&self, user: &User, job: &Item, count: Item) -> Transaction {
        let ours = |key: Item| {
            self.table.delete(key, |d| {
                d.condition_expression("user_id = :id")
                    .expression_attribute_values(":id", n(user.id))
            })
        };
        let mut transaction = Transaction::new("DeleteUser");
        transaction
            .guarded(
                self.table.delete(user_key(user.id), |d| {
                    d.condition_expression(format!(
                        "password_hash = :hash AND ({})",
                        epoch_is(user.session_epoch)
                    ))
                    .expression_attribute_values(":hash", s(&user.password_hash))
                    .expression_attribute_values(":epoch", n(user.session_epoch))
                }),
                Constraint::PasswordChanged,
            )
            .guarded(
                ours(username_key(&user.username.to_ascii_lowercase())),
                Constraint::MarkerNotOurs,
            )
            .guarded(
                ours(email_key(&user.email.to_ascii_lowercase())),
                Constraint::MarkerNotOurs,
            )
            .always(self.table.delete(directory_key(user.id), |d| d))
            .guarded(
                self.table.update(count, |u| {
                    u.update_expression("ADD user_count :minus_one")
                        .condition_expression("user_count >= :one")
                        .expression_attribute_values(":minus_one", n(-1))
                        .expression_attribute_values(":one", n(1))
                }),
                Constraint::CountBelowZero,
            )
            .guarded(self.table.put(job.clone(), ABSENT), Constraint::IdInUse);
        transaction
    }

    /// The exact number of users, kept by the create and delete
    /// transactions: the sum of the count's shards (and of the one count of
    /// tables made before shards), one eventually consistent Query of their
    /// partition (33 small items at most: 0.5 RCU).
    pub async fn count(&self) -> Result<u64, StoreError> {
        let window = QueryWindow {
            index: None,
            partition: STATS_PK.to_string(),
            sort_attribute: SK,
            sort_prefix: None,
            order: Order::OldestFirst,
        };
        let limit = items::USER_COUNT_SHARDS as u32 + 1;
        let mut total = 0;
        for item in self
            .table
            .query_first_read(&window, limit, Read::Eventual)
            .await?
        {
            total += get_u64(&item, "user_count")?;
        }
        Ok(total)
    }

    /// A window of user ids in id order from the directory: after `after`
    /// (a cursor) or after skipping `skip` entries (a bare page number).
    pub async fn directory_window(
        &self,
        after: Option<UserId>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<UserId>, StoreError> {
        self.table
            .query_window_ids(
                QueryWindow {
                    index: None,
                    partition: DIRECTORY_PK.to_string(),
                    sort_attribute: SK,
                    sort_prefix: None,
                    order: Order::OldestFirst,
                },
                after.map(directory_key),
                skip,
                limit,
                "user_id",
            )
            .await
            .map(|ids| ids.into_iter().map(UserId::new).collect())
    }
}
