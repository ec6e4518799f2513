//! A one-slot mailbox for display paths: the producer never waits, the consumer always gets
//! the newest item, and every item replaced before anyone read it is counted as skipped.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

/// Counts of what went through a [`Mailbox`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MailboxStats {
    /// Items the producer put in.
    pub produced: u64,
    /// Items a consumer took out.
    pub delivered: u64,
    /// Items overwritten by a newer one before a consumer took them.
    pub skipped: u64,
}

struct Slot<T> {
    item: Option<T>,
    stats: MailboxStats,
    closed: bool,
}

/// A shared one-slot mailbox. Clones refer to the same slot.
pub struct Mailbox<T> {
    inner: Arc<(Mutex<Slot<T>>, Condvar)>,
}

impl<T> Clone for Mailbox<T> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Mailbox<T> {
    /// An empty, open mailbox.
    pub fn new() -> Self {
        let slot = Slot { item: None, stats: MailboxStats::default(), closed: false };
        Self { inner: Arc::new((Mutex::new(slot), Condvar::new())) }
    }

    fn lock(&self) -> MutexGuard<'_, Slot<T>> {
        // A panic while holding this lock cannot leave the slot half-written (every update is
        // a single assignment), so a poisoned lock is still safe to use.
        self.inner.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts an item in, replacing (and counting) any item nobody took yet. Never blocks.
    pub fn put(&self, item: T) {
        let mut slot = self.lock();
        slot.stats.produced += 1;
        if slot.item.replace(item).is_some() {
            slot.stats.skipped += 1;
        }
        drop(slot);
        self.inner.1.notify_all();
    }

    /// Takes the newest item, if there is one. Never blocks.
    pub fn take(&self) -> Option<T> {
        let mut slot = self.lock();
        let item = slot.item.take();
        if item.is_some() {
            slot.stats.delivered += 1;
        }
        item
    }

    /// Waits up to `timeout` for an item; `None` on timeout or when closed and empty.
    pub fn wait(&self, timeout: Duration) -> Option<T> {
        let slot = self.lock();
        let (mut slot, _) = self
            .inner
            .1
            .wait_timeout_while(slot, timeout, |s| s.item.is_none() && !s.closed)
            .unwrap_or_else(|p| p.into_inner());
        let item = slot.item.take();
        if item.is_some() {
            slot.stats.delivered += 1;
        }
        item
    }

    /// Marks the mailbox closed: the producer is gone; waiting consumers wake up.
    pub fn close(&self) {
        self.lock().closed = true;
        self.inner.1.notify_all();
    }

    /// Whether the producer has closed the mailbox.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Counts so far.
    pub fn stats(&self) -> MailboxStats {
        self.lock().stats
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn slow_consumer_gets_newest_and_skips_are_counted() {
        let mb = Mailbox::new();
        for i in 0..10 {
            mb.put(i);
        }
        assert_eq!(mb.take(), Some(9));
        assert_eq!(mb.take(), None);
        assert_eq!(mb.stats(), MailboxStats { produced: 10, delivered: 1, skipped: 9 });
    }

    #[test]
    fn wait_wakes_on_put_and_on_close() {
        let mb = Mailbox::new();
        let producer = mb.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            producer.put(7u32);
            producer.close();
        });
        assert_eq!(mb.wait(Duration::from_secs(5)), Some(7));
        assert_eq!(mb.wait(Duration::from_secs(5)), None);
        assert!(mb.is_closed());
        t.join().unwrap();
    }
}
