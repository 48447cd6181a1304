//! The key ledger (`service_keys`), create journal (`service_key_requests`) and stored responses
//! of idempotent multi-step calls (`idempotent_responses`).

use sqlx::Row;
use time::OffsetDateTime;

use super::{Store, StoreError};
use super::{from_millis, millis};
use onramp_core::keys::LedgerEntry;
use onramp_core::ports::KeyRequest;

/// The ledger columns, as a macro so queries can extend it with `concat!` (static SQL only).
macro_rules! ledger_select {
    () => {
        "SELECT key, port_uid, single_use, vlan, customer_ref, region, request_id, create_time, \
         deactivated, vxc_uid, used_time, rotated_from, rotated_to, peering FROM service_keys"
    };
}

macro_rules! key_request_select {
    () => {
        "SELECT request_id, request_hash, port_uid, customer_ref, region, key \
         FROM service_key_requests"
    };
}

fn key_request_from_row(row: &sqlx::any::AnyRow) -> Result<KeyRequest, StoreError> {
    Ok(KeyRequest {
        request_id: row.try_get("request_id")?,
        request_hash: row.try_get("request_hash")?,
        port_uid: row.try_get("port_uid")?,
        customer_ref: row.try_get("customer_ref")?,
        region: row.try_get("region")?,
        key: row.try_get("key")?,
    })
}

