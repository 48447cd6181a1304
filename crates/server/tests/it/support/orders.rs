//! Helpers shared by the `orders_*` tests: service keys minted directly on the sandbox as the
//! provider (ServiceKeyService is built separately), an onramp config with fast order polling,
//! and order specs for Acme's Port.

#![allow(dead_code)]

use std::time::Duration;

use megaport::models::CreateServiceKeyRequest;
use megaport::{ClientConfig, Credentials, Environment, MegaportClient};
use megaport_sandbox::{ProvisioningSchedule, SandboxConfig, SandboxHandle};
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{CreateVxcOrderRequest, VxcOrder, VxcOrderSpec};
use onramp_server::config::Config;
use tokio::time::Instant;
use tonic::transport::Channel;

use crate::support::{test_config, within};

/// The provider's API key in the default sandbox seed.
const PROVIDER: (&str, &str) = ("quantumgpu-sandbox", "quantumgpu-sandbox-secret");

/// QuantumGPU LA1, Equinix LA1 (location 59), blue zone.
pub(crate) const LA1_BLUE: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
/// QuantumGPU LA2, CoreSite LA1 (location 60), red zone.
pub(crate) const LA2_RED: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";
/// Acme's Port in Equinix LA1: the A-end of every order here.
pub(crate) const ACME_PORT: &str = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a";

/// onramp with order watches polling every 50 ms, and an absent VXC proving a lost buy at once
/// (the sandbox lists a committed VXC immediately, so no grace is needed).
pub(crate) fn orders_config() -> Config {
    let mut config = test_config();
    config.orders.poll_interval_millis = 50;
    config.orders.rebuy_grace_millis = 0;
    config.orders.upstream_timeout_millis = 10_000;
    config
}

/// A sandbox whose VXCs go DEPLOYABLE -> CONFIGURED -> LIVE in a few hundred milliseconds.
pub(crate) fn fast_sandbox() -> SandboxConfig {
    SandboxConfig {
        provisioning: ProvisioningSchedule {
            to_configured: Duration::from_millis(300),
            to_live: Duration::from_millis(300),
        },
        ..SandboxConfig::default()
    }
}

/// The provider's own Megaport client on the sandbox.
pub(crate) fn provider_client(sandbox: &SandboxHandle) -> MegaportClient {
    MegaportClient::new(ClientConfig::new(
        Environment::sandbox(sandbox.base_url(), sandbox.token_url()),
        Credentials::new(PROVIDER.0, PROVIDER.1),
    ))
    .expect("provider client")
}

/// A key minted by the provider on `port_uid`.
pub(crate) struct KeyOptions {
    pub single_use: bool,
    pub vlan: Option<i64>,
    pub max_speed: i64,
    pub pre_approved: bool,
}

impl KeyOptions {
    /// A pre-approved multi-use key up to 10 Gbps: one key many orders can use at once.
    pub(crate) const SHARED: KeyOptions = KeyOptions {
        single_use: false,
        vlan: None,
        max_speed: 10_000,
        pre_approved: true,
    };
}

pub(crate) async fn mint_key(
    sandbox: &SandboxHandle,
    port_uid: &str,
    options: KeyOptions,
) -> String {
    let client = provider_client(sandbox);
    let request = CreateServiceKeyRequest {
        product_uid: port_uid.to_owned(),
        single_use: options.single_use,
        max_speed: options.max_speed,
        vlan: options.vlan,
        active: true,
        pre_approved: Some(options.pre_approved),
        description: Some("onramp orders test".to_owned()),
        valid_for: None,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    crate::support::within(client.create_service_key(&request, deadline))
        .await
        .expect("create service key")
        .key
}

/// A single-use, pre-approved key with a B-end VLAN, as the guide mints them.
pub(crate) async fn guide_key(sandbox: &SandboxHandle, port_uid: &str, vlan: i64) -> String {
    mint_key(
        sandbox,
        port_uid,
        KeyOptions {
            single_use: true,
            vlan: Some(vlan),
            max_speed: 1000,
            pre_approved: true,
        },
    )
    .await
}

/// Acme's order for a VXC with `key`.
pub(crate) fn spec(key: &str, name: &str, rate_limit_mbps: i64) -> VxcOrderSpec {
    VxcOrderSpec {
        service_key: key.to_owned(),
        a_end_port_uid: ACME_PORT.to_owned(),
        a_end_vlan: 0,
        rate_limit_mbps,
        term_months: 12,
        name: name.to_owned(),
        ..VxcOrderSpec::default()
    }
}

pub(crate) fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The ErrorInfo metadata value under `key`.
pub(crate) fn meta(status: &tonic::Status, key: &str) -> Option<String> {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .error_info()
        .and_then(|info| info.metadata.get(key).cloned())
}

/// Acme buys a 100 Mbps VXC with `key` through onramp.
pub(crate) async fn acme_buys(channel: &Channel, key: &str, name: &str) -> VxcOrder {
    within(
        VxcOrderServiceClient::new(channel.clone()).create_vxc_order(CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(spec(key, name, 100)),
            request_id: request_id(),
        }),
    )
    .await
    .expect("create")
    .into_inner()
    .order
    .expect("order")
}
