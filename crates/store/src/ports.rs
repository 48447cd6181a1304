//! The domain's persistence ports on SQLite: each method is the query of the same name in the
//! feature submodules, with the store's error turned into the domain's.

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use onramp_core::Error;
use onramp_core::cursor::Cursor;
use onramp_core::keys::{KeyView, LedgerEntry};
use onramp_core::orders::{Order, OrderFilter, OrderState, VxcRequest};
use onramp_core::ports::{
    AuditRecord, AuditStore, InsertOutcome, KeyRequest, KeyStore, LockStore, OrderStore,
    RegionStore,
};
use onramp_core::regions::Region;
use time::OffsetDateTime;

use crate::Store;

#[async_trait]
impl RegionStore for Store {
    async fn insert_region(
        &self,
        region: &Region,
        request_id: Option<&str>,
        request_hash: &str,
    ) -> Result<InsertOutcome, Error> {
        self.timed(
            "insert_region",
            Store::insert_region(self, region, request_id, request_hash),
        )
        .await
    }

    async fn upsert_region(&self, region: &Region) -> Result<(), Error> {
        self.timed("upsert_region", Store::upsert_region(self, region))
            .await
    }

    async fn region(&self, name: &str) -> Result<Option<Region>, Error> {
        self.timed("region", Store::region(self, name)).await
    }

    async fn regions(&self) -> Result<Vec<Region>, Error> {
        self.timed("regions", Store::regions(self)).await
    }

    async fn regions_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<Region>, Error> {
        self.timed("regions_page", Store::regions_page(self, after, limit))
            .await
    }

    async fn update_region(&self, region: &Region) -> Result<bool, Error> {
        self.timed("update_region", Store::update_region(self, region))
            .await
    }

    async fn delete_region(&self, name: &str) -> Result<bool, Error> {
        self.timed("delete_region", Store::delete_region(self, name))
            .await
    }
}

#[async_trait]
impl KeyStore for Store {
    async fn journal_key_request(&self, request: &KeyRequest) -> Result<Option<KeyRequest>, Error> {
        self.timed(
            "journal_key_request",
            Store::journal_key_request(self, request),
        )
        .await
    }

    async fn complete_key_request(
        &self,
        request_id: &str,
        entry: &LedgerEntry,
        request_hash: &str,
    ) -> Result<(), Error> {
        self.timed(
            "complete_key_request",
            Store::complete_key_request(self, request_id, entry, request_hash),
        )
        .await
    }

    async fn pending_key_requests(&self) -> Result<Vec<KeyRequest>, Error> {
        self.timed("pending_key_requests", Store::pending_key_requests(self))
            .await
    }

    async fn abandon_key_request(&self, request_id: &str) -> Result<(), Error> {
        self.timed(
            "abandon_key_request",
            Store::abandon_key_request(self, request_id),
        )
        .await
    }

    async fn ledger_entry(&self, key: &str) -> Result<Option<LedgerEntry>, Error> {
        self.timed("ledger_entry", Store::ledger_entry(self, key))
            .await
    }

    async fn ledger(&self) -> Result<Vec<LedgerEntry>, Error> {
        self.timed("ledger", Store::ledger(self)).await
    }

    async fn hold_vlan(&self, request_id: &str, port_uid: &str, vlan: i32) -> Result<bool, Error> {
        self.timed(
            "hold_vlan",
            Store::hold_vlan(self, request_id, port_uid, vlan),
        )
        .await
    }

    async fn reserved_vlans(&self, port_uid: &str) -> Result<Vec<i32>, Error> {
        self.timed("reserved_vlans", Store::reserved_vlans(self, port_uid))
            .await
    }

    async fn link_rotation(&self, old: &str, new: &str) -> Result<(), Error> {
        self.timed("link_rotation", Store::link_rotation(self, old, new))
            .await
    }

    async fn mark_key_deactivated(&self, key: &str) -> Result<(), Error> {
        self.timed(
            "mark_key_deactivated",
            Store::mark_key_deactivated(self, key),
        )
        .await
    }

    async fn mark_key_used(
        &self,
        key: &str,
        vxc_uid: Option<&str>,
        used_time: OffsetDateTime,
    ) -> Result<(), Error> {
        self.timed(
            "mark_key_used",
            Store::mark_key_used(self, key, vxc_uid, used_time),
        )
        .await
    }

