//! JSON Web Keys ([RFC 7517](https://www.rfc-editor.org/rfc/rfc7517)) as published at the JWKS
//! endpoint. Defined in `auth-jose`, beside the code that parses them into verification keys.

pub use auth_jose::{Jwk, JwkSet};
