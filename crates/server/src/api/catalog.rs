//! `onramp.v1.CatalogService`: the provider's live on-ramps.

use tonic::{Request, Response, Status};

use super::convert;
use crate::error::{Error, FieldViolation};
use crate::paging;
use grpc_plumbing::kept_answers::{Revisions, view_answer};
use std::sync::Arc;

use onramp_core::directory::{Ask, Directory, OnRampFilter, Scope, ViewRevision};
use onramp_core::orders::OrderDesk;
use onramp_core::selection::MaintenancePolicy;
use onramp_core::service_keys::ServiceKeys;
use onramp_proto as pb;
use onramp_proto::catalog_service_server::CatalogService;

/// gRPC adapter for the catalog.
#[derive(Debug, Clone)]
pub struct CatalogApi {
    directory: Directory,
    /// Prices chosen on-ramps when a selection asks (the pricebook, through the order desk).
    desk: OrderDesk,
    /// Finds the Port of a key a selection's `complement_of` names.
    keys: Arc<ServiceKeys>,
}

impl CatalogApi {
    pub fn new(directory: Directory, desk: OrderDesk, keys: Arc<ServiceKeys>) -> Self {
        Self {
            directory,
            desk,
            keys,
        }
    }
}

/// The reads whose answers are kept per view revision when their handler marks them as the
/// view's (see `grpc_plumbing::kept_answers`): every read, but a selection that asks for prices.
pub const KEPT_READS: &[&str] = &[
    "/onramp.v1.CatalogService/ListCountries",
    "/onramp.v1.CatalogService/ListMetros",
    "/onramp.v1.CatalogService/ListOnRamps",
    "/onramp.v1.CatalogService/GetOnRamp",
    "/onramp.v1.CatalogService/SelectOnRamps",
];

/// The catalog's views as the kept answers see them: their revision moves whenever the Ports,
/// regions or signals an answer reads from do.
#[derive(Clone)]
pub struct CatalogViews(pub Directory);

impl Revisions for CatalogViews {
    type Revision = ViewRevision;

    async fn revision(&self) -> Option<ViewRevision> {
        self.0.revision().await
    }
}

/// Largest VXC rate anywhere on Megaport (100 Gbps in selected US regions).
const MAX_RATE_MBPS: i64 = 100_000;

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    async fn list_countries(
        &self,
        _request: Request<pb::ListCountriesRequest>,
    ) -> Result<Response<pb::ListCountriesResponse>, Status> {
        let countries = self
            .directory
            .countries()
            .await
            .map_err(crate::error::status)?;
        Ok(view_answer(pb::ListCountriesResponse {
            countries: countries
                .into_iter()
                .map(|country| pb::Country {
                    name: country.name,
                    on_ramp_count: country.on_ramp_count,
                })
                .collect(),
        }))
    }

    async fn list_metros(
        &self,
        request: Request<pb::ListMetrosRequest>,
    ) -> Result<Response<pb::ListMetrosResponse>, Status> {
        let country = request.into_inner().country;
        let country = non_empty(country.trim());
        let metros = self
            .directory
            .metros(country.as_deref())
            .await
            .map_err(crate::error::status)?;
        Ok(view_answer(pb::ListMetrosResponse {
            metros: metros
                .into_iter()
                .map(|metro| pb::Metro {
                    name: metro.name,
                    country: metro.country,
                    on_ramp_count: metro.on_ramp_count,
                })
                .collect(),
        }))
    }

    async fn list_on_ramps(
        &self,
        request: Request<pb::ListOnRampsRequest>,
    ) -> Result<Response<pb::ListOnRampsResponse>, Status> {
        let request = request.into_inner();
        let mut violations = Vec::new();
        let paging = paging::offset_paging(request.page_size, &request.page_token, &mut violations);
        if request.location_id < 0 {
            violations.push(FieldViolation::new(
                "location_id",
                format!(
                    "must be a Megaport location id (> 0), got {}",
                    request.location_id
                ),
            ));
        }
        let kinds = convert::kinds_from(&request.kinds, "kinds", &mut violations);
        let (Some((page_size, offset)), true) = (paging, violations.is_empty()) else {
            return Err(crate::error::status(Error::InvalidArgument(violations)));
        };
        let filter = OnRampFilter {
            kinds,
            region: non_empty(&request.region),
            country: non_empty(&request.country),
            metro: non_empty(&request.metro),
            location_id: (request.location_id > 0).then_some(request.location_id),
            vxc_permitted_only: request.vxc_permitted_only,
            live_only: request.live_only,
        };
        let matched = self
            .directory
            .on_ramps(&filter)
            .await
            .map_err(crate::error::status)?;
        let (page, next_page_token) = paging::page_of(matched.iter().collect(), offset, page_size);
        Ok(view_answer(pb::ListOnRampsResponse {
            on_ramps: page.into_iter().map(convert::on_ramp).collect(),
            next_page_token,
            skipped_upstream_records: self.directory.skipped_upstream_records().await,
        }))
    }

    async fn get_on_ramp(
        &self,
        request: Request<pb::GetOnRampRequest>,
    ) -> Result<Response<pb::GetOnRampResponse>, Status> {
        let port_uid = request.into_inner().port_uid;
        if port_uid.trim().is_empty() {
            return Err(crate::error::status(Error::invalid(
                "port_uid",
                "must not be empty",
            )));
        }
        let on_ramp = self
            .directory
            .on_ramp(&port_uid)
            .await
            .map_err(crate::error::status)?;
        Ok(view_answer(pb::GetOnRampResponse {
            on_ramp: Some(convert::on_ramp(&on_ramp)),
        }))
    }

    async fn select_on_ramps(
        &self,
        request: Request<pb::SelectOnRampsRequest>,
    ) -> Result<Response<pb::SelectOnRampsResponse>, Status> {
        let request = request.into_inner();
        let maintenance = maintenance_from(request.maintenance).map_err(crate::error::status)?;
        let mut ask = validate_selection(&request).map_err(crate::error::status)?;
        ask.maintenance = maintenance;
        let rate = ask.rate_mbps;
        if let Some(uid) = &ask.complement_of {
            ask.complement_of = Some(
                self.keys
                    .complement_port(uid)
                    .await
                    .map_err(crate::error::status)?,
            );
        }
        let selection = self
            .directory
            .select(&ask)
            .await
            .map_err(crate::error::status)?;
        // Round trips are not part of the view: such an answer is not kept.
        let kept = ask.near.is_none();
        let mut response = selection_response(&selection);
        // Prices come from the pricebook, not the view: such an answer is not kept.
        let Some(asked) = request.price else {
            return Ok(if kept {
                view_answer(response)
            } else {
                Response::new(response)
            });
        };
        for on_ramp in &selection.chosen {
            let quote = self
                .desk
                .quote(
                    "",
                    asked.location_id,
                    &on_ramp.port.uid,
                    rate,
                    asked.term_months,
                )
                .await
                .map_err(|error| crate::error::status(in_price_request(error)))?;
            response.prices.push(pb::OnRampPrice {
                port_uid: on_ramp.port.uid.clone(),
                price: Some(convert::price_quote(&quote.price)),
            });
        }
        Ok(Response::new(response))
    }
}

