//! VXC orders bought with a service key: the local rules (checked before anything is sent), the
//! order state machine and its mapping from Megaport's VXC, and the exactly-once buy.
//!
//! Exactly once, per `request_id`:
//! 1. Local checks, then Megaport's validate. A request refused there is not journaled.
//! 2. The journal row is inserted (JOURNALED) and moved to SUBMITTING by a compare-and-set update,
//!    both committed before the buy POST; the request_id travels on the VXC as a resource tag.
//! 3. A definite answer records the VXC (or FAILED). An unknown outcome (reset, timeout, 5xx after
//!    send, or a crash that leaves SUBMITTING behind) is reconciled by reading the A-end Port's
//!    `associatedVxcs` fresh and each unclaimed VXC's tags, looking for the stamped request_id.
//! 4. Only a later retry of the same request_id may buy again, and only once reconciliation has
//!    shown that no stamped VXC exists and `rebuy_grace` has passed since the last attempt.
//!
//! All work for one request_id runs under a per-request_id lock in a spawned task, so a client that
//! hangs up cannot cancel it halfway and two concurrent calls cannot both buy.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::catalog::Catalog;
use crate::domain::Inventory;
use crate::domain::onramps::{self, ProvisioningStatus};
use crate::error::{Error, FieldViolation};
use crate::megaport::MegaportClient;
use crate::megaport::MegaportError;
use crate::megaport::models::{
    OrderEnd, Price, Product, ResourceTag, ServiceKey, UpdateVxcRequest, Vxc, VxcOrderConfig,
    VxcOrderItem,
};
use crate::pb::ErrorReason;
use crate::store::Store;

/// The resource tag key onramp stamps the request_id under.
pub const REQUEST_ID_TAG: &str = "onramp-request-id";

/// Contract terms Megaport sells a VXC for.
pub const TERMS: [i32; 4] = [1, 12, 24, 36];
pub const VLAN_MIN: i32 = 2;
pub const VLAN_MAX: i32 = 4093;
pub const NAME_MAX_CHARS: usize = 64;
pub const COST_CENTRE_MAX_CHARS: usize = 255;
pub const PROMO_CODE_MAX_CHARS: usize = 100;

/// What a customer orders. The B-end comes from the key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSpec {
    pub service_key: String,
    pub a_end_port_uid: String,
    pub a_end_vlan: i32,
    pub rate_limit_mbps: i64,
    pub term_months: i32,
    pub name: String,
    pub cost_centre: String,
    pub shutdown: bool,
    pub promo_code: String,
}

/// Where an order stands (VxcOrderState).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    Journaled,
    Submitting,
    OutcomeUnknown,
    AwaitingApproval,
    Deployable,
    Configured,
    Live,
    Rejected,
    Failed,
    Cancelled,
}

impl OrderState {
    pub const ALL: [OrderState; 10] = [
        Self::Journaled,
        Self::Submitting,
        Self::OutcomeUnknown,
        Self::AwaitingApproval,
        Self::Deployable,
        Self::Configured,
        Self::Live,
        Self::Rejected,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The name kept in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Journaled => "JOURNALED",
            Self::Submitting => "SUBMITTING",
            Self::OutcomeUnknown => "OUTCOME_UNKNOWN",
            Self::AwaitingApproval => "AWAITING_APPROVAL",
            Self::Deployable => "DEPLOYABLE",
            Self::Configured => "CONFIGURED",
            Self::Live => "LIVE",
            Self::Rejected => "REJECTED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == name)
    }

    /// An order in a terminal state never changes again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Live | Self::Rejected | Self::Failed | Self::Cancelled
        )
    }

    /// Megaport has the VXC (it accepted the buy).
    pub fn is_accepted(self) -> bool {
        matches!(
            self,
            Self::AwaitingApproval
                | Self::Deployable
                | Self::Configured
                | Self::Live
                | Self::Rejected
                | Self::Cancelled
        )
    }
}

/// A Port named without its figures: the on-ramp behind a key, or an end of a VXC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRef {
    pub uid: String,
    pub name: String,
    pub company_name: String,
    /// 0 when unknown.
    pub location_id: i32,
    pub location_name: String,
    pub metro: String,
    pub country: String,
    pub market: String,
}

impl PortRef {
    fn from_domain(port: &onramps::Port) -> Self {
        Self {
            uid: port.uid.clone(),
            name: port.name.clone(),
            company_name: port.company_name.clone(),
            location_id: port.location.id,
            location_name: port.location.name.clone(),
            metro: port.location.metro.clone(),
            country: port.location.country.clone(),
            market: port.location.market.clone(),
        }
    }

    fn from_product(product: &Product) -> Self {
        let detail = product.location_detail.clone().unwrap_or_default();
        Self {
            uid: product.product_uid.clone(),
            name: product.product_name.clone().unwrap_or_default(),
            company_name: product.company_name.clone().unwrap_or_default(),
            location_id: product
                .location_id
                .and_then(|id| i32::try_from(id).ok())
                .unwrap_or_default(),
            location_name: detail
                .name
                .or_else(|| product.location.clone())
                .unwrap_or_default(),
            metro: detail.metro.unwrap_or_default(),
            country: detail.country.unwrap_or_default(),
            market: product.market.clone().unwrap_or_default(),
        }
    }

