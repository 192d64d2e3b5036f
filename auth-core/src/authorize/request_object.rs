//! JWT-secured authorization requests, [RFC 9101](https://www.rfc-editor.org/rfc/rfc9101): the
//! authorization request as the claims of a JWT the client signed with one of its keys, sent by
//! value in `request` at `/authorize` or at the pushed authorization request endpoint.
//!
//! The object's claims replace the request's parameters entirely (section 6.3: the server
//! MUST only use the parameters in the request object). It must come from the client (`iss`),
//! be meant for this server (`aud`), be valid now (`exp`, `nbf`), and be used once.

use crate::Provider;
use crate::clients::Client;
use crate::clients::assertion::{Audience, CLIENT_JWT_IDS, CLOCK_SKEW_SECS, first_use};
use crate::clients::keys::{self, ClientJwtError};
use crate::error::OAuthError;
use crate::params::Params;
use auth_proto::error::ErrorCode;
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Longest a request object may be valid (`exp` minus `nbf`, or minus now): FAPI 2.0 Message
/// Signing section 5.3.2 asks for at most 60 minutes.
pub const MAX_LIFETIME_SECS: i64 = 3600;

/// The `typ` values a request object may carry: none, `JWT`, or the one RFC 9101 section 10.8
/// registers for it. Any other type is another kind of JWT (an ID token, a DPoP proof) that
/// must not be read as a request.
fn acceptable_typ(typ: Option<&str>) -> bool {
    match typ {
        None => true,
        Some(typ) => {
            let typ = typ.strip_prefix("application/").unwrap_or(typ);
            typ.eq_ignore_ascii_case("jwt") || typ.eq_ignore_ascii_case("oauth-authz-req+jwt")
        }
    }
}

/// Claims of the JWT itself, not request parameters.
const JWT_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "nbf", "iat", "jti"];

fn invalid(description: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestObject, description)
}

/// Verifies `object`, a request object of `client`, and returns the request parameters it
/// carries.
pub async fn resolve(
    provider: &Provider,
    client: &Client,
    object: &str,
) -> Result<Params, OAuthError> {
    let id = client.id.as_str();
    let verified = keys::verify_client_jwt(provider, client, object)
        .await
        .map_err(|e| match e {
            ClientJwtError::Jws(e) => invalid(format!("the request object was refused: {e}")),
            other => invalid(other.to_string()),
        })?;
    if !acceptable_typ(verified.header.typ.as_deref()) {
        return Err(invalid(
            "the request object's typ must be oauth-authz-req+jwt (or JWT)",
        ));
    }
    let claims: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&verified.payload)
            .map_err(|_| invalid("the request object does not hold a JSON object of claims"))?;
    let text = |name: &str| claims.get(name).and_then(serde_json::Value::as_str);
    let number = |name: &str| claims.get(name).and_then(serde_json::Value::as_i64);
    // RFC 9101 section 4: `iss` is the client; section 6.3: a `client_id` in the object MUST be
    // the request's `client_id` (the client whose keys verified it).
    if text("iss") != Some(id) {
        return Err(invalid(format!(
            "the request object's iss must be the client id `{id}`"
        )));
    }
    if text("client_id").is_some_and(|client_id| client_id != id) {
        return Err(invalid(format!(
            "the request object's client_id must be `{id}`, the client_id of the request"
        )));
    }
    // RFC 9101 section 4: `aud` SHOULD be the issuer; it is required here so an object made
    // for another server is never accepted.
    let issuer = provider.settings().issuer.as_str();
    let audience: Option<Audience> = claims
        .get("aud")
        .and_then(|aud| serde_json::from_value(aud.clone()).ok());
    let for_us = match &audience {
        Some(Audience::One(aud)) => aud == issuer,
        Some(Audience::Many(list)) => list.iter().any(|aud| aud == issuer),
        None => false,
    };
    if !for_us {
        return Err(invalid(format!(
            "the request object's aud must be the issuer `{issuer}`"
        )));
    }
    let now = provider.clock().unix();
    let exp = number("exp").ok_or_else(|| invalid("the request object has no exp"))?;
    if exp <= now {
        return Err(invalid("the request object has expired"));
    }
    let nbf = number("nbf");
    if nbf.is_some_and(|nbf| nbf > now + CLOCK_SKEW_SECS) {
        return Err(invalid("the request object is not valid yet (nbf)"));
    }
    if exp - nbf.unwrap_or(now) > MAX_LIFETIME_SECS {
        return Err(invalid(format!(
            "the request object may be valid for at most {MAX_LIFETIME_SECS} s (exp - nbf)"
        )));
    }
    // Replay: by `jti` when the object has one, else by the object itself.
    let replay_id = match text("jti") {
        Some(jti) if !jti.is_empty() && jti.len() <= 256 => jti.to_owned(),
        Some(_) => {
            return Err(invalid(
                "the request object's jti must be 1 to 256 characters",
            ));
        }
        None => format!(
            "sha256:{}",
            URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, object.as_bytes()))
        ),
    };
    if !first_use(provider, CLIENT_JWT_IDS, id, &replay_id, exp).await? {
        return Err(invalid(
            "the request object was used before: send a new one for each request",
        ));
    }
    let mut params = Params::default();
    for (name, value) in &claims {
        if JWT_CLAIMS.contains(&name.as_str()) {
            continue;
        }
        // Section 4: the request parameters as claims; a number (max_age) or an object
        // (claims) is read as the text a query would carry.
        let value = match value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Null => continue,
            other => other.to_string(),
        };
        params.set(name, &value);
    }
    params.set("client_id", id);
    Ok(params)
}
