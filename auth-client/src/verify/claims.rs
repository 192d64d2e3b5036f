//! The claims of a verified access token.

use auth_proto::claims::Actor;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt;

/// What a verified RFC 9068 access token says.
///
/// The registered claims are typed; anything else the token carries is in
/// [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claims {
    /// Issuer (`iss`); equal to the configured issuer.
    pub issuer: String,
    /// Audiences (`aud`); among them the configured audience.
    pub audience: Vec<String>,
    /// Subject (`sub`): the user id, or the client id for a client-credentials token.
    pub sub: String,
    /// The client the token was issued to (`client_id`).
    pub client_id: String,
    /// Granted scopes (the space-separated `scope` claim, RFC 9068 section 2.2.3).
    pub scopes: BTreeSet<String>,
    /// The user's roles (`roles`, RFC 9068 section 2.2.3.1).
    pub roles: BTreeSet<String>,
    /// Permissions granted through the roles (`permissions`).
    pub permissions: BTreeSet<String>,
    /// Expiry (`exp`), seconds since the epoch.
    pub exp: i64,
    /// Issued at (`iat`), seconds since the epoch.
    pub iat: i64,
    /// Not before (`nbf`), seconds since the epoch, when present.
    pub nbf: Option<i64>,
    /// Token id (`jti`).
    pub jti: String,
    /// When the user authenticated (`auth_time`), for user tokens.
    pub auth_time: Option<i64>,
    /// Who acts for the user (`act`, RFC 8693 section 4.1), on a token a service obtained by
    /// token exchange: `act.sub` is that service's client id; a nested `act` names the
    /// service before it. Only the outermost actor is the one calling now.
    pub act: Option<Actor>,
    /// Every other claim, as sent.
    pub extra: Map<String, Value>,
}

impl Claims {
    /// The client id of the service acting for the user (`act.sub`), on a token obtained by
    /// token exchange; `None` when the token's own client calls.
    pub fn actor(&self) -> Option<&str> {
        self.act.as_ref().map(|act| act.sub.as_str())
    }

    /// The thumbprint of the DPoP key the token is bound to (`cnf.jkt`, RFC 9449 section 6.1).
    pub fn dpop_jkt(&self) -> Option<&str> {
        self.extra.get("cnf")?.get("jkt")?.as_str()
    }

    /// Whether scope `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// Whether the user has role `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }

    /// Whether the token carries permission `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    /// Whether the token acts for a user rather than for a client on its own behalf.
    ///
    /// A client-credentials token has `sub` equal to `client_id` (RFC 9068 section 2.2) and no
    /// `auth_time`; a token is a user's when `sub` differs from `client_id` **or** it carries
    /// `auth_time` (RFC 9068 section 2.2.1, set when a user authenticated).
    pub fn is_user(&self) -> bool {
        self.sub != self.client_id || self.auth_time.is_some()
    }

    /// The user id, for a user's token (see [`is_user`](Self::is_user)).
    pub fn user_id(&self) -> Option<&str> {
        self.is_user().then_some(self.sub.as_str())
    }
}

/// The claims as they come out of the payload, before the required ones are checked.
///
/// Read in one pass without buffering: the registered claims into their types (a claim named
/// twice is refused, RFC 7519 section 4), everything else into `extra`.
pub(crate) struct RawClaims {
    pub iss: Option<String>,
    pub aud: Option<Vec<String>>,
    pub sub: Option<String>,
    pub client_id: Option<String>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
    pub jti: Option<String>,
    /// The space-separated `scope`, split.
    pub scopes: BTreeSet<String>,
    pub auth_time: Option<i64>,
    pub roles: BTreeSet<String>,
    pub permissions: BTreeSet<String>,
    pub act: Option<Actor>,
    pub extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for RawClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RawClaimsVisitor)
    }
}

struct RawClaimsVisitor;

impl<'de> Visitor<'de> for RawClaimsVisitor {
    type Value = RawClaims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of JWT claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawClaims, A::Error> {
        // Each registered claim is `Some` once seen, so a second one is an error; `null`
        // counts as absent, as it did for `Option` fields.
        let mut iss: Option<Option<String>> = None;
        let mut aud: Option<Option<Audience>> = None;
        let mut sub: Option<Option<String>> = None;
        let mut client_id: Option<Option<String>> = None;
        let mut exp: Option<Option<i64>> = None;
        let mut iat: Option<Option<i64>> = None;
        let mut nbf: Option<Option<i64>> = None;
        let mut jti: Option<Option<String>> = None;
        let mut scope: Option<Option<Scopes>> = None;
        let mut auth_time: Option<Option<i64>> = None;
        let mut roles: Option<BTreeSet<String>> = None;
        let mut permissions: Option<BTreeSet<String>> = None;
        let mut act: Option<Option<Actor>> = None;
        let mut extra = Map::new();
        while let Some(name) = map.next_key::<ClaimName>()? {
            match name {
                ClaimName::Iss => once(&mut iss, &mut map, "iss")?,
                ClaimName::Aud => once(&mut aud, &mut map, "aud")?,
                ClaimName::Sub => once(&mut sub, &mut map, "sub")?,
                ClaimName::ClientId => once(&mut client_id, &mut map, "client_id")?,
                ClaimName::Exp => once(&mut exp, &mut map, "exp")?,
                ClaimName::Iat => once(&mut iat, &mut map, "iat")?,
                ClaimName::Nbf => once(&mut nbf, &mut map, "nbf")?,
                ClaimName::Jti => once(&mut jti, &mut map, "jti")?,
                ClaimName::Scope => once(&mut scope, &mut map, "scope")?,
                ClaimName::AuthTime => once(&mut auth_time, &mut map, "auth_time")?,
                ClaimName::Roles => once(&mut roles, &mut map, "roles")?,
                ClaimName::Permissions => once(&mut permissions, &mut map, "permissions")?,
                ClaimName::Act => once(&mut act, &mut map, "act")?,
                ClaimName::Other(name) => {
                    extra.insert(name, map.next_value()?);
                }
            }
        }
        Ok(RawClaims {
            iss: iss.flatten(),
            aud: aud.flatten().map(|aud| aud.0),
            sub: sub.flatten(),
            client_id: client_id.flatten(),
            exp: exp.flatten(),
            iat: iat.flatten(),
            nbf: nbf.flatten(),
            jti: jti.flatten(),
            scopes: scope.flatten().map(|scopes| scopes.0).unwrap_or_default(),
            auth_time: auth_time.flatten(),
            roles: roles.unwrap_or_default(),
            permissions: permissions.unwrap_or_default(),
            act: act.flatten(),
            extra,
        })
    }
}

