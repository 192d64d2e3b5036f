//! Passwords: the policy they must meet and their argon2id hashes.
//!
//! Hashing runs on the blocking pool (`spawn_blocking`): at OWASP parameters one hash takes
//! about 40 ms of CPU, which must never stall the async runtime. At most half the cores (at
//! least one) hash at a time: without that bound a burst of logins started one blocking thread
//! and one 19 MiB block per login, crowded the runtime's workers off the cores (token p99 38x
//! its idle value in the benchmark) and grew the heap to gigabytes. Logins beyond the bound
//! wait their turn. A login for an unknown e-mail is checked against a dummy hash, so it costs
//! the same as a wrong password.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// OWASP password storage cheat sheet: argon2id, m=19 MiB, t=2, p=1.
const M_COST_KIB: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

/// Longest password accepted: long enough for any passphrase, short enough to bound hashing work.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A password as typed by the user. Its `Debug` shows nothing.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(SecretString::from(password.into()))
    }

    /// The password text.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// What a new password must meet.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    /// Fewest characters.
    pub min_length: usize,
    /// Refuse passwords from the built-in list of the most common ones.
    pub refuse_common: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 10,
            refuse_common: true,
        }
    }
}

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("the password must be at least {0} characters long")]
    TooShort(usize),
    /// Too long.
    #[error("the password must be at most {MAX_PASSWORD_CHARS} characters long")]
    TooLong,
    /// On the list of common passwords.
    #[error("this password is one of the most common passwords; choose another")]
    Common,
    /// Equal to the e-mail address.
    #[error("the password must not be your e-mail address")]
    IsEmail,
}

impl PasswordPolicy {
    /// Checks a new password for the account with `email`.
    pub fn check(&self, password: &Password, email: &str) -> Result<(), PasswordError> {
        let text = password.expose();
        let chars = text.chars().count();
        if chars < self.min_length {
            return Err(PasswordError::TooShort(self.min_length));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong);
        }
        if text.eq_ignore_ascii_case(email) {
            return Err(PasswordError::IsEmail);
        }
        if self.refuse_common && is_common(text) {
            return Err(PasswordError::Common);
        }
        Ok(())
    }
}

fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    COMMON_PASSWORDS.contains(&lower.as_str())
}

/// Passwords of at least 8 characters from public lists of the most used passwords.
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "password1234",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "0123456789",
    "987654321",
    "9876543210",
    "11111111",
    "111111111",
    "1111111111",
    "00000000",
    "000000000",
    "0000000000",
    "88888888",
    "66666666",
    "12341234",
    "123123123",
    "1234512345",
    "qwertyuiop",
    "qwerty123",
    "qwerty1234",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1qaz2wsx",
    "1qazxsw2",
    "zaq12wsx",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "asdfghjkl",
    "asdfasdf",
    "zxcvbnm123",
    "iloveyou",
    "iloveyou1",
    "sunshine",
    "princess",
    "football",
    "football1",
    "baseball",
    "welcome1",
    "welcome123",
    "letmein1",
    "letmein123",
    "trustno1",
    "superman",
    "starwars",
    "whatever",
    "computer",
    "michelle",
    "jennifer",
    "babygirl",
    "chocolate",
    "butterfly",
    "liverpool",
    "abcd1234",
    "abcdefgh",
    "abc12345",
    "abcdef123",
    "a1b2c3d4",
    "aa123456",
    "changeme",
    "changeme123",
    "secret123",
    "administrator",
    "admin123",
    "admin1234",
    "adminadmin",
    "rootroot",
    "master123",
    "monkey123",
    "dragon123",
    "shadow123",
    "qwertyqwerty",
    "passwordpassword",
    "correcthorsebatterystaple",
];

fn hasher() -> Argon2<'static> {
    // These constants are valid argon2 parameters.
    #[allow(clippy::expect_used)]
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why hashing failed (not a user error).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// How many hashes may run at once: half the cores, at least one.
fn hashing_slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Semaphore::new((cores / 2).max(1))
    })
}

/// Hashes a password to an argon2id PHC string, off the async runtime.
pub async fn hash(password: &Password) -> Result<String, HashError> {
    let password = password.clone();
    let _slot = hashing_slots()
        .acquire()
        .await
        .map_err(|e| HashError(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(password.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| HashError(e.to_string()))
    })
    .await
    .map_err(|e| HashError(e.to_string()))?
}

/// Whether `password` matches `stored`; with `None` (unknown user or no password set) it
/// verifies against a dummy hash and returns false, taking the same time. Unthrottled: a
/// password a client typed is checked by [`crate::users::login`] or
/// [`crate::account::confirm_password`], which count failures per account and network.
pub async fn verify(password: &Password, stored: Option<&str>) -> bool {
    let password = password.clone();
    let stored = stored.map(str::to_owned);
    let Ok(_slot) = hashing_slots().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match stored {
            Some(phc) => (phc, true),
            None => (dummy_hash().to_owned(), false),
        };
        let matches = hasher()
            .verify_password(password.expose().as_bytes(), phc.as_str())
            .is_ok();
        matches && real
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hasher()
            .hash_password(b"no account has this password")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let password = Password::new("correct horse");
        let phc = hash(&password).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(&password, Some(&phc)).await);
        assert!(!verify(&Password::new("wrong horse"), Some(&phc)).await);
        assert!(!verify(&password, None).await);
    }

    #[tokio::test]
    async fn an_unknown_user_is_checked_against_a_hash_as_costly_as_a_real_one() {
        // An empty or cheaper dummy would answer unknown addresses faster than wrong passwords.
        let real = hash(&Password::new("correct horse")).await.unwrap();
        let dummy = dummy_hash();
        let parsed = |phc: &str| {
            let parsed = argon2::PasswordHash::new(phc).unwrap();
            (
                parsed.algorithm.to_string(),
                parsed.version,
                parsed.params.to_string(),
            )
        };
        assert_eq!(parsed(dummy), parsed(&real));
        assert_ne!(dummy, real);
        // The dummy's own password still does not log anyone in.
        assert!(!verify(&Password::new("no account has this password"), None).await);
    }

    #[test]
    fn the_policy_explains_each_refusal() {
        let policy = PasswordPolicy::default();
        let check = |p: &str| policy.check(&Password::new(p), "ann@example.com");
        assert_eq!(check("short"), Err(PasswordError::TooShort(10)));
        assert_eq!(check("Password123"), Err(PasswordError::Common));
        assert_eq!(check("ANN@example.com"), Err(PasswordError::IsEmail));
        assert_eq!(check(&"x".repeat(257)), Err(PasswordError::TooLong));
        assert!(check("blue whale singing").is_ok());
        assert_eq!(format!("{:?}", Password::new("secret")), "Password(..)");
    }
}
