//! The device authorization grant, [RFC 8628](https://www.rfc-editor.org/rfc/rfc8628): a device
//! without a browser (a CLI, a TV) asks for a pair of codes, shows the user code, and polls the
//! token endpoint while the user approves the request on the `/device` page of another device.
//!
//! This module owns the device authorization endpoint ([`start`]), the user code
//! ([`UserCode`]) and the user's side on the verification page ([`find`], [`decide`]); the
//! token endpoint's side is [`crate::grants::device_code`]. Both codes are stored only as keyed
//! hashes. A user code is short (8 letters from 20: about 34.6 bits, section 6.1), so what keeps
//! it from being guessed is the limit on attempts per account and per network (section 5.1,
//! [`Feature::DeviceUserCode`]) within its lifetime. Anyone holding client credentials (or a
//! public client's id) can start requests, so the rows they leave are bounded per network and
//! for everyone ([`Feature::DeviceAuthorization`]). It knows nothing of HTTP.

use crate::Provider;
use crate::audit::{self, Entry};
use crate::authorize::requested_scope;
use crate::clients::authentication::{Accept, Credentials, authenticate_throttled};
use crate::clients::{Client, ClientId, GrantType};
use crate::error::OAuthError;
use crate::params::Params;
use crate::scope::Scope;
use crate::secrets::{TokenHash, new_id, new_token, random_bytes};
use crate::sessions::Session;
use crate::store::{DeviceDecision, NewDeviceAuthorization, StoreError};
use crate::throttle::{self, Account, Feature, Key, Network, Throttled};
use auth_proto::device::DeviceAuthorizationResponse;
use secrecy::ExposeSecret;
use std::fmt;
use std::sync::Arc;

/// The letters of user codes: consonants only (no vowels, so no words; RFC 8628 section 6.1),
/// none easily mistaken for another (no `Y`, which reads like `V` in some fonts).
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Letters in a user code.
pub const USER_CODE_LENGTH: usize = 8;

/// Prefix of device codes.
pub const DEVICE_CODE_PREFIX: &str = "dc_";

/// Where, under the issuer, the user enters the code (`verification_uri`, section 3.2); the
/// server routes its page here.
pub const VERIFICATION_PATH: &str = "/device";

/// How often drawing a user code may collide with a stored one before the request fails.
const USER_CODE_DRAWS: usize = 3;

/// A user code, normalised: eight letters of [`USER_CODE_ALPHABET`], no separator. `Debug`
/// does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCode(String);

impl UserCode {
    /// A new random code.
    pub fn generate() -> Self {
        let mut code = String::with_capacity(USER_CODE_LENGTH);
        while code.len() < USER_CODE_LENGTH {
            // 240 = 12 * 20: bytes below it map onto the alphabet without bias.
            for byte in random_bytes::<16>() {
                if byte < 240 && code.len() < USER_CODE_LENGTH {
                    code.push(char::from(USER_CODE_ALPHABET[usize::from(byte % 20)]));
                }
            }
        }
        Self(code)
    }

    /// What a user typed, normalised (section 6.1): case, dashes and spaces do not matter.
    /// `None` when it is not eight letters of the alphabet.
    pub fn parse(input: &str) -> Option<Self> {
        if input.len() > 64 {
            return None;
        }
        let code: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid =
            code.len() == USER_CODE_LENGTH && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
        valid.then_some(Self(code))
    }

    /// The code as shown to the user: `XXXX-XXXX`.
    pub fn display(&self) -> String {
        let (first, second) = self.0.split_at(USER_CODE_LENGTH / 2);
        format!("{first}-{second}")
    }

    /// Its stored form. Prefixed, so a user code can never hash like a token of another kind.
    pub fn hash(&self, provider: &Provider) -> TokenHash {
        provider.hasher().hash(&format!("user_code:{}", self.0))
    }
}

impl fmt::Debug for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserCode(..)")
    }
}