/// Reads the value of claim `name` into `slot`, refusing a second occurrence.
fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    slot: &mut Option<T>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// A claim name: a registered one without allocating, any other as an owned key for `extra`.
enum ClaimName {
    Iss,
    Aud,
    Sub,
    ClientId,
    Exp,
    Iat,
    Nbf,
    Jti,
    Scope,
    AuthTime,
    Roles,
    Permissions,
    Act,
    Other(String),
}

impl<'de> Deserialize<'de> for ClaimName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = ClaimName;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a claim name")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<ClaimName, E> {
                Ok(match name {
                    "iss" => ClaimName::Iss,
                    "aud" => ClaimName::Aud,
                    "sub" => ClaimName::Sub,
                    "client_id" => ClaimName::ClientId,
                    "exp" => ClaimName::Exp,
                    "iat" => ClaimName::Iat,
                    "nbf" => ClaimName::Nbf,
                    "jti" => ClaimName::Jti,
                    "scope" => ClaimName::Scope,
                    "auth_time" => ClaimName::AuthTime,
                    "roles" => ClaimName::Roles,
                    "permissions" => ClaimName::Permissions,
                    "act" => ClaimName::Act,
                    other => ClaimName::Other(other.to_owned()),
                })
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// `aud`: one string or an array of them (RFC 7519 section 4.1.3).
struct Audience(Vec<String>);

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AudienceVisitor;
        impl<'de> Visitor<'de> for AudienceVisitor {
            type Value = Audience;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: de::Error>(self, one: &str) -> Result<Audience, E> {
                Ok(Audience(vec![one.to_owned()]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
                let mut many = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                while let Some(one) = seq.next_element()? {
                    many.push(one);
                }
                Ok(Audience(many))
            }
        }
        deserializer.deserialize_any(AudienceVisitor)
    }
}

/// `scope`: space-separated scope tokens (RFC 9068 section 2.2.3), split as read.
struct Scopes(BTreeSet<String>);

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScopesVisitor;
        impl Visitor<'_> for ScopesVisitor {
            type Value = Scopes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a space-separated string of scopes")
            }

            fn visit_str<E: de::Error>(self, scope: &str) -> Result<Scopes, E> {
                // Inserted one by one: collecting would first gather them into a vector.
                let mut scopes = BTreeSet::new();
                for token in scope.split_ascii_whitespace() {
                    scopes.insert(token.to_owned());
                }
                Ok(Scopes(scopes))
            }
        }
        deserializer.deserialize_str(ScopesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn registered_claims_are_typed_and_the_rest_kept() {
        let raw: RawClaims = serde_json::from_str(
            r#"{"iss":"https://id.test","aud":"https://a.test","sub":"u\u0031","exp":2,
                "scope":"openid  tickets:read","roles":["a","b","a"],"tenant":{"id":1},
                "nbf":null}"#,
        )
        .unwrap();
        assert_eq!(raw.iss.as_deref(), Some("https://id.test"));
        assert_eq!(raw.aud, Some(vec!["https://a.test".to_owned()]));
        assert_eq!(raw.sub.as_deref(), Some("u1"));
        assert_eq!(raw.exp, Some(2));
        assert_eq!(raw.nbf, None);
        assert_eq!(
            raw.scopes.iter().collect::<Vec<_>>(),
            ["openid", "tickets:read"]
        );
        assert_eq!(raw.roles.len(), 2);
        assert!(raw.permissions.is_empty());
        assert_eq!(
            raw.extra,
            json!({"tenant": {"id": 1}}).as_object().cloned().unwrap()
        );
    }

    #[test]
    fn a_nested_act_claim_is_typed() {
        let raw: RawClaims = serde_json::from_str(
            r#"{"act":{"sub":"tickets-service","act":{"sub":"events-service"}}}"#,
        )
        .unwrap();
        let act = raw.act.unwrap();
        assert_eq!(
            act.chain().map(|a| a.sub.as_str()).collect::<Vec<_>>(),
            ["tickets-service", "events-service"]
        );
        assert!(raw.extra.is_empty());
    }

    #[test]
    fn a_claim_named_twice_or_of_the_wrong_type_is_refused() {
        for payload in [
            r#"{"iss":"a","iss":"b"}"#,
            r#"{"exp":1,"exp":null}"#,
            r#"{"aud":["a"],"aud":"a"}"#,
            r#"{"exp":"1"}"#,
            r#"{"aud":[1]}"#,
            r#"{"scope":["openid"]}"#,
            r#"{"roles":null}"#,
            r#"{"act":"events-service"}"#,
            r#"{"act":{"act":{"sub":"a"}}}"#,
            r#"["iss"]"#,
        ] {
            assert!(
                serde_json::from_str::<RawClaims>(payload).is_err(),
                "{payload}"
            );
        }
    }
}
