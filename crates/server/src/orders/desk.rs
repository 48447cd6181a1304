//! The order desk: the configured Megaport accounts and the journal, key lookup, validation,
//! following an order's VXC, and the provider's approval. The buy itself is in `buy`, and finding
//! the VXC of a buy whose answer was lost is in `reconcile`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};

use time::OffsetDateTime;
use tokio::time::Instant;

use super::buy::order_items;
use super::rules::{PortIds, check_spec, key_unusable, observe, refusal};
use super::{
    ApprovalTarget, KeyLookup, Order, OrderFilter, OrderSettings, OrderSpec, OrderState,
    OrderUpstream, PortRef, Validated,
};
use crate::error::Error;
use crate::error::ErrorReason;
use megaport::MegaportError;
use megaport::models::{Price, Product, ServiceKey, UpdateVxcRequest, Vxc};
use onramp_core::Inventory;
use onramp_core::onramps::{self, ProvisioningStatus};
use onramp_store::Store;

pub(super) struct Inner {
    accounts: BTreeMap<String, Arc<dyn OrderUpstream>>,
    default_account: String,
    pub(super) inventory: Arc<dyn Inventory>,
    store: Store,
    pub(super) settings: OrderSettings,
    /// One lock per request_id in flight, so one buy at a time per order.
    pub(super) locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    /// Reconciliations run (an unknown outcome looked up upstream), for tests and metrics.
    pub(super) reconciliations: std::sync::atomic::AtomicU64,
}

/// Orders over the configured Megaport accounts and the journal. Cheap to clone.
#[derive(Clone)]
pub struct OrderDesk {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for OrderDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderDesk")
            .field("accounts", &self.inner.accounts.keys().collect::<Vec<_>>())
            .field("default_account", &self.inner.default_account)
            .finish_non_exhaustive()
    }
}

