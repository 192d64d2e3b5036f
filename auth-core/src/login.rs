//! Logging in: the password, then a second factor when the account has one.
//!
//! After the password, a user with an authenticator app (or, when configured, any user without
//! one) gets a challenge: a handle bound to the browser, stored in the database so any replica
//! can finish it, valid for five minutes and a few attempts. The second step accepts a TOTP
//! code, a recovery code, or the e-mailed code. `amr` records what was used (RFC 8176).

use crate::Provider;
use crate::audit::{self, Entry};
use crate::otp::codes::{self, Channel, CodePurpose};
use crate::otp::{OtpError, recovery, totp};
use crate::secrets::new_token;
use crate::store::StoredChallenge;
use crate::users::{self, LoginError, User, password::Password};
use secrecy::ExposeSecret;

const CHALLENGE_TTL_SECS: i64 = 300;
pub(crate) const CHALLENGE_ATTEMPTS: i64 = 5;

/// The second factor a challenge asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// An authenticator app code (or a recovery code).
    Totp,
    /// A code sent by e-mail.
    Email,
}

impl Method {
    /// The name used in forms and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Email => "email",
        }
    }

    /// Parses [`as_str`](Self::as_str).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "totp" => Some(Self::Totp),
            "email" => Some(Self::Email),
            _ => None,
        }
    }
}

/// After the password.
#[derive(Debug)]
pub enum FirstStep {
    /// Logged in with the password alone.
    Done(Box<User>),
    /// A second factor is needed.
    SecondFactor {
        /// The challenge handle (goes into the second form).
        handle: String,
        /// What it asks for.
        method: Method,
        /// Whether the user has a passkey, which also serves as this step.
        passkey: bool,
    },
}

