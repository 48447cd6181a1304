//! The directory of the provider's on-ramps and regions: what CatalogService and RegionService
//! answer, computed from the inventory (Megaport, cached) and the regions in the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use crate::Inventory;
use crate::derived::Derived;
use crate::error::ErrorReason;
use crate::error::{Error, FieldViolation};
use crate::idempotency::{ensure_same_request, fingerprint};
use crate::onramps::{self, CountryCount, KindName, Location, MetroCount, OnRamp, Port, Zone};
use crate::ports::{InsertOutcome, RegionStore};
use crate::proximity::{Proximity, ProximityPolicy, RttBook};
use crate::regions::{self, Region, Selector};
use crate::selection::{self, Diversity, MaintenancePolicy, Policy, Selection, SelectionError};
use crate::signals::PortSignals;
use crate::time::now_millis;

/// Filters of ListOnRamps; they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct OnRampFilter {
    pub region: Option<String>,
    pub country: Option<String>,
    pub metro: Option<String>,
    pub location_id: Option<i32>,
    pub vxc_permitted_only: bool,
    pub live_only: bool,
    /// Only on-ramps of these kinds; empty = every kind.
    pub kinds: Vec<KindName>,
}

/// The on-ramps a filter matched, in view order, read from the derived view without copying
/// them: a page answer copies only what it converts.
#[derive(Debug, Clone)]
pub struct MatchedOnRamps {
    view: Arc<Vec<OnRamp>>,
    positions: Vec<usize>,
}

impl MatchedOnRamps {
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &OnRamp> + '_ {
        self.positions.iter().map(|&position| &self.view[position])
    }
}

/// One on-ramp of the derived view, read in place: a GetOnRamp answer copies only what it
/// converts (a clone copied the Port's every VXC first).
#[derive(Debug, Clone)]
pub struct ViewedOnRamp {
    view: Arc<Vec<OnRamp>>,
    position: usize,
}

impl std::ops::Deref for ViewedOnRamp {
    type Target = OnRamp;

    fn deref(&self) -> &OnRamp {
        &self.view[self.position]
    }
}

/// The inputs the catalog reads answer from now: the Ports (with the products' skipped
/// records, read from the same listing), the regions and the signals. Two reads with the same
/// request at the same revision get the same answer (prices are not an input: a read that asks
/// for them is answered afresh). Each input is compared by identity, as [`Derived`] does: its
/// source makes a new one for every change. The revision holds them weakly, so a kept revision
/// keeps no old listing in memory, but their allocations stay, so an address is not reused while
/// it is compared.
#[derive(Clone)]
pub struct ViewRevision {
    ports: Weak<Vec<Port>>,
    regions: Weak<Vec<Region>>,
    signals: Weak<PortSignals>,
}

impl PartialEq for ViewRevision {
    fn eq(&self, other: &Self) -> bool {
        Weak::ptr_eq(&self.ports, &other.ports)
            && Weak::ptr_eq(&self.regions, &other.regions)
            && Weak::ptr_eq(&self.signals, &other.signals)
    }
}

impl std::fmt::Debug for ViewRevision {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ViewRevision")
            .field("ports", &self.ports.as_ptr())
            .field("regions", &self.regions.as_ptr())
            .field("signals", &self.signals.as_ptr())
            .finish()
    }
}

/// Where SelectOnRamps looks.
#[derive(Debug, Clone)]
pub enum Scope {
    Region(String),
    Selector(Selector),
}

/// A selection as asked: where, how fast, how diverse, and optionally near whom and beside
/// which Port.
#[derive(Debug, Clone)]
pub struct Ask {
    /// `None` only with `complement_of`: then the metro of its Port.
    pub scope: Option<Scope>,
    pub rate_mbps: i64,
    pub diversity: Diversity,
    /// `None` = the configured policy.
    pub maintenance: Option<MaintenancePolicy>,
    pub near: Option<Near>,
    /// `None` = the configured proximity policy.
    pub proximity: Option<ProximityPolicy>,
    /// A provider's Port whose connection wants its diverse leg: the best Port in the other
    /// zone is chosen.
    pub complement_of: Option<String>,
    /// The kinds of on-ramp to consider; empty = Ports only, since a VXC's end on an MCR or
    /// MVE needs configuring that a customer asking for "an on-ramp" has not planned for.
    pub kinds: Vec<KindName>,
}

