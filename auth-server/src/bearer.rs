//! Access tokens on protected resources: bearer tokens ([RFC 6750](https://www.rfc-editor.org/rfc/rfc6750))
//! and DPoP-bound tokens ([RFC 9449 section 7](https://www.rfc-editor.org/rfc/rfc9449#section-7)):
//! reading the token, checking it is presented as its binding requires, and answering with
//! the `WWW-Authenticate` challenge of RFC 6750 section 3 or RFC 9449 section 7.1.

use crate::state::AppState;
use auth_core::protocol::claims::AccessTokenClaims;
use auth_core::tokens::access::ValidationFailure;
use auth_core::userinfo::{Presentation, ResourceError, check_presentation};
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The realm of every challenge.
pub const REALM: &str = "auth-server";

/// The algorithms of DPoP proofs, as a challenge names them (RFC 9449 section 7.1).
pub const DPOP_ALGS: &str = "RS256 PS256 ES256 EdDSA";

/// An access token as the `Authorization` header carried it.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The token.
    pub token: String,
    /// Sent with the `DPoP` scheme (RFC 9449 section 7.1) rather than `Bearer`.
    pub dpop: bool,
}

/// The token of `Authorization: Bearer ...` or `Authorization: DPoP ...`; `Ok(None)` when the
/// header is absent.
pub fn credential(headers: &HeaderMap) -> Result<Option<Credential>, ResourceError> {
    const FORMS: &str = "`Bearer <token>` or `DPoP <token>`";
    let Some((scheme, token)) = authorization(headers, FORMS)? else {
        return Ok(None);
    };
    let dpop = scheme.eq_ignore_ascii_case("dpop");
    if dpop || scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Some(Credential {
            token: token.to_owned(),
            dpop,
        }));
    }
    Err(malformed(FORMS))
}

/// The scheme and the (trimmed, not empty) token of the `Authorization` header; `Ok(None)`
/// when the header is absent. `forms` names the forms the caller accepts, for the error.
fn authorization<'h>(
    headers: &'h HeaderMap,
    forms: &str,
) -> Result<Option<(&'h str, &'h str)>, ResourceError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        ResourceError::InvalidRequest("the Authorization header is not visible ASCII".into())
    })?;
    match value.split_once(' ') {
        Some((scheme, token)) if !token.trim().is_empty() => Ok(Some((scheme, token.trim()))),
        _ => Err(malformed(forms)),
    }
}

/// An `Authorization` header not in one of the `forms` accepted.
fn malformed(forms: &str) -> ResourceError {
    ResourceError::InvalidRequest(format!("the Authorization header must be {forms}"))
}

/// The request's `DPoP` header: none, or exactly one (RFC 9449 section 4.3, item 1).
pub fn dpop_proof(headers: &HeaderMap) -> Result<Option<&str>, ResourceError> {
    let mut values = headers.get_all("dpop").iter();
    let (Some(first), None) = (values.next(), values.next()) else {
        return match headers.get("dpop") {
            None => Ok(None),
            Some(_) => Err(ResourceError::InvalidDpopProof(
                "the request carries more than one DPoP header".into(),
            )),
        };
    };
    first
        .to_str()
        .map(Some)
        .map_err(|_| ResourceError::InvalidDpopProof("the DPoP header is not visible ASCII".into()))
}

/// The claims of the access token `credential` carries, once it is valid and presented as its
/// binding requires: a DPoP-bound token only with the DPoP scheme and a proof for this
/// `method` and `path` signed by its key.
pub async fn verified(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    credential: &Credential,
) -> Result<AccessTokenClaims, ResourceError> {
    let claims = match state
        .provider
        .validate_access_token(&credential.token)
        .await
    {
        Ok(claims) => claims,
        Err(ValidationFailure::Invalid(e)) => {
            return Err(ResourceError::InvalidToken(e.to_string()));
        }
        Err(ValidationFailure::Internal(e)) => return Err(ResourceError::Internal(e)),
    };
    auth_core::userinfo::check_audience(&state.provider, &claims.aud)?;
    let url = state.provider.settings().issuer.endpoint(path);
    let presentation = if credential.dpop {
        Presentation::Dpop {
            proof: dpop_proof(headers)?,
            method,
            url: &url,
        }
    } else {
        Presentation::Bearer
    };
    let bound_to = claims.cnf.as_ref().map(|cnf| cnf.jkt.as_str());
    check_presentation(&state.provider, &credential.token, bound_to, presentation).await?;
    Ok(claims)
}

