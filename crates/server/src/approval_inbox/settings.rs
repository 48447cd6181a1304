//! The `[approvals]` section: how often the inbox reads Megaport, and the auto-approval rules.

use serde::{Deserialize, Serialize};

use crate::settings::{ConfigError, positive};

/// The provider's approval inbox (ApprovalService).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApprovalSettings {
    /// Megaport's approvals are read once per interval (one request per 100 approvals).
    pub poll_interval_seconds: u64,
    /// Rules under which a pending approval is approved without the provider; none by default.
    pub auto_approve: Vec<AutoApproveRuleSetting>,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            poll_interval_seconds: 60,
            auto_approve: Vec::new(),
        }
    }
}

/// One `[[approvals.auto_approve]]` rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutoApproveRuleSetting {
    /// Names the rule in the audit log and in the comment the requester sees.
    pub name: String,
    /// The approval types it takes: NEW_ORDER, SPEED_CHANGE, TERM_CHANGE.
    pub types: Vec<String>,
    /// The customer_refs it takes (keys minted with one); "*" takes any key with one.
    pub customer_refs: Vec<String>,
    /// The highest rate it approves; 0 (the default) is the key's max speed, which no rule
    /// exceeds.
    #[serde(default)]
    pub max_rate_limit_mbps: i64,
}

impl ApprovalSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        positive(
            "approvals.poll_interval_seconds",
            self.poll_interval_seconds,
        )?;
        self.auto_approve_rules()?;
        Ok(())
    }

    /// The auto-approval rules, checked.
    pub fn auto_approve_rules(
        &self,
    ) -> Result<Vec<onramp_core::approvals::AutoApproveRule>, ConfigError> {
        use onramp_core::approvals::{ApprovalKind, AutoApproveRule};
        let invalid = |problem: String| ConfigError::Invalid {
            key: "approvals.auto_approve",
            problem,
        };
        let mut names = std::collections::HashSet::new();
        self.auto_approve
            .iter()
            .map(|rule| {
                if rule.name.trim().is_empty() || !names.insert(rule.name.as_str()) {
                    return Err(invalid(format!(
                        "every rule needs a name of its own, got `{}`",
                        rule.name
                    )));
                }
                let kinds = rule
                    .types
                    .iter()
                    .map(|kind| match ApprovalKind::from_megaport(Some(kind)) {
                        ApprovalKind::Other => Err(invalid(format!(
                            "rule `{}`: type `{kind}` is not NEW_ORDER, SPEED_CHANGE or \
                             TERM_CHANGE",
                            rule.name
                        ))),
                        known => Ok(known),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if kinds.is_empty() || rule.customer_refs.is_empty() {
                    return Err(invalid(format!(
                        "rule `{}` needs types and customer_refs (\"*\" for any key with one)",
                        rule.name
                    )));
                }
                if rule.max_rate_limit_mbps < 0 {
                    return Err(invalid(format!(
                        "rule `{}`: max_rate_limit_mbps must be 0 (the key's max speed) or more",
                        rule.name
                    )));
                }
                Ok(AutoApproveRule {
                    name: rule.name.clone(),
                    kinds,
                    customer_refs: rule.customer_refs.clone(),
                    max_rate_limit_mbps: (rule.max_rate_limit_mbps > 0)
                        .then_some(rule.max_rate_limit_mbps),
                })
            })
            .collect()
    }
}
