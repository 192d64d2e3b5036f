//! auth-client against a real authorization server: each test spawns `auth-server`
//! in-process on a fresh SQLite file, behind a proxy that counts the requests reaching it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod axum_guard;
mod backchannel_logout;
mod directory;
mod dpop;
mod support;
mod token_exchange;
mod token_source;
mod verify;
mod webhooks;
