//! The route table: which function serves which method and path, and what
//! each function may do to DynamoDB.
//!
//! This table is the one place a route is declared. template.yaml declares the
//! same routes for API Gateway, and grants each function exactly the
//! DynamoDB actions declared here; the local server dispatches by this table.
//! Tests keep template.yaml, the `functions/` crates and `events/` in step
//! with it, and check that the calls each function really makes while
//! answering requests are declared. Requests matching no route go to the
//! `fallback` function, which answers 404, or 405 with `Allow`.

use std::fmt;

use crate::error::ApiError;

/// A DynamoDB action as IAM names it (without the `dynamodb:` prefix). A
/// TransactWriteItems needs the action of each of its items, not an action
/// of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// GetItem.
    GetItem,
    /// BatchGetItem.
    BatchGetItem,
    /// Query.
    Query,
    /// PutItem, alone or in a transaction.
    PutItem,
    /// UpdateItem, alone or in a transaction.
    UpdateItem,
    /// DeleteItem, alone or in a transaction.
    DeleteItem,
    /// ConditionCheck in a transaction.
    ConditionCheckItem,
    /// BatchWriteItem (its puts and deletes need no action of their own).
    BatchWriteItem,
}

impl Action {
    /// Every action, for parsing.
    pub const ALL: [Action; 8] = [
        Action::GetItem,
        Action::BatchGetItem,
        Action::Query,
        Action::PutItem,
        Action::UpdateItem,
        Action::DeleteItem,
        Action::ConditionCheckItem,
        Action::BatchWriteItem,
    ];

    /// The IAM action name without its service prefix.
    pub fn name(self) -> &'static str {
        match self {
            Action::GetItem => "GetItem",
            Action::BatchGetItem => "BatchGetItem",
            Action::Query => "Query",
            Action::PutItem => "PutItem",
            Action::UpdateItem => "UpdateItem",
            Action::DeleteItem => "DeleteItem",
            Action::ConditionCheckItem => "ConditionCheckItem",
            Action::BatchWriteItem => "BatchWriteItem",
        }
    }

    /// The action named `name` (`GetItem`, without `dynamodb:`).
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether the action changes data.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Action::PutItem | Action::UpdateItem | Action::DeleteItem | Action::BatchWriteItem
        )
    }
}

/// What an action applies to: the table, or one of its indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// The table itself (`Table.Arn` in template.yaml).
    Table,
    /// An index of the table (`${Table.Arn}/index/<name>`).
    Index(&'static str),
}

/// One DynamoDB permission: an action on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Access {
    /// The action.
    pub action: Action,
    /// Where it applies.
    pub resource: Resource,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.resource {
            Resource::Table => write!(f, "{} on the table", self.action.name()),
            Resource::Index(index) => write!(f, "{} on index {index}", self.action.name()),
        }
    }
}

const fn table(action: Action) -> Access {
    Access {
        action,
        resource: Resource::Table,
    }
}

const fn index(action: Action, name: &'static str) -> Access {
    Access {
        action,
        resource: Resource::Index(name),
    }
}

/// How a route's caller proves who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Nobody needs to (registration).
    None,
    /// HTTP Basic: username and password (getting a token).
    Basic,
    /// A bearer token. A request without one of the right shape is a 401
    /// before any DynamoDB call (tested for every such route).
    Bearer,
    /// A refresh token in the body (renewing a session).
    RefreshToken,
}

/// One route: an HTTP method and a path template served by one function,
/// with everything that function needs from its deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The function crate (and Lambda function) serving it.
    pub function: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path, with `{name}` for a path parameter.
    pub path: &'static str,
    /// The DynamoDB permissions the function's policy grants, no more.
    pub dynamodb: &'static [Access],
    /// Whether the function runs argon2id, and so needs the memory (and the
    /// CPU share that comes with it) to hash in ~20 ms.
    pub hashes_passwords: bool,
    /// The credentials it asks for.
    pub auth: Auth,
    /// The partition keys its function may touch, as patterns of IAM's
    /// `dynamodb:LeadingKeys` condition ([`keys`]); its policy allows no
    /// others.
    pub leading_keys: &'static [&'static str],
}

impl Route {
    const fn new(
        method: &'static str,
        path: &'static str,
        function: &'static str,
        dynamodb: &'static [Access],
    ) -> Route {
        Route {
            function,
            method,
            path,
            dynamodb,
            hashes_passwords: false,
            auth: Auth::Bearer,
            leading_keys: &[],
        }
    }