/// Why the password step failed.
#[derive(Debug, thiserror::Error)]
pub enum FirstStepError {
    /// Wrong credentials, throttled, disabled, ...
    #[error(transparent)]
    Login(#[from] LoginError),
    /// The address is not verified and the server requires it.
    #[error("confirm your e-mail address first: open the link we sent you")]
    EmailNotVerified,
    /// Sending the e-mail code failed.
    #[error(transparent)]
    Otp(#[from] OtpError),
}

/// Checks the password and decides whether a second factor is needed. `browser` binds the
/// challenge to the browser; `request` is the authorization request to continue afterwards.
pub async fn password_step(
    provider: &Provider,
    email: &str,
    password: &Password,
    ip: &str,
    browser: &str,
    request: Option<&str>,
) -> Result<FirstStep, FirstStepError> {
    let user = match users::login(provider, email, password, ip).await {
        Ok(user) => user,
        Err(e) => {
            if !matches!(e, LoginError::Internal(_)) {
                audit::record(
                    provider,
                    Entry::new("login")
                        .failure()
                        .ip(ip)
                        .detail("reason", e.to_string()),
                )
                .await;
            }
            return Err(e.into());
        }
    };
    if provider.settings().account.require_verified_email && !user.email_verified {
        audit::record(
            provider,
            Entry::new("login")
                .failure()
                .user(&user.id)
                .ip(ip)
                .detail("reason", "e-mail not verified"),
        )
        .await;
        return Err(FirstStepError::EmailNotVerified);
    }
    let method = if totp::is_enabled(provider, &user).await? {
        Method::Totp
    } else if provider.settings().account.email_code_second_factor {
        codes::send(provider, &user, CodePurpose::Login, Channel::Email, ip).await?;
        Method::Email
    } else {
        record_login(provider, &user, ip, "pwd").await;
        return Ok(FirstStep::Done(Box::new(user)));
    };
    let handle = new_token("lc_");
    let now = provider.clock().unix();
    let challenge = StoredChallenge {
        user_id: user.id.clone(),
        browser_hash: provider.hasher().hash(browser),
        request_handle: request.map(str::to_owned),
        method: method.as_str().to_owned(),
        attempts: 0,
        created_at: now,
        expires_at: now + CHALLENGE_TTL_SECS,
    };
    provider
        .store()
        .insert_login_challenge(&challenge, &provider.hasher().hash(handle.expose_secret()))
        .await
        .map_err(|e| FirstStepError::Login(e.into()))?;
    let passkey = !provider
        .store()
        .user_passkeys(&user.id)
        .await
        .map_err(|e| FirstStepError::Login(e.into()))?
        .is_empty();
    Ok(FirstStep::SecondFactor {
        handle: handle.expose_secret().to_owned(),
        method,
        passkey,
    })
}

/// What the user typed at the second step.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    /// A TOTP or e-mailed code.
    Code(String),
    /// A recovery code.
    RecoveryCode(String),
}

/// A completed login.
#[derive(Debug)]
pub struct Completed {
    /// The user.
    pub user: User,
    /// Authentication methods (RFC 8176).
    pub amr: Vec<String>,
    /// The authorization request to continue.
    pub request: Option<String>,
}

/// Why the second step failed.
#[derive(Debug, thiserror::Error)]
pub enum SecondStepError {
    /// The challenge is gone: expired, out of attempts, or from another browser.
    #[error("this sign-in has expired; sign in again")]
    Expired,
    /// The code was not accepted.
    #[error(transparent)]
    Otp(#[from] OtpError),
}

/// Checks the second factor of a challenge.
pub async fn second_step(
    provider: &Provider,
    handle: &str,
    browser: &str,
    input: SecondFactor,
    ip: &str,
) -> Result<Completed, SecondStepError> {
    let now = provider.clock().unix();
    let handle_hash = provider.hasher().hash(handle);
    let challenge = provider
        .store()
        .attempt_login_challenge(&handle_hash, now, CHALLENGE_ATTEMPTS)
        .await
        .map_err(OtpError::from)?
        .filter(|c| c.browser_hash.ct_eq(&provider.hasher().hash(browser)))
        .ok_or(SecondStepError::Expired)?;
    let user = provider
        .store()
        .user(&challenge.user_id)
        .await
        .map_err(OtpError::from)?
        .filter(User::is_active)
        .ok_or(SecondStepError::Expired)?;
    let method = Method::parse(&challenge.method).ok_or(SecondStepError::Expired)?;
    // Wrong codes count against the account across challenges: each correct password opens
    // a fresh challenge, but not a fresh budget of guesses.
    let result = crate::otp::guarded(provider, &user, async {
        match (&input, method) {
            (SecondFactor::Code(code), Method::Totp) => totp::verify(provider, &user, code)
                .await
                .map(|()| vec!["pwd", "otp", "mfa"]),
            (SecondFactor::Code(code), Method::Email) => {
                codes::verify(provider, &user, CodePurpose::Login, code)
                    .await
                    .map(|()| vec!["pwd", "otp", "mfa"])
            }
            (SecondFactor::RecoveryCode(code), Method::Totp) => {
                recovery::redeem(provider, &user, code)
                    .await
                    .map(|()| vec!["pwd", "mfa"])
            }
            (SecondFactor::RecoveryCode(_), Method::Email) => Err(OtpError::NotEnrolled(
                "recovery codes are only for accounts with an authenticator app",
            )),
        }
    })
    .await;
    match result {
        Ok(amr) => {
            provider
                .store()
                .delete_login_challenge(&handle_hash)
                .await
                .map_err(OtpError::from)?;
            let used_recovery = matches!(input, SecondFactor::RecoveryCode(_));
            if used_recovery {
                audit::record(
                    provider,
                    Entry::new("recovery_code_used").user(&user.id).ip(ip),
                )
                .await;
            }
            record_login(provider, &user, ip, &amr.join(" ")).await;
            Ok(Completed {
                user,
                amr: amr.into_iter().map(str::to_owned).collect(),
                request: challenge.request_handle,
            })
        }
        Err(e) => {
            audit::record(
                provider,
                Entry::new("login_second_factor")
                    .failure()
                    .user(&user.id)
                    .ip(ip)
                    .detail("reason", e.to_string()),
            )
            .await;
            Err(e.into())
        }
    }
}

/// Audits a successful login of `user` with the (space-separated) methods `amr`.
pub(crate) async fn record_login(provider: &Provider, user: &User, ip: &str, amr: &str) {
    audit::record(
        provider,
        Entry::new("login").user(&user.id).ip(ip).detail("amr", amr),
    )
    .await;
}
