//! Minting and managing service keys: the VLAN allocator, the idempotent create (journal before
//! the POST, request id stamped in the description, reconciliation of an unknown outcome), the
//! guide's "issue keys for a region", and the read-modify-write update Megaport's PUT needs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::Listed;
use crate::binding::Binding;
use crate::directory::{Ask, Directory, Near, Scope};
use crate::error::ErrorReason;
use crate::error::{Error, FieldViolation};
use crate::idempotency::{ensure_same_request, fingerprint, request_id_reused};
use crate::keys::{self, KeyState, KeyView, LedgerEntry, UpstreamKey, VLAN_MAX, VLAN_MIN};
use crate::locks::Locks;
use crate::onramps::KindName;
use crate::onramps::{Port, PortRef};
use crate::peering::PeeringProfile;
use crate::ports::{KeyRequest, KeyStore};
use crate::proximity::ProximityPolicy;
use crate::selection::{Diversity, Selection};

/// What a key is minted with, as Megaport receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub port_uid: String,
    pub single_use: bool,
    pub vlan: Option<i32>,
    pub max_speed_mbps: i64,
    pub pre_approved: bool,
    pub active: bool,
    /// Already carries onramp's request-id stamp.
    pub description: String,
    pub valid_from: Option<OffsetDateTime>,
    pub valid_until: Option<OffsetDateTime>,
}

/// The Megaport calls key management needs; implemented over the provider's Megaport account.
#[async_trait::async_trait]
pub trait KeyUpstream: Send + Sync + 'static {
    /// The Port as Megaport has it now, not cached: read when the catalog does not know the
    /// Port yet, and when Megaport refuses a VLAN chosen from the catalog's copy.
    async fn port(&self, port_uid: &str) -> Result<Port, Error>;
    async fn create_key(&self, key: &NewKey) -> Result<UpstreamKey, Error>;
    /// Every key of the provider, or those of one Port, with the count of listed keys that could
    /// not be read.
    async fn keys(&self, port_uid: Option<&str>) -> Result<Listed<Vec<UpstreamKey>>, Error>;
    async fn key(&self, key: &str) -> Result<UpstreamKey, Error>;
    /// Sends every field of `key` (Megaport's PUT resets what it is not sent).
    async fn update_key(&self, key: &UpstreamKey) -> Result<UpstreamKey, Error>;
}

/// The VLANs single-use keys hold on a Port as the key watcher last saw them, keys minted
/// outside onramp included: the watcher's views in memory, so that a create does not read every
/// key's view from the store.
pub trait HeldVlans: Send + Sync + 'static {
    fn held_on(&self, port_uid: &str) -> Vec<i32>;
}

/// A CreateServiceKey request after field validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CreateKey {
    pub port_uid: String,
    pub single_use: bool,
    pub vlan: Option<i32>,
    /// 0 = the Port's limit.
    pub max_speed_mbps: i64,
    pub pre_approved: bool,
    pub description: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_from: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
    pub active: bool,
    pub customer_ref: String,
    pub region: String,
    pub request_id: String,
    /// VLANs to leave out when allocating, besides those taken on the Port: the VLANs of the
    /// other keys of the same IssueServiceKeys call, so a customer's diverse pair never shares a
    /// VLAN even though the two Ports could (both often land on one provider fabric).
    pub avoid_vlans: Vec<i32>,
    /// The key this one replaces (RotateServiceKey): recorded with the new key in its ledger
    /// entry, so every view of it, the watch's first included, names the old key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotated_from: Option<String>,
    /// How the provider's end of a VXC bought with the key is configured (MCR or MVE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peering: Option<PeeringProfile>,
}

/// A RotateServiceKey request after field validation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RotateKey {
    pub key: String,
    /// How long the old key stays usable; zero retires it at once.
    pub grace_seconds: i64,
    /// The new single-use key's VLAN; `None` allocates a fresh one.
    pub vlan: Option<i32>,
    pub request_id: String,
}

/// The two keys of a rotation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rotation {
    pub old: KeyView,
    pub new: KeyView,
    #[serde(with = "time::serde::rfc3339")]
    pub old_valid_until: OffsetDateTime,
}

/// The longest grace period a rotation gives the old key.
pub const MAX_ROTATION_GRACE_SECONDS: i64 = 7 * 24 * 3600;

/// An IssueServiceKeys request after field validation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssueKeys {
    pub region: String,
    pub diversity: Diversity,
    pub max_speed_mbps: i64,
    pub single_use: bool,
    pub pre_approved: bool,
    pub customer_ref: String,
    pub valid_from: Option<OffsetDateTime>,
    pub valid_until: Option<OffsetDateTime>,
    pub description: String,
    pub request_id: String,
    /// Where the customer is: the on-ramps are ranked by nearness. Left out of the fingerprint
    /// when unset, so requests stored before it existed still replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near: Option<Near>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proximity: Option<ProximityPolicy>,
    /// A key or VXC uid whose connection this is the diverse leg of: the key goes on the best
    /// Port of the other zone in the region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complement_of: Option<String>,
    /// The kinds of on-ramp to choose among; empty = Ports only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<KindName>,
    /// Kept with every key minted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peering: Option<PeeringProfile>,
}

/// The fields UpdateServiceKey may change; `None` leaves a field as Megaport has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyChanges {
    pub description: Option<String>,
    pub max_speed_mbps: Option<i64>,
    pub valid_from: Option<Option<OffsetDateTime>>,
    pub valid_until: Option<Option<OffsetDateTime>>,
    pub active: Option<bool>,
    pub pre_approved: Option<bool>,
}

/// Filters of ListServiceKeys; they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    pub port_uid: Option<String>,
    pub state: Option<KeyState>,
    pub customer_ref: Option<String>,
    pub region: Option<String>,
    /// The caller's binding: a bound caller's lists and streams hold only its customers' keys.
    pub binding: Arc<Binding>,
}

impl KeyFilter {
    pub fn matches(&self, view: &KeyView) -> bool {
        self.port_uid
            .as_ref()
            .is_none_or(|uid| &view.port.uid == uid)
            && self.state.is_none_or(|state| view.state == state)
            && self
                .customer_ref
                .as_ref()
                .is_none_or(|customer| &view.customer_ref == customer)
            && self
                .region
                .as_ref()
                .is_none_or(|region| &view.region == region)
            && self.binding.sees_customer(&view.customer_ref)
    }
}

