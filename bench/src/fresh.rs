//! What a function's success case consumes, made afresh in-process before
//! each timed invocation, so that every invocation times the success path:
//! a token for `revoke_token` and `revoke_sessions` (each revokes it), a
//! post for `delete_post`, a refresh token for `refresh_token` (a used one
//! is a reuse), an account for `delete_user`, and, for `change_password`,
//! the old and new passwords swapped on every other call.

use microblog_local::dispatch::dispatch;
use microblog_local::seed::FIXTURE_PASSWORD;
use microblog_shared::auth::session::{new_session_id, Grant};
use microblog_shared::domain::{Email, NewUser, Password, Username};
use microblog_shared::hashing::hash_password;
use microblog_shared::App;
use microblog_tests::events::{success_case, Answer, SampleEvent};
use serde_json::Value;

/// How one function's success case gets a fresh input.
pub enum Fresh {
    /// A bearer token, issued by get_token's success case.
    Token(SampleEvent),
    /// A post, published by create_post's success case.
    Post(SampleEvent),
    /// A refresh token, from get_token's success case.
    RefreshToken(SampleEvent),
    /// A new account with the fixture password, and a token of it.
    Account,
    /// The body's `old_password` and `new_password`, swapped on odd calls.
    SwappedPasswords { old: String, new: String },
}

/// What replaces parts of a success case's event for one invocation.
#[derive(Default)]
pub struct Input {
    /// The bearer token.
    pub token: Option<String>,
    /// The `{id}` path parameter.
    pub id: Option<String>,
    /// String members of the JSON body.
    pub body: Vec<(&'static str, String)>,
}

impl Fresh {
    /// How `function`'s success case `case` gets a fresh input, if it needs
    /// one.
    pub fn for_function(function: &str, case: &SampleEvent) -> Result<Option<Fresh>, String> {
        Ok(Some(match function {
            "revoke_token" | "revoke_sessions" => Fresh::Token(success_case("get_token")?),
            "delete_post" => Fresh::Post(success_case("create_post")?),
            "refresh_token" => Fresh::RefreshToken(success_case("get_token")?),
            "delete_user" => Fresh::Account,
            "change_password" => {
                let body = body_of(case)?;
                let member = |name: &str| {
                    body[name]
                        .as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("{}: no string {name} in the body", case.file()))
                };
                Fresh::SwappedPasswords {
                    old: member("old_password")?,
                    new: member("new_password")?,
                }
            }
            _ => return Ok(None),
        }))
    }

    /// The input of invocation `i`, made in `app`.
    pub async fn make(&self, app: &App, i: usize) -> Result<Input, String> {
        Ok(match self {
            Fresh::Token(issue) => Input {
                token: Some(answered(app, issue, "token").await?),
                ..Input::default()
            },
            Fresh::Post(create) => Input {
                id: Some(answered(app, create, "id").await?),
                ..Input::default()
            },
            Fresh::RefreshToken(issue) => Input {
                body: vec![(
                    "refresh_token",
                    answered(app, issue, "refresh_token").await?,
                )],
                ..Input::default()
            },
            Fresh::Account => {
                let (id, token) = account(app, i).await?;
                Input {
                    token: Some(token),
                    id: Some(id.to_string()),
                    ..Input::default()
                }
            }
            Fresh::SwappedPasswords { old, new } => {
                let (old, new) = if i.is_multiple_of(2) {
                    (old, new)
                } else {
                    (new, old)
                };
                Input {
                    body: vec![("old_password", old.clone()), ("new_password", new.clone())],
                    ..Input::default()
                }
            }
        })
    }
}

/// The JSON body of an HTTP event.
fn body_of(case: &SampleEvent) -> Result<Value, String> {
    case.event["body"]
        .as_str()
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| format!("{}: no JSON body", case.file()))
}

/// The member `member` of the body `case` (an HTTP success case) answers
/// in-process, as text: a new token from get_token's, a new post's id from
/// create_post's.
pub async fn answered(app: &App, case: &SampleEvent, member: &str) -> Result<String, String> {
    let response = dispatch(app, &case.function, case.request())
        .await
        .ok_or_else(|| format!("no handler for {}", case.function))?
        .map_err(|e| format!("{} failed: {e}", case.file()))?;
    let answer = Answer::from_response(&response);
    serde_json::from_str::<Value>(&answer.body)
        .ok()
        .and_then(|body| match &body[member] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .ok_or_else(|| format!("{} answered no {member}: {answer:?}", case.file()))
}

/// A new account `bench<i>` with the fixture password (what the
/// `delete_user` event sends), and a token of a new session of it.
async fn account(app: &App, i: usize) -> Result<(u64, String), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    let new = NewUser {
        username: Username::parse(&format!("bench{i}")).map_err(|e| text(&e))?,
        email: Email::parse(&format!("bench{i}@example.com")).map_err(|e| text(&e))?,
        password_hash: hash_password(Password::parse(FIXTURE_PASSWORD).map_err(|e| text(&e))?)
            .await
            .map_err(|e| text(&e))?,
        about_me: None,
    };
    let now = chrono::Utc::now();
    let user = app.users.create(new, now).await.map_err(|e| text(&e))?;
    let session = new_session_id();
    let grant = Grant::new(&app.config, user.id, &session, now);
    app.tokens
        .open(user.id, user.session_epoch, &session, &grant.pair, now)
        .await
        .map_err(|e| text(&e))?;
    Ok((user.id.get(), grant.access_token))
}
