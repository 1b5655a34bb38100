//! The name of a stored media file: `{customer uuid}/{sha256 hex}.{ext}`, or with one sub-folder
//! `{customer uuid}/{folder}/{sha256 hex}.{ext}`. Every key has exactly one spelling (lowercase
//! hyphenated uuid, lowercase hex and extension), so it is safe as a relative file path and as an
//! object name: no `..`, no leading `/`, no empty or hidden part.

use std::fmt;

use uuid::Uuid;

use super::StoreError;

/// The sub-folder of originals, as uploaded.
pub const ORIGINALS: &str = "originals";

/// Longest extension, without its dot.
const MAX_EXT_LEN: usize = 8;

/// Longest sub-folder name.
const MAX_FOLDER_LEN: usize = 32;

/// A validated media key (see the module documentation for its form).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    /// `{customer}/{sha256_hex}.{ext}`.
    pub fn new(customer: Uuid, sha256_hex: &str, ext: &str) -> Result<Key, StoreError> {
        Key::from_parts(customer, None, sha256_hex, ext)
    }

    /// `{customer}/originals/{sha256_hex}.{ext}`: the file as it was uploaded.
    pub fn original(customer: Uuid, sha256_hex: &str, ext: &str) -> Result<Key, StoreError> {
        Key::in_folder(customer, ORIGINALS, sha256_hex, ext)
    }

    /// `{customer}/{folder}/{sha256_hex}.{ext}`; `folder` is 1 to 32 of `a-z`, `0-9`, `-`, `_`,
    /// starting with a letter or digit.
    pub fn in_folder(
        customer: Uuid,
        folder: &str,
        sha256_hex: &str,
        ext: &str,
    ) -> Result<Key, StoreError> {
        Key::from_parts(customer, Some(folder), sha256_hex, ext)
    }

    /// Checks a key given as text (from the database or an address).
    pub fn parse(text: &str) -> Result<Key, StoreError> {
        check(text).map_err(|reason| invalid(text, reason))?;
        Ok(Key(text.to_owned()))
    }

    /// Checks each part on its own, so that no part can smuggle in a `/`.
    fn from_parts(
        customer: Uuid,
        folder: Option<&str>,
        sha256_hex: &str,
        ext: &str,
    ) -> Result<Key, StoreError> {
        let file = format!("{sha256_hex}.{ext}");
        let text = match folder {
            Some(folder) => format!("{customer}/{folder}/{file}"),
            None => format!("{customer}/{file}"),
        };
        folder
            .map_or(Ok(()), check_folder)
            .and_then(|()| check_file_name(&file))
            .map_err(|reason| invalid(&text, reason))?;
        Ok(Key(text))
    }

    /// The key as text, also its path relative to a store's root.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The customer whose file this is.
    pub fn customer(&self) -> Uuid {
        let (customer, _) = self.0.split_once('/').expect("a key has a customer folder");
        Uuid::parse_str(customer).expect("a key's customer folder is a uuid")
    }

    /// The last part: `{sha256 hex}.{ext}`.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Key {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Key, StoreError> {
        Key::parse(text)
    }
}

fn invalid(text: &str, reason: &'static str) -> StoreError {
    StoreError::InvalidKey {
        key: text.chars().take(200).collect(),
        reason,
    }
}

/// Why `text` is not a key, if it is not.
fn check(text: &str) -> Result<(), &'static str> {
    let parts: Vec<&str> = text.split('/').collect();
    let (customer, folder, file) = match parts.as_slice() {
        [customer, file] => (*customer, None, *file),
        [customer, folder, file] => (*customer, Some(*folder), *file),
        _ => return Err("a key is customer/file or customer/folder/file"),
    };
    check_customer(customer)?;
    folder.map_or(Ok(()), check_folder)?;
    check_file_name(file)
}

/// A uuid in its one lowercase hyphenated spelling.
fn check_customer(part: &str) -> Result<(), &'static str> {
    match Uuid::try_parse(part) {
        Ok(uuid) if uuid.hyphenated().to_string() == part => Ok(()),
        _ => Err("the first part must be the customer's uuid, lowercase and hyphenated"),
    }
}

/// `a-z0-9` first, then `a-z0-9-_`.
fn check_folder(part: &str) -> Result<(), &'static str> {
    let well_formed = (1..=MAX_FOLDER_LEN).contains(&part.len())
        && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if well_formed {
        Ok(())
    } else {
        Err("a sub-folder is 1 to 32 of a-z, 0-9, - and _, starting with a letter or digit")
    }
}

