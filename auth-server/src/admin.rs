//! The admin API: JSON over HTTP for users, roles, clients and signing keys.
//!
//! Every route needs a bearer access token of this server with the `admin` scope: a
//! client-credentials token of a client registered with that scope, or a user token, which only
//! carries `admin` when the user has the `admin` role. Refusals are [`ApiError`]s, as in `/api`.

use crate::access::Routes;
use crate::api::{insufficient, verified_claims};
use crate::error::{ApiError, no_store};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::views::{ClientView, KeyView, RoleView, UserView};
use auth_core::Provider;
use auth_core::audit::{self, Entry};
use auth_core::backchannel::BackchannelLogout;
use auth_core::clients::{
    self, AuthMethod, ClientChanges, ClientError, ClientId, ClientSecurity, GrantType, NewClient,
    RedirectUri, TokenExchangePolicy,
};
use auth_core::keys::Activation;
use auth_core::roles::{Role, RoleName};
use auth_core::scope::Scope;
use auth_core::store::{AuditEvent, AuditFilter};
use auth_core::users::{self, Email, NewUser, Origin, Profile, UserId, password::Password};
use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::Method;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// The scope every admin route requires.
pub const ADMIN_SCOPE: &str = crate::access::ADMIN;

/// Adds the admin routes, under `/admin`.
pub fn routes(routes: Routes) -> Routes {
    routes
        .get("/admin/users", list_users)
        .post("/admin/users", create_user)
        .get("/admin/users/{id}", show_user)
        .add(Method::DELETE, "/admin/users/{id}", delete_user)
        .post("/admin/users/{id}/disable", disable_user)
        .post("/admin/users/{id}/enable", enable_user)
        .post("/admin/users/{id}/sign-out", sign_out_user)
        .add(Method::PUT, "/admin/users/{id}/roles/{role}", grant_role)
        .add(
            Method::DELETE,
            "/admin/users/{id}/roles/{role}",
            revoke_role,
        )
        .get("/admin/roles", list_roles)
        .post("/admin/roles", create_role)
        .add(
            Method::PUT,
            "/admin/roles/{name}/permissions",
            set_permissions,
        )
        .get("/admin/clients", list_clients)
        .post("/admin/clients", create_client)
        .get("/admin/clients/{id}", show_client)
        .add(Method::PUT, "/admin/clients/{id}", update_client)
        .add(Method::DELETE, "/admin/clients/{id}", delete_client)
        .post("/admin/clients/{id}/secret", rotate_client_secret)
        .add(
            Method::PUT,
            "/admin/clients/{id}/token-exchange",
            set_token_exchange,
        )
        .get("/admin/keys", list_keys)
        .post("/admin/keys/rotate", rotate_key)
        .get("/admin/audit", audit_log)
}

/// Proof that the caller holds an `admin` token.
pub struct Admin {
    /// The token's subject (user id or client id), for the log.
    pub subject: String,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let claims = verified_claims(parts, state, ADMIN_SCOPE).await?;
        if !claims.scopes().any(|s| s == ADMIN_SCOPE) {
            return Err(insufficient(&[ADMIN_SCOPE], "the admin API"));
        }
        Ok(Self {
            subject: claims.sub,
        })
    }
}

type Result<T> = std::result::Result<T, ApiError>;

fn user_id(id: &str) -> Result<UserId> {
    UserId::parse(id).ok_or_else(|| ApiError::not_found(format!("no user has id `{id}`")))
}

fn role_name(name: &str) -> Result<RoleName> {
    Ok(RoleName::parse(name)?)
}

async fn user_view(provider: &Provider, id: &UserId) -> Result<Json<UserView>> {
    let user = users::get(provider, id).await?;
    let grants = provider.store().user_grants(id).await?;
    Ok(Json(UserView::new(&user, grants)))
}

#[derive(Debug, Deserialize)]
struct Page {
    after: Option<String>,
    limit: Option<u32>,
}

async fn list_users(
    _: Admin,
    State(state): State<AppState>,
    Query(page): Query<Page>,
) -> Result<Json<Vec<UserView>>> {
    let provider = &state.provider;
    let after = page.after.as_deref().map(user_id).transpose()?;
    let limit = page.limit.unwrap_or(100).clamp(1, 1000);
    let mut views = Vec::new();
    for user in provider.store().users(after.as_ref(), limit).await? {
        let grants = provider.store().user_grants(&user.id).await?;
        views.push(UserView::new(&user, grants));
    }
    Ok(Json(views))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    email: String,
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    email_verified: bool,
}

