//! Token exchange (RFC 8693): the events service, holding a user's access token, obtains one
//! for the tickets service on the user's behalf. What it may exchange for is configured per
//! client; the new token is the user's, narrowed to the target and to the subject token's
//! scope, names the service in `act`, ends with the subject token's grant, and never outlives
//! the subject token.

use crate::support::{
    Backend, REDIRECT_URI, TestApp, both_backends, browser, spawn_app, spawn_app_with,
};
use crate::walks::{code_in, public_client, public_exchange, service_token, verify_at};
use auth_core::clients::{self, AuthMethod, ClientId, GrantType, NewClient, TokenExchangePolicy};
use auth_core::keys::SigningAlgorithm;
use auth_core::resources;
use auth_core::scope::Scope;
use auth_testkit::{Fetch as _, ReadJson as _};
use serde_json::{Value, json};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
const TICKETS: &str = "https://tickets.example.com";
const PAYMENTS: &str = "https://payments.example.com";
const EMAIL: &str = "ann@example.com";

/// Registers the confidential client `id` named `name` with `grants` and `scope`, set up further
/// by `configure`; returns its secret.
async fn confidential(
    app: &TestApp,
    id: &str,
    name: String,
    grants: Vec<GrantType>,
    scope: &str,
    configure: impl FnOnce(&mut NewClient),
) -> String {
    let mut new = NewClient::new(name, AuthMethod::ClientSecretBasic, grants);
    new.id = Some(ClientId::parse(id).unwrap());
    new.scope = Scope::parse(scope).unwrap();
    configure(&mut new);
    let (_, secret) = clients::register(&app.provider, new).await.unwrap();
    secret.unwrap().expose().to_owned()
}

/// A confidential service that may exchange users' tokens for `audiences`; returns its secret.
async fn exchanging_service(app: &TestApp, id: &str, scope: &str, audiences: &[&str]) -> String {
    let grants = vec![GrantType::ClientCredentials, GrantType::TokenExchange];
    confidential(app, id, format!("Service {id}"), grants, scope, |new| {
        new.security.token_exchange = Some(TokenExchangePolicy {
            audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
        });
    })
    .await
}

/// The platform: the user Ann, her tokens at the web app `webapp` (scope `openid profile email
/// offline_access`), and the events service allowed to exchange for the tickets service.
struct Platform {
    app: TestApp,
    user_id: String,
    webapp_secret: String,
    events_secret: String,
    /// Ann's access token at the web app.
    subject: String,
    /// Ann's refresh token at the web app.
    refresh: String,
}

async fn platform(app: TestApp) -> Platform {
    let user_id = app.user(EMAIL).await.id.to_string();
    let webapp_secret = app.code_client("webapp").await;
    let events_secret =
        exchanging_service(&app, "events", "profile email tickets:write", &[TICKETS]).await;
    let tokens = app.tokens_for("webapp", &webapp_secret, EMAIL).await;
    Platform {
        user_id,
        webapp_secret,
        events_secret,
        subject: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
        app,
    }
}

