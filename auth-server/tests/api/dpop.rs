//! DPoP (RFC 9449): tokens bound to the client's key at the token endpoint, used only with a
//! proof of that key at userinfo and the APIs, refresh tokens of public clients bound too;
//! `dpop_jkt` and a proof at `/par` bind the code; server nonces; and the refusals: a replayed
//! proof, a proof for another URL or method, a bound token without its proof or as a bearer
//! token, another key.

use crate::support::{
    Backend, DpopKey, Pkce, REDIRECT_URI, TestApp, both_backends, browser, code_request, query_of,
    spawn_app, spawn_app_with,
};
use crate::walks::{code_in, public_client, public_exchange};
use auth_core::clients::{ClientId, GrantType};
use auth_core::keys::SigningAlgorithm;
use auth_testkit::Fetch as _;
use serde_json::Value;

/// A status, the `WWW-Authenticate` and `DPoP-Nonce` headers, and the JSON body.
struct Answer {
    status: u16,
    challenge: String,
    nonce: Option<String>,
    body: Value,
}

async fn answer(response: reqwest::Response) -> Answer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (challenge, nonce) = (header("www-authenticate"), header("dpop-nonce"));
    Answer {
        status: response.status().as_u16(),
        challenge: challenge.unwrap_or_default(),
        nonce,
        body: response.json().await.unwrap_or(Value::Null),
    }
}

/// A client-credentials token request of `svc`, with `proof` as its DPoP header.
async fn cc_token(app: &TestApp, secret: &str, proof: Option<&str>) -> Answer {
    let mut request = app
        .http
        .post(app.url("/token"))
        .basic_auth("svc", Some(secret))
        .form(&[("grant_type", "client_credentials")]);
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    answer(request.fetch().await).await
}

/// GET /userinfo with `authorization` and an optional proof.
async fn userinfo(app: &TestApp, authorization: &str, proof: Option<&str>) -> Answer {
    let mut request = app
        .http
        .get(app.url("/userinfo"))
        .header("authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    answer(request.fetch().await).await
}

/// A public code-flow client `spa` and a user; the tokens of a DPoP-bound code flow.
async fn spa_tokens(app: &TestApp, key: &DpopKey) -> Value {
    public_client(app, "spa", "openid profile email offline_access").await;
    app.user("ann@example.com").await;
    let (code, pkce) = code_in(app, &browser(), "spa", "ann@example.com").await;
    let proof = key.proof("POST", &app.url("/token"), None, None);
    let response = public_exchange(app, "spa", &code, &pkce, Some(proof)).await;
    let tokens = answer(response).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    tokens.body
}

#[both_backends]
async fn a_proof_binds_the_token_and_introspection_says_so(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "users:read").await;
    for algorithm in SigningAlgorithm::FROM_CLIENTS {
        let key = app.dpop_key(algorithm);
        let proof = key.proof("POST", &app.url("/token"), None, None);
        let issued = cc_token(&app, &secret, Some(&proof)).await;
        assert_eq!(issued.status, 200, "{algorithm}: {}", issued.body);
        assert_eq!(issued.body["token_type"], "DPoP");
        let token = issued.body["access_token"].as_str().unwrap();
        let introspected: Value = app
            .http
            .post(app.url("/introspect"))
            .basic_auth("svc", Some(&secret))
            .form(&[("token", token)])
            .fetch_json()
            .await;
        assert_eq!(introspected["active"], true);
        assert_eq!(introspected["token_type"], "DPoP");
        assert_eq!(introspected["cnf"]["jkt"], key.jkt(), "{algorithm}");
    }
    // Without a proof, a bearer token without `cnf`.
    let plain = cc_token(&app, &secret, None).await;
    assert_eq!(plain.body["token_type"], "Bearer");
}

