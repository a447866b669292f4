//! `POST /api/posts`: publishes a post by the caller. With an
//! `Idempotency-Key` header, a retry within 24 hours publishes nothing new:
//! it answers 201 with the post the key first published, or 422 if its body
//! differs. Two concurrent requests with one key cannot both publish: the
//! key's record is written in the same transaction as the post, and the
//! loser answers as a retry would.
//!
//! With `in_reply_to`, the post is a reply: the parent must exist and be
//! visible to the caller (no block either way, its author not suspended),
//! and the reply's transaction adds one to its `reply_count`. The
//! `@username`s of the body that name users are resolved and stored as its
//! mentions; the notifications are written later, from the stream.

use chrono::Utc;
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, token_rejected, Nothing};
use microblog_shared::domain::{
    IdempotencyKey, KeyUse, NoSuchPost, NoSuchUser, Post, PostBody, PostId, UserId,
};
use microblog_shared::error::ErrorBody;
use microblog_shared::http::bodies::NewPostForm;
use microblog_shared::http::{json, json_body};
use microblog_shared::representation::PostRepr;
use microblog_shared::store::posts::Draft;
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::writing::{mentions_in, reply_target};
use microblog_shared::{respond, ApiError, App};

/// How long a key keeps answering for its first request.
const KEY_LIFETIME: chrono::Duration = chrono::Duration::hours(24);

microblog_functions::http_function!(handler);

/// Publishes a post by the caller.
#[utoipa::path(
    post, path = "/api/posts", operation_id = "create_post", tag = "posts",
    security(("bearer" = [])),
    params(openapi::IdempotencyKeyHeader),
    request_body = NewPostForm,
    responses(
        (status = 201, description = "The post (also for a retry with the same `Idempotency-Key`).", body = PostRepr,
            headers(("Location" = String, description = "`/api/posts/{id}`")),
            links(
                ("GetPost" = (operation_id = "get_post", parameters(("path.id" = "$response.body#/id")))),
                ("UpdatePost" = (operation_id = "update_post", parameters(("path.id" = "$response.body#/id")))),
                ("DeletePost" = (operation_id = "delete_post", parameters(("path.id" = "$response.body#/id")))),
            )),
        (status = 400, description = "`body` is missing or breaks its rule, `in_reply_to` is not a post id, the body is not a JSON object, or the `Idempotency-Key` is malformed.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 404, description = "No post has the id `in_reply_to` that the caller may see (it does not exist, was deleted, or a block stands between the caller and its author).", body = ErrorBody),
        (status = 409, description = "The post this `Idempotency-Key` published has been deleted since.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 422, description = "This `Idempotency-Key` was used for a post with another body.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(create_post(app, &req).await)
}

fn idempotency_key(req: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("\u{0}");
    Ok(Some(IdempotencyKey::parse(text)?))
}

async fn create_post(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, ()) = authenticate(app, req, Nothing).await?;
    let (body, parent) = json_body::<NewPostForm>(req)?.check()?;
    let key = idempotency_key(req)?;
    let now = Utc::now();
    if let Some(key) = &key {
        if let Some(used) = app.posts.key_use(caller.user_id, key, now).await? {
            return answer_retry(app, caller.user_id, used, &body).await;
        }
    }
    let in_reply_to = match parent {
        Some(parent) => Some(reply_target(app, caller.user_id, parent).await?),
        None => None,
    };
    let draft = Draft {
        mentions: mentions_in(app, &body).await?,
        body: body.clone(),
        in_reply_to,
    };
    let published = app
        .posts
        .create(
            caller.user_id,
            draft,
            now,
            key.as_ref().map(|k| (k, now + KEY_LIFETIME)),
        )
        .await;
    match (published, &key) {
        (Err(StoreError::Conflict(Constraint::KeyUsed)), Some(key)) => {
            let used = app.posts.key_use(caller.user_id, key, now).await?;
            let used = used.ok_or(ApiError::Conflict(
                "a request with this Idempotency-Key is in progress; retry".into(),
            ))?;
            answer_retry(app, caller.user_id, used, &body).await
        }
        // The author's account was deleted after the token was checked.
        (Err(StoreError::Conflict(Constraint::UserMissing)), _) => Err(token_rejected()),
        // The parent was deleted after it was read.
        (Err(StoreError::Conflict(Constraint::ParentMissing)), _) => {
            Err(NoSuchPost::id(parent.unwrap_or(PostId::new(0))).into())
        }
        (published, _) => created(app, &published?, true).await,
    }
}

/// The answer to a request whose key was already used.
async fn answer_retry(
    app: &App,
    author_id: UserId,
    used: KeyUse,
    body: &PostBody,
) -> Result<Response<Body>, ApiError> {
    if used.body != body.as_str() {
        return Err(ApiError::Unprocessable(
            "this Idempotency-Key was used for a post with another body; use a new key".into(),
        ));
    }
    let post = app.posts.get(used.post_id, Read::Eventual).await?;
    let post = post.filter(|p| p.author_id == author_id).ok_or_else(|| {
        ApiError::Conflict(
            "the post published with this Idempotency-Key has been deleted since".into(),
        )
    })?;
    created(app, &post, false).await
}

/// The 201 for `post`; `fresh` when this request published it (nobody can
/// like a post before its id is out), else a retry's answer, which reads
/// whether its author has liked it since.
async fn created(app: &App, post: &Post, fresh: bool) -> Result<Response<Body>, ApiError> {
    let liked = async {
        match fresh {
            true => Ok(false),
            false => app.likes.likes(post.author_id, post.id).await,
        }
    };
    let (author, liked) = tokio::join!(app.users.get(post.author_id, Read::Eventual), liked);
    let author = author?.ok_or(NoSuchUser::id(post.author_id))?;
    let mut response = json(StatusCode::CREATED, &PostRepr::new(post, &author, liked?))?;
    let location = HeaderValue::try_from(format!("/api/posts/{}", post.id))
        .expect("a path of digits is a valid header value");
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}
