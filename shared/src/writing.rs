//! What a post refers to, resolved for its author as it is written or
//! edited: the post it answers and the users it mentions.

use crate::domain::{mentioned_usernames, Mention, NoSuchPost, PostBody, PostId, ReplyTo, UserId};
use crate::error::ApiError;
use crate::store::Read;
use crate::App;

/// The post `parent` as `author` may answer it: a 404, as for a post that
/// does not exist, when it is gone, when a block stands between `author`
/// and its author (either way), or when its author is suspended. The
/// parent and `author`'s blocks are read concurrently, then its author.
pub async fn reply_target(app: &App, author: UserId, parent: PostId) -> Result<ReplyTo, ApiError> {
    let (post, safety) = tokio::join!(app.posts.get(parent, Read::Eventual), app.safety.of(author));
    let (post, safety) = (post?, safety?);
    let post = post
        .filter(|post| !safety.blocks_either(post.author_id))
        .ok_or(NoSuchPost::id(parent))?;
    let parent_author = app.users.get(post.author_id, Read::Eventual).await?;
    match parent_author {
        Some(user) if user.suspended_at.is_none() => Ok(ReplyTo {
            post: post.id,
            author: post.author_id,
        }),
        _ => Err(NoSuchPost::id(parent).into()),
    }
}

/// The users `body` mentions (`@username`, the first ten distinct names),
/// as they are named now; names nobody holds are plain text. At most two
/// BatchGetItems of ten keys; none for a body without an `@`.
pub async fn mentions_in(app: &App, body: &PostBody) -> Result<Vec<Mention>, ApiError> {
    let names = mentioned_usernames(body.as_str());
    let users = app.users.by_folded_names(&names).await?;
    Ok(users
        .into_iter()
        .map(|user| Mention {
            id: user.id,
            username: user.username,
        })
        .collect())
}
