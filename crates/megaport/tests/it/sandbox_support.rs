//! Starting the real sandbox for integration tests, and clients for its two seeded companies.
#![allow(dead_code)]

use std::time::Duration;

use megaport::models::{CreateServiceKeyRequest, OrderEnd, VxcOrderConfig, VxcOrderItem};
use megaport::{ClientConfig, Credentials, Environment, MegaportClient};
use megaport_sandbox::{SandboxConfig, SandboxHandle};
use tokio::time::Instant;

pub(crate) const PROVIDER_ID: &str = "quantumgpu-sandbox";
pub(crate) const PROVIDER_SECRET: &str = "quantumgpu-sandbox-secret";
pub(crate) const CUSTOMER_ID: &str = "acme-sandbox";
pub(crate) const CUSTOMER_SECRET: &str = "acme-sandbox-secret";

pub(crate) async fn start() -> SandboxHandle {
    start_with(SandboxConfig::default()).await
}

pub(crate) async fn start_with(config: SandboxConfig) -> SandboxHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    within(5, megaport_sandbox::spawn(listener, config))
        .await
        .unwrap()
}

pub(crate) fn config(sb: &SandboxHandle, id: &str, secret: &str) -> ClientConfig {
    ClientConfig::new(
        Environment::sandbox(sb.base_url(), sb.token_url()),
        Credentials::new(id, secret),
    )
}

pub(crate) fn provider(sb: &SandboxHandle) -> MegaportClient {
    MegaportClient::new(config(sb, PROVIDER_ID, PROVIDER_SECRET)).unwrap()
}

pub(crate) fn customer(sb: &SandboxHandle) -> MegaportClient {
    MegaportClient::new(config(sb, CUSTOMER_ID, CUSTOMER_SECRET)).unwrap()
}

/// Wraps an await that could hang.
pub(crate) async fn within<F: std::future::Future>(secs: u64, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("test step timed out")
}

pub(crate) fn deadline(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}

/// A single-use key on a free VLAN of one of the provider's LIVE Ports, and an order for it from
/// the customer's LIVE Port.
pub(crate) async fn key_and_order(
    provider: &MegaportClient,
    customer: &MegaportClient,
    pre_approved: bool,
) -> Vec<VxcOrderItem> {
    let ports = within(
        5,
        provider.list_products::<megaport::models::Vxc>(Some("LIVE"), deadline(3000)),
    )
    .await
    .unwrap();
    let b = ports
        .iter()
        .find(|p| p.is_port() && p.vxc_permitted)
        .expect("a provider port");
    let mut vlan = 3000u16;
    while !within(
        5,
        provider.port_vlan_available(&b.product_uid, vlan, deadline(3000)),
    )
    .await
    .unwrap()
    {
        vlan += 1;
    }
    let key = within(
        5,
        provider.create_service_key(
            &CreateServiceKeyRequest {
                product_uid: b.product_uid.clone(),
                single_use: true,
                max_speed: 1000,
                vlan: Some(i64::from(vlan)),
                active: true,
                pre_approved: Some(pre_approved),
                description: Some("onramp-test".into()),
                valid_for: None,
            },
            deadline(3000),
        ),
    )
    .await
    .unwrap();
    let mine = within(
        5,
        customer.list_products::<megaport::models::Vxc>(Some("LIVE"), deadline(3000)),
    )
    .await
    .unwrap();
    let a = mine.iter().find(|p| p.is_port()).expect("a customer port");
    vec![VxcOrderItem {
        product_uid: a.product_uid.clone(),
        associated_vxcs: vec![VxcOrderConfig {
            product_name: "acme to quantumgpu".into(),
            rate_limit: 100,
            term: 12,
            service_key: Some(key.key.clone()),
            a_end: OrderEnd::default(),
            b_end: OrderEnd {
                product_uid: Some(b.product_uid.clone()),
                ..OrderEnd::default()
            },
            ..VxcOrderConfig::default()
        }],
    }]
}
