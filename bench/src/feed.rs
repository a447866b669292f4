//! `microblog-bench feed`: the home feed's benchmark (docs/PERFORMANCE.md,
//! "Feed"). In one process: an in-memory dynoxide engine, 1,001 users, one
//! reader following 1,000 of them, 10,000 posts by those 1,000 (10 each).
//!
//! 1. Fan-out: the follows are written and their stream records handled
//!    first, then the posts, so the stream holds a backlog of 10,000 posts to
//!    fan out to one follower each. The time [`StreamPoller`] takes to settle
//!    it (the same rounds as `StreamPoller::settle`, counted) gives feed
//!    entries and stream records handled per second; the reader's feed is
//!    then walked and must hold exactly the 10,000 posts, newest first.
//! 2. Feed reads: the app is served by `microblog_local::server::serve` on
//!    an ephemeral loopback port; N keep-alive HTTP/1.1 connections send the
//!    reader's `GET /api/feed` for T seconds (the first page, as an app
//!    opening on its home screen asks for it), then for T seconds walk the
//!    whole feed with `?per_page=100`, following `next` links to its end and
//!    starting over (scrolling deep: every depth, at the largest page).
//!
//! ```text
//! cargo run --release -p microblog-bench -- feed [--connections N] [--seconds T]
//! ```

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use microblog_local::engine::Engine;
use microblog_local::server::{serve_with, Limits};
use microblog_local::stream::StreamPoller;
use microblog_shared::auth::session::{new_session_id, Grant};
use microblog_shared::domain::{Email, FeedEntry, NewUser, PostBody, PostId, UserId, Username};
use microblog_shared::hashing::DUMMY_HASH;
use microblog_shared::store::follows::EdgeChange;
use microblog_shared::store::posts::Draft;
use microblog_shared::{App, Config};
use microblog_tests::lambda_emulator::{current_profile_dir, profile_of_dir};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::load::{by_status, connect, percentile, Answer};

const TABLE: &str = "microblog-feed-bench";
/// Users the reader follows; each is an author.
const FOLLOWED: usize = 1_000;
/// Posts by each followed user.
const POSTS_EACH: usize = 10;
const POSTS: usize = FOLLOWED * POSTS_EACH;
/// Concurrent writers while setting up (not measured).
const SETUP_WORKERS: usize = 4;
/// Page size of the deep walk: the largest the API serves.
const DEEP_PER_PAGE: usize = 100;
/// The default page size, what `GET /api/feed` answers.
const FIRST_PER_PAGE: usize = 10;
/// Filler after each post's number: post bodies are about 130 characters.
const FILLER: &str = "Trains, coffee and a long list of things to write about later; \
                      most of them will never be written, which is fine.";

struct Options {
    connections: usize,
    seconds: u64,
}

fn usage() -> ! {
    eprintln!(
        "usage: microblog-bench feed [--connections N] [--seconds T]\n\n\
         --connections  concurrent keep-alive connections reading the feed (default 16, at most 256)\n\
         --seconds      length of each of the two read phases (default 10, 1 to 120)"
    );
    std::process::exit(2)
}

fn options(args: impl Iterator<Item = String>) -> Options {
    let mut options = Options {
        connections: 16,
        seconds: 10,
    };
    let mut args = args;
    while let Some(arg) = args.next() {
        let mut number = || -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| usage())
        };
        match arg.as_str() {
            "--connections" => options.connections = number().clamp(1, 256) as usize,
            "--seconds" => options.seconds = number().clamp(1, 120),
            _ => usage(),
        }
    }
    options
}

/// Runs the feed benchmark; the process exits non-zero if the fan-out left
/// the reader's feed other than expected or a read failed.
pub async fn main(args: impl Iterator<Item = String>) {
    let options = options(args);
    match run(&options).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("feed: {e}");
            std::process::exit(1);
        }
    }
}

/// Runs `work(0..count)` on [`SETUP_WORKERS`] tasks; the results in index
/// order.
async fn in_parallel<T, F, Fut>(count: usize, work: F) -> Result<Vec<T>, String>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, String>> + Send + 'static,
{
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..SETUP_WORKERS {
        let (work, next) = (work.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, String>(done);
                }
                done.push((i, work(i).await?));
            }
        }));
    }
    let mut all = Vec::with_capacity(count);
    for task in tasks {
        all.extend(task.await.map_err(|e| e.to_string())??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, t)| t).collect())
}

