//! The console's clients: the list (filtered by the start of the id or the name), a new client
//! with its secret shown once, a client's page with its settings changed, its secret rotated
//! (shown once; what the old one obtained ends) and the client deleted. Rotating and deleting
//! need re-authentication. Without `admin`, an operator with `clients:manage` neither creates
//! nor touches a privileged client ([`admin::may_manage_client`]: the `admin` scope or a
//! service scope, first-party, or token exchange): a client secret with `admin` in reach is the
//! admin API, and a first-party client's redirect URI receives any signed-in user's code.

use super::{Console, Frame, notice, refused_with};
use crate::access::Routes;
use crate::error::PageError;
use crate::pages::form::Posted;
use crate::pages::templates::pages;
use crate::pages::{Browser, lenient_query, see_other};
use crate::state::AppState;
use crate::views::rfc3339;
use auth_core::admin::{self, Area, ClientPowers};
use auth_core::clients::{
    AuthMethod, Client, ClientChanges, ClientError, ClientId, ClientSecurity, GrantType, NewClient,
    RedirectUri,
};
use auth_core::params::Params;
use auth_core::scope::Scope;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// The list's address.
pub const PATH: &str = "/admin/console/clients";

/// Clients shown on the list at most (narrow the filter for the rest).
const LIST_LIMIT: usize = 100;

/// The grant types the forms offer, each a checkbox `grant_{short name}` (a form names a
/// field once: repeated parameters are refused). Token exchange comes with its policy, through
/// the admin API's `PUT /admin/clients/{id}/token-exchange`.
const OFFERED_GRANTS: [(&str, GrantType); 4] = [
    ("authorization_code", GrantType::AuthorizationCode),
    ("refresh_token", GrantType::RefreshToken),
    ("client_credentials", GrantType::ClientCredentials),
    ("device_code", GrantType::DeviceCode),
];

/// Adds the clients' pages and forms.
pub fn routes(routes: Routes) -> Routes {
    routes
        .get(PATH, list)
        .post(PATH, create)
        .get("/admin/console/clients/{id}", show)
        .post("/admin/console/clients/{id}", update)
        .post("/admin/console/clients/{id}/secret", rotate_secret)
        .post("/admin/console/clients/{id}/delete", delete)
}

/// One row of the list.
pub struct ClientRow {
    pub id: String,
    pub name: String,
    pub auth_method: String,
    pub grant_types: String,
    pub created: String,
}

/// What a client form shows: the values as entered (or stored), so a refused form keeps them.
#[derive(Default)]
pub struct ClientForm {
    pub client_id: String,
    pub name: String,
    pub auth_method: String,
    pub jwks_uri: String,
    /// (short name, wire name, checked) of each offered grant type.
    pub grants: Vec<(&'static str, &'static str, bool)>,
    pub scope: String,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub trusted: bool,
}

impl ClientForm {
    fn from_params(params: &Params) -> Self {
        Self {
            client_id: field(params, "client_id"),
            name: field(params, "client_name"),
            auth_method: field(params, "token_endpoint_auth_method"),
            jwks_uri: field(params, "jwks_uri"),
            grants: OFFERED_GRANTS
                .iter()
                .map(|(short, g)| {
                    let on = params.get(&format!("grant_{short}")) == Some("yes");
                    (*short, g.as_str(), on)
                })
                .collect(),
            scope: field(params, "scope"),
            redirect_uris: field(params, "redirect_uris"),
            post_logout_redirect_uris: field(params, "post_logout_redirect_uris"),
            trusted: params.get("trusted") == Some("yes"),
        }
    }

    fn from_client(client: &Client) -> Self {
        let lines = |uris: &[RedirectUri]| {
            uris.iter()
                .map(RedirectUri::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        };
        Self {
            client_id: client.id.to_string(),
            name: client.name.clone(),
            auth_method: client.auth_method.to_string(),
            jwks_uri: client.security.jwks_uri.clone().unwrap_or_default(),
            grants: OFFERED_GRANTS
                .iter()
                .map(|(short, g)| (*short, g.as_str(), client.may_use(*g)))
                .collect(),
            scope: client.scope.to_string(),
            redirect_uris: lines(&client.redirect_uris),
            post_logout_redirect_uris: lines(&client.post_logout_redirect_uris),
            trusted: client.trusted,
        }
    }

    fn blank() -> Self {
        Self {
            auth_method: AuthMethod::ClientSecretBasic.to_string(),
            grants: OFFERED_GRANTS
                .iter()
                .map(|(short, g)| (*short, g.as_str(), false))
                .collect(),
            ..Self::default()
        }
    }

    fn grant_types(&self) -> Vec<GrantType> {
        OFFERED_GRANTS
            .iter()
            .zip(&self.grants)
            .filter(|(_, (_, _, on))| *on)
            .map(|((_, g), _)| *g)
            .collect()
    }

    /// The settings a client form changes, parsed; a sentence on the first bad field.
    fn changes(&self) -> Result<ClientChanges, ClientError> {
        let scope = if self.scope.trim().is_empty() {
            Scope::empty()
        } else {
            Scope::parse(self.scope.trim())
                .map_err(|e| ClientError::InvalidMetadata(format!("scope: {e}")))?
        };
        Ok(ClientChanges {
            name: self.name.clone(),
            grant_types: self.grant_types(),
            scope,
            redirect_uris: uri_lines(&self.redirect_uris)?,
            post_logout_redirect_uris: uri_lines(&self.post_logout_redirect_uris)?,
            trusted: self.trusted,
        })
    }
}

fn field(params: &Params, name: &str) -> String {
    params.get(name).unwrap_or("").to_owned()
}

/// One URI a line (blank lines ignored).
fn uri_lines(text: &str) -> Result<Vec<RedirectUri>, ClientError> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(RedirectUri::parse)
        .collect()
}

