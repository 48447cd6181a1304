//! Megaport's request limits (DOCS `troubleshooting/api`): 500 API requests per rolling
//! 5 minutes per source IP, and one update per service per 5 minutes. Past either Megaport
//! answers 429; the sandbox adds a `Retry-After` saying when the request would be admitted
//! (Megaport does not document one, and clients must cope without it: see the `rate_limit`
//! fault). The token endpoint is a separate service (Cognito) and is not counted.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// At most `requests` in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    pub requests: u32,
    pub window: Duration,
}

/// Which of Megaport's limits the sandbox enforces. The default is Megaport's own; `off()` is
/// for tests that call far more often than a real client may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxLimits {
    /// API requests per source IP.
    pub per_client: Option<RateWindow>,
    /// Updates (`PUT /v2/service/key`, `PUT /v3/product/vxc/{uid}`) per service key or VXC.
    pub per_service_update: Option<RateWindow>,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            per_client: Some(RateWindow {
                requests: 500,
                window: Duration::from_secs(300),
            }),
            per_service_update: Some(RateWindow {
                requests: 1,
                window: Duration::from_secs(300),
            }),
        }
    }
}

impl SandboxLimits {
    pub fn off() -> Self {
        SandboxLimits {
            per_client: None,
            per_service_update: None,
        }
    }
}

/// When each admitted request was, per source IP and per updated service.
#[derive(Debug, Default)]
pub(crate) struct LimitState {
    per_client: HashMap<IpAddr, VecDeque<Instant>>,
    per_service: HashMap<String, VecDeque<Instant>>,
    refused: u64,
}

impl LimitState {
    /// Admits one API request from `ip`, or says how long until it would be admitted.
    pub(crate) fn admit_request(
        &mut self,
        limits: &SandboxLimits,
        ip: IpAddr,
        now: Instant,
    ) -> Result<(), Duration> {
        let Some(limit) = limits.per_client else {
            return Ok(());
        };
        let admitted = admit(self.per_client.entry(ip).or_default(), limit, now);
        self.count(admitted)
    }

    /// Admits one update of `service` (a key or a VXC uid).
    pub(crate) fn admit_update(
        &mut self,
        limits: &SandboxLimits,
        service: &str,
        now: Instant,
    ) -> Result<(), Duration> {
        let Some(limit) = limits.per_service_update else {
            return Ok(());
        };
        let times = self
            .per_service
            .entry(service.to_ascii_lowercase())
            .or_default();
        let admitted = admit(times, limit, now);
        self.count(admitted)
    }

    /// Requests answered 429 by either limit so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused
    }

    fn count(&mut self, admitted: Result<(), Duration>) -> Result<(), Duration> {
        if admitted.is_err() {
            self.refused += 1;
        }
        admitted
    }
}

/// A rolling window: forget what left it, then admit if there is room. Refused requests are
/// not counted against it.
fn admit(times: &mut VecDeque<Instant>, limit: RateWindow, now: Instant) -> Result<(), Duration> {
    while times
        .front()
        .is_some_and(|oldest| now.duration_since(*oldest) >= limit.window)
    {
        times.pop_front();
    }
    if times.len() < limit.requests as usize {
        times.push_back(now);
        return Ok(());
    }
    let oldest = times.front().copied().unwrap_or(now);
    Err(limit.window.saturating_sub(now.duration_since(oldest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(requests: u32, secs: u64) -> SandboxLimits {
        SandboxLimits {
            per_client: Some(RateWindow {
                requests,
                window: Duration::from_secs(secs),
            }),
            per_service_update: Some(RateWindow {
                requests: 1,
                window: Duration::from_secs(secs),
            }),
        }
    }

    #[test]
    fn a_rolling_window_per_client() {
        let (l, mut state) = (limits(3, 10), LimitState::default());
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        for n in 0..3 {
            assert_eq!(
                state.admit_request(&l, ip, t0 + Duration::from_secs(n)),
                Ok(())
            );
        }
        assert_eq!(
            state.admit_request(&l, ip, t0 + Duration::from_secs(4)),
            Err(Duration::from_secs(6)),
            "the first leaves the window at 10 s"
        );
        assert_eq!(state.admit_request(&l, other, t0), Ok(()), "per client");
        assert_eq!(
            state.admit_request(&l, ip, t0 + Duration::from_secs(10)),
            Ok(())
        );
        assert_eq!(state.refused(), 1);
        assert_eq!(
            state.admit_request(&SandboxLimits::off(), ip, t0 + Duration::from_secs(10)),
            Ok(())
        );
    }

    #[test]
    fn one_update_per_service_per_window() {
        let (l, mut state) = (limits(500, 300), LimitState::default());
        let t0 = Instant::now();
        assert_eq!(state.admit_update(&l, "KEY-1", t0), Ok(()));
        assert_eq!(
            state.admit_update(&l, "key-1", t0 + Duration::from_secs(60)),
            Err(Duration::from_secs(240))
        );
        assert_eq!(state.admit_update(&l, "key-2", t0), Ok(()));
    }
}
