//! `/admin`: the admin console, server-rendered pages for operators, in the hosted pages'
//! style and without JavaScript. Built on the admin API's rules ([`auth_core::admin`]): the
//! same actions, each in the audit log with the acting administrator.
//!
//! Who may enter ([`Console`]): a signed-in, active user whose roles allow at least one
//! [`Area`] (the `admin` role or permission, or a permission such as `users:manage`), in a
//! session that passed a second factor (`mfa` in its `amr`: an authenticator app, an e-mailed
//! code or a passkey with user verification). Each page checks its own area; every form carries
//! the CSRF token and passes the origin check ([`crate::pages::form::Posted`]); destructive
//! actions (deleting a user) need the password or a sign-in within five minutes.
//!
//! The console is in English: it is for the operators of the deployment, and its texts name
//! the API's fields and events.
//!
//! The admin API (`/admin/users`, `/admin/audit`, ...) keeps its paths; the console's pages
//! live under `/admin` and `/admin/console/`.

pub mod audit;
pub mod clients;
pub mod keys;
pub mod outboxes;
pub mod roles;
pub mod users;

use crate::access::Routes;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::pages::templates::Localized;
use crate::pages::templates::pages;
use crate::pages::{Browser, notice_text, render};
use crate::state::AppState;
use askama::Template;
use auth_core::admin::{self, Area};
use auth_core::params::Params;
use auth_core::sessions::Session;
use auth_core::users::User;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What a deployment without an administrator is told (at start-up and on `/admin`).
pub const FIRST_ADMIN_HELP: &str = "no administrator exists yet. Create one with the CLI: \
`auth-server role create admin --permission admin` (once), then \
`auth-server user create --email you@example.com --role admin --verified` (or \
`auth-server role grant you@example.com admin` for an existing account). Sign in, set up an \
authenticator app or a passkey on /account, sign in again with it, and open /admin.";

/// Adds the console's pages.
pub fn routes(routes: Routes) -> Routes {
    let routes = routes.get("/admin", home);
    let routes = users::routes(routes);
    let routes = clients::routes(routes);
    let routes = keys::routes(routes);
    let routes = roles::routes(routes);
    let routes = outboxes::routes(routes);
    audit::routes(routes)
}

/// The signed-in administrator of a console page.
pub struct Console {
    /// The browser (cookies, CSRF token).
    pub browser: Browser,
    /// The administrator.
    pub user: User,
    /// Their session.
    pub session: Session,
    /// Their roles and permissions.
    pub grants: auth_core::roles::Grants,
    /// The areas their roles allow.
    pub areas: Vec<Area>,
    /// English: the console's language.
    pub t: Tr,
}

/// A refusal of the console: a page with a way on (`back`: path and label).
fn refusal(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    (title, message): (&str, &str),
    (path, label): (&str, &str),
) -> PageError {
    PageError::rendered(notice_text(
        state,
        browser,
        status,
        title,
        message,
        Some((path.to_owned(), label.to_owned())),
    ))
}

/// A refusal of the console that leads to the administrator's account.
const TO_ACCOUNT: (&str, &str) = ("/account", "Your account");

