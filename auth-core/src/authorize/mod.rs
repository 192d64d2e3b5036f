//! The authorization endpoint, [RFC 6749 section 4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)
//! and [OIDC Core section 3.1.2](https://openid.net/specs/openid-connect-core-1_0.html#AuthorizationEndpoint).
//!
//! [`validate`] turns query parameters into an [`AuthorizationRequest`] or an error that is
//! either shown to the user (unknown client, unregistered redirect URI: never redirect there) or
//! sent back to the client's registered redirect URI. [`next_step`] decides whether the user must
//! log in or consent, and [`issue_code`] completes the request.

mod pending;
pub mod pushed;
pub mod request_object;

pub use pending::{PendingRequest, SavePendingError, forget_pending, load_pending, save_pending};

use crate::Provider;
use crate::clients::{Client, ClientId, GrantType};
use crate::error::OAuthError;
use crate::params::Params;
use crate::pkce;
use crate::scope::Scope;
use crate::secrets::{new_id, new_token};
use crate::sessions::Session;
use crate::store::StoredCode;
use auth_proto::error::ErrorCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use url::Url;

/// Prefix of authorization codes.
pub const CODE_PREFIX: &str = "ac_";

/// A validated authorization request, as kept while the user logs in and consents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// Where the response goes: the requested URI, or the only registered one.
    pub redirect_uri: String,
    /// Whether `redirect_uri` was in the request (then the token request must repeat it,
    /// RFC 6749 section 4.1.3).
    pub redirect_uri_sent: bool,
    /// Requested scope, within the client's.
    pub scope: String,
    /// Opaque client state, returned as is.
    pub state: Option<String>,
    /// OIDC nonce, put in the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// `prompt` values.
    pub prompt: Vec<Prompt>,
    /// `max_age` in seconds.
    pub max_age: Option<i64>,
    /// `login_hint`, to pre-fill the login form.
    pub login_hint: Option<String>,
    /// The subject of a valid `id_token_hint`: the user the client expects (OIDC Core section
    /// 3.1.2.1). Only that user's session may answer the request.
    #[serde(default)]
    pub hinted_subject: Option<String>,
    /// `dpop_jkt` (RFC 9449 section 10): the DPoP key the code is bound to.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
    /// The resources (RFC 8707) the tokens may be for.
    #[serde(default)]
    pub resources: Vec<String>,
    /// `ui_locales` (OIDC Core section 3.1.2.1): the languages the user prefers for the pages,
    /// space-separated BCP 47 tags, most preferred first.
    #[serde(default)]
    pub ui_locales: Option<String>,
}

/// OIDC `prompt` values (OIDC Core section 3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// No user interaction: fail instead.
    None,
    /// Authenticate again.
    Login,
    /// Ask for consent again.
    Consent,
}

/// Why an authorization request failed, and where the answer goes.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Shown to the user; the client or its redirect URI cannot be trusted with a redirect.
    Page(String),
    /// The server failed (the cause is for the log; the user sees "internal error").
    Internal(String),
    /// Sent to the client's redirect URI (RFC 6749 section 4.1.2.1).
    Redirect {
        /// The URL to redirect to.
        location: String,
        /// The error, for logs and metrics.
        error: OAuthError,
    },
}

impl AuthorizationRequest {
    /// The scope as a set.
    pub fn scope(&self) -> Scope {
        Scope::parse(&self.scope).unwrap_or_default()
    }

    /// The redirect carrying `error` (with `state` and RFC 9207 `iss`).
    pub fn error_redirect(&self, provider: &Provider, error: OAuthError) -> AuthorizeError {
        let location = redirect_with(&self.redirect_uri, provider, self.state.as_deref(), |q| {
            q.append_pair("error", error.code().as_str());
            q.append_pair("error_description", error.description());
        });
        AuthorizeError::Redirect { location, error }
    }
}

/// Appends response parameters to a redirect URI, keeping its own query (RFC 6749 section 3.1.2).
fn redirect_with(
    redirect_uri: &str,
    provider: &Provider,
    state: Option<&str>,
    add: impl FnOnce(&mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>),
) -> String {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return redirect_uri.to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        add(&mut query);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        // RFC 9207 section 2: the issuer identifies the server that sent the response.
        query.append_pair("iss", provider.settings().issuer.as_str());
    }
    url.into()
}

