//! JOSE for the authorization server and the services that trust it: JWS compact
//! serialization signed and verified with aws-lc-rs, and the keys it takes.
//!
//! Owns the cryptographic side of a token: the algorithms (RS256, ES256, EdDSA; never `none`
//! or HMAC), key pairs that sign, published keys (JWK) parsed into keys that verify, and the
//! header rules every token must pass before a key is touched. It knows nothing of what a
//! token means (claims, issuers, expiry), where keys are stored or fetched from, HTTP, or an
//! async runtime: `auth-core` signs and checks its own tokens with it from its key ring,
//! `auth-client` verifies access tokens with it from its cached JWKS, and a token a client
//! signs (a DPoP proof, a `private_key_jwt` assertion, a request object) is verified with
//! [`jws::verify`] against that client's [`KeySet`] and the algorithms allowed for it.
//!
//! Layout:
//! - [`SigningAlgorithm`]: the JWS algorithms.
//! - [`KeyMaterial`]: a key pair, parsed once, that signs; its public JWK and `kid` (the
//!   RFC 7638 thumbprint).
//! - [`Jwk`], [`JwkSet`]: public keys as published (RFC 7517); [`PublicKey`], [`KeySet`]: the
//!   same keys parsed for verification.
//! - [`jws`]: signing, and parsing and verifying compact JWS under [`jws::Rules`].
//! - [`ClientKeys`]: a client's registered keys, parsed leniently, verifying what it signs.
//! - [`dpop`]: DPoP proofs (RFC 9449), made and checked.

mod algorithm;
mod client_keys;
pub mod dpop;
mod jwk;
pub mod jws;
mod key_material;

pub use algorithm::SigningAlgorithm;
pub use client_keys::{ClientKeys, ClientKeysError, MAX_CLIENT_KEYS};
pub use jwk::{Jwk, JwkError, JwkSet, KeySet, PublicKey};
pub use key_material::{KeyMaterial, MaterialError};
