//! Passwords: the policy they must meet and their argon2id hashes.
//!
//! Hashing runs on a pool of its own threads, one per core, each below the async runtime in
//! the kernel's scheduler (Linux: `SCHED_BATCH` at nice 10, so a runtime worker that wakes
//! takes the core at once): logins use every core the runtime leaves idle, and tokens keep
//! their latency while logins queue (docs/decisions/0008).
//! At OWASP parameters one hash takes about 40 ms of CPU and a 19 MiB block, so at most one
//! hash a core is in memory: peak RSS grows by at most cores x 19 MiB with logins, however
//! many wait. A login for an unknown e-mail is checked against a dummy hash, so it costs the
//! same as a wrong password.

use argon2_rust::params::Memory;
use argon2_rust::{Algorithm, Argon2, Hasher, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::cell::RefCell;
use std::fmt;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

/// OWASP password storage cheat sheet: argon2id, m=19 MiB, t=2, p=1.
const M_COST_KIB: u64 = 19 * 1024;
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

/// The configured argon2id, version 0x13.
fn hasher() -> Argon2 {
    // These constants are valid argon2 parameters.
    #[allow(clippy::expect_used)]
    let params = Params::builder()
        .memory(Memory::kib(M_COST_KIB))
        .passes(T_COST)
        .lanes(P_COST)
        .build()
        .expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why hashing failed (not a user error).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// A hash to compute on the pool.
type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads and the queue they take jobs from.
struct Pool {
    jobs: Sender<Job>,
    /// Threads started (zero: jobs run on tokio's blocking pool instead).
    threads: usize,
}

/// The pool, started on first use with one thread per core.
fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = (0..cores)
            .filter(|i| {
                let queue = Arc::clone(&queue);
                std::thread::Builder::new()
                    .name(format!("argon2-{i}"))
                    .spawn(move || work(&queue))
                    .is_ok()
            })
            .count();
        Pool { jobs, threads }
    })
}

/// A hashing thread: below the runtime in the scheduler, then one job after another until
/// the process ends.
fn work(queue: &Mutex<Receiver<Job>>) {
    lower_priority();
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A job that panics drops its answer (its caller gets an error); the thread goes on.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

/// The nice value of the hashing threads: weight 110 against the runtime's 1024 (nice 0), so
/// while the runtime has work a hash gets about a tenth of a core and the runtime the rest; an
/// idle core is the hash's whole. Not 19 (weight 15): other processes at nice 0 on the same
/// machine (a database, another service) would then starve logins whenever they are busy.
pub const HASHING_NICE: i32 = 10;

/// Linux: `SCHED_BATCH` (a CPU-bound thread: it never preempts on waking) at nice
/// [`HASHING_NICE`]. Lowering one's own priority needs no privilege; if it fails anyway, the
/// thread hashes at normal priority and says so.
#[cfg(target_os = "linux")]
fn lower_priority() {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    use thread_priority::{ThreadPriority, ThreadPriorityValue};
    let batch = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
    // The crate sets a normal policy's priority as a nice value, mapping its 0..=99 scale onto
    // nice 19..=-20: the value of that scale that maps onto HASHING_NICE.
    let priority = (0..=99u8)
        .filter_map(|value| ThreadPriorityValue::try_from(value).ok())
        .map(ThreadPriority::Crossplatform)
        .find(|priority| priority.to_posix(batch).ok() == Some(HASHING_NICE));
    let set = priority
        .ok_or_else(|| "no priority maps onto the nice value".to_owned())
        .and_then(|priority| {
            set_thread_priority_and_policy(thread_native_id(), priority, batch)
                .map_err(|error| format!("{error:?}"))
        });
    if let Err(error) = set {
        tracing::warn!(%error, "password hashing runs at normal priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// Runs `work` on the hashing pool and waits for its answer.
async fn on_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    let pool = pool();
    if pool.threads == 0 {
        return tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError(e.to_string()));
    }
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(work());
    });
    pool.jobs.send(job).map_err(|e| HashError(e.to_string()))?;
    answered
        .await
        .map_err(|_| HashError("the hashing thread stopped".to_owned()))
}

thread_local! {
    /// This thread's hasher, whose arena (one 19 MiB block) is allocated by its first hash,
    /// wiped after each and filled anew by the next: a hash costs no allocation, page faults
    /// or unmapping. Kept for the thread's life: the memory bound of the pool is one block a
    /// hashing thread. A stored hash with larger parameters is verified in a block of its
    /// own, freed after.
    static HASHER: RefCell<Option<Hasher>> = const { RefCell::new(None) };
}

/// Runs `work` with this thread's hasher.
fn with_hasher<T>(work: impl FnOnce(&mut Hasher) -> T) -> T {
    HASHER.with(|kept| match kept.try_borrow_mut() {
        Ok(mut kept) => work(kept.get_or_insert_with(|| hasher().hasher())),
        // A thread runs one hash at a time, so this is never reached; a fresh hasher is right.
        Err(_) => work(&mut hasher().hasher()),
    })
}