/// Validates the parameters of `GET /authorize`: the request itself, a request object in
/// `request` (RFC 9101), or the pushed request `request_uri` names (RFC 9126).
pub async fn validate(
    provider: &Provider,
    params: &Params,
) -> Result<(Client, AuthorizationRequest), AuthorizeError> {
    // RFC 6749 section 4.1.2.1: while the client or redirect URI is in doubt, inform the
    // resource owner and MUST NOT redirect.
    let Some(client_id) = params.get("client_id") else {
        return Err(AuthorizeError::Page("The request has no client_id.".into()));
    };
    let unknown = || {
        AuthorizeError::Page(format!(
            "No application is registered with client_id `{client_id}`."
        ))
    };
    let id = ClientId::parse(client_id).map_err(|_| unknown())?;
    let client = provider
        .store()
        .client(&id)
        .await
        .map_err(|e| AuthorizeError::Internal(e.to_string()))?
        .ok_or_else(unknown)?;
    // Until the request is known, its redirect URI is not: errors are shown, not redirected.
    let (params, pushed) = match (params.get("request_uri"), params.get("request")) {
        (Some(_), Some(_)) => {
            return Err(AuthorizeError::Page(
                "The request carries both request and request_uri (invalid_request).".into(),
            ));
        }
        (Some(request_uri), None) => (pushed::take(provider, &client, request_uri).await?, true),
        (None, Some(object)) => (
            request_object::resolve(provider, &client, object)
                .await
                .map_err(|e| {
                    AuthorizeError::Page(format!(
                        "The application's signed request was refused: {} ({}).",
                        e.description(),
                        e.code().as_str()
                    ))
                })?,
            false,
        ),
        (None, None) => (params.clone(), false),
    };
    match check_request(provider, &client, &params, pushed).await {
        Ok(request) => Ok((Arc::unwrap_or_clone(client), request)),
        Err(Refusal::Page(message)) => Err(AuthorizeError::Page(message)),
        // From here on, errors go to the client, unless nobody vouches for its redirect URI.
        Err(Refusal::Client(request, error)) => Err(refuse_before_interaction(
            provider, &client, &request, error,
        )),
    }
}

/// Why [`check_request`] refused a request.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The redirect URI is in doubt: tell the user.
    Page(String),
    /// The redirect URI is known: the client may be told.
    Client(Box<AuthorizationRequest>, OAuthError),
}

/// Checks the parameters of an authorization request of `client`. `pushed` says they came
/// from a pushed request.
pub(crate) async fn check_request(
    provider: &Provider,
    client: &Client,
    params: &Params,
    pushed: bool,
) -> Result<AuthorizationRequest, Refusal> {
    let client_id = client.id.as_str();
    let scope_text = params.get("scope");
    let is_oidc = scope_text.is_some_and(|s| s.split(' ').any(|t| t == "openid"));
    let (redirect_uri, redirect_uri_sent) = match params.get("redirect_uri") {
        Some(requested) => {
            if !client.redirect_uris.iter().any(|r| r.matches(requested)) {
                return Err(Refusal::Page(format!(
                    "redirect_uri `{requested}` does not match any URI registered for client `{client_id}`."
                )));
            }
            (requested.to_owned(), true)
        }
        // OIDC Core section 3.1.2.1: redirect_uri is REQUIRED. RFC 6749 section 3.1.2.3 allows
        // omitting it when exactly one is registered.
        None if !is_oidc && client.redirect_uris.len() == 1 => {
            (client.redirect_uris[0].as_str().to_owned(), false)
        }
        None => {
            return Err(Refusal::Page(format!(
                "The request from client `{client_id}` has no redirect_uri."
            )));
        }
    };

    let mut request = AuthorizationRequest {
        client_id: client_id.to_owned(),
        redirect_uri,
        redirect_uri_sent,
        scope: String::new(),
        state: params.get("state").map(str::to_owned),
        nonce: None,
        code_challenge: String::new(),
        prompt: Vec::new(),
        max_age: None,
        login_hint: None,
        hinted_subject: None,
        dpop_jkt: None,
        resources: Vec::new(),
        ui_locales: None,
    };
    // RFC 9126 section 5 and 6: a deployment or a client may require pushed requests; FAPI 2.0
    // section 5.3.2.2 item 2 requires them.
    let fapi = crate::fapi::applies(provider, client);
    let must_push = provider
        .settings()
        .requests
        .require_pushed_authorization_requests
        || client.security.require_pushed_authorization_requests
        || fapi;
    if must_push && !pushed {
        let error = OAuthError::invalid_request(format!(
            "client `{client_id}` must push its authorization requests (pushed_authorization_request_endpoint, RFC 9126)"
        ));
        return Err(Refusal::Client(Box::new(request), error));
    }
    // FAPI 2.0 Security Profile section 5.3.2.2 item 10: redirect_uri is always sent.
    if fapi && !request.redirect_uri_sent {
        let error = OAuthError::invalid_request(
            "a FAPI 2.0 client must send redirect_uri in every authorization request",
        );
        return Err(Refusal::Client(Box::new(request), error));
    }
    if let Err(error) = check_parameters(provider, client, params, &mut request) {
        return Err(Refusal::Client(Box::new(request), error));
    }
    // RFC 8707 section 2: every `resource` must be a registered API (`invalid_target`).
    match crate::resources::requested(provider, params).await {
        Ok(resources) => {
            request.resources = resources.into_iter().map(|r| r.uri).collect();
            Ok(request)
        }
        Err(error) => Err(Refusal::Client(Box::new(request), error)),
    }
}

