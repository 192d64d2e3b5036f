//! Storage: one trait per aggregate, and the SQL implementation in [`sql`].
//!
//! Protocol code talks to `Arc<dyn Store>` only, so an embedder can bring its own storage. The
//! traits speak in domain types and plain records; `sqlx` never appears in their signatures.
//! Operations that must be atomic (rotating keys, redeeming a code with the tokens it issues,
//! rotating a refresh token with reuse detection) are single trait methods, so each
//! implementation makes them one transaction.

pub mod sql;

use crate::clients::{ChangeEnds, Client, ClientId};
use crate::roles::{Grants, Role, RoleName};
use crate::secrets::TokenHash;
use crate::sessions::Session;
use crate::users::{Profile, User, UserId};
use async_trait::async_trait;
use std::sync::Arc;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint was violated (the row exists already, or a concurrent writer won).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored value could not be read back into a domain type.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// A signing key as stored: public part in the clear, private part sealed under the KEK.
#[derive(Clone)]
pub struct StoredKey {
    /// Key id (RFC 7638 thumbprint).
    pub kid: String,
    /// JWS algorithm name.
    pub alg: String,
    /// Monotonic number of the key; unique, so concurrent rotations cannot both win.
    pub generation: i64,
    /// The public JWK as JSON.
    pub public_jwk: String,
    /// PKCS#8 private key sealed with the KEK, `kid` as associated data.
    pub sealed_private_key: Vec<u8>,
    /// When the key was created (seconds since the epoch).
    pub created_at: i64,
    /// From when the key signs; it is published from creation.
    pub activates_at: i64,
    /// From when the key no longer signs; `None` while it is the newest key.
    pub retires_at: Option<i64>,
    /// From when the key is no longer published; `None` while it is the newest key.
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("generation", &self.generation)
            .field("activates_at", &self.activates_at)
            .field("retires_at", &self.retires_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Registered clients.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Stores a new client; [`StoreError::Conflict`] if the id is taken.
    async fn insert_client(&self, client: &Client) -> Result<(), StoreError>;
    /// The client with this id, shared with the store's cache (no copy per request).
    async fn client(&self, id: &ClientId) -> Result<Option<Arc<Client>>, StoreError>;
    /// All clients, ordered by id.
    async fn clients(&self) -> Result<Vec<Client>, StoreError>;
    /// In one transaction: deletes a client (its pending codes go with it) and revokes its
    /// token families; [`StoreError::NotFound`] if there is none.
    async fn delete_client(&self, id: &ClientId, now: i64) -> Result<(), StoreError>;
    /// In one transaction: replaces a confidential client's secret hash and registration id,
    /// and revokes its token families; [`StoreError::NotFound`] if there is no such
    /// confidential client.
    async fn rotate_client_secret(
        &self,
        id: &ClientId,
        secret_hash: &TokenHash,
        registration_id: &str,
    ) -> Result<(), StoreError>;
    /// Replaces a client's metadata (not its id, secret or registration token).
    async fn update_client(&self, client: &Client) -> Result<(), StoreError> {
        self.update_client_ending(client, ChangeEnds::default())
            .await
    }
    /// In one transaction: replaces a client's metadata and ends what the change takes away
    /// ([`ChangeEnds`]: its unused codes, its token families); [`StoreError::NotFound`] if
    /// there is no such client.
    async fn update_client_ending(
        &self,
        client: &Client,
        ends: ChangeEnds,
    ) -> Result<(), StoreError>;
}

/// Signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every stored key, newest generation first.
    async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// In one transaction: stores `key`, and gives every key that has no retirement time yet
    /// `retires_at = key.activates_at` and `expires_at = expire_at`. Fails with
    /// [`StoreError::Conflict`] when `key.generation` is taken (another rotation won).
    async fn rotate_signing_key(&self, key: &StoredKey, expire_at: i64) -> Result<(), StoreError>;
    /// Deletes keys whose `expires_at` is before `now`; returns how many.
    async fn delete_expired_keys(&self, now: i64) -> Result<u64, StoreError>;
}

/// Access-token revocations, and the purge of everything that expires (codes and refresh
/// families live in [`GrantStore`]).
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Records that the access token `jti` is revoked until it expires. Idempotent. The
    /// revocation is stamped with the database's clock, not the caller's: replicas follow
    /// revocations by that stamp, and their own clocks may disagree.
    async fn revoke_access_token(&self, jti: &str, expires_at: i64) -> Result<(), StoreError>;
    /// Whether the access token `jti` was revoked, alone or with its family.
    async fn is_access_token_revoked(&self, jti: &str) -> Result<bool, StoreError>;
    /// Deletes what expired before `now` (revocations of expired tokens, codes, sessions,
    /// links, one-time codes, login challenges, stale throttle counters, events delivered more
    /// than a week ago); returns how many rows.
    async fn purge_expired(&self, now: i64) -> Result<u64, StoreError>;
}

/// Which field a user search matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchField {
    /// The normalized (lowercase) e-mail address.
    #[default]
    Email,
    /// The name, compared in lowercase.
    Name,
}

/// A page of a user search: users whose field starts with `prefix` (lowercase; empty: all),
/// ordered by that field and the id, after `after`.
#[derive(Debug, Clone, Default)]
pub struct UserSearch {
    /// The field.
    pub field: SearchField,
    /// The lowercase prefix.
    pub prefix: String,
    /// The last row of the previous page: (the field's lowercase value, the user id).
    pub after: Option<(String, String)>,
    /// At most this many.
    pub limit: u32,
}

