//! base64url decoding of the parts of a compact JWS into a buffer on the stack, so verifying a
//! token of ordinary size allocates nothing for its header, signature or payload. Parts larger
//! than the buffer (a long list of roles) are decoded onto the heap, with the same rules.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::ops::Deref;

/// The decoded bytes of one part: inline up to `N` bytes, on the heap beyond.
pub(crate) enum Decoded<const N: usize> {
    Inline { bytes: [u8; N], len: usize },
    Heap(Vec<u8>),
}

impl<const N: usize> Decoded<N> {
    /// Decodes unpadded base64url (RFC 7515 section 2); `None` when `encoded` is not that.
    #[inline]
    pub fn new(encoded: &str) -> Option<Self> {
        if base64::decoded_len_estimate(encoded.len()) <= N {
            let mut bytes = [0; N];
            let len = URL_SAFE_NO_PAD.decode_slice(encoded, &mut bytes).ok()?;
            Some(Self::Inline { bytes, len })
        } else {
            URL_SAFE_NO_PAD.decode(encoded).ok().map(Self::Heap)
        }
    }
}

impl<const N: usize> Deref for Decoded<N> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Inline { bytes, len } => bytes.get(..*len).unwrap_or_default(),
            Self::Heap(bytes) => bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_parts_decode_alike() {
        for len in [0, 1, 2, 3, 15, 16, 17, 100] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37) as u8).collect();
            let encoded = URL_SAFE_NO_PAD.encode(&bytes);
            assert_eq!(&*Decoded::<16>::new(&encoded).unwrap(), &bytes[..], "{len}");
            assert_eq!(
                &*Decoded::<512>::new(&encoded).unwrap(),
                &bytes[..],
                "{len}"
            );
        }
    }

    #[test]
    fn padding_and_the_standard_alphabet_are_refused() {
        for encoded in ["YQ==", "a+b/", "a", "YQ.", "YWJj\n"] {
            assert!(Decoded::<16>::new(encoded).is_none(), "{encoded}");
            assert!(Decoded::<2>::new(encoded).is_none(), "{encoded}");
        }
    }
}
