//! template.yaml, the route table and everything else that describes the API
//! kept in step.
//!
//! The SAM template, the route table (`microblog_shared::routes::ROUTES`,
//! and `WORKERS` for the functions no route serves), the crates in
//! `functions/`, the local dispatcher and the sample events in `events/`
//! describe the same API. The route table is the source of truth: these
//! tests check that the template routes, triggers and grants what it
//! declares, that the table (with its stream) is the one the stores expect,
//! and that every sample event is answered as expected using only the
//! DynamoDB access its function declares, and costs the capacity
//! docs/ARCHITECTURE.md says it does.

mod api_gateway;
mod cost;
mod events;
mod functions;
mod openapi;
mod permissions;
mod routes;
mod security_doc;
mod table;
mod workers;
