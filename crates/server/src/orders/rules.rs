//! The local rules of an order, pure and free of I/O: the spec's syntax, whether a key can be
//! used now, the order state a Megaport VXC stands for, and what Megaport's refusals mean.

use time::OffsetDateTime;

use super::{
    COST_CENTRE_MAX_CHARS, NAME_MAX_CHARS, OrderSpec, OrderState, PROMO_CODE_MAX_CHARS, TERMS,
};
use crate::error::ErrorReason;
use crate::error::{Error, FieldViolation};
use megaport::MegaportError;
use megaport::models::{Product, ServiceKey, Vxc};
use onramp_core::keys::{VLAN_MAX, VLAN_MIN};
use onramp_core::onramps::ProvisioningStatus;
use onramp_core::orders::Unusable;

/// Every syntax problem of a spec, each naming the field and its limit. Needs nothing upstream.
pub fn check_spec(spec: &OrderSpec) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if uuid::Uuid::parse_str(spec.service_key.trim()).is_err() {
        violations.push(FieldViolation::new(
            "spec.service_key",
            "must be a service key UUID (36 characters, e.g. 106e38ae-eb59-415f-ac81-526a5299851d)",
        ));
    }
    if spec.a_end_port_uid.trim().is_empty() {
        violations.push(FieldViolation::new(
            "spec.a_end_port_uid",
            "is required: the productUid of your port",
        ));
    }
    if spec.a_end_vlan != 0 && !(VLAN_MIN..=VLAN_MAX).contains(&spec.a_end_vlan) {
        violations.push(FieldViolation::new(
            "spec.a_end_vlan",
            format!(
                "must be 0 (automatic) or between {VLAN_MIN} and {VLAN_MAX}, got {}",
                spec.a_end_vlan
            ),
        ));
    }
    if spec.rate_limit_mbps < 1 {
        violations.push(FieldViolation::new(
            "spec.rate_limit_mbps",
            format!(
                "must be at least 1 mbps (and at most the key's max speed and both ports' speeds), got {}",
                spec.rate_limit_mbps
            ),
        ));
    }
    if !TERMS.contains(&spec.term_months) {
        violations.push(FieldViolation::new(
            "spec.term_months",
            format!("must be one of 1, 12, 24, 36, got {}", spec.term_months),
        ));
    }
    let name_chars = spec.name.chars().count();
    if spec.name.trim().is_empty() || name_chars > NAME_MAX_CHARS {
        violations.push(FieldViolation::new(
            "spec.name",
            format!("must be 1-{NAME_MAX_CHARS} characters, got {name_chars}"),
        ));
    }
    if spec.cost_centre.chars().count() > COST_CENTRE_MAX_CHARS {
        violations.push(FieldViolation::new(
            "spec.cost_centre",
            format!("must be at most {COST_CENTRE_MAX_CHARS} characters"),
        ));
    }
    if spec.promo_code.chars().count() > PROMO_CODE_MAX_CHARS {
        violations.push(FieldViolation::new(
            "spec.promo_code",
            format!("must be at most {PROMO_CODE_MAX_CHARS} characters"),
        ));
    }
    violations
}

/// First match wins, as for ServiceKeyState: used, inactive, expired, not yet valid.
pub fn key_unusable(key: &ServiceKey, now: OffsetDateTime) -> Option<Unusable> {
    let unusable = |reason, message: &str| {
        Some(Unusable {
            reason,
            message: message.to_owned(),
        })
    };
    let window = key.valid_for.clone().unwrap_or_default();
    if key.single_use && key.last_used.is_some() {
        return unusable(
            ErrorReason::KeyUsed,
            "the single-use key has already been used",
        );
    }
    if !key.active {
        return unusable(
            ErrorReason::KeyInactive,
            "the key has been deactivated by its owner",
        );
    }
    if key.expired == Some(true) || window.end.is_some_and(|end| end < now) {
        return unusable(ErrorReason::KeyExpired, "the key's validity has ended");
    }
    if window.start.is_some_and(|start| start > now) {
        return unusable(ErrorReason::KeyNotYetValid, "the key is not valid yet");
    }
    if key.valid == Some(false) {
        return unusable(
            ErrorReason::KeyInactive,
            "megaport reports the key as not valid",
        );
    }
    None
}

