//! The workspace's test kit (`auth-testkit`): a server per test on a fresh database, the
//! binary as a process, an SMTP sink, PKCE, forms and the sign-in walk.

pub use auth_testkit::*;
