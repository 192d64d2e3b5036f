//! Tokens follow the state they were issued from: role, user, client, password and session changes revoke or narrow what they must (issue 19).

#[allow(unused_imports)]
use crate::both_backends;
