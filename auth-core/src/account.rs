//! Changes a signed-in user makes to their own account. Sensitive ones need proof beyond the
//! session: the current password to change it, and for the e-mail address or disabling the
//! authenticator app a one-time code (step-up).

use crate::Provider;
use crate::audit::{self, Entry};
use crate::mail::Mail;
use crate::otp::codes::{self, CodePurpose};
use crate::otp::{self, OtpError, totp};
use crate::password_reset;
use crate::store::StoreError;
use crate::throttle::{self, Account, Feature, Key, Network, Throttled};
use crate::users::password::{self, Password};
use crate::users::{Email, Profile, User, UserError, parse_phone};
use crate::verification;

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The current password is wrong.
    #[error("the current password is not correct")]
    WrongPassword,
    /// Too many wrong passwords.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// The one-time code was not accepted.
    #[error(transparent)]
    Otp(#[from] OtpError),
    /// The new value is invalid.
    #[error(transparent)]
    User(#[from] UserError),
    /// The change needs proof beyond the session and none was given.
    #[error(
        "enter your current password: you signed in more than {} minutes ago",
        RECENT_AUTHENTICATION_SECS / 60
    )]
    ReauthenticationRequired,
    /// The change needs a step-up code and none was given.
    #[error("{0} needs a code sent to your e-mail address; ask for one first")]
    StepUpRequired(&'static str),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        Self::User(e.into())
    }
}

/// Checks the current password of a signed-in user: every re-check (password change, new
/// recovery codes, authenticator app set-up and removal, in the pages and the API) goes
/// through here, so a wrong password counts like a failed login, against the account and the
/// network, and is refused past the login limits.
pub async fn confirm_password(
    provider: &Provider,
    user: &User,
    current: &Password,
    ip: &str,
) -> Result<(), AccountError> {
    let network = Network::of(ip);
    let account = Account::Email(user.email.normalized());
    let account_key = Key::account(provider, Feature::PasswordFailure, account);
    let pair_key = Key::account_on_network(provider, Feature::PasswordFailure, account, &network);
    let network_key = Key::network(Feature::PasswordFailure, &network);
    let keys = [&pair_key, &account_key, &network_key];
    throttle::check_all(provider, &keys).await?;
    if password::verify(current, user.password_hash.as_deref()).await {
        Ok(())
    } else {
        throttle::record(provider, &keys).await?;
        Err(AccountError::WrongPassword)
    }
}

/// How long after signing in a session counts as recently authenticated.
pub const RECENT_AUTHENTICATION_SECS: i64 = 5 * 60;

/// Proof beyond the session for setting up a second factor, so a stolen session cannot put an
/// authenticator app of its own on the account and lock the owner out: the current password
/// (checked by [`confirm_password`], so throttled like logins), or a sign-in at most
/// [`RECENT_AUTHENTICATION_SECS`] ago (`auth_time` of the session).
pub async fn reauthenticate(
    provider: &Provider,
    user: &User,
    auth_time: i64,
    current: Option<&Password>,
    ip: &str,
) -> Result<(), AccountError> {
    match current {
        Some(current) => confirm_password(provider, user, current, ip).await,
        None if provider.clock().unix() - auth_time <= RECENT_AUTHENTICATION_SECS => Ok(()),
        None => Err(AccountError::ReauthenticationRequired),
    }
}

/// Changes the password. Other sessions end and their tokens are revoked; `session` (the one
/// making the change) stays.
pub async fn change_password(
    provider: &Provider,
    user: &User,
    session: Option<&str>,
    current: &Password,
    new: &Password,
    ip: &str,
) -> Result<(), AccountError> {
    confirm_password(provider, user, current, ip).await?;
    provider
        .settings()
        .users
        .password
        .check(new, user.email.as_str())
        .map_err(UserError::from)?;
    password_reset::set_password(provider, user, new, session).await?;
    audit::record(
        provider,
        Entry::new("password_changed").user(&user.id).ip(ip),
    )
    .await;
    Ok(())
}

