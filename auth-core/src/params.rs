//! Request parameters of the OAuth endpoints, parsed by the rules of RFC 6749 section 3.1.
//!
//! - Parameters sent without a value are treated as if they were omitted.
//! - A parameter MUST NOT be included more than once: a repeated one is refused, naming it;
//!   except `resource`, which RFC 8707 section 2 lets a request repeat.
//! - Names and values must be valid UTF-8 after percent-decoding; invalid UTF-8 is refused
//!   instead of being replaced.

use crate::error::OAuthError;
use percent_encoding::percent_decode;
use std::collections::BTreeMap;

/// Most parameters one request may carry; far above what any OAuth request needs.
const MAX_PARAMS: usize = 64;

/// The parameters of one request (query string or `application/x-www-form-urlencoded` body).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    values: BTreeMap<String, String>,
    /// The values of `resource` after the first, in order (RFC 8707 section 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    more_resources: Vec<String>,
}

/// The parameter RFC 8707 lets a request repeat.
const REPEATABLE: &str = "resource";

impl Params {
    /// Parses an `application/x-www-form-urlencoded` body or query string.
    pub fn parse(encoded: &[u8]) -> Result<Self, OAuthError> {
        let mut values = BTreeMap::new();
        let mut more_resources = Vec::new();
        for pair in encoded.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let name = decode(name, None)?;
            let value = decode(value, Some(&name))?;
            if value.is_empty() {
                continue;
            }
            if values.len() + more_resources.len() >= MAX_PARAMS {
                return Err(OAuthError::invalid_request(format!(
                    "the request carries more than {MAX_PARAMS} parameters"
                )));
            }
            if name == REPEATABLE && values.contains_key(&name) {
                more_resources.push(value);
                continue;
            }
            if values.contains_key(&name) {
                // RFC 6749 section 3.1: parameters MUST NOT be included more than once.
                return Err(OAuthError::invalid_request(format!(
                    "parameter `{name}` is included more than once"
                )));
            }
            values.insert(name, value);
        }
        Ok(Self {
            values,
            more_resources,
        })
    }

    /// The value of `name`, if present and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `name`, or `invalid_request` saying it is missing.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| {
            OAuthError::invalid_request(format!("required parameter `{name}` is missing"))
        })
    }

    /// Whether `name` was sent.
    pub fn contains(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// Every value of `name`: for `resource` all that were sent, for other names the one.
    pub fn all(&self, name: &str) -> Vec<&str> {
        let mut all: Vec<&str> = self.get(name).into_iter().collect();
        if name == REPEATABLE {
            all.extend(self.more_resources.iter().map(String::as_str));
        }
        all
    }

    /// The parameters without `names`.
    pub fn without(&self, names: &[&str]) -> Self {
        let mut values = self.values.clone();
        values.retain(|name, _| !names.contains(&name.as_str()));
        let more_resources = if names.contains(&REPEATABLE) {
            Vec::new()
        } else {
            self.more_resources.clone()
        };
        Self {
            values,
            more_resources,
        }
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: &str, value: &str) {
        self.values.insert(name.to_owned(), value.to_owned());
    }

    /// All parameters, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl FromIterator<(String, String)> for Params {
    /// Builds parameters directly (for callers that already hold decoded pairs; later pairs win).
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self {
            values: iter.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
            more_resources: Vec::new(),
        }
    }
}

/// Decodes one form-urlencoded component: `+` is a space, then percent-decoding, then UTF-8.
fn decode(raw: &[u8], parameter: Option<&str>) -> Result<String, OAuthError> {
    // Most values (tokens, codes, ids) have nothing to decode: copied once, not byte by byte.
    let bytes: Vec<u8> = if raw.iter().any(|&b| b == b'%' || b == b'+') {
        let plus_as_space: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_decode(&plus_as_space).collect()
    } else {
        raw.to_vec()
    };
    String::from_utf8(bytes).map_err(|_| {
        OAuthError::invalid_request(match parameter {
            Some(name) => format!("parameter `{name}` is not valid UTF-8"),
            None => "a parameter name is not valid UTF-8".to_owned(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_form_decoded() {
        let p = Params::parse(b"grant_type=client_credentials&scope=a+b%20c&x=%C3%A9").unwrap();
        assert_eq!(p.get("grant_type"), Some("client_credentials"));
        assert_eq!(p.get("scope"), Some("a b c"));
        assert_eq!(p.get("x"), Some("é"));
    }

    #[test]
    fn empty_values_count_as_omitted() {
        let p = Params::parse(b"scope=&grant_type=x&flag").unwrap();
        assert_eq!(p.get("scope"), None);
        assert!(!p.contains("flag"));
        let err = p.require("scope").unwrap_err();
        assert_eq!(err.description(), "required parameter `scope` is missing");
    }

    #[test]
    fn repeated_parameters_are_refused_by_name() {
        let err = Params::parse(b"scope=a&scope=b").unwrap_err();
        assert_eq!(err.code().as_str(), "invalid_request");
        assert_eq!(
            err.description(),
            "parameter `scope` is included more than once"
        );
    }

    #[test]
    fn invalid_utf8_is_refused_not_replaced() {
        for raw in [&b"client_id=%FF%FE"[..], b"client_id=\xff\xfe"] {
            // Escaped or sent raw (nothing to decode), the bytes are checked the same way.
            let err = Params::parse(raw).unwrap_err();
            assert_eq!(
                err.description(),
                "parameter `client_id` is not valid UTF-8"
            );
        }
    }

    #[test]
    fn resource_may_repeat_and_nothing_else_may() {
        let params = Params::parse(
            b"resource=https%3A%2F%2Fa.example&scope=x&resource=https%3A%2F%2Fb.example",
        )
        .unwrap();
        assert_eq!(
            params.all("resource"),
            vec!["https://a.example", "https://b.example"]
        );
        assert_eq!(params.all("scope"), vec!["x"]);
        assert!(params.without(&["resource"]).all("resource").is_empty());
        assert!(Params::parse(b"scope=x&scope=y").is_err());
    }
}
