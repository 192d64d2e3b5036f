//! Tokens checked by a library this project did not write.

use crate::Fetch as _;
/// Verifies a JWT with the server's published JWKS through `jsonwebtoken` (a library this
/// project did not write), checking issuer and audience; returns header and claims.
pub async fn verify_with_jwks(
    app_base: &str,
    http: &reqwest::Client,
    token: &str,
    issuer: &str,
    audience: &str,
) -> Result<(jsonwebtoken::Header, serde_json::Value), jsonwebtoken::errors::Error> {
    let jwks: jsonwebtoken::jwk::JwkSet =
        http.get(format!("{app_base}/jwks.json")).fetch_json().await;
    let header = jsonwebtoken::decode_header(token)?;
    let kid = header.kid.clone().expect("kid in header");
    let jwk = jwks.find(&kid).ok_or_else(|| {
        jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)
    })?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk)?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)?;
    Ok((data.header, data.claims))
}
