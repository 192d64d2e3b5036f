//! The store's conformance suite: what each aggregate's trait promises (single use, rotation
//! and reuse, conflicts and missing rows as [`StoreError`] variants, what a delete takes with
//! it), checked on SQLite and on PostgreSQL with `#[both_backends]`, and the check that both
//! backends' migrations build the same schema.
//!
//! Each test gets a database of its own: an SQLite file in a temporary folder, or a PostgreSQL
//! database `auth_test_<random>` on the server at `AUTH_TEST_POSTGRES_URL` (by default
//! `postgres://postgres@127.0.0.1:5432/test`), created for the test and dropped after it. A
//! PostgreSQL variant fails when the server cannot be reached; it never passes without running.

mod accounts;
mod clients;
mod device;
mod grants;
mod keys;
mod requests;
mod schema;
mod tokens;
mod users;

use super::{Backend, PoolSettings, SqlStore};
use crate::clients::{AuthMethod, Client, ClientExtras, ClientId, GrantType, RedirectUri};
use crate::scope::Scope;
use crate::secrets::TokenHash;
use crate::sessions::Session;
use crate::store::{
    GrantStore, IssuedAccess, NewRefreshToken, SessionStore, StoredCode, TokenFamily, UserStore,
};
use crate::users::{Email, Profile, User, UserId};
use sqlx::Connection;
use std::ops::Deref;
use tempfile::TempDir;

/// A migrated store on a database of its own, removed when the value is dropped.
pub(super) struct TestStore {
    store: SqlStore,
    /// Dropped with the store: removes the database.
    _database: TestDatabase,
}

impl TestStore {
    /// A store on a fresh database, migrated.
    pub(super) async fn new(backend: Backend) -> Self {
        Self::with(backend, &PoolSettings::default()).await
    }

    /// The same, with `settings` for the pool.
    pub(super) async fn with(backend: Backend, settings: &PoolSettings) -> Self {
        let database = TestDatabase::create(backend).await;
        let store = SqlStore::connect(&database.url, settings)
            .await
            .unwrap_or_else(|e| panic!("cannot open the test database: {e}"));
        store.migrate().await.unwrap();
        Self {
            store,
            _database: database,
        }
    }
}

impl Deref for TestStore {
    type Target = SqlStore;

    fn deref(&self) -> &SqlStore {
        &self.store
    }
}

/// The PostgreSQL server the tests create their databases on.
fn postgres_admin_url() -> String {
    std::env::var("AUTH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// An empty database that exists for one test.
struct TestDatabase {
    url: String,
    /// The PostgreSQL database to drop afterwards.
    postgres_name: Option<String>,
    _folder: TempDir,
}

impl TestDatabase {
    async fn create(backend: Backend) -> Self {
        let folder = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}", folder.path().join("auth.db").display()),
                postgres_name: None,
                _folder: folder,
            },
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("auth_test_{}", uuid::Uuid::new_v4().simple());
                let mut connection =
                    sqlx::PgConnection::connect(&admin)
                        .await
                        .unwrap_or_else(|e| {
                            panic!(
                                "the PostgreSQL variant needs a server at {admin} ({e}); start one \
                             or point AUTH_TEST_POSTGRES_URL at one"
                            )
                        });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut connection)
                    .await
                    .unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    postgres_name: Some(name),
                    _folder: folder,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on: the database is
        // dropped from a thread and runtime of its own (`FORCE` closes the store's connections).
        let admin = postgres_admin_url();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut connection = sqlx::PgConnection::connect(&admin).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut connection)
                .await
                .map(|_| ())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop the test database: {e}");
        }
    }
}

/// A hash made of one repeated byte.
pub(super) fn hash(byte: u8) -> TokenHash {
    TokenHash::from_slice(&[byte; 32]).unwrap()
}

/// A user with the address `email`, stored.
pub(super) async fn user(store: &SqlStore, email: &str) -> User {
    let user = User {
        id: UserId::generate(),
        email: Email::parse(email).unwrap(),
        email_verified: false,
        password_hash: None,
        profile: Profile::default(),
        phone_number: None,
        disabled_at: None,
        created_at: 1,
        updated_at: 1,
    };
    store.insert_user(&user, &[], 1).await.unwrap();
    user
}