/// How long after a single-use key vanished onramp keeps reading its Port for the VXC it became
/// (Megaport may list the VXC a little after it drops the key). After that the key stays USED
/// without a VXC, and polls stop costing a Port read for it.
const VXC_SEARCH_WINDOW: time::Duration = time::Duration::minutes(10);

/// Service keys on the provider's Ports.
pub struct ServiceKeys {
    upstream: Arc<dyn KeyUpstream>,
    directory: Directory,
    store: Arc<dyn KeyStore>,
    /// One lock per Port: VLAN allocation and the create that uses the VLAN are one step.
    locks: Locks,
    /// Set once the key watcher is up; until then the views are read from the store.
    held_vlans: std::sync::OnceLock<Arc<dyn HeldVlans>>,
}

impl std::fmt::Debug for ServiceKeys {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ServiceKeys")
            .finish_non_exhaustive()
    }
}

impl ServiceKeys {
    pub fn new(
        upstream: Arc<dyn KeyUpstream>,
        directory: Directory,
        store: Arc<dyn KeyStore>,
        locks: Locks,
    ) -> Self {
        Self {
            upstream,
            directory,
            store,
            locks,
            held_vlans: std::sync::OnceLock::new(),
        }
    }

    /// Where creates learn the VLANs other keys hold (the key watcher); the first one set stays.
    pub fn use_held_vlans(&self, source: Arc<dyn HeldVlans>) {
        let _ = self.held_vlans.set(source);
    }

    pub fn upstream(&self) -> &Arc<dyn KeyUpstream> {
        &self.upstream
    }

    /// Mints one key, exactly once per request id.
    pub async fn create(&self, request: CreateKey) -> Result<KeyView, Error> {
        // One create per Port at a time, in every process: the VLAN choice reads what the
        // Port and the ledger hold and must not race another create's.
        let _port = self
            .locks
            .lock(&format!("port:{}", request.port_uid))
            .await?;
        let hash = fingerprint(&request)?;
        let journal = KeyRequest {
            request_id: request.request_id.clone(),
            request_hash: hash.clone(),
            port_uid: request.port_uid.clone(),
            customer_ref: request.customer_ref.clone(),
            region: request.region.clone(),
            key: None,
        };
        if let Some(seen) = self.store.journal_key_request(&journal).await? {
            ensure_same_request(&request.request_id, &seen.request_hash, &hash)?;
            if let Some(key) = seen.key {
                return self.get(&key).await;
            }
            // The earlier attempt's outcome is unknown: find its stamp before minting again.
            if let Some(found) = self.find_stamped(&request).await? {
                return self.record(&request, &hash, found).await;
            }
        }

        let mut port = self.usable_port(&request.port_uid).await?;
        let max_speed_mbps = check_speed(&port, request.max_speed_mbps)?;
        if let Some(profile) = &request.peering {
            let violations = profile.check("peering", Some(&port));
            if !violations.is_empty() {
                return Err(Error::InvalidArgument(violations));
            }
        }
        let mut port_is_fresh = false;
        loop {
            let vlan = if request.single_use {
                match self.hold_vlan(&port, &request).await {
                    Ok(vlan) => Some(vlan),
                    Err(error) => {
                        // Nothing was created (no POST, or a refused one): the request id is
                        // free again, and any VLAN an earlier try held is released.
                        self.store.abandon_key_request(&request.request_id).await?;
                        return Err(error);
                    }
                }
            } else {
                None
            };
            let new_key = NewKey {
                port_uid: port.uid.clone(),
                single_use: request.single_use,
                vlan,
                max_speed_mbps,
                pre_approved: request.pre_approved,
                active: request.active,
                description: keys::stamp(&request.description, &request.request_id),
                valid_from: request.valid_from,
                valid_until: request.valid_until,
            };
            let error = match self.upstream.create_key(&new_key).await {
                Ok(created) => return self.record(&request, &hash, created).await,
                Err(error) if error.reason() == ErrorReason::UpstreamOutcomeUnknown => {
                    return Err(error.naming_write("request_id", &request.request_id));
                }
                Err(error) => error,
            };
            // Megaport refused, so nothing was created. The VLAN was chosen from the catalog's
            // copy of the Port (at most its refresh interval old); Megaport refuses a VLAN a VXC
            // on the Port uses, so when a fresh read shows a VXC took it since, choose again.
            if let (Some(vlan), false) = (vlan, port_is_fresh) {
                let fresh = self.fresh_port(&port.uid).await?;
                port_is_fresh = true;
                if fresh.active_vxcs().any(|vxc| vxc.vlan == Some(vlan)) {
                    port = fresh;
                    continue;
                }
            }
            self.store.abandon_key_request(&request.request_id).await?;
            return Err(error);
        }
    }

    /// The guide's "customer selects US-West and adds diversity": select, then one key per
    /// chosen Port. If a later key fails, the earlier ones are deactivated. A replay returns the
    /// first outcome as it was: the selection may have changed since, the keys may not.
    pub async fn issue(&self, request: IssueKeys) -> Result<(Vec<KeyView>, Selection), Error> {
        let fingerprint = fingerprint(&request)?;
        if let Some((call, stored, outcome)) =
            self.store.stored_outcome(&request.request_id).await?
        {
            if call != ISSUE_CALL {
                return Err(request_id_reused(&request.request_id));
            }
            ensure_same_request(&request.request_id, &stored, &fingerprint)?;
            let IssueOutcome { keys, selection } = serde_json::from_slice(&outcome)
                .map_err(|error| Error::internal(format!("stored issue outcome: {error}")))?;
            return Ok((keys, selection));
        }
        let (keys, selection) = self.mint_for_selection(&request).await?;
        let outcome = serde_json::to_vec(&IssueOutcomeRef {
            keys: &keys,
            selection: &selection,
        })
        .map_err(|error| Error::internal(format!("issue outcome: {error}")))?;
        self.store
            .store_outcome(&request.request_id, ISSUE_CALL, &fingerprint, &outcome)
            .await?;
        Ok((keys, selection))
    }

