//! What the workspace's test suites share: a server spawned in-process on a fresh SQLite or
//! PostgreSQL database ([`app`], [`db`]), the real binary as a process ([`process`]), an SMTP
//! sink ([`mail`]), PKCE ([`pkce`]), HTML forms ([`forms`]), the sign-in and consent walk
//! ([`sign_in`]), a cookie-keeping HTTP browser ([`browser`]), a client that signs its
//! assertions and requests ([`client_keys`]) and a JWT check by a library this project did not
//! write ([`jwks`]), two instances of the server, one the other's upstream identity provider
//! ([`upstream`]), what many tests ask of a running app besides the code flow (a login, the
//! account page's forms, an admin token, users and their sessions: [`accounts`]) and a command
//! line that must succeed ([`cli_run`]).
//!
//! Dev-only: never a dependency of code that ships. A test fails by panicking, so this crate
//! unwraps where library code may not.
//!
//! Everything is re-exported at the root, so a suite's own support module is one `pub use`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod accounts;
pub mod answer;
pub mod app;
pub mod browser;
pub mod cli_run;
pub mod client_keys;
pub mod db;
pub mod forms;
pub mod jwks;
pub mod mail;
pub mod pkce;
pub mod process;
pub mod sign_in;
pub mod upstream;

pub use answer::{Fetch, ReadJson};
pub use app::{TestApp, spawn_app, spawn_app_on_localhost, spawn_app_with};
pub use auth_testkit_macros::{both_backends, postgres_only};
pub use browser::browser;
pub use client_keys::{DpopKey, JWT_BEARER, JwksServer, SigningClient, code_request};
pub use db::{Backend, TestDb, db_count, db_execute, postgres_admin_url};
pub use forms::{form_field, query_of, without_csrf};
pub use jwks::verify_with_jwks;
pub use mail::{ReceivedMail, SmtpSink, smtp_to, spawn_app_with_mail};
pub use pkce::Pkce;
pub use process::{ServerProcess, cli_command, server_binary};
pub use sign_in::{PASSWORD, REDIRECT_URI, sign_in};
pub use upstream::UpstreamPair;
