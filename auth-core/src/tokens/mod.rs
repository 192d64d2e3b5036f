//! Tokens this server issues: JWS compact serialization ([`jws`]), RFC 9068 access tokens
//! ([`access`]) and OIDC ID tokens ([`id_token`]); access tokens already checked ([`verified`]).

pub mod access;
pub mod id_token;
pub mod jws;
pub mod verified;