impl Ask {
    /// The plain question: a scope, a rate and a diversity wish.
    pub fn new(scope: Scope, rate_mbps: i64, diversity: Diversity) -> Self {
        Self {
            scope: Some(scope),
            rate_mbps,
            diversity,
            maintenance: None,
            near: None,
            proximity: None,
            complement_of: None,
            kinds: Vec::new(),
        }
    }

    /// Whether an on-ramp of this kind is a candidate.
    pub fn wants(&self, kind: &crate::onramps::OnRampKind) -> bool {
        if self.kinds.is_empty() {
            kind.name() == KindName::Port
        } else {
            self.kinds.contains(&kind.name())
        }
    }
}

/// Where the customer is, for ranking by nearness.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Near {
    /// A Megaport location id.
    Location(i32),
    /// The uid of the customer's Port (any company's), whose location is looked up.
    Port(String),
}

/// How the provider weighs nearness (config), used when a request does not choose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProximityRules {
    pub policy: ProximityPolicy,
    pub tolerance_ms: f64,
}

impl Default for ProximityRules {
    fn default() -> Self {
        Self {
            policy: ProximityPolicy::NearestFirst,
            tolerance_ms: 2.0,
        }
    }
}

/// A region as a caller proposes it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RegionDraft {
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub selector: Selector,
}

/// Which fields an UpdateRegion changes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegionChanges {
    pub display_name: bool,
    pub description: bool,
    pub selector: bool,
}

/// The catalog and regions, over an inventory and the store.
#[derive(Clone)]
pub struct Directory {
    inventory: Arc<dyn Inventory>,
    store: Arc<dyn RegionStore>,
    views: Arc<Views>,
    /// The provider's selection rules; a request may choose its own maintenance policy.
    policy: Policy,
    /// Expected round trips for selections asked near a customer; none without one.
    rtt: Option<Arc<RttBook>>,
    proximity: ProximityRules,
}

/// What reads return, computed once per change of its inputs: a warm read does no I/O.
#[derive(Default)]
struct Views {
    /// The regions as stored; dropped by every region write, this process's own at once and
    /// every replica's through the store's change feed ([`Directory::regions_changed`]).
    regions: Mutex<RegionsCache>,
    /// The regions and signals together, as one input of the on-ramp view.
    context: Derived<Vec<Region>, PortSignals, ViewContext>,
    /// Every Port as an on-ramp, with its figures, regions and signals, by name then uid.
    on_ramps: Derived<Vec<Port>, ViewContext, Vec<OnRamp>>,
    /// Selections made from the current on-ramp view.
    selections: Mutex<Selections>,
}

/// The stored regions once read, and how many times they were dropped: a read that began
/// before a drop must not put back what it read.
#[derive(Default)]
struct RegionsCache {
    drops: u64,
    regions: Option<Arc<Vec<Region>>>,
}

/// What an on-ramp view is derived from besides the Ports.
struct ViewContext {
    regions: Vec<Region>,
    signals: PortSignals,
}

/// Selections made from one on-ramp view, by question: a provider's pages ask few questions
/// many times, and the answer only changes with the view.
#[derive(Default)]
struct Selections {
    /// The view these answers come from (compared by identity, as [`Derived`] does).
    view: Option<Arc<Vec<OnRamp>>>,
    answers: HashMap<SelectionQuestion, Result<Arc<Selection>, SelectionError>>,
}

/// At most this many answers are kept per view; past it they are all dropped and asked anew.
const SELECTIONS_KEPT: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SelectionQuestion {
    selector: Selector,
    rate_mbps: i64,
    diversity: Diversity,
    maintenance: MaintenancePolicy,
    kinds: Vec<KindName>,
}

impl Selections {
    fn answer(
        &mut self,
        view: &Arc<Vec<OnRamp>>,
        question: SelectionQuestion,
        select: impl FnOnce(&SelectionQuestion) -> Result<Selection, SelectionError>,
    ) -> Result<Arc<Selection>, SelectionError> {
        if !self
            .view
            .as_ref()
            .is_some_and(|seen| Arc::ptr_eq(seen, view))
        {
            self.view = Some(view.clone());
            self.answers.clear();
        }
        if let Some(answer) = self.answers.get(&question) {
            return answer.clone();
        }
        if self.answers.len() >= SELECTIONS_KEPT {
            self.answers.clear();
        }
        let answer = select(&question).map(Arc::new);
        self.answers.insert(question, answer.clone());
        answer
    }
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Directory").finish_non_exhaustive()
    }
}

