//! The checks on a JOSE header before any key is touched, and the memory of the last header
//! that passed them.

use super::JwsError;
use super::decode::decoded;
use crate::SigningAlgorithm;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

/// What a header must say for a token to be verified at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules<'a> {
    /// The algorithms accepted: those the keys of the issuer (or client) are used with. A key
    /// still verifies only its own algorithm.
    pub algorithms: &'a [SigningAlgorithm],
    /// The `typ` required.
    pub typ: Typ<'a>,
    /// Whether the header must name its key with `kid`. The issuer's tokens always do; a
    /// client's assertion or request object may not (its key is then found by algorithm among
    /// the client's keys), and a DPoP proof carries its key in `jwk` instead.
    pub require_kid: bool,
}

/// The `typ` a header must carry (RFC 8725 section 3.11: explicit typing tells kinds of JWT
/// apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typ<'a> {
    /// Any `typ`, or none: the caller tells kinds of token apart itself.
    Any,
    /// This media type, without its `application/` prefix (`at+jwt`). RFC 7515 section
    /// 4.1.9: media types compare case-insensitively, and a `typ` without a `/` is read with
    /// `application/` in front, so `at+jwt` and `Application/AT+JWT` both match.
    Is(&'a str),
}

impl Rules<'_> {
    /// The checks that depend on the rules: `alg` among the allowed ones, `typ`, then `kid`.
    fn check(&self, alg: SigningAlgorithm, typ: Option<&str>, kid: bool) -> Result<(), JwsError> {
        if !self.algorithms.contains(&alg) {
            return Err(JwsError::AlgorithmNotAllowed(alg.as_str().to_owned()));
        }
        if self.require_kid && !kid {
            return Err(JwsError::Malformed("the header has no `kid`"));
        }
        match self.typ {
            Typ::Any => Ok(()),
            Typ::Is(expected) if typ.is_some_and(|typ| is_media_type(typ, expected)) => Ok(()),
            Typ::Is(expected) => Err(JwsError::WrongType {
                expected: expected.to_owned(),
                found: typ.map(str::to_owned),
            }),
        }
    }
}

/// Whether `typ` names the media type `application/{expected}`.
fn is_media_type(typ: &str, expected: &str) -> bool {
    const APPLICATION: &str = "application/";
    let typ = match typ.get(..APPLICATION.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(APPLICATION) => &typ[APPLICATION.len()..],
        _ => typ,
    };
    typ.eq_ignore_ascii_case(expected)
}

/// The JOSE header members that matter here, borrowed from the decoded header.
#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: JsonStr<'a>,
    #[serde(borrow)]
    typ: Option<JsonStr<'a>>,
    #[serde(borrow)]
    kid: Option<JsonStr<'a>>,
    crit: Option<IgnoredAny>,
}

/// A JSON string, borrowed unless it has escapes. (`Option<Cow<str>>` would always copy.)
struct JsonStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = JsonStr<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<JsonStr<'de>, E> {
                Ok(JsonStr(Cow::Borrowed(s)))
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<JsonStr<'de>, E> {
                Ok(JsonStr(Cow::Owned(s.to_owned())))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// Decoded headers up to this size stay on the stack.
const HEADER_INLINE: usize = 256;

/// What a header that passed the checks says.
#[derive(Clone)]
pub(super) struct Checked {
    pub alg: SigningAlgorithm,
    pub typ: Option<Arc<str>>,
    /// Empty when the header has none (only where the rules allow it).
    pub kid: Arc<str>,
}

/// A JOSE header that passed the checks, as sent, with what it says.
struct Remembered {
    encoded: Box<str>,
    checked: Checked,
}

thread_local! {
    /// The header that last passed the checks on this thread. Every token one key signs has
    /// the same header, so most tokens skip decoding and parsing theirs; what the header says
    /// depends on its text alone, and the rules, which differ between callers, are checked
    /// again on every use.
    static LAST_HEADER: RefCell<Option<Remembered>> = const { RefCell::new(None) };
}

