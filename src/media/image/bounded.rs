//! Processing uploads off the async threads, a few at a time: a semaphore of
//! `AGOAT_MEDIA_WORKERS` permits (default 2) in front of tokio's blocking pool, so that however many
//! uploads arrive together, at most that many decoded images are in memory.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use tokio::sync::Semaphore;

use super::{Limits, Processed, Refusal, inspect, limits::workers_from_env, process};

/// The permits shared by every upload of the process.
fn workers() -> Arc<Semaphore> {
    static WORKERS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    WORKERS
        .get_or_init(|| Arc::new(Semaphore::new(workers_from_env())))
        .clone()
}

/// [`process`] on tokio's blocking pool, at most `AGOAT_MEDIA_WORKERS` at once. An upload refused
/// by [`inspect`] is refused at once, without waiting for a turn. Takes a `Vec<u8>` or `Bytes`
/// without copying.
pub async fn process_bounded(
    bytes: impl Into<Bytes>,
    limits: Limits,
) -> Result<Processed, Refusal> {
    let bytes = bytes.into();
    inspect(&bytes, &limits)?;
    let started = std::time::Instant::now();
    let processed = run_bounded(workers(), move || process(&bytes, &limits)).await;
    metrics::histogram!(crate::metrics::MEDIA_PROCESSING).record(started.elapsed().as_secs_f64());
    processed
}

/// Runs `work` on the blocking pool once `permits` grants a turn. The permit goes with the work, so
/// that a caller who stops waiting (a client gone) does not free the turn before the work ends.
async fn run_bounded<F>(permits: Arc<Semaphore>, work: F) -> Result<Processed, Refusal>
where
    F: FnOnce() -> Result<Processed, Refusal> + Send + 'static,
{
    let permit = permits
        .acquire_owned()
        .await
        .map_err(|e| Refusal::Failed(e.to_string()))?;
    let task = tokio::task::spawn_blocking(move || {
        let _turn = permit;
        work()
    });
    task.await.unwrap_or_else(|error| {
        tracing::error!(%error, "processing an image panicked");
        Err(Refusal::Failed(
            "processing stopped unexpectedly".to_owned(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::super::Format;
    use super::*;

    fn nothing() -> Result<Processed, Refusal> {
        Ok(Processed {
            format: Format::Png,
            width: 1,
            height: 1,
            variants: Vec::new(),
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_permits_run_at_once() {
        let permits = Arc::new(Semaphore::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(run_bounded(permits.clone(), move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(40));
                    running.fetch_sub(1, Ordering::SeqCst);
                    nothing()
                }))
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().is_ok());
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_panic_is_a_failure_not_a_crash() {
        let permits = Arc::new(Semaphore::new(1));
        let result = run_bounded(permits.clone(), || panic!("a decoder bug")).await;
        assert!(matches!(result, Err(Refusal::Failed(_))));
        // The turn came back.
        assert!(run_bounded(permits, nothing).await.is_ok());
    }

    #[tokio::test]
    async fn uploads_are_refused_as_process_refuses_them() {
        let result = process_bounded(b"<svg/>".to_vec(), Limits::DEFAULT).await;
        assert_eq!(result, Err(Refusal::Svg));
    }
}
