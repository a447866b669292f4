//! Lambda entry point of `refresh_token` (`PUT /api/tokens`).

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    microblog_shared::lambda::init_tracing();
    let app = microblog_shared::lambda::app_from_env().await?;
    run(service_fn(|req| refresh_token::handler(&app, req))).await
}