impl Platform {
    /// A token-exchange request by `client` with `form` after the grant type; status and body.
    async fn exchange_as(&self, client: &str, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let mut body = vec![("grant_type", GRANT)];
        body.extend_from_slice(form);
        let response = self
            .app
            .http
            .post(self.app.url("/token"))
            .basic_auth(client, Some(secret))
            .form(&body)
            .fetch()
            .await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// `client` exchanges the access token `subject` with `rest` (target, scope, ...).
    async fn subject_exchange(
        &self,
        client: &str,
        secret: &str,
        subject: &str,
        rest: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut form = vec![
            ("subject_token", subject),
            ("subject_token_type", ACCESS_TOKEN),
        ];
        form.extend_from_slice(rest);
        self.exchange_as(client, secret, &form).await
    }

    /// The events service exchanges `subject` for the tickets service with `extra`.
    async fn events_exchange(&self, subject: &str, extra: &[(&str, &str)]) -> (u16, Value) {
        let mut rest = vec![("audience", TICKETS)];
        rest.extend_from_slice(extra);
        self.subject_exchange("events", &self.events_secret, subject, &rest)
            .await
    }

    /// The events service exchanges Ann's token with `target` (and nothing else) after it.
    async fn events_exchange_for(&self, target: &[(&str, &str)]) -> (u16, Value) {
        self.subject_exchange("events", &self.events_secret, &self.subject, target)
            .await
    }

    /// The web app revokes `token`.
    async fn revoke(&self, token: &str) {
        let revoked = self
            .app
            .http
            .post(self.app.url("/revoke"))
            .basic_auth("webapp", Some(&self.webapp_secret))
            .form(&[("token", token)])
            .fetch()
            .await;
        assert_eq!(revoked.status(), 200);
    }

    /// The claims of `token` verified for `audience` by a JWT library this project did not
    /// write.
    async fn claims(&self, token: &str, audience: &str) -> Value {
        verify_at(&self.app, token, audience).await.unwrap().1
    }

    async fn is_active(&self, token: &str) -> bool {
        self.app
            .is_active("events", &self.events_secret, token)
            .await
    }
}

fn refused(status: u16, body: &Value, error: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

/// [`refused`] with `error`, and a description that names `what`.
fn refused_naming(status: u16, body: &Value, error: &str, what: &str) {
    refused(status, body, error);
    assert!(
        body["error_description"].as_str().unwrap().contains(what),
        "{body}"
    );
}

#[both_backends]
async fn a_service_exchanges_a_users_token_for_one_to_another_service(backend: Backend) {
    let p = platform(spawn_app(backend).await).await;
    let (status, body) = p.events_exchange(&p.subject, &[("scope", "profile")]).await;
    assert_eq!(status, 200, "{body}");
    // RFC 8693 section 2.2.1.
    assert_eq!(body["issued_token_type"], ACCESS_TOKEN);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "profile");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
    let exchanged = body["access_token"].as_str().unwrap();

    let subject = p.claims(&p.subject, &p.app.base_url).await;
    let claims = p.claims(exchanged, TICKETS).await;
    assert_eq!(claims["sub"], p.user_id.as_str());
    assert_eq!(claims["aud"], TICKETS, "narrowed to exactly the target");
    assert_eq!(claims["client_id"], "events");
    assert_eq!(claims["scope"], "profile");
    assert_eq!(claims["act"], json!({"sub": "events"}));
    assert!(claims["exp"].as_i64() <= subject["exp"].as_i64());
    assert_eq!(claims["auth_time"], subject["auth_time"]);
    assert!(
        verify_at(&p.app, exchanged, &p.app.base_url).await.is_err(),
        "the exchanged token is not good for the server's own audience"
    );
    assert!(p.is_active(exchanged).await);

    // Without `scope`: the subject token's scope, as far as the events client may hold it
    // (it may not hold `openid` or `offline_access`).
    let (status, body) = p.events_exchange(&p.subject, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "email profile");

    // The same target named as a registered resource (RFC 8707) narrows the scope to what
    // the resource accepts.
    resources::register(
        &p.app.provider,
        TICKETS,
        "Tickets",
        Scope::parse("email tickets:read").unwrap(),
    )
    .await
    .unwrap();
    let (status, body) = p.events_exchange_for(&[("resource", TICKETS)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "email");

    let discovery: Value = p
        .app
        .http
        .get(p.app.url("/.well-known/openid-configuration"))
        .fetch_json()
        .await;
    assert!(
        discovery["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(GRANT))
    );
}

#[both_backends]
async fn a_client_without_the_grant_or_the_target_is_refused(backend: Backend) {
    let p = platform(spawn_app(backend).await).await;
    let form = [
        ("subject_token", p.subject.as_str()),
        ("subject_token_type", ACCESS_TOKEN),
        ("audience", TICKETS),
    ];
    // The web app holds the user's token but not the grant type.
    let (status, body) = p.exchange_as("webapp", &p.webapp_secret, &form).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "unauthorized_client");
    // A service with client_credentials only.
    let other = p.app.confidential_client("other", "profile").await;
    let (status, body) = p.exchange_as("other", &other, &form).await;
    assert_eq!(body["error"], "unauthorized_client", "{status} {body}");

    // The events service, for a target it is not configured for (RFC 8693 section 2.2.2).
    let (status, body) = p.events_exchange_for(&[("audience", PAYMENTS)]).await;
    refused_naming(status, &body, "invalid_target", PAYMENTS);
    // Two targets: a token is for one service.
    let (status, body) = p
        .events_exchange(&p.subject, &[("resource", PAYMENTS)])
        .await;
    refused(status, &body, "invalid_target");
    // A resource that is allowed but not registered.
    let (status, body) = p.events_exchange_for(&[("resource", TICKETS)]).await;
    refused(status, &body, "invalid_target");
    // No target at all.
    let (status, body) = p.events_exchange_for(&[]).await;
    refused(status, &body, "invalid_request");

    // Taking the configuration away takes the grant away.
    clients::set_token_exchange(&p.app.provider, &ClientId::parse("events").unwrap(), vec![])
        .await
        .unwrap();
    let (status, body) = p.events_exchange(&p.subject, &[]).await;
    assert_eq!(body["error"], "unauthorized_client", "{status} {body}");
}

#[both_backends]
async fn a_scope_wider_than_the_subject_tokens_is_refused(backend: Backend) {
    let p = platform(spawn_app(backend).await).await;
    // `tickets:write` is the events client's, but not in Ann's token.
    let (status, body) = p
        .events_exchange(&p.subject, &[("scope", "profile tickets:write")])
        .await;
    refused(status, &body, "invalid_scope");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("tickets:write")
    );
    // `openid` is in Ann's token, but the events client may not hold it.
    let (status, body) = p
        .events_exchange(&p.subject, &[("scope", "openid profile")])
        .await;
    refused(status, &body, "invalid_scope");
    // Nothing in common between the token and the client.
    let narrow = exchanging_service(&p.app, "narrow", "tickets:write", &[TICKETS]).await;
    let (status, body) = p
        .subject_exchange("narrow", &narrow, &p.subject, &[("audience", TICKETS)])
        .await;
    refused(status, &body, "invalid_scope");
}

#[both_backends]
async fn the_exchanged_token_never_outlives_the_subject_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let ttl = i64::try_from(app.provider.settings().access_token_ttl.as_secs()).unwrap();
    let p = platform(app).await;
    let subject = p.claims(&p.subject, &p.app.base_url).await;
    // Shortly before the subject token expires, the new one ends with it.
    p.app.clock.advance(time::Duration::seconds(ttl - 30));
    let (status, body) = p.events_exchange(&p.subject, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["expires_in"].as_u64().unwrap() <= 30, "{body}");
    let exchanged = body["access_token"].as_str().unwrap().to_owned();
    let claims = p.claims(&exchanged, TICKETS).await;
    assert_eq!(claims["exp"], subject["exp"]);