    async fn stored_outcome(
        &self,
        request_id: &str,
    ) -> Result<Option<(String, String, Vec<u8>)>, Error> {
        self.timed("stored_response", Store::stored_response(self, request_id))
            .await
    }

    async fn store_outcome(
        &self,
        request_id: &str,
        call: &str,
        fingerprint: &str,
        outcome: &[u8],
    ) -> Result<(), Error> {
        self.timed(
            "store_response",
            Store::store_response(self, request_id, call, fingerprint, outcome),
        )
        .await
    }

    async fn watch_views(&self) -> Result<BTreeMap<String, KeyView>, Error> {
        self.timed("watch_views", Store::watch_views(self)).await
    }

    async fn watch_view(&self, key: &str) -> Result<Option<KeyView>, Error> {
        self.timed("watch_view", Store::watch_view(self, key)).await
    }
}

#[async_trait]
impl AuditStore for Store {
    async fn append_audit(&self, record: &AuditRecord) -> Result<(), Error> {
        self.timed("append_audit", Store::append_audit(self, record))
            .await
    }

    async fn audit_page(
        &self,
        before: i64,
        caller: &str,
        rpc: &str,
        limit: usize,
    ) -> Result<Vec<(i64, AuditRecord)>, Error> {
        self.timed(
            "audit_page",
            Store::audit_page(self, before, caller, rpc, limit),
        )
        .await
    }
}

#[async_trait]
impl OrderStore for Store {
    async fn key_view(&self, key: &str) -> Result<Option<KeyView>, Error> {
        self.timed("watch_view", Store::watch_view(self, key)).await
    }

    async fn insert_order(&self, order: &Order) -> Result<bool, Error> {
        self.timed("insert_order", Store::insert_order(self, order))
            .await
    }

    async fn claim_for_submit(
        &self,
        order_id: &str,
        from: OrderState,
        now: OffsetDateTime,
    ) -> Result<bool, Error> {
        self.timed(
            "claim_for_submit",
            Store::claim_for_submit(self, order_id, from, now),
        )
        .await
    }

    async fn update_order(&self, order: &Order, expected: &[OrderState]) -> Result<bool, Error> {
        self.timed("update_order", Store::update_order(self, order, expected))
            .await
    }

    async fn order(&self, order_id: &str) -> Result<Option<Order>, Error> {
        self.timed("order", Store::order(self, order_id)).await
    }

    async fn order_by_request_id(&self, request_id: &str) -> Result<Option<Order>, Error> {
        self.timed(
            "order_by_request_id",
            Store::order_by_request_id(self, request_id),
        )
        .await
    }

    async fn order_by_vxc_uid(&self, vxc_uid: &str) -> Result<Option<Order>, Error> {
        self.timed("order_by_vxc_uid", Store::order_by_vxc_uid(self, vxc_uid))
            .await
    }

    async fn claimed_vxc_uids(&self) -> Result<HashSet<String>, Error> {
        self.timed("claimed_vxc_uids", Store::claimed_vxc_uids(self))
            .await
    }

    async fn orders_page(
        &self,
        filter: &OrderFilter,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Order>, Error> {
        self.timed(
            "orders_page",
            Store::orders_page(self, filter, after, limit),
        )
        .await
    }

    async fn vxc_request(&self, request_id: &str) -> Result<Option<VxcRequest>, Error> {
        self.timed("vxc_request", Store::vxc_request(self, request_id))
            .await
    }

    async fn insert_vxc_request(&self, request: &VxcRequest) -> Result<bool, Error> {
        self.timed(
            "insert_vxc_request",
            Store::insert_vxc_request(self, request),
        )
        .await
    }
}

#[async_trait]
impl LockStore for Store {
    async fn try_lock(
        &self,
        name: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<bool, Error> {
        self.timed("try_lock", Store::try_lock(self, name, holder, ttl))
            .await
    }

    async fn unlock(&self, name: &str, holder: &str) -> Result<(), Error> {
        self.timed("unlock", Store::unlock(self, name, holder))
            .await
    }
}
