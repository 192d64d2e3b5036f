//! The workspace's test kit (`auth-testkit`).

pub use auth_testkit::*;
