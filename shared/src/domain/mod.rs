//! The domain: users, follow edges and the validated values they are made
//! of. Nothing here knows about HTTP or DynamoDB; a value that reaches a
//! store has passed every rule, and a rule broken is a [`ValidationError`]
//! that the HTTP layer turns into a 400 in one place.

mod errors;
mod follow;
mod time;
mod user;
mod values;

pub use errors::{NoSuchUser, ValidationError};
pub use follow::{Edge, EdgeKind};
pub use time::timestamp;
pub use user::{CompleteRegistration, NewUser, ProfileChanges, Registration, User};
pub use values::{parse_user_id, AboutMe, Change, Email, Password, Username};