    const fn keys(self, leading_keys: &'static [&'static str]) -> Route {
        Route {
            leading_keys,
            ..self
        }
    }

    const fn hashing_passwords(self) -> Route {
        Route {
            hashes_passwords: true,
            ..self
        }
    }

    const fn authenticated_by(self, auth: Auth) -> Route {
        Route { auth, ..self }
    }

    /// API Gateway's route key: `GET /api/users/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

use Action::{BatchGetItem, BatchWriteItem, DeleteItem, GetItem, PutItem, Query, UpdateItem};

/// Partition keys, as patterns of IAM's `dynamodb:LeadingKeys` condition
/// (`*` stands for any rest; anything else is exact). The exact ones are
/// the very constants the stores use.
pub mod keys {
    use crate::store::items;

    /// Profiles, follow edges and timelines: `USER#<id>`.
    pub const USER: &str = "USER#*";
    /// Tokens, by hash: `TOKEN#<sha256>`.
    pub const TOKEN: &str = "TOKEN#*";
    /// Username markers.
    pub const USERNAME: &str = "USERNAME#*";
    /// Email markers.
    pub const EMAIL: &str = "EMAIL#*";
    /// The next user id.
    pub const USER_COUNTER: &str = items::COUNTER_PK;
    /// The number of users.
    pub const USER_COUNT: &str = items::STATS_PK;
    /// The directory of every user.
    pub const DIRECTORY: &str = items::DIRECTORY_PK;
    /// Posts: `POST#<id>`.
    pub const POST: &str = "POST#*";
    /// The next post id.
    pub const POST_COUNTER: &str = items::POST_COUNTER_PK;
    /// Home feeds: `FEED#<id>`.
    pub const FEED: &str = "FEED#*";
    /// Idempotency-Key records.
    pub const IDEMPOTENCY: &str = "IDEMPOTENCY#*";
    /// The set of popular authors.
    pub const POPULAR: &str = items::POPULAR_PK;
    /// Failed-login counters.
    pub const LOGIN_LIMIT: &str = "LIMIT#login#*";
    /// Sign-up counters.
    pub const SIGNUP_LIMIT: &str = "LIMIT#signup#*";
    /// Clean-up jobs of deleted accounts: `PURGE#<id>`.
    pub const PURGE: &str = "PURGE#*";

    /// Whether `pk` matches `pattern` as IAM's StringLike does (for the
    /// patterns above: a trailing `*`, or exact).
    pub fn matches(pattern: &str, pk: &str) -> bool {
        match pattern.strip_suffix('*') {
            Some(prefix) => pk.starts_with(prefix),
            None => pk == pattern,
        }
    }
}

use crate::store::items::BY_TIME_INDEX as BY_TIME;

