//! The console's signing keys: each key with its state, and a rotation (after the publish
//! delay, or at once), which needs re-authentication.

use super::{Console, Frame, notice};
use crate::access::Routes;
use crate::error::PageError;
use crate::pages::form::Posted;
use crate::pages::templates::pages;
use crate::pages::{Browser, lenient_query, see_other};
use crate::state::AppState;
use crate::views::KeyView;
use auth_core::admin::{self, Area};
use auth_core::keys::Activation;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// The page's address.
pub const PATH: &str = "/admin/console/keys";

/// Adds the keys' page and form.
pub fn routes(routes: Routes) -> Routes {
    routes
        .get(PATH, show)
        .post("/admin/console/keys/rotate", rotate)
}

pages! {
    /// `admin/keys.html`
    KeysPage("admin/keys.html") {
        pub frame: Frame<'a>,
        pub notice: Option<&'a str>,
        pub error: Option<&'a str>,
        pub keys: Vec<KeyView>,
    }
}

fn view(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let keys = KeyView::ring(&state.provider);
    let shown = |t, product, frame| KeysPage {
        t,
        product,
        frame,
        notice,
        error,
        keys,
    };
    console.page(state, status, shown)
}

/// `GET /admin/console/keys`
pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Keys).await?;
    let notice = notice(
        &lenient_query(query),
        &[("rotated", "A new signing key is added.")],
    );
    Ok(view(&state, &console, StatusCode::OK, notice, None))
}

/// `POST /admin/console/keys/rotate` (`immediately`, `current_password`)
pub async fn rotate(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Keys).await?;
    if let Err(message) = console.reauthenticate(&state, &params).await? {
        let message = format!("{message} No key is added.");
        return Err(PageError::rendered(view(
            &state,
            &console,
            StatusCode::FORBIDDEN,
            None,
            Some(&message),
        )));
    }
    let activation = if params.get("immediately") == Some("yes") {
        Activation::Immediately
    } else {
        Activation::AfterPublishDelay
    };
    let actor = console.user.id.to_string();
    admin::rotate_key(&state.provider, &actor, activation)
        .await
        .map_err(PageError::internal)?;
    Ok(see_other(
        &console.browser,
        &format!("{PATH}?notice=rotated"),
    ))
}
