//! What must hold over the whole table whatever failed meanwhile: every
//! count equals its list, every name marker has its user and every user its
//! markers, the directory and the user count match the profiles, both halves
//! of every follow edge exist, every block and mute is in both users' sets
//! and no follow crosses a block, every open report is queued, marked and
//! counted exactly (`reports`), no token exists that a client was not given,
//! and nothing (session, token, feed, post, clean-up job) outlives its user
//! once the stream is settled. [`traces_of`] lists every item still naming
//! a user. Read with a plain client (a Scan: tests and the bench only).

mod codes;
mod reports;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;

type Item = HashMap<String, AttributeValue>;

fn s<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name).and_then(|v| v.as_s().ok()).map_or("", |v| v)
}

fn n(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// The ids in the number set `name` of `item` (none if absent).
fn ids_in(item: &Item, name: &str) -> BTreeSet<i64> {
    item.get(name)
        .and_then(|v| v.as_ns().ok())
        .map(|ids| ids.iter().filter_map(|id| id.parse().ok()).collect())
        .unwrap_or_default()
}

/// The broken invariants of blocks and mutes: each user's sets are exactly
/// their entries (`blocking`, `muting`) and the other side's (`blocked_by`,
/// `MUTED_BY` records), no follow crosses a block, and all of it belongs
/// to users who exist.
fn safety_problems(
    items: &[Item],
    profiles: &BTreeMap<i64, &Item>,
    following: &BTreeMap<i64, BTreeSet<i64>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut entries: BTreeMap<(&str, i64), BTreeSet<i64>> = BTreeMap::new();
    let mut sets: BTreeMap<(&str, i64), BTreeSet<i64>> = BTreeMap::new();
    for item in items {
        let (pk, sk) = (s(item, "pk"), s(item, "sk"));
        let Some(owner) = pk
            .strip_prefix("USER#")
            .and_then(|id| id.parse::<i64>().ok())
        else {
            continue;
        };
        if sk == "SAFETY" {
            for set in ["blocking", "blocked_by", "muting"] {
                sets.insert((set, owner), ids_in(item, set));
            }
        }
        for (prefix, list) in [
            ("BLOCKING#", "blocking"),
            ("MUTING#", "muting"),
            ("MUTED_BY#", "muted_by"),
        ] {
            if sk.starts_with(prefix) {
                let other = n(item, "other_id").unwrap_or(-1);
                entries.entry((list, owner)).or_default().insert(other);
            }
        }
    }
    let empty = BTreeSet::new();
    let mut owners: BTreeSet<i64> = sets.keys().chain(entries.keys()).map(|(_, o)| *o).collect();
    owners.extend(profiles.keys());
    for owner in owners {
        if !profiles.contains_key(&owner) {
            problems.push(format!(
                "blocks or mutes of user {owner}, who has no profile"
            ));
            continue;
        }
        for list in ["blocking", "muting"] {
            let listed = entries.get(&(list, owner)).unwrap_or(&empty);
            let set = sets.get(&(list, owner)).unwrap_or(&empty);
            if listed != set {
                problems.push(format!(
                    "user {owner}: {list} set {set:?} but entries {listed:?}"
                ));
            }
        }
        for other in sets.get(&("blocking", owner)).unwrap_or(&empty) {
            if !sets
                .get(&("blocked_by", *other))
                .is_some_and(|s| s.contains(&owner))
            {
                problems.push(format!(
                    "{owner} blocks {other}, missing from {other}'s blocked_by"
                ));
            }
            if following.get(&owner).is_some_and(|f| f.contains(other))
                || following.get(other).is_some_and(|f| f.contains(&owner))
            {
                problems.push(format!("a follow crosses the block of {other} by {owner}"));
            }
            if !profiles.contains_key(other) {
                problems.push(format!("{owner} blocks {other}, who has no profile"));
            }
        }
        for other in sets.get(&("blocked_by", owner)).unwrap_or(&empty) {
            if !sets
                .get(&("blocking", *other))
                .is_some_and(|s| s.contains(&owner))
            {
                problems.push(format!(
                    "{owner} is in no blocking set of {other}, yet blocked_by it"
                ));
            }
        }
        for other in sets.get(&("muting", owner)).unwrap_or(&empty) {
            if !entries
                .get(&("muted_by", *other))
                .is_some_and(|s| s.contains(&owner))
            {
                problems.push(format!(
                    "{owner} mutes {other}, who has no MUTED_BY record of it"
                ));
            }
        }
        for other in entries.get(&("muted_by", owner)).unwrap_or(&empty) {
            if !sets
                .get(&("muting", *other))
                .is_some_and(|s| s.contains(&owner))
            {
                problems.push(format!(
                    "a MUTED_BY record of {owner} names {other}, who does not mute them"
                ));
            }
        }
    }
    problems
}

/// Every item of `table`.
pub async fn scan(client: &aws_sdk_dynamodb::Client, table: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("the engine answers a Scan");
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return items,
        }
    }
}

