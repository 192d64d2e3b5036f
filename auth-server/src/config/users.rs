//! `[users]`, `[login]` and `[account]`: who may sign up and with which password, how many
//! failed logins an account takes, and the life of verification links and one-time codes.

use super::in_range;
use anyhow::{Context, bail};
use auth_core::provider::{AccountPolicy, LoginPolicy, UserPolicy};
use auth_core::roles::RoleName;
use auth_core::throttle::ThrottlePolicy;
use auth_core::users::password::PasswordPolicy;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[users]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsersConfig {
    /// Whether the sign-up page is offered.
    pub signup_enabled: bool,
    /// Roles a user may choose at sign-up; `admin` is refused here.
    pub signup_roles: Vec<String>,
    /// Roles every self-registered user gets.
    pub default_roles: Vec<String>,
    /// Fewest characters in a password.
    pub password_min_length: usize,
    /// Refuse the most common passwords.
    pub refuse_common_passwords: bool,
}

impl Default for UsersConfig {
    fn default() -> Self {
        Self {
            signup_enabled: true,
            signup_roles: Vec::new(),
            default_roles: Vec::new(),
            password_min_length: 10,
            refuse_common_passwords: true,
        }
    }
}

impl UsersConfig {
    /// The password and sign-up role policy, checked.
    pub(super) fn policy(&self) -> anyhow::Result<UserPolicy> {
        if self.password_min_length < 8 {
            bail!(
                "users.password_min_length must be at least 8; got {}",
                self.password_min_length
            );
        }
        let roles = |list: &[String], name: &str| -> anyhow::Result<Vec<RoleName>> {
            list.iter()
                .map(|r| {
                    RoleName::parse(r).with_context(|| format!("{name} holds an invalid role"))
                })
                .collect()
        };
        let signup_roles = roles(&self.signup_roles, "users.signup_roles")?;
        let default_roles = roles(&self.default_roles, "users.default_roles")?;
        if signup_roles
            .iter()
            .chain(&default_roles)
            .any(|r| r.as_str() == auth_core::roles::ADMIN)
        {
            bail!(
                "users.signup_roles and users.default_roles must not contain `admin`: nobody may make themselves an administrator"
            );
        }
        Ok(UserPolicy {
            password: PasswordPolicy {
                min_length: self.password_min_length,
                refuse_common: self.refuse_common_passwords,
            },
            signup_roles,
            default_roles,
        })
    }
}

/// `[login]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Failed logins allowed per account from one client address per window; past it that
    /// address cannot sign in to that account until the window ends.
    pub max_failures_per_account_and_ip: u32,
    /// Failed logins allowed per account from all addresses per window; past it nobody can
    /// sign in to that account until the window ends.
    pub max_failures_per_account: u32,
    /// Failed logins allowed per client address per window.
    pub max_failures_per_ip: u32,
    /// Window length in seconds.
    pub window_secs: u64,
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self {
            max_failures_per_account_and_ip: 5,
            max_failures_per_account: 20,
            max_failures_per_ip: 50,
            window_secs: 900,
        }
    }
}

impl LoginConfig {
    /// The failed-login limits, checked.
    pub(super) fn policy(&self) -> anyhow::Result<LoginPolicy> {
        in_range("login.window_secs", self.window_secs, 86_400)?;
        if self.max_failures_per_account_and_ip == 0
            || self.max_failures_per_account == 0
            || self.max_failures_per_ip == 0
        {
            bail!(
                "login.max_failures_per_account_and_ip, login.max_failures_per_account and login.max_failures_per_ip must be at least 1"
            );
        }
        let window = Duration::from_secs(self.window_secs);
        let limit = |limit| ThrottlePolicy { limit, window };
        Ok(LoginPolicy {
            per_account_and_ip: limit(self.max_failures_per_account_and_ip),
            per_account: limit(self.max_failures_per_account),
            per_ip: limit(self.max_failures_per_ip),
        })
    }
}

/// `[account]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountConfig {
    /// Users must verify their address before they may log in.
    pub require_verified_email: bool,
    /// Users without an authenticator app get an e-mailed code at login.
    pub email_code_second_factor: bool,
    /// Minutes a verification link works.
    pub verification_link_ttl_minutes: u64,
    /// Minutes a password reset link works.
    pub reset_link_ttl_minutes: u64,
    /// Minutes a one-time code works.
    pub one_time_code_ttl_minutes: u64,
    /// Wrong tries per one-time code.
    pub one_time_code_attempts: i64,
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            require_verified_email: true,
            email_code_second_factor: false,
            verification_link_ttl_minutes: 24 * 60,
            reset_link_ttl_minutes: 30,
            one_time_code_ttl_minutes: 10,
            one_time_code_attempts: 5,
        }
    }
}

impl AccountConfig {
    /// Verification, reset and one-time code settings, checked.
    pub(super) fn policy(&self) -> anyhow::Result<AccountPolicy> {
        let minutes = |name: &str, value: u64| -> anyhow::Result<Duration> {
            in_range(name, value, 7 * 24 * 60)?;
            Ok(Duration::from_secs(value * 60))
        };
        let verification_link_ttl = minutes(
            "account.verification_link_ttl_minutes",
            self.verification_link_ttl_minutes,
        )?;
        let reset_link_ttl = minutes(
            "account.reset_link_ttl_minutes",
            self.reset_link_ttl_minutes,
        )?;
        let one_time_code_ttl = minutes(
            "account.one_time_code_ttl_minutes",
            self.one_time_code_ttl_minutes,
        )?;
        if !(1..=20).contains(&self.one_time_code_attempts) {
            bail!("account.one_time_code_attempts must be between 1 and 20");
        }
        Ok(AccountPolicy {
            require_verified_email: self.require_verified_email,
            email_code_second_factor: self.email_code_second_factor,
            verification_link_ttl,
            reset_link_ttl,
            one_time_code_ttl,
            one_time_code_attempts: self.one_time_code_attempts,
        })
    }
}