/// 64 lowercase hex digits, a dot, 1 to 8 lowercase letters or digits.
fn check_file_name(part: &str) -> Result<(), &'static str> {
    let Some((hash, ext)) = part.split_once('.') else {
        return Err("the file name must be {sha256 hex}.{ext}");
    };
    let hash_ok = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !hash_ok {
        return Err("the file name must start with 64 lowercase hex digits (a SHA-256)");
    }
    let ext_ok = (1..=MAX_EXT_LEN).contains(&ext.len())
        && ext
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !ext_ok {
        return Err("the extension must be 1 to 8 lowercase letters or digits");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMER: &str = "6f1c2b1e-4d5a-4c3b-9a8f-0123456789ab";
    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn customer() -> Uuid {
        Uuid::parse_str(CUSTOMER).unwrap()
    }

    #[test]
    fn the_constructors_spell_the_documented_forms() {
        let key = Key::new(customer(), HASH, "png").unwrap();
        assert_eq!(key.as_str(), format!("{CUSTOMER}/{HASH}.png"));
        assert_eq!(key.customer(), customer());
        assert_eq!(key.file_name(), format!("{HASH}.png"));
        let original = Key::original(customer(), HASH, "jpg").unwrap();
        assert_eq!(
            original.as_str(),
            format!("{CUSTOMER}/originals/{HASH}.jpg")
        );
        assert_eq!(original.customer(), customer());
        let sized = Key::in_folder(customer(), "w640", HASH, "webp").unwrap();
        assert_eq!(sized.to_string(), format!("{CUSTOMER}/w640/{HASH}.webp"));
    }

    #[test]
    fn parse_accepts_what_the_constructors_make() {
        for text in [
            format!("{CUSTOMER}/{HASH}.png"),
            format!("{CUSTOMER}/originals/{HASH}.jpeg"),
            format!("{CUSTOMER}/thumb_2x-a/{HASH}.avif"),
        ] {
            let key: Key = text.parse().unwrap();
            assert_eq!(key.as_str(), text);
        }
    }

    #[test]
    fn parse_refuses_everything_else() {
        let upper_customer = CUSTOMER.to_uppercase();
        let upper_hash = HASH.to_uppercase();
        let short_hash = &HASH[..63];
        let refused = [
            String::new(),
            format!("/{CUSTOMER}/{HASH}.png"),
            format!("{CUSTOMER}/{HASH}.png/"),
            format!("{CUSTOMER}//{HASH}.png"),
            format!("{CUSTOMER}/../{HASH}.png"),
            format!("../{CUSTOMER}/{HASH}.png"),
            format!("{CUSTOMER}/./{HASH}.png"),
            format!("{CUSTOMER}/a/b/{HASH}.png"),
            format!("{CUSTOMER}/.hidden/{HASH}.png"),
            format!("{CUSTOMER}/-x/{HASH}.png"),
            format!("{CUSTOMER}/Originals/{HASH}.png"),
            format!("{CUSTOMER}/{}/{HASH}.png", "a".repeat(33)),
            format!("{upper_customer}/{HASH}.png"),
            format!("{}/{HASH}.png", CUSTOMER.replace('-', "")),
            format!("not-a-uuid/{HASH}.png"),
            format!("{CUSTOMER}/{upper_hash}.png"),
            format!("{CUSTOMER}/{short_hash}.png"),
            format!("{CUSTOMER}/{HASH}a.png"),
            format!("{CUSTOMER}/{HASH}"),
            format!("{CUSTOMER}/{HASH}."),
            format!("{CUSTOMER}/{HASH}.PNG"),
            format!("{CUSTOMER}/{HASH}.tar.gz"),
            format!("{CUSTOMER}/{HASH}.abcdefghi"),
            format!("{CUSTOMER}/{HASH}.p g"),
            format!("{CUSTOMER}/.tmp-0123-{HASH}.png"),
            format!("{CUSTOMER}\\{HASH}.png"),
            format!("{CUSTOMER}/{HASH}.png\0"),
        ];
        for text in refused {
            let err = Key::parse(&text).expect_err(&text);
            assert!(
                matches!(err, StoreError::InvalidKey { .. }),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn the_constructors_refuse_bad_parts() {
        assert!(Key::new(customer(), "abc", "png").is_err());
        assert!(Key::new(customer(), HASH, "").is_err());
        assert!(Key::new(customer(), HASH, "../x").is_err());
        assert!(Key::in_folder(customer(), "..", HASH, "png").is_err());
        assert!(Key::in_folder(customer(), "a/b", HASH, "png").is_err());
        assert!(Key::in_folder(customer(), "", HASH, "png").is_err());
        assert!(Key::new(customer(), &format!("originals/{HASH}"), "png").is_err());
        assert!(Key::new(customer(), HASH, "png/x").is_err());
    }

    #[test]
    fn an_error_names_the_key_and_the_reason() {
        let err = Key::parse("x/y.png").unwrap_err().to_string();
        assert!(err.contains("\"x/y.png\""), "{err}");
        assert!(err.contains("uuid"), "{err}");
    }
}
