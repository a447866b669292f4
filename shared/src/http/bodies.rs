//! The request bodies: one `Deserialize` type per shape, made of the
//! domain's validated values, with the schema the OpenAPI document shows
//! for it. Each turns into what the domain and the stores take (a
//! [`CompleteRegistration`], a [`ProfileUpdate`], a [`PostBody`], a
//! [`Secret`]), with a 400 naming the field when one is missing or wrong.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::{
    AboutMe, Change, CompleteRegistration, Email, MailedCode, ModerationAction, Password, Platform,
    PostBody, PostId, ProfileUpdate, Reason, ReportStatus, ReportTarget, ReportText, Resolution,
    Secret, Unchecked, UncheckedChange, UserId, Username, ValidationError,
};

/// The body of `POST /api/users`. Its checks run in a fixed order, the
/// order the API has always had: the JSON type of `username`, `email` and
/// `password` as they are read; then that all three are present (null is
/// absent); then their rules; then `about_me`, which may be a string or
/// null. So each field is read as [`Unchecked`] and validated in
/// [`CompleteRegistration::try_from`].
#[derive(Debug, Deserialize, ToSchema)]
#[schema(
    description = "A new user: `username`, `email` and `password` are required, `about_me` may be a string or null; other fields are ignored."
)]
pub struct Registration {
    /// Required.
    #[serde(default)]
    #[schema(value_type = Username, required = true)]
    pub username: Option<Unchecked<Username>>,
    /// Required.
    #[serde(default)]
    #[schema(value_type = Email, required = true)]
    pub email: Option<Unchecked<Email>>,
    /// Required.
    #[serde(default)]
    #[schema(value_type = Password, required = true)]
    pub password: Option<Unchecked<Password>>,
    /// Optional; null is the same as absent.
    #[serde(default)]
    #[schema(value_type = Option<AboutMe>)]
    pub about_me: UncheckedChange<AboutMe>,
}

impl TryFrom<Registration> for CompleteRegistration {
    type Error = ValidationError;

    fn try_from(form: Registration) -> Result<Self, Self::Error> {
        let (Some(username), Some(email), Some(password)) =
            (form.username, form.email, form.password)
        else {
            return Err(ValidationError::Missing(&["username", "email", "password"]));
        };
        Ok(CompleteRegistration {
            username: username.check()?,
            email: email.check()?,
            password: password.check()?,
            about_me: form.about_me.check("about_me")?.into_option(),
        })
    }
}

/// The body of `POST /api/posts`: a post, or a reply.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(
    description = "A new post: `body` is required; `in_reply_to`, the id of the post it answers, is optional (null is the same as absent); other fields are ignored."
)]
pub struct NewPostForm {
    /// Required.
    #[serde(default)]
    #[schema(value_type = PostBody, required = true)]
    pub body: Option<PostBody>,
    /// The id of the post this one replies to.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub in_reply_to: Option<serde_json::Value>,
}

impl NewPostForm {
    /// The body, and the id of the post it answers, if any.
    pub fn check(self) -> Result<(PostBody, Option<PostId>), ValidationError> {
        let body = self.body.ok_or(ValidationError::Missing(&["body"]))?;
        let parent = match self.in_reply_to {
            None | Some(serde_json::Value::Null) => None,
            Some(id) => Some(PostId::new(id_field("in_reply_to", &id)?)),
        };
        Ok((body, parent))
    }
}

/// The body of `PUT /api/posts/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PostForm {
    /// Required.
    #[serde(default)]
    #[schema(value_type = PostBody, required = true)]
    pub body: Option<PostBody>,
}

impl PostForm {
    /// The body, which is required.
    pub fn into_body(self) -> Result<PostBody, ValidationError> {
        self.body.ok_or(ValidationError::Missing(&["body"]))
    }
}

/// The body of `PUT /api/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// Required: the refresh token of the last `POST` or `PUT /api/tokens`.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    pub refresh_token: Option<Secret>,
}

