//! Redirect URIs and how a requested one is matched against the registered ones.
//!
//! RFC 9700 section 2.1 requires exact string matching; the one exception is the port of a
//! loopback IP redirect URI of a native app, which RFC 8252 section 7.3 says the server MUST
//! allow to vary.

use super::ClientError;
use std::fmt;
use std::net::IpAddr;
use url::{Host, Url};

/// A registered or requested redirect URI. Kept exactly as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri {
    text: String,
    url: Url,
}

impl RedirectUri {
    /// Validates a redirect URI for registration:
    /// - absolute, without fragment (RFC 6749 section 3.1.2);
    /// - `https`, or `http` on a loopback IP literal or `localhost` (RFC 8252 sections 7.3 and
    ///   8.3, RFC 9700 section 2.6), or a private-use scheme in reverse-domain form
    ///   (RFC 8252 section 7.1);
    /// - no user information.
    pub fn parse(text: &str) -> Result<Self, ClientError> {
        // A URL parser drops these (leading and trailing controls and spaces, tabs and line
        // breaks anywhere), so the URI kept for exact matching would not be the one used.
        if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ClientError::InvalidRedirectUri(format!(
                "redirect URI `{}` must not contain spaces or control characters",
                text.escape_debug()
            )));
        }
        Self::parse_stored(text)
    }

    /// [`parse`](Self::parse) without the refusal of spaces and control characters, for
    /// URIs registered before it: a client stored then still loads (and matches only its URI
    /// exactly as written).
    pub(crate) fn parse_stored(text: &str) -> Result<Self, ClientError> {
        let invalid = |why: &str| {
            Err(ClientError::InvalidRedirectUri(format!(
                "redirect URI `{text}` {why}"
            )))
        };
        if text.len() > 2000 {
            return invalid("is longer than 2000 characters");
        }
        let Ok(url) = Url::parse(text) else {
            return invalid("is not an absolute URI");
        };
        if url.fragment().is_some() || text.contains('#') {
            return invalid("must not contain a fragment (RFC 6749 section 3.1.2)");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return invalid("must not contain user information");
        }
        match url.scheme() {
            "https" if url.host().is_some() => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return invalid("uses http; only https, or http on a loopback address, is allowed");
            }
            scheme if scheme.contains('.') && !matches!(scheme, "javascript" | "data" | "file") => {
            }
            _ => {
                return invalid(
                    "must use https, http on a loopback address, or a reverse-domain private-use scheme",
                );
            }
        }
        Ok(Self {
            text: text.to_owned(),
            url,
        })
    }

    /// The URI as registered.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed URI, for adding response parameters.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Whether a requested redirect URI `requested` matches this registered one: exact string
    /// match, except that the port of a loopback IP literal may differ (RFC 8252 section 7.3).
    ///
    /// The port is the only part compared after parsing: the rest must be the registered
    /// string as written, since URL parsing would equate other spellings (`127.1`, `/a/../cb`,
    /// `HTTP:`) that exact matching (RFC 9700 section 2.1) tells apart.
    pub fn matches(&self, requested: &str) -> bool {
        if self.text == requested {
            return true;
        }
        if self.url.scheme() != "http" || !is_loopback_ip(&self.url) {
            return false;
        }
        let Some((before_port, after_port)) = around_port(&self.text) else {
            return false;
        };
        let Some(port) = requested
            .strip_prefix(before_port)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|rest| rest.strip_suffix(after_port))
        else {
            return false;
        };
        // 1 to 65535, written plainly: no sign, no leading zero.
        let plain = !port.starts_with('0') && port.bytes().all(|b| b.is_ascii_digit());
        let Some(port) = plain.then(|| port.parse::<u16>().ok()).flatten() else {
            return false;
        };
        // And the parser must read it the same way: that port, the registered URI otherwise.
        let Ok(mut requested_url) = Url::parse(requested) else {
            return false;
        };
        requested_url.port_or_known_default() == Some(port)
            && requested_url.set_port(self.url.port()).is_ok()
            && requested_url == self.url
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn is_loopback_ip(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        _ => false,
    }
}

