//! `/api/account/...`: what a first-party app does for its signed-in user.

use super::{AccountUser, ApiErrorBody};
use crate::error::{ApiError, no_store};
use crate::extract::{ClientIp, JsonBody};
use crate::state::AppState;
use auth_core::account;
use auth_core::otp::codes::{self, Channel, CodePurpose};
use auth_core::password_reset;
use auth_core::throttle::{self, Feature, Key, Network};
use auth_core::users::password::Password;
use auth_core::users::{self, Email, NewUser, Profile, User, UserError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/account/register` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail address.
    pub email: String,
    /// Password (policy: at least the configured length, not a common password).
    pub password: String,
    /// Full name.
    #[serde(default)]
    pub name: String,
    /// Roles to pick, among the configured sign-up roles.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Answer of calls that only queue an e-mail.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Always `accepted`: the answer does not say whether an account exists.
    pub status: &'static str,
}

const ACCEPTED: Accepted = Accepted { status: "accepted" };

/// Creates an account and sends a verification link. Answers 202 whether or not the address
/// already has an account (that owner gets a notice by e-mail instead).
#[utoipa::path(post, path = "/api/account/register", tag = "account", request_body = RegisterRequest,
    responses(
        (status = 202, description = "Verification link sent (or the address's owner notified)", body = Accepted),
        (status = 422, description = "Invalid address, password or role", body = ApiErrorBody),
        (status = 429, description = "Too many sign-ups from this address", body = ApiErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<RegisterRequest>,
) -> Result<Response, ApiError> {
    let email = Email::parse(&body.email)?;
    let password = Password::new(body.password);
    state
        .provider
        .settings()
        .users
        .password
        .check(&password, email.as_str())
        .map_err(UserError::from)?;
    let roles = body
        .roles
        .iter()
        .map(|r| auth_core::roles::RoleName::parse(r))
        .collect::<Result<_, _>>()?;
    let new = NewUser {
        email,
        password,
        profile: Profile {
            name: body.name.trim().to_owned(),
            ..Profile::default()
        },
        roles,
        email_verified: false,
    };
    users::sign_up(&state.provider, new, &ip).await?;
    Ok((StatusCode::ACCEPTED, Json(ACCEPTED)).into_response())
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// User id (the `sub` of tokens).
    pub id: String,
    /// E-mail address.
    pub email: String,
    /// Whether the address is confirmed.
    pub email_verified: bool,
    /// Full name.
    pub name: String,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Language tag.
    pub locale: Option<String>,
    /// Phone number (E.164).
    pub phone_number: Option<String>,
    /// Roles.
    pub roles: Vec<String>,
    /// Permissions of the roles.
    pub permissions: Vec<String>,
    /// Whether an authenticator app is set up.
    pub totp_enabled: bool,
}

async fn me_of(state: &AppState, user: &User) -> Result<Me, ApiError> {
    let store = state.provider.store();
    let grants = store.user_grants(&user.id).await?;
    let totp_enabled = store
        .totp(&user.id)
        .await?
        .is_some_and(|t| t.confirmed_at.is_some());
    Ok(Me {
        id: user.id.to_string(),
        email: user.email.as_str().to_owned(),
        email_verified: user.email_verified,
        name: user.profile.name.clone(),
        given_name: user.profile.given_name.clone(),
        family_name: user.profile.family_name.clone(),
        locale: user.profile.locale.clone(),
        phone_number: user.phone_number.clone(),
        roles: grants.roles,
        permissions: grants.permissions,
        totp_enabled,
    })
}

/// The user of the bearer token.
#[utoipa::path(get, path = "/api/account/me", tag = "account", security(("bearer" = ["account"]), ("bearer" = ["account:write"])),
    responses((status = 200, body = Me), (status = 401, description = "No or invalid token", body = ApiErrorBody),
        (status = 403, description = "The token lacks the `account` scope", body = ApiErrorBody)))]
pub async fn me(State(state): State<AppState>, caller: AccountUser) -> Result<Response, ApiError> {
    Ok((no_store(), Json(me_of(&state, &caller.user).await?)).into_response())
}

/// `PATCH /api/account/me` request: fields to change; absent ones stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    /// Full name.
    pub name: Option<String>,
    /// Given name (empty clears it).
    pub given_name: Option<String>,
    /// Family name (empty clears it).
    pub family_name: Option<String>,
    /// Language tag (empty clears it).
    pub locale: Option<String>,
    /// Phone number in international form (empty clears it). A change needs `code`.
    pub phone_number: Option<String>,
    /// A step-up code (`POST /api/account/otp/send`), required when the phone number changes.
    pub code: Option<String>,
}

fn merge(new: Option<String>, old: &Option<String>) -> Option<String> {
    match new {
        Some(value) if value.trim().is_empty() => None,
        Some(value) => Some(value.trim().to_owned()),
        None => old.clone(),
    }
}

/// Changes the profile.
#[utoipa::path(patch, path = "/api/account/me", tag = "account", security(("bearer" = ["account:write"])), request_body = ProfileUpdate,
    responses((status = 200, body = Me), (status = 403, description = "A new phone number needs a step-up code, or the token lacks `account:write`", body = ApiErrorBody), (status = 422, description = "Invalid field", body = ApiErrorBody)))]
pub async fn update_me(
    State(state): State<AppState>,
    caller: AccountUser,
    JsonBody(body): JsonBody<ProfileUpdate>,
) -> Result<Response, ApiError> {
    let user = &caller.user;
    let profile = Profile {
        name: body
            .name
            .map_or_else(|| user.profile.name.clone(), |n| n.trim().to_owned()),
        given_name: merge(body.given_name, &user.profile.given_name),
        family_name: merge(body.family_name, &user.profile.family_name),
        locale: merge(body.locale, &user.profile.locale),
    };
    let phone = merge(body.phone_number, &user.phone_number);
    let updated = account::update_profile(
        &state.provider,
        user,
        &profile,
        phone.as_deref(),
        body.code.as_deref(),
        &caller.ip,
    )
    .await?;
    Ok((no_store(), Json(me_of(&state, &updated).await?)).into_response())
}

/// `POST /api/account/password` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    pub current_password: String,
    /// The new password.
    pub new_password: String,
}

/// Changes the password. The user's browser sessions end and their other grants are revoked;
/// the grant of the calling token stays.
#[utoipa::path(post, path = "/api/account/password", tag = "account", security(("bearer" = ["account:write"])), request_body = PasswordChange,
    responses((status = 204, description = "Changed"), (status = 403, description = "Wrong current password, or the token lacks `account:write`", body = ApiErrorBody),
        (status = 422, description = "The new password is refused", body = ApiErrorBody), (status = 429, body = ApiErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: AccountUser,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<Response, ApiError> {
    let family = state
        .provider
        .store()
        .family_of_access_token(&caller.claims.jti)
        .await?;
    let keep = family.and_then(|f| f.session_id);
    account::change_password(
        &state.provider,
        &caller.user,
        keep.as_deref(),
        &Password::new(body.current_password),
        &Password::new(body.new_password),
        &caller.ip,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/account/password/forgot` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPassword {
    /// The account's e-mail address.
    pub email: String,
}

/// Sends a password reset link. Answers 202 whether or not the address has an account.
#[utoipa::path(post, path = "/api/account/password/forgot", tag = "account", request_body = ForgotPassword,
    responses((status = 202, body = Accepted), (status = 429, body = ApiErrorBody)))]
