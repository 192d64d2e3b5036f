//! The console's roles and permissions: the roles with their permissions, a new role, and a
//! role's permissions replaced. Without `admin`, an operator with `roles:manage` creates and
//! changes only roles they could grant themselves ([`auth_core::admin::may_assign`]): no
//! `admin`, no permission they lack.

use super::{Console, Frame, notice, refused_with};
use crate::access::Routes;
use crate::error::PageError;
use crate::pages::form::Posted;
use crate::pages::templates::pages;
use crate::pages::{Browser, lenient_query, see_other};
use crate::state::AppState;
use auth_core::admin::{self, Area};
use auth_core::roles::{Role, RoleError, RoleName};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// The page's address.
pub const PATH: &str = "/admin/console/roles";

/// Adds the roles' page and forms.
pub fn routes(routes: Routes) -> Routes {
    routes
        .get(PATH, show)
        .post(PATH, create)
        .post("/admin/console/roles/{name}/permissions", set_permissions)
}

/// A role on the page: name, description, permissions (space-separated), whether the
/// administrator may change it.
pub struct RoleRow {
    pub name: String,
    pub description: String,
    pub permissions: String,
    pub changeable: bool,
}

pages! {
    /// `admin/roles.html`
    RolesPage("admin/roles.html") {
        pub frame: Frame<'a>,
        pub notice: Option<&'a str>,
        pub error: Option<&'a str>,
        pub roles: Vec<RoleRow>,
    }
}

async fn view(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let roles = state
        .provider
        .store()
        .roles()
        .await?
        .iter()
        .map(|r| RoleRow {
            name: r.name.to_string(),
            description: r.description.clone(),
            permissions: r
                .permissions
                .iter()
                .map(RoleName::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            changeable: admin::may_assign(&console.grants, r),
        })
        .collect();
    let shown = |t, product, frame| RolesPage {
        t,
        product,
        frame,
        notice,
        error,
        roles,
    };
    Ok(console.page(state, status, shown))
}

async fn refused(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    message: &str,
) -> PageError {
    refused_with(view(state, console, status, None, Some(message)).await)
}

/// `GET /admin/console/roles`
pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Roles).await?;
    let notice = notice(
        &lenient_query(query),
        &[
            ("created", "The role is created."),
            ("changed", "The role's permissions are replaced."),
        ],
    );
    view(&state, &console, StatusCode::OK, notice, None).await
}

/// Permission names separated by spaces or commas.
fn permissions(text: &str) -> Result<Vec<RoleName>, RoleError> {
    text.split([' ', ',', '\n', '\r', '\t'])
        .filter(|p| !p.is_empty())
        .map(RoleName::parse)
        .collect()
}

async fn role_error(state: &AppState, console: &Console, e: RoleError) -> PageError {
    let status = match e {
        RoleError::Store(e) => return PageError::internal(e),
        RoleError::Duplicate(_) => StatusCode::CONFLICT,
        RoleError::NotFound(_) => StatusCode::NOT_FOUND,
        RoleError::InvalidName(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let message = crate::pages::login::sentence(&e.to_string());
    refused(state, console, status, &message).await
}

async fn beyond(state: &AppState, console: &Console) -> PageError {
    refused(
        state,
        console,
        StatusCode::FORBIDDEN,
        "You cannot give a role `admin` or a permission you do not hold.",
    )
    .await
}

/// `POST /admin/console/roles` (`name`, `description`, `permissions`)
pub async fn create(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Roles).await?;
    let parsed = RoleName::parse(params.get("name").unwrap_or("").trim())
        .and_then(|name| Ok((name, permissions(params.get("permissions").unwrap_or(""))?)));
    let (name, permissions) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return Err(role_error(&state, &console, e).await),
    };
    let role = Role {
        name,
        description: params.get("description").unwrap_or("").trim().to_owned(),
        permissions,
    };
    if !admin::may_assign(&console.grants, &role) {
        return Err(beyond(&state, &console).await);
    }
    let actor = console.user.id.to_string();
    match admin::create_role(&state.provider, &actor, &role).await {
        Ok(()) => Ok(see_other(
            &console.browser,
            &format!("{PATH}?notice=created"),
        )),
        Err(e) => Err(role_error(&state, &console, e).await),
    }
}

/// `POST /admin/console/roles/{name}/permissions` (`permissions`)
pub async fn set_permissions(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Roles).await?;
    let parsed = RoleName::parse(&name)
        .and_then(|name| Ok((name, permissions(params.get("permissions").unwrap_or(""))?)));
    let (name, permissions) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return Err(role_error(&state, &console, e).await),
    };
    let roles = state.provider.store().roles().await?;
    let Some(current) = roles.iter().find(|r| r.name == name) else {
        let message = format!("There is no role `{name}`.");
        return Err(refused(&state, &console, StatusCode::NOT_FOUND, &message).await);
    };
    let changed = Role {
        permissions: permissions.clone(),
        ..current.clone()
    };
    // Both the role as it is and as it would be must be within the operator's reach.
    if !admin::may_assign(&console.grants, current) || !admin::may_assign(&console.grants, &changed)
    {
        return Err(beyond(&state, &console).await);
    }
    let actor = console.user.id.to_string();
    match admin::set_permissions(&state.provider, &actor, &name, &permissions).await {
        Ok(()) => Ok(see_other(
            &console.browser,
            &format!("{PATH}?notice=changed"),
        )),
        Err(e) => Err(role_error(&state, &console, e).await),
    }
}
