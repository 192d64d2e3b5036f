//! The sign-in with an upstream provider, from the button to a local user.
//!
//! 1. [`start`]: a `state`, a `nonce` and a PKCE verifier (RFC 7636, S256); the row is stored
//!    under the keyed hash of the state, bound to the browser (and to the pending
//!    authorization request, or to the signed-in user linking the provider), for
//!    [`STATE_TTL_SECS`]; the browser goes to the upstream's authorization endpoint.
//! 2. [`callback`]: the row is taken (deleted: single use) and must be this provider's,
//!    unexpired and this browser's; the code is exchanged with the verifier; the ID token is
//!    checked ([`super::id_token`]) or GitHub's user API read; then the local account:
//!    - an identity already linked signs in to its account (its second factor first, if it
//!      has an authenticator app);
//!    - an unknown identity whose address no account has gets a new account, when the
//!      provider may create accounts (the address verified only when the upstream says so);
//!    - an unknown identity whose address an account has is linked only after the user proves
//!      that account ([`finish`]: its password, and its authenticator app if it has one), and
//!      only when the upstream says the address is verified: never silently, and an
//!      unverified address neither links nor creates a second account with it.
//! 3. [`finish`]: the proof (or the second factor) for a pending identity.
//!
//! `amr` of an upstream sign-in is `fed` (federated authentication: not among RFC 8176
//! section 2's registered values, which the RFC allows; it is the value others use), with
//! `pwd`, `otp` and `mfa` for what the user proved here besides.

use super::id_token::{self, Expected, IdTokenError};
use super::outbound::ClientAuth;
use super::{Kind, Upstream, UpstreamError, Upstreams, github};
use crate::Provider;
use crate::audit::{self, Entry};
use crate::otp::{self, OtpError, recovery, totp};
use crate::roles::RoleName;
use crate::secrets::{new_token, random_bytes};
use crate::store::{StoreError, StoredUpstreamPending, StoredUpstreamState, UpstreamIdentity};
use crate::users::password::Password;
use crate::users::{self, Email, LoginError, Profile, User, UserId};
use auth_jose::jws::JwsError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;
use serde_json::{Map, Value};

/// Seconds between the button and the callback.
pub const STATE_TTL_SECS: i64 = 600;
/// Seconds to prove the local account (or enter the second factor) after the callback.
pub const PENDING_TTL_SECS: i64 = 600;
/// Attempts at a pending step.
pub const PENDING_ATTEMPTS: i64 = 5;

const VERIFIER_CONTEXT: &[u8] = b"upstream code verifier";
const PURPOSE_LINK: &str = "link";
const PURPOSE_SECOND_FACTOR: &str = "second_factor";

/// What the upstream says of the user.
#[derive(Clone)]
pub struct UpstreamUser {
    /// The stable subject (`sub`, or GitHub's user id).
    pub subject: String,
    /// The address, if given.
    pub email: Option<String>,
    /// Whether the upstream says the address is verified.
    pub email_verified: bool,
    /// A display name.
    pub name: Option<String>,
    /// Every claim, for the role mapping.
    pub claims: Map<String, Value>,
}

impl std::fmt::Debug for UpstreamUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamUser")
            .field("email_verified", &self.email_verified)
            .finish_non_exhaustive()
    }
}

/// The redirect URI registered at the upstream for provider `id`.
pub fn redirect_uri(provider: &Provider, id: &str) -> String {
    provider
        .settings()
        .issuer
        .endpoint(&format!("/login/upstream/{id}/callback"))
}

/// The nonce of a sign-in, derived from its state under the server's key: nobody without the
/// state and the key can compute it, and it needs no storage of its own.
fn nonce_of(provider: &Provider, state: &str) -> String {
    URL_SAFE_NO_PAD.encode(
        provider
            .hasher()
            .hash(&format!("upstream nonce:{state}"))
            .as_bytes(),
    )
}

