//! End users: registration, login, profile, disabling.
//!
//! E-mail addresses are unique case-insensitively (stored once as typed and once lowercased).
//! Login gives the same answer, after the same work, for an unknown e-mail and a wrong password,
//! and is throttled per account and per client IP.

pub mod password;

use crate::Provider;
use crate::roles::RoleName;
use crate::store::StoreError;
use crate::throttle::{self, Account, Feature, Key, Network, Throttled};
use password::{Password, PasswordError};
use serde_json::{Map, Value};
use std::fmt;

/// A user id: a UUID (v7, so ids sort by creation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    /// A new id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// Parses a stored or requested id.
    pub fn parse(id: &str) -> Option<Self> {
        uuid::Uuid::try_parse(id)
            .ok()
            .map(|u| Self(u.hyphenated().to_string()))
    }

    /// The id as text (the `sub` claim).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, as typed, with its normalized (lowercased) form for uniqueness.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    address: String,
    normalized: String,
}

impl Email {
    /// Checks the shape of an address: one `@`, a non-empty local part, a domain with a dot,
    /// no spaces or control characters, at most 254 characters (RFC 5321 section 4.5.3.1.3).
    pub fn parse(text: &str) -> Result<Self, UserError> {
        let address = text.trim();
        let invalid = || UserError::InvalidEmail(address.to_owned());
        if address.len() > 254 || address.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = address.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || local.len() > 64
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid());
        }
        Ok(Self {
            address: address.to_owned(),
            normalized: address.to_lowercase(),
        })
    }

    /// As typed.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// Lowercased, for lookup.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

impl fmt::Debug for Email {
    // Addresses are personal data: debug output and logs never carry them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(..)")
    }
}

/// Profile fields a user can change (OIDC Core section 5.1 `profile` claims).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Full name.
    pub name: String,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Preferred locale (BCP 47, e.g. `en-GB`).
    pub locale: Option<String>,
}

impl Profile {
    /// Checks lengths and the locale's shape.
    pub fn validate(&self) -> Result<(), UserError> {
        let too_long = |field: &str, max: usize, value: &str| {
            (value.chars().count() > max).then(|| {
                UserError::InvalidProfile(format!("{field} must be at most {max} characters"))
            })
        };
        for (field, value) in [
            ("name", Some(self.name.as_str())),
            ("given_name", self.given_name.as_deref()),
            ("family_name", self.family_name.as_deref()),
        ] {
            if let Some(e) = value.and_then(|v| too_long(field, 200, v)) {
                return Err(e);
            }
            if value.is_some_and(|v| v.chars().any(char::is_control)) {
                return Err(UserError::InvalidProfile(format!(
                    "{field} must not contain control characters"
                )));
            }
        }
        if let Some(locale) = &self.locale {
            let valid = !locale.is_empty()
                && locale.len() <= 35
                && locale.split('-').all(|part| {
                    !part.is_empty()
                        && part.len() <= 8
                        && part.chars().all(|c| c.is_ascii_alphanumeric())
                });
            if !valid {
                return Err(UserError::InvalidProfile(format!(
                    "locale `{locale}` is not a language tag such as en or en-GB"
                )));
            }
        }
        Ok(())
    }
}