    fn from_vxc_end(end: &crate::megaport::models::VxcEnd) -> Self {
        let detail = end.location_detail.clone().unwrap_or_default();
        Self {
            uid: end.product_uid.clone().unwrap_or_default(),
            name: end.product_name.clone().unwrap_or_default(),
            company_name: String::new(),
            location_id: end
                .location_id
                .and_then(|id| i32::try_from(id).ok())
                .unwrap_or_default(),
            location_name: detail
                .name
                .or_else(|| end.location.clone())
                .unwrap_or_default(),
            metro: detail.metro.unwrap_or_default(),
            country: detail.country.unwrap_or_default(),
            market: String::new(),
        }
    }
}

/// Megaport's price, as decimal strings in major units (no binary rounding on the way out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub currency: String,
    pub monthly_rate: String,
    pub monthly_setup: String,
    pub hourly_rate: String,
    pub mbps_rate: String,
}

impl Quote {
    pub fn from_price(price: &Price) -> Self {
        Self {
            currency: price.currency.clone().unwrap_or_default(),
            monthly_rate: decimal(price.monthly_rate),
            monthly_setup: decimal(price.monthly_setup),
            hourly_rate: decimal(price.hourly_rate),
            mbps_rate: decimal(price.mbps_rate),
        }
    }
}

/// The shortest decimal that reads back as Megaport's JSON number; "0" when absent.
pub fn decimal(value: Option<f64>) -> String {
    match value {
        Some(value) if value.is_finite() && value != 0.0 => format!("{value}"),
        _ => "0".to_owned(),
    }
}

/// One order in the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Empty for a VXC ordered outside onramp (approval of a foreign VXC).
    pub order_id: String,
    pub request_id: String,
    pub account: String,
    pub spec: OrderSpec,
    pub state: OrderState,
    pub vxc_uid: Option<String>,
    pub a_end: PortRef,
    pub b_end: PortRef,
    pub a_end_vlan: i32,
    pub b_end_vlan: i32,
    pub price: Quote,
    /// The key owner's company: who must approve while AWAITING_APPROVAL.
    pub approver: String,
    pub state_message: String,
    pub error_reason: ErrorReason,
    pub buy_attempts: i64,
    pub create_time: OffsetDateTime,
    pub update_time: OffsetDateTime,
}

impl Order {
    pub fn awaiting_approval_from(&self) -> &str {
        if self.state == OrderState::AwaitingApproval {
            &self.approver
        } else {
            ""
        }
    }

    /// The error a replay of a FAILED order returns: the stored failure, as the first call saw it.
    pub fn stored_failure(&self) -> Error {
        Error::FailedPrecondition {
            reason: self.error_reason,
            message: self.state_message.clone(),
        }
        .with_meta("order_id", &self.order_id)
    }
}

/// Tunables of the order desk (config `orders.*`).
#[derive(Debug, Clone)]
pub struct OrderSettings {
    /// How often WatchVxcOrder polls Megaport for the VXC.
    pub poll_interval: Duration,
    /// Budget for the Megaport calls of one RPC.
    pub upstream_timeout: Duration,
    /// After an unknown outcome, how long reconciliation must wait since the last buy before an
    /// absent VXC counts as proof that the buy did not happen (Megaport may list a new VXC late).
    pub rebuy_grace: Duration,
}

impl Default for OrderSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5),
            upstream_timeout: Duration::from_secs(30),
            rebuy_grace: Duration::from_secs(5),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Local rules
// ---------------------------------------------------------------------------------------------

/// Every syntax problem of a spec, each naming the field and its limit. Needs nothing upstream.
pub fn check_spec(spec: &OrderSpec) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if uuid::Uuid::parse_str(spec.service_key.trim()).is_err() {
        violations.push(FieldViolation::new(
            "spec.service_key",
            "must be a service key UUID (36 characters, e.g. 106e38ae-eb59-415f-ac81-526a5299851d)",
        ));
    }
    if spec.a_end_port_uid.trim().is_empty() {
        violations.push(FieldViolation::new(
            "spec.a_end_port_uid",
            "is required: the productUid of your port",
        ));
    }
    if spec.a_end_vlan != 0 && !(VLAN_MIN..=VLAN_MAX).contains(&spec.a_end_vlan) {
        violations.push(FieldViolation::new(
            "spec.a_end_vlan",
            format!(
                "must be 0 (automatic) or between {VLAN_MIN} and {VLAN_MAX}, got {}",
                spec.a_end_vlan
            ),
        ));
    }
    if spec.rate_limit_mbps < 1 {
        violations.push(FieldViolation::new(
            "spec.rate_limit_mbps",
            format!(
                "must be at least 1 mbps (and at most the key's max speed and both ports' speeds), got {}",
                spec.rate_limit_mbps
            ),
        ));
    }
    if !TERMS.contains(&spec.term_months) {
        violations.push(FieldViolation::new(
            "spec.term_months",
            format!("must be one of 1, 12, 24, 36, got {}", spec.term_months),
        ));
    }
    let name_chars = spec.name.chars().count();
    if spec.name.trim().is_empty() || name_chars > NAME_MAX_CHARS {
        violations.push(FieldViolation::new(
            "spec.name",
            format!("must be 1-{NAME_MAX_CHARS} characters, got {name_chars}"),
        ));
    }
    if spec.cost_centre.chars().count() > COST_CENTRE_MAX_CHARS {
        violations.push(FieldViolation::new(
            "spec.cost_centre",
            format!("must be at most {COST_CENTRE_MAX_CHARS} characters"),
        ));
    }
    if spec.promo_code.chars().count() > PROMO_CODE_MAX_CHARS {
        violations.push(FieldViolation::new(
            "spec.promo_code",
            format!("must be at most {PROMO_CODE_MAX_CHARS} characters"),
        ));
    }
    violations
}

