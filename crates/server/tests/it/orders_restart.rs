//! The journal across restarts: a replay after a restart returns the stored order; an order left
//! SUBMITTING by a crash (buy committed, answer lost, then the process died) is reconciled on the
//! next retry without a second buy; and one whose buy never reached Megaport is bought exactly
//! once by a later retry.

use crate::support::orders::*;
use crate::support::{SandboxedServer, TestServer, reason, within};
use megaport_sandbox::{Fault, FaultKind, RouteGroup};
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{CreateVxcOrderRequest, GetVxcOrderRequest, VxcOrder, VxcOrderState};
use tonic::Code;

async fn create(
    sandboxed: &SandboxedServer,
    order_spec: &onramp_proto::VxcOrderSpec,
    request_id: &str,
) -> Result<VxcOrder, tonic::Status> {
    let mut orders = VxcOrderServiceClient::new(sandboxed.server.channel.clone());
    within(orders.create_vxc_order(CreateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(order_spec.clone()),
        request_id: request_id.to_owned(),
    }))
    .await
    .map(|response| response.into_inner().order.expect("order"))
}

async fn get(sandboxed: &SandboxedServer, order_id: &str) -> VxcOrder {
    let mut orders = VxcOrderServiceClient::new(sandboxed.server.channel.clone());
    within(orders.get_vxc_order(GetVxcOrderRequest {
        order_id: order_id.to_owned(),
    }))
    .await
    .expect("get")
    .into_inner()
    .order
    .expect("order")
}

/// Stops onramp, rewrites the journal row as a crash mid-buy would leave it (SUBMITTING, no VXC
/// uid), and starts onramp again on the same data directory.
async fn crash_mid_buy(sandboxed: SandboxedServer, order_id: &str) -> SandboxedServer {
    let SandboxedServer {
        server,
        sandbox,
        config,
    } = sandboxed;
    server.stop().await.expect("clean stop");
    let database = config.data_dir.join(onramp_store::DATABASE_FILE);
    let pool = within(sqlx::sqlite::SqlitePool::connect(&format!(
        "sqlite://{}",
        database.display()
    )))
    .await
    .expect("open journal");
    let changed = within(
        sqlx::query(
            "UPDATE vxc_orders SET state = 'SUBMITTING', vxc_uid = NULL WHERE order_id = ?",
        )
        .bind(order_id)
        .execute(&pool),
    )
    .await
    .expect("rewrite row");
    assert_eq!(changed.rows_affected(), 1);
    within(pool.close()).await;
    let server = TestServer::start_with(config.clone()).await;
    SandboxedServer {
        server,
        sandbox,
        config,
    }
}

#[tokio::test]
async fn a_replay_after_a_restart_returns_the_stored_order() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    let key = guide_key(&sandboxed.sandbox, LA1_BLUE, 350).await;
    let order_spec = spec(&key, "before restart", 100);
    let id = request_id();
    let first = create(&sandboxed, &order_spec, &id).await.expect("create");

    let sandboxed = sandboxed.restart().await;
    let replay = create(&sandboxed, &order_spec, &id).await.expect("replay");
    assert_eq!(replay.order_id, first.order_id);
    assert_eq!(replay.vxc_uid, first.vxc_uid);
    assert_eq!(replay.create_time, first.create_time);
    assert_eq!(
        get(&sandboxed, &first.order_id).await.vxc_uid,
        first.vxc_uid
    );
    assert_eq!(sandboxed.sandbox.control().orders().len(), 1);
}

#[tokio::test]
async fn a_buy_committed_before_a_crash_is_reconciled_not_bought_again() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    let key = guide_key(&sandboxed.sandbox, LA1_BLUE, 360).await;
    let order_spec = spec(&key, "lost answer", 100);
    let id = request_id();
    let control = sandboxed.sandbox.control();
    // The buy is committed but its answer is lost, and reconciliation cannot read the Port yet.
    control
        .inject_fault(Fault::new(RouteGroup::Buy, FaultKind::DropAfterCommit).with_count(1))
        .expect("drop");
    control
        .inject_fault(Fault::new(
            RouteGroup::Product,
            FaultKind::Status {
                code: 503,
                retry_after: None,
            },
        ))
        .expect("product reads fail");
    let status = create(&sandboxed, &order_spec, &id)
        .await
        .expect_err("outcome unknown");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(reason(&status), "UPSTREAM_OUTCOME_UNKNOWN");
    assert_eq!(meta(&status, "request_id").as_deref(), Some(id.as_str()));
    let order_id = meta(&status, "order_id").expect("order_id metadata");
    let unknown = get(&sandboxed, &order_id).await;
    assert_eq!(unknown.state(), VxcOrderState::OutcomeUnknown);
    assert!(unknown.vxc_uid.is_empty());
    assert_eq!(control.orders().len(), 1, "megaport has the order");

    // The process dies mid-buy: the row is SUBMITTING with no VXC uid.
    let sandboxed = crash_mid_buy(sandboxed, &order_id).await;
    let control = sandboxed.sandbox.control();
    assert_eq!(
        get(&sandboxed, &order_id).await.state(),
        VxcOrderState::Submitting
    );
    control.clear_faults();

    // The retry finds the stamped VXC instead of buying again.
    let order = create(&sandboxed, &order_spec, &id)
        .await
        .expect("reconciled");
    assert_eq!(order.order_id, order_id);
    let ledger = control.orders();
    assert_eq!(ledger.len(), 1, "no second buy");
    assert_eq!(order.vxc_uid, ledger[0].vxc_uid);
    assert!(
        matches!(
            order.state(),
            VxcOrderState::Deployable | VxcOrderState::Configured | VxcOrderState::Live
        ),
        "{order:?}"
    );
    assert!(order.state_message.contains("reconciled"), "{order:?}");
}

#[tokio::test]
async fn a_buy_that_never_reached_megaport_is_bought_once_by_a_later_retry() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    let key = guide_key(&sandboxed.sandbox, LA1_BLUE, 370).await;
    let order_spec = spec(&key, "refused with 503", 100);
    let id = request_id();
    sandboxed
        .sandbox
        .control()
        .inject_fault(
            Fault::new(
                RouteGroup::Buy,
                FaultKind::Status {
                    code: 503,
                    retry_after: None,
                },
            )
            .with_count(1),
        )
        .expect("503");
    let status = create(&sandboxed, &order_spec, &id)
        .await
        .expect_err("a 503 after sending says nothing about the outcome");
    assert_eq!(reason(&status), "UPSTREAM_OUTCOME_UNKNOWN");
    let order_id = meta(&status, "order_id").expect("order_id");
    assert!(sandboxed.sandbox.control().orders().is_empty());

    // Even after a crash that leaves the row SUBMITTING, the retry first proves the VXC absent,
    // then buys once.
    let sandboxed = crash_mid_buy(sandboxed, &order_id).await;
    let order = create(&sandboxed, &order_spec, &id).await.expect("bought");
    assert_eq!(order.order_id, order_id);
    let ledger = sandboxed.sandbox.control().orders();
    assert_eq!(ledger.len(), 1);
    assert_eq!(order.vxc_uid, ledger[0].vxc_uid);
    let again = create(&sandboxed, &order_spec, &id).await.expect("replay");
    assert_eq!(again.vxc_uid, order.vxc_uid);
    assert_eq!(sandboxed.sandbox.control().orders().len(), 1);
}
