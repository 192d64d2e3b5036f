//! Signing algorithms other than RS256 (`keys.algorithm` = `ES256` or `EdDSA`), checked with
//! libraries this project did not write: `jsonwebtoken` for signatures and thumbprints,
//! `openidconnect` for `at_hash`.

use crate::support::{Backend, TestApp, both_backends, cli_command, spawn_app, spawn_app_with};
use auth_testkit::Fetch as _;
use openidconnect::core::{CoreJsonWebKey, CoreJwsSigningAlgorithm};
use openidconnect::{AccessToken, AccessTokenHash};
use serde_json::{Value, json};
use std::str::FromStr;

async fn get_json(app: &TestApp, path: &str) -> Value {
    app.http.get(app.url(path)).fetch_json().await
}

/// Verifies `token` against the published key its `kid` names, with the algorithm that key's
/// JWK states (never the one the token claims); returns header and claims.
async fn verify(app: &TestApp, token: &str, audience: &str) -> (jsonwebtoken::Header, Value) {
    let jwks = get_json(app, "/jwks.json").await;
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.clone().expect("a kid");
    let raw = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("key {kid} is not published"));
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(raw.clone()).unwrap();
    let algorithm = jsonwebtoken::Algorithm::from_str(raw["alg"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(algorithm);
    validation.set_issuer(&[&app.base_url]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("{} token does not verify: {e}", raw["alg"]));
    (data.header, data.claims)
}

async fn client_credentials_token(app: &TestApp, secret: &str) -> String {
    app.client_credentials_token("svc", secret, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// Everything a client of a deployment signing with `alg` sees: the JWKS, discovery, access
/// tokens and ID tokens.
async fn a_deployment_signs_and_publishes(backend: Backend, alg: &str) {
    let app = spawn_app_with(backend, |c| {
        c.keys.algorithm = auth_core::keys::SigningAlgorithm::parse(alg).unwrap()
    })
    .await;

    let stored = app.provider.store().signing_keys().await.unwrap();
    assert_eq!(stored[0].alg, alg, "the stored key records its algorithm");

    let jwks = get_json(&app, "/jwks.json").await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let raw = &keys[0];
    let mut members: Vec<&str> = raw
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    let (kty, crv, expected_members): (_, _, &[&str]) = match alg {
        "ES256" => (
            "EC",
            "P-256",
            &["alg", "crv", "kid", "kty", "use", "x", "y"],
        ),
        _ => ("OKP", "Ed25519", &["alg", "crv", "kid", "kty", "use", "x"]),
    };
    assert_eq!(members, expected_members);
    assert_eq!((&raw["kty"], &raw["crv"]), (&json!(kty), &json!(crv)));
    assert_eq!((&raw["use"], &raw["alg"]), (&json!("sig"), &json!(alg)));
    // 32-byte coordinates or public key: 43 base64url characters each.
    assert_eq!(raw["x"].as_str().unwrap().len(), 43);
    if alg == "ES256" {
        assert_eq!(raw["y"].as_str().unwrap().len(), 43);
    }
    // The kid is the RFC 7638 thumbprint, computed here by another implementation.
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(raw.clone()).unwrap();
    let thumbprint = jwk
        .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .unwrap();
    assert_eq!(raw["kid"], thumbprint.as_str());

    let discovery = get_json(&app, "/.well-known/openid-configuration").await;
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!([alg])
    );

    let secret = app.confidential_client("svc", "").await;
    let token = client_credentials_token(&app, &secret).await;
    let (header, claims) = verify(&app, &token, &app.base_url).await;
    assert_eq!(format!("{:?}", header.alg), alg);
    assert_eq!(header.kid.as_deref(), raw["kid"].as_str());
    assert_eq!(claims["client_id"], "svc");
    // The server's own validation (introspection) reads tokens of this algorithm too.
    assert!(app.is_active("svc", &secret, &token).await);

    app.user("ann@example.com").await;
    let web_secret = app.code_client("webapp").await;
    let tokens = app
        .tokens_for("webapp", &web_secret, "ann@example.com")
        .await;
    let access_token = tokens["access_token"].as_str().unwrap();
    verify(&app, access_token, &app.base_url).await;
    let (header, id) = verify(&app, tokens["id_token"].as_str().unwrap(), "webapp").await;
    assert_eq!(format!("{:?}", header.alg), alg);
    assert_eq!(id["nonce"], "nonce-456");
    // at_hash with the hash `openidconnect` derives from the key and alg (SHA-512 for Ed25519).
    let oidc_key: CoreJsonWebKey = serde_json::from_value(raw.clone()).unwrap();
    let oidc_alg: CoreJwsSigningAlgorithm = serde_json::from_value(json!(alg)).unwrap();
    let expected = AccessTokenHash::from_token(
        &AccessToken::new(access_token.to_owned()),
        &oidc_alg,
        &oidc_key,
    )
    .unwrap();
    assert_eq!(id["at_hash"], expected.as_str());
    let at_hash_len = if alg == "EdDSA" { 43 } else { 22 };
    assert_eq!(id["at_hash"].as_str().unwrap().len(), at_hash_len);
}

#[both_backends]
async fn an_es256_deployment_publishes_an_ec_key_and_signs_verifiable_tokens(backend: Backend) {
    a_deployment_signs_and_publishes(backend, "ES256").await;
}

#[both_backends]
async fn an_eddsa_deployment_publishes_an_okp_key_and_signs_verifiable_tokens(backend: Backend) {
    a_deployment_signs_and_publishes(backend, "EdDSA").await;
}

#[both_backends]
async fn a_rotation_from_rs256_to_es256_keeps_old_tokens_verifying(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "").await;
    let before = client_credentials_token(&app, &secret).await;
    let rsa_kid = kid_of(&before);

    // The operator sets keys.algorithm = "ES256" and rotates; the server still runs with
    // its old configuration and follows the database.
    let output = cli_command(&app.db.url, &app.kek)
        .env("AUTH_KEYS__ALGORITHM", "ES256")
        .args(["keys", "rotate", "--json"])
        .output()
        .unwrap();
    let rotated = crate::walks::json_printed(&output);
    let ec_kid = rotated["kid"].as_str().unwrap().to_owned();
    app.provider.keys().refresh().await.unwrap();

    // Published at once, signing only after the publish delay; both algorithms advertised.
    let jwks = get_json(&app, "/jwks.json").await;
    let published: Vec<(&str, &str)> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kid"].as_str().unwrap(), k["alg"].as_str().unwrap()))
        .collect();
    assert_eq!(
        published,
        vec![(ec_kid.as_str(), "ES256"), (rsa_kid.as_str(), "RS256")]
    );
    let discovery = get_json(&app, "/.well-known/openid-configuration").await;
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
    let during_delay = client_credentials_token(&app, &secret).await;
    assert_eq!(kid_of(&during_delay), rsa_kid);

    // The CLI used the real clock; move this server's past the activation.
    app.clock.advance(time::Duration::seconds(310));
    let after = client_credentials_token(&app, &secret).await;
    assert_eq!(kid_of(&after), ec_kid);
    let (header, _) = verify(&app, &after, &app.base_url).await;
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    for old in [&before, &during_delay] {
        let (header, _) = verify(&app, old, &app.base_url).await;
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        assert!(
            app.is_active("svc", &secret, old).await,
            "the RS256 token stays valid"
        );
    }
    assert!(app.is_active("svc", &secret, &after).await);

    // Once the RSA key has expired, only ES256 is published and advertised.
    app.clock.advance(time::Duration::seconds(661));
    let jwks = get_json(&app, "/jwks.json").await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], ec_kid.as_str());
    let discovery = get_json(&app, "/.well-known/openid-configuration").await;
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
}
