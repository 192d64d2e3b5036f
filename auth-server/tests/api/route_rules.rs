//! Who may call each route: the route table, scopes at the account API, metrics, logout redirects and prompt=none answers (issue 19).

#[allow(unused_imports)]
use crate::both_backends;
