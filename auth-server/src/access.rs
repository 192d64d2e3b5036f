//! Who may call each route: one table, [`ROUTES`], that the router is built from.
//!
//! [`Routes`] is the only way [`crate::router`] adds a route, and it refuses (panics at start-up,
//! so every test fails) a method and path without a rule here. The extractors of the token-guarded
//! routes ([`crate::api::AccountUser`], [`crate::api::UserReader`]) read the scopes they demand
//! from this table by the matched route, not from the handler, so a route and its rule cannot
//! drift apart. `tests/api/route_rules.rs` calls every route of the table with every class of
//! caller and checks that each gets what the rule says; `docs/security.md` prints the table.
//!
//! This module knows paths, methods and rules; it does not know handlers' logic.

use crate::state::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::http::request::Parts;
use axum::routing::{MethodFilter, on};

/// Scope of the account API for reading the user's own account (`GET /api/account/...`).
pub const ACCOUNT_READ: &str = "account";
/// Scope of the account API for changing the user's own account; it includes reading.
pub const ACCOUNT_WRITE: &str = "account:write";
/// Scope of service tokens that look users up.
pub const USERS_READ: &str = "users:read";
/// Scope of the admin API (clients registered with it, users with the `admin` role).
pub const ADMIN: &str = "admin";
/// Scope of a client token that may read `/metrics`.
pub const METRICS: &str = "metrics";

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, without credentials (what happens next may depend on the browser's session, or
    /// on a single-use token in the request, such as a reset link).
    Anonymous,
    /// A browser that holds a pending authorization request or login challenge of its own (the
    /// handle in the request and the cookie it is bound to); anything else gets an error page.
    Pending,
    /// A browser with a live session (form posts also need the CSRF token); without one, a
    /// redirect to the login page.
    Session,
    /// The client itself: client authentication (RFC 6749 section 2.3), or a public client's
    /// `client_id`, as the endpoint allows.
    Client,
    /// An access token of an active user, issued with one of these scopes.
    UserToken(&'static [&'static str]),
    /// An access token (of a service or a user) with one of these scopes.
    Token(&'static [&'static str]),
    /// An access token with the `admin` scope.
    Admin,
    /// The admin console: a session of a user whose roles allow a console area, signed in
    /// with a second factor (form posts also need the CSRF token; each page checks its own
    /// area); without a session, a redirect to the login page, otherwise a 403 page.
    Console,
    /// Anyone while registration is open; the initial access token when one is configured
    /// (RFC 7591 section 3).
    Registration,
    /// The registration access token of the client in the path (RFC 7592 section 2).
    RegistrationToken,
    /// The configured metrics token, or an access token with the `metrics` or `admin` scope.
    Metrics,
}

impl Rule {
    /// The rule as a sentence, for the table in `docs/security.md`.
    pub fn describe(self) -> String {
        let scopes = |s: &[&str]| {
            s.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        match self {
            Self::Anonymous => "anonymous".into(),
            Self::Pending => "browser with its own pending request".into(),
            Self::Session => "session (cookie + CSRF token on posts)".into(),
            Self::Client => "client authentication (or a public client's `client_id`)".into(),
            Self::UserToken(s) => format!("user token with {}", scopes(s)),
            Self::Token(s) => format!("token with {}", scopes(s)),
            Self::Admin => "token with `admin`".into(),
            Self::Console => {
                "session of an administrator with a second factor (+ CSRF token on posts)".into()
            }
            Self::Registration => "anonymous (open) or initial access token".into(),
            Self::RegistrationToken => "registration access token of that client".into(),
            Self::Metrics => "metrics token, or token with `metrics` or `admin`".into(),
        }
    }
}

/// One route and its rule.
#[derive(Debug, Clone)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path pattern, as the router matches it.
    pub path: &'static str,
    /// Who may call it.
    pub rule: Rule,
}

const fn route(method: Method, path: &'static str, rule: Rule) -> Route {
    Route { method, path, rule }
}

