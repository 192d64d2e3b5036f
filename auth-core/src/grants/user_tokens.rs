//! The token response of the grants that act for a user (authorization code, refresh token):
//! an access token carrying the user's roles, a rotated refresh token, and an ID token when
//! `openid` was granted.

use crate::Provider;
use crate::clients::{Client, GrantType};
use crate::error::OAuthError;
use crate::roles::Grants;
use crate::scope::Scope;
use crate::secrets::{TokenHash, new_id, new_token};
use crate::store::{IssuedAccess, NewRefreshToken, StoreError, TokenFamily};
use crate::tokens::access::{AccessTokenRequest, seconds};
use crate::tokens::id_token::IdTokenRequest;
use crate::users::{User, UserId};
use auth_proto::token::TokenResponse;
use secrecy::{ExposeSecret, SecretString};

/// Prefix of refresh tokens.
pub const REFRESH_PREFIX: &str = "rt_";

/// The ids and secrets minted before the database transaction that records them.
pub(crate) struct Minted {
    pub access: IssuedAccess,
    pub refresh: Option<(SecretString, NewRefreshToken)>,
}

/// Mints an access token id, and a refresh token when the client may refresh. The refresh
/// token expires `refresh_token_ttl` from now, but not after the family does.
pub(crate) fn mint(provider: &Provider, client: &Client, family: &TokenFamily) -> Minted {
    let refresh = client.may_use(GrantType::RefreshToken).then(|| {
        let token = new_token(REFRESH_PREFIX);
        let hash: TokenHash = provider.hasher().hash(token.expose_secret());
        let ttl = seconds(provider.settings().refresh_token_ttl);
        let expires_at = provider
            .clock()
            .unix()
            .saturating_add(ttl)
            .min(family_ends_at(provider, family));
        (token, NewRefreshToken { hash, expires_at })
    });
    Minted {
        access: IssuedAccess {
            jti: new_id(),
            expires_at: provider.access_token_expiry(),
        },
        refresh,
    }
}

/// What the client's request adds to the tokens.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Binding<'a> {
    /// The OIDC nonce of the authorization request, for the ID token.
    pub nonce: Option<&'a str>,
    /// The thumbprint of the DPoP key the access token is bound to.
    pub dpop_jkt: Option<&'a str>,
    /// The resource (RFC 8707) the access token is for, and the part of the scope it
    /// accepts; `None` for the default audience and the whole scope.
    pub target: Option<(&'a str, &'a Scope)>,
    /// The client's pairwise sector (OIDC Core section 8), for the ID token's `sub`.
    pub sector: Option<&'a str>,
}

/// Signs the tokens recorded for `family` and builds the response.
pub(crate) fn respond(
    provider: &Provider,
    family: &TokenFamily,
    user: &User,
    grants: &Grants,
    scope: &Scope,
    minted: Minted,
    binding: Binding<'_>,
) -> Result<TokenResponse, OAuthError> {
    let Binding {
        nonce,
        dpop_jkt,
        target,
        sector,
    } = binding;
    let subject = match sector {
        Some(sector) => crate::subject::pairwise(provider, sector, user.id.as_str()),
        None => user.id.to_string(),
    };
    let (audience, access_scope) = match target {
        Some((audience, access_scope)) => (Some(audience), access_scope),
        None => (None, scope),
    };
    // OIDC Core section 8: a pairwise client sees its own `sub` in the access token too (a JWT
    // it can read); the server keeps the user id sealed in it.
    let sealed_subject = match sector {
        Some(_) => Some(provider.seal_subject(user.id.as_str())?),
        None => None,
    };
    let access = provider.issue_access_token(AccessTokenRequest {
        jti: minted.access.jti,
        subject: &subject,
        client_id: &family.client_id,
        scope: access_scope,
        auth_time: Some(family.auth_time),
        roles: grants.roles.clone(),
        permissions: if access_scope.contains("permissions") {
            grants.permissions.clone()
        } else {
            Vec::new()
        },
        client_registration: &family.client_registration,
        dpop_jkt,
        audience,
        sealed_subject,
    })?;
    // The session's `sid`, a pairwise client's own (see `crate::subject`).
    let sid = family.session_id.as_deref().map(|session| match sector {
        Some(sector) => crate::subject::pairwise_sid(provider, sector, session),
        None => session.to_owned(),
    });
    let id_token = if scope.contains("openid") {
        Some(provider.issue_id_token(IdTokenRequest {
            user,
            subject: &subject,
            client_id: &family.client_id,
            scope,
            roles: &grants.roles,
            auth_time: family.auth_time,
            amr: &family.amr,
            nonce,
            access_token: &access.token,
            sid: sid.as_deref(),
        })?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token: access.token,
        token_type: super::token_type(dpop_jkt).to_owned(),
        expires_in: access.expires_in,
        refresh_token: minted
            .refresh
            .map(|(token, _)| token.expose_secret().to_owned()),
        // RFC 6749 section 5.1: the scope of the access token.
        scope: Some(access_scope.to_string()),
        id_token,
        issued_token_type: None,
    })
}

/// What a user approved (an authorization code, a device request), from which a grant starts
/// a token family.
pub(crate) struct Approval {
    /// The id the family will have.
    pub family_id: String,
    pub user_id: UserId,
    /// The browser session the user approved in.
    pub session_id: Option<String>,
    /// The scope approved.
    pub scope: String,
    pub auth_time: i64,
    pub amr: Vec<String>,
    /// The resources (RFC 8707) approved; empty for the default audience only.
    pub resources: Vec<String>,
}