#[both_backends]
async fn proofs_that_break_a_rule_are_refused_at_the_token_endpoint(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "").await;
    let key = app.dpop_key(SigningAlgorithm::Es256);
    let token_url = app.url("/token");
    let proof = key.proof("POST", &token_url, None, None);
    assert_eq!(cc_token(&app, &secret, Some(&proof)).await.status, 200);
    let mut old = app.dpop_key(SigningAlgorithm::Es256);
    old.now -= 301;
    let mut future = app.dpop_key(SigningAlgorithm::Es256);
    future.now += 61;
    let cases = [
        (proof, "used before"),
        (
            key.proof("GET", &token_url, None, None),
            "another HTTP method",
        ),
        (
            key.proof("POST", &app.url("/introspect"), None, None),
            "another URL",
        ),
        (old.proof("POST", &token_url, None, None), "iat"),
        (future.proof("POST", &token_url, None, None), "iat"),
        ("not.a.proof".to_owned(), "malformed"),
    ];
    for (proof, why) in cases {
        let refused = cc_token(&app, &secret, Some(&proof)).await;
        assert_eq!(refused.status, 400, "{why}: {}", refused.body);
        assert_eq!(refused.body["error"], "invalid_dpop_proof", "{why}");
        let description = refused.body["error_description"].as_str().unwrap();
        assert!(description.contains(why), "{description} should say {why}");
    }
    // Two DPoP headers.
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("svc", Some(&secret))
        .header("dpop", key.proof("POST", &token_url, None, None))
        .header("dpop", key.proof("POST", &token_url, None, None))
        .form(&[("grant_type", "client_credentials")])
        .fetch()
        .await;
    assert_eq!(answer(response).await.body["error"], "invalid_dpop_proof");
}

#[both_backends]
async fn a_bound_token_works_only_with_a_proof_of_its_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = app.dpop_key(SigningAlgorithm::EdDsa);
    let tokens = spa_tokens(&app, &key).await;
    assert_eq!(tokens["token_type"], "DPoP");
    let token = tokens["access_token"].as_str().unwrap();
    let url = app.url("/userinfo");
    let scheme = format!("DPoP {token}");

    let ok = userinfo(
        &app,
        &scheme,
        Some(&key.proof("GET", &url, Some(token), None)),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["email"], "ann@example.com");

    let other_key = app.dpop_key(SigningAlgorithm::EdDsa);
    let replayed = key.proof("GET", &url, Some(token), None);
    assert_eq!(userinfo(&app, &scheme, Some(&replayed)).await.status, 200);
    let cases = [
        // As a bearer token: RFC 9449 section 7.2.
        (
            userinfo(&app, &format!("Bearer {token}"), None).await,
            "invalid_token",
            "bound to a DPoP key",
        ),
        (
            userinfo(&app, &scheme, None).await,
            "invalid_dpop_proof",
            "proof is required",
        ),
        (
            userinfo(&app, &scheme, Some(&replayed)).await,
            "invalid_dpop_proof",
            "used before",
        ),
        (
            userinfo(
                &app,
                &scheme,
                Some(&key.proof("POST", &url, Some(token), None)),
            )
            .await,
            "invalid_dpop_proof",
            "another HTTP method",
        ),
        (
            userinfo(
                &app,
                &scheme,
                Some(&key.proof("GET", &app.url("/api/account/me"), Some(token), None)),
            )
            .await,
            "invalid_dpop_proof",
            "another URL",
        ),
        (
            userinfo(&app, &scheme, Some(&key.proof("GET", &url, None, None))).await,
            "invalid_dpop_proof",
            "ath",
        ),
        (
            userinfo(
                &app,
                &scheme,
                Some(&other_key.proof("GET", &url, Some(token), None)),
            )
            .await,
            "invalid_dpop_proof",
            "another key",
        ),
    ];
    for (refused, error, why) in cases {
        assert_eq!(refused.status, 401, "{why}: {}", refused.body);
        assert_eq!(refused.body["error"], error, "{why}");
        assert!(
            refused.body["error_description"]
                .as_str()
                .unwrap()
                .contains(why),
            "{why}: {}",
            refused.body
        );
        assert!(refused.challenge.contains(error), "{}", refused.challenge);
    }
    // The APIs hold bound tokens to the same rule.
    let api = app.url("/api/account/me");
    let as_bearer = app.http.get(&api).bearer_auth(token).fetch().await;
    assert_eq!(as_bearer.status(), 401);
    let with_proof = app
        .http
        .get(&api)
        .header("authorization", &scheme)
        .header("dpop", key.proof("GET", &api, Some(token), None))
        .fetch()
        .await;
    assert_ne!(
        with_proof.status(),
        401,
        "a proof of the key passes the API"
    );
}

