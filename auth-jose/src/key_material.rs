//! The cryptographic part of a signing key: aws-lc-rs key pairs, parsed once.
//!
//! Four JWS algorithms: RS256 (RFC 7518 section 3.3), PS256 (section 3.5), ES256 (section 3.4)
//! and EdDSA with Ed25519 (RFC 8037). Each key knows its algorithm; its JWK, `kid` and signatures follow
//! from it. Signing never goes through the `rsa` crate (RUSTSEC-2023-0071).

use crate::SigningAlgorithm;
use crate::jwk::{Jwk, PublicKey, ec_thumbprint, okp_thumbprint, rsa_thumbprint};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair,
    Ed25519KeyPair, KeyPair, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
    RSA_PSS_2048_8192_SHA256, RSA_PSS_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;

/// Why key material could not be created or read.
#[derive(Debug, thiserror::Error)]
pub enum MaterialError {
    /// The bytes are not a key of the expected algorithm.
    #[error("the stored private key is not a valid {0} key")]
    Rejected(SigningAlgorithm),
    /// The crypto backend failed.
    #[error("the crypto backend failed to {0}")]
    Crypto(&'static str),
    /// The requested RSA size is not offered.
    #[error("RSA keys must be 2048, 3072 or 4096 bits; got {0}")]
    RsaSize(u32),
}

enum Pair {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A key pair ready to sign, its public key ready to verify, and its public JWK.
pub struct KeyMaterial {
    algorithm: SigningAlgorithm,
    pair: Pair,
    public: PublicKey,
    jwk: Jwk,
}

impl KeyMaterial {
    /// Generates a new key and returns it with its PKCS#8 encoding (to be sealed and stored).
    /// `rsa_bits` only matters for RS256. CPU-heavy for RSA (about 100 ms for 2048 bits): call
    /// it off the async runtime.
    pub fn generate(
        algorithm: SigningAlgorithm,
        rsa_bits: u32,
    ) -> Result<(Self, Vec<u8>), MaterialError> {
        let failed = |what| move |_| MaterialError::Crypto(what);
        match algorithm {
            SigningAlgorithm::Rs256 | SigningAlgorithm::Ps256 => {
                let size = match rsa_bits {
                    2048 => KeySize::Rsa2048,
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    other => return Err(MaterialError::RsaSize(other)),
                };
                let pair = RsaKeyPair::generate(size).map_err(failed("generate an RSA key"))?;
                let pkcs8 = pair.as_der().map_err(failed("encode an RSA key"))?;
                let pkcs8 = pkcs8.as_ref().to_vec();
                Ok((Self::from_rsa(algorithm, pair)?, pkcs8))
            }
            SigningAlgorithm::Es256 => {
                let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(failed("generate a P-256 key"))?;
                let pkcs8 = pair.to_pkcs8v1().map_err(failed("encode a P-256 key"))?;
                let pkcs8 = pkcs8.as_ref().to_vec();
                Ok((Self::from_ecdsa(pair)?, pkcs8))
            }
            SigningAlgorithm::EdDsa => {
                let pair = Ed25519KeyPair::generate().map_err(failed("generate an Ed25519 key"))?;
                let pkcs8 = pair.to_pkcs8().map_err(failed("encode an Ed25519 key"))?;
                let pkcs8 = pkcs8.as_ref().to_vec();
                Ok((Self::from_ed25519(pair)?, pkcs8))
            }
        }
    }