/// User accounts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Stores a new user with `roles`; [`StoreError::Conflict`] if the e-mail is taken,
    /// [`StoreError::NotFound`] if a role does not exist. One transaction.
    async fn insert_user(
        &self,
        user: &User,
        roles: &[RoleName],
        now: i64,
    ) -> Result<(), StoreError>;
    /// The user with this id.
    async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError>;
    /// The user with this normalized (lowercase) e-mail.
    async fn user_by_email(&self, normalized_email: &str) -> Result<Option<User>, StoreError>;
    /// Users ordered by creation, at most `limit` after `after` (an id), for paging.
    async fn users(&self, after: Option<&UserId>, limit: u32) -> Result<Vec<User>, StoreError>;
    /// One page of users whose address or name starts with a prefix, in the order of that
    /// field, after a cursor: an index range scan whatever the number of users. Each user comes
    /// with its sort key as the database computed it (the cursor of the next page).
    async fn search_users(&self, search: &UserSearch) -> Result<Vec<(User, String)>, StoreError>;
    /// Whether any user holds the `admin` role or a role with the `admin` permission.
    async fn any_admin(&self) -> Result<bool, StoreError>;
    /// Replaces the profile.
    async fn update_profile(
        &self,
        id: &UserId,
        profile: &Profile,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Sets or clears `disabled_at`.
    async fn set_user_disabled(
        &self,
        id: &UserId,
        disabled_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Replaces the password hash and, in the same transaction, forgets the user's codes not
    /// yet redeemed and their logins waiting for a second factor.
    async fn set_password_hash(
        &self,
        id: &UserId,
        password_hash: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Marks `email` verified, if it is still the user's address. Returns whether it was.
    async fn set_email_verified(
        &self,
        id: &UserId,
        email: &str,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Changes the address (unverified); [`StoreError::Conflict`] if another account has it.
    async fn set_email(
        &self,
        id: &UserId,
        email: &crate::users::Email,
        now: i64,
    ) -> Result<(), StoreError>;
    /// In one transaction: makes the access tokens of the user's token families read revoked
    /// (until they expire), then deletes the user and everything that belongs to them
    /// (sessions, token families, codes, consents, roles, second factors, e-mail tokens).
    /// [`StoreError::NotFound`] if there is no such user.
    async fn delete_user(&self, id: &UserId, now: i64) -> Result<(), StoreError>;
    /// Sets or clears the phone number (for text-message codes).
    async fn set_phone_number(
        &self,
        id: &UserId,
        phone: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError>;
}

/// Roles and their grants to users.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Creates a role with its permissions; [`StoreError::Conflict`] if it exists.
    async fn create_role(&self, role: &Role, now: i64) -> Result<(), StoreError>;
    /// Every role with its permissions.
    async fn roles(&self) -> Result<Vec<Role>, StoreError>;
    /// Replaces a role's permissions; [`StoreError::NotFound`] if there is no such role. When
    /// a permission is taken away, revokes (in the same transaction) the token families of the
    /// role's users that were granted the `permissions` scope.
    async fn set_role_permissions(
        &self,
        role: &RoleName,
        permissions: &[RoleName],
    ) -> Result<(), StoreError>;
    /// Grants a role; idempotent; [`StoreError::NotFound`] if the role or user does not exist.
    async fn grant_role(&self, user: &UserId, role: &RoleName, now: i64) -> Result<(), StoreError>;
    /// Revokes a role and, in the same transaction, every token family of the user;
    /// [`StoreError::NotFound`] if the user did not have it.
    async fn revoke_role(&self, user: &UserId, role: &RoleName, now: i64)
    -> Result<(), StoreError>;
    /// The user's roles and their permissions.
    async fn user_grants(&self, user: &UserId) -> Result<Grants, StoreError>;
}

/// Browser sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session under the hash of its cookie secret.
    async fn insert_session(
        &self,
        session: &Session,
        secret_hash: &TokenHash,
    ) -> Result<(), StoreError>;
    /// The unexpired session whose secret hashes to `secret_hash`.
    async fn session_by_secret(
        &self,
        secret_hash: &TokenHash,
        now: i64,
    ) -> Result<Option<Session>, StoreError>;
    /// The user's unexpired sessions, newest first.
    async fn user_sessions(&self, user: &UserId, now: i64) -> Result<Vec<Session>, StoreError>;
    /// Deletes a session, with the codes issued in it, and revokes the token families issued
    /// in it. One transaction.
    async fn end_session(&self, session_id: &str) -> Result<(), StoreError>;
    /// Deletes every session of a user (with the codes issued in them) and revokes every token
    /// family of the user.
    async fn end_user_sessions(&self, user: &UserId) -> Result<(), StoreError>;
    /// Like [`end_user_sessions`](Self::end_user_sessions), but keeps one session and the
    /// families issued in it.
    async fn end_other_sessions(&self, user: &UserId, keep_session: &str)
    -> Result<(), StoreError>;
}

/// A pending authorization request as stored.
#[derive(Debug, Clone)]
pub struct StoredRequest {
    /// The client.
    pub client_id: String,
    /// The request as JSON.
    pub request: String,
    /// Hash of the secret of the browser that began it.
    pub browser_hash: TokenHash,
    /// When it began.
    pub created_at: i64,
}

/// An authorization code as stored (under the hash of the code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCode {
    /// The client it was issued to.
    pub client_id: String,
    /// The user.
    pub user_id: UserId,
    /// The browser session it was issued in.
    pub session_id: Option<String>,
    /// The redirect URI of the request, when the request named one.
    pub redirect_uri: Option<String>,
    /// Granted scope.
    pub scope: String,
    /// The request's nonce.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// When the user authenticated.
    pub auth_time: i64,
    /// How.
    pub amr: Vec<String>,
    /// The token family its tokens will form.
    pub family_id: String,
    /// Issue time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
    /// When it was redeemed.
    pub used_at: Option<i64>,
    /// The DPoP key the code is bound to (RFC 9449 section 10): the token request's proof must
    /// be signed by it.
    pub dpop_jkt: Option<String>,
    /// The resources (RFC 8707) the authorization named.
    pub resources: Vec<String>,
}

/// The tokens issued from one authorization: revoked together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFamily {
    /// Id.
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The user.
    pub user_id: UserId,
    /// The browser session of the authorization.
    pub session_id: Option<String>,
    /// Granted scope.
    pub scope: String,
    /// When the user authenticated.
    pub auth_time: i64,
    /// How.
    pub amr: Vec<String>,
    /// Creation time: the family ends `refresh_family_lifetime` after it, however often it
    /// is refreshed.
    pub created_at: i64,
    /// Revocation time.
    pub revoked_at: Option<i64>,
    /// The [`Client::registration_id`] it was issued under; a family whose client was deleted
    /// and registered again, or whose secret was rotated, no longer matches.
    pub client_registration: String,
    /// The DPoP key its refresh tokens are bound to (RFC 9449 section 5: those of public
    /// clients are).
    pub dpop_jkt: Option<String>,
    /// The resources (RFC 8707) its tokens may be for; empty for the default audience only.
    pub resources: Vec<String>,
}