/// Every route of the API. A route asks for a bearer token unless it says
/// otherwise; every Bearer route reads the token and its user's profile
/// in one BatchGetItem (`auth::authenticate`).
pub const ROUTES: &[Route] = &[
    Route::new(
        "GET",
        "/api/users",
        "get_users",
        // Token, the user count's shards (a Query), the directory, the
        // page's profiles.
        &[table(Query), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::USER_COUNT, keys::DIRECTORY, keys::USER]),
    Route::new(
        "POST",
        "/api/users",
        "create_user",
        // Pre-check of the markers; the id counter (UpdateItem) and one
        // transaction of Puts and the user count's Update; when that
        // transaction's answer is lost, one undoing it (Deletes).
        &[
            table(GetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .hashing_passwords()
    .authenticated_by(Auth::None)
    .keys(&[
        keys::SIGNUP_LIMIT,
        keys::USERNAME,
        keys::EMAIL,
        keys::USER_COUNTER,
        keys::USER,
        keys::DIRECTORY,
        keys::USER_COUNT,
    ]),
    Route::new(
        "GET",
        "/api/users/{id}",
        "get_user",
        &[table(GetItem), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    // The token and profile (authentication reads it) is all it needs.
    Route::new("GET", "/api/me", "get_me", &[table(BatchGetItem)]).keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "PUT",
        "/api/users/{id}",
        "update_user",
        // One transaction: the profile's Update, a Put and a Delete per
        // moved uniqueness marker.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::USERNAME, keys::EMAIL]),
    Route::new(
        "DELETE",
        "/api/users/{id}",
        "delete_user",
        // One transaction: the profile, both markers and the directory
        // entry deleted, the user count updated, the clean-up job put.
        &[
            table(BatchGetItem),
            table(DeleteItem),
            table(UpdateItem),
            table(PutItem),
        ],
    )
    .hashing_passwords()
    .keys(&[
        keys::TOKEN,
        keys::USER,
        keys::USERNAME,
        keys::EMAIL,
        keys::DIRECTORY,
        keys::USER_COUNT,
        keys::PURGE,
    ]),
    Route::new(
        "PUT",
        "/api/users/{id}/password",
        "change_password",
        // One transaction updating the profile (hash and session epoch),
        // the caller's token and session.
        &[table(BatchGetItem), table(UpdateItem)],
    )
    .hashing_passwords()
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "DELETE",
        "/api/users/{id}/tokens",
        "revoke_sessions",
        // One UpdateItem raising the session epoch on the profile.
        &[table(BatchGetItem), table(UpdateItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "GET",
        "/api/users/{id}/followers",
        "get_followers",
        &[table(GetItem), table(BatchGetItem), index(Query, BY_TIME)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "GET",
        "/api/users/{id}/followed",
        "get_followed",
        &[table(GetItem), table(BatchGetItem), index(Query, BY_TIME)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "GET",
        "/api/users/{id}/followed/{target_id}",
        "is_following",
        &[table(GetItem), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "PUT",
        "/api/users/{id}/followed/{target_id}",
        "follow_user",
        // One transaction: both counts' Updates, both edge halves' Puts.
        &[table(BatchGetItem), table(PutItem), table(UpdateItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "DELETE",
        "/api/users/{id}/followed/{target_id}",
        "unfollow_user",
        // One transaction: both counts' Updates, both edge halves' Deletes;
        // GetItems explain a cancelled one.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "POST",
        "/api/posts",
        "create_post",
        // The post id counter and post_count (UpdateItem); one transaction
        // putting the post, its timeline entry and the author's feed entry;
        // the Idempotency-Key record is read, and put with the post.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(PutItem),
            table(UpdateItem),
        ],
    )
    .keys(&[
        keys::TOKEN,
        keys::IDEMPOTENCY,
        keys::POST_COUNTER,
        keys::POST,
        keys::USER,
        keys::FEED,
    ]),
    Route::new(
        "GET",
        "/api/posts/{id}",
        "get_post",
        &[table(GetItem), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::POST, keys::USER]),
    Route::new(
        "PUT",
        "/api/posts/{id}",
        "update_post",
        &[table(GetItem), table(BatchGetItem), table(UpdateItem)],
    )
    .keys(&[keys::TOKEN, keys::POST, keys::USER]),
    Route::new(
        "DELETE",
        "/api/posts/{id}",
        "delete_post",
        // One transaction: the post, its timeline and own-feed entries, and
        // post_count.
        &[
            table(GetItem),
            table(BatchGetItem),
            table(DeleteItem),
            table(UpdateItem),
        ],
    )
    .keys(&[keys::TOKEN, keys::POST, keys::USER, keys::FEED]),
    Route::new(
        "GET",
        "/api/users/{id}/posts",
        "get_user_posts",
        &[table(GetItem), table(Query), table(BatchGetItem)],
    )
    .keys(&[keys::TOKEN, keys::USER, keys::POST]),
    Route::new(
        "GET",
        "/api/feed",
        "get_feed",
        &[table(GetItem), table(Query), table(BatchGetItem)],
    )
    .keys(&[
        keys::TOKEN,
        keys::POPULAR,
        keys::FEED,
        keys::USER,
        keys::POST,
    ]),
    Route::new(
        "POST",
        "/api/tokens",
        "get_token",
        // The username marker and profile; one transaction putting the
        // token and updating last_seen; deleting the token again when that
        // transaction's answer was lost (a token the client never got).
        &[
            table(GetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .hashing_passwords()
    .authenticated_by(Auth::Basic)
    .keys(&[keys::LOGIN_LIMIT, keys::USERNAME, keys::USER, keys::TOKEN]),
    Route::new(
        "PUT",
        "/api/tokens",
        "refresh_token",
        // The session and profile; one transaction rotating the session
        // (Update), replacing its access token (Delete, Put) and setting
        // last_seen (Update); ending the session (Deletes) on reuse.
        &[
            table(GetItem),
            table(PutItem),
            table(UpdateItem),
            table(DeleteItem),
        ],
    )
    .authenticated_by(Auth::RefreshToken)
    .keys(&[keys::TOKEN, keys::USER]),
    Route::new(
        "DELETE",
        "/api/tokens",
        "revoke_token",
        // One transaction deleting the session and its access token; for a
        // session with spare pairs, it read (BatchGetItem) and ended whole.
        &[table(BatchGetItem), table(DeleteItem)],
    )
    .keys(&[keys::TOKEN, keys::USER]),
    // The OpenAPI document, built from the code: no table, no token.
    Route::new("GET", "/api/openapi.json", "get_openapi", &[]).authenticated_by(Auth::None),
];

/// The function serving requests that match no route. It touches no table.
pub const FALLBACK_FUNCTION: &str = "fallback";

/// What starts a function that serves no route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Batches of records of the table's DynamoDB stream.
    TableStream,
}

/// A function started by something other than an HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Worker {
    /// The function crate (and Lambda function).
    pub function: &'static str,
    /// What invokes it.
    pub trigger: Trigger,
    /// The DynamoDB permissions its policy grants on the table, no more
    /// (reading the stream itself is granted with the trigger).
    pub dynamodb: &'static [Access],
    /// The partition keys it may touch, like [`Route::leading_keys`].
    pub leading_keys: &'static [&'static str],
}

/// Every function that serves no route.
pub const WORKERS: &[Worker] = &[
    Worker {
        function: "fan_out",
        trigger: Trigger::TableStream,
        // Followers, an author's newest posts and a feed's entries of one
        // author (Query); feed entries written and deleted (BatchWriteItem);
        // the set of popular authors and a follower count (GetItem), and
        // marking an author popular (UpdateItem).
        dynamodb: &[
            table(GetItem),
            table(Query),
            table(BatchWriteItem),
            table(UpdateItem),
        ],
        leading_keys: &[keys::POPULAR, keys::USER, keys::FEED],
    },
    Worker {
        function: "purge_user",
        trigger: Trigger::TableStream,
        // A deleted user's edges, posts, feed and sessions, a page at a
        // time (Query); each edge unlinked with the other user's count in
        // one transaction (Delete, Update); the rest deleted in batches
        // (BatchWriteItem); the job advanced and the popular mark removed
        // (UpdateItem), the job deleted (DeleteItem).
        dynamodb: &[
            table(Query),
            table(DeleteItem),
            table(UpdateItem),
            table(BatchWriteItem),
        ],
        leading_keys: &[
            keys::PURGE,
            keys::USER,
            keys::FEED,
            keys::POST,
            keys::TOKEN,
            keys::POPULAR,
        ],
    },
];

/// The route `function` serves; `None` for the fallback and unknown names.
pub fn route_of(function: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.function == function)
}

/// The functions serving HTTP: one per route, then the fallback.
pub fn http_functions() -> impl Iterator<Item = &'static str> {
    ROUTES.iter().map(|r| r.function).chain([FALLBACK_FUNCTION])
}

/// Every function's name: those serving HTTP, then the workers.
pub fn functions() -> impl Iterator<Item = &'static str> {
    http_functions().chain(WORKERS.iter().map(|w| w.function))
}

/// The partition-key patterns declared for `function` (none for the
/// fallback); `None` if no function has that name.
pub fn leading_keys_of(function: &str) -> Option<&'static [&'static str]> {
    match (route_of(function), worker_of(function)) {
        (Some(route), _) => Some(route.leading_keys),
        (None, Some(worker)) => Some(worker.leading_keys),
        (None, None) if function == FALLBACK_FUNCTION => Some(&[]),
        (None, None) => None,
    }
}

/// The worker called `function`, if it is one.
pub fn worker_of(function: &str) -> Option<&'static Worker> {
    WORKERS.iter().find(|w| w.function == function)
}

/// The DynamoDB permissions declared for `function` (none for the
/// fallback); `None` if no function has that name.
pub fn dynamodb_of(function: &str) -> Option<&'static [Access]> {
    match (route_of(function), worker_of(function)) {
        (Some(route), _) => Some(route.dynamodb),
        (None, Some(worker)) => Some(worker.dynamodb),
        (None, None) if function == FALLBACK_FUNCTION => Some(&[]),
        (None, None) => None,
    }
}

/// The path parameters of `path` if it matches `template`.
pub fn match_path(template: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    let mut template_parts = template.split('/');
    let mut path_parts = path.split('/');
    loop {
        match (template_parts.next(), path_parts.next()) {
            (None, None) => return Some(params),
            (Some(t), Some(p)) => {
                if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    if p.is_empty() {
                        return None;
                    }
                    params.push((name, p.to_string()));
                } else if t != p {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// What a method and path resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A route matches; with its path parameters.
    Route(Route, Vec<(&'static str, String)>),
    /// The path exists with other methods.
    MethodNotAllowed(Vec<&'static str>),
    /// No route has this path.
    NotFound,
}

/// Resolves `method` and `path` against [`ROUTES`].
pub fn resolve(method: &str, path: &str) -> Resolved {
    let mut allow = Vec::new();
    for route in ROUTES {
        if let Some(params) = match_path(route.path, path) {
            if route.method == method {
                return Resolved::Route(*route, params);
            }
            allow.push(route.method);
        }
    }
    if allow.is_empty() {
        Resolved::NotFound
    } else {
        Resolved::MethodNotAllowed(allow)
    }
}

/// The error for a request no route serves: 405 with `Allow` when the path
/// exists, else 404.
pub fn unrouted(method: &str, path: &str) -> ApiError {
    match resolve(method, path) {
        Resolved::MethodNotAllowed(allow) => ApiError::MethodNotAllowed { allow },
        _ => ApiError::not_found(format!(
            "there is no route {} {}",
            shown(method),
            shown(path)
        )),
    }
}

/// The most characters of a client's path (or method) an answer or a log
/// line repeats: a 20 KB path echoed whole made every such line 20 KB.
pub const SHOWN_CHARACTERS: usize = 200;

/// `text` cut to [`SHOWN_CHARACTERS`], marked with `…` where it was cut.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(SHOWN_CHARACTERS) {
        None => text.into(),
        Some((end, _)) => format!("{}…", &text[..end]).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unrouted_path_is_named_in_the_404_cut_to_200_characters() {
        let long = format!("/{}", "é".repeat(20_000));
        let message = unrouted("GET", &long).message();
        assert!(message.chars().count() < 250, "{}", message.len());
        assert!(message.ends_with('…'), "{message}");
        assert_eq!(
            unrouted("GET", "/nowhere").message(),
            "there is no route GET /nowhere"
        );
    }

    #[test]
    fn a_path_resolves_to_its_route_with_parameters() {
        match resolve("GET", "/api/users/12/followed/7") {
            Resolved::Route(r, params) => {
                assert_eq!(r.function, "is_following");
                assert_eq!(
                    params,
                    vec![("id", "12".to_string()), ("target_id", "7".to_string())]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_known_path_with_another_method_is_a_405_listing_the_methods() {
        assert_eq!(
            resolve("PATCH", "/api/users/1"),
            Resolved::MethodNotAllowed(vec!["GET", "PUT", "DELETE"])
        );
        assert_eq!(unrouted("GET", "/api/tokens").status(), 405);
    }

    #[test]
    fn an_unknown_path_is_a_404() {
        for path in [
            "/",
            "/api",
            "/api/users/",
            "/api/users/1/x",
            "/api/users//followers",
        ] {
            assert_eq!(resolve("GET", path), Resolved::NotFound, "{path}");
        }
    }

    #[test]
    fn a_route_that_only_reads_declares_no_write_and_no_action_twice() {
        for route in ROUTES {
            if route.method == "GET" {
                assert!(
                    route.dynamodb.iter().all(|a| !a.action.writes()),
                    "{}",
                    route.function
                );
            }
            let mut seen = route.dynamodb.to_vec();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), route.dynamodb.len(), "{}", route.function);
        }
        assert_eq!(dynamodb_of(FALLBACK_FUNCTION), Some(&[][..]));
        assert_eq!(dynamodb_of("no_such_function"), None);
    }

    #[test]
    fn every_function_with_table_access_declares_its_leading_keys_once_each() {
        for function in functions() {
            let declared = dynamodb_of(function).unwrap();
            let keys = leading_keys_of(function).unwrap();
            assert_eq!(declared.is_empty(), keys.is_empty(), "{function}");
            let mut unique = keys.to_vec();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), keys.len(), "{function}");
        }
        assert!(keys::matches(keys::USER, "USER#12"));
        assert!(!keys::matches(keys::USER, "USERNAME#susan"));
        assert!(keys::matches(keys::DIRECTORY, "USERS"));
        assert!(!keys::matches(keys::DIRECTORY, "USERS2"));
    }

    #[test]
    fn every_route_is_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(a.function != b.function && (a.method, a.path) != (b.method, b.path));
            }
        }
    }
}