/// Starts a sign-in (or, with `link_user`, a link from the account page) at provider `id`;
/// returns the URL of the upstream's authorization endpoint to send the browser to.
pub async fn start(
    provider: &Provider,
    upstreams: &Upstreams,
    id: &str,
    browser: &str,
    request: Option<&str>,
    link_user: Option<&UserId>,
) -> Result<String, UpstreamError> {
    let upstream = upstreams.get(id).ok_or(UpstreamError::UnknownProvider)?;
    let now = provider.clock().unix();
    let authorization_endpoint = match &upstream.config.kind {
        Kind::Oidc { issuer } => upstreams
            .metadata(upstream, issuer, now)
            .await?
            .authorization_endpoint
            .clone(),
        Kind::Github { authorize_url, .. } => authorize_url.clone(),
    };
    let mut url = upstreams
        .http()
        .check_url(&authorization_endpoint)
        .map_err(UpstreamError::Unavailable)?;
    let state = new_token("ups_");
    let state = state.expose_secret();
    let nonce = nonce_of(provider, state);
    // RFC 7636 section 4.1: 32 random octets, base64url: 43 characters.
    let verifier = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    let challenge = URL_SAFE_NO_PAD.encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref(),
    );
    let sealed_verifier = provider
        .kek()
        .seal(VERIFIER_CONTEXT, verifier.as_bytes())
        .map_err(|e| UpstreamError::Internal(e.to_string()))?;
    let row = StoredUpstreamState {
        provider_id: id.to_owned(),
        browser_hash: provider.hasher().hash(browser),
        nonce_hash: provider.hasher().hash(&nonce),
        sealed_verifier,
        request_handle: request.map(str::to_owned),
        link_user: link_user.cloned(),
        created_at: now,
        expires_at: now + STATE_TTL_SECS,
    };
    provider
        .store()
        .insert_upstream_state(&provider.hasher().hash(state), &row)
        .await?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &upstream.config.client_id)
            .append_pair("redirect_uri", &redirect_uri(provider, id))
            .append_pair("scope", &upstream.config.scopes.join(" "))
            .append_pair("state", state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if matches!(upstream.config.kind, Kind::Oidc { .. }) {
            query.append_pair("nonce", &nonce);
        }
    }
    Ok(url.into())
}

/// The parameters of the callback.
#[derive(Debug, Clone, Copy, Default)]
pub struct Callback<'a> {
    /// `code`.
    pub code: Option<&'a str>,
    /// `state`.
    pub state: Option<&'a str>,
    /// `error` (RFC 6749 section 4.1.2.1).
    pub error: Option<&'a str>,
    /// `iss` (RFC 9207), when the upstream sends it.
    pub iss: Option<&'a str>,
}

/// Where a callback (or a [`finish`]) leads.
#[derive(Debug)]
pub enum Outcome {
    /// Signed in: start the session.
    SignedIn {
        /// The user.
        user: Box<User>,
        /// RFC 8176 methods.
        amr: Vec<String>,
        /// The authorization request to continue.
        request: Option<String>,
    },
    /// The linked account has an authenticator app: ask for it.
    SecondFactor {
        /// The pending step's handle.
        handle: String,
    },
    /// An account has the (verified) address: the user must prove it to link.
    ProveAccount {
        /// The pending step's handle.
        handle: String,
        /// Whether the account has an authenticator app (the page asks for its code too).
        totp: bool,
        /// The account's address (the upstream's verified address: the user's own).
        email: String,
    },
    /// Linked from the account page.
    Linked,
}

