//! The invariants of mailed codes: every code (`CODE#<hash>` / `RESET` or
//! `VERIFY`) has its pointer in its user's partition and the other way
//! round, and belongs to a user who exists (a deleted account's codes go
//! with it).

use std::collections::{BTreeMap, BTreeSet};

use super::{n, s, Item};

/// The purpose a code's sort key names, as its pointer spells it.
fn purpose_of(sort_key: &str) -> Option<&'static str> {
    match sort_key {
        "RESET" => Some("password_reset"),
        "VERIFY" => Some("verify_email"),
        _ => None,
    }
}

/// The broken invariants of mailed codes, one sentence each.
pub(super) fn code_problems(items: &[Item], profiles: &BTreeMap<i64, &Item>) -> Vec<String> {
    let mut problems = Vec::new();
    // (user, purpose, hash) of each code, and of each pointer.
    let mut codes = BTreeSet::new();
    let mut pointers = BTreeSet::new();
    for item in items {
        let (pk, sk) = (s(item, "pk"), s(item, "sk"));
        if let Some(hash) = pk.strip_prefix("CODE#") {
            let user = n(item, "user_id").unwrap_or(-1);
            match purpose_of(sk) {
                Some(purpose) => {
                    codes.insert((user, purpose.to_string(), hash.to_string()));
                }
                None => problems.push(format!("code {hash} has an unknown kind {sk:?}")),
            }
            if !profiles.contains_key(&user) {
                problems.push(format!(
                    "code {hash} belongs to user {user}, who does not exist"
                ));
            }
        } else if let (Some(user), Some(rest)) = (
            pk.strip_prefix("USER#").and_then(|u| u.parse::<i64>().ok()),
            sk.strip_prefix("CODE#"),
        ) {
            let (purpose, hash) = rest.split_once('#').unwrap_or((rest, ""));
            pointers.insert((user, purpose.to_string(), hash.to_string()));
        }
    }
    for (user, purpose, hash) in codes.difference(&pointers) {
        problems.push(format!(
            "{purpose} code {hash} of user {user} has no pointer"
        ));
    }
    for (user, purpose, hash) in pointers.difference(&codes) {
        problems.push(format!(
            "user {user}'s pointer to {purpose} code {hash} points at nothing"
        ));
    }
    problems
}
