//! Which handler serves which function name: the local counterpart of
//! template.yaml's one Lambda function per route.

use lambda_http::{Body, Request, Response};
use microblog_shared::App;

/// Every function the dispatcher knows, for the test that compares it with
/// the route table, template.yaml and `functions/`.
pub const FUNCTIONS: &[&str] = &[
    "get_user",
    "get_users",
    "get_followers",
    "get_followed",
    "create_user",
    "update_user",
    "get_token",
    "revoke_token",
    "follow_user",
    "unfollow_user",
    "is_following",
    "fallback",
];

/// Runs the handler of `function`; `None` if no function has that name.
pub async fn dispatch(
    app: &App,
    function: &str,
    req: Request,
) -> Option<Result<Response<Body>, lambda_http::Error>> {
    Some(match function {
        "get_user" => get_user::handler(app, req).await,
        "get_users" => get_users::handler(app, req).await,
        "get_followers" => get_followers::handler(app, req).await,
        "get_followed" => get_followed::handler(app, req).await,
        "create_user" => create_user::handler(app, req).await,
        "update_user" => update_user::handler(app, req).await,
        "get_token" => get_token::handler(app, req).await,
        "revoke_token" => revoke_token::handler(app, req).await,
        "follow_user" => follow_user::handler(app, req).await,
        "unfollow_user" => unfollow_user::handler(app, req).await,
        "is_following" => is_following::handler(app, req).await,
        "fallback" => fallback::handler(app, req).await,
        _ => return None,
    })
}
