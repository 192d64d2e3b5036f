//! Discovery metadata (RFC 8414, OIDC Discovery) and the JWK set.
//!
//! The metadata is built from the endpoint paths and the grants `auth-core` implements, so it
//! advertises exactly what exists. The signing algorithms are those of the published keys, read
//! from the key ring: after `keys.algorithm` changes they follow the rotation, not the
//! configuration.
//!
//! Both documents are rendered once and served as bytes until the key ring is replaced (a
//! rotation, or a refresh from the database) or a published key expires.

use crate::paths;
use crate::state::{AppState, WebSettings};
use auth_core::grants;
use auth_core::keys::KeyRing;
use auth_core::protocol::discovery::ProviderMetadata;
use auth_core::registration::RegistrationMode;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, RwLock};

/// The metadata document, but for what depends on the keys, and both documents as last
/// rendered.
pub struct Discovery {
    metadata: ProviderMetadata,
    rendered_metadata: Rendered,
    rendered_jwks: Rendered,
}

/// A document rendered from one key ring, true until `until` (when a published key expires).
struct Document {
    ring: Arc<KeyRing>,
    until: Option<i64>,
    body: Bytes,
}

/// The last rendering of a document that depends on the published keys.
#[derive(Default)]
struct Rendered(RwLock<Option<Document>>);

impl Rendered {
    /// The document for `ring` at `now`: the last rendering while it is still true, else a new
    /// one from `render`.
    fn get(&self, ring: &Arc<KeyRing>, now: i64, render: impl FnOnce() -> Bytes) -> Bytes {
        let fresh = |document: &Document| {
            Arc::ptr_eq(&document.ring, ring) && document.until.is_none_or(|until| now < until)
        };
        if let Some(document) = self
            .0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
            .filter(|d| fresh(d))
        {
            return document.body.clone();
        }
        let body = render();
        *self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Document {
            ring: Arc::clone(ring),
            until: ring.published_until(now),
            body: body.clone(),
        });
        body
    }
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
        // A FAPI 2.0 deployment says what it enforces: private_key_jwt only, no RS256 from
        // clients, pushed requests required.
        let fapi = settings.fapi;
        let client_auth = if fapi {
            strings(&["private_key_jwt"])
        } else {
            strings(&[
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
            ])
        };
        // The token endpoint also takes public clients (`none`), except under FAPI.
        let mut token_auth = client_auth.clone();
        if !fapi {
            token_auth.push("none".to_owned());
        }
        let allowed: &[auth_core::keys::SigningAlgorithm] = if fapi {
            &auth_core::fapi::ALGORITHMS
        } else {
            &auth_core::keys::SigningAlgorithm::FROM_CLIENTS
        };
        let client_algorithms: Vec<String> =
            allowed.iter().map(|alg| alg.as_str().to_owned()).collect();
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
            token_endpoint_auth_methods_supported: token_auth.clone(),
            revocation_endpoint: Some(issuer.endpoint(paths::REVOKE)),
            revocation_endpoint_auth_methods_supported: token_auth,
            introspection_endpoint: Some(issuer.endpoint(paths::INTROSPECT)),
            introspection_endpoint_auth_methods_supported: client_auth,
            code_challenge_methods_supported: strings(&["S256"]),
            subject_types_supported: strings(&["public", "pairwise"]),
            // Filled in per request from the published keys.
            id_token_signing_alg_values_supported: Vec::new(),
            claims_supported: strings(CLAIMS),
            prompt_values_supported: strings(&["none", "login", "consent"]),
            end_session_endpoint: Some(issuer.endpoint(paths::LOGOUT)),
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
            authorization_response_iss_parameter_supported: true,
            claims_parameter_supported: Some(false),
            // RFC 9101: request objects by value; by reference only from the pushed
            // authorization request endpoint (no URL of a client's is ever fetched).
            request_parameter_supported: Some(true),
            request_uri_parameter_supported: Some(false),
            pushed_authorization_request_endpoint: Some(issuer.endpoint(paths::PAR)),
            device_authorization_endpoint: Some(issuer.endpoint(paths::DEVICE_AUTHORIZATION)),
            require_pushed_authorization_requests: settings
                .requests
                .require_pushed_authorization_requests
                || fapi,
            request_object_signing_alg_values_supported: client_algorithms.clone(),
            dpop_signing_alg_values_supported: client_algorithms.clone(),
            token_endpoint_auth_signing_alg_values_supported: client_algorithms,
            service_documentation: None,
        };
        Self {
            metadata,
            rendered_metadata: Rendered::default(),
            rendered_jwks: Rendered::default(),
        }
    }

    /// The metadata document with the algorithms of the keys `ring` publishes at `now`.
    fn metadata_json(&self, ring: &Arc<KeyRing>, now: i64) -> Bytes {
        self.rendered_metadata.get(ring, now, || {
            let mut metadata = self.metadata.clone();
            metadata.id_token_signing_alg_values_supported = ring
                .published_algorithms(now)
                .into_iter()
                .map(|algorithm| algorithm.as_str().to_owned())
                .collect();
            Bytes::from(serde_json::to_vec(&metadata).unwrap_or_default())
        })
    }

    /// The JWK set `ring` publishes at `now`.
    fn jwks_json(&self, ring: &Arc<KeyRing>, now: i64) -> Bytes {
        self.rendered_jwks.get(ring, now, || {
            Bytes::from(serde_json::to_vec(&ring.jwks(now)).unwrap_or_default())
        })
    }
}

/// `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
pub async fn metadata(State(state): State<AppState>) -> Response {
    let provider = &state.provider;
    let body = state
        .discovery
        .metadata_json(&provider.keys().ring(), provider.clock().unix());
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
        body,
    )
        .into_response()
}

/// `GET /jwks.json`: every published key. Cached by clients for at most half the publish delay,
/// so a verifier always sees a new key before it signs.
pub async fn jwks(State(state): State<AppState>) -> Response {
    let provider = &state.provider;
    let body = state
        .discovery
        .jwks_json(&provider.keys().ring(), provider.clock().unix());
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
        body,
    )
        .into_response()
}
