//! Passkeys: WebAuthn credentials (W3C Web Authentication Level 3) through `webauthn-rs`.
//!
//! A user registers passkeys from the account page (after re-authentication, checked by the
//! caller with [`crate::account::reauthenticate`]), signs in with a discoverable one without
//! typing an e-mail address, or uses one as the second step after the password.
//!
//! Each ceremony has two requests: the options (with a fresh challenge) and the authenticator's
//! answer. Between them its state lives in the database ([`crate::store::PasskeyStore`]), so
//! any replica can finish what another began: bound to the browser by a keyed hash of its
//! binding secret, single use (taken with one `DELETE ... RETURNING`), and valid for
//! [`CEREMONY_TTL_SECS`]. The browser holds only a random handle.
//!
//! A sign-in counts per network and, once the credential names a user, per account
//! ([`Feature::PasskeySignIn`]). A signature counter that does not go forward is refused and
//! audited (W3C WebAuthn L3 section 7.2 step 22).
//!
//! `amr` (RFC 8176): `hwk` for a credential bound to its authenticator, `swk` for one that may
//! be synced off it (backup eligible), `user` when the authenticator verified the user (the
//! brief of issue 23 maps user verification to `user`), and `mfa` for a sign-in with user
//! verification (possession plus a PIN or biometric) or a passkey after the password.
//!
//! This module knows nothing of HTTP: it takes and returns JSON text and values.

use crate::Provider;
use crate::audit::{self, Entry};
use crate::login::{Completed, record_login};
use crate::provider::Issuer;
use crate::secrets::{TokenHash, new_id, new_token};
use crate::store::{PasskeyUse, StoreError, StoredCeremony, StoredPasskey};
use crate::throttle::{self, Account, Feature, Key, Network, Throttled};
use crate::users::User;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;
use serde_json::Value;
use std::net::IpAddr;
use std::time::Duration;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

/// How long a ceremony may take, from the options to the answer.
pub const CEREMONY_TTL_SECS: i64 = 300;
/// The longest name of a passkey.
pub const NAME_MAX_CHARS: usize = 64;

const REGISTER: &str = "register";
const SIGN_IN: &str = "sign_in";
const SECOND_FACTOR: &str = "second_factor";

/// Why a passkey operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The ceremony is gone: expired, used, or started in another browser.
    #[error("this passkey request has expired or was started elsewhere; try again")]
    Expired,
    /// The answer was not accepted (unknown credential, bad signature, another user's passkey,
    /// malformed input). One message for all, so a caller learns nothing of which.
    #[error("the passkey was not accepted")]
    Refused,
    /// The signature counter did not go forward: the authenticator may be a clone.
    #[error(
        "the passkey was refused: its signature counter went backwards, so the authenticator may have been copied"
    )]
    Cloned,
    /// The credential is registered already.
    #[error("this passkey is registered already")]
    Duplicate,
    /// The name is empty or too long.
    #[error("give the passkey a name of 1 to {NAME_MAX_CHARS} characters")]
    InvalidName,
    /// The user has no passkey with this id.
    #[error("that passkey does not exist")]
    NotFound,
    /// The passkey is the account's last way to sign in.
    #[error(
        "this passkey is the only way to sign in to your account; set a password or link a sign-in provider before you remove it"
    )]
    LastMethod,
    /// The account's e-mail address must be verified first.
    #[error("confirm your e-mail address first: open the link we sent you")]
    EmailNotVerified,
    /// Too many attempts.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// Storage or serialisation failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for PasskeyError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// Why a relying party cannot be built from the issuer.
#[derive(Debug, thiserror::Error)]
#[error("passkeys need the issuer's host to be a domain name (such as localhost), not {0}")]
pub struct NotADomain(String);

/// This server as a WebAuthn relying party: the RP ID is the issuer's host, the only origin the
/// issuer's origin (W3C WebAuthn L3 section 7.1 steps 9 and 15 compare against them).
pub struct RelyingParty {
    webauthn: Webauthn,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty").finish_non_exhaustive()
    }
}

