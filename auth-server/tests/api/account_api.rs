//! The JSON account API and its OpenAPI description.

use crate::support::{Backend, PASSWORD, both_backends, spawn_app, spawn_app_with_mail};
use auth_testkit::{Fetch as _, ReadJson as _};
use reqwest::Method;
use serde_json::{Value, json};

#[both_backends]
async fn an_app_registers_a_user_who_confirms_and_manages_the_account(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    let register = |email: &'static str| {
        let request = app
            .http
            .post(app.url("/api/account/register"))
            .json(&json!({"email": email, "password": PASSWORD, "name": "Api User"}));
        async move { request.fetch().await }
    };
    let created = register("api@example.com").await;
    assert_eq!(created.status(), 202);
    let created: Value = created.json().await.unwrap();
    let again: Value = register("API@example.com").await.read_json().await;
    assert_eq!(created, again, "the same answer for a taken address");
    let weak = app
        .http
        .post(app.url("/api/account/register"))
        .json(&json!({"email": "w@example.com", "password": "short"}))
        .fetch()
        .await;
    assert_eq!(weak.status(), 422);
    let weak: Value = weak.json().await.unwrap();
    assert_eq!(
        weak["error_description"],
        "the password must be at least 10 characters long"
    );
    let link = mail
        .wait_for("api@example.com", "Confirm")
        .await
        .link(&app.url("/verify-email?token="));
    assert_eq!(
        app.confirm_email(&crate::support::browser(), &link)
            .await
            .status(),
        200
    );

    let secret = crate::route_rules::first_party_client(&app, "webapp").await;
    let tokens =
        crate::route_rules::first_party_tokens(&app, "webapp", &secret, "api@example.com").await;
    let access = tokens["access_token"].as_str().unwrap();
    let me: Value = app
        .bearer_request(Method::GET, "/api/account/me", access)
        .fetch_json()
        .await;
    assert_eq!(me["email"], "api@example.com");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["totp_enabled"], false);

    let no_code = app
        .bearer_request(Method::PATCH, "/api/account/me", access)
        .json(&json!({"given_name": "Api", "phone_number": "+41 44 668 18 00"}))
        .fetch()
        .await;
    assert_eq!(
        no_code.status(),
        403,
        "a new phone number needs a step-up code"
    );
    let no_code: Value = no_code.json().await.unwrap();
    assert_eq!(no_code["error"], "step_up_required");
    let me_now: Value = app
        .bearer_request(Method::GET, "/api/account/me", access)
        .fetch_json()
        .await;
    assert_eq!(
        (
            me_now["given_name"].as_str(),
            me_now["phone_number"].as_str()
        ),
        (None, None),
        "nothing changed"
    );
    let sent = app
        .bearer_request(Method::POST, "/api/account/otp/send", access)
        .json(&json!({}))
        .fetch()
        .await;
    assert_eq!(sent.status(), 202);
    let code = mail.wait_for("api@example.com", "code").await.code();
    let patched = app
        .bearer_request(Method::PATCH, "/api/account/me", access)
        .json(&json!({
            "given_name": "Api",
            "locale": "de-CH",
            "phone_number": "+41 44 668 18 00",
            "code": code
        }))
        .fetch()
        .await;
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(
        (
            patched["given_name"].as_str(),
            patched["name"].as_str(),
            patched["phone_number"].as_str()
        ),
        (Some("Api"), Some("Api User"), Some("+41446681800"))
    );
    let invalid = app
        .bearer_request(Method::PATCH, "/api/account/me", access)
        .json(&json!({"locale": "not a tag"}))
        .fetch()
        .await;
    assert_eq!(invalid.status(), 422);
    let unknown_field = app
        .bearer_request(Method::PATCH, "/api/account/me", access)
        .json(&json!({"emial": "x"}))
        .fetch()
        .await;
    assert_eq!(unknown_field.status(), 400);
    assert_eq!(
        app.http
            .get(app.url("/api/account/me"))
            .fetch_status()
            .await,
        401
    );
}

