//! The OpenAPI document of the account API, and a reference page rendered from it.

use super::{account, apps, users};
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::Config;

/// The OpenAPI description of `/api`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Account API", description = "Accounts for first-party apps, user look-ups for services."),
    paths(
        account::register,
        account::me,
        account::update_me,
        account::change_password,
        account::forgot_password,
        account::reset_password,
        account::send_code,
        account::verify_code,
        account::sessions,
        account::end_session,
        apps::list,
        apps::remove,
        users::user,
        users::is_registered,
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "account", description = "For a first-party app acting for its signed-in user: a bearer access token of the user issued with the `account` scope (reading) or `account:write` (changing and reading). A token without them (e.g. `openid` only) gets 403 `insufficient_scope`. Only clients registered with these scopes can obtain them."),
        (name = "users", description = "For sibling services (a client-credentials token with the `users:read` scope)."),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        }
    }
}

/// `GET /api/openapi.json`
pub async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

struct Endpoint {
    method: String,
    path: String,
    summary: String,
    auth: String,
    request: String,
    responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage<'a> {
    t: &'a crate::i18n::Tr,
    product: &'a str,
    endpoints: Vec<Endpoint>,
    schemas: Vec<(String, String)>,
}

impl crate::pages::templates::Localized for DocsPage<'_> {
    fn tr(&self) -> &crate::i18n::Tr {
        self.t
    }
}

fn schema_name(reference: &Value) -> String {
    reference
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or_default()
        .to_owned()
}

fn endpoints(doc: &Value) -> Vec<Endpoint> {
    let mut found = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return found;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let request =
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"].clone();
            let auth = match op["security"].as_array() {
                Some(list) if !list.is_empty() => {
                    let scopes: Vec<String> = list
                        .iter()
                        .filter_map(|s| s["bearer"].as_array())
                        .flatten()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect();
                    if scopes.is_empty() {
                        "Bearer token".to_owned()
                    } else {
                        format!("Bearer token with {}", scopes.join(", "))
                    }
                }
                _ => "None".to_owned(),
            };
            let responses = op["responses"]
                .as_object()
                .map(|r| {
                    r.iter()
                        .map(|(code, resp)| {
                            let body =
                                schema_name(&resp["content"]["application/json"]["schema"]["$ref"]);
                            let description = resp["description"].as_str().unwrap_or_default();
                            let text = match (description.is_empty(), body.is_empty()) {
                                (false, false) => format!("{description} ({body})"),
                                (true, false) => body,
                                _ => description.to_owned(),
                            };
                            (code.clone(), text)
                        })
                        .collect()
                })
                .unwrap_or_default();
            found.push(Endpoint {
                method: method.to_uppercase(),
                path: path.clone(),
                summary: op["description"]
                    .as_str()
                    .or(op["summary"].as_str())
                    .unwrap_or_default()
                    .to_owned(),
                auth,
                request: schema_name(&request),
                responses,
            });
        }
    }
    found
}

/// What the viewer's page may load: its scripts and styles from this server, and calls to this
/// server (Swagger UI's "Try it out"); nothing from another origin. Swagger UI draws some
/// icons as inline SVG (`data:`).
const VIEWER_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The viewer's settings: the document of this server, and no validator (Swagger UI would
/// otherwise send the document to validator.swagger.io).
fn viewer_config() -> Arc<Config<'static>> {
    Arc::new(Config::new(["/api/openapi.json"]).validator_url("none"))
}

/// `GET /api/docs/{file}`: the files of Swagger UI (the `utoipa-swagger-ui` crate's vendored
/// copy, built into the binary), and its start-up script with this server's settings.
pub async fn asset(Path(file): Path<String>) -> Response {
    match utoipa_swagger_ui::serve(&file, viewer_config()) {
        // Swagger UI's OAuth return page runs inline script and is not used here (the viewer
        // has no authorization settings): 404, like its index.
        Ok(Some(found)) if file != "index.html" && file != "oauth2-redirect.html" => {
            let mut response = found.bytes.into_owned().into_response();
            let headers = response.headers_mut();
            if let Ok(kind) = HeaderValue::from_str(&found.content_type) {
                headers.insert(header::CONTENT_TYPE, kind);
            }
            if found.gzpipped {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            // Should a file of the viewer ever be opened as a page, it gets the viewer's rules.
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(VIEWER_CSP),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        // The viewer's own page is `/api/docs` (with the plain reference for browsers
        // without JavaScript), not Swagger UI's index; and no OAuth return page.
        Ok(_) => (StatusCode::NOT_FOUND, "no such file").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot serve a file of the API viewer");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// `GET /api/docs`: Swagger UI over `/api/openapi.json`, and the same reference as plain HTML
/// for browsers without JavaScript.
pub async fn page(State(state): State<AppState>) -> Response {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .map(|s| {
            s.iter()
                .map(|(name, schema)| {
                    (
                        name.clone(),
                        serde_json::to_string_pretty(schema).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // The description of the API is in English, for developers: the page says so in its `lang`.
    let english = state.web.i18n.for_setting(Some("en"));
    let page = DocsPage {
        t: &english,
        product: &state.web.product_name,
        endpoints: endpoints(&doc),
        schemas,
    };
    let mut response = render(&state, StatusCode::OK, &page);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(VIEWER_CSP),
    );
    response
}
