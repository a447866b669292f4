//! Paginated collections: `?page=&per_page=` parsing, opaque cursors, and the
//! `{items, _meta, _links}` envelope.
//!
//! A bare `?page=N` works by skipping (N-1)*per_page index entries (cheap
//! key-only reads). The `next` link carries a cursor (the position of the
//! page's last item), so following it costs O(per_page) however deep it goes,
//! and walking `next` from page 1 visits every item exactly once even while
//! the collection grows.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use lambda_http::{Request, RequestExt};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// Default page size.
pub const DEFAULT_PER_PAGE: u32 = 10;
/// Largest page size; larger requests are clamped, as in the tutorial.
pub const MAX_PER_PAGE: u32 = 100;
/// Deepest offset a bare `?page=N` may jump to. Skipping costs a key-only
/// read per entry (10 Queries at this depth); deeper pages are reached by
/// following `next` links, whose cost does not grow with depth.
pub const MAX_SKIP: u64 = 10_000;

/// What the client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u64,
    /// Items per page, 1 to [`MAX_PER_PAGE`].
    pub per_page: u32,
    /// The position to continue after, from a `next` link.
    pub cursor: Option<Cursor>,
}

/// An opaque position in a collection: one or two integers, base64url-encoded
/// so that clients treat it as a token rather than something to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub u64, pub Option<u64>);

impl Cursor {
    /// The text form carried in links.
    pub fn encode(&self) -> String {
        let raw = match self.1 {
            Some(b) => format!("{}.{b}", self.0),
            None => self.0.to_string(),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Parses the text form; anything not made by [`Cursor::encode`] is a 400.
    pub fn decode(text: &str) -> Result<Self, ApiError> {
        let invalid = || {
            ApiError::bad_request(
                "cursor is not valid; follow the next link as given, or use ?page=N",
            )
        };
        let raw = URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(invalid)?;
        let number = |s: &str| {
            (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u64>().ok())
                .flatten()
                .ok_or_else(invalid)
        };
        match raw.split_once('.') {
            Some((a, b)) => Ok(Cursor(number(a)?, Some(number(b)?))),
            None => Ok(Cursor(number(&raw)?, None)),
        }
    }
}

fn positive(name: &str, raw: Option<&str>, default: u64) -> Result<u64, ApiError> {
    match raw {
        None => Ok(default),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|v| *v >= 1 && text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                ApiError::bad_request(format!("{name} must be a positive integer, got {text:?}"))
            }),
    }
}

impl PageRequest {
    /// Reads `page`, `per_page` and `cursor` from the query string.
    pub fn from_request(req: &Request) -> Result<Self, ApiError> {
        let query = req.query_string_parameters();
        let page = positive("page", query.first("page"), 1)?;
        let per_page = positive("per_page", query.first("per_page"), DEFAULT_PER_PAGE as u64)?
            .min(MAX_PER_PAGE as u64) as u32;
        let cursor = query.first("cursor").map(Cursor::decode).transpose()?;
        Ok(PageRequest {
            page,
            per_page,
            cursor,
        })
    }

    /// What to read, given the collection's exact size if it is counted:
    /// `None` when a bare page lies past the end (answered without reading),
    /// else the position to start after and how many entries to skip. A
    /// cursor is always followed: the count may have shrunk since it was
    /// issued.
    pub fn plan(&self, total_items: Total) -> Result<Option<(Option<Cursor>, u64)>, ApiError> {
        if let Some(cursor) = self.cursor {
            return Ok(Some((Some(cursor), 0)));
        }
        // Saturating: a page past u64's range lies past the end of a counted
        // collection, and too deep for an uncounted one (the feed), like
        // any other page that far.
        let offset = (self.page - 1).saturating_mul(self.per_page as u64);
        if matches!(total_items, Total::Counted(total) if offset >= total) {
            return Ok(None);
        }
        if offset > MAX_SKIP {
            return Err(ApiError::bad_request(format!(
                "page {} starts more than {MAX_SKIP} items in, deeper than a page number may jump; follow the next links to go further",
                self.page
            )));
        }
        Ok(Some((None, offset)))
    }

    /// How many items to ask the store for: one more than a page, so the
    /// extra one tells whether a next page exists.
    pub fn fetch_limit(&self) -> u32 {
        self.per_page + 1
    }
}

