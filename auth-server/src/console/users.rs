//! The console's users: a search by the start of the e-mail address or the name, paged by a
//! cursor (an index range scan, as fast with a million users as with a thousand), and a
//! user's page with the actions of [`auth_core::admin`].

use super::{Console, Frame, notice, refused_with};
use crate::access::Routes;
use crate::error::PageError;
use crate::pages::form::Posted;
use crate::pages::templates::pages;
use crate::pages::{Browser, lenient_query, see_other};
use crate::state::AppState;
use crate::views::rfc3339;
use auth_core::admin::{self, Area};
use auth_core::params::Params;
use auth_core::roles::{RoleError, RoleName};
use auth_core::store::{AuditEvent, AuditFilter, SearchField, UserSearch};
use auth_core::users::{User, UserError, UserId};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// The list's address.
pub const PATH: &str = "/admin/console/users";

/// Users per page.
const PAGE_SIZE: u32 = 50;

/// Adds the users' pages and forms.
pub fn routes(routes: Routes) -> Routes {
    routes
        .get(PATH, list)
        .get("/admin/console/users/{id}", show)
        .post("/admin/console/users/{id}/disable", disable)
        .post("/admin/console/users/{id}/enable", enable)
        .post("/admin/console/users/{id}/sign-out", sign_out)
        .post("/admin/console/users/{id}/sessions/end", end_session)
        .post(
            "/admin/console/users/{id}/second-factor/reset",
            reset_second_factor,
        )
        .post(
            "/admin/console/users/{id}/verification",
            resend_verification,
        )
        .post("/admin/console/users/{id}/roles/grant", grant_role)
        .post("/admin/console/users/{id}/roles/revoke", revoke_role)
        .post("/admin/console/users/{id}/delete", delete)
}

/// One row of the list.
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub verified: bool,
    pub disabled: bool,
    pub created: String,
}

impl From<&User> for UserRow {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.as_str().to_owned(),
            name: user.profile.name.clone(),
            verified: user.email_verified,
            disabled: !user.is_active(),
            created: rfc3339(user.created_at),
        }
    }
}

pages! {
    /// `admin/users.html`
    UsersPage("admin/users.html") {
        pub frame: Frame<'a>,
        pub query: &'a str,
        pub by_name: bool,
        pub users: Vec<UserRow>,
        /// The query string of the next page, if there may be one.
        pub next: Option<String>,
    }
}

/// An audit event as the console shows it.
pub struct EventRow {
    pub at: String,
    pub event: String,
    pub outcome: String,
    pub user: String,
    pub actor: String,
    pub client: String,
    pub ip: String,
    pub details: String,
}

impl From<AuditEvent> for EventRow {
    fn from(e: AuditEvent) -> Self {
        Self {
            at: rfc3339(e.at),
            event: e.event,
            outcome: e.outcome,
            user: e.user_id.unwrap_or_default(),
            actor: e.actor.unwrap_or_default(),
            client: e.client_id.unwrap_or_default(),
            ip: e.ip.unwrap_or_default(),
            details: e.details,
        }
    }
}

pages! {
    /// `admin/user.html`
    UserPage("admin/user.html") {
        pub frame: Frame<'a>,
        pub notice: Option<&'a str>,
        pub error: Option<&'a str>,
        pub user: UserRow,
        pub given_name: String,
        pub family_name: String,
        pub locale: String,
        pub phone: String,
        pub has_password: bool,
        pub roles: Vec<String>,
        pub permissions: Vec<String>,
        /// Roles that exist and the user does not have.
        pub grantable: Vec<String>,
        /// (id, created, last seen, user agent, ip, amr)
        pub sessions: Vec<(String, String, String, String, String, String)>,
        pub totp: bool,
        pub passkeys: usize,
        /// (provider, upstream address)
        pub upstream: Vec<(String, String)>,
        pub events: Vec<EventRow>,
        /// Whether the page shows the administrator's own account (no disable, delete or own
        /// role revocation from here: the console must not lock its operator out).
        pub own: bool,
    }
}

use crate::pages::login::urlencode as encode;

