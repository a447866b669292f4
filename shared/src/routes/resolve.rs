//! Which route a method and path resolve to, and the answer for those no
//! route serves.

use super::{Route, ROUTES};
use crate::error::ApiError;

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
}
