//! Reading requests: every body read in full, within its size and time limits, before a
//! handler runs ([`read_body`]); an OAuth request (form body + `Authorization` header) with
//! rejections that are OAuth errors, never axum's plain-text ones ([`OAuthForm`]); a JSON body
//! of the APIs, refused as an [`ApiError`] ([`JsonBody`]); the client's address ([`ClientIp`]).
//! The forms of the hosted pages are read by [`crate::pages::form`].

use crate::error::{ApiError, OAuthErrorResponse, no_store};
use crate::paths;
use crate::state::AppState;
use auth_core::OAuthError;
use auth_core::params::Params;
use axum::Json;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;

/// Why a request was refused before routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The body is larger than `http.max_body_bytes` (declared or sent).
    TooLarge,
    /// The body was not complete within `http.body_read_timeout_secs`.
    TooSlow,
    /// The connection failed or the body's framing was broken.
    Unreadable,
    /// A NUL character in the path, query or body.
    Nul,
}

/// Middleware: reads the whole body of every request before routing, so no handler or
/// extractor reads from the network itself. A body declared or found larger than
/// `http.max_body_bytes` is refused with 413 (a chunked one as soon as it passes the limit)
/// and its rest read and dropped while the answer goes out ([`linger`]); one not complete
/// within `http.body_read_timeout_secs` is refused with 408 and the connection closed.
/// A NUL character anywhere in the path, query or body is refused with 400: no parameter or
/// field accepts one, and PostgreSQL cannot store one in text.
///
/// The answer is the endpoint's own kind: an error page on the hosted pages, else a JSON
/// `invalid_request` error (OAuth endpoints, `/register`, `/api`, `/admin`).
pub async fn read_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = state.web.http;
    let (parts, mut body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let read = if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        Err(Refusal::TooLarge)
    } else {
        tokio::time::timeout(
            limits.body_read_timeout,
            collect(&mut body, limits.max_body_bytes),
        )
        .await
        .unwrap_or(Err(Refusal::TooSlow))
    };
    match read {
        Ok(bytes) if carries_nul(&parts, &bytes) => refuse(&state, &parts, Refusal::Nul),
        Ok(bytes) => {
            let mut request = Request::from_parts(parts, Body::from(bytes.clone()));
            request.extensions_mut().insert(ReadBody(bytes));
            next.run(request).await
        }
        Err(Refusal::TooLarge) => {
            tokio::spawn(linger(body, limits.body_read_timeout));
            refuse(&state, &parts, Refusal::TooLarge)
        }
        Err(refusal) => refuse(&state, &parts, refusal),
    }
}

/// The most of a refused body [`linger`] reads and throws away: the largest `max_body_bytes`
/// allowed, so a client sending up to 16 MiB still reads its 413.
const LINGER_BYTES: usize = 16 * 1024 * 1024;

/// Reads and discards the rest of a body refused as too large, for at most `within` and
/// [`LINGER_BYTES`], while the 413 goes out; then the connection closes. Closing at once with
/// the body unread makes the client's writes fail (or its kernel drop the answer on the
/// reset), so it sees a broken connection instead of the 413: RFC 9112 section 9.6 asks a
/// server to close in stages for this reason.
async fn linger(mut body: Body, within: std::time::Duration) {
    let drain = async {
        let mut read = 0usize;
        while let Some(Ok(frame)) =
            std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            read += frame.data_ref().map_or(0, |data| data.len());
            if read > LINGER_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(within, drain).await;
}

/// The whole body as [`read_body`] read it, for extractors that would otherwise collect the
/// body again. Only present while the body is untouched: a layer that replaced the body must
/// remove it.
#[derive(Clone)]
struct ReadBody(Bytes);

/// The body's bytes, refused as soon as they pass `limit`.
async fn collect(body: &mut Body, limit: usize) -> Result<Bytes, Refusal> {
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| Refusal::Unreadable)?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(Refusal::TooLarge);
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(bytes))
}