/// `request_id` is required on CreateVxcOrder and must be a UUID.
pub fn check_request_id(request_id: &str) -> Option<FieldViolation> {
    if request_id.is_empty() {
        return Some(FieldViolation::new(
            "request_id",
            "is required: a UUID chosen by the caller, reused on every retry of the same order",
        ));
    }
    uuid::Uuid::parse_str(request_id).err().map(|_| {
        FieldViolation::new(
            "request_id",
            "must be a UUID (36 characters, e.g. from uuid4)",
        )
    })
}

/// Why a key cannot be used now, if it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    pub reason: ErrorReason,
    pub message: String,
}

/// First match wins, as for ServiceKeyState: used, inactive, expired, not yet valid.
pub fn key_unusable(key: &ServiceKey, now: OffsetDateTime) -> Option<Unusable> {
    let unusable = |reason, message: &str| {
        Some(Unusable {
            reason,
            message: message.to_owned(),
        })
    };
    let window = key.valid_for.clone().unwrap_or_default();
    if key.single_use && key.last_used.is_some() {
        return unusable(
            ErrorReason::KeyUsed,
            "the single-use key has already been used",
        );
    }
    if !key.active {
        return unusable(
            ErrorReason::KeyInactive,
            "the key has been deactivated by its owner",
        );
    }
    if key.expired == Some(true) || window.end.is_some_and(|end| end < now) {
        return unusable(ErrorReason::KeyExpired, "the key's validity has ended");
    }
    if window.start.is_some_and(|start| start > now) {
        return unusable(ErrorReason::KeyNotYetValid, "the key is not valid yet");
    }
    if key.valid == Some(false) {
        return unusable(
            ErrorReason::KeyInactive,
            "megaport reports the key as not valid",
        );
    }
    None
}

/// The order state a VXC read from Megaport stands for.
pub fn observe(vxc: &Vxc, previous: OrderState) -> OrderState {
    let status = ProvisioningStatus::from_megaport(vxc.provisioning_status.as_deref());
    if status.is_gone() {
        // A VXC that disappears while it waits for approval was rejected by the key's owner.
        return if previous == OrderState::AwaitingApproval {
            OrderState::Rejected
        } else {
            OrderState::Cancelled
        };
    }
    if vxc.is_pending_approval() {
        return OrderState::AwaitingApproval;
    }
    match status {
        ProvisioningStatus::Live => OrderState::Live,
        ProvisioningStatus::Configured => OrderState::Configured,
        _ => OrderState::Deployable,
    }
}

/// Reads "VLAN 10 not available on MEGAPORT service 74841 ..." into (vlan, nServiceId).
fn parse_vlan_clash(message: &str) -> Option<(i64, Option<i64>)> {
    let lower = message.to_ascii_lowercase();
    if !(lower.contains("vlan") && lower.contains("not available")) {
        return None;
    }
    let number_after = |marker: &str| {
        lower.find(marker).and_then(|at| {
            lower[at + marker.len()..]
                .trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|digits| digits.parse::<i64>().ok())
        })
    };
    Some((number_after("vlan")?, number_after("service")))
}

/// The A-end Port's identifiers, as Megaport's messages name it (uid or nServiceId).
#[derive(Debug, Clone, Default)]
struct PortIds {
    uid: String,
    n_service_id: Option<i64>,
}

impl PortIds {
    fn of(product: &Product) -> Self {
        Self {
            uid: product.product_uid.clone(),
            n_service_id: product.n_service_id,
        }
    }
}

/// Maps Megaport's refusal of an order to the most specific reason; `a_end` names the A-end Port
/// (for a VLAN clash: which end).
fn refusal(error: MegaportError, a_end: &PortIds, b_end_uid: &str, key: &str) -> Error {
    let message = error.message().to_owned();
    let lower = message.to_ascii_lowercase();
    if !matches!(
        error,
        MegaportError::Invalid(_) | MegaportError::Conflict(_) | MegaportError::NotFound(_)
    ) {
        return error.into();
    }
    if let Some((vlan, service)) = parse_vlan_clash(&message) {
        let on_a = service.is_none_or(|id| Some(id) == a_end.n_service_id);
        let (field, port_uid) = if on_a {
            ("spec.a_end_vlan", a_end.uid.as_str())
        } else {
            ("b_end", b_end_uid)
        };
        let end = if on_a { "a-end" } else { "b-end" };
        return Error::FailedPrecondition {
            reason: ErrorReason::VlanInUse,
            message: format!("vlan {vlan} is in use on the {end} port {port_uid}"),
        }
        .with_meta("field", field)
        .with_meta("port_uid", port_uid)
        .with_meta("vlan", vlan.to_string());
    }
    let keyed = |reason, text: &str| {
        Error::FailedPrecondition {
            reason,
            message: format!("service key {key}: {text}"),
        }
        .with_meta("key", key)
    };
    if lower.contains("could not find service key") {
        return Error::NotFound {
            reason: ErrorReason::KeyNotFound,
            message: format!("service key {key} not found"),
        }
        .with_meta("key", key);
    }
    if lower.contains("has expired") {
        return keyed(ErrorReason::KeyExpired, "the key's validity has ended");
    }
    if lower.contains("not active") {
        return keyed(ErrorReason::KeyInactive, "the key has been deactivated");
    }
    if lower.contains("not valid yet") {
        return keyed(ErrorReason::KeyNotYetValid, "the key is not valid yet");
    }
    if lower.contains("already been used") {
        return keyed(ErrorReason::KeyUsed, "the single-use key has been used");
    }
    error.into()
}

