//! Lambda entry point of `revoke_sessions` (`DELETE /api/users/{id}/tokens`).

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    microblog_shared::lambda::init_tracing();
    let app = microblog_shared::lambda::app_from_env().await?;
    run(service_fn(|req| revoke_sessions::handler(&app, req))).await
}
