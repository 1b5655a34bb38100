//! Coalesced refills for the in-process caches (the host directory and the page cache): when an
//! entry is missing, the first request loads it while the others asking for the same thing wait
//! for that load instead of starting their own, and an entry in its last stretch is renewed by one
//! request while the others are still answered with it. Without this, every expiry of a busy
//! entry sends a crowd of identical queries to the database at once.

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
    /// Dropped when the load ends, which wakes every waiter.
    _done: watch::Sender<()>,
    done: watch::Receiver<()>,
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
        let (sender, done) = watch::channel(());
        loads.insert(
            id.clone(),
            Load {
                _done: sender,
                done,
            },
        );
        Turn::Lead(LoadGuard {
            loads: self.loads.clone(),
            id,
        })
    }
}

/// A request waiting for another's load.
pub struct Waiting(watch::Receiver<()>);

impl Waiting {
    /// Returns when the load has ended, however it ended.
    pub async fn finished(mut self) {
        // The sender never sends: `changed` returns once it is dropped.
        while self.0.changed().await.is_ok() {}
    }
}

/// Ends a load when dropped (stored, failed or abandoned): its waiters wake up and look again.
pub struct LoadGuard {
    loads: Arc<Mutex<HashMap<(String, u64), Load>>>,
    id: (String, u64),
}

impl Drop for LoadGuard {
    fn drop(&mut self) {
        let mut loads = self.loads.lock().unwrap_or_else(|e| e.into_inner());
        loads.remove(&self.id);
    }
}

/// Whether the caller should renew an entry valid until `expires`: only within `ahead` of its end,
/// and only the first caller to ask (`renewing` remembers it for this entry).
pub fn claim_renewal(expires: Instant, ahead: Duration, renewing: &AtomicBool) -> bool {
    let ending = expires.saturating_duration_since(Instant::now()) < ahead;
    ending && !renewing.swap(true, Ordering::AcqRel)
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
        drop(guard);
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("the waiter wakes when the load ends")
            .unwrap();
        assert!(
            matches!(flights.turn("k", 1), Turn::Lead(_)),
            "the load ended"
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
