//! The per-caller write quota: a token bucket per caller name. Writes are what cost upstream
//! capacity and money, so only mutating RPCs draw from it; reads are bounded by the global
//! concurrency limit instead. A small hand-rolled bucket rather than `governor`: callers are a
//! handful of configured names, and a mutex around a map is all that needs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::settings::LimitSettings;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Mutating calls per caller: `burst` at once, refilled at `per_minute`.
#[derive(Debug)]
pub struct WriteLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<Arc<str>, Bucket>>,
}

impl WriteLimiter {
    pub fn new(limits: &LimitSettings) -> Self {
        Self {
            per_second: f64::from(limits.writes_per_minute.max(1)) / 60.0,
            burst: f64::from(limits.write_burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one write from `caller`'s bucket, or says how long until one is available.
    pub fn check(&self, caller: &Arc<str>, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means another request panicked mid-update; the map is still valid.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(caller.clone()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err(Duration::from_secs_f64(wait).max(Duration::from_millis(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, burst: u32) -> WriteLimiter {
        WriteLimiter::new(&LimitSettings {
            writes_per_minute: per_minute,
            write_burst: burst,
            ..LimitSettings::default()
        })
    }

    #[test]
    fn burst_then_refusal_with_retry_after_then_refill() {
        let limiter = limiter(60, 2);
        let caller: Arc<str> = "a".into();
        let start = Instant::now();
        assert!(limiter.check(&caller, start).is_ok());
        assert!(limiter.check(&caller, start).is_ok());
        let wait = limiter.check(&caller, start).expect_err("over quota");
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert!(
            limiter
                .check(&caller, start + Duration::from_secs(1))
                .is_ok()
        );
    }

    #[test]
    fn callers_have_separate_buckets() {
        let limiter = limiter(1, 1);
        let now = Instant::now();
        assert!(limiter.check(&"a".into(), now).is_ok());
        assert!(limiter.check(&"a".into(), now).is_err());
        assert!(limiter.check(&"b".into(), now).is_ok());
    }
}
