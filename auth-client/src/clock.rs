//! Time as an argument: every expiry, cache age and refresh floor in this crate is measured
//! with a [`Clock`], so tests decide what "now" is.
//!
//! [`SystemClock::now`] is the only place that reads the wall clock (clippy's
//! `disallowed-methods` enforces this for the workspace).

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> SystemTime;

    /// The current instant as whole seconds since the Unix epoch, as put in tokens.
    fn unix(&self) -> i64 {
        unix(self.now())
    }
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one allowed reader of the wall clock; everything else takes a `Clock`.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to: for tests and simulations.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

impl ManualClock {
    /// A clock stopped at the real current time.
    pub fn starting_now() -> Self {
        Self::at(SystemClock.now())
    }

    /// A clock stopped at `now`.
    pub fn at(now: SystemTime) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *self.lock() += by;
    }

    /// Moves the clock backward.
    pub fn rewind(&self, by: Duration) {
        *self.lock() -= by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SystemTime> {
        self.now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.lock()
    }
}

/// Seconds since the epoch of `at` (0 before the epoch).
pub(crate) fn unix(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The instant `secs` seconds after the epoch (the epoch for negative values).
pub(crate) fn from_unix(secs: i64) -> SystemTime {
    later(
        UNIX_EPOCH,
        Duration::from_secs(u64::try_from(secs).unwrap_or(0)),
    )
}

/// `at + by`, saturating a century ahead instead of overflowing (a TTL of `Duration::MAX`, or a
/// server's absurd `expires_in`, must not panic).
pub(crate) fn later(at: SystemTime, by: Duration) -> SystemTime {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    at.checked_add(by.min(CENTURY)).unwrap_or(at)
}
