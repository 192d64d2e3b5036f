//! The compact JWS of an access token: header checks, signature, claim checks.
//!
//! Signature verification is aws-lc-rs with a key parsed once per JWKS fetch; everything
//! else here is parsing and comparing.

use super::VerifyError;
use super::claims::{Claims, RawClaims};
use super::decode::{decoded, is_base64url};
use super::keys::VerifyingKey;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Longest token accepted, in bytes.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The accepted signature algorithms: the ones the authorization server signs with. `none`
/// and the HMAC algorithms are not among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 section 3.3).
    Rs256,
    /// ECDSA P-256 with SHA-256 (RFC 7518 section 3.4).
    Es256,
    /// EdDSA with an Ed25519 key (RFC 8037 section 3.1).
    EdDsa,
}

impl Algorithm {
    /// The algorithm named by a JWS `alg` or JWK `alg` (case-sensitive).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            "EdDSA" => Some(Self::EdDsa),
            _ => None,
        }
    }

    /// The JWS name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }
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
/// Signatures up to this size (RSA keys up to 4096 bits) stay on the stack.
const SIGNATURE_INLINE: usize = 512;
/// Decoded claims up to this size stay on the stack.
const PAYLOAD_INLINE: usize = 2048;

/// A token whose header passed the checks; its signature is not verified yet.
pub(crate) struct Unverified<'a> {
    signing_input: &'a str,
    payload: &'a str,
    /// base64url, checked; decoded when verified.
    signature: &'a str,
    alg: Algorithm,
    /// The key the header names.
    pub kid: Arc<str>,
}

impl<'a> Unverified<'a> {
    /// Splits the token and checks its header: `alg`, `typ`, `kid`, `crit`.
    pub fn parse(token: &'a str) -> Result<Self, VerifyError> {
        let malformed = |why: &str| VerifyError::Malformed(why.to_owned());
        if token.len() > MAX_TOKEN_LEN {
            return Err(malformed("longer than 16 KiB"));
        }
        // The dots are ASCII, so the parts between them are `str`s too.
        let mut dots = memchr::memchr_iter(b'.', token.as_bytes());
        let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
            return Err(malformed("not three dot-separated parts (a compact JWS)"));
        };
        let (encoded_header, payload, signature) = (
            &token[..first],
            &token[first + 1..second],
            &token[second + 1..],
        );
        let (alg, kid) = checked_header(encoded_header)?;
        if !is_base64url(signature) {
            return Err(malformed("the signature is not base64url"));
        }
        let signing_input = &token[..second];
        Ok(Self {
            signing_input,
            payload,
            signature,
            alg,
            kid,
        })
    }

    /// Checks that `key` is a key of the header's algorithm and the signature with it, then
    /// decodes the payload.
    pub fn verify(&self, key: &VerifyingKey) -> Result<RawClaims, VerifyError> {
        // RFC 8725 section 3.1: a key is used with exactly one algorithm, the one its JWK
        // states; a header naming another (an ES256 header on an RSA key's `kid`) is refused
        // before any signature check.
        if key.algorithm() != self.alg {
            return Err(VerifyError::AlgorithmMismatch {
                alg: self.alg.as_str().to_owned(),
                kid: self.kid.to_string(),
                key_alg: key.algorithm().as_str().to_owned(),
            });
        }
        // An ES256 signature is R || S, 64 bytes (RFC 7518 section 3.4), and an EdDSA one the
        // 64-byte Ed25519 signature (RFC 8037 section 3.1); the parsed key refuses other forms,
        // DER-encoded ECDSA signatures included.
        decoded::<SIGNATURE_INLINE, _>(self.signature, |signature| {
            key.verify_sig(self.signing_input.as_bytes(), signature)
        })
        .ok_or_else(|| VerifyError::Malformed("the signature is not base64url".to_owned()))??;
        decoded::<PAYLOAD_INLINE, _>(self.payload, |bytes| json(bytes))
            .flatten()
            .ok_or_else(|| {
                VerifyError::Malformed("the payload is not a JSON object of JWT claims".to_owned())
            })
    }
}

/// A JOSE header that passed the checks, as sent, with what it says.
struct CheckedHeader {
    encoded: Box<str>,
    alg: Algorithm,
    kid: Arc<str>,
}

thread_local! {
    /// The header that last passed the checks on this thread. Every token one key signs has
    /// the same header, so most tokens skip decoding and parsing theirs; the checks depend on
    /// the header's text alone.
    static LAST_HEADER: RefCell<Option<CheckedHeader>> = const { RefCell::new(None) };
}

