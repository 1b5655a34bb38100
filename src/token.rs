//! Secret link tokens: 32 random bytes written as base64url (43 characters), shown once (in a
//! link) and stored only as their SHA-256 (hex), so a stored table cannot be used to rebuild a
//! link and a token cannot be guessed or forged. Preview links, invitations and password resets
//! make and check theirs here.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// A new random token.
pub fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token: SHA-256, hex (64 characters).
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` has the shape of a token [`new_token`] makes.
pub fn well_formed(token: &str) -> bool {
    token.len() == 43
        && base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .is_ok_and(|bytes| bytes.len() == TOKEN_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_well_formed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(well_formed(&a) && well_formed(&b));
        assert_eq!(hash(&a).len(), 64);
        assert!(!well_formed(""));
        assert!(!well_formed(&a[1..]));
        assert!(!well_formed(&format!("{}=", &a[1..])));
        assert!(!well_formed(&"!".repeat(43)));
    }
}
