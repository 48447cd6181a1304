//! The `regions` table.

use sqlx::Row;

use super::{Store, StoreError, from_millis, millis};
use crate::changes::ChangeKind;
use onramp_core::ports::InsertOutcome;
use onramp_core::regions::{Region, Selector};

impl Store {
    /// Inserts a new region, unless its name or `request_id` is already taken.
    pub async fn insert_region(
        &self,
        region: &Region,
        request_id: Option<&str>,
        request_hash: &str,
    ) -> Result<InsertOutcome, StoreError> {
        let mut transaction = self.write_transaction().await?;
        if let Some(request_id) = request_id {
            let seen = sqlx::query("SELECT name, request_hash FROM regions WHERE request_id = $1")
                .bind(request_id)
                .fetch_optional(&mut *transaction)
                .await?;
            if let Some(row) = seen {
                return Ok(InsertOutcome::RequestSeen {
                    name: row.try_get("name")?,
                    request_hash: row
                        .try_get::<Option<String>, _>("request_hash")?
                        .unwrap_or_default(),
                });
            }
        }
        let result = sqlx::query(
            "INSERT INTO regions (name, display_name, description, selector_json, create_time, \
             update_time, request_id, request_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&region.name)
        .bind(&region.display_name)
        .bind(&region.description)
        .bind(selector_json(&region.selector)?)
        .bind(millis(region.create_time))
        .bind(millis(region.update_time))
        .bind(request_id)
        .bind(request_hash)
        .execute(&mut *transaction)
        .await?;
        if result.rows_affected() == 0 {
            return Ok(InsertOutcome::NameTaken);
        }
        self.commit_with_change(transaction, ChangeKind::Regions, &region.name)
            .await?;
        Ok(InsertOutcome::Inserted)
    }

    /// Inserts or replaces a region declared in the regions file (no request id).
    pub async fn upsert_region(&self, region: &Region) -> Result<(), StoreError> {
        let mut transaction = self.write_transaction().await?;
        let result = sqlx::query(
            "INSERT INTO regions (name, display_name, description, selector_json, create_time, \
             update_time) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name, \
             description = excluded.description, selector_json = excluded.selector_json, \
             update_time = excluded.update_time \
             WHERE regions.display_name != excluded.display_name \
                OR regions.description != excluded.description \
                OR regions.selector_json != excluded.selector_json",
        )
        .bind(&region.name)
        .bind(&region.display_name)
        .bind(&region.description)
        .bind(selector_json(&region.selector)?)
        .bind(millis(region.create_time))
        .bind(millis(region.update_time))
        .execute(&mut *transaction)
        .await?;
        if result.rows_affected() == 1 {
            self.commit_with_change(transaction, ChangeKind::Regions, &region.name)
                .await?;
        }
        Ok(())
    }

    pub async fn region(&self, name: &str) -> Result<Option<Region>, StoreError> {
        let row = sqlx::query(
            "SELECT name, display_name, description, selector_json, create_time, update_time \
             FROM regions WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| region_from_row(&row)).transpose()
    }

    /// Every region, by name.
    pub async fn regions(&self) -> Result<Vec<Region>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, display_name, description, selector_json, create_time, update_time \
             FROM regions ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(region_from_row).collect()
    }

    /// Regions after `after` (exclusive) by name, at most `limit`.
    pub async fn regions_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Region>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, display_name, description, selector_json, create_time, update_time \
             FROM regions WHERE name > $1 ORDER BY name LIMIT $2",
        )
        .bind(after.unwrap_or(""))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(region_from_row).collect()
    }

    /// Replaces the mutable fields; returns false when no such region exists.
    pub async fn update_region(&self, region: &Region) -> Result<bool, StoreError> {
        let mut transaction = self.write_transaction().await?;
        let result = sqlx::query(
            "UPDATE regions SET display_name = $1, description = $2, selector_json = $3, \
             update_time = $4 WHERE name = $5",
        )
        .bind(&region.display_name)
        .bind(&region.description)
        .bind(selector_json(&region.selector)?)
        .bind(millis(region.update_time))
        .bind(&region.name)
        .execute(&mut *transaction)
        .await?;
        if result.rows_affected() == 0 {
            return Ok(false);
        }
        self.commit_with_change(transaction, ChangeKind::Regions, &region.name)
            .await?;
        Ok(true)
    }

    /// Deletes a region; returns false when no such region exists.
    pub async fn delete_region(&self, name: &str) -> Result<bool, StoreError> {
        let mut transaction = self.write_transaction().await?;
        let result = sqlx::query("DELETE FROM regions WHERE name = $1")
            .bind(name)
            .execute(&mut *transaction)
            .await?;
        if result.rows_affected() == 0 {
            return Ok(false);
        }
        self.commit_with_change(transaction, ChangeKind::Regions, name)
            .await?;
        Ok(true)
    }
}

fn selector_json(selector: &Selector) -> Result<String, StoreError> {
    serde_json::to_string(selector).map_err(|error| StoreError::Corrupt(error.to_string()))
}

fn region_from_row(row: &sqlx::any::AnyRow) -> Result<Region, StoreError> {
    let selector: Selector = serde_json::from_str(&row.try_get::<String, _>("selector_json")?)
        .map_err(|error| StoreError::Corrupt(format!("region selector: {error}")))?;
    Ok(Region {
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        selector,
        create_time: from_millis(row.try_get("create_time")?)?,
        update_time: from_millis(row.try_get("update_time")?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(name: &str) -> Region {
        let now = onramp_core::time::now_millis();
        Region {
            name: name.to_owned(),
            display_name: "US-West".to_owned(),
            description: String::new(),
            selector: Selector {
                location_ids: vec![59, 60],
                ..Selector::default()
            },
            create_time: now,
            update_time: now,
        }
    }

    contract_test! {
        async fn insert_is_idempotent_per_request_id_and_unique_per_name(store: Store) {
            let first = region("us-west");
            assert_eq!(
                store
                    .insert_region(&first, Some("r1"), "h1")
                    .await
                    .expect("insert"),
                InsertOutcome::Inserted
            );
            assert_eq!(
                store
                    .insert_region(&first, Some("r1"), "h1")
                    .await
                    .expect("replay"),
                InsertOutcome::RequestSeen {
                    request_hash: "h1".into(),
                    name: "us-west".into()
                }
            );
            assert_eq!(
                store
                    .insert_region(&first, Some("r2"), "h2")
                    .await
                    .expect("dup"),
                InsertOutcome::NameTaken
            );
            assert_eq!(store.region("us-west").await.expect("get"), Some(first));
        }
    }

    contract_test! {
        async fn pages_update_and_delete(store: Store) {
            for name in ["a", "b", "c"] {
                store
                    .insert_region(&region(name), None, "")
                    .await
                    .expect("insert");
            }
            let page = store.regions_page(Some("a"), 1).await.expect("page");
            assert_eq!(page[0].name, "b");
            let mut changed = region("b");
            changed.display_name = "Bee".into();
            assert!(store.update_region(&changed).await.expect("update"));
            assert_eq!(
                store
                    .region("b")
                    .await
                    .expect("get")
                    .expect("row")
                    .display_name,
                "Bee"
            );
            assert!(store.delete_region("b").await.expect("delete"));
            assert!(!store.delete_region("b").await.expect("delete again"));
        }
    }
}
