//! TOTP second factor ([RFC 6238](https://www.rfc-editor.org/rfc/rfc6238)) with `totp-rs`:
//! SHA-1, 6 digits, 30-second steps, one step of clock skew either way (what authenticator apps
//! implement). The secret is sealed under the KEK; each accepted step is recorded so the same
//! code (or an older one) cannot be replayed (RFC 6238 section 5.2).

use super::OtpError;
use super::recovery::{self, RecoveryCodes};
use crate::Provider;
use crate::secrets::random_bytes;
use crate::store::StoreError;
use crate::users::User;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// What the user needs to add the account to an authenticator app.
#[derive(Clone)]
pub struct Enrolment {
    /// The secret in base32, to type in by hand.
    pub secret_base32: String,
    /// The `otpauth://` URI, for the QR code.
    pub otpauth_url: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(..)")
    }
}

fn build(secret: Vec<u8>, issuer: &str, account: &str) -> Result<Totp, OtpError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_issuer(Some(issuer))
        .with_account_name(account)
        .build()
        .map_err(|e| OtpError::Internal(e.to_string()))
}

fn issuer_label(provider: &Provider) -> String {
    url::Url::parse(provider.settings().issuer.as_str())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "auth-server".to_owned())
}

/// Whether the user has a confirmed authenticator app.
pub async fn is_enabled(provider: &Provider, user: &User) -> Result<bool, OtpError> {
    Ok(provider
        .store()
        .totp(&user.id)
        .await?
        .is_some_and(|t| t.confirmed_at.is_some()))
}

/// Starts an enrolment: a new secret, stored sealed until the user confirms it with a code.
pub async fn begin(provider: &Provider, user: &User) -> Result<Enrolment, OtpError> {
    let secret = random_bytes::<20>().to_vec();
    let sealed = provider
        .kek()
        .seal(user.id.as_str().as_bytes(), &secret)
        .map_err(|e| OtpError::Internal(e.to_string()))?;
    match provider
        .store()
        .put_pending_totp(&user.id, &sealed, provider.clock().unix())
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(OtpError::AlreadyEnrolled),
        Err(e) => return Err(e.into()),
    }
    enrolment(provider, user, secret)
}

/// The enrolment data of a pending (unconfirmed) secret, to show the page again.
pub async fn pending(provider: &Provider, user: &User) -> Result<Option<Enrolment>, OtpError> {
    match provider.store().totp(&user.id).await? {
        Some(stored) if stored.confirmed_at.is_none() => {
            let secret = open(provider, user, &stored.sealed_secret)?;
            Ok(Some(enrolment(provider, user, secret)?))
        }
        _ => Ok(None),
    }
}

fn enrolment(provider: &Provider, user: &User, secret: Vec<u8>) -> Result<Enrolment, OtpError> {
    let secret_base32 = Secret::from(secret.clone()).to_base32();
    let totp = build(secret, &issuer_label(provider), user.email.as_str())?;
    let otpauth_url = totp
        .to_url()
        .map_err(|e| OtpError::Internal(e.to_string()))?;
    Ok(Enrolment {
        secret_base32,
        otpauth_url,
    })
}

fn open(provider: &Provider, user: &User, sealed: &[u8]) -> Result<Vec<u8>, OtpError> {
    provider
        .kek()
        .open(user.id.as_str().as_bytes(), sealed)
        .map_err(|e| OtpError::Internal(e.to_string()))
}

/// The step `code` matches at the provider's current time, if any.
fn matching_step(
    provider: &Provider,
    user: &User,
    secret: Vec<u8>,
    code: &str,
) -> Result<Option<i64>, OtpError> {
    let totp = build(secret, &issuer_label(provider), user.email.as_str())?;
    let now = u64::try_from(provider.clock().unix()).unwrap_or(0);
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp
        .check(&code, now)
        .and_then(|step| i64::try_from(step).ok()))
}

/// Confirms the pending enrolment with a first code and returns new recovery codes.
pub async fn confirm(
    provider: &Provider,
    user: &User,
    code: &str,
) -> Result<RecoveryCodes, OtpError> {
    let stored = provider
        .store()
        .totp(&user.id)
        .await?
        .filter(|t| t.confirmed_at.is_none())
        .ok_or(OtpError::NotEnrolled(
            "there is no authenticator app waiting for confirmation",
        ))?;
    let secret = open(provider, user, &stored.sealed_secret)?;
    let step = matching_step(provider, user, secret, code)?.ok_or(OtpError::Wrong {
        attempts_left: None,
    })?;
    if !provider
        .store()
        .confirm_totp(&user.id, step, provider.clock().unix())
        .await?
    {
        return Err(OtpError::NotEnrolled(
            "there is no authenticator app waiting for confirmation",
        ));
    }
    recovery::regenerate(provider, user).await
}

/// Checks a code of the confirmed authenticator app; each step is accepted once.
pub async fn verify(provider: &Provider, user: &User, code: &str) -> Result<(), OtpError> {
    let stored = provider
        .store()
        .totp(&user.id)
        .await?
        .filter(|t| t.confirmed_at.is_some())
        .ok_or(OtpError::NotEnrolled("no authenticator app is set up"))?;
    let secret = open(provider, user, &stored.sealed_secret)?;
    let step = matching_step(provider, user, secret, code)?.ok_or(OtpError::Wrong {
        attempts_left: None,
    })?;
    if provider.store().use_totp_step(&user.id, step).await? {
        Ok(())
    } else {
        Err(OtpError::Replayed)
    }
}

/// Removes the authenticator app and the recovery codes.
pub async fn disable(provider: &Provider, user: &User) -> Result<(), OtpError> {
    provider.store().delete_totp(&user.id).await?;
    Ok(())
}

/// The current code for a base32 secret (for tests and tools that act as the authenticator).
pub fn code_for(secret_base32: &str, unix: u64) -> Option<String> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(secret.as_bytes().to_vec())
        .build_noncompliant();
    Some(totp.generate(unix).to_string())
}
