//! Typed Megaport payloads (megaport-api.md §3–§7), lenient where Megaport varies: field-name
//! casing (`vxcPermitted`/`vxcpermitted`, `nServiceId`/`nserviceId`), epoch-ms or ISO-8601
//! timestamps, numbers sent as strings, nulls for lists and flags, and unknown fields.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::de;

/// Megaport's success envelope: `{message, terms, data}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Envelope<T> {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub terms: Option<String>,
    #[serde(default)]
    pub data: Data<T>,
}

/// An envelope's `data`: a list read must tell "no such field" (an action's answer, or a body
/// that is not Megaport's) from `null` (Megaport's empty list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data<T> {
    Missing,
    Null,
    Present(T),
}

// Written out: a derived Default would demand `T: Default`, which most payloads are not.
#[allow(clippy::derivable_impls)]
impl<T> Default for Data<T> {
    fn default() -> Self {
        Data::Missing
    }
}

impl<T> Data<T> {
    /// `Some` when present; missing and null alike are `None`.
    pub fn into_option(self) -> Option<T> {
        match self {
            Data::Present(value) => Some(value),
            Data::Missing | Data::Null => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Data<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Data::Present(value),
            None => Data::Null,
        })
    }
}

/// A list read from Megaport: the records that decoded, and how many did not (left out, as
/// Megaport's SDK leaves out product kinds it does not model). A caller that shows the list says
/// when records are missing, so "no Ports" is never an undecodable answer in disguise.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub skipped: u32,
    /// Why the first skipped record did not decode, for the log (no values from the body).
    pub(crate) first_skip_reason: Option<String>,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            skipped: 0,
            first_skip_reason: None,
        }
    }
}

impl<T> std::ops::Deref for Listing<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> IntoIterator for Listing<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Megaport's error body. `data` is arbitrary JSON (a string in the Go SDK, a list in Java).
/// `error` is the token service's OAuth error code.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub error: Option<String>,
}

/// The OAuth token response. The access token is moved into a secret wrapper at once by the
/// token manager; this type never leaves `megaport::auth`.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub expires_in: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub error: Option<String>,
}

/// `locationDetail` on products and VXC ends.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationDetail {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub metro: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

/// A product from `/v2/products` or `/v2/product/{uid}`: a Port (`MEGAPORT`), or an MCR/MVE, which
/// share the shape. `productType` casing varies; compare with [`Product::is_port`]. Its VXCs are
/// read as `V`: whole ([`Vxc`]), or only what a Port's capacity and VLANs need ([`VxcSummary`]),
/// which decodes a large provider's listing in a fraction of the time.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "V: DeserializeOwned"))]
pub struct Product<V = Vxc> {
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub product_id: Option<i64>,
    pub product_uid: String,
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(default)]
    pub product_type: Option<String>,
    #[serde(default)]
    pub provisioning_status: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub create_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub created_by: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub port_speed: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub max_vxc_speed: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub terminate_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub live_date: Option<OffsetDateTime>,
    #[serde(default)]
    pub market: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub location_id: Option<i64>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub location_detail: Option<LocationDetail>,
    #[serde(default)]
    pub usage_algorithm: Option<String>,
    #[serde(default, deserialize_with = "de::flag")]
    pub marketplace_visibility: bool,
    #[serde(default, alias = "vxcpermitted", deserialize_with = "de::flag")]
    pub vxc_permitted: bool,
    #[serde(default, deserialize_with = "de::flag")]
    pub vxc_auto_approval: bool,
    #[serde(default)]
    pub secondary_name: Option<String>,
    #[serde(default, deserialize_with = "de::flag")]
    pub lag_primary: bool,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub lag_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub aggregation_id: Option<i64>,
    #[serde(default)]
    pub company_uid: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub cost_centre: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub contract_start_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub contract_end_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub contract_term_months: Option<i64>,
    #[serde(default, deserialize_with = "de::flag")]
    pub r#virtual: bool,
    #[serde(default, deserialize_with = "de::flag")]
    pub locked: bool,
    #[serde(default, deserialize_with = "de::flag")]
    pub admin_locked: bool,
    #[serde(default, deserialize_with = "de::flag")]
    pub cancelable: bool,
    /// `red`, `blue`, or none; lower-cased on decode.
    #[serde(default, deserialize_with = "de_zone")]
    pub diversity_zone: Option<String>,
    #[serde(default)]
    pub connect_type: Option<String>,
    #[serde(default, alias = "nserviceId", deserialize_with = "de::opt_i64")]
    pub n_service_id: Option<i64>,
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub associated_vxcs: Vec<V>,
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub associated_ixs: Vec<Value>,
    /// An MCR's virtual router (its ASN); other kinds' resources are not read.
    #[serde(default)]
    pub resources: Option<ProductResources>,
    /// An MVE's network interfaces, by index.
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub vnics: Vec<MveVnic>,
    #[serde(default)]
    pub mve_size: Option<String>,
    #[serde(default)]
    pub vendor: Option<String>,
}