impl OrderDesk {
    pub fn new(
        accounts: BTreeMap<String, Arc<dyn OrderUpstream>>,
        default_account: String,
        inventory: Arc<dyn Inventory>,
        store: Store,
        settings: OrderSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                accounts,
                default_account,
                inventory,
                store,
                settings,
                locks: Mutex::new(HashMap::new()),
                reconciliations: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    pub fn settings(&self) -> &OrderSettings {
        &self.inner.settings
    }

    /// How many unknown outcomes have been looked up upstream since start.
    pub fn reconciliations(&self) -> u64 {
        self.inner
            .reconciliations
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The account an order runs under: empty means the default (the provider's) account.
    pub fn account(&self, name: &str) -> Result<(String, Arc<dyn OrderUpstream>), Error> {
        let name = if name.is_empty() {
            self.inner.default_account.as_str()
        } else {
            name
        };
        match self.inner.accounts.get(name) {
            Some(client) => Ok((name.to_owned(), client.clone())),
            None => Err(Error::invalid(
                "account",
                format!(
                    "`{name}` is not a configured megaport account; configured: {}",
                    self.inner
                        .accounts
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_reason(ErrorReason::AccountNotFound)
            .with_meta("account", name)),
        }
    }

    pub(super) fn deadline(&self) -> Instant {
        Instant::now() + self.inner.settings.upstream_timeout
    }

    pub(super) fn store(&self) -> &Store {
        &self.inner.store
    }

    // ---- lookup ----

    pub async fn lookup_key(&self, account: &str, key: &str) -> Result<KeyLookup, Error> {
        let key = key.trim();
        if uuid::Uuid::parse_str(key).is_err() {
            return Err(Error::invalid(
                "key",
                "must be a service key UUID (36 characters)",
            ));
        }
        let (_, client) = self.account(account)?;
        let found = self.fetch_key(client.as_ref(), key).await?;
        let on_ramp = self.on_ramp_ref(&found).await;
        let window = found.valid_for.clone().unwrap_or_default();
        Ok(KeyLookup {
            key: found.key.clone(),
            on_ramp,
            max_speed_mbps: found.max_speed.unwrap_or_default(),
            single_use: found.single_use,
            pre_approved: found.pre_approved.unwrap_or(false),
            valid_from: window.start,
            valid_until: window.end,
            unusable: key_unusable(&found, OffsetDateTime::now_utc()),
        })
    }

    async fn fetch_key(&self, client: &dyn OrderUpstream, key: &str) -> Result<ServiceKey, Error> {
        client
            .get_service_key(key, self.deadline())
            .await
            .map_err(|error| match error {
                MegaportError::NotFound(_) => Error::NotFound {
                    reason: ErrorReason::KeyNotFound,
                    message: format!("service key {key} not found"),
                }
                .with_meta("key", key),
                other => crate::error::upstream(other),
            })
    }

    /// The provider's Port behind a key, from the catalog (the key's owner runs onramp); the key's
    /// own fields when the Port is not one of the provider's.
    async fn on_ramp_ref(&self, key: &ServiceKey) -> PortRef {
        let uid = key.product_uid.clone().unwrap_or_default();
        if let Some(port) = self.provider_port(&uid).await {
            return PortRef::from_port(&port);
        }
        PortRef {
            uid,
            name: key.product_name.clone().unwrap_or_default(),
            company_name: key.company_name.clone().unwrap_or_default(),
            ..PortRef::default()
        }
    }

    async fn provider_port(&self, uid: &str) -> Option<onramps::Port> {
        match self.inner.inventory.ports().await {
            Ok(ports) => ports.iter().find(|port| port.uid == uid).cloned(),
            Err(error) => {
                tracing::warn!(error = %error, "provider ports unavailable for an order check");
                None
            }
        }
    }

    // ---- validate ----

    /// ValidateVxcOrder: local checks (no upstream call), then the key and Ports, then Megaport.
    pub async fn validate(&self, account: &str, spec: &OrderSpec) -> Result<Validated, Error> {
        let violations = check_spec(spec);
        let resolved = self.account(account);
        if !violations.is_empty() {
            return Err(Error::InvalidArgument(violations));
        }
        let (account, client) = resolved?;
        self.check_upstream(&account, client.as_ref(), spec)
            .await
            .map(|(validated, _)| validated)
    }

    /// The checks that need Megaport, ending with Megaport's own validate. Returns the A-end Port
    /// as read, for the buy.
    pub(super) async fn check_upstream(
        &self,
        account: &str,
        client: &dyn OrderUpstream,
        spec: &OrderSpec,
    ) -> Result<(Validated, Product), Error> {
        let deadline = self.deadline();
        let key = self.fetch_key(client, spec.service_key.trim()).await?;
        let products = client
            .list_products(None, deadline)
            .await
            .map_err(crate::error::upstream)?;
        let Some(a_port) = products
            .into_iter()
            .find(|product| product.product_uid == spec.a_end_port_uid)
        else {
            return Err(Error::invalid(
                "spec.a_end_port_uid",
                format!(
                    "port {} is not owned by account `{account}`",
                    spec.a_end_port_uid
                ),
            )
            .with_reason(ErrorReason::PortNotOwned)
            .with_meta("port_uid", &spec.a_end_port_uid)
            .with_meta("account", account));
        };
        let b_uid = key.product_uid.clone().unwrap_or_default();
        let b_port = self.provider_port(&b_uid).await;

        // Rate limit: the smallest of the key's max speed and both Ports' speeds.
        let mut limits: Vec<(i64, String)> = Vec::new();
        if let Some(max) = key.max_speed.filter(|max| *max > 0) {
            limits.push((max, "the service key's max speed".to_owned()));
        }
        if let Some(speed) = a_port.port_speed.filter(|speed| *speed > 0) {
            let max_vxc = a_port.max_vxc_speed.filter(|max| *max > 0).unwrap_or(speed);
            limits.push((
                speed.min(max_vxc),
                format!("the a-end port {}'s speed", a_port.product_uid),
            ));
        }
        if let Some(port) = &b_port
            && port.speed_mbps > 0
        {
            limits.push((
                port.effective_max_vxc_speed_mbps(),
                format!("the b-end port {}'s speed", port.uid),
            ));
        }
        if let Some((limit, what)) = limits.iter().min_by_key(|(limit, _)| *limit)
            && spec.rate_limit_mbps > *limit
        {
            return Err(Error::invalid(
                "spec.rate_limit_mbps",
                format!(
                    "must be between 1 and {limit} mbps ({what}), got {}",
                    spec.rate_limit_mbps
                ),
            )
            .with_reason(ErrorReason::SpeedAboveLimit));
        }
        // The provider's Port must have the capacity left, as SelectOnRamps judged it.
        if let Some(port) = &b_port
            && port.speed_mbps > 0
            && spec.rate_limit_mbps > port.headroom_mbps()
        {
            return Err(Error::FailedPrecondition {
                reason: ErrorReason::InsufficientCapacity,
                message: format!(
                    "the b-end port {} has {} mbps of headroom, below the rate {} mbps",
                    port.uid,
                    port.headroom_mbps(),
                    spec.rate_limit_mbps
                ),
            }
            .with_meta("port_uid", &port.uid));
        }

        let key_str = key.key.clone();
        if let Some(unusable) = key_unusable(&key, OffsetDateTime::now_utc()) {
            return Err(Error::FailedPrecondition {
                reason: unusable.reason,
                message: format!("service key {key_str}: {}", unusable.message),
            }
            .with_meta("key", &key_str));
        }

        // A-end VLAN clash, from the Port as just read.
        if spec.a_end_vlan != 0
            && a_port.associated_vxcs.iter().any(|vxc| {
                !ProvisioningStatus::from_megaport(vxc.provisioning_status.as_deref()).is_gone()
                    && [&vxc.a_end, &vxc.b_end].into_iter().any(|end| {
                        end.product_uid.as_deref() == Some(a_port.product_uid.as_str())
                            && end.vlan == Some(i64::from(spec.a_end_vlan))
                    })
            })
        {
            return Err(Error::FailedPrecondition {
                reason: ErrorReason::VlanInUse,
                message: format!(
                    "vlan {} is in use on the a-end port {}",
                    spec.a_end_vlan, a_port.product_uid
                ),
            }
            .with_meta("field", "spec.a_end_vlan")
            .with_meta("port_uid", &a_port.product_uid)
            .with_meta("vlan", spec.a_end_vlan.to_string()));
        }

        let items = order_items(spec, &key_str, &b_uid, None);
        let lines = client
            .validate_order(&items, deadline)
            .await
            .map_err(|error| refusal(error, &PortIds::of(&a_port), &b_uid, &key_str))?;
        let price = lines
            .iter()
            .find_map(|line| line.price.as_ref())
            .map(super::quote_of_price)
            .unwrap_or_else(|| super::quote_of_price(&Price::default()));
        let b_end = match &b_port {
            Some(port) => PortRef::from_port(port),
            None => PortRef {
                uid: b_uid.clone(),
                name: key.product_name.clone().unwrap_or_default(),
                company_name: key.company_name.clone().unwrap_or_default(),
                ..PortRef::default()
            },
        };
        let b_end_vlan = if key.single_use {
            key.vlan
                .and_then(|vlan| i32::try_from(vlan).ok())
                .unwrap_or(0)
        } else {
            0
        };
        let approver = key
            .company_name
            .clone()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| b_end.company_name.clone());
        Ok((
            Validated {
                price,
                a_end: super::port_ref_of_product(&a_port),
                b_end,
                a_end_vlan: spec.a_end_vlan,
                b_end_vlan,
                approval_required: !key.pre_approved.unwrap_or(false),
                approver,
            },
            a_port,
        ))
    }

    // ---- read and follow ----

    pub async fn get(&self, order_id: &str) -> Result<Order, Error> {
        self.store()
            .order(order_id)
            .await?
            .ok_or_else(|| order_not_found(order_id))
    }

    /// The order, brought up to date with its VXC in Megaport when it is still moving. An
    /// upstream failure leaves the stored order as it is.
    pub async fn current(&self, order_id: &str) -> Result<Order, Error> {
        let order = self.get(order_id).await?;
        match self.refresh(order.clone()).await {
            Ok(order) => Ok(order),
            Err(error) => {
                tracing::debug!(order_id, error = %error, "order refresh failed; serving stored");
                Ok(order)
            }
        }
    }

    async fn refresh(&self, mut order: Order) -> Result<Order, Error> {
        let Some(uid) = order.vxc_uid.clone() else {
            return Ok(order);
        };
        if order.state.is_terminal() {
            return Ok(order);
        }
        let (_, client) = self.account(&order.account)?;
        let vxc = client
            .get_vxc(&uid, self.deadline())
            .await
            .map_err(crate::error::upstream)?;
        let previous = order.clone();
        order.state = observe(&vxc, order.state);
        apply_vlans(&mut order, &vxc);
        if order.state != previous.state {
            order.state_message = match order.state {
                OrderState::Rejected => "the key's owner rejected the vxc".to_owned(),
                OrderState::Cancelled => "the vxc was cancelled in megaport".to_owned(),
                OrderState::AwaitingApproval => {
                    format!("waiting for approval by {}", order.approver)
                }
                state => format!("megaport reports the vxc {}", state.as_str().to_lowercase()),
            };
        }
        if order == previous {
            return Ok(order);
        }
        order.update_time = now_millis().max(previous.update_time);
        self.store().update_order(&order, &[previous.state]).await?;
        Ok(order)
    }

    /// Orders matching `filter`, newest first, `offset`/`limit` paged.
    pub async fn list(
        &self,
        filter: &OrderFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Order>, Error> {
        Ok(self.store().orders_page(filter, offset, limit).await?)
    }

    // ---- approval ----

    /// The provider approving or rejecting a VXC that waits on it.
    pub async fn decide(
        &self,
        account: &str,
        target: ApprovalTarget,
        approve: bool,
        reason: &str,
    ) -> Result<Order, Error> {
        let (_, client) = self.account(account)?;
        let (order, uid) = match &target {
            ApprovalTarget::OrderId(id) => {
                let order = self.get(id).await?;
                let Some(uid) = order.vxc_uid.clone() else {
                    return Err(not_awaiting(&order, "it has no vxc in megaport yet"));
                };
                (Some(order), uid)
            }
            ApprovalTarget::VxcUid(uid) => (self.store().order_by_vxc_uid(uid).await?, uid.clone()),
        };
        let vxc = client
            .get_vxc(&uid, self.deadline())
            .await
            .map_err(|error| match error {
                MegaportError::NotFound(_) | MegaportError::Unauthorized(_) => Error::NotFound {
                    reason: ErrorReason::OrderNotFound,
                    message: format!("no vxc {uid} awaiting the provider's approval"),
                }
                .with_meta("vxc_uid", &uid),
                other => crate::error::upstream(other),
            })?;
        if !vxc.is_pending_approval() {
            let message = format!("vxc {uid} is not awaiting approval");
            return Err(Error::FailedPrecondition {
                reason: ErrorReason::OrderNotAwaitingApproval,
                message,
            }
            .with_meta("vxc_uid", &uid));
        }
        let updated = client
            .update_vxc(&uid, &UpdateVxcRequest::approval(approve), self.deadline())
            .await
            .map_err(crate::error::upstream)?;
        self.inner.inventory.invalidate_ports().await;
        let mut order = match order {
            Some(order) => order,
            None => foreign_order(&updated),
        };
        let previous = order.state;
        if approve {
            order.state = observe(&updated, OrderState::Deployable);
            order.state_message = "approved by the key's owner".to_owned();
        } else {
            order.state = OrderState::Rejected;
            order.state_message = if reason.is_empty() {
                "rejected by the key's owner".to_owned()
            } else {
                format!("rejected by the key's owner: {reason}")
            };
        }
        apply_vlans(&mut order, &updated);
        order.update_time = now_millis().max(order.update_time);
        if !order.order_id.is_empty() {
            self.store().update_order(&order, &[previous]).await?;
        }
        Ok(order)
    }
}

fn not_awaiting(order: &Order, why: &str) -> Error {
    Error::FailedPrecondition {
        reason: ErrorReason::OrderNotAwaitingApproval,
        message: format!("order {} is not awaiting approval: {why}", order.order_id),
    }
    .with_meta("order_id", &order.order_id)
}

fn order_not_found(order_id: &str) -> Error {
    Error::NotFound {
        reason: ErrorReason::OrderNotFound,
        message: format!("order {order_id} not found"),
    }
    .with_meta("order_id", order_id)
}

pub(super) fn apply_vlans(order: &mut Order, vxc: &Vxc) {
    if let Some(vlan) = vxc
        .a_end
        .vlan
        .and_then(|vlan| i32::try_from(vlan).ok())
        .filter(|vlan| *vlan > 0)
    {
        order.a_end_vlan = vlan;
    }
    if let Some(vlan) = vxc
        .b_end
        .vlan
        .and_then(|vlan| i32::try_from(vlan).ok())
        .filter(|vlan| *vlan > 0)
    {
        order.b_end_vlan = vlan;
    }
}

/// An order built from Megaport's data, for a VXC ordered outside onramp.
fn foreign_order(vxc: &Vxc) -> Order {
    let now = now_millis();
    let mut order = Order {
        order_id: String::new(),
        request_id: String::new(),
        account: String::new(),
        spec: OrderSpec {
            a_end_port_uid: vxc.a_end.product_uid.clone().unwrap_or_default(),
            rate_limit_mbps: vxc.rate_limit.unwrap_or_default(),
            term_months: vxc
                .contract_term_months
                .and_then(|term| i32::try_from(term).ok())
                .unwrap_or_default(),
            name: vxc.product_name.clone().unwrap_or_default(),
            cost_centre: vxc.cost_centre.clone().unwrap_or_default(),
            shutdown: vxc.shutdown,
            ..OrderSpec::default()
        },
        state: OrderState::AwaitingApproval,
        vxc_uid: Some(vxc.product_uid.clone()),
        a_end: super::port_ref_of_vxc_end(&vxc.a_end),
        b_end: super::port_ref_of_vxc_end(&vxc.b_end),
        a_end_vlan: 0,
        b_end_vlan: 0,
        price: super::quote_of_price(&Price::default()),
        approver: String::new(),
        state_message: String::new(),
        error_reason: ErrorReason::Unspecified,
        buy_attempts: 0,
        create_time: vxc.create_date.unwrap_or(now),
        update_time: now,
    };
    order.a_end.company_name = vxc.company_name.clone().unwrap_or_default();
    order
}

pub(super) use onramp_core::time::now_millis;
