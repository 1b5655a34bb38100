//! Coalesced refills for the in-process caches (the host directory and the page cache): when an
//! entry is missing, the first request loads it while the others asking for the same thing wait
//! for that load instead of starting their own, and an entry in its last stretch is renewed by one
//! request while the others are still answered with it. Without this, every expiry of a busy
//! entry sends a crowd of identical queries to the database at once.
//!
//! A load that fails (the database did not answer) fails its waiters too, at once: they do not
//! queue up for another attempt each, so no request waits longer than one load's timeout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// The loads in progress, by key. A load is for one `generation` of its key (such as the write
/// count the page cache keys pages by): a request for another generation does not wait for it.
#[derive(Default)]
pub struct Flights {
    loads: Arc<Mutex<HashMap<(String, u64), Load>>>,
}

struct Load {
    /// Told whether the load succeeded when it ends.
    done: watch::Receiver<Option<bool>>,
}

/// What a request does about a missing entry.
pub enum Turn {
    /// Load it; requests arriving meanwhile wait until this guard drops.
    Lead(LoadGuard),
    /// Another request is loading it: [`Waiting::finished`], then look again.
    Wait(Waiting),
}

impl Flights {
    /// Joins the load of `key` at `generation` in progress, or starts one.
    pub fn turn(&self, key: &str, generation: u64) -> Turn {
        let id = (key.to_owned(), generation);
        let mut loads = self.loads.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(load) = loads.get(&id) {
            return Turn::Wait(Waiting(load.done.clone()));
        }
        let (outcome, done) = watch::channel(None);
        loads.insert(id.clone(), Load { done });
        Turn::Lead(LoadGuard {
            loads: self.loads.clone(),
            id,
            outcome,
            succeeded: false,
        })
    }
}

/// A request waiting for another's load.
pub struct Waiting(watch::Receiver<Option<bool>>);

impl Waiting {
    /// Returns when the load has ended: `true` if it succeeded (look again), `false` if it failed
    /// or was abandoned.
    pub async fn finished(mut self) -> bool {
        match self.0.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.unwrap_or(false),
            Err(_) => false,
        }
    }
}

/// Ends a load when dropped: its waiters wake up, told whether [`LoadGuard::succeeded`] was
/// called.
pub struct LoadGuard {
    loads: Arc<Mutex<HashMap<(String, u64), Load>>>,
    id: (String, u64),
    outcome: watch::Sender<Option<bool>>,
    succeeded: bool,
}

impl LoadGuard {
    /// Marks the load as answered (whether or not its result was kept).
    pub fn succeeded(mut self) {
        self.succeeded = true;
    }
}

impl Drop for LoadGuard {
    fn drop(&mut self) {
        let mut loads = self.loads.lock().unwrap_or_else(|e| e.into_inner());
        loads.remove(&self.id);
        self.outcome.send_replace(Some(self.succeeded));
    }
}

/// Whether the caller should renew an entry valid until `expires`: only within `ahead` of its end,
/// and only the first caller to ask (`renewing` remembers it for this entry).
pub fn claim_renewal(expires: Instant, ahead: Duration, renewing: &AtomicBool) -> bool {
    is_ending(expires, ahead) && !renewing.swap(true, Ordering::AcqRel)
}

/// Whether an entry valid until `expires` waits for a caller to claim its renewal (see
/// [`claim_renewal`]); claims nothing, for readers that leave the renewal to others.
pub fn awaits_renewal(expires: Instant, ahead: Duration, renewing: &AtomicBool) -> bool {
    is_ending(expires, ahead) && !renewing.load(Ordering::Acquire)
}

fn is_ending(expires: Instant, ahead: Duration) -> bool {
    expires.saturating_duration_since(Instant::now()) < ahead
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_second_request_waits_for_the_first_load() {
        let flights = Flights::default();
        let Turn::Lead(guard) = flights.turn("k", 1) else {
            panic!("the first request leads")
        };
        let Turn::Wait(waiting) = flights.turn("k", 1) else {
            panic!("the second request waits")
        };
        assert!(
            matches!(flights.turn("k", 2), Turn::Lead(_)),
            "another generation does not wait"
        );
        let waiter = tokio::spawn(waiting.finished());
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        guard.succeeded();
        let succeeded = tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("the waiter wakes when the load ends")
            .unwrap();
        assert!(succeeded, "the waiter is told the load succeeded");
        assert!(
            matches!(flights.turn("k", 1), Turn::Lead(_)),
            "the load ended"
        );
    }

    #[tokio::test]
    async fn the_waiters_of_a_failed_load_are_told_at_once() {
        let flights = Flights::default();
        let Turn::Lead(guard) = flights.turn("k", 1) else {
            panic!("the first request leads")
        };
        let Turn::Wait(waiting) = flights.turn("k", 1) else {
            panic!("the second request waits")
        };
        drop(guard);
        assert!(
            !waiting.finished().await,
            "a load dropped unanswered failed"
        );
    }

    #[test]
    fn only_one_caller_renews_and_only_near_the_end() {
        let renewing = AtomicBool::new(false);
        let ahead = Duration::from_millis(100);
        let far = Instant::now() + Duration::from_secs(10);
        assert!(!claim_renewal(far, ahead, &renewing));
        let near = Instant::now() + Duration::from_millis(50);
        assert!(claim_renewal(near, ahead, &renewing));
        assert!(!claim_renewal(near, ahead, &renewing), "already claimed");
    }
}