#[both_backends]
async fn a_public_clients_refresh_token_is_bound_to_its_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = app.dpop_key(SigningAlgorithm::Es256);
    let tokens = spa_tokens(&app, &key).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let refresh = |proof: Option<String>| {
        let mut request = app.http.post(app.url("/token")).form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "spa"),
            ("refresh_token", refresh_token),
        ]);
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        async move { answer(request.fetch().await).await }
    };
    let token_url = app.url("/token");
    let without = refresh(None).await;
    assert_eq!(without.body["error"], "invalid_grant", "{}", without.body);
    let other = app.dpop_key(SigningAlgorithm::Es256);
    let stolen = refresh(Some(other.proof("POST", &token_url, None, None))).await;
    assert_eq!(stolen.body["error"], "invalid_grant", "{}", stolen.body);
    let refreshed = refresh(Some(key.proof("POST", &token_url, None, None))).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_eq!(refreshed.body["token_type"], "DPoP");
}

#[both_backends]
async fn dpop_jkt_and_a_proof_at_par_bind_the_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let key = app.dpop_key(SigningAlgorithm::Es256);
    let other = app.dpop_key(SigningAlgorithm::Es256);
    let token_url = app.url("/token");
    let exchange = |code: String, verifier: String, proof: Option<String>| {
        let mut request = app
            .http
            .post(app.url("/token"))
            .basic_auth("webapp", Some(&secret))
            .form(&[
                ("grant_type", "authorization_code".to_owned()),
                ("code", code),
                ("redirect_uri", REDIRECT_URI.to_owned()),
                ("code_verifier", verifier),
            ]);
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        async move { answer(request.fetch().await).await }
    };

    // dpop_jkt at /authorize.
    let pkce = Pkce::new();
    let url = app.authorize_url("webapp", &pkce, &[("dpop_jkt", &key.jkt())]);
    let callback = app.authorize_as(&browser(), &url, "ann@example.com").await;
    let code = query_of(&callback)["code"].clone();
    let wrong = exchange(
        code.clone(),
        pkce.verifier.clone(),
        Some(other.proof("POST", &token_url, None, None)),
    )
    .await;
    assert_eq!(wrong.body["error"], "invalid_grant", "{}", wrong.body);
    assert!(
        wrong.body["error_description"]
            .as_str()
            .unwrap()
            .contains("dpop_jkt")
    );

    let pkce = Pkce::new();
    let url = app.authorize_url("webapp", &pkce, &[("dpop_jkt", &key.jkt())]);
    let callback = app.authorize_as(&browser(), &url, "ann@example.com").await;
    let code = query_of(&callback)["code"].clone();
    let right = exchange(
        code,
        pkce.verifier.clone(),
        Some(key.proof("POST", &token_url, None, None)),
    )
    .await;
    assert_eq!(right.status, 200, "{}", right.body);

    // A proof at /par binds the same way.
    let pkce = Pkce::new();
    let pushed: Value = app
        .http
        .post(app.url("/par"))
        .basic_auth("webapp", Some(&secret))
        .header("dpop", key.proof("POST", &app.url("/par"), None, None))
        .form(&code_request("webapp", &pkce.challenge))
        .fetch_json()
        .await;
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "webapp")
        .append_pair("request_uri", pushed["request_uri"].as_str().unwrap());
    let callback = app
        .authorize_as(&browser(), url.as_str(), "ann@example.com")
        .await;
    let code = query_of(&callback)["code"].clone();
    let unbound = exchange(code, pkce.verifier.clone(), None).await;
    assert_eq!(unbound.body["error"], "invalid_grant", "{}", unbound.body);

    // A malformed dpop_jkt goes back to the client.
    let pkce = Pkce::new();
    let url = app.authorize_url("webapp", &pkce, &[("dpop_jkt", "short")]);
    let location = app.follow(&browser(), &url).await;
    assert_eq!(query_of(&location)["error"], "invalid_request");
}

