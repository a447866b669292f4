//! Lambda entry point of `change_password` (`PUT /api/users/{id}/password`).

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    microblog_shared::lambda::init_tracing();
    let app = microblog_shared::lambda::app_from_env().await?;
    run(service_fn(|req| change_password::handler(&app, req))).await
}
