//! Extracting an OAuth request (form body + `Authorization` header) with rejections that are
//! OAuth errors, never axum's plain-text ones.

use crate::error::OAuthErrorResponse;
use crate::state::AppState;
use auth_core::OAuthError;
use auth_core::params::Params;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::net::SocketAddr;

/// A POSTed `application/x-www-form-urlencoded` OAuth request.
pub struct OAuthForm {
    /// The raw `Authorization` header.
    pub authorization: Option<String>,
    /// The body parameters.
    pub params: Params,
}

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let reject = |e: OAuthError| OAuthErrorResponse(e).into_response();
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            // RFC 6749 section 3.2: parameters are sent in the application/x-www-form-urlencoded format.
            return Err(reject(OAuthError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            )));
        }
        let authorization = match req.headers().get(header::AUTHORIZATION) {
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| {
                        reject(OAuthError::invalid_request(
                            "the Authorization header is not visible ASCII",
                        ))
                    })?
                    .to_owned(),
            ),
            None => None,
        };
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            let mut response = reject(OAuthError::invalid_request(
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "the request body is too large"
                } else {
                    "the request body could not be read"
                },
            ));
            *response.status_mut() = status;
            response
        })?;
        let params = Params::parse(&body).map_err(reject)?;
        Ok(Self {
            authorization,
            params,
        })
    }
}

/// The client's address: from the configured proxy header (its last entry), else the TCP peer.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let from_header = state.web.client_ip_header.as_deref().and_then(|name| {
            let value = parts.headers.get(name)?.to_str().ok()?;
            let last = value.rsplit(',').next()?.trim();
            last.parse::<std::net::IpAddr>()
                .ok()
                .map(|ip| ip.to_string())
        });
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        Ok(Self(from_header.or(peer).unwrap_or_default()))
    }
}
