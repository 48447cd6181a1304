//! The auto-approval policy: a rule approving speed changes up to the key's max speed for a
//! known customer_ref approves one without the provider, and the decision is audited under the
//! rule's name; the same change from a customer the rule does not name waits for the provider.

use std::time::Duration;

use crate::support::approvals::*;
use crate::support::orders::*;
use crate::support::{SandboxedServer, within};
use megaport_sandbox::{SandboxConfig, SandboxLimits};
use onramp_proto::admin_service_client::AdminServiceClient;
use onramp_proto::approval_service_client::ApprovalServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{
    ApprovalStatus, ApprovalType, ApproveApprovalRequest, ChangeVxcRequest,
    ListAuditRecordsRequest, VxcOrder, VxcOrderState,
};
use onramp_server::config::AutoApproveRuleSetting;
use tonic::transport::Channel;

/// A LIVE order bought with a key minted for `customer_ref`, its NEW_ORDER approved by hand.
async fn live_order(channel: &Channel, customer_ref: &str, vlan: i32) -> VxcOrder {
    let key = key_for(channel, customer_ref, vlan).await;
    let order = acme_buys(channel, &key, customer_ref).await;
    let new_order = approval_of(channel, &order.vxc_uid, &[ApprovalStatus::Pending]).await;
    assert_eq!(
        new_order.r#type(),
        ApprovalType::NewOrder,
        "the rule takes speed changes only"
    );
    within(
        ApprovalServiceClient::new(channel.clone()).approve_approval(ApproveApprovalRequest {
            approval_uid: new_order.approval_uid,
            comment: String::new(),
        }),
    )
    .await
    .expect("approve");
    wait_for_state(channel, &order.order_id, VxcOrderState::Live).await;
    order
}

async fn faster(channel: &Channel, vxc_uid: &str) {
    within(
        VxcOrderServiceClient::new(channel.clone()).change_vxc(ChangeVxcRequest {
            account: "acme".into(),
            vxc_uid: vxc_uid.to_owned(),
            rate_limit_mbps: 500,
            request_id: request_id(),
            ..Default::default()
        }),
    )
    .await
    .expect("change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_customers_upgrade_is_approved_by_the_policy_and_audited() {
    let sandbox = SandboxConfig {
        limits: SandboxLimits {
            per_service_update: None,
            ..SandboxLimits::default()
        },
        ..fast_sandbox()
    };
    let mut config = inbox_config();
    config.megaport.budget.service_update_interval_seconds = 0;
    config.approvals.auto_approve = vec![AutoApproveRuleSetting {
        name: "upgrades".into(),
        types: vec!["SPEED_CHANGE".into()],
        customer_refs: vec!["acme-known".into()],
        max_rate_limit_mbps: 0,
    }];
    let env = SandboxedServer::start_with(sandbox, config).await;
    let channel = env.server.channel.clone();
    let known = live_order(&channel, "acme-known", 396).await;
    let stranger = live_order(&channel, "acme-stranger", 397).await;

    faster(&channel, &known.vxc_uid).await;
    faster(&channel, &stranger.vxc_uid).await;
    let approved = approval_where(&channel, &[ApprovalStatus::Approved], |a| {
        a.vxc_uid == known.vxc_uid && a.r#type() == ApprovalType::SpeedChange
    })
    .await;
    assert!(
        approved.comment.contains("rule upgrades"),
        "{}",
        approved.comment
    );

    // The decision is in the audit log under the rule's name.
    let records = within(AdminServiceClient::new(channel.clone()).list_audit_records(
        ListAuditRecordsRequest {
            caller: "auto-approve:upgrades".into(),
            ..Default::default()
        },
    ))
    .await
    .expect("audit")
    .into_inner()
    .audit_records;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0].resource,
        format!("approvals/{}", approved.approval_uid)
    );
    assert_eq!(records[0].rpc, "/onramp.v1.ApprovalService/ApproveApproval");
    assert_eq!(records[0].code, 0);

    // The stranger's change still waits for the provider after several inbox reads.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting = approval_of(&channel, &stranger.vxc_uid, &[ApprovalStatus::Pending]).await;
    assert_eq!(waiting.r#type(), ApprovalType::SpeedChange);
}
