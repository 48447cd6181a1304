//! Every invalid order field is INVALID_ARGUMENT naming the field and its limit, with no
//! upstream call (counted by a zero-latency fault on every sandbox route). Limits that need the
//! key or the Ports (rate limit above the key's max speed, a Port the account does not own) are
//! refused before Megaport's validate or any buy; unusable keys and VLAN clashes are
//! FAILED_PRECONDITION naming the key, the Port and the end; nothing is journaled for them.

use crate::support::orders::*;
use crate::support::{SandboxedServer, reason, within};
use megaport_sandbox::{Fault, FaultKind, RouteGroup};
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{
    CreateVxcOrderRequest, ListVxcOrdersRequest, LookupServiceKeyRequest, ValidateVxcOrderRequest,
    VxcOrderSpec,
};
use tonic::Code;
use tonic_types::StatusExt;

/// Upstream requests seen by the sandbox so far (every route, token included).
fn upstream_requests(sandboxed: &SandboxedServer) -> u32 {
    sandboxed
        .sandbox
        .control()
        .faults()
        .iter()
        .filter(|fault| fault.fault.route == RouteGroup::All)
        .map(|fault| fault.fired)
        .sum()
}

/// Waits until no upstream request arrives for 300 ms (the watcher's first poll has ended).
async fn wait_for_quiet_upstream(sandboxed: &SandboxedServer) {
    within(async {
        loop {
            let before = upstream_requests(sandboxed);
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            if upstream_requests(sandboxed) == before {
                return;
            }
        }
    })
    .await;
}

fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn invalid_fields_are_named_with_their_limits_and_nothing_is_sent() {
    // The key watcher polls Megaport too; here it polls once at start and then not for an hour,
    // so the counter below sees only what the order calls send.
    let mut config = orders_config();
    config.watch.poll_interval_millis = 3_600_000;
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), config).await;
    let key = guide_key(&sandboxed.sandbox, LA1_BLUE, 330).await;
    let mut orders = VxcOrderServiceClient::new(sandboxed.server.channel.clone());
    // Warm up (tokens, catalog) so that the counter below sees only what the order calls send.
    within(orders.lookup_service_key(LookupServiceKeyRequest {
        key: key.clone(),
        account: "acme".into(),
    }))
    .await
    .expect("warm-up lookup");
    sandboxed
        .sandbox
        .control()
        .inject_fault(Fault::new(RouteGroup::All, FaultKind::Latency { ms: 0 }))
        .expect("counter");
    wait_for_quiet_upstream(&sandboxed).await;
    let good = spec(&key, "acme to la1", 100);

    let cases: Vec<(VxcOrderSpec, &str, &str)> = vec![
        (
            VxcOrderSpec {
                term_months: 48,
                ..good.clone()
            },
            "spec.term_months",
            "1, 12, 24, 36",
        ),
        (
            VxcOrderSpec {
                term_months: 0,
                ..good.clone()
            },
            "spec.term_months",
            "1, 12, 24, 36",
        ),
        (
            VxcOrderSpec {
                rate_limit_mbps: 0,
                ..good.clone()
            },
            "spec.rate_limit_mbps",
            "at least 1",
        ),
        (
            VxcOrderSpec {
                rate_limit_mbps: -5,
                ..good.clone()
            },
            "spec.rate_limit_mbps",
            "at least 1",
        ),
        (
            VxcOrderSpec {
                a_end_vlan: 1,
                ..good.clone()
            },
            "spec.a_end_vlan",
            "between 2 and 4093",
        ),
        (
            VxcOrderSpec {
                a_end_vlan: 4094,
                ..good.clone()
            },
            "spec.a_end_vlan",
            "between 2 and 4093",
        ),
        (
            VxcOrderSpec {
                service_key: "not-a-key".into(),
                ..good.clone()
            },
            "spec.service_key",
            "UUID",
        ),
        (
            VxcOrderSpec {
                a_end_port_uid: String::new(),
                ..good.clone()
            },
            "spec.a_end_port_uid",
            "required",
        ),
        (
            VxcOrderSpec {
                name: String::new(),
                ..good.clone()
            },
            "spec.name",
            "1-64",
        ),
        (
            VxcOrderSpec {
                name: "n".repeat(65),
                ..good.clone()
            },
            "spec.name",
            "1-64",
        ),
        (
            VxcOrderSpec {
                cost_centre: "c".repeat(256),
                ..good.clone()
            },
            "spec.cost_centre",
            "255",
        ),
    ];
    for (bad, field, limit) in cases {
        let before = upstream_requests(&sandboxed);
        let validate = within(orders.validate_vxc_order(ValidateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(bad.clone()),
        }))
        .await
        .expect_err("invalid");
        let create = within(orders.create_vxc_order(CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(bad),
            request_id: request_id(),
        }))
        .await
        .expect_err("invalid");
        for status in [validate, create] {
            assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
            assert_eq!(reason(&status), "INVALID_FIELD");
            let found = violations(&status);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].0, field);
            assert!(found[0].1.contains(limit), "{field}: {}", found[0].1);
        }
        assert_eq!(
            upstream_requests(&sandboxed),
            before,
            "{field}: no upstream call"
        );
    }

    // Several bad fields at once: every one is named.
    let before = upstream_requests(&sandboxed);
    let status = within(orders.validate_vxc_order(ValidateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(VxcOrderSpec {
            term_months: 7,
            a_end_vlan: 5000,
            rate_limit_mbps: 0,
            ..good.clone()
        }),
    }))
    .await
    .expect_err("invalid");
    let fields: Vec<String> = violations(&status).into_iter().map(|v| v.0).collect();
    assert_eq!(
        fields,
        [
            "spec.a_end_vlan",
            "spec.rate_limit_mbps",
            "spec.term_months"
        ]
    );

    // request_id is required on create, and must be a UUID; a missing spec is named.
    for (request_id, what) in [("", "required"), ("abc", "UUID")] {
        let status = within(orders.create_vxc_order(CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(good.clone()),
            request_id: request_id.into(),
        }))
        .await
        .expect_err("bad request_id");
        assert_eq!(status.code(), Code::InvalidArgument);
        let found = violations(&status);
        assert_eq!(found[0].0, "request_id");
        assert!(found[0].1.contains(what));
    }
    let status = within(orders.create_vxc_order(CreateVxcOrderRequest {
        account: "acme".into(),
        spec: None,
        request_id: request_id(),
    }))
    .await
    .expect_err("no spec");
    assert_eq!(violations(&status)[0].0, "spec");

    // An account that is not configured.
    let status = within(orders.validate_vxc_order(ValidateVxcOrderRequest {
        account: "umbrella".into(),
        spec: Some(good.clone()),
    }))
    .await
    .expect_err("unknown account");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "ACCOUNT_NOT_FOUND");
    assert_eq!(meta(&status, "account").as_deref(), Some("umbrella"));
    assert_eq!(
        upstream_requests(&sandboxed),
        before,
        "still no upstream call"
    );

    // Limits that need the key and the Ports: read them, refuse before validate or buy.
    let ledger_before = sandboxed.sandbox.control().orders().len();
    let status = within(orders.create_vxc_order(CreateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(VxcOrderSpec {
            rate_limit_mbps: 1001,
            ..good.clone()
        }),
        request_id: request_id(),
    }))
    .await
    .expect_err("above the key's max speed");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "SPEED_ABOVE_LIMIT");
    let found = violations(&status);
    assert_eq!(found[0].0, "spec.rate_limit_mbps");
    assert!(found[0].1.contains("1000"), "{}", found[0].1);
    assert!(found[0].1.contains("max speed"), "{}", found[0].1);

    let status = within(orders.validate_vxc_order(ValidateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(VxcOrderSpec {
            a_end_port_uid: LA2_RED.into(),
            ..good.clone()
        }),
    }))
    .await
    .expect_err("not acme's port");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "PORT_NOT_OWNED");
    assert_eq!(violations(&status)[0].0, "spec.a_end_port_uid");
    assert_eq!(meta(&status, "port_uid").as_deref(), Some(LA2_RED));

    // A-end VLAN 10 is taken on Acme's Port by its seeded VXC: the Port and the end are named.
    let status = within(orders.validate_vxc_order(ValidateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(VxcOrderSpec {
            a_end_vlan: 10,
            ..good.clone()
        }),
    }))
    .await
    .expect_err("vlan clash");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "VLAN_IN_USE");
    assert_eq!(meta(&status, "port_uid").as_deref(), Some(ACME_PORT));
    assert_eq!(meta(&status, "field").as_deref(), Some("spec.a_end_vlan"));
    assert_eq!(meta(&status, "vlan").as_deref(), Some("10"));

    // An unknown key.
    let unknown = request_id();
    let status = within(orders.lookup_service_key(LookupServiceKeyRequest {
        key: unknown.clone(),
        account: "acme".into(),
    }))
    .await
    .expect_err("unknown key");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "KEY_NOT_FOUND");
    assert_eq!(meta(&status, "key").as_deref(), Some(unknown.as_str()));

    // None of these reached Megaport's buy, and none was journaled.
    assert_eq!(sandboxed.sandbox.control().orders().len(), ledger_before);
    let listed = within(orders.list_vxc_orders(ListVxcOrdersRequest::default()))
        .await
        .expect("list")
        .into_inner();
    assert!(
        listed.orders.is_empty(),
        "refused requests are not journaled"
    );

    // Negative page sizes are refused too.
    let status = within(orders.list_vxc_orders(ListVxcOrdersRequest {
        page_size: -1,
        ..Default::default()
    }))
    .await
    .expect_err("negative page size");
    assert_eq!(violations(&status)[0].0, "page_size");
}

