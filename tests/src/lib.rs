//! Shared test harnesses for the integration tests in `tests/tests/`.

pub mod api;
