//! Where a newest-first listing (keys, orders, approvals) left off: the last item's time and
//! id. The next page is what sorts after it, so items added at the front meanwhile (newer ones)
//! neither shift a page nor repeat an item: every item that existed at the first page comes
//! exactly once. The API encodes it into opaque page tokens.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The item's time in unix milliseconds (`i64::MIN` for an item without one, which sorts
    /// last).
    pub time_ms: i64,
    pub id: String,
}

impl Cursor {
    /// Whether the item (`time_ms`, `id`) comes after the cursor, newest first (then by id).
    pub fn precedes(&self, time_ms: i64, id: &str) -> bool {
        time_ms < self.time_ms || (time_ms == self.time_ms && id > self.id.as_str())
    }
}

/// A time as a cursor holds it: unix milliseconds, the precision the store keeps.
pub fn unix_millis(time: time::OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}