impl RefreshRequest {
    /// The refresh token; missing (or null) is a 400.
    pub fn token(self) -> Result<Secret, ValidationError> {
        self.refresh_token
            .ok_or(ValidationError::Missing(&["refresh_token"]))
    }
}

/// `new` as a new password, a broken rule naming `new_password`.
fn new_password(new: Unchecked<Password>) -> Result<Password, ValidationError> {
    new.check().map_err(|e| match e {
        ValidationError::Invalid { rule, .. } => ValidationError::invalid("new_password", rule),
        other => other,
    })
}

/// The body of `POST /api/tokens/reset`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    /// Required: the account's email address.
    #[serde(default)]
    #[schema(value_type = Email, required = true)]
    pub email: Option<Unchecked<Email>>,
}

impl ResetRequest {
    /// The address, present and well formed (400 otherwise).
    pub fn email(self) -> Result<Email, ValidationError> {
        self.email
            .ok_or(ValidationError::Missing(&["email"]))?
            .check()
    }
}

/// The body of `PUT /api/tokens/reset`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordReset {
    /// Required: the code from the email (43 characters).
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: Option<Secret>,
    /// Required: the new password, under the rules of a new password.
    #[serde(default)]
    #[schema(value_type = Password, required = true)]
    pub new_password: Option<Unchecked<Password>>,
}

impl PasswordReset {
    /// Both fields present, the code of the right shape and the password
    /// valid (a 400 naming the field otherwise), before any read.
    pub fn check(self) -> Result<(MailedCode, Password), ValidationError> {
        let (Some(token), Some(new)) = (self.token, self.new_password) else {
            return Err(ValidationError::Missing(&["token", "new_password"]));
        };
        Ok((MailedCode::parse(token)?, new_password(new)?))
    }
}

/// The body of `POST /api/email-verifications`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailVerification {
    /// Required: the code from the verification email (43 characters).
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: Option<Secret>,
    /// The account's password: required for an address that was changed
    /// since sign-up, so that a stolen access token (which can change the
    /// address) cannot also verify it, and then reset the password.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<Secret>,
}

impl EmailVerification {
    /// The code, present and of the right shape (400 otherwise), and the
    /// password if given.
    pub fn check(self) -> Result<(MailedCode, Option<Secret>), ValidationError> {
        let token = self.token.ok_or(ValidationError::Missing(&["token"]))?;
        Ok((MailedCode::parse(token)?, self.password))
    }
}

/// The body of `PUT /api/users/{id}/password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    /// Required: the password now, verified before anything changes.
    #[serde(default)]
    #[schema(value_type = String, format = Password, required = true)]
    pub old_password: Option<Secret>,
    /// Required: the new password, under the rules of a new password.
    #[serde(default)]
    #[schema(value_type = Password, required = true)]
    pub new_password: Option<Unchecked<Password>>,
}

impl PasswordChange {
    /// Both fields present and the new password valid (400 otherwise,
    /// naming `new_password`), before the old one is verified.
    pub fn check(self) -> Result<(Secret, Password), ValidationError> {
        let (Some(old), Some(new)) = (self.old_password, self.new_password) else {
            return Err(ValidationError::Missing(&["old_password", "new_password"]));
        };
        Ok((old, new_password(new)?))
    }
}

/// The body of `DELETE /api/users/{id}`: the password, so that a token
/// alone (a borrowed phone) cannot delete an account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AccountDeletion {
    /// Required: the account's password.
    #[serde(default)]
    #[schema(value_type = String, format = Password, required = true)]
    pub password: Option<Secret>,
}

impl AccountDeletion {
    /// The password; missing (or null) is a 400.
    pub fn password(self) -> Result<Secret, ValidationError> {
        self.password.ok_or(ValidationError::Missing(&["password"]))
    }
}

