//! The load: `n` workers (tokio tasks for HTTP, threads for raw crypto) each running one
//! request after another until the deadline, timing each into an HDR histogram. Requests that
//! end in the warm-up (a tenth of the duration, at most a second) or after the deadline are not
//! counted; one that started in the warm-up counts when it ends in the window, so operations
//! longer than the window (a code flow behind 64 queued logins) are still counted. When no
//! request ended inside the window (a window shorter than one request on a loaded machine),
//! the row is made of every successful request instead, over the time from the start to the
//! last of them, rather than reported as failed.

use hdrhistogram::Histogram;
use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

/// Latencies are recorded in microseconds, up to a minute.
const MAX_MICROS: u64 = 60_000_000;

/// One worker's record.
pub struct Recorder {
    counted_from: Instant,
    deadline: Instant,
    histogram: Histogram<u64>,
    /// Successful requests that ended in the warm-up or after the deadline.
    outside: Histogram<u64>,
    last_success: Option<Instant>,
    errors: u64,
    first_error: Option<String>,
}

impl Recorder {
    fn new(counted_from: Instant, deadline: Instant) -> anyhow::Result<Self> {
        Ok(Self {
            counted_from,
            deadline,
            histogram: Histogram::new_with_bounds(1, MAX_MICROS, 3)?,
            outside: Histogram::new_with_bounds(1, MAX_MICROS, 3)?,
            last_success: None,
            errors: 0,
            first_error: None,
        })
    }

    /// Whether the worker should start another request.
    pub fn running(&self) -> bool {
        Instant::now() < self.deadline
    }

    /// Runs and times one request; `None` when it failed (the failure is counted).
    pub async fn time<T, E: Display>(
        &mut self,
        request: impl Future<Output = Result<T, E>>,
    ) -> Option<T> {
        let start = Instant::now();
        let result = request.await;
        self.record(start, result)
    }

    /// Runs and times one blocking operation.
    pub fn time_blocking<T, E: Display>(
        &mut self,
        operation: impl FnOnce() -> Result<T, E>,
    ) -> Option<T> {
        let start = Instant::now();
        let result = operation();
        self.record(start, result)
    }

    fn record<T, E: Display>(&mut self, start: Instant, result: Result<T, E>) -> Option<T> {
        let end = Instant::now();
        match result {
            Ok(value) => {
                let micros = u64::try_from((end - start).as_micros()).unwrap_or(MAX_MICROS);
                if end >= self.counted_from && end <= self.deadline {
                    self.histogram.saturating_record(micros.max(1));
                } else {
                    self.outside.saturating_record(micros.max(1));
                }
                self.last_success = self.last_success.max(Some(end));
                Some(value)
            }
            Err(error) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| error.to_string());
                None
            }
        }
    }
}

/// What a row measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Successful operations per second in the counted window.
    pub rate: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: u64,
    pub first_error: Option<String>,
}

/// The counted window and the deadline of a run of `duration` starting now.
struct Window {
    start: Instant,
    counted_from: Instant,
    deadline: Instant,
}

impl Window {
    fn starting_now(duration: Duration) -> Self {
        let warm_up = (duration / 10).min(Duration::from_secs(1));
        let start = Instant::now();
        Self {
            start,
            counted_from: start + warm_up,
            deadline: start + warm_up + duration,
        }
    }

    fn recorder(&self) -> anyhow::Result<Recorder> {
        Recorder::new(self.counted_from, self.deadline)
    }

    fn merge(&self, recorders: Vec<Recorder>) -> anyhow::Result<Measured> {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, MAX_MICROS, 3)?;
        let mut outside = Histogram::<u64>::new_with_bounds(1, MAX_MICROS, 3)?;
        let mut last_success = None;
        let mut errors = 0;
        let mut first_error = None;
        for recorder in recorders {
            histogram.add(&recorder.histogram)?;
            outside.add(&recorder.outside)?;
            last_success = last_success.max(recorder.last_success);
            errors += recorder.errors;
            first_error = first_error.or(recorder.first_error);
        }
        let mut window = (self.deadline - self.counted_from).as_secs_f64();
        if histogram.is_empty()
            && let Some(last) = last_success
        {
            // Nothing ended inside the window: every success, over the time they took.
            histogram = outside;
            window = (last - self.start).as_secs_f64().max(f64::EPSILON);
        }
        if histogram.is_empty() {
            anyhow::bail!(
                "no request succeeded ({errors} failed){}",
                first_error
                    .map(|e| format!("; the first failure: {e}"))
                    .unwrap_or_default()
            );
        }
        Ok(Measured {
            rate: histogram.len() as f64 / window,
            p50: Duration::from_micros(histogram.value_at_quantile(0.50)),
            p99: Duration::from_micros(histogram.value_at_quantile(0.99)),
            errors,
            first_error,
        })
    }
}

/// Runs `workers` tasks of `work` (given its index and a recorder, returning the recorder) for
/// `duration` after the warm-up.
pub async fn drive<F, Fut>(workers: usize, duration: Duration, work: F) -> anyhow::Result<Measured>
where
    F: Fn(usize, Recorder) -> Fut,
    Fut: Future<Output = Recorder> + Send + 'static,
{
    let window = Window::starting_now(duration);
    let mut tasks = Vec::with_capacity(workers);
    for index in 0..workers {
        tasks.push(tokio::spawn(work(index, window.recorder()?)));
    }
    let mut recorders = Vec::with_capacity(workers);
    for task in tasks {
        recorders.push(task.await?);
    }
    window.merge(recorders)
}

/// Runs `threads` OS threads each repeating `operation` for `duration` after the warm-up.
pub fn drive_threads<E: Display>(
    threads: usize,
    duration: Duration,
    operation: impl Fn() -> Result<(), E> + Sync,
) -> anyhow::Result<Measured> {
    let window = Window::starting_now(duration);
    let recorders = std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        for _ in 0..threads {
            let mut recorder = window.recorder()?;
            let operation = &operation;
            handles.push(scope.spawn(move || {
                // At least one operation, even for a thread that starts after the deadline
                // (a loaded machine): a row is never empty for want of a start.
                loop {
                    recorder.time_blocking(operation);
                    if !recorder.running() {
                        break;
                    }
                }
                recorder
            }));
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("a benchmark thread panicked"))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    window.merge(recorders)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_and_successes_timed() {
        let calls = std::sync::atomic::AtomicU64::new(0);
        let measured = drive_threads(1, Duration::from_millis(50), || {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(1));
            if n.is_multiple_of(2) {
                Ok(())
            } else {
                Err("odd")
            }
        })
        .unwrap();
        assert!(measured.errors > 0);
        assert_eq!(measured.first_error.as_deref(), Some("odd"));
        assert!(measured.p50 >= Duration::from_millis(1));
    }

    #[test]
    fn a_run_where_nothing_succeeds_is_an_error() {
        let error = drive_threads(1, Duration::from_millis(20), || Err::<(), _>("refused"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("refused"), "{error}");
    }

    #[test]
    fn operations_longer_than_the_window_are_measured_not_failed() {
        // Each operation outlasts the whole window (as a request does on a loaded machine):
        // none ends inside it, yet every one succeeded.
        let measured = drive_threads(1, Duration::from_millis(5), || {
            std::thread::sleep(Duration::from_millis(30));
            Ok::<(), &str>(())
        })
        .unwrap();
        assert_eq!(measured.errors, 0);
        assert!(measured.rate > 0.0);
        assert!(measured.p50 >= Duration::from_millis(30));
    }
}
