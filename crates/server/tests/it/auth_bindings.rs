//! Callers bound to accounts and customers: a storefront token bound to account `acme` and
//! customer_ref `acme` sees only acme's keys, orders and approvals (lists and streams filtered,
//! another customer's single resource NOT_FOUND), and is refused, audited, when it issues keys
//! for globex or buys as globex. An unbound operator asks the same questions first, so the
//! kept answers are warm with what it sees; the storefront's answers must not come from them.

use std::time::Duration;

use crate::support::approvals::inbox_config;
use crate::support::auth::with_token;
use crate::support::orders::{LA1_BLUE, fast_sandbox, request_id, spec};
use crate::support::{SandboxedServer, reason, within};
use onramp_proto::admin_service_client::AdminServiceClient;
use onramp_proto::approval_service_client::ApprovalServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::watch_service_keys_response::Kind;
use onramp_proto::{
    Approval, ApprovalStatus, ApproveApprovalRequest, CreateServiceKeyRequest,
    CreateVxcOrderRequest, GetServiceKeyRequest, GetVxcOrderRequest, IssueServiceKeysRequest,
    ListApprovalsRequest, ListAuditRecordsRequest, ListServiceKeysRequest, ListVxcOrdersRequest,
    ServiceKey, VxcOrder, WatchServiceKeysRequest,
};
use onramp_server::auth::scopes::Scope;
use onramp_server::auth::settings::TokenSettings;
use onramp_server::auth::tokens::hash_hex;
use tonic::Code;
use tonic::transport::Channel;

const OPERATOR: &str = "operator-token-1";
const STOREFRONT: &str = "storefront-acme-token-1";
/// Globex's own Port, the A-end of the order it buys.
const GLOBEX_PORT: &str = "705fc802-b856-4cd0-86f4-ff71d34d8de3";

fn token(name: &str, secret: &str, scopes: Vec<Scope>, bound_to: &[&str]) -> TokenSettings {
    let names = bound_to.iter().map(|name| (*name).to_owned()).collect();
    TokenSettings {
        name: name.to_owned(),
        sha256: hash_hex(secret),
        scopes,
        revoked: false,
        accounts: bound_to.iter().map(|name| (*name).to_owned()).collect(),
        customer_refs: names,
    }
}

async fn start() -> SandboxedServer {
    let mut config = inbox_config();
    config.auth.tokens = vec![
        token("operator", OPERATOR, vec![Scope::Admin], &[]),
        token(
            "storefront-acme",
            STOREFRONT,
            vec![
                Scope::CatalogRead,
                Scope::KeysRead,
                Scope::KeysWrite,
                Scope::OrdersRead,
                Scope::OrdersWrite,
                Scope::Watch,
            ],
            &["acme"],
        ),
    ];
    SandboxedServer::start_with(fast_sandbox(), config).await
}

/// A single-use key on LA1 for `customer_ref`, not pre-approved, minted by the operator.
async fn key_for(channel: &Channel, customer_ref: &str, vlan: i32) -> String {
    let request = CreateServiceKeyRequest {
        port_uid: LA1_BLUE.into(),
        single_use: true,
        vlan: Some(vlan),
        max_speed_mbps: 1000,
        pre_approved: false,
        customer_ref: customer_ref.into(),
        request_id: request_id(),
        ..Default::default()
    };
    within(
        ServiceKeyServiceClient::new(channel.clone())
            .create_service_key(with_token(request, OPERATOR)),
    )
    .await
    .expect("key")
    .into_inner()
    .service_key
    .expect("service_key")
    .key
}

/// `account` buys 100 Mbps from its Port `a_end` with `key`, through the operator.
async fn buys(channel: &Channel, account: &str, a_end: &str, key: &str) -> VxcOrder {
    let mut spec = spec(key, &format!("{account} vxc"), 100);
    spec.a_end_port_uid = a_end.to_owned();
    let request = CreateVxcOrderRequest {
        account: account.into(),
        spec: Some(spec),
        request_id: request_id(),
    };
    within(
        VxcOrderServiceClient::new(channel.clone()).create_vxc_order(with_token(request, OPERATOR)),
    )
    .await
    .expect("buy")
    .into_inner()
    .order
    .expect("order")
}

/// The keys, orders and pending approvals `token` lists (first page of 100 each).
struct Seen {
    keys: Vec<ServiceKey>,
    orders: Vec<VxcOrder>,
    approvals: Vec<Approval>,
}