/// A refresh token as stored (under its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRefreshToken {
    /// Its family.
    pub family_id: String,
    /// Issue time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
    /// When it was exchanged for its successor, or retired unused (superseded after a retry).
    pub rotated_at: Option<i64>,
    /// Its successor, when it was exchanged for one.
    pub replaced_by: Option<TokenHash>,
}

/// What [`GrantStore::replace_unreceived_refresh_token`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    /// The successor was retired and the new token stored in its place.
    Replaced,
    /// The successor was already used: the client received it, so the old token's holder
    /// is not retrying.
    SuccessorUsed,
    /// A concurrent retry replaced the successor first; nothing changed.
    Lost,
}

/// A refresh token about to be stored.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    /// Hash of the token.
    pub hash: TokenHash,
    /// Expiry.
    pub expires_at: i64,
}

/// An access token recorded against its family, so revoking the family revokes it.
#[derive(Debug, Clone)]
pub struct IssuedAccess {
    /// Its `jti`.
    pub jti: String,
    /// Its `exp`.
    pub expires_at: i64,
}

/// The authorization code flow and refresh tokens.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Stores a pending authorization request.
    async fn insert_authorization_request(
        &self,
        handle_hash: &TokenHash,
        client_id: &str,
        request: &str,
        browser_hash: &TokenHash,
        created_at: i64,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// The unexpired pending request with this handle.
    async fn authorization_request(
        &self,
        handle_hash: &TokenHash,
        now: i64,
    ) -> Result<Option<StoredRequest>, StoreError>;
    /// Forgets a pending request.
    async fn delete_authorization_request(&self, handle_hash: &TokenHash)
    -> Result<(), StoreError>;
    /// The scope the user consented to for the client.
    async fn consent(&self, user: &UserId, client: &ClientId)
    -> Result<Option<String>, StoreError>;
    /// Remembers consent (replacing what was remembered).
    async fn save_consent(
        &self,
        user: &UserId,
        client: &ClientId,
        scope: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Stores a new code under its hash.
    async fn insert_code(&self, code_hash: &TokenHash, code: &StoredCode)
    -> Result<(), StoreError>;
    /// The code with this hash, used or not.
    async fn authorization_code(
        &self,
        code_hash: &TokenHash,
    ) -> Result<Option<StoredCode>, StoreError>;
    /// In one transaction: marks the code used if it is not yet, and if so creates `family`
    /// with its refresh token and access token id. Returns false (and changes nothing) when
    /// the code was already used.
    async fn redeem_code(
        &self,
        code_hash: &TokenHash,
        now: i64,
        family: &TokenFamily,
        refresh: Option<&NewRefreshToken>,
        access: &IssuedAccess,
    ) -> Result<bool, StoreError>;
    /// The refresh token with this hash and its family.
    async fn refresh_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(StoredRefreshToken, TokenFamily)>, StoreError>;
    /// In one transaction: retires the token if it is current, stores its successor and the
    /// new access token id. Returns false (and changes nothing) when it was already retired.
    async fn rotate_refresh_token(
        &self,
        old_hash: &TokenHash,
        now: i64,
        family_id: &str,
        new: &NewRefreshToken,
        access: &IssuedAccess,
    ) -> Result<bool, StoreError>;
    /// For a client retrying a rotation whose answer it lost: in one transaction, when the
    /// successor of `old_hash` is `successor` and unused, retires it, revokes the access token
    /// issued with it, and stores `new` (and the new access token id) as `old_hash`'s successor.
    async fn replace_unreceived_refresh_token(
        &self,
        old_hash: &TokenHash,
        successor: &TokenHash,
        now: i64,
        family_id: &str,
        new: &NewRefreshToken,
        access: &IssuedAccess,
    ) -> Result<Replacement, StoreError>;
    /// The family an access token (by `jti`) belongs to, for user tokens.
    async fn family_of_access_token(&self, jti: &str) -> Result<Option<TokenFamily>, StoreError>;
    /// Revokes a family: its refresh tokens stop working and its access tokens read inactive.
    /// Stamped with the database's clock, as [`TokenStore::revoke_access_token`].
    async fn revoke_family(&self, family_id: &str) -> Result<(), StoreError>;
    /// Records an access token obtained by token exchange in the family of its subject token,
    /// so that revoking the family revokes it too. Returns false (and records nothing) when
    /// the family is revoked or gone.
    async fn record_exchanged_access_token(
        &self,
        family_id: &str,
        access: &IssuedAccess,
    ) -> Result<bool, StoreError>;
}

/// Failure and rate counters.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// The count and window start of each of `keys` that has a counter, in one read; windows
    /// that are over are returned too (the caller knows each key's window length).
    async fn throttle_counts(&self, keys: &[&str]) -> Result<Vec<(String, i64, i64)>, StoreError>;
    /// Adds one to `key`, starting a new window at `now` when the current one started at or
    /// before `window_floor`. Returns the new count and the window start.
    async fn throttle_hit(
        &self,
        key: &str,
        now: i64,
        window_floor: i64,
    ) -> Result<(i64, i64), StoreError>;
    /// Forgets `key`.
    async fn throttle_reset(&self, key: &str) -> Result<(), StoreError>;
}