fn new_user(i: usize) -> Result<NewUser, String> {
    let name = if i == 0 {
        "reader".to_string()
    } else {
        format!("author{i:04}")
    };
    Ok(NewUser {
        username: Username::parse(&name).map_err(|e| format!("{e:?}"))?,
        email: Email::parse(&format!("{name}@example.com")).map_err(|e| format!("{e:?}"))?,
        password_hash: DUMMY_HASH.to_string(),
        about_me: None,
    })
}

/// Every record the stream holds now, handled as `StreamPoller::settle`
/// does (rounds until one finds nothing); the records handled and the
/// rounds that found some.
async fn settle(poller: &mut StreamPoller, app: &App) -> Result<(usize, usize), String> {
    let (mut records, mut rounds) = (0, 0);
    loop {
        match poller.poll_once(app).await? {
            0 => return Ok((records, rounds)),
            n => {
                records += n;
                rounds += 1;
            }
        }
    }
}

/// The whole of `owner`'s feed, newest first, read from the store.
async fn whole_feed(app: &App, owner: UserId) -> Result<Vec<FeedEntry>, String> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = app
            .feeds
            .window(owner, after, 0, 1000)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = page.last() else {
            return Ok(all);
        };
        after = Some(last.post_id);
        all.extend(page);
    }
}

/// What is wrong with the reader's feed `feed`, given the posts and
/// authors it must hold.
fn feed_problems(feed: &[FeedEntry], posts: &[PostId], authors: &HashSet<UserId>) -> Vec<String> {
    let mut problems = Vec::new();
    if feed.len() != posts.len() {
        problems.push(format!("{} entries, {} expected", feed.len(), posts.len()));
    }
    if feed.windows(2).any(|w| w[0].post_id <= w[1].post_id) {
        problems.push("entries not strictly newest first (or repeated)".into());
    }
    let found: HashSet<PostId> = feed.iter().map(|e| e.post_id).collect();
    let missing = posts.iter().filter(|id| !found.contains(id)).count();
    if missing > 0 {
        problems.push(format!("{missing} posts missing"));
    }
    let strangers = feed
        .iter()
        .filter(|e| !authors.contains(&e.author_id))
        .count();
    if strangers > 0 {
        problems.push(format!("{strangers} entries by users not followed"));
    }
    problems
}

struct Step {
    what: &'static str,
    count: usize,
    took: Duration,
}

/// Records a set-up step, telling the terminal.
fn done(steps: &mut Vec<Step>, step: Step) {
    eprintln!(
        "feed: {} {} in {:.1} s",
        step.count,
        step.what,
        step.took.as_secs_f64()
    );
    steps.push(step);
}