impl Directory {
    pub fn new(inventory: Arc<dyn Inventory>, store: Arc<dyn RegionStore>) -> Self {
        Self {
            inventory,
            store,
            views: Arc::default(),
            policy: Policy::default(),
            rtt: None,
            proximity: ProximityRules::default(),
        }
    }

    /// Ranks selections asked near a customer with these round trips and rules.
    #[must_use]
    pub fn with_proximity(mut self, rtt: Arc<RttBook>, rules: ProximityRules) -> Self {
        self.rtt = Some(rtt);
        self.proximity = rules;
        self
    }

    /// Selects with the provider's own rules rather than the defaults.
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Records the inventory could not read and left out of what it serves now.
    pub async fn skipped_upstream_records(&self) -> u32 {
        self.inventory.skipped_records().await
    }

    /// The provider's Ports, as the inventory has them now.
    pub async fn ports(&self) -> Result<Arc<Vec<Port>>, Error> {
        self.inventory.ports().await
    }

    /// The provider's Ports as cached, however old, loaded only when nothing is cached: for
    /// naming and placing a Port, which changes rarely, without refreshing the products.
    pub async fn cached_ports(&self) -> Result<Arc<Vec<Port>>, Error> {
        match self.inventory.cached_ports().await {
            Some(ports) => Ok(ports),
            None => self.inventory.ports().await,
        }
    }

    pub async fn countries(&self) -> Result<Vec<CountryCount>, Error> {
        Ok(onramps::countries(&self.inventory.ports().await?))
    }

    pub async fn metros(&self, country: Option<&str>) -> Result<Vec<MetroCount>, Error> {
        Ok(onramps::metros(&self.inventory.ports().await?, country))
    }

    /// The stored regions, read from the store once per change.
    async fn cached_regions(&self) -> Result<Arc<Vec<Region>>, Error> {
        let drops = {
            let cache = self.lock_regions();
            if let Some(regions) = &cache.regions {
                return Ok(regions.clone());
            }
            cache.drops
        };
        let regions = Arc::new(self.store.regions().await?);
        let mut cache = self.lock_regions();
        if cache.drops == drops {
            cache.regions = Some(regions.clone());
        }
        Ok(regions)
    }

    fn lock_regions(&self) -> std::sync::MutexGuard<'_, RegionsCache> {
        // A poisoned lock only means a panic elsewhere; the slot is still a valid cache.
        self.views.regions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// After any region write, this replica's or another's (told by the change feed): the
    /// next read loads the regions again.
    pub fn regions_changed(&self) {
        let mut cache = self.lock_regions();
        cache.regions = None;
        cache.drops += 1;
    }

    /// Every Port as an on-ramp, by name then uid, derived once per products refresh or
    /// region change.
    ///
    /// Its inputs are a [`ViewRevision`]'s: a read that comes to depend on another input must
    /// add it there, or answers kept per revision would miss its changes.
    async fn on_ramp_view(&self) -> Result<(Arc<Vec<OnRamp>>, Arc<Vec<Region>>), Error> {
        let ports = self.inventory.ports().await?;
        let regions = self.cached_regions().await?;
        let signals = self.inventory.signals().await;
        let context = self
            .views
            .context
            .get(&regions, &signals, |regions, signals| ViewContext {
                regions: regions.clone(),
                signals: signals.clone(),
            });
        let on_ramps = self.views.on_ramps.get(&ports, &context, |ports, context| {
            let mut on_ramps: Vec<OnRamp> = ports
                .iter()
                .map(|port| {
                    OnRamp::from_port(port.clone(), regions::regions_of(port, &context.regions))
                        .with_signals(&context.signals)
                })
                .collect();
            on_ramps.sort_by(|a, b| {
                a.port
                    .name
                    .cmp(&b.port.name)
                    .then(a.port.uid.cmp(&b.port.uid))
            });
            on_ramps
        });
        Ok((on_ramps, regions))
    }

    /// The revision of the inputs the catalog reads answer from now (see [`ViewRevision`]), if
    /// they are all at hand and fresh; `None` when a read would load or refresh one (which only
    /// a read does: asking for the revision loads nothing).
    pub async fn revision(&self) -> Option<ViewRevision> {
        let regions = self.lock_regions().regions.clone()?;
        Some(ViewRevision {
            ports: Arc::downgrade(&self.inventory.fresh_ports().await?),
            regions: Arc::downgrade(&regions),
            signals: Arc::downgrade(&self.inventory.signals().await),
        })
    }