/// The body of `PUT /api/users/{id}`: the profile fields a user may change.
/// An absent or null `username` or `email` is left as it is; `about_me` is
/// a [`Change`], so null clears it. Other fields are ignored.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(
    description = "The fields to change; absent fields are left as they are, other fields are ignored."
)]
pub struct ProfileChanges {
    /// A new username; absent or null leaves it as it is.
    #[serde(default)]
    pub username: Option<Username>,
    /// A new email address; absent or null leaves it as it is.
    #[serde(default)]
    pub email: Option<Email>,
    /// A new about-me text; null clears it, absent leaves it as it is.
    #[serde(default)]
    #[schema(value_type = Option<AboutMe>)]
    pub about_me: Change<AboutMe>,
}

impl From<ProfileChanges> for ProfileUpdate {
    fn from(body: ProfileChanges) -> ProfileUpdate {
        ProfileUpdate {
            username: body.username,
            email: body.email,
            about_me: body.about_me,
        }
    }
}

/// The body of `POST /api/reports`: a post or a user, a reason, and
/// perhaps a comment. Read loosely (any JSON value) and checked here, so
/// that every mistake is a 400 naming its field in words.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(
    description = "What is reported and why: exactly one of `post_id` and `user_id`, a `reason`, and an optional `comment`; other fields are ignored."
)]
pub struct ReportForm {
    /// The post reported (or give `user_id`).
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub post_id: Option<serde_json::Value>,
    /// The user reported (or give `post_id`).
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub user_id: Option<serde_json::Value>,
    /// Required: why.
    #[serde(default)]
    #[schema(value_type = Reason, required = true)]
    pub reason: Option<serde_json::Value>,
    /// Optional: what the moderators should know; null is none.
    #[serde(default)]
    #[schema(value_type = Option<ReportText>)]
    pub comment: Option<serde_json::Value>,
}

/// A report's target, reason and comment, checked.
pub type ReportRequest = (ReportTarget, Reason, Option<ReportText>);

/// A positive id within `int64` in field `field`.
fn id_field(field: &'static str, value: &serde_json::Value) -> Result<u64, ValidationError> {
    value
        .as_u64()
        .filter(|id| (1..=i64::MAX as u64).contains(id))
        .ok_or(ValidationError::invalid(
            field,
            "must be a positive integer id",
        ))
}

/// Optional text of field `field`: absent or null is none.
fn text_field(
    field: &'static str,
    value: Option<serde_json::Value>,
) -> Result<Option<ReportText>, ValidationError> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) => ReportText::parse(field, &text).map(Some),
        Some(_) => Err(ValidationError::invalid(field, "must be a string or null")),
    }
}

impl ReportForm {
    /// The target, reason and comment; 400s name the field.
    pub fn check(self) -> Result<ReportRequest, ValidationError> {
        let target = match (self.post_id, self.user_id) {
            (Some(post), None) => ReportTarget::Post(PostId::new(id_field("post_id", &post)?)),
            (None, Some(user)) => ReportTarget::User(UserId::new(id_field("user_id", &user)?)),
            (Some(_), Some(_)) => {
                return Err(ValidationError::invalid(
                    "post_id",
                    "and user_id cannot both be given: report one thing at a time",
                ))
            }
            (None, None) => return Err(ValidationError::Missing(&["post_id or user_id"])),
        };
        let reason = match self.reason {
            None | Some(serde_json::Value::Null) => {
                return Err(ValidationError::Missing(&["reason"]))
            }
            Some(value) => value.as_str().and_then(Reason::parse).ok_or(
                ValidationError::invalid(
                    "reason",
                    "must be one of spam, harassment, hate, violence, sexual, self_harm, illegal or other",
                ),
            )?,
        };
        Ok((target, reason, text_field("comment", self.comment)?))
    }
}

