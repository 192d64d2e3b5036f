use crate::support::{
    SECOND, client_clock, decode_part, encode_part, spawn_server, spawn_server_with,
    user_token_from,
};
use auth_client::{ClientCredentials, Verifier, VerifyError};
use auth_core::keys::Activation;
use auth_testkit::Fetch as _;
use aws_lc_rs::hmac;
use std::time::Duration;

#[tokio::test]
async fn a_client_credentials_token_is_accepted_with_its_claims() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read tickets:read").await;
    let token = server.machine_token("events", &secret, "users:read").await;
    let verifier = server.verifier(&client_clock()).await;

    let claims = verifier.verify(&token).await.unwrap();

    assert_eq!(claims.sub, "events");
    assert_eq!(claims.client_id, "events");
    assert_eq!(claims.issuer, server.issuer);
    assert!(claims.has_scope("users:read"));
    assert!(!claims.has_scope("tickets:read"));
    assert!(!claims.is_user());
    assert_eq!(claims.user_id(), None);
}

#[tokio::test]
async fn a_user_token_carries_roles_and_permissions() {
    let server = spawn_server().await;
    let user = server.user("ann@example.com").await;
    let token = server.user_token(&user, "openid tickets:read", &["support"]);
    let verifier = server.verifier(&client_clock()).await;

    let claims = verifier.verify(&token).await.unwrap();

    assert!(claims.is_user());
    assert_eq!(claims.user_id(), Some(user.as_str()));
    assert!(claims.has_role("support"));
    assert!(!claims.has_role("admin"));
    assert!(claims.has_permission("tickets.close"));
    assert!(claims.auth_time.is_some());
}