/// The approval a new family redeems, at most once.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Redeeming<'a> {
    /// An authorization code, by its hash.
    Code(&'a TokenHash),
    /// An approved device authorization request, by the hash of its device code.
    DeviceCode(&'a TokenHash),
}

/// A grant's tokens, decided and minted, before the store records them.
pub(crate) struct Prepared {
    /// The family, with the scope it holds now.
    pub family: TokenFamily,
    pub user: User,
    pub grants: Grants,
    /// The scope of the grant (ID and refresh tokens).
    pub scope: Scope,
    /// The resource (RFC 8707) the access token is for, if one was named or is the only one.
    pub audience: Option<String>,
    /// The part of `scope` the access token carries.
    pub access_scope: Scope,
    pub minted: Minted,
}

impl Prepared {
    /// For a grant that starts a family (authorization code, device code): the family of what
    /// the user approved, issued to `client` now. The user must be active, and the scope
    /// approved then is narrowed to what the client and the user's roles allow now (a role
    /// revoked since takes its scope away).
    pub async fn new_family(
        provider: &Provider,
        client: &Client,
        params: &crate::params::Params,
        approval: Approval,
        dpop_jkt: Option<&str>,
        now: i64,
    ) -> Result<Self, OAuthError> {
        let family = TokenFamily {
            id: approval.family_id,
            client_id: client.id.as_str().to_owned(),
            user_id: approval.user_id,
            session_id: approval.session_id,
            scope: approval.scope,
            auth_time: approval.auth_time,
            amr: approval.amr,
            created_at: now,
            revoked_at: None,
            client_registration: client.registration_id.clone(),
            // RFC 9449 section 5: the refresh tokens of a public client are bound to its DPoP
            // key; a confidential client's are bound to its authentication.
            dpop_jkt: dpop_jkt.filter(|_| client.is_public()).map(str::to_owned),
            resources: approval.resources,
        };
        let (user, grants) = active_user(provider, &family).await?;
        let approved = Scope::parse(&family.scope).unwrap_or_default();
        let scope = current_scope(&approved, client, &grants);
        let family = TokenFamily {
            scope: scope.to_string(),
            ..family
        };
        Self::with_scope(provider, client, params, family, user, grants, scope).await
    }

    /// Records the tokens in the transaction that redeems `approval`, with the new family, its
    /// refresh token and the access token id; `false` when another request redeemed it first.
    pub async fn redeem(
        &self,
        provider: &Provider,
        approval: Redeeming<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let store = provider.store();
        let (family, refresh, access) = (&self.family, self.refresh(), &self.minted.access);
        match approval {
            Redeeming::Code(hash) => store.redeem_code(hash, now, family, refresh, access).await,
            Redeeming::DeviceCode(hash) => {
                store
                    .redeem_device_code(hash, now, family, refresh, access)
                    .await
            }
        }
    }

    /// The tokens of `family` for `scope` (already narrowed; a refresh keeps the family's own
    /// scope for its refresh tokens), with the access token's target.
    pub async fn with_scope(
        provider: &Provider,
        client: &Client,
        params: &crate::params::Params,
        family: TokenFamily,
        user: User,
        grants: Grants,
        scope: Scope,
    ) -> Result<Self, OAuthError> {
        let (audience, access_scope) =
            crate::resources::token_target(provider, params, &family.resources, &scope).await?;
        let minted = mint(provider, client, &family);
        Ok(Self {
            family,
            user,
            grants,
            scope,
            audience,
            access_scope,
            minted,
        })
    }

    /// The new refresh token, to record.
    pub fn refresh(&self) -> Option<&NewRefreshToken> {
        self.minted.refresh.as_ref().map(|(_, refresh)| refresh)
    }

    /// Signs the tokens the store recorded and builds the response.
    pub fn respond(
        self,
        provider: &Provider,
        client: &Client,
        nonce: Option<&str>,
        dpop_jkt: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        respond(
            provider,
            &self.family,
            &self.user,
            &self.grants,
            &self.scope,
            self.minted,
            Binding {
                nonce,
                dpop_jkt,
                target: self
                    .audience
                    .as_deref()
                    .map(|audience| (audience, &self.access_scope)),
                sector: client.security.sector.as_deref(),
            },
        )
    }
}

/// When a family ends, however often it is refreshed: `refresh_family_lifetime` after the
/// authorization.
pub(crate) fn family_ends_at(provider: &Provider, family: &TokenFamily) -> i64 {
    family
        .created_at
        .saturating_add(seconds(provider.settings().refresh_family_lifetime))
}

/// The part of `scope` the grant still allows: what the client may still obtain, and what the
/// user's roles still allow (the `admin` scope needs the `admin` role).
pub(crate) fn current_scope(scope: &Scope, client: &Client, grants: &Grants) -> Scope {
    scope
        .iter()
        .filter(|s| client.scope.contains(s) && grants.allow_scope(s))
        .collect()
}

/// Loads the user of a grant, refusing disabled or deleted accounts.
pub(crate) async fn active_user(
    provider: &Provider,
    family: &TokenFamily,
) -> Result<(User, Grants), OAuthError> {
    let user = provider
        .store()
        .user(&family.user_id)
        .await?
        .filter(User::is_active);
    match user {
        Some(user) => {
            let grants = provider.store().user_grants(&user.id).await?;
            Ok((user, grants))
        }
        None => {
            provider.store().revoke_family(&family.id).await?;
            Err(OAuthError::invalid_grant(
                "the user account is disabled or deleted",
            ))
        }
    }
}