    // Once it has expired, it is exchanged no more.
    p.app.clock.advance(time::Duration::seconds(31));
    let (status, body) = p.events_exchange(&p.subject, &[]).await;
    refused_naming(status, &body, "invalid_request", "expired");
    assert!(!p.is_active(&exchanged).await);
}

#[both_backends]
async fn a_revoked_subject_token_is_refused_and_revoking_its_grant_ends_the_exchanged_token(
    backend: Backend,
) {
    let p = platform(spawn_app(backend).await).await;
    let (status, body) = p.events_exchange(&p.subject, &[]).await;
    assert_eq!(status, 200, "{body}");
    let exchanged = body["access_token"].as_str().unwrap().to_owned();
    assert!(p.is_active(&exchanged).await);

    // The web app revokes Ann's refresh token: the whole grant ends (RFC 7009 section 2.1),
    // the exchanged token with it.
    p.revoke(&p.refresh).await;
    assert!(
        !p.is_active(&exchanged).await,
        "the exchanged token ends with the subject token's grant"
    );
    let (status, body) = p.events_exchange(&p.subject, &[]).await;
    refused_naming(status, &body, "invalid_request", "revoked");

    // A second grant, whose access token alone is revoked.
    let tokens = p.app.tokens_for("webapp", &p.webapp_secret, EMAIL).await;
    let subject = tokens["access_token"].as_str().unwrap();
    p.revoke(subject).await;
    let (status, body) = p.events_exchange(subject, &[]).await;
    refused(status, &body, "invalid_request");
}

