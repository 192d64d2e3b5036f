//! Does the whole thing work: the suites that span the system rather than one crate.
//!
//! - `replicas`, `faults`: several `auth-server` processes on one database, processes killed
//!   with SIGKILL and restarted.
//! - `example_services`: the example services (`examples/`) and `auth-client` against a real
//!   authorization server.
//! - `oidc_client`: the code flow driven by `openidconnect`, a client library this project did
//!   not write.
//! - `browser`: whole journeys in headless Chromium; `device_browser`: the device flow, with
//!   the user in Chromium and the device a Rust client polling the token endpoint;
//!   `i18n_browser`: the pages in each shipped language, in Chromium set to that language;
//!   `upstream_browser`: sign-in through a second instance of this server as the upstream.
//!
//! Each crate's own tests stay in the crate (`auth-server/tests/api/`, ...). The server is run
//! in-process (`auth_testkit::spawn_app`) or as the binary Cargo built for `auth-server`
//! (`auth_testkit::server_binary`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod api_docs_browser;
mod browser;
mod console_browser;
mod device_browser;
mod example_services;
mod faults;
mod i18n_browser;
mod node_client;
mod oidc_client;
mod outbound;
mod passkeys_browser;
mod replicas;
mod upstream_browser;
