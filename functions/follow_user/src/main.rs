//! Lambda entry point of `follow_user` (`PUT /api/users/{id}/followed/{target_id}`).

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    microblog_shared::lambda::init_tracing();
    let app = microblog_shared::lambda::app_from_env().await?;
    run(service_fn(|req| follow_user::handler(&app, req))).await
}