    async fn mint_for_selection(
        &self,
        request: &IssueKeys,
    ) -> Result<(Vec<KeyView>, Selection), Error> {
        let complement_of = match &request.complement_of {
            Some(uid) => Some(self.complement_port(uid).await?),
            None => None,
        };
        let selection = self
            .directory
            .select(&Ask {
                near: request.near.clone(),
                proximity: request.proximity,
                complement_of,
                kinds: request.kinds.clone(),
                ..Ask::new(
                    Scope::Region(request.region.clone()),
                    request.max_speed_mbps,
                    request.diversity,
                )
            })
            .await?;
        let selection = Selection::clone(&selection);
        let mut minted: Vec<KeyView> = Vec::new();
        for (index, on_ramp) in selection.chosen.iter().enumerate() {
            let create = CreateKey {
                port_uid: on_ramp.port.uid.clone(),
                single_use: request.single_use,
                vlan: None,
                max_speed_mbps: request.max_speed_mbps,
                pre_approved: request.pre_approved,
                description: request.description.clone(),
                valid_from: request.valid_from,
                valid_until: request.valid_until,
                active: true,
                customer_ref: request.customer_ref.clone(),
                region: request.region.clone(),
                request_id: derived_request_id(&request.request_id, index),
                avoid_vlans: minted.iter().filter_map(|key| key.vlan).collect(),
                rotated_from: None,
                peering: request.peering.clone(),
            };
            match self.create(create).await {
                Ok(view) => minted.push(view),
                Err(error) => {
                    for earlier in &minted {
                        if let Err(cleanup) = self.deactivate(&earlier.key).await {
                            tracing::warn!(key = %earlier.key, error = %cleanup,
                                "could not deactivate a key of a failed issue");
                        }
                    }
                    return Err(error);
                }
            }
        }
        Ok((minted, selection))
    }

    /// Replaces a key with one of the same settings, then retires the old one at once or at the
    /// end of the grace period (its validity end), never leaving the customer without a valid
    /// key. A replay of the request id returns the first outcome. A key whose earlier rotation is
    /// still in its grace period keeps that replacement; the new grace supersedes the old one.
    pub async fn rotate(&self, request: RotateKey) -> Result<Rotation, Error> {
        let fingerprint = fingerprint(&request)?;
        if let Some((call, stored, outcome)) =
            self.store.stored_outcome(&request.request_id).await?
        {
            if call != ROTATE_CALL {
                return Err(request_id_reused(&request.request_id));
            }
            ensure_same_request(&request.request_id, &stored, &fingerprint)?;
            return serde_json::from_slice(&outcome)
                .map_err(|error| Error::internal(format!("stored rotation: {error}")));
        }
        let (upstream, old) = self.current(&request.key).await?;
        let refuse = |reason, why: &str| {
            Err(Error::FailedPrecondition {
                reason,
                message: format!("key {} cannot be rotated: {why}", request.key),
            }
            .with_meta("key", &request.key))
        };
        match old.state {
            KeyState::Used => {
                return refuse(
                    ErrorReason::KeyUsed,
                    "it was used, so nothing is left to protect",
                );
            }
            KeyState::Expired => {
                return refuse(
                    ErrorReason::KeyExpired,
                    "it has expired, so nothing is left to protect",
                );
            }
            KeyState::Inactive => {
                return refuse(
                    ErrorReason::KeyInactive,
                    "it is inactive, so nothing is left to protect",
                );
            }
            KeyState::Active | KeyState::Pending => {}
        }
        if request.vlan.is_some() && !old.single_use {
            return Err(Error::invalid("vlan", "must be 0 for a multi-use key"));
        }
        let now = OffsetDateTime::now_utc();
        let new = match old.rotated_to.as_str() {
            // An earlier rotation is in its grace period: its replacement stands.
            "" => {
                // The replacement keeps the peering profile, password and all (only the ledger
                // has the password).
                let peering = self
                    .store
                    .ledger_entry(&old.key)
                    .await?
                    .and_then(|entry| entry.peering);
                self.create(CreateKey {
                    port_uid: old.port.uid.clone(),
                    single_use: old.single_use,
                    vlan: request.vlan,
                    max_speed_mbps: old.max_speed_mbps,
                    pre_approved: old.pre_approved,
                    description: old.description.clone(),
                    valid_from: None,
                    valid_until: old.valid_until.filter(|end| *end > now),
                    active: true,
                    customer_ref: old.customer_ref.clone(),
                    region: old.region.clone(),
                    request_id: derived_request_id(&request.request_id, 0),
                    avoid_vlans: old.vlan.into_iter().collect(),
                    rotated_from: Some(old.key.clone()),
                    peering,
                })
                .await?
            }
            replacement => self.get(replacement).await?,
        };
        self.store.link_rotation(&old.key, &new.key).await?;
        // A grace never lengthens the old key's life.
        let grace_end = now + time::Duration::seconds(request.grace_seconds);
        let retire_at = old
            .valid_until
            .filter(|end| *end < grace_end)
            .unwrap_or(grace_end);
        let old = if request.grace_seconds == 0 {
            let changes = KeyChanges {
                active: Some(false),
                ..KeyChanges::default()
            };
            self.apply_changes(upstream, old, changes).await?
        } else {
            let changes = KeyChanges {
                valid_until: Some(Some(retire_at)),
                ..KeyChanges::default()
            };
            self.apply_changes(upstream, old, changes).await?
        };
        let rotation = Rotation {
            old,
            new,
            old_valid_until: retire_at,
        };
        let outcome = serde_json::to_vec(&rotation)
            .map_err(|error| Error::internal(format!("rotation outcome: {error}")))?;
        self.store
            .store_outcome(&request.request_id, ROTATE_CALL, &fingerprint, &outcome)
            .await?;
        Ok(rotation)
    }

    /// The provider's Port a connection is on, named by its VXC's uid or by the key it was
    /// bought with: what a diverse leg complements.
    pub async fn complement_port(&self, uid: &str) -> Result<String, Error> {
        if let Some(port_uid) = self.directory.port_with_vxc(uid).await? {
            return Ok(port_uid);
        }
        match self.get(uid).await {
            Ok(view) => Ok(view.port.uid),
            Err(Error::NotFound { .. }) => Err(Error::invalid(
                "complement_of",
                format!("`{uid}` is neither a vxc on the provider's ports nor a service key"),
            )),
            Err(error) => Err(error),
        }
    }

    /// One key, from Megaport when it still lists it, else from what onramp saw last (a used
    /// single-use key vanishes from Megaport's list).
    pub async fn get(&self, key: &str) -> Result<KeyView, Error> {
        match self.upstream.key(key).await {
            Ok(upstream) => {
                let ledger = self.store.ledger_entry(key).await?;
                let port = self.key_port(&upstream.port_uid).await;
                Ok(KeyView::new(
                    &upstream,
                    port,
                    ledger.as_ref(),
                    OffsetDateTime::now_utc(),
                ))
            }
            Err(Error::NotFound { .. }) => self
                .store
                .watch_view(key)
                .await?
                .ok_or_else(|| key_not_found(key)),
            Err(error) => Err(error),
        }
    }

