//! `PUT /api/posts/{id}`: the author replaces a post's body. The edit shows
//! in every feed at once: feeds point at the post.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::authenticate_and_load_post;
use microblog_shared::domain::{NoSuchPost, NoSuchUser, PostForm};
use microblog_shared::http::{json, json_body};
use microblog_shared::representation::PostRepr;
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::{respond, ApiError, App};

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(update_post(app, &req).await)
}

async fn update_post(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, post) = authenticate_and_load_post(app, req).await?;
    if post.author_id != caller.user_id {
        return Err(ApiError::Forbidden(
            "you can only edit your own posts".into(),
        ));
    }
    let body = json_body::<PostForm>(req)?.into_body()?;
    let (edited, author) = tokio::join!(
        app.posts.edit(&post, body, chrono::Utc::now()),
        app.users.get(caller.user_id, Read::Eventual)
    );
    let edited = match edited {
        Err(StoreError::Conflict(Constraint::PostMissing)) => {
            return Err(NoSuchPost::id(post.id).into())
        }
        edited => edited?,
    };
    let author = author?.ok_or(NoSuchUser::id(caller.user_id))?;
    json(StatusCode::OK, &PostRepr::new(&edited, &author))
}