impl RelyingParty {
    /// The relying party of `issuer`, named `name` to the user. An RP ID is a domain (W3C
    /// WebAuthn L3 section 5.1.3 "valid domain"): an issuer on an IP address cannot have one.
    pub fn new(issuer: &Issuer, name: &str) -> Result<Self, NotADomain> {
        let url = Url::parse(issuer.as_str()).map_err(|e| NotADomain(e.to_string()))?;
        let host = url
            .host_str()
            .ok_or_else(|| NotADomain(issuer.as_str().to_owned()))?;
        if host.starts_with('[') || host.parse::<IpAddr>().is_ok() {
            return Err(NotADomain(host.to_owned()));
        }
        let origin = Url::parse(&url.origin().ascii_serialization())
            .map_err(|e| NotADomain(e.to_string()))?;
        let webauthn = WebauthnBuilder::new(host, &origin)
            .and_then(|b| {
                b.rp_name(name)
                    .timeout(Duration::from_secs(CEREMONY_TTL_SECS.unsigned_abs()))
                    .build()
            })
            .map_err(|e| NotADomain(format!("{host} ({e})")))?;
        Ok(Self { webauthn })
    }
}

/// The first half of a ceremony: the handle the browser sends back, and the options for
/// `navigator.credentials` (`{"publicKey": ...}`, with `mediation` for conditional sign-in).
#[derive(Debug)]
pub struct Ceremony {
    /// The random handle of the stored state.
    pub handle: String,
    /// The options, as webauthn-rs serialises them.
    pub options: Value,
}

fn internal(e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Internal(e.to_string())
}

fn browser_hash(provider: &Provider, browser: &str) -> TokenHash {
    provider
        .hasher()
        .hash(&format!("passkey-browser:{browser}"))
}

async fn store_ceremony(
    provider: &Provider,
    kind: &str,
    user: Option<&User>,
    browser: &str,
    state: &impl serde::Serialize,
    context: Option<String>,
    options: Value,
) -> Result<Ceremony, PasskeyError> {
    let handle = new_token("pk_");
    let now = provider.clock().unix();
    let ceremony = StoredCeremony {
        kind: kind.to_owned(),
        user_id: user.map(|u| u.id.clone()),
        browser_hash: browser_hash(provider, browser),
        state: serde_json::to_string(state).map_err(internal)?,
        context,
        created_at: now,
        expires_at: now + CEREMONY_TTL_SECS,
    };
    provider
        .store()
        .insert_passkey_ceremony(&ceremony, &provider.hasher().hash(handle.expose_secret()))
        .await?;
    Ok(Ceremony {
        handle: handle.expose_secret().to_owned(),
        options,
    })
}

/// Takes the ceremony of `kind` with `handle`, if it is live and this browser's.
async fn take_ceremony(
    provider: &Provider,
    kind: &str,
    handle: &str,
    browser: &str,
) -> Result<StoredCeremony, PasskeyError> {
    if handle.is_empty() || handle.len() > 128 {
        return Err(PasskeyError::Expired);
    }
    let now = provider.clock().unix();
    provider
        .store()
        .take_passkey_ceremony(&provider.hasher().hash(handle), kind, now)
        .await?
        .filter(|c| c.browser_hash.ct_eq(&browser_hash(provider, browser)))
        .ok_or(PasskeyError::Expired)
}

fn state_of<T: serde::de::DeserializeOwned>(ceremony: &StoredCeremony) -> Result<T, PasskeyError> {
    serde_json::from_str(&ceremony.state).map_err(internal)
}

/// A passkey's name as typed: trimmed, 1 to [`NAME_MAX_CHARS`] characters, no control
/// characters.
pub fn parse_name(name: &str) -> Result<String, PasskeyError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > NAME_MAX_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(PasskeyError::InvalidName);
    }
    Ok(name.to_owned())
}

fn user_handle(user: &User) -> Result<Uuid, PasskeyError> {
    Uuid::try_parse(user.id.as_str()).map_err(internal)
}