    /// Every key of the provider as of now, plus used keys that vanished from Megaport, given
    /// the previous views (the watcher's memory). Ports with vanished single-use keys are read
    /// fresh to find the VXC each key became.
    pub async fn current_views(
        &self,
        previous: &BTreeMap<String, KeyView>,
        now: OffsetDateTime,
    ) -> Result<Listed<BTreeMap<String, KeyView>>, Error> {
        // The keys onramp had minted before the listing was asked for: only those can be missing
        // from it because they were used. A key minted while the listing is in flight is not in
        // it, and is no sign of use.
        let minted_before: HashSet<String> = self
            .store
            .ledger()
            .await?
            .into_iter()
            .map(|entry| entry.key)
            .collect();
        let Listed {
            items: upstream,
            skipped_upstream_records,
        } = self.upstream.keys(None).await?;
        // Any key of onramp's in that list was journaled before its POST. Reading the pending
        // journal before the ledger means each such key is in one of the two: a create that
        // finishes between the reads is pending in the first and in the ledger by the second.
        let pending: HashMap<String, KeyRequest> = self
            .store
            .pending_key_requests()
            .await?
            .into_iter()
            .map(|request| (request.request_id.clone(), request))
            .collect();
        let mut ledger: HashMap<String, LedgerEntry> = self
            .store
            .ledger()
            .await?
            .into_iter()
            .map(|entry| (entry.key.clone(), entry))
            .collect();
        for key in &upstream {
            if let Some(request) = keys::stamped_request_id(&key.description)
                .and_then(|request_id| pending.get(request_id))
                && !ledger.contains_key(&key.key)
            {
                ledger.insert(key.key.clone(), in_flight_entry(key, request));
            }
        }
        // Names and places only: the key poll does not keep the products fresh for nobody.
        let ports = self.directory.cached_ports().await?;
        let mut views = BTreeMap::new();
        for key in &upstream {
            let port = ports
                .iter()
                .find(|port| port.uid == key.port_uid)
                .map(PortRef::from_port)
                .unwrap_or_else(|| PortRef::bare(&key.port_uid, &key.port_name));
            // `now` was taken before the listing was asked for, but a listed key was created
            // before the listing answered: judged at `now`, a key minted meanwhile would look
            // not yet valid (PENDING) until the next poll.
            let seen_at = key.create_time.map_or(now, |created| created.max(now));
            views.insert(
                key.key.clone(),
                KeyView::new(key, port, ledger.get(&key.key), seen_at),
            );
        }

        if skipped_upstream_records > 0 {
            // A key missing from a listing with unreadable records may be one of them: keep
            // what was last seen of every missing key rather than report any of them gone.
            for view in previous.values() {
                views
                    .entry(view.key.clone())
                    .or_insert_with(|| view.clone());
            }
        }
        // Keys that were there before and are gone now: single-use keys were used.
        let mut vanished: Vec<KeyView> = previous
            .values()
            .filter(|view| !views.contains_key(&view.key))
            .cloned()
            .collect();
        // Keys onramp minted but never saw listed (used before the first poll after create).
        for entry in ledger.values().filter(|_| skipped_upstream_records == 0) {
            if entry.single_use
                && minted_before.contains(&entry.key)
                && !views.contains_key(&entry.key)
                && !previous.contains_key(&entry.key)
                && let Some(view) = self.store.watch_view(&entry.key).await?
            {
                vanished.push(view);
            }
        }
        let mut fresh_ports: HashMap<String, Option<Port>> = HashMap::new();
        for mut view in vanished {
            if !view.single_use {
                continue; // a multi-use key that disappeared is simply gone
            }
            let just_vanished = view.state != KeyState::Used;
            let still_searching = view.vxc_uid.is_empty()
                && view
                    .last_used_time
                    .is_some_and(|used| now - used < VXC_SEARCH_WINDOW);
            if just_vanished || still_searching {
                if !fresh_ports.contains_key(&view.port.uid) {
                    let port = self.upstream.port(&view.port.uid).await.ok();
                    fresh_ports.insert(view.port.uid.clone(), port);
                }
                let vxc_uid = fresh_ports
                    .get(&view.port.uid)
                    .and_then(Option::as_ref)
                    .and_then(|port| vxc_on_vlan(port, view.vlan));
                view.mark_used(vxc_uid.clone(), now);
                if ledger.contains_key(&view.key) {
                    self.store
                        .mark_key_used(&view.key, vxc_uid.as_deref(), now)
                        .await?;
                }
            }
            views.insert(view.key.clone(), view);
        }
        Ok(Listed {
            items: views,
            skipped_upstream_records,
        })
    }

    /// Keys matching `filter`, newest first (create time descending, then key).
    pub async fn list(&self, filter: &KeyFilter) -> Result<Listed<Vec<KeyView>>, Error> {
        let previous = self.store.watch_views().await?;
        let current = self
            .current_views(&previous, OffsetDateTime::now_utc())
            .await?;
        let mut matching: Vec<KeyView> = current
            .items
            .into_values()
            .filter(|view| filter.matches(view))
            .collect();
        matching.sort_by(KeyView::newest_first);
        Ok(Listed {
            items: matching,
            skipped_upstream_records: current.skipped_upstream_records,
        })
    }

    /// Reads the key, applies `changes`, and sends every field back.
    pub async fn update(&self, key: &str, changes: KeyChanges) -> Result<KeyView, Error> {
        let (upstream, current) = self.current(key).await?;
        if current.state == KeyState::Used {
            return Err(key_used(key));
        }
        self.apply_changes(upstream, current, changes).await
    }

    /// The key as Megaport has it now (the read Megaport's PUT needs, since it resets what it is
    /// not sent), with its view; a used single-use key Megaport no longer lists is KEY_USED.
    async fn current(&self, key: &str) -> Result<(UpstreamKey, KeyView), Error> {
        let upstream = match self.upstream.key(key).await {
            Ok(upstream) => upstream,
            // Gone from Megaport: a used single-use key, as the watcher last saw it, or none.
            Err(error @ Error::NotFound { .. }) => {
                return Err(match self.store.watch_view(key).await? {
                    Some(view) if view.state == KeyState::Used => key_used(key),
                    Some(_) => error,
                    None => key_not_found(key),
                });
            }
            Err(error) => return Err(error),
        };
        let port = self.key_port(&upstream.port_uid).await;
        let ledger = self.store.ledger_entry(key).await?;
        let current = KeyView::new(&upstream, port, ledger.as_ref(), OffsetDateTime::now_utc());
        Ok((upstream, current))
    }