/// `resources` of a product, as far as onramp reads it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProductResources {
    #[serde(default)]
    pub virtual_router: Option<VirtualRouter>,
}

/// An MCR's `resources.virtual_router`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualRouter {
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub mcr_asn: Option<i64>,
}

/// One of an MVE's `vnics`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MveVnic {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub vlan: Option<i64>,
}

/// What a product is, by its `productType` (any case): the kinds onramp sells on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKind {
    /// `MEGAPORT`.
    Port,
    /// `MCR2`: a Megaport Cloud Router.
    Mcr,
    /// `MVE`: a Megaport Virtual Edge.
    Mve,
}

impl ProductKind {
    /// The path segment of the kind's own routes (`/v2/product/{segment}/{uid}/telemetry`).
    pub fn path_segment(self) -> &'static str {
        match self {
            ProductKind::Port => "megaport",
            ProductKind::Mcr => "mcr2",
            ProductKind::Mve => "mve",
        }
    }
}

/// The Port is the product kind onramp first sold on; MCRs and MVEs decode into the same type.
pub type Port = Product;

impl<V> Product<V> {
    /// Megaport calls a Port `MEGAPORT`, in either case.
    pub fn is_port(&self) -> bool {
        self.kind() == Some(ProductKind::Port)
    }

    /// A Port, an MCR or an MVE; `None` for the kinds onramp does not sell on (VXCs, IXs).
    pub fn kind(&self) -> Option<ProductKind> {
        let kind = self.product_type.as_deref()?;
        [
            ("megaport", ProductKind::Port),
            ("mcr2", ProductKind::Mcr),
            ("mve", ProductKind::Mve),
        ]
        .into_iter()
        .find(|(name, _)| kind.eq_ignore_ascii_case(name))
        .map(|(_, kind)| kind)
    }

    pub fn is_live(&self) -> bool {
        self.provisioning_status.as_deref() == Some("LIVE")
    }
}

fn de_zone<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .map(|z| z.trim().to_ascii_lowercase())
        .filter(|z| !z.is_empty()))
}

/// One end of a VXC.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VxcEnd {
    #[serde(default)]
    pub owner_uid: Option<String>,
    #[serde(default)]
    pub product_uid: Option<String>,
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub location_id: Option<i64>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub location_detail: Option<LocationDetail>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub vlan: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub inner_vlan: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub v_nic_index: Option<i64>,
    #[serde(default)]
    pub secondary_name: Option<String>,
}

/// `vxcApproval`: all-null when nothing is pending.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VxcApproval {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub uid: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub new_speed: Option<i64>,
    /// The term a pending TERM_CHANGE asks for (the sandbox's; Megaport documents only
    /// `newSpeed`).
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub new_term: Option<i64>,
}

/// `{key, value}` tag; onramp stamps its request id on VXCs this way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceTag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// What a Port's capacity and VLANs need of a VXC nested in its `associatedVxcs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VxcSummary {
    pub product_uid: String,
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub rate_limit: Option<i64>,
    #[serde(default)]
    pub provisioning_status: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub create_date: Option<OffsetDateTime>,
    #[serde(default)]
    pub a_end: VxcEndSummary,
    #[serde(default)]
    pub b_end: VxcEndSummary,
}

