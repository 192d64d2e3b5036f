//! This replica's memory of the two things nearly every request reads: client registrations and
//! the set of revoked access tokens. Without it each token, introspection and bearer request
//! makes two or three queries, and on SQLite each query is a hand-off to a worker thread and
//! back, which costs more than verifying an RS256 signature (docs/performance.md).
//!
//! Both copies live at most `ttl` (`database.cache_secs`) before they are read again, and a
//! change written through this store drops the copy it affects at once, so this replica always
//! sees its own writes. Changes written by another replica (or by the `auth-server` command on
//! the same database) are seen within `ttl`; RFC 7009 section 2.2 allows for such a propagation
//! delay between servers. A `ttl` of zero turns the caches off: every lookup reads the database.
//!
//! Revocations are followed as a feed: each sync reads the rows stamped since the database's
//! clock at the start of the sync before, minus [`OVERLAP_SECS`] (for transactions that commit
//! after a later stamp was read), and every [`FULL_RELOAD`] the whole set is read again, which
//! also forgets tokens the hourly purge removed. (The window follows the clock, not the newest
//! stamp seen: after a mass revocation, say a client's 100,000 grants at one second, a window
//! that started before the newest stamp re-read them all at every sync until a later
//! revocation came, which stalled every bearer request behind it; now they are read again
//! for at most [`OVERLAP_SECS`].) While one task syncs, the others answer from the copy
//! they have, unless this store wrote a revocation since that copy was read (then they
//! wait for the sync, so this replica always sees its own writes) or the copy is older
//! than `ttl` plus [`STALE_WHILE_SYNCING`] (then they wait, and fail if the sync fails). The stamps come from the database's clock (`unixepoch()`), one clock
//! for every replica, so a replica whose own clock is behind cannot write a revocation the
//! others' feeds have already passed.

use crate::clients::{Client, ClientId};
use crate::store::StoreError;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How far before the start of the sync before each sync reads again: a transaction that
/// stamps a revocation and commits more than this later is seen only at the full reload.
pub(crate) const OVERLAP_SECS: i64 = 60;

/// How much older than `ttl` a copy may be to answer while another task syncs. Past this
/// (a sync that hangs, a database that is down), checks wait for the sync and fail with it
/// rather than answer from an ever older copy.
const STALE_WHILE_SYNCING: Duration = Duration::from_secs(5);

/// How often the whole set of revocations is read again.
const FULL_RELOAD: Duration = Duration::from_secs(300);

/// Clients kept at most; past this the cache starts over (registrations are bounded by the
/// table, but open dynamic registration could make the table large).
const MAX_CLIENTS: usize = 10_000;

/// A revoked access token as the feed reads it: its `jti`, when it expires, when it was revoked.
pub(crate) type RevokedRow = (String, i64, i64);

/// What one read of the feed returns: the database's clock when the read started, and the
/// rows revoked at or after the asked stamp.
pub(crate) struct Feed {
    pub(crate) now: i64,
    pub(crate) rows: Vec<RevokedRow>,
}

/// The caches of one store (shared by its clones).
pub(crate) struct Caches {
    ttl: Duration,
    clients: Mutex<HashMap<String, (Instant, Arc<Client>)>>,
    revoked: RwLock<Revoked>,
    /// Bumped by every local write that may revoke tokens; a sync that started before the bump
    /// does not count as fresh.
    generation: AtomicU64,
    /// One sync at a time; the others wait for its result.
    syncing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Revoked {
    jtis: HashMap<String, i64>,
    /// The stamp the next incremental sync reads from: the database's clock at the start of
    /// the last sync, minus [`OVERLAP_SECS`].
    read_from: Option<i64>,
    /// When the last sync started, and the write generation it saw then.
    synced: Option<(Instant, u64)>,
    full_at: Option<Instant>,
}

impl Caches {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            clients: Mutex::default(),
            revoked: RwLock::default(),
            generation: AtomicU64::new(0),
            syncing: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether lookups go through the caches at all.
    pub(crate) fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The client `id`, from memory when it was read less than `ttl` ago, else from `load`.
    /// Unknown ids are not remembered, so guessing ids cannot fill the memory.
    pub(crate) async fn client<F>(
        &self,
        id: &ClientId,
        load: F,
    ) -> Result<Option<Arc<Client>>, StoreError>
    where
        F: Future<Output = Result<Option<Client>, StoreError>>,
    {
        if !self.enabled() {
            return Ok(load.await?.map(Arc::new));
        }
        if let Some((at, client)) = lock(&self.clients).get(id.as_str())
            && at.elapsed() < self.ttl
        {
            return Ok(Some(Arc::clone(client)));
        }
        let started = Instant::now();
        let loaded = load.await?.map(Arc::new);
        if let Some(client) = &loaded {
            let mut clients = lock(&self.clients);
            if clients.len() >= MAX_CLIENTS {
                clients.clear();
            }
            clients.insert(id.as_str().to_owned(), (started, Arc::clone(client)));
        }
        Ok(loaded)
    }

