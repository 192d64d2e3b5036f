//! `private_key_jwt` client authentication (RFC 7523 section 2.2, OIDC Core section 9): keys
//! inline or at a `jwks_uri`, every algorithm clients may use, and the refusals: another key,
//! a replay, another audience, an expired or overlong assertion, the wrong subject.

use crate::support::{
    Backend, JwksServer, SigningClient, TestApp, both_backends, spawn_app, spawn_app_with,
};
use auth_core::clients::{ClientSecurity, GrantType};
use auth_core::keys::SigningAlgorithm;
use auth_testkit::Fetch as _;
use serde_json::{Value, json};

/// Posts a client-credentials request authenticated by `auth`; returns status and body.
async fn client_credentials(app: &TestApp, auth: &[(String, String)]) -> (u16, Value) {
    let mut form = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
    form.extend(auth.iter().cloned());
    let response = app.http.post(app.url("/token")).form(&form).fetch().await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Asserts an `invalid_client` answer whose description mentions `why`.
fn assert_refused(answer: &(u16, Value), why: &str) {
    assert_eq!(answer.0, 401, "{}", answer.1);
    assert_eq!(answer.1["error"], "invalid_client", "{}", answer.1);
    let description = answer.1["error_description"].as_str().unwrap_or_default();
    assert!(description.contains(why), "{description} should say {why}");
}

#[both_backends]
async fn a_client_authenticates_with_a_key_of_every_algorithm(backend: Backend) {
    let app = spawn_app(backend).await;
    for (n, algorithm) in SigningAlgorithm::FROM_CLIENTS.into_iter().enumerate() {
        let client = app.signing_client(&format!("svc-{n}"), algorithm);
        app.register_key_client(&client, &[GrantType::ClientCredentials], None)
            .await;
        let (status, body) = client_credentials(&app, &client.auth()).await;
        assert_eq!(status, 200, "{algorithm}: {body}");
        assert_eq!(body["token_type"], "Bearer");
        // The same client at introspection, with a new assertion.
        let mut form = vec![(
            "token".to_owned(),
            body["access_token"].as_str().unwrap().to_owned(),
        )];
        form.extend(client.auth());
        let introspected: Value = app
            .http
            .post(app.url("/introspect"))
            .form(&form)
            .fetch_json()
            .await;
        assert_eq!(introspected["active"], true, "{algorithm}");
        assert_eq!(introspected["client_id"], client.id.as_str());
    }
}

#[both_backends]
async fn an_assertion_works_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.signing_client("svc", SigningAlgorithm::Es256);
    app.register_key_client(&client, &[GrantType::ClientCredentials], None)
        .await;
    let assertion = client.assertion();
    assert_eq!(
        client_credentials(&app, &client.auth_with(&assertion))
            .await
            .0,
        200
    );
    let replayed = client_credentials(&app, &client.auth_with(&assertion)).await;
    assert_refused(&replayed, "was used before");
    // The replay is refused at another endpoint too.
    let mut form = vec![("token".to_owned(), "anything".to_owned())];
    form.extend(client.auth_with(&assertion));
    let response = app
        .http
        .post(app.url("/introspect"))
        .form(&form)
        .fetch()
        .await;
    assert_eq!(response.status(), 401);
}