#[tokio::test]
async fn an_expired_token_is_refused_with_its_expiry() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let token = server.machine_token("events", &secret, "users:read").await;
    let clock = client_clock();
    let verifier = server.verifier(&clock).await;
    let exp = decode_part(token.split('.').nth(1).unwrap())["exp"]
        .as_i64()
        .unwrap();

    // Default lifetime 600 s and leeway 60 s: fine just inside the leeway, refused after.
    clock.advance(Duration::from_secs(600 + 55));
    verifier.verify(&token).await.unwrap();
    clock.advance(Duration::from_secs(10));
    let error = verifier.verify(&token).await.unwrap_err();

    assert!(
        matches!(error, VerifyError::Expired { exp: e } if e == exp),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_token_of_another_issuer_is_refused_even_with_a_published_key() {
    let server = spawn_server().await;
    // Same database, same keys, another issuer name.
    let other = server.provider_with_issuer("http://127.0.0.1:9").await;
    let token = user_token_from(&other, "someone", "openid", &[]);
    let verifier = server.verifier(&client_clock()).await;

    let error = verifier.verify(&token).await.unwrap_err();

    match error {
        VerifyError::WrongIssuer { expected, found } => {
            assert_eq!(expected, server.issuer);
            assert_eq!(found, "http://127.0.0.1:9");
        }
        other => panic!("expected WrongIssuer, got {other:?}"),
    }
}

#[tokio::test]
async fn metadata_naming_another_issuer_is_refused_at_start_up() {
    let server = spawn_server().await;
    // A trailing slash is another issuer (OIDC Discovery section 4.3).
    let configured = format!("{}/", server.issuer);

    let error = Verifier::new(configured.as_str(), server.issuer.as_str())
        .await
        .unwrap_err();

    assert!(
        matches!(&error, VerifyError::Discovery(auth_client::DiscoveryError::IssuerMismatch { found, .. }) if *found == server.issuer),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let server =
        spawn_server_with(|c| c.tokens.audience = Some("https://profiles.test".into())).await;
    let secret = server.client("events", "users:read").await;
    let token = server.machine_token("events", &secret, "users:read").await;
    let verifier = Verifier::builder(&server.issuer, "https://tickets.test")
        .build()
        .await
        .unwrap();

    let error = verifier.verify(&token).await.unwrap_err();

    match error {
        VerifyError::WrongAudience { expected, found } => {
            assert_eq!(expected, "https://tickets.test");
            assert_eq!(found, vec!["https://profiles.test".to_owned()]);
        }
        other => panic!("expected WrongAudience, got {other:?}"),
    }
}

#[tokio::test]
async fn a_tampered_payload_is_refused() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let token = server.machine_token("events", &secret, "users:read").await;
    let verifier = server.verifier(&client_clock()).await;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = decode_part(parts[1]);
    claims["scope"] = "users:read admin".into();
    let tampered = format!("{}.{}.{}", parts[0], encode_part(&claims), parts[2]);

    let error = verifier.verify(&tampered).await.unwrap_err();

    assert!(matches!(error, VerifyError::BadSignature), "{error:?}");
}

#[tokio::test]
async fn an_unsigned_token_is_refused() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let token = server.machine_token("events", &secret, "users:read").await;
    let verifier = server.verifier(&client_clock()).await;
    let parts: Vec<&str> = token.split('.').collect();
    let mut header = decode_part(parts[0]);
    header["alg"] = "none".into();
    let unsigned = format!("{}.{}.", encode_part(&header), parts[1]);

    let error = verifier.verify(&unsigned).await.unwrap_err();

    assert!(
        matches!(&error, VerifyError::AlgorithmNotAllowed(alg) if alg == "none"),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_hmac_token_keyed_with_the_public_key_is_refused() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let token = server.machine_token("events", &secret, "users:read").await;
    let verifier = server.verifier(&client_clock()).await;
    let jwks = server
        .http
        .get(format!("{}/jwks.json", server.issuer))
        .fetch()
        .await
        .bytes()
        .await
        .unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let mut header = decode_part(parts[0]);
    header["alg"] = "HS256".into();
    let input = format!("{}.{}", encode_part(&header), parts[1]);
    let key = hmac::Key::new(hmac::HMAC_SHA256, &jwks);
    let tag = hmac::sign(&key, input.as_bytes());
    let forged = format!(
        "{input}.{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            tag.as_ref()
        )
    );

    let error = verifier.verify(&forged).await.unwrap_err();

    assert!(
        matches!(&error, VerifyError::AlgorithmNotAllowed(alg) if alg == "HS256"),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_id_token_is_not_an_access_token() {
    let server = spawn_server().await;
    let verifier = server.verifier(&client_clock()).await;
    let now = server.provider.clock().unix();
    let ring = server.provider.keys().ring();
    let key = ring.signing_key(now).unwrap();
    let claims = serde_json::json!({
        "iss": server.issuer, "aud": server.issuer, "sub": "u", "client_id": "webapp",
        "iat": now, "exp": now + 60, "jti": "j",
    });
    let id_token = auth_core::tokens::jws::sign(key, "JWT", &claims).unwrap();

    let error = verifier.verify(&id_token).await.unwrap_err();

    assert!(
        matches!(&error, VerifyError::WrongType { found: Some(t) } if t == "JWT"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_token_naming_an_unpublished_key_is_refused() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let token = server.machine_token("events", &secret, "users:read").await;
    let clock = client_clock();
    let verifier = server.verifier(&clock).await;
    clock.advance(Duration::from_secs(31));
    let parts: Vec<&str> = token.split('.').collect();
    let mut header = decode_part(parts[0]);
    header["kid"] = "not-a-key".into();
    let forged = format!("{}.{}.{}", encode_part(&header), parts[1], parts[2]);

    let error = verifier.verify(&forged).await.unwrap_err();

    assert!(
        matches!(&error, VerifyError::UnknownKey(kid) if kid == "not-a-key"),
        "{error:?}"
    );
    assert_eq!(
        server.hits("/jwks.json"),
        2,
        "one fetch at start, one for the miss"
    );
}

#[tokio::test]
async fn a_rotated_key_is_followed_without_restarting_the_verifier() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let old_token = server.machine_token("events", &secret, "users:read").await;
    let clock = client_clock();
    let verifier = server.verifier(&clock).await;
    verifier.verify(&old_token).await.unwrap();

    let rotated = server
        .provider
        .keys()
        .rotate(Activation::Immediately)
        .await
        .unwrap();
    let new_token = server.machine_token("events", &secret, "users:read").await;
    assert_eq!(
        decode_part(new_token.split('.').next().unwrap())["kid"],
        rotated.kid.as_str()
    );
    clock.advance(Duration::from_secs(31));

    verifier.verify(&new_token).await.unwrap();
    verifier.verify(&old_token).await.unwrap();
    assert_eq!(server.hits("/jwks.json"), 2);
}

#[tokio::test]
async fn the_refresh_floor_holds_under_a_flood_of_unknown_keys() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let token = server.machine_token("events", &secret, "users:read").await;
    let clock = client_clock();
    let verifier = server.verifier(&clock).await;
    let parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let forge = |i: usize| {
        let mut header = decode_part(&parts[0]);
        header["kid"] = format!("forged-{i}").into();
        format!("{}.{}.{}", encode_part(&header), parts[1], parts[2])
    };
    let flood = |from: usize| {
        let tasks: Vec<_> = (from..from + 100)
            .map(|i| {
                let verifier = verifier.clone();
                let token = forge(i);
                tokio::spawn(async move { verifier.verify(&token).await })
            })
            .collect();
        async move {
            for task in tasks {
                let error = task.await.unwrap().unwrap_err();
                assert!(matches!(error, VerifyError::UnknownKey(_)), "{error:?}");
            }
        }
    };

    // Within the floor of the start-up fetch: refused without asking.
    flood(0).await;
    assert_eq!(server.hits("/jwks.json"), 1);
    // Past it: 100 concurrent misses share one fetch...
    clock.advance(31 * SECOND);
    flood(100).await;
    assert_eq!(server.hits("/jwks.json"), 2);
    // ...and the floor starts again from that fetch.
    clock.advance(20 * SECOND);
    flood(200).await;
    assert_eq!(server.hits("/jwks.json"), 2);
    clock.advance(11 * SECOND);
    flood(300).await;
    assert_eq!(server.hits("/jwks.json"), 3);
}

#[tokio::test]
async fn the_key_set_is_fetched_again_once_older_than_its_max_age() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let token = server.machine_token("events", &secret, "users:read").await;
    let clock = client_clock();
    let verifier = server.verifier(&clock).await;

    // The server sends `max-age=150` (half its 300 s publish delay).
    clock.advance(149 * SECOND);
    verifier.verify(&token).await.unwrap();
    assert_eq!(server.hits("/jwks.json"), 1);
    clock.advance(2 * SECOND);
    verifier.verify(&token).await.unwrap();
    assert_eq!(server.hits("/jwks.json"), 2);
}

#[tokio::test]
async fn introspection_mode_sees_a_revocation_after_the_cache_ttl() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let api_secret = server.client("tickets", "users:read").await;
    let token = server.machine_token("events", &secret, "users:read").await;
    let clock = client_clock();
    let verifier = Verifier::builder(&server.issuer, &server.issuer)
        .introspection(ClientCredentials::new("tickets", api_secret))
        .introspection_cache_ttl(Duration::from_secs(5))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    verifier.verify(&token).await.unwrap();
    assert_eq!(server.hits("/introspect"), 1);

    let revoked = server
        .http
        .post(format!("{}/revoke", server.issuer))
        .basic_auth("events", Some(&secret))
        .form(&[("token", token.as_str())])
        .fetch()
        .await;
    assert_eq!(revoked.status(), 200);

    // Within the TTL the cached answer stands, without a request.
    verifier.verify(&token).await.unwrap();
    assert_eq!(server.hits("/introspect"), 1);
    clock.advance(6 * SECOND);
    let error = verifier.verify(&token).await.unwrap_err();
    assert!(matches!(error, VerifyError::Inactive), "{error:?}");
    assert_eq!(server.hits("/introspect"), 2);
}