/// What an e-mail token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailTokenPurpose {
    /// Confirming an address.
    VerifyEmail,
    /// Resetting a forgotten password.
    ResetPassword,
}

impl EmailTokenPurpose {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }
}

/// A TOTP credential as stored.
#[derive(Clone)]
pub struct StoredTotp {
    /// The secret, sealed under the KEK with the user id as context.
    pub sealed_secret: Vec<u8>,
    /// When enrolment was confirmed with a first code; `None` while pending.
    pub confirmed_at: Option<i64>,
    /// The last accepted time step (replays of it or earlier steps are refused).
    pub last_step: i64,
}

/// The outcome of presenting a one-time code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Correct; the code is consumed.
    Valid,
    /// Wrong; this many attempts remain.
    Wrong {
        /// Attempts left.
        attempts_left: i64,
    },
    /// No live code (never sent, expired, used, or out of attempts).
    Missing,
}

/// Second factors: TOTP, recovery codes, one-time codes, and logins waiting for one.
#[async_trait]
pub trait MfaStore: Send + Sync {
    /// The user's TOTP credential.
    async fn totp(&self, user: &UserId) -> Result<Option<StoredTotp>, StoreError>;
    /// Starts (or restarts) an enrolment; [`StoreError::Conflict`] if a confirmed one exists.
    async fn put_pending_totp(
        &self,
        user: &UserId,
        sealed_secret: &[u8],
        now: i64,
    ) -> Result<(), StoreError>;
    /// Confirms a pending enrolment at `step`. False if there was none pending.
    async fn confirm_totp(&self, user: &UserId, step: i64, now: i64) -> Result<bool, StoreError>;
    /// Accepts `step` if it is later than the last accepted one (RFC 6238 section 5.2: a code
    /// is accepted once). False on replay.
    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool, StoreError>;
    /// Removes TOTP and the recovery codes.
    async fn delete_totp(&self, user: &UserId) -> Result<(), StoreError>;
    /// Replaces the recovery codes.
    async fn replace_recovery_codes(
        &self,
        user: &UserId,
        hashes: &[TokenHash],
        now: i64,
    ) -> Result<(), StoreError>;
    /// Uses a recovery code once. False if unknown or used.
    async fn use_recovery_code(
        &self,
        user: &UserId,
        hash: &TokenHash,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Unused recovery codes left.
    async fn recovery_codes_left(&self, user: &UserId) -> Result<i64, StoreError>;
    /// Stores a one-time code for `purpose`, replacing any previous one.
    async fn put_one_time_code(
        &self,
        user: &UserId,
        purpose: &str,
        hash: &TokenHash,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// Checks a code: spends one attempt atomically, and consumes the code when it matches, so
    /// of concurrent correct attempts exactly one succeeds.
    async fn check_one_time_code(
        &self,
        user: &UserId,
        purpose: &str,
        hash: &TokenHash,
        now: i64,
        max_attempts: i64,
    ) -> Result<CodeCheck, StoreError>;
    /// Stores a login waiting for its second factor.
    async fn insert_login_challenge(
        &self,
        challenge: &StoredChallenge,
        handle_hash: &TokenHash,
    ) -> Result<(), StoreError>;
    /// The live challenge with this handle, after spending one attempt (None when out of
    /// attempts or expired).
    async fn attempt_login_challenge(
        &self,
        handle_hash: &TokenHash,
        now: i64,
        max_attempts: i64,
    ) -> Result<Option<StoredChallenge>, StoreError>;
    /// Removes a challenge.
    async fn delete_login_challenge(&self, handle_hash: &TokenHash) -> Result<(), StoreError>;
}

/// A login waiting for its second factor.
#[derive(Debug, Clone)]
pub struct StoredChallenge {
    /// The user who passed the first factor.
    pub user_id: UserId,
    /// The browser it belongs to.
    pub browser_hash: TokenHash,
    /// The authorization request to continue afterwards.
    pub request_handle: Option<String>,
    /// `totp` or `email`.
    pub method: String,
    /// Attempts spent.
    pub attempts: i64,
    /// When the password was checked.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
}

/// Single-use e-mail tokens (verification and reset links).
#[async_trait]
pub trait EmailTokenStore: Send + Sync {
    /// Stores a token for `user` and `email`.
    async fn insert_email_token(
        &self,
        hash: &TokenHash,
        user: &UserId,
        purpose: EmailTokenPurpose,
        email: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// A live token's user and address, without using it.
    async fn email_token(
        &self,
        hash: &TokenHash,
        purpose: EmailTokenPurpose,
        now: i64,
    ) -> Result<Option<(UserId, String)>, StoreError>;
    /// Uses a live token once; returns its user and address.
    async fn consume_email_token(
        &self,
        hash: &TokenHash,
        purpose: EmailTokenPurpose,
        now: i64,
    ) -> Result<Option<(UserId, String)>, StoreError>;
    /// Uses up every live token of `user` for `purpose` (a reset retires the older links);
    /// returns how many there were.
    async fn retire_email_tokens(
        &self,
        user: &UserId,
        purpose: EmailTokenPurpose,
        now: i64,
    ) -> Result<u64, StoreError>;
}

/// A queued mail as stored.
#[derive(Clone)]
pub struct QueuedMail {
    /// Id (also the sealing context).
    pub id: String,
    /// The message, sealed under the KEK.
    pub sealed_message: Vec<u8>,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// The mail outbox.
#[async_trait]
pub trait MailStore: Send + Sync {
    /// Queues a sealed message, due now.
    async fn enqueue_mail(
        &self,
        id: &str,
        sealed_message: &[u8],
        now: i64,
    ) -> Result<(), StoreError>;
    /// Claims up to `limit` due messages, leasing them for `lease_secs`.
    async fn claim_due_mail(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, StoreError>;
    /// Forgets a delivered message.
    async fn mail_sent(&self, id: &str) -> Result<(), StoreError>;
    /// Records a failed attempt; `failed_at` gives the message up.
    async fn mail_failed(
        &self,
        id: &str,
        attempts: i64,
        next_attempt_at: i64,
        error: &str,
        failed_at: Option<i64>,
    ) -> Result<(), StoreError>;
    /// Messages not yet delivered nor given up.
    async fn pending_mail(&self) -> Result<i64, StoreError>;
}

/// Which outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbox {
    /// Mail (sealed: the console never sees recipients or contents).
    Mail,
    /// Event deliveries (webhooks, NATS).
    Events,
}

/// A message or delivery not yet delivered, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The message id, or `event_id destination` of a delivery.
    pub id: String,
    /// The destination of a delivery; empty for mail.
    pub destination: String,
    /// Attempts so far.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: i64,
    /// The last error.
    pub last_error: Option<String>,
    /// When it was given up, if it was.
    pub failed_at: Option<i64>,
}

/// The outboxes as operators see them: what waits or failed, and "retry now".
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Up to `limit` undelivered entries, given-up ones first, then by due time.
    async fn outbox_entries(
        &self,
        outbox: Outbox,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Makes an undelivered entry due now again (a given-up one too); false if there is none
    /// with this id.
    async fn retry_outbox_entry(
        &self,
        outbox: Outbox,
        id: &str,
        destination: &str,
        now: i64,
    ) -> Result<bool, StoreError>;
}

/// An event delivery due to be sent.
#[derive(Debug, Clone)]
pub struct QueuedDelivery {
    /// The event id.
    pub event_id: String,
    /// The event's wire type (`user.registered`, ...).
    pub event_type: String,
    /// The destination's name (`webhook:<url>` or `nats`).
    pub destination: String,
    /// The event as JSON, sent as it is.
    pub payload: String,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// The event outbox. Events are written by the store methods that make the changes they
/// describe, in the same transaction, for the destinations the store was given
/// ([`crate::events::EventRouting`]); this trait is the delivery side.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Claims up to `limit` due deliveries, leasing them for `lease_secs`.
    async fn claim_due_deliveries(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<QueuedDelivery>, StoreError>;
    /// Records a delivery.
    async fn delivery_done(
        &self,
        event_id: &str,
        destination: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Records a failed attempt; `failed_at` gives the delivery up.
    async fn delivery_failed(
        &self,
        event_id: &str,
        destination: &str,
        attempts: i64,
        next_attempt_at: i64,
        error: &str,
        failed_at: Option<i64>,
    ) -> Result<(), StoreError>;
    /// Deliveries not yet made nor given up.
    async fn pending_deliveries(&self) -> Result<i64, StoreError>;
}

/// The back-channel logout outbox (OIDC Back-Channel Logout). Notices are written by the store
/// methods that end sessions, in the same transaction, for every client of the session with a
/// `backchannel_logout_uri`; this trait is the delivery side ([`crate::backchannel::delivery`]).
#[async_trait]
pub trait BackchannelStore: Send + Sync {
    /// Claims up to `limit` due notices, earliest due first (in that order), leasing them for
    /// `lease_secs`: no other claim returns them until the lease ends or they are settled.
    async fn claim_due_logouts(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<crate::backchannel::LogoutNotice>, StoreError>;
    /// Records a delivered notice.
    async fn logout_delivered(&self, id: &str, now: i64) -> Result<(), StoreError>;
    /// Records a failed attempt; `failed_at` gives the notice up.
    async fn logout_failed(
        &self,
        id: &str,
        attempts: i64,
        next_attempt_at: i64,
        error: &str,
        failed_at: Option<i64>,
    ) -> Result<(), StoreError>;
    /// Hands a claimed notice back unsent, due again at `next_attempt_at`; not an attempt.
    async fn logout_deferred(&self, id: &str, next_attempt_at: i64) -> Result<(), StoreError>;
    /// Notices neither delivered nor given up.
    async fn pending_logouts(&self) -> Result<i64, StoreError>;
}

/// A security event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Sortable id (UUID v7).
    pub id: String,
    /// When.
    pub at: i64,
    /// What, e.g. `login`, `password_reset`, `totp_enabled`.
    pub event: String,
    /// `success` or `failure`.
    pub outcome: String,
    /// The user concerned.
    pub user_id: Option<String>,
    /// The client concerned.
    pub client_id: Option<String>,
    /// Who did it, when not the user (an admin token's subject, `cli`).
    pub actor: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// More, as a JSON object.
    pub details: String,
}

/// Which audit events to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this user's.
    pub user_id: Option<String>,
    /// Only this kind.
    pub event: Option<String>,
    /// Only this client's.
    pub client_id: Option<String>,
    /// Only this outcome (`success` or `failure`).
    pub outcome: Option<String>,
    /// Only events at or after this time (seconds since the epoch).
    pub since: Option<i64>,
    /// Only events before this time.
    pub until: Option<i64>,
    /// Only events older than this id (paging backwards from the newest).
    pub before: Option<String>,
    /// At most this many.
    pub limit: u32,
}

/// A pushed authorization request (RFC 9126), kept until it is used once or expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRequest {
    /// The client that pushed it.
    pub client_id: String,
    /// Its parameters, form-encoded, as validated when pushed.
    pub params: String,
    /// When it stops being usable, seconds since the epoch.
    pub expires_at: i64,
}

/// What clients send once: pushed authorization requests, and the JWTs they sign that must
/// not be replayed. Replicas sharing the database share both.
#[async_trait]
pub trait RequestStore: Send + Sync {
    /// Records the first use of the signed JWT `jti_hash` names, remembered until
    /// `expires_at`. Returns `false` when it was used before and is still remembered at `now`.
    async fn first_use(
        &self,
        jti_hash: &TokenHash,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Stores a pushed request under the hash of its `request_uri`.
    async fn insert_pushed_request(
        &self,
        request_hash: &TokenHash,
        request: &PushedRequest,
    ) -> Result<(), StoreError>;
    /// Removes and returns the pushed request of `client_id`, if there is one (expired or not):
    /// each is used at most once, whichever replica is asked, and only by its client (another
    /// client naming it neither gets nor spends it).
    async fn take_pushed_request(
        &self,
        request_hash: &TokenHash,
        client_id: &str,
    ) -> Result<Option<PushedRequest>, StoreError>;
}

/// Where a device authorization request (RFC 8628) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Waiting for the user.
    Pending,
    /// The user approved it; the device has not redeemed it yet.
    Approved,
    /// The user denied it.
    Denied,
    /// The device redeemed the approval.
    Used,
}

impl DeviceStatus {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Used => "used",
        }
    }

    /// The status stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => Self::Pending,
            "approved" => Self::Approved,
            "denied" => Self::Denied,
            "used" => Self::Used,
            _ => return None,
        })
    }
}