pages! {
    /// `admin/clients.html`
    ClientsPage("admin/clients.html") {
        pub frame: Frame<'a>,
        pub notice: Option<&'a str>,
        pub error: Option<&'a str>,
        pub q: String,
        pub clients: Vec<ClientRow>,
        /// How many more match than are shown.
        pub more: usize,
        pub form: ClientForm,
        pub methods: [&'static str; 4],
    }

    /// `admin/client.html`
    ClientPage("admin/client.html") {
        pub frame: Frame<'a>,
        pub notice: Option<&'a str>,
        pub error: Option<&'a str>,
        /// A secret just made: shown on this answer only.
        pub secret: Option<&'a str>,
        pub form: ClientForm,
        pub facts: ClientFacts,
        /// Whether the administrator may change the client.
        pub changeable: bool,
    }
}

/// What a client's page shows besides the form.
pub struct ClientFacts {
    pub id: String,
    pub auth_method: String,
    pub has_secret: bool,
    pub token_exchange: String,
    pub security: Vec<&'static str>,
    pub jwks_uri: String,
    pub backchannel_logout_uri: String,
    pub dynamic: bool,
    pub created: String,
}

const METHODS: [&str; 4] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

async fn list_view(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    q: &str,
    notice: Option<&str>,
    error: Option<&str>,
    form: ClientForm,
) -> Result<Response, PageError> {
    let needle = q.trim().to_lowercase();
    let matching: Vec<Client> = state
        .provider
        .store()
        .clients()
        .await?
        .into_iter()
        .filter(|c| {
            needle.is_empty()
                || c.id.as_str().to_lowercase().starts_with(&needle)
                || c.name.to_lowercase().starts_with(&needle)
        })
        .collect();
    let more = matching.len().saturating_sub(LIST_LIMIT);
    let clients = matching
        .iter()
        .take(LIST_LIMIT)
        .map(|c| ClientRow {
            id: c.id.to_string(),
            name: c.name.clone(),
            auth_method: c.auth_method.to_string(),
            grant_types: c
                .grant_types
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            created: rfc3339(c.created_at),
        })
        .collect();
    let shown = |t, product, frame| ClientsPage {
        t,
        product,
        frame,
        notice,
        error,
        q: q.to_owned(),
        clients,
        more,
        form,
        methods: METHODS,
    };
    Ok(console.page(state, status, shown))
}

/// `GET /admin/console/clients` (`q`: the start of an id or a name)
pub async fn list(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Clients).await?;
    let params = lenient_query(query);
    let notice = notice(
        &params,
        &[(
            "deleted",
            "The client is deleted; its tokens ended with it.",
        )],
    );
    let q = params.get("q").unwrap_or("");
    list_view(
        &state,
        &console,
        StatusCode::OK,
        q,
        notice,
        None,
        ClientForm::blank(),
    )
    .await
}