/// `GET /admin/console/users?q=&by=email|name&after=&after_id=`
pub async fn list(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Users).await?;
    let params = lenient_query(query);
    let text = params.get("q").unwrap_or("").trim();
    let by_name = params.get("by") == Some("name");
    let after = match (params.get("after"), params.get("after_id")) {
        (Some(key), Some(id)) => Some((key.to_owned(), id.to_owned())),
        _ => None,
    };
    let search = UserSearch {
        field: if by_name {
            SearchField::Name
        } else {
            SearchField::Email
        },
        prefix: text.to_lowercase(),
        after,
        limit: PAGE_SIZE + 1,
    };
    let mut found = state.provider.store().search_users(&search).await?;
    let more = found.len() > PAGE_SIZE as usize;
    found.truncate(PAGE_SIZE as usize);
    // The cursor is the key the database sorted by (its `lower`, not Rust's).
    let next = found.last().filter(|_| more).map(|(last, key)| {
        format!(
            "q={}&by={}&after={}&after_id={}",
            encode(text),
            if by_name { "name" } else { "email" },
            encode(key),
            encode(last.id.as_str())
        )
    });
    let users = |t, product, frame| UsersPage {
        t,
        product,
        frame,
        query: text,
        by_name,
        users: found.iter().map(|(user, _)| UserRow::from(user)).collect(),
        next,
    };
    Ok(console.page(&state, StatusCode::OK, users))
}

fn parse_id(console: &Console, state: &AppState, id: &str) -> Result<UserId, PageError> {
    UserId::parse(id).ok_or_else(|| not_found(console, state))
}

fn not_found(console: &Console, state: &AppState) -> PageError {
    console.not_found(
        state,
        (
            "No such user",
            "There is no user with this id. It may have been deleted.",
        ),
        (PATH, "Users"),
    )
}

/// The notices a redirect back to a user's page can carry.
const NOTICES: &[(&str, &str)] = &[
    (
        "disabled",
        "The account is disabled and its sessions are ended.",
    ),
    ("enabled", "The account is enabled."),
    ("signed-out", "Every session of the account is ended."),
    ("session-ended", "The session is ended."),
    (
        "second-factor-reset",
        "The authenticator app and the recovery codes are removed, and the account's sessions ended. The user can set up a new one.",
    ),
    (
        "verification-sent",
        "A new confirmation link is on its way.",
    ),
    ("role-granted", "The role is granted."),
    ("role-revoked", "The role is revoked."),
];

async fn user_page(
    state: &AppState,
    console: &Console,
    id: &UserId,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let store = state.provider.store();
    let Some(user) = store.user(id).await? else {
        return Err(not_found(console, state));
    };
    let grants = store.user_grants(id).await?;
    let grantable = store
        .roles()
        .await?
        .into_iter()
        .filter(|r| admin::may_assign(&console.grants, r))
        .map(|r| r.name.to_string())
        .filter(|r| !grants.roles.contains(r))
        .collect();
    let now = state.provider.clock().unix();
    let sessions = store
        .user_sessions(id, now)
        .await?
        .into_iter()
        .map(|s| {
            (
                s.id,
                rfc3339(s.created_at),
                rfc3339(s.last_seen_at),
                s.user_agent,
                s.ip,
                s.amr.join(" "),
            )
        })
        .collect();
    let totp = auth_core::otp::totp::is_enabled(&state.provider, &user)
        .await
        .map_err(PageError::internal)?;
    let passkeys = store.user_passkeys(id).await?.len();
    let upstream = store
        .upstream_identities(id)
        .await?
        .into_iter()
        .map(|u| (u.provider_id, u.email.unwrap_or_default()))
        .collect();
    let events = store
        .audit_events(&AuditFilter {
            user_id: Some(id.to_string()),
            limit: 50,
            ..AuditFilter::default()
        })
        .await?
        .into_iter()
        .map(EventRow::from)
        .collect();
    let view = |t, product, frame| UserPage {
        t,
        product,
        frame,
        notice,
        error,
        user: UserRow::from(&user),
        given_name: user.profile.given_name.clone().unwrap_or_default(),
        family_name: user.profile.family_name.clone().unwrap_or_default(),
        locale: user.profile.locale.clone().unwrap_or_default(),
        phone: user.phone_number.clone().unwrap_or_default(),
        has_password: user.password_hash.is_some(),
        roles: grants.roles,
        permissions: grants.permissions,
        grantable,
        sessions,
        totp,
        passkeys,
        upstream,
        events,
        own: user.id == console.user.id,
    };
    Ok(console.page(state, status, view))
}