/// The body of `PUT /api/reports/{id}`: a moderator's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(
    description = "A moderator's decision: `status` (`resolved` or `dismissed`), an `action` (default `none`; a dismissal takes none) and an optional `note` for the audit."
)]
pub struct ReportDecision {
    /// Required: `resolved` or `dismissed`.
    #[serde(default)]
    #[schema(value_type = String, pattern = "^(resolved|dismissed)$", required = true)]
    pub status: Option<serde_json::Value>,
    /// What to do; absent or null is `none`.
    #[serde(default)]
    #[schema(value_type = Option<ModerationAction>)]
    pub action: Option<serde_json::Value>,
    /// Why, for the audit record; null is none.
    #[serde(default)]
    #[schema(value_type = Option<ReportText>)]
    pub note: Option<serde_json::Value>,
}

impl TryFrom<ReportDecision> for Resolution {
    type Error = ValidationError;

    fn try_from(body: ReportDecision) -> Result<Self, Self::Error> {
        let status = match body.status {
            None | Some(serde_json::Value::Null) => {
                return Err(ValidationError::Missing(&["status"]))
            }
            Some(value) => value
                .as_str()
                .and_then(ReportStatus::parse)
                .filter(|s| *s != ReportStatus::Open)
                .ok_or(ValidationError::invalid(
                    "status",
                    "must be resolved or dismissed",
                ))?,
        };
        let action =
            match body.action {
                None | Some(serde_json::Value::Null) => ModerationAction::None,
                Some(value) => value.as_str().and_then(ModerationAction::parse).ok_or(
                    ValidationError::invalid("action", "must be none, remove_post or suspend_user"),
                )?,
            };
        Ok(Resolution {
            status,
            action,
            note: text_field("note", body.note)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_new_password_is_refused_naming_new_password() {
        let change: PasswordChange =
            serde_json::from_str(r#"{"old_password": "x", "new_password": "short"}"#).unwrap();
        assert_eq!(
            change.check().unwrap_err().to_string(),
            "new_password must be 8 to 1024 characters long"
        );
        let change: PasswordChange = serde_json::from_str(r#"{"old_password": "x"}"#).unwrap();
        assert_eq!(
            change.check().unwrap_err().to_string(),
            "must include old_password and new_password fields"
        );
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let deletion: AccountDeletion =
            serde_json::from_str(r#"{"password": "hunter2-hunter2"}"#).unwrap();
        assert!(!format!("{deletion:?}").contains("hunter2"));
        let refresh: RefreshRequest =
            serde_json::from_str(r#"{"refresh_token": "1.abc.def"}"#).unwrap();
        assert!(!format!("{refresh:?}").contains("abc"));
    }
}

/// The body of `PUT /api/notifications/read`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(
    description = "How far the caller has read: `up_to`, the id of a notification, is required; other fields are ignored."
)]
pub struct ReadMarker {
    /// Required: the id of the newest notification read; it and every
    /// older one are marked read.
    #[serde(default)]
    #[schema(value_type = i64, minimum = 1, required = true)]
    pub up_to: Option<serde_json::Value>,
}

impl ReadMarker {
    /// The notification id; missing (or null) or not an id is a 400.
    pub fn up_to(self) -> Result<u64, ValidationError> {
        match self.up_to {
            None | Some(serde_json::Value::Null) => Err(ValidationError::Missing(&["up_to"])),
            Some(id) => id_field("up_to", &id),
        }
    }
}

/// The body of `PUT /api/me/devices/{device_token}`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(
    description = "The device's push service: `platform` is required, `ios` (APNs) or `android` (FCM); other fields are ignored."
)]
pub struct DeviceForm {
    /// Required: `ios` or `android`.
    #[serde(default)]
    #[schema(value_type = String, pattern = "^(ios|android)$", required = true)]
    pub platform: Option<serde_json::Value>,
}

impl DeviceForm {
    /// The platform; missing (or null) or another value is a 400.
    pub fn platform(self) -> Result<Platform, ValidationError> {
        match self.platform {
            None | Some(serde_json::Value::Null) => Err(ValidationError::Missing(&["platform"])),
            Some(serde_json::Value::String(name)) => Platform::parse(&name),
            Some(_) => Err(ValidationError::invalid(
                "platform",
                "must be \"ios\" or \"android\"",
            )),
        }
    }
}
