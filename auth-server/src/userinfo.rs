//! `GET` and `POST /userinfo` (OIDC Core section 5.3).

use crate::bearer::{self, Credential};
use crate::error::no_store;
use crate::extract::media_type;
use crate::paths;
use crate::state::AppState;
use auth_core::params::Params;
use auth_core::userinfo::{self, Presentation, ResourceError};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

/// `GET /userinfo`: the token in the Authorization header.
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query_token = query
        .is_some_and(|q| Params::parse(q.as_bytes()).is_ok_and(|p| p.contains("access_token")));
    if query_token {
        // RFC 6750 section 2.3 is not offered: tokens in URLs end up in logs and referrers.
        return bearer::refuse(
            ResourceError::InvalidRequest(
                "send the access token in the Authorization header, not the URL".into(),
            ),
            "openid",
        );
    }
    answer(&state, &headers, "GET", bearer::credential(&headers)).await
}

/// `POST /userinfo`: the token in the header, or as `access_token` in a form body (RFC 6750 section 2.2).
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let header_token = bearer::credential(&headers);
    let is_form = media_type(&headers).is_some_and(|t| t == "application/x-www-form-urlencoded");
    let body_token = if is_form {
        match Params::parse(&body) {
            Ok(params) => params.get("access_token").map(str::to_owned),
            Err(e) => {
                return bearer::refuse(
                    ResourceError::InvalidRequest(e.description().to_owned()),
                    "openid",
                );
            }
        }
    } else {
        None
    };
    let token = match (header_token, body_token) {
        (Ok(Some(_)), Some(_)) => Err(ResourceError::InvalidRequest(
            "the access token was sent twice; RFC 6750 allows one method per request".into(),
        )),
        (Ok(None), Some(token)) => Ok(Some(Credential { token, dpop: false })),
        (other, None) => other,
        (Err(e), Some(_)) => Err(e),
    };
    answer(&state, &headers, "POST", token).await
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    credential: Result<Option<Credential>, ResourceError>,
) -> Response {
    let credential = match credential {
        Ok(Some(credential)) => credential,
        Ok(None) => return bearer::refuse(ResourceError::Missing, "openid"),
        Err(e) => return bearer::refuse(e, "openid"),
    };
    let url = state.provider.settings().issuer.endpoint(paths::USERINFO);
    let presentation = if credential.dpop {
        match bearer::dpop_proof(headers) {
            Ok(proof) => Presentation::Dpop {
                proof,
                method,
                url: &url,
            },
            Err(e) => return bearer::refuse(e, "openid"),
        }
    } else {
        Presentation::Bearer
    };
    match userinfo::userinfo(&state.provider, &credential.token, presentation).await {
        Ok(claims) => (no_store(), Json(claims)).into_response(),
        Err(e) => bearer::refuse_with_nonce(state, e, "openid"),
    }
}
