//! HTTP calls to the authorization server and what can go wrong with them.

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// An HTTP call to the authorization server that did not produce a usable answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// No answer: connection refused, DNS, TLS, timeout.
    #[error("cannot reach `{url}`: {source}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// What the HTTP client reported.
        #[source]
        source: reqwest::Error,
    },
    /// An answer with an error status.
    #[error("`{url}` answered {status}{}{}",
        .error.as_deref().map(|e| format!(" `{e}`")).unwrap_or_default(),
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// The URL called.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The `error` member of a JSON error body.
        error: Option<String>,
        /// The `error_description` member of a JSON error body.
        description: Option<String>,
        /// The `DPoP-Nonce` header of the answer (RFC 9449 section 8), if any.
        nonce: Option<String>,
    },
    /// A success status with a body that is not what the endpoint promises.
    #[error("`{url}` answered with an unexpected body: {reason}")]
    Body {
        /// The URL called.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
}

impl FetchError {
    /// Whether trying again later may help: no answer, `429` or a `5xx` status.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Body { .. } => false,
        }
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// `source` loses its URL: `url` names the endpoint, and a query string may hold an
    /// e-mail address that must not reach logs.
    pub(crate) fn unreachable(url: &str, source: reqwest::Error) -> Self {
        Self::Unreachable {
            url: url.to_owned(),
            source: source.without_url(),
        }
    }
}

/// The HTTP client used when none is given: no redirects (credentials must not follow one),
/// bounded waits.
pub(crate) fn default_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        // The server closes a keep-alive connection idle for `http.header_read_timeout_secs`
        // (10 s by default); a POST sent on one it is closing fails with a reset and is not
        // retried, so idle connections are dropped here first.
        .pool_idle_timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default()
}

/// Sends `request`; a success status gives its JSON body and headers, anything else an error.
pub(crate) async fn send_json<T: DeserializeOwned>(
    url: &str,
    request: reqwest::RequestBuilder,
) -> Result<(T, HeaderMap), FetchError> {
    let response = request
        .send()
        .await
        .map_err(|e| FetchError::unreachable(url, e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| FetchError::unreachable(url, e))?;
    if !status.is_success() {
        let mut error = status_error(url, status.as_u16(), &body);
        if let FetchError::Status { nonce, .. } = &mut error {
            *nonce = headers
                .get("dpop-nonce")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
        }
        return Err(error);
    }
    let value = serde_json::from_slice(&body).map_err(|e| FetchError::Body {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    Ok((value, headers))
}

/// The error for a non-success answer, with the `error` and `error_description` of a JSON
/// error body (RFC 6749 section 5.2 and the server's API errors) when there is one.
pub(crate) fn status_error(url: &str, status: u16, body: &[u8]) -> FetchError {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: Option<String>,
        error_description: Option<String>,
    }
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    FetchError::Status {
        url: url.to_owned(),
        status,
        error: parsed.as_ref().and_then(|b| b.error.clone()),
        description: parsed.and_then(|b| b.error_description),
        nonce: None,
    }
}

/// The `http_client` and `clock` settings that every builder calling the server has, for a
/// builder with the fields `http: Option<reqwest::Client>` and `clock: Arc<dyn Clock>`;
/// `$http_doc` documents `http_client` where the client serves more than one kind of call.
macro_rules! http_and_clock_settings {
    () => {
        $crate::transport::http_and_clock_settings!(
            "The HTTP client (default: no redirects, 10 s timeout)."
        );
    };
    ($http_doc:literal) => {
        #[doc = $http_doc]
        pub fn http_client(mut self, http: reqwest::Client) -> Self {
            self.http = Some(http);
            self
        }

        /// The clock (default: the system clock).
        pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
            self.clock = clock;
            self
        }
    };
}
pub(crate) use http_and_clock_settings;
