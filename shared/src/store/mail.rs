//! Mail jobs and reset codes.
//!
//! A mail job (`MAIL#<random id>` / `JOB`) is what a request writes when
//! mail must go out; its stream record starts the `send_mail` worker, which
//! issues any code, sends, and deletes the job, so a redelivered record
//! finds nothing to send. A reset code is stored only by its SHA-256
//! (`CODE#<hash>` / `RESET`), with the account, address and session epoch
//! it was issued for, and an expiry that its TTL enforces eventually and
//! [`MailStore::reset_password`] at once.

use chrono::{DateTime, Utc};

use super::items::{get_s, get_u64, get_user_id, key, n, s, user_key, Item, EXPIRES_AT};
use super::tokens::epoch_is;
use super::{Constraint, Read, StoreError, Table, Transaction};
use crate::domain::{MailJob, MailKind, ResetGrant, User};

/// Prefix of the partition key of a mail job.
pub const MAIL_PREFIX: &str = "MAIL#";
/// Prefix of the partition key of a reset code.
pub const CODE_PREFIX: &str = "CODE#";

/// How long a job may wait for the worker before its TTL removes it: the
/// stream keeps records a day, so a job older than that will never be sent.
const JOB_LIFETIME_SECONDS: i64 = 24 * 60 * 60;

/// Key of mail job `id`.
pub fn job_key(id: &str) -> Item {
    key(format!("{MAIL_PREFIX}{id}"), "JOB")
}

/// The stored form of `grant`.
fn code_item(grant: &ResetGrant) -> Item {
    let mut code = code_key(&grant.code_hash);
    code.insert("user_id".into(), n(grant.user_id));
    code.insert("email".into(), s(&grant.email));
    code.insert("session_epoch".into(), n(grant.session_epoch));
    code.insert(EXPIRES_AT.into(), n(grant.expires_at));
    code
}

/// The id of the mail job the key (`pk`, `sk`) names, if it names one.
pub fn job_id_of<'a>(pk: &'a str, sk: &str) -> Option<&'a str> {
    pk.strip_prefix(MAIL_PREFIX).filter(|_| sk == "JOB")
}

/// Key of the reset code whose SHA-256 in hex is `hash`.
pub fn code_key(hash: &str) -> Item {
    key(format!("{CODE_PREFIX}{hash}"), "RESET")
}

/// The profile attribute set when the user changes their address: a reset
/// never goes to an address that was changed in and not verified, or a
/// stolen access token could change the address and then the password.
pub const EMAIL_CHANGED_AT: &str = "email_changed_at";

/// The account an address belongs to, as the mail worker needs it.
#[derive(Debug, Clone)]
pub struct Recipient {
    /// The profile.
    pub user: User,
    /// Whether the address was changed since sign-up.
    pub address_changed: bool,
}

/// Store of mail jobs and reset codes.
#[derive(Debug, Clone)]
pub struct MailStore {
    table: Table,
}

impl MailStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        MailStore { table }
    }

    /// Writes the job asking for a reset code for `email`, whoever holds
    /// the address: one UpdateItem creating `MAIL#<id>`, the same for an
    /// address nobody has, so the request's answer and timing tell nothing.
    pub async fn request_reset(
        &self,
        id: &str,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.table
            .update_guarded(job_key(id), Constraint::TokenInUse, |u| {
                u.update_expression("SET kind = :kind, email = :email, #ttl = :ttl")
                    .condition_expression("attribute_not_exists(pk)")
                    .expression_attribute_names("#ttl", EXPIRES_AT)
                    .expression_attribute_values(":kind", s(MailKind::PasswordReset.name()))
                    .expression_attribute_values(":email", s(email))
                    .expression_attribute_values(":ttl", n(now.timestamp() + JOB_LIFETIME_SECONDS))
            })
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
            code_hash: get_s(&item, "code_hash").ok().map(str::to_string),
        }))
    }

    /// The account holding `email` (ignoring case), read strongly: the
    /// marker, then the profile.
    pub async fn holder_of(&self, email: &str) -> Result<Option<Recipient>, StoreError> {
        let marker = self
            .table
            .get(
                super::items::email_key(&email.to_ascii_lowercase()),
                Read::Strong,
            )
            .await?;
        let Some(marker) = marker else {
            return Ok(None);
        };
        let id = get_user_id(&marker, "user_id")?;
        let Some(profile) = self.table.get(user_key(id), Read::Strong).await? else {
            return Ok(None);
        };
        Ok(Some(Recipient {
            user: User::from_item(&profile)?,
            address_changed: profile.contains_key(EMAIL_CHANGED_AT),
        }))
    }

    /// Stores the reset code hashed as `grant.code_hash` for `job`, in one
    /// transaction with the job, which records it: conditioned on the job
    /// still holding the code it held when read ([`Constraint::MailJobMoved`]
    /// otherwise: another delivery of the record got there first), and
    /// deleting that older code, so of the codes issued for one request only
    /// the last works.
    pub async fn issue_reset_code(
        &self,
        job: &MailJob,
        grant: &ResetGrant,
    ) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("IssueResetCode");
        transaction
            .guarded(
                self.table
                    .put(code_item(grant), Some("attribute_not_exists(pk)")),
                Constraint::TokenInUse,
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
            transaction.always(self.table.delete(code_key(old), |d| d));
        }
        self.table.transact(transaction).await
    }

    /// Stores a reset code with no job behind it: the fixtures' (a code
    /// whose text the sample events know), never the API's.
    pub async fn put_reset_code(&self, grant: &ResetGrant) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("PutResetCode");
        transaction.guarded(
            self.table
                .put(code_item(grant), Some("attribute_not_exists(pk)")),
            Constraint::TokenInUse,
        );
        self.table.transact(transaction).await
    }

    /// Deletes job `id`: it was sent, or there is nothing to send.
    pub async fn finish(&self, id: &str) -> Result<(), StoreError> {
        self.table.delete_now(job_key(id)).await
    }

    /// The reset code stored under `code_hash` (strong: one used a moment
    /// ago is gone), if any, expired or not.
    pub async fn reset_grant(&self, code_hash: &str) -> Result<Option<ResetGrant>, StoreError> {
        let Some(item) = self.table.get(code_key(code_hash), Read::Strong).await? else {
            return Ok(None);
        };
        Ok(Some(ResetGrant {
            code_hash: code_hash.to_string(),
            user_id: get_user_id(&item, "user_id")?,
            email: get_s(&item, "email")?.to_string(),
            session_epoch: get_u64(&item, "session_epoch")?,
            expires_at: get_u64(&item, EXPIRES_AT)? as i64,
        }))
    }

    /// Uses `grant`: in one transaction, deletes the code (it works once:
    /// [`Constraint::ResetCodeUsed`] if it is gone) and sets the password
    /// hash to `new_hash` with the next session epoch, which ends every
    /// session, conditioned on the profile still having the address and
    /// epoch the code was issued for ([`Constraint::ResetCodeVoid`]
    /// otherwise: the address or the password changed since, or every
    /// session was ended, or the account is gone).
    pub async fn reset_password(
        &self,
        grant: &ResetGrant,
        new_hash: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("ResetPassword");
        transaction
            .guarded(
                self.table.delete(code_key(&grant.code_hash), |d| {
                    d.condition_expression("attribute_exists(pk)")
                }),
                Constraint::ResetCodeUsed,
            )
            .guarded(
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
                Constraint::ResetCodeVoid,
            );
        self.table.transact(transaction).await
    }
}
