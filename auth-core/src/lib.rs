//! The authorization server as a library: OAuth 2 grants, OIDC tokens, signing keys, clients
//! and storage. It knows nothing of HTTP frameworks: endpoints take parsed parameters and the
//! raw `Authorization` header, and return wire types or an [`OAuthError`].
//!
//! Layout:
//! - [`provider`]: the [`Provider`] value every operation runs against.
//! - [`params`]: request parameters by the rules of RFC 6749 section 3.1.
//! - [`clients`]: client registration and authentication; [`registration`]: RFC 7591 / 7592.
//! - [`users`], [`roles`], [`sessions`]: accounts, roles and permissions, browser sessions.
//! - [`authorize`], [`pkce`]: the authorization endpoint, consent, codes.
//! - [`grants`]: the token endpoint and one module per grant.
//! - [`userinfo`], [`logout`]: OIDC userinfo and RP-initiated logout; [`backchannel`]: telling
//!   clients of ended sessions (OIDC Back-Channel Logout).
//! - [`login`], [`otp`]: the two-step login; TOTP, recovery codes, one-time codes, SMS.
//! - [`passkeys`]: WebAuthn passkeys: registration, discoverable sign-in, second step.
//! - [`verification`], [`password_reset`], [`account`]: the account lifecycle.
//! - [`mail`]: composing mail and the durable outbox; [`audit`]: the security log.
//! - [`events`]: user and client events for other services: outbox, webhooks, NATS.
//! - [`throttle`]: failure and rate counters shared by all replicas (database or Redis).
//! - [`tokens`]: JWS and RFC 9068 access tokens.
//! - [`keys`]: signing keys, rotation, JWKS.
//! - [`introspection`], [`revocation`]: RFC 7662 and RFC 7009.
//! - [`store`]: the storage traits and the SQLite / PostgreSQL implementation.
//! - [`kek`], [`secrets`]: encryption at rest, random tokens and their stored hashes.
//! - [`clock`]: the only reader of the wall clock.
//! - [`protocol`]: the wire types (re-exported from `auth-proto`).

pub mod account;
pub mod admin;
pub mod apps;
pub mod audit;
pub mod authorize;
pub mod backchannel;
pub mod clients;
pub mod clock;
pub mod device;
pub mod dpop;
pub mod error;
pub mod events;
pub mod fapi;
pub mod files;
pub mod grants;
pub mod introspection;
pub mod kek;
pub mod keys;
pub mod login;
pub mod logout;
pub mod mail;
pub mod otp;
pub mod params;
pub mod passkeys;
pub mod password_reset;
pub mod pkce;
pub mod provider;
pub mod registration;
pub mod resources;
pub mod revocation;
pub mod roles;
pub mod scope;
pub mod secrets;
pub mod sessions;
pub mod store;
pub mod subject;
pub mod throttle;
pub mod tokens;
pub mod upstream;
pub mod userinfo;
pub mod users;
pub mod verification;

pub use auth_proto as protocol;
pub use error::OAuthError;
pub use provider::{DevicePolicy, Issuer, Provider, RequestPolicy, Settings};
