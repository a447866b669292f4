//! The data every sample event in `events/` expects: a table holding only
//! what `microblog_local::seed` writes (susan = 1, john = 2 who follows her,
//! a token each, susan's post 1), and nothing an earlier event changed.

use aws_sdk_dynamodb::error::SdkError;
use microblog_local::engine::Engine;
use microblog_shared::{App, Config};

/// A function's configuration with `table` and every other setting at its
/// default.
pub fn config(table: &str) -> Result<Config, String> {
    Config::from_lookup(|name| match name {
        "TABLE_NAME" => Some(table.to_string()),
        "MAIL_OUTBOX_DIR" => Some(outbox_dir().display().to_string()),
        "PUSH_OUTBOX_DIR" => Some(outbox_dir().join("push").display().to_string()),
        _ => None,
    })
    .map_err(|e| e.to_string())
}

/// Where the mail worker writes when it runs on the sample events (in
/// process, and in the smoke test's real binary): outside the workspace,
/// one directory per test process.
pub fn outbox_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("microblog-events-outbox-{}", std::process::id()))
}

/// A fresh in-memory engine on a loopback port whose `table` holds only
/// the fixtures.
pub async fn seeded_engine(table: &str) -> Result<Engine, String> {
    let engine = Engine::memory()
        .await
        .map_err(|e| format!("the engine does not start: {e}"))?;
    reseed(&engine.client(), table).await?;
    Ok(engine)
}

/// Makes `table`, at the engine `client` talks to, hold only the fixtures:
/// deletes it if it exists (with whatever earlier events wrote), creates it
/// and seeds it, so that its ids start again at 1.
pub async fn reseed(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), String> {
    match client.delete_table().table_name(table).send().await {
        Ok(_) => {}
        Err(SdkError::ServiceError(e)) if e.err().is_resource_not_found_exception() => {}
        Err(e) => {
            return Err(format!(
                "cannot delete the table {table}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&e)
            ))
        }
    }
    let app = App::new(config(table)?, client.clone());
    app.create_table_if_missing()
        .await
        .map_err(|e| format!("cannot create the table {table}: {e}"))?;
    microblog_local::seed::seed(&app)
        .await
        .map_err(|e| format!("cannot seed the table {table}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use microblog_shared::domain::{Email, NewUser, Password, UserId, Username};
    use microblog_shared::hashing::hash_password;

    #[tokio::test]
    async fn reseeding_forgets_what_events_wrote_and_numbers_the_fixtures_from_1_again() {
        let engine = seeded_engine("fixtures").await.expect("seeded");
        let app = App::new(config("fixtures").unwrap(), engine.client());
        let alice = Username::parse("alice").unwrap();
        let new = NewUser {
            username: alice.clone(),
            email: Email::parse("alice@example.com").unwrap(),
            password_hash: hash_password(Password::parse("dog-dog-dog").unwrap())
                .await
                .unwrap(),
            about_me: None,
        };
        assert_eq!(
            app.users.create(new, chrono::Utc::now()).await.unwrap().id,
            UserId::new(4)
        );
        assert_eq!(app.users.count().await.unwrap(), 4);

        reseed(&engine.client(), "fixtures")
            .await
            .expect("reseeded");
        assert_eq!(app.users.count().await.unwrap(), 3);
        assert_eq!(app.users.id_by_username(&alice).await.unwrap(), None);
        for (name, id) in [("susan", 1), ("john", 2), ("mallory", 3)] {
            let name = Username::parse(name).unwrap();
            assert_eq!(
                app.users.id_by_username(&name).await.unwrap(),
                Some(UserId::new(id))
            );
        }
        engine.stop().await;
    }
}
