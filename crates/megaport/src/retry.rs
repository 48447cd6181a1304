//! Backoff for idempotent reads: full-jitter exponential, honouring Retry-After, and never
//! sleeping past the caller's deadline.

use std::time::{Duration, SystemTime};

use rand::Rng;
use time::OffsetDateTime;
use tokio::time::Instant;

/// Retry parameters. Defaults: 4 attempts in all; backoff `random(0, min(cap, base * 2^n))` with
/// base 100 ms and cap 2 s; Retry-After up to 30 s is honoured; a retry is attempted only if the
/// wait still leaves `min_attempt_budget` before the deadline.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
    /// Longest Retry-After we are willing to wait; longer requests end the retries at once.
    pub max_retry_after: Duration,
    /// Time an attempt needs after the wait to be worth making.
    pub min_attempt_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(30),
            min_attempt_budget: Duration::from_millis(50),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (each call is one attempt).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Full jitter: a uniform wait in `[0, min(cap, base * 2^retry)]` (AWS architecture blog).
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(2u32.saturating_pow(retry.min(20)))
            .min(self.cap);
        let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        if ms == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rand::rng().random_range(0..=ms))
    }

    /// How long to wait before retry number `retry` (0-based), or `None` when no retry fits:
    /// attempts exhausted, Retry-After too long, or the wait would leave too little time before
    /// `deadline`. A Retry-After is a floor, never shortened by jitter.
    pub fn next_delay(
        &self,
        attempts_made: u32,
        retry_after: Option<Duration>,
        deadline: Instant,
    ) -> Option<Duration> {
        if attempts_made >= self.max_attempts {
            return None;
        }
        if retry_after.is_some_and(|ra| ra > self.max_retry_after) {
            return None;
        }
        let backoff = self.backoff(attempts_made.saturating_sub(1));
        let delay = retry_after.map_or(backoff, |ra| ra.max(backoff));
        let remaining = deadline.saturating_duration_since(Instant::now());
        if delay + self.min_attempt_budget > remaining {
            return None;
        }
        Some(delay)
    }
}

/// Parses `Retry-After`: delta-seconds or an HTTP-date (IMF-fixdate, RFC 9110 §10.2.3), relative
/// to `now`. A date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs));
    }
    let at = parse_http_date(v)?;
    let now = OffsetDateTime::from(now);
    let delta = at - now;
    Some(if delta.is_positive() {
        Duration::try_from(delta).unwrap_or(Duration::ZERO)
    } else {
        Duration::ZERO
    })
}

fn parse_http_date(v: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc2822;
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is an RFC 2822 date with the obsolete "GMT"
    // zone; normalise the zone so the strict RFC 2822 parser accepts it.
    let normalised = match v.strip_suffix(" GMT").or_else(|| v.strip_suffix(" UTC")) {
        Some(head) => format!("{head} +0000"),
        None => v.to_owned(),
    };
    OffsetDateTime::parse(&normalised, &Rfc2822).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let p = RetryPolicy::default();
        for retry in 0..10 {
            let d = p.backoff(retry);
            assert!(d <= p.cap, "{d:?}");
            assert!(d <= p.base * 2u32.pow(retry.min(10)), "{d:?}");
        }
    }

    #[tokio::test]
    async fn next_delay_respects_deadline_and_retry_after() {
        let p = RetryPolicy::default();
        let far = Instant::now() + Duration::from_secs(60);
        let d = p.next_delay(1, Some(Duration::from_secs(2)), far);
        assert!(d.is_some_and(|d| d >= Duration::from_secs(2)), "{d:?}");
        let near = Instant::now() + Duration::from_millis(500);
        assert_eq!(p.next_delay(1, Some(Duration::from_secs(2)), near), None);
        assert_eq!(p.next_delay(p.max_attempts, None, far), None);
        assert_eq!(p.next_delay(1, Some(Duration::from_secs(3600)), far), None);
    }
}