    /// Every on-ramp matching `filter`, ordered by name then uid (stable for paging).
    pub async fn on_ramps(&self, filter: &OnRampFilter) -> Result<MatchedOnRamps, Error> {
        let (on_ramps, regions) = self.on_ramp_view().await?;
        let region_selector = match &filter.region {
            Some(name) => Some(&find(&regions, name)?.selector),
            None => None,
        };
        let positions = on_ramps
            .iter()
            .enumerate()
            .filter(|(_, on_ramp)| {
                let port = &on_ramp.port;
                region_selector.is_none_or(|selector| selector.matches(port))
                    && filter
                        .country
                        .as_ref()
                        .is_none_or(|country| port.location.country.eq_ignore_ascii_case(country))
                    && filter
                        .metro
                        .as_ref()
                        .is_none_or(|metro| port.location.metro.eq_ignore_ascii_case(metro))
                    && filter.location_id.is_none_or(|id| port.location.id == id)
                    && (!filter.vxc_permitted_only || port.vxc_permitted)
                    && (!filter.live_only || port.is_live())
                    && (filter.kinds.is_empty() || filter.kinds.contains(&port.kind.name()))
            })
            .map(|(position, _)| position)
            .collect();
        Ok(MatchedOnRamps {
            view: on_ramps,
            positions,
        })
    }

    pub async fn on_ramp(&self, port_uid: &str) -> Result<ViewedOnRamp, Error> {
        let (view, _) = self.on_ramp_view().await?;
        let position = view.iter().position(|on_ramp| on_ramp.port.uid == port_uid);
        position
            .map(|position| ViewedOnRamp { view, position })
            .ok_or_else(|| Error::on_ramp_not_found(port_uid))
    }

    /// Chooses the on-ramp(s) to offer: once per question and on-ramp view, except when asked
    /// near a customer (the round trips are an input the view does not hold).
    pub async fn select(&self, ask: &Ask) -> Result<Arc<Selection>, Error> {
        let rate_mbps = ask.rate_mbps;
        let policy = Policy {
            maintenance: ask.maintenance.unwrap_or(self.policy.maintenance),
            ..self.policy
        };
        let (on_ramps, _) = self.on_ramp_view().await?;
        let beside = match &ask.complement_of {
            Some(port_uid) => Some(complement_zone(&on_ramps, port_uid)?),
            None => None,
        };
        let selector = match (&ask.scope, &beside) {
            (Some(Scope::Region(name)), _) => self.region(name).await?.selector,
            (Some(Scope::Selector(selector)), _) => {
                let violations = selector.validate(
                    "selector",
                    &self.inventory.locations().await?,
                    &self.inventory.ports().await?,
                );
                if !violations.is_empty() {
                    return Err(Error::InvalidArgument(violations));
                }
                selector.clone()
            }
            (None, Some(beside)) => Selector {
                metros: vec![beside.port.location.metro.clone()],
                ..Selector::default()
            },
            (None, None) => return Err(Error::invalid("scope", "region or selector is required")),
        };
        let in_scope = |on_ramp: &&OnRamp| {
            selector.matches(&on_ramp.port)
                && ask.wants(&on_ramp.port.kind)
                && beside
                    .as_ref()
                    .is_none_or(|beside| on_ramp.port.zone == beside.wanted)
        };
        let proximity = match &ask.near {
            Some(near) => {
                let region = match &ask.scope {
                    Some(Scope::Region(name)) => Some(name.as_str()),
                    _ => None,
                };
                let locations: Vec<&Location> = on_ramps
                    .iter()
                    .filter(in_scope)
                    .map(|on_ramp| &on_ramp.port.location)
                    .collect();
                let policy = ask.proximity.unwrap_or(self.proximity.policy);
                Some(self.proximity(near, &locations, region, policy).await?)
            }
            None => None,
        };
        let select = || {
            let candidates = on_ramps.iter().filter(in_scope).cloned().collect();
            selection::select(
                candidates,
                rate_mbps,
                ask.diversity,
                &policy,
                proximity.as_ref(),
            )
        };
        let answer = if proximity.is_some() || beside.is_some() {
            select().map(Arc::new)
        } else {
            let question = SelectionQuestion {
                selector: selector.clone(),
                rate_mbps,
                diversity: ask.diversity,
                maintenance: policy.maintenance,
                kinds: {
                    let mut kinds = ask.kinds.clone();
                    kinds.sort_unstable();
                    kinds.dedup();
                    kinds
                },
            };
            self.views
                .selections
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .answer(&on_ramps, question, |_| select())
        };
        answer.map_err(|error| match (error, &beside) {
            (SelectionError::NoEligible { rejected }, Some(beside)) => Error::FailedPrecondition {
                reason: ErrorReason::NoEligibleOnRamp,
                message: format!(
                    "no {} port beside {} ({}) can take a {rate_mbps} mbps vxc: {}",
                    beside.wanted_name(),
                    beside.port.name,
                    beside.port.location.metro,
                    explain(&rejected)
                ),
            },
            (SelectionError::NoEligible { rejected }, None) => Error::FailedPrecondition {
                reason: ErrorReason::NoEligibleOnRamp,
                message: format!(
                    "no port can take a {rate_mbps} mbps vxc: {}",
                    summarise(&rejected)
                ),
            },
            (SelectionError::NoDiversePair { zones, .. }, _) => Error::FailedPrecondition {
                reason: ErrorReason::NoDiversePair,
                message: format!(
                    "diversity is required but the eligible ports for {rate_mbps} mbps are only in zones: {zones}"
                ),
            },
        })
    }