/// The order state a VXC read from Megaport stands for.
pub fn observe(vxc: &Vxc, previous: OrderState) -> OrderState {
    let status = ProvisioningStatus::from_megaport(vxc.provisioning_status.as_deref());
    if status.is_gone() {
        // A VXC that disappears while it waits for approval was rejected by the key's owner.
        return if previous == OrderState::AwaitingApproval {
            OrderState::Rejected
        } else {
            OrderState::Cancelled
        };
    }
    if vxc.is_pending_approval() {
        return OrderState::AwaitingApproval;
    }
    match status {
        ProvisioningStatus::Live => OrderState::Live,
        ProvisioningStatus::Configured => OrderState::Configured,
        _ => OrderState::Deployable,
    }
}

/// Reads "VLAN 10 not available on MEGAPORT service 74841 ..." into (vlan, nServiceId).
fn parse_vlan_clash(message: &str) -> Option<(i64, Option<i64>)> {
    let lower = message.to_ascii_lowercase();
    if !(lower.contains("vlan") && lower.contains("not available")) {
        return None;
    }
    let number_after = |marker: &str| {
        lower.find(marker).and_then(|at| {
            lower[at + marker.len()..]
                .trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|digits| digits.parse::<i64>().ok())
        })
    };
    Some((number_after("vlan")?, number_after("service")))
}

/// The A-end Port's identifiers, as Megaport's messages name it (uid or nServiceId).
#[derive(Debug, Clone, Default)]
pub(super) struct PortIds {
    pub(super) uid: String,
    pub(super) n_service_id: Option<i64>,
}

impl PortIds {
    pub(super) fn of(product: &Product) -> Self {
        Self {
            uid: product.product_uid.clone(),
            n_service_id: product.n_service_id,
        }
    }
}

/// Maps Megaport's refusal of an order to the most specific reason; `a_end` names the A-end Port
/// (for a VLAN clash: which end).
pub(super) fn refusal(error: MegaportError, a_end: &PortIds, b_end_uid: &str, key: &str) -> Error {
    let message = error.message().to_owned();
    let lower = message.to_ascii_lowercase();
    if !matches!(
        error,
        MegaportError::Invalid(_) | MegaportError::Conflict(_) | MegaportError::NotFound(_)
    ) {
        return crate::error::upstream(error);
    }
    if let Some((vlan, service)) = parse_vlan_clash(&message) {
        let on_a = service.is_none_or(|id| Some(id) == a_end.n_service_id);
        let (field, port_uid) = if on_a {
            ("spec.a_end_vlan", a_end.uid.as_str())
        } else {
            ("b_end", b_end_uid)
        };
        let end = if on_a { "a-end" } else { "b-end" };
        return Error::FailedPrecondition {
            reason: ErrorReason::VlanInUse,
            message: format!("vlan {vlan} is in use on the {end} port {port_uid}"),
        }
        .with_meta("field", field)
        .with_meta("port_uid", port_uid)
        .with_meta("vlan", vlan.to_string());
    }
    let keyed = |reason, text: &str| {
        Error::FailedPrecondition {
            reason,
            message: format!("service key {key}: {text}"),
        }
        .with_meta("key", key)
    };
    if lower.contains("could not find service key") {
        return Error::NotFound {
            reason: ErrorReason::KeyNotFound,
            message: format!("service key {key} not found"),
        }
        .with_meta("key", key);
    }
    if lower.contains("has expired") {
        return keyed(ErrorReason::KeyExpired, "the key's validity has ended");
    }
    if lower.contains("not active") {
        return keyed(ErrorReason::KeyInactive, "the key has been deactivated");
    }
    if lower.contains("not valid yet") {
        return keyed(ErrorReason::KeyNotYetValid, "the key is not valid yet");
    }
    if lower.contains("already been used") {
        return keyed(ErrorReason::KeyUsed, "the single-use key has been used");
    }
    crate::error::upstream(error)
}

