//! Helpers of the approval inbox tests: an onramp reading the inbox every second, keys that
//! are not pre-approved minted through onramp, and waits for an approval or an order state.

#![allow(dead_code)]

use std::time::Duration;

use onramp_proto::approval_service_client::ApprovalServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{
    Approval, ApprovalStatus, CreateServiceKeyRequest, GetVxcOrderRequest, ListApprovalsRequest,
    VxcOrderState,
};
use tonic::transport::Channel;

use crate::support::orders::{LA1_BLUE, orders_config, request_id};
use crate::support::within;

pub(crate) fn inbox_config() -> onramp_server::config::Config {
    let mut config = orders_config();
    config.approvals.poll_interval_seconds = 1;
    config
}

/// A key on LA1 that is not pre-approved, minted through onramp with a customer_ref.
pub(crate) async fn key_for(channel: &Channel, customer_ref: &str, vlan: i32) -> String {
    within(
        ServiceKeyServiceClient::new(channel.clone()).create_service_key(CreateServiceKeyRequest {
            port_uid: LA1_BLUE.into(),
            single_use: true,
            vlan: Some(vlan),
            max_speed_mbps: 1000,
            pre_approved: false,
            customer_ref: customer_ref.into(),
            request_id: request_id(),
            ..Default::default()
        }),
    )
    .await
    .expect("key")
    .into_inner()
    .service_key
    .expect("service_key")
    .key
}

/// The approval of `vxc_uid` among those in `statuses`, once the inbox has it.
pub(crate) async fn approval_of(
    channel: &Channel,
    vxc_uid: &str,
    statuses: &[ApprovalStatus],
) -> Approval {
    approval_where(channel, statuses, |a| a.vxc_uid == vxc_uid).await
}

/// The first approval among those in `statuses` that `wanted` takes, once the inbox has it.
pub(crate) async fn approval_where(
    channel: &Channel,
    statuses: &[ApprovalStatus],
    wanted: impl Fn(&Approval) -> bool,
) -> Approval {
    let mut inbox = ApprovalServiceClient::new(channel.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let listed = within(inbox.list_approvals(ListApprovalsRequest {
            statuses: statuses.iter().map(|s| (*s).into()).collect(),
            ..Default::default()
        }))
        .await
        .expect("list")
        .into_inner();
        assert!(listed.refresh_time.is_some());
        if let Some(found) = listed.approvals.into_iter().find(|a| wanted(a)) {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no such approval among {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) async fn wait_for_state(channel: &Channel, order_id: &str, state: VxcOrderState) {
    let mut orders = VxcOrderServiceClient::new(channel.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = within(orders.get_vxc_order(GetVxcOrderRequest {
            order_id: order_id.to_owned(),
        }))
        .await
        .expect("get")
        .into_inner()
        .order
        .expect("order");
        if now.state() == state {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "order {:?}, not {state:?}",
            now.state()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `call`, retried while it fails as Megaport's faults make it fail (UNAVAILABLE: a 503, or an
/// answer lost after the change), until it succeeds; how many attempts it took. An unknown
/// outcome must carry metadata `names` (key, value).
pub(crate) async fn retried<T, F, Fut>(
    what: &str,
    names: (&str, &str),
    mut call: F,
) -> (T, Attempts)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let mut unknown = 0;
    for attempt in 1..=10 {
        match within(call()).await {
            Ok(response) => {
                let attempts = Attempts {
                    tries: attempt,
                    unknown,
                };
                return (response.into_inner(), attempts);
            }
            Err(status) => {
                assert_eq!(
                    status.code(),
                    tonic::Code::Unavailable,
                    "{what}: {status:?}"
                );
                if crate::support::reason(&status) == "UPSTREAM_OUTCOME_UNKNOWN" {
                    // The caller learns what to retry or follow, as error_reason.proto promises.
                    let (key, value) = names;
                    assert_eq!(
                        crate::support::orders::meta(&status, key).as_deref(),
                        Some(value),
                        "{what}: {status:?}"
                    );
                    unknown += 1;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("{what} did not succeed in 10 attempts");
}

/// How many times a call was made before it succeeded, and how many of its failures left the
/// outcome unknown.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempts {
    pub(crate) tries: usize,
    pub(crate) unknown: usize,
}
