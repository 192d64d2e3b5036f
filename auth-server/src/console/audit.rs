//! The console's audit log: security events newest first, filtered by event, user, client,
//! outcome and time (UTC days), paged by the id of the last event shown.

use super::users::EventRow;
use super::{Console, Frame};
use crate::access::Routes;
use crate::error::PageError;
use crate::pages::login::urlencode;
use crate::pages::templates::pages;
use crate::pages::{Browser, lenient_query};
use crate::state::AppState;
use auth_core::admin::Area;
use auth_core::params::Params;
use auth_core::store::AuditFilter;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use time::format_description::well_known::Iso8601;
use time::{Date, Time};

/// The page's address.
pub const PATH: &str = "/admin/console/audit";

/// Events per page.
const PAGE_SIZE: u32 = 100;

/// Adds the audit log's page.
pub fn routes(routes: Routes) -> Routes {
    routes.get(PATH, show)
}

/// A row of the event filter's select: (value, label, chosen).
type Choice = (&'static str, &'static str, bool);

pages! {
    /// `admin/audit.html`
    AuditPage("admin/audit.html") {
        pub frame: Frame<'a>,
        pub event: &'a str,
        pub user: &'a str,
        pub client: &'a str,
        pub outcomes: Vec<Choice>,
        pub since: &'a str,
        pub until: &'a str,
        pub error: Option<&'a str>,
        pub events: Vec<EventRow>,
        pub next: Option<String>,
    }
}

/// The start of a UTC day given as `YYYY-MM-DD`, in seconds since the epoch.
fn day_start(text: &str) -> Option<i64> {
    let date = Date::parse(text, &Iso8601::DATE).ok()?;
    Some(date.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp())
}

/// A filter value: trimmed, empty as none.
fn value<'a>(params: &'a Params, name: &str) -> &'a str {
    params.get(name).map_or("", str::trim)
}

/// `GET /admin/console/audit?event=&user=&client=&outcome=&since=&until=&before=`
pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let console = Console::open(&state, browser, Area::Audit).await?;
    let params = lenient_query(query);
    let (event, user, client) = (
        value(&params, "event"),
        value(&params, "user"),
        value(&params, "client"),
    );
    let outcome = match value(&params, "outcome") {
        "success" => Some("success"),
        "failure" => Some("failure"),
        _ => None,
    };
    let (since, until) = (value(&params, "since"), value(&params, "until"));
    let mut error = None;
    let mut day = |text: &str, what: &'static str| -> Option<i64> {
        if text.is_empty() {
            return None;
        }
        let parsed = day_start(text);
        if parsed.is_none() {
            error = Some(what);
        }
        parsed
    };
    let since_at = day(since, "The first day is not a date (YYYY-MM-DD).");
    // `until` is inclusive: events before the start of the next day.
    let until_at = day(until, "The last day is not a date (YYYY-MM-DD).").map(|t| t + 86_400);
    let optional = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    let filter = AuditFilter {
        user_id: optional(user),
        event: optional(event),
        client_id: optional(client),
        outcome: outcome.map(str::to_owned),
        since: since_at,
        until: until_at,
        before: optional(value(&params, "before")),
        limit: PAGE_SIZE + 1,
    };
    let mut events = if error.is_some() {
        Vec::new()
    } else {
        state.provider.store().audit_events(&filter).await?
    };
    let more = events.len() > PAGE_SIZE as usize;
    events.truncate(PAGE_SIZE as usize);
    let next = events.last().filter(|_| more).map(|last| {
        format!(
            "event={}&user={}&client={}&outcome={}&since={}&until={}&before={}",
            urlencode(event),
            urlencode(user),
            urlencode(client),
            outcome.unwrap_or(""),
            urlencode(since),
            urlencode(until),
            urlencode(&last.id)
        )
    });
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = |t, product, frame| AuditPage {
        t,
        product,
        frame,
        event,
        user,
        client,
        outcomes: vec![
            ("", "any", outcome.is_none()),
            ("success", "success", outcome == Some("success")),
            ("failure", "failure", outcome == Some("failure")),
        ],
        since,
        until,
        error,
        events: events.into_iter().map(EventRow::from).collect(),
        next,
    };
    Ok(console.page(&state, status, view))
}