/// The Port and VLAN of a VXC's end.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VxcEndSummary {
    #[serde(default)]
    pub product_uid: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub vlan: Option<i64>,
    /// The vNIC, when the end is on an MVE.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub v_nic_index: Option<i64>,
}

/// A VXC: nested in a product's `associatedVxcs`, or read alone from `/v2/product/{uid}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vxc {
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub product_id: Option<i64>,
    pub product_uid: String,
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(default)]
    pub product_type: Option<String>,
    #[serde(default, alias = "nserviceId", deserialize_with = "de::opt_i64")]
    pub n_service_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub rate_limit: Option<i64>,
    #[serde(default)]
    pub distance_band: Option<String>,
    #[serde(default)]
    pub provisioning_status: Option<String>,
    #[serde(default)]
    pub a_end: VxcEnd,
    #[serde(default)]
    pub b_end: VxcEnd,
    #[serde(default)]
    pub secondary_name: Option<String>,
    #[serde(default)]
    pub usage_algorithm: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub created_by: Option<String>,
    #[serde(default)]
    pub cost_centre: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub live_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub create_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub contract_start_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub contract_end_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub contract_term_months: Option<i64>,
    #[serde(default)]
    pub vxc_approval: Option<VxcApproval>,
    #[serde(default, deserialize_with = "de::flag")]
    pub shutdown: bool,
    #[serde(default, deserialize_with = "de::flag")]
    pub up: bool,
    #[serde(default, deserialize_with = "de::flag")]
    pub locked: bool,
    #[serde(default, deserialize_with = "de::flag")]
    pub admin_locked: bool,
    #[serde(default, deserialize_with = "de::flag")]
    pub cancelable: bool,
    #[serde(default)]
    pub company_uid: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub resource_tags: Vec<ResourceTag>,
}

impl Vxc {
    /// True while the VXC waits for the key owner's approval.
    pub fn is_pending_approval(&self) -> bool {
        self.vxc_approval
            .as_ref()
            .and_then(|a| a.status.as_deref())
            .is_some_and(|s| s.to_ascii_uppercase().starts_with("PENDING"))
    }

    /// True when the VXC's approval expired before the key owner decided.
    pub fn approval_expired(&self) -> bool {
        self.vxc_approval
            .as_ref()
            .and_then(|a| a.status.as_deref())
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("EXPIRED"))
    }
}

/// One row of `GET /v2/locations/rtt`: the median round trip, in milliseconds, between two
/// locations over one past month.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationRtt {
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub src_location: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub dst_location: Option<i64>,
    #[serde(rename = "medianRTT")]
    pub median_rtt_ms: f64,
}

/// `/v3/locations` item.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(deserialize_with = "de_req_i64")]
    pub id: i64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub metro: Option<String>,
    #[serde(default)]
    pub market: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub latitude: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub data_centre: Option<DataCentre>,
    #[serde(default)]
    pub diversity_zones: Option<DiversityZones>,
    #[serde(default)]
    pub product_add_ons: Option<Value>,
    #[serde(default)]
    pub ordering_message: Option<String>,
}

fn de_req_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    de::opt_i64(d)?.ok_or_else(|| serde::de::Error::custom("missing integer"))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub suburb: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub postcode: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataCentre {
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub id: Option<i64>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DiversityZones {
    #[serde(default)]
    pub red: Option<Zone>,
    #[serde(default)]
    pub blue: Option<Zone>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Zone {
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub mcr_speed_mbps: Vec<i64>,
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub megaport_speed_mbps: Vec<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub mve_max_cpu_core_count: Option<i64>,
    #[serde(default, deserialize_with = "de::flag")]
    pub mve_available: bool,
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub nat_gateway_speed_mbps: Vec<i64>,
}

/// `validFor` on a key as read back; `end` may be null.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ValidFor {
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub start: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub end: Option<OffsetDateTime>,
}

/// A service key (§6.1).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceKey {
    pub key: String,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub create_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub company_id: Option<i64>,
    #[serde(default)]
    pub company_uid: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub product_id: Option<i64>,
    #[serde(default)]
    pub product_uid: Option<String>,
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub vlan: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub max_speed: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub pre_approved: Option<bool>,
    #[serde(default, deserialize_with = "de::flag")]
    pub single_use: bool,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub last_used: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::flag")]
    pub active: bool,
    #[serde(default)]
    pub valid_for: Option<ValidFor>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub expired: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub valid: Option<bool>,
    #[serde(default)]
    pub promo_code: Option<String>,
    #[serde(default)]
    pub product_dto: Option<Box<Product>>,
}