    /// Forgets the client `id` (it was changed or deleted through this store).
    pub(crate) fn forget_client(&self, id: &str) {
        lock(&self.clients).remove(id);
    }

    /// Whether the access token `jti` is revoked, syncing first (through `feed`, which reads
    /// the rows revoked at or after its argument, or all rows for `None`) when the copy is
    /// older than `ttl` or a local write changed revocations since. While another task
    /// syncs, a copy that has seen every local write answers at once.
    pub(crate) async fn is_revoked<F, Fut>(&self, jti: &str, feed: F) -> Result<bool, StoreError>
    where
        F: FnOnce(Option<i64>) -> Fut,
        Fut: Future<Output = Result<Feed, StoreError>>,
    {
        if let Some(answer) = self.fresh_answer(jti) {
            return Ok(answer);
        }
        let _one_sync = match self.syncing.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                if let Some(answer) = self.answer_while_syncing(jti) {
                    return Ok(answer);
                }
                self.syncing.lock().await
            }
        };
        // The sync this task waited for may have made the copy fresh.
        if let Some(answer) = self.fresh_answer(jti) {
            return Ok(answer);
        }
        let started = Instant::now();
        let generation = self.generation.load(Ordering::Acquire);
        let (full, since) = {
            let revoked = read(&self.revoked);
            let full = revoked
                .full_at
                .is_none_or(|at| started.duration_since(at) >= FULL_RELOAD);
            (full, revoked.read_from)
        };
        let Feed { now, rows } = feed(if full { None } else { since }).await?;
        let mut revoked = write(&self.revoked);
        if full {
            revoked.jtis.clear();
            revoked.full_at = Some(started);
        }
        revoked.read_from = Some(now.saturating_sub(OVERLAP_SECS));
        for (jti, expires_at, _) in rows {
            revoked.jtis.insert(jti, expires_at);
        }
        revoked.synced = Some((started, generation));
        Ok(revoked.jtis.contains_key(jti))
    }

    /// The answer from memory, if the copy is fresh.
    fn fresh_answer(&self, jti: &str) -> Option<bool> {
        let revoked = read(&self.revoked);
        let (at, generation) = revoked.synced?;
        let fresh =
            at.elapsed() < self.ttl && generation == self.generation.load(Ordering::Acquire);
        fresh.then(|| revoked.jtis.contains_key(jti))
    }

    /// The answer from memory while another task syncs, if the copy has seen every local
    /// write and is older than `ttl` by at most [`STALE_WHILE_SYNCING`].
    fn answer_while_syncing(&self, jti: &str) -> Option<bool> {
        let revoked = read(&self.revoked);
        let (at, generation) = revoked.synced?;
        let usable = at.elapsed() < self.ttl + STALE_WHILE_SYNCING
            && generation == self.generation.load(Ordering::Acquire);
        usable.then(|| revoked.jtis.contains_key(jti))
    }

    /// Called after a local write that may have revoked access tokens: the next check syncs.
    pub(crate) fn revocations_changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