async fn seen_by(channel: &Channel, token: &str) -> Seen {
    let keys = within(
        ServiceKeyServiceClient::new(channel.clone()).list_service_keys(with_token(
            ListServiceKeysRequest {
                page_size: 100,
                ..Default::default()
            },
            token,
        )),
    )
    .await
    .expect("list keys")
    .into_inner()
    .service_keys;
    let orders = within(
        VxcOrderServiceClient::new(channel.clone()).list_vxc_orders(with_token(
            ListVxcOrdersRequest {
                page_size: 100,
                ..Default::default()
            },
            token,
        )),
    )
    .await
    .expect("list orders")
    .into_inner()
    .orders;
    let approvals = within(
        ApprovalServiceClient::new(channel.clone()).list_approvals(with_token(
            ListApprovalsRequest {
                statuses: vec![ApprovalStatus::Pending.into()],
                page_size: 100,
                ..Default::default()
            },
            token,
        )),
    )
    .await
    .expect("list approvals")
    .into_inner()
    .approvals;
    Seen {
        keys,
        orders,
        approvals,
    }
}

async fn get_key(channel: &Channel, token: &str, key: &str) -> Result<ServiceKey, tonic::Status> {
    let request = GetServiceKeyRequest { key: key.into() };
    within(
        ServiceKeyServiceClient::new(channel.clone()).get_service_key(with_token(request, token)),
    )
    .await
    .map(|response| response.into_inner().service_key.expect("service_key"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_caller_sees_and_acts_for_its_own_customer_only() {
    let env = start().await;
    let channel = env.server.channel.clone();
    let acme_key = key_for(&channel, "acme", 394).await;
    let globex_key = key_for(&channel, "globex", 395).await;
    let acme_order = buys(
        &channel,
        "acme",
        crate::support::orders::ACME_PORT,
        &acme_key,
    )
    .await;
    let globex_order = buys(&channel, "globex", GLOBEX_PORT, &globex_key).await;

    // The operator sees both approvals once the inbox has read them; asking twice warms the
    // kept answers of the key reads with what the operator sees.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let operator = loop {
        let seen = seen_by(&channel, OPERATOR).await;
        if seen.approvals.len() >= 2 {
            break seen;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the inbox never showed both approvals"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let operator_again = seen_by(&channel, OPERATOR).await;
    assert_eq!(operator_again.keys, operator.keys);
    assert!(operator.keys.iter().any(|key| key.key == globex_key));
    assert!(
        operator
            .orders
            .iter()
            .any(|order| order.account == "globex")
    );
    assert!(get_key(&channel, OPERATOR, &globex_key).await.is_ok());
    assert!(get_key(&channel, OPERATOR, &globex_key).await.is_ok());

    // The storefront sees acme's only.
    let storefront = seen_by(&channel, STOREFRONT).await;
    assert!(storefront.keys.iter().any(|key| key.key == acme_key));
    assert!(
        storefront.keys.iter().all(|key| key.customer_ref == "acme"),
        "{:?}",
        storefront.keys
    );
    assert_eq!(
        storefront
            .orders
            .iter()
            .map(|order| order.order_id.as_str())
            .collect::<Vec<_>>(),
        [acme_order.order_id.as_str()]
    );
    assert_eq!(storefront.approvals.len(), 1, "{:?}", storefront.approvals);
    assert_eq!(storefront.approvals[0].customer_ref, "acme");
    let globex_approval = operator
        .approvals
        .iter()
        .find(|approval| approval.customer_ref == "globex")
        .expect("globex's approval");

    // Another customer's key, order or approval is not found, as if it did not exist.
    let status = get_key(&channel, STOREFRONT, &globex_key)
        .await
        .expect_err("globex's key");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "KEY_NOT_FOUND");
    assert!(get_key(&channel, STOREFRONT, &acme_key).await.is_ok());
    let status = within(
        VxcOrderServiceClient::new(channel.clone()).get_vxc_order(with_token(
            GetVxcOrderRequest {
                order_id: globex_order.order_id.clone(),
            },
            STOREFRONT,
        )),
    )
    .await
    .expect_err("globex's order");
    assert_eq!(status.code(), Code::NotFound);
    let status = within(
        ApprovalServiceClient::new(channel.clone()).approve_approval(with_token(
            ApproveApprovalRequest {
                approval_uid: globex_approval.approval_uid.clone(),
                comment: String::new(),
            },
            STOREFRONT,
        )),
    )
    .await
    .expect_err("globex's approval");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "APPROVAL_NOT_FOUND");
    // A filter naming another customer or account narrows to nothing rather than refusing.
    let listed = within(
        ServiceKeyServiceClient::new(channel.clone()).list_service_keys(with_token(
            ListServiceKeysRequest {
                customer_ref: "globex".into(),
                ..Default::default()
            },
            STOREFRONT,
        )),
    )
    .await
    .expect("list")
    .into_inner();
    assert!(listed.service_keys.is_empty());
    let listed = within(
        VxcOrderServiceClient::new(channel.clone()).list_vxc_orders(with_token(
            ListVxcOrdersRequest {
                account: "globex".into(),
                ..Default::default()
            },
            STOREFRONT,
        )),
    )
    .await
    .expect("list")
    .into_inner();
    assert!(listed.orders.is_empty());

    // Acting for globex, or as the provider's default account, is refused.
    let issue = IssueServiceKeysRequest {
        region: "us-west".into(),
        max_speed_mbps: 100,
        customer_ref: "globex".into(),
        request_id: request_id(),
        ..Default::default()
    };
    let status = within(
        ServiceKeyServiceClient::new(channel.clone())
            .issue_service_keys(with_token(issue, STOREFRONT)),
    )
    .await
    .expect_err("issue for globex");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(reason(&status), "OUTSIDE_CALLER_BINDING");
    assert_eq!(
        crate::support::orders::meta(&status, "customer_ref").as_deref(),
        Some("globex")
    );
    for account in ["globex", ""] {
        let buy = CreateVxcOrderRequest {
            account: account.into(),
            spec: Some(spec(&acme_key, "not mine", 100)),
            request_id: request_id(),
        };
        let status = within(
            VxcOrderServiceClient::new(channel.clone())
                .create_vxc_order(with_token(buy, STOREFRONT)),
        )
        .await
        .expect_err("buy as another account");
        assert_eq!(status.code(), Code::PermissionDenied, "account {account:?}");
        assert_eq!(reason(&status), "OUTSIDE_CALLER_BINDING");
        assert!(
            !status.message().contains("configured"),
            "lists no configured account: {}",
            status.message()
        );
    }
    let audit = within(
        AdminServiceClient::new(channel.clone()).list_audit_records(with_token(
            ListAuditRecordsRequest {
                caller: "storefront-acme".into(),
                ..Default::default()
            },
            OPERATOR,
        )),
    )
    .await
    .expect("audit")
    .into_inner()
    .audit_records;
    let refused: Vec<&str> = audit
        .iter()
        .filter(|record| {
            record.code == Code::PermissionDenied as i32
                && record.reason == onramp_proto::ErrorReason::OutsideCallerBinding as i32
        })
        .map(|record| record.rpc.as_str())
        .collect();
    assert_eq!(
        refused,
        [
            "/onramp.v1.VxcOrderService/CreateVxcOrder",
            "/onramp.v1.VxcOrderService/CreateVxcOrder",
            "/onramp.v1.ServiceKeyService/IssueServiceKeys",
        ]
    );

    // The operator's answers are still everyone's.
    assert_eq!(seen_by(&channel, OPERATOR).await.keys, operator.keys);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_callers_key_watch_carries_its_customers_keys_only() {
    let env = start().await;
    let channel = env.server.channel.clone();
    let acme_key = key_for(&channel, "acme", 394).await;
    key_for(&channel, "globex", 395).await;

    let mut stream = within(
        ServiceKeyServiceClient::new(channel.clone())
            .watch_service_keys(with_token(WatchServiceKeysRequest::default(), STOREFRONT)),
    )
    .await
    .expect("watch")
    .into_inner();
    let mut seen: Vec<ServiceKey> = Vec::new();
    let mut snapshot_done = false;
    let mut later_key = None;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), stream.message())
            .await
            .expect("the watch goes quiet")
            .expect("message")
            .expect("open");
        match message.kind {
            Some(Kind::Snapshot(snapshot)) => {
                seen.extend(snapshot.service_keys);
                snapshot_done = snapshot.last_chunk;
            }
            Some(Kind::Changes(batch)) => {
                seen.extend(
                    batch
                        .events
                        .into_iter()
                        .filter_map(|event| event.service_key),
                );
            }
            _ => {}
        }
        if snapshot_done && later_key.is_none() {
            assert!(seen.iter().any(|key| key.key == acme_key));
            // Globex's change first: if it were let through it would come before acme's.
            key_for(&channel, "globex", 397).await;
            later_key = Some(key_for(&channel, "acme", 396).await);
        }
        if let Some(later) = &later_key
            && seen.iter().any(|key| &key.key == later)
        {
            break;
        }
    }
    assert!(
        seen.iter().all(|key| key.customer_ref == "acme"),
        "{:?}",
        seen.iter()
            .map(|key| key.customer_ref.as_str())
            .collect::<Vec<_>>()
    );
}
