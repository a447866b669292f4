//! Lambda entry point of `delete_user` (`DELETE /api/users/{id}`).

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    microblog_shared::lambda::init_tracing();
    let app = microblog_shared::lambda::app_from_env().await?;
    run(service_fn(|req| delete_user::handler(&app, req))).await
}