/// Handles the callback of provider `id` in `browser`; `session_user` is the user signed in
/// in that browser, if any.
pub async fn callback(
    provider: &Provider,
    upstreams: &Upstreams,
    id: &str,
    browser: &str,
    params: Callback<'_>,
    ip: &str,
    session_user: Option<&UserId>,
) -> Result<Outcome, UpstreamError> {
    let result: Result<Outcome, UpstreamError> = async {
        let upstream = upstreams.get(id).ok_or(UpstreamError::UnknownProvider)?;
        let now = provider.clock().unix();
        let state_text = params.state.unwrap_or("");
        // Single use: the row is deleted whatever comes next.
        let state = match params.state {
            Some(state) if !state.is_empty() && state.len() <= 200 => {
                provider
                    .store()
                    .take_upstream_state(&provider.hasher().hash(state))
                    .await?
            }
            _ => None,
        };
        // RFC 6749 section 10.12 (and OIDC Core section 3.1.2.7): the state binds the answer to
        // the browser that asked; anything else is refused.
        let state = state
            .filter(|s| s.provider_id == id && s.expires_at > now)
            .filter(|s| s.browser_hash.ct_eq(&provider.hasher().hash(browser)))
            .ok_or(UpstreamError::State)?;
        if let Some(link_user) = &state.link_user
            && session_user != Some(link_user)
        {
            return Err(UpstreamError::State);
        }
        // An error answer counts only for the browser that asked (checked above): anyone else's
        // link with `error=...` shows the expired-sign-in page, not a message of their choosing.
        if let Some(error) = params.error {
            let code: String = error
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(40)
                .collect();
            return Err(UpstreamError::Refused(code));
        }
        let code = params
            .code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| UpstreamError::Unavailable("the callback has no code".into()))?;
        let verifier = provider
            .kek()
            .open(VERIFIER_CONTEXT, &state.sealed_verifier)
            .map_err(|e| UpstreamError::Internal(e.to_string()))?;
        let verifier = String::from_utf8(verifier)
            .map_err(|_| UpstreamError::Internal("stored verifier is not text".into()))?;
        let nonce = nonce_of(provider, state_text);
        if !provider.hasher().hash(&nonce).ct_eq(&state.nonce_hash) {
            return Err(UpstreamError::State);
        }
        let redirect = redirect_uri(provider, id);
        let form: [(&str, &str); 4] = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        // RFC 9207 section 2.4: an `iss` in the answer MUST be the issuer the request went to
        // (a mix-up with another provider is refused before its code is sent anywhere).
        if let (Some(iss), Kind::Oidc { issuer }) = (params.iss, &upstream.config.kind)
            && iss != issuer
        {
            return Err(UpstreamError::IdToken(IdTokenError::Issuer));
        }
        let user = match &upstream.config.kind {
            Kind::Oidc { issuer } => {
                oidc_user(provider, upstreams, upstream, issuer, &form, &nonce, now).await?
            }
            Kind::Github {
                token_url,
                api_base,
                ..
            } => github_user(upstreams, upstream, token_url, api_base, &form).await?,
        };
        resolve(provider, upstream, user, &state, browser, ip, now).await
    }
    .await;
    if let Err(e) = &result
        && !matches!(
            e,
            UpstreamError::Internal(_) | UpstreamError::UnknownProvider
        )
    {
        audit::record(
            provider,
            Entry::new("upstream_login")
                .failure()
                .ip(ip)
                .detail("provider", id)
                .detail("reason", e.reason()),
        )
        .await;
    }
    result
}

async fn oidc_user(
    provider: &Provider,
    upstreams: &Upstreams,
    upstream: &Upstream,
    issuer: &str,
    form: &[(&str, &str)],
    nonce: &str,
    now: i64,
) -> Result<UpstreamUser, UpstreamError> {
    let metadata = upstreams.metadata(upstream, issuer, now).await?;
    // OIDC Discovery 1.0 section 3: without the member, client_secret_basic is the default.
    let methods = metadata
        .token_endpoint_auth_methods_supported
        .clone()
        .unwrap_or_else(|| vec!["client_secret_basic".into()]);
    let auth = if methods.iter().any(|m| m == "client_secret_basic") {
        ClientAuth::Basic
    } else if methods.iter().any(|m| m == "client_secret_post") {
        ClientAuth::Post
    } else {
        return Err(UpstreamError::Unavailable(
            "the token endpoint takes neither client_secret_basic nor client_secret_post".into(),
        ));
    };
    let (status, answer) = upstreams
        .http()
        .post_token(
            &metadata.token_endpoint,
            form,
            &upstream.config.client_id,
            upstream.config.client_secret.expose_secret(),
            auth,
        )
        .await
        .map_err(|reason| UpstreamError::Unavailable(format!("token endpoint: {reason}")))?;
    let id_token = answer
        .get("id_token")
        .and_then(Value::as_str)
        .filter(|_| status == 200)
        .ok_or_else(|| {
            let error = answer.get("error").and_then(Value::as_str).unwrap_or("");
            UpstreamError::Unavailable(format!(
                "token endpoint answered {status} without an ID token ({})",
                error.chars().take(40).collect::<String>()
            ))
        })?;
    let expected = Expected {
        issuer: &metadata.issuer,
        client_id: &upstream.config.client_id,
        nonce,
        now: provider.clock().unix(),
    };
    let keys = upstreams
        .keys(upstream, &metadata.jwks_uri, now, false)
        .await?;
    let claims = match id_token::verify(id_token, &keys, &expected) {
        // The provider may have rotated its keys since the set was fetched.
        Err(IdTokenError::Signature(JwsError::UnknownKey(_))) => {
            let keys = upstreams
                .keys(upstream, &metadata.jwks_uri, now, true)
                .await?;
            id_token::verify(id_token, &keys, &expected)?
        }
        other => other?,
    };
    Ok(user_of_claims(claims))
}

