//! Counters a client can move, limited per account and per network; the client address behind trusted proxies (issue 19).

#[allow(unused_imports)]
use crate::both_backends;
