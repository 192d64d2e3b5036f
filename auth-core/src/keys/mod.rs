//! Signing keys: generation, encryption at rest, rotation and the published JWK set.
//!
//! A key's life is a timeline stored with it, so every replica reading the same rows agrees on
//! which key signs without talking to the others:
//!
//! ```text
//!   created ──(published, not yet signing)── activates_at ──(signs)── retires_at ──(verifies only)── expires_at
//! ```
//!
//! Rotation adds a key that is published at once and signs only after the publish delay, so
//! every verifier that refreshes its JWKS in that time knows the key before it sees a token
//! signed with it. The old key stops signing when the new one starts, and stays published until
//! every token it signed has expired.
//!
//! Each key carries its algorithm (RS256, ES256 or EdDSA, stored with it), and a ring may mix
//! them: `KeyPolicy::algorithm` only decides what the next key will be, so switching algorithm
//! is an ordinary rotation (docs/decisions/0004-signing-algorithms.md).
//!
//! Private keys are parsed once and held for the life of the key: RSA signing costs about 1 ms,
//! and parsing a PKCS#8 key on every signature would nearly double it.
//!
//! The key pairs themselves, their algorithms and JWKs are `auth-jose`'s; this module gives
//! them a timeline and a store.

mod ring;
mod service;

pub use auth_jose::{KeyMaterial, SigningAlgorithm};
pub use ring::{KeyRing, SigningKey};
pub use service::{Activation, KeyError, KeyPolicy, KeyService, RotatedKey};