/// The reason and message recorded on a FAILED order for `error`.
pub(super) fn failure_of(error: &Error) -> (ErrorReason, String) {
    (error.reason(), error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::tests::spec;

    fn fields(violations: &[FieldViolation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn a_good_spec_passes_and_each_bad_field_is_named_with_its_limit() {
        assert!(check_spec(&spec()).is_empty());
        let cases: Vec<(OrderSpec, &str, &str)> = vec![
            (
                OrderSpec {
                    term_months: 48,
                    ..spec()
                },
                "spec.term_months",
                "1, 12, 24, 36",
            ),
            (
                OrderSpec {
                    rate_limit_mbps: 0,
                    ..spec()
                },
                "spec.rate_limit_mbps",
                "at least 1",
            ),
            (
                OrderSpec {
                    a_end_vlan: 1,
                    ..spec()
                },
                "spec.a_end_vlan",
                "2 and 4093",
            ),
            (
                OrderSpec {
                    a_end_vlan: 4094,
                    ..spec()
                },
                "spec.a_end_vlan",
                "2 and 4093",
            ),
            (
                OrderSpec {
                    service_key: "nope".into(),
                    ..spec()
                },
                "spec.service_key",
                "UUID",
            ),
            (
                OrderSpec {
                    a_end_port_uid: " ".into(),
                    ..spec()
                },
                "spec.a_end_port_uid",
                "required",
            ),
            (
                OrderSpec {
                    name: "x".repeat(65),
                    ..spec()
                },
                "spec.name",
                "1-64",
            ),
        ];
        for (bad, field, limit) in cases {
            let violations = check_spec(&bad);
            assert_eq!(fields(&violations), [field]);
            assert!(
                violations[0].description.contains(limit),
                "{field}: {}",
                violations[0].description
            );
        }
    }

    fn key(json: serde_json::Value) -> ServiceKey {
        serde_json::from_value(json).expect("key decodes")
    }

    #[test]
    fn unusable_keys_say_why_in_precedence_order() {
        let now = OffsetDateTime::now_utc();
        let ms = |offset_s: i64| (now.unix_timestamp() + offset_s) * 1000;
        let usable = key(serde_json::json!({
            "key": "k", "active": true, "singleUse": true,
            "validFor": {"start": ms(-60), "end": ms(3600)}
        }));
        assert_eq!(key_unusable(&usable, now), None);
        let used = key(serde_json::json!({
            "key": "k", "active": false, "singleUse": true, "lastUsed": ms(-5)
        }));
        assert_eq!(
            key_unusable(&used, now).map(|u| u.reason),
            Some(ErrorReason::KeyUsed)
        );
        let inactive = key(serde_json::json!({"key": "k", "active": false}));
        assert_eq!(
            key_unusable(&inactive, now).map(|u| u.reason),
            Some(ErrorReason::KeyInactive)
        );
        let expired = key(serde_json::json!({
            "key": "k", "active": true, "validFor": {"start": ms(-7200), "end": ms(-3600)}
        }));
        assert_eq!(
            key_unusable(&expired, now).map(|u| u.reason),
            Some(ErrorReason::KeyExpired)
        );
        let early = key(serde_json::json!({
            "key": "k", "active": true, "validFor": {"start": ms(3600), "end": null}
        }));
        assert_eq!(
            key_unusable(&early, now).map(|u| u.reason),
            Some(ErrorReason::KeyNotYetValid)
        );
    }

    fn vxc(status: &str, approval: Option<&str>) -> Vxc {
        serde_json::from_value(serde_json::json!({
            "productUid": "v1",
            "provisioningStatus": status,
            "vxcApproval": {"status": approval}
        }))
        .expect("vxc decodes")
    }

    #[test]
    fn megaport_vxc_states_map_to_order_states() {
        use OrderState::*;
        assert_eq!(
            observe(&vxc("DEPLOYABLE", Some("PENDING")), Deployable),
            AwaitingApproval
        );
        assert_eq!(observe(&vxc("DEPLOYABLE", None), Submitting), Deployable);
        assert_eq!(observe(&vxc("CONFIGURED", None), Deployable), Configured);
        assert_eq!(observe(&vxc("LIVE", None), Configured), Live);
        assert_eq!(
            observe(&vxc("DECOMMISSIONED", None), AwaitingApproval),
            Rejected
        );
        assert_eq!(observe(&vxc("CANCELLED", None), Deployable), Cancelled);
        for state in OrderState::ALL {
            assert_eq!(OrderState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn vlan_clash_messages_name_the_vlan_and_service() {
        assert_eq!(
            parse_vlan_clash(
                "VLAN 10 not available on MEGAPORT service 74841 (next available VLAN is 2)"
            ),
            Some((10, Some(74841)))
        );
        assert_eq!(parse_vlan_clash("Invalid term 48"), None);
    }
}
