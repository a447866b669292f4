//! The invariants of reports: an open report has exactly its queue entry,
//! its reporter's marker and its place in both counts, every report has
//! its reporter's entry and a reporter who exists, a closed one says who
//! closed it, how and when, and nothing stands for a report that is gone.

use std::collections::{BTreeMap, BTreeSet};

use super::{n, s, Item};

/// The broken invariants of reports, one sentence each.
pub(super) fn report_problems(items: &[Item], profiles: &BTreeMap<i64, &Item>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut reports: BTreeMap<i64, &Item> = BTreeMap::new();
    let mut queued = BTreeSet::new();
    let mut markers: BTreeMap<(i64, String), i64> = BTreeMap::new();
    let mut entries = BTreeSet::new();
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for item in items {
        let (pk, sk) = (s(item, "pk"), s(item, "sk"));
        if pk.starts_with("REPORT#") && sk == "REPORT" {
            reports.insert(n(item, "id").unwrap_or(-1), item);
        } else if pk == "REPORTS#open" && sk.starts_with("OPEN#") {
            queued.insert(n(item, "id").unwrap_or(-1));
        } else if pk.starts_with("REPORTS#") && sk == "COUNT" {
            counts.insert(pk.to_string(), n(item, "open_count").unwrap_or(0));
        } else if let Some(user) = pk.strip_prefix("USER#").and_then(|u| u.parse().ok()) {
            if let Some(target) = sk.strip_prefix("REPORTED#") {
                markers.insert((user, target.to_string()), n(item, "id").unwrap_or(-1));
            } else if sk.starts_with("REPORT#") {
                entries.insert((user, n(item, "report_id").unwrap_or(-1)));
            }
        }
    }
    let mut open_on: BTreeMap<String, i64> = BTreeMap::new();
    for (id, report) in &reports {
        let reporter = n(report, "reporter_id").unwrap_or(-1);
        let target = format!(
            "{}#{}",
            s(report, "target_kind"),
            n(report, "target_id").unwrap_or(-1)
        );
        let open = s(report, "status") == "open";
        if !profiles.contains_key(&reporter) {
            problems.push(format!("report {id} outlives its reporter {reporter}"));
        }
        if !entries.contains(&(reporter, *id)) {
            problems.push(format!("report {id} lacks its reporter's entry"));
        }
        if open != queued.contains(id) {
            problems.push(format!(
                "report {id} is {} but queued: {}",
                s(report, "status"),
                !open
            ));
        }
        let marked = markers.get(&(reporter, target.clone())) == Some(id);
        if open != marked {
            problems.push(format!(
                "report {id} is {} but has a marker: {marked}",
                s(report, "status")
            ));
        }
        if open {
            *open_on.entry(format!("REPORTS#{target}")).or_default() += 1;
            *open_on.entry("REPORTS#open".to_string()).or_default() += 1;
        } else if ["moderator_id", "closed_at", "action"]
            .iter()
            .any(|a| !report.contains_key(*a))
        {
            problems.push(format!(
                "closed report {id} does not say who closed it, how or when"
            ));
        }
    }
    for id in &queued {
        if !reports.contains_key(id) {
            problems.push(format!("the queue holds report {id}, which is gone"));
        }
    }
    for ((user, target), id) in &markers {
        if !reports.contains_key(id) {
            problems.push(format!(
                "user {user}'s marker on {target} names report {id}, which is gone"
            ));
        }
    }
    for (user, id) in &entries {
        if !reports.contains_key(id) {
            problems.push(format!(
                "user {user}'s entry names report {id}, which is gone"
            ));
        }
    }
    for key in counts.keys().chain(open_on.keys()).collect::<BTreeSet<_>>() {
        let (counted, open) = (
            counts.get(key).copied().unwrap_or(0),
            open_on.get(key).copied().unwrap_or(0),
        );
        if counted != open {
            problems.push(format!(
                "{key} counts {counted} open reports, but {open} are open"
            ));
        }
    }
    problems
}
