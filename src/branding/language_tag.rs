//! The language of a site's pages as a BCP 47 tag (`<html lang>`, the feed's `xml:lang`): the
//! shape of RFC 5646 for a language, an optional script, an optional region and variants —
//! `en`, `de-CH`, `zh-Hant-TW`, `sl-rozaj`. Extensions and private use (`en-u-…`, `x-…`) are not
//! taken, nor are the subtags checked against the registry: the shape is what keeps the
//! attribute meaningful. Tags are written in their conventional case (`en-US`, `zh-Hant`).

/// Longest tag taken.
pub const MAX_LEN: usize = 35;

/// The tag in its conventional case, or why it is not one.
pub fn normalise(text: &str) -> Result<String, String> {
    let text = text.trim();
    let refuse = || {
        Err(format!(
            "the language must be a BCP 47 language tag such as en, de-CH or zh-Hant-TW, not \
             \"{}\"",
            text.chars().take(40).collect::<String>()
        ))
    };
    if text.is_empty() || text.len() > MAX_LEN || !text.is_ascii() {
        return refuse();
    }
    let mut subtags = text.split('-');
    let language = subtags.next().unwrap_or_default();
    if !(matches!(language.len(), 2 | 3 | 5..=8) && is_alpha(language)) {
        return refuse();
    }
    let mut out = vec![language.to_ascii_lowercase()];
    // What may still come: a script, then a region, then variants.
    let mut stage = 0;
    for subtag in subtags {
        let len = subtag.len();
        if stage < 1 && len == 4 && is_alpha(subtag) {
            let mut script = subtag.to_ascii_lowercase();
            script[..1].make_ascii_uppercase();
            out.push(script);
            stage = 1;
        } else if stage < 2 && ((len == 2 && is_alpha(subtag)) || (len == 3 && is_digit(subtag))) {
            out.push(subtag.to_ascii_uppercase());
            stage = 2;
        } else if is_variant(subtag) {
            let variant = subtag.to_ascii_lowercase();
            if out.contains(&variant) {
                return refuse();
            }
            out.push(variant);
            stage = 3;
        } else {
            return refuse();
        }
    }
    Ok(out.join("-"))
}

fn is_alpha(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_digit(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `5*8alphanum / (DIGIT 3alphanum)`.
fn is_variant(s: &str) -> bool {
    let alphanumeric = s.bytes().all(|b| b.is_ascii_alphanumeric());
    alphanumeric && (matches!(s.len(), 5..=8) || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_taken_in_their_conventional_case() {
        for (typed, kept) in [
            ("en", "en"),
            ("EN", "en"),
            (" de-ch ", "de-CH"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("es-419", "es-419"),
            ("sl-rozaj-biske", "sl-rozaj-biske"),
            ("de-CH-1996", "de-CH-1996"),
            ("gsw", "gsw"),
        ] {
            assert_eq!(normalise(typed).as_deref(), Ok(kept), "{typed}");
        }
    }

    #[test]
    fn other_shapes_are_refused() {
        for bad in [
            "",
            "e",
            "englishlanguage",
            "en_US",
            "en-",
            "-en",
            "en--US",
            "en-US-CH",
            "en-Latn-Latn",
            "en-u-ca-buddhist",
            "x-private",
            "en-x-private",
            "1en",
            "dé",
            "en US",
            "\"><script>",
            "sl-rozaj-rozaj",
            &"a".repeat(40),
        ] {
            let refused = normalise(bad).unwrap_err();
            assert!(refused.contains("BCP 47"), "{bad:?}: {refused}");
        }
    }
}
