//! Shared test harnesses for the integration tests in `tests/tests/` and the
//! bench.

pub mod api;
pub mod cost;
pub mod declared;
pub mod events;
pub mod fixtures;
pub mod generated;
pub mod invariants;
pub mod lambda_emulator;
pub mod mail;
pub mod proxy;
pub mod recorder;
pub mod stream_file;
pub mod template;