/// A device authorization request about to be stored.
#[derive(Debug, Clone)]
pub struct NewDeviceAuthorization {
    /// The client that asked.
    pub client_id: String,
    /// The scope it asked for.
    pub scope: String,
    /// When.
    pub created_at: i64,
    /// When the codes stop working.
    pub expires_at: i64,
    /// Seconds the device must wait between polls.
    pub interval_secs: i64,
    /// The id the token family gets once the device redeems an approval.
    pub family_id: String,
}

/// A device authorization request as stored.
#[derive(Debug, Clone)]
pub struct StoredDeviceAuthorization {
    /// The client that asked.
    pub client_id: String,
    /// The scope asked for; once approved, the scope granted.
    pub scope: String,
    /// Where it stands.
    pub status: DeviceStatus,
    /// When it was asked for.
    pub created_at: i64,
    /// When the codes stop working.
    pub expires_at: i64,
    /// Seconds the device must wait between polls (grown by every `slow_down`).
    pub interval_secs: i64,
    /// Whether the poll that returned this record came before the interval had passed.
    pub polled_too_fast: bool,
    /// The user who decided, once decided.
    pub user_id: Option<UserId>,
    /// The browser session it was approved in.
    pub session_id: Option<String>,
    /// When the approving user authenticated.
    pub auth_time: Option<i64>,
    /// How the approving user authenticated (RFC 8176).
    pub amr: Vec<String>,
    /// The id of the token family an approval turns into.
    pub family_id: String,
}