#[tokio::test]
async fn a_used_key_is_unusable_in_lookup_and_refused_on_order() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    let key = guide_key(&sandboxed.sandbox, LA1_BLUE, 340).await;
    let mut orders = VxcOrderServiceClient::new(sandboxed.server.channel.clone());
    within(orders.create_vxc_order(CreateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(spec(&key, "first", 50)),
        request_id: request_id(),
    }))
    .await
    .expect("first order");

    let lookup = within(orders.lookup_service_key(LookupServiceKeyRequest {
        key: key.clone(),
        account: "acme".into(),
    }))
    .await
    .expect("lookup")
    .into_inner()
    .lookup
    .expect("lookup");
    assert!(!lookup.usable);
    assert_eq!(
        lookup.unusable_error_reason(),
        onramp_proto::ErrorReason::KeyUsed
    );
    assert!(lookup.unusable_reason.contains("used"));

    let status = within(orders.create_vxc_order(CreateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(spec(&key, "second", 50)),
        request_id: request_id(),
    }))
    .await
    .expect_err("used key");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "KEY_USED");
    assert_eq!(meta(&status, "key").as_deref(), Some(key.as_str()));
    assert_eq!(sandboxed.sandbox.control().orders().len(), 1);
}

#[tokio::test]
async fn a_rate_above_the_provider_ports_headroom_is_insufficient_capacity() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    // CoreSite LA1 (red) is a 10G Port with 6000 Mbps allocated: 4000 Mbps of headroom.
    let key = mint_key(
        &sandboxed.sandbox,
        LA2_RED,
        KeyOptions {
            single_use: true,
            vlan: Some(341),
            max_speed: 10_000,
            pre_approved: true,
        },
    )
    .await;
    let mut orders = VxcOrderServiceClient::new(sandboxed.server.channel.clone());
    let status = within(orders.validate_vxc_order(ValidateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(spec(&key, "too big", 5000)),
    }))
    .await
    .expect_err("no headroom");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "INSUFFICIENT_CAPACITY");
    assert_eq!(meta(&status, "port_uid").as_deref(), Some(LA2_RED));
    assert!(
        status.message().contains("4000 mbps"),
        "{}",
        status.message()
    );

    let fits = within(orders.validate_vxc_order(ValidateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(spec(&key, "fits", 4000)),
    }))
    .await;
    assert!(fits.is_ok(), "{fits:?}");
    assert!(sandboxed.sandbox.control().orders().is_empty());
}