/// A confidential client for the code flow, not stored.
pub(super) fn client(id: &str) -> Client {
    Client {
        id: ClientId::parse(id).unwrap(),
        name: format!("Client {id}"),
        auth_method: AuthMethod::ClientSecretBasic,
        secret_hash: Some(hash(9)),
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scope: Scope::parse("openid profile").unwrap(),
        redirect_uris: vec![RedirectUri::parse("https://app.example.com/callback").unwrap()],
        post_logout_redirect_uris: Vec::new(),
        trusted: false,
        extras: ClientExtras::default(),
        security: Default::default(),
        backchannel: Default::default(),
        registration_token_hash: None,
        created_at: 1,
        registration_id: "r1".to_owned(),
    }
}

/// The session `s1` of `user`, stored with the secret `hash(50)`.
pub(super) async fn session(store: &SqlStore, user: &UserId) -> Session {
    let session = Session {
        id: "s1".to_owned(),
        user_id: user.clone(),
        auth_time: 1,
        amr: vec!["pwd".to_owned()],
        created_at: 1,
        last_seen_at: 1,
        expires_at: 9_000,
        user_agent: String::new(),
        ip: String::new(),
    };
    store.insert_session(&session, &hash(50)).await.unwrap();
    session
}

/// Whether the secret `hash(50)` of [`session`] still finds a live session (at 2).
pub(super) async fn has_session(store: &SqlStore) -> bool {
    store
        .session_by_secret(&hash(50), 2)
        .await
        .unwrap()
        .is_some()
}

/// A code of client `c1` for `user`, redeemed into the token family `family`, not stored.
pub(super) fn code(user: &UserId, family: &str, session: Option<&str>) -> StoredCode {
    StoredCode {
        client_id: "c1".to_owned(),
        user_id: user.clone(),
        session_id: session.map(str::to_owned),
        redirect_uri: Some("https://app.example.com/callback".to_owned()),
        scope: "openid".to_owned(),
        nonce: None,
        code_challenge: "challenge".to_owned(),
        auth_time: 1,
        amr: vec!["pwd".to_owned()],
        family_id: family.to_owned(),
        created_at: 1,
        expires_at: 600,
        used_at: None,
        dpop_jkt: None,
        resources: Vec::new(),
    }
}

/// The token family `id` of client `c1` (registration `r1`) for `user`, not stored.
pub(super) fn family(id: &str, user: &UserId, session: Option<&str>) -> TokenFamily {
    TokenFamily {
        id: id.to_owned(),
        client_id: "c1".to_owned(),
        user_id: user.clone(),
        session_id: session.map(str::to_owned),
        scope: "openid".to_owned(),
        auth_time: 1,
        amr: vec!["pwd".to_owned()],
        created_at: 10,
        revoked_at: None,
        client_registration: "r1".to_owned(),
        dpop_jkt: None,
        resources: Vec::new(),
    }
}

/// An access token `jti` that expires at 2000.
pub(super) fn access(jti: &str) -> IssuedAccess {
    IssuedAccess {
        jti: jti.to_owned(),
        expires_at: 2_000,
    }
}

/// A refresh token `hash(byte)` that expires at 9000.
pub(super) fn refresh(byte: u8) -> NewRefreshToken {
    NewRefreshToken {
        hash: hash(byte),
        expires_at: 9_000,
    }
}

/// Redeems the code `hash(code)` at `now` into `family`, with the refresh token
/// `hash(refresh_byte)` if any and the access token `jti`: whether it was redeemed.
pub(super) async fn redeem(
    store: &SqlStore,
    code: u8,
    now: i64,
    family: &TokenFamily,
    refresh_byte: Option<u8>,
    jti: &str,
) -> bool {
    store
        .redeem_code(
            &hash(code),
            now,
            family,
            refresh_byte.map(refresh).as_ref(),
            &access(jti),
        )
        .await
        .unwrap()
}