/// The user's decision on a device authorization request.
#[derive(Debug, Clone)]
pub enum DeviceDecision {
    /// Approved in `session`, for `scope` (what the user's roles allow of the request).
    Approve {
        /// The approving session.
        session: crate::sessions::Session,
        /// The scope granted.
        scope: String,
    },
    /// Denied by `user`.
    Deny {
        /// Who denied it.
        user: UserId,
    },
}

/// Device authorization requests (RFC 8628). Single use and the polling interval hold across
/// replicas: each change is one conditional statement or transaction.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a new request under the hashes of its codes; [`StoreError::Conflict`] when the
    /// user code's hash is taken (draw another).
    async fn insert_device_authorization(
        &self,
        device_code_hash: &TokenHash,
        user_code_hash: &TokenHash,
        new: &NewDeviceAuthorization,
    ) -> Result<(), StoreError>;
    /// The pending, unexpired request with this user code.
    async fn pending_device_authorization(
        &self,
        user_code_hash: &TokenHash,
        now: i64,
    ) -> Result<Option<StoredDeviceAuthorization>, StoreError>;
    /// Records the user's decision if the request is still pending and unexpired; returns
    /// whether it was.
    async fn decide_device_authorization(
        &self,
        user_code_hash: &TokenHash,
        now: i64,
        decision: &DeviceDecision,
    ) -> Result<bool, StoreError>;
    /// A poll by `client_id` at `now` (RFC 8628 section 3.5), in one statement: when it comes
    /// before the device may poll again, the interval grows by 5 s and the record says
    /// `polled_too_fast`; either way the next poll is allowed an interval from now. `None` when
    /// `client_id` has no request with this device code.
    async fn poll_device_authorization(
        &self,
        device_code_hash: &TokenHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<StoredDeviceAuthorization>, StoreError>;
    /// In one transaction: marks an approved, unexpired request used, and if that claimed it,
    /// creates `family` with its refresh token and access token id. Returns false (and changes
    /// nothing) when another poll redeemed it first.
    async fn redeem_device_code(
        &self,
        device_code_hash: &TokenHash,
        now: i64,
        family: &TokenFamily,
        refresh: Option<&NewRefreshToken>,
        access: &IssuedAccess,
    ) -> Result<bool, StoreError>;
}

