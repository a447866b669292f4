//! Lambda entry point of `get_me` (`GET /api/me`).

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    microblog_shared::lambda::init_tracing();
    let app = microblog_shared::lambda::app_from_env().await?;
    run(service_fn(|req| get_me::handler(&app, req))).await
}
