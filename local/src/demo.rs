//! `--seed-demo [USERS]`: a world to try the app on, written into an empty
//! table in minutes. Followers follow a power law (user 1 is the most
//! followed, then each next one less, as 1/rank), so the first few authors
//! pass `POPULAR_FOLLOWERS` and are merged into feeds at read time, as on a
//! real service; how many users each one follows and how much each one
//! writes are heavy-tailed too. Everyone joined over the first four of the
//! last eight weeks and posted over the last four, in order of time, a
//! tenth of the posts answering an earlier one and a tenth mentioning
//! someone; likers are picked by rank too, so the popular like the most.
//! Deterministic: the same size on an empty table gives the same world,
//! user 1 the most followed. Progress goes to stderr.
//!
//! Every user's password is [`DEMO_PASSWORD`]; the user names are
//! `<first name><id>` (`ada1`, `grace2`, ...).

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use microblog_shared::domain::{
    Email, Mention, NewUser, Password, PostBody, PostId, ReplyTo, UserId, Username,
};
use microblog_shared::hashing::hash_password;
use microblog_shared::store::posts::Draft;
use microblog_shared::App;

use crate::seed::SeedError;

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "demo-password";
/// Users when `--seed-demo` names no number.
pub const DEFAULT_USERS: usize = 2000;
/// The most users `--seed-demo` makes.
pub const MOST_USERS: usize = 100_000;

/// Writes that run at once: the engine serialises them, but the client's
/// round trips overlap.
const AT_ONCE: usize = 8;

const FIRST_NAMES: &[&str] = &[
    "ada",
    "grace",
    "alan",
    "linus",
    "margaret",
    "dennis",
    "barbara",
    "ken",
    "frances",
    "edsger",
    "radia",
    "donald",
    "hedy",
    "tim",
    "katherine",
    "john",
    "annie",
    "guido",
    "sophie",
    "bjarne",
    "mary",
    "niklaus",
    "joan",
    "james",
    "susan",
    "leslie",
    "shafi",
    "vint",
    "karen",
    "whitfield",
];

const WORDS: &[&str] = &[
    "coffee",
    "deploy",
    "weekend",
    "the garden",
    "a new book",
    "rust",
    "the build",
    "lunch",
    "the river",
    "a long walk",
    "my bike",
    "the weather",
    "this talk",
    "our team",
    "a bug",
    "the release",
    "music",
    "the city",
    "tea",
    "a sunset",
    "the ferry",
    "my notes",
    "a puzzle",
];

/// What was made.
#[derive(Debug, Default)]
pub struct Made {
    /// Users.
    pub users: usize,
    /// Follows.
    pub follows: usize,
    /// Posts, replies included.
    pub posts: usize,
    /// Likes.
    pub likes: usize,
    /// The users with at least `POPULAR_FOLLOWERS` followers.
    pub popular: usize,
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A Pareto-like count: at least `min`, mean about `2 × min`, at most
    /// `max` (which wins when it is below `min`).
    fn heavy(&mut self, min: usize, max: usize) -> usize {
        let x = min as f64 / (1.0 - self.unit()).sqrt();
        (x as usize).clamp(min.min(max), max)
    }
}

/// Picks users by rank with probability proportional to 1/rank.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Zipf { cumulative }
    }

    /// A rank from 0 (the most followed).
    fn pick(&self, rng: &mut Rng) -> usize {
        let target = rng.unit() * self.cumulative.last().copied().unwrap_or(0.0);
        self.cumulative
            .partition_point(|c| *c < target)
            .min(self.cumulative.len() - 1)
    }
}

/// A progress line on stderr, redrawn at most ten times a second.
struct Progress {
    what: &'static str,
    total: usize,
    done: AtomicUsize,
    started: Instant,
    drawn: std::sync::Mutex<Instant>,
}

impl Progress {
    fn new(what: &'static str, total: usize) -> Arc<Progress> {
        let progress = Arc::new(Progress {
            what,
            total,
            done: AtomicUsize::new(0),
            started: Instant::now(),
            drawn: std::sync::Mutex::new(Instant::now()),
        });
        progress.draw(0);
        progress
    }

