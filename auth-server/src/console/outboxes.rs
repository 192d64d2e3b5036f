//! The console's outboxes: mail (sealed: only ids, attempts and errors show) and event
//! deliveries not yet delivered, given-up ones first, each with "retry now".

use super::{Console, Frame, notice, refused_with};
use crate::access::Routes;
use crate::error::PageError;
use crate::pages::form::Posted;
use crate::pages::templates::pages;
use crate::pages::{Browser, lenient_query, see_other};
use crate::state::AppState;
use crate::views::rfc3339;
use auth_core::admin::{self, Area};
use auth_core::store::{Outbox, OutboxEntry};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// The page's address.
pub const PATH: &str = "/admin/console/outboxes";

/// Entries per outbox on the page.
const SHOWN: u32 = 100;

/// Adds the outboxes' page and form.
pub fn routes(routes: Routes) -> Routes {
    routes
        .get(PATH, show)
        .post("/admin/console/outboxes/retry", retry)
}

/// An entry as the page shows it.
pub struct EntryRow {
    pub id: String,
    pub destination: String,
    pub attempts: i64,
    pub next_attempt: String,
    pub last_error: String,
    pub failed: String,
}

impl From<OutboxEntry> for EntryRow {
    fn from(e: OutboxEntry) -> Self {
        Self {
            id: e.id,
            destination: e.destination,
            attempts: e.attempts,
            next_attempt: rfc3339(e.next_attempt_at),
            last_error: e.last_error.unwrap_or_default(),
            failed: e.failed_at.map(rfc3339).unwrap_or_default(),
        }
    }
}

pages! {
    /// `admin/outboxes.html`
    OutboxesPage("admin/outboxes.html") {
        pub frame: Frame<'a>,
        pub notice: Option<&'a str>,
        pub error: Option<&'a str>,
        pub mail: Vec<EntryRow>,
        pub events: Vec<EntryRow>,
    }
}

async fn view(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let store = state.provider.store();
    let mail = store.outbox_entries(Outbox::Mail, SHOWN).await?;
    let events = store.outbox_entries(Outbox::Events, SHOWN).await?;
    let shown = |t, product, frame| OutboxesPage {
        t,
        product,
        frame,
        notice,
        error,
        mail: mail.into_iter().map(EntryRow::from).collect(),
        events: events.into_iter().map(EntryRow::from).collect(),
    };
    Ok(console.page(state, status, shown))
}

/// `GET /admin/console/outboxes`
pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Outboxes).await?;
    let notice = notice(
        &lenient_query(query),
        &[(
            "retried",
            "It is due now: the next run of the outbox sends it.",
        )],
    );
    view(&state, &console, StatusCode::OK, notice, None).await
}

/// `POST /admin/console/outboxes/retry` (`outbox` = mail | events, `id`, `destination`)
pub async fn retry(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Outboxes).await?;
    let outbox = match params.get("outbox") {
        Some("mail") => Outbox::Mail,
        Some("events") => Outbox::Events,
        _ => {
            let message = "Choose the mail or the events outbox.";
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Err(refused_with(
                view(&state, &console, status, None, Some(message)).await,
            ));
        }
    };
    let actor = console.user.id.to_string();
    let id = params.get("id").unwrap_or("");
    let destination = params.get("destination").unwrap_or("");
    if admin::retry_outbox_entry(&state.provider, &actor, outbox, id, destination).await? {
        Ok(see_other(
            &console.browser,
            &format!("{PATH}?notice=retried"),
        ))
    } else {
        let message = "That entry is not in the outbox (any more): it may have been delivered.";
        let status = StatusCode::NOT_FOUND;
        Err(refused_with(
            view(&state, &console, status, None, Some(message)).await,
        ))
    }
}
