//! What the key watcher publishes: the batch of each revision, the upstream health its streams
//! report, the revision its reads answer from, and the totals metrics read.

use std::sync::atomic::AtomicU64;

use time::OffsetDateTime;

use super::events::KeyEvent;

/// How polling Megaport is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    /// The last poll failed but an earlier one succeeded recently.
    Degraded,
    Unavailable,
}

/// Upstream health as progress messages report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamHealth {
    pub status: Health,
    pub last_success: Option<OffsetDateTime>,
    /// Why the last poll failed; empty when healthy.
    pub message: String,
}

/// All changes of one revision.
#[derive(Debug, Clone)]
pub struct Batch {
    pub revision: i64,
    pub events: Vec<KeyEvent>,
    /// The batch as the API sends it (one gRPC frame), made by the first stream that sends it
    /// whole, for every other stream that does: 100,000 streams share one frame of each batch.
    pub encoded: std::sync::OnceLock<bytes::Bytes>,
}

impl revision_fanout::Revisioned for Batch {
    fn revision(&self) -> i64 {
        self.revision
    }
}

impl Batch {
    pub fn new(revision: i64, events: Vec<KeyEvent>) -> Self {
        Self {
            revision,
            events,
            encoded: std::sync::OnceLock::new(),
        }
    }
}

impl PartialEq for Batch {
    /// The same changes; whether they have been encoded yet does not matter.
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision && self.events == other.events
    }
}

/// Totals the hub keeps for metrics; they only grow.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) polls_ok: AtomicU64,
    pub(crate) polls_failed: AtomicU64,
    pub(crate) closed_too_slow: AtomicU64,
    pub(crate) resyncs_too_old: AtomicU64,
    pub(crate) resyncs_unknown: AtomicU64,
}

/// The totals of [`Counters`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterTotals {
    pub polls_ok: u64,
    pub polls_failed: u64,
    pub closed_too_slow: u64,
    pub resyncs_too_old: u64,
    pub resyncs_unknown: u64,
}

/// See [`WatchHub::read_revision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyReadRevision {
    pub(super) revision: i64,
    pub(super) writes: u64,
    pub(super) skipped: u32,
}
