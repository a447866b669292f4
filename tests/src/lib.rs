//! Shared test harnesses for the integration tests in `tests/tests/`.

pub mod api;
pub mod lambda_emulator;
