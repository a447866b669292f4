//! Mail jobs and mailed codes.
//!
//! A mail job (`MAIL#<random id>` / `JOB`) is what a request writes when
//! mail must go out (alone, or in the transaction of the change it mails
//! about); its stream record starts the `send_mail` worker, which issues
//! the code, sends, and deletes the job, so a redelivered record finds
//! nothing left to send. A code is stored only by its SHA-256
//! (`CODE#<hash>` / `RESET` or `VERIFY`, so a code of one kind never works
//! as the other), with the account, address and (for a reset) session
//! epoch it was issued for, and an expiry that its TTL enforces eventually
//! and its use at once; a pointer in the user's partition
//! (`USER#<id>` / `CODE#<purpose>#<hash>`) lets a deleted account's
//! clean-up find and delete its codes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;

use super::items::{
    email_key, get_s, get_u64, get_user_id, key, n, s, user_key, user_pk, Item, ItemError,
    EMAIL_VERIFIED_AT, EXPIRES_AT,
};
use super::tokens::epoch_is;
use super::{Constraint, Read, StoreError, Table, Transaction};
use crate::domain::{timestamp, CodeGrant, MailJob, MailKind, User, UserId};

/// Prefix of the partition key of a mail job.
pub const MAIL_PREFIX: &str = "MAIL#";
/// Prefix of the partition key of a mailed code.
pub const CODE_PREFIX: &str = "CODE#";

/// How long a job may wait for the worker before its TTL removes it: the
/// stream keeps records a day, so a job older than that will never be sent.
const JOB_LIFETIME_SECONDS: i64 = 24 * 60 * 60;

/// A new job id: 32 random bytes from the OS, URL-safe base64.
pub fn new_job_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Key of mail job `id`.
pub fn job_key(id: &str) -> Item {
    key(format!("{MAIL_PREFIX}{id}"), "JOB")
}

/// The id of the mail job the key (`pk`, `sk`) names, if it names one.
pub fn job_id_of<'a>(pk: &'a str, sk: &str) -> Option<&'a str> {
    pk.strip_prefix(MAIL_PREFIX).filter(|_| sk == "JOB")
}

/// Key of the code of `purpose` whose SHA-256 in hex is `hash`.
pub fn code_key(purpose: MailKind, hash: &str) -> Item {
    let sort = match purpose {
        MailKind::PasswordReset => "RESET",
        MailKind::VerifyEmail => "VERIFY",
    };
    key(format!("{CODE_PREFIX}{hash}"), sort)
}

/// The job item asking for `kind` mail to `email` (of `user`, when known),
/// to put alone or in a transaction.
pub fn job_item(
    id: &str,
    kind: MailKind,
    email: &str,
    user: Option<UserId>,
    now: DateTime<Utc>,
) -> Item {
    let mut item = job_key(id);
    item.insert("kind".into(), s(kind.name()));
    item.insert("email".into(), s(email));
    if let Some(user) = user {
        item.insert("user_id".into(), n(user));
    }
    item.insert(EXPIRES_AT.into(), n(now.timestamp() + JOB_LIFETIME_SECONDS));
    item
}

/// Prefix of the sort keys of a user's code pointers (`USER#<id>` /
/// `CODE#<purpose>#<hash>`), which let an account's clean-up find its
/// codes: they are keyed by hash alone.
pub const CODE_POINTER_PREFIX: &str = "CODE#";

/// Key of the pointer to `user`'s code of `purpose` hashed as `hash`.
pub fn code_pointer_key(user: UserId, purpose: MailKind, hash: &str) -> Item {
    key(
        user_pk(user),
        format!("{CODE_POINTER_PREFIX}{}#{hash}", purpose.name()),
    )
}

/// The code a pointer item names: its purpose and hash.
pub fn pointed_code(pointer: &Item) -> Result<Item, ItemError> {
    let purpose = get_s(pointer, "purpose")?;
    let purpose = MailKind::parse(purpose)
        .ok_or_else(|| ItemError(format!("a code pointer of unknown purpose {purpose:?}")))?;
    Ok(code_key(purpose, get_s(pointer, "code_hash")?))
}

/// The pointer item of `grant`, expiring with it.
fn pointer_item(grant: &CodeGrant) -> Item {
    let mut pointer = code_pointer_key(grant.user_id, grant.purpose, &grant.code_hash);
    pointer.insert("purpose".into(), s(grant.purpose.name()));
    pointer.insert("code_hash".into(), s(&grant.code_hash));
    pointer.insert(EXPIRES_AT.into(), n(grant.expires_at));
    pointer
}