/// Whether the path, query or body decodes to text with a NUL character. In a URI or a form
/// body every `%00` decodes to NUL (a `%` cannot end an earlier escape); in JSON, a `\u0000`
/// escape does, found by parsing (a raw NUL byte is not valid JSON, and the handler says so).
fn carries_nul(parts: &Parts, body: &[u8]) -> bool {
    let percent_nul = |bytes: &[u8]| {
        memchr::memchr(0, bytes).is_some() || memchr::memmem::find(bytes, b"%00").is_some()
    };
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().as_bytes())
        .unwrap_or_default();
    if percent_nul(target) {
        return true;
    }
    // A body that parses as JSON is scanned as JSON whatever its declared type: a handler may
    // read JSON under a type this check does not know (it did: `application/jsonx`).
    let looks_like_json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    if looks_like_json
        && serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| json_has_nul(&v))
    {
        return true;
    }
    !is_json_media_type(&parts.headers) && percent_nul(body)
}

/// The media type of the body (`type/subtype`, lower case, without parameters).
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

/// What axum's `Json` extractor accepts, and the only types a JSON endpoint reads:
/// `application/json` or `application/*+json`, in any case, with any parameters.
pub(crate) fn is_json_media_type(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|essence| {
        essence == "application/json"
            || essence
                .strip_prefix("application/")
                .is_some_and(|subtype| subtype.ends_with("+json"))
    })
}

fn json_has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(name, value)| name.contains('\0') || json_has_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn refuse(state: &AppState, parts: &Parts, refusal: Refusal) -> Response {
    let path = parts.uri.path();
    let (status, message) = match refusal {
        Refusal::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is larger than the limit of {} bytes",
                state.web.http.max_body_bytes
            ),
        ),
        Refusal::TooSlow => (
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body was not received within {} seconds",
                state.web.http.body_read_timeout.as_secs()
            ),
        ),
        Refusal::Unreadable => (
            StatusCode::BAD_REQUEST,
            "the request body could not be read".to_owned(),
        ),
        Refusal::Nul => (
            StatusCode::BAD_REQUEST,
            "the request contains a NUL character, which no parameter or field accepts".to_owned(),
        ),
    };
    let mut response = if is_page(path) {
        // In the language the browser asks for (the body was not read, and the session is not
        // looked up for a request refused before it is handled).
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let tr = state.web.i18n.negotiate(None, None, accept);
        crate::error::PageError::page(
            status,
            crate::i18n::key("error-request-refused"),
            crate::i18n::Text::Plain(message),
        )
        .render(state, &tr)
    } else {
        (
            status,
            no_store(),
            Json(serde_json::json!({"error": "invalid_request", "error_description": message})),
        )
            .into_response()
    };
    if refusal != Refusal::Nul {
        // The rest of the body was never read: the connection cannot carry another request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Whether `path` is a hosted page (answered with HTML) rather than a JSON endpoint.
fn is_page(path: &str) -> bool {
    [
        paths::AUTHORIZE,
        paths::LOGIN,
        paths::SIGNUP,
        paths::CONSENT,
        paths::LOGOUT,
        paths::ACCOUNT,
        paths::VERIFY_EMAIL,
        paths::FORGOT_PASSWORD,
        paths::RESET_PASSWORD,
    ]
    .iter()
    .any(|page| {
        path == *page
            || path
                .strip_prefix(page)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// A POSTed `application/x-www-form-urlencoded` OAuth request.
pub struct OAuthForm {
    /// The raw `Authorization` header.
    pub authorization: Option<String>,
    /// The body parameters.
    pub params: Params,
    /// The `DPoP` header (RFC 9449 section 4.3: at most one).
    pub dpop: Option<String>,
}

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let reject = |e: OAuthError| OAuthErrorResponse(e).into_response();
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            // RFC 6749 section 3.2: parameters are sent in the application/x-www-form-urlencoded format.
            return Err(reject(OAuthError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            )));
        }
        let authorization = match req.headers().get(header::AUTHORIZATION) {
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| {
                        reject(OAuthError::invalid_request(
                            "the Authorization header is not visible ASCII",
                        ))
                    })?
                    .to_owned(),
            ),
            None => None,
        };
        let mut proofs = req.headers().get_all("dpop").iter();
        let dpop = match (proofs.next(), proofs.next()) {
            (None, _) => None,
            (Some(value), None) => Some(
                value
                    .to_str()
                    .map_err(|_| {
                        reject(auth_core::dpop::invalid(
                            "the DPoP header is not visible ASCII",
                        ))
                    })?
                    .to_owned(),
            ),
            (Some(_), Some(_)) => {
                return Err(reject(auth_core::dpop::invalid(
                    "the request carries more than one DPoP header",
                )));
            }
        };
        let body = match req.extensions().get::<ReadBody>() {
            Some(ReadBody(bytes)) => bytes.clone(),
            None => Bytes::from_request(req, state).await.map_err(|rejection| {
                let status = rejection.status();
                let mut response = reject(OAuthError::invalid_request(
                    if status == StatusCode::PAYLOAD_TOO_LARGE {
                        "the request body is too large"
                    } else {
                        "the request body could not be read"
                    },
                ));
                *response.status_mut() = status;
                response
            })?,
        };
        let params = Params::parse(&body).map_err(reject)?;
        Ok(Self {
            authorization,
            params,
            dpop,
        })
    }
}

