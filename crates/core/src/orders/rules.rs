//! The local rules of an order, pure and free of I/O: the spec's syntax, whether a key can be
//! used now, the order state a Megaport VXC stands for, and what Megaport's refusals mean.

use time::OffsetDateTime;

use super::upstream::{Refusal, UpstreamFailure};
use super::{
    COST_CENTRE_MAX_CHARS, NAME_MAX_CHARS, Order, OrderSpec, OrderState, OrderVxc,
    PROMO_CODE_MAX_CHARS, TERMS, Unusable,
};
use crate::error::{Error, ErrorReason, FieldViolation};
use crate::keys::{UpstreamKey, VLAN_MAX, VLAN_MIN, check_key};
use crate::onramps::ProvisioningStatus;

/// Every syntax problem of a spec, each naming the field and its limit. Needs nothing upstream.
/// A VXC's rate and term, as every order and quote takes them.
pub(super) fn check_rate_and_term(rate_limit_mbps: i64, term_months: i32) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if rate_limit_mbps < 1 {
        violations.push(FieldViolation::new(
            "rate_limit_mbps",
            format!(
                "must be at least 1 mbps (and at most the key's max speed and both ports' speeds), got {rate_limit_mbps}"
            ),
        ));
    }
    if !TERMS.contains(&term_months) {
        violations.push(FieldViolation::new(
            "term_months",
            format!("must be one of 1, 12, 24, 36, got {term_months}"),
        ));
    }
    violations
}

pub fn check_spec(spec: &OrderSpec) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    violations.extend(check_key("spec.service_key", &spec.service_key));
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
    violations.extend(
        check_rate_and_term(spec.rate_limit_mbps, spec.term_months)
            .into_iter()
            .map(|violation| {
                FieldViolation::new(format!("spec.{}", violation.field), violation.description)
            }),
    );
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
pub fn key_unusable(key: &UpstreamKey, now: OffsetDateTime) -> Option<Unusable> {
    let unusable = |reason, message: &str| {
        Some(Unusable {
            reason,
            message: message.to_owned(),
        })
    };
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
    if key.expired || key.valid_until.is_some_and(|end| end < now) {
        return unusable(ErrorReason::KeyExpired, "the key's validity has ended");
    }
    if key.valid_from.is_some_and(|start| start > now) {
        return unusable(ErrorReason::KeyNotYetValid, "the key is not valid yet");
    }
    if key.invalid {
        return unusable(
            ErrorReason::KeyInactive,
            "megaport reports the key as not valid",
        );
    }
    None
}

/// The order state a VXC read from Megaport stands for, given the state before.
pub fn observe(vxc: &OrderVxc, previous: OrderState) -> OrderState {
    let was_live = previous.has_been_live();
    match vxc.status {
        ProvisioningStatus::Cancelled if was_live => return OrderState::Cancelling,
        ProvisioningStatus::Decommissioning if was_live => return OrderState::Decommissioning,
        ProvisioningStatus::Decommissioned if was_live => return OrderState::Decommissioned,
        // A VXC that disappears while it waits for approval was rejected by the key's owner,
        // or nobody decided in time; one that ends before it went live was cancelled.
        _ if vxc.status.is_ending() => {
            return match previous {
                OrderState::AwaitingApproval if vxc.approval_expired => OrderState::Expired,
                OrderState::AwaitingApproval => OrderState::Rejected,
                _ => OrderState::Cancelled,
            };
        }
        _ => {}
    }
    if vxc.pending_approval {
        return if was_live {
            OrderState::ChangeAwaitingApproval
        } else {
            OrderState::AwaitingApproval
        };
    }
    match vxc.status {
        ProvisioningStatus::Live => OrderState::Live,
        // Megaport may show a live VXC as configuring again while a change is applied.
        _ if was_live => OrderState::Live,
        ProvisioningStatus::Configured => OrderState::Configured,
        _ => OrderState::Deployable,
    }
}

