//! The guide end to end through gRPC only: the provider issues keys for Acme in US-West with
//! diversity (blue LA1, red LA2), Acme looks each up, validates (price shown) and buys a VXC on
//! each, both reach LIVE, both keys show USED with their VXC, and the provider's on-ramps show
//! the new allocation. Replays return the stored order; reused request_ids are refused.

use crate::support::orders::*;
use crate::support::{SandboxedServer, reason, within};
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{
    CreateVxcOrderRequest, DiversityPreference, GetOnRampRequest, GetServiceKeyRequest,
    GetVxcOrderRequest, IssueServiceKeysRequest, ListVxcOrdersRequest, LookupServiceKeyRequest,
    OnRamp, ServiceKeyState, ValidateVxcOrderRequest, VxcOrder, VxcOrderState,
    WatchVxcOrderRequest,
};
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

async fn on_ramp(channel: &Channel, port_uid: &str) -> OnRamp {
    let mut catalog = CatalogServiceClient::new(channel.clone());
    within(catalog.get_on_ramp(GetOnRampRequest {
        port_uid: port_uid.to_owned(),
    }))
    .await
    .expect("get on-ramp")
    .into_inner()
    .on_ramp
    .expect("on-ramp")
}

/// Follows the order with WatchVxcOrder until the stream ends; returns every state seen.
async fn watch_to_live(channel: &Channel, order_id: &str) -> Vec<VxcOrder> {
    let mut orders = VxcOrderServiceClient::new(channel.clone());
    let mut stream = within(orders.watch_vxc_order(WatchVxcOrderRequest {
        order_id: order_id.to_owned(),
    }))
    .await
    .expect("watch")
    .into_inner();
    let mut seen = Vec::new();
    while let Some(message) = within(stream.message()).await.expect("watch message") {
        let order = message.order.expect("order");
        let live = order.state() == VxcOrderState::Live;
        seen.push(order);
        // The order is followed on after LIVE; the stream stays open.
        if live {
            break;
        }
    }
    seen
}