#[both_backends]
async fn the_actor_token_must_be_the_requesting_services_own(backend: Backend) {
    let p = platform(spawn_app(backend).await).await;
    let own = service_token(&p.app, "events", &p.events_secret, Some("tickets:write")).await;
    let (status, body) = p
        .events_exchange(
            &p.subject,
            &[("actor_token", &own), ("actor_token_type", ACCESS_TOKEN)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let claims = p
        .claims(body["access_token"].as_str().unwrap(), TICKETS)
        .await;
    assert_eq!(claims["act"], json!({"sub": "events"}));

    // RFC 8693 section 2.1: the type goes with the token, and only with it.
    let (status, body) = p
        .events_exchange(&p.subject, &[("actor_token", &own)])
        .await;
    refused(status, &body, "invalid_request");
    let (status, body) = p
        .events_exchange(&p.subject, &[("actor_token_type", ACCESS_TOKEN)])
        .await;
    refused(status, &body, "invalid_request");
    let (status, body) = p
        .events_exchange(
            &p.subject,
            &[
                ("actor_token", &own),
                ("actor_token_type", "urn:ietf:params:oauth:token-type:jwt"),
            ],
        )
        .await;
    refused(status, &body, "invalid_request");

    // Another service's token, and the user's own token, do not name the events service.
    let other = p.app.confidential_client("other", "profile").await;
    let others = service_token(&p.app, "other", &other, None).await;
    for actor in [others.as_str(), p.subject.as_str(), "not-a-token"] {
        let (status, body) = p
            .events_exchange(
                &p.subject,
                &[("actor_token", actor), ("actor_token_type", ACCESS_TOKEN)],
            )
            .await;
        refused(status, &body, "invalid_request");
    }
}

#[both_backends]
async fn a_token_exchanged_again_nests_the_actors_and_ends_with_the_first_grant(backend: Backend) {
    let p = platform(spawn_app(backend).await).await;
    let tickets = exchanging_service(&p.app, "tickets", "profile email", &[PAYMENTS]).await;
    let (status, body) = p.events_exchange(&p.subject, &[]).await;
    assert_eq!(status, 200, "{body}");
    let for_tickets = body["access_token"].as_str().unwrap().to_owned();

    // The tickets service, holding the token the events service sent it, calls payments.
    let (status, body) = p
        .subject_exchange(
            "tickets",
            &tickets,
            &for_tickets,
            &[("audience", PAYMENTS), ("scope", "email")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let for_payments = body["access_token"].as_str().unwrap().to_owned();
    let claims = p.claims(&for_payments, PAYMENTS).await;
    assert_eq!(claims["sub"], p.user_id.as_str());
    assert_eq!(claims["client_id"], "tickets");
    // RFC 8693 section 4.1: the current actor outermost, the one before nested.
    assert_eq!(
        claims["act"],
        json!({"sub": "tickets", "act": {"sub": "events"}})
    );
    let introspected: Value = p
        .app
        .http
        .post(p.app.url("/introspect"))
        .basic_auth("events", Some(&p.events_secret))
        .form(&[("token", for_payments.as_str())])
        .fetch_json()
        .await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["act"], claims["act"], "{introspected}");

    // Ann's grant ends: every token exchanged from it, however far, ends too.
    let family = p
        .app
        .provider
        .store()
        .family_of_access_token(claims["jti"].as_str().unwrap())
        .await
        .unwrap()
        .expect("the exchanged token is recorded in the subject's grant");
    p.app
        .provider
        .store()
        .revoke_family(&family.id)
        .await
        .unwrap();
    assert!(!p.is_active(&for_tickets).await);
    assert!(!p.is_active(&for_payments).await);
}

#[both_backends]
async fn tokens_of_other_types_are_refused(backend: Backend) {
    let p = platform(spawn_app(backend).await).await;
    for kind in [
        "urn:ietf:params:oauth:token-type:refresh_token",
        "urn:ietf:params:oauth:token-type:id_token",
        "urn:ietf:params:oauth:token-type:jwt",
        "urn:example:unknown",
    ] {
        let (status, body) = p
            .exchange_as(
                "events",
                &p.events_secret,
                &[
                    ("subject_token", &p.refresh),
                    ("subject_token_type", kind),
                    ("audience", TICKETS),
                ],
            )
            .await;
        refused_naming(status, &body, "invalid_request", kind);
    }
    // A refresh token passed off as an access token.
    let (status, body) = p.events_exchange(&p.refresh, &[]).await;
    refused(status, &body, "invalid_request");
    // Only access tokens are issued.
    let (status, body) = p
        .events_exchange(
            &p.subject,
            &[(
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:refresh_token",
            )],
        )
        .await;
    refused(status, &body, "invalid_request");
    let (status, body) = p
        .events_exchange(&p.subject, &[("requested_token_type", ACCESS_TOKEN)])
        .await;
    assert_eq!(status, 200, "{body}");
    // A client-credentials token has no user to act for.
    let other = p.app.confidential_client("other", "profile").await;
    let service_token = service_token(&p.app, "other", &other, None).await;
    let (status, body) = p.events_exchange(&service_token, &[]).await;
    refused(status, &body, "invalid_request");
    // subject_token and subject_token_type are required.
    let (status, body) = p
        .exchange_as(
            "events",
            &p.events_secret,
            &[("subject_token_type", ACCESS_TOKEN), ("audience", TICKETS)],
        )
        .await;
    refused(status, &body, "invalid_request");
    let (status, body) = p
        .exchange_as(
            "events",
            &p.events_secret,
            &[("subject_token", &p.subject), ("audience", TICKETS)],
        )
        .await;
    refused(status, &body, "invalid_request");
}

#[both_backends]
async fn token_exchange_is_configured_by_an_administrator_only(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open;
    })
    .await;
    let ops = app.confidential_client("ops", "admin").await;
    let admin = service_token(&app, "ops", &ops, Some("admin")).await;
    app.confidential_client("events", "profile").await;

    let set = put_token_exchange(&app, &admin, json!({"audiences": [TICKETS]})).await;
    assert_eq!(set.status(), 200);
    let view: Value = set.json().await.unwrap();
    assert_eq!(view["token_exchange"], json!({"audiences": [TICKETS]}));
    assert!(
        view["grant_types"]
            .as_array()
            .unwrap()
            .contains(&json!(GRANT))
    );
    // The server's own audience is not a service to exchange for.
    let own = put_token_exchange(&app, &admin, json!({"audiences": [app.base_url]})).await;
    assert_eq!(own.status(), 400);
    // A token without the admin scope may not configure it.
    let plain = app.confidential_client("plain", "profile").await;
    let plain = service_token(&app, "plain", &plain, None).await;
    let forbidden = put_token_exchange(&app, &plain, json!({"audiences": [TICKETS]})).await;
    assert_eq!(forbidden.status(), 403);
    let removed: Value = put_token_exchange(&app, &admin, json!({"audiences": []}))
        .await
        .read_json()
        .await;
    assert!(removed.get("token_exchange").is_none(), "{removed}");
    assert!(
        !removed["grant_types"]
            .as_array()
            .unwrap()
            .contains(&json!(GRANT))
    );

    // A self-registered client cannot ask for the grant (RFC 7591 section 3.2.2).
    let registered = app
        .http
        .post(app.url("/register"))
        .json(&json!({
            "client_name": "Self-made",
            "grant_types": [GRANT],
            "response_types": [],
        }))
        .fetch()
        .await;
    assert_eq!(registered.status(), 400);
    let body: Value = registered.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata", "{body}");
}

#[both_backends]
async fn a_dpop_bound_subject_token_is_refused_and_the_service_can_bind_its_own(backend: Backend) {
    let p = platform(spawn_app(backend).await).await;
    // Ann's token at a public app, bound to the app's key.
    public_client(&p.app, "spa", "openid profile email offline_access").await;
    let app_key = p.app.dpop_key(SigningAlgorithm::EdDsa);
    let (code, pkce) = code_in(&p.app, &browser(), "spa", EMAIL).await;
    let proof = app_key.proof("POST", &p.app.url("/token"), None, None);
    let bound: Value = public_exchange(&p.app, "spa", &code, &pkce, Some(proof))
        .await
        .read_json()
        .await;
    assert_eq!(bound["token_type"], "DPoP", "{bound}");
    let (status, body) = p
        .events_exchange(bound["access_token"].as_str().unwrap(), &[])
        .await;
    refused_naming(status, &body, "invalid_request", "DPoP");

    // The events service proves a key of its own: the new token is bound to it.
    let service_key = p.app.dpop_key(SigningAlgorithm::EdDsa);
    let response = p
        .app
        .http
        .post(p.app.url("/token"))
        .basic_auth("events", Some(&p.events_secret))
        .header(
            "dpop",
            service_key.proof("POST", &p.app.url("/token"), None, None),
        )
        .form(&[
            ("grant_type", GRANT),
            ("subject_token", &p.subject),
            ("subject_token_type", ACCESS_TOKEN),
            ("audience", TICKETS),
        ])
        .fetch()
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP", "{body}");
    let claims = p
        .claims(body["access_token"].as_str().unwrap(), TICKETS)
        .await;
    assert_eq!(claims["cnf"]["jkt"], service_key.jkt().as_str());
}

/// The administrator API call that sets the audiences the client `events` may exchange for,
/// with the bearer `token`.
async fn put_token_exchange(app: &TestApp, token: &str, audiences: Value) -> reqwest::Response {
    app.http
        .put(app.url("/admin/clients/events/token-exchange"))
        .bearer_auth(token)
        .json(&audiences)
        .fetch()
        .await
}

/// A code-flow client with pairwise subjects in the sector of [`REDIRECT_URI`]'s host, with
/// `grants`; returns its secret.
async fn pairwise_client(app: &TestApp, id: &str, grants: &[GrantType], exchange: bool) -> String {
    let scope = "openid profile email offline_access";
    confidential(
        app,
        id,
        format!("Pairwise {id}"),
        grants.to_vec(),
        scope,
        |new| {
            new.redirect_uris = vec![auth_core::clients::RedirectUri::parse(REDIRECT_URI).unwrap()];
            new.security.pairwise = true;
            new.security.token_exchange = exchange.then(|| TokenExchangePolicy {
                audiences: vec![TICKETS.to_owned()],
            });
        },
    )
    .await
}

#[both_backends]
async fn a_pairwise_clients_token_is_exchanged_only_within_its_sector(backend: Backend) {
    let p = platform(spawn_app(backend).await).await;
    let photos = pairwise_client(
        &p.app,
        "photos",
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        false,
    )
    .await;
    let tokens = p.app.tokens_for("photos", &photos, EMAIL).await;
    let subject = tokens["access_token"].as_str().unwrap();
    let pairwise_sub = p.claims(subject, &p.app.base_url).await["sub"].clone();
    assert_ne!(pairwise_sub, p.user_id.as_str());

    // The events service sees users by their id: it would learn who the pairwise `sub` is.
    let (status, body) = p.events_exchange(subject, &[]).await;
    refused_naming(status, &body, "invalid_request", "pairwise");

    // A service of the same sector may, and sees the same pairwise `sub`.
    let sibling = pairwise_client(
        &p.app,
        "photo-prints",
        &[GrantType::AuthorizationCode, GrantType::TokenExchange],
        true,
    )
    .await;
    let (status, body) = p
        .subject_exchange("photo-prints", &sibling, subject, &[("audience", TICKETS)])
        .await;
    assert_eq!(status, 200, "{body}");
    let claims = p
        .claims(body["access_token"].as_str().unwrap(), TICKETS)
        .await;
    assert_eq!(claims["sub"], pairwise_sub);
    assert!(p.is_active(body["access_token"].as_str().unwrap()).await);
}
