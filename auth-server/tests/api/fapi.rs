//! The FAPI 2.0 Security Profile, per deployment or per client: pushed requests with
//! `redirect_uri`, private_key_jwt, DPoP-bound tokens, no RS256 from clients; discovery says so.

use crate::support::{
    Backend, Pkce, REDIRECT_URI, SigningClient, TestApp, both_backends, browser, code_request,
    query_of, spawn_app, spawn_app_with,
};
use auth_core::clients::{self, AuthMethod, ClientSecurity, GrantType, NewClient};
use auth_core::keys::SigningAlgorithm;
use auth_server::config::Config;
use auth_testkit::Fetch as _;
use serde_json::Value;

fn fapi_deployment(config: &mut Config) {
    config.fapi.enabled = true;
    config.keys.algorithm = SigningAlgorithm::Es256;
}

/// Pushes the code request of `client` (with `redirect_uri` unless `without_redirect`); returns
/// status and body.
async fn push(
    app: &TestApp,
    client: &SigningClient,
    pkce: &Pkce,
    without_redirect: bool,
) -> (u16, Value) {
    let mut form: Vec<(String, String)> = code_request(&client.id, &pkce.challenge)
        .into_iter()
        .filter(|(name, _)| !(without_redirect && *name == "redirect_uri"))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    form.extend(client.auth());
    let response = app.http.post(app.url("/par")).form(&form).fetch().await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The whole profile's flow for `client`: PAR, login, the code exchanged with a DPoP proof.
async fn profile_flow(app: &TestApp, client: &SigningClient) -> Value {
    let pkce = Pkce::new();
    let (status, pushed) = push(app, client, &pkce, false).await;
    assert_eq!(status, 201, "{pushed}");
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client.id)
        .append_pair("request_uri", pushed["request_uri"].as_str().unwrap());
    let callback = app
        .authorize_as(&browser(), url.as_str(), "ann@example.com")
        .await;
    let code = query_of(&callback)["code"].clone();
    let exchange = |proof: Option<String>| {
        let mut form: Vec<(String, String)> = vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), code.clone()),
            ("redirect_uri".into(), REDIRECT_URI.into()),
            ("code_verifier".into(), pkce.verifier.clone()),
        ];
        form.extend(client.auth());
        let mut request = app.http.post(app.url("/token")).form(&form);
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        async move { request.fetch_json::<Value>().await }
    };
    let unbound = exchange(None).await;
    assert_eq!(unbound["error"], "invalid_dpop_proof", "{unbound}");
    let key = app.dpop_key(SigningAlgorithm::Es256);
    exchange(Some(key.proof("POST", &app.url("/token"), None, None))).await
}

#[both_backends]
async fn a_fapi_deployment_enforces_the_profile_and_says_so(backend: Backend) {
    let app = spawn_app_with(backend, fapi_deployment).await;
    app.user("ann@example.com").await;
    let metadata: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .fetch_json()
        .await;
    assert_eq!(metadata["require_pushed_authorization_requests"], true);
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        serde_json::json!(["private_key_jwt"])
    );
    assert_eq!(
        metadata["dpop_signing_alg_values_supported"],
        serde_json::json!(["PS256", "ES256", "EdDSA"])
    );

    // A client with a secret cannot be created.
    let refused = clients::register(
        &app.provider,
        NewClient::new(
            "Secret",
            AuthMethod::ClientSecretBasic,
            vec![GrantType::ClientCredentials],
        ),
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("private_key_jwt"), "{refused}");

    let client = app.signing_client("bank-app", SigningAlgorithm::Es256);
    app.register_key_client(&client, &[GrantType::AuthorizationCode], None)
        .await;
    // Not pushed, or pushed without redirect_uri: refused.
    let plain = app.authorize_url("bank-app", &Pkce::new(), &[]);
    let location = app.follow(&browser(), &plain).await;
    assert!(query_of(&location)["error_description"].contains("must push"));
    let (status, body) = push(&app, &client, &Pkce::new(), true).await;
    assert_eq!(status, 400);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("redirect_uri")
    );

    let tokens = profile_flow(&app, &client).await;
    assert_eq!(tokens["token_type"], "DPoP", "{tokens}");

    // An RS256 key is no FAPI key.
    let rsa = app.signing_client("rsa-app", SigningAlgorithm::Rs256);
    app.register_key_client(&rsa, &[GrantType::ClientCredentials], None)
        .await;
    let mut form = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
    form.extend(rsa.auth());
    let body: Value = app
        .http
        .post(app.url("/token"))
        .form(&form)
        .fetch_json()
        .await;
    assert_eq!(body["error"], "invalid_client", "{body}");
}

#[both_backends]
async fn a_fapi_client_is_held_to_the_profile_and_others_are_not(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let client = app.signing_client("bank-app", SigningAlgorithm::Ps256);
    app.register_key_client(
        &client,
        &[GrantType::AuthorizationCode],
        Some(ClientSecurity {
            jwks: Some(client.jwks()),
            fapi: true,
            ..ClientSecurity::default()
        }),
    )
    .await;
    let plain = app.authorize_url("bank-app", &Pkce::new(), &[]);
    let location = app.follow(&browser(), &plain).await;
    assert!(query_of(&location)["error_description"].contains("must push"));
    let tokens = profile_flow(&app, &client).await;
    assert_eq!(tokens["token_type"], "DPoP", "{tokens}");
    // Another client of the same server still uses a secret and bearer tokens.
    let secret = app.code_client("webapp").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    assert_eq!(tokens["token_type"], "Bearer");
}

#[test]
fn a_fapi_deployment_cannot_sign_with_rs256() {
    let mut config = Config::default();
    config.fapi.enabled = true;
    let error = format!("{:#}", config.validate().unwrap_err());
    assert!(error.contains("fapi.enabled"), "{error}");
}
