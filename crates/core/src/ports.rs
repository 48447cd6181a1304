//! What the domain needs from persistence, as traits the store crate implements (SQLite today).
//! The domain holds them as `Arc<dyn …>`, so it never sees SQL and unit tests can use fakes.

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::cursor::Cursor;
use crate::error::Error;
use crate::keys::{KeyView, LedgerEntry};
use crate::orders::{Order, OrderFilter, OrderState, VxcRequest};
use crate::regions::Region;

/// How a region insert ended.
#[derive(Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted,
    /// A region with this name exists already.
    NameTaken,
    /// This request_id was used before: the stored hash and region name of that first request.
    RequestSeen {
        request_hash: String,
        name: String,
    },
}

/// Provider regions.
#[async_trait]
pub trait RegionStore: Send + Sync + 'static {
    /// Inserts a new region, unless its name or `request_id` is already taken.
    async fn insert_region(
        &self,
        region: &Region,
        request_id: Option<&str>,
        request_hash: &str,
    ) -> Result<InsertOutcome, Error>;
    /// Creates or replaces a region declared in the regions file.
    async fn upsert_region(&self, region: &Region) -> Result<(), Error>;
    async fn region(&self, name: &str) -> Result<Option<Region>, Error>;
    /// Every region, ascending by name.
    async fn regions(&self) -> Result<Vec<Region>, Error>;
    /// At most `limit` regions named after `after`, ascending by name.
    async fn regions_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<Region>, Error>;
    /// Replaces a region; false when there is none by that name.
    async fn update_region(&self, region: &Region) -> Result<bool, Error>;
    /// Removes a region; false when there is none by that name.
    async fn delete_region(&self, name: &str) -> Result<bool, Error>;
}

/// The record of a finished mutating call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub audit_id: String,
    pub time_ms: i64,
    pub caller: String,
    pub rpc: String,
    pub request_id: String,
    pub resource: String,
    /// The gRPC code the call ended with.
    pub code: i32,
    /// The `ErrorReason` number, 0 for none.
    pub reason: i32,
}

/// The audit log: appended by the auth layer, read by `ListAuditRecords`.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    async fn append_audit(&self, record: &AuditRecord) -> Result<(), Error>;
    /// Newest first: at most `limit` records whose sequence number is below `before`, matching
    /// `caller` and `rpc` (an empty filter matches every value), each with its sequence number.
    async fn audit_page(
        &self,
        before: i64,
        caller: &str,
        rpc: &str,
        limit: usize,
    ) -> Result<Vec<(i64, AuditRecord)>, Error>;
}

/// A journaled key create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    pub request_id: String,
    pub request_hash: String,
    pub port_uid: String,
    /// Who the key is for and where, journaled with the request so that a listing can attribute
    /// the key before the create has recorded it in the ledger.
    pub customer_ref: String,
    pub region: String,
    /// Set once Megaport answered with the key.
    pub key: Option<String>,
}

