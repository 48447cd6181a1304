//! The exactly-once buy (onramp-core's `OrderDesk` on the SQLite journal) against a fake Megaport: a lost answer is reconciled by the stamped
//! tag, never re-sent blindly, and bought again only once its absence is proven and the grace
//! period has passed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use onramp_core::keys::UpstreamKey;
use onramp_core::locks::Locks;
use onramp_core::onramps::{Location, Port, PortRef, PortVxc, ProvisioningStatus, Zone};
use onramp_core::orders::{
    AccountPort, BuyAccepted, OrderDesk, OrderSettings, OrderSpec, OrderState, OrderUpstream,
    OrderVxc, Quote, UpstreamFailure, VxcBuy, VxcChange, VxcEnd,
};
use onramp_core::testing::{FakeInventory, guide_ports};
use onramp_core::{Error, ErrorReason};
use onramp_store::Store;
use tokio::time::Instant;

/// Acme's Port, as in the shared test spec.
const ACME_PORT: &str = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a";

/// What a buy does at the fake.
#[derive(Clone, Copy)]
enum Buy {
    /// Megaport commits the VXC, and the answer is lost on the way back.
    CommitsAndAnswerIsLost,
    /// The request is lost before Megaport sees it, and onramp cannot tell.
    LostUnseen,
}

/// A VXC Megaport committed, with the request id stamped on it.
#[derive(Clone)]
struct Committed {
    vxc: OrderVxc,
    stamp: Option<String>,
}

/// Acme's account at Megaport: one Port, the provider's single-use key, and the VXCs bought.
struct FakeMegaport {
    buy: Buy,
    buys: AtomicUsize,
    committed: StdMutex<Vec<Committed>>,
}

impl FakeMegaport {
    fn new(buy: Buy) -> Arc<Self> {
        Arc::new(Self {
            buy,
            buys: AtomicUsize::new(0),
            committed: StdMutex::new(Vec::new()),
        })
    }

    fn buys(&self) -> usize {
        self.buys.load(Ordering::SeqCst)
    }

    fn committed(&self) -> Vec<Committed> {
        self.committed.lock().expect("vxcs").clone()
    }

    fn port(&self) -> AccountPort {
        let vxcs = self
            .committed()
            .into_iter()
            .map(|committed| PortVxc {
                uid: committed.vxc.uid.clone(),
                name: committed.vxc.name.clone(),
                rate_limit_mbps: committed.vxc.rate_limit_mbps,
                vlan: committed.vxc.a_end.vlan,
                status: committed.vxc.status,
                create_time: committed.vxc.create_time,
            })
            .collect();
        AccountPort {
            port: Port {
                kind: onramp_core::onramps::OnRampKind::Port,
                uid: ACME_PORT.into(),
                name: "Acme LA Port".into(),
                company_name: "Acme".into(),
                location: Location::default(),
                speed_mbps: 10_000,
                zone: Zone::None,
                vxc_permitted: true,
                max_vxc_speed_mbps: 0,
                status: ProvisioningStatus::Live,
                vxcs,
                lag: None,
            },
            service_id: Some(74841),
        }
    }
}

fn lost() -> UpstreamFailure {
    UpstreamFailure::OutcomeUnknown(Error::Unavailable {
        reason: ErrorReason::UpstreamOutcomeUnknown,
        message: "megaport: connection closed before the answer".into(),
        retry_after: None,
    })
}