/// `GET /admin/console/users/{id}`
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Users).await?;
    let id = parse_id(&console, &state, &id)?;
    let params = lenient_query(query);
    let notice = notice(&params, NOTICES);
    user_page(&state, &console, &id, StatusCode::OK, notice, None).await
}

/// A posted action on a user: the console, the area, the user's id, the form.
async fn action(
    state: &AppState,
    posted: Posted,
    id: &str,
) -> Result<(Console, UserId, Params), PageError> {
    let Posted { browser, params } = posted;
    let console = Console::open(state, browser, Area::Users).await?;
    let id = parse_id(&console, state, id)?;
    // Only accounts that hold nothing the administrator lacks (an operator with
    // `users:manage` cannot disable, delete or sign out an administrator).
    let target = state.provider.store().user_grants(&id).await?;
    if !admin::may_manage(&console.grants, &target) {
        return Err(refused(
            state,
            &console,
            &id,
            StatusCode::FORBIDDEN,
            "This account holds permissions you do not: only an administrator with `admin` can change it.",
        )
        .await);
    }
    Ok((console, id, params))
}

/// Back to the user's page with a notice.
fn done(console: &Console, id: &UserId, notice: &str) -> Response {
    see_other(
        &console.browser,
        &format!("{PATH}/{}?notice={notice}", encode(id.as_str())),
    )
}

/// The user's page again with `message` as its error.
async fn refused(
    state: &AppState,
    console: &Console,
    id: &UserId,
    status: StatusCode,
    message: &str,
) -> PageError {
    refused_with(user_page(state, console, id, status, None, Some(message)).await)
}

async fn user_error(state: &AppState, console: &Console, id: &UserId, e: UserError) -> PageError {
    match e {
        UserError::NotFound(_) => not_found(console, state),
        UserError::Internal(e) => PageError::internal(e),
        other => {
            let message = crate::pages::login::sentence(&other.to_string());
            refused(
                state,
                console,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &message,
            )
            .await
        }
    }
}

/// Refuses an action on the administrator's own account that would lock them out.
async fn not_on_self(
    state: &AppState,
    console: &Console,
    id: &UserId,
    what: &str,
) -> Result<(), PageError> {
    if *id == console.user.id {
        return Err(refused(
            state,
            console,
            id,
            StatusCode::CONFLICT,
            &format!("You cannot {what} your own account from the console."),
        )
        .await);
    }
    Ok(())
}

/// An action on the user of a form that only needs the acting administrator: refused on
/// their own account when `not_own` names it, then back to the user's page with `notice`.
async fn simple<F, Fut>(
    state: AppState,
    posted: Posted,
    id: &str,
    not_own: Option<&str>,
    notice: &str,
    act: F,
) -> Result<Response, PageError>
where
    F: FnOnce(AppState, String, UserId) -> Fut,
    Fut: std::future::Future<Output = Result<(), UserError>>,
{
    let (console, id, _) = action(&state, posted, id).await?;
    if let Some(what) = not_own {
        not_on_self(&state, &console, &id, what).await?;
    }
    let actor = console.user.id.to_string();
    match act(state.clone(), actor, id.clone()).await {
        Ok(()) => Ok(done(&console, &id, notice)),
        Err(e) => Err(user_error(&state, &console, &id, e).await),
    }
}

/// `POST .../disable`
pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    simple(state, posted, &id, Some("disable"), "disabled", |state, actor, id| async move {
        admin::set_disabled(&state.provider, &actor, &id, true).await
    })
    .await
}

/// `POST .../enable`
pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    simple(state, posted, &id, None, "enabled", |state, actor, id| async move {
        admin::set_disabled(&state.provider, &actor, &id, false).await
    })
    .await
}

/// `POST .../sign-out`: ends every session of the account.
pub async fn sign_out(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let own = Some("sign out every session of");
    simple(
        state,
        posted,
        &id,
        own,
        "signed-out",
        |state, actor, id| async move { admin::sign_out(&state.provider, &actor, &id).await },
    )
    .await
}