/// Every item that still names user `id`, one line each: in its keys (its
/// partition, an edge to it, a clean-up job) or as its `user_id`,
/// `author_id`, `other_id` or `reporter_id` (not audit records, which are
/// kept). Empty once a deleted user is wholly gone.
pub async fn traces_of(client: &aws_sdk_dynamodb::Client, table: &str, id: u64) -> Vec<String> {
    let id = id as i64;
    let keys = [
        format!("USER#{id}"),
        format!("FEED#{id}"),
        format!("PURGE#{id}"),
        format!("IDEMPOTENCY#{id}#"),
    ];
    let edges = [
        "FOLLOWING#",
        "FOLLOWER#",
        "BLOCKING#",
        "MUTING#",
        "MUTED_BY#",
    ]
    .map(|e| format!("{e}{id}"));
    let in_sets = |item: &Item| {
        ["blocking", "blocked_by", "muting"]
            .iter()
            .any(|set| ids_in(item, set).contains(&id))
    };
    scan(client, table)
        .await
        .iter()
        // Audit records name users for good, deleted or not.
        .filter(|item| !s(item, "pk").starts_with("AUDIT#"))
        .filter(|item| {
            let (pk, sk) = (s(item, "pk"), s(item, "sk"));
            keys.iter()
                .any(|k| pk == k || (k.ends_with('#') && pk.starts_with(k.as_str())))
                || edges.iter().any(|e| sk == e)
                || ["user_id", "author_id", "other_id", "reporter_id"]
                    .iter()
                    .any(|attribute| n(item, attribute) == Some(id))
                || in_sets(item)
        })
        .map(|item| format!("{} / {}", s(item, "pk"), s(item, "sk")))
        .collect()
}

/// What the table holds, in numbers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Census {
    /// Profiles.
    pub users: usize,
    /// Follow edges (each counted once).
    pub follows: usize,
    /// Tokens.
    pub tokens: usize,
}