/// An invalid field of a quote is a field of the selection's `price`.
fn in_price_request(error: Error) -> Error {
    match error {
        Error::InvalidArgument(violations) => Error::InvalidArgument(
            violations
                .into_iter()
                .map(|v| FieldViolation::new(format!("price.{}", v.field), v.description))
                .collect(),
        ),
        other => other,
    }
}

/// The request's maintenance policy; None (UNSPECIFIED) means the configured default.
fn maintenance_from(value: i32) -> Result<Option<MaintenancePolicy>, Error> {
    match pb::MaintenancePolicy::try_from(value) {
        Ok(pb::MaintenancePolicy::Unspecified) => Ok(None),
        Ok(pb::MaintenancePolicy::Reject) => Ok(Some(MaintenancePolicy::Reject)),
        Ok(pb::MaintenancePolicy::RankLast) => Ok(Some(MaintenancePolicy::RankLast)),
        Err(_) => Err(Error::InvalidArgument(vec![FieldViolation::new(
            "maintenance",
            format!("unknown maintenance policy {value}; use REJECT or RANK_LAST"),
        )])),
    }
}

/// Checks the scope and rate of a selection request (shared with IssueServiceKeys).
pub(crate) fn validate_selection(request: &pb::SelectOnRampsRequest) -> Result<Ask, Error> {
    use pb::select_on_ramps_request::Customer;
    let rate_limit_mbps = request.rate_limit_mbps;
    let mut violations = Vec::new();
    if !(1..=MAX_RATE_MBPS).contains(&rate_limit_mbps) {
        violations.push(FieldViolation::new(
            "rate_limit_mbps",
            format!("must be between 1 and {MAX_RATE_MBPS}, got {rate_limit_mbps}"),
        ));
    }
    let complement_of = convert::complement_from(&request.complement_of, &mut violations);
    let scope = match &request.scope {
        Some(pb::select_on_ramps_request::Scope::Region(name)) if !name.trim().is_empty() => {
            Some(Scope::Region(name.clone()))
        }
        Some(pb::select_on_ramps_request::Scope::Selector(selector)) => {
            Some(Scope::Selector(convert::selector_from(selector.clone())))
        }
        // The diverse leg of a connection looks in its Port's metro by default.
        _ if complement_of.is_some() => None,
        _ => {
            violations.push(FieldViolation::new(
                "region",
                "set a region name or a selector",
            ));
            None
        }
    };
    let (location_id, port_uid) = match &request.customer {
        Some(Customer::CustomerLocationId(id)) => (Some(*id), None),
        Some(Customer::CustomerPortUid(uid)) => (None, Some(uid.clone())),
        None => (None, None),
    };
    let near = convert::near_from(location_id, port_uid, &mut violations);
    let kinds = convert::kinds_from(&request.kinds, "kinds", &mut violations);
    if !violations.is_empty() {
        return Err(Error::InvalidArgument(violations));
    }
    Ok(Ask {
        kinds,
        scope,
        rate_mbps: rate_limit_mbps,
        diversity: convert::diversity_from(request.diversity()),
        maintenance: None,
        near,
        proximity: convert::proximity_from(request.proximity()),
        complement_of,
    })
}

pub(crate) fn selection_response(
    selection: &onramp_core::selection::Selection,
) -> pb::SelectOnRampsResponse {
    pb::SelectOnRampsResponse {
        chosen: selection.chosen.iter().map(convert::on_ramp).collect(),
        diversity_satisfied: selection.diversity_satisfied,
        diversity_message: selection.diversity_message.clone(),
        rejected: selection.rejected.iter().map(convert::rejected).collect(),
        ranking_message: selection.ranking_message.clone(),
        proximity_message: selection.proximity_message.clone(),
        prices: Vec::new(),
    }
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}
