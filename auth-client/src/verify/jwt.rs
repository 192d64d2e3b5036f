//! The compact JWS of an access token: the JOSE checks (`auth-jose`, under the RFC 9068
//! rules: `typ` `at+jwt`), then the claim checks.

use super::VerifyError;
use super::claims::{Claims, RawClaims};
use auth_jose::jws::{Rules, Typ, Unverified};
use auth_jose::{PublicKey, SigningAlgorithm};
use std::time::Duration;

/// The header rules of an access token: the algorithms the authorization server signs with
/// (`none` and the HMAC algorithms are not among them), and RFC 9068 section 4's `typ`:
/// `at+jwt`, or `application/at+jwt`, in any case.
const ACCESS_TOKEN: Rules<'static> = Rules {
    algorithms: &SigningAlgorithm::ALL,
    typ: Typ::Is(auth_proto::ACCESS_TOKEN_TYP),
    require_kid: true,
};

/// Splits the token and checks its header: `alg`, `typ`, `kid`, `crit`.
pub(crate) fn parse(token: &str) -> Result<Unverified<'_>, VerifyError> {
    Unverified::parse(token, &ACCESS_TOKEN).map_err(VerifyError::from_jws)
}

/// Checks that `key` is a key of the header's algorithm and the signature with it, then
/// reads the claims.
pub(crate) fn verify(
    unverified: &Unverified<'_>,
    key: &PublicKey,
) -> Result<RawClaims, VerifyError> {
    unverified.verify_json(key).map_err(VerifyError::from_jws)
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
        act: raw.act,
        extra: raw.extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_header_refusals_keep_their_access_token_errors() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let token = |header: serde_json::Value| {
            format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(header.to_string()))
        };
        let id_token = token(json!({"alg": "RS256", "typ": "JWT", "kid": "k"}));
        assert!(matches!(
            parse(&id_token),
            Err(VerifyError::WrongType { found: Some(typ) }) if typ == "JWT"
        ));
        let unsigned = token(json!({"alg": "none", "typ": "at+jwt", "kid": "k"}));
        assert!(matches!(
            parse(&unsigned),
            Err(VerifyError::AlgorithmNotAllowed(alg)) if alg == "none"
        ));
        let error = parse("a.b").err().unwrap();
        assert!(matches!(error, VerifyError::Malformed(_)), "{error}");
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
