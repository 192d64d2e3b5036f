//! Smaller findings of the attack on the landed server: reset links, content types, file modes, key reloads, e-mail change notices (issue 19).

#[allow(unused_imports)]
use crate::both_backends;