    /// Sends `upstream` with `changes` applied; `current` is its view as read.
    async fn apply_changes(
        &self,
        mut upstream: UpstreamKey,
        current: KeyView,
        changes: KeyChanges,
    ) -> Result<KeyView, Error> {
        let key = current.key.as_str();
        if let Some(max_speed) = changes.max_speed_mbps {
            let port = self.known_port(&upstream.port_uid).await?;
            upstream.max_speed_mbps = check_speed(&port, max_speed)?;
        }
        if let Some(description) = changes.description {
            // Keep the stamp: it is how a lost create is found again.
            upstream.description = match keys::stamped_request_id(&upstream.description) {
                Some(request_id) => keys::stamp(&description, request_id),
                None => description,
            };
        }
        if let Some(valid_from) = changes.valid_from {
            upstream.valid_from = valid_from;
        }
        if let Some(valid_until) = changes.valid_until {
            upstream.valid_until = valid_until;
        }
        if let (Some(start), Some(end)) = (upstream.valid_from, upstream.valid_until)
            && end <= start
        {
            return Err(Error::invalid(
                "service_key.valid_until",
                "must be after valid_from",
            ));
        }
        if let Some(active) = changes.active {
            upstream.active = active;
        }
        if let Some(pre_approved) = changes.pre_approved {
            upstream.pre_approved = pre_approved;
        }
        let updated = self
            .upstream
            .update_key(&upstream)
            .await
            .map_err(|error| error.naming_write("key", key))?;
        if !updated.active {
            self.store.mark_key_deactivated(key).await?;
        }
        let ledger = self.store.ledger_entry(key).await?;
        Ok(KeyView::new(
            &updated,
            current.port,
            ledger.as_ref(),
            OffsetDateTime::now_utc(),
        ))
    }

    /// Sets a key inactive; an inactive key comes back unchanged.
    pub async fn deactivate(&self, key: &str) -> Result<KeyView, Error> {
        // One read serves the check and the PUT.
        let (upstream, current) = self.current(key).await?;
        match current.state {
            KeyState::Used => Err(key_used(key)),
            KeyState::Inactive => Ok(current),
            _ => {
                let changes = KeyChanges {
                    active: Some(false),
                    ..KeyChanges::default()
                };
                self.apply_changes(upstream, current, changes).await
            }
        }
    }

    /// A key's Port as shown with the key (from the cached catalog; bare uid if unknown).
    async fn key_port(&self, port_uid: &str) -> PortRef {
        match self.directory.cached_ports().await {
            Ok(ports) => ports
                .iter()
                .find(|port| port.uid == port_uid)
                .map(PortRef::from_port),
            Err(_) => None,
        }
        .unwrap_or_else(|| PortRef::bare(port_uid, ""))
    }

    /// The provider's Port: the catalog's copy (a Port too new for it is read from Megaport).
    async fn known_port(&self, port_uid: &str) -> Result<Port, Error> {
        let cached = self
            .directory
            .ports()
            .await?
            .iter()
            .find(|port| port.uid == port_uid)
            .cloned();
        match cached {
            Some(port) => Ok(port),
            None => self.fresh_port(port_uid).await,
        }
    }

    /// The Port, if it is the provider's, LIVE and open to VXCs.
    async fn usable_port(&self, port_uid: &str) -> Result<Port, Error> {
        let port = self.known_port(port_uid).await?;
        if !port.is_live() || !port.vxc_permitted {
            return Err(Error::FailedPrecondition {
                reason: ErrorReason::OnRampNotUsable,
                message: format!(
                    "port {} ({}) cannot take new vxcs: {}",
                    port.name,
                    port.uid,
                    if port.is_live() {
                        "it does not permit vxcs"
                    } else {
                        "it is not live"
                    }
                ),
            }
            .with_meta("port_uid", &port.uid));
        }
        Ok(port)
    }

    /// The Port as Megaport has it now.
    async fn fresh_port(&self, port_uid: &str) -> Result<Port, Error> {
        match self.upstream.port(port_uid).await {
            Ok(port) => Ok(port),
            Err(Error::NotFound { .. } | Error::FailedPrecondition { .. }) => {
                Err(Error::on_ramp_not_found(port_uid))
            }
            Err(error) => Err(error),
        }
    }

    /// Chooses the create's VLAN and holds it in the store. The Port lease makes a lost race
    /// rare; the store's hold makes it harmless: a VLAN another replica held meanwhile is
    /// refused there, and the next free one is tried.
    async fn hold_vlan(&self, port: &Port, request: &CreateKey) -> Result<i32, Error> {
        let mut avoid = request.avoid_vlans.clone();
        loop {
            let vlan = self.choose_vlan(port, request.vlan, &avoid).await?;
            if self
                .store
                .hold_vlan(&request.request_id, &port.uid, vlan)
                .await?
            {
                return Ok(vlan);
            }
            if request.vlan.is_some() {
                return Err(vlan_in_use(port, vlan, "another single-use key"));
            }
            avoid.push(vlan);
        }
    }

    /// The requested VLAN if free, else the lowest free one. Free means: not used by a VXC on
    /// the Port and not held by an outstanding single-use key (onramp's or anyone's).
    async fn choose_vlan(
        &self,
        port: &Port,
        requested: Option<i32>,
        avoid: &[i32],
    ) -> Result<i32, Error> {
        let vxc_vlans: BTreeSet<i32> = port.active_vxcs().filter_map(|vxc| vxc.vlan).collect();
        let mut key_vlans: BTreeSet<i32> = self
            .store
            .reserved_vlans(&port.uid)
            .await?
            .into_iter()
            .collect();
        // Keys minted outside onramp, as the key watcher last saw them (onramp's own are held
        // above). Megaport itself lets two keys share a VLAN; this keeps a customer's buy from
        // meeting a VLAN another key will take.
        match self.held_vlans.get() {
            Some(source) => key_vlans.extend(source.held_on(&port.uid)),
            None => {
                for view in self.store.watch_views().await?.values() {
                    if view.port.uid == port.uid
                        && view.holds_vlan()
                        && let Some(vlan) = view.vlan
                    {
                        key_vlans.insert(vlan);
                    }
                }
            }
        }
        match requested {
            Some(vlan) if vxc_vlans.contains(&vlan) => Err(vlan_in_use(port, vlan, "a vxc")),
            Some(vlan) if key_vlans.contains(&vlan) => {
                Err(vlan_in_use(port, vlan, "another single-use key"))
            }
            Some(vlan) => Ok(vlan),
            None => {
                let taken: BTreeSet<i32> =
                    vxc_vlans.union(&key_vlans).chain(avoid).copied().collect();
                keys::lowest_free_vlan(&taken).ok_or_else(|| {
                    Error::FailedPrecondition {
                        reason: ErrorReason::VlanExhausted,
                        message: format!(
                            "no free vlan ({VLAN_MIN}-{VLAN_MAX}) left on port {} ({})",
                            port.name, port.uid
                        ),
                    }
                    .with_meta("port_uid", &port.uid)
                })
            }
        }
    }