/// `validFor` in a request: epoch milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValidForRequest {
    #[serde(serialize_with = "de::ser_opt_ts_ms")]
    pub start: Option<OffsetDateTime>,
    #[serde(serialize_with = "de::ser_opt_ts_ms")]
    pub end: Option<OffsetDateTime>,
}

/// `POST /v2/service/key`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateServiceKeyRequest {
    pub product_uid: String,
    pub single_use: bool,
    pub max_speed: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<i64>,
    /// Always sent: staging defaults an omitted `active` to true, but relying on that is fragile.
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_approved: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_for: Option<ValidForRequest>,
}

/// `PUT /v2/service/key`. Megaport resets omitted fields, so callers fill it from a fresh read
/// (see [`UpdateServiceKeyRequest::from_key`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateServiceKeyRequest {
    pub key: String,
    pub product_uid: String,
    pub single_use: bool,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_speed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_approved: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_for: Option<ValidForRequest>,
}

impl UpdateServiceKeyRequest {
    /// A request that rewrites the key as it is, for the caller to change one field of.
    pub fn from_key(key: &ServiceKey) -> Self {
        Self {
            key: key.key.clone(),
            product_uid: key.product_uid.clone().unwrap_or_default(),
            single_use: key.single_use,
            active: key.active,
            description: key.description.clone(),
            max_speed: key.max_speed,
            vlan: key.vlan,
            pre_approved: key.pre_approved,
            valid_for: key.valid_for.as_ref().map(|v| ValidForRequest {
                start: v.start,
                end: v.end,
            }),
        }
    }
}

/// One end of a VXC in an order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEnd {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_uid: Option<String>,
    /// None or 0 = auto-assign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_vlan: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diversity_zone: Option<String>,
}

/// `associatedVxcs[]` of an order item (§7.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VxcOrderConfig {
    pub product_name: String,
    pub rate_limit: i64,
    pub term: i64,
    pub shutdown: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promo_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_centre: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_tags: Vec<ResourceTag>,
    pub a_end: OrderEnd,
    pub b_end: OrderEnd,
}

/// One order item: the A-end product and the VXCs to build from it. Validate and v3 buy take a
/// JSON array of these.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VxcOrderItem {
    pub product_uid: String,
    pub associated_vxcs: Vec<VxcOrderConfig>,
}

/// v4 buy wraps the v3 array.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuyRequestV4<'a> {
    pub network_design: &'a [VxcOrderItem],
    pub discount_codes: Vec<String>,
}

/// Price of one validated line.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub hourly_setup: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub daily_setup: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub monthly_setup: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub hourly_rate: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub daily_rate: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub monthly_rate: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub fixed_recurring_charge: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub long_haul_mbps_rate: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub mbps_rate: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub monthly_rack_rate: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub post_paid_base_rate: Option<f64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub product_type: Option<String>,
}

/// One line of a validate response (v3 and v2-era shapes both decode).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateLine {
    #[serde(default)]
    pub product_uid: Option<String>,
    #[serde(default)]
    pub product_type: Option<String>,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub metro: Option<String>,
    /// The v3 shape names the metro with a key literally called `string`.
    #[serde(default, rename = "string")]
    pub metro_name: Option<String>,
    #[serde(default)]
    pub market: Option<String>,
    #[serde(default)]
    pub price: Option<Price>,
    #[serde(default)]
    pub error: Option<Value>,
}

/// One element of a buy response; a VXC's new UID is `vxcJTechnicalServiceUid`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuyConfirmation {
    #[serde(default)]
    pub vxc_j_technical_service_uid: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub vxc_j_technical_service_id: Option<i64>,
    /// What Ports (not VXCs) return instead.
    #[serde(default)]
    pub technical_service_uid: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub vxc_order_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub create_date: Option<OffsetDateTime>,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub service_key: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub speed: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub duration: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub payer_vlan_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub non_payer_vlan_id: Option<i64>,
    #[serde(default)]
    pub payer_status: Option<String>,
    #[serde(default)]
    pub non_payer_status: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub fully_approved: Option<bool>,
    #[serde(default)]
    pub order_type: Option<String>,
}

