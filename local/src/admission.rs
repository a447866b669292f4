//! Which connections the local server takes: at most
//! [`Limits::max_connections`](crate::server::Limits) at once, and at most
//! [`Limits::max_connections_per_client`](crate::server::Limits) from one
//! client (an IPv4 address, or an IPv6 /64, as the abuse limits count
//! clients), so that one client holding idle sockets cannot take every slot
//! from the others (issue 18: 256 idle sockets of one client made 58 of 60
//! requests of another get 503). Refusals are logged at most once a second,
//! with how many there were, so a flood cannot flood the log too.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use microblog_shared::store::limits::client_of;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every slot is taken.
    Full,
    /// Its client holds its share of the slots already.
    ClientFull,
}

/// The connections being served, overall and per client.
#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    per_client: usize,
    clients: Mutex<HashMap<String, usize>>,
    log: Mutex<RefusalLog>,
}

/// A connection admitted: its slot and its client's share, given back when
/// it is dropped.
#[derive(Debug)]
pub struct Ticket {
    _slot: OwnedSemaphorePermit,
    client: String,
    admission: Arc<Admission>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut clients = self.admission.clients();
        if let Some(count) = clients.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                clients.remove(&self.client);
            }
        }
    }
}

impl Admission {
    /// At most `total` connections at once, `per_client` of them from one
    /// client.
    pub fn new(total: usize, per_client: usize) -> Arc<Admission> {
        Arc::new(Admission {
            slots: Arc::new(Semaphore::new(total)),
            per_client: per_client.max(1),
            clients: Mutex::new(HashMap::new()),
            log: Mutex::new(RefusalLog::default()),
        })
    }

    fn clients(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a slot for a connection from `peer`, or says why not (and
    /// notes the refusal for the log).
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Ticket, Refused> {
        let client = client_of(&peer.to_string());
        let refused = {
            let mut clients = self.clients();
            let held = clients.get(&client).copied().unwrap_or(0);
            if held >= self.per_client {
                Err(Refused::ClientFull)
            } else {
                // A client is entered only once it holds a slot, so refused
                // clients leave nothing behind.
                match self.slots.clone().try_acquire_owned() {
                    Ok(slot) => {
                        clients.insert(client.clone(), held + 1);
                        Ok(slot)
                    }
                    Err(_) => Err(Refused::Full),
                }
            }
        };
        match refused {
            Ok(slot) => Ok(Ticket {
                _slot: slot,
                client,
                admission: self.clone(),
            }),
            Err(why) => {
                self.log.lock().unwrap_or_else(|e| e.into_inner()).note(
                    why,
                    &client,
                    Instant::now(),
                );
                Err(why)
            }
        }
    }

    /// Logs the refusals counted since the last line, if any and if that
    /// line is a second old: called every second, so a burst's counts are
    /// logged after it, not at the next refusal, however late.
    pub fn flush_log(&self) {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .flush(Instant::now());
    }

    /// Clients holding connections now (for tests).
    pub fn clients_served(&self) -> usize {
        self.clients().len()
    }
}

/// Refusals since the last log line.
#[derive(Debug, Default)]
struct RefusalLog {
    logged_at: Option<Instant>,
    full: u64,
    client_full: u64,
    latest_client: String,
}

impl RefusalLog {
    /// The shortest time between two log lines.
    const EVERY: Duration = Duration::from_secs(1);

    /// Counts a refusal, and logs what was counted when the last line is a
    /// second old (the first refusal at once). Returns whether it logged.
    fn note(&mut self, why: Refused, client: &str, now: Instant) -> bool {
        match why {
            Refused::Full => self.full += 1,
            Refused::ClientFull => self.client_full += 1,
        }
        self.latest_client = client.to_string();
        self.flush(now)
    }

    /// Logs what was counted, unless nothing was or the last line is less
    /// than a second old. Returns whether it logged.
    fn flush(&mut self, now: Instant) -> bool {
        let recent = self
            .logged_at
            .is_some_and(|at| now.duration_since(at) < Self::EVERY);
        if recent || self.full + self.client_full == 0 {
            return false;
        }
        tracing::warn!(
            over_the_total = self.full,
            over_a_client_s_share = self.client_full,
            latest_client = %self.latest_client,
            "refused connections since the last such line"
        );
        *self = RefusalLog {
            logged_at: Some(now),
            ..RefusalLog::default()
        };
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_client_gets_its_share_and_others_still_get_theirs() {
        let admission = Admission::new(4, 2);
        let a1 = admission.admit(ip("192.0.2.1")).unwrap();
        let _a2 = admission.admit(ip("192.0.2.1")).unwrap();
        assert_eq!(
            admission.admit(ip("192.0.2.1")).unwrap_err(),
            Refused::ClientFull
        );
        let _b1 = admission.admit(ip("192.0.2.2")).unwrap();
        // One IPv6 /64 is one client.
        let _c1 = admission.admit(ip("2001:db8::1")).unwrap();
        assert_eq!(
            admission.admit(ip("2001:db8::2")).unwrap_err(),
            Refused::Full
        );
        drop(a1);
        assert!(admission.admit(ip("192.0.2.1")).is_ok());
    }

    #[test]
    fn refusals_are_logged_at_most_once_a_second() {
        let mut log = RefusalLog::default();
        let start = Instant::now();
        assert!(log.note(Refused::Full, "192.0.2.1", start));
        for n in 1..100 {
            assert!(!log.note(
                Refused::ClientFull,
                "192.0.2.1",
                start + Duration::from_millis(n)
            ));
        }
        assert_eq!(log.client_full, 99);
        assert!(log.note(Refused::Full, "192.0.2.1", start + Duration::from_secs(1)));
        assert_eq!((log.full, log.client_full), (0, 0));
        // A burst, then silence: the tick logs it a second later.
        assert!(!log.note(
            Refused::Full,
            "192.0.2.1",
            start + Duration::from_millis(1500)
        ));
        assert!(!log.flush(start + Duration::from_millis(1900)));
        assert!(log.flush(start + Duration::from_secs(2)));
        assert!(!log.flush(start + Duration::from_secs(4)), "nothing to log");
    }

    #[test]
    fn a_refused_client_leaves_nothing_behind() {
        let admission = Admission::new(1, 1);
        let _held = admission.admit(ip("192.0.2.1")).unwrap();
        for n in 2..100 {
            assert!(admission.admit(ip(&format!("192.0.2.{n}"))).is_err());
        }
        assert_eq!(admission.clients_served(), 1);
    }
}