    /// The provider's Port that has the VXC `vxc_uid`, if any.
    pub async fn port_with_vxc(&self, vxc_uid: &str) -> Result<Option<String>, Error> {
        let (on_ramps, _) = self.on_ramp_view().await?;
        Ok(on_ramps
            .iter()
            .find(|on_ramp| on_ramp.port.vxcs.iter().any(|vxc| vxc.uid == vxc_uid))
            .map(|on_ramp| on_ramp.port.uid.clone()))
    }

    /// The expected round trips from where the customer is to these on-ramp locations.
    async fn proximity(
        &self,
        near: &Near,
        to: &[&Location],
        region: Option<&str>,
        policy: ProximityPolicy,
    ) -> Result<Proximity, Error> {
        let Some(book) = &self.rtt else {
            return Err(Error::NotImplemented {
                message: "this server ranks by nearness only with round trips configured"
                    .to_owned(),
            });
        };
        let (field, location_id) = match near {
            Near::Location(id) => ("customer_location_id", *id),
            Near::Port(uid) => {
                let location = book.port_location(uid).await?.ok_or_else(|| {
                    Error::invalid("customer_port_uid", format!("megaport has no port `{uid}`"))
                })?;
                ("customer_port_uid", location)
            }
        };
        let locations = self.inventory.locations().await?;
        let from = locations
            .iter()
            .find(|location| location.id == location_id)
            .ok_or_else(|| {
                Error::invalid(field, format!("megaport has no location {location_id}"))
            })?;
        Ok(book
            .proximity(
                from,
                to,
                region,
                policy,
                self.proximity.tolerance_ms,
                now_millis(),
            )
            .await)
    }

    pub async fn region(&self, name: &str) -> Result<Region, Error> {
        let regions = self.cached_regions().await?;
        find(&regions, name).cloned()
    }

    /// The Ports a region's selector matches now.
    pub async fn region_port_uids(&self, region: &Region) -> Result<Vec<String>, Error> {
        Ok(region.port_uids(&self.inventory.ports().await?))
    }

    pub async fn regions_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Region>, Error> {
        self.store.regions_page(after, limit).await
    }

    /// Creates a region once per `request_id`: a replay returns the stored region, the same id
    /// with different parameters is refused.
    pub async fn create_region(
        &self,
        draft: RegionDraft,
        request_id: &str,
    ) -> Result<Region, Error> {
        self.validate_draft(&draft, "region").await?;
        let fingerprint = fingerprint(&draft)?;
        let now = now_millis();
        let region = Region {
            name: draft.name,
            display_name: draft.display_name,
            description: draft.description,
            selector: draft.selector,
            create_time: now,
            update_time: now,
        };
        let outcome = self
            .store
            .insert_region(&region, Some(request_id), &fingerprint)
            .await?;
        self.regions_changed();
        match outcome {
            InsertOutcome::Inserted => Ok(region),
            InsertOutcome::NameTaken => Err(Error::AlreadyExists {
                reason: ErrorReason::RegionAlreadyExists,
                message: format!("region `{}` already exists", region.name),
            }
            .with_meta("region", &region.name)),
            InsertOutcome::RequestSeen { request_hash, name } => {
                ensure_same_request(request_id, &request_hash, &fingerprint)?;
                self.region(&name).await
            }
        }
    }