    /// A key on the request's Port carrying the request's stamp.
    async fn find_stamped(&self, request: &CreateKey) -> Result<Option<UpstreamKey>, Error> {
        let keys = self.upstream.keys(Some(&request.port_uid)).await?.items;
        Ok(keys.into_iter().find(|key| {
            keys::stamped_request_id(&key.description) == Some(request.request_id.as_str())
        }))
    }

    async fn record(
        &self,
        request: &CreateKey,
        hash: &str,
        created: UpstreamKey,
    ) -> Result<KeyView, Error> {
        let now = OffsetDateTime::now_utc();
        let entry = LedgerEntry {
            key: created.key.clone(),
            port_uid: created.port_uid.clone(),
            single_use: created.single_use,
            vlan: created.vlan,
            customer_ref: request.customer_ref.clone(),
            region: request.region.clone(),
            request_id: Some(request.request_id.clone()),
            create_time: Some(created.create_time.unwrap_or(now)),
            rotated_from: request.rotated_from.clone(),
            peering: request.peering.clone(),
            ..LedgerEntry::default()
        };
        self.store
            .complete_key_request(&request.request_id, &entry, hash)
            .await?;
        let port = self.key_port(&created.port_uid).await;
        Ok(KeyView::new(&created, port, Some(&entry), now))
    }
}

/// What the ledger will say of a key whose create has not recorded it yet, from its journal row.
fn in_flight_entry(key: &UpstreamKey, request: &KeyRequest) -> LedgerEntry {
    LedgerEntry {
        key: key.key.clone(),
        port_uid: key.port_uid.clone(),
        single_use: key.single_use,
        vlan: key.vlan,
        customer_ref: request.customer_ref.clone(),
        region: request.region.clone(),
        request_id: Some(request.request_id.clone()),
        create_time: key.create_time,
        ..LedgerEntry::default()
    }
}

/// The journal's name for IssueServiceKeys outcomes.
const ISSUE_CALL: &str = "IssueServiceKeys";
/// The journal's name for RotateServiceKey outcomes.
const ROTATE_CALL: &str = "RotateServiceKey";

/// What an IssueServiceKeys replay returns: the keys and the selection of the first call.
#[derive(serde::Deserialize)]
struct IssueOutcome {
    keys: Vec<KeyView>,
    selection: Selection,
}

#[derive(serde::Serialize)]
struct IssueOutcomeRef<'a> {
    keys: &'a [KeyView],
    selection: &'a Selection,
}

/// The max speed a key gets: 0 means the Port's limit; above the limit is refused.
fn check_speed(port: &Port, requested: i64) -> Result<i64, Error> {
    let limit = port.effective_max_vxc_speed_mbps();
    match requested {
        0 => Ok(limit),
        speed if (1..=limit).contains(&speed) => Ok(speed),
        speed => Err(Error::InvalidArgument(vec![FieldViolation::new(
            "max_speed_mbps",
            format!(
                "must be between 1 and {limit} (the speed and max vxc speed of port {}), got {speed}",
                port.name
            ),
        )])
        .with_reason(ErrorReason::SpeedAboveLimit)),
    }
}

/// The VXC on `port` whose VLAN there is `vlan`.
fn vxc_on_vlan(port: &Port, vlan: Option<i32>) -> Option<String> {
    let vlan = vlan?;
    port.active_vxcs()
        .find(|vxc| vxc.vlan == Some(vlan))
        .map(|vxc| vxc.uid.clone())
}

fn vlan_in_use(port: &Port, vlan: i32, holder: &str) -> Error {
    Error::FailedPrecondition {
        reason: ErrorReason::VlanInUse,
        message: format!(
            "vlan {vlan} on port {} ({}) is held by {holder}",
            port.name, port.uid
        ),
    }
    .with_meta("port_uid", &port.uid)
    .with_meta("vlan", vlan.to_string())
}

fn key_used(key: &str) -> Error {
    Error::FailedPrecondition {
        reason: ErrorReason::KeyUsed,
        message: format!("service key {key} was already used"),
    }
}

pub fn key_not_found(key: &str) -> Error {
    Error::NotFound {
        reason: ErrorReason::KeyNotFound,
        message: format!("service key {key} not found on the provider's ports"),
    }
    .with_meta("key", key)
}

