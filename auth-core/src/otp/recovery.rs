//! Recovery codes: ten single-use codes, shown once when TOTP is set up, stored as keyed hashes.

use super::OtpError;
use crate::Provider;
use crate::secrets::random_bytes;
use crate::users::User;

/// How many codes a set has.
pub const COUNT: usize = 10;

/// A freshly generated set, to show once.
pub struct RecoveryCodes(pub Vec<String>);

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes({} codes)", self.0.len())
    }
}

/// Crockford's base32 alphabet: no `i`, `l`, `o` or `u`, so nothing reads as another character.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// `xxxxx-xxxxx`: 50 random bits.
fn new_code() -> String {
    let bytes = random_bytes::<10>();
    let chars: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Replaces the user's recovery codes with a new set.
pub async fn regenerate(provider: &Provider, user: &User) -> Result<RecoveryCodes, OtpError> {
    let codes: Vec<String> = (0..COUNT).map(|_| new_code()).collect();
    let hashes: Vec<_> = codes
        .iter()
        .map(|c| {
            provider
                .hasher()
                .hash(&format!("recovery:{}:{}", user.id, normalize(c)))
        })
        .collect();
    provider
        .store()
        .replace_recovery_codes(&user.id, &hashes, provider.clock().unix())
        .await?;
    Ok(RecoveryCodes(codes))
}

/// Uses a recovery code once.
pub async fn redeem(provider: &Provider, user: &User, code: &str) -> Result<(), OtpError> {
    let hash = provider
        .hasher()
        .hash(&format!("recovery:{}:{}", user.id, normalize(code)));
    if provider
        .store()
        .use_recovery_code(&user.id, &hash, provider.clock().unix())
        .await?
    {
        Ok(())
    } else {
        Err(OtpError::Wrong {
            attempts_left: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_normalize_for_typing() {
        let code = new_code();
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
        assert!(!code.contains(['o', 'l', 'i', 'u']));
        assert_eq!(normalize(" ABCDE-fghij "), "abcdefghij");
    }
}
