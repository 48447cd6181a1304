//! What happened to each key's peering profile on the VXCs bought with it
//! (`peering_deliveries`): one row per VXC, written by whichever replica sent the profile.

use sqlx::Row;

use super::{Store, StoreError};
use onramp_core::peering::{Delivery, DeliveryState};

impl Store {
    pub async fn record_delivery(&self, delivery: &Delivery) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO peering_deliveries (vxc_uid, key, state, message, update_time) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (vxc_uid) DO UPDATE SET key = excluded.key, state = excluded.state, \
             message = excluded.message, update_time = excluded.update_time",
        )
        .bind(&delivery.vxc_uid)
        .bind(&delivery.key)
        .bind(delivery.state.as_str())
        .bind(&delivery.message)
        .bind(delivery.update_time_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delivery(&self, vxc_uid: &str) -> Result<Option<Delivery>, StoreError> {
        sqlx::query(
            "SELECT vxc_uid, key, state, message, update_time FROM peering_deliveries \
             WHERE vxc_uid = $1",
        )
        .bind(vxc_uid)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(delivery_from_row)
        .transpose()
    }

    pub async fn deliveries_in(&self, state: DeliveryState) -> Result<Vec<Delivery>, StoreError> {
        sqlx::query(
            "SELECT vxc_uid, key, state, message, update_time FROM peering_deliveries \
             WHERE state = $1 ORDER BY update_time, vxc_uid",
        )
        .bind(state.as_str())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(delivery_from_row)
        .collect()
    }
}

fn delivery_from_row(row: &sqlx::any::AnyRow) -> Result<Delivery, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(Delivery {
        vxc_uid: row.try_get("vxc_uid")?,
        key: row.try_get("key")?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("peering delivery state {state:?}")))?,
        message: row.try_get("message")?,
        update_time_ms: row.try_get("update_time")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    contract_test! {
        async fn a_delivery_moves_through_its_states_and_is_found_by_state(store: Store) {
            let mut delivery = Delivery {
                vxc_uid: "vxc-1".into(),
                key: "key-1".into(),
                state: DeliveryState::AwaitingLive,
                message: "megaport refused the b-end config before approval".into(),
                update_time_ms: 1000,
            };
            store.record_delivery(&delivery).await.unwrap();
            assert_eq!(store.delivery("vxc-1").await.unwrap(), Some(delivery.clone()));
            assert_eq!(
                store.deliveries_in(DeliveryState::AwaitingLive).await.unwrap(),
                vec![delivery.clone()]
            );
            delivery.state = DeliveryState::SentAfterLive;
            delivery.message.clear();
            delivery.update_time_ms = 2000;
            store.record_delivery(&delivery).await.unwrap();
            assert_eq!(store.delivery("vxc-1").await.unwrap(), Some(delivery));
            assert!(store.deliveries_in(DeliveryState::AwaitingLive).await.unwrap().is_empty());
            assert_eq!(store.delivery("vxc-2").await.unwrap(), None);
        }
    }
}