/// The user an ID token's claims describe (OIDC Core section 5.1).
pub fn user_of_claims(claims: Map<String, Value>) -> UpstreamUser {
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    // Some providers send the boolean as a string.
    let email_verified = matches!(claims.get("email_verified"), Some(Value::Bool(true)))
        || claims.get("email_verified").and_then(Value::as_str) == Some("true");
    UpstreamUser {
        subject: text("sub").unwrap_or_default(),
        email: text("email"),
        email_verified,
        name: text("name").or_else(|| text("preferred_username")),
        claims,
    }
}

async fn github_user(
    upstreams: &Upstreams,
    upstream: &Upstream,
    token_url: &str,
    api_base: &str,
    form: &[(&str, &str)],
) -> Result<UpstreamUser, UpstreamError> {
    let (_, answer) = upstreams
        .http()
        .post_token(
            token_url,
            form,
            &upstream.config.client_id,
            upstream.config.client_secret.expose_secret(),
            ClientAuth::Post,
        )
        .await
        .map_err(|reason| UpstreamError::Unavailable(format!("token endpoint: {reason}")))?;
    let token = github::access_token(&answer).map_err(UpstreamError::Unavailable)?;
    let base = api_base.trim_end_matches('/');
    let user = upstreams
        .http()
        .get_json(&format!("{base}/user"), Some(&token))
        .await
        .map_err(|reason| UpstreamError::Unavailable(format!("user API: {reason}")))?;
    // Without the `user:email` scope the list is refused; the user then has no verified address.
    let emails = upstreams
        .http()
        .get_json(&format!("{base}/user/emails"), Some(&token))
        .await
        .unwrap_or(Value::Null);
    github::user(&user, &emails).map_err(UpstreamError::Unavailable)
}

/// The local roles the mapping gives `claims`.
fn mapped_roles(upstream: &Upstream, claims: &Map<String, Value>) -> Vec<RoleName> {
    let mut roles: Vec<RoleName> = Vec::new();
    for rule in &upstream.config.roles {
        if rule.matches(claims) && !roles.contains(&rule.role) {
            roles.push(rule.role.clone());
        }
    }
    roles
}

/// Grants `roles` the user lacks; a role that does not exist locally is skipped and logged.
async fn grant_roles(provider: &Provider, user: &UserId, roles: &[RoleName], now: i64) {
    for role in roles {
        match provider.store().grant_role(user, role, now).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => {
                tracing::warn!(role = %role, "upstream role mapping names a role that does not exist");
            }
            Err(e) => tracing::error!(error = %e, "granting a mapped role failed"),
        }
    }
}

async fn has_totp(provider: &Provider, user: &User) -> Result<bool, UpstreamError> {
    totp::is_enabled(provider, user)
        .await
        .map_err(|e| UpstreamError::Internal(e.to_string()))
}