/// What an order's state_message says after it moved from `before` to `after` on observing
/// `vxc`; None when nothing a reader cares about changed.
pub fn transition_message(before: &Order, after: &Order, vxc: &OrderVxc) -> Option<String> {
    let seen = before.vxc.as_ref();
    if after.state == before.state {
        let seen = seen?;
        return if after.state == OrderState::Live
            && (seen.rate_limit_mbps, seen.term_months) != (vxc.rate_limit_mbps, vxc.term_months)
        {
            Some(format!(
                "the vxc now runs at {} mbps for {} months",
                vxc.rate_limit_mbps, vxc.term_months
            ))
        } else if seen.shutdown != vxc.shutdown {
            Some(if vxc.shutdown {
                "the vxc is shut down: no traffic passes".to_owned()
            } else {
                "the vxc is back in service after a shutdown".to_owned()
            })
        } else {
            None
        };
    }
    Some(match after.state {
        OrderState::Rejected => "the key's owner rejected the vxc".to_owned(),
        OrderState::Expired => {
            "the key's owner did not decide before the approval expired".to_owned()
        }
        OrderState::Cancelled => "the vxc was cancelled in megaport".to_owned(),
        OrderState::AwaitingApproval => format!("waiting for approval by {}", after.approver),
        OrderState::ChangeAwaitingApproval => format!(
            "the change to {} waits for approval by {}",
            change(vxc.pending_rate_limit_mbps, vxc.pending_term_months),
            after.approver
        ),
        OrderState::Live if before.state == OrderState::ChangeAwaitingApproval => {
            let asked = seen.map_or_else(String::new, |seen| {
                change(seen.pending_rate_limit_mbps, seen.pending_term_months)
            });
            let applied = seen.is_some_and(|seen| {
                seen.pending_rate_limit_mbps
                    .is_none_or(|rate| rate == vxc.rate_limit_mbps)
                    && seen
                        .pending_term_months
                        .is_none_or(|term| term == vxc.term_months)
            });
            if applied {
                format!(
                    "the key's owner approved the change: the vxc runs at {} mbps for {} months",
                    vxc.rate_limit_mbps, vxc.term_months
                )
            } else if vxc.approval_expired {
                format!("the change to {asked} expired before the key's owner decided")
            } else {
                format!("the key's owner rejected the change to {asked}")
            }
        }
        OrderState::Live if before.state == OrderState::Cancelling => {
            "the cancellation was taken back: the vxc stays in service".to_owned()
        }
        OrderState::Cancelling => {
            "cancelled at the end of its term: in service until then".to_owned()
        }
        OrderState::Decommissioning => "the vxc is being decommissioned".to_owned(),
        OrderState::Decommissioned => "the vxc has been decommissioned".to_owned(),
        state => format!("megaport reports the vxc {}", state.as_str().to_lowercase()),
    })
}

/// A change of rate and/or term, as a message names it.
fn change(rate_limit_mbps: Option<i64>, term_months: Option<i32>) -> String {
    match (rate_limit_mbps, term_months) {
        (Some(rate), Some(term)) => format!("{rate} mbps for {term} months"),
        (Some(rate), None) => format!("{rate} mbps"),
        (None, Some(term)) => format!("{term} months"),
        (None, None) => "another rate or term".to_owned(),
    }
}

/// The A-end Port's identifiers, as Megaport's messages name it (uid or numeric service id).
#[derive(Debug, Clone, Default)]
pub(super) struct PortIds {
    pub(super) uid: String,
    pub(super) service_id: Option<i64>,
}

/// Maps Megaport's refusal of an order to the most specific reason; `a_end` names the A-end Port
/// (for a VLAN clash: which end).
pub(super) fn refusal(
    failure: UpstreamFailure,
    a_end: &PortIds,
    b_end_uid: &str,
    key: &str,
) -> Error {
    let UpstreamFailure::Refused { error, refusal } = failure else {
        return failure.into_error();
    };
    let keyed = |reason, text: &str| {
        Error::FailedPrecondition {
            reason,
            message: format!("service key {key}: {text}"),
        }
        .with_meta("key", key)
    };
    match refusal {
        Refusal::VlanInUse { vlan, service_id } => {
            let on_a = service_id.is_none_or(|id| Some(id) == a_end.service_id);
            let (field, port_uid) = if on_a {
                ("spec.a_end_vlan", a_end.uid.as_str())
            } else {
                ("b_end", b_end_uid)
            };
            let end = if on_a { "a-end" } else { "b-end" };
            Error::FailedPrecondition {
                reason: ErrorReason::VlanInUse,
                message: format!("vlan {vlan} is in use on the {end} port {port_uid}"),
            }
            .with_meta("field", field)
            .with_meta("port_uid", port_uid)
            .with_meta("vlan", vlan.to_string())
        }
        Refusal::KeyNotFound => Error::NotFound {
            reason: ErrorReason::KeyNotFound,
            message: format!("service key {key} not found"),
        }
        .with_meta("key", key),
        Refusal::KeyExpired => keyed(ErrorReason::KeyExpired, "the key's validity has ended"),
        Refusal::KeyInactive => keyed(ErrorReason::KeyInactive, "the key has been deactivated"),
        Refusal::KeyNotYetValid => keyed(ErrorReason::KeyNotYetValid, "the key is not valid yet"),
        Refusal::KeyUsed => keyed(ErrorReason::KeyUsed, "the single-use key has been used"),
        Refusal::Other => error,
    }
}