/// What `encoded`, a JOSE header, says, when it passes `rules`.
pub(super) fn checked(encoded: &str, rules: &Rules<'_>) -> Result<Checked, JwsError> {
    let seen = LAST_HEADER.with_borrow(|last| {
        last.as_ref()
            .filter(|last| *last.encoded == *encoded)
            .map(|last| last.checked.clone())
    });
    if let Some(seen) = seen {
        rules.check(seen.alg, seen.typ.as_deref(), !seen.kid.is_empty())?;
        return Ok(seen);
    }
    let checked = decoded::<HEADER_INLINE, _>(encoded, |bytes| {
        json::<Header<'_>>(bytes).map(|header| check(header, rules))
    })
    .flatten()
    .ok_or(JwsError::Malformed(
        "the header is not base64url-encoded JSON with `alg`",
    ))??;
    LAST_HEADER.set(Some(Remembered {
        encoded: encoded.into(),
        checked: checked.clone(),
    }));
    Ok(checked)
}

/// The header checks, in order: `alg` (one of this crate's, then one of the rules'), `typ`,
/// `crit`, `kid`.
fn check(header: Header<'_>, rules: &Rules<'_>) -> Result<Checked, JwsError> {
    // RFC 9068 section 4 and RFC 8725 section 3.1: check `alg` and refuse `none`; only the
    // algorithms of the keys are allowed, so HMAC tokens "signed" with a public key never
    // reach a verifier.
    let Some(alg) = SigningAlgorithm::parse(&header.alg.0) else {
        return Err(JwsError::AlgorithmNotAllowed(header.alg.0.into_owned()));
    };
    // An empty `kid` names no key: it counts as none.
    let kid = header.kid.map(|kid| kid.0).unwrap_or_default();
    rules.check(alg, header.typ.as_ref().map(|typ| &*typ.0), !kid.is_empty())?;
    // RFC 7515 section 4.1.11: extensions listed in `crit` MUST be understood; none are.
    if header.crit.is_some() {
        return Err(JwsError::Malformed(
            "the header lists `crit` extensions, none of which are understood",
        ));
    }
    Ok(Checked {
        alg,
        typ: header.typ.map(|typ| typ.0.into()),
        kid: kid.into(),
    })
}

