//! The order desk: the configured Megaport accounts and the journal, key lookup, validation,
//! following an order's VXC, and the provider's approval. The buy itself is in `buy`, and finding
//! the VXC of a buy whose answer was lost is in `reconcile`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::time::Instant;

use super::rules::{PortIds, check_spec, key_unusable, observe, refusal, transition_message};
use super::upstream::{AccountPort, Refusal, UpstreamFailure, VxcBuy};
use super::{
    ApprovalTarget, KeyLookup, Order, OrderFilter, OrderSettings, OrderSpec, OrderState,
    OrderUpstream, OrderVxc, PortRef, ProspectQuote, Quote, Validated, VxcSnapshot,
};
use crate::Inventory;
use crate::cursor::Cursor;
use crate::error::{Error, ErrorReason};
use crate::keys::{KeyState, UpstreamKey, check_key};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::locks::Locks;
use crate::onramps;
use crate::ports::OrderStore;

pub(super) struct Inner {
    accounts: BTreeMap<String, Arc<dyn OrderUpstream>>,
    default_account: String,
    pub(super) inventory: Arc<dyn Inventory>,
    store: Arc<dyn OrderStore>,
    pub(super) settings: OrderSettings,
    /// One buy at a time per request_id, in every process on the journal.
    pub(super) locks: Locks,
    /// What buys and reconciliations came to, for metrics.
    pub(super) counters: Counters,
    /// Each account's Ports as last listed, and when: see [`OrderDesk::account_ports`].
    account_ports: std::sync::Mutex<HashMap<String, ListedPorts>>,
    /// Sends a key's peering profile before an approval (set once at start).
    before_approval: std::sync::OnceLock<Arc<dyn crate::peering::BeforeApproval>>,
}

/// An account's Ports, and when they were listed.
type ListedPorts = (Instant, Arc<Vec<AccountPort>>);

/// How long an account's Port listing answers the check that an order's A-end is the
/// account's. Ownership changes rarely, and Megaport checks it again on validate and buy.
const ACCOUNT_PORTS_REUSE: std::time::Duration = std::time::Duration::from_secs(60);

/// Totals that only grow, kept as they happen and read by metrics.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) buys_accepted: AtomicU64,
    pub(super) buys_refused: AtomicU64,
    pub(super) buys_not_sent: AtomicU64,
    pub(super) buys_outcome_unknown: AtomicU64,
    pub(super) reconciliations_found: AtomicU64,
    pub(super) reconciliations_absent: AtomicU64,
    pub(super) reconciliations_failed: AtomicU64,
}