#[tokio::test]
async fn es256_and_eddsa_tokens_are_accepted() {
    for alg in ["ES256", "EdDSA"] {
        let server = spawn_server_with(|c| {
            c.keys.algorithm = auth_core::keys::SigningAlgorithm::parse(alg).unwrap()
        })
        .await;
        let secret = server.client("events", "users:read").await;
        let token = server.machine_token("events", &secret, "users:read").await;
        assert_eq!(decode_part(token.split('.').next().unwrap())["alg"], alg);
        let verifier = server.verifier(&client_clock()).await;

        let claims = verifier.verify(&token).await.unwrap();

        assert_eq!(claims.client_id, "events", "{alg}");
        assert!(claims.has_scope("users:read"));
        // A changed byte in the signature is caught for these algorithms too.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut signature =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &parts[2])
                .unwrap();
        signature[10] ^= 1;
        parts[2] =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature);
        let error = verifier.verify(&parts.join(".")).await.unwrap_err();
        assert!(
            matches!(error, VerifyError::BadSignature),
            "{alg}: {error:?}"
        );
    }
}

/// Re-signs `token` with the header `alg` and `kid` given, using the private key `signer`
/// names: a validly signed token whose header names a key of another algorithm.
fn confused(
    ring: &auth_core::keys::KeyRing,
    token: &str,
    alg: &str,
    kid: &str,
    signer: &str,
) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut header = decode_part(parts[0]);
    header["alg"] = alg.into();
    header["kid"] = kid.into();
    let input = format!("{}.{}", encode_part(&header), parts[1]);
    let signature = ring
        .get(signer)
        .unwrap()
        .material
        .sign(input.as_bytes())
        .unwrap();
    format!(
        "{input}.{}",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
    )
}