/// Hashes `password` at the configured parameters on the calling thread with a fresh
/// 16-byte salt from the operating system: what the hashing pool runs, and the raw hash
/// the benchmark's ceiling repeats.
pub fn hash_on_this_thread(password: &[u8]) -> Result<String, HashError> {
    with_hasher(|hasher| hasher.hash_password_with_random_salt(password))
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` hashes to the argon2id PHC string `stored` at the parameters the string
/// names, compared in constant time; false for a string that does not parse.
fn verify_on_this_thread(password: &[u8], stored: &str) -> bool {
    with_hasher(|hasher| {
        hasher
            .verify_encoded(stored, password, Algorithm::Argon2id)
            .is_ok()
    })
}

/// Hashes a password to an argon2id PHC string, off the async runtime.
pub async fn hash(password: &Password) -> Result<String, HashError> {
    let password = password.clone();
    on_pool(move || hash_on_this_thread(password.expose().as_bytes())).await?
}

/// Whether `password` matches `stored`; with `None` (unknown user or no password set) it
/// verifies against a dummy hash and returns false, taking the same time. Unthrottled: a
/// password a client typed is checked by [`crate::users::login`] or
/// [`crate::account::confirm_password`], which count failures per account and network.
pub async fn verify(password: &Password, stored: Option<&str>) -> bool {
    let password = password.clone();
    let stored = stored.map(str::to_owned);
    on_pool(move || {
        let (phc, real) = match stored {
            Some(phc) => (phc, true),
            None => (dummy_hash().to_owned(), false),
        };
        let matches = verify_on_this_thread(password.expose().as_bytes(), &phc);
        matches && real
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_on_this_thread(b"no account has this password").unwrap_or_default())
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
            let parsed = argon2::password_hash::phc::PasswordHash::new(phc).unwrap();
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

    /// The hashes are those of RustCrypto's `argon2` (another implementation), both ways,
    /// at these parameters and others a stored hash may name.
    #[test]
    fn hashes_are_those_of_another_implementation() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let other = |m: u32, t: u32| {
            argon2::Argon2::new(
                argon2::Algorithm::Argon2id,
                argon2::Version::V0x13,
                argon2::Params::new(m, t, 1, None).unwrap(),
            )
        };
        let ours = hash_on_this_thread(b"correct horse").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let reference = other(19 * 1024, 2);
        assert!(
            reference
                .verify_password(b"correct horse", ours.as_str())
                .is_ok()
        );
        assert!(
            reference
                .verify_password(b"correct horsf", ours.as_str())
                .is_err()
        );
        // At a smaller (older) and a larger parameter set than the configured one.
        for (m, t) in [(19 * 1024, 2), (8 * 1024, 1), (24 * 1024, 3)] {
            for password in ["correct horse", "", "ünïcødé pässwörd", &"x".repeat(256)] {
                let phc = other(m, t)
                    .hash_password(password.as_bytes())
                    .unwrap()
                    .to_string();
                assert!(verify_on_this_thread(password.as_bytes(), &phc), "{phc}");
                assert!(!verify_on_this_thread(b"wrong horse", &phc), "{phc}");
            }
        }
        let cut = &ours[..ours.len() - 3];
        for broken in ["", "$argon2id$v=19$m=19456,t=2,p=1$", "plain text", cut] {
            assert!(!verify_on_this_thread(b"correct horse", broken), "{broken}");
        }
        // An argon2i or argon2d string is not what this server stores.
        let argon2i = argon2::Argon2::new(
            argon2::Algorithm::Argon2i,
            argon2::Version::V0x13,
            argon2::Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"correct horse")
        .unwrap()
        .to_string();
        assert!(!verify_on_this_thread(b"correct horse", &argon2i));
    }

    #[test]
    fn a_thread_keeps_one_block_for_its_hashes() {
        std::thread::spawn(|| {
            let reserved = || HASHER.with(|h| h.borrow().as_ref().map(Hasher::reserved_blocks));
            assert_eq!(reserved(), None);
            let first = hash_on_this_thread(b"correct horse").unwrap();
            assert_eq!(reserved(), Some(19 * 1024));
            let second = hash_on_this_thread(b"correct horse").unwrap();
            assert_ne!(first, second, "a fresh salt each time");
            assert!(verify_on_this_thread(b"correct horse", &first));
            // A stored hash with larger parameters does not grow the kept block.
            let larger = "$argon2id$v=19$m=24576,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
            assert!(!verify_on_this_thread(b"correct horse", larger));
            assert_eq!(reserved(), Some(19 * 1024));
        })
        .join()
        .unwrap();
    }

    /// The nice value of a thread of this process, from `/proc/self/task/{tid}/stat`.
    #[cfg(target_os = "linux")]
    fn nice_of(tid: &str) -> Option<i32> {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
        // Fields after the command (which may hold spaces) close with ')'; nice is field 19.
        let after = &stat[stat.rfind(')')? + 2..];
        after.split(' ').nth(16)?.parse().ok()
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashes_run_on_one_thread_a_core_below_the_runtime() {
        hash(&Password::new("correct horse")).await.unwrap();
        let mut hashing = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap() {
            let tid = task.unwrap().file_name().to_string_lossy().into_owned();
            let name =
                std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).unwrap_or_default();
            if name.trim().starts_with("argon2-") {
                hashing.push(nice_of(&tid));
            }
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(hashing.len(), cores, "one hashing thread a core");
        assert!(
            hashing.iter().all(|nice| *nice == Some(HASHING_NICE)),
            "{hashing:?}"
        );
        assert_eq!(nice_of(&std::process::id().to_string()), Some(0));
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