/// Starts registering a passkey for `user` (who proved who they are moments ago: the caller
/// checks). The options ask for a discoverable credential with user verification.
pub async fn begin_registration(
    provider: &Provider,
    rp: &RelyingParty,
    user: &User,
    browser: &str,
) -> Result<Ceremony, PasskeyError> {
    let existing = provider.store().user_passkeys(&user.id).await?;
    let exclude = existing
        .iter()
        .map(|p| p.credential_id.clone().into())
        .collect::<Vec<_>>();
    let display = if user.profile.name.trim().is_empty() {
        user.email.as_str()
    } else {
        user.profile.name.as_str()
    };
    let (options, state): (_, PasskeyRegistration) = rp
        .webauthn
        .start_passkey_registration(
            user_handle(user)?,
            user.email.as_str(),
            display,
            Some(exclude),
        )
        .map_err(internal)?;
    let mut options = serde_json::to_value(options).map_err(internal)?;
    // Sign-in without an e-mail address needs the credential to be discoverable (W3C WebAuthn
    // L3 section 5.4.4 residentKey "required"); webauthn-rs leaves it "discouraged".
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(Value::as_object_mut)
    {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    store_ceremony(
        provider,
        REGISTER,
        Some(user),
        browser,
        &state,
        None,
        options,
    )
    .await
}

/// Finishes a registration: checks the authenticator's answer against the stored ceremony
/// and stores the passkey under `name`.
#[allow(clippy::too_many_arguments)]
pub async fn finish_registration(
    provider: &Provider,
    rp: &RelyingParty,
    user: &User,
    browser: &str,
    handle: &str,
    name: &str,
    credential: &str,
    ip: &str,
) -> Result<StoredPasskey, PasskeyError> {
    let name = parse_name(name)?;
    let ceremony = take_ceremony(provider, REGISTER, handle, browser).await?;
    if ceremony.user_id.as_ref() != Some(&user.id) {
        return Err(PasskeyError::Expired);
    }
    let state: PasskeyRegistration = state_of(&ceremony)?;
    let answer: RegisterPublicKeyCredential =
        serde_json::from_str(credential).map_err(|_| PasskeyError::Refused)?;
    let passkey = match rp.webauthn.finish_passkey_registration(&answer, &state) {
        Ok(passkey) => passkey,
        Err(e) => {
            refused(provider, Some(user), ip, "registration", &e.to_string()).await;
            return Err(PasskeyError::Refused);
        }
    };
    let serialised = serde_json::to_value(&passkey).map_err(internal)?;
    let flag = |name: &str| {
        serialised
            .pointer(&format!("/cred/{name}"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let counter = serialised
        .pointer("/cred/counter")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let now = provider.clock().unix();
    let stored = StoredPasskey {
        id: new_id(),
        user_id: user.id.clone(),
        credential_id: passkey.cred_id().to_vec(),
        credential: serialised.to_string(),
        name,
        sign_count: counter,
        backup_eligible: flag("backup_eligible"),
        backup_state: flag("backup_state"),
        created_at: now,
        last_used_at: None,
    };
    match provider.store().insert_passkey(&stored).await {
        Ok(()) => {}
        // W3C WebAuthn L3 section 7.1 step 25: a credential id registered already (to this
        // user or another) is refused.
        Err(StoreError::Conflict(_)) => return Err(PasskeyError::Duplicate),
        Err(e) => return Err(e.into()),
    }
    audit::record(
        provider,
        Entry::new("passkey_registered")
            .user(&user.id)
            .ip(ip)
            .detail("passkey", stored.id.clone())
            .detail("backup_eligible", stored.backup_eligible),
    )
    .await;
    Ok(stored)
}

/// Renames one of `user`'s passkeys.
pub async fn rename(
    provider: &Provider,
    user: &User,
    id: &str,
    name: &str,
) -> Result<(), PasskeyError> {
    let name = parse_name(name)?;
    if provider.store().rename_passkey(&user.id, id, &name).await? {
        Ok(())
    } else {
        Err(PasskeyError::NotFound)
    }
}

/// Removes one of `user`'s passkeys (the caller checked re-authentication). A passkey id of
/// another user is [`PasskeyError::NotFound`], as if it did not exist.
pub async fn remove(
    provider: &Provider,
    user: &User,
    id: &str,
    ip: &str,
) -> Result<(), PasskeyError> {
    match provider.store().delete_passkey(&user.id, id).await {
        Ok(true) => {}
        Ok(false) => return Err(PasskeyError::LastMethod),
        Err(StoreError::NotFound) => return Err(PasskeyError::NotFound),
        Err(e) => return Err(e.into()),
    }
    audit::record(
        provider,
        Entry::new("passkey_removed")
            .user(&user.id)
            .ip(ip)
            .detail("passkey", id.to_owned()),
    )
    .await;
    Ok(())
}

fn network_key(ip: &str) -> Key {
    Key::network(Feature::PasskeySignIn, &Network::of(ip))
}

/// Starts a sign-in with a discoverable passkey (no e-mail address typed). `request` is the
/// authorization request to continue afterwards.
pub async fn begin_sign_in(
    provider: &Provider,
    rp: &RelyingParty,
    browser: &str,
    request: Option<&str>,
    ip: &str,
) -> Result<Ceremony, PasskeyError> {
    throttle::hit(provider, &[&network_key(ip)]).await?;
    let (options, state): (_, DiscoverableAuthentication) = rp
        .webauthn
        .start_discoverable_authentication()
        .map_err(internal)?;
    let options = serde_json::to_value(options).map_err(internal)?;
    store_ceremony(
        provider,
        SIGN_IN,
        None,
        browser,
        &state,
        request.map(str::to_owned),
        options,
    )
    .await
}

async fn refused(provider: &Provider, user: Option<&User>, ip: &str, step: &str, reason: &str) {
    let mut entry = Entry::new("passkey_refused")
        .failure()
        .ip(ip)
        .detail("step", step.to_owned())
        .detail("reason", reason.to_owned());
    if let Some(user) = user {
        entry = entry.user(&user.id);
    }
    audit::record(provider, entry).await;
}

/// Finishes a discoverable sign-in: the credential names the user (its user handle), its
/// signature proves the authenticator, user verification is required.
pub async fn finish_sign_in(
    provider: &Provider,
    rp: &RelyingParty,
    browser: &str,
    handle: &str,
    credential: &str,
    ip: &str,
) -> Result<Completed, PasskeyError> {
    throttle::hit(provider, &[&network_key(ip)]).await?;
    let ceremony = take_ceremony(provider, SIGN_IN, handle, browser).await?;
    let state: DiscoverableAuthentication = state_of(&ceremony)?;
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(credential) else {
        return Err(PasskeyError::Refused);
    };
    let Ok((user_handle, credential_id)) =
        rp.webauthn.identify_discoverable_authentication(&answer)
    else {
        refused(provider, None, ip, "sign_in", "no user handle").await;
        return Err(PasskeyError::Refused);
    };
    let stored = provider
        .store()
        .passkey_by_credential(credential_id)
        .await?
        .filter(|p| Uuid::try_parse(p.user_id.as_str()).ok() == Some(user_handle));
    let Some(stored) = stored else {
        refused(provider, None, ip, "sign_in", "unknown credential").await;
        return Err(PasskeyError::Refused);
    };
    let user = provider
        .store()
        .user(&stored.user_id)
        .await?
        .filter(User::is_active);
    let Some(user) = user else {
        refused(provider, None, ip, "sign_in", "account disabled").await;
        return Err(PasskeyError::Refused);
    };
    let account_key = Key::account(provider, Feature::PasskeySignIn, Account::User(&user.id));
    throttle::check(provider, &account_key).await?;
    let passkey: Passkey = serde_json::from_str(&stored.credential).map_err(internal)?;
    let result = rp.webauthn.finish_discoverable_authentication(
        &answer,
        state,
        &[DiscoverableKey::from(&passkey)],
    );
    let mut amr = match checked_use(provider, &user, &stored, passkey, result, ip, "sign_in").await
    {
        Ok(amr) => amr,
        Err(e) => {
            throttle::record(provider, &[&account_key]).await?;
            return Err(e);
        }
    };
    if provider.settings().account.require_verified_email && !user.email_verified {
        refused(provider, Some(&user), ip, "sign_in", "e-mail not verified").await;
        return Err(PasskeyError::EmailNotVerified);
    }
    // A passkey with user verification is two factors at once: the authenticator (something
    // held) and its PIN or biometric (something known or been). webauthn-rs requires user
    // verification for this ceremony; `mfa` is claimed only with it all the same.
    if amr.iter().any(|m| m == "user") {
        amr.push("mfa".into());
    }
    record_login(provider, &user, ip, &amr.join(" ")).await;
    Ok(Completed {
        user,
        amr,
        request: ceremony.context,
    })
}

/// Records the refusal of a passkey that may be cloned (its signature counter went backwards).
async fn cloned(provider: &Provider, user: &User, ip: &str, step: &str) -> PasskeyError {
    refused(
        provider,
        Some(user),
        ip,
        step,
        "signature counter went backwards",
    )
    .await;
    PasskeyError::Cloned
}

/// Checks the outcome of an assertion and records the use: the signature counter must go
/// forward, and the stored counter changes only if nobody used the passkey in between.
/// Returns the passkey's `amr` values.
async fn checked_use(
    provider: &Provider,
    user: &User,
    stored: &StoredPasskey,
    mut passkey: Passkey,
    result: Result<AuthenticationResult, WebauthnError>,
    ip: &str,
    step: &str,
) -> Result<Vec<String>, PasskeyError> {
    let result = match result {
        Ok(result) => result,
        // webauthn-rs compares the counter with the one in the serialised credential and
        // refuses a clone itself; the stored column says the same (it is written with it).
        Err(WebauthnError::CredentialPossibleCompromise) => {
            return Err(cloned(provider, user, ip, step).await);
        }
        Err(e) => {
            refused(provider, Some(user), ip, step, &e.to_string()).await;
            return Err(PasskeyError::Refused);
        }
    };
    let counter = i64::from(result.counter());
    // W3C WebAuthn L3 section 7.2 step 22: if the new or the stored signature counter is
    // nonzero, the new one MUST be greater than the stored one; otherwise the authenticator
    // may be cloned, and the assertion is refused.
    if (counter != 0 || stored.sign_count != 0) && counter <= stored.sign_count {
        return Err(cloned(provider, user, ip, step).await);
    }
    passkey.update_credential(&result);
    let credential = serde_json::to_string(&passkey).map_err(internal)?;
    let backup_eligible = stored.backup_eligible || result.backup_eligible();
    let used = PasskeyUse {
        id: &stored.id,
        previous_count: stored.sign_count,
        sign_count: counter,
        credential: &credential,
        backup_eligible,
        backup_state: result.backup_state(),
        now: provider.clock().unix(),
    };
    if !provider.store().use_passkey(&used).await? {
        // Another use of the same passkey was recorded in between: the same counter twice.
        refused(provider, Some(user), ip, step, "used concurrently").await;
        return Err(PasskeyError::Cloned);
    }
    // RFC 8176 section 2: `hwk` for a key bound to hardware, `swk` for one that is not
    // (backup-eligible credentials can be copied to other devices).
    let mut amr = vec![if backup_eligible { "swk" } else { "hwk" }.to_owned()];
    if result.user_verified() {
        amr.push("user".into());
    }
    Ok(amr)
}

fn challenge_binding(provider: &Provider, challenge: &str) -> String {
    URL_SAFE_NO_PAD.encode(provider.hasher().hash(challenge).as_bytes())
}

/// Starts a passkey check as the second step of a password login (`challenge` is the login
/// challenge handle of [`crate::login::password_step`]). Spends one attempt of the challenge.
pub async fn begin_second_factor(
    provider: &Provider,
    rp: &RelyingParty,
    browser: &str,
    challenge: &str,
) -> Result<Ceremony, PasskeyError> {
    let (user, _) = login_challenge(provider, browser, challenge).await?;
    let passkeys = provider
        .store()
        .user_passkeys(&user.id)
        .await?
        .iter()
        .map(|p| serde_json::from_str::<Passkey>(&p.credential))
        .collect::<Result<Vec<_>, _>>()
        .map_err(internal)?;
    if passkeys.is_empty() {
        return Err(PasskeyError::Refused);
    }
    let (options, state): (_, PasskeyAuthentication) = rp
        .webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(internal)?;
    let options = serde_json::to_value(options).map_err(internal)?;
    store_ceremony(
        provider,
        SECOND_FACTOR,
        Some(&user),
        browser,
        &state,
        Some(challenge_binding(provider, challenge)),
        options,
    )
    .await
}

/// The user and request of a live login challenge of this browser (spends one attempt).
async fn login_challenge(
    provider: &Provider,
    browser: &str,
    challenge: &str,
) -> Result<(User, Option<String>), PasskeyError> {
    let now = provider.clock().unix();
    let stored = provider
        .store()
        .attempt_login_challenge(
            &provider.hasher().hash(challenge),
            now,
            crate::login::CHALLENGE_ATTEMPTS,
        )
        .await?
        .filter(|c| c.browser_hash.ct_eq(&provider.hasher().hash(browser)))
        .ok_or(PasskeyError::Expired)?;
    let user = provider
        .store()
        .user(&stored.user_id)
        .await?
        .filter(User::is_active)
        .ok_or(PasskeyError::Expired)?;
    Ok((user, stored.request_handle))
}

/// Finishes the passkey step of a password login: the passkey must be one of the user's who
/// passed the password in this browser's challenge.
pub async fn finish_second_factor(
    provider: &Provider,
    rp: &RelyingParty,
    browser: &str,
    challenge: &str,
    handle: &str,
    credential: &str,
    ip: &str,
) -> Result<Completed, PasskeyError> {
    let ceremony = take_ceremony(provider, SECOND_FACTOR, handle, browser).await?;
    if ceremony.context.as_deref() != Some(challenge_binding(provider, challenge).as_str()) {
        return Err(PasskeyError::Expired);
    }
    let (user, request) = login_challenge(provider, browser, challenge).await?;
    if ceremony.user_id.as_ref() != Some(&user.id) {
        return Err(PasskeyError::Expired);
    }
    let account_key = Key::account(provider, Feature::SecondFactor, Account::User(&user.id));
    throttle::check(provider, &account_key).await?;
    let state: PasskeyAuthentication = state_of(&ceremony)?;
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(credential) else {
        return Err(PasskeyError::Refused);
    };
    let stored = provider
        .store()
        .passkey_by_credential(answer.get_credential_id())
        .await?
        .filter(|p| p.user_id == user.id);
    let Some(stored) = stored else {
        refused(
            provider,
            Some(&user),
            ip,
            "second_factor",
            "not the user's passkey",
        )
        .await;
        throttle::record(provider, &[&account_key]).await?;
        return Err(PasskeyError::Refused);
    };
    let passkey: Passkey = serde_json::from_str(&stored.credential).map_err(internal)?;
    let result = rp.webauthn.finish_passkey_authentication(&answer, &state);
    let amr = match checked_use(
        provider,
        &user,
        &stored,
        passkey,
        result,
        ip,
        "second_factor",
    )
    .await
    {
        Ok(amr) => amr,
        Err(e) => {
            throttle::record(provider, &[&account_key]).await?;
            return Err(e);
        }
    };
    provider
        .store()
        .delete_login_challenge(&provider.hasher().hash(challenge))
        .await?;
    let mut all = vec!["pwd".to_owned()];
    all.extend(amr);
    all.push("mfa".into());
    record_login(provider, &user, ip, &all.join(" ")).await;
    Ok(Completed {
        user,
        amr: all,
        request,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_id_is_the_issuers_host_and_never_an_ip_address() {
        let issuer = |text| Issuer::parse(text).unwrap();
        assert!(RelyingParty::new(&issuer("http://localhost:8080"), "Account").is_ok());
        assert!(RelyingParty::new(&issuer("https://id.example.com/tenant"), "Account").is_ok());
        assert!(RelyingParty::new(&issuer("http://127.0.0.1:8080"), "Account").is_err());
        assert!(RelyingParty::new(&issuer("http://[::1]:8080"), "Account").is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Laptop ").unwrap(), "Laptop");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(NAME_MAX_CHARS + 1)).is_err());
        assert!(parse_name("a\u{7}b").is_err());
        assert_eq!(
            parse_name(&"é".repeat(NAME_MAX_CHARS))
                .unwrap()
                .chars()
                .count(),
            64
        );
    }
}
