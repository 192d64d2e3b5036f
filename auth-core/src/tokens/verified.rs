//! Access tokens whose signature, type and issuer this replica has already checked.
//!
//! A resource server introspects the same token on many requests, and userinfo sees the same
//! token again and again; the signature check is most of what answering costs. A token's text
//! decides its signature check for good, so the outcome is remembered by the exact text. What
//! can change is still checked on every use: that the signing key is still published (the
//! ring is re-read), expiry, and revocation.
//!
//! Only tokens that passed every check are remembered, so the memory is bounded by tokens
//! this server issued. It holds two generations of at most [`GENERATION`] tokens each: when
//! the newer one is full, the older one is dropped and the newer one takes its place, so a
//! token in use keeps being found (it is copied forward) while unused ones age out.

use auth_proto::claims::AccessTokenClaims;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Tokens per generation.
pub const GENERATION: usize = 2048;

/// What a checked token said, and which key signed it.
#[derive(Debug)]
pub struct Checked {
    /// The signing key's id.
    pub kid: String,
    /// The claims.
    pub claims: AccessTokenClaims,
}

/// The checked tokens, by their text.
#[derive(Debug, Default)]
pub struct VerifiedTokens {
    generations: Mutex<Generations>,
}

#[derive(Debug, Default)]
struct Generations {
    newer: HashMap<Box<str>, Arc<Checked>>,
    older: HashMap<Box<str>, Arc<Checked>>,
}

impl Generations {
    fn insert(&mut self, token: &str, checked: Arc<Checked>) {
        if self.newer.len() >= GENERATION {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(token.into(), checked);
    }
}

impl VerifiedTokens {
    /// What `token` was found to say, if it was checked before.
    pub fn get(&self, token: &str) -> Option<Arc<Checked>> {
        let mut generations = self.lock();
        if let Some(checked) = generations.newer.get(token) {
            return Some(Arc::clone(checked));
        }
        let checked = generations.older.remove(token)?;
        generations.insert(token, Arc::clone(&checked));
        Some(checked)
    }

    /// Remembers that `token` passed the checks that depend on its text alone.
    pub fn insert(&self, token: &str, checked: Checked) {
        self.lock().insert(token, Arc::new(checked));
    }

    /// How many tokens are remembered.
    pub fn len(&self) -> usize {
        let generations = self.lock();
        generations.newer.len() + generations.older.len()
    }

    /// Whether no token is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Generations> {
        // Plain maps: a poisoned lock is used as it is.
        self.generations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(jti: &str) -> Checked {
        Checked {
            kid: "k".to_owned(),
            claims: AccessTokenClaims {
                iss: "https://issuer.example".to_owned(),
                exp: 2,
                aud: "api".to_owned(),
                sub: "s".to_owned(),
                client_id: "c".to_owned(),
                iat: 1,
                jti: jti.to_owned(),
                scope: None,
                auth_time: None,
                roles: Vec::new(),
                permissions: Vec::new(),
                client_registration: String::new(),
                cnf: None,
                sub_sealed: None,
                act: None,
            },
        }
    }

    #[test]
    fn memory_is_bounded_and_tokens_in_use_are_kept() {
        let tokens = VerifiedTokens::default();
        tokens.insert("in-use", checked("in-use"));
        for i in 0..GENERATION * 3 {
            tokens.insert(&format!("t{i}"), checked(&i.to_string()));
            // Used now and then, the first token is copied forward before its generation goes.
            if i % (GENERATION / 2) == 0 {
                assert_eq!(tokens.get("in-use").unwrap().claims.jti, "in-use");
            }
            assert!(tokens.len() <= 2 * GENERATION);
        }
        assert!(tokens.get("in-use").is_some());
        assert!(tokens.get("t0").is_none(), "unused tokens age out");
        let last = format!("t{}", GENERATION * 3 - 1);
        assert!(tokens.get(&last).is_some());
        assert!(tokens.get("t").is_none(), "found by the exact text only");
    }
}
