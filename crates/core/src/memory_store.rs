//! An in-memory implementation of the ports, for the domain's unit tests (the store crate's
//! SQLite implementation is tested against the same behaviour through the server's tests).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::Error;
use crate::keys::{KeyView, LedgerEntry};
use crate::ports::{InsertOutcome, KeyRequest, KeyStore, LockStore, RegionStore};
use crate::regions::Region;

#[derive(Default)]
pub(crate) struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// By name, with the request id and hash of the create.
    regions: BTreeMap<String, (Region, Option<String>, String)>,
    key_requests: BTreeMap<String, KeyRequest>,
    ledger: BTreeMap<String, LedgerEntry>,
    /// VLAN holds by (Port, VLAN): the create's request id, and its key once minted.
    vlan_holds: BTreeMap<(String, i32), (String, Option<String>)>,
    views: BTreeMap<String, KeyView>,
    /// Outcomes of multi-key creates by request id: (call, fingerprint, outcome).
    outcomes: BTreeMap<String, (String, String, Vec<u8>)>,
    /// Lease holders by name, with when the lease ends.
    locks: BTreeMap<String, (String, tokio::time::Instant)>,
}

impl State {
    fn release_vlan(&mut self, key: &str) {
        self.vlan_holds
            .retain(|_, (_, holder)| holder.as_deref() != Some(key));
    }
}

impl MemoryStore {
    /// Keeps a key's view, as the key watcher does when it commits one.
    #[cfg(test)]
    pub(crate) fn put_view(&self, view: KeyView) {
        self.state().views.insert(view.key.clone(), view);
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("memory store")
    }
}

#[async_trait]
impl RegionStore for MemoryStore {
    async fn insert_region(
        &self,
        region: &Region,
        request_id: Option<&str>,
        request_hash: &str,
    ) -> Result<InsertOutcome, Error> {
        let mut state = self.state();
        if let Some(request_id) = request_id
            && let Some((seen, _, hash)) = state
                .regions
                .values()
                .find(|(_, id, _)| id.as_deref() == Some(request_id))
        {
            return Ok(InsertOutcome::RequestSeen {
                request_hash: hash.clone(),
                name: seen.name.clone(),
            });
        }
        if state.regions.contains_key(&region.name) {
            return Ok(InsertOutcome::NameTaken);
        }
        state.regions.insert(
            region.name.clone(),
            (
                region.clone(),
                request_id.map(str::to_owned),
                request_hash.to_owned(),
            ),
        );
        Ok(InsertOutcome::Inserted)
    }

    async fn upsert_region(&self, region: &Region) -> Result<(), Error> {
        self.state()
            .regions
            .insert(region.name.clone(), (region.clone(), None, String::new()));
        Ok(())
    }

    async fn region(&self, name: &str) -> Result<Option<Region>, Error> {
        Ok(self
            .state()
            .regions
            .get(name)
            .map(|(region, ..)| region.clone()))
    }

    async fn regions(&self) -> Result<Vec<Region>, Error> {
        Ok(self
            .state()
            .regions
            .values()
            .map(|(region, ..)| region.clone())
            .collect())
    }

    async fn regions_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<Region>, Error> {
        Ok(self
            .state()
            .regions
            .values()
            .filter(|(region, ..)| after.is_none_or(|after| region.name.as_str() > after))
            .take(limit)
            .map(|(region, ..)| region.clone())
            .collect())
    }

    async fn update_region(&self, region: &Region) -> Result<bool, Error> {
        let mut state = self.state();
        Ok(match state.regions.get_mut(&region.name) {
            Some(stored) => {
                stored.0 = region.clone();
                true
            }
            None => false,
        })
    }

    async fn delete_region(&self, name: &str) -> Result<bool, Error> {
        Ok(self.state().regions.remove(name).is_some())
    }
}

#[async_trait]
impl KeyStore for MemoryStore {
    async fn journal_key_request(&self, request: &KeyRequest) -> Result<Option<KeyRequest>, Error> {
        let mut state = self.state();
        if let Some(seen) = state.key_requests.get(&request.request_id) {
            return Ok(Some(seen.clone()));
        }
        state
            .key_requests
            .insert(request.request_id.clone(), request.clone());
        Ok(None)
    }

    async fn complete_key_request(
        &self,
        request_id: &str,
        entry: &LedgerEntry,
        _request_hash: &str,
    ) -> Result<(), Error> {
        let mut state = self.state();
        if let Some(request) = state.key_requests.get_mut(request_id) {
            request.key = Some(entry.key.clone());
        }
        let mut held = false;
        for (holder, key) in state.vlan_holds.values_mut() {
            if holder == request_id {
                *key = Some(entry.key.clone());
                held = true;
            }
        }
        if let (false, true, Some(vlan)) = (held, entry.single_use, entry.vlan) {
            state
                .vlan_holds
                .entry((entry.port_uid.clone(), vlan))
                .or_insert_with(|| (request_id.to_owned(), Some(entry.key.clone())));
        }
        let mut entry = entry.clone();
        entry.request_id = Some(request_id.to_owned());
        state.ledger.entry(entry.key.clone()).or_insert(entry);
        Ok(())
    }