/// The JSON body of an `/api` or `/admin` request; one that is not the expected JSON is a 400
/// `invalid_request` naming what was wrong.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`; a bare address is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `address/prefix` or a bare address.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or network such as 10.0.0.0/8"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}` has a prefix length outside 0 to {max}"))?,
            None => max,
        };
        Ok(Self { network, prefix })
    }

    /// Whether `address` is in this network (an IPv4-mapped IPv6 address as its IPv4 one).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(
                u128::from(u32::from(net)),
                u128::from(u32::from(ip)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(u128::from(net), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the first `prefix` of `bits` bits of `a` and `b` are equal.
fn prefix_eq(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    let shift = u32::from(bits.saturating_sub(prefix));
    a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
}

/// The header a trusted proxy adds the address it received a request from to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyHeader {
    /// A comma-separated list of addresses, such as `X-Forwarded-For`.
    List(HeaderName),
    /// `Forwarded` (RFC 7239): the `for=` parameter of each element.
    Forwarded,
}

/// Which proxies may tell the client's address, and in which header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxies {
    header: ProxyHeader,
    networks: Vec<Cidr>,
}

impl TrustedProxies {
    /// No proxy: the TCP peer is the client.
    pub fn none() -> Self {
        Self {
            header: ProxyHeader::List(HeaderName::from_static("x-forwarded-for")),
            networks: Vec::new(),
        }
    }

    /// Proxies in `networks` that add to `header`.
    pub fn new(header: ProxyHeader, networks: Vec<Cidr>) -> Self {
        Self { header, networks }
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(address))
    }

    /// The client's address of a request from `peer`: walking the header's entries (every
    /// line of it, in order) from the right, starting at the peer, each trusted hop's entry
    /// names the hop before it; the first address not in a trusted network is the client.
    /// A request from an untrusted peer has its headers ignored: anyone can send them. An
    /// entry that is no address (`unknown`, an obfuscated name) ends the walk at the trusted
    /// hop that wrote it; so does running out of entries.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut entries: Vec<String> = Vec::new();
        for line in headers.get_all(self.header_name()) {
            let Ok(line) = line.to_str() else {
                // A line we cannot read: nothing left of it can be trusted.
                entries.push(String::new());
                continue;
            };
            match &self.header {
                ProxyHeader::List(_) => entries.extend(line.split(',').map(str::to_owned)),
                ProxyHeader::Forwarded => entries.extend(forwarded_for(line)),
            }
        }
        let mut client = peer;
        for entry in entries.iter().rev() {
            match parse_node(entry) {
                Some(address) if self.trusts(address) => client = address,
                Some(address) => return address,
                None => return client,
            }
        }
        client
    }

    fn header_name(&self) -> HeaderName {
        match &self.header {
            ProxyHeader::List(name) => name.clone(),
            ProxyHeader::Forwarded => header::FORWARDED,
        }
    }
}