/// [`refuse`], with the server's DPoP nonce in `DPoP-Nonce` when the proof lacked it (RFC 9449
/// section 9).
pub fn refuse_with_nonce(state: &AppState, error: ResourceError, scope: &str) -> Response {
    let wants_nonce = matches!(error, ResourceError::UseDpopNonce(_));
    let mut response = refuse(error, scope);
    if wants_nonce
        && let Ok(nonce) = HeaderValue::from_str(&auth_core::dpop::nonce(&state.provider))
    {
        response.headers_mut().insert("dpop-nonce", nonce);
    }
    response
}

/// The token of `Authorization: Bearer ...`; `Ok(None)` when the header is absent.
pub fn from_header(headers: &HeaderMap) -> Result<Option<String>, ResourceError> {
    const FORMS: &str = "`Bearer <token>`";
    match authorization(headers, FORMS)? {
        None => Ok(None),
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            Ok(Some(token.to_owned()))
        }
        Some(_) => Err(malformed(FORMS)),
    }
}

/// The RFC 6750 answer for a refused request. `scope` is what the resource needs, named in an
/// `insufficient_scope` challenge.
pub fn refuse(error: ResourceError, scope: &str) -> Response {
    let quote = |text: &str| text.replace(['"', '\\'], "'");
    let (status, code, description) = match &error {
        ResourceError::Missing => (StatusCode::UNAUTHORIZED, None, String::new()),
        ResourceError::InvalidRequest(d) => {
            (StatusCode::BAD_REQUEST, Some("invalid_request"), d.clone())
        }
        ResourceError::InvalidToken(d) => {
            (StatusCode::UNAUTHORIZED, Some("invalid_token"), d.clone())
        }
        ResourceError::InsufficientScope(d) => {
            (StatusCode::FORBIDDEN, Some("insufficient_scope"), d.clone())
        }
        ResourceError::InvalidDpopProof(d) => (
            StatusCode::UNAUTHORIZED,
            Some("invalid_dpop_proof"),
            d.clone(),
        ),
        ResourceError::UseDpopNonce(d) => {
            (StatusCode::UNAUTHORIZED, Some("use_dpop_nonce"), d.clone())
        }
        ResourceError::Internal(e) => {
            tracing::error!(error = ?e.cause().map(ToString::to_string), "protected resource failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(e.to_response())).into_response();
        }
    };
    // RFC 9449 section 7.1: DPoP errors are answered in a DPoP challenge naming the
    // algorithms proofs may use.
    if let Some(dpop_code @ ("invalid_dpop_proof" | "use_dpop_nonce")) = code {
        let challenge = format!(
            "DPoP error=\"{dpop_code}\", error_description=\"{}\", algs=\"{DPOP_ALGS}\"",
            quote(&description)
        );
        let mut response = (
            status,
            Json(json!({"error": dpop_code, "error_description": description})),
        )
            .into_response();
        let value = HeaderValue::from_str(&challenge)
            .unwrap_or_else(|_| HeaderValue::from_static("DPoP algs=\"RS256 PS256 ES256 EdDSA\""));
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
        return response;
    }
    // RFC 6750 section 3: without a token, the challenge carries no error code.
    let challenge = match code {
        None => format!("Bearer realm=\"{REALM}\""),
        Some("insufficient_scope") => format!(
            "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", error_description=\"{}\", scope=\"{scope}\"",
            quote(&description)
        ),
        Some(code) => format!(
            "Bearer realm=\"{REALM}\", error=\"{code}\", error_description=\"{}\"",
            quote(&description)
        ),
    };
    let body = match code {
        None => json!({"error": "invalid_token", "error_description": "no access token was sent"}),
        Some(code) => json!({"error": code, "error_description": description}),
    };
    let mut response = (status, Json(body)).into_response();
    // RFC 6750 section 3: a 401 carries a challenge. A description that cannot be a header
    // value still gets one, with the error code alone.
    let value = HeaderValue::from_str(&challenge).unwrap_or_else(|_| {
        let bare = match code {
            Some(code) => format!("Bearer realm=\"{REALM}\", error=\"{code}\""),
            None => format!("Bearer realm=\"{REALM}\""),
        };
        HeaderValue::from_str(&bare).unwrap_or(HeaderValue::from_static("Bearer"))
    });
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, value);
    if code.is_none() {
        // RFC 9449 section 7.1: a resource that takes DPoP-bound tokens says so too.
        response.headers_mut().append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("DPoP algs=\"RS256 PS256 ES256 EdDSA\""),
        );
    }
    response
}
