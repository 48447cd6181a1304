//! The `[selection]` section: how SelectOnRamps chooses (README, "How SelectOnRamps ranks").

use serde::{Deserialize, Serialize};

use crate::settings::ConfigError;

/// How SelectOnRamps chooses (README, "How SelectOnRamps ranks").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelectionSettings {
    /// How far allocated rate limits may exceed a Port's speed: 1.0 sells at most the speed.
    pub oversubscription: f64,
    /// What to do with a Port whose maintenance starts within the horizon, when a request does
    /// not say: `rank_last` or `reject`.
    pub maintenance_policy: MaintenancePolicySetting,
    /// Maintenance starting within this many hours counts as upcoming.
    pub maintenance_horizon_hours: u64,
    /// How a selection asked near a customer weighs nearness, when the request does not say:
    /// `nearest_first` or `capacity_first`.
    pub proximity_policy: ProximityPolicySetting,
    /// Nearest first: Ports whose expected round trip is within this of the nearest count as
    /// equally near, and usage decides between them.
    pub rtt_tolerance_ms: f64,
    /// Expected round trips the operator pins, from a customer location to a region's Ports
    /// (or those at one location): they win over Megaport's medians and the estimate.
    pub rtt_overrides: Vec<RttOverrideSetting>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProximityPolicySetting {
    NearestFirst,
    CapacityFirst,
}

/// `[[selection.rtt_overrides]]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RttOverrideSetting {
    pub region: String,
    pub from_location_id: i32,
    #[serde(default)]
    pub to_location_id: Option<i32>,
    pub rtt_ms: f64,
}

impl Default for SelectionSettings {
    fn default() -> Self {
        Self {
            oversubscription: 1.0,
            maintenance_policy: MaintenancePolicySetting::RankLast,
            maintenance_horizon_hours: 7 * 24,
            proximity_policy: ProximityPolicySetting::NearestFirst,
            rtt_tolerance_ms: 2.0,
            rtt_overrides: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenancePolicySetting {
    RankLast,
    Reject,
}

impl SelectionSettings {
    /// The selection rules the directory applies.
    pub fn policy(&self) -> onramp_core::selection::Policy {
        use onramp_core::selection::MaintenancePolicy;
        onramp_core::selection::Policy {
            oversubscription: self.oversubscription,
            maintenance: match self.maintenance_policy {
                MaintenancePolicySetting::RankLast => MaintenancePolicy::RankLast,
                MaintenancePolicySetting::Reject => MaintenancePolicy::Reject,
            },
        }
    }

    /// How the directory weighs nearness.
    pub fn proximity(&self) -> onramp_core::directory::ProximityRules {
        onramp_core::directory::ProximityRules {
            policy: proximity_policy(self.proximity_policy),
            tolerance_ms: self.rtt_tolerance_ms,
        }
    }

    /// The operator's pinned round trips.
    pub fn rtt_overrides(&self) -> Vec<onramp_core::proximity::RttOverride> {
        self.rtt_overrides
            .iter()
            .map(|pin| onramp_core::proximity::RttOverride {
                region: pin.region.clone(),
                from_location_id: pin.from_location_id,
                to_location_id: pin.to_location_id,
                rtt_ms: pin.rtt_ms,
            })
            .collect()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(0.0..=1_000.0).contains(&self.rtt_tolerance_ms) {
            return Err(ConfigError::Invalid {
                key: "selection.rtt_tolerance_ms",
                problem: format!("must be from 0 to 1000, got {}", self.rtt_tolerance_ms),
            });
        }
        if let Some(pin) = self
            .rtt_overrides
            .iter()
            .find(|pin| !(pin.rtt_ms.is_finite() && (0.0..=1_000.0).contains(&pin.rtt_ms)))
        {
            return Err(ConfigError::Invalid {
                key: "selection.rtt_overrides",
                problem: format!(
                    "rtt_ms must be from 0 to 1000, got {} (region {}, from location {})",
                    pin.rtt_ms, pin.region, pin.from_location_id
                ),
            });
        }
        if !(1.0..=100.0).contains(&self.oversubscription) {
            return Err(ConfigError::Invalid {
                key: "selection.oversubscription",
                problem: format!("must be from 1.0 to 100.0, got {}", self.oversubscription),
            });
        }
        Ok(())
    }
}

/// The core's policy for a setting.
pub fn proximity_policy(
    setting: ProximityPolicySetting,
) -> onramp_core::proximity::ProximityPolicy {
    use onramp_core::proximity::ProximityPolicy;
    match setting {
        ProximityPolicySetting::NearestFirst => ProximityPolicy::NearestFirst,
        ProximityPolicySetting::CapacityFirst => ProximityPolicy::CapacityFirst,
    }
}