/// The `for=` value of each element of a `Forwarded` line (RFC 7239 section 4); an element
/// without one yields an empty entry (no address).
fn forwarded_for(line: &str) -> Vec<String> {
    split_unquoted(line, ',')
        .into_iter()
        .map(|element| {
            split_unquoted(&element, ';')
                .into_iter()
                .find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| value.trim().trim_matches('"').to_owned())
                })
                .unwrap_or_default()
        })
        .collect()
}

/// `text` split at `separator` outside double quotes.
fn split_unquoted(text: &str, separator: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
}

/// An address in a proxy header: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or
/// `[2001:db8::1]:4711` (RFC 7239 section 6).
fn parse_node(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(address) = entry.parse::<IpAddr>() {
        return Some(address);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    entry.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// The client's address: the TCP peer, or behind trusted proxies the address they name
/// ([`TrustedProxies::client_address`], from `http.trusted_proxies`).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| {
                state
                    .web
                    .proxies
                    .client_address(peer.ip(), &parts.headers)
                    .to_string()
            });
        Ok(Self(address.unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(header: ProxyHeader, networks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(
            header,
            networks.iter().map(|n| Cidr::parse(n).unwrap()).collect(),
        )
    }

    fn xff() -> ProxyHeader {
        ProxyHeader::List(HeaderName::from_static("x-forwarded-for"))
    }

    fn headers(name: &'static str, lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(name, line.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_rightmost_untrusted_entry_across_every_line_is_the_client() {
        let trusted = proxies(xff(), &["10.0.0.0/8"]);
        // The client sent its own line; the proxy appended a second one.
        let sent = headers("x-forwarded-for", &["6.6.6.6", "203.0.113.7"]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &sent),
            ip("203.0.113.7")
        );
        // Or the proxy appended to the client's line.
        let sent = headers("x-forwarded-for", &["6.6.6.6, 203.0.113.7"]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &sent),
            ip("203.0.113.7")
        );
        // Two trusted hops.
        let sent = headers("x-forwarded-for", &["6.6.6.6, 203.0.113.7, 10.1.2.3"]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &sent),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let trusted = proxies(xff(), &["10.0.0.0/8"]);
        let sent = headers("x-forwarded-for", &["6.6.6.6"]);
        assert_eq!(
            trusted.client_address(ip("198.51.100.9"), &sent),
            ip("198.51.100.9")
        );
        let nobody = TrustedProxies::none();
        assert_eq!(nobody.client_address(ip("10.0.0.1"), &sent), ip("10.0.0.1"));
    }

    #[test]
    fn an_entry_that_is_no_address_stops_at_the_proxy_that_wrote_it() {
        let trusted = proxies(xff(), &["10.0.0.0/8"]);
        let sent = headers("x-forwarded-for", &["6.6.6.6, unknown"]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &sent),
            ip("10.0.0.1")
        );
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn forwarded_for_values_are_read_with_ports_brackets_and_quotes() {
        let trusted = proxies(
            ProxyHeader::Forwarded,
            &["10.0.0.0/8", "2001:db8:ffff::/48"],
        );
        let sent = headers(
            "forwarded",
            &[
                "for=6.6.6.6;proto=https",
                r#"for="[2001:db8:1::7]:4711";by=10.0.0.1, For="10.2.0.1:80""#,
            ],
        );
        assert_eq!(
            trusted.client_address(ip("2001:db8:ffff::1"), &sent),
            ip("2001:db8:1::7")
        );
        // The X-Forwarded-For of such a request is not read.
        let other = headers("x-forwarded-for", &["6.6.6.6"]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &other),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn networks_match_by_prefix() {
        let net = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(net.contains(ip("192.0.2.200")));
        assert!(!net.contains(ip("192.0.3.1")));
        assert!(net.contains(ip("::ffff:192.0.2.1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("2001:db8:5::1"))
        );
        assert!(
            !Cidr::parse("2001:db8::1")
                .unwrap()
                .contains(ip("2001:db8::2"))
        );
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("proxy.local").is_err());
    }
}
