//! `[upstream]`: identity providers users may sign in with (`[[upstream.providers]]`).

use super::Secret;
use anyhow::{Context, bail};
use auth_core::roles::RoleName;
use auth_core::upstream::{Kind, ProviderConfig, RoleRule, github};
use serde::{Deserialize, Serialize};

/// `[upstream]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamConfig {
    /// The providers, one button each on the login page.
    pub providers: Vec<UpstreamProviderConfig>,
}

/// The kind of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamKind {
    /// Any OpenID Connect provider, by its issuer.
    Oidc,
    /// GitHub's OAuth 2 and user API.
    Github,
}

/// `[[upstream.providers]]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamProviderConfig {
    /// Slug in URLs and stored with linked identities: lowercase letters, digits, `-`.
    pub id: String,
    /// `oidc` or `github`.
    pub kind: UpstreamKind,
    /// The button's text; defaults to "Sign in with {id}".
    #[serde(default)]
    pub label: Option<String>,
    /// OIDC: the issuer identifier.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret registered at the provider.
    pub client_secret: Secret,
    /// Scopes asked for; defaults to `openid email profile` (OIDC) or `read:user user:email`
    /// (GitHub).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Whether a first sign-in without a local account creates one; defaults to
    /// `users.signup_enabled`.
    #[serde(default)]
    pub create_accounts: Option<bool>,
    /// GitHub: the authorization endpoint.
    #[serde(default)]
    pub authorize_url: Option<String>,
    /// GitHub: the token endpoint.
    #[serde(default)]
    pub token_url: Option<String>,
    /// GitHub: the REST API base.
    #[serde(default)]
    pub api_base: Option<String>,
    /// Upstream claims to local roles.
    #[serde(default)]
    pub roles: Vec<RoleMappingConfig>,
}

/// `[[upstream.providers.roles]]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleMappingConfig {
    /// The upstream claim (an ID token claim, or a field of GitHub's `/user`).
    pub claim: String,
    /// The value the claim must be, or contain when it is a list.
    pub value: String,
    /// The local role given.
    pub role: String,
}