/// The reason and message recorded on a FAILED order for `error`.
pub(super) fn failure_of(error: &Error) -> (ErrorReason, String) {
    (error.reason(), error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::VxcSnapshot;
    use crate::orders::model::tests::spec;

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

    #[test]
    fn unusable_keys_say_why_in_precedence_order() {
        let now = OffsetDateTime::now_utc();
        let at = |offset_s: i64| Some(now + time::Duration::seconds(offset_s));
        let key = |change: &dyn Fn(&mut UpstreamKey)| {
            let mut key = UpstreamKey {
                key: "k".into(),
                active: true,
                ..UpstreamKey::default()
            };
            change(&mut key);
            key
        };
        let usable = key(&|k| {
            k.single_use = true;
            k.valid_from = at(-60);
            k.valid_until = at(3600);
        });
        assert_eq!(key_unusable(&usable, now), None);
        let used = key(&|k| {
            k.active = false;
            k.single_use = true;
            k.last_used = at(-5);
        });
        assert_eq!(
            key_unusable(&used, now).map(|u| u.reason),
            Some(ErrorReason::KeyUsed)
        );
        let inactive = key(&|k| k.active = false);
        assert_eq!(
            key_unusable(&inactive, now).map(|u| u.reason),
            Some(ErrorReason::KeyInactive)
        );
        let expired = key(&|k| {
            k.valid_from = at(-7200);
            k.valid_until = at(-3600);
        });
        assert_eq!(
            key_unusable(&expired, now).map(|u| u.reason),
            Some(ErrorReason::KeyExpired)
        );
        let early = key(&|k| k.valid_from = at(3600));
        assert_eq!(
            key_unusable(&early, now).map(|u| u.reason),
            Some(ErrorReason::KeyNotYetValid)
        );
        let invalid = key(&|k| k.invalid = true);
        assert_eq!(
            key_unusable(&invalid, now).map(|u| u.reason),
            Some(ErrorReason::KeyInactive)
        );
    }

    fn vxc(status: ProvisioningStatus, pending_approval: bool) -> OrderVxc {
        OrderVxc {
            uid: "v1".into(),
            name: String::new(),
            status,
            pending_approval,
            approval_expired: false,
            pending_rate_limit_mbps: None,
            pending_term_months: None,
            rate_limit_mbps: 100,
            term_months: 12,
            cost_centre: String::new(),
            shutdown: false,
            company_name: String::new(),
            a_end: Default::default(),
            b_end: Default::default(),
            create_time: None,
        }
    }

    #[test]
    fn vxc_states_map_to_order_states() {
        use OrderState::*;
        use ProvisioningStatus as Status;
        assert_eq!(
            observe(&vxc(Status::Deployable, true), Deployable),
            AwaitingApproval
        );
        assert_eq!(
            observe(&vxc(Status::Deployable, false), Submitting),
            Deployable
        );
        assert_eq!(
            observe(&vxc(Status::Configured, false), Deployable),
            Configured
        );
        assert_eq!(observe(&vxc(Status::Live, false), Configured), Live);
        assert_eq!(
            observe(&vxc(Status::Decommissioned, false), AwaitingApproval),
            Rejected
        );
        assert_eq!(
            observe(&vxc(Status::Cancelled, false), Deployable),
            Cancelled
        );
        for state in OrderState::ALL {
            assert_eq!(OrderState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn a_vlan_refusal_names_the_end_it_clashed_on() {
        let a_end = PortIds {
            uid: "acme-port".into(),
            service_id: Some(74841),
        };
        let refused = |service_id| UpstreamFailure::Refused {
            error: Error::internal("megaport refused"),
            refusal: Refusal::VlanInUse {
                vlan: 10,
                service_id,
            },
        };
        let on_a = refusal(refused(Some(74841)), &a_end, "provider-port", "k");
        assert_eq!(on_a.reason(), ErrorReason::VlanInUse);
        assert!(on_a.to_string().contains("a-end port acme-port"), "{on_a}");
        let on_b = refusal(refused(Some(1)), &a_end, "provider-port", "k");
        assert!(
            on_b.to_string().contains("b-end port provider-port"),
            "{on_b}"
        );
        let used = refusal(
            UpstreamFailure::Refused {
                error: Error::internal("x"),
                refusal: Refusal::KeyUsed,
            },
            &a_end,
            "b",
            "k",
        );
        assert_eq!(used.reason(), ErrorReason::KeyUsed);
    }

    #[test]
    fn a_vxc_gone_after_its_approval_expired_is_expired_not_rejected() {
        let mut gone = vxc(ProvisioningStatus::Decommissioned, false);
        assert_eq!(
            observe(&gone, OrderState::AwaitingApproval),
            OrderState::Rejected
        );
        gone.approval_expired = true;
        assert_eq!(
            observe(&gone, OrderState::AwaitingApproval),
            OrderState::Expired
        );
        assert_eq!(
            observe(&gone, OrderState::Deployable),
            OrderState::Cancelled
        );
        assert_eq!(observe(&gone, OrderState::Live), OrderState::Decommissioned);
    }

    #[test]
    fn after_live_a_pending_change_a_cancellation_and_the_end_are_states_of_their_own() {
        let mut waiting = vxc(ProvisioningStatus::Live, true);
        assert_eq!(
            observe(&waiting, OrderState::Live),
            OrderState::ChangeAwaitingApproval
        );
        assert_eq!(
            observe(&waiting, OrderState::Deployable),
            OrderState::AwaitingApproval,
            "before live, approval is of the vxc itself"
        );
        waiting.pending_approval = false;
        assert_eq!(
            observe(&waiting, OrderState::ChangeAwaitingApproval),
            OrderState::Live
        );
        let cancelled = vxc(ProvisioningStatus::Cancelled, false);
        assert_eq!(
            observe(&cancelled, OrderState::Live),
            OrderState::Cancelling
        );
        let ending = vxc(ProvisioningStatus::Decommissioning, false);
        assert_eq!(
            observe(&ending, OrderState::Cancelling),
            OrderState::Decommissioning
        );
        let reconfiguring = vxc(ProvisioningStatus::Configured, false);
        assert_eq!(observe(&reconfiguring, OrderState::Live), OrderState::Live);
    }

    #[test]
    fn the_message_after_a_pending_change_says_how_it_was_decided() {
        let mut before = crate::orders::model::tests::order();
        before.state = OrderState::ChangeAwaitingApproval;
        let mut asked = vxc(ProvisioningStatus::Live, true);
        asked.rate_limit_mbps = 100;
        asked.pending_rate_limit_mbps = Some(500);
        before.vxc = Some(VxcSnapshot::of(&asked));
        let mut after = before.clone();
        after.state = OrderState::Live;

        let mut decided = vxc(ProvisioningStatus::Live, false);
        decided.rate_limit_mbps = 500;
        let approved = transition_message(&before, &after, &decided).expect("message");
        assert!(
            approved.contains("approved") && approved.contains("500 mbps"),
            "{approved}"
        );

        decided.rate_limit_mbps = 100;
        let rejected = transition_message(&before, &after, &decided).expect("message");
        assert!(
            rejected.contains("rejected the change to 500 mbps"),
            "{rejected}"
        );

        decided.approval_expired = true;
        let expired = transition_message(&before, &after, &decided).expect("message");
        assert!(expired.contains("expired"), "{expired}");

        let mut live = after.clone();
        live.vxc = Some(VxcSnapshot::of(&decided));
        assert_eq!(transition_message(&live, &live, &decided), None);
        decided.shutdown = true;
        let shut = transition_message(&live, &live, &decided).expect("message");
        assert!(shut.contains("shut down"), "{shut}");
    }
}
