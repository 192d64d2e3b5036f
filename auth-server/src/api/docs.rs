//! The OpenAPI document of the account API, and a reference page rendered from it.

use super::{account, users};
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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

/// `GET /api/docs`: the reference, readable without JavaScript.
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
    render(&state, StatusCode::OK, &page)
}
