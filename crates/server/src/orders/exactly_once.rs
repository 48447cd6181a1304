//! The exactly-once buy against a fake Megaport: a lost answer is reconciled by the stamped
//! tag, never re-sent blindly, and bought again only once its absence is proven and the grace
//! period has passed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::{OrderDesk, OrderSettings, OrderSpec, OrderState, OrderUpstream};
use crate::error::{Error, ErrorReason};
use megaport::models::{
    BuyConfirmation, Product, ResourceTag, ServiceKey, UpdateVxcRequest, ValidateLine, Vxc,
    VxcOrderItem,
};
use megaport::{ErrorDetail, MegaportError};
use onramp_core::testing::FakeInventory;
use onramp_core::testing::guide_ports;
use onramp_store::Store;

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

/// Acme's account at Megaport: one Port, the provider's single-use key, and the VXCs bought.
struct FakeMegaport {
    buy: Buy,
    buys: AtomicUsize,
    /// Committed VXCs, as Megaport would list them on Acme's Port.
    vxcs: StdMutex<Vec<Value>>,
}

impl FakeMegaport {
    fn new(buy: Buy) -> Arc<Self> {
        Arc::new(Self {
            buy,
            buys: AtomicUsize::new(0),
            vxcs: StdMutex::new(Vec::new()),
        })
    }

    fn buys(&self) -> usize {
        self.buys.load(Ordering::SeqCst)
    }

    fn port(&self) -> Product {
        let vxcs = self.vxcs.lock().expect("vxcs").clone();
        serde_json::from_value(json!({
            "productUid": ACME_PORT, "productName": "Acme LA Port", "productType": "MEGAPORT",
            "provisioningStatus": "LIVE", "portSpeed": 10000, "associatedVxcs": vxcs,
        }))
        .expect("port")
    }
}

fn lost() -> MegaportError {
    MegaportError::OutcomeUnknown(ErrorDetail::new("connection closed before the answer"))
}

#[tonic::async_trait]
impl OrderUpstream for FakeMegaport {
    async fn list_products(
        &self,
        _status: Option<&str>,
        _deadline: Instant,
    ) -> Result<Vec<Product>, MegaportError> {
        Ok(vec![self.port()])
    }
    async fn get_product(&self, uid: &str, _deadline: Instant) -> Result<Product, MegaportError> {
        assert_eq!(uid, ACME_PORT, "orders only read the a-end port");
        Ok(self.port())
    }
    async fn get_vxc(&self, uid: &str, _deadline: Instant) -> Result<Vxc, MegaportError> {
        let vxcs = self.vxcs.lock().expect("vxcs");
        let vxc = vxcs
            .iter()
            .find(|vxc| vxc["productUid"] == uid)
            .ok_or_else(|| MegaportError::NotFound(ErrorDetail::new("no such vxc")))?;
        Ok(serde_json::from_value(vxc.clone()).expect("vxc"))
    }
    async fn get_product_tags(
        &self,
        uid: &str,
        _deadline: Instant,
    ) -> Result<Vec<ResourceTag>, MegaportError> {
        let vxcs = self.vxcs.lock().expect("vxcs");
        let vxc = vxcs.iter().find(|vxc| vxc["productUid"] == uid);
        Ok(vxc.map_or_else(Vec::new, |vxc| {
            serde_json::from_value(vxc["tags"].clone()).expect("tags")
        }))
    }
    async fn get_service_key(
        &self,
        key: &str,
        _deadline: Instant,
    ) -> Result<ServiceKey, MegaportError> {
        let last_used =
            (!self.vxcs.lock().expect("vxcs").is_empty()).then_some(1_700_000_000_000_i64);
        Ok(serde_json::from_value(json!({
            "key": key, "productUid": "la1", "productName": "LA1", "companyName": "QuantumGPU",
            "vlan": 300, "maxSpeed": 1000, "preApproved": true, "singleUse": true,
            "active": true, "lastUsed": last_used,
        }))
        .expect("key"))
    }
    async fn validate_order(
        &self,
        _items: &[VxcOrderItem],
        _deadline: Instant,
    ) -> Result<Vec<ValidateLine>, MegaportError> {
        Ok(vec![
            serde_json::from_value(json!({"price": {"monthlyRate": 45, "currency": "USD"}}))
                .expect("line"),
        ])
    }
    async fn buy_order(
        &self,
        items: &[VxcOrderItem],
        _deadline: Instant,
    ) -> Result<Vec<BuyConfirmation>, MegaportError> {
        let attempt = self.buys.fetch_add(1, Ordering::SeqCst) + 1;
        if let Buy::CommitsAndAnswerIsLost = self.buy {
            let order = &items[0].associated_vxcs[0];
            self.vxcs.lock().expect("vxcs").push(json!({
                "productUid": format!("vxc-{attempt}"), "rateLimit": order.rate_limit,
                "provisioningStatus": "DEPLOYABLE", "createDate": 1_700_000_000_000_i64,
                "aEnd": {"productUid": ACME_PORT, "vlan": 100},
                "bEnd": {"productUid": "la1", "vlan": 300},
                "tags": order.resource_tags,
            }));
        }
        Err(lost())
    }
    async fn update_vxc(
        &self,
        _uid: &str,
        _request: &UpdateVxcRequest,
        _deadline: Instant,
    ) -> Result<Vxc, MegaportError> {
        unreachable!("no approval in these tests")
    }
}

async fn desk(megaport: Arc<FakeMegaport>, store: Store, rebuy_grace: Duration) -> OrderDesk {
    let accounts: BTreeMap<String, Arc<dyn OrderUpstream>> =
        BTreeMap::from([("acme".to_owned(), megaport as Arc<dyn OrderUpstream>)]);
    OrderDesk::new(
        accounts,
        "acme".to_owned(),
        Arc::new(FakeInventory(guide_ports())),
        store,
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
    let spec = super::tests::spec();
    assert_eq!(spec.a_end_port_uid, ACME_PORT);
    spec
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
