//! Integration tests of `auth-server`: real HTTP over loopback, a fresh SQLite file or
//! PostgreSQL database per test (`#[both_backends]`), and the real binary where a process is
//! the subject. Suites spanning several processes or crates (replicas, faults, browser
//! journeys, other client libraries, the examples) are the system tests in `tests/system/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
mod walks;

mod account_api;
mod admin;
mod algorithms;
mod apps_with_access;
mod backchannel_logout;
mod backup;
mod cli;
mod client_credentials;
mod code_flow;
mod console;
mod counters;
mod device;
mod discovery;
mod dpop;
mod events;
mod fapi;
mod hardening;
mod hostile_input;
mod introspection;
mod keys;
mod languages;
mod lifecycle;
mod logout;
mod mail;
mod ops;
mod pages;
mod pairwise;
mod passkeys;
mod private_key_jwt;
mod pushed_requests;
mod races;
mod refresh;
mod registration;
mod request_objects;
mod resources;
mod route_rules;
mod security;
mod security_events;
mod sms;
mod token_exchange;
mod tokens_follow_state;
mod upstream;
mod userinfo;