#[both_backends]
async fn changing_the_password_by_api_keeps_the_callers_grant_only(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    let secret = crate::route_rules::first_party_client(&app, "webapp").await;
    app.user("ann@example.com").await;
    let caller =
        crate::route_rules::first_party_tokens(&app, "webapp", &secret, "ann@example.com").await;
    let other =
        crate::route_rules::first_party_tokens(&app, "webapp", &secret, "ann@example.com").await;
    let change = app
        .bearer_request(
            Method::POST,
            "/api/account/password",
            caller["access_token"].as_str().unwrap(),
        )
        .json(&json!({"current_password": PASSWORD, "new_password": "another long password"}))
        .fetch()
        .await;
    assert_eq!(change.status(), 204);
    assert_eq!(
        app.refresh(
            "webapp",
            &secret,
            caller["refresh_token"].as_str().unwrap(),
            None
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.refresh(
            "webapp",
            &secret,
            other["refresh_token"].as_str().unwrap(),
            None
        )
        .await
        .status(),
        400
    );
    mail.wait_for("ann@example.com", "password was changed")
        .await;
    let wrong = app
        .bearer_request(
            Method::POST,
            "/api/account/password",
            caller["access_token"].as_str().unwrap(),
        )
        .json(&json!({
            "current_password": "not the password",
            "new_password": "yet another password"
        }))
        .fetch()
        .await;
    assert_eq!(wrong.status(), 403);
}

#[both_backends]
async fn forgot_and_reset_by_api_answer_the_same_and_use_the_link_once(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let forgot = |email: &'static str| {
        let request = app
            .http
            .post(app.url("/api/account/password/forgot"))
            .json(&json!({"email": email}));
        async move {
            let r = request.fetch().await;
            (r.status(), r.text().await.unwrap())
        }
    };
    assert_eq!(
        forgot("ann@example.com").await,
        forgot("nobody@example.com").await
    );
    let link = mail
        .wait_for("ann@example.com", "Reset")
        .await
        .link(&app.url("/reset-password?token="));
    let token = link.split("token=").nth(1).unwrap();
    let reset = |password: &'static str| {
        let request = app
            .http
            .post(app.url("/api/account/password/reset"))
            .json(&json!({"token": token, "password": password}));
        async move { request.fetch_status().await }
    };
    assert_eq!(reset("short").await, 422);
    assert_eq!(reset("a fresh long password").await, 204);
    assert_eq!(reset("again a long password").await, 400);
}

#[both_backends]
async fn a_step_up_code_is_sent_and_accepted_once(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    let secret = crate::route_rules::first_party_client(&app, "webapp").await;
    app.user("ann@example.com").await;
    let tokens =
        crate::route_rules::first_party_tokens(&app, "webapp", &secret, "ann@example.com").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let sent = app
        .bearer_request(Method::POST, "/api/account/otp/send", &access)
        .json(&json!({}))
        .fetch()
        .await;
    assert_eq!(sent.status(), 202);
    let code = mail.wait_for("ann@example.com", "code").await.code();
    let sms = app
        .bearer_request(Method::POST, "/api/account/otp/send", &access)
        .json(&json!({"channel": "sms"}))
        .fetch()
        .await;
    assert_eq!(sms.status(), 400, "no SMS sender is configured");
    let attempts = (0..5).map(|_| {
        app.bearer_request(Method::POST, "/api/account/otp/verify", &access)
            .json(&json!({"code": code}))
            .send()
    });
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
}

#[both_backends]
async fn users_see_and_end_their_sessions(backend: Backend) {
    let (app, _mail) = spawn_app_with_mail(backend, |_| {}).await;
    let secret = crate::route_rules::first_party_client(&app, "webapp").await;
    app.user("ann@example.com").await;
    let browser = crate::support::browser();
    assert_eq!(
        app.login(&browser, "ann@example.com", PASSWORD)
            .await
            .status(),
        303
    );
    let tokens =
        crate::route_rules::first_party_tokens(&app, "webapp", &secret, "ann@example.com").await;
    let access = tokens["access_token"].as_str().unwrap();
    let sessions: Vec<Value> = app
        .bearer_request(Method::GET, "/api/account/sessions", access)
        .fetch_json()
        .await;
    assert_eq!(sessions.len(), 2);
    let id = sessions[0]["id"].as_str().unwrap();
    let end_session = || {
        let path = format!("/api/account/sessions/{id}");
        app.bearer_request(Method::DELETE, &path, access)
            .fetch_status()
    };
    assert_eq!(end_session().await, 204);
    assert_eq!(end_session().await, 404);
    let left: Vec<Value> = app
        .bearer_request(Method::GET, "/api/account/sessions", access)
        .fetch_json()
        .await;
    assert_eq!(left.len(), 1);
}