/// The stored form of `grant`.
fn code_item(grant: &CodeGrant) -> Item {
    let mut code = code_key(grant.purpose, &grant.code_hash);
    code.insert("user_id".into(), n(grant.user_id));
    code.insert("email".into(), s(&grant.email));
    code.insert("session_epoch".into(), n(grant.session_epoch));
    code.insert(EXPIRES_AT.into(), n(grant.expires_at));
    code
}

/// Store of mail jobs and mailed codes.
#[derive(Debug, Clone)]
pub struct MailStore {
    table: Table,
}

impl MailStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        MailStore { table }
    }

    /// Writes job `id` for `kind` mail to `email` (of `user`, when known):
    /// one PutItem. A reset request writes the same whoever holds the
    /// address, so its answer and timing tell nothing.
    pub async fn request(
        &self,
        id: &str,
        kind: MailKind,
        email: &str,
        user: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let item = job_item(id, kind, email, user, now);
        self.table
            .put_guarded(item, Constraint::TokenInUse, "attribute_not_exists(pk)")
            .await
    }

    /// The job `id` as it is now (strong: the worker acts on it), or `None`
    /// once it was done.
    pub async fn job(&self, id: &str) -> Result<Option<MailJob>, StoreError> {
        let Some(item) = self.table.get(job_key(id), Read::Strong).await? else {
            return Ok(None);
        };
        let kind = get_s(&item, "kind")?;
        let kind = MailKind::parse(kind).ok_or_else(|| {
            tracing::error!(kind, "a mail job of an unknown kind");
            StoreError::Internal
        })?;
        Ok(Some(MailJob {
            id: id.to_string(),
            kind,
            email: get_s(&item, "email")?.to_string(),
            user_id: match item.get("user_id") {
                Some(_) => Some(get_user_id(&item, "user_id")?),
                None => None,
            },
            code_hash: get_s(&item, "code_hash").ok().map(str::to_string),
        }))
    }

    /// The user holding `email` (ignoring case), read strongly: the marker,
    /// then the profile.
    pub async fn holder_of(&self, email: &str) -> Result<Option<User>, StoreError> {
        let marker = self
            .table
            .get(email_key(&email.to_ascii_lowercase()), Read::Strong)
            .await?;
        match marker {
            Some(marker) => {
                let id = get_user_id(&marker, "user_id")?;
                self.table.get_by_id(id, Read::Strong).await
            }
            None => Ok(None),
        }
    }

    /// Stores the code of `grant` (and its pointer in the user's
    /// partition) for `job`, in one transaction with the job, which records
    /// it: conditioned on the account still existing
    /// ([`Constraint::UserMissing`]: its clean-up could not find a code
    /// written after it ran) and on the job still holding the code it held
    /// when read ([`Constraint::MailJobMoved`] otherwise: another delivery of
    /// its record handled it), and deleting that older code, so of the
    /// codes issued for one job only the last works.
    pub async fn issue_code(&self, job: &MailJob, grant: &CodeGrant) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("IssueCode");
        transaction
            .guarded(
                self.table
                    .put(code_item(grant), Some("attribute_not_exists(pk)")),
                Constraint::TokenInUse,
            )
            .always(self.table.put(pointer_item(grant), None))
            .guarded(
                self.table.check(user_key(grant.user_id), |c| {
                    c.condition_expression("attribute_exists(pk)")
                }),
                Constraint::UserMissing,
            )
            .guarded(
                self.table.update(job_key(&job.id), |u| {
                    let u = u
                        .update_expression("SET code_hash = :new")
                        .expression_attribute_values(":new", s(&grant.code_hash));
                    match &job.code_hash {
                        Some(old) => u
                            .condition_expression("code_hash = :old")
                            .expression_attribute_values(":old", s(old)),
                        None => u.condition_expression(
                            "attribute_exists(pk) AND attribute_not_exists(code_hash)",
                        ),
                    }
                }),
                Constraint::MailJobMoved,
            );
        if let Some(old) = &job.code_hash {
            transaction
                .always(self.table.delete(code_key(job.kind, old), |d| d))
                .always(
                    self.table
                        .delete(code_pointer_key(grant.user_id, job.kind, old), |d| d),
                );
        }
        self.table.transact(transaction).await
    }

    /// Stores a code (and its pointer) with no job behind it: the
    /// fixtures' (a code whose text the sample events know), never the
    /// API's.
    pub async fn put_code(&self, grant: &CodeGrant) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("PutCode");
        transaction
            .guarded(
                self.table
                    .put(code_item(grant), Some("attribute_not_exists(pk)")),
                Constraint::TokenInUse,
            )
            .always(self.table.put(pointer_item(grant), None));
        self.table.transact(transaction).await
    }

    /// Deletes job `id`: it was sent, or there is nothing to send.
    pub async fn finish(&self, id: &str) -> Result<(), StoreError> {
        self.table.delete_now(job_key(id)).await
    }

    /// The code of `purpose` stored under `code_hash` (strong: one used a
    /// moment ago is gone), if any, expired or not.
    pub async fn grant(
        &self,
        purpose: MailKind,
        code_hash: &str,
    ) -> Result<Option<CodeGrant>, StoreError> {
        let key = code_key(purpose, code_hash);
        let Some(item) = self.table.get(key, Read::Strong).await? else {
            return Ok(None);
        };
        Ok(Some(CodeGrant {
            purpose,
            code_hash: code_hash.to_string(),
            user_id: get_user_id(&item, "user_id")?,
            email: get_s(&item, "email")?.to_string(),
            session_epoch: get_u64(&item, "session_epoch")?,
            expires_at: get_u64(&item, EXPIRES_AT)? as i64,
        }))
    }

    /// Uses reset code `grant`: in one transaction, deletes the code (it
    /// works once: [`Constraint::CodeUsed`] if it is gone) and sets the
    /// password hash to `new_hash` with the next session epoch, which ends
    /// every session, conditioned on the profile still having the address
    /// and epoch the code was issued for ([`Constraint::CodeVoid`]
    /// otherwise: the address or the password changed since, or every
    /// session was ended, or the account is gone).
    pub async fn reset_password(
        &self,
        grant: &CodeGrant,
        new_hash: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = self.using("ResetPassword", grant);
        transaction.guarded(
            self.table.update(user_key(grant.user_id), |u| {
                u.update_expression("SET password_hash = :new, session_epoch = :next")
                    .condition_expression(format!(
                        "email = :email AND ({})",
                        epoch_is(grant.session_epoch)
                    ))
                    .expression_attribute_values(":new", s(new_hash))
                    .expression_attribute_values(":next", n(grant.session_epoch + 1))
                    .expression_attribute_values(":epoch", n(grant.session_epoch))
                    .expression_attribute_values(":email", s(&grant.email))
            }),
            Constraint::CodeVoid,
        );
        self.table.transact(transaction).await
    }

    /// Uses verification code `grant`: in one transaction, deletes the code
    /// ([`Constraint::CodeUsed`] if it is gone) and marks the profile's
    /// address verified at `now`, conditioned on it still being the address
    /// the code was sent to and, when `password_hash` is given (the
    /// password was checked against it), on the password being unchanged
    /// ([`Constraint::CodeVoid`] otherwise).
    pub async fn verify_email(
        &self,
        grant: &CodeGrant,
        password_hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut transaction = self.using("VerifyEmail", grant);
        transaction.guarded(
            self.table.update(user_key(grant.user_id), |u| {
                let u = u
                    .update_expression(format!("SET {EMAIL_VERIFIED_AT} = :now"))
                    .expression_attribute_values(":now", s(timestamp(now)))
                    .expression_attribute_values(":email", s(&grant.email));
                match password_hash {
                    Some(hash) => u
                        .condition_expression(
                            "attribute_exists(pk) AND email = :email AND password_hash = :hash",
                        )
                        .expression_attribute_values(":hash", s(hash)),
                    None => u.condition_expression("attribute_exists(pk) AND email = :email"),
                }
            }),
            Constraint::CodeVoid,
        );
        self.table.transact(transaction).await
    }

    /// A transaction using `grant`'s code: its delete, on condition it is
    /// still there ([`Constraint::CodeUsed`]), and its pointer's.
    fn using(&self, operation: &'static str, grant: &CodeGrant) -> Transaction {
        let mut transaction = Transaction::new(operation);
        transaction
            .guarded(
                self.table
                    .delete(code_key(grant.purpose, &grant.code_hash), |d| {
                        d.condition_expression("attribute_exists(pk)")
                    }),
                Constraint::CodeUsed,
            )
            .always(self.table.delete(
                code_pointer_key(grant.user_id, grant.purpose, &grant.code_hash),
                |d| d,
            ));
        transaction
    }
}