/// The APIs tokens can be meant for (RFC 8707).
#[async_trait]
pub trait ResourceStore: Send + Sync {
    /// Stores a resource; [`StoreError::Conflict`] if its URI is taken.
    async fn insert_resource(
        &self,
        resource: &crate::resources::Resource,
    ) -> Result<(), StoreError>;
    /// The resource with this URI.
    async fn resource(&self, uri: &str) -> Result<Option<crate::resources::Resource>, StoreError>;
    /// Every resource, by URI.
    async fn resources(&self) -> Result<Vec<crate::resources::Resource>, StoreError>;
    /// Deletes a resource; [`StoreError::NotFound`] if there is none.
    async fn delete_resource(&self, uri: &str) -> Result<(), StoreError>;
}

/// A passkey as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// Public id (in forms and the account page).
    pub id: String,
    /// The owner.
    pub user_id: UserId,
    /// The authenticator's credential id.
    pub credential_id: Vec<u8>,
    /// The credential as webauthn-rs serialises it (public key, counter, flags; no secret).
    pub credential: String,
    /// The name the user gave it.
    pub name: String,
    /// The last signature counter seen.
    pub sign_count: i64,
    /// Whether the credential may be backed up (synced) off the authenticator.
    pub backup_eligible: bool,
    /// Whether it is backed up.
    pub backup_state: bool,
    /// Registration time.
    pub created_at: i64,
    /// Last sign-in with it.
    pub last_used_at: Option<i64>,
}

/// A passkey ceremony between its two requests.
#[derive(Debug, Clone)]
pub struct StoredCeremony {
    /// `register`, `sign_in` or `second_factor`.
    pub kind: String,
    /// The user, when known at the start (not for a discoverable sign-in).
    pub user_id: Option<UserId>,
    /// The browser it belongs to.
    pub browser_hash: TokenHash,
    /// The webauthn-rs state (JSON).
    pub state: String,
    /// What to continue with (the pending authorization request, or the login challenge).
    pub context: Option<String>,
    /// Start.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
}

/// The outcome of a passkey's use, written only if nobody used it in between.
#[derive(Debug, Clone)]
pub struct PasskeyUse<'a> {
    /// The passkey.
    pub id: &'a str,
    /// The counter read before the check (the write fails if it changed meanwhile).
    pub previous_count: i64,
    /// The new counter.
    pub sign_count: i64,
    /// The updated credential (JSON).
    pub credential: &'a str,
    /// Flags as the authenticator reported them.
    pub backup_eligible: bool,
    /// Flags as the authenticator reported them.
    pub backup_state: bool,
    /// When.
    pub now: i64,
}

/// Passkeys (WebAuthn credentials) and their ceremonies.
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// Stores a new passkey; [`StoreError::Conflict`] when its credential id is registered.
    async fn insert_passkey(&self, passkey: &StoredPasskey) -> Result<(), StoreError>;
    /// The user's passkeys, oldest first.
    async fn user_passkeys(&self, user: &UserId) -> Result<Vec<StoredPasskey>, StoreError>;
    /// The passkey with this credential id.
    async fn passkey_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<StoredPasskey>, StoreError>;
    /// Records a successful use: a conditional update on the counter read before, so of two
    /// concurrent uses with the same counter one fails (false).
    async fn use_passkey(&self, used: &PasskeyUse<'_>) -> Result<bool, StoreError>;
    /// Renames one of the user's passkeys; false if the user has no passkey with this id.
    async fn rename_passkey(&self, user: &UserId, id: &str, name: &str)
    -> Result<bool, StoreError>;
    /// Deletes one of the user's passkeys, unless it is the account's last way to sign in (no
    /// password, no linked identity, no other passkey): `Ok(false)` then, and
    /// [`StoreError::NotFound`] when the user has no passkey with this id.
    async fn delete_passkey(&self, user: &UserId, id: &str) -> Result<bool, StoreError>;
    /// Stores a ceremony (and drops expired ones).
    async fn insert_passkey_ceremony(
        &self,
        ceremony: &StoredCeremony,
        handle_hash: &TokenHash,
    ) -> Result<(), StoreError>;
    /// Takes (deletes and returns) the live ceremony of `kind` with this handle: single use.
    async fn take_passkey_ceremony(
        &self,
        handle_hash: &TokenHash,
        kind: &str,
        now: i64,
    ) -> Result<Option<StoredCeremony>, StoreError>;
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an event.
    async fn insert_audit(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// Events, newest first.
    async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError>;
}

/// What a user's consent or live tokens say about one client ("apps with access").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppGrant {
    /// The user consented to `scope` for the client at `granted_at`.
    Consent {
        client_id: String,
        scope: String,
        granted_at: i64,
    },
    /// A token family of the user for the client that is not revoked: created at
    /// `created_at`, last given a token at `last_used_at`, and `live` while a refresh or
    /// access token of it is unexpired.
    Family {
        client_id: String,
        scope: String,
        created_at: i64,
        last_used_at: i64,
        live: bool,
    },
}