    async fn pending_key_requests(&self) -> Result<Vec<KeyRequest>, Error> {
        Ok(self
            .state()
            .key_requests
            .values()
            .filter(|request| request.key.is_none())
            .cloned()
            .collect())
    }

    async fn abandon_key_request(&self, request_id: &str) -> Result<(), Error> {
        let mut state = self.state();
        if state
            .key_requests
            .get(request_id)
            .is_some_and(|request| request.key.is_none())
        {
            state.key_requests.remove(request_id);
        }
        state
            .vlan_holds
            .retain(|_, (holder, key)| holder != request_id || key.is_some());
        Ok(())
    }

    async fn hold_vlan(&self, request_id: &str, port_uid: &str, vlan: i32) -> Result<bool, Error> {
        let mut state = self.state();
        state
            .vlan_holds
            .retain(|_, (holder, key)| holder != request_id || key.is_some());
        let slot = (port_uid.to_owned(), vlan);
        if state.vlan_holds.contains_key(&slot) {
            return Ok(false);
        }
        state.vlan_holds.insert(slot, (request_id.to_owned(), None));
        Ok(true)
    }

    async fn ledger_entry(&self, key: &str) -> Result<Option<LedgerEntry>, Error> {
        Ok(self.state().ledger.get(key).cloned())
    }

    async fn ledger(&self) -> Result<Vec<LedgerEntry>, Error> {
        Ok(self.state().ledger.values().cloned().collect())
    }

    async fn reserved_vlans(&self, port_uid: &str) -> Result<Vec<i32>, Error> {
        Ok(self
            .state()
            .vlan_holds
            .keys()
            .filter(|(port, _)| port == port_uid)
            .map(|(_, vlan)| *vlan)
            .collect())
    }

    async fn link_rotation(&self, old: &str, new: &str) -> Result<(), Error> {
        if let Some(entry) = self.state().ledger.get_mut(old) {
            entry.rotated_to = Some(new.to_owned());
        }
        Ok(())
    }

    async fn mark_key_deactivated(&self, key: &str) -> Result<(), Error> {
        let mut state = self.state();
        if let Some(entry) = state.ledger.get_mut(key) {
            entry.deactivated = true;
        }
        state.release_vlan(key);
        Ok(())
    }

    async fn mark_key_used(
        &self,
        key: &str,
        vxc_uid: Option<&str>,
        used_time: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut state = self.state();
        state.release_vlan(key);
        if let Some(entry) = state.ledger.get_mut(key) {
            entry.used_time.get_or_insert(used_time);
            if entry.vxc_uid.is_none() {
                entry.vxc_uid = vxc_uid.map(str::to_owned);
            }
        }
        Ok(())
    }

    async fn stored_outcome(
        &self,
        request_id: &str,
    ) -> Result<Option<(String, String, Vec<u8>)>, Error> {
        Ok(self.state().outcomes.get(request_id).cloned())
    }

    async fn store_outcome(
        &self,
        request_id: &str,
        call: &str,
        fingerprint: &str,
        outcome: &[u8],
    ) -> Result<(), Error> {
        self.state()
            .outcomes
            .entry(request_id.to_owned())
            .or_insert_with(|| (call.to_owned(), fingerprint.to_owned(), outcome.to_vec()));
        Ok(())
    }

    async fn watch_views(&self) -> Result<BTreeMap<String, KeyView>, Error> {
        Ok(self.state().views.clone())
    }

    async fn watch_view(&self, key: &str) -> Result<Option<KeyView>, Error> {
        Ok(self.state().views.get(key).cloned())
    }
}

#[async_trait]
impl LockStore for MemoryStore {
    async fn try_lock(
        &self,
        name: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<bool, Error> {
        let now = tokio::time::Instant::now();
        let mut state = self.state();
        if state
            .locks
            .get(name)
            .is_some_and(|(held_by, expires)| held_by != holder && *expires > now)
        {
            return Ok(false);
        }
        state
            .locks
            .insert(name.to_owned(), (holder.to_owned(), now + ttl));
        Ok(true)
    }

    async fn unlock(&self, name: &str, holder: &str) -> Result<(), Error> {
        let mut state = self.state();
        if state
            .locks
            .get(name)
            .is_some_and(|(owner, _)| owner == holder)
        {
            state.locks.remove(name);
        }
        Ok(())
    }
}