/// The algorithm and the key id of `encoded`, a JOSE header that passes the checks.
fn checked_header(encoded: &str) -> Result<(Algorithm, Arc<str>), VerifyError> {
    let seen = LAST_HEADER.with_borrow(|last| {
        last.as_ref()
            .filter(|last| *last.encoded == *encoded)
            .map(|last| (last.alg, last.kid.clone()))
    });
    if let Some(seen) = seen {
        return Ok(seen);
    }
    let (alg, kid) =
        decoded::<HEADER_INLINE, _>(encoded, |bytes| json::<Header<'_>>(bytes).map(check_header))
            .flatten()
            .ok_or_else(|| {
                VerifyError::Malformed(
                    "the header is not base64url-encoded JSON with `alg`".to_owned(),
                )
            })??;
    let kid: Arc<str> = kid.into();
    LAST_HEADER.set(Some(CheckedHeader {
        encoded: encoded.into(),
        alg,
        kid: kid.clone(),
    }));
    Ok((alg, kid))
}

/// The header checks: the algorithm and the key id, or why not.
fn check_header(header: Header<'_>) -> Result<(Algorithm, String), VerifyError> {
    let malformed = |why: &str| VerifyError::Malformed(why.to_owned());
    // RFC 9068 section 4: the resource server MUST check `alg` and refuse `none`; only the
    // algorithms of the issuer's keys are allowed, so HMAC tokens "signed" with a public
    // key never reach a verifier.
    let Some(alg) = Algorithm::parse(&header.alg.0) else {
        return Err(VerifyError::AlgorithmNotAllowed(header.alg.0.into_owned()));
    };
    // RFC 9068 section 4: `typ` MUST be `at+jwt` or `application/at+jwt`; media types
    // compare case-insensitively (RFC 7515 section 4.1.9).
    let typ_ok = header.typ.as_ref().is_some_and(|typ| {
        typ.0.eq_ignore_ascii_case(auth_proto::ACCESS_TOKEN_TYP)
            || typ.0.eq_ignore_ascii_case("application/at+jwt")
    });
    if !typ_ok {
        return Err(VerifyError::WrongType {
            found: header.typ.map(|typ| typ.0.into_owned()),
        });
    }
    // RFC 7515 section 4.1.11: extensions listed in `crit` MUST be understood; none are.
    if header.crit.is_some() {
        return Err(malformed(
            "the header lists `crit` extensions, none of which are understood",
        ));
    }
    let kid = header
        .kid
        .ok_or_else(|| malformed("the header has no `kid`"))?
        .0
        .into_owned();
    Ok((alg, kid))
}

/// Parses JSON text in `bytes`: UTF-8 checked once for the whole, not string by string.
fn json<'b, T: Deserialize<'b>>(bytes: &'b [u8]) -> Option<T> {
    serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()
}

/// What the claims are checked against.
pub(crate) struct Expectations<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub now: i64,
    pub leeway: Duration,
}