/// The status of a refused client change.
fn client_status(e: &ClientError) -> StatusCode {
    match e {
        ClientError::Duplicate(_) => StatusCode::CONFLICT,
        ClientError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

const BEYOND: &str = "Only an administrator with `admin` gives a client the `admin` scope or a service scope (users:read, metrics) or makes it first-party, or changes a client that has one of those or token exchange.";

/// `POST /admin/console/clients` (the new-client form)
pub async fn create(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Clients).await?;
    let form = ClientForm::from_params(&params);
    let new = match new_client(&form) {
        Ok(new) => new,
        Err(e) => return Err(list_refused(&state, &console, e, form).await),
    };
    let powers = ClientPowers {
        scope: &new.scope,
        trusted: new.trusted,
        token_exchange: false,
    };
    if !admin::may_manage_client(&console.grants, &powers) {
        return Err(list_refused(&state, &console, BEYOND, form).await);
    }
    let actor = console.user.id.to_string();
    let (client, secret) = match admin::create_client(&state.provider, &actor, new).await {
        Ok(created) => created,
        Err(e) => return Err(list_refused(&state, &console, e, form).await),
    };
    let notice = match &secret {
        Some(_) => {
            "The client is created. Copy its secret now: it is not stored in readable form and is not shown again."
        }
        None => "The client is created.",
    };
    client_view(
        &state,
        &console,
        StatusCode::CREATED,
        &client,
        Some(notice),
        None,
        secret.as_ref().map(|s| s.expose()),
        None,
    )
}

/// Why a client form is refused: a status and a sentence, or a failure of the server.
enum Refusal {
    Said(StatusCode, String),
    Failed(PageError),
}

impl From<ClientError> for Refusal {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Store(e) => Self::Failed(PageError::internal(e)),
            e => Self::Said(
                client_status(&e),
                crate::pages::login::sentence(&e.to_string()),
            ),
        }
    }
}

impl From<&str> for Refusal {
    /// The refusal of a client beyond the administrator's reach.
    fn from(message: &str) -> Self {
        Self::Said(StatusCode::FORBIDDEN, message.to_owned())
    }
}

/// The list page again, with the new-client form as entered and why it was refused.
async fn list_refused(
    state: &AppState,
    console: &Console,
    refusal: impl Into<Refusal>,
    form: ClientForm,
) -> PageError {
    let (status, message) = match refusal.into() {
        Refusal::Said(status, message) => (status, message),
        Refusal::Failed(e) => return e,
    };
    refused_with(list_view(state, console, status, "", None, Some(&message), form).await)
}

/// A new client from the form: its id (or a generated one), method, keys URL and settings.
fn new_client(form: &ClientForm) -> Result<NewClient, ClientError> {
    let method = AuthMethod::parse(form.auth_method.trim()).ok_or_else(|| {
        ClientError::InvalidMetadata(format!(
            "authentication method `{}` is not one of {}",
            form.auth_method,
            METHODS.join(", ")
        ))
    })?;
    let changes = form.changes()?;
    let mut new = NewClient::new(changes.name, method, changes.grant_types);
    let id = form.client_id.trim();
    new.id = (!id.is_empty()).then(|| ClientId::parse(id)).transpose()?;
    new.scope = changes.scope;
    new.redirect_uris = changes.redirect_uris;
    new.post_logout_redirect_uris = changes.post_logout_redirect_uris;
    new.trusted = changes.trusted;
    let jwks_uri = form.jwks_uri.trim();
    new.security = ClientSecurity {
        jwks_uri: (!jwks_uri.is_empty()).then(|| jwks_uri.to_owned()),
        ..ClientSecurity::default()
    };
    Ok(new)
}

#[allow(clippy::too_many_arguments)]
fn client_view(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    client: &Client,
    notice: Option<&str>,
    error: Option<&str>,
    secret: Option<&str>,
    form: Option<ClientForm>,
) -> Result<Response, PageError> {
    let security = &client.security;
    let facts = ClientFacts {
        id: client.id.to_string(),
        auth_method: client.auth_method.to_string(),
        has_secret: client.secret_hash.is_some(),
        token_exchange: security
            .token_exchange
            .as_ref()
            .map(|p| p.audiences.join(" "))
            .unwrap_or_default(),
        security: [
            (
                security.require_pushed_authorization_requests,
                "pushed requests (PAR) required",
            ),
            (security.dpop_bound_access_tokens, "DPoP-bound tokens"),
            (security.fapi, "FAPI 2.0"),
            (security.pairwise, "pairwise subject identifiers"),
            (security.jwks.is_some(), "keys registered inline"),
        ]
        .into_iter()
        .filter_map(|(on, label)| on.then_some(label))
        .collect(),
        jwks_uri: security.jwks_uri.clone().unwrap_or_default(),
        backchannel_logout_uri: client.backchannel.uri.clone().unwrap_or_default(),
        dynamic: client.registered_dynamically(),
        created: rfc3339(client.created_at),
    };
    let shown = |t, product, frame| ClientPage {
        t,
        product,
        frame,
        notice,
        error,
        secret,
        form: form.unwrap_or_else(|| ClientForm::from_client(client)),
        facts,
        changeable: admin::may_manage_client(&console.grants, &ClientPowers::of(client)),
    };
    Ok(console.page(state, status, shown))
}

fn not_found(console: &Console, state: &AppState) -> PageError {
    console.not_found(
        state,
        (
            "No such client",
            "There is no client with this id. It may have been deleted.",
        ),
        (PATH, "Clients"),
    )
}

