//! Lambda entry point of `update_post` (`PUT /api/posts/{id}`).

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    microblog_shared::lambda::init_tracing();
    let app = microblog_shared::lambda::app_from_env().await?;
    run(service_fn(|req| update_post::handler(&app, req))).await
}