impl BuyConfirmation {
    /// The ordered service's UID, whichever field carries it.
    pub fn service_uid(&self) -> Option<&str> {
        self.vxc_j_technical_service_uid
            .as_deref()
            .or(self.technical_service_uid.as_deref())
    }
}

/// `PUT /v3/product/vxc/{uid}`; only set fields are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateVxcRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_centre: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a_end_vlan: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b_end_vlan: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_approved: Option<bool>,
    /// The B-End owner's layer-3 configuration of an MCR end: a vrouter partner config
    /// (`{"interfaces": [...]}`), as megaportgo's `VXCOrderVrouterPartnerConfig`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b_end_config: Option<Value>,
    /// The B-End owner moves an MVE end to this vNIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b_vnic_index: Option<i64>,
}

impl UpdateVxcRequest {
    /// The key owner's answer to a pending VXC.
    pub fn approval(approve: bool) -> Self {
        Self {
            is_approved: Some(approve),
            ..Self::default()
        }
    }
}

#[cfg(test)]
#[path = "models_tests.rs"]
mod tests;

/// `GET /v2/product/megaport/{uid}/telemetry` (not enveloped): one series per type and
/// direction, samples as `[epoch_ms, value]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Telemetry {
    #[serde(default)]
    pub service_uid: Option<String>,
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub data: Vec<TelemetrySeries>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TelemetrySeries {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// `IN`/`OUT` (older clients saw `In`/`Out`: compare without case).
    #[serde(default)]
    pub subtype: Option<String>,
    /// `[epoch_ms, value]`; a gap in Megaport's polling is a null value.
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub samples: Vec<(f64, Option<f64>)>,
    #[serde(default)]
    pub unit: Option<TelemetryUnit>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TelemetryUnit {
    #[serde(default)]
    pub name: Option<String>,
}

/// An item of `GET /ens/v1/status/maintenance` or `/outage` (both shapes; the outage adds
/// `outageId`). `services` holds Megaport's short (8-character) service uids.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusEvent {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub event_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub outage_id: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub start_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub end_time: Option<OffsetDateTime>,
    #[serde(default)]
    pub impact: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub services: Vec<String>,
}

/// `GET /v3/order_approvals` item: a NEW_ORDER, SPEED_CHANGE or TERM_CHANGE waiting for (or
/// decided by) the B-End owner. Megaport documents little of `detail`; every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderApproval {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub uid: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub id: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub acct_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub requester_company_id: Option<i64>,
    /// The VXC's numeric product id.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub service_id: Option<i64>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub create_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub expiry_date: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub decision_date: Option<OffsetDateTime>,
    #[serde(default)]
    pub detail: Option<ApprovalDetail>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalDetail {
    #[serde(default, deserialize_with = "de::vec_or_null")]
    pub product_request: Vec<ApprovalProductRequest>,
}

/// What the requester asked for (Megaport's `productRequest`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalProductRequest {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub product_uid: Option<String>,
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub rate_limit: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub term: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub b_end_product_uid: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub current_rate_limit: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub current_term: Option<i64>,
}

/// `POST /v3/order_approvals/{uid}/approve|reject` body.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalActionRequest {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comments: String,
}

/// `POST /v4/pricebook/product` body for a VXC.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VxcPriceRequest {
    pub product_type: &'static str,
    pub a_location_id: i64,
    pub b_location_id: i64,
    pub speed: i64,
    pub term: i64,
    pub a_end_product_type: &'static str,
    pub connect_type: &'static str,
}

/// `GET /v2/product/{uid}/action/CANCEL_NOW/charges` `data` (Megaport does not document the
/// shape; these are the sandbox's fields, every one optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelCharges {
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub total_charge: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub remaining_months: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub contract_end_date: Option<OffsetDateTime>,
}
