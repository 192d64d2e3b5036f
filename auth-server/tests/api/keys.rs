use crate::support::{Backend, both_backends, spawn_app, spawn_app_with};
use auth_core::keys::Activation;
use auth_testkit::Fetch as _;
use serde_json::Value;
use std::time::Duration;

async fn jwks(app: &crate::support::TestApp) -> Value {
    app.http.get(app.url("/jwks.json")).fetch_json().await
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[both_backends]
async fn the_jwks_publishes_each_key_with_kid_use_and_alg(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.http.get(app.url("/jwks.json")).fetch().await;
    assert_eq!(
        response.headers()["content-type"],
        "application/jwk-set+json"
    );
    assert_eq!(response.headers()["cache-control"], "public, max-age=150");
    let set: jsonwebtoken::jwk::JwkSet = response.json().await.unwrap();
    assert_eq!(set.keys.len(), 1);
    let jwk = &set.keys[0];
    let kid = jwk.common.key_id.clone().unwrap();
    // The kid is the RFC 7638 thumbprint, computed here by another implementation.
    assert_eq!(
        kid,
        jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .unwrap()
    );
    let raw = jwks(&app).await;
    assert_eq!(raw["keys"][0]["use"], "sig");
    assert_eq!(raw["keys"][0]["alg"], "RS256");
    assert_eq!(raw["keys"][0]["kty"], "RSA");
    assert_eq!(raw["keys"][0]["e"], "AQAB");
    // RSA 2048: a 256-byte modulus, 342 base64url characters.
    assert_eq!(raw["keys"][0]["n"].as_str().unwrap().len(), 342);
}

#[both_backends]
async fn a_rotated_key_is_published_before_it_signs_and_old_tokens_keep_verifying(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "").await;
    let before = crate::walks::service_token(&app, "svc", &secret, None).await;
    let old_kid = kid_of(&before);

    let rotated = app
        .provider
        .keys()
        .rotate(Activation::AfterPublishDelay)
        .await
        .unwrap();
    assert_ne!(rotated.kid, old_kid);
    let published: Vec<String> = jwks(&app).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(published, vec![rotated.kid.clone(), old_kid.clone()]);
    let during_delay = crate::walks::service_token(&app, "svc", &secret, None).await;
    assert_eq!(
        kid_of(&during_delay),
        old_kid,
        "the new key must not sign before the publish delay"
    );

    app.clock.advance(time::Duration::seconds(300));
    let after = crate::walks::service_token(&app, "svc", &secret, None).await;
    assert_eq!(kid_of(&after), rotated.kid);
    for token in [&before, &during_delay, &after] {
        crate::walks::verify_at(&app, token, &app.base_url)
            .await
            .expect("every token verifies after the rotation");
    }

    // Once every token of the old key has expired (600 s + 60 s leeway), it is withdrawn.
    app.clock.advance(time::Duration::seconds(661));
    let published = jwks(&app).await;
    assert_eq!(published["keys"].as_array().unwrap().len(), 1);
    assert_eq!(published["keys"][0]["kid"], rotated.kid.as_str());
}

#[both_backends]
async fn an_immediate_rotation_signs_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "").await;
    let rotated = app
        .provider
        .keys()
        .rotate(Activation::Immediately)
        .await
        .unwrap();
    let token = crate::walks::service_token(&app, "svc", &secret, None).await;
    assert_eq!(kid_of(&token), rotated.kid);
}

#[both_backends]
async fn a_rotation_made_by_another_process_is_picked_up_without_restart(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.keys.refresh_interval_secs = 1).await;
    let secret = app.confidential_client("svc", "").await;
    let old_kid = kid_of(
        app.client_credentials_token("svc", &secret, None).await["access_token"]
            .as_str()
            .unwrap(),
    );
    let output = app.cli(&["keys", "rotate", "--now", "--json"]);
    let rotated = crate::walks::json_printed(&output);
    let new_kid = rotated["kid"].as_str().unwrap().to_owned();
    // The CLI used the real clock; move this server's clock past the activation.
    app.clock.advance(time::Duration::seconds(5));
    let mut seen = false;
    for _ in 0..50 {
        let token = app.client_credentials_token("svc", &secret, None).await;
        if kid_of(token["access_token"].as_str().unwrap()) == new_kid {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        seen,
        "the server never signed with the key rotated in by the CLI"
    );
    let kids: Vec<Value> = jwks(&app).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert!(kids.contains(&Value::from(old_kid)) && kids.contains(&Value::from(new_kid)));
}

#[both_backends]
async fn private_keys_are_encrypted_at_rest(backend: Backend) {
    let app = spawn_app(backend).await;
    let stored = app.provider.store().signing_keys().await.unwrap();
    assert_eq!(stored.len(), 1);
    let jwk: Value = serde_json::from_str(&stored[0].public_jwk).unwrap();
    use base64::Engine;
    let modulus = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwk["n"].as_str().unwrap())
        .unwrap();
    // A PKCS#8 RSA key contains its modulus in the clear; the sealed form must not.
    let sealed = &stored[0].sealed_private_key;
    assert!(!sealed.windows(32).any(|w| w == &modulus[..32]));
    assert!(!format!("{:?}", stored[0]).contains("sealed"));
}