    fn step(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let mut drawn = self.drawn.lock().unwrap_or_else(|e| e.into_inner());
        if drawn.elapsed() >= Duration::from_millis(100) || done == self.total {
            *drawn = Instant::now();
            self.draw(done);
        }
    }

    fn draw(&self, done: usize) {
        const WIDTH: usize = 30;
        let filled = (done * WIDTH).checked_div(self.total).unwrap_or(WIDTH);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{:<9} [{}{}] {done}/{} {:.0} s ",
            self.what,
            "#".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.total,
            self.started.elapsed().as_secs_f64()
        );
        let _ = err.flush();
    }

    fn finish(&self) {
        self.draw(self.done.load(Ordering::Relaxed));
        eprintln!();
    }
}

/// Runs `work(i)` for every `i` of `0..count`, [`AT_ONCE`] at a time, in
/// order of `i` as far as the overlap allows, stepping `progress`.
async fn each<F, Fut>(count: usize, progress: &Arc<Progress>, work: F) -> Result<(), SeedError>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), SeedError>> + Send + 'static,
{
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..AT_ONCE {
        let (work, next, progress) = (work.clone(), next.clone(), progress.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, SeedError>(());
                }
                work(i).await?;
                progress.step();
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    progress.finish();
    Ok(())
}

/// Fills `app`'s table, which must have no users, with a world of `users`
/// users. The stream's work it causes (feeds, notifications) is left to the
/// caller's workers.
pub async fn seed_demo(app: &Arc<App>, users: usize) -> Result<Made, SeedError> {
    if app.users.count().await? > 0 {
        return Err("--seed-demo fills an empty table, and this one has users: use --memory or a new --data file".into());
    }
    let now = Utc::now();
    let week = chrono::Duration::weeks(1);
    let start = now - week * 8;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ users as u64);
    let hash = hash_password(Password::parse(DEMO_PASSWORD)?).await?;

    // Users, joined in id order over the first four weeks.
    let names: Arc<Vec<String>> = Arc::new(
        (1..=users)
            .map(|id| format!("{}{id}", FIRST_NAMES[rng.below(FIRST_NAMES.len())]))
            .collect(),
    );
    let joined = move |i: usize| start + week * 4 * i as i32 / users.max(1) as i32;
    // One at a time, so that ids follow the names (`ada1` is user 1 of an
    // empty table) and the world is the same every time.
    let mut ids = Vec::with_capacity(users);
    let progress = Progress::new("users", users);
    for (i, name) in names.iter().enumerate() {
        let new = NewUser {
            username: Username::parse(name)?,
            email: Email::parse(&format!("{name}@demo.example.com"))?,
            password_hash: hash.clone(),
            about_me: None,
        };
        ids.push(app.users.create(new, joined(i)).await?.id);
        progress.step();
    }
    progress.finish();
    let ids = Arc::new(ids);

    // Follows: each user follows a heavy-tailed number of others, picked by
    // rank with probability 1/rank, after both joined.
    let zipf = Zipf::new(users);
    let mut follows: Vec<(usize, usize)> = Vec::new();
    let mut followers = vec![0usize; users];
    for follower in 0..users {
        let wanted = rng.heavy(5, (users - 1).min(500));
        let mut chosen = std::collections::BTreeSet::new();
        for _ in 0..wanted * 3 {
            if chosen.len() == wanted {
                break;
            }
            // Oneself is never followed: the next rank instead.
            let picked = zipf.pick(&mut rng);
            let followed = if picked == follower {
                (picked + 1) % users
            } else {
                picked
            };
            chosen.insert(followed);
        }
        for followed in chosen {
            followers[followed] += 1;
            follows.push((follower, followed));
        }
    }
    let made_follows = follows.len();
    {
        let (app, ids, follows) = (app.clone(), ids.clone(), Arc::new(follows));
        each(
            follows.len(),
            &Progress::new("follows", follows.len()),
            move |i| {
                let (app, ids) = (app.clone(), ids.clone());
                let (a, b) = follows[i];
                let at = joined(a.max(b)) + chrono::Duration::hours(1 + (i % 48) as i64);
                async move {
                    app.follows
                        .follow(ids[a], ids[b], at.timestamp_micros() as u64)
                        .await?;
                    Ok(())
                }
            },
        )
        .await?;
    }

    // Posts over the last four weeks, in order of time: a heavy-tailed
    // number each, some answering an earlier post, some mentioning.
    let mut plan: Vec<(i64, usize)> = Vec::new();
    let from = (now - week * 4).timestamp_micros();
    let span = (week * 4).num_microseconds().unwrap_or(1);
    for author in 0..users {
        for _ in 0..rng.heavy(3, 300) {
            plan.push((from + (rng.unit() * span as f64) as i64, author));
        }
    }
    plan.sort_unstable();
    let mut posts = Vec::with_capacity(plan.len());
    let progress = Progress::new("posts", plan.len());
    let mut written: Vec<(PostId, UserId)> = Vec::new();
    for (n, (at, author)) in plan.iter().enumerate() {
        let roll = rng.below(10);
        let topic = WORDS[rng.below(WORDS.len())];
        let mut draft = Draft::plain(PostBody::parse(&format!(
            "Thinking about {topic} today. Post {n} of the demo world."
        ))?);
        if roll == 0 && !written.is_empty() {
            let (post, parent_author) =
                written[written.len() - 1 - rng.below(written.len().min(50))];
            draft.in_reply_to = Some(ReplyTo {
                post,
                author: parent_author,
            });
        } else if roll == 1 {
            let other = zipf.pick(&mut rng);
            draft.body =
                PostBody::parse(&format!("@{} what do you think of {topic}?", names[other]))?;
            draft.mentions = vec![Mention {
                id: ids[other],
                username: names[other].clone(),
            }];
        }
        let at: DateTime<Utc> = Utc
            .timestamp_micros(*at)
            .single()
            .ok_or("a post time out of range")?;
        let post = app.posts.create(ids[*author], draft, at, None).await?;
        written.push((post.id, ids[*author]));
        posts.push(post);
        progress.step();
    }
    progress.finish();

    // Likes: a quarter of the posts get one or more (heavy-tailed), from
    // likers picked by rank, each within two hours of the post and never
    // after now.
    let mut likes = Vec::new();
    for (p, post) in posts.iter().enumerate() {
        for _ in 0..rng.heavy(1, 50) - 1 {
            let liker = zipf.pick(&mut rng);
            if ids[liker] != post.author_id {
                likes.push((p, liker));
            }
        }
    }
    likes.sort_unstable();
    likes.dedup();
    let made_likes = likes.len();
    {
        let (app, ids, posts, likes) = (app.clone(), ids.clone(), Arc::new(posts), Arc::new(likes));
        each(
            likes.len(),
            &Progress::new("likes", likes.len()),
            move |i| {
                let (app, ids, posts) = (app.clone(), ids.clone(), posts.clone());
                let (p, liker) = likes[i];
                async move {
                    let post = &posts[p];
                    let at = post.created_at.timestamp_micros() as u64
                        + 60_000_000 * (1 + i as u64 % 120);
                    let at = at.min(now.timestamp_micros() as u64);
                    app.likes.like(ids[liker], post, at).await?;
                    Ok(())
                }
            },
        )
        .await?;
    }

    let threshold = app.config.popular_followers as usize;
    Ok(Made {
        users,
        follows: made_follows,
        posts: plan.len(),
        likes: made_likes,
        popular: followers.iter().filter(|f| **f >= threshold).count(),
    })
}

/// Has `pollers` handle everything the stream holds (the demo's feeds,
/// notifications and counts), with a progress line of the records handled.
pub async fn settle(pollers: &mut [crate::stream::StreamPoller], app: &App) -> Result<(), String> {
    let started = Instant::now();
    let mut drawn = Instant::now();
    let mut last = 0;
    crate::stream::settle_all_with(pollers, app, |handled| {
        last = handled;
        if drawn.elapsed() >= Duration::from_millis(100) {
            drawn = Instant::now();
            eprint!(
                "\rstream    {handled} records handed to the workers {:.0} s ",
                started.elapsed().as_secs_f64()
            );
        }
    })
    .await?;
    eprintln!(
        "\rstream    {last} records handed to the workers {:.0} s ",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