pub async fn forgot_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<ForgotPassword>,
) -> Result<Response, ApiError> {
    let provider = &state.provider;
    throttle::hit(
        provider,
        &[&Key::network(Feature::PasswordReset, &Network::of(&ip))],
    )
    .await?;
    password_reset::request(provider, &body.email, &ip);
    Ok((StatusCode::ACCEPTED, Json(ACCEPTED)).into_response())
}

/// `POST /api/account/password/reset` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// The token from the reset link.
    pub token: String,
    /// The new password.
    pub password: String,
}

/// Sets a new password with the token of a reset link. Every session ends.
#[utoipa::path(post, path = "/api/account/password/reset", tag = "account", request_body = ResetPassword,
    responses((status = 204, description = "Changed"), (status = 400, description = "Invalid or used link", body = ApiErrorBody),
        (status = 422, description = "The new password is refused (the link stays valid)", body = ApiErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<ResetPassword>,
) -> Result<Response, ApiError> {
    password_reset::reset(
        &state.provider,
        &body.token,
        &Password::new(body.password),
        &ip,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/account/otp/send` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendCode {
    /// `email` (default) or `sms`.
    #[serde(default)]
    pub channel: Option<String>,
}

/// Sends a one-time code to confirm a sensitive action (step-up).
#[utoipa::path(post, path = "/api/account/otp/send", tag = "account", security(("bearer" = ["account:write"])), request_body = SendCode,
    responses((status = 202, body = Accepted), (status = 403, description = "The token lacks `account:write`", body = ApiErrorBody), (status = 400, description = "Channel unavailable", body = ApiErrorBody), (status = 429, body = ApiErrorBody), (status = 503, description = "The text message could not be sent", body = ApiErrorBody)))]
pub async fn send_code(
    State(state): State<AppState>,
    caller: AccountUser,
    JsonBody(body): JsonBody<SendCode>,
) -> Result<Response, ApiError> {
    let channel = match body.channel.as_deref() {
        None | Some("email") => Channel::Email,
        Some("sms") => Channel::Sms,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "channel `{other}` is not `email` or `sms`"
            )));
        }
    };
    codes::send(
        &state.provider,
        &caller.user,
        CodePurpose::StepUp,
        channel,
        &caller.ip,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(ACCEPTED)).into_response())
}

/// `POST /api/account/otp/verify` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyCode {
    /// The code.
    pub code: String,
}

/// Answer of a verified code.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verified {
    /// Always true.
    pub verified: bool,
}

/// Checks (and uses up) a step-up code.
#[utoipa::path(post, path = "/api/account/otp/verify", tag = "account", security(("bearer" = ["account:write"])), request_body = VerifyCode,
    responses((status = 200, body = Verified), (status = 403, description = "The token lacks `account:write`", body = ApiErrorBody), (status = 400, description = "Wrong, expired or used-up code", body = ApiErrorBody)))]
pub async fn verify_code(
    State(state): State<AppState>,
    caller: AccountUser,
    JsonBody(body): JsonBody<VerifyCode>,
) -> Result<Response, ApiError> {
    let provider = &state.provider;
    auth_core::otp::attempt(
        provider,
        &caller.user,
        &caller.ip,
        codes::verify(provider, &caller.user, CodePurpose::StepUp, &body.code),
    )
    .await?;
    Ok(Json(Verified { verified: true }).into_response())
}

/// A browser session of the user.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Session id.
    pub id: String,
    /// Started (seconds since the epoch).
    pub created_at: i64,
    /// Expires.
    pub expires_at: i64,
    /// Client address at sign-in.
    pub ip: String,
    /// Browser.
    pub user_agent: String,
    /// Authentication methods.
    pub amr: Vec<String>,
}

/// The user's browser sessions.
#[utoipa::path(get, path = "/api/account/sessions", tag = "account", security(("bearer" = ["account"]), ("bearer" = ["account:write"])),
    responses((status = 200, body = [SessionView]), (status = 403, description = "The token lacks the `account` scope", body = ApiErrorBody)))]
pub async fn sessions(
    State(state): State<AppState>,
    caller: AccountUser,
) -> Result<Response, ApiError> {
    let now = state.provider.clock().unix();
    let sessions = state
        .provider
        .store()
        .user_sessions(&caller.user.id, now)
        .await?;
    let views: Vec<SessionView> = sessions
        .into_iter()
        .map(|s| SessionView {
            id: s.id,
            created_at: s.created_at,
            expires_at: s.expires_at,
            ip: s.ip,
            user_agent: s.user_agent,
            amr: s.amr,
        })
        .collect();
    Ok((no_store(), Json(views)).into_response())
}

/// Ends one of the user's sessions (and revokes the tokens issued in it).
#[utoipa::path(delete, path = "/api/account/sessions/{id}", tag = "account", security(("bearer" = ["account:write"])),
    params(("id" = String, Path, description = "Session id")),
    responses((status = 204, description = "Ended"), (status = 403, description = "The token lacks `account:write`", body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn end_session(
    State(state): State<AppState>,
    caller: AccountUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let provider = &state.provider;
    let now = provider.clock().unix();
    let owned = provider
        .store()
        .user_sessions(&caller.user.id, now)
        .await?
        .iter()
        .any(|s| s.id == id);
    if !owned {
        return Err(ApiError::not_found(format!(
            "the user has no session `{id}`"
        )));
    }
    auth_core::sessions::end(provider, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