/// The reason and message recorded on a FAILED order for `error`.
fn failure_of(error: &Error) -> (ErrorReason, String) {
    (error.reason_code(), error.to_string())
}

// ---------------------------------------------------------------------------------------------
// The desk: validate, buy exactly once, follow, approve
// ---------------------------------------------------------------------------------------------

/// What ValidateVxcOrder answers, and what CreateVxcOrder journals.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub price: Quote,
    pub a_end: PortRef,
    pub b_end: PortRef,
    pub a_end_vlan: i32,
    pub b_end_vlan: i32,
    pub approval_required: bool,
    pub approver: String,
}

/// What a customer may see of a key.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyLookup {
    pub key: String,
    pub on_ramp: PortRef,
    pub max_speed_mbps: i64,
    pub single_use: bool,
    pub pre_approved: bool,
    pub valid_from: Option<OffsetDateTime>,
    pub valid_until: Option<OffsetDateTime>,
    pub unusable: Option<Unusable>,
}

/// A filter of ListVxcOrders.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub account: Option<String>,
    pub state: Option<OrderState>,
}

/// Which VXC an approval is about.
#[derive(Debug, Clone)]
pub enum ApprovalTarget {
    OrderId(String),
    VxcUid(String),
}

struct Inner {
    accounts: BTreeMap<String, MegaportClient>,
    default_account: String,
    catalog: Arc<Catalog>,
    store: Store,
    settings: OrderSettings,
    /// One lock per request_id in flight, so one buy at a time per order.
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    /// Reconciliations run (an unknown outcome looked up upstream), for tests and metrics.
    reconciliations: std::sync::atomic::AtomicU64,
}