async fn run(options: &Options) -> Result<bool, String> {
    let started = Instant::now();
    let engine = Engine::memory().await.map_err(|e| e.to_string())?;
    let config = Config::from_lookup(|n| (n == "TABLE_NAME").then(|| TABLE.to_string()))
        .map_err(|e| e.to_string())?;
    // In-process, as microblog-local reaches its engine.
    let client = engine.in_process_client(&config.dynamodb);
    let app = Arc::new(App::new(config, client.clone()));
    app.create_table_if_missing()
        .await
        .map_err(|e| e.to_string())?;
    let mut poller =
        StreamPoller::new(&client, engine.in_process_streams(), app.table_name()).await?;
    eprintln!("feed: engine {}, setting up ...", engine.endpoint);

    let mut steps = Vec::new();
    let at = Instant::now();
    let users = {
        let app = app.clone();
        in_parallel(FOLLOWED + 1, move |i| {
            let app = app.clone();
            async move {
                let user = app
                    .users
                    .create(new_user(i)?, chrono::Utc::now())
                    .await
                    .map_err(|e| format!("creating user {i}: {e}"))?;
                if (i + 1) % 200 == 0 {
                    eprintln!("feed: {} users ...", i + 1);
                }
                Ok(user.id)
            }
        })
        .await?
    };
    done(
        &mut steps,
        Step {
            what: "users created",
            count: users.len(),
            took: at.elapsed(),
        },
    );
    let reader = users[0];
    let authors: Vec<UserId> = users[1..].to_vec();

    // One at a time: every follow also counts on the reader's own item.
    let at = Instant::now();
    let base_micros = chrono::Utc::now().timestamp_micros() as u64;
    for (i, author) in authors.iter().enumerate() {
        match app
            .follows
            .follow(reader, *author, base_micros + i as u64)
            .await
        {
            Ok(EdgeChange::Changed) => {}
            other => return Err(format!("reader follows {author}: {other:?}")),
        }
    }
    done(
        &mut steps,
        Step {
            what: "follows by the reader",
            count: authors.len(),
            took: at.elapsed(),
        },
    );

    // The users' and follows' records: the follows' backfill finds no posts.
    let at = Instant::now();
    let (records, _) = settle(&mut poller, &app).await?;
    done(
        &mut steps,
        Step {
            what: "stream records of those, handled",
            count: records,
            took: at.elapsed(),
        },
    );

    let at = Instant::now();
    let posts = {
        let (app, authors) = (app.clone(), Arc::new(authors.clone()));
        in_parallel(POSTS, move |i| {
            let (app, authors) = (app.clone(), authors.clone());
            async move {
                let author = authors[i % authors.len()];
                let body = PostBody::parse(&format!("Post {i} by author {author}. {FILLER}"))
                    .map_err(|e| format!("{e:?}"))?;
                let post = app
                    .posts
                    .create(author, Draft::plain(body), chrono::Utc::now(), None)
                    .await
                    .map_err(|e| format!("creating post {i}: {e}"))?;
                if (i + 1) % 1000 == 0 {
                    eprintln!("feed: {} posts ...", i + 1);
                }
                Ok(post.id)
            }
        })
        .await?
    };
    done(
        &mut steps,
        Step {
            what: "posts published (each with its author's own feed entry)",
            count: posts.len(),
            took: at.elapsed(),
        },
    );

    // The measured fan-out.
    eprintln!("feed: fanning out {} posts ...", posts.len());
    let at = Instant::now();
    let (records, rounds) = settle(&mut poller, &app).await?;
    let fan_out = at.elapsed();
    let feed = whole_feed(&app, reader).await?;
    let problems = feed_problems(&feed, &posts, &authors.iter().copied().collect());

    // A bearer token for the reader.
    let now = chrono::Utc::now();
    let session = new_session_id();
    let grant = Grant::new(&app.config, reader, &session, now);
    app.tokens
        .open(reader, 0, &session, &grant.pair, now)
        .await
        .map_err(|e| format!("issuing the reader's token: {e}"))?;
    let token = grant.access_token;
    let setup = started.elapsed() - fan_out;

    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // The bench is one client with many connections on purpose.
    let server = tokio::spawn(serve_with(
        listener,
        app.clone(),
        async move {
            let _ = stopped.await;
        },
        Limits::one_client(),
    ));
    let length = Duration::from_secs(options.seconds);
    let bearer: Arc<str> = format!("Bearer {token}").into();
    let mut phases = Vec::new();
    for phase in [
        Phase {
            name: "first page",
            first: "/api/feed".into(),
            per_page: FIRST_PER_PAGE,
            walk: false,
        },
        Phase {
            name: "deep walk",
            first: format!("/api/feed?per_page={DEEP_PER_PAGE}"),
            per_page: DEEP_PER_PAGE,
            walk: true,
        },
    ] {
        eprintln!(
            "feed: {} × GET {} for {} s on http://{addr} ...",
            options.connections, phase.first, options.seconds
        );
        let outcome = read_phase(addr, &bearer, &phase, options.connections, length).await;
        phases.push((phase, outcome));
    }
    let _ = stop.send(());
    let _ = server.await;
    engine.stop().await;

    let ok = report(
        options,
        &steps,
        setup,
        (posts.len(), records, rounds, fan_out),
        &feed,
        &problems,
        &phases,
    );
    Ok(ok)
}

/// One read phase: what each connection asks for.
struct Phase {
    name: &'static str,
    /// The first request's path (and every request's, unless `walk`).
    first: String,
    /// Items a full page holds.
    per_page: usize,
    /// Follow `next` links to the end of the feed, then start over.
    walk: bool,
}