/// How many items a collection holds, if it is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// Exactly this many (kept by the writes, never counted by reading).
    Counted(u64),
    /// Not counted (the feed): `total_items` and `total_pages` are null.
    Uncounted,
}

/// `_meta` of a collection.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct Meta {
    /// The page shown.
    #[schema(minimum = 1)]
    pub page: u64,
    /// The page size used (after clamping).
    #[schema(minimum = 1, maximum = 100)]
    pub per_page: u32,
    /// Pages in all: ceil(total_items / per_page); null where uncounted.
    pub total_pages: Option<u64>,
    /// Items in all; null for a collection that is not counted (the feed).
    pub total_items: Option<u64>,
    /// Where the next page starts: the value of the `cursor` query
    /// parameter for it (the one `_links.next` carries), so that a typed
    /// client pages without parsing URLs; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// `_links` of a collection: relative paths; `next` and `prev` are null at
/// the ends.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct Links {
    /// This page.
    #[serde(rename = "self")]
    self_: String,
    /// The next page, with a `cursor`: follow it as given.
    next: Option<String>,
    /// The previous page, by number.
    prev: Option<String>,
}

/// A page of a collection.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct Collection<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Sizes and position.
    pub _meta: Meta,
    /// Self, next and previous pages.
    pub _links: Links,
}