const ACCOUNT_READERS: &[&str] = &[ACCOUNT_READ, ACCOUNT_WRITE];
const ACCOUNT_WRITERS: &[&str] = &[ACCOUNT_WRITE];
const USER_READERS: &[&str] = &[USERS_READ, ADMIN];
const OPENID: &[&str] = &["openid"];

use Rule::{
    Admin, Anonymous, Client, Console, Metrics, Pending, Registration, RegistrationToken, Session,
    Token, UserToken,
};

/// Every route of the server and who may call it.
pub const ROUTES: &[Route] = &[
    // OAuth and OIDC endpoints for machines (any origin may call them, without cookies).
    route(Method::POST, "/token", Client),
    route(Method::POST, "/par", Client),
    route(Method::POST, "/device_authorization", Client),
    route(Method::POST, "/introspect", Client),
    route(Method::POST, "/revoke", Client),
    route(Method::GET, "/userinfo", UserToken(OPENID)),
    route(Method::POST, "/userinfo", UserToken(OPENID)),
    route(Method::GET, "/.well-known/openid-configuration", Anonymous),
    route(
        Method::GET,
        "/.well-known/oauth-authorization-server",
        Anonymous,
    ),
    route(Method::GET, "/jwks.json", Anonymous),
    // The browser's side of the flows.
    route(Method::GET, "/authorize", Anonymous),
    route(Method::GET, "/authorize/continue", Pending),
    route(Method::GET, "/login", Anonymous),
    route(Method::POST, "/login", Anonymous),
    route(Method::POST, "/login/second-factor", Pending),
    // Passkeys (W3C WebAuthn): the JSON halves of the ceremonies, form-encoded posts with the
    // CSRF token. Sign-in is anonymous (the signature is the credential); the second step
    // needs the browser's own login challenge.
    route(Method::POST, "/login/passkey/options", Anonymous),
    route(Method::POST, "/login/passkey", Anonymous),
    route(
        Method::POST,
        "/login/second-factor/passkey/options",
        Pending,
    ),
    route(Method::POST, "/login/second-factor/passkey", Pending),
    route(Method::GET, "/static/passkeys.js", Anonymous),
    // Sign-in with an upstream provider: the button, the upstream's redirect back (acts only
    // for the browser whose state it carries), and the link or second-factor step.
    route(Method::POST, "/login/upstream/{id}", Anonymous),
    route(Method::GET, "/login/upstream/{id}/callback", Anonymous),
    route(Method::POST, "/login/upstream-continue", Pending),
    route(Method::GET, "/signup", Anonymous),
    route(Method::POST, "/signup", Anonymous),
    route(Method::GET, "/consent", Pending),
    route(Method::POST, "/consent", Pending),
    // RFC 8628 section 3.3: the user enters a device's code; signed in, or sent to log in.
    route(Method::GET, "/device", Session),
    route(Method::POST, "/device", Session),
    route(Method::POST, "/device/decision", Session),
    route(Method::GET, "/logout", Anonymous),
    route(Method::POST, "/logout", Anonymous),
    route(Method::GET, "/verify-email", Anonymous),
    route(Method::POST, "/verify-email", Anonymous),
    route(Method::GET, "/verify-email/resend", Anonymous),
    route(Method::POST, "/verify-email/resend", Anonymous),
    route(Method::GET, "/forgot-password", Anonymous),
    route(Method::POST, "/forgot-password", Anonymous),
    route(Method::GET, "/reset-password", Anonymous),
    route(Method::POST, "/reset-password", Anonymous),
    route(Method::GET, "/static/auth.css", Anonymous),
    // The account pages.
    route(Method::GET, "/account", Session),
    route(Method::POST, "/account/profile", Session),
    route(Method::POST, "/account/password", Session),
    route(Method::POST, "/account/code", Session),
    route(Method::POST, "/account/email", Session),
    route(Method::POST, "/account/totp", Session),
    route(Method::POST, "/account/totp/confirm", Session),
    route(Method::POST, "/account/totp/disable", Session),
    route(Method::POST, "/account/recovery-codes", Session),
    route(Method::POST, "/account/sessions/end", Session),
    route(Method::POST, "/account/passkeys/register/options", Session),
    route(Method::POST, "/account/passkeys/register", Session),
    route(Method::POST, "/account/passkeys/rename", Session),
    route(Method::POST, "/account/passkeys/remove", Session),
    route(Method::GET, "/account/apps", Session),
    route(Method::POST, "/account/apps/remove", Session),
    route(Method::POST, "/account/upstream/{id}/link", Session),
    route(Method::POST, "/account/upstream/{id}/unlink", Session),
    // The admin console (issue 24); its pages check their own area.
    route(Method::GET, "/admin", Console),
    route(Method::GET, "/admin/console/users", Console),
    route(Method::GET, "/admin/console/users/{id}", Console),
    route(Method::POST, "/admin/console/users/{id}/disable", Console),
    route(Method::POST, "/admin/console/users/{id}/enable", Console),
    route(Method::POST, "/admin/console/users/{id}/sign-out", Console),
    route(
        Method::POST,
        "/admin/console/users/{id}/sessions/end",
        Console,
    ),
    route(
        Method::POST,
        "/admin/console/users/{id}/second-factor/reset",
        Console,
    ),
    route(
        Method::POST,
        "/admin/console/users/{id}/verification",
        Console,
    ),
    route(
        Method::POST,
        "/admin/console/users/{id}/roles/grant",
        Console,
    ),
    route(
        Method::POST,
        "/admin/console/users/{id}/roles/revoke",
        Console,
    ),
    route(Method::POST, "/admin/console/users/{id}/delete", Console),
    route(Method::GET, "/admin/console/roles", Console),
    route(Method::POST, "/admin/console/roles", Console),
    route(
        Method::POST,
        "/admin/console/roles/{name}/permissions",
        Console,
    ),
    route(Method::GET, "/admin/console/outboxes", Console),
    route(Method::POST, "/admin/console/outboxes/retry", Console),
    route(Method::GET, "/admin/console/keys", Console),
    route(Method::POST, "/admin/console/keys/rotate", Console),
    route(Method::GET, "/admin/console/audit", Console),
    route(Method::GET, "/admin/console/clients", Console),
    route(Method::POST, "/admin/console/clients", Console),
    route(Method::GET, "/admin/console/clients/{id}", Console),
    route(Method::POST, "/admin/console/clients/{id}", Console),
    route(Method::POST, "/admin/console/clients/{id}/secret", Console),
    route(Method::POST, "/admin/console/clients/{id}/delete", Console),
    // Operations.
    route(Method::GET, "/healthz", Anonymous),
    route(Method::GET, "/readyz", Anonymous),
    route(Method::GET, "/metrics", Metrics),
    // The account API.
    route(Method::POST, "/api/account/register", Anonymous),
    route(Method::GET, "/api/account/me", UserToken(ACCOUNT_READERS)),
    route(Method::PATCH, "/api/account/me", UserToken(ACCOUNT_WRITERS)),
    route(
        Method::POST,
        "/api/account/password",
        UserToken(ACCOUNT_WRITERS),
    ),
    route(Method::POST, "/api/account/password/forgot", Anonymous),
    route(Method::POST, "/api/account/password/reset", Anonymous),
    route(
        Method::POST,
        "/api/account/otp/send",
        UserToken(ACCOUNT_WRITERS),
    ),
    route(
        Method::POST,
        "/api/account/otp/verify",
        UserToken(ACCOUNT_WRITERS),
    ),
    route(
        Method::GET,
        "/api/account/sessions",
        UserToken(ACCOUNT_READERS),
    ),
    route(
        Method::DELETE,
        "/api/account/sessions/{id}",
        UserToken(ACCOUNT_WRITERS),
    ),
    route(Method::GET, "/api/account/apps", UserToken(ACCOUNT_READERS)),
    route(
        Method::DELETE,
        "/api/account/apps/{client_id}",
        UserToken(ACCOUNT_WRITERS),
    ),
    route(Method::GET, "/api/users/registered", Token(USER_READERS)),
    route(Method::GET, "/api/users/{id}", Token(USER_READERS)),
    route(Method::GET, "/api/openapi.json", Anonymous),
    route(Method::GET, "/api/docs", Anonymous),
    route(Method::GET, "/api/docs/{file}", Anonymous),
    // The admin API.
    route(Method::GET, "/admin/users", Admin),
    route(Method::POST, "/admin/users", Admin),
    route(Method::GET, "/admin/users/{id}", Admin),
    route(Method::DELETE, "/admin/users/{id}", Admin),
    route(Method::POST, "/admin/users/{id}/disable", Admin),
    route(Method::POST, "/admin/users/{id}/enable", Admin),
    route(Method::POST, "/admin/users/{id}/sign-out", Admin),
    route(Method::PUT, "/admin/users/{id}/roles/{role}", Admin),
    route(Method::DELETE, "/admin/users/{id}/roles/{role}", Admin),
    route(Method::GET, "/admin/roles", Admin),
    route(Method::POST, "/admin/roles", Admin),
    route(Method::PUT, "/admin/roles/{name}/permissions", Admin),
    route(Method::GET, "/admin/clients", Admin),
    route(Method::POST, "/admin/clients", Admin),
    route(Method::GET, "/admin/clients/{id}", Admin),
    route(Method::PUT, "/admin/clients/{id}", Admin),
    route(Method::DELETE, "/admin/clients/{id}", Admin),
    route(Method::POST, "/admin/clients/{id}/secret", Admin),
    route(Method::PUT, "/admin/clients/{id}/token-exchange", Admin),
    route(Method::GET, "/admin/keys", Admin),
    route(Method::POST, "/admin/keys/rotate", Admin),
    route(Method::GET, "/admin/audit", Admin),
    // Dynamic client registration (only routed when registration is not disabled).
    route(Method::POST, "/register", Registration),
    route(Method::GET, "/register/{client_id}", RegistrationToken),
    route(Method::PUT, "/register/{client_id}", RegistrationToken),
    route(Method::DELETE, "/register/{client_id}", RegistrationToken),
];

