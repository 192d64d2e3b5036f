//! Each example service against a real authorization server spawned in-process, over real
//! HTTP on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod events;
mod helpers;
mod profiles;
mod tickets;
mod webapp;