/// The key journal, the ledger of minted keys, and the watcher's last view of every key.
#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
    /// Journals a create before it is sent. Returns the existing journal row when the request id
    /// was seen before (the caller decides between replay and reuse).
    async fn journal_key_request(&self, request: &KeyRequest) -> Result<Option<KeyRequest>, Error>;
    /// Records the key Megaport returned for a journaled create, with its ledger entry.
    async fn complete_key_request(
        &self,
        request_id: &str,
        entry: &LedgerEntry,
        request_hash: &str,
    ) -> Result<(), Error>;
    /// The journaled creates that have no key yet: in flight now, or with a lost outcome.
    async fn pending_key_requests(&self) -> Result<Vec<KeyRequest>, Error>;
    /// Forgets a journaled create that provably never reached Megaport.
    async fn abandon_key_request(&self, request_id: &str) -> Result<(), Error>;
    async fn ledger_entry(&self, key: &str) -> Result<Option<LedgerEntry>, Error>;
    async fn ledger(&self) -> Result<Vec<LedgerEntry>, Error>;
    /// Holds `vlan` on the Port for the create `request_id` (in place of any VLAN it held
    /// before) until its key is used or deactivated or the create is abandoned. False when
    /// another create or key holds it: the store, not a lease, keeps one VLAN to one key.
    async fn hold_vlan(&self, request_id: &str, port_uid: &str, vlan: i32) -> Result<bool, Error>;
    /// VLANs held on the Port by outstanding single-use keys and creates on their way.
    async fn reserved_vlans(&self, port_uid: &str) -> Result<Vec<i32>, Error>;
    /// Names `new` as the key that replaced `old` by a rotation.
    async fn link_rotation(&self, old: &str, new: &str) -> Result<(), Error>;
    async fn mark_key_deactivated(&self, key: &str) -> Result<(), Error>;
    async fn mark_key_used(
        &self,
        key: &str,
        vxc_uid: Option<&str>,
        used_time: OffsetDateTime,
    ) -> Result<(), Error>;
    /// The outcome of a finished multi-key create (IssueServiceKeys) journaled under
    /// `request_id`: the call's name, the request fingerprint and the outcome as written.
    async fn stored_outcome(
        &self,
        request_id: &str,
    ) -> Result<Option<(String, String, Vec<u8>)>, Error>;
    /// Journals such an outcome; the first one written for a request id stays.
    async fn store_outcome(
        &self,
        request_id: &str,
        call: &str,
        fingerprint: &str,
        outcome: &[u8],
    ) -> Result<(), Error>;
    /// The last view of every key the watcher saw.
    async fn watch_views(&self) -> Result<BTreeMap<String, KeyView>, Error>;
    async fn watch_view(&self, key: &str) -> Result<Option<KeyView>, Error>;
}

/// The order journal. Every state change is a compare-and-set on the state the writer saw, so
/// two writers (tasks or processes) cannot both move one order.
#[async_trait]
pub trait OrderStore: Send + Sync + 'static {
    /// One of the provider's keys as the key watcher last saw it (at most a poll interval old);
    /// `None` when the watcher has not seen it, or the store keeps no read model.
    async fn key_view(&self, _key: &str) -> Result<Option<KeyView>, Error> {
        Ok(None)
    }
    /// Journals a new order; false when its request_id is already journaled.
    async fn insert_order(&self, order: &Order) -> Result<bool, Error>;
    /// JOURNALED or OUTCOME_UNKNOWN (the state `from` the caller saw) -> SUBMITTING, counting the
    /// attempt. False when the row was not in `from`: someone else moved it.
    async fn claim_for_submit(
        &self,
        order_id: &str,
        from: OrderState,
        now: OffsetDateTime,
    ) -> Result<bool, Error>;
    /// Writes the order's mutable fields if the row is still in one of `expected` states.
    async fn update_order(&self, order: &Order, expected: &[OrderState]) -> Result<bool, Error>;
    async fn order(&self, order_id: &str) -> Result<Option<Order>, Error>;
    async fn order_by_request_id(&self, request_id: &str) -> Result<Option<Order>, Error>;
    async fn order_by_vxc_uid(&self, vxc_uid: &str) -> Result<Option<Order>, Error>;
    /// The VXCs some order already owns: reconciliation never adopts one of them again.
    async fn claimed_vxc_uids(&self) -> Result<HashSet<String>, Error>;
    /// Orders matching `filter`, newest first (create time, then order id), after `after`.
    async fn orders_page(
        &self,
        filter: &OrderFilter,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Order>, Error>;
    /// The change, cancellation or un-cancellation journaled under `request_id`, if any.
    async fn vxc_request(&self, request_id: &str) -> Result<Option<VxcRequest>, Error>;
    /// Journals a finished change, cancellation or un-cancellation; false when its request_id
    /// is journaled already.
    async fn insert_vxc_request(&self, request: &VxcRequest) -> Result<bool, Error>;
}

/// Named leases held in the database, so that mutual exclusion holds across processes sharing
/// it (VLAN choice per Port, one buy per request id). A lease expires by itself, so a crashed
/// holder cannot block the others for longer than its `ttl`.
#[async_trait]
pub trait LockStore: Send + Sync + 'static {
    /// Takes `name` for `holder` until `ttl` from now, unless an unexpired lease of another
    /// holder exists; true when taken. The holder's own call renews its lease.
    async fn try_lock(
        &self,
        name: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<bool, Error>;
    /// Gives `name` up, if `holder` still holds it.
    async fn unlock(&self, name: &str, holder: &str) -> Result<(), Error>;
}
