//! Abuse limits: how many failed logins, sign-ups, reports and password
//! reset requests a client made lately, counted in the table so that every
//! Lambda instance sees the same count.
//!
//! A counter is one item per subject and fixed window
//! (`LIMIT#<kind>#<subject>` / `WINDOW#<n>`, where `n` is the window's
//! number since the epoch), so a new window starts from zero without any
//! write, and an old window's item is deleted by TTL after it ends.
//! Fixed windows let a client make up to twice the limit across a window
//! boundary; they cost one write per attempt, and nothing to reset.
//!
//! An attempt is *reserved* before the work it limits (a password check),
//! by a conditional increment that fails at the limit: however many
//! requests arrive at once, at most `limit` of them get past it in a
//! window. Reading the count first and raising it afterwards let a burst
//! of 200 concurrent guesses all through (issue 18).

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;

use super::items::{key, n, sha256_hex, Item, EXPIRES_AT};
use super::{Constraint, StoreError, Table};

/// The attribute holding a window's count.
const COUNT: &str = "attempts";

/// What a limit counts, and whose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    kind: &'static str,
    subject: String,
    window: Duration,
}

/// The window of failed logins.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The window of sign-ups.
pub const SIGNUP_WINDOW: Duration = Duration::from_secs(60 * 60);
/// The window of password reset requests.
pub const RESET_WINDOW: Duration = Duration::from_secs(60 * 60);
/// The window of reports.
pub const REPORT_WINDOW: Duration = Duration::from_secs(60 * 60);

impl Limited {
    /// Failed logins as `username` (any text, case ignored) from `source`.
    /// The pair is hashed: the key has a fixed length and holds no name.
    pub fn login_failures(username: &str, source: &str) -> Limited {
        Limited {
            kind: "login",
            subject: sha256_hex(&format!(
                "{}\n{}",
                username.to_lowercase(),
                client_of(source)
            )),
            window: LOGIN_WINDOW,
        }
    }

    /// Failed logins from `source` as any username: password spraying, one
    /// guess at each of many accounts. Under the login prefix (`kind`
    /// `login#source`), whose subjects are otherwise hex digests, so the
    /// two never share a key.
    pub fn source_login_failures(source: &str) -> Limited {
        Limited {
            kind: "login#source",
            subject: client_of(source),
            window: LOGIN_WINDOW,
        }
    }

    /// Sign-ups from `source`.
    pub fn signups(source: &str) -> Limited {
        Limited {
            kind: "signup",
            subject: client_of(source),
            window: SIGNUP_WINDOW,
        }
    }

    /// Reports made by `reporter`.
    pub fn reports(reporter: crate::domain::UserId) -> Limited {
        Limited {
            kind: "report",
            subject: reporter.to_string(),
            window: REPORT_WINDOW,
        }
    }

    /// Password reset requests for `email` (case ignored), from anyone;
    /// hashed, so the key holds no address.
    pub fn resets_for_email(email: &str) -> Limited {
        Limited {
            kind: "reset#email",
            subject: sha256_hex(&email.to_lowercase()),
            window: RESET_WINDOW,
        }
    }

    /// Password reset requests from `source`, for any addresses.
    pub fn resets_from(source: &str) -> Limited {
        Limited {
            kind: "reset#source",
            subject: client_of(source),
            window: RESET_WINDOW,
        }
    }

    /// Pushes `actor`'s doings sent `recipient` (so that liking and
    /// unliking in a loop cannot buzz a phone without end).
    pub fn pushes(recipient: crate::domain::UserId, actor: crate::domain::UserId) -> Limited {
        Limited {
            kind: "push",
            subject: format!("{recipient}#{actor}"),
            window: RESET_WINDOW,
        }
    }

    /// Verification mails `user` asked for again.
    pub fn verification_resends(user: crate::domain::UserId) -> Limited {
        Limited {
            kind: "verify",
            subject: user.to_string(),
            window: RESET_WINDOW,
        }
    }

    fn window_of(&self, now: DateTime<Utc>) -> (u64, DateTime<Utc>) {
        let length = self.window.as_secs();
        let number = now.timestamp().max(0) as u64 / length;
        let end = DateTime::<Utc>::from_timestamp(((number + 1) * length) as i64, 0)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        (number, end)
    }

    fn key_at(&self, now: DateTime<Utc>) -> (Item, DateTime<Utc>) {
        let (number, end) = self.window_of(now);
        (
            key(
                format!("{LIMIT_PREFIX}{}#{}", self.kind, self.subject),
                format!("WINDOW#{number}"),
            ),
            end,
        )
    }
}

/// The partition key prefix of every limit counter.
pub const LIMIT_PREFIX: &str = "LIMIT#";

/// Who a source address stands for: an IPv4 address itself, an IPv6
/// address's /64 (one subscriber's network: a client can pick any address
/// in it), anything else as given.
pub fn client_of(source: &str) -> String {
    match source.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => v6.to_ipv4_mapped().expect("checked").to_string(),
        Ok(v4) => v4.to_string(),
        Err(_) => source.to_string(),
    }
}

/// The time left in the window, in whole seconds, at least one.
fn until(end: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let millis = (end - now).num_milliseconds().max(1) as u64;
    Duration::from_secs(millis.div_ceil(1000))
}

/// Store of abuse-limit counters.
#[derive(Debug, Clone)]
pub struct LimitStore {
    table: Table,
}

/// Attempts counted by [`LimitStore::reserve`], which can be given back
/// ([`LimitStore::give_back`]) once they turn out not to count (a login
/// that succeeded).
#[derive(Debug, Default)]
#[must_use = "a reservation is kept unless given back"]
pub struct Reservation {
    keys: Vec<Item>,
}