/// The sentence of the `notice` a redirect back to a page carries, among the page's `known`
/// (code, sentence) pairs.
pub fn notice(params: &Params, known: &[(&str, &'static str)]) -> Option<&'static str> {
    let code = params.get("notice")?;
    known
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, sentence)| *sentence)
}

/// A page shown again with why a form was refused, or the error that kept it from showing.
pub fn refused_with(shown: Result<Response, PageError>) -> PageError {
    match shown {
        Ok(shown) => PageError::rendered(shown),
        Err(e) => e,
    }
}

impl Console {
    /// Lets the browser in, or answers why not: no session (to the login page), no area
    /// (403), no second factor in this session (403).
    pub async fn enter(state: &AppState, browser: Browser) -> Result<Self, PageError> {
        let (user, session) = crate::pages::account::signed_in(state, &browser).await?;
        let grants = state.provider.store().user_grants(&user.id).await?;
        let areas = admin::areas(&grants);
        if areas.is_empty() {
            let message = if admin::any_admin(&state.provider).await? {
                "Your account has no administrator role. Ask an administrator for one.".to_owned()
            } else {
                let mut help = FIRST_ADMIN_HELP.to_owned();
                if let Some(first) = help.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                help
            };
            return Err(refusal(
                state,
                &browser,
                StatusCode::FORBIDDEN,
                ("Not an administrator", &message),
                TO_ACCOUNT,
            ));
        }
        if !session.amr.iter().any(|m| m == "mfa") {
            return Err(refusal(
                state,
                &browser,
                StatusCode::FORBIDDEN,
                (
                    "Second step needed",
                    "The admin console needs a sign-in with a second step. Set up an \
                     authenticator app or a passkey on your account page, sign out, and sign in \
                     again with it.",
                ),
                TO_ACCOUNT,
            ));
        }
        let t = state.web.i18n.for_setting(Some("en"));
        Ok(Self {
            browser,
            user,
            session,
            grants,
            areas,
            t,
        })
    }

    /// Refuses a page of an area the administrator's roles do not allow (403).
    pub fn require(&self, state: &AppState, area: Area) -> Result<(), PageError> {
        if self.areas.contains(&area) {
            return Ok(());
        }
        let message = format!(
            "This part of the console needs the permission `{}` (or `admin`).",
            area.permission()
        );
        Err(refusal(
            state,
            &self.browser,
            StatusCode::FORBIDDEN,
            ("Not allowed", &message),
            TO_ACCOUNT,
        ))
    }

    /// Lets the browser into a page of `area`: [`Self::enter`], then [`Self::require`].
    pub async fn open(state: &AppState, browser: Browser, area: Area) -> Result<Self, PageError> {
        let console = Self::enter(state, browser).await?;
        console.require(state, area)?;
        Ok(console)
    }

    /// 404 for a thing of the console that is not there (`what`: title and sentence), with
    /// the way back to its list (`back`: path and label).
    pub fn not_found(&self, state: &AppState, what: (&str, &str), back: (&str, &str)) -> PageError {
        refusal(state, &self.browser, StatusCode::NOT_FOUND, what, back)
    }

    /// Re-authentication for a destructive action: the administrator's password in the form's
    /// `current_password`, or a sign-in within five minutes. `Ok(Err(sentence))` says why not.
    pub async fn reauthenticate(
        &self,
        state: &AppState,
        params: &auth_core::params::Params,
    ) -> Result<Result<(), String>, PageError> {
        use auth_core::account::{self, AccountError};
        let password = params
            .get("current_password")
            .filter(|p| !p.is_empty())
            .map(auth_core::users::password::Password::new);
        let proof = account::reauthenticate(
            &state.provider,
            &self.user,
            self.session.auth_time,
            password.as_ref(),
            &self.browser.ip,
        )
        .await;
        Ok(Err(match proof {
            Ok(()) => return Ok(Ok(())),
            Err(AccountError::Throttled(throttled)) => {
                return Err(PageError::throttled(
                    &self.browser,
                    &throttled,
                    crate::i18n::key("throttled-attempts"),
                ));
            }
            Err(AccountError::WrongPassword) => "Your password is not correct.".to_owned(),
            Err(AccountError::ReauthenticationRequired) => {
                "Enter your password: you signed in more than five minutes ago.".to_owned()
            }
            Err(other) => crate::pages::login::sentence(&other.to_string()),
        }))
    }

    /// A console page with the browser's cookies: `page` builds it from what every console
    /// page has, its messages (`t`), the product's name and the [`Frame`].
    pub fn page<'a, P: Template + Localized>(
        &'a self,
        state: &'a AppState,
        status: StatusCode,
        page: impl FnOnce(&'a Tr, &'a str, Frame<'a>) -> P,
    ) -> Response {
        let frame = Frame {
            csrf: self.browser.csrf_token(state),
            admin: self.user.email.as_str(),
            nav: self.areas.iter().map(|area| nav_entry(*area)).collect(),
        };
        let page = page(&self.t, &state.web.product_name, frame);
        (self.browser.jar(), render(state, status, &page)).into_response()
    }
}

/// The console's navigation entry of an area.
fn nav_entry(area: Area) -> (&'static str, &'static str) {
    match area {
        Area::Users => ("Users", users::PATH),
        Area::Clients => ("Clients", clients::PATH),
        Area::Roles => ("Roles", roles::PATH),
        Area::Keys => ("Signing keys", keys::PATH),
        Area::Audit => ("Audit log", audit::PATH),
        Area::Outboxes => ("Outboxes", outboxes::PATH),
    }
}

/// What every console page shows around its content.
pub struct Frame<'a> {
    /// The CSRF token of the forms.
    pub csrf: String,
    /// The administrator's address.
    pub admin: &'a str,
    /// (label, path) of the administrator's areas.
    pub nav: Vec<(&'static str, &'static str)>,
}

pages! {
    /// `admin/home.html`
    HomePage("admin/home.html") {
        pub frame: Frame<'a>,
        /// (label, path, what it is for) of the areas the administrator may open.
        pub areas: Vec<(&'static str, &'static str, &'static str)>,
    }
}

/// `GET /admin`
pub async fn home(State(state): State<AppState>, browser: Browser) -> Result<Response, PageError> {
    let console = Console::enter(&state, browser).await?;
    let areas = console
        .areas
        .iter()
        .map(|area| {
            let (label, path) = nav_entry(*area);
            let about = match area {
                Area::Users => "Search accounts; see and change a user's roles, sessions and second factors; disable or delete an account.",
                Area::Audit => "Security events: filter by event, user, client, outcome and time.",
                Area::Keys => "The signing keys and their states; add a new key.",
                Area::Roles => "Roles and the permissions they carry; new roles.",
                Area::Outboxes => "Mail and event deliveries waiting or given up; retry now.",
                Area::Clients => "The applications that use this server: create, change their redirect URIs, scopes and grant types, rotate secrets, delete.",
            };
            (label, path, about)
        })
        .collect();
    let home = |t, product, frame| HomePage {
        t,
        product,
        frame,
        areas,
    };
    Ok(console.page(&state, StatusCode::OK, home))
}
