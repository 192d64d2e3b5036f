//! Redirect URI registration (`RedirectUri::parse`) and matching (`RedirectUri::matches`).
//!
//! Input: lines of text; every line but the last is offered for registration, the last is the
//! requested `redirect_uri`. Asserts:
//! - a registered URI is kept exactly as written, is absolute, has no fragment and no user
//!   information, uses https, http on a loopback address, or a private-use scheme, and
//!   matches itself;
//! - a requested URI is accepted exactly when it is the same string as a registered one
//!   (RFC 9700 section 2.1, OAuth 2.1 exact matching), or when the registered one is an http
//!   URI on a loopback IP literal and the requested one is that same string with a port
//!   written in or changed (RFC 8252 section 7.3): 1 to 65535, without leading zeros. No other
//!   normalisation: case, dot segments, other spellings of the address, escapes all make a
//!   different URI.

#![no_main]

use auth_core::clients::RedirectUri;
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;
use url::{Host, Url};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines: Vec<&str> = text.split('\n').collect();
    let requested = lines.pop().unwrap_or_default();
    if lines.is_empty() {
        lines.push(requested);
    }
    let registered: Vec<RedirectUri> = lines
        .iter()
        .filter_map(|line| {
            let uri = RedirectUri::parse(line).ok()?;
            check_registered(line, &uri);
            Some(uri)
        })
        .collect();
    for uri in &registered {
        let accepted = uri.matches(requested);
        let allowed = allowed(uri.as_str(), requested);
        assert_eq!(
            accepted,
            allowed,
            "registered {:?}, requested {requested:?}: matches says {accepted}",
            uri.as_str()
        );
    }
});

fn check_registered(line: &str, uri: &RedirectUri) {
    assert_eq!(uri.as_str(), line);
    assert!(line.len() <= 2000);
    assert!(!line.contains('#'));
    let url = Url::parse(line).unwrap();
    assert!(url.username().is_empty() && url.password().is_none());
    match url.scheme() {
        "https" => assert!(url.host().is_some()),
        "http" => assert!(
            loopback_ip(&url) || url.host_str() == Some("localhost"),
            "http on a host that is not loopback: {line:?}"
        ),
        scheme => assert!(scheme.contains('.'), "scheme `{scheme}` accepted"),
    }
    assert!(uri.matches(line));
}

/// The rule, spelled out on strings.
fn allowed(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    // RFC 8252 section 7.3: only an http redirect URI on a loopback IP literal may vary, and only
    // in its port.
    let url = Url::parse(registered).unwrap();
    if url.scheme() != "http" || !loopback_ip(&url) {
        return false;
    }
    let Some((scheme, host, rest)) = split(registered) else {
        return false;
    };
    let Some(after_host) = requested
        .strip_prefix(scheme)
        .and_then(|r| r.strip_prefix("://"))
        .and_then(|r| r.strip_prefix(host))
        .and_then(|r| r.strip_prefix(':'))
    else {
        return false;
    };
    let Some(port) = after_host.strip_suffix(rest) else {
        return false;
    };
    let port_ok = !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && !port.starts_with('0');
    let Some(port) = port_ok.then(|| port.parse::<u16>().ok()).flatten() else {
        return false;
    };
    // And the string must mean what it looks like: that port on the registered URI, not a
    // host or path a URL parser reads differently (a backslash is a slash to it).
    let Ok(mut requested_url) = Url::parse(requested) else {
        return false;
    };
    requested_url.port_or_known_default() == Some(port)
        && requested_url.set_port(url.port()).is_ok()
        && requested_url == url
}

/// `scheme://host[:port]rest` as written: scheme, host, and everything after the authority.
fn split(uri: &str) -> Option<(&str, &str, &str)> {
    let (scheme, after) = uri.split_once("://")?;
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let host = match authority.strip_prefix('[') {
        Some(v6) => &authority[..v6.find(']')? + 2],
        None => authority.split(':').next()?,
    };
    Some((scheme, host, rest))
}

fn loopback_ip(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        _ => false,
    }
}
