//! The HTTP side of blocks and mutes: `PUT` and `DELETE` of
//! `/api/users/{id}/blocked/{target_id}` and `/muted/{target_id}`. `{id}`
//! must be the caller; each is idempotent (204 whether or not anything
//! changed).

use lambda_http::{Body, Request, Response};

use crate::auth::{authenticate, Own};
use crate::domain::{NoSuchUser, Silence, MAX_BLOCKED_BY, MAX_BLOCKS, MAX_MUTES};
use crate::error::ApiError;
use crate::http::{no_content, path_id};
use crate::store::safety::SilenceChange;
use crate::App;

/// Blocks or mutes (`on`), or unblocks or unmutes, `{target_id}`.
pub async fn change_silence(
    app: &App,
    req: &Request,
    silence: Silence,
    on: bool,
) -> Result<Response<Body>, ApiError> {
    let (noun, refusal) = match silence {
        Silence::Block => ("block", "you can only change whom you block yourself"),
        Silence::Mute => ("mute", "you can only change whom you mute yourself"),
    };
    let id = authenticate(app, req, Own(refusal)).await?.1;
    let target = path_id(req, "target_id")?;
    if target == id {
        return Err(ApiError::bad_request(format!("you cannot {noun} yourself")));
    }
    let now = chrono::Utc::now().timestamp_micros().max(0) as u64;
    let change = match (silence, on) {
        (Silence::Block, true) => app.safety.block(id, target, now).await?,
        (Silence::Block, false) => app.safety.unblock(id, target).await?,
        (Silence::Mute, true) => app.safety.mute(id, target, now).await?,
        (Silence::Mute, false) => app.safety.unmute(id, target).await?,
    };
    match change {
        SilenceChange::Changed | SilenceChange::Unchanged => Ok(no_content()),
        SilenceChange::UnknownUser => Err(NoSuchUser::id(target).into()),
        SilenceChange::ListFull => Err(ApiError::Conflict(format!(
            "you {noun} {} users already, the most allowed: undo one first",
            match silence {
                Silence::Block => MAX_BLOCKS,
                Silence::Mute => MAX_MUTES,
            }
        ))),
        SilenceChange::BlockersFull => Err(ApiError::Conflict(format!(
            "this user is blocked by {MAX_BLOCKED_BY} users already, the most one user can be; mute them or report them instead"
        ))),
    }
}
