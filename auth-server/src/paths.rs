//! Where each endpoint lives. Discovery is built from these, so it cannot point elsewhere.

/// OIDC Discovery metadata.
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
/// RFC 8414 metadata.
pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
/// The JWK set.
pub const JWKS: &str = "/jwks.json";
/// Token endpoint.
pub const TOKEN: &str = "/token";
/// Pushed authorization requests (RFC 9126).
pub const PAR: &str = "/par";
/// Device authorization endpoint (RFC 8628 section 3.1).
pub const DEVICE_AUTHORIZATION: &str = "/device_authorization";
/// The page where a user enters a device's user code (RFC 8628 section 3.3).
pub const DEVICE: &str = auth_core::device::VERIFICATION_PATH;
/// The user's decision on a device's request.
pub const DEVICE_DECISION: &str = "/device/decision";
/// Introspection (RFC 7662).
pub const INTROSPECT: &str = "/introspect";
/// Revocation (RFC 7009).
pub const REVOKE: &str = "/revoke";
/// Liveness.
pub const HEALTHZ: &str = "/healthz";
/// Readiness.
pub const READYZ: &str = "/readyz";
/// Prometheus metrics.
pub const METRICS: &str = "/metrics";
/// Authorization endpoint.
pub const AUTHORIZE: &str = "/authorize";
/// Continuing an authorization request after login.
pub const AUTHORIZE_CONTINUE: &str = "/authorize/continue";
/// Userinfo (OIDC).
pub const USERINFO: &str = "/userinfo";
/// RP-initiated logout.
pub const LOGOUT: &str = "/logout";
/// Dynamic client registration (RFC 7591).
pub const REGISTER: &str = "/register";
/// Login page.
pub const LOGIN: &str = "/login";
/// Sign-up page.
pub const SIGNUP: &str = "/signup";
/// Consent page.
pub const CONSENT: &str = "/consent";
/// Account page.
pub const ACCOUNT: &str = "/account";
/// Stylesheet of the pages.
pub const STYLESHEET: &str = "/static/auth.css";
/// E-mail verification link target.
pub const VERIFY_EMAIL: &str = "/verify-email";
/// Asking for a new verification link.
pub const RESEND_VERIFICATION: &str = "/verify-email/resend";
/// Forgot-password page.
pub const FORGOT_PASSWORD: &str = "/forgot-password";
/// Reset link target.
pub const RESET_PASSWORD: &str = "/reset-password";
/// Second step of a login.
pub const SECOND_FACTOR: &str = "/login/second-factor";
/// The account API.
pub const API: &str = "/api";
/// The OpenAPI document.
pub const OPENAPI_JSON: &str = "/api/openapi.json";
/// The API reference page.
pub const API_DOCS: &str = "/api/docs";