/// The rule of `method` on the route pattern `path`, if the table has one.
pub fn rule_of(method: &Method, path: &str) -> Option<Rule> {
    ROUTES
        .iter()
        .find(|r| r.method == *method && r.path == path)
        .map(|r| r.rule)
}

/// The rule of the route a request matched; `None` when the route has none (refuse then).
pub fn rule_of_request(parts: &Parts) -> Option<Rule> {
    let path = parts.extensions.get::<axum::extract::MatchedPath>()?;
    rule_of(&parts.method, path.as_str())
}

/// The routes a router was built with, in the order they were added.
pub type Built = Vec<(Method, &'static str)>;

/// Builds a router from [`ROUTES`]: each route is added with its method and must have a rule.
pub struct Routes {
    router: Router<AppState>,
    built: Built,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

impl Routes {
    /// No routes yet.
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            built: Vec::new(),
        }
    }

    /// Adds `handler` for `method` on `path`.
    ///
    /// # Panics
    ///
    /// When the table has no rule for the route: a server with an undeclared route must not
    /// start (every test fails), so a new route cannot be added without saying who may call it.
    #[allow(clippy::panic, reason = "a programming error, found by every test")]
    pub fn add<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        if rule_of(&method, path).is_none() {
            panic!("route {method} {path} has no rule in access::ROUTES");
        }
        let Ok(filter) = MethodFilter::try_from(method.clone()) else {
            panic!("route {method} {path}: the method cannot be routed");
        };
        self.router = self.router.route(path, on(filter, handler));
        self.built.push((method, path));
        self
    }

    /// `GET` on `path`.
    pub fn get<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, handler)
    }

    /// `POST` on `path`.
    pub fn post<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, handler)
    }

    /// Adds the routes of `other` (with its own layers).
    pub fn merge(mut self, other: Self) -> Self {
        self.router = self.router.merge(other.router);
        self.built.extend(other.built);
        self
    }

    /// Applies `f` to the router built so far (to add layers).
    pub fn map(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Self {
        self.router = f(self.router);
        self
    }

    /// The router, and the routes it was built with.
    pub fn finish(self) -> (Router<AppState>, Built) {
        (self.router, self.built)
    }
}