/// The request id of the `index`-th key of an IssueServiceKeys call: stable, so a replay mints
/// nothing new, and a UUID like any other request id.
pub fn derived_request_id(request_id: &str, index: usize) -> String {
    let digest = Sha256::digest(format!("{request_id}/{index}").as_bytes());
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use super::*;
    use crate::directory::tests::{self as directory_tests, FakeInventory};
    use crate::memory_store::MemoryStore;
    use crate::onramps::fixtures::guide_ports;

    /// Megaport as a fake: keys live in memory; creates on `fail_on_port` are refused.
    #[derive(Default)]
    struct FakeKeys {
        keys: StdMutex<Vec<UpstreamKey>>,
        fail_on_port: String,
        /// When set, a create lists its key, then answers only once released.
        slow_create: Option<SlowCreate>,
        port_reads: std::sync::atomic::AtomicUsize,
        /// When set, a listing answers only once this many listings are in flight together.
        listings_together: Option<tokio::sync::Barrier>,
        /// Listings report this many records they could not read.
        unreadable: std::sync::atomic::AtomicU32,
        /// Updates are applied but their answers lost.
        lose_update_answers: std::sync::atomic::AtomicBool,
        /// When set, the first listing takes its keys, then answers only once released.
        slow_listing: Option<SlowCreate>,
        listing_paused: std::sync::atomic::AtomicBool,
    }

    #[derive(Default)]
    struct SlowCreate {
        listed: tokio::sync::Notify,
        release: tokio::sync::Notify,
    }

    #[async_trait::async_trait]
    impl KeyUpstream for FakeKeys {
        async fn port(&self, port_uid: &str) -> Result<Port, Error> {
            self.port_reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            guide_ports()
                .into_iter()
                .find(|port| port.uid == port_uid)
                .ok_or_else(|| key_not_found(port_uid))
        }
        async fn create_key(&self, key: &NewKey) -> Result<UpstreamKey, Error> {
            if key.port_uid == self.fail_on_port {
                return Err(Error::FailedPrecondition {
                    reason: ErrorReason::UpstreamRejected,
                    message: "megaport: refused".into(),
                });
            }
            let created = UpstreamKey {
                key: uuid::Uuid::new_v4().to_string(),
                port_uid: key.port_uid.clone(),
                port_name: String::new(),
                single_use: key.single_use,
                vlan: key.vlan,
                max_speed_mbps: key.max_speed_mbps,
                pre_approved: key.pre_approved,
                active: key.active,
                description: key.description.clone(),
                valid_from: key.valid_from,
                valid_until: key.valid_until,
                expired: false,
                last_used: None,
                create_time: None,
                ..UpstreamKey::default()
            };
            self.keys.lock().expect("keys").push(created.clone());
            if let Some(slow) = &self.slow_create {
                slow.listed.notify_one();
                slow.release.notified().await;
            }
            Ok(created)
        }
        async fn keys(&self, port_uid: Option<&str>) -> Result<Listed<Vec<UpstreamKey>>, Error> {
            if let Some(together) = &self.listings_together {
                together.wait().await;
            }
            let items: Vec<UpstreamKey> = self
                .keys
                .lock()
                .expect("keys")
                .iter()
                .filter(|key| port_uid.is_none_or(|uid| key.port_uid == uid))
                .cloned()
                .collect();
            if let Some(slow) = &self.slow_listing
                && !self
                    .listing_paused
                    .swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                slow.listed.notify_one();
                slow.release.notified().await;
            }
            Ok(Listed {
                items,
                skipped_upstream_records: self
                    .unreadable
                    .load(std::sync::atomic::Ordering::Relaxed),
            })
        }
        async fn key(&self, key: &str) -> Result<UpstreamKey, Error> {
            let keys = self.keys.lock().expect("keys");
            keys.iter()
                .find(|k| k.key == key)
                .cloned()
                .ok_or_else(|| key_not_found(key))
        }
        async fn update_key(&self, key: &UpstreamKey) -> Result<UpstreamKey, Error> {
            let mut keys = self.keys.lock().expect("keys");
            let slot = keys
                .iter_mut()
                .find(|k| k.key == key.key)
                .ok_or_else(|| key_not_found(&key.key))?;
            *slot = key.clone();
            if self
                .lose_update_answers
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                return Err(Error::Unavailable {
                    reason: ErrorReason::UpstreamOutcomeUnknown,
                    message: "megaport service_key_update was sent but no response arrived".into(),
                    retry_after: None,
                });
            }
            Ok(key.clone())
        }
    }

    /// A directory over the guide's Ports, with US-West declared.
    async fn us_west(store: &Arc<MemoryStore>) -> Directory {
        let directory = Directory::new(Arc::new(FakeInventory::new(guide_ports())), store.clone());
        directory
            .create_region(directory_tests::us_west(), "req-n1")
            .await
            .expect("region");
        directory
    }

    /// ServiceKeys over `upstream`, a fresh store and the guide's US-West region.
    async fn over(upstream: Arc<FakeKeys>) -> ServiceKeys {
        let store = Arc::new(MemoryStore::default());
        ServiceKeys::new(
            upstream,
            us_west(&store).await,
            store.clone(),
            Locks::new(store),
        )
    }

    // The waits below run on the paused clock: no wall time passes.
    #[tokio::test(start_paused = true)]
    async fn a_listing_never_sees_a_minted_key_before_its_ledger_row() {
        let upstream = Arc::new(FakeKeys {
            slow_create: Some(SlowCreate::default()),
            ..FakeKeys::default()
        });
        let keys = Arc::new(over(upstream.clone()).await);
        let create = tokio::spawn({
            let keys = keys.clone();
            async move {
                keys.create(CreateKey {
                    port_uid: "la1".into(),
                    single_use: true,
                    max_speed_mbps: 100,
                    active: true,
                    customer_ref: "acme".into(),
                    region: "us-west".into(),
                    request_id: uuid::Uuid::new_v4().to_string(),
                    ..CreateKey::default()
                })
                .await
            }
        });
        let slow = upstream.slow_create.as_ref().expect("slow create");
        slow.listed.notified().await;
        // Megaport lists the key now, but onramp has not heard back from the POST.
        let listing = tokio::spawn({
            let keys = keys.clone();
            async move {
                keys.current_views(&BTreeMap::new(), OffsetDateTime::now_utc())
                    .await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        slow.release.notify_one();
        let created = create.await.expect("join").expect("created");
        let views = listing.await.expect("join").expect("views");
        let seen = views
            .items
            .get(&created.key)
            .expect("the listing has the key");
        assert_eq!(seen.customer_ref, "acme");
        assert_eq!(seen.region, "us-west");
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_minted_while_a_listing_is_in_flight_is_not_taken_for_used() {
        let upstream = Arc::new(FakeKeys {
            slow_listing: Some(SlowCreate::default()),
            ..FakeKeys::default()
        });
        let store = Arc::new(MemoryStore::default());
        let keys = Arc::new(ServiceKeys::new(
            upstream.clone(),
            us_west(&store).await,
            store.clone(),
            Locks::new(store.clone()),
        ));
        let listing = tokio::spawn({
            let keys = keys.clone();
            async move {
                keys.current_views(&BTreeMap::new(), OffsetDateTime::now_utc())
                    .await
            }
        });
        let slow = upstream.slow_listing.as_ref().expect("slow listing");
        slow.listed.notified().await;
        // Megaport has answered the listing; then a key is minted, and the key watcher keeps its
        // view at once, before the listing's answer is read.
        let created = keys
            .create(CreateKey {
                port_uid: "la1".into(),
                single_use: true,
                max_speed_mbps: 100,
                active: true,
                request_id: uuid::Uuid::new_v4().to_string(),
                ..CreateKey::default()
            })
            .await
            .expect("created");
        store.put_view(created.clone());
        slow.release.notify_one();
        let views = listing.await.expect("join").expect("views");
        assert!(
            !views.items.contains_key(&created.key),
            "the listing predates the key"
        );
        let entry = store
            .ledger_entry(&created.key)
            .await
            .expect("ledger")
            .expect("entry");
        assert_eq!(
            entry.used_time, None,
            "a key the listing could not have seen is not used"
        );
    }

    #[tokio::test]
    async fn listings_run_side_by_side() {
        let upstream = Arc::new(FakeKeys {
            listings_together: Some(tokio::sync::Barrier::new(2)),
            ..FakeKeys::default()
        });
        let keys = over(upstream.clone()).await;
        let now = OffsetDateTime::now_utc();
        let nothing_before: BTreeMap<String, KeyView> = BTreeMap::new();
        let (first, second) = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            tokio::join!(
                keys.current_views(&nothing_before, now),
                keys.current_views(&nothing_before, now)
            )
        })
        .await
        .expect("neither listing waits for the other");
        assert!(first.is_ok() && second.is_ok());
    }

    #[tokio::test]
    async fn a_failed_second_key_deactivates_the_first_and_fails_the_issue() {
        let upstream = Arc::new(FakeKeys {
            fail_on_port: "la2".into(),
            ..FakeKeys::default()
        });
        let keys = over(upstream.clone()).await;
        let error = keys
            .issue(IssueKeys {
                region: "us-west".into(),
                diversity: Diversity::Required,
                max_speed_mbps: 100,
                single_use: true,
                pre_approved: true,
                customer_ref: "acme".into(),
                valid_from: None,
                valid_until: None,
                description: String::new(),
                request_id: uuid::Uuid::new_v4().to_string(),
                near: None,
                proximity: None,
                complement_of: None,
                kinds: Vec::new(),
                peering: None,
            })
            .await
            .expect_err("second key refused");
        assert!(matches!(error, Error::FailedPrecondition { .. }));
        let minted = upstream.keys(None).await.expect("keys").items;
        assert_eq!(minted.len(), 1, "only the first key was minted");
        assert_eq!(minted[0].port_uid, "la1");
        assert!(!minted[0].active, "and it was deactivated");
    }

    /// A single-use key, used `ago`, whose VXC was never found on its Port.
    fn used_without_vxc(ago: time::Duration, now: OffsetDateTime) -> KeyView {
        let key = UpstreamKey {
            key: uuid::Uuid::new_v4().to_string(),
            port_uid: "la1".into(),
            single_use: true,
            vlan: Some(3999),
            active: true,
            ..UpstreamKey::default()
        };
        let mut view = KeyView::new(&key, PortRef::bare("la1", "LA1"), None, now - ago);
        view.mark_used(None, now - ago);
        view
    }

    #[tokio::test]
    async fn the_vxc_of_a_used_key_is_looked_for_only_for_a_while() {
        let upstream = Arc::new(FakeKeys::default());
        let keys = over(upstream.clone()).await;
        let now = OffsetDateTime::now_utc();
        for (ago, expected_reads) in [
            (time::Duration::minutes(1), 1),
            (VXC_SEARCH_WINDOW + time::Duration::minutes(1), 0),
        ] {
            let view = used_without_vxc(ago, now);
            let previous = BTreeMap::from([(view.key.clone(), view.clone())]);
            upstream
                .port_reads
                .store(0, std::sync::atomic::Ordering::Relaxed);
            let views = keys
                .current_views(&previous, now)
                .await
                .expect("views")
                .items;
            assert_eq!(views[&view.key].state, KeyState::Used);
            assert_eq!(
                upstream
                    .port_reads
                    .load(std::sync::atomic::Ordering::Relaxed),
                expected_reads,
                "used {ago} ago"
            );
        }
    }

    #[tokio::test]
    async fn a_key_change_whose_answer_is_lost_names_the_key() {
        let upstream = Arc::new(FakeKeys::default());
        let keys = over(upstream.clone()).await;
        let key = UpstreamKey {
            key: uuid::Uuid::new_v4().to_string(),
            port_uid: "la1".into(),
            active: true,
            ..UpstreamKey::default()
        };
        upstream.keys.lock().expect("keys").push(key.clone());
        upstream
            .lose_update_answers
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let error = keys.deactivate(&key.key).await.expect_err("answer lost");
        assert_eq!(error.reason(), ErrorReason::UpstreamOutcomeUnknown);
        let Error::Annotated { metadata, .. } = &error else {
            panic!("no metadata: {error:?}");
        };
        assert_eq!(metadata.get("key"), Some(&key.key));
    }

    #[tokio::test]
    async fn a_listing_with_unreadable_records_reports_no_key_gone() {
        let upstream = Arc::new(FakeKeys::default());
        let keys = over(upstream.clone()).await;
        let now = OffsetDateTime::now_utc();
        let key = UpstreamKey {
            key: uuid::Uuid::new_v4().to_string(),
            port_uid: "la1".into(),
            single_use: true,
            vlan: Some(3001),
            active: true,
            ..UpstreamKey::default()
        };
        let seen = KeyView::new(&key, PortRef::bare("la1", "LA1"), None, now);
        let previous = BTreeMap::from([(seen.key.clone(), seen.clone())]);
        // Megaport's listing no longer has the key, but one record of it could not be read.
        upstream
            .unreadable
            .store(1, std::sync::atomic::Ordering::Relaxed);
        let current = keys.current_views(&previous, now).await.expect("views");
        assert_eq!(current.skipped_upstream_records, 1);
        assert_eq!(
            current.items.get(&seen.key),
            Some(&seen),
            "kept as last seen"
        );
        // With a complete listing the same absence means the single-use key was used.
        upstream
            .unreadable
            .store(0, std::sync::atomic::Ordering::Relaxed);
        let current = keys.current_views(&previous, now).await.expect("views");
        assert_eq!(current.items[&seen.key].state, KeyState::Used);
    }

    #[test]
    fn derived_request_ids_are_stable_distinct_uuids() {
        let first = derived_request_id("6f1c", 0);
        assert_eq!(first, derived_request_id("6f1c", 0));
        assert_ne!(first, derived_request_id("6f1c", 1));
        assert!(uuid::Uuid::parse_str(&first).is_ok());
    }
}