/// RFC 9068 section 4: `iss` exactly the issuer, `aud` containing the audience, `exp` in the
/// future, and the claims section 2.2 requires present.
pub(crate) fn check(raw: RawClaims, expect: &Expectations<'_>) -> Result<Claims, VerifyError> {
    fn required<T>(value: Option<T>, name: &str) -> Result<T, VerifyError> {
        value.ok_or_else(|| VerifyError::Malformed(format!("the `{name}` claim is missing")))
    }
    let issuer = required(raw.iss, "iss")?;
    if issuer != expect.issuer {
        return Err(VerifyError::WrongIssuer {
            expected: expect.issuer.to_owned(),
            found: issuer,
        });
    }
    let audience = required(raw.aud, "aud")?;
    if !audience.iter().any(|aud| aud == expect.audience) {
        return Err(VerifyError::WrongAudience {
            expected: expect.audience.to_owned(),
            found: audience,
        });
    }
    let leeway = i64::try_from(expect.leeway.as_secs()).unwrap_or(i64::MAX);
    let exp = required(raw.exp, "exp")?;
    // RFC 7519 section 4.1.4: the current time MUST be before `exp`.
    if expect.now >= exp.saturating_add(leeway) {
        return Err(VerifyError::Expired { exp });
    }
    if let Some(nbf) = raw.nbf
        && expect.now.saturating_add(leeway) < nbf
    {
        return Err(VerifyError::NotYetValid { nbf });
    }
    Ok(Claims {
        issuer,
        audience,
        sub: required(raw.sub, "sub")?,
        client_id: required(raw.client_id, "client_id")?,
        scopes: raw.scopes,
        roles: raw.roles,
        permissions: raw.permissions,
        exp,
        iat: required(raw.iat, "iat")?,
        nbf: raw.nbf,
        jti: required(raw.jti, "jti")?,
        auth_time: raw.auth_time,
        extra: raw.extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    fn part(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    fn header_check(header: serde_json::Value) -> Result<String, VerifyError> {
        let token = format!("{}.{}.c2ln", part(&header), part(&json!({})));
        Unverified::parse(&token).map(|unverified| unverified.kid.to_string())
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
        assert!(matches!(error, VerifyError::WrongType { found: None }));
    }

    #[test]
    fn escaped_header_members_are_read_like_plain_ones() {
        let header = URL_SAFE_NO_PAD
            .encode(r#"{"alg":"RS\u0032\u00356","typ":"at\u002Bjwt","kid":"k\u0031"}"#);
        let token = format!("{header}.{}.c2ln", part(&json!({})));
        assert_eq!(&*Unverified::parse(&token).unwrap().kid, "k1");
    }

    #[test]
    fn only_the_issuers_algorithms_pass_the_header_check() {
        for alg in ["RS256", "ES256", "EdDSA"] {
            assert!(header_check(json!({"alg": alg, "typ": "at+jwt", "kid": "k"})).is_ok());
        }
        for alg in [
            "none", "HS256", "RS512", "PS256", "ES384", "eddsa", "Ed25519",
        ] {
            let error = header_check(json!({"alg": alg, "typ": "at+jwt", "kid": "k"}));
            assert!(
                matches!(&error, Err(VerifyError::AlgorithmNotAllowed(a)) if a == alg),
                "{alg}: {error:?}"
            );
        }
    }

    #[test]
    fn critical_extensions_and_a_missing_kid_are_refused() {
        let crit = json!({"alg": "RS256", "typ": "at+jwt", "kid": "k", "crit": ["exp"]});
        assert!(matches!(header_check(crit), Err(VerifyError::Malformed(_))));
        let no_kid = json!({"alg": "RS256", "typ": "at+jwt"});
        assert!(matches!(
            header_check(no_kid),
            Err(VerifyError::Malformed(_))
        ));
        assert!(matches!(
            Unverified::parse("a.b"),
            Err(VerifyError::Malformed(_))
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
                Err(VerifyError::AlgorithmNotAllowed(_))
            ));
        }
        assert_eq!(header_check(header("k1")).unwrap(), "k1");
        // A signature that is not base64url is refused with a remembered header too.
        let token = format!("{}.{}.c2ln=", part(&header("k1")), part(&json!({})));
        assert!(matches!(
            Unverified::parse(&token),
            Err(VerifyError::Malformed(_))
        ));
    }

    fn claims(extra: serde_json::Value) -> RawClaims {
        let mut value = json!({
            "iss": "https://id.test", "aud": ["https://a.test", "https://b.test"],
            "sub": "u1", "client_id": "web", "iat": 1000, "exp": 2000, "jti": "j",
            "scope": "openid tickets:read", "roles": ["support"], "tenant": "t1",
        });
        if let (Some(object), Some(extra)) = (value.as_object_mut(), extra.as_object()) {
            object.extend(extra.clone());
        }
        serde_json::from_value(value).unwrap()
    }

    fn expect(now: i64) -> Expectations<'static> {
        Expectations {
            issuer: "https://id.test",
            audience: "https://b.test",
            now,
            leeway: Duration::from_secs(60),
        }
    }

    #[test]
    fn an_audience_array_containing_the_audience_is_accepted() {
        let claims = check(claims(json!({})), &expect(1500)).unwrap();
        assert!(claims.has_scope("tickets:read"));
        assert!(claims.has_role("support"));
        assert_eq!(claims.extra["tenant"], "t1");
        let error = check(claims_for_audience("https://c.test"), &expect(1500)).unwrap_err();
        assert!(matches!(error, VerifyError::WrongAudience { .. }));
    }

    fn claims_for_audience(aud: &str) -> RawClaims {
        claims(json!({ "aud": aud }))
    }

    #[test]
    fn expiry_and_not_before_allow_the_leeway_and_no_more() {
        assert!(check(claims(json!({})), &expect(2059)).is_ok());
        assert!(matches!(
            check(claims(json!({})), &expect(2060)),
            Err(VerifyError::Expired { exp: 2000 })
        ));
        assert!(check(claims(json!({"nbf": 1560})), &expect(1500)).is_ok());
        assert!(matches!(
            check(claims(json!({"nbf": 1561})), &expect(1500)),
            Err(VerifyError::NotYetValid { nbf: 1561 })
        ));
    }

    #[test]
    fn a_missing_required_claim_is_named() {
        let mut raw = claims(json!({}));
        raw.jti = None;
        let error = check(raw, &expect(1500)).unwrap_err();
        assert!(error.to_string().contains("`jti`"), "{error}");
    }
}