    /// Applies the changed fields of `draft` to region `draft.name`.
    pub async fn update_region(
        &self,
        draft: RegionDraft,
        changes: RegionChanges,
    ) -> Result<Region, Error> {
        let mut region = self.region(&draft.name).await?;
        if changes.display_name {
            region.display_name = draft.display_name;
        }
        if changes.description {
            region.description = draft.description;
        }
        if changes.selector {
            region.selector = draft.selector;
        }
        let merged = RegionDraft {
            name: region.name.clone(),
            display_name: region.display_name.clone(),
            description: region.description.clone(),
            selector: region.selector.clone(),
        };
        self.validate_draft(&merged, "region").await?;
        region.update_time = now_millis();
        let updated = self.store.update_region(&region).await?;
        self.regions_changed();
        if !updated {
            return Err(region_not_found(&region.name));
        }
        Ok(region)
    }

    pub async fn delete_region(&self, name: &str) -> Result<(), Error> {
        let deleted = self.store.delete_region(name).await?;
        self.regions_changed();
        if deleted {
            Ok(())
        } else {
            Err(region_not_found(name))
        }
    }

    /// Applies the regions declared in a file at start: created when missing, replaced when the
    /// file changed them. The file is validated like a CreateRegion, except that when Megaport
    /// cannot be reached the selectors are not checked against its locations and Ports: a
    /// restart during a Megaport outage must not take onramp down, and a selector naming an
    /// unknown location only selects nothing. Returns the outage error in that case.
    pub async fn apply_declared_regions(
        &self,
        drafts: Vec<RegionDraft>,
    ) -> Result<Option<Error>, Error> {
        let (locations, ports) = match self.inventory_snapshot().await {
            Ok(inventory) => inventory,
            Err(error @ Error::Unavailable { .. }) => {
                for (index, draft) in drafts.iter().enumerate() {
                    validate_fields(draft, &format!("regions[{index}]"))?;
                }
                self.upsert_declared(drafts).await?;
                return Ok(Some(error));
            }
            Err(error) => return Err(error),
        };
        for (index, draft) in drafts.iter().enumerate() {
            let field = format!("regions[{index}]");
            validate_fields(draft, &field)?;
            validate_selector(draft, &field, &locations, &ports)?;
        }
        self.upsert_declared(drafts).await?;
        Ok(None)
    }

    async fn upsert_declared(&self, drafts: Vec<RegionDraft>) -> Result<(), Error> {
        for draft in drafts {
            let now = now_millis();
            let region = Region {
                name: draft.name,
                display_name: draft.display_name,
                description: draft.description,
                selector: draft.selector,
                create_time: now,
                update_time: now,
            };
            self.store.upsert_region(&region).await?;
            self.regions_changed();
        }
        Ok(())
    }

    async fn inventory_snapshot(&self) -> Result<(Arc<Vec<Location>>, Arc<Vec<Port>>), Error> {
        Ok((
            self.inventory.locations().await?,
            self.inventory.ports().await?,
        ))
    }

    async fn validate_draft(&self, draft: &RegionDraft, field: &str) -> Result<(), Error> {
        validate_fields(draft, field)?;
        let (locations, ports) = self.inventory_snapshot().await?;
        validate_selector(draft, field, &locations, &ports)
    }
}

/// The checks that need no Megaport data: name, texts, a non-empty selector.
fn validate_fields(draft: &RegionDraft, field: &str) -> Result<(), Error> {
    let mut violations = Vec::new();
    violations.extend(regions::validate_name(
        &format!("{field}.name"),
        &draft.name,
    ));
    violations.extend(regions::validate_texts(
        &format!("{field}.display_name"),
        &draft.display_name,
        &format!("{field}.description"),
        &draft.description,
    ));
    if draft.selector.is_empty() {
        violations.push(FieldViolation::new(
            format!("{field}.selector"),
            "must name at least one country, metro, location id or port uid",
        ));
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(violations))
    }
}

/// Every location id and Port uid the selector names must exist.
fn validate_selector(
    draft: &RegionDraft,
    field: &str,
    locations: &[Location],
    ports: &[Port],
) -> Result<(), Error> {
    let violations = draft
        .selector
        .validate(&format!("{field}.selector"), locations, ports);
    let Some(first) = violations.first() else {
        return Ok(());
    };
    // A country, metro or location Megaport does not know has its own reason; an unknown Port
    // uid is an ordinary invalid field.
    let unknown_location = [".countries[", ".metros[", ".location_ids["]
        .iter()
        .any(|list| first.field.contains(list));
    let error = Error::InvalidArgument(violations);
    if unknown_location {
        Err(error.with_reason(ErrorReason::UnknownLocation))
    } else {
        Err(error)
    }
}

