//! Lambda entry point of `purge_user` (the table's DynamoDB stream).

use lambda_runtime::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    microblog_shared::lambda::init_tracing();
    let app = microblog_shared::lambda::app_from_env().await?;
    run(service_fn(|event| purge_user::handler(&app, event))).await
}