impl UpstreamConfig {
    /// The checked providers; `allow_http` when the server itself runs on http (loopback).
    pub(super) fn providers(
        &self,
        signup_enabled: bool,
        allow_http: bool,
    ) -> anyhow::Result<Vec<ProviderConfig>> {
        let mut checked: Vec<ProviderConfig> = Vec::new();
        for (index, p) in self.providers.iter().enumerate() {
            let name = format!("upstream.providers[{index}]");
            let slug_ok = !p.id.is_empty()
                && p.id.len() <= 40
                && p.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !slug_ok {
                bail!(
                    "{name}.id `{}` must be 1 to 40 lowercase letters, digits or `-`",
                    p.id
                );
            }
            if checked.iter().any(|c| c.id == p.id) {
                bail!("{name}.id `{}` is used by another provider", p.id);
            }
            if p.client_id.trim().is_empty() {
                bail!("{name}.client_id must not be empty");
            }
            if p.client_secret.expose().is_empty() {
                bail!("{name}.client_secret must not be empty");
            }
            let url = |field: &str, value: &str| -> anyhow::Result<String> {
                let parsed = url::Url::parse(value)
                    .with_context(|| format!("{name}.{field} `{value}` is not a URL"))?;
                let scheme_ok =
                    parsed.scheme() == "https" || (allow_http && parsed.scheme() == "http");
                if !scheme_ok || parsed.fragment().is_some() || !parsed.username().is_empty() {
                    bail!(
                        "{name}.{field} `{value}` must be an https URL without credentials or fragment"
                    );
                }
                Ok(value.to_owned())
            };
            let (kind, default_scopes): (Kind, &[&str]) = match p.kind {
                UpstreamKind::Oidc => {
                    let issuer = p
                        .issuer
                        .as_deref()
                        .with_context(|| format!("{name}: kind = \"oidc\" needs issuer"))?;
                    if p.authorize_url.is_some() || p.token_url.is_some() || p.api_base.is_some() {
                        bail!(
                            "{name}: authorize_url, token_url and api_base are for kind = \"github\"; an OIDC provider's endpoints come from its discovery document"
                        );
                    }
                    (
                        Kind::Oidc {
                            issuer: url("issuer", issuer)?,
                        },
                        &["openid", "email", "profile"],
                    )
                }
                UpstreamKind::Github => {
                    if p.issuer.is_some() {
                        bail!("{name}: issuer is for kind = \"oidc\"");
                    }
                    (
                        Kind::Github {
                            authorize_url: url(
                                "authorize_url",
                                p.authorize_url.as_deref().unwrap_or(github::AUTHORIZE_URL),
                            )?,
                            token_url: url(
                                "token_url",
                                p.token_url.as_deref().unwrap_or(github::TOKEN_URL),
                            )?,
                            api_base: url(
                                "api_base",
                                p.api_base.as_deref().unwrap_or(github::API_BASE),
                            )?,
                        },
                        &["read:user", "user:email"],
                    )
                }
            };
            let scopes: Vec<String> = p
                .scopes
                .clone()
                .unwrap_or_else(|| default_scopes.iter().map(|s| (*s).to_owned()).collect());
            if matches!(kind, Kind::Oidc { .. }) && !scopes.iter().any(|s| s == "openid") {
                bail!(
                    "{name}.scopes must include `openid` (the ID token is what signs the user in)"
                );
            }
            if scopes.iter().any(|s| s.is_empty() || s.contains(' ')) {
                bail!("{name}.scopes must be single words");
            }
            let roles = p
                .roles
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let role = RoleName::parse(&r.role)
                        .map_err(|e| anyhow::anyhow!("{name}.roles[{i}].role `{}`: {e}", r.role))?;
                    if r.claim.is_empty() {
                        bail!("{name}.roles[{i}].claim must not be empty");
                    }
                    Ok(RoleRule {
                        claim: r.claim.clone(),
                        value: r.value.clone(),
                        role,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let label = p
                .label
                .clone()
                .filter(|l| !l.trim().is_empty())
                .unwrap_or_else(|| format!("Sign in with {}", p.id));
            checked.push(ProviderConfig {
                id: p.id.clone(),
                label,
                kind,
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.expose().to_owned().into(),
                scopes,
                roles,
                create_accounts: p.create_accounts.unwrap_or(signup_enabled),
            });
        }
        Ok(checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oidc() -> UpstreamProviderConfig {
        UpstreamProviderConfig {
            id: "corp".into(),
            kind: UpstreamKind::Oidc,
            label: None,
            issuer: Some("https://idp.example.com".into()),
            client_id: "auth".into(),
            client_secret: "upstream-secret-1".into(),
            scopes: None,
            create_accounts: None,
            authorize_url: None,
            token_url: None,
            api_base: None,
            roles: vec![RoleMappingConfig {
                claim: "groups".into(),
                value: "staff".into(),
                role: "coach".into(),
            }],
        }
    }

    fn error_of(change: impl FnOnce(&mut UpstreamProviderConfig)) -> String {
        let mut provider = oidc();
        change(&mut provider);
        let config = UpstreamConfig {
            providers: vec![provider],
        };
        format!("{:#}", config.providers(true, false).unwrap_err())
    }

    #[test]
    fn a_provider_gets_its_defaults_and_hides_its_secret() {
        let config = UpstreamConfig {
            providers: vec![oidc()],
        };
        let providers = config.providers(false, false).unwrap();
        assert_eq!(providers[0].scopes, ["openid", "email", "profile"]);
        assert_eq!(providers[0].label, "Sign in with corp");
        assert!(!providers[0].create_accounts);
        assert_eq!(providers[0].roles[0].role.as_str(), "coach");
        for printed in [format!("{config:?}"), format!("{providers:?}")] {
            assert!(!printed.contains("upstream-secret-1"), "{printed}");
        }
    }

    #[test]
    fn github_defaults_to_githubs_endpoints() {
        let mut github = oidc();
        github.kind = UpstreamKind::Github;
        github.issuer = None;
        let providers = UpstreamConfig {
            providers: vec![github],
        }
        .providers(true, false)
        .unwrap();
        assert_eq!(
            providers[0].kind,
            Kind::Github {
                authorize_url: github::AUTHORIZE_URL.into(),
                token_url: github::TOKEN_URL.into(),
                api_base: github::API_BASE.into(),
            }
        );
        assert_eq!(providers[0].scopes, ["read:user", "user:email"]);
    }

    #[test]
    fn bad_providers_are_refused_naming_the_setting() {
        assert!(error_of(|p| p.id = "Corp IdP".into()).contains("upstream.providers[0].id"));
        assert!(error_of(|p| p.issuer = None).contains("needs issuer"));
        assert!(
            error_of(|p| p.issuer = Some("http://idp.example.com".into())).contains("https URL")
        );
        assert!(error_of(|p| p.scopes = Some(vec!["email".into()])).contains("openid"));
        assert!(
            error_of(|p| p.roles[0].role = "no spaces allowed".into()).contains("roles[0].role")
        );
        assert!(error_of(|p| p.client_secret = "".into()).contains("client_secret"));
        assert!(
            error_of(|p| p.token_url = Some("https://x.example".into()))
                .contains("kind = \"github\"")
        );
    }
}