#[both_backends]
async fn assertions_that_break_a_rule_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.signing_client("svc", SigningAlgorithm::EdDsa);
    app.register_key_client(&client, &[GrantType::ClientCredentials], None)
        .await;
    let issuer = client.issuer.clone();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = client.assertion_claims();
        change(&mut claims);
        client.auth_with(&client.sign("JWT", &claims))
    };
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        (
            with(&|c| c["aud"] = json!(format!("{issuer}/token"))),
            "only `aud`",
        ),
        (
            with(&|c| c["aud"] = json!([issuer, "https://other.example"])),
            "only `aud`",
        ),
        (
            with(&|c| c["aud"] = json!("https://other.example")),
            "only `aud`",
        ),
        (with(&|c| c["exp"] = json!(client.now - 1)), "has expired"),
        (with(&|c| c["exp"] = json!(client.now + 3600)), "too long"),
        (
            // Without client_id in the body, `sub` names the client: another one here.
            with(&|c| c["sub"] = json!("someone-else")),
            "no client is registered with id `someone-else`",
        ),
        (
            {
                let mut auth = with(&|c| c["sub"] = json!("someone-else"));
                auth.push(("client_id".into(), "svc".into()));
                auth
            },
            "`iss` and `sub`",
        ),
        (
            with(&|c| c["iss"] = json!("someone-else")),
            "`iss` and `sub`",
        ),
        (
            with(&|c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            "`jti`",
        ),
        (
            with(&|c| c["nbf"] = json!(client.now + 600)),
            "not valid yet",
        ),
    ];
    for (auth, why) in cases {
        assert_refused(&client_credentials(&app, &auth).await, why);
    }
    // Signed by a key the client never registered.
    let stranger = SigningClient::new("svc", SigningAlgorithm::EdDsa, &issuer);
    let mut stranger = stranger;
    stranger.now = client.now;
    assert_refused(
        &client_credentials(&app, &stranger.auth()).await,
        "unknown key",
    );
    // An unsupported assertion type.
    let mut auth = client.auth();
    auth[0].1 = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer".into();
    assert_refused(
        &client_credentials(&app, &auth).await,
        "client_assertion_type",
    );
    // An assertion and a secret at once.
    let mut auth = client.auth();
    auth.push(("client_secret".into(), "x".into()));
    let answer = client_credentials(&app, &auth).await;
    assert_eq!(answer.0, 400);
    assert_eq!(answer.1["error"], "invalid_request");
}

#[both_backends]
async fn a_secret_client_cannot_use_an_assertion_nor_a_key_client_a_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("secret-svc", "").await;
    let pretender = app.signing_client("secret-svc", SigningAlgorithm::Es256);
    assert_refused(
        &client_credentials(&app, &pretender.auth()).await,
        "client_secret_basic",
    );
    let client = app.signing_client("key-svc", SigningAlgorithm::Es256);
    app.register_key_client(&client, &[GrantType::ClientCredentials], None)
        .await;
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("key-svc", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .fetch()
        .await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("private_key_jwt"),
        "{body}"
    );
}

#[both_backends]
async fn keys_at_a_jwks_uri_are_fetched_and_refetched_when_the_client_rotates(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signing_client("svc", SigningAlgorithm::Es256);
    let jwks = JwksServer::start(first.jwks()).await;
    app.register_key_client(
        &first,
        &[GrantType::ClientCredentials],
        Some(ClientSecurity {
            jwks_uri: Some(jwks.url.clone()),
            ..ClientSecurity::default()
        }),
    )
    .await;
    assert_eq!(client_credentials(&app, &first.auth()).await.0, 200);
    assert_eq!(client_credentials(&app, &first.auth()).await.0, 200);
    assert_eq!(jwks.fetches(), 1, "the set is cached");

    // The client rotates to a new key: the unknown kid fetches the set again (once the floor
    // since the last fetch has passed).
    app.clock.advance(time::Duration::seconds(31));
    let second = app.signing_client("svc", SigningAlgorithm::Es256);
    jwks.publish(second.jwks());
    assert_eq!(client_credentials(&app, &second.auth()).await.0, 200);
    assert_eq!(jwks.fetches(), 2);

    // Made-up kids do not make the server fetch again within the floor.
    for _ in 0..5 {
        let stranger = app.signing_client("svc", SigningAlgorithm::Es256);
        assert_refused(
            &client_credentials(&app, &stranger.auth()).await,
            "unknown key",
        );
    }
    assert_eq!(jwks.fetches(), 2, "at most one fetch per floor");
}