/// Splits `scheme://host[:port]rest`, as written, into `scheme://host` and `rest`.
fn around_port(text: &str) -> Option<(&str, &str)> {
    let authority_start = text.find("://")? + 3;
    let authority_len = text[authority_start..]
        .find(['/', '?'])
        .unwrap_or(text.len() - authority_start);
    let authority = &text[authority_start..authority_start + authority_len];
    let host_len = match authority.strip_prefix('[') {
        Some(v6) => v6.find(']')? + 2,
        None => authority.find(':').unwrap_or(authority.len()),
    };
    Some((
        &text[..authority_start + host_len],
        &text[authority_start + authority_len..],
    ))
}

fn is_loopback(url: &Url) -> bool {
    is_loopback_ip(url) || url.host_str() == Some("localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptable_redirect_uris() {
        for ok in [
            "https://app.example.com/cb",
            "https://app.example.com/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn unacceptable_redirect_uris_say_why() {
        let cases = [
            ("/relative", "absolute"),
            ("https://app.example.com/cb#frag", "fragment"),
            ("http://app.example.com/cb", "only https"),
            ("javascript:alert(1)", "must use https"),
            ("https://user:pw@app.example.com/", "user information"),
        ];
        for (uri, why) in cases {
            let err = RedirectUri::parse(uri).unwrap_err().to_string();
            assert!(err.contains(why), "{uri}: {err}");
        }
    }

    #[test]
    fn matching_is_exact_except_for_loopback_ports() {
        let uri = RedirectUri::parse("https://app.example.com/cb").unwrap();
        assert!(uri.matches("https://app.example.com/cb"));
        assert!(!uri.matches("https://app.example.com/cb/"));
        assert!(!uri.matches("https://app.example.com/cb?x=1"));
        assert!(!uri.matches("https://APP.example.com/cb"));
        assert!(!uri.matches("https://app.example.com:443/cb"));

        let native = RedirectUri::parse("http://127.0.0.1/cb").unwrap();
        assert!(native.matches("http://127.0.0.1:53120/cb"));
        assert!(!native.matches("http://127.0.0.1:53120/other"));
        assert!(!native.matches("http://localhost:53120/cb"));
        let named = RedirectUri::parse("http://localhost:3000/cb").unwrap();
        assert!(!named.matches("http://localhost:3001/cb"));
    }

    /// Found by the `redirect_uri` fuzz target: the port was compared after URL parsing, and
    /// so was everything else.
    #[test]
    fn only_the_loopback_port_may_differ_as_written() {
        let native = RedirectUri::parse("http://127.0.0.1/cb").unwrap();
        assert!(native.matches("http://127.0.0.1:80/cb"));
        assert!(native.matches("http://127.0.0.1:65535/cb"));
        for other in [
            "http://127.1:53120/cb",
            "http://2130706433:53120/cb",
            "http://127.0.0.1:53120/x/../cb",
            "http://127.0.0.1:53120\\cb",
            "HTTP://127.0.0.1:53120/cb",
            "http://127.0.0.1:053120/cb",
            "http://127.0.0.1:+5312/cb",
            "http://127.0.0.1:/cb",
            "http://127.0.0.1:65536/cb",
            "http://127.0.0.1:5312\t0/cb",
        ] {
            assert!(!native.matches(other), "{other}");
        }
        let v6 = RedirectUri::parse("http://[::1]:8080/cb?x=1").unwrap();
        assert!(v6.matches("http://[::1]:30500/cb?x=1"));
        assert!(!v6.matches("http://[0:0::1]:30500/cb?x=1"));
    }

    #[test]
    fn control_characters_and_spaces_are_refused_at_registration() {
        for uri in [
            "http://[::1]:8080/cb\u{8}\0",
            " https://app.example.com/cb",
            "https://app.example.com/c\tb",
            "https://app.example.com/cb\n",
        ] {
            let err = RedirectUri::parse(uri).unwrap_err().to_string();
            assert!(err.contains("control characters"), "{uri:?}: {err}");
        }
        // Registered before the rule: still loads from the database.
        let stored = RedirectUri::parse_stored("https://app.example.com/c b").unwrap();
        assert!(stored.matches("https://app.example.com/c b"));
    }
}
