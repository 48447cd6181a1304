//! The `[signals]` section: collection of Megaport's telemetry and maintenance/outage feeds.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::settings::{ConfigError, positive};

/// Collection of Megaport's telemetry and maintenance/outage feeds (background work inside the
/// request budget; see `signals`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignalsSettings {
    /// Off: no telemetry or event requests; selection ranks on allocation alone.
    pub enabled: bool,
    /// Each Port's telemetry is read once per interval.
    pub telemetry_interval_seconds: u64,
    /// The window of the measured figures, 1-180 days.
    pub telemetry_window_days: u16,
    /// Older measurements are stale: ranking falls back to allocation and says so.
    pub telemetry_max_age_seconds: u64,
    /// The least time between two telemetry requests, whatever the number of Ports.
    pub telemetry_min_spacing_millis: u64,
    /// The maintenance and outage feeds are read once per interval (3 requests).
    pub events_interval_seconds: u64,
}

impl Default for SignalsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            telemetry_interval_seconds: 3600,
            telemetry_window_days: 7,
            telemetry_max_age_seconds: 3 * 3600,
            telemetry_min_spacing_millis: 10_000,
            events_interval_seconds: 300,
        }
    }
}

impl SignalsSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=180).contains(&self.telemetry_window_days) {
            return Err(ConfigError::Invalid {
                key: "signals.telemetry_window_days",
                problem: format!(
                    "must be from 1 to 180 (Megaport's limit), got {}",
                    self.telemetry_window_days
                ),
            });
        }
        positive(
            "signals.telemetry_interval_seconds",
            self.telemetry_interval_seconds,
        )?;
        positive(
            "signals.telemetry_max_age_seconds",
            self.telemetry_max_age_seconds,
        )?;
        positive(
            "signals.telemetry_min_spacing_millis",
            self.telemetry_min_spacing_millis,
        )?;
        positive(
            "signals.events_interval_seconds",
            self.events_interval_seconds,
        )?;
        Ok(())
    }

    /// The collectors' settings, with the selection's maintenance horizon.
    pub fn runtime(&self, maintenance_horizon_hours: u64) -> SignalSettings {
        SignalSettings {
            enabled: self.enabled,
            telemetry_interval: Duration::from_secs(self.telemetry_interval_seconds),
            telemetry_window_days: self.telemetry_window_days,
            telemetry_max_age: Duration::from_secs(self.telemetry_max_age_seconds),
            telemetry_min_spacing: Duration::from_millis(self.telemetry_min_spacing_millis),
            events_interval: Duration::from_secs(self.events_interval_seconds),
            maintenance_horizon: Duration::from_secs(
                maintenance_horizon_hours.saturating_mul(3600),
            ),
        }
    }
}

/// How the signals are collected (config `signals.*` and `selection.maintenance_horizon_hours`).
#[derive(Debug, Clone)]
pub struct SignalSettings {
    /// Off: no telemetry or event calls; selection ranks on allocation.
    pub enabled: bool,
    /// Each Port's telemetry is read once per interval.
    pub telemetry_interval: Duration,
    /// The window the measured figures cover (Megaport accepts 1-180 days).
    pub telemetry_window_days: u16,
    /// Past this age a measurement is stale and ranking falls back to allocation.
    pub telemetry_max_age: Duration,
    /// At least this long between two telemetry calls, whatever the number of Ports: it bounds
    /// the collector at 300 s / spacing requests per 5 minutes (30 by default).
    pub telemetry_min_spacing: Duration,
    /// The maintenance and outage feeds are read once per interval (3 requests).
    pub events_interval: Duration,
    /// Maintenance that starts within this is upcoming (rank-last or rejected).
    pub maintenance_horizon: Duration,
}

impl Default for SignalSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            telemetry_interval: Duration::from_secs(3600),
            telemetry_window_days: 7,
            telemetry_max_age: Duration::from_secs(3 * 3600),
            telemetry_min_spacing: Duration::from_secs(10),
            events_interval: Duration::from_secs(300),
            maintenance_horizon: Duration::from_secs(7 * 24 * 3600),
        }
    }
}
