//! Time at the precision onramp keeps.

use time::OffsetDateTime;

/// Now, at the millisecond precision the store keeps, so a stored record and the one a call
/// returned compare equal (replays are byte-identical).
pub fn now_millis() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(now)
}