/// The client of a page or form; 404 alike for a malformed id and an unknown one.
async fn find(state: &AppState, console: &Console, id: &str) -> Result<Client, PageError> {
    let Ok(id) = ClientId::parse(id) else {
        return Err(not_found(console, state));
    };
    match state.provider.store().client(&id).await? {
        Some(client) => Ok(client.as_ref().clone()),
        None => Err(not_found(console, state)),
    }
}

/// `GET /admin/console/clients/{id}`
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Clients).await?;
    let client = find(&state, &console, &id).await?;
    let notice = notice(
        &lenient_query(query),
        &[("updated", "The client's settings are saved.")],
    );
    client_view(
        &state,
        &console,
        StatusCode::OK,
        &client,
        notice,
        None,
        None,
        None,
    )
}

/// The console, the client and the form of a post on a client, once the administrator may
/// change that client.
async fn action(
    state: &AppState,
    posted: Posted,
    id: &str,
) -> Result<(Console, Client, Params), PageError> {
    let Posted { browser, params } = posted;
    let console = Console::open(state, browser, Area::Clients).await?;
    let client = find(state, &console, id).await?;
    if !admin::may_manage_client(&console.grants, &ClientPowers::of(&client)) {
        return Err(refused(state, &console, &client, BEYOND, None));
    }
    Ok((console, client, params))
}

/// The client's page again, with why the post was refused (and the form as entered).
fn refused(
    state: &AppState,
    console: &Console,
    client: &Client,
    refusal: impl Into<Refusal>,
    form: Option<ClientForm>,
) -> PageError {
    let (status, message) = match refusal.into() {
        Refusal::Said(status, message) => (status, message),
        Refusal::Failed(e) => return e,
    };
    refused_with(client_view(
        state,
        console,
        status,
        client,
        None,
        Some(&message),
        None,
        form,
    ))
}

/// `POST /admin/console/clients/{id}` (the settings form)
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let (console, client, params) = action(&state, posted, &id).await?;
    let form = ClientForm::from_params(&params);
    let changes = match form.changes() {
        Ok(changes) => changes,
        Err(e) => return Err(refused(&state, &console, &client, e, Some(form))),
    };
    // The client as it would be must be within reach too.
    let powers = ClientPowers {
        scope: &changes.scope,
        trusted: changes.trusted,
        token_exchange: client.security.token_exchange.is_some(),
    };
    if !admin::may_manage_client(&console.grants, &powers) {
        return Err(refused(&state, &console, &client, BEYOND, Some(form)));
    }
    let actor = console.user.id.to_string();
    match admin::update_client(&state.provider, &actor, &client.id, changes).await {
        Ok(_) => Ok(see_other(
            &console.browser,
            &format!("{PATH}/{}?notice=updated", client.id),
        )),
        Err(ClientError::NotFound(_)) => Err(not_found(&console, &state)),
        Err(e) => Err(refused(&state, &console, &client, e, Some(form))),
    }
}

/// [`action`] for a destructive post: also re-authentication (the password, or a sign-in
/// within five minutes); the page again, saying what stays `unchanged`, when it fails.
async fn destructive(
    state: &AppState,
    posted: Posted,
    id: &str,
    unchanged: &str,
) -> Result<(Console, Client), PageError> {
    let (console, client, params) = action(state, posted, id).await?;
    match console.reauthenticate(state, &params).await? {
        Ok(()) => Ok((console, client)),
        Err(message) => {
            let refusal = Refusal::Said(StatusCode::FORBIDDEN, format!("{message} {unchanged}"));
            Err(refused(state, &console, &client, refusal, None))
        }
    }
}

/// `POST /admin/console/clients/{id}/secret` (`current_password`): a new secret, shown once.
pub async fn rotate_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let (console, client) = destructive(&state, posted, &id, "The secret is not changed.").await?;
    let actor = console.user.id.to_string();
    match admin::rotate_client_secret(&state.provider, &actor, &client.id).await {
        Ok(secret) => client_view(
            &state,
            &console,
            StatusCode::OK,
            &client,
            Some(
                "The client has a new secret; the old one no longer works and every token obtained with it has ended. Copy the new secret now: it is not shown again.",
            ),
            None,
            Some(secret.expose()),
            None,
        ),
        Err(ClientError::NotFound(_)) => Err(not_found(&console, &state)),
        Err(e) => Err(refused(&state, &console, &client, e, None)),
    }
}

/// `POST /admin/console/clients/{id}/delete` (`current_password`)
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let (console, client) = destructive(&state, posted, &id, "The client is not deleted.").await?;
    let actor = console.user.id.to_string();
    match admin::delete_client(&state.provider, &actor, &client.id).await {
        Ok(()) => Ok(see_other(
            &console.browser,
            &format!("{PATH}?notice=deleted"),
        )),
        Err(ClientError::NotFound(_)) => Err(not_found(&console, &state)),
        Err(e) => Err(refused(&state, &console, &client, e, None)),
    }
}