/// Replaces the profile and phone number. A different phone number needs a step-up `code`:
/// text-message codes go to it, so whoever holds a stolen token must not be able to point
/// them at a phone of their own and pass the step-up of e-mail change or TOTP removal.
pub async fn update_profile(
    provider: &Provider,
    user: &User,
    profile: &Profile,
    phone: Option<&str>,
    code: Option<&str>,
    ip: &str,
) -> Result<User, AccountError> {
    profile.validate()?;
    let phone = phone
        .filter(|p| !p.trim().is_empty())
        .map(parse_phone)
        .transpose()?;
    if phone != user.phone_number {
        let code = code
            .filter(|c| !c.trim().is_empty())
            .ok_or(AccountError::StepUpRequired("changing the phone number"))?;
        step_up(provider, user, code, ip).await?;
    }
    let now = provider.clock().unix();
    provider
        .store()
        .update_profile(&user.id, profile, now)
        .await?;
    provider
        .store()
        .set_phone_number(&user.id, phone.as_deref(), now)
        .await?;
    provider
        .store()
        .user(&user.id)
        .await?
        .ok_or_else(|| AccountError::User(UserError::NotFound(user.id.to_string())))
}

/// Checks the step-up code sent to the user (counted against the user's and the address's
/// attempts).
async fn step_up(provider: &Provider, user: &User, code: &str, ip: &str) -> Result<(), OtpError> {
    otp::attempt(
        provider,
        user,
        ip,
        codes::verify(provider, user, CodePurpose::StepUp, code),
    )
    .await
}

/// Changes the e-mail address after a step-up code sent to the current address. The new address
/// is unverified until the user confirms it through the link sent to it; the old address is
/// told of the change.
pub async fn change_email(
    provider: &Provider,
    user: &User,
    new_email: &Email,
    code: &str,
    ip: &str,
) -> Result<User, AccountError> {
    step_up(provider, user, code, ip).await?;
    match provider
        .store()
        .set_email(&user.id, new_email, provider.clock().unix())
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(UserError::EmailTaken.into()),
        Err(e) => return Err(e.into()),
    }
    let updated = provider
        .store()
        .user(&user.id)
        .await?
        .ok_or_else(|| AccountError::User(UserError::NotFound(user.id.to_string())))?;
    verification::send_link(provider, &updated).await?;
    // The old address hears of the change: if it was not its owner's doing (a stolen session
    // passing a step-up code), the owner learns before the account is lost for good.
    provider
        .send_mail(
            Mail::EmailChanged {
                to: user.email.as_str().to_owned(),
            },
            user.profile.locale.as_deref(),
        )
        .await
        .map_err(|e| UserError::Internal(e.to_string()))?;
    audit::record(provider, Entry::new("email_changed").user(&user.id).ip(ip)).await;
    Ok(updated)
}

/// Turns off the authenticator app: needs the password and a code (from the app, or a step-up
/// code sent by e-mail).
pub async fn disable_totp(
    provider: &Provider,
    user: &User,
    current: &Password,
    code: &str,
    ip: &str,
) -> Result<(), AccountError> {
    confirm_password(provider, user, current, ip).await?;
    otp::attempt(provider, user, ip, async {
        if totp::verify(provider, user, code).await.is_err() {
            // Neither the app's code nor a step-up code: a wrong guess, counted as one.
            match codes::verify(provider, user, CodePurpose::StepUp, code).await {
                Err(OtpError::Missing) => {
                    return Err(OtpError::Wrong {
                        attempts_left: None,
                    });
                }
                other => other?,
            }
        }
        Ok(())
    })
    .await?;
    totp::disable(provider, user).await?;
    audit::record(provider, Entry::new("totp_disabled").user(&user.id).ip(ip)).await;
    Ok(())
}
