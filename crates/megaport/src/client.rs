//! The Megaport REST client. Reads retry; writes that may have reached Megaport never do.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;

use super::auth::TokenManager;
use super::body::{self, BodyError};
use super::budget::{self, Budget, Priority};
use super::config::{Credentials, Environment};
use super::decode::{self, Decoded};
use super::error::{ErrorDetail, MegaportError};
use super::http::{read_error_response, transport_error};
use super::metrics::{Metrics, Outcome, Route};
use super::models::{
    ApprovalActionRequest, BuyConfirmation, BuyRequestV4, CancelCharges, CreateServiceKeyRequest,
    Listing, Location, LocationRtt, OrderApproval, Price, Product, ResourceTag, ServiceKey,
    StatusEvent, Telemetry, UpdateServiceKeyRequest, UpdateVxcRequest, ValidateLine, Vxc,
    VxcOrderItem, VxcPriceRequest,
};
use super::retry::RetryPolicy;
use tracing::Instrument;

/// Which buy endpoint orders go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuyApi {
    /// `POST /v3/networkdesign/buy` with a bare JSON array (the documented form).
    V3,
    /// `POST /v4/networkdesign/buy` with `{networkDesign, discountCodes}` (the current SDK's form).
    #[default]
    V4,
}

/// How to reach Megaport.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub environment: Environment,
    pub credentials: Credentials,
    pub retry: RetryPolicy,
    /// Refresh tokens this long before they expire (capped at 10 % of their lifetime).
    pub token_refresh_margin: Duration,
    pub connect_timeout: Duration,
    pub user_agent: String,
    pub buy_api: BuyApi,
    /// The longest answer read from Megaport; a longer one is refused while it arrives.
    pub max_response_bytes: usize,
    /// The request budget of the egress this client sends from: give every client behind one
    /// IP the same one (Megaport counts per source IP).
    pub budget: Arc<Budget>,
    /// How long one call may take, retries included, by route; the caller's deadline cuts it
    /// shorter.
    pub timeouts: RouteTimeouts,
    /// The name the application knows this account by; errors about its credentials carry it
    /// (`ErrorDetail::account`), so whoever reads one knows which account to fix.
    pub account: String,
}

/// How long one call may take on each route: `default`, or the route's own entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTimeouts {
    pub default: Duration,
    pub per_route: HashMap<Route, Duration>,
}

impl Default for RouteTimeouts {
    /// 30 s, but 120 s for `/v2/products`, which takes tens of seconds for a big account
    /// (Megaport's release notes: "up to 4 minutes ... now around 50 seconds").
    fn default() -> Self {
        Self {
            default: Duration::from_secs(30),
            per_route: HashMap::from([(Route::Products, Duration::from_secs(120))]),
        }
    }
}

impl RouteTimeouts {
    pub fn of(&self, route: Route) -> Duration {
        self.per_route.get(&route).copied().unwrap_or(self.default)
    }
}

/// Megaport's largest answer is a big provider's `/v2/products`: 1.1-1.3 KB a Port without
/// VXCs, tens of megabytes for tens of thousands of Ports.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

impl ClientConfig {
    pub fn new(environment: Environment, credentials: Credentials) -> Self {
        Self {
            environment,
            credentials,
            retry: RetryPolicy::default(),
            token_refresh_margin: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(5),
            user_agent: concat!("onramp/", env!("CARGO_PKG_VERSION")).to_owned(),
            buy_api: BuyApi::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            budget: Arc::new(Budget::default()),
            account: String::new(),
            timeouts: RouteTimeouts::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Changes nothing upstream: safe to send again.
    Read,
    /// May change something (and cost money): sent again only if provably not sent.
    Write,
}

struct Call {
    route: Route,
    method: Method,
    url: Url,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    kind: Kind,
    auth: bool,
    /// The service (a key, a VXC uid) this write updates: Megaport takes one update per service
    /// per interval.
    updates: Option<String>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    auth: TokenManager,
    metrics: Arc<Metrics>,
    retry: RetryPolicy,
    buy_api: BuyApi,
    max_response_bytes: usize,
    budget: Arc<Budget>,
    timeouts: RouteTimeouts,
    account: String,
}

/// A cheap-to-clone handle to one Megaport account.
#[derive(Clone)]
pub struct MegaportClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for MegaportClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MegaportClient")
            .field("base_url", &self.inner.base_url.as_str())
            .finish_non_exhaustive()
    }
}