async fn pending(
    provider: &Provider,
    purpose: &str,
    identity: UpstreamIdentity,
    state: &StoredUpstreamState,
    browser: &str,
    now: i64,
) -> Result<String, UpstreamError> {
    let handle = new_token("upp_");
    let row = StoredUpstreamPending {
        purpose: purpose.to_owned(),
        identity,
        browser_hash: provider.hasher().hash(browser),
        request_handle: state.request_handle.clone(),
        expires_at: now + PENDING_TTL_SECS,
    };
    provider
        .store()
        .insert_upstream_pending(&provider.hasher().hash(handle.expose_secret()), &row, now)
        .await?;
    Ok(handle.expose_secret().to_owned())
}

async fn resolve(
    provider: &Provider,
    upstream: &Upstream,
    found: UpstreamUser,
    state: &StoredUpstreamState,
    browser: &str,
    ip: &str,
    now: i64,
) -> Result<Outcome, UpstreamError> {
    let store = provider.store();
    let id = upstream.config.id.as_str();
    let linked = store.upstream_identity(id, &found.subject).await?;
    let identity = |user_id: &UserId| UpstreamIdentity {
        provider_id: id.to_owned(),
        subject: found.subject.clone(),
        user_id: user_id.clone(),
        email: found.email.clone(),
        created_at: now,
        last_used_at: now,
    };
    // Linking from the account page: the signed-in user chose to link this identity.
    if let Some(link_user) = &state.link_user {
        return match linked {
            Some(existing) if existing.user_id != *link_user => Err(UpstreamError::LinkedElsewhere),
            Some(_) => Ok(Outcome::Linked),
            None if link(provider, &identity(link_user), ip, "account page").await? => {
                Ok(Outcome::Linked)
            }
            None => Err(UpstreamError::LinkedElsewhere),
        };
    }
    let roles = mapped_roles(upstream, &found.claims);
    if let Some(existing) = linked {
        let user = store
            .user(&existing.user_id)
            .await?
            .ok_or(UpstreamError::State)?;
        if !user.is_active() {
            return Err(UpstreamError::Disabled);
        }
        grant_roles(provider, &user.id, &roles, now).await;
        store
            .touch_upstream_identity(id, &found.subject, now)
            .await?;
        if has_totp(provider, &user).await? {
            let handle = pending(
                provider,
                PURPOSE_SECOND_FACTOR,
                existing,
                state,
                browser,
                now,
            )
            .await?;
            return Ok(Outcome::SecondFactor { handle });
        }
        return Ok(signed_in(
            provider,
            user,
            vec!["fed".into()],
            id,
            ip,
            state.request_handle.clone(),
        )
        .await);
    }
    let email = found
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .ok_or(UpstreamError::NoEmail)?;
    if let Some(local) = store.user_by_email(email.normalized()).await? {
        // Never linked silently: only a verified upstream address, and only after the user
        // proves the local account.
        if !found.email_verified {
            return Err(UpstreamError::UnverifiedEmailTaken);
        }
        if !local.is_active() {
            return Err(UpstreamError::Disabled);
        }
        let totp = has_totp(provider, &local).await?;
        let handle = pending(
            provider,
            PURPOSE_LINK,
            identity(&local.id),
            state,
            browser,
            now,
        )
        .await?;
        return Ok(Outcome::ProveAccount {
            handle,
            totp,
            email: local.email.as_str().to_owned(),
        });
    }
    if !upstream.config.create_accounts {
        return Err(UpstreamError::SignUpClosed);
    }
    if provider.settings().account.require_verified_email && !found.email_verified {
        return Err(UpstreamError::UnverifiedEmail);
    }
    let user = create_account(provider, &found, email, &roles, now).await?;
    match store.insert_upstream_identity(&identity(&user.id)).await {
        Ok(()) => {}
        // Another callback of the same identity won the race: that account is the one.
        Err(StoreError::Conflict(_)) => {
            users::delete(provider, &user.id)
                .await
                .map_err(|e| UpstreamError::Internal(e.to_string()))?;
            return Err(UpstreamError::State);
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        provider,
        Entry::new("upstream_signup")
            .user(&user.id)
            .ip(ip)
            .detail("provider", id)
            .detail("email_verified", found.email_verified),
    )
    .await;
    Ok(signed_in(
        provider,
        user,
        vec!["fed".into()],
        id,
        ip,
        state.request_handle.clone(),
    )
    .await)
}

/// Records that `user` signed in through upstream `id` with `amr`, and says so.
async fn signed_in(
    provider: &Provider,
    user: User,
    amr: Vec<String>,
    id: &str,
    ip: &str,
    request: Option<String>,
) -> Outcome {
    audit::record(
        provider,
        Entry::new("upstream_login")
            .user(&user.id)
            .ip(ip)
            .detail("provider", id)
            .detail("amr", amr.join(" ")),
    )
    .await;
    Outcome::SignedIn {
        user: Box::new(user),
        amr,
        request,
    }
}

/// A new account for an upstream identity: no password (the upstream is its way in), the
/// address verified only when the upstream says so, the deployment's default roles and the
/// mapped ones that exist.
async fn create_account(
    provider: &Provider,
    found: &UpstreamUser,
    email: Email,
    mapped: &[RoleName],
    now: i64,
) -> Result<User, UpstreamError> {
    let name: String = found
        .name
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let profile = Profile {
        name,
        ..Profile::default()
    };
    let existing: Vec<String> = provider
        .store()
        .roles()
        .await?
        .into_iter()
        .map(|r| r.name.as_str().to_owned())
        .collect();
    let mut roles: Vec<RoleName> = provider.settings().users.default_roles.clone();
    for role in mapped {
        if !existing.iter().any(|r| r == role.as_str()) {
            tracing::warn!(role = %role, "upstream role mapping names a role that does not exist");
        } else if !roles.contains(role) {
            roles.push(role.clone());
        }
    }
    let user = User {
        id: UserId::generate(),
        email,
        email_verified: found.email_verified,
        password_hash: None,
        profile,
        phone_number: None,
        disabled_at: None,
        created_at: now,
        updated_at: now,
    };
    match provider.store().insert_user(&user, &roles, now).await {
        Ok(()) => Ok(user),
        // The address was taken since it was looked up.
        Err(StoreError::Conflict(_)) => Err(UpstreamError::State),
        Err(e) => Err(e.into()),
    }
}

/// What the user entered on the link or second-factor page.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proof<'a> {
    /// The local account's password (link page).
    pub password: Option<&'a Password>,
    /// An authenticator app code.
    pub code: Option<&'a str>,
    /// A recovery code.
    pub recovery_code: Option<&'a str>,
}

