//! Normalising the `Host` a request names (or a domain an operator adds) to the form the domain
//! directory stores: port stripped, lower-case, trailing dot dropped, IDN as punycode.

/// Why a host name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the Host header is missing")]
    Missing,
    #[error("the host name is not valid")]
    Malformed,
}

/// The longest host name DNS allows.
const MAX_HOST_LEN: usize = 253;

/// Normalises a `Host` header value (`Example.COM:8080`, `bücher.example.`, `[::1]:80`) to the
/// directory form (`example.com`, `xn--bcher-kva.example`, `::1`).
pub fn normalize(raw: &str) -> Result<String, HostError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(HostError::Missing);
    }
    let name = strip_port(raw)?;
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.starts_with('.') || name.contains("..") {
        return Err(HostError::Malformed);
    }
    if name.starts_with('[') {
        return Err(HostError::Malformed);
    }
    if is_plain_ascii(name) {
        // What nearly every request names: IDNA would hand it back as it is.
        return Ok(name.to_owned());
    }
    let ascii = idna::domain_to_ascii_strict(name).map_err(|_| HostError::Malformed)?;
    if ascii.is_empty() || ascii.len() > MAX_HOST_LEN || !ascii.split('.').all(valid_label) {
        return Err(HostError::Malformed);
    }
    Ok(ascii)
}

/// Normalises a domain given by an operator; unlike a `Host` header it must not carry a port.
pub fn normalize_domain(raw: &str) -> Result<String, HostError> {
    if raw.contains(':') || raw.contains('/') {
        return Err(HostError::Malformed);
    }
    normalize(raw)
}

fn strip_port(raw: &str) -> Result<&str, HostError> {
    if let Some(rest) = raw.strip_prefix('[') {
        // An IPv6 literal: never a customer domain, but not malformed either.
        let end = rest.find(']').ok_or(HostError::Malformed)?;
        return Ok(&raw[..end + 2]);
    }
    match raw.rsplit_once(':') {
        Some((name, port)) => {
            if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || port.len() > 5 {
                return Err(HostError::Malformed);
            }
            Ok(name)
        }
        None => Ok(raw),
    }
}

/// Whether `name` is already in the form [`idna::domain_to_ascii_strict`] gives back unchanged:
/// labels of lowercase letters, digits and inner hyphens (none in the third and fourth place,
/// so no `xn--` label that IDNA would have to decode), within DNS's lengths and ours.
fn is_plain_ascii(name: &str) -> bool {
    name.len() <= MAX_HOST_LEN
        && name.split('.').all(|label| {
            let bytes = label.as_bytes();
            !bytes.is_empty()
                && bytes.len() <= 63
                && bytes[0] != b'-'
                && bytes[bytes.len() - 1] != b'-'
                && !(bytes.len() >= 4 && &bytes[2..4] == b"--")
                && bytes
                    .iter()
                    .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_skip_idna_only_where_it_would_give_them_back_unchanged() {
        let alphabet = ['a', 'z', '0', '9', '-', '.', '_', 'A', 'x', 'n'];
        let mut names = vec![
            "xn--bcher-kva.example".to_owned(),
            "xn--zz.example".to_owned(),
            "ab--cd.example".to_owned(),
            "a".repeat(64),
            format!("{}.example", "a".repeat(63)),
            "127.0.0.1".to_owned(),
        ];
        // Every name of up to four characters over the alphabet.
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            frontier = frontier
                .iter()
                .flat_map(|prefix| alphabet.iter().map(move |c| format!("{prefix}{c}")))
                .collect();
            names.extend(frontier.iter().cloned());
        }
        for name in names {
            if is_plain_ascii(&name) {
                let slow = idna::domain_to_ascii_strict(&name)
                    .ok()
                    .filter(|ascii| ascii.split('.').all(valid_label));
                assert_eq!(slow.as_deref(), Some(name.as_str()), "{name}");
            }
        }
    }

    #[test]
    fn normalizes_what_browsers_send() {
        let cases = [
            ("example.com", "example.com"),
            ("Example.COM", "example.com"),
            ("example.com:8080", "example.com"),
            ("example.com.", "example.com"),
            ("EXAMPLE.com.:443", "example.com"),
            ("bücher.example", "xn--bcher-kva.example"),
            ("BÜCHER.example.", "xn--bcher-kva.example"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("vitality.localhost:8080", "vitality.localhost"),
            ("  spaced.example  ", "spaced.example"),
        ];
        for (raw, expected) in cases {
            assert_eq!(normalize(raw).as_deref(), Ok(expected), "{raw}");
        }
    }

    #[test]
    fn refuses_malformed_hosts() {
        let cases = [
            "",
            "   ",
            ":80",
            "example.com:",
            "example.com:abc",
            "example.com:123456",
            "exa mple.com",
            "example..com",
            ".example.com",
            "-bad.example",
            "bad-.example",
            "ex/ample.com",
            "example.com/path",
            "user@example.com",
            "[::1",
            "a\u{0}b.com",
            "[::1]:80",
            "example.com:80:80",
        ];
        for raw in cases {
            assert!(normalize(raw).is_err(), "{raw:?} should be refused");
        }
        assert_eq!(normalize(""), Err(HostError::Missing));
    }

    #[test]
    fn domains_from_operators_carry_no_port() {
        assert!(normalize_domain("example.com:80").is_err());
        assert_eq!(
            normalize_domain("Shop.Example.com.").as_deref(),
            Ok("shop.example.com")
        );
    }

    #[test]
    fn never_panics_on_arbitrary_input() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            let len = (seed % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (seed >> 33) as u8
                })
                .collect();
            let _ = normalize(&String::from_utf8_lossy(&bytes));
        }
    }
}
