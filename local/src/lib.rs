//! The local API server: the whole microblog API in one process on
//! 127.0.0.1, every request shaped as API Gateway (HTTP API, payload 2.0)
//! would shape it and handed to the same handler the Lambda binary runs, on an
//! embedded dynoxide engine or on any DynamoDB endpoint.

pub mod admission;
pub mod apigw;
pub mod checkpoint;
pub mod demo;
pub mod dispatch;
pub mod engine;
pub mod guard;
pub mod in_process;
pub mod retention;
pub mod seed;
pub mod server;
pub mod stream;