#[async_trait]
impl OrderUpstream for FakeMegaport {
    fn for_write(self: Arc<Self>) -> Arc<dyn OrderUpstream> {
        self
    }
    async fn ports(&self, _deadline: Instant) -> Result<Vec<AccountPort>, UpstreamFailure> {
        Ok(vec![self.port()])
    }
    async fn price(
        &self,
        _a_location_id: i32,
        _b_location_id: i32,
        _rate_limit_mbps: i64,
        _term_months: i32,
        _deadline: Instant,
    ) -> Result<(Quote, String), UpstreamFailure> {
        unreachable!("orders do not price from the pricebook")
    }
    async fn change(
        &self,
        _vxc_uid: &str,
        _change: VxcChange,
        _deadline: Instant,
    ) -> Result<OrderVxc, UpstreamFailure> {
        unreachable!("orders do not change vxcs")
    }
    async fn lifecycle(
        &self,
        _vxc_uid: &str,
        _action: onramp_core::orders::LifecycleAction,
        _deadline: Instant,
    ) -> Result<(), UpstreamFailure> {
        unreachable!("orders do not cancel vxcs")
    }
    async fn cancel_charges(
        &self,
        _vxc_uid: &str,
        _deadline: Instant,
    ) -> Result<onramp_core::orders::CancelQuote, UpstreamFailure> {
        unreachable!("orders do not price cancellations")
    }
    async fn port(&self, uid: &str, _deadline: Instant) -> Result<AccountPort, UpstreamFailure> {
        assert_eq!(uid, ACME_PORT, "orders only read the a-end port");
        Ok(self.port())
    }
    async fn vxc(&self, uid: &str, _deadline: Instant) -> Result<OrderVxc, UpstreamFailure> {
        self.committed()
            .into_iter()
            .find(|committed| committed.vxc.uid == uid)
            .map(|committed| committed.vxc)
            .ok_or_else(|| {
                UpstreamFailure::NotFound(Error::NotFound {
                    reason: ErrorReason::UpstreamNotFound,
                    message: "no such vxc".into(),
                })
            })
    }
    async fn vxcs(&self, _deadline: Instant) -> Result<Vec<OrderVxc>, UpstreamFailure> {
        Ok(self
            .committed()
            .into_iter()
            .map(|committed| committed.vxc)
            .collect())
    }
    async fn stamped_request_id(
        &self,
        vxc_uid: &str,
        _deadline: Instant,
    ) -> Result<Option<String>, UpstreamFailure> {
        Ok(self
            .committed()
            .into_iter()
            .find(|committed| committed.vxc.uid == vxc_uid)
            .and_then(|committed| committed.stamp))
    }
    async fn service_key(
        &self,
        key: &str,
        _deadline: Instant,
    ) -> Result<UpstreamKey, UpstreamFailure> {
        let used = !self.committed().is_empty();
        Ok(UpstreamKey {
            key: key.into(),
            port_uid: "la1".into(),
            port_name: "LA1".into(),
            company_name: "QuantumGPU".into(),
            vlan: Some(300),
            max_speed_mbps: 1000,
            pre_approved: true,
            single_use: true,
            active: true,
            last_used: used.then(time::OffsetDateTime::now_utc),
            ..UpstreamKey::default()
        })
    }
    async fn validate(
        &self,
        _order: VxcBuy<'_>,
        _deadline: Instant,
    ) -> Result<Quote, UpstreamFailure> {
        Ok(Quote {
            currency: "USD".into(),
            monthly_rate: "45".into(),
            ..Quote::unknown()
        })
    }
    async fn buy(
        &self,
        order: VxcBuy<'_>,
        _deadline: Instant,
    ) -> Result<BuyAccepted, UpstreamFailure> {
        let attempt = self.buys.fetch_add(1, Ordering::SeqCst) + 1;
        if let Buy::CommitsAndAnswerIsLost = self.buy {
            let end = |uid: &str, vlan| VxcEnd {
                port: PortRef::bare(uid, ""),
                vlan: Some(vlan),
            };
            self.committed.lock().expect("vxcs").push(Committed {
                vxc: OrderVxc {
                    uid: format!("vxc-{attempt}"),
                    name: order.spec.name.clone(),
                    status: ProvisioningStatus::Deployable,
                    pending_approval: false,
                    approval_expired: false,
                    pending_rate_limit_mbps: None,
                    pending_term_months: None,
                    rate_limit_mbps: order.spec.rate_limit_mbps,
                    term_months: order.spec.term_months,
                    cost_centre: String::new(),
                    shutdown: false,
                    company_name: "Acme".into(),
                    a_end: end(ACME_PORT, 100),
                    b_end: end("la1", 300),
                    create_time: Some(time::OffsetDateTime::now_utc()),
                },
                stamp: order.request_id.map(str::to_owned),
            });
        }
        Err(lost())
    }
    async fn decide(
        &self,
        _vxc_uid: &str,
        _approve: bool,
        _deadline: Instant,
    ) -> Result<OrderVxc, UpstreamFailure> {
        unreachable!("no approval in these tests")
    }
}