    /// [`KeyMaterial::generate`] on up to `parallelism` threads at once, keeping the first key
    /// that is ready. An RSA key generation tries fresh random candidates until two are prime,
    /// so its time varies widely (tens to hundreds of milliseconds for 2048 bits); the first of
    /// several independent searches finishes sooner, which shortens the first start on a new
    /// database. Every search draws its own randomness, so the winner is as random as any; the
    /// others run to their end on their threads and are dropped. Other algorithms take
    /// microseconds and are generated once.
    pub fn generate_racing(
        algorithm: SigningAlgorithm,
        rsa_bits: u32,
        parallelism: usize,
    ) -> Result<(Self, Vec<u8>), MaterialError> {
        let searches = parallelism.min(4);
        if algorithm != SigningAlgorithm::Rs256 || searches <= 1 {
            return Self::generate(algorithm, rsa_bits);
        }
        let (sender, results) = std::sync::mpsc::channel();
        let mut started = 0;
        for _ in 0..searches {
            let sender = sender.clone();
            let spawned = std::thread::Builder::new()
                .name("rsa-keygen".into())
                .spawn(move || {
                    // The receiver is gone once a key has won; this one is then dropped.
                    let _ = sender.send(Self::generate(algorithm, rsa_bits));
                });
            if spawned.is_ok() {
                started += 1;
            }
        }
        drop(sender);
        if started == 0 {
            return Self::generate(algorithm, rsa_bits);
        }
        let mut last_error = MaterialError::Crypto("generate an RSA key");
        for result in results.iter().take(started) {
            match result {
                Ok(generated) => return Ok(generated),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// Reads a key from its PKCS#8 encoding.
    pub fn from_pkcs8(algorithm: SigningAlgorithm, pkcs8: &[u8]) -> Result<Self, MaterialError> {
        let rejected = |_| MaterialError::Rejected(algorithm);
        match algorithm {
            SigningAlgorithm::Rs256 | SigningAlgorithm::Ps256 => {
                Self::from_rsa(algorithm, RsaKeyPair::from_pkcs8(pkcs8).map_err(rejected)?)
            }
            SigningAlgorithm::Es256 => Self::from_ecdsa(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                    .map_err(rejected)?,
            ),
            SigningAlgorithm::EdDsa => {
                Self::from_ed25519(Ed25519KeyPair::from_pkcs8(pkcs8).map_err(rejected)?)
            }
        }
    }

    /// An RSA key pair used with `algorithm`, RS256 or PS256.
    fn from_rsa(algorithm: SigningAlgorithm, pair: RsaKeyPair) -> Result<Self, MaterialError> {
        let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let verifier = components
            .to_parsed_public_key(if algorithm == SigningAlgorithm::Ps256 {
                &RSA_PSS_2048_8192_SHA256
            } else {
                &RSA_PKCS1_2048_8192_SHA256
            })
            .map_err(|_| MaterialError::Crypto("parse an RSA public key"))?;
        let n = URL_SAFE_NO_PAD.encode(&components.n);
        let e = URL_SAFE_NO_PAD.encode(&components.e);
        let jwk = Jwk {
            kty: "RSA".into(),
            kid: rsa_thumbprint(&n, &e),
            use_: "sig".into(),
            alg: algorithm.as_str().into(),
            n: Some(n),
            e: Some(e),
            crv: None,
            x: None,
            y: None,
        };
        Ok(Self {
            algorithm,
            public: PublicKey::new(algorithm, verifier),
            pair: Pair::Rsa(pair),
            jwk,
        })
    }

    fn from_ecdsa(pair: EcdsaKeyPair) -> Result<Self, MaterialError> {
        let point = pair.public_key().as_ref();
        let verifier = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .map_err(|_| MaterialError::Crypto("parse a P-256 public key"))?;
        // An uncompressed SEC1 point: 0x04, then x and y of 32 bytes each. RFC 7518 section
        // 6.2.1.2: `x` and `y` MUST be the full 32 bytes, leading zeros kept.
        let (x, y) = match point {
            [0x04, coordinates @ ..] if coordinates.len() == 64 => coordinates.split_at(32),
            _ => return Err(MaterialError::Crypto("encode a P-256 public key")),
        };
        let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
        let jwk = Jwk {
            kty: "EC".into(),
            kid: ec_thumbprint(&x, &y),
            use_: "sig".into(),
            alg: SigningAlgorithm::Es256.as_str().into(),
            n: None,
            e: None,
            crv: Some("P-256".into()),
            x: Some(x),
            y: Some(y),
        };
        Ok(Self {
            algorithm: SigningAlgorithm::Es256,
            public: PublicKey::new(SigningAlgorithm::Es256, verifier),
            pair: Pair::Ecdsa(pair),
            jwk,
        })
    }

    fn from_ed25519(pair: Ed25519KeyPair) -> Result<Self, MaterialError> {
        let public = pair.public_key().as_ref();
        let verifier = ParsedPublicKey::new(&ED25519, public)
            .map_err(|_| MaterialError::Crypto("parse an Ed25519 public key"))?;
        // RFC 8037 section 2: an `OKP` key with `crv` Ed25519 and the raw public key as `x`.
        let x = URL_SAFE_NO_PAD.encode(public);
        let jwk = Jwk {
            kty: "OKP".into(),
            kid: okp_thumbprint(&x),
            use_: "sig".into(),
            alg: SigningAlgorithm::EdDsa.as_str().into(),
            n: None,
            e: None,
            crv: Some("Ed25519".into()),
            x: Some(x),
            y: None,
        };
        Ok(Self {
            algorithm: SigningAlgorithm::EdDsa,
            public: PublicKey::new(SigningAlgorithm::EdDsa, verifier),
            pair: Pair::Ed25519(pair),
            jwk,
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// The key id: the RFC 7638 JWK thumbprint.
    pub fn kid(&self) -> &str {
        &self.jwk.kid
    }

    /// The public JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// Signs `message` with the key's algorithm.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, MaterialError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                let padding = if self.algorithm == SigningAlgorithm::Ps256 {
                    &RSA_PSS_SHA256
                } else {
                    &RSA_PKCS1_SHA256
                };
                pair.sign(padding, &rng, message, &mut signature)
                    .map_err(|_| MaterialError::Crypto("sign"))?;
                Ok(signature)
            }
            // RFC 7518 section 3.4: the JWS signature is R || S, each 32 bytes, not DER: the
            // FIXED signing algorithm produces exactly that.
            Pair::Ecdsa(pair) => pair
                .sign(&rng, message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| MaterialError::Crypto("sign")),
            // RFC 8037 section 3.1: the JWS signature is the 64-byte Ed25519 signature.
            Pair::Ed25519(pair) => pair
                .try_sign(message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| MaterialError::Crypto("sign")),
        }
    }

    /// The public key, parsed for verification.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.public.verify(message, signature)
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.jwk.kid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raced_rsa_key_is_a_whole_key_of_the_asked_size() {
        let (key, pkcs8) = KeyMaterial::generate_racing(SigningAlgorithm::Rs256, 2048, 2).unwrap();
        let again = KeyMaterial::from_pkcs8(SigningAlgorithm::Rs256, &pkcs8).unwrap();
        assert_eq!(key.kid(), again.kid());
        let n = key.jwk().n.as_deref().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(n).unwrap().len(), 256, "2048 bits");
        let err = KeyMaterial::generate_racing(SigningAlgorithm::Rs256, 1024, 2).unwrap_err();
        assert!(matches!(err, MaterialError::RsaSize(1024)), "{err}");
    }

    #[test]
    fn a_generated_key_round_trips_through_pkcs8_and_verifies_its_signatures() {
        let (key, pkcs8) = KeyMaterial::generate(SigningAlgorithm::Rs256, 2048).unwrap();
        let again = KeyMaterial::from_pkcs8(SigningAlgorithm::Rs256, &pkcs8).unwrap();
        assert_eq!(key.kid(), again.kid());
        let signature = key.sign(b"message").unwrap();
        assert_eq!(signature.len(), 256);
        assert!(again.verify(b"message", &signature));
        assert!(!again.verify(b"messagE", &signature));
        assert_eq!(key.jwk().e.as_deref(), Some("AQAB"));
    }

    #[test]
    fn generated_keys_of_every_algorithm_sign_and_verify_and_round_trip() {
        for (algorithm, signature_len) in
            [(SigningAlgorithm::Es256, 64), (SigningAlgorithm::EdDsa, 64)]
        {
            let (key, pkcs8) = KeyMaterial::generate(algorithm, 0).unwrap();
            let again = KeyMaterial::from_pkcs8(algorithm, &pkcs8).unwrap();
            assert_eq!(key.kid(), again.kid());
            assert_eq!(key.jwk().alg, algorithm.as_str());
            let signature = key.sign(b"message").unwrap();
            assert_eq!(signature.len(), signature_len, "{algorithm}");
            assert!(again.verify(b"message", &signature));
            assert!(!again.verify(b"messagE", &signature));
            // A key read as another algorithm is refused rather than misused.
            let other = if algorithm == SigningAlgorithm::Es256 {
                SigningAlgorithm::EdDsa
            } else {
                SigningAlgorithm::Es256
            };
            assert!(KeyMaterial::from_pkcs8(other, &pkcs8).is_err());
        }
    }

    #[test]
    fn the_ed25519_key_and_signature_match_rfc_8037() {
        // RFC 8037 appendix A.1 (key), A.3 (thumbprint), A.4 (signature).
        let seed = URL_SAFE_NO_PAD
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap();
        let pkcs8 = Ed25519KeyPair::from_seed_unchecked(&seed)
            .unwrap()
            .to_pkcs8()
            .unwrap();
        let key = KeyMaterial::from_pkcs8(SigningAlgorithm::EdDsa, pkcs8.as_ref()).unwrap();
        let jwk = key.jwk();
        assert_eq!(
            (jwk.kty.as_str(), jwk.crv.as_deref()),
            ("OKP", Some("Ed25519"))
        );
        assert_eq!(
            jwk.x.as_deref(),
            Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
        );
        assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        let signature = key
            .sign(b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc")
            .unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(signature),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
    }

    #[test]
    fn the_p256_key_of_rfc_7515_verifies_its_example_signature() {
        // RFC 7515 appendix A.3: the key as a JWK, and an R || S signature (RFC 7518
        // section 3.4) made with it.
        let b64 = |s: &str| URL_SAFE_NO_PAD.decode(s).unwrap();
        let (x, y) = (
            "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        );
        let public = [&[0x04][..], &b64(x), &b64(y)].concat();
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &b64("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"),
            &public,
        )
        .unwrap();
        let pkcs8 = pair.to_pkcs8v1().unwrap();
        let key = KeyMaterial::from_pkcs8(SigningAlgorithm::Es256, pkcs8.as_ref()).unwrap();
        let jwk = key.jwk();
        assert_eq!(
            (jwk.kty.as_str(), jwk.crv.as_deref()),
            ("EC", Some("P-256"))
        );
        assert_eq!((jwk.x.as_deref(), jwk.y.as_deref()), (Some(x), Some(y)));
        let input = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let signature = b64(
            "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
        );
        assert!(key.verify(input.as_bytes(), &signature));
        assert!(key.verify(input.as_bytes(), &key.sign(input.as_bytes()).unwrap()));
    }

    #[test]
    fn unsupported_rsa_sizes_are_refused() {
        let err = KeyMaterial::generate(SigningAlgorithm::Rs256, 1024).unwrap_err();
        assert!(err.to_string().contains("2048, 3072 or 4096"));
    }
}