async fn create_user(
    admin: Admin,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<UserView>)> {
    let new = NewUser {
        email: Email::parse(&body.email)?,
        password: Password::new(body.password),
        profile: Profile {
            name: body.name,
            ..Profile::default()
        },
        roles: body
            .roles
            .iter()
            .map(|r| role_name(r))
            .collect::<Result<_>>()?,
        email_verified: body.email_verified,
    };
    let user = users::register(&state.provider, new, Origin::Admin).await?;
    audit::record(
        &state.provider,
        Entry::new("user_created")
            .actor(&admin.subject)
            .user(&user.id),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        user_view(&state.provider, &user.id).await?,
    ))
}

async fn show_user(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<UserView>> {
    user_view(&state.provider, &user_id(&id)?).await
}

async fn disable_user(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<UserView>> {
    set_disabled(&admin, &state, &id, true).await
}

async fn enable_user(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<UserView>> {
    set_disabled(&admin, &state, &id, false).await
}

async fn set_disabled(
    admin: &Admin,
    state: &AppState,
    id: &str,
    disabled: bool,
) -> Result<Json<UserView>> {
    let id = user_id(id)?;
    auth_core::admin::set_disabled(&state.provider, &admin.subject, &id, disabled).await?;
    user_view(&state.provider, &id).await
}

/// `POST /admin/users/{id}/sign-out`: ends every session of the account (and the refresh
/// tokens issued in them) without disabling it; each client that got tokens in one and
/// registered a `backchannel_logout_uri` is sent a logout token.
async fn sign_out_user(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = user_id(&id)?;
    auth_core::admin::sign_out(&state.provider, &admin.subject, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /admin/users/{id}`: deletes the account and everything that belongs to it; its
/// access tokens read inactive from then on.
async fn delete_user(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = user_id(&id)?;
    auth_core::admin::delete_user(&state.provider, &admin.subject, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn grant_role(
    admin: Admin,
    State(state): State<AppState>,
    Path((id, role)): Path<(String, String)>,
) -> Result<Json<UserView>> {
    change_role(&admin, &state, &id, &role, RoleChange::Grant).await
}

async fn revoke_role(
    admin: Admin,
    State(state): State<AppState>,
    Path((id, role)): Path<(String, String)>,
) -> Result<Json<UserView>> {
    change_role(&admin, &state, &id, &role, RoleChange::Revoke).await
}

enum RoleChange {
    Grant,
    Revoke,
}

async fn change_role(
    admin: &Admin,
    state: &AppState,
    id: &str,
    role: &str,
    change: RoleChange,
) -> Result<Json<UserView>> {
    let id = user_id(id)?;
    let role = role_name(role)?;
    let grant = matches!(change, RoleChange::Grant);
    auth_core::admin::change_role(&state.provider, &admin.subject, &id, &role, grant).await?;
    user_view(&state.provider, &id).await
}

async fn list_roles(_: Admin, State(state): State<AppState>) -> Result<Json<Vec<RoleView>>> {
    Ok(Json(
        state
            .provider
            .store()
            .roles()
            .await?
            .iter()
            .map(RoleView::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRole {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    permissions: Vec<String>,
}

async fn create_role(
    admin: Admin,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateRole>,
) -> Result<(StatusCode, Json<RoleView>)> {
    let role = Role {
        name: role_name(&body.name)?,
        description: body.description,
        permissions: body
            .permissions
            .iter()
            .map(|p| role_name(p))
            .collect::<Result<_>>()?,
    };
    auth_core::admin::create_role(&state.provider, &admin.subject, &role).await?;
    Ok((StatusCode::CREATED, Json(RoleView::from(&role))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Permissions {
    permissions: Vec<String>,
}

async fn set_permissions(
    admin: Admin,
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<Permissions>,
) -> Result<Json<RoleView>> {
    let name = role_name(&name)?;
    let permissions: Vec<RoleName> = body
        .permissions
        .iter()
        .map(|p| role_name(p))
        .collect::<Result<_>>()?;
    auth_core::admin::set_permissions(&state.provider, &admin.subject, &name, &permissions).await?;
    let roles = state.provider.store().roles().await?;
    let role = roles
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ApiError::not_found(format!("no role is named `{name}`")))?;
    Ok(Json(RoleView::from(role)))
}

async fn list_clients(_: Admin, State(state): State<AppState>) -> Result<Json<Vec<ClientView>>> {
    Ok(Json(
        state
            .provider
            .store()
            .clients()
            .await?
            .iter()
            .map(ClientView::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateClient {
    client_name: String,
    client_id: Option<String>,
    #[serde(default = "default_auth_method")]
    token_endpoint_auth_method: String,
    grant_types: Vec<String>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    trusted: bool,
    /// The client's public keys (for private_key_jwt and signed requests).
    #[serde(default)]
    jwks: Option<serde_json::Value>,
    /// Where the client publishes its public keys.
    #[serde(default)]
    jwks_uri: Option<String>,
    /// Every authorization request of the client must be pushed (RFC 9126).
    #[serde(default)]
    require_pushed_authorization_requests: bool,
    /// Every token request of the client must carry a DPoP proof (RFC 9449 section 5.2).
    #[serde(default)]
    dpop_bound_access_tokens: bool,
    /// The client follows the FAPI 2.0 Security Profile.
    #[serde(default)]
    fapi: bool,
    /// Pairwise subject identifiers (OIDC Core section 8).
    #[serde(default)]
    pairwise: bool,
    /// The services the client may exchange users' tokens for (RFC 8693), with the
    /// token-exchange grant type: `{"audiences": [...]}`.
    #[serde(default)]
    token_exchange: Option<TokenExchangePolicy>,
    /// Where logout tokens are posted (OIDC Back-Channel Logout section 2.2).
    #[serde(default)]
    backchannel_logout_uri: Option<String>,
    /// Logout tokens must carry `sid` (OIDC Back-Channel Logout section 2.2).
    #[serde(default)]
    backchannel_logout_session_required: bool,
}

fn default_auth_method() -> String {
    AuthMethod::ClientSecretBasic.as_str().to_owned()
}

async fn create_client(
    admin: Admin,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateClient>,
) -> Result<Response> {
    let auth_method = AuthMethod::parse(&body.token_endpoint_auth_method).ok_or_else(|| {
        ApiError::invalid(format!(
            "token_endpoint_auth_method `{}` is not one of client_secret_basic, client_secret_post, private_key_jwt, none",
            body.token_endpoint_auth_method
        ))
    })?;
    let mut new = NewClient::new(
        body.client_name,
        auth_method,
        grant_types(&body.grant_types)?,
    );
    new.id = body.client_id.as_deref().map(ClientId::parse).transpose()?;
    new.scope = scope(&body.scope)?;
    new.redirect_uris = redirect_uris(&body.redirect_uris)?;
    new.post_logout_redirect_uris = redirect_uris(&body.post_logout_redirect_uris)?;
    new.trusted = body.trusted;
    new.security = ClientSecurity {
        jwks: body.jwks,
        jwks_uri: body.jwks_uri,
        require_pushed_authorization_requests: body.require_pushed_authorization_requests,
        dpop_bound_access_tokens: body.dpop_bound_access_tokens,
        fapi: body.fapi,
        pairwise: body.pairwise,
        token_exchange: body.token_exchange,
        ..ClientSecurity::default()
    };
    new.backchannel = BackchannelLogout {
        uri: body.backchannel_logout_uri,
        session_required: body.backchannel_logout_session_required,
    };
    let (client, secret) =
        auth_core::admin::create_client(&state.provider, &admin.subject, new).await?;
    let mut view = ClientView::from(&client);
    view.client_secret = secret.map(|s| s.expose().to_owned());
    // The answer carries the secret: no cache keeps it.
    Ok((StatusCode::CREATED, no_store(), Json(view)).into_response())
}

async fn show_client(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ClientView>> {
    let id = ClientId::parse(&id)?;
    let client = state
        .provider
        .store()
        .client(&id)
        .await?
        .ok_or_else(|| ApiError::from(ClientError::NotFound(id.clone())))?;
    Ok(Json(ClientView::from(&*client)))
}

/// `PUT /admin/clients/{id}`: the client's name, grant types, scope, redirect URIs and trust,
/// replaced (its id, authentication method, keys and token-exchange policy stay).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateClient {
    client_name: String,
    grant_types: Vec<String>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    trusted: bool,
}

async fn update_client(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateClient>,
) -> Result<Json<ClientView>> {
    let id = ClientId::parse(&id)?;
    let changes = ClientChanges {
        name: body.client_name,
        grant_types: grant_types(&body.grant_types)?,
        scope: scope(&body.scope)?,
        redirect_uris: redirect_uris(&body.redirect_uris)?,
        post_logout_redirect_uris: redirect_uris(&body.post_logout_redirect_uris)?,
        trusted: body.trusted,
    };
    let client =
        auth_core::admin::update_client(&state.provider, &admin.subject, &id, changes).await?;
    Ok(Json(ClientView::from(&client)))
}

fn grant_types(names: &[String]) -> Result<Vec<GrantType>> {
    names
        .iter()
        .map(|g| {
            GrantType::parse(g)
                .ok_or_else(|| ApiError::invalid(format!("grant type `{g}` is not supported")))
        })
        .collect()
}

fn scope(text: &str) -> Result<Scope> {
    if text.trim().is_empty() {
        return Ok(Scope::empty());
    }
    Scope::parse(text.trim()).map_err(|e| ApiError::invalid(e.to_string()))
}

fn redirect_uris(list: &[String]) -> Result<Vec<RedirectUri>> {
    list.iter()
        .map(|u| RedirectUri::parse(u).map_err(ApiError::from))
        .collect()
}

async fn delete_client(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = ClientId::parse(&id)?;
    auth_core::admin::delete_client(&state.provider, &admin.subject, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives a confidential client a new secret (shown once); every token issued under the old
/// one ends.
async fn rotate_client_secret(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = ClientId::parse(&id)?;
    let secret =
        auth_core::admin::rotate_client_secret(&state.provider, &admin.subject, &id).await?;
    Ok((
        no_store(),
        Json(json!({"client_id": id.as_str(), "client_secret": secret.expose()})),
    )
        .into_response())
}

/// `PUT /admin/clients/{id}/token-exchange` `{"audiences": [...]}`: the services the client
/// may exchange users' tokens for (RFC 8693); an empty list takes token exchange away.
async fn set_token_exchange(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TokenExchangeBody>,
) -> Result<Json<ClientView>> {
    let id = ClientId::parse(&id)?;
    let client = clients::set_token_exchange(&state.provider, &id, body.audiences).await?;
    audit::record(
        &state.provider,
        Entry::new("client_token_exchange_set")
            .actor(&admin.subject)
            .client(id.as_str()),
    )
    .await;
    Ok(Json(ClientView::from(&client)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenExchangeBody {
    audiences: Vec<String>,
}

async fn list_keys(_: Admin, State(state): State<AppState>) -> Result<Json<Vec<KeyView>>> {
    Ok(Json(KeyView::ring(&state.provider)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotate {
    #[serde(default)]
    immediately: bool,
}

async fn rotate_key(
    admin: Admin,
    State(state): State<AppState>,
    body: Option<Json<Rotate>>,
) -> Result<Json<serde_json::Value>> {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let activation = if body.immediately {
        Activation::Immediately
    } else {
        Activation::AfterPublishDelay
    };
    let rotated = auth_core::admin::rotate_key(&state.provider, &admin.subject, activation)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({
        "kid": rotated.kid,
        "generation": rotated.generation,
        "activates_at": crate::views::rfc3339(rotated.activates_at),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    user: Option<String>,
    event: Option<String>,
    client: Option<String>,
    outcome: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    before: Option<String>,
    limit: Option<u32>,
}

#[derive(Debug, serde::Serialize)]
struct AuditView {
    id: String,
    at: String,
    event: String,
    outcome: String,
    user_id: Option<String>,
    client_id: Option<String>,
    actor: Option<String>,
    ip: Option<String>,
    details: serde_json::Value,
}

impl From<AuditEvent> for AuditView {
    fn from(e: AuditEvent) -> Self {
        Self {
            at: crate::views::rfc3339(e.at),
            details: serde_json::from_str(&e.details).unwrap_or_default(),
            id: e.id,
            event: e.event,
            outcome: e.outcome,
            user_id: e.user_id,
            client_id: e.client_id,
            actor: e.actor,
            ip: e.ip,
        }
    }
}

/// `GET /admin/audit?user=&event=&client=&outcome=&since=&until=&before=&limit=`: security
/// events, newest first (`since`/`until` in seconds since the epoch). Page with
/// `before` = the id of the last event received.
async fn audit_log(
    _: Admin,
    State(state): State<AppState>,
    query: std::result::Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<AuditView>>> {
    let Query(query) = query?;
    let filter = AuditFilter {
        user_id: query.user,
        event: query.event,
        client_id: query.client,
        outcome: query.outcome,
        since: query.since,
        until: query.until,
        before: query.before,
        limit: query.limit.unwrap_or(100),
    };
    let events = audit::list(&state.provider, &filter).await?;
    Ok(Json(events.into_iter().map(AuditView::from).collect()))
}
