use crate::support::{Backend, both_backends, spawn_app};
use auth_testkit::Fetch as _;
use serde_json::{Value, json};

#[both_backends]
async fn registration_disabled_removes_the_endpoint_from_discovery(backend: Backend) {
    // `disabled` is the default.
    let app = spawn_app(backend).await;
    let body: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .fetch_json()
        .await;
    assert!(body.get("registration_endpoint").is_none());
    let response = app
        .http
        .post(app.url("/register"))
        .json(&json!({}))
        .fetch()
        .await;
    assert_eq!(response.status(), 404);
}

#[both_backends]
async fn both_metadata_documents_advertise_exactly_what_is_implemented(backend: Backend) {
    let app = crate::support::spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open
    })
    .await;
    let base = &app.base_url;
    let expected = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/jwks.json"),
        "registration_endpoint": format!("{base}/register"),
        "scopes_supported": ["openid", "profile", "email", "offline_access", "permissions"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code", "client_credentials", "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
        "revocation_endpoint": format!("{base}/revoke"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "introspection_endpoint": format!("{base}/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "pushed_authorization_request_endpoint": format!("{base}/par"),
        "device_authorization_endpoint": format!("{base}/device_authorization"),
        "request_object_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
        "dpop_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "amr", "sid", "email",
            "email_verified", "name", "given_name", "family_name", "locale", "updated_at", "roles"
        ],
        "prompt_values_supported": ["none", "login", "consent"],
        "end_session_endpoint": format!("{base}/logout"),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": true,
        "request_uri_parameter_supported": false,
    });
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let response = app.http.get(app.url(path)).fetch().await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, expected, "{path}");
    }
}