/// `/device_authorization` (RFC 8628 section 3.1): authenticates the client as the token
/// endpoint would, checks the grant and the scope, and stores a new request.
pub async fn start(
    provider: &Provider,
    authorization: Option<&str>,
    params: &Params,
    client_ip: &str,
) -> Result<DeviceAuthorizationResponse, OAuthError> {
    let credentials = Credentials::extract(authorization, params)?;
    // Section 3.1: the client authenticates as at the token endpoint (RFC 6749 section 3.2.1);
    // a public client names itself with `client_id`.
    let client =
        authenticate_throttled(provider, &credentials, Accept::AnyClient, client_ip).await?;
    if !client.may_use(GrantType::DeviceCode) {
        return Err(OAuthError::unauthorized_client(format!(
            "client `{}` is not allowed to use grant_type `{}`",
            client.id,
            GrantType::DeviceCode
        )));
    }
    let scope = requested_scope(&client, params)?;
    // Each request keeps a row until it expires: bounded per network and for everyone.
    throttle::hit(
        provider,
        &[
            &Key::network(Feature::DeviceAuthorization, &Network::of(client_ip)),
            &Key::account(provider, Feature::DeviceAuthorization, Account::Everyone),
        ],
    )
    .await
    .map_err(|t| OAuthError::throttled(&t, "device authorization requests"))?;

    let policy = &provider.settings().device;
    let expires_in = policy.code_ttl.as_secs();
    let interval = policy.interval.as_secs();
    let now = provider.clock().unix();
    let new = NewDeviceAuthorization {
        client_id: client.id.to_string(),
        scope: scope.to_string(),
        created_at: now,
        expires_at: now.saturating_add(i64::try_from(expires_in).unwrap_or(600)),
        interval_secs: i64::try_from(interval).unwrap_or(5),
        family_id: new_id(),
    };
    let device_code = new_token(DEVICE_CODE_PREFIX);
    let device_code_hash = provider.hasher().hash(device_code.expose_secret());
    let mut draws = 0;
    let user_code = loop {
        let user_code = UserCode::generate();
        let stored = provider
            .store()
            .insert_device_authorization(&device_code_hash, &user_code.hash(provider), &new)
            .await;
        draws += 1;
        match stored {
            Ok(()) => break user_code,
            // Another request holds this user code: draw again.
            Err(StoreError::Conflict(_)) if draws < USER_CODE_DRAWS => {}
            Err(e) => return Err(e.into()),
        }
    };
    let verification_uri = provider.settings().issuer.endpoint(VERIFICATION_PATH);
    let shown = user_code.display();
    Ok(DeviceAuthorizationResponse {
        device_code: device_code.expose_secret().to_owned(),
        // Section 3.3.1: the complete URI carries the code, for a link or a QR code.
        verification_uri_complete: Some(format!("{verification_uri}?user_code={shown}")),
        user_code: shown,
        verification_uri,
        expires_in,
        interval,
    })
}

/// Why a user code entered on the verification page led nowhere.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// Not eight letters of the alphabet.
    #[error("a code has 8 letters, such as BCDF-GHJK")]
    Malformed,
    /// No pending request has this code: wrong, expired, or already decided (the page does
    /// not say which).
    #[error("this code is not valid: check it on your device, or start again there")]
    Unknown,
    /// Too many codes entered by this account or from this network.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A pending request, as the user sees it before deciding.
#[derive(Debug, Clone)]
pub struct PendingDevice {
    /// The code, normalised.
    pub user_code: UserCode,
    /// The client that asked.
    pub client: Arc<Client>,
    /// The scope it asked for.
    pub scope: Scope,
}