#[both_backends]
async fn a_client_registered_for_dpop_must_send_proofs(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "").await;
    let mut client = (*app
        .provider
        .store()
        .client(&ClientId::parse("svc").unwrap())
        .await
        .unwrap()
        .unwrap())
    .clone();
    client.security.dpop_bound_access_tokens = true;
    app.provider.store().update_client(&client).await.unwrap();
    let refused = cc_token(&app, &secret, None).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["error"], "invalid_dpop_proof");
    let key = app.dpop_key(SigningAlgorithm::Es256);
    let proof = key.proof("POST", &app.url("/token"), None, None);
    assert_eq!(cc_token(&app, &secret, Some(&proof)).await.status, 200);
}

#[both_backends]
async fn a_deployment_can_require_server_nonces(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.dpop.require_nonce = true).await;
    let secret = app.confidential_client("svc", "openid").await;
    let key = app.dpop_key(SigningAlgorithm::Es256);
    let token_url = app.url("/token");
    let asked = cc_token(
        &app,
        &secret,
        Some(&key.proof("POST", &token_url, None, None)),
    )
    .await;
    assert_eq!(asked.status, 400);
    assert_eq!(asked.body["error"], "use_dpop_nonce");
    let nonce = asked.nonce.expect("a DPoP-Nonce header");
    let wrong = cc_token(
        &app,
        &secret,
        Some(&key.proof("POST", &token_url, None, Some("made-up"))),
    )
    .await;
    assert_eq!(wrong.body["error"], "use_dpop_nonce");
    let issued = cc_token(
        &app,
        &secret,
        Some(&key.proof("POST", &token_url, None, Some(&nonce))),
    )
    .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert!(
        issued.nonce.is_some(),
        "the next nonce comes with the answer"
    );
    // A nonce outlives its window by one window, then is refused.
    app.clock.advance(time::Duration::seconds(601));
    let mut later = app.dpop_key(SigningAlgorithm::Es256);
    later.now = app.provider.clock().unix();
    let stale = cc_token(
        &app,
        &secret,
        Some(&later.proof("POST", &token_url, None, Some(&nonce))),
    )
    .await;
    assert_eq!(stale.body["error"], "use_dpop_nonce");
}

/// Found by openid-client: the retry after `use_dpop_nonce` sends the same request object and
/// client assertion again, so nothing may be recorded as used before the nonce is checked.
#[both_backends]
async fn a_retry_after_the_nonce_finds_its_request_object_and_assertion_unused(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.dpop.require_nonce = true).await;
    let client = app.signing_client("keyed", SigningAlgorithm::Es256);
    app.register_key_client(&client, &[GrantType::AuthorizationCode], None)
        .await;
    let key = app.dpop_key(SigningAlgorithm::Es256);
    let pkce = Pkce::new();
    let object = client.request_object(&code_request("keyed", &pkce.challenge));
    let assertion = client.assertion();
    let push = |nonce: Option<String>| {
        let mut form = vec![
            ("client_id".to_owned(), "keyed".to_owned()),
            ("request".to_owned(), object.clone()),
        ];
        form.extend(client.auth_with(&assertion));
        let proof = key.proof("POST", &app.url("/par"), None, nonce.as_deref());
        let request = app
            .http
            .post(app.url("/par"))
            .header("dpop", proof)
            .form(&form);
        async move { answer(request.fetch().await).await }
    };
    let asked = push(None).await;
    assert_eq!(asked.body["error"], "use_dpop_nonce", "{}", asked.body);
    let pushed = push(asked.nonce).await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
}