async fn desk(megaport: Arc<FakeMegaport>, store: Store, rebuy_grace: Duration) -> OrderDesk {
    let accounts: BTreeMap<String, Arc<dyn OrderUpstream>> =
        BTreeMap::from([("acme".to_owned(), megaport as Arc<dyn OrderUpstream>)]);
    OrderDesk::new(
        accounts,
        "acme".to_owned(),
        Arc::new(FakeInventory::new(guide_ports())),
        Arc::new(store.clone()),
        Locks::new(Arc::new(store)),
        OrderSettings {
            poll_interval: Duration::from_millis(100),
            upstream_timeout: Duration::from_secs(5),
            rebuy_grace,
        },
    )
}

async fn store() -> Store {
    Store::in_memory().await.expect("store")
}

fn spec() -> OrderSpec {
    OrderSpec {
        service_key: "106e38ae-eb59-415f-ac81-526a5299851d".into(),
        a_end_port_uid: ACME_PORT.into(),
        rate_limit_mbps: 100,
        term_months: 12,
        name: "acme to quantumgpu".into(),
        ..OrderSpec::default()
    }
}

fn is_outcome_unknown(error: &Error) -> bool {
    error.reason() == ErrorReason::UpstreamOutcomeUnknown
}

#[tokio::test]
async fn a_buy_whose_answer_is_lost_is_found_by_its_stamp_and_not_sent_again() {
    let megaport = FakeMegaport::new(Buy::CommitsAndAnswerIsLost);
    let desk = desk(megaport.clone(), store().await, Duration::ZERO).await;
    let request_id = uuid::Uuid::new_v4().to_string();

    let order = desk
        .create("acme", spec(), request_id.clone())
        .await
        .expect("reconciled at once");
    assert_eq!(order.vxc_uid.as_deref(), Some("vxc-1"));
    assert_eq!(order.state, OrderState::Deployable);
    assert_eq!(megaport.buys(), 1);

    let replay = desk
        .create("acme", spec(), request_id)
        .await
        .expect("replay");
    assert_eq!(replay.order_id, order.order_id);
    assert_eq!(megaport.buys(), 1, "a replay never buys");
}

#[tokio::test]
async fn an_unseen_buy_is_sent_again_only_after_the_grace_period() {
    let megaport = FakeMegaport::new(Buy::LostUnseen);
    let request_id = uuid::Uuid::new_v4().to_string();

    let store = store().await;

    let patient = desk(megaport.clone(), store.clone(), Duration::from_secs(3600)).await;
    let first = patient
        .create("acme", spec(), request_id.clone())
        .await
        .expect_err("outcome unknown");
    assert!(is_outcome_unknown(&first), "{first:?}");
    let retry = patient
        .create("acme", spec(), request_id.clone())
        .await
        .expect_err("still unknown inside the grace period");
    assert!(is_outcome_unknown(&retry), "{retry:?}");
    assert_eq!(megaport.buys(), 1, "no second buy inside the grace period");

    // The same journal, with the grace period over: no stamped VXC exists, so a retry buys.
    let eager = desk(megaport.clone(), store.clone(), Duration::ZERO).await;
    let retry = eager
        .create("acme", spec(), request_id.clone())
        .await
        .expect_err("the second buy is lost too");
    assert!(is_outcome_unknown(&retry), "{retry:?}");
    assert_eq!(megaport.buys(), 2);
    let order = store
        .order_by_request_id(&request_id)
        .await
        .expect("store")
        .expect("one journal row");
    assert_eq!(order.buy_attempts, 2, "both buys belong to the one order");
    assert_eq!(order.state, OrderState::OutcomeUnknown);
}