/// The answer to an error found before the user has interacted with the server: a redirect
/// to the client, or, for a dynamically registered client, an error page. RFC 9700 section
/// 4.11.2: the server should redirect automatically only to URIs it trusts, or anyone could
/// register `https://evil.example/` and use `/authorize` as an open redirector.
///
/// Except the answers to `prompt=none` (`login_required`, `consent_required`,
/// `interaction_required`): OIDC Core section 3.1.2.6 requires them at the client's
/// redirect URI, which is registered and matched exactly, and a client that asks silently
/// has no user to show a page to.
pub fn refuse_before_interaction(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    error: OAuthError,
) -> AuthorizeError {
    let needs_interaction = matches!(
        error.code(),
        ErrorCode::LoginRequired | ErrorCode::ConsentRequired | ErrorCode::InteractionRequired
    );
    if client.registered_dynamically() && !needs_interaction {
        AuthorizeError::Page(format!(
            "The application `{}` sent a request that cannot be completed: {} ({}).",
            client.name,
            error.description(),
            error.code().as_str()
        ))
    } else {
        request.error_redirect(provider, error)
    }
}

fn check_parameters(
    provider: &Provider,
    client: &Client,
    params: &Params,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    // A request object or pushed request carrying `request` or `request_uri` again (RFC 9101
    // section 4: it MUST NOT).
    for name in ["request", "request_uri"] {
        if params.contains(name) {
            return Err(OAuthError::invalid_request(format!(
                "`{name}` cannot appear inside a request object or a pushed request"
            )));
        }
    }
    if params.contains("registration") {
        return Err(OAuthError::new(
            ErrorCode::RegistrationNotSupported,
            "the `registration` parameter is not supported",
        ));
    }
    match params.get("response_type") {
        None => {
            return Err(OAuthError::invalid_request(
                "required parameter `response_type` is missing",
            ));
        }
        Some("code") => {}
        Some(other) => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                format!("response_type `{other}` is not supported; use `code`"),
            ));
        }
    }
    if let Some(mode) = params.get("response_mode")
        && mode != "query"
    {
        return Err(OAuthError::invalid_request(format!(
            "response_mode `{mode}` is not supported; use `query`"
        )));
    }
    if !client.may_use(GrantType::AuthorizationCode) {
        return Err(OAuthError::unauthorized_client(format!(
            "client `{}` is not allowed to use the authorization code flow",
            client.id
        )));
    }
    request.scope = requested_scope(client, params)?.to_string();

    // PKCE is required of every client (RFC 9700 section 2.1.1 recommends it for all).
    let challenge = params.get("code_challenge").ok_or_else(|| {
        OAuthError::invalid_request(
            "code_challenge is required: use PKCE with code_challenge_method S256",
        )
    })?;
    request.code_challenge = pkce::parse_challenge(challenge, params.get("code_challenge_method"))?;

    if let Some(prompt) = params.get("prompt") {
        let mut values = Vec::new();
        for value in prompt.split(' ') {
            values.push(match value {
                "none" => Prompt::None,
                "login" => Prompt::Login,
                "consent" => Prompt::Consent,
                other => {
                    return Err(OAuthError::invalid_request(format!(
                        "prompt value `{other}` is not supported; use none, login or consent"
                    )));
                }
            });
        }
        // OIDC Core section 3.1.2.1: `none` MUST NOT be combined with another value.
        if values.contains(&Prompt::None) && values.len() > 1 {
            return Err(OAuthError::invalid_request(
                "prompt `none` cannot be combined with other values",
            ));
        }
        request.prompt = values;
    }
    if let Some(max_age) = params.get("max_age") {
        let max_age: i64 = max_age.parse().ok().filter(|v| *v >= 0).ok_or_else(|| {
            OAuthError::invalid_request("max_age must be a non-negative number of seconds")
        })?;
        request.max_age = Some(max_age);
    }
    for (name, max) in [
        ("state", 2048),
        ("nonce", 512),
        ("login_hint", 254),
        ("ui_locales", 254),
    ] {
        if params.get(name).is_some_and(|v| v.len() > max) {
            return Err(OAuthError::invalid_request(format!(
                "{name} must be at most {max} characters"
            )));
        }
    }
    request.nonce = params.get("nonce").map(str::to_owned);
    if let Some(jkt) = params.get("dpop_jkt") {
        if !crate::dpop::is_thumbprint(jkt) {
            return Err(OAuthError::invalid_request(
                "dpop_jkt must be the base64url SHA-256 thumbprint of the DPoP key (43 characters)",
            ));
        }
        request.dpop_jkt = Some(jkt.to_owned());
    }
    request.login_hint = params.get("login_hint").map(str::to_owned);
    // OIDC Core section 3.1.2.1: a preference for the pages' language, not an error when
    // none of its tags is available.
    request.ui_locales = params.get("ui_locales").map(str::to_owned);
    // OIDC Core section 3.1.2.1: an ID token this server issued (it may have expired) naming
    // the user the client expects.
    if let Some(hint) = params.get("id_token_hint") {
        let claims = provider.read_id_token_hint(hint).map_err(|e| {
            OAuthError::invalid_request(format!(
                "id_token_hint is not an ID token issued by this server: {e}"
            ))
        })?;
        request.hinted_subject = Some(claims.sub);
    }
    Ok(())
}