#[both_backends]
async fn dynamic_registration_takes_keys_and_refuses_private_ones(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open
    })
    .await;
    let client = app.signing_client("ignored", SigningAlgorithm::Es256);
    let register = |body: Value| {
        let request = app.http.post(app.url("/register")).json(&body);
        async move {
            let response = request.fetch().await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let base = json!({
        "client_name": "Keyed",
        "redirect_uris": [auth_testkit::REDIRECT_URI],
        "token_endpoint_auth_method": "private_key_jwt",
    });
    let mut with_keys = base.clone();
    with_keys["jwks"] = client.jwks();
    let (status, registered) = register(with_keys.clone()).await;
    assert_eq!(status, 201, "{registered}");
    assert_eq!(registered["token_endpoint_auth_method"], "private_key_jwt");
    assert!(registered.get("client_secret").is_none(), "no secret");
    assert_eq!(registered["jwks"], client.jwks());

    let refused = [
        (base.clone(), "needs the client's public keys"),
        (
            {
                let mut body = with_keys.clone();
                body["jwks_uri"] = json!("https://keys.example/jwks");
                body
            },
            "must not both",
        ),
        (
            {
                let mut body = with_keys.clone();
                body["jwks"]["keys"][0]["d"] = json!("c2VjcmV0");
                body
            },
            "private key material",
        ),
        (
            {
                let mut body = base.clone();
                body["jwks_uri"] = json!("ftp://keys.example/jwks");
                body
            },
            "must be an https URL",
        ),
    ];
    for (body, why) in refused {
        let (status, answer) = register(body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"], "invalid_client_metadata");
        let description = answer["error_description"].as_str().unwrap();
        assert!(description.contains(why), "{description} should say {why}");
    }
}

#[both_backends]
async fn discovery_names_the_method_and_its_algorithms(backend: Backend) {
    let app = spawn_app(backend).await;
    let metadata: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .fetch_json()
        .await;
    let methods = metadata["token_endpoint_auth_methods_supported"].to_string();
    assert!(methods.contains("private_key_jwt"), "{methods}");
    assert_eq!(
        metadata["token_endpoint_auth_signing_alg_values_supported"],
        json!(["RS256", "PS256", "ES256", "EdDSA"])
    );
}

/// Found by the attacker review: a request object (which travels in browser URLs) was accepted
/// as the client's assertion at the token endpoint. Typed JWTs of other kinds are not
/// assertions, and what a client signs is used once whatever it is used as.
#[both_backends]
async fn a_request_object_or_a_typed_jwt_is_no_assertion(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.signing_client("svc", SigningAlgorithm::Es256);
    app.register_key_client(
        &client,
        &[GrantType::ClientCredentials, GrantType::AuthorizationCode],
        None,
    )
    .await;
    for typ in ["oauth-authz-req+jwt", "dpop+jwt", "at+jwt"] {
        let typed = client.sign(typ, &client.assertion_claims());
        assert_refused(
            &client_credentials(&app, &client.auth_with(&typed)).await,
            "typ",
        );
    }
    // An untyped object with assertion claims, seen in a browser URL at /authorize first.
    let pkce = auth_testkit::Pkce::new();
    let mut claims = client.assertion_claims();
    for (name, value) in auth_testkit::code_request("svc", &pkce.challenge) {
        claims[name] = json!(value);
    }
    let object = client.sign("JWT", &claims);
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "svc")
        .append_pair("request", &object);
    let response = auth_testkit::browser().get(url.as_str()).fetch().await;
    assert_eq!(response.status(), 303, "the object is a valid request");
    assert_refused(
        &client_credentials(&app, &client.auth_with(&object)).await,
        "used before",
    );
}

/// Found by the attacker review: a failing jwks_uri was fetched again for every token, and the
/// error told the caller what the URL answered.
#[both_backends]
async fn a_failing_jwks_uri_is_not_fetched_again_at_once_and_its_answer_stays_private(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let client = app.signing_client("svc", SigningAlgorithm::Es256);
    let jwks = JwksServer::start(json!({"not": "a key set"})).await;
    app.register_key_client(
        &client,
        &[GrantType::ClientCredentials],
        Some(ClientSecurity {
            jwks_uri: Some(jwks.url.clone()),
            ..ClientSecurity::default()
        }),
    )
    .await;
    for _ in 0..5 {
        let answer = client_credentials(&app, &client.auth()).await;
        assert_refused(&answer, "could not be fetched");
        let description = answer.1["error_description"].as_str().unwrap();
        assert!(!description.contains("keys array"), "{description}");
    }
    assert_eq!(jwks.fetches(), 1, "a failure is remembered for the floor");
}
