//! Which characters text from outside may hold: addresses, form fields, CSV cells and front matter
//! carry no control characters (PostgreSQL refuses NUL in text, and the others have no place in a
//! page) except tabs, and line breaks in a text that spans lines. Every edge that takes text in
//! refuses the rest with the same wording, naming the field.

/// What a piece of text may span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One line (a name, a title, a search, an address): no control character but the tab.
    Line,
    /// Several lines (a Markdown body, a description): tab, CR and LF only.
    Text,
}

impl Shape {
    fn allows(self, c: char) -> bool {
        !c.is_control() || c == '\t' || (self == Shape::Text && matches!(c, '\r' | '\n'))
    }
}

/// The first character of `text` that `shape` does not allow, if any.
pub fn control_character(text: &str, shape: Shape) -> Option<char> {
    text.chars().find(|&c| !shape.allows(c))
}

/// The name an uploaded file is kept and shown under: without any folder part (`C:\\fakepath\\`,
/// `../`) or control character, at most `max_chars` characters, `fallback` when nothing is left.
pub fn file_name(name: &str, max_chars: usize, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let base: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect();
    match base.trim() {
        "" => fallback.to_owned(),
        kept => kept.to_owned(),
    }
}

/// How a refusal describes the character: `U+0000`.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Refuses a `text` that holds a character `shape` does not allow, with the reason
/// "contains a control character (U+0000)" (the caller names the field before it).
pub fn check(text: &str, shape: Shape) -> Result<(), String> {
    match control_character(text, shape) {
        Some(c) => Err(format!("contains a control character ({})", code_point(c))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_hold_no_control_character_but_tabs() {
        for text in ["a\0b", "a\nb", "a\rb", "\u{1b}[31m", "a\u{7f}", "a\u{85}"] {
            assert!(control_character(text, Shape::Line).is_some(), "{text:?}");
        }
        assert_eq!(control_character("Vitamin D — 5 000 IU", Shape::Line), None);
        assert_eq!(control_character("\tTabbed", Shape::Line), None);
    }

    #[test]
    fn texts_keep_tabs_and_line_breaks_only() {
        assert_eq!(control_character("a\tb\r\nc\n", Shape::Text), None);
        for text in ["a\0b", "a\u{1}", "a\u{b}", "a\u{c}", "\u{1b}", "a\u{7f}"] {
            assert!(control_character(text, Shape::Text).is_some(), "{text:?}");
        }
    }

    #[test]
    fn the_reason_names_the_character() {
        assert_eq!(
            check("a\0b", Shape::Line),
            Err("contains a control character (U+0000)".to_owned())
        );
        assert_eq!(
            check("a\u{1b}", Shape::Text).unwrap_err(),
            "contains a control character (U+001B)"
        );
        assert_eq!(check("fine", Shape::Line), Ok(()));
    }
}
