//! Discovery metadata (RFC 8414, OIDC Discovery) and the JWK set.
//!
//! The metadata is built from the endpoint paths and the grants `auth-core` implements, so it
//! advertises exactly what exists. The signing algorithms are those of the published keys, read
//! from the key ring on each request: after `keys.algorithm` changes they follow the rotation,
//! not the configuration.

use crate::paths;
use crate::state::{AppState, WebSettings};
use auth_core::grants;
use auth_core::protocol::discovery::ProviderMetadata;
use auth_core::registration::RegistrationMode;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The metadata document, but for what depends on the keys.
pub struct Discovery {
    metadata: ProviderMetadata,
}

/// Scopes with a meaning defined by this server.
pub const SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "permissions",
];

/// Claims the ID token and userinfo can carry.
pub const CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "amr",
    "sid",
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "locale",
    "updated_at",
    "roles",
];

impl Discovery {
    /// Builds the document for these settings.
    pub fn new(settings: &auth_core::Settings, web: &WebSettings) -> Self {
        let issuer = &settings.issuer;
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let client_auth = strings(&["client_secret_basic", "client_secret_post"]);
        let registration = !matches!(web.registration.mode, RegistrationMode::Disabled);
        let metadata = ProviderMetadata {
            issuer: issuer.as_str().to_owned(),
            authorization_endpoint: Some(issuer.endpoint(paths::AUTHORIZE)),
            token_endpoint: issuer.endpoint(paths::TOKEN),
            userinfo_endpoint: Some(issuer.endpoint(paths::USERINFO)),
            jwks_uri: issuer.endpoint(paths::JWKS),
            registration_endpoint: registration.then(|| issuer.endpoint(paths::REGISTER)),
            scopes_supported: strings(SCOPES),
            response_types_supported: strings(&["code"]),
            response_modes_supported: strings(&["query"]),
            grant_types_supported: grants::SUPPORTED
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            token_endpoint_auth_methods_supported: strings(&[
                "client_secret_basic",
                "client_secret_post",
                "none",
            ]),
            revocation_endpoint: Some(issuer.endpoint(paths::REVOKE)),
            revocation_endpoint_auth_methods_supported: strings(&[
                "client_secret_basic",
                "client_secret_post",
                "none",
            ]),
            introspection_endpoint: Some(issuer.endpoint(paths::INTROSPECT)),
            introspection_endpoint_auth_methods_supported: client_auth,
            code_challenge_methods_supported: strings(&["S256"]),
            subject_types_supported: strings(&["public"]),
            // Filled in per request from the published keys.
            id_token_signing_alg_values_supported: Vec::new(),
            claims_supported: strings(CLAIMS),
            prompt_values_supported: strings(&["none", "login", "consent"]),
            end_session_endpoint: Some(issuer.endpoint(paths::LOGOUT)),
            authorization_response_iss_parameter_supported: true,
            claims_parameter_supported: Some(false),
            request_parameter_supported: Some(false),
            request_uri_parameter_supported: Some(false),
            service_documentation: None,
        };
        Self { metadata }
    }
}

/// `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
pub async fn metadata(State(state): State<AppState>) -> Response {
    let provider = &state.provider;
    let mut metadata = state.discovery.metadata.clone();
    metadata.id_token_signing_alg_values_supported = provider
        .keys()
        .ring()
        .published_algorithms(provider.clock().unix())
        .into_iter()
        .map(|algorithm| algorithm.as_str().to_owned())
        .collect();
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        serde_json::to_string(&metadata).unwrap_or_default(),
    )
        .into_response()
}

/// `GET /jwks.json`: every published key. Cached by clients for at most half the publish delay,
/// so a verifier always sees a new key before it signs.
pub async fn jwks(State(state): State<AppState>) -> Response {
    let provider = &state.provider;
    let jwks = provider.keys().ring().jwks(provider.clock().unix());
    let max_age = (provider.keys().policy().publish_delay.as_secs() / 2).min(300);
    let cache = HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or(HeaderValue::from_static("no-cache"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwk-set+json"),
            ),
            (header::CACHE_CONTROL, cache),
        ],
        serde_json::to_string(&jwks).unwrap_or_default(),
    )
        .into_response()
}