// A panic while a lock is held leaves plain data behind (no invariant spans two fields that a
// reader could see half-written), so a poisoned lock is used as it is.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn row(jti: &str, revoked_at: i64) -> RevokedRow {
        (jti.to_owned(), i64::MAX, revoked_at)
    }

    /// A feed read at the database's clock `now`.
    fn feed(now: i64, rows: Vec<RevokedRow>) -> Result<Feed, StoreError> {
        Ok(Feed { now, rows })
    }

    /// A check of `jti` whose sync is under way when this returns, and ends with `result`
    /// once the returned `Notify` is notified: the check's task, and that `Notify`.
    async fn slow_sync(
        caches: &Arc<Caches>,
        jti: &'static str,
        result: Result<Feed, StoreError>,
    ) -> (
        tokio::task::JoinHandle<Result<bool, StoreError>>,
        Arc<tokio::sync::Notify>,
    ) {
        let (reading, read) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(tokio::sync::Notify::new()),
        );
        let check = {
            let (caches, reading, read) = (caches.clone(), reading.clone(), read.clone());
            tokio::spawn(async move {
                caches
                    .is_revoked(jti, |_| async move {
                        reading.notify_one();
                        read.notified().await;
                        result
                    })
                    .await
            })
        };
        reading.notified().await;
        (check, read)
    }

    #[tokio::test]
    async fn a_fresh_copy_answers_without_reading() {
        let caches = Caches::new(Duration::from_secs(60));
        let reads = AtomicUsize::new(0);
        for _ in 0..3 {
            let revoked = caches
                .is_revoked("a", |since| {
                    reads.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(since, None, "the first sync reads everything");
                    async { feed(100, vec![row("a", 100)]) }
                })
                .await
                .unwrap();
            assert!(revoked);
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_local_revocation_is_seen_at_once_and_read_from_the_last_sync_minus_the_overlap() {
        let caches = Caches::new(Duration::from_secs(60));
        // The copy was read at 5,000; its newest revocation is far older.
        let first = caches
            .is_revoked("b", |_| async { feed(5_000, vec![row("a", 1_000)]) })
            .await
            .unwrap();
        assert!(!first);
        caches.revocations_changed();
        let second = caches
            .is_revoked("b", |since| {
                // Not 1,000 - 60: rows older than the last read are not read again.
                assert_eq!(since, Some(5_000 - OVERLAP_SECS));
                async { feed(5_001, vec![row("b", 5_001)]) }
            })
            .await
            .unwrap();
        assert!(second, "the token revoked by the local write reads revoked");
        let still_known = caches
            .is_revoked("a", |_| async { panic!("the copy is fresh") })
            .await
            .unwrap();
        assert!(still_known, "an incremental sync keeps what it knew");
    }

    #[tokio::test]
    async fn a_stale_copy_is_read_again() {
        let caches = Caches::new(Duration::from_millis(1));
        caches
            .is_revoked("a", |_| async { feed(1, Vec::new()) })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let revoked = caches
            .is_revoked("a", |since| {
                assert_eq!(since, Some(1 - OVERLAP_SECS), "from the last read on");
                async { feed(5, vec![row("a", 5)]) }
            })
            .await
            .unwrap();
        assert!(
            revoked,
            "a revocation by another replica is seen after the ttl"
        );
    }

    /// A slow sync (a mass revocation to read) holds back no other check, unless this store
    /// revoked something the copy has not seen.
    #[tokio::test]
    async fn checks_answer_from_the_copy_while_another_syncs_unless_a_local_write_waits() {
        let caches = Arc::new(Caches::new(Duration::from_millis(1)));
        caches
            .is_revoked("a", |_| async { feed(10, vec![row("a", 10)]) })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (slow, read) = slow_sync(&caches, "c", feed(20, vec![row("c", 20)])).await;
        let answered = tokio::time::timeout(
            Duration::from_secs(5),
            caches.is_revoked("a", |_| async { panic!("one sync at a time") }),
        )
        .await
        .expect("answered while the other task syncs")
        .unwrap();
        assert!(answered, "from the copy");
        // After a local revocation, a check waits for a sync that has seen it.
        caches.revocations_changed();
        let waiting = {
            let caches = caches.clone();
            tokio::spawn(async move {
                caches
                    .is_revoked("d", |_| async { feed(21, vec![row("d", 21)]) })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "it waits for the sync under way");
        read.notify_one();
        assert!(slow.await.unwrap().unwrap());
        assert!(waiting.await.unwrap().unwrap(), "the local write is seen");
    }

    /// A copy older than the grace does not answer for a sync that hangs.
    #[tokio::test]
    async fn a_copy_too_old_waits_for_the_sync_under_way() {
        let caches = Arc::new(Caches::new(Duration::from_millis(1)));
        caches
            .is_revoked("a", |_| async { feed(10, Vec::new()) })
            .await
            .unwrap();
        // The copy is made to look older than ttl + STALE_WHILE_SYNCING.
        if let Some((at, _)) = write(&caches.revoked).synced.as_mut() {
            *at = at
                .checked_sub(STALE_WHILE_SYNCING + Duration::from_secs(1))
                .expect("the machine has been up longer than that");
        }
        let away = Err(StoreError::Corrupt("the database went away".into()));
        let (slow, read) = slow_sync(&caches, "a", away).await;
        let waiting = {
            let caches = caches.clone();
            tokio::spawn(async move {
                caches
                    .is_revoked("a", |_| async {
                        Err(StoreError::Corrupt("still away".into()))
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "no answer from a copy that old");
        read.notify_one();
        assert!(slow.await.unwrap().is_err());
        assert!(
            waiting.await.unwrap().is_err(),
            "it fails with the database"
        );
    }

    #[tokio::test]
    async fn a_failed_sync_is_an_error_not_a_valid_token() {
        let caches = Caches::new(Duration::from_secs(60));
        let failed = caches
            .is_revoked("a", |_| async { Err(StoreError::Corrupt("down".into())) })
            .await;
        assert!(failed.is_err());
    }
}
