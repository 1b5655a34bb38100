//! The address form of a name that visitors reach a page by — a post's tag (`/tags/{tag}`), a
//! product category (`/products/category/{category}`): one form for every spelling of the name,
//! so that `Health Tips`, `health_tips` and `ＨＥＡＬＴＨ　ＴＩＰＳ` lead to one page.

use unicode_normalization::UnicodeNormalization;

/// The longest address form, in characters.
pub const MAX_CHARS: usize = 200;

/// The address form of `name`: Unicode NFKC, lower case, every run of white space, underscores and
/// dashes as one dash, no dash at either end. Applying it twice changes nothing. It may be empty
/// (a name of dashes only); see [`usable`].
pub fn form(name: &str) -> String {
    let folded = folded(name);
    let mut out = String::with_capacity(folded.len());
    let mut dash = false;
    for c in folded.chars() {
        if c.is_whitespace() || c == '_' || c == '-' {
            dash = true;
            continue;
        }
        if dash && !out.is_empty() {
            out.push('-');
        }
        dash = false;
        out.push(c);
    }
    out
}

/// `name` in Unicode NFKC and lower case. ASCII text (nearly every tag a listing links to) is
/// already in NFKC, and its lower case is ASCII's.
fn folded(name: &str) -> String {
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    folded_unicode(name)
}

fn folded_unicode(name: &str) -> String {
    name.nfkc()
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .nfkc()
        .collect()
}

/// Whether an address form can be a path segment of its own: not empty, not only dots (a segment
/// of dots names the folder above), at most [`MAX_CHARS`] characters.
pub fn usable(form: &str) -> bool {
    !form.trim_matches('.').is_empty() && form.chars().count() <= MAX_CHARS
}

/// The path segment of an address form, percent-encoded.
pub fn segment(form: &str) -> String {
    urlencoding::encode(form).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_folded_as_unicode_folds_it() {
        let ascii: Vec<char> = (0u8..=127).map(char::from).collect();
        for a in &ascii {
            for b in &ascii {
                let name = format!("{a}{b}Ab");
                assert_eq!(folded(&name), folded_unicode(&name), "{name:?}");
            }
        }
    }

    #[test]
    fn spellings_of_one_name_share_their_form() {
        for name in [
            "Health Tips",
            "health tips",
            "HEALTH  TIPS",
            "health_tips",
            " health - tips ",
            "health\u{a0}tips",
            "Health\tTips",
            "\u{ff28}\u{ff45}\u{ff41}\u{ff4c}\u{ff54}\u{ff48}\u{3000}\u{ff34}\u{ff49}\u{ff50}\u{ff53}",
            "--health__tips--",
        ] {
            assert_eq!(form(name), "health-tips", "{name:?}");
        }
        assert_eq!(form("\u{fb01}tness"), "fitness");
        assert_eq!(form("Über Café"), "über-café");
        assert_eq!(form("Cafe\u{301}"), "café");
        assert_eq!(form("C++ & Rust"), "c++-&-rust");
        assert_eq!(form("a/b"), "a/b");
        assert_eq!(form("---"), "");
    }

    #[test]
    fn the_form_of_a_form_is_itself() {
        for name in [
            "İstanbul",
            "ẞtraße",
            "Ω ohm \u{2126}",
            "ǅungla",
            "ΣΊΣΥΦΟΣ",
            "\u{1e9e}",
            "\u{fdfa}",
            "\u{337f} tokyo",
        ] {
            let once = form(name);
            assert_eq!(form(&once), once, "{name:?}");
        }
    }

    #[test]
    fn the_form_of_every_character_is_stable() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let once = form(c.encode_utf8(&mut [0; 4]));
            assert_eq!(form(&once), once, "{c:?}");
        }
        // Combining marks that lower case or compatibility forms move around.
        for c in (0..=0x24ff).filter_map(char::from_u32) {
            let once = form(&format!("{c}\u{345}\u{301}"));
            assert_eq!(form(&once), once, "{c:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_name_has_a_stable_form(name in proptest::prelude::any::<String>()) {
            let once = form(&name);
            proptest::prop_assert_eq!(form(&once), once.clone());
            proptest::prop_assert!(!once.starts_with('-') && !once.ends_with('-'));
            proptest::prop_assert!(!once.contains("--"));
            proptest::prop_assert!(!once.chars().any(|c| c.is_whitespace() || c == '_'));
        }
    }

    #[test]
    fn forms_that_cannot_be_a_segment() {
        for bad in ["", ".", "..", "...", &"x".repeat(MAX_CHARS + 1)] {
            assert!(!usable(bad), "{bad:?}");
        }
        for good in ["a", ".a", "a.b", "🙂", &"x".repeat(MAX_CHARS)] {
            assert!(usable(good), "{good:?}");
        }
        assert_eq!(segment("a/b c%"), "a%2Fb%20c%25");
    }
}
