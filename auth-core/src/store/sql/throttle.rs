//! Throttle counters in SQL: one upsert per attempt, so concurrent replicas count together.

use super::{SqlStore, execute, on_pool};
use crate::store::{StoreError, ThrottleStore};
use async_trait::async_trait;

#[async_trait]
impl ThrottleStore for SqlStore {
    async fn throttle_counts(&self, keys: &[&str]) -> Result<Vec<(String, i64, i64)>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are formatted in; the keys are bound.
        let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT key, count, window_start FROM throttle_counters WHERE key IN ({})",
            placeholders.join(", ")
        ));
        Ok(on_pool!(self, pool => {
            let mut query = sqlx::query_as(sql);
            for key in keys {
                query = query.bind(*key);
            }
            query.fetch_all(pool).await
        })?)
    }

    async fn throttle_hit(
        &self,
        key: &str,
        now: i64,
        window_floor: i64,
    ) -> Result<(i64, i64), StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "INSERT INTO throttle_counters (key, window_start, count) VALUES ($1, $2, 1) \
                 ON CONFLICT (key) DO UPDATE SET \
                   count = CASE WHEN throttle_counters.window_start <= $3 THEN 1 \
                                ELSE throttle_counters.count + 1 END, \
                   window_start = CASE WHEN throttle_counters.window_start <= $3 THEN $2 \
                                       ELSE throttle_counters.window_start END \
                 RETURNING count, window_start",
            )
            .bind(key)
            .bind(now)
            .bind(window_floor)
            .fetch_one(pool)
            .await
        })?)
    }

    async fn throttle_reset(&self, key: &str) -> Result<(), StoreError> {
        execute!(self, "DELETE FROM throttle_counters WHERE key = $1", key)?;
        Ok(())
    }
}