impl Counters {
    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The order desk's totals at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderTotals {
    /// Buys Megaport accepted.
    pub buys_accepted: u64,
    /// Buys Megaport refused (the order failed).
    pub buys_refused: u64,
    /// Buys provably not sent (the order went back to JOURNALED).
    pub buys_not_sent: u64,
    /// Buys whose answer was lost (the order went to OUTCOME_UNKNOWN).
    pub buys_outcome_unknown: u64,
    /// Unknown outcomes looked up upstream: the VXC was found (adopted) ...
    pub reconciliations_found: u64,
    /// ... or proved absent ...
    pub reconciliations_absent: u64,
    /// ... or the lookup itself failed.
    pub reconciliations_failed: u64,
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
        store: Arc<dyn OrderStore>,
        locks: Locks,
        settings: OrderSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                accounts,
                default_account,
                inventory,
                store,
                settings,
                locks,
                counters: Counters::default(),
                account_ports: Default::default(),
                before_approval: std::sync::OnceLock::new(),
            }),
        }
    }

    /// What configures the provider's end of an order bought with a key before it is approved.
    pub fn use_before_approval(&self, hook: Arc<dyn crate::peering::BeforeApproval>) {
        let _ = self.inner.before_approval.set(hook);
    }

    pub fn settings(&self) -> &OrderSettings {
        &self.inner.settings
    }

    /// What buys and reconciliations came to since start.
    pub fn totals(&self) -> OrderTotals {
        let counters = &self.inner.counters;
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        OrderTotals {
            buys_accepted: load(&counters.buys_accepted),
            buys_refused: load(&counters.buys_refused),
            buys_not_sent: load(&counters.buys_not_sent),
            buys_outcome_unknown: load(&counters.buys_outcome_unknown),
            reconciliations_found: load(&counters.reconciliations_found),
            reconciliations_absent: load(&counters.reconciliations_absent),
            reconciliations_failed: load(&counters.reconciliations_failed),
        }
    }

    /// The name an empty `account` stands for.
    pub fn default_account(&self) -> &str {
        &self.inner.default_account
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

    pub(super) fn store(&self) -> &dyn OrderStore {
        self.inner.store.as_ref()
    }

    // ---- lookup ----

    pub async fn lookup_key(&self, account: &str, key: &str) -> Result<KeyLookup, Error> {
        let key = key.trim();
        if let Some(violation) = check_key("key", key) {
            return Err(Error::InvalidArgument(vec![violation]));
        }
        let (_, client) = self.account(account)?;
        let found = self.fetch_key(client.as_ref(), key).await?;
        let on_ramp = self.on_ramp_ref(&found).await;
        Ok(KeyLookup {
            key: found.key.clone(),
            on_ramp,
            max_speed_mbps: found.max_speed_mbps,
            single_use: found.single_use,
            pre_approved: found.pre_approved,
            valid_from: found.valid_from,
            valid_until: found.valid_until,
            unusable: key_unusable(&found, OffsetDateTime::now_utc()),
        })
    }

    /// The key an order names: from the key watcher's read model when it holds the key as
    /// usable, else from Megaport. The read model is at most a poll interval old, and that is
    /// safe here: Megaport's validate and buy check the key again, so a key that stopped being
    /// usable since is refused there; and a key the read model shows unusable (or does not
    /// hold: another provider's) is read from Megaport, so onramp never refuses on stale news.
    /// (A lookup, whose answer is the verdict itself, always reads Megaport.)
    async fn order_key(&self, client: &dyn OrderUpstream, key: &str) -> Result<UpstreamKey, Error> {
        if let Some(view) = self.store().key_view(key).await?
            && view.state == KeyState::Active
        {
            let seen = view.as_upstream();
            if key_unusable(&seen, OffsetDateTime::now_utc()).is_none() {
                return Ok(seen);
            }
        }
        self.fetch_key(client, key).await
    }

    async fn fetch_key(&self, client: &dyn OrderUpstream, key: &str) -> Result<UpstreamKey, Error> {
        client
            .service_key(key, self.deadline())
            .await
            .map_err(|failure| match failure {
                UpstreamFailure::NotFound(_)
                | UpstreamFailure::Refused {
                    refusal: Refusal::KeyNotFound,
                    ..
                } => Error::NotFound {
                    reason: ErrorReason::KeyNotFound,
                    message: format!("service key {key} not found"),
                }
                .with_meta("key", key),
                other => other.into_error(),
            })
    }

    /// The account's Ports: listed again when `fresh` (an order that names its A-end VLAN is
    /// checked against the VXCs on the Port now) or when the last listing is older than
    /// [`ACCOUNT_PORTS_REUSE`]; otherwise the last listing, which is all the ownership check
    /// and the Port's speed need.
    async fn account_ports(
        &self,
        account: &str,
        client: &dyn OrderUpstream,
        fresh: bool,
    ) -> Result<Arc<Vec<AccountPort>>, Error> {
        let cache = &self.inner.account_ports;
        let lock = || cache.lock().unwrap_or_else(|e| e.into_inner());
        if !fresh
            && let Some((listed, ports)) = lock().get(account)
            && listed.elapsed() < ACCOUNT_PORTS_REUSE
        {
            return Ok(ports.clone());
        }
        let listed = Instant::now();
        let ports = Arc::new(client.ports(self.deadline()).await?);
        lock().insert(account.to_owned(), (listed, ports.clone()));
        Ok(ports)
    }

    /// The provider's Port behind a key, from the catalog (the key's owner runs onramp); the key's
    /// own fields when the Port is not one of the provider's.
    async fn on_ramp_ref(&self, key: &UpstreamKey) -> PortRef {
        match self.provider_port(&key.port_uid).await {
            Some(port) => PortRef::from_port(&port),
            None => key_port_ref(key),
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
    /// Prices a VXC from `location_id` to the provider's on-ramp `port_uid` for a prospect with
    /// no Port or key yet: Megaport's pricebook, the monthly rate validate gives later.
    pub async fn quote(
        &self,
        account: &str,
        location_id: i32,
        port_uid: &str,
        rate_limit_mbps: i64,
        term_months: i32,
    ) -> Result<ProspectQuote, Error> {
        let mut violations = super::rules::check_rate_and_term(rate_limit_mbps, term_months);
        if location_id <= 0 {
            violations.push(crate::error::FieldViolation::new(
                "location_id",
                format!("is required: a megaport location id, got {location_id}"),
            ));
        }
        if port_uid.trim().is_empty() {
            violations.push(crate::error::FieldViolation::new(
                "port_uid",
                "is required: the provider's on-ramp",
            ));
        }
        if !violations.is_empty() {
            return Err(Error::InvalidArgument(violations));
        }
        let (_, client) = self.account(account)?;
        let ports = self.inner.inventory.ports().await?;
        let on_ramp = ports
            .iter()
            .find(|port| port.uid == port_uid)
            .ok_or_else(|| Error::on_ramp_not_found(port_uid))?;
        let locations = self.inner.inventory.locations().await?;
        if !locations.iter().any(|location| location.id == location_id) {
            return Err(Error::InvalidArgument(vec![
                crate::error::FieldViolation::new(
                    "location_id",
                    format!("megaport has no location {location_id}"),
                ),
            ]));
        }
        let (price, monthly_rack_rate) = client
            .price(
                location_id,
                on_ramp.location.id,
                rate_limit_mbps,
                term_months,
                self.deadline(),
            )
            .await?;
        Ok(ProspectQuote {
            price,
            monthly_rack_rate,
            on_ramp: PortRef::from_port(on_ramp),
        })
    }

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

    /// The checks that need Megaport, ending with Megaport's own validate. Returns the A-end
    /// Port's identifiers, for the buy.
    pub(super) async fn check_upstream(
        &self,
        account: &str,
        client: &dyn OrderUpstream,
        spec: &OrderSpec,
    ) -> Result<(Validated, PortIds), Error> {
        let deadline = self.deadline();
        let key = self.order_key(client, spec.service_key.trim()).await?;
        let find = |ports: &[AccountPort]| {
            ports
                .iter()
                .find(|account_port| account_port.port.uid == spec.a_end_port_uid)
                .cloned()
        };
        let fresh = spec.a_end_vlan != 0;
        let mut a_port = find(&self.account_ports(account, client, fresh).await?);
        if a_port.is_none() && !fresh {
            // Not in the last listing: perhaps a Port newer than it.
            a_port = find(&self.account_ports(account, client, true).await?);
        }
        let Some(a_port) = a_port else {
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
        let a_ids = PortIds {
            uid: a_port.port.uid.clone(),
            service_id: a_port.service_id,
        };
        let a_port = a_port.port;
        let b_uid = key.port_uid.clone();
        let b_port = self.provider_port(&b_uid).await;

        // Rate limit: the smallest of the key's max speed and both Ports' speeds.
        let mut limits: Vec<(i64, String)> = Vec::new();
        if key.max_speed_mbps > 0 {
            limits.push((key.max_speed_mbps, "the service key's max speed".to_owned()));
        }
        if a_port.speed_mbps > 0 {
            limits.push((
                a_port.effective_max_vxc_speed_mbps(),
                format!("the a-end port {}'s speed", a_port.uid),
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
            && a_port
                .active_vxcs()
                .any(|vxc| vxc.vlan == Some(spec.a_end_vlan))
        {
            return Err(Error::FailedPrecondition {
                reason: ErrorReason::VlanInUse,
                message: format!(
                    "vlan {} is in use on the a-end port {}",
                    spec.a_end_vlan, a_port.uid
                ),
            }
            .with_meta("field", "spec.a_end_vlan")
            .with_meta("port_uid", &a_port.uid)
            .with_meta("vlan", spec.a_end_vlan.to_string()));
        }

        let order = VxcBuy {
            spec,
            service_key: &key_str,
            b_end_port_uid: &b_uid,
            request_id: None,
        };
        let price = client
            .validate(order, deadline)
            .await
            .map_err(|failure| refusal(failure, &a_ids, &b_uid, &key_str))?;
        let b_end = match &b_port {
            Some(port) => PortRef::from_port(port),
            None => key_port_ref(&key),
        };
        let b_end_vlan = if key.single_use {
            key.vlan.unwrap_or(0)
        } else {
            0
        };
        let approver = if key.company_name.is_empty() {
            b_end.company_name.clone()
        } else {
            key.company_name.clone()
        };
        Ok((
            Validated {
                price,
                a_end: PortRef::from_port(&a_port),
                b_end,
                a_end_vlan: spec.a_end_vlan,
                b_end_vlan,
                approval_required: !key.pre_approved,
                approver,
            },
            a_ids,
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

    /// The orders `order_ids` of `account`, brought up to date from one listing of the
    /// account's VXCs; an order whose VXC is not listed (it ended, or it is not on one of the
    /// account's Ports) is read on its own. An order that cannot be refreshed is returned as
    /// stored.
    pub async fn refresh_listed(
        &self,
        account: &str,
        order_ids: &[String],
    ) -> Result<Vec<Order>, Error> {
        let (_, client) = self.account(account)?;
        let listed: HashMap<String, OrderVxc> = client
            .vxcs(self.deadline())
            .await?
            .into_iter()
            .map(|vxc| (vxc.uid.clone(), vxc))
            .collect();
        let mut refreshed = Vec::with_capacity(order_ids.len());
        for order_id in order_ids {
            let order = self.get(order_id).await?;
            let listed_vxc = order.vxc_uid.as_ref().and_then(|uid| listed.get(uid));
            let result = match listed_vxc {
                _ if order.state.is_terminal() => Ok(order.clone()),
                Some(vxc) => self.observe_vxc(order.clone(), vxc).await,
                None => self.refresh(order.clone()).await,
            };
            refreshed.push(result.unwrap_or_else(|error| {
                tracing::debug!(order_id, %error, "order refresh failed; serving stored");
                order
            }));
        }
        Ok(refreshed)
    }

    async fn refresh(&self, order: Order) -> Result<Order, Error> {
        let Some(uid) = order.vxc_uid.clone() else {
            return Ok(order);
        };
        if order.state.is_terminal() {
            return Ok(order);
        }
        let (_, client) = self.account(&order.account)?;
        let vxc = client.vxc(&uid, self.deadline()).await?;
        self.observe_vxc(order, &vxc).await
    }

    /// `order` with its VXC as Megaport reports it, stored when that changed it.
    async fn observe_vxc(&self, mut order: Order, vxc: &OrderVxc) -> Result<Order, Error> {
        let previous = order.clone();
        order.state = observe(vxc, order.state);
        apply_vlans(&mut order, vxc);
        if let Some(message) = transition_message(&previous, &order, vxc) {
            order.state_message = message;
        }
        // Before LIVE the VXC's figures are the order's own: its snapshot rides along with a
        // change of state rather than being a change of its own.
        if order != previous || order.state.has_been_live() {
            order.vxc = Some(VxcSnapshot::of(vxc));
        }
        if order == previous {
            return Ok(order);
        }
        order.update_time = now_millis().max(previous.update_time);
        self.store().update_order(&order, &[previous.state]).await?;
        Ok(order)
    }

    /// The order that bought `vxc`, if onramp did, brought up to date with it: a change made
    /// through onramp shows on the order at once, without another read of Megaport.
    pub(super) async fn record_vxc(&self, vxc: &OrderVxc) -> Result<Option<Order>, Error> {
        match self.store().order_by_vxc_uid(&vxc.uid).await? {
            Some(order) if !order.state.is_terminal() => {
                Ok(Some(self.observe_vxc(order, vxc).await?))
            }
            _ => Ok(None),
        }
    }

    /// Orders matching `filter`, newest first (create time, then order id), after `after`.
    pub async fn list(
        &self,
        filter: &OrderFilter,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Order>, Error> {
        self.store().orders_page(filter, after, limit).await
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
            .vxc(&uid, self.deadline())
            .await
            .map_err(|failure| match failure {
                UpstreamFailure::NotFound(_) => Error::NotFound {
                    reason: ErrorReason::OrderNotFound,
                    message: format!("no vxc {uid} awaiting the provider's approval"),
                }
                .with_meta("vxc_uid", &uid),
                other => other.into_error(),
            })?;
        if !vxc.pending_approval {
            let message = format!("vxc {uid} is not awaiting approval");
            return Err(Error::FailedPrecondition {
                reason: ErrorReason::OrderNotAwaitingApproval,
                message,
            }
            .with_meta("vxc_uid", &uid));
        }
        let key = order
            .as_ref()
            .map(|order| order.spec.service_key.trim())
            .filter(|key| !key.is_empty());
        if let (true, Some(key), Some(hook)) = (approve, key, self.inner.before_approval.get()) {
            hook.before_approval(key, &uid).await?;
        }
        let updated = client.decide(&uid, approve, self.deadline()).await?;
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
        order.vxc = Some(VxcSnapshot::of(&updated));
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

/// NOT_FOUND for an order that does not exist, or that the caller may not see.
pub fn order_not_found(order_id: &str) -> Error {
    Error::NotFound {
        reason: ErrorReason::OrderNotFound,
        message: format!("order {order_id} not found"),
    }
    .with_meta("order_id", order_id)
}

pub(super) fn apply_vlans(order: &mut Order, vxc: &OrderVxc) {
    if let Some(vlan) = vxc.a_end.vlan.filter(|vlan| *vlan > 0) {
        order.a_end_vlan = vlan;
    }
    if let Some(vlan) = vxc.b_end.vlan.filter(|vlan| *vlan > 0) {
        order.b_end_vlan = vlan;
    }
}

/// The B-end of a key whose Port is not in the provider's inventory: what the key says of it.
fn key_port_ref(key: &UpstreamKey) -> PortRef {
    PortRef {
        uid: key.port_uid.clone(),
        name: key.port_name.clone(),
        company_name: key.company_name.clone(),
        ..PortRef::default()
    }
}

/// An order built from Megaport's data, for a VXC ordered outside onramp.
fn foreign_order(vxc: &OrderVxc) -> Order {
    let now = now_millis();
    let mut order = Order {
        order_id: String::new(),
        request_id: String::new(),
        account: String::new(),
        spec: OrderSpec {
            a_end_port_uid: vxc.a_end.port.uid.clone(),
            rate_limit_mbps: vxc.rate_limit_mbps,
            term_months: vxc.term_months,
            name: vxc.name.clone(),
            cost_centre: vxc.cost_centre.clone(),
            shutdown: vxc.shutdown,
            ..OrderSpec::default()
        },
        state: OrderState::AwaitingApproval,
        vxc_uid: Some(vxc.uid.clone()),
        a_end: vxc.a_end.port.clone(),
        b_end: vxc.b_end.port.clone(),
        a_end_vlan: 0,
        b_end_vlan: 0,
        price: Quote::unknown(),
        approver: String::new(),
        state_message: String::new(),
        error_reason: ErrorReason::Unspecified,
        buy_attempts: 0,
        vxc: Some(VxcSnapshot::of(vxc)),
        create_time: vxc.create_time.unwrap_or(now),
        update_time: now,
    };
    order.a_end.company_name = vxc.company_name.clone();
    order
}

pub(super) use crate::time::now_millis;