impl Store {
    /// Journals a create before it is sent. Returns the existing journal row when the request id
    /// was seen before (the caller decides between replay and reuse).
    pub async fn journal_key_request(
        &self,
        request: &KeyRequest,
    ) -> Result<Option<KeyRequest>, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO service_key_requests (request_id, request_hash, port_uid, customer_ref, \
             region, key, create_time) VALUES ($1, $2, $3, $4, $5, NULL, $6) \
             ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(&request.request_id)
        .bind(&request.request_hash)
        .bind(&request.port_uid)
        .bind(&request.customer_ref)
        .bind(&request.region)
        .bind(millis(OffsetDateTime::now_utc()))
        .execute(self.pool())
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(None);
        }
        let row = sqlx::query(concat!(key_request_select!(), " WHERE request_id = $1"))
            .bind(&request.request_id)
            .fetch_one(self.pool())
            .await?;
        Ok(Some(key_request_from_row(&row)?))
    }

    /// The journaled creates Megaport has not answered yet (or whose answer was lost).
    pub async fn pending_key_requests(&self) -> Result<Vec<KeyRequest>, StoreError> {
        let rows = sqlx::query(concat!(key_request_select!(), " WHERE key IS NULL"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(key_request_from_row).collect()
    }

    /// Records the minted key in the journal and the ledger, in one transaction.
    pub async fn complete_key_request(
        &self,
        request_id: &str,
        entry: &LedgerEntry,
        request_hash: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write_transaction().await?;
        sqlx::query("UPDATE service_key_requests SET key = $1 WHERE request_id = $2")
            .bind(&entry.key)
            .bind(request_id)
            .execute(&mut *transaction)
            .await?;
        let held = sqlx::query("UPDATE vlan_holds SET key = $1 WHERE request_id = $2")
            .bind(&entry.key)
            .bind(request_id)
            .execute(&mut *transaction)
            .await?;
        if let (0, true, Some(vlan)) = (held.rows_affected(), entry.single_use, entry.vlan) {
            // A key whose VLAN was not chosen here (a create recovered from its stamp): it
            // holds what Megaport says it holds, unless another hold already claims that.
            sqlx::query(
                "INSERT INTO vlan_holds (port_uid, vlan, request_id, key) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&entry.port_uid)
            .bind(i64::from(vlan))
            .bind(request_id)
            .bind(&entry.key)
            .execute(&mut *transaction)
            .await?;
        }
        sqlx::query(
            "INSERT INTO service_keys (key, port_uid, single_use, vlan, customer_ref, region, \
             request_id, request_hash, create_time, rotated_from, peering) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&entry.key)
        .bind(&entry.port_uid)
        .bind(i64::from(entry.single_use))
        .bind(entry.vlan)
        .bind(&entry.customer_ref)
        .bind(&entry.region)
        .bind(request_id)
        .bind(request_hash)
        .bind(millis(
            entry.create_time.unwrap_or_else(OffsetDateTime::now_utc),
        ))
        .bind(&entry.rotated_from)
        .bind(
            entry
                .peering
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|error| StoreError::Corrupt(format!("peering profile: {error}")))?,
        )
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Names `new` as the key that replaced `old` (the replacement already names `old`).
    pub async fn link_rotation(&self, old: &str, new: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE service_keys SET rotated_to = $1 WHERE key = $2")
            .bind(new)
            .bind(old)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets a journaled create that provably did not happen (Megaport refused it), and the
    /// VLAN it held.
    pub async fn abandon_key_request(&self, request_id: &str) -> Result<(), StoreError> {
        let mut transaction = self.write_transaction().await?;
        for table in ["service_key_requests", "vlan_holds"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE request_id = $1 AND key IS NULL"
            )))
            .bind(request_id)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Holds `vlan` on the Port for the create `request_id`, in place of any VLAN that create
    /// held before. False when another create or key holds it: the database, not a lease,
    /// decides, so two replicas never hold one VLAN on one Port.
    pub async fn hold_vlan(
        &self,
        request_id: &str,
        port_uid: &str,
        vlan: i32,
    ) -> Result<bool, StoreError> {
        let mut transaction = self.write_transaction().await?;
        sqlx::query("DELETE FROM vlan_holds WHERE request_id = $1 AND key IS NULL")
            .bind(request_id)
            .execute(&mut *transaction)
            .await?;
        let held = sqlx::query(
            "INSERT INTO vlan_holds (port_uid, vlan, request_id) VALUES ($1, $2, $3) \
             ON CONFLICT (port_uid, vlan) DO NOTHING",
        )
        .bind(port_uid)
        .bind(i64::from(vlan))
        .bind(request_id)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(held.rows_affected() == 1)
    }

    pub async fn ledger_entry(&self, key: &str) -> Result<Option<LedgerEntry>, StoreError> {
        let row = sqlx::query(concat!(ledger_select!(), " WHERE key = $1"))
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| ledger_from_row(&row)).transpose()
    }

    /// Every ledger entry (keys onramp minted), for the watcher and listings.
    pub async fn ledger(&self) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows = sqlx::query(ledger_select!()).fetch_all(self.pool()).await?;
        rows.iter().map(ledger_from_row).collect()
    }

    /// VLANs held on a Port: by single-use keys onramp minted that are neither used nor
    /// deactivated, and by creates on their way to Megaport.
    pub async fn reserved_vlans(&self, port_uid: &str) -> Result<Vec<i32>, StoreError> {
        let rows = sqlx::query("SELECT vlan FROM vlan_holds WHERE port_uid = $1 ORDER BY vlan")
            .bind(port_uid)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let vlan: i64 = row.try_get("vlan")?;
                i32::try_from(vlan).map_err(|_| StoreError::Corrupt(format!("vlan {vlan}")))
            })
            .collect()
    }

    /// Records that a key was deactivated: its VLAN is free again.
    pub async fn mark_key_deactivated(&self, key: &str) -> Result<(), StoreError> {
        let mut transaction = self.write_transaction().await?;
        sqlx::query("UPDATE service_keys SET deactivated = 1 WHERE key = $1")
            .bind(key)
            .execute(&mut *transaction)
            .await?;
        release_vlan(&mut transaction, key).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Records that a single-use key was used, and the VXC it became when known.
    pub async fn mark_key_used(
        &self,
        key: &str,
        vxc_uid: Option<&str>,
        used_time: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write_transaction().await?;
        sqlx::query(
            "UPDATE service_keys SET used_time = COALESCE(used_time, $1), \
             vxc_uid = COALESCE(vxc_uid, $2) WHERE key = $3",
        )
        .bind(millis(used_time))
        .bind(vxc_uid)
        .bind(key)
        .execute(&mut *transaction)
        .await?;
        // The VLAN is the VXC's now, which the Port's VXC list shows.
        release_vlan(&mut transaction, key).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// The stored response of an earlier call with this request id: (rpc, request hash, bytes).
    pub async fn stored_response(
        &self,
        request_id: &str,
    ) -> Result<Option<(String, String, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT rpc, request_hash, response FROM idempotent_responses WHERE request_id = $1",
        )
        .bind(request_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok((
                row.try_get("rpc")?,
                row.try_get("request_hash")?,
                row.try_get("response")?,
            ))
        })
        .transpose()
    }

    pub async fn store_response(
        &self,
        request_id: &str,
        rpc: &str,
        request_hash: &str,
        response: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO idempotent_responses (request_id, rpc, request_hash, response, create_time) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(request_id)
        .bind(rpc)
        .bind(request_hash)
        .bind(response)
        .bind(millis(OffsetDateTime::now_utc()))
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

async fn release_vlan(
    transaction: &mut sqlx::Transaction<'static, sqlx::Any>,
    key: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM vlan_holds WHERE key = $1")
        .bind(key)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

fn ledger_from_row(row: &sqlx::any::AnyRow) -> Result<LedgerEntry, StoreError> {
    Ok(LedgerEntry {
        key: row.try_get("key")?,
        port_uid: row.try_get("port_uid")?,
        single_use: row.try_get::<i64, _>("single_use")? != 0,
        vlan: row.try_get("vlan")?,
        customer_ref: row.try_get("customer_ref")?,
        region: row.try_get("region")?,
        request_id: row.try_get("request_id")?,
        create_time: Some(from_millis(row.try_get("create_time")?)?),
        deactivated: row.try_get::<i64, _>("deactivated")? != 0,
        vxc_uid: row.try_get("vxc_uid")?,
        used_time: row
            .try_get::<Option<i64>, _>("used_time")?
            .map(from_millis)
            .transpose()?,
        rotated_from: row.try_get("rotated_from")?,
        rotated_to: row.try_get("rotated_to")?,
        peering: row
            .try_get::<Option<String>, _>("peering")?
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|error| StoreError::Corrupt(format!("peering profile: {error}")))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, vlan: i32) -> LedgerEntry {
        LedgerEntry {
            key: key.into(),
            port_uid: "port".into(),
            single_use: true,
            vlan: Some(vlan),
            ..LedgerEntry::default()
        }
    }

    contract_test! {
        async fn journal_then_complete_then_reserve_until_used(store: Store) {
            let request = KeyRequest {
                request_id: "r1".into(),
                request_hash: "h".into(),
                port_uid: "port".into(),
                customer_ref: "acme".into(),
                region: "us-west".into(),
                key: None,
            };
            assert_eq!(
                store.journal_key_request(&request).await.expect("journal"),
                None
            );
            // The VLAN is held from the moment it is chosen; a second create cannot hold it.
            assert!(store.hold_vlan("r1", "port", 101).await.expect("hold"));
            assert!(!store.hold_vlan("r2", "port", 101).await.expect("held by r1"));
            assert!(store.hold_vlan("r2", "other-port", 101).await.expect("another port"));
            assert!(store.hold_vlan("r1", "port", 100).await.expect("r1 chooses again"));
            assert_eq!(store.reserved_vlans("port").await.expect("vlans"), [100]);
            assert!(store.hold_vlan("r2", "port", 101).await.expect("101 is free again"));
            store.abandon_key_request("r2").await.expect("r2 refused by megaport");
            assert_eq!(store.reserved_vlans("port").await.expect("vlans"), [100]);
            let seen = store.journal_key_request(&request).await.expect("again");
            assert_eq!(
                seen.expect("seen").key,
                None,
                "pending: outcome not yet known"
            );
            // Until it completes, the journal row attributes the key to its customer and region.
            assert_eq!(
                store.pending_key_requests().await.expect("pending"),
                std::slice::from_ref(&request)
            );

            store
                .complete_key_request("r1", &entry("k1", 100), "h")
                .await
                .expect("complete");
            let seen = store.journal_key_request(&request).await.expect("replay");
            assert_eq!(seen.expect("seen").key.as_deref(), Some("k1"));
            assert!(
                store
                    .pending_key_requests()
                    .await
                    .expect("pending")
                    .is_empty()
            );
            assert_eq!(store.reserved_vlans("port").await.expect("vlans"), [100]);
            assert!(!store.hold_vlan("r3", "port", 100).await.expect("held by k1"));

            store
                .mark_key_used("k1", Some("vxc-1"), OffsetDateTime::now_utc())
                .await
                .expect("used");
            assert!(
                store
                    .reserved_vlans("port")
                    .await
                    .expect("vlans")
                    .is_empty()
            );
            let ledger = store.ledger_entry("k1").await.expect("get").expect("row");
            assert_eq!(ledger.vxc_uid.as_deref(), Some("vxc-1"));
        }
    }

    contract_test! {
        async fn the_first_stored_response_of_a_request_id_stays(store: Store) {
            assert_eq!(store.stored_response("r").await.expect("none"), None);
            let bytes = vec![0_u8, 255, 10, 13, 0];
            store.store_response("r", "/Issue", "h1", &bytes).await.expect("store");
            store.store_response("r", "/Issue", "h2", b"later").await.expect("second");
            assert_eq!(
                store.stored_response("r").await.expect("stored"),
                Some(("/Issue".to_owned(), "h1".to_owned(), bytes))
            );
        }
    }
}