fn find<'a>(regions: &'a [Region], name: &str) -> Result<&'a Region, Error> {
    regions
        .iter()
        .find(|region| region.name == name)
        .ok_or_else(|| region_not_found(name))
}

fn region_not_found(name: &str) -> Error {
    Error::NotFound {
        reason: ErrorReason::RegionNotFound,
        message: format!("region `{name}` not found"),
    }
    .with_meta("region", name)
}

/// "2 not live, 1 vxc not permitted" — the counts of rejections by reason.
/// The zone a connection on `port_uid` needs for its diverse leg.
fn complement_zone(on_ramps: &[OnRamp], port_uid: &str) -> Result<Beside, Error> {
    let port = on_ramps
        .iter()
        .find(|on_ramp| on_ramp.port.uid == port_uid)
        .map(|on_ramp| on_ramp.port.clone())
        .ok_or_else(|| Error::on_ramp_not_found(port_uid))?;
    let wanted = match port.zone {
        Zone::Red => Zone::Blue,
        Zone::Blue => Zone::Red,
        Zone::None => {
            return Err(Error::FailedPrecondition {
                reason: ErrorReason::NoDiversePair,
                message: format!(
                    "port {} has no diversity zone, so no other zone complements it",
                    port.name
                ),
            });
        }
    };
    Ok(Beside { port, wanted })
}

/// The Port a diverse leg complements, and the zone it needs.
#[derive(Debug, Clone)]
struct Beside {
    port: Port,
    wanted: Zone,
}

impl Beside {
    fn wanted_name(&self) -> &'static str {
        match self.wanted {
            Zone::Red => "red",
            Zone::Blue => "blue",
            Zone::None => "none",
        }
    }
}