/// The clients a user gave access to.
#[async_trait]
pub trait AppAccessStore: Send + Sync {
    /// The user's consents and unrevoked token families, unordered.
    async fn app_grants(&self, user: &UserId, now: i64) -> Result<Vec<AppGrant>, StoreError>;
    /// In one transaction: forgets the user's consent for the client, takes back approvals the
    /// client has not redeemed yet (unused codes, approved device requests) and revokes every
    /// token family of the user for the client (its refresh tokens stop working, its access
    /// tokens read inactive). Returns whether there was anything to remove.
    async fn remove_app_access(&self, user: &UserId, client_id: &str) -> Result<bool, StoreError>;
}

/// A sign-in started at an upstream identity provider, waiting for its callback.
#[derive(Clone)]
pub struct StoredUpstreamState {
    /// The configured provider's id.
    pub provider_id: String,
    /// Keyed hash of the browser binding of the browser that started it.
    pub browser_hash: TokenHash,
    /// Keyed hash of the `nonce` sent in the authentication request.
    pub nonce_hash: TokenHash,
    /// The PKCE code verifier, sealed under the key-encryption key.
    pub sealed_verifier: Vec<u8>,
    /// The authorization request to continue afterwards.
    pub request_handle: Option<String>,
    /// The signed-in user linking the provider from the account page.
    pub link_user: Option<UserId>,
    /// Creation time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
}

/// An upstream identity linked to a local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamIdentity {
    /// The configured provider's id.
    pub provider_id: String,
    /// The upstream's `sub` (or GitHub's numeric user id).
    pub subject: String,
    /// The local user.
    pub user_id: UserId,
    /// The upstream e-mail address when it was linked (shown on the account page).
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: i64,
    /// Its last sign-in.
    pub last_used_at: i64,
}

/// A verified upstream identity waiting for the user's next step (proving a local account, or
/// the second factor of the linked one).
#[derive(Clone)]
pub struct StoredUpstreamPending {
    /// `link` or `second_factor`.
    pub purpose: String,
    /// The upstream identity.
    pub identity: UpstreamIdentity,
    /// Keyed hash of the browser binding.
    pub browser_hash: TokenHash,
    /// The authorization request to continue afterwards.
    pub request_handle: Option<String>,
    /// Expiry.
    pub expires_at: i64,
}

/// Upstream identity providers: sign-ins under way, linked identities, pending links.
#[async_trait]
pub trait UpstreamStore: Send + Sync {
    /// Stores a started sign-in under the keyed hash of its `state`.
    async fn insert_upstream_state(
        &self,
        state_hash: &TokenHash,
        state: &StoredUpstreamState,
    ) -> Result<(), StoreError>;
    /// Takes (deletes and returns) the sign-in of a `state`, expired or not: single use.
    async fn take_upstream_state(
        &self,
        state_hash: &TokenHash,
    ) -> Result<Option<StoredUpstreamState>, StoreError>;
    /// The local user an upstream identity is linked to.
    async fn upstream_identity(
        &self,
        provider_id: &str,
        subject: &str,
    ) -> Result<Option<UpstreamIdentity>, StoreError>;
    /// Links an identity; [`StoreError::Conflict`] when it is linked already.
    async fn insert_upstream_identity(&self, identity: &UpstreamIdentity)
    -> Result<(), StoreError>;
    /// Records a sign-in with a linked identity.
    async fn touch_upstream_identity(
        &self,
        provider_id: &str,
        subject: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// The identities linked to a user.
    async fn upstream_identities(&self, user: &UserId)
    -> Result<Vec<UpstreamIdentity>, StoreError>;
    /// Unlinks the user's identities at a provider, unless that would leave the account
    /// without a way to sign in (no password and no other linked identity): `Ok(false)` then,
    /// and [`StoreError::NotFound`] when nothing is linked.
    async fn delete_upstream_identity(
        &self,
        user: &UserId,
        provider_id: &str,
    ) -> Result<bool, StoreError>;
    /// Stores a pending step under the keyed hash of its handle.
    async fn insert_upstream_pending(
        &self,
        handle_hash: &TokenHash,
        pending: &StoredUpstreamPending,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Counts an attempt at a pending step and returns it, unless it expired or has no
    /// attempts left.
    async fn attempt_upstream_pending(
        &self,
        handle_hash: &TokenHash,
        now: i64,
        max_attempts: i64,
    ) -> Result<Option<StoredUpstreamPending>, StoreError>;
    /// Deletes a pending step; `false` if another request did first.
    async fn delete_upstream_pending(&self, handle_hash: &TokenHash) -> Result<bool, StoreError>;
}

/// Everything the provider needs, in one object.
#[async_trait]
pub trait Store:
    ClientStore
    + KeyStore
    + TokenStore
    + UserStore
    + RoleStore
    + SessionStore
    + GrantStore
    + ThrottleStore
    + MfaStore
    + EmailTokenStore
    + MailStore
    + EventStore
    + BackchannelStore
    + RequestStore
    + ResourceStore
    + AuditStore
    + DeviceStore
    + PasskeyStore
    + AppAccessStore
    + UpstreamStore
    + OutboxStore
{
    /// Checks the database answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;
}
