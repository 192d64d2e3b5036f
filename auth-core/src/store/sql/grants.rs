//! The authorization code flow and refresh tokens in SQL.
//!
//! Single use is one conditional `UPDATE ... WHERE used_at IS NULL` (or `rotated_at IS NULL`)
//! inside the transaction that records what it issues; its row count says who won.

use super::{Pool, SqlStore, WritePool, amr, execute, on_pool, token_hash, user_id};
use crate::clients::ClientId;
use crate::secrets::TokenHash;
use crate::store::{
    GrantStore, IssuedAccess, NewRefreshToken, Replacement, StoreError, StoredCode,
    StoredRefreshToken, StoredRequest, TokenFamily,
};
use crate::users::UserId;
use async_trait::async_trait;

/// Records a new grant in the transaction `$tx`: its family, its first refresh token (if any)
/// and the id of its first access token. Written once for the grants that start a family (code,
/// device code); a macro because the transaction's type differs per backend.
macro_rules! record_grant {
    ($tx:expr, $now:expr, $family:expr, $refresh:expr, $access:expr) => {{
        let (family, refresh, access): (&TokenFamily, Option<&NewRefreshToken>, &IssuedAccess) =
            ($family, $refresh, $access);
        sqlx::query(
            "INSERT INTO token_families (id, client_id, user_id, session_id, scope, auth_time, amr, \
             created_at, client_registration, dpop_jkt, resources) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&family.id)
        .bind(&family.client_id)
        .bind(family.user_id.as_str())
        .bind(&family.session_id)
        .bind(&family.scope)
        .bind(family.auth_time)
        .bind(family.amr.join(" "))
        .bind(family.created_at)
        .bind(&family.client_registration)
        .bind(&family.dpop_jkt)
        .bind(family.resources.join(" "))
        .execute(&mut *$tx)
        .await?;
        if let Some(refresh) = refresh {
            sqlx::query(
                "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at, \
                 access_jti, access_expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(refresh.hash.as_bytes())
            .bind(&family.id)
            .bind($now)
            .bind(refresh.expires_at)
            .bind(&access.jti)
            .bind(access.expires_at)
            .execute(&mut *$tx)
            .await?;
        }
        sqlx::query("INSERT INTO family_access_tokens (jti, family_id, expires_at) VALUES ($1, $2, $3)")
            .bind(&access.jti)
            .bind(&family.id)
            .bind(access.expires_at)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(super) use record_grant;

#[derive(sqlx::FromRow)]
struct RequestRow {
    client_id: String,
    request: String,
    browser_hash: Vec<u8>,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    client_id: String,
    user_id: String,
    session_id: Option<String>,
    redirect_uri: Option<String>,
    scope: String,
    nonce: Option<String>,
    code_challenge: String,
    auth_time: i64,
    amr: String,
    family_id: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    dpop_jkt: Option<String>,
    resources: String,
}

/// A refresh token with its family (the family's columns as [`FamilyRow`] names them).
#[derive(sqlx::FromRow)]
struct RefreshRow {
    #[sqlx(flatten)]
    family: FamilyRow,
    token_created_at: i64,
    expires_at: i64,
    rotated_at: Option<i64>,
    replaced_by: Option<Vec<u8>>,
}

#[derive(sqlx::FromRow)]
struct FamilyRow {
    id: String,
    client_id: String,
    user_id: String,
    session_id: Option<String>,
    scope: String,
    auth_time: i64,
    amr: String,
    created_at: i64,
    revoked_at: Option<i64>,
    client_registration: String,
    dpop_jkt: Option<String>,
    resources: String,
}

impl FamilyRow {
    fn into_family(self) -> Result<TokenFamily, StoreError> {
        Ok(TokenFamily {
            id: self.id,
            client_id: self.client_id,
            user_id: user_id(&self.user_id)?,
            session_id: self.session_id,
            scope: self.scope,
            auth_time: self.auth_time,
            amr: amr(&self.amr),
            created_at: self.created_at,
            revoked_at: self.revoked_at,
            client_registration: self.client_registration,
            dpop_jkt: self.dpop_jkt,
            resources: words(&self.resources),
        })
    }
}

/// The columns of a [`FamilyRow`] of `token_families f`.
macro_rules! family_columns {
    () => {
        "f.id, f.client_id, f.user_id, f.session_id, f.scope, f.auth_time, f.amr, f.created_at, \
         f.revoked_at, f.client_registration, f.dpop_jkt, f.resources"
    };
}

#[async_trait]
impl GrantStore for SqlStore {
    async fn insert_authorization_request(
        &self,
        handle_hash: &TokenHash,
        client_id: &str,
        request: &str,
        browser_hash: &TokenHash,
        created_at: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO authorization_requests (handle_hash, client_id, request, browser_hash, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            handle_hash.as_bytes(),
            client_id,
            request,
            browser_hash.as_bytes(),
            created_at,
            expires_at
        )?;
        Ok(())
    }

    async fn authorization_request(
        &self,
        handle_hash: &TokenHash,
        now: i64,
    ) -> Result<Option<StoredRequest>, StoreError> {
        let row: Option<RequestRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT client_id, request, browser_hash, created_at FROM authorization_requests \
                 WHERE handle_hash = $1 AND expires_at > $2",
            )
            .bind(handle_hash.as_bytes())
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        row.map(|r| {
            Ok(StoredRequest {
                browser_hash: token_hash("authorization request browser", &r.browser_hash)?,
                client_id: r.client_id,
                request: r.request,
                created_at: r.created_at,
            })
        })
        .transpose()
    }

    async fn delete_authorization_request(
        &self,
        handle_hash: &TokenHash,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "DELETE FROM authorization_requests WHERE handle_hash = $1",
            handle_hash.as_bytes()
        )?;
        Ok(())
    }

    async fn consent(
        &self,
        user: &UserId,
        client: &ClientId,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2")
                .bind(user.as_str())
                .bind(client.as_str())
                .fetch_optional(pool)
                .await
        })?)
    }

    async fn save_consent(
        &self,
        user: &UserId,
        client: &ClientId,
        scope: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scope = $3, granted_at = $4",
            user.as_str(),
            client.as_str(),
            scope,
            now
        )?;
        Ok(())
    }

    async fn insert_code(
        &self,
        code_hash: &TokenHash,
        code: &StoredCode,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO authorization_codes (code_hash, client_id, user_id, session_id, redirect_uri, \
             scope, nonce, code_challenge, auth_time, amr, family_id, created_at, expires_at, dpop_jkt, \
             resources) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            code_hash.as_bytes(),
            &code.client_id,
            code.user_id.as_str(),
            &code.session_id,
            &code.redirect_uri,
            &code.scope,
            &code.nonce,
            &code.code_challenge,
            code.auth_time,
            code.amr.join(" "),
            &code.family_id,
            code.created_at,
            code.expires_at,
            &code.dpop_jkt,
            code.resources.join(" ")
        )?;
        Ok(())
    }

    async fn authorization_code(
        &self,
        code_hash: &TokenHash,
    ) -> Result<Option<StoredCode>, StoreError> {
        let row: Option<CodeRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT client_id, user_id, session_id, redirect_uri, scope, nonce, code_challenge, \
                 auth_time, amr, family_id, created_at, expires_at, used_at, dpop_jkt, resources \
                 FROM authorization_codes WHERE code_hash = $1",
            )
            .bind(code_hash.as_bytes())
            .fetch_optional(pool)
            .await
        })?;
        row.map(|r| {
            Ok(StoredCode {
                user_id: user_id(&r.user_id)?,
                amr: amr(&r.amr),
                client_id: r.client_id,
                session_id: r.session_id,
                redirect_uri: r.redirect_uri,
                scope: r.scope,
                nonce: r.nonce,
                code_challenge: r.code_challenge,
                auth_time: r.auth_time,
                family_id: r.family_id,
                created_at: r.created_at,
                expires_at: r.expires_at,
                used_at: r.used_at,
                dpop_jkt: r.dpop_jkt,
                resources: words(&r.resources),
            })
        })
        .transpose()
    }

    async fn redeem_code(
        &self,
        code_hash: &TokenHash,
        now: i64,
        family: &TokenFamily,
        refresh: Option<&NewRefreshToken>,
        access: &IssuedAccess,
    ) -> Result<bool, StoreError> {
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let claimed = execute!(
                &mut *tx,
                "UPDATE authorization_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL",
                code_hash.as_bytes(),
                now,
            )?;
            if claimed == 1 {
                record_grant!(tx, now, family, refresh, access);
                tx.commit().await?;
            }
            claimed == 1
        }))
    }

    async fn refresh_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(StoredRefreshToken, TokenFamily)>, StoreError> {
        let row: Option<RefreshRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                family_columns!(),
                ", r.created_at AS token_created_at, r.expires_at, r.rotated_at, r.replaced_by \
                 FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id WHERE r.token_hash = $1",
            ))
            .bind(hash.as_bytes())
            .fetch_optional(pool)
            .await
        })?;
        row.map(|r| {
            let token = StoredRefreshToken {
                family_id: r.family.id.clone(),
                created_at: r.token_created_at,
                expires_at: r.expires_at,
                rotated_at: r.rotated_at,
                replaced_by: r.replaced_by.as_deref().and_then(TokenHash::from_slice),
            };
            Ok((token, r.family.into_family()?))
        })
        .transpose()
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &TokenHash,
        now: i64,
        family_id: &str,
        new: &NewRefreshToken,
        access: &IssuedAccess,
    ) -> Result<bool, StoreError> {
        // Both forms name the same arguments `$1` to `$7`.
        macro_rules! rotation_arguments {
            ($query:expr) => {
                $query
                    .bind(old_hash.as_bytes())
                    .bind(now)
                    .bind(new.hash.as_bytes())
                    .bind(family_id)
                    .bind(new.expires_at)
                    .bind(&access.jti)
                    .bind(access.expires_at)
            };
        }
        let claimed = match &self.pool {
            // SQLite has one write lock per database, and every statement is a round trip to
            // the connection's worker thread, which then waits for a tokio worker to pick up
            // the answer; the round trips made while holding the lock bound the rate of
            // concurrent rotations (about 1,500/s with the lock taken by `BEGIN IMMEDIATE` and
            // held over five round trips, 2,000/s as here; docs/performance.md). So the
            // transaction starts deferred (`BEGIN` takes no lock) and its first statement is
            // the write that takes the lock: with no read before it, SQLite waits for the lock
            // and then reads a fresh snapshot, as after `BEGIN IMMEDIATE`. The three statements
            // go as one batch (`$n` names the same argument in each); the inserts run only when
            // the update claimed the old token (`changes()` counts the rows of the statement
            // before). The lock is held over two round trips: the batch and `COMMIT`.
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                let changed = rotation_arguments!(sqlx::query(
                    "UPDATE refresh_tokens SET rotated_at = $2, replaced_by = $3 WHERE token_hash = $1 AND rotated_at IS NULL; \
                     INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at, access_jti, access_expires_at) \
                     SELECT $3, $4, $2, $5, $6, $7 WHERE changes() = 1; \
                     INSERT INTO family_access_tokens (jti, family_id, expires_at) \
                     SELECT $6, $4, $7 WHERE changes() = 1",
                ))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                match changed {
                    0 => false,
                    3 => {
                        tx.commit().await?;
                        true
                    }
                    // Dropping `tx` rolls the partial rotation back.
                    other => {
                        return Err(StoreError::Corrupt(format!(
                            "rotating a refresh token changed {other} rows instead of 3"
                        )));
                    }
                }
            }
            // PostgreSQL prepares no multi-statement queries, but runs data-modifying CTEs:
            // one statement, atomic on its own, claims the old token and records the new one
            // and the access token id only if the claim took a row (every CTE runs, read or
            // not). A concurrent rotation of the same token waits for the row lock and then
            // finds it rotated. One round trip instead of five.
            Pool::Postgres(pool) => {
                rotation_arguments!(sqlx::query(
                    "WITH claimed AS ( \
                         UPDATE refresh_tokens SET rotated_at = $2, replaced_by = $3 \
                         WHERE token_hash = $1 AND rotated_at IS NULL RETURNING family_id), \
                     stored AS ( \
                         INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at, access_jti, access_expires_at) \
                         SELECT $3, $4, $2, $5, $6, $7 FROM claimed) \
                     INSERT INTO family_access_tokens (jti, family_id, expires_at) \
                     SELECT $6, $4, $7 FROM claimed",
                ))
                .execute(pool)
                .await?
                .rows_affected()
                    == 1
            }
        };
        Ok(claimed)
    }

    async fn replace_unreceived_refresh_token(
        &self,
        old_hash: &TokenHash,
        successor: &TokenHash,
        now: i64,
        family_id: &str,
        new: &NewRefreshToken,
        access: &IssuedAccess,
    ) -> Result<Replacement, StoreError> {
        let replaced = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The successor is retired only while unused and still the old token's successor:
            // of concurrent retries exactly one gets past this statement.
            let retired = execute!(
                &mut *tx,
                "UPDATE refresh_tokens SET rotated_at = $3 \
                 WHERE token_hash = $2 AND family_id = $4 AND rotated_at IS NULL \
                 AND EXISTS (SELECT 1 FROM refresh_tokens o WHERE o.token_hash = $1 AND o.replaced_by = $2)",
                old_hash.as_bytes(),
                successor.as_bytes(),
                now,
                family_id,
            )?;
            if retired != 1 {
                // Used by the client (it has a successor of its own), or replaced by a
                // concurrent retry (retired without one).
                let used: Option<Option<Vec<u8>>> = sqlx::query_scalar(
                    "SELECT replaced_by FROM refresh_tokens WHERE token_hash = $1",
                )
                .bind(successor.as_bytes())
                .fetch_optional(&mut *tx)
                .await?;
                return Ok(match used {
                    Some(Some(_)) => Replacement::SuccessorUsed,
                    _ => Replacement::Lost,
                });
            }
            // The access token answered with the successor was never received either.
            execute!(
                &mut *tx,
                "INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) \
                 SELECT access_jti, access_expires_at, unixepoch() FROM refresh_tokens \
                 WHERE token_hash = $1 AND access_jti IS NOT NULL AND access_expires_at IS NOT NULL \
                 ON CONFLICT (jti) DO NOTHING",
                successor.as_bytes(),
            )?;
            execute!(
                &mut *tx,
                "UPDATE refresh_tokens SET replaced_by = $2 WHERE token_hash = $1",
                old_hash.as_bytes(),
                new.hash.as_bytes(),
            )?;
            execute!(
                &mut *tx,
                "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at, \
                 access_jti, access_expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                new.hash.as_bytes(),
                family_id,
                now,
                new.expires_at,
                &access.jti,
                access.expires_at,
            )?;
            execute!(
                &mut *tx,
                "INSERT INTO family_access_tokens (jti, family_id, expires_at) VALUES ($1, $2, $3)",
                &access.jti,
                family_id,
                access.expires_at,
            )?;
            tx.commit().await?;
            Ok::<_, StoreError>(Replacement::Replaced)
        })?;
        if replaced == Replacement::Replaced {
            self.caches.revocations_changed();
        }
        Ok(replaced)
    }

    async fn revoke_family(&self, family_id: &str) -> Result<(), StoreError> {
        execute!(
            self,
            "UPDATE token_families SET revoked_at = unixepoch() WHERE id = $1 AND revoked_at IS NULL",
            family_id
        )?;
        self.caches.revocations_changed();
        Ok(())
    }

    async fn record_exchanged_access_token(
        &self,
        family_id: &str,
        access: &IssuedAccess,
    ) -> Result<bool, StoreError> {
        // One statement: the token is recorded only in a family not revoked at that moment. A
        // revocation after it is stamped later, so every replica's revocation feed sees it.
        let recorded = execute!(
            self,
            "INSERT INTO family_access_tokens (jti, family_id, expires_at) \
             SELECT $1, id, $3 FROM token_families WHERE id = $2 AND revoked_at IS NULL",
            &access.jti,
            family_id,
            access.expires_at
        )?;
        Ok(recorded == 1)
    }

    async fn family_of_access_token(&self, jti: &str) -> Result<Option<TokenFamily>, StoreError> {
        let row: Option<FamilyRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                family_columns!(),
                " FROM family_access_tokens a JOIN token_families f ON f.id = a.family_id WHERE a.jti = $1",
            ))
            .bind(jti)
            .fetch_optional(pool)
            .await
        })?;
        row.map(FamilyRow::into_family).transpose()
    }
}

/// A space-separated list, as stored.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}
