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
}

impl Default for SelectionSettings {
    fn default() -> Self {
        Self {
            oversubscription: 1.0,
            maintenance_policy: MaintenancePolicySetting::RankLast,
            maintenance_horizon_hours: 7 * 24,
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

    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1.0..=100.0).contains(&self.oversubscription) {
            return Err(ConfigError::Invalid {
                key: "selection.oversubscription",
                problem: format!("must be from 1.0 to 100.0, got {}", self.oversubscription),
            });
        }
        Ok(())
    }
}