/// Parses JSON text in `bytes`: UTF-8 checked once for the whole, not string by string.
pub(super) fn json<'b, T: Deserialize<'b>>(bytes: &'b [u8]) -> Option<T> {
    serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::super::Unverified;
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    const ACCESS_TOKEN: Rules<'static> = Rules {
        algorithms: &SigningAlgorithm::ALL,
        typ: Typ::Is("at+jwt"),
        require_kid: true,
    };

    fn part(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    fn header_check_with(header: serde_json::Value, rules: &Rules<'_>) -> Result<String, JwsError> {
        let token = format!("{}.{}.c2ln", part(&header), part(&json!({})));
        Unverified::parse(&token, rules).map(|unverified| unverified.kid().to_owned())
    }

    fn header_check(header: serde_json::Value) -> Result<String, JwsError> {
        header_check_with(header, &ACCESS_TOKEN)
    }

    #[test]
    fn both_spellings_of_the_access_token_type_are_accepted_in_any_case() {
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/At+Jwt",
        ] {
            let kid = header_check(json!({"alg": "RS256", "typ": typ, "kid": "k1"}));
            assert_eq!(kid.unwrap(), "k1", "{typ}");
        }
        let error = header_check(json!({"alg": "RS256", "kid": "k1"})).unwrap_err();
        assert!(matches!(error, JwsError::WrongType { found: None, .. }));
        for typ in ["JWT", "text/at+jwt", "application/", "at+jwt2"] {
            let error = header_check(json!({"alg": "RS256", "typ": typ, "kid": "k1"}));
            assert!(
                matches!(&error, Err(JwsError::WrongType { found: Some(found), .. }) if found == typ),
                "{typ}: {error:?}"
            );
        }
    }

    #[test]
    fn escaped_header_members_are_read_like_plain_ones() {
        let header = URL_SAFE_NO_PAD
            .encode(r#"{"alg":"RS\u0032\u00356","typ":"at\u002Bjwt","kid":"k\u0031"}"#);
        let token = format!("{header}.{}.c2ln", part(&json!({})));
        let unverified = Unverified::parse(&token, &ACCESS_TOKEN).unwrap();
        assert_eq!(unverified.kid(), "k1");
        assert_eq!(unverified.typ(), Some("at+jwt"));
    }

    #[test]
    fn only_the_issuers_algorithms_pass_the_header_check() {
        for alg in ["RS256", "ES256", "EdDSA"] {
            assert!(header_check(json!({"alg": alg, "typ": "at+jwt", "kid": "k"})).is_ok());
        }
        // RFC 9864's fully-specified name of EdDSA with Ed25519.
        assert!(header_check(json!({"alg": "Ed25519", "typ": "at+jwt", "kid": "k"})).is_ok());
        for alg in ["none", "HS256", "RS512", "PS256", "ES384", "eddsa", "Ed448"] {
            let error = header_check(json!({"alg": alg, "typ": "at+jwt", "kid": "k"}));
            assert!(
                matches!(&error, Err(JwsError::AlgorithmNotAllowed(a)) if a == alg),
                "{alg}: {error:?}"
            );
        }
    }

    #[test]
    fn critical_extensions_and_a_missing_kid_are_refused() {
        let crit = json!({"alg": "RS256", "typ": "at+jwt", "kid": "k", "crit": ["exp"]});
        assert!(matches!(header_check(crit), Err(JwsError::Malformed(_))));
        let no_kid = json!({"alg": "RS256", "typ": "at+jwt"});
        assert!(matches!(header_check(no_kid), Err(JwsError::Malformed(_))));
        assert!(matches!(
            Unverified::parse("a.b", &ACCESS_TOKEN),
            Err(JwsError::Malformed(_))
        ));
    }

    #[test]
    fn a_remembered_header_answers_only_for_its_own_text() {
        let header = |kid: &str| json!({"alg": "RS256", "typ": "at+jwt", "kid": kid});
        // The same thread throughout, so each parse sees what the one before remembered.
        assert_eq!(header_check(header("k1")).unwrap(), "k1");
        assert_eq!(header_check(header("k1")).unwrap(), "k1");
        assert_eq!(header_check(header("k2")).unwrap(), "k2");
        assert_eq!(header_check(header("k1")).unwrap(), "k1");
        // A header that fails is not remembered, and does not make the last good one fail.
        let none = json!({"alg": "none", "typ": "at+jwt", "kid": "k1"});
        for _ in 0..2 {
            assert!(matches!(
                header_check(none.clone()),
                Err(JwsError::AlgorithmNotAllowed(_))
            ));
        }
        assert_eq!(header_check(header("k1")).unwrap(), "k1");
        // A signature that is not base64url is refused with a remembered header too.
        let token = format!("{}.{}.c2ln=", part(&header("k1")), part(&json!({})));
        assert!(matches!(
            Unverified::parse(&token, &ACCESS_TOKEN),
            Err(JwsError::Malformed(_))
        ));
    }

    #[test]
    fn a_remembered_header_is_checked_again_under_other_rules() {
        let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": "k1"});
        assert_eq!(header_check(header.clone()).unwrap(), "k1");
        let dpop = Rules {
            algorithms: &SigningAlgorithm::ALL,
            typ: Typ::Is("dpop+jwt"),
            require_kid: true,
        };
        assert!(matches!(
            header_check_with(header.clone(), &dpop),
            Err(JwsError::WrongType { .. })
        ));
        let es256 = Rules {
            algorithms: &[SigningAlgorithm::Es256],
            typ: Typ::Any,
            require_kid: true,
        };
        assert!(matches!(
            header_check_with(header.clone(), &es256),
            Err(JwsError::AlgorithmNotAllowed(_))
        ));
        assert_eq!(header_check(header).unwrap(), "k1");
    }
}