/// A limit that refused an attempt: which one (its index in what was asked
/// of [`LimitStore::reserve`]) and how long until its window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The index of the limit that refused.
    pub limit: usize,
    /// The time left in that limit's window.
    pub retry_after: Duration,
}

impl LimitStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        LimitStore { table }
    }

    /// Counts one more attempt of `limited` unless `limit` attempts were
    /// made in the window of `now` already; then nothing is counted and the
    /// answer is how long until the window ends. One conditional UpdateItem,
    /// which also sets the TTL to the window's end.
    pub async fn take(
        &self,
        limited: &Limited,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError> {
        Ok(self.take_key(limited, limit, now).await?.err())
    }

    /// [`LimitStore::take`] of every `(limited, limit)` at once (one
    /// conditional UpdateItem each, concurrently; a limit of 0 is off and
    /// costs nothing). When one refuses, the attempts the others counted are
    /// given back and the answer names the first that refused; otherwise
    /// every attempt stays counted unless given back.
    pub async fn reserve(
        &self,
        limits: &[(&Limited, u32)],
        now: DateTime<Utc>,
    ) -> Result<Result<Reservation, Refusal>, StoreError> {
        let taken = join_all(
            limits
                .iter()
                .filter(|(_, limit)| *limit > 0)
                .map(|(limited, limit)| self.take_key(limited, *limit, now)),
        )
        .await;
        let indexes = limits
            .iter()
            .enumerate()
            .filter(|(_, (_, limit))| *limit > 0)
            .map(|(i, _)| i);
        let mut reservation = Reservation::default();
        let mut refusal = None;
        let mut failure = None;
        for (index, taken) in indexes.zip(taken) {
            match taken {
                Ok(Ok(key)) => reservation.keys.push(key),
                Ok(Err(retry_after)) => {
                    refusal.get_or_insert(Refusal {
                        limit: index,
                        retry_after,
                    });
                }
                Err(e) => failure = Some(e),
            }
        }
        if failure.is_none() && refusal.is_none() {
            return Ok(Ok(reservation));
        }
        // Best effort: a give-back that fails leaves an attempt counted,
        // which errs on the side of the limit.
        if let Err(e) = self.give_back(reservation).await {
            tracing::warn!(error = %e, "could not give back a reserved attempt");
        }
        match (failure, refusal) {
            (Some(e), _) => Err(e),
            (None, refusal) => Ok(Err(refusal.expect("one refused"))),
        }
    }

    /// Uncounts the attempts of `reservation`, in the windows they were
    /// counted in: one UpdateItem each, concurrently, that never takes a
    /// count below zero nor makes an item that expired.
    pub async fn give_back(&self, reservation: Reservation) -> Result<(), StoreError> {
        let given = join_all(reservation.keys.into_iter().map(|key| {
            self.table
                .update_guarded(key, Constraint::LimitReached, |u| {
                    u.update_expression("ADD #count :minus_one")
                        .condition_expression("#count > :zero")
                        .expression_attribute_names("#count", COUNT)
                        .expression_attribute_values(":minus_one", n(-1))
                        .expression_attribute_values(":zero", n(0))
                })
        }))
        .await;
        for result in given {
            match result {
                Ok(()) | Err(StoreError::Conflict(Constraint::LimitReached)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Takes one attempt of `limited` in the window of `now`: the counter's
    /// key when counted, the time left in the window when at the limit.
    async fn take_key(
        &self,
        limited: &Limited,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Result<Item, Duration>, StoreError> {
        let (key, end) = limited.key_at(now);
        let counted = self
            .table
            .update_guarded(key.clone(), Constraint::LimitReached, |u| {
                u.update_expression("ADD #count :one SET #ttl = :end")
                    .condition_expression("attribute_not_exists(#count) OR #count < :limit")
                    .expression_attribute_names("#count", COUNT)
                    .expression_attribute_names("#ttl", EXPIRES_AT)
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":limit", n(limit))
                    .expression_attribute_values(":end", n(end.timestamp()))
            })
            .await;
        match counted {
            Ok(()) => Ok(Ok(key)),
            Err(StoreError::Conflict(Constraint::LimitReached)) => Ok(Err(until(end, now))),
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn a_window_ends_on_a_multiple_of_its_length_and_the_wait_is_what_is_left_of_it() {
        let limited = Limited::login_failures("Susan", "198.51.100.7");
        let (number, end) = limited.window_of(at(900 * 10 + 1));
        assert_eq!((number, end), (10, at(900 * 11)));
        assert_eq!(until(end, at(900 * 11 - 60)), Duration::from_secs(60));
        assert_eq!(until(end, at(900 * 11)), Duration::from_secs(1));
        let (key, _) = limited.key_at(at(900 * 10 + 1));
        let pk = super::super::items::get_s(&key, "pk").unwrap();
        assert!(
            pk.starts_with("LIMIT#login#") && !pk.contains("susan"),
            "{pk}"
        );
    }

    #[test]
    fn logins_are_counted_per_username_ignoring_case_and_per_address() {
        let a = Limited::login_failures("Susan", "198.51.100.7");
        assert_eq!(a, Limited::login_failures("susan", "198.51.100.7"));
        assert_ne!(a, Limited::login_failures("john", "198.51.100.7"));
        assert_ne!(a, Limited::login_failures("susan", "198.51.100.8"));
    }

    #[test]
    fn an_ipv6_client_is_its_64_network_and_a_mapped_ipv4_address_is_itself() {
        assert_eq!(client_of("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(client_of("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_eq!(client_of("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(client_of("192.0.2.1"), "192.0.2.1");
        assert_eq!(
            Limited::signups("2001:db8:1:2::9"),
            Limited::signups("2001:db8:1:2::8")
        );
    }
}