fn parse_url(raw: &str, what: &str) -> Result<Url, MegaportError> {
    Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| MegaportError::Invalid(ErrorDetail::new(format!("invalid megaport {what}"))))
}

impl MegaportClient {
    pub fn new(config: ClientConfig) -> Result<Self, MegaportError> {
        let mut base_url = parse_url(config.environment.base_url(), "base url")?;
        if !base_url.path().ends_with('/') {
            let path = format!("{}/", base_url.path());
            base_url.set_path(&path);
        }
        let token_url = parse_url(config.environment.token_url(), "token url")?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|_| {
                MegaportError::Invalid(ErrorDetail::new("could not build the http client"))
            })?;
        let metrics = Arc::new(Metrics::default());
        let auth = TokenManager::new(
            http.clone(),
            token_url,
            config.credentials,
            config.retry.clone(),
            metrics.clone(),
            config.token_refresh_margin,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                auth,
                metrics,
                retry: config.retry,
                buy_api: config.buy_api,
                max_response_bytes: config.max_response_bytes,
                budget: config.budget,
                timeouts: config.timeouts,
                account: config.account,
            }),
        })
    }

    /// Upstream call counters (every HTTP attempt, retries included).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The request budget this client draws on (shared with the others of its egress).
    pub fn budget(&self) -> &Arc<Budget> {
        &self.inner.budget
    }

    /// `GET /v2/products`, optionally `?provisioningStatus=<status>`. Products that do not
    /// decode (kinds this client does not model) are left out and counted.
    pub async fn list_products<V: DeserializeOwned>(
        &self,
        provisioning_status: Option<&str>,
        deadline: Instant,
    ) -> Result<Listing<Product<V>>, MegaportError> {
        let mut call = self.read(Route::Products, Method::GET, &["v2", "products"])?;
        if let Some(s) = provisioning_status {
            call.query.push(("provisioningStatus", s.to_owned()));
        }
        self.listing(call, deadline).await
    }

    /// `GET /v2/product/{uid}` for a Port (or MCR/MVE).
    pub async fn get_product<V: DeserializeOwned>(
        &self,
        uid: &str,
        deadline: Instant,
    ) -> Result<Product<V>, MegaportError> {
        let call = self.read(Route::Product, Method::GET, &["v2", "product", uid])?;
        self.required(call, deadline).await
    }

    /// `GET /v2/product/{uid}` for a VXC (Megaport reads every product kind on this path).
    pub async fn get_vxc(&self, uid: &str, deadline: Instant) -> Result<Vxc, MegaportError> {
        let call = self.read(Route::Product, Method::GET, &["v2", "product", uid])?;
        self.required(call, deadline).await
    }

    /// `GET /v2/product/{uid}/tags`: the resource tags stamped at order time (Megaport leaves
    /// them out of product bodies). Used to find an order whose outcome was unknown.
    pub async fn get_product_tags(
        &self,
        uid: &str,
        deadline: Instant,
    ) -> Result<Vec<ResourceTag>, MegaportError> {
        let call = self.read(
            Route::ProductTags,
            Method::GET,
            &["v2", "product", uid, "tags"],
        )?;
        self.send(call, deadline, |body| {
            let tags = match decode::nullable::<Value>(body)? {
                None => return Ok(Vec::new()),
                Some(Value::Object(mut o)) => o.remove("resourceTags").unwrap_or(Value::Null),
                Some(other) => other,
            };
            if tags.is_null() {
                return Ok(Vec::new());
            }
            serde_json::from_value(tags).map_err(|e| decode::describe(&e))
        })
        .await
    }

    /// `GET /v3/locations`, all statuses. Public: sent without a token.
    pub async fn list_locations(
        &self,
        deadline: Instant,
    ) -> Result<Listing<Location>, MegaportError> {
        let mut call = self.read(Route::Locations, Method::GET, &["v3", "locations"])?;
        call.auth = false;
        self.listing(call, deadline).await
    }

    /// `GET /v2/locations/rtt?srcLocation=&year=YY&month=M`: median round trips from one
    /// location to the others over a past month (`year` is sent as its last two digits, as
    /// Megaport takes it). Megaport publishes a month after it ends: the current month, and its
    /// staging environment, answer an empty list.
    pub async fn location_rtt(
        &self,
        src_location: i64,
        year: i32,
        month: u8,
        deadline: Instant,
    ) -> Result<Listing<LocationRtt>, MegaportError> {
        let mut call = self.read(Route::LocationRtt, Method::GET, &["v2", "locations", "rtt"])?;
        call.query.push(("srcLocation", src_location.to_string()));
        call.query.push(("year", year.rem_euclid(100).to_string()));
        call.query.push(("month", month.to_string()));
        self.listing(call, deadline).await
    }

    /// `GET /v2/product/{megaport|mcr2|mve}/{uid}/telemetry?type=BITS&days=<days>`: a Port's,
    /// MCR's or MVE's traffic in Mbps per direction over the last `days` (1-180).
    pub async fn port_traffic(
        &self,
        kind: crate::models::ProductKind,
        port_uid: &str,
        days: u16,
        deadline: Instant,
    ) -> Result<Telemetry, MegaportError> {
        let mut call = self.read(
            Route::Telemetry,
            Method::GET,
            &["v2", "product", kind.path_segment(), port_uid, "telemetry"],
        )?;
        call.query.push(("type", "BITS".to_owned()));
        call.query.push(("days", days.to_string()));
        self.send(call, deadline, decode::bare::<Telemetry>).await
    }

    /// `GET /ens/v1/status/maintenance?state=<state>` (Scheduled, Running, Completed,
    /// Cancelled).
    pub async fn maintenance_events(
        &self,
        state: &str,
        deadline: Instant,
    ) -> Result<Listing<StatusEvent>, MegaportError> {
        let mut call = self.read(
            Route::Maintenance,
            Method::GET,
            &["ens", "v1", "status", "maintenance"],
        )?;
        call.query.push(("state", state.to_owned()));
        self.listing(call, deadline).await
    }

    /// `GET /ens/v1/status/outage?state=<state>` (Ongoing, Resolved).
    pub async fn outage_events(
        &self,
        state: &str,
        deadline: Instant,
    ) -> Result<Listing<StatusEvent>, MegaportError> {
        let mut call = self.read(
            Route::Outages,
            Method::GET,
            &["ens", "v1", "status", "outage"],
        )?;
        call.query.push(("state", state.to_owned()));
        self.listing(call, deadline).await
    }

    /// `GET /v3/order_approvals?pageNumber=<page>&pageSize=<size>`, newest first: one page of
    /// the approvals the account decides or asked for.
    pub async fn order_approvals(
        &self,
        page: u32,
        page_size: u32,
        deadline: Instant,
    ) -> Result<Listing<OrderApproval>, MegaportError> {
        let mut call = self.read(Route::Approvals, Method::GET, &["v3", "order_approvals"])?;
        call.query.push(("pageNumber", page.to_string()));
        call.query.push(("pageSize", page_size.to_string()));
        call.query.push(("direction", "DESC".to_owned()));
        self.listing(call, deadline).await
    }

    /// `POST /v3/order_approvals/{uid}/approve` (or `reject`). Never retried once it may have
    /// been sent. The body is not read (megaportgo discards it too): what Megaport returns
    /// there is not documented, and a body that did not decode would make the outcome unknown.
    pub async fn decide_order_approval(
        &self,
        uid: &str,
        approve: bool,
        comments: &str,
        deadline: Instant,
    ) -> Result<(), MegaportError> {
        let action = if approve { "approve" } else { "reject" };
        let call = self.write(
            Route::ApprovalDecide,
            Method::POST,
            &["v3", "order_approvals", uid, action],
            &ApprovalActionRequest {
                comments: comments.to_owned(),
            },
        )?;
        self.send(call, deadline, |_| Ok(())).await
    }

    /// `POST /v4/pricebook/product` for a VXC between two locations (a read: it prices, it
    /// orders nothing). `data` carries `monthlyRate`, `monthlyRackRate` and `currency`.
    pub async fn price_vxc(
        &self,
        a_location_id: i64,
        b_location_id: i64,
        speed_mbps: i64,
        term_months: i64,
        deadline: Instant,
    ) -> Result<Price, MegaportError> {
        let mut call = self.write(
            Route::Pricebook,
            Method::POST,
            &["v4", "pricebook", "product"],
            &VxcPriceRequest {
                product_type: "VXC",
                a_location_id,
                b_location_id,
                speed: speed_mbps,
                term: term_months,
                a_end_product_type: "MEGAPORT",
                connect_type: "DEFAULT",
            },
        )?;
        call.kind = Kind::Read;
        self.required(call, deadline).await
    }

    /// `GET /v2/product/port/{uid}/vlan?vlan=<n>`: VLAN `n` is free iff Megaport lists it.
    pub async fn port_vlan_available(
        &self,
        port_uid: &str,
        vlan: u16,
        deadline: Instant,
    ) -> Result<bool, MegaportError> {
        let mut call = self.read(
            Route::PortVlan,
            Method::GET,
            &["v2", "product", "port", port_uid, "vlan"],
        )?;
        call.query.push(("vlan", vlan.to_string()));
        let free: Vec<Value> = self
            .send(call, deadline, decode::nullable::<Vec<Value>>)
            .await?
            .unwrap_or_default();
        Ok(free.iter().any(|v| match v {
            Value::Number(n) => n.as_i64() == Some(i64::from(vlan)),
            Value::String(s) => s.trim().parse::<i64>().ok() == Some(i64::from(vlan)),
            _ => false,
        }))
    }

    /// `POST /v2/service/key`. Never retried once it may have been sent.
    pub async fn create_service_key(
        &self,
        request: &CreateServiceKeyRequest,
        deadline: Instant,
    ) -> Result<ServiceKey, MegaportError> {
        let call = self.write(
            Route::ServiceKeyCreate,
            Method::POST,
            &["v2", "service", "key"],
            request,
        )?;
        self.required(call, deadline).await
    }

    /// `GET /v2/service/key`, all keys or `?productIdOrUid=<uid>`.
    pub async fn list_service_keys(
        &self,
        product_uid: Option<&str>,
        deadline: Instant,
    ) -> Result<Listing<ServiceKey>, MegaportError> {
        let mut call = self.read(
            Route::ServiceKeyList,
            Method::GET,
            &["v2", "service", "key"],
        )?;
        if let Some(p) = product_uid {
            call.query.push(("productIdOrUid", p.to_owned()));
        }
        self.listing(call, deadline).await
    }

    /// `GET /v2/service/key?key=<key>` (a proper query string, not the Go SDK's `%3F` path).
    pub async fn get_service_key(
        &self,
        key: &str,
        deadline: Instant,
    ) -> Result<ServiceKey, MegaportError> {
        let mut call = self.read(Route::ServiceKeyGet, Method::GET, &["v2", "service", "key"])?;
        call.query.push(("key", key.to_owned()));
        let found = self
            .send(call, deadline, |body| {
                let one = match decode::nullable::<Value>(body)? {
                    Some(Value::Array(items)) => items.into_iter().next(),
                    Some(Value::Null) | None => None,
                    Some(v) => Some(v),
                };
                one.map(serde_json::from_value::<ServiceKey>)
                    .transpose()
                    .map_err(|e| decode::describe(&e))
            })
            .await?;
        found.ok_or_else(|| MegaportError::NotFound(ErrorDetail::new("service key not found")))
    }

    /// `PUT /v2/service/key`. Megaport resets omitted fields: build the request from a fresh read.
    pub async fn update_service_key(
        &self,
        request: &UpdateServiceKeyRequest,
        deadline: Instant,
    ) -> Result<ServiceKey, MegaportError> {
        let mut call = self.write(
            Route::ServiceKeyUpdate,
            Method::PUT,
            &["v2", "service", "key"],
            request,
        )?;
        call.updates = Some(request.key.clone());
        self.required(call, deadline).await
    }

    /// `POST /v3/networkdesign/validate`: prices an order and checks it; changes nothing, so it is
    /// retried like a read.
    pub async fn validate_order(
        &self,
        items: &[VxcOrderItem],
        deadline: Instant,
    ) -> Result<Vec<ValidateLine>, MegaportError> {
        let mut call = self.write(
            Route::Validate,
            Method::POST,
            &["v3", "networkdesign", "validate"],
            &items,
        )?;
        call.kind = Kind::Read;
        Ok(self.listing(call, deadline).await?.items)
    }

    /// Buys an order (v4 wrapper by default). Sent at most once: a lost response, a timeout after
    /// sending or a 5xx gives [`MegaportError::OutcomeUnknown`], for the caller to reconcile.
    pub async fn buy_order(
        &self,
        items: &[VxcOrderItem],
        deadline: Instant,
    ) -> Result<Vec<BuyConfirmation>, MegaportError> {
        let call = match self.inner.buy_api {
            BuyApi::V4 => self.write(
                Route::Buy,
                Method::POST,
                &["v4", "networkdesign", "buy"],
                &BuyRequestV4 {
                    network_design: items,
                    discount_codes: Vec::new(),
                },
            )?,
            BuyApi::V3 => self.write(
                Route::Buy,
                Method::POST,
                &["v3", "networkdesign", "buy"],
                &items,
            )?,
        };
        let confirmations: Vec<BuyConfirmation> = self.required(call, deadline).await?;
        if confirmations.is_empty() {
            // Megaport said yes but not to what: the order may exist.
            return Err(MegaportError::OutcomeUnknown(ErrorDetail::new(
                "megaport accepted the order but returned no confirmation",
            )));
        }
        Ok(confirmations)
    }

    /// `PUT /v3/product/vxc/{uid}`, e.g. [`UpdateVxcRequest::approval`].
    pub async fn update_vxc(
        &self,
        uid: &str,
        request: &UpdateVxcRequest,
        deadline: Instant,
    ) -> Result<Vxc, MegaportError> {
        let mut call = self.write(
            Route::VxcUpdate,
            Method::PUT,
            &["v3", "product", "vxc", uid],
            request,
        )?;
        call.updates = Some(uid.to_owned());
        self.required(call, deadline).await
    }

    /// `POST /v3/product/{uid}/action/<action>`: `CANCEL` (at the end of the term),
    /// `CANCEL_NOW` or `UN_CANCEL`. An update of the service (one per 5 minutes); never retried
    /// once it may have been sent. The body is not read (megaportgo discards it too).
    pub async fn product_action(
        &self,
        uid: &str,
        action: &str,
        deadline: Instant,
    ) -> Result<(), MegaportError> {
        let mut call = self.write(
            Route::Lifecycle,
            Method::POST,
            &["v3", "product", uid, "action", action],
            &serde_json::json!({}),
        )?;
        call.updates = Some(uid.to_owned());
        self.send(call, deadline, |_| Ok(())).await
    }

    /// `GET /v2/product/{uid}/action/CANCEL_NOW/charges`: what cancelling now would cost.
    pub async fn cancel_charges(
        &self,
        uid: &str,
        deadline: Instant,
    ) -> Result<CancelCharges, MegaportError> {
        let call = self.read(
            Route::CancelCharges,
            Method::GET,
            &["v2", "product", uid, "action", "CANCEL_NOW", "charges"],
        )?;
        self.required(call, deadline).await
    }

    fn url(&self, segments: &[&str]) -> Result<Url, MegaportError> {
        let mut url = self.inner.base_url.clone();
        {
            let mut path = url.path_segments_mut().map_err(|_| {
                MegaportError::Invalid(ErrorDetail::new("invalid megaport base url"))
            })?;
            path.pop_if_empty();
            for s in segments {
                if s.is_empty() {
                    return Err(MegaportError::Invalid(ErrorDetail::new(
                        "empty path segment",
                    )));
                }
                path.push(s);
            }
        }
        Ok(url)
    }

    fn read(&self, route: Route, method: Method, segments: &[&str]) -> Result<Call, MegaportError> {
        Ok(Call {
            route,
            method,
            url: self.url(segments)?,
            query: Vec::new(),
            body: None,
            kind: Kind::Read,
            auth: true,
            updates: None,
        })
    }

    fn write<B: Serialize + ?Sized>(
        &self,
        route: Route,
        method: Method,
        segments: &[&str],
        body: &B,
    ) -> Result<Call, MegaportError> {
        let body = serde_json::to_vec(body)
            .map_err(|_| MegaportError::Invalid(ErrorDetail::new("request does not serialise")))?;
        Ok(Call {
            route,
            method,
            url: self.url(segments)?,
            query: Vec::new(),
            body: Some(body),
            kind: Kind::Write,
            auth: true,
            updates: None,
        })
    }

    /// Sends and decodes `data`, which must be present.
    async fn required<T: DeserializeOwned>(
        &self,
        call: Call,
        deadline: Instant,
    ) -> Result<T, MegaportError> {
        self.send(call, deadline, decode::required::<T>).await
    }

    /// Sends and decodes a list, counting the records left out (see [`decode::listing`]).
    async fn listing<T: DeserializeOwned>(
        &self,
        call: Call,
        deadline: Instant,
    ) -> Result<Listing<T>, MegaportError> {
        let route = call.route;
        let listing = self.send(call, deadline, decode::listing::<T>).await?;
        if listing.skipped > 0
            && let Some(since_last_warning) =
                self.inner.metrics.record_skipped(route, listing.skipped)
        {
            tracing::warn!(
                route = route.as_str(),
                skipped = since_last_warning,
                first_reason = listing.first_skip_reason.as_deref(),
                "megaport records that do not decode were left out (warned at most once a \
                 minute per route; the metric counts every one)"
            );
        }
        Ok(listing)
    }

    /// [`Self::send_unnamed`], with a refusal of the credentials naming the account.
    async fn send<T>(
        &self,
        call: Call,
        deadline: Instant,
        decode: impl Fn(&[u8]) -> Decoded<T>,
    ) -> Result<T, MegaportError> {
        self.send_unnamed(call, deadline, decode)
            .await
            .map_err(|error| error.of_account(&self.inner.account))
    }

    /// One logical call: attempts, token refresh on 401, and the retry rules. Returns the 2xx
    /// body as `decode` reads it. A body that is too long, or that does not decode, is an
    /// upstream fault: a read that did not decode is retried like a 5xx; after a write either
    /// means the write happened but its result is unreadable, so the outcome is unknown.
    async fn send_unnamed<T>(
        &self,
        call: Call,
        deadline: Instant,
        decode: impl Fn(&[u8]) -> Decoded<T>,
    ) -> Result<T, MegaportError> {
        let inner = &*self.inner;
        let route = call.route;
        let deadline = deadline.min(Instant::now() + inner.timeouts.of(route));
        let mut attempts = 0u32;
        let mut reauthenticated = false;
        loop {
            let token = if call.auth {
                Some(inner.auth.token(deadline).await?)
            } else {
                None
            };
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                // Nothing was sent in this attempt; an earlier attempt that may have been sent
                // has already returned.
                return Err(MegaportError::Timeout(ErrorDetail::new(format!(
                    "deadline passed before megaport {} was called",
                    route.as_str()
                ))));
            }
            // Once per call: a resend after a 401 was refused at the door and updated nothing.
            if let Some(service) = call.updates.as_deref().filter(|_| attempts == 0)
                && !reauthenticated
                && let Err(retry_after) = inner.budget.admit_update(service)
            {
                return Err(MegaportError::UpdateTooSoon {
                    retry_after,
                    detail: ErrorDetail::new(format!(
                        "megaport takes one update per service every {} s; {service} was \
                         updated {} s ago",
                        inner.budget.config().service_update_interval.as_secs(),
                        inner
                            .budget
                            .config()
                            .service_update_interval
                            .saturating_sub(retry_after)
                            .as_secs()
                    )),
                });
            }
            let priority = match call.kind {
                Kind::Write => Priority::Write,
                Kind::Read => budget::current_priority(),
            };
            if let Err(throttled) = inner.budget.admit(priority, deadline).await {
                if let Some(service) = &call.updates {
                    inner.budget.forget_update(service); // nothing was sent
                }
                inner.metrics.record_throttled(route, priority);
                let why = if throttled.by_megaport {
                    "megaport asked onramp to slow down"
                } else {
                    "onramp's megaport request budget has no share left"
                };
                return Err(MegaportError::RateLimited {
                    retry_after: Some(throttled.retry_after),
                    detail: ErrorDetail::new(format!(
                        "{why}: {} was not sent ({} priority)",
                        route.as_str(),
                        priority.as_str()
                    )),
                });
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let mut req = inner
                .http
                .request(call.method.clone(), call.url.clone())
                .timeout(remaining)
                .header(reqwest::header::ACCEPT, "application/json");
            if !call.query.is_empty() {
                req = req.query(&call.query);
            }
            if let Some(t) = &token {
                req = req.bearer_auth(t.expose());
            }
            if let Some(body) = &call.body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            attempts += 1;
            if attempts > 1 {
                inner.metrics.record_retry(route);
            }
            // One span per attempt: a child of the caller's (the gRPC call's) span.
            let span = tracing::info_span!(
                "megaport",
                otel.name = %format_args!("megaport {}", route.as_str()),
                otel.kind = "client",
                http.request.method = %call.method,
                megaport.route = route.as_str(),
                attempt = attempts,
                http.response.status_code = tracing::field::Empty,
            );
            let sent = Instant::now();
            let sending = req.send().instrument(span.clone()).await;
            inner.metrics.record_latency(route, sent.elapsed());
            if let Ok(response) = &sending {
                span.record("http.response.status_code", response.status().as_u16());
            }
            let resp = match sending {
                Ok(resp) => resp,
                Err(e) => {
                    let connect = e.is_connect();
                    inner.metrics.record(
                        route,
                        if connect {
                            Outcome::ConnectError
                        } else {
                            Outcome::Transport
                        },
                    );
                    if call.kind == Kind::Write && !connect {
                        tracing::warn!(
                            route = route.as_str(),
                            "megaport write lost in transit; outcome unknown"
                        );
                        return Err(MegaportError::OutcomeUnknown(ErrorDetail::new(format!(
                            "megaport {} was sent but no response arrived",
                            route.as_str()
                        ))));
                    }
                    if let Some(delay) = inner.retry.next_delay(attempts, None, deadline) {
                        tracing::debug!(
                            route = route.as_str(),
                            attempts,
                            delay_ms = delay.as_millis() as u64,
                            "retrying megaport call after a transport error"
                        );
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(transport_error(&e, deadline, "megaport"));
                }
            };
            let status = resp.status().as_u16();
            if (200..300).contains(&status) {
                let failure = match body::read_capped(resp, inner.max_response_bytes).await {
                    Ok(body) => match decode(&body) {
                        Ok(value) => {
                            inner.metrics.record(route, Outcome::Ok);
                            tracing::debug!(
                                route = route.as_str(),
                                status,
                                attempts,
                                "megaport call succeeded"
                            );
                            return Ok(value);
                        }
                        Err(what) => {
                            inner.metrics.record(route, Outcome::Malformed);
                            tracing::warn!(
                                route = route.as_str(),
                                problem = %what,
                                "megaport response does not decode"
                            );
                            MegaportError::MalformedResponse(ErrorDetail::new(format!(
                                "megaport {} response {what}",
                                route.as_str()
                            )))
                        }
                    },
                    Err(BodyError::TooLarge { limit }) => {
                        inner.metrics.record(route, Outcome::TooLarge);
                        MegaportError::ResponseTooLarge(ErrorDetail::new(format!(
                            "megaport {} response is longer than the {} limit \
                             (megaport.max_response_bytes)",
                            route.as_str(),
                            body::describe_limit(limit)
                        )))
                    }
                    Err(BodyError::Transport(e)) => {
                        inner.metrics.record(route, Outcome::Transport);
                        transport_error(&e, deadline, "megaport")
                    }
                };
                if call.kind == Kind::Write {
                    return Err(MegaportError::OutcomeUnknown(ErrorDetail::new(format!(
                        "megaport {} answered but its answer could not be read: {}",
                        route.as_str(),
                        failure.message()
                    ))));
                }
                // Too long will be too long again; a cut-off or garbled body may not be.
                if !matches!(failure, MegaportError::ResponseTooLarge(_))
                    && let Some(delay) = inner.retry.next_delay(attempts, None, deadline)
                {
                    tokio::time::sleep(delay).await;
                    continue;
                }
                return Err(failure);
            }
            inner.metrics.record(route, Outcome::from_status(status));
            let (detail, retry_after) = read_error_response(resp).await;
            if status == 429 {
                inner.budget.throttled_by_megaport(retry_after).await;
            }
            tracing::debug!(
                route = route.as_str(),
                status,
                attempts,
                trace_id = detail.trace_id.as_deref(),
                "megaport call failed"
            );
            if status == 401
                && !reauthenticated
                && let Some(t) = &token
            {
                // Rejected at the door, so nothing happened: safe to send again, even a write.
                inner.auth.invalidate(t.generation);
                reauthenticated = true;
                attempts -= 1;
                continue;
            }
            let err = MegaportError::from_status(status, detail, retry_after);
            // A refused update (a 4xx other than 429, which may be the update limit itself)
            // changed nothing: it does not use the service's update window.
            if (400..500).contains(&status)
                && status != 429
                && let Some(service) = &call.updates
            {
                inner.budget.forget_update(service);
            }
            match call.kind {
                Kind::Read if matches!(status, 429 | 502 | 503 | 504) => {
                    if let Some(delay) = inner.retry.next_delay(attempts, retry_after, deadline) {
                        tracing::debug!(
                            route = route.as_str(),
                            status,
                            attempts,
                            delay_ms = delay.as_millis() as u64,
                            "retrying megaport read"
                        );
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(err);
                }
                // A gateway error or 5xx after a write was sent says nothing about whether it
                // took effect. 429 is a refusal, so it stays a plain rate-limit error.
                Kind::Write if status >= 500 => {
                    return Err(MegaportError::OutcomeUnknown(err.detail().clone()));
                }
                _ => return Err(err),
            }
        }
    }
}