/// Checks every invariant; returns what the table holds, or every broken
/// invariant, one sentence each. `tokens_given`: the hashes of the tokens
/// clients received (`None`: do not check tokens).
pub async fn check(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    tokens_given: Option<&BTreeSet<String>>,
) -> Result<Census, Vec<String>> {
    let items = scan(client, table).await;
    let mut problems = Vec::new();
    let mut profiles: BTreeMap<i64, &Item> = BTreeMap::new();
    let mut markers: BTreeMap<String, i64> = BTreeMap::new();
    let mut directory = BTreeSet::new();
    let mut following: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut followers: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut timelines: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut posts: BTreeMap<i64, i64> = BTreeMap::new();
    let mut user_count = 0;
    let mut tokens = 0;
    // Items that need their user to exist: (user, what the item is).
    let mut owned: Vec<(i64, String)> = Vec::new();
    for item in &items {
        let (pk, sk) = (s(item, "pk"), s(item, "sk"));
        let owner = pk
            .strip_prefix("USER#")
            .and_then(|id| id.parse::<i64>().ok());
        if let (Some(id), "PROFILE") = (owner, sk) {
            if profiles.insert(id, item).is_some() {
                problems.push(format!("user {id} has two profiles"));
            }
        } else if pk.starts_with("USERNAME#") || pk.starts_with("EMAIL#") {
            markers.insert(pk.to_string(), n(item, "user_id").unwrap_or(-1));
        } else if pk == "USERS" {
            if !directory.insert(n(item, "user_id").unwrap_or(-1)) {
                problems.push(format!("directory lists user {sk} twice"));
            }
        } else if pk == "STATS#users" {
            // The count's shards, and the one count of older tables.
            user_count += n(item, "user_count").unwrap_or(0);
        } else if let Some(id) = owner {
            let other = n(item, "other_id").unwrap_or(-1);
            if sk.starts_with("FOLLOWING#") {
                following.entry(id).or_default().insert(other);
            } else if sk.starts_with("FOLLOWER#") {
                followers.entry(id).or_default().insert(other);
            } else if sk.starts_with("POST#") {
                let post = n(item, "post_id").unwrap_or(-1);
                timelines.entry(id).or_default().insert(post);
            } else if sk.starts_with("SESSION#") {
                owned.push((id, format!("session {sk}")));
            }
        } else if let Some(owner) = pk.strip_prefix("FEED#") {
            let owner = owner.parse().unwrap_or(-1);
            owned.push((owner, format!("the feed entry {sk}")));
            let author = n(item, "author_id").unwrap_or(-1);
            owned.push((author, format!("an entry {sk} in the feed of {owner}")));
        } else if let Some(id) = pk.strip_prefix("PURGE#") {
            problems.push(format!("the clean-up of user {id} is unfinished"));
        } else if let (Some(_), "POST") = (pk.strip_prefix("POST#"), sk) {
            posts.insert(
                n(item, "id").unwrap_or(-1),
                n(item, "author_id").unwrap_or(-1),
            );
        } else if let Some(hash) = pk.strip_prefix("TOKEN#") {
            tokens += 1;
            owned.push((n(item, "user_id").unwrap_or(-1), format!("token {hash}")));
            if tokens_given.is_some_and(|given| !given.contains(hash)) {
                problems.push(format!(
                    "token {hash} of user {:?} was never given to a client",
                    n(item, "user_id")
                ));
            }
        }
    }
    for (id, profile) in &profiles {
        for (prefix, attribute) in [("USERNAME#", "username"), ("EMAIL#", "email")] {
            let key = format!("{prefix}{}", s(profile, attribute).to_ascii_lowercase());
            if markers.get(&key) != Some(id) {
                problems.push(format!("user {id} lacks its marker {key}"));
            }
        }
        if !directory.contains(id) {
            problems.push(format!("user {id} is missing from the directory"));
        }
        let empty = BTreeSet::new();
        let followed = following.get(id).unwrap_or(&empty);
        let follower = followers.get(id).unwrap_or(&empty);
        if n(profile, "followed_count") != Some(followed.len() as i64) {
            problems.push(format!(
                "user {id}: followed_count {:?} but {} FOLLOWING edges",
                n(profile, "followed_count"),
                followed.len()
            ));
        }
        if n(profile, "follower_count") != Some(follower.len() as i64) {
            problems.push(format!(
                "user {id}: follower_count {:?} but {} FOLLOWER edges",
                n(profile, "follower_count"),
                follower.len()
            ));
        }
        let timeline = timelines.get(id).unwrap_or(&empty);
        if n(profile, "post_count").unwrap_or(0) != timeline.len() as i64 {
            problems.push(format!(
                "user {id}: post_count {:?} but {} timeline entries",
                n(profile, "post_count"),
                timeline.len()
            ));
        }
        for post in timeline {
            if posts.get(post) != Some(id) {
                problems.push(format!(
                    "user {id}'s timeline lists post {post}, not theirs or gone"
                ));
            }
        }
        for other in followed {
            if !followers.get(other).is_some_and(|f| f.contains(id)) {
                problems.push(format!(
                    "{id} follows {other}, but {other} lacks the FOLLOWER half"
                ));
            }
        }
    }
    for other in followers.keys().chain(following.keys()) {
        if !profiles.contains_key(other) {
            problems.push(format!(
                "edges in the partition of user {other}, who has no profile"
            ));
        }
    }
    for (post, author) in &posts {
        if !timelines.get(author).is_some_and(|t| t.contains(post)) {
            problems.push(format!(
                "post {post} is missing from the timeline of user {author}"
            ));
        }
    }
    for (user, what) in &owned {
        if !profiles.contains_key(user) {
            problems.push(format!("{what} belongs to user {user}, who has no profile"));
        }
    }
    for (key, id) in &markers {
        if !profiles.contains_key(id) {
            problems.push(format!(
                "orphan marker {key} names user {id}, who has no profile"
            ));
        }
    }
    for id in &directory {
        if !profiles.contains_key(id) {
            problems.push(format!("directory lists user {id}, who has no profile"));
        }
    }
    problems.extend(safety_problems(&items, &profiles, &following));
    problems.extend(reports::report_problems(&items, &profiles));
    problems.extend(codes::code_problems(&items, &profiles));
    if user_count != profiles.len() as i64 {
        problems.push(format!(
            "user_count is {user_count} but {} profiles exist",
            profiles.len()
        ));
    }
    if problems.is_empty() {
        Ok(Census {
            users: profiles.len(),
            follows: following.values().map(BTreeSet::len).sum(),
            tokens,
        })
    } else {
        Err(problems)
    }
}
