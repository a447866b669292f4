//! Lambda entry point of `delete_post` (`DELETE /api/posts/{id}`).

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    microblog_shared::lambda::init_tracing();
    let app = microblog_shared::lambda::app_from_env().await?;
    run(service_fn(|req| delete_post::handler(&app, req))).await
}