#[tokio::test]
async fn a_header_naming_a_key_of_another_algorithm_is_refused() {
    // An ES256 deployment that rotated to RS256: an EC key (retired, still published) and an
    // RSA key (signing) side by side.
    let server =
        spawn_server_with(|c| c.keys.algorithm = auth_core::keys::SigningAlgorithm::Es256).await;
    let secret = server.client("events", "users:read").await;
    let es_token = server.machine_token("events", &secret, "users:read").await;
    let rsa = server
        .provider_with(|c| c.keys.algorithm = auth_core::keys::SigningAlgorithm::Rs256)
        .await;
    rsa.keys().rotate(Activation::Immediately).await.unwrap();
    server.provider.keys().refresh().await.unwrap();
    let rs_token = server.machine_token("events", &secret, "users:read").await;
    let kid = |token: &str| {
        decode_part(token.split('.').next().unwrap())["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (ec_kid, rsa_kid) = (kid(&es_token), kid(&rs_token));
    assert_ne!(ec_kid, rsa_kid);
    let verifier = server.verifier(&client_clock()).await;
    verifier.verify(&es_token).await.unwrap();
    verifier.verify(&rs_token).await.unwrap();
    let ring = server.provider.keys().ring();

    // ES256 in the header, the RSA key's kid, signed with the EC key.
    let forged = confused(&ring, &rs_token, "ES256", &rsa_kid, &ec_kid);
    let error = verifier.verify(&forged).await.unwrap_err();
    assert!(
        matches!(&error, VerifyError::AlgorithmMismatch { alg, kid, key_alg }
            if alg == "ES256" && *kid == rsa_kid && key_alg == "RS256"),
        "{error:?}"
    );

    // RS256 in the header, the EC key's kid, signed with the RSA key.
    let forged = confused(&ring, &es_token, "RS256", &ec_kid, &rsa_kid);
    let error = verifier.verify(&forged).await.unwrap_err();
    assert!(
        matches!(&error, VerifyError::AlgorithmMismatch { alg, kid, key_alg }
            if alg == "RS256" && *kid == ec_kid && key_alg == "ES256"),
        "{error:?}"
    );

    // EdDSA in the header on the EC key: refused the same way.
    let forged = confused(&ring, &es_token, "EdDSA", &ec_kid, &ec_kid);
    let error = verifier.verify(&forged).await.unwrap_err();
    assert!(
        matches!(&error, VerifyError::AlgorithmMismatch { .. }),
        "{error:?}"
    );
    assert!(error.is_token_error());
}