#[both_backends]
async fn services_check_registration_with_a_users_read_token(backend: Backend) {
    let (app, _mail) = spawn_app_with_mail(backend, |_| {}).await;
    let user = app.user("ann@example.com").await;
    let reader = app.confidential_client("events", "users:read").await;
    let weak = app.confidential_client("tickets", "tickets:read").await;
    let token = app.client_credentials_token("events", &reader, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let weak_token = app.client_credentials_token("tickets", &weak, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let ask = |query: String, token: &str| {
        let request = app.bearer_request(
            Method::GET,
            &format!("/api/users/registered?{query}"),
            token,
        );
        async move { request.fetch().await }
    };
    let by_id: Value = ask(format!("id={}", user.id), &token)
        .await
        .read_json()
        .await;
    assert_eq!(
        by_id,
        json!({"registered": true, "disabled": false, "id": user.id.to_string()})
    );
    let by_email: Value = ask("email=ANN%40example.com".into(), &token)
        .await
        .read_json()
        .await;
    assert_eq!(by_email["registered"], true);
    let unknown: Value = ask("email=nobody%40example.com".into(), &token)
        .await
        .read_json()
        .await;
    assert_eq!(unknown, json!({"registered": false}));
    assert_eq!(ask("".into(), &token).await.status(), 400);
    let forbidden = ask(format!("id={}", user.id), &weak_token).await;
    assert_eq!(forbidden.status(), 403);
    assert!(
        forbidden.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("scope=\"users:read\"")
    );
    let info: Value = app
        .bearer_request(Method::GET, &format!("/api/users/{}", user.id), &token)
        .fetch_json()
        .await;
    assert_eq!(info["email"], "ann@example.com");
    assert_eq!(
        app.bearer_request(
            Method::GET,
            "/api/users/0190a8c4-5b8e-7d4e-9c1a-2f3b4c5d6e7f",
            &token
        )
        .fetch_status()
        .await,
        404
    );
}

#[both_backends]
async fn the_api_is_described_by_openapi_and_a_readable_page(backend: Backend) {
    let (app, _mail) = spawn_app_with_mail(backend, |_| {}).await;
    let doc: Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .fetch_json()
        .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/account/register",
        "/api/account/me",
        "/api/users/registered",
        "/api/account/otp/verify",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let page = app.http.get(app.url("/api/docs")).fetch_text().await;
    assert!(page.contains("<code>GET /api/users/registered</code>"));
    assert!(page.contains("Bearer token with users:read"));
    assert!(page.contains("id=\"schema-RegisterRequest\""));
}

#[both_backends]
async fn the_api_viewer_serves_only_its_own_files_under_its_policy(backend: Backend) {
    let app = spawn_app(backend).await;
    let bundle = app
        .http
        .get(app.url("/api/docs/swagger-ui-bundle.js"))
        .fetch()
        .await;
    assert_eq!(bundle.status(), 200);
    let policy = bundle.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert_eq!(bundle.headers()["x-content-type-options"], "nosniff");
    // Swagger UI's own pages run inline script: not served (the viewer is /api/docs).
    for page in [
        "index.html",
        "oauth2-redirect.html",
        "..%2F..%2FCargo.toml",
        "nothing.js",
    ] {
        let answer = app
            .http
            .get(app.url(&format!("/api/docs/{page}")))
            .fetch()
            .await;
        assert_eq!(answer.status(), 404, "{page}");
    }
}