/// Orders over the configured Megaport accounts and the journal. Cheap to clone.
#[derive(Clone)]
pub struct OrderDesk {
    inner: Arc<Inner>,
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
        accounts: BTreeMap<String, MegaportClient>,
        default_account: String,
        catalog: Arc<Catalog>,
        store: Store,
        settings: OrderSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                accounts,
                default_account,
                catalog,
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
    pub fn account(&self, name: &str) -> Result<(String, MegaportClient), Error> {
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

    fn deadline(&self) -> Instant {
        Instant::now() + self.inner.settings.upstream_timeout
    }

    fn store(&self) -> &Store {
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
        let found = self.fetch_key(&client, key).await?;
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

    async fn fetch_key(&self, client: &MegaportClient, key: &str) -> Result<ServiceKey, Error> {
        client
            .get_service_key(key, self.deadline())
            .await
            .map_err(|error| match error {
                MegaportError::NotFound(_) => Error::NotFound {
                    reason: ErrorReason::KeyNotFound,
                    message: format!("service key {key} not found"),
                }
                .with_meta("key", key),
                other => other.into(),
            })
    }

    /// The provider's Port behind a key, from the catalog (the key's owner runs onramp); the key's
    /// own fields when the Port is not one of the provider's.
    async fn on_ramp_ref(&self, key: &ServiceKey) -> PortRef {
        let uid = key.product_uid.clone().unwrap_or_default();
        if let Some(port) = self.provider_port(&uid).await {
            return PortRef::from_domain(&port);
        }
        PortRef {
            uid,
            name: key.product_name.clone().unwrap_or_default(),
            company_name: key.company_name.clone().unwrap_or_default(),
            ..PortRef::default()
        }
    }

    async fn provider_port(&self, uid: &str) -> Option<onramps::Port> {
        match Inventory::ports(self.inner.catalog.as_ref()).await {
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
        self.check_upstream(&account, &client, spec)
            .await
            .map(|(validated, _)| validated)
    }

    /// The checks that need Megaport, ending with Megaport's own validate. Returns the A-end Port
    /// as read, for the buy.
    async fn check_upstream(
        &self,
        account: &str,
        client: &MegaportClient,
        spec: &OrderSpec,
    ) -> Result<(Validated, Product), Error> {
        let deadline = self.deadline();
        let key = self.fetch_key(client, spec.service_key.trim()).await?;
        let products = client.list_products(None, deadline).await?;
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
            .map(Quote::from_price)
            .unwrap_or_else(|| Quote::from_price(&Price::default()));
        let b_end = match &b_port {
            Some(port) => PortRef::from_domain(port),
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
                a_end: PortRef::from_product(&a_port),
                b_end,
                a_end_vlan: spec.a_end_vlan,
                b_end_vlan,
                approval_required: !key.pre_approved.unwrap_or(false),
                approver,
            },
            a_port,
        ))
    }

    // ---- create ----

    /// CreateVxcOrder. The work runs in its own task so that the caller hanging up cannot leave
    /// a buy half-recorded.
    pub async fn create(
        &self,
        account: &str,
        spec: OrderSpec,
        request_id: String,
    ) -> Result<Order, Error> {
        let mut violations = check_spec(&spec);
        violations.extend(check_request_id(&request_id));
        let resolved = self.account(account);
        if !violations.is_empty() {
            return Err(Error::InvalidArgument(violations));
        }
        let (account, client) = resolved?;
        let desk = self.clone();
        tokio::spawn(async move { desk.create_locked(account, client, spec, request_id).await })
            .await
            .map_err(|error| Error::internal(format!("order task failed: {error}")))?
    }

    fn lock_for(&self, request_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(lock) = locks.get(request_id).and_then(Weak::upgrade) {
            return lock;
        }
        locks.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(request_id.to_owned(), Arc::downgrade(&lock));
        lock
    }

    async fn create_locked(
        &self,
        account: String,
        client: MegaportClient,
        spec: OrderSpec,
        request_id: String,
    ) -> Result<Order, Error> {
        let lock = self.lock_for(&request_id);
        let _held = lock.lock().await;
        if let Some(order) = self.store().order_by_request_id(&request_id).await? {
            if order.account != account || order.spec != spec {
                return Err(Error::FailedPrecondition {
                    reason: ErrorReason::RequestIdReused,
                    message: format!(
                        "request_id {request_id} was used for order {} with different parameters",
                        order.order_id
                    ),
                }
                .with_meta("request_id", &request_id)
                .with_meta("order_id", &order.order_id));
            }
            return self.resume(&client, order).await;
        }
        let (validated, a_port) = self.check_upstream(&account, &client, &spec).await?;
        let now = now_millis();
        let order = Order {
            order_id: uuid::Uuid::new_v4().to_string(),
            request_id,
            account,
            spec,
            state: OrderState::Journaled,
            vxc_uid: None,
            a_end: validated.a_end,
            b_end: validated.b_end,
            a_end_vlan: validated.a_end_vlan,
            b_end_vlan: validated.b_end_vlan,
            price: validated.price,
            approver: validated.approver,
            state_message: "journaled; nothing sent to megaport yet".to_owned(),
            error_reason: ErrorReason::Unspecified,
            buy_attempts: 0,
            create_time: now,
            update_time: now,
        };
        if !self.store().insert_order(&order).await? {
            // Another onramp process journaled this request_id first: follow its row.
            let Some(theirs) = self.store().order_by_request_id(&order.request_id).await? else {
                return Err(Error::internal("journal row vanished after a conflict"));
            };
            return self.resume(&client, theirs).await;
        }
        tracing::info!(order_id = %order.order_id, request_id = %order.request_id, "vxc order journaled");
        self.submit(&client, order, Some(a_port)).await
    }

    /// A replay: the stored order, the stored failure, or the unfinished work of an earlier call.
    async fn resume(&self, client: &MegaportClient, order: Order) -> Result<Order, Error> {
        match order.state {
            OrderState::Journaled => self.submit(client, order, None).await,
            OrderState::Submitting | OrderState::OutcomeUnknown => {
                self.reconcile_then_rebuy(client, order).await
            }
            OrderState::Failed => Err(order.stored_failure()),
            _ => Ok(order),
        }
    }

    /// Moves the row to SUBMITTING (compare-and-set, committed), then sends the buy once.
    async fn submit(
        &self,
        client: &MegaportClient,
        mut order: Order,
        a_port: Option<Product>,
    ) -> Result<Order, Error> {
        let from = order.state;
        let now = now_millis();
        let claimed = self
            .store()
            .claim_for_submit(&order.order_id, from, now)
            .await?;
        if !claimed {
            return Err(Error::internal(format!(
                "order {} left {} under another writer",
                order.order_id,
                from.as_str()
            )));
        }
        order.state = OrderState::Submitting;
        order.buy_attempts += 1;
        order.update_time = now;
        let key = order.spec.service_key.trim().to_owned();
        let items = order_items(
            &order.spec,
            &key,
            &order.b_end.uid,
            Some(order.request_id.as_str()),
        );
        tracing::info!(order_id = %order.order_id, attempt = order.buy_attempts, "sending vxc buy");
        let result = client.buy_order(&items, self.deadline()).await;
        self.inner.catalog.invalidate_products().await;
        match result {
            Ok(confirmations) => {
                let confirmation = confirmations.first();
                match confirmation.and_then(|c| c.service_uid()) {
                    Some(uid) => {
                        let awaiting = confirmation.and_then(|c| c.fully_approved) == Some(false);
                        order.vxc_uid = Some(uid.to_owned());
                        order.state = if awaiting {
                            OrderState::AwaitingApproval
                        } else {
                            OrderState::Deployable
                        };
                        if let Some(c) = confirmation {
                            if let Some(vlan) = c.payer_vlan_id.and_then(|v| i32::try_from(v).ok())
                            {
                                order.a_end_vlan = vlan;
                            }
                            if let Some(vlan) =
                                c.non_payer_vlan_id.and_then(|v| i32::try_from(v).ok())
                            {
                                order.b_end_vlan = vlan;
                            }
                        }
                        order.state_message = "megaport accepted the order".to_owned();
                        self.record_accepted(order).await
                    }
                    None => {
                        self.outcome_unknown(client, order, "no vxc uid in the answer")
                            .await
                    }
                }
            }
            Err(
                error @ (MegaportError::OutcomeUnknown(_) | MegaportError::MalformedResponse(_)),
            ) => {
                tracing::warn!(order_id = %order.order_id, error = %error, "vxc buy outcome unknown");
                self.outcome_unknown(client, order, error.message()).await
            }
            // Provably not sent (refused at the door, throttled, or never connected): nothing
            // happened, so the order goes back to JOURNALED for a retry to send.
            Err(
                error @ (MegaportError::Unavailable(_)
                | MegaportError::Timeout(_)
                | MegaportError::RateLimited { .. }
                | MegaportError::Unauthorized(_)),
            ) => {
                order.state = OrderState::Journaled;
                order.buy_attempts -= 1;
                order.state_message = format!("buy not sent: {}", error.message().to_lowercase());
                order.update_time = now_millis();
                self.store()
                    .update_order(&order, &[OrderState::Submitting])
                    .await?;
                Err(Error::from(error).with_meta("order_id", &order.order_id))
            }
            Err(error) => {
                let a_port = match a_port {
                    Some(port) => PortIds::of(&port),
                    None => client
                        .get_product(&order.spec.a_end_port_uid, self.deadline())
                        .await
                        .map(|port| PortIds::of(&port))
                        .unwrap_or_else(|_| PortIds {
                            uid: order.spec.a_end_port_uid.clone(),
                            n_service_id: None,
                        }),
                };
                let mapped = refusal(error, &a_port, &order.b_end.uid, &key);
                let (reason, message) = failure_of(&mapped);
                order.state = OrderState::Failed;
                order.error_reason = reason;
                order.state_message = message;
                order.update_time = now_millis();
                self.store()
                    .update_order(&order, &[OrderState::Submitting])
                    .await?;
                tracing::info!(order_id = %order.order_id, reason = ?reason, "megaport refused the vxc order");
                Err(mapped.with_meta("order_id", &order.order_id))
            }
        }
    }

    async fn record_accepted(&self, mut order: Order) -> Result<Order, Error> {
        order.update_time = now_millis();
        order.error_reason = ErrorReason::Unspecified;
        self.store()
            .update_order(
                &order,
                &[OrderState::Submitting, OrderState::OutcomeUnknown],
            )
            .await?;
        tracing::info!(order_id = %order.order_id, vxc_uid = ?order.vxc_uid, state = order.state.as_str(), "vxc order accepted");
        Ok(order)
    }

    /// After a buy whose answer was lost: OUTCOME_UNKNOWN, then one reconciliation. Never buys.
    async fn outcome_unknown(
        &self,
        client: &MegaportClient,
        mut order: Order,
        why: &str,
    ) -> Result<Order, Error> {
        order.state = OrderState::OutcomeUnknown;
        order.state_message = format!(
            "megaport's answer was lost ({}); looking for the vxc stamped with the request_id",
            why.to_lowercase()
        );
        order.update_time = now_millis();
        self.store()
            .update_order(&order, &[OrderState::Submitting])
            .await?;
        match self.reconcile(client, &order).await {
            Ok(Some(vxc)) => self.adopt(order, &vxc).await,
            Ok(None) => Err(outcome_unknown_error(&order)),
            Err(error) => {
                tracing::warn!(order_id = %order.order_id, error = %error, "reconciliation failed");
                Err(outcome_unknown_error(&order))
            }
        }
    }

    /// A retry of an order whose outcome is unknown: find the VXC, or, once its absence is proven
    /// and the grace period is over, buy again.
    async fn reconcile_then_rebuy(
        &self,
        client: &MegaportClient,
        mut order: Order,
    ) -> Result<Order, Error> {
        match self.reconcile(client, &order).await {
            Ok(Some(vxc)) => self.adopt(order, &vxc).await,
            Ok(None) => {
                let since = OffsetDateTime::now_utc() - order.update_time;
                if since < self.inner.settings.rebuy_grace {
                    return Err(outcome_unknown_error(&order));
                }
                if order.state == OrderState::Submitting {
                    // A crash (or a lost task) left SUBMITTING behind: record what we know.
                    order.state = OrderState::OutcomeUnknown;
                    order.state_message =
                        "the buy may have been interrupted; no stamped vxc found upstream"
                            .to_owned();
                    order.update_time = now_millis();
                    self.store()
                        .update_order(&order, &[OrderState::Submitting])
                        .await?;
                }
                tracing::info!(order_id = %order.order_id, "no stamped vxc upstream; buying again");
                self.submit(client, order, None).await
            }
            Err(error) => {
                tracing::warn!(order_id = %order.order_id, error = %error, "reconciliation failed");
                Err(outcome_unknown_error(&order))
            }
        }
    }

    /// Looks for the VXC stamped with the order's request_id on the A-end Port, read fresh (not
    /// from a cache). VXCs already recorded by other orders are skipped: each VXC is one order.
    async fn reconcile(
        &self,
        client: &MegaportClient,
        order: &Order,
    ) -> Result<Option<Vxc>, Error> {
        self.inner
            .reconciliations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let deadline = self.deadline();
        let port = client
            .get_product(&order.spec.a_end_port_uid, deadline)
            .await?;
        let claimed: HashSet<String> = self.store().claimed_vxc_uids().await?;
        let mut candidates: Vec<&Vxc> = port
            .associated_vxcs
            .iter()
            .filter(|vxc| !claimed.contains(&vxc.product_uid))
            .filter(|vxc| {
                [&vxc.a_end, &vxc.b_end]
                    .iter()
                    .any(|end| end.product_uid.as_deref() == Some(port.product_uid.as_str()))
            })
            .collect();
        // Newest first: the VXC we look for is the latest one on the Port.
        candidates.sort_by_key(|vxc| std::cmp::Reverse(vxc.create_date));
        let mut found: Vec<&Vxc> = Vec::new();
        for vxc in candidates {
            let tags = client.get_product_tags(&vxc.product_uid, deadline).await?;
            if stamped_with(&tags, &order.request_id) {
                found.push(vxc);
            }
        }
        if found.len() > 1 {
            tracing::error!(
                order_id = %order.order_id,
                count = found.len(),
                "several vxcs carry one request_id; adopting the oldest"
            );
        }
        Ok(found
            .into_iter()
            .min_by(|a, b| a.create_date.cmp(&b.create_date))
            .cloned())
    }

    /// Records the VXC reconciliation found as the order's.
    async fn adopt(&self, mut order: Order, vxc: &Vxc) -> Result<Order, Error> {
        tracing::info!(order_id = %order.order_id, vxc_uid = %vxc.product_uid, "reconciled: the vxc exists");
        order.vxc_uid = Some(vxc.product_uid.clone());
        order.state = observe(vxc, order.state);
        apply_vlans(&mut order, vxc);
        order.state_message = "reconciled: megaport had accepted the order".to_owned();
        self.record_accepted(order).await
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
        let vxc = client.get_vxc(&uid, self.deadline()).await?;
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
                other => other.into(),
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
            .await?;
        self.inner.catalog.invalidate_products().await;
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

fn outcome_unknown_error(order: &Order) -> Error {
    Error::Unavailable {
        reason: ErrorReason::UpstreamOutcomeUnknown,
        message: format!(
            "the outcome of order {} is not known yet; retry with the same request_id or watch the order",
            order.order_id
        ),
        retry_after: None,
    }
    .with_meta("order_id", &order.order_id)
    .with_meta("request_id", &order.request_id)
}

fn stamped_with(tags: &[ResourceTag], request_id: &str) -> bool {
    tags.iter()
        .any(|tag| tag.key == REQUEST_ID_TAG && tag.value.eq_ignore_ascii_case(request_id))
}

fn apply_vlans(order: &mut Order, vxc: &Vxc) {
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
        a_end: PortRef::from_vxc_end(&vxc.a_end),
        b_end: PortRef::from_vxc_end(&vxc.b_end),
        a_end_vlan: 0,
        b_end_vlan: 0,
        price: Quote::from_price(&Price::default()),
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

/// The order as Megaport takes it: the A-end Port, the key, the B-end from the key, and for a buy
/// the request_id as a resource tag.
fn order_items(
    spec: &OrderSpec,
    key: &str,
    b_end_uid: &str,
    request_id: Option<&str>,
) -> Vec<VxcOrderItem> {
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    vec![VxcOrderItem {
        product_uid: spec.a_end_port_uid.clone(),
        associated_vxcs: vec![VxcOrderConfig {
            product_name: spec.name.clone(),
            rate_limit: spec.rate_limit_mbps,
            term: i64::from(spec.term_months),
            shutdown: spec.shutdown,
            promo_code: non_empty(&spec.promo_code),
            service_key: Some(key.to_owned()),
            cost_centre: non_empty(&spec.cost_centre),
            resource_tags: request_id
                .map(|id| {
                    vec![ResourceTag {
                        key: REQUEST_ID_TAG.to_owned(),
                        value: id.to_owned(),
                    }]
                })
                .unwrap_or_default(),
            a_end: OrderEnd {
                vlan: (spec.a_end_vlan != 0).then_some(i64::from(spec.a_end_vlan)),
                ..OrderEnd::default()
            },
            b_end: OrderEnd {
                product_uid: non_empty(b_end_uid),
                ..OrderEnd::default()
            },
        }],
    }]
}

/// Now, at the millisecond precision the journal keeps, so stored and returned orders compare equal.
fn now_millis() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> OrderSpec {
        OrderSpec {
            service_key: "106e38ae-eb59-415f-ac81-526a5299851d".into(),
            a_end_port_uid: "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a".into(),
            a_end_vlan: 0,
            rate_limit_mbps: 100,
            term_months: 12,
            name: "acme to quantumgpu".into(),
            ..OrderSpec::default()
        }
    }

    fn fields(violations: &[FieldViolation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn a_good_spec_passes_and_each_bad_field_is_named_with_its_limit() {
        assert!(check_spec(&spec()).is_empty());
        let cases: Vec<(OrderSpec, &str, &str)> = vec![
            (
                OrderSpec {
                    term_months: 48,
                    ..spec()
                },
                "spec.term_months",
                "1, 12, 24, 36",
            ),
            (
                OrderSpec {
                    rate_limit_mbps: 0,
                    ..spec()
                },
                "spec.rate_limit_mbps",
                "at least 1",
            ),
            (
                OrderSpec {
                    a_end_vlan: 1,
                    ..spec()
                },
                "spec.a_end_vlan",
                "2 and 4093",
            ),
            (
                OrderSpec {
                    a_end_vlan: 4094,
                    ..spec()
                },
                "spec.a_end_vlan",
                "2 and 4093",
            ),
            (
                OrderSpec {
                    service_key: "nope".into(),
                    ..spec()
                },
                "spec.service_key",
                "UUID",
            ),
            (
                OrderSpec {
                    a_end_port_uid: " ".into(),
                    ..spec()
                },
                "spec.a_end_port_uid",
                "required",
            ),
            (
                OrderSpec {
                    name: "x".repeat(65),
                    ..spec()
                },
                "spec.name",
                "1-64",
            ),
        ];
        for (bad, field, limit) in cases {
            let violations = check_spec(&bad);
            assert_eq!(fields(&violations), [field]);
            assert!(
                violations[0].description.contains(limit),
                "{field}: {}",
                violations[0].description
            );
        }
        assert!(check_request_id("").is_some());
        assert!(check_request_id("abc").is_some());
        assert!(check_request_id(&uuid::Uuid::new_v4().to_string()).is_none());
    }

    fn key(json: serde_json::Value) -> ServiceKey {
        serde_json::from_value(json).expect("key decodes")
    }

    #[test]
    fn unusable_keys_say_why_in_precedence_order() {
        let now = OffsetDateTime::now_utc();
        let ms = |offset_s: i64| (now.unix_timestamp() + offset_s) * 1000;
        let usable = key(serde_json::json!({
            "key": "k", "active": true, "singleUse": true,
            "validFor": {"start": ms(-60), "end": ms(3600)}
        }));
        assert_eq!(key_unusable(&usable, now), None);
        let used = key(serde_json::json!({
            "key": "k", "active": false, "singleUse": true, "lastUsed": ms(-5)
        }));
        assert_eq!(
            key_unusable(&used, now).map(|u| u.reason),
            Some(ErrorReason::KeyUsed)
        );
        let inactive = key(serde_json::json!({"key": "k", "active": false}));
        assert_eq!(
            key_unusable(&inactive, now).map(|u| u.reason),
            Some(ErrorReason::KeyInactive)
        );
        let expired = key(serde_json::json!({
            "key": "k", "active": true, "validFor": {"start": ms(-7200), "end": ms(-3600)}
        }));
        assert_eq!(
            key_unusable(&expired, now).map(|u| u.reason),
            Some(ErrorReason::KeyExpired)
        );
        let early = key(serde_json::json!({
            "key": "k", "active": true, "validFor": {"start": ms(3600), "end": null}
        }));
        assert_eq!(
            key_unusable(&early, now).map(|u| u.reason),
            Some(ErrorReason::KeyNotYetValid)
        );
    }

    fn vxc(status: &str, approval: Option<&str>) -> Vxc {
        serde_json::from_value(serde_json::json!({
            "productUid": "v1",
            "provisioningStatus": status,
            "vxcApproval": {"status": approval}
        }))
        .expect("vxc decodes")
    }

    #[test]
    fn megaport_vxc_states_map_to_order_states() {
        use OrderState::*;
        assert_eq!(
            observe(&vxc("DEPLOYABLE", Some("PENDING")), Deployable),
            AwaitingApproval
        );
        assert_eq!(observe(&vxc("DEPLOYABLE", None), Submitting), Deployable);
        assert_eq!(observe(&vxc("CONFIGURED", None), Deployable), Configured);
        assert_eq!(observe(&vxc("LIVE", None), Configured), Live);
        assert_eq!(
            observe(&vxc("DECOMMISSIONED", None), AwaitingApproval),
            Rejected
        );
        assert_eq!(observe(&vxc("CANCELLED", None), Deployable), Cancelled);
        for state in OrderState::ALL {
            assert_eq!(OrderState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn prices_are_shortest_decimals() {
        assert_eq!(decimal(Some(45.0)), "45");
        assert_eq!(decimal(Some(0.2)), "0.2");
        assert_eq!(decimal(Some(1.45)), "1.45");
        assert_eq!(decimal(None), "0");
        assert_eq!(decimal(Some(f64::NAN)), "0");
    }

    #[test]
    fn vlan_clash_messages_name_the_vlan_and_service() {
        assert_eq!(
            parse_vlan_clash(
                "VLAN 10 not available on MEGAPORT service 74841 (next available VLAN is 2)"
            ),
            Some((10, Some(74841)))
        );
        assert_eq!(parse_vlan_clash("Invalid term 48"), None);
    }

    #[test]
    fn buy_items_stamp_the_request_id_and_take_the_b_end_from_the_key() {
        let items = order_items(&spec(), "k", "b-port", Some("r-1"));
        let vxc = &items[0].associated_vxcs[0];
        assert_eq!(
            vxc.resource_tags,
            [ResourceTag {
                key: REQUEST_ID_TAG.into(),
                value: "r-1".into()
            }]
        );
        assert_eq!(vxc.b_end.product_uid.as_deref(), Some("b-port"));
        assert_eq!(vxc.a_end.vlan, None, "0 = let megaport choose");
        assert!(
            order_items(&spec(), "k", "b", None)[0].associated_vxcs[0]
                .resource_tags
                .is_empty()
        );
    }
}
