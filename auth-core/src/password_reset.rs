//! Password reset by e-mailed, single-use link.
//!
//! Asking answers the same, and as fast, whether or not the address has an account. Setting the new password
//! ends every session of the user and revokes their refresh tokens, and a confirmation mail
//! goes out.

use crate::Provider;
use crate::audit::{self, Entry};
use crate::mail::Mail;
use crate::store::EmailTokenPurpose;
use crate::throttle::{self, Account, Feature, Key};
use crate::users::password::{self, Password};
use crate::users::{User, UserError};
use crate::verification::{LinkError, store_link};
use secrecy::ExposeSecret;

/// Prefix of reset link tokens.
pub const RESET_PREFIX: &str = "pr_";

/// Sends a reset link if `email` belongs to an active account, in a background task, so the
/// caller answers before anything about the address is looked up: the answer is the same, in
/// content and in time, whether or not the address has an account (no enumeration by timing).
/// Mails per account are limited silently; failures are logged, since nobody waits for them.
pub fn request(provider: &Provider, email: &str, ip: &str) {
    let provider = provider.clone();
    let email = email.to_owned();
    let ip = ip.to_owned();
    tokio::spawn(async move {
        if let Err(e) = send_link(&provider, &email, &ip).await {
            tracing::error!(error = %e, "cannot send a password reset link");
        }
    });
}

async fn send_link(provider: &Provider, email: &str, ip: &str) -> Result<(), UserError> {
    let normalized = email.trim().to_lowercase();
    let Some(user) = provider
        .store()
        .user_by_email(&normalized)
        .await?
        .filter(User::is_active)
    else {
        audit::record(
            provider,
            Entry::new("password_reset_requested")
                .about_an_address()
                .failure()
                .ip(ip)
                .detail("reason", "unknown address"),
        )
        .await;
        return Ok(());
    };
    let key = Key::account(provider, Feature::PasswordReset, Account::User(&user.id));
    if throttle::hit(provider, &[&key]).await.is_err() {
        audit::record(
            provider,
            Entry::new("password_reset_requested")
                .about_an_address()
                .failure()
                .user(&user.id)
                .ip(ip)
                .detail("reason", "limit reached"),
        )
        .await;
        return Ok(());
    }
    let policy = &provider.settings().account;
    let ttl = i64::try_from(policy.reset_link_ttl.as_secs()).unwrap_or(1800);
    let token = store_link(
        provider,
        &user,
        RESET_PREFIX,
        EmailTokenPurpose::ResetPassword,
        ttl,
    )
    .await?;
    provider
        .send_mail(
            Mail::ResetPassword {
                to: user.email.as_str().to_owned(),
                token: token.expose_secret().to_owned(),
                valid_minutes: policy.reset_link_ttl.as_secs().div_ceil(60),
            },
            user.profile.locale.as_deref(),
        )
        .await
        .map_err(|e| UserError::Internal(e.to_string()))?;
    audit::record(
        provider,
        Entry::new("password_reset_requested")
            .about_an_address()
            .user(&user.id)
            .ip(ip),
    )
    .await;
    Ok(())
}

/// Why a reset did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// The link is not valid.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The new password is refused (the link stays valid).
    #[error(transparent)]
    User(#[from] UserError),
}

/// Sets a new password with a reset link. A password the policy refuses does not use up the link.
pub async fn reset(
    provider: &Provider,
    token: &str,
    new_password: &Password,
    ip: &str,
) -> Result<User, ResetError> {
    let now = provider.clock().unix();
    let hash = provider.hasher().hash(token);
    let (user_id, sent_to) = provider
        .store()
        .email_token(&hash, EmailTokenPurpose::ResetPassword, now)
        .await
        .map_err(LinkError::from)?
        .ok_or(LinkError::Invalid)?;
    // A link is bound to the address it was mailed to: once the account's address changes,
    // links sent to the old one (perhaps an inbox the user no longer controls) are void.
    let user = provider
        .store()
        .user(&user_id)
        .await
        .map_err(LinkError::from)?
        .filter(|user| user.email.as_str() == sent_to)
        .ok_or(LinkError::Invalid)?;
    provider
        .settings()
        .users
        .password
        .check(new_password, user.email.as_str())
        .map_err(UserError::from)?;
    provider
        .store()
        .consume_email_token(&hash, EmailTokenPurpose::ResetPassword, now)
        .await
        .map_err(LinkError::from)?
        .ok_or(LinkError::Invalid)?;
    set_password(provider, &user, new_password, None).await?;
    audit::record(provider, Entry::new("password_reset").user(&user.id).ip(ip)).await;
    Ok(user)
}

/// Replaces the password, ends the user's sessions (but `keep_session`) and revokes their
/// refresh tokens, voids every reset link still out, and sends the confirmation mail.
pub async fn set_password(
    provider: &Provider,
    user: &User,
    new_password: &Password,
    keep_session: Option<&str>,
) -> Result<(), UserError> {
    let hash = password::hash(new_password)
        .await
        .map_err(|e| UserError::Internal(e.to_string()))?;
    let now = provider.clock().unix();
    provider
        .store()
        .set_password_hash(&user.id, &hash, now)
        .await?;
    // Links asked for before this password was set must not undo it.
    provider
        .store()
        .retire_email_tokens(&user.id, EmailTokenPurpose::ResetPassword, now)
        .await?;
    match keep_session {
        Some(session) => {
            provider
                .store()
                .end_other_sessions(&user.id, session)
                .await?
        }
        None => provider.store().end_user_sessions(&user.id).await?,
    }
    provider
        .send_mail(
            Mail::PasswordChanged {
                to: user.email.as_str().to_owned(),
            },
            user.profile.locale.as_deref(),
        )
        .await
        .map_err(|e| UserError::Internal(e.to_string()))
}
