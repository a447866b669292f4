//! Integration tests of every operation, in-process and over HTTP, each test
//! on its own engine and table so they run in parallel.

mod abuse;
mod accounts;
mod conditional;
mod demo;
mod devices;
mod errors;
mod faults;
mod feed;
mod follows;
mod http;
mod likes;
mod local_server;
mod moderation;
mod notifications;
mod openapi;
mod pagination;
mod posts;
mod recovery;
mod replies;
mod safety;
mod ses;
mod sessions;
mod sns;
mod streams;
mod strict_input;
mod tokens;
mod users;
mod verification;