/// What the user must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Log in (again).
    Login,
    /// Approve the scopes.
    Consent,
    /// Nothing: a code can be issued.
    IssueCode,
}

/// Decides the next step for `request` given the browser's session. `requested_at` is when a
/// request kept while the user logged in began; `None` for a request that has just arrived (no
/// login can have answered it yet). With `prompt=none`, a step needing the user is an error for
/// the client instead.
pub async fn next_step(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    requested_at: Option<i64>,
    session: Option<&Session>,
) -> Result<NextStep, OAuthError> {
    let now = provider.clock().unix();
    let silent = request.prompt.contains(&Prompt::None);
    let Some(session) = session else {
        return if silent {
            Err(OAuthError::new(
                ErrorCode::LoginRequired,
                "the user is not logged in",
            ))
        } else {
            Ok(NextStep::Login)
        };
    };
    // A login that happened after the request began answers prompt=login and max_age (the
    // user has just authenticated, however long it took), and it is the user's answer to an
    // id_token_hint naming someone else.
    let fresh = requested_at.is_some_and(|began| session.auth_time >= began);
    // The hint's `sub` is the one this client sees: pairwise for a pairwise client.
    let someone_else = request.hinted_subject.as_deref().is_some_and(|sub| {
        sub != crate::subject::for_client(provider, Some(client), session.user_id.as_str())
    });
    if fresh && someone_else {
        // OIDC Core section 3.1.2.1: the user logged in by the request is not the one the
        // ID token names.
        return Err(OAuthError::new(
            ErrorCode::LoginRequired,
            "the signed-in user is not the user of id_token_hint",
        ));
    }
    let must_login = !fresh
        && (request.prompt.contains(&Prompt::Login)
            || someone_else
            || request
                .max_age
                .is_some_and(|max_age| now - session.auth_time > max_age));
    if must_login {
        return if silent {
            Err(OAuthError::new(
                ErrorCode::LoginRequired,
                if someone_else {
                    "the signed-in user is not the user of id_token_hint"
                } else {
                    "the user must log in again"
                },
            ))
        } else {
            Ok(NextStep::Login)
        };
    }
    if client.trusted && !request.prompt.contains(&Prompt::Consent) {
        return Ok(NextStep::IssueCode);
    }
    let remembered = provider
        .store()
        .consent(&session.user_id, &client.id)
        .await?
        .and_then(|scope| Scope::parse(&scope).ok());
    let covered = remembered.is_some_and(|granted| request.scope().is_subset(&granted));
    if covered && !request.prompt.contains(&Prompt::Consent) {
        return Ok(NextStep::IssueCode);
    }
    if silent {
        return Err(OAuthError::new(
            ErrorCode::ConsentRequired,
            "the user has not consented to this scope",
        ));
    }
    Ok(NextStep::Consent)
}

