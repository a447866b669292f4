//! The route table: which function serves which method and path.
//!
//! template.yaml declares the same routes for API Gateway and the local
//! server dispatches by this table; a test keeps the two, the `functions/`
//! crates and `events/` in step. Requests matching no route go to the
//! `fallback` function, which answers 404, or 405 with `Allow`.

use crate::error::ApiError;

/// One route: an HTTP method and a path template served by one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The function crate (and Lambda function) serving it.
    pub function: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path, with `{name}` for a path parameter.
    pub path: &'static str,
}

const fn route(function: &'static str, method: &'static str, path: &'static str) -> Route {
    Route {
        function,
        method,
        path,
    }
}

/// Every route of the API.
pub const ROUTES: &[Route] = &[
    route("get_users", "GET", "/api/users"),
    route("create_user", "POST", "/api/users"),
    route("get_user", "GET", "/api/users/{id}"),
    route("update_user", "PUT", "/api/users/{id}"),
    route("get_followers", "GET", "/api/users/{id}/followers"),
    route("get_followed", "GET", "/api/users/{id}/followed"),
    route(
        "is_following",
        "GET",
        "/api/users/{id}/followed/{target_id}",
    ),
    route("follow_user", "PUT", "/api/users/{id}/followed/{target_id}"),
    route(
        "unfollow_user",
        "DELETE",
        "/api/users/{id}/followed/{target_id}",
    ),
    route("get_token", "POST", "/api/tokens"),
    route("revoke_token", "DELETE", "/api/tokens"),
];

/// The function serving requests that match no route.
pub const FALLBACK_FUNCTION: &str = "fallback";

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
        _ => ApiError::not_found(format!("there is no route {method} {path}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Resolved::MethodNotAllowed(vec!["GET", "PUT"])
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
    fn every_route_is_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(a.function != b.function && (a.method, a.path) != (b.method, b.path));
            }
        }
    }
}