#[tokio::test]
async fn acme_buys_a_diverse_pair_with_the_providers_keys_and_both_go_live() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    let channel = sandboxed.server.channel.clone();
    let mut orders = VxcOrderServiceClient::new(channel.clone());

    // The provider issues Acme's keys: US-West with diversity gives one key per zone.
    let issued = within(
        ServiceKeyServiceClient::new(channel.clone()).issue_service_keys(IssueServiceKeysRequest {
            region: "us-west".into(),
            diversity: DiversityPreference::Required.into(),
            max_speed_mbps: 1000,
            single_use: true,
            pre_approved: true,
            customer_ref: "acme".into(),
            request_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        }),
    )
    .await
    .expect("issue keys")
    .into_inner()
    .service_keys;
    let keys: Vec<(&str, String, i64)> = issued
        .iter()
        .map(|key| {
            let port = key.on_ramp.as_ref().expect("on-ramp").port_uid.as_str();
            let port = if port == LA1_BLUE { LA1_BLUE } else { LA2_RED };
            (port, key.key.clone(), i64::from(key.vlan.expect("vlan")))
        })
        .collect();
    assert_eq!(
        keys.iter().map(|(port, ..)| *port).collect::<Vec<_>>(),
        [LA1_BLUE, LA2_RED]
    );
    let before: Vec<OnRamp> = vec![
        on_ramp(&channel, LA1_BLUE).await,
        on_ramp(&channel, LA2_RED).await,
    ];

    let mut bought = Vec::new();
    for (index, (port_uid, key, vlan)) in keys.iter().enumerate() {
        // Acme looks the key up.
        let lookup = within(orders.lookup_service_key(LookupServiceKeyRequest {
            key: key.clone(),
            account: "acme".into(),
        }))
        .await
        .expect("lookup")
        .into_inner()
        .lookup
        .expect("lookup body");
        assert!(lookup.usable, "{lookup:?}");
        assert!(lookup.single_use && lookup.pre_approved);
        assert_eq!(lookup.max_speed_mbps, 1000);
        let on_ramp_port = lookup.on_ramp.expect("on-ramp");
        assert_eq!(on_ramp_port.port_uid, *port_uid);
        assert_eq!(on_ramp_port.company_name, "QuantumGPU");
        let location = on_ramp_port.location.expect("location");
        assert_eq!(location.metro, "Los Angeles");
        assert_eq!(location.id, if index == 0 { 59 } else { 60 });

        // Validate: the price is shown, the B-end comes from the key.
        let order_spec = spec(key, &format!("acme to quantumgpu {index}"), 100);
        let validated = within(orders.validate_vxc_order(ValidateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(order_spec.clone()),
        }))
        .await
        .expect("validate")
        .into_inner();
        let price = validated.price.expect("price");
        assert_eq!(price.currency, "USD");
        assert_eq!(price.monthly_rate, "45", "100 mbps for 12 months");
        assert_eq!(validated.b_end.expect("b-end").port_uid, *port_uid);
        assert_eq!(validated.a_end.expect("a-end").port_uid, ACME_PORT);
        assert_eq!(i64::from(validated.b_end_vlan), *vlan);
        assert!(!validated.approval_required);

        // Buy.
        let id = request_id();
        let order = within(orders.create_vxc_order(CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(order_spec.clone()),
            request_id: id.clone(),
        }))
        .await
        .expect("create")
        .into_inner()
        .order
        .expect("order");
        assert!(!order.vxc_uid.is_empty());
        assert_eq!(order.request_id, id);
        assert_eq!(order.state(), VxcOrderState::Deployable);
        assert_eq!(i64::from(order.b_end_vlan), *vlan);
        assert!(order.a_end_vlan >= 2);
        assert_eq!(order.price.as_ref().expect("price").monthly_rate, "45");

        // A replay returns the stored order; the same request_id with other parameters fails.
        let replay = within(orders.create_vxc_order(CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(order_spec.clone()),
            request_id: id.clone(),
        }))
        .await
        .expect("replay")
        .into_inner()
        .order
        .expect("order");
        assert_eq!(replay.order_id, order.order_id);
        assert_eq!(replay.vxc_uid, order.vxc_uid);
        let mut other = order_spec.clone();
        other.rate_limit_mbps = 200;
        let reused = within(orders.create_vxc_order(CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(other),
            request_id: id.clone(),
        }))
        .await
        .expect_err("reused request_id");
        assert_eq!(reused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&reused), "REQUEST_ID_REUSED");
        assert_eq!(meta(&reused, "request_id").as_deref(), Some(id.as_str()));
        bought.push(order);
    }

    // Both reach LIVE.
    for order in &bought {
        let seen = watch_to_live(&channel, &order.order_id).await;
        let last = seen.last().expect("at least one message");
        assert_eq!(last.state(), VxcOrderState::Live, "{seen:?}");
        assert!(
            seen.windows(2).all(|pair| {
                let t = |o: &VxcOrder| o.update_time.as_ref().map(|t| (t.seconds, t.nanos));
                t(&pair[0]) <= t(&pair[1])
            }),
            "update_time never goes backwards"
        );
        let got = within(orders.get_vxc_order(GetVxcOrderRequest {
            order_id: order.order_id.clone(),
        }))
        .await
        .expect("get")
        .into_inner()
        .order
        .expect("order");
        assert_eq!(got.state(), VxcOrderState::Live);
    }

    // Exactly two orders in the sandbox ledger, one per key, stamped with their request_ids.
    let ledger = sandboxed.sandbox.control().orders();
    assert_eq!(ledger.len(), 2);
    for order in &bought {
        let entry = ledger
            .iter()
            .find(|entry| entry.vxc_uid == order.vxc_uid)
            .expect("ledger entry");
        assert_eq!(
            entry.resource_tags[0]["value"].as_str(),
            Some(order.request_id.as_str())
        );
    }

    // The provider's on-ramps show the new allocation: 100 Mbps more and the key's VLAN in use.
    for ((port_uid, _, vlan), old) in keys.iter().zip(&before) {
        let now = on_ramp(&channel, port_uid).await;
        assert_eq!(now.allocated_mbps, old.allocated_mbps + 100, "{port_uid}");
        assert_eq!(now.vxc_count, old.vxc_count + 1);
        assert!(now.vlans_in_use.contains(&(*vlan as i32)));
    }

    // Both keys show USED with the VXC each became (the watcher matches them by Port and VLAN).
    let mut service_keys = ServiceKeyServiceClient::new(channel.clone());
    for ((_, key, _), order) in keys.iter().zip(&bought) {
        let used = within(async {
            loop {
                let current = service_keys
                    .get_service_key(GetServiceKeyRequest { key: key.clone() })
                    .await
                    .expect("get key")
                    .into_inner()
                    .service_key
                    .expect("key");
                if current.state() == ServiceKeyState::Used && !current.vxc_uid.is_empty() {
                    return current;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
        .await;
        assert_eq!(used.vxc_uid, order.vxc_uid);
        assert_eq!(used.customer_ref, "acme");
    }

    // Listing: newest first, filtered by account and state.
    let listed = within(orders.list_vxc_orders(ListVxcOrdersRequest {
        account: "acme".into(),
        state: VxcOrderState::Live.into(),
        page_size: 1,
        ..Default::default()
    }))
    .await
    .expect("list")
    .into_inner();
    assert_eq!(listed.orders.len(), 1);
    assert_eq!(
        listed.orders[0].order_id, bought[1].order_id,
        "newest first"
    );
    let rest = within(orders.list_vxc_orders(ListVxcOrdersRequest {
        account: "acme".into(),
        state: VxcOrderState::Live.into(),
        page_size: 1,
        page_token: listed.next_page_token.clone(),
    }))
    .await
    .expect("page 2")
    .into_inner();
    assert_eq!(rest.orders[0].order_id, bought[0].order_id);
    assert!(rest.next_page_token.is_empty());
    // A page token is bound to the filter it was made under.
    let other_filter = within(orders.list_vxc_orders(ListVxcOrdersRequest {
        account: "acme".into(),
        page_size: 1,
        page_token: listed.next_page_token.clone(),
        ..Default::default()
    }))
    .await
    .expect_err("a token of another filter");
    assert_eq!(other_filter.code(), tonic::Code::InvalidArgument);
    let violations = other_filter
        .get_error_details()
        .bad_request()
        .map(|bad| bad.field_violations.clone())
        .unwrap_or_default();
    assert_eq!(violations[0].field, "page_token", "{other_filter:?}");
    assert!(violations[0].description.contains("different filter"));
    let globex = within(orders.list_vxc_orders(ListVxcOrdersRequest {
        account: "globex".into(),
        ..Default::default()
    }))
    .await
    .expect("list")
    .into_inner();
    assert!(globex.orders.is_empty());
}