/// `POST .../sessions/end` (`session`): ends one session.
pub async fn end_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let (console, id, params) = action(&state, posted, &id).await?;
    let session = params.get("session").unwrap_or("");
    let actor = console.user.id.to_string();
    match admin::end_session(&state.provider, &actor, &id, session).await {
        Ok(()) => Ok(done(&console, &id, "session-ended")),
        Err(UserError::NotFound(_)) => Err(refused(
            &state,
            &console,
            &id,
            StatusCode::NOT_FOUND,
            "That session does not exist (any more).",
        )
        .await),
        Err(e) => Err(user_error(&state, &console, &id, e).await),
    }
}

/// `POST .../second-factor/reset`
pub async fn reset_second_factor(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let notice = "second-factor-reset";
    simple(state, posted, &id, None, notice, |state, actor, id| async move {
        admin::reset_second_factor(&state.provider, &actor, &id).await
    })
    .await
}

/// `POST .../verification`: a new confirmation link.
pub async fn resend_verification(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let (console, id, _) = action(&state, posted, &id).await?;
    let actor = console.user.id.to_string();
    match admin::resend_verification(&state.provider, &actor, &id).await {
        Ok(true) => Ok(done(&console, &id, "verification-sent")),
        Ok(false) => Err(refused(
            &state,
            &console,
            &id,
            StatusCode::CONFLICT,
            "The address is confirmed already.",
        )
        .await),
        Err(e) => Err(user_error(&state, &console, &id, e).await),
    }
}

async fn change_role(
    state: &AppState,
    posted: Posted,
    id: &str,
    grant: bool,
) -> Result<Response, PageError> {
    let (console, id, params) = action(state, posted, id).await?;
    let role = match RoleName::parse(params.get("role").unwrap_or("")) {
        Ok(role) => role,
        Err(e) => {
            let message = crate::pages::login::sentence(&e.to_string());
            return Err(refused(
                state,
                &console,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &message,
            )
            .await);
        }
    };
    if !grant {
        // Any role may be what lets the administrator in (`admin`, or a role with a console
        // permission): none of their own is revoked here.
        not_on_self(state, &console, &id, "revoke a role of").await?;
    }
    let stored = state.provider.store().roles().await?;
    if let Some(found) = stored.iter().find(|r| r.name == role)
        && !admin::may_assign(&console.grants, found)
    {
        return Err(refused(
            state,
            &console,
            &id,
            StatusCode::FORBIDDEN,
            &format!(
                "You cannot grant or revoke the role `{role}`: it carries permissions you do not hold."
            ),
        )
        .await);
    }
    let actor = console.user.id.to_string();
    match admin::change_role(&state.provider, &actor, &id, &role, grant).await {
        Ok(()) => Ok(done(
            &console,
            &id,
            if grant {
                "role-granted"
            } else {
                "role-revoked"
            },
        )),
        Err(RoleError::Store(e)) => Err(PageError::internal(e)),
        Err(e) => {
            let message = crate::pages::login::sentence(&e.to_string());
            Err(refused(
                state,
                &console,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &message,
            )
            .await)
        }
    }
}

/// `POST .../roles/grant` (`role`)
pub async fn grant_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    change_role(&state, posted, &id, true).await
}

/// `POST .../roles/revoke` (`role`)
pub async fn revoke_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    change_role(&state, posted, &id, false).await
}

/// `POST .../delete`: needs the administrator's password or a sign-in within five minutes.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let (console, id, params) = action(&state, posted, &id).await?;
    not_on_self(&state, &console, &id, "delete").await?;
    if let Err(message) = console.reauthenticate(&state, &params).await? {
        let message = format!("{message} The account is not deleted.");
        return Err(refused(&state, &console, &id, StatusCode::FORBIDDEN, &message).await);
    }
    let actor = console.user.id.to_string();
    match admin::delete_user(&state.provider, &actor, &id).await {
        Ok(()) => Ok(see_other(&console.browser, &format!("{PATH}?deleted=1"))),
        Err(e) => Err(user_error(&state, &console, &id, e).await),
    }
}
