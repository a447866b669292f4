//! Integration tests of every operation, in-process and over HTTP, each test
//! on its own engine and table so they run in parallel.

mod accounts;
mod errors;
mod faults;
mod feed;
mod follows;
mod http;
mod pagination;
mod posts;
mod sessions;
mod tokens;
mod users;
