//! Wire types shared by the authorization server and the services that talk to it.
//!
//! Everything here is plain data with `serde` derives: what goes over HTTP (token responses,
//! error bodies, discovery metadata, introspection answers) and what is inside a signed token
//! (access-token and ID-token claims, JWKs). No storage, no HTTP framework and no cryptography of
//! its own, so `auth-client` can depend on this crate without pulling in the server. The JWK
//! types are `auth-jose`'s, which parses them into keys; [`jwk`] re-exports them.
//!
//! Layout:
//! - [`error`]: the RFC 6749 / 6750 / 7009 / 7591 error codes and the JSON error body.
//! - [`token`]: the token endpoint's success response.
//! - [`claims`]: RFC 9068 access-token claims and OIDC ID-token claims.
//! - [`jwk`]: JSON Web Keys (RFC 7517) and key sets, from `auth-jose`.
//! - [`discovery`]: authorization server metadata (RFC 8414, OIDC Discovery).
//! - [`introspection`]: the RFC 7662 introspection response.
//! - [`registration`]: RFC 7591 / 7592 client metadata and registration response.
//! - [`events`]: user and client events published to webhooks and NATS.
//! - [`logout`]: OpenID Connect Back-Channel Logout tokens.

pub mod claims;
pub mod device;
pub mod discovery;
pub mod error;
pub mod events;
pub mod introspection;
pub mod jwk;
pub mod logout;
pub mod registration;
pub mod token;

/// The `typ` header value of an RFC 9068 JWT access token (section 2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
