//! E-mail verification: a single-use, expiring link sent at sign-up and on request.

use crate::Provider;
use crate::mail::Mail;
use crate::secrets::new_token;
use crate::store::{EmailTokenPurpose, StoreError};
use crate::throttle::{self, Account, Feature, Key};
use crate::users::{User, UserError};
use secrecy::{ExposeSecret, SecretString};

/// Prefix of verification link tokens.
pub const VERIFY_PREFIX: &str = "ev_";

/// Why a link was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Unknown, used or expired.
    #[error("this link is invalid, was already used, or has expired")]
    Invalid,
    /// Storage failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::store::StoreError> for LinkError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// Sends a verification link to the user's current address.
pub async fn send_link(provider: &Provider, user: &User) -> Result<(), UserError> {
    let policy = &provider.settings().account;
    let ttl = i64::try_from(policy.verification_link_ttl.as_secs()).unwrap_or(86_400);
    let token = store_link(
        provider,
        user,
        VERIFY_PREFIX,
        EmailTokenPurpose::VerifyEmail,
        ttl,
    )
    .await?;
    provider
        .send_mail(
            Mail::VerifyEmail {
                to: user.email.as_str().to_owned(),
                name: user.profile.name.clone(),
                token: token.expose_secret().to_owned(),
                valid_minutes: policy.verification_link_ttl.as_secs().div_ceil(60),
            },
            user.profile.locale.as_deref(),
        )
        .await
        .map_err(|e| UserError::Internal(e.to_string()))
}

/// Stores a new single-use link token (`prefix` and random) for `purpose` and the user's current
/// address, valid for `ttl_secs`: only its hash is kept. Returns the token to mail.
pub(crate) async fn store_link(
    provider: &Provider,
    user: &User,
    prefix: &str,
    purpose: EmailTokenPurpose,
    ttl_secs: i64,
) -> Result<SecretString, StoreError> {
    let token = new_token(prefix);
    let now = provider.clock().unix();
    provider
        .store()
        .insert_email_token(
            &provider.hasher().hash(token.expose_secret()),
            &user.id,
            purpose,
            user.email.as_str(),
            now,
            now + ttl_secs,
        )
        .await?;
    Ok(token)
}

/// Sends a new link to `email` if an unverified account has it, in a background task, so the
/// caller answers before anything about the address is looked up: the answer is the same, in
/// content and in time, whether or not such an account exists (as
/// [`crate::password_reset::request`]). Mails per account are limited silently; failures are
/// logged, since nobody waits for them.
pub fn resend(provider: &Provider, email: &str) {
    let provider = provider.clone();
    let email = email.to_owned();
    tokio::spawn(async move {
        if let Err(e) = resend_link(&provider, &email).await {
            tracing::error!(error = %e, "cannot send a new confirmation link");
        }
    });
}

async fn resend_link(provider: &Provider, email: &str) -> Result<(), UserError> {
    let normalized = email.trim().to_lowercase();
    let Some(user) = provider.store().user_by_email(&normalized).await? else {
        return Ok(());
    };
    if user.email_verified || !user.is_active() {
        return Ok(());
    }
    let key = Key::account(provider, Feature::Verification, Account::User(&user.id));
    if throttle::hit(provider, &[&key]).await.is_err() {
        tracing::info!(
            event = "verification_mail_limited",
            "verification mail not sent: limit reached"
        );
        return Ok(());
    }
    send_link(provider, &user).await
}

/// Uses a verification link: marks the address verified (if it is still the account's).
pub async fn verify(provider: &Provider, token: &str) -> Result<User, LinkError> {
    let now = provider.clock().unix();
    let (user_id, email) = provider
        .store()
        .consume_email_token(
            &provider.hasher().hash(token),
            EmailTokenPurpose::VerifyEmail,
            now,
        )
        .await?
        .ok_or(LinkError::Invalid)?;
    if !provider
        .store()
        .set_email_verified(&user_id, &email, now)
        .await?
    {
        return Err(LinkError::Invalid);
    }
    crate::audit::record(
        provider,
        crate::audit::Entry::new("email_verified").user(&user_id),
    )
    .await;
    provider
        .store()
        .user(&user_id)
        .await?
        .ok_or(LinkError::Invalid)
}
