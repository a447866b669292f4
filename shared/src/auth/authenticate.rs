//! Authenticating a request, and what its handler needs besides the caller,
//! in one shape: `authenticate(app, req, needs)`, where `needs` says what
//! to read while the token is checked ([`Nothing`], the `{id}` user
//! [`PathUser`], the `{id}` post [`PathPost`], an `{id}` that must be the
//! caller [`Own`], or any read of the handler's [`Alongside`]), and, wrapped
//! in [`Screened`], the caller's blocks and mutes. Whatever is
//! needed is read in the same round trip as the token, and only once the
//! request carries a token of the right shape: a request without one is a
//! 401 that touched no table, so it costs nothing and its timing tells
//! nothing about what exists. An unauthenticated request is a 401 whatever
//! its path; then a malformed or unknown id is a 404.

use std::future::Future;

use lambda_http::Request;

use super::{bearer_token, check_token, token_user, Caller};
use crate::domain::{NoSuchPost, NoSuchUser, Post, Safety, User, UserId};
use crate::error::ApiError;
use crate::http::{path_id, path_post_id};
use crate::store::Read;
use crate::App;

/// What a handler reads while its caller is authenticated.
pub trait Needs {
    /// What the handler gets besides the caller.
    type Output;

    /// Authenticates `req` and reads what is needed, concurrently; with
    /// `screen`, the caller's blocks and mutes too.
    fn resolve(
        self,
        app: &App,
        req: &Request,
        screen: bool,
    ) -> impl Future<Output = Result<(Caller, Self::Output), ApiError>> + Send;
}

/// Authenticates `req` and reads what `needs` asks for, concurrently.
pub async fn authenticate<N: Needs>(
    app: &App,
    req: &Request,
    needs: N,
) -> Result<(Caller, N::Output), ApiError> {
    needs.resolve(app, req, false).await
}

/// Only the caller.
pub struct Nothing;

impl Needs for Nothing {
    type Output = ();

    async fn resolve(
        self,
        app: &App,
        req: &Request,
        screen: bool,
    ) -> Result<(Caller, ()), ApiError> {
        Ok((check_token(app, bearer_token(req)?, screen).await?, ()))
    }
}

/// The user of the `{id}` path parameter (a 404 for a suspended user,
/// unless the caller is a moderator). Callers asking for themselves cost
/// no read beyond authentication's, which already read their profile
/// (strongly).
pub struct PathUser;

impl Needs for PathUser {
    type Output = User;

    async fn resolve(
        self,
        app: &App,
        req: &Request,
        screen: bool,
    ) -> Result<(Caller, User), ApiError> {
        let id = match path_id(req, "id") {
            Ok(id) => id,
            Err(not_found) => {
                Nothing.resolve(app, req, screen).await?;
                return Err(not_found);
            }
        };
        let token = bearer_token(req)?;
        if token_user(token) == Some(id) {
            let caller = check_token(app, token, screen).await?;
            let user = caller.user.clone();
            return Ok((caller, user));
        }
        let (caller, user) = Alongside(app.users.get(id, Read::Eventual))
            .resolve(app, req, screen)
            .await?;
        // A suspended user is hidden from all but moderators.
        let user = user?
            .filter(|user| user.visible_to(&caller.user))
            .ok_or(NoSuchUser::id(id))?;
        Ok((caller, user))
    }
}

/// The post of the `{id}` path parameter.
pub struct PathPost;

impl Needs for PathPost {
    type Output = Post;

    async fn resolve(
        self,
        app: &App,
        req: &Request,
        screen: bool,
    ) -> Result<(Caller, Post), ApiError> {
        let id = match path_post_id(req, "id") {
            Ok(id) => id,
            Err(not_found) => {
                Nothing.resolve(app, req, screen).await?;
                return Err(not_found);
            }
        };
        let (caller, post) = Alongside(app.posts.get(id, Read::Eventual))
            .resolve(app, req, screen)
            .await?;
        let post = post?.ok_or(NoSuchPost::id(id))?;
        Ok((caller, post))
    }
}

/// The `{id}` path parameter, which must be the caller's own id: anyone
/// else gets a 403 with this message. Nothing is read for it.
pub struct Own(pub &'static str);

impl Needs for Own {
    type Output = UserId;

    async fn resolve(
        self,
        app: &App,
        req: &Request,
        screen: bool,
    ) -> Result<(Caller, UserId), ApiError> {
        let (caller, ()) = Nothing.resolve(app, req, screen).await?;
        let id = path_id(req, "id")?;
        if caller.user_id == id {
            Ok((caller, id))
        } else {
            Err(ApiError::Forbidden(self.0.to_string()))
        }
    }
}

/// A read of the handler's own, run while the token is checked; its
/// result, error included, is the handler's to judge.
pub struct Alongside<F>(pub F);

impl<F> Needs for Alongside<F>
where
    F: Future + Send,
    F::Output: Send,
{
    type Output = F::Output;

    async fn resolve(
        self,
        app: &App,
        req: &Request,
        screen: bool,
    ) -> Result<(Caller, F::Output), ApiError> {
        let token = bearer_token(req)?;
        let (caller, output) = tokio::join!(check_token(app, token, screen), self.0);
        Ok((caller?, output))
    }
}

/// What `N` needs, and the caller's blocks and mutes, read in
/// authentication's own BatchGetItem (one more key, no more round trips):
/// for handlers that hide what a block or mute hides.
pub struct Screened<N>(pub N);

impl<N: Needs + Send> Needs for Screened<N> {
    type Output = (N::Output, Safety);

    async fn resolve(
        self,
        app: &App,
        req: &Request,
        _: bool,
    ) -> Result<(Caller, Self::Output), ApiError> {
        let (caller, output) = self.0.resolve(app, req, true).await?;
        let safety = caller.safety.clone().ok_or_else(|| {
            tracing::error!("authentication asked to screen returned no safety item");
            ApiError::Internal
        })?;
        Ok((caller, (output, safety)))
    }
}
