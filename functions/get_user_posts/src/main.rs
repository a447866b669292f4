//! Lambda entry point of `get_user_posts` (`GET /api/users/{id}/posts`).

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    microblog_shared::lambda::init_tracing();
    let app = microblog_shared::lambda::app_from_env().await?;
    run(service_fn(|req| get_user_posts::handler(&app, req))).await
}