/// The pending request a signed-in user's code names, to show before they decide (section
/// 5.4: the user sees which application asks, and for what, and acts explicitly). The code
/// counts against the user's and the network's limits first (section 5.1).
pub async fn find(
    provider: &Provider,
    session: &Session,
    input: &str,
    ip: &str,
) -> Result<PendingDevice, DeviceError> {
    let user_code = UserCode::parse(input).ok_or(DeviceError::Malformed)?;
    // Every well-formed code counts, right or wrong: guesses are what the limit is for, and a
    // right code gives an attacker no reason to stop.
    throttle::hit(
        provider,
        &[
            &Key::network(Feature::DeviceUserCode, &Network::of(ip)),
            &Key::account(
                provider,
                Feature::DeviceUserCode,
                Account::User(&session.user_id),
            ),
        ],
    )
    .await?;
    let now = provider.clock().unix();
    let stored = provider
        .store()
        .pending_device_authorization(&user_code.hash(provider), now)
        .await?
        .ok_or(DeviceError::Unknown)?;
    let client =
        ClientId::parse(&stored.client_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    // A client deleted since would have taken the row with it.
    let client = provider
        .store()
        .client(&client)
        .await?
        .ok_or(DeviceError::Unknown)?;
    let scope = Scope::parse(&stored.scope).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(PendingDevice {
        user_code,
        client,
        scope,
    })
}

/// What the user decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The device gets tokens for the user.
    Approve,
    /// The device gets `access_denied`.
    Deny,
}

/// Records the signed-in user's decision on the request `input` names. The code counts
/// against the limits again (this post can be sent without the page before it). The scope
/// granted is what the user's roles allow of the request, as for an authorization code.
pub async fn decide(
    provider: &Provider,
    session: &Session,
    input: &str,
    decision: Decision,
    ip: &str,
) -> Result<PendingDevice, DeviceError> {
    let found = find(provider, session, input, ip).await?;
    let now = provider.clock().unix();
    let stored = match decision {
        Decision::Approve => {
            let grants = provider.store().user_grants(&session.user_id).await?;
            let scope: Scope = found
                .scope
                .iter()
                .filter(|s| grants.allow_scope(s))
                .collect();
            DeviceDecision::Approve {
                session: session.clone(),
                scope: scope.to_string(),
            }
        }
        Decision::Deny => DeviceDecision::Deny {
            user: session.user_id.clone(),
        },
    };
    let decided = provider
        .store()
        .decide_device_authorization(&found.user_code.hash(provider), now, &stored)
        .await?;
    if !decided {
        // Decided in another tab, or expired, since it was read.
        return Err(DeviceError::Unknown);
    }
    let event = match decision {
        Decision::Approve => "device_approved",
        Decision::Deny => "device_denied",
    };
    audit::record(
        provider,
        Entry::new(event)
            .user(&session.user_id)
            .client(found.client.id.as_str())
            .ip(ip)
            .detail("scope", found.scope.to_string()),
    )
    .await;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_eight_letters_of_the_alphabet_shown_in_two_groups() {
        for _ in 0..100 {
            let code = UserCode::generate();
            assert_eq!(code.0.len(), USER_CODE_LENGTH);
            assert!(code.0.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)));
            let shown = code.display();
            assert_eq!(shown.len(), 9);
            assert_eq!(&shown[4..5], "-");
            assert_eq!(UserCode::parse(&shown), Some(code));
        }
    }

    #[test]
    fn typed_codes_are_normalised_and_strangers_refused() {
        let code = UserCode::parse("bcdf-ghjk").unwrap();
        assert_eq!(code.display(), "BCDF-GHJK");
        assert_eq!(UserCode::parse(" BCDF GHJK "), Some(code.clone()));
        assert_eq!(UserCode::parse("BCDFGHJK"), Some(code));
        // Vowels, digits and look-alikes are not in the alphabet; lengths must match.
        for wrong in [
            "BCDF-GHJA",
            "BCDF-GHJ1",
            "BCDF-GHJY",
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "",
        ] {
            assert_eq!(UserCode::parse(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn the_alphabet_has_no_vowels_or_look_alikes() {
        for letter in b"AEIOUY01" {
            assert!(!USER_CODE_ALPHABET.contains(letter));
        }
    }
}