/// Each rejected Port by name with its reason's figures: few Ports, so every one is named.
fn explain(rejected: &[selection::Rejected]) -> String {
    if rejected.is_empty() {
        return "the metro or region has no port in that zone".to_owned();
    }
    rejected
        .iter()
        .map(|rejected| format!("{}: {}", rejected.on_ramp.port.name, rejected.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

fn summarise(rejected: &[selection::Rejected]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for rejection in rejected {
        let label = format!("{:?}", rejection.reason);
        match counts.iter_mut().find(|(name, _)| *name == label) {
            Some((_, count)) => *count += 1,
            None => counts.push((label, 1)),
        }
    }
    if counts.is_empty() {
        return "no ports match".to_owned();
    }
    counts
        .into_iter()
        .map(|(label, count)| format!("{count} {}", snake_words(&label)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `HeadroomBelowRate` -> `headroom below rate`.
fn snake_words(camel: &str) -> String {
    let mut words = String::new();
    for (index, character) in camel.chars().enumerate() {
        if character.is_uppercase() && index > 0 {
            words.push(' ');
        }
        words.push(character.to_ascii_lowercase());
    }
    words
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::memory_store::MemoryStore;
    use crate::onramps::fixtures::guide_ports;

    pub(crate) use crate::testing::FakeInventory;

    async fn directory() -> Directory {
        Directory::new(
            Arc::new(FakeInventory::new(guide_ports())),
            Arc::new(MemoryStore::default()),
        )
    }

    /// The guide's region: locations 59 and 60.
    pub(crate) fn us_west() -> RegionDraft {
        RegionDraft {
            name: "us-west".into(),
            display_name: "US-West".into(),
            description: String::new(),
            selector: Selector {
                location_ids: vec![59, 60],
                ..Selector::default()
            },
        }
    }

    #[tokio::test]
    async fn region_replay_returns_the_first_result_and_reuse_is_refused() {
        let directory = directory().await;
        let first = directory
            .create_region(us_west(), "req-1")
            .await
            .expect("create");
        let replay = directory
            .create_region(us_west(), "req-1")
            .await
            .expect("replay");
        assert_eq!(first, replay);
        let mut other = us_west();
        other.name = "us-west-2".into();
        let error = directory
            .create_region(other, "req-1")
            .await
            .expect_err("reuse");
        assert_eq!(error.reason(), ErrorReason::RequestIdReused);
        assert!(
            matches!(&error, Error::Annotated { metadata, .. } if metadata["request_id"] == "req-1"),
            "{error:?}"
        );
        let error = directory
            .create_region(us_west(), "req-2")
            .await
            .expect_err("dup");
        assert!(matches!(error.kind(), Error::AlreadyExists { .. }));
    }

    #[tokio::test]
    async fn select_in_a_region_gives_the_guide_pair() {
        let directory = directory().await;
        directory
            .create_region(us_west(), "req-n1")
            .await
            .expect("create");
        let selection = directory
            .select(&Ask::new(
                Scope::Region("us-west".into()),
                1000,
                Diversity::Required,
            ))
            .await
            .expect("pair");
        let chosen: Vec<_> = selection
            .chosen
            .iter()
            .map(|o| o.port.uid.as_str())
            .collect();
        assert_eq!(chosen, ["la1", "la2"]);
        assert_eq!(selection.chosen[0].regions, ["us-west"]);
    }

    #[tokio::test]
    async fn a_selection_is_made_once_per_question_and_view() {
        let directory = directory().await;
        directory
            .create_region(us_west(), "req-memo")
            .await
            .expect("create");
        let directory = &directory;
        let ask = |rate| async move {
            directory
                .select(&Ask::new(
                    Scope::Region("us-west".into()),
                    rate,
                    Diversity::Required,
                ))
                .await
        };
        let first = ask(1000).await.expect("pair");
        assert!(
            Arc::ptr_eq(&first, &ask(1000).await.expect("pair")),
            "answered from memory"
        );
        assert!(
            !Arc::ptr_eq(&first, &ask(900).await.expect("pair")),
            "another question"
        );
        // A region write derives a new view: the answer is made again, from it.
        directory.delete_region("us-west").await.expect("delete");
        directory
            .create_region(us_west(), "req-memo-2")
            .await
            .expect("create");
        let again = ask(1000).await.expect("pair");
        assert!(!Arc::ptr_eq(&first, &again));
        assert_eq!(*first, *again);
    }

    #[tokio::test]
    async fn no_eligible_port_explains_the_counts() {
        let directory = directory().await;
        directory
            .create_region(us_west(), "req-n2")
            .await
            .expect("create");
        let error = directory
            .select(&Ask::new(
                Scope::Region("us-west".into()),
                20_000,
                Diversity::None,
            ))
            .await
            .expect_err("too fast");
        let message = error.to_string();
        assert!(message.contains("2 max vxc speed below rate"), "{message}");
        assert!(message.contains("1 not live"), "{message}");
    }

    #[tokio::test]
    async fn the_revision_holds_between_changes_and_moves_with_a_region_write() {
        let directory = directory().await;
        assert!(
            directory.revision().await.is_none(),
            "the regions are not loaded yet: asking for the revision does not load them"
        );
        directory.on_ramp("la1").await.expect("a read loads them");
        let first = directory.revision().await.expect("revision");
        assert_eq!(directory.revision().await.expect("again"), first);
        directory
            .create_region(us_west(), "req-revision")
            .await
            .expect("create");
        assert!(
            directory.revision().await.is_none(),
            "the write dropped the regions"
        );
        directory
            .on_ramp("la1")
            .await
            .expect("a read loads them again");
        let after = directory.revision().await.expect("after the write");
        assert_ne!(after, first, "a region write moves the revision");
        assert_eq!(directory.revision().await.expect("again"), after);
    }

    #[tokio::test]
    async fn on_ramp_views_follow_region_writes() {
        let directory = directory().await;
        assert!(
            directory
                .on_ramp("la1")
                .await
                .expect("la1")
                .regions
                .is_empty()
        );
        directory
            .create_region(us_west(), "req-view")
            .await
            .expect("create");
        assert_eq!(
            directory.on_ramp("la1").await.expect("la1").regions,
            ["us-west"],
            "a view derived before the write is not served after it"
        );
        directory.delete_region("us-west").await.expect("delete");
        assert!(
            directory
                .on_ramp("la1")
                .await
                .expect("la1")
                .regions
                .is_empty()
        );
    }

    #[tokio::test]
    async fn filters_combine() {
        let directory = directory().await;
        directory
            .create_region(us_west(), "req-n3")
            .await
            .expect("create");
        let live_in_region = directory
            .on_ramps(&OnRampFilter {
                region: Some("us-west".into()),
                live_only: true,
                ..OnRampFilter::default()
            })
            .await
            .expect("list");
        assert_eq!(live_in_region.len(), 2);
        let unknown = directory
            .on_ramps(&OnRampFilter {
                region: Some("nowhere".into()),
                ..OnRampFilter::default()
            })
            .await
            .expect_err("unknown region");
        assert_eq!(unknown.reason(), ErrorReason::RegionNotFound);
        assert!(
            matches!(&unknown, Error::Annotated { metadata, .. } if metadata["region"] == "nowhere"),
            "{unknown:?}"
        );
    }
}