impl<T> Collection<T> {
    /// The envelope for `items` of a collection at `path` holding
    /// `total_items` (if counted); `next` is the cursor of the page's last
    /// item when more items follow it.
    pub fn new(
        path: &str,
        request: &PageRequest,
        total_items: Total,
        items: Vec<T>,
        next: Option<Cursor>,
    ) -> Self {
        let per_page = request.per_page;
        let total_items = match total_items {
            Total::Counted(total) => Some(total),
            Total::Uncounted => None,
        };
        let total_pages = total_items.map(|total| total.div_ceil(per_page as u64));
        let link = |page: u64, cursor: Option<Cursor>| {
            let mut link = format!("{path}?page={page}&per_page={per_page}");
            if let Some(cursor) = cursor {
                link.push_str("&cursor=");
                link.push_str(&cursor.encode());
            }
            link
        };
        Collection {
            items,
            _meta: Meta {
                page: request.page,
                per_page,
                total_pages,
                total_items,
                next_cursor: next.map(|cursor| cursor.encode()),
            },
            _links: Links {
                self_: link(request.page, request.cursor),
                // With a cursor the page number is only a label, and any
                // u64 is accepted: the last one labels its successors too.
                next: next.map(|cursor| link(request.page.saturating_add(1), Some(cursor))),
                prev: (request.page > 1).then(|| link(request.page - 1, None)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::aws_lambda_events::query_map::QueryMap;
    use std::collections::HashMap;

    fn request(query: &[(&str, &str)]) -> Result<PageRequest, ApiError> {
        let map: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let req = lambda_http::http::Request::builder()
            .body(lambda_http::Body::Empty)
            .unwrap()
            .with_query_string_parameters(QueryMap::from(map));
        PageRequest::from_request(&req)
    }

    #[test]
    fn page_and_per_page_default_to_1_and_10() {
        let r = request(&[]).unwrap();
        assert_eq!((r.page, r.per_page, r.cursor), (1, 10, None));
    }

    #[test]
    fn the_largest_page_number_with_a_cursor_links_on_without_overflowing() {
        let max = u64::MAX.to_string();
        let cursor = Cursor(5, None).encode();
        let r = request(&[("page", &max), ("per_page", "1"), ("cursor", &cursor)]).unwrap();
        assert_eq!(
            r.plan(Total::Counted(10)).unwrap(),
            Some((Some(Cursor(5, None)), 0))
        );
        let page = Collection::new(
            "/api/users",
            &r,
            Total::Counted(10),
            vec![6],
            Some(Cursor(6, None)),
        );
        let next = page._links.next.unwrap();
        assert!(
            next.starts_with(&format!("/api/users?page={max}&per_page=1&cursor=")),
            "{next}"
        );
        assert_eq!(
            page._links.prev.unwrap(),
            format!("/api/users?page={}&per_page=1", u64::MAX - 1)
        );
    }

    #[test]
    fn per_page_is_clamped_to_100() {
        assert_eq!(request(&[("per_page", "1000")]).unwrap().per_page, 100);
    }

    #[test]
    fn non_integer_or_non_positive_page_numbers_are_a_400() {
        for (k, v) in [
            ("page", "0"),
            ("page", "-1"),
            ("page", "abc"),
            ("page", ""),
            ("per_page", "0"),
            ("per_page", "1.5"),
            ("page", "+2"),
            ("page", "99999999999999999999999"),
        ] {
            assert_eq!(request(&[(k, v)]).unwrap_err().status(), 400, "{k}={v}");
        }
    }

    #[test]
    fn a_cursor_survives_encoding_and_a_forged_one_is_a_400() {
        for c in [Cursor(5, None), Cursor(1_700_000_000_000_000, Some(42))] {
            assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }
        for bad in ["", "!!", "YWJj", "MS4", "LTE"] {
            assert_eq!(Cursor::decode(bad).unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn a_page_past_the_end_reads_nothing() {
        let r = request(&[("page", "3"), ("per_page", "10")]).unwrap();
        assert_eq!(r.plan(Total::Counted(20)).unwrap(), None);
        assert_eq!(r.plan(Total::Counted(21)).unwrap(), Some((None, 20)));
        assert_eq!(request(&[]).unwrap().plan(Total::Counted(0)).unwrap(), None);
        let huge = request(&[("page", "18446744073709551615"), ("per_page", "100")]).unwrap();
        assert_eq!(huge.plan(Total::Counted(10)).unwrap(), None, "no overflow");
    }

    #[test]
    fn a_cursor_is_followed_even_past_the_counted_end() {
        let r = request(&[
            ("page", "9"),
            ("per_page", "10"),
            ("cursor", &Cursor(4, None).encode()),
        ])
        .unwrap();
        assert_eq!(
            r.plan(Total::Counted(5)).unwrap(),
            Some((Some(Cursor(4, None)), 0))
        );
    }

    #[test]
    fn a_bare_page_deeper_than_the_skip_limit_is_a_400_pointing_to_next_links() {
        let deep = request(&[("page", "102"), ("per_page", "100")]).unwrap();
        assert!(deep
            .plan(Total::Counted(1_000_000))
            .unwrap_err()
            .message()
            .contains("next links"));
        let ok = request(&[("page", "101"), ("per_page", "100")]).unwrap();
        assert_eq!(
            ok.plan(Total::Counted(1_000_000)).unwrap(),
            Some((None, 10_000))
        );
    }

    #[test]
    fn a_page_past_u64_s_range_is_past_the_end_when_counted_and_too_deep_when_not() {
        let max = u64::MAX.to_string();
        let deepest = request(&[("page", &max), ("per_page", "10")]).unwrap();
        assert_eq!(deepest.plan(Total::Counted(5)).unwrap(), None);
        assert!(deepest
            .plan(Total::Uncounted)
            .unwrap_err()
            .message()
            .contains("next links"));
    }

    #[test]
    fn links_point_to_neighbouring_pages_and_are_null_at_the_ends() {
        let r = request(&[("page", "2"), ("per_page", "2")]).unwrap();
        let c = Collection::new(
            "/api/users",
            &r,
            Total::Counted(5),
            vec![1, 2],
            Some(Cursor(9, None)),
        );
        assert_eq!(
            c._meta,
            Meta {
                page: 2,
                per_page: 2,
                total_pages: Some(3),
                total_items: Some(5),
                next_cursor: Some("OQ".into()),
            }
        );
        assert_eq!(c._links.self_, "/api/users?page=2&per_page=2");
        assert_eq!(
            c._links.next.as_deref(),
            Some("/api/users?page=3&per_page=2&cursor=OQ")
        );
        assert_eq!(
            c._links.prev.as_deref(),
            Some("/api/users?page=1&per_page=2")
        );
        let last = request(&[("page", "3"), ("per_page", "2")]).unwrap();
        let c = Collection::new("/api/users", &last, Total::Counted(5), vec![5], None);
        assert_eq!(c._links.next, None);
        let first = Collection::new(
            "/api/users",
            &request(&[]).unwrap(),
            Total::Counted(0),
            Vec::<u8>::new(),
            None,
        );
        assert_eq!(
            (
                first._links.next,
                first._links.prev,
                first._meta.total_pages
            ),
            (None, None, Some(0))
        );
    }
}
