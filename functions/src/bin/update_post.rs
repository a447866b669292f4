//! `PUT /api/posts/{id}`: the author replaces a post's body. The edit shows
//! in every feed at once: feeds point at the post. With `If-Match`, the edit
//! applies only to the representation the client read: 412 when the post
//! has changed since (the check and the write are one conditional update).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, PathPost};
use microblog_shared::domain::NoSuchPost;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::bodies::PostForm;
use microblog_shared::http::{etag_of_value, json_body, json_with_etag, IfMatch};
use microblog_shared::representation::PostRepr;
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::writing::mentions_in;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Replaces the body of one of the caller's posts.
#[utoipa::path(
    put, path = "/api/posts/{id}", operation_id = "update_post", tag = "posts",
    security(("bearer" = [])),
    params(openapi::PostPath, openapi::IfMatchHeader),
    request_body = PostForm,
    responses(
        (status = 200, description = "The edited post.", body = PostRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 400, description = "`body` is missing or breaks its rule, or the body is not a JSON object.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "The post is not the caller's.", body = ErrorBody),
        (status = 404, description = "No post has this id.", body = ErrorBody),
        (status = 412, description = "`If-Match` names a representation that is no longer the current one: GET it again.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(update_post(app, &req).await)
}

async fn update_post(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, post) = authenticate(app, req, PathPost).await?;
    if post.author_id != caller.user_id {
        return Err(ApiError::Forbidden(
            "you can only edit your own posts".into(),
        ));
    }
    let body = json_body::<PostForm>(req)?.into_body()?;
    let precondition = IfMatch::from_request(req)?;
    let conditional = precondition.is_conditional();
    // The author is the caller, whose profile authentication read strongly.
    let author = &caller.user;
    let liked = app.likes.likes(caller.user_id, post.id).await?;
    let post = if conditional {
        // A strong read: the edit is conditioned on what is compared.
        let id = post.id;
        let post = app
            .posts
            .get(id, Read::Strong)
            .await?
            .ok_or(NoSuchPost::id(id))?;
        precondition.check(
            &etag_of_value(&PostRepr::new(&post, author, liked))?,
            "post",
        )?;
        post
    } else {
        post
    };
    let mentions = mentions_in(app, &body).await?;
    let edited = app
        .posts
        .edit(&post, body, mentions, chrono::Utc::now(), conditional)
        .await;
    let edited = match edited {
        Err(StoreError::Conflict(Constraint::PostMissing)) => {
            // Gone, or (with If-Match) changed since it was compared.
            return match app.posts.get(post.id, Read::Strong).await? {
                Some(_) if conditional => Err(ApiError::PreconditionFailed(
                    "the post has changed since you read it; GET it again and reapply your change"
                        .into(),
                )),
                _ => Err(NoSuchPost::id(post.id).into()),
            };
        }
        edited => edited?,
    };
    json_with_etag(req, StatusCode::OK, &PostRepr::new(&edited, author, liked))
}