/// Records the user's consent to the request's scope (widening what was remembered).
pub async fn remember_consent(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    session: &Session,
) -> Result<(), OAuthError> {
    let mut scope = request.scope();
    if let Some(previous) = provider
        .store()
        .consent(&session.user_id, &client.id)
        .await?
        && let Ok(previous) = Scope::parse(&previous)
    {
        scope = previous.iter().chain(scope.iter()).collect();
    }
    provider
        .store()
        .save_consent(
            &session.user_id,
            &client.id,
            &scope.to_string(),
            provider.clock().unix(),
        )
        .await?;
    Ok(())
}

/// Issues a single-use code for the request and returns the redirect carrying it.
pub async fn issue_code(
    provider: &Provider,
    request: &AuthorizationRequest,
    session: &Session,
) -> Result<String, OAuthError> {
    let grants = provider.store().user_grants(&session.user_id).await?;
    // Scopes that need a role are dropped for users without it, and service scopes always.
    let scope: Scope = request
        .scope()
        .iter()
        .filter(|s| grants.allow_scope(s))
        .collect();
    let code = new_token(CODE_PREFIX);
    let now = provider.clock().unix();
    let stored = StoredCode {
        client_id: request.client_id.clone(),
        user_id: session.user_id.clone(),
        session_id: Some(session.id.clone()),
        redirect_uri: request
            .redirect_uri_sent
            .then(|| request.redirect_uri.clone()),
        scope: scope.to_string(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        family_id: new_id(),
        created_at: now,
        // RFC 6749 section 4.1.2: a maximum lifetime of 10 minutes is RECOMMENDED; we use 60 s.
        expires_at: now
            + i64::try_from(provider.settings().authorization_code_ttl.as_secs()).unwrap_or(60),
        used_at: None,
        dpop_jkt: request.dpop_jkt.clone(),
        resources: request.resources.clone(),
    };
    provider
        .store()
        .insert_code(
            &provider
                .hasher()
                .hash(secrecy::ExposeSecret::expose_secret(&code)),
            &stored,
        )
        .await?;
    Ok(redirect_with(
        &request.redirect_uri,
        provider,
        request.state.as_deref(),
        |q| {
            q.append_pair("code", secrecy::ExposeSecret::expose_secret(&code));
        },
    ))
}

/// The scope of an authorization request (also a device authorization request): what the
/// client may ask for, and without `scope` the client's scopes but `openid`.
pub(crate) fn requested_scope(client: &Client, params: &Params) -> Result<Scope, OAuthError> {
    let scope = match params.get("scope") {
        Some(text) => Scope::parse_requested(text)?,
        // RFC 6749 section 3.3: a pre-defined default: the client's scope, as plain OAuth.
        None => client.scope.iter().filter(|s| *s != "openid").collect(),
    };
    scope.within(&client.scope, |refused| {
        format!("client `{}` may not request scope `{refused}`", client.id)
    })
}
