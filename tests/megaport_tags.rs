//! `MegaportClient::product_tags` against the sandbox: the resource tags stamped in a buy are read
//! back from `GET /v2/product/{uid}/tags` (product bodies do not carry them), a Port has none,
//! and an unknown product is NotFound.

mod common;
mod orders_support;

use std::time::Duration;

use common::{CUSTOMERS, within};
use onramp::megaport::models::{OrderEnd, ResourceTag, VxcOrderConfig, VxcOrderItem};
use onramp::megaport::{ClientConfig, Credentials, Environment, MegaportClient, MegaportError};
use onramp::sandbox::SandboxConfig;
use orders_support::*;
use tokio::time::Instant;

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

#[tokio::test]
async fn tags_stamped_at_order_time_are_read_back() {
    let listener = within(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .await
        .expect("bind");
    let sandbox = within(onramp::sandbox::spawn(listener, SandboxConfig::default()))
        .await
        .expect("sandbox");
    let key = guide_key(&sandbox, LA1_BLUE, 410).await;
    let (_, id, secret) = CUSTOMERS[0];
    let acme = MegaportClient::new(ClientConfig::new(
        Environment::sandbox(sandbox.base_url(), sandbox.token_url()),
        Credentials::new(id, secret),
    ))
    .expect("acme client");
    let tag = ResourceTag {
        key: "onramp-request-id".into(),
        value: "8d3f1f0e-0000-4000-8000-000000000001".into(),
    };
    let confirmations = tokio::time::timeout(
        Duration::from_secs(10),
        acme.buy_order(
            &[VxcOrderItem {
                product_uid: ACME_PORT.into(),
                associated_vxcs: vec![VxcOrderConfig {
                    product_name: "tagged".into(),
                    rate_limit: 10,
                    term: 1,
                    service_key: Some(key),
                    resource_tags: vec![tag.clone()],
                    b_end: OrderEnd {
                        product_uid: Some(LA1_BLUE.into()),
                        ..OrderEnd::default()
                    },
                    ..VxcOrderConfig::default()
                }],
            }],
            deadline(),
        ),
    )
    .await
    .expect("in time")
    .expect("buy");
    let vxc_uid = confirmations[0].service_uid().expect("vxc uid").to_owned();

    let tags = acme.product_tags(&vxc_uid, deadline()).await.expect("tags");
    assert_eq!(tags, [tag]);
    let vxc = within(acme.get_vxc(&vxc_uid, deadline()))
        .await
        .expect("vxc");
    assert!(vxc.resource_tags.is_empty(), "bodies do not carry tags");
    assert!(
        within(acme.product_tags(ACME_PORT, deadline()))
            .await
            .expect("port tags")
            .is_empty()
    );
    let unknown = within(acme.product_tags("00000000-0000-4000-8000-000000000000", deadline()))
        .await
        .expect_err("unknown product");
    assert!(matches!(unknown, MegaportError::NotFound(_)), "{unknown:?}");
    within(sandbox.shutdown()).await;
}
