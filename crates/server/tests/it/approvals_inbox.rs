//! The provider's approval inbox through gRPC on a sandbox the test drives: a customer buys
//! with a key that is not pre-approved, the inbox lists it with the key and customer_ref, the
//! provider approves (safely retried, even when Megaport's answer is lost) and the order goes
//! LIVE; an approval left alone expires and shows EXPIRED, in the inbox and on the order; and a
//! prospect with only a location gets the price validate gives later.

use std::time::Duration;

use crate::support::approvals::*;
use crate::support::orders::*;
use crate::support::{SandboxedServer, reason, within};
use megaport_sandbox::{Fault, FaultKind, RouteGroup};
use onramp_proto::approval_service_client::ApprovalServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{
    ApprovalStatus, ApprovalType, ApproveApprovalRequest, CancelVxcRequest, ChangeVxcRequest,
    GetVxcOrderRequest, ProvisioningStatus, QuoteVxcCancellationRequest, QuoteVxcChangeRequest,
    QuoteVxcRequest, RejectApprovalRequest, UncancelVxcRequest, ValidateVxcOrderRequest,
    VxcOrderState,
};
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_lists_who_and_what_and_an_approval_survives_a_lost_answer() {
    let env = SandboxedServer::start_with(fast_sandbox(), inbox_config()).await;
    let channel = env.server.channel.clone();
    let key = key_for(&channel, "acme-gpu-42", 390).await;
    let order = acme_buys(&channel, &key, "acme to quantumgpu, needs approval").await;
    assert_eq!(order.state(), VxcOrderState::AwaitingApproval);

    // The inbox names an approval's key once the key watcher has seen the VXC on it: a read of
    // the inbox just before that lists the approval without, and the next read adds it.
    let pending = approval_where(&channel, &[], |a| {
        a.vxc_uid == order.vxc_uid && !a.service_key.is_empty()
    })
    .await;
    assert_eq!(pending.r#type(), ApprovalType::NewOrder);
    assert_eq!(pending.status(), ApprovalStatus::Pending);
    assert_eq!(pending.requester, "Acme");
    assert_eq!(pending.service_key, key);
    assert_eq!(pending.customer_ref, "acme-gpu-42");
    assert_eq!(
        pending.on_ramp.as_ref().expect("on_ramp").port_uid,
        LA1_BLUE
    );
    assert_eq!(pending.requested_rate_limit_mbps, 100);
    assert_eq!(pending.requested_term_months, 12);
    assert!(pending.create_time.is_some() && pending.expire_time.is_some());

    // Megaport takes the approval but the answer is lost: onramp reads the inbox back.
    env.sandbox
        .control()
        .inject_fault(
            Fault::new(RouteGroup::ApprovalDecide, FaultKind::DropAfterCommit).with_count(1),
        )
        .expect("fault");
    let mut inbox = ApprovalServiceClient::new(channel.clone());
    let approve = || ApproveApprovalRequest {
        approval_uid: pending.approval_uid.clone(),
        comment: "welcome aboard".into(),
    };
    let approved = loop {
        match within(inbox.approve_approval(approve())).await {
            Ok(response) => break response.into_inner().approval.expect("approval"),
            Err(status) if status.code() == Code::Unavailable => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(status) => panic!("approve: {status:?}"),
        }
    };
    assert_eq!(approved.status(), ApprovalStatus::Approved);
    assert_eq!(approved.comment, "welcome aboard");
    // A retry is done already; the other decision is refused with the status.
    let again = within(inbox.approve_approval(approve()))
        .await
        .expect("retry")
        .into_inner()
        .approval
        .expect("approval");
    assert_eq!(again.status(), ApprovalStatus::Approved);
    let refused = within(inbox.reject_approval(RejectApprovalRequest {
        approval_uid: pending.approval_uid.clone(),
        comment: String::new(),
    }))
    .await
    .expect_err("decided");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "APPROVAL_NOT_PENDING");
    let decisions = env.sandbox.control().arrivals(RouteGroup::Approvals).len();
    assert!(decisions >= 2, "reads and one decision: {decisions}");

    // The order follows to LIVE.
    wait_for_state(&channel, &order.order_id, VxcOrderState::Live).await;

    // Wrong requests name the field.
    let status = within(inbox.approve_approval(ApproveApprovalRequest {
        approval_uid: String::new(),
        comment: "x".repeat(501),
    }))
    .await
    .expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = within(inbox.approve_approval(ApproveApprovalRequest {
        approval_uid: "00000000-0000-0000-0000-000000000000".into(),
        comment: String::new(),
    }))
    .await
    .expect_err("unknown");
    assert_eq!(reason(&status), "APPROVAL_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_left_alone_expires() {
    let env = SandboxedServer::start_with(fast_sandbox(), inbox_config()).await;
    let channel = env.server.channel.clone();
    let key = key_for(&channel, "acme-slow", 391).await;
    let order = acme_buys(&channel, &key, "left alone").await;
    approval_of(&channel, &order.vxc_uid, &[ApprovalStatus::Pending]).await;

    env.sandbox
        .control()
        .advance_clock(Duration::from_secs(7 * 86_400 + 60));
    let expired = approval_of(&channel, &order.vxc_uid, &[ApprovalStatus::Expired]).await;
    assert_eq!(expired.status(), ApprovalStatus::Expired);
    assert!(expired.decide_time.is_some());
    let status = within(
        ApprovalServiceClient::new(channel.clone()).approve_approval(ApproveApprovalRequest {
            approval_uid: expired.approval_uid.clone(),
            comment: String::new(),
        }),
    )
    .await
    .expect_err("expired");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "APPROVAL_NOT_PENDING");
    assert!(status.message().contains("expired"), "{}", status.message());

    // The order says so too.
    let order = within(VxcOrderServiceClient::new(channel.clone()).get_vxc_order(
        GetVxcOrderRequest {
            order_id: order.order_id.clone(),
        },
    ))
    .await
    .expect("get")
    .into_inner()
    .order
    .expect("order");
    assert_eq!(order.state(), VxcOrderState::Expired);
    assert_eq!(
        order.state_message,
        "the key's owner did not decide before the approval expired"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prospect_with_only_a_location_gets_the_price_validate_gives_later() {
    let env = SandboxedServer::start_with(fast_sandbox(), inbox_config()).await;
    let channel = env.server.channel.clone();
    let mut orders = VxcOrderServiceClient::new(channel.clone());
    // The prospect is at Equinix LA1 (59), where Acme's Port will be.
    let quote = within(orders.quote_vxc(QuoteVxcRequest {
        account: String::new(),
        location_id: 59,
        port_uid: LA1_BLUE.into(),
        rate_limit_mbps: 500,
        term_months: 12,
    }))
    .await
    .expect("quote")
    .into_inner();
    let price = quote.price.expect("price");
    assert_eq!(
        (price.currency.as_str(), price.monthly_rate.as_str()),
        ("USD", "153")
    );
    assert_eq!(quote.monthly_rack_rate, "170");
    assert_eq!(quote.on_ramp.expect("on_ramp").port_uid, LA1_BLUE);

    // SelectOnRamps prices what it chooses when asked: (20 + 0.3 x 1000) x 0.9 for each.
    let selection = within(
        onramp_proto::catalog_service_client::CatalogServiceClient::new(channel.clone())
            .select_on_ramps(onramp_proto::SelectOnRampsRequest {
                scope: Some(onramp_proto::select_on_ramps_request::Scope::Region(
                    "us-west".into(),
                )),
                rate_limit_mbps: 1000,
                diversity: onramp_proto::DiversityPreference::Required.into(),
                price: Some(onramp_proto::SelectionPriceRequest {
                    location_id: 59,
                    term_months: 12,
                }),
                ..Default::default()
            }),
    )
    .await
    .expect("select")
    .into_inner();
    let priced: Vec<(String, String)> = selection
        .prices
        .iter()
        .map(|p| {
            (
                p.port_uid.clone(),
                p.price.clone().expect("price").monthly_rate,
            )
        })
        .collect();
    let chosen: Vec<(String, String)> = selection
        .chosen
        .iter()
        .map(|o| (o.port_uid.clone(), "288".to_owned()))
        .collect();
    assert_eq!(priced, chosen);

    // Later, with a Port and a key: the same monthly rate.
    let key = key_for(&channel, "prospect", 392).await;
    let validated = within(orders.validate_vxc_order(ValidateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(spec(&key, "prospect's vxc", 500)),
    }))
    .await
    .expect("validate")
    .into_inner();
    assert_eq!(
        validated.price.expect("price").monthly_rate,
        price.monthly_rate
    );

    // Wrong inputs name the field; an on-ramp that is not the provider's is not found.
    let status = within(orders.quote_vxc(QuoteVxcRequest {
        location_id: 0,
        port_uid: LA1_BLUE.into(),
        rate_limit_mbps: 0,
        term_months: 7,
        ..Default::default()
    }))
    .await
    .expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = tonic_types::StatusExt::get_error_details(&status)
        .bad_request()
        .expect("bad request")
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(fields, ["rate_limit_mbps", "term_months", "location_id"]);
    let status = within(orders.quote_vxc(QuoteVxcRequest {
        location_id: 59,
        port_uid: ACME_PORT.into(),
        rate_limit_mbps: 100,
        term_months: 1,
        ..Default::default()
    }))
    .await
    .expect_err("not an on-ramp");
    assert_eq!(reason(&status), "ON_RAMP_NOT_FOUND");
}

/// The connection after LIVE, end to end: a key that is not pre-approved, the inbox's
/// NEW_ORDER approved, LIVE; a faster rate quoted, asked for and approved as a SPEED_CHANGE;
/// the cancellation quoted, made at the end of the term, taken back, then made now. Every step
/// retried with its request and sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_live_a_speed_change_is_approved_and_the_vxc_is_cancelled() {
    // Megaport's one update per VXC per 5 minutes would space these steps 5 minutes apart.
    let sandbox = megaport_sandbox::SandboxConfig {
        limits: megaport_sandbox::SandboxLimits {
            per_service_update: None,
            ..megaport_sandbox::SandboxLimits::default()
        },
        ..fast_sandbox()
    };
    let mut config = inbox_config();
    config.megaport.budget.service_update_interval_seconds = 0;
    let env = SandboxedServer::start_with(sandbox, config).await;
    let channel = env.server.channel.clone();
    let control = env.sandbox.control();
    let key = key_for(&channel, "acme-lifecycle", 393).await;
    let order = acme_buys(&channel, &key, "acme lifecycle").await;
    let vxc_uid = order.vxc_uid.clone();
    let mut inbox = ApprovalServiceClient::new(channel.clone());
    let mut orders = VxcOrderServiceClient::new(channel.clone());

    let new_order = approval_of(&channel, &vxc_uid, &[ApprovalStatus::Pending]).await;
    within(inbox.approve_approval(ApproveApprovalRequest {
        approval_uid: new_order.approval_uid,
        comment: String::new(),
    }))
    .await
    .expect("approve the order");
    wait_for_state(&channel, &order.order_id, VxcOrderState::Live).await;

    // 100 -> 500 Mbps: priced first, then asked for; it waits for the provider.
    let quote = within(orders.quote_vxc_change(QuoteVxcChangeRequest {
        account: "acme".into(),
        vxc_uid: vxc_uid.clone(),
        rate_limit_mbps: 500,
        term_months: 0,
    }))
    .await
    .expect("quote change")
    .into_inner();
    assert_eq!(quote.current.expect("current").monthly_rate, "45");
    assert_eq!(quote.changed.expect("changed").monthly_rate, "153");
    let change = ChangeVxcRequest {
        account: "acme".into(),
        vxc_uid: vxc_uid.clone(),
        rate_limit_mbps: 500,
        term_months: 0,
        request_id: request_id(),
        shutdown: None,
    };
    for attempt in 0..2 {
        let vxc = within(orders.change_vxc(change.clone()))
            .await
            .expect("change")
            .into_inner()
            .vxc
            .expect("vxc");
        assert!(vxc.approval_pending, "attempt {attempt}");
        assert_eq!(
            (vxc.rate_limit_mbps, vxc.pending_rate_limit_mbps),
            (100, 500)
        );
    }
    assert_eq!(
        control.requests(RouteGroup::VxcUpdate),
        1,
        "the retry sent nothing"
    );
    let speed_change = approval_of(&channel, &vxc_uid, &[ApprovalStatus::Pending]).await;
    assert_eq!(speed_change.r#type(), ApprovalType::SpeedChange);
    assert_eq!(speed_change.requested_rate_limit_mbps, 500);
    assert_eq!(speed_change.current_rate_limit_mbps, 100);
    assert_eq!(speed_change.customer_ref, "acme-lifecycle");
    within(inbox.approve_approval(ApproveApprovalRequest {
        approval_uid: speed_change.approval_uid,
        comment: "ok".into(),
    }))
    .await
    .expect("approve the speed change");
    // A replay of the request answers as the first call did; the same request_id asking for
    // something else is refused; a new request for what the VXC already is sends nothing.
    let replayed = within(orders.change_vxc(change.clone()))
        .await
        .expect("replay")
        .into_inner()
        .vxc
        .expect("vxc");
    assert_eq!(
        (replayed.rate_limit_mbps, replayed.pending_rate_limit_mbps),
        (100, 500),
        "the first answer"
    );
    let reused = within(orders.change_vxc(ChangeVxcRequest {
        rate_limit_mbps: 200,
        ..change.clone()
    }))
    .await
    .expect_err("reused");
    assert_eq!(reason(&reused), "REQUEST_ID_REUSED");
    let changed = within(orders.change_vxc(ChangeVxcRequest {
        request_id: request_id(),
        ..change.clone()
    }))
    .await
    .expect("change again")
    .into_inner()
    .vxc
    .expect("vxc");
    assert_eq!(
        (changed.rate_limit_mbps, changed.approval_pending),
        (500, false)
    );
    assert_eq!(
        control.requests(RouteGroup::VxcUpdate),
        1,
        "nothing more was sent"
    );

    // The cancellation: priced, at the end of the term (retried), taken back, then now.
    let charges = within(orders.quote_vxc_cancellation(QuoteVxcCancellationRequest {
        account: "acme".into(),
        vxc_uid: vxc_uid.clone(),
    }))
    .await
    .expect("charges")
    .into_inner();
    assert_eq!(charges.currency, "USD");
    assert_eq!(charges.remaining_months, 11, "a 12-month term just begun");
    assert_eq!(charges.total_charge, "1683", "11 months of 153");
    let cancel = |now: bool| CancelVxcRequest {
        account: "acme".into(),
        vxc_uid: vxc_uid.clone(),
        now,
        request_id: request_id(),
    };
    let later = cancel(false);
    let sent_before = control.requests(RouteGroup::Lifecycle);
    for _ in 0..2 {
        let vxc = within(orders.cancel_vxc(later.clone()))
            .await
            .expect("cancel later")
            .into_inner()
            .vxc
            .expect("vxc");
        assert_eq!(vxc.provisioning_status(), ProvisioningStatus::Cancelled);
    }
    assert_eq!(
        control.requests(RouteGroup::Lifecycle),
        sent_before + 1,
        "the retry sent nothing"
    );
    let restored = within(orders.uncancel_vxc(UncancelVxcRequest {
        account: "acme".into(),
        vxc_uid: vxc_uid.clone(),
        request_id: request_id(),
    }))
    .await
    .expect("uncancel")
    .into_inner()
    .vxc
    .expect("vxc");
    assert_eq!(restored.provisioning_status(), ProvisioningStatus::Live);
    let ended = within(orders.cancel_vxc(cancel(true)))
        .await
        .expect("cancel now")
        .into_inner()
        .vxc
        .expect("vxc");
    assert_eq!(
        ended.provisioning_status(),
        ProvisioningStatus::Decommissioning
    );
    let refused = within(orders.change_vxc(ChangeVxcRequest {
        request_id: request_id(),
        ..change
    }))
    .await
    .expect_err("ended");
    assert_eq!(reason(&refused), "VXC_ENDED");
}
