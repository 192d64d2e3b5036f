//! base64url decoding of the parts of a compact JWS, with SIMD where the CPU has it
//! (base64-simd), into a buffer on the stack that is neither zeroed nor moved: verifying a
//! token of ordinary size allocates nothing for its header, signature or payload. Parts larger
//! than the buffer (a long list of roles) are decoded onto the heap, with the same rules.

use base64_simd::{Out, URL_SAFE_NO_PAD};
use std::mem::MaybeUninit;

/// Decodes unpadded base64url (RFC 7515 section 2) and hands the bytes to `use_bytes`: from a
/// buffer of `N` bytes on the stack when they fit, from the heap otherwise. `None` when
/// `encoded` is not unpadded base64url: padding, the standard alphabet, a dangling character
/// and non-zero trailing bits are all refused.
#[inline]
pub(super) fn decoded<const N: usize, T>(
    encoded: &str,
    use_bytes: impl FnOnce(&[u8]) -> T,
) -> Option<T> {
    if URL_SAFE_NO_PAD.estimated_decoded_length(encoded.len()) <= N {
        let mut buffer = [MaybeUninit::<u8>::uninit(); N];
        // The estimate bounds the decoded length, which `decode` asserts fits.
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded.as_bytes(), Out::from_uninit_slice(&mut buffer))
            .ok()?;
        Some(use_bytes(bytes))
    } else {
        let bytes = URL_SAFE_NO_PAD.decode_to_vec(encoded).ok()?;
        Some(use_bytes(&bytes))
    }
}

/// Whether `encoded` is unpadded base64url, by the rules of [`decoded`], without decoding it.
pub(super) fn is_base64url(encoded: &str) -> bool {
    URL_SAFE_NO_PAD.check(encoded.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as REFERENCE;

    fn decode<const N: usize>(encoded: &str) -> Option<Vec<u8>> {
        decoded::<N, _>(encoded, <[u8]>::to_vec)
    }

    #[test]
    fn small_and_large_parts_decode_alike() {
        for len in [0, 1, 2, 3, 15, 16, 17, 100, 700] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37) as u8).collect();
            let encoded = REFERENCE.encode(&bytes);
            assert_eq!(decode::<16>(&encoded).unwrap(), bytes, "{len}");
            assert_eq!(decode::<512>(&encoded).unwrap(), bytes, "{len}");
            assert!(is_base64url(&encoded), "{len}");
        }
    }

    #[test]
    fn padding_the_standard_alphabet_and_loose_bits_are_refused() {
        // "YR" and "YWK" carry non-zero bits past the last whole byte: a second spelling of
        // "a" and "ab", which a signature check must not accept.
        for encoded in ["YQ==", "a+b/", "a", "YQ.", "YWJj\n", "YR", "YWK", " YQ"] {
            let reference = REFERENCE.decode(encoded).ok();
            assert_eq!(decode::<16>(encoded), reference, "{encoded}");
            assert_eq!(decode::<2>(encoded), reference, "{encoded}");
            assert_eq!(is_base64url(encoded), reference.is_some(), "{encoded}");
        }
        assert_eq!(decode::<16>("YQ"), Some(b"a".to_vec()));
    }
}