/// What one phase saw, over all its connections.
#[derive(Default)]
struct Outcome {
    /// Each answer with the page number it was for (1 is the first).
    answers: Vec<(usize, Answer)>,
    /// Requests that got no answer (connection refused, reset ...).
    errors: usize,
    first_error: Option<String>,
    /// 200 answers whose page was not what it should be: empty, too long,
    /// short with a `next` link, or not a collection.
    wrong_pages: usize,
    /// Items seen in each complete walk of the feed.
    walks: Vec<usize>,
    elapsed: Duration,
}

/// `GET path` on a kept-alive connection: the status and the whole body.
async fn get(
    sender: &mut SendRequest<Empty<Bytes>>,
    host: &str,
    path: &str,
    bearer: &str,
) -> Result<(u16, Bytes), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, host)
        .header(hyper::header::AUTHORIZATION, bearer)
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}

/// The number of items of a collection page and its `next` link.
fn page_of(body: &[u8]) -> Option<(usize, Option<String>)> {
    let page: Value = serde_json::from_slice(body).ok()?;
    let items = page["items"].as_array()?.len();
    let next = page["_links"]["next"].as_str().map(str::to_string);
    Some((items, next))
}

async fn read_phase(
    addr: SocketAddr,
    bearer: &Arc<str>,
    phase: &Phase,
    connections: usize,
    length: Duration,
) -> Outcome {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let bearer = bearer.clone();
        let (first, per_page, walk) = (phase.first.clone(), phase.per_page, phase.walk);
        tasks.push(tokio::spawn(async move {
            let host = addr.to_string();
            let mut out = Outcome::default();
            let mut sender = None;
            let (mut path, mut page, mut seen) = (first.clone(), 1, 0);
            while start.elapsed() < length {
                let sending = match &mut sender {
                    Some(sending) => sending,
                    None => match connect(addr).await {
                        Ok(connected) => sender.insert(connected),
                        Err(e) => {
                            out.errors += 1;
                            out.first_error.get_or_insert(e);
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                };
                let sent = Instant::now();
                let answer = get(sending, &host, &path, &bearer).await;
                let took = sent.elapsed();
                let (status, body) = match answer {
                    Ok(answer) => answer,
                    Err(e) => {
                        out.errors += 1;
                        out.first_error.get_or_insert(e);
                        sender = None;
                        (path, page, seen) = (first.clone(), 1, 0);
                        continue;
                    }
                };
                let at = start.elapsed();
                out.answers.push((page, Answer { at, status, took }));
                let parsed = (status == 200).then(|| page_of(&body)).flatten();
                let next = match parsed {
                    Some((items, next))
                        if items > 0
                            && items <= per_page
                            && (next.is_none() || items == per_page) =>
                    {
                        seen += items;
                        next
                    }
                    _ => {
                        if status == 200 {
                            out.wrong_pages += 1;
                        }
                        None
                    }
                };
                match next.filter(|_| walk) {
                    Some(next) => (path, page) = (next, page + 1),
                    None => {
                        if walk && status == 200 {
                            out.walks.push(seen);
                        }
                        (path, page, seen) = (first.clone(), 1, 0);
                    }
                }
            }
            out
        }));
    }
    let mut all = Outcome::default();
    for task in tasks {
        match task.await {
            Ok(out) => {
                all.answers.extend(out.answers);
                all.errors += out.errors;
                if all.first_error.is_none() {
                    all.first_error = out.first_error;
                }
                all.wrong_pages += out.wrong_pages;
                all.walks.extend(out.walks);
            }
            Err(e) => {
                all.errors += 1;
                all.first_error.get_or_insert(e.to_string());
            }
        }
    }
    all.elapsed = start.elapsed();
    all
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn per_second(count: usize, took: Duration) -> String {
    format!("{:.0}", count as f64 / took.as_secs_f64())
}

/// The latencies of `answers`, ascending.
fn sorted<'a>(answers: impl Iterator<Item = &'a Answer>) -> Vec<Duration> {
    let mut took: Vec<Duration> = answers.map(|a| a.took).collect();
    took.sort();
    took
}

/// Prints the Markdown report; whether everything was as expected.
fn report(
    options: &Options,
    steps: &[Step],
    setup: Duration,
    (posts, records, rounds, fan_out): (usize, usize, usize, Duration),
    feed: &[FeedEntry],
    problems: &[String],
    phases: &[(Phase, Outcome)],
) -> bool {
    let profile = current_profile_dir()
        .map(|d| profile_of_dir(&d))
        .unwrap_or_else(|_| "unknown".into());
    println!("## Feed\n");
    println!("{} · profile `{profile}`\n", crate::machine());
    println!(
        "One process: in-memory dynoxide engine (reached in-process, as microblog-local reaches it), the app, its HTTP server and the clients. \
         A reader following {FOLLOWED} users who wrote {POSTS} posts ({POSTS_EACH} each).\n"
    );
    println!("### Set-up (not measured), {:.1} s\n", setup.as_secs_f64());
    println!("| step | count | seconds | per second |");
    println!("|---|---:|---:|---:|");
    for step in steps {
        println!(
            "| {} | {} | {:.2} | {} |",
            step.what,
            step.count,
            step.took.as_secs_f64(),
            per_second(step.count, step.took)
        );
    }
    println!("\n### Fan-out\n");
    println!("| posts fanned out | reader's feed entries | stream records handled | rounds | seconds | feed entries / s | records / s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {posts} | {} | {records} | {rounds} | {:.2} | {} | {} |\n",
        feed.len(),
        fan_out.as_secs_f64(),
        per_second(feed.len(), fan_out),
        per_second(records, fan_out)
    );
    if problems.is_empty() {
        println!(
            "The reader's feed holds exactly the {posts} posts, newest first, each once, all by users the reader follows.\n"
        );
    } else {
        println!("**The reader's feed is wrong:** {}\n", problems.join("; "));
    }

    println!(
        "### Feed reads: {} keep-alive connections, {} s a phase\n",
        options.connections, options.seconds
    );
    println!("| phase | request | requests | per second | p50 ms | p99 ms | max ms | statuses | no answer | wrong pages |");
    println!("|---|---|---:|---:|---:|---:|---:|---|---:|---:|");
    let mut ok = problems.is_empty();
    for (phase, outcome) in phases {
        let took = sorted(outcome.answers.iter().map(|(_, a)| a));
        let statuses: Vec<String> = by_status(outcome.answers.iter().map(|(_, a)| a))
            .iter()
            .map(|(status, n)| format!("{status}: {n}"))
            .collect();
        let request = if phase.walk {
            format!("`GET {}`, then each `next`", phase.first)
        } else {
            format!("`GET {}`", phase.first)
        };
        println!(
            "| {} | {request} | {} | {} | {} | {} | {} | {} | {} | {} |",
            phase.name,
            took.len(),
            per_second(took.len(), outcome.elapsed),
            ms(percentile(&took, 0.5)),
            ms(percentile(&took, 0.99)),
            ms(took.last().copied().unwrap_or_default()),
            statuses.join(", "),
            outcome.errors,
            outcome.wrong_pages
        );
        ok &= outcome.errors == 0
            && outcome.wrong_pages == 0
            && outcome.answers.iter().all(|(_, a)| a.status == 200);
    }
    for (phase, outcome) in phases.iter().filter(|(p, _)| p.walk) {
        println!(
            "\n{} by depth ({} items a page; page 100 ends the feed):\n",
            phase.name, phase.per_page
        );
        println!("| pages | requests | p50 ms | p99 ms |");
        println!("|---|---:|---:|---:|");
        for (low, high) in [(1, 1), (2, 10), (11, 50), (51, 100), (101, usize::MAX)] {
            let took = sorted(
                outcome
                    .answers
                    .iter()
                    .filter(|(page, _)| (low..=high).contains(page))
                    .map(|(_, a)| a),
            );
            if took.is_empty() {
                continue;
            }
            let pages = match (low, high) {
                (l, h) if l == h => format!("{l}"),
                (l, usize::MAX) => format!("{l} and deeper"),
                (l, h) => format!("{l}–{h}"),
            };
            println!(
                "| {pages} | {} | {} | {} |",
                took.len(),
                ms(percentile(&took, 0.5)),
                ms(percentile(&took, 0.99))
            );
        }
        let complete = outcome.walks.iter().filter(|n| **n == posts).count();
        println!(
            "\n{} complete walks to the end of the feed; {complete} saw all {posts} posts.",
            outcome.walks.len()
        );
        ok &= complete == outcome.walks.len();
    }
    for (phase, outcome) in phases {
        if let Some(e) = &outcome.first_error {
            eprintln!("{}: first request without an answer: {e}", phase.name);
        }
    }
    ok
}