/// Why [`finish`] refused.
#[derive(Debug, thiserror::Error)]
pub enum FinishError {
    /// The pending step is gone: expired, used, out of attempts, or another browser's.
    #[error("this sign-in has expired; start again")]
    Expired,
    /// The password did not match (or the login is throttled or the account disabled).
    #[error(transparent)]
    Login(#[from] LoginError),
    /// The code is missing or wrong.
    #[error(transparent)]
    Otp(#[from] OtpError),
    /// Storage failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for FinishError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// Completes a pending step with the user's proof: the link (password, and the authenticator
/// app if the account has one) or the second factor of a linked account.
pub async fn finish(
    provider: &Provider,
    handle: &str,
    browser: &str,
    proof: Proof<'_>,
    ip: &str,
) -> Result<Outcome, FinishError> {
    let now = provider.clock().unix();
    let handle_hash = provider.hasher().hash(handle);
    let pending = provider
        .store()
        .attempt_upstream_pending(&handle_hash, now, PENDING_ATTEMPTS)
        .await?
        .filter(|p| p.browser_hash.ct_eq(&provider.hasher().hash(browser)))
        .ok_or(FinishError::Expired)?;
    let user = provider
        .store()
        .user(&pending.identity.user_id)
        .await?
        .ok_or(FinishError::Expired)?;
    if !user.is_active() {
        return Err(LoginError::Disabled.into());
    }
    let linking = pending.purpose == PURPOSE_LINK;
    let mut amr = vec!["fed"];
    if linking {
        let password = proof.password.ok_or(LoginError::InvalidCredentials)?;
        // The login's own checks: throttled per account and network, equal work when wrong.
        let checked = match users::login(provider, user.email.as_str(), password, ip).await {
            Ok(checked) => checked,
            Err(e) => {
                audit::record(
                    provider,
                    Entry::new("upstream_link")
                        .failure()
                        .user(&user.id)
                        .ip(ip)
                        .detail("provider", pending.identity.provider_id.as_str())
                        .detail("reason", e.to_string()),
                )
                .await;
                return Err(e.into());
            }
        };
        if checked.id != user.id {
            return Err(FinishError::Expired);
        }
        amr.push("pwd");
    }
    let totp_enabled = totp::is_enabled(provider, &user).await?;
    if totp_enabled || !linking {
        otp::count_attempt(provider, ip).await?;
        let result = otp::guarded(provider, &user, async {
            match (proof.code, proof.recovery_code) {
                (_, Some(recovery)) if !recovery.is_empty() => {
                    recovery::redeem(provider, &user, recovery)
                        .await
                        .map(|()| vec!["mfa"])
                }
                (Some(code), _) if !code.is_empty() => totp::verify(provider, &user, code)
                    .await
                    .map(|()| vec!["otp", "mfa"]),
                _ => Err(OtpError::Wrong {
                    attempts_left: None,
                }),
            }
        })
        .await;
        match result {
            Ok(methods) => amr.extend(methods),
            Err(e) => {
                audit::record(
                    provider,
                    Entry::new("upstream_login_second_factor")
                        .failure()
                        .user(&user.id)
                        .ip(ip)
                        .detail("reason", e.to_string()),
                )
                .await;
                return Err(e.into());
            }
        }
    }
    if !provider
        .store()
        .delete_upstream_pending(&handle_hash)
        .await?
    {
        return Err(FinishError::Expired);
    }
    let id = pending.identity.provider_id.as_str();
    if linking && !link(provider, &pending.identity, ip, "sign-in").await? {
        return Err(FinishError::Expired);
    }
    let amr = amr.into_iter().map(str::to_owned).collect();
    Ok(signed_in(provider, user, amr, id, ip, pending.request_handle).await)
}

/// Links `identity` to its user and records it (`from`: where the user asked for it); `false`
/// when the identity is linked already (to another account, or by a concurrent request).
async fn link(
    provider: &Provider,
    identity: &UpstreamIdentity,
    ip: &str,
    from: &str,
) -> Result<bool, StoreError> {
    match provider.store().insert_upstream_identity(identity).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Ok(false),
        Err(e) => return Err(e),
    }
    audit::record(
        provider,
        Entry::new("upstream_link")
            .user(&identity.user_id)
            .ip(ip)
            .detail("provider", identity.provider_id.as_str())
            .detail("from", from),
    )
    .await;
    Ok(true)
}

/// Why an unlink was refused.
#[derive(Debug, thiserror::Error)]
pub enum UnlinkError {
    /// Nothing of this provider is linked to the user.
    #[error("this provider is not linked to your account")]
    NotLinked,
    /// It is the account's last way to sign in.
    #[error("this is the only way to sign in to your account; set a password before you unlink it")]
    LastMethod,
    /// Storage failed.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Unlinks the user's identity at provider `id`, unless it is the account's last way in.
pub async fn unlink(
    provider: &Provider,
    user: &UserId,
    id: &str,
    ip: &str,
) -> Result<(), UnlinkError> {
    let result = match provider.store().delete_upstream_identity(user, id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(UnlinkError::LastMethod),
        Err(StoreError::NotFound) => Err(UnlinkError::NotLinked),
        Err(e) => return Err(UnlinkError::Internal(e.to_string())),
    };
    let entry = Entry::new("upstream_unlink")
        .user(user)
        .ip(ip)
        .detail("provider", id);
    let entry = match &result {
        Ok(()) => entry,
        Err(e) => entry.failure().detail("reason", e.to_string()),
    };
    audit::record(provider, entry).await;
    result
}
