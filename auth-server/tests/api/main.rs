//! Integration tests of `auth-server`: real HTTP over loopback, a fresh SQLite file or
//! PostgreSQL database per test, and the real binary where a process is the subject.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod account_api;
mod admin;
mod algorithms;
mod backup;
mod browser;
mod cli;
mod client_credentials;
mod code_flow;
mod counters;
mod discovery;
mod events;
mod faults;
mod hardening;
mod hostile_input;
mod introspection;
mod keys;
mod lifecycle;
mod logout;
mod mail;
mod oidc_client;
mod ops;
mod pages;
mod races;
mod refresh;
mod registration;
mod replicas;
mod route_rules;
mod security;
mod security_events;
mod sms;
mod tokens_follow_state;
mod userinfo;