/// A user account.
#[derive(Clone)]
pub struct User {
    /// Id (`sub`).
    pub id: UserId,
    /// E-mail address.
    pub email: Email,
    /// Whether the address was verified.
    pub email_verified: bool,
    /// argon2id PHC string; `None` when no password is set.
    pub password_hash: Option<String>,
    /// Profile.
    pub profile: Profile,
    /// Phone number in E.164 form (`+4915112345678`), for text-message codes.
    pub phone_number: Option<String>,
    /// When the account was disabled, if it is.
    pub disabled_at: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

impl User {
    /// Whether the account may log in and hold tokens.
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email_verified", &self.email_verified)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// Why a user operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Malformed e-mail.
    #[error("`{0}` is not a valid e-mail address")]
    InvalidEmail(String),
    /// Password refused by policy.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// Profile field invalid.
    #[error("{0}")]
    InvalidProfile(String),
    /// E-mail taken.
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    /// A role that may not be chosen, or does not exist.
    #[error("{0}")]
    Role(String),
    /// No such user.
    #[error("no user has id `{0}`")]
    NotFound(String),
    /// Too many requests from this address.
    #[error(transparent)]
    Throttled(#[from] crate::throttle::Throttled),
    /// Storage or hashing failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// What creating an account needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// E-mail address.
    pub email: Email,
    /// Initial password.
    pub password: Password,
    /// Profile.
    pub profile: Profile,
    /// Roles to grant.
    pub roles: Vec<RoleName>,
    /// Whether the address is already known to be the user's (admin-created accounts).
    pub email_verified: bool,
}

/// Where an account is created from, which decides the roles it may get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Self-service sign-up: only the configured sign-up roles, never `admin`.
    SignUp,
    /// An administrator (CLI or admin API): any existing role.
    Admin,
}

/// Creates an account.
pub async fn register(
    provider: &Provider,
    new: NewUser,
    origin: Origin,
) -> Result<User, UserError> {
    let policy = &provider.settings().users;
    policy.password.check(&new.password, new.email.as_str())?;
    new.profile.validate()?;
    let mut roles = new.roles.clone();
    if origin == Origin::SignUp {
        for role in &roles {
            if !policy.signup_roles.contains(role) {
                return Err(UserError::Role(format!(
                    "role `{role}` cannot be chosen at sign-up"
                )));
            }
        }
        for role in &policy.default_roles {
            if !roles.contains(role) {
                roles.push(role.clone());
            }
        }
    }
    let password_hash = password::hash(&new.password)
        .await
        .map_err(|e| UserError::Internal(e.to_string()))?;
    let now = provider.clock().unix();
    let user = User {
        id: UserId::generate(),
        email: new.email,
        email_verified: new.email_verified,
        password_hash: Some(password_hash),
        profile: new.profile,
        phone_number: None,
        disabled_at: None,
        created_at: now,
        updated_at: now,
    };
    match provider.store().insert_user(&user, &roles, now).await {
        Ok(()) => Ok(user),
        Err(StoreError::Conflict(_)) => Err(UserError::EmailTaken),
        Err(StoreError::NotFound) => Err(UserError::Role(format!(
            "one of the roles {} does not exist",
            roles
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Self-service sign-up. Answers the same whether or not the address has an account: a new
/// account gets a verification link, an existing one a notice that someone tried to sign up
/// with it. Limited per client network and per address signed up with.
pub async fn sign_up(provider: &Provider, new: NewUser, ip: &str) -> Result<(), UserError> {
    // Per network, and per address signed up with: each sign-up sends that address a mail.
    throttle::hit(
        provider,
        &[
            &Key::network(Feature::SignUp, &Network::of(ip)),
            &Key::account(
                provider,
                Feature::SignUp,
                Account::Email(new.email.normalized()),
            ),
        ],
    )
    .await?;
    let email = new.email.clone();
    // The language of the sign-up page: the new account's setting, and the language of the
    // notice to an existing account (looking up its owner's setting would be one more query
    // on that branch only, which an observer of timing or store metrics could tell apart).
    let language = new.profile.locale.clone();
    match register(provider, new, Origin::SignUp).await {
        Ok(user) => {
            crate::audit::record(
                provider,
                crate::audit::Entry::new("signup")
                    .about_an_address()
                    .user(&user.id)
                    .ip(ip),
            )
            .await;
            crate::verification::send_link(provider, &user).await
        }
        Err(UserError::EmailTaken) => {
            crate::audit::record(
                provider,
                crate::audit::Entry::new("signup")
                    .about_an_address()
                    .failure()
                    .ip(ip)
                    .detail("reason", "address taken"),
            )
            .await;
            provider
                .send_mail(
                    crate::mail::Mail::SignupWithExistingAddress {
                        to: email.as_str().to_owned(),
                    },
                    language.as_deref(),
                )
                .await
                .map_err(|e| UserError::Internal(e.to_string()))
        }
        Err(e) => Err(e),
    }
}

/// Why a login failed. `InvalidCredentials` is the one answer for an unknown e-mail and a
/// wrong password.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown e-mail or wrong password.
    #[error("the e-mail address or password is incorrect")]
    InvalidCredentials,
    /// Too many failures for the account or the address.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// The (correct) credentials belong to a disabled account.
    #[error("this account is disabled")]
    Disabled,
    /// Storage failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// Checks an e-mail and password. `client_ip` keys the per-address throttle.
pub async fn login(
    provider: &Provider,
    email: &str,
    password: &Password,
    client_ip: &str,
) -> Result<User, LoginError> {
    let normalized = email.trim().to_lowercase();
    let network = Network::of(client_ip);
    let account = Account::Email(&normalized);
    let account_key = Key::account(provider, Feature::PasswordFailure, account);
    let pair_key = Key::account_on_network(provider, Feature::PasswordFailure, account, &network);
    let network_key = Key::network(Feature::PasswordFailure, &network);
    throttle::check_all(provider, &[&pair_key, &account_key, &network_key]).await?;

    let user = provider.store().user_by_email(&normalized).await?;
    let valid = password::verify(
        password,
        user.as_ref().and_then(|u| u.password_hash.as_deref()),
    )
    .await;
    match user {
        Some(user) if valid => {
            throttle::reset(provider, &pair_key).await?;
            throttle::reset(provider, &account_key).await?;
            if !user.is_active() {
                return Err(LoginError::Disabled);
            }
            Ok(user)
        }
        _ => {
            throttle::record(provider, &[&pair_key, &account_key, &network_key]).await?;
            tracing::info!(event = "login_failed", "failed login");
            Err(LoginError::InvalidCredentials)
        }
    }
}

/// Loads a user.
pub async fn get(provider: &Provider, id: &UserId) -> Result<User, UserError> {
    provider
        .store()
        .user(id)
        .await?
        .ok_or_else(|| UserError::NotFound(id.to_string()))
}

/// Disables or re-enables an account. Disabling ends its sessions and revokes its tokens.
pub async fn set_disabled(
    provider: &Provider,
    id: &UserId,
    disabled: bool,
) -> Result<(), UserError> {
    let now = provider.clock().unix();
    match provider
        .store()
        .set_user_disabled(id, disabled.then_some(now), now)
        .await
    {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(UserError::NotFound(id.to_string())),
        Err(e) => return Err(e.into()),
    }
    if disabled {
        provider.store().end_user_sessions(id).await?;
    }
    Ok(())
}

/// Deletes an account and everything that belongs to it; its access tokens read inactive from
/// then on.
pub async fn delete(provider: &Provider, id: &UserId) -> Result<(), UserError> {
    match provider
        .store()
        .delete_user(id, provider.clock().unix())
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(UserError::NotFound(id.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// The OIDC standard claims of `user` that `scope` allows (OIDC Core section 5.4), plus its
/// roles. Shared by the ID token and userinfo.
pub fn claims(user: &User, scope: &crate::scope::Scope, roles: &[String]) -> Map<String, Value> {
    let mut claims = Map::new();
    if scope.contains("email") {
        claims.insert("email".into(), user.email.as_str().into());
        claims.insert("email_verified".into(), user.email_verified.into());
    }
    if scope.contains("profile") {
        let profile = &user.profile;
        if !profile.name.is_empty() {
            claims.insert("name".into(), profile.name.clone().into());
        }
        for (key, value) in [
            ("given_name", &profile.given_name),
            ("family_name", &profile.family_name),
            ("locale", &profile.locale),
        ] {
            if let Some(value) = value {
                claims.insert(key.into(), value.clone().into());
            }
        }
        claims.insert("updated_at".into(), user.updated_at.into());
    }
    if scope.contains("phone")
        && let Some(phone) = &user.phone_number
    {
        claims.insert("phone_number".into(), phone.clone().into());
        claims.insert("phone_number_verified".into(), false.into());
    }
    if !roles.is_empty() {
        claims.insert("roles".into(), roles.to_vec().into());
    }
    claims
}

/// Checks a phone number: E.164, `+` and 8 to 15 digits.
pub fn parse_phone(text: &str) -> Result<String, UserError> {
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or("");
    if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(compact)
    } else {
        Err(UserError::InvalidProfile(format!(
            "`{text}` is not a phone number in international form such as +44 20 7946 0958"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_normalized() {
        let email = Email::parse("  Ann.Lee@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ann.Lee@Example.COM");
        assert_eq!(email.normalized(), "ann.lee@example.com");
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
            "ann@.com",
            "ann@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format!("{email:?}"), "Email(..)");
    }

    #[test]
    fn profiles_refuse_bad_locales_and_overlong_names() {
        let mut profile = Profile {
            name: "Ann".into(),
            locale: Some("en-GB".into()),
            ..Profile::default()
        };
        assert!(profile.validate().is_ok());
        profile.locale = Some("en_GB".into());
        assert!(
            profile
                .validate()
                .unwrap_err()
                .to_string()
                .contains("language tag")
        );
        profile.locale = None;
        profile.name = "x".repeat(201);
        assert!(
            profile
                .validate()
                .unwrap_err()
                .to_string()
                .contains("at most 200")
        );
    }
}
