//! The errors of the JSON APIs (`/api` and `/admin`): one type, [`ApiError`], and each domain
//! error mapped to it once, here.
//!
//! The status says whose problem it is: 400 a malformed request (not the expected JSON, an
//! unknown field, a malformed name), 403 a wrong current password or a missing step-up code,
//! 404 an unknown user, role, client or session, 409 something that exists already (an e-mail
//! address, a role, a client id), 422 a value the policy refuses (weak password, invalid
//! address, locale or phone number), 429 too many attempts (`Retry-After`), 503 a text message
//! that could not be sent, 500 a failure of the server ("internal error", the cause logged).
//! Token refusals are RFC 6750 challenges ([`crate::bearer::refuse`]), not these.

use super::no_store;
use auth_core::account::AccountError;
use auth_core::clients::ClientError;
use auth_core::otp::OtpError;
use auth_core::password_reset::ResetError;
use auth_core::roles::RoleError;
use auth_core::store::StoreError;
use auth_core::throttle::Throttled;
use auth_core::users::UserError;
use auth_core::verification::LinkError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An API error: `{"error": ..., "error_description": ...}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    /// Machine-readable code: `invalid_request`, `invalid_token`, `insufficient_scope`,
    /// `step_up_required`, `not_found`, `conflict`, `too_many_requests`,
    /// `temporarily_unavailable`, `server_error`.
    pub error: String,
    /// What was wrong.
    pub error_description: String,
}

/// An error answer of the JSON APIs.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    description: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    /// 400 `invalid_request`: the request is malformed.
    pub fn invalid(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 422 `invalid_request`: a well-formed value the policy refuses.
    pub fn refused(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            description,
        )
    }

    /// 404 `not_found`.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    /// 409 `conflict`: what was to be created exists already.
    pub fn conflict(description: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", description)
    }

    /// 500 `server_error`: says "internal error" and logs `cause`.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            error: self.code.to_owned(),
            error_description: self.description,
        };
        let mut response = (self.status, no_store(), Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::invalid(format!(
            "the request body is not the expected JSON: {}",
            rejection.body_text()
        ))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::invalid(rejection.body_text())
    }
}

/// 429 `too_many_requests` with `Retry-After`.
impl From<Throttled> for ApiError {
    fn from(throttled: Throttled) -> Self {
        Self {
            retry_after: Some(throttled.retry_after_secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("too many requests; try again in {}", throttled.wait()),
            )
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::internal(e)
    }
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Throttled(t) => t.into(),
            UserError::Internal(cause) => Self::internal(cause),
            UserError::NotFound(_) => Self::not_found(e.to_string()),
            UserError::EmailTaken => Self::conflict(e.to_string()),
            UserError::InvalidEmail(_)
            | UserError::Password(_)
            | UserError::InvalidProfile(_)
            | UserError::Role(_) => Self::refused(e.to_string()),
        }
    }
}

impl From<OtpError> for ApiError {
    fn from(e: OtpError) -> Self {
        match e {
            OtpError::Throttled(t) => t.into(),
            OtpError::Internal(cause) => Self::internal(cause),
            OtpError::DeliveryFailed(why) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                why,
            ),
            OtpError::Wrong {
                attempts_left: Some(left),
            } => Self::invalid(format!("the code is not correct; {left} tries left")),
            other => Self::invalid(other.to_string()),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Throttled(t) => t.into(),
            AccountError::Otp(e) => e.into(),
            AccountError::User(e) => e.into(),
            AccountError::WrongPassword | AccountError::ReauthenticationRequired => {
                Self::new(StatusCode::FORBIDDEN, "invalid_request", e.to_string())
            }
            AccountError::StepUpRequired(_) => {
                Self::new(StatusCode::FORBIDDEN, "step_up_required", e.to_string())
            }
        }
    }
}

impl From<ResetError> for ApiError {
    fn from(e: ResetError) -> Self {
        match e {
            ResetError::Link(LinkError::Invalid) => {
                Self::invalid("the reset link is invalid, was already used, or has expired")
            }
            ResetError::Link(LinkError::Internal(cause)) => Self::internal(cause),
            // The new password is refused; the link stays valid.
            ResetError::User(e) => e.into(),
        }
    }
}

impl From<RoleError> for ApiError {
    fn from(e: RoleError) -> Self {
        match e {
            RoleError::NotFound(m) => Self::not_found(m),
            RoleError::Duplicate(_) => Self::conflict(e.to_string()),
            RoleError::Store(cause) => Self::internal(cause),
            RoleError::InvalidName(_) => Self::invalid(e.to_string()),
        }
    }
}

impl From<ClientError> for ApiError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::NotFound(_) => Self::not_found(e.to_string()),
            ClientError::Duplicate(_) => Self::conflict(e.to_string()),
            ClientError::Store(cause) => Self::internal(cause),
            ClientError::InvalidId(_)
            | ClientError::InvalidRedirectUri(_)
            | ClientError::InvalidMetadata(_) => Self::invalid(e.to_string()),
        }
    }
}
