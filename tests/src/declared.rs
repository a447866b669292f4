//! Every function `microblog_shared::routes` declares, HTTP or not: one per
//! route, the fallback, and the workers (functions a trigger other than HTTP
//! invokes, such as the table's stream for `fan_out`).
//!
//! The route table lists routes and workers; these are the views of both
//! that the harnesses and the consistency tests need beyond its own.

pub use microblog_shared::routes::{dynamodb_of, functions, http_functions, worker_of};
use microblog_shared::routes::{Resource, Trigger, ROUTES, WORKERS};

/// The functions something other than HTTP invokes.
pub fn worker_functions() -> impl Iterator<Item = &'static str> {
    WORKERS.iter().map(|w| w.function)
}

/// The index named `name` if some function declares access to it.
pub fn declared_index(name: &str) -> Option<&'static str> {
    ROUTES
        .iter()
        .flat_map(|r| r.dynamodb)
        .chain(WORKERS.iter().flat_map(|w| w.dynamodb))
        .find_map(|a| match a.resource {
            Resource::Index(declared) if declared == name => Some(declared),
            _ => None,
        })
}

/// What the template must give a worker with `trigger`, in words, for
/// messages.
pub fn trigger_event(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::TableStream => "a DynamoDB event on !GetAtt Table.StreamArn",
        Trigger::Schedule(_) => "a Schedule event with the declared expression",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_http_or_a_worker_never_both_and_each_declares_its_access() {
        let http: Vec<&str> = http_functions().collect();
        for worker in worker_functions() {
            assert!(!http.contains(&worker), "{worker} is both");
            assert!(worker_of(worker).is_some());
            assert!(dynamodb_of(worker).is_some_and(|a| !a.is_empty()));
        }
        assert_eq!(functions().count(), ROUTES.len() + 1 + WORKERS.len());
        assert!(worker_of("get_user").is_none());
        assert_eq!(dynamodb_of("nobody"), None);
    }
}
