//! Snippets of the results shown: the passage of a text with the most words of the query, and
//! those words marked. Made here from the few results of one page (never by the database for every
//! match: CockroachDB has no `ts_headline`, and PostgreSQL's would run for every row found).
//!
//! Which words count as the query's is the database's decision, since only it stems the way the
//! search vectors were made ("running" is a match for "run"): [`crate::search`] asks it once per
//! page which of the words shown match ([`Snippet::words_to_check`]), and passes the answer here as
//! a set of lower-cased words. The pieces are plain text; the template escapes them and wraps the
//! marked ones in `<mark>`.

use std::collections::HashSet;

use pulldown_cmark::{Event, Parser};

/// Words in a snippet.
pub const WINDOW_WORDS: usize = 30;
/// Words shown before the first match of a passage, when the passage has room for them.
pub const LEAD_WORDS: usize = 5;
/// Bytes of a text that are looked at for a snippet (the start of a long body).
pub const MAX_TEXT_BYTES: usize = 20_000;

/// A run of text, marked when it is a word of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub marked: bool,
}

/// A passage of a text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    pub pieces: Vec<Piece>,
    /// Whether text comes before the passage.
    pub cut_before: bool,
    /// Whether text comes after it.
    pub cut_after: bool,
}

/// The byte ranges of the words of `text`: runs of letters and digits.
fn word_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                ranges.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        ranges.push((s, text.len()));
    }
    ranges
}

/// `text` cut to at most [`MAX_TEXT_BYTES`], at a character boundary.
fn bounded(text: &str) -> &str {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Whether `word` is one of `matches` (lower-cased words).
fn is_match(word: &str, matches: &HashSet<String>) -> bool {
    matches.contains(&word.to_lowercase())
}

/// `text[from..to]` as pieces, the words in `matches` marked.
fn pieces(
    text: &str,
    words: &[(usize, usize)],
    from: usize,
    to: usize,
    matches: &HashSet<String>,
) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut push = |text: &str, marked: bool| {
        if text.is_empty() {
            return;
        }
        match pieces.last_mut() {
            Some(last) if last.marked == marked && !marked => last.text.push_str(text),
            _ => pieces.push(Piece {
                text: text.to_owned(),
                marked,
            }),
        }
    };
    let mut at = from;
    for &(start, end) in words.iter().filter(|(s, e)| *s >= from && *e <= to) {
        push(&text[at..start], false);
        push(&text[start..end], is_match(&text[start..end], matches));
        at = end;
    }
    push(&text[at..to], false);
    pieces
}

impl Snippet {
    /// The whole of a short text (a title), its matching words marked.
    pub fn whole(text: &str, matches: &HashSet<String>) -> Snippet {
        let words = word_ranges(text);
        Snippet {
            pieces: pieces(text, &words, 0, text.len(), matches),
            cut_before: false,
            cut_after: false,
        }
    }

    /// The passage of [`WINDOW_WORDS`] words of `text` with the most different matching words
    /// (then the most matches, then the earliest); the start of the text when none matches.
    pub fn best_passage(text: &str, matches: &HashSet<String>) -> Snippet {
        let whole = text.len();
        let text = bounded(text);
        let truncated = text.len() < whole;
        let words = word_ranges(text);
        if words.is_empty() {
            return Snippet::default();
        }
        let hits: Vec<Option<String>> = words
            .iter()
            .map(|&(s, e)| {
                let word = text[s..e].to_lowercase();
                matches.contains(&word).then_some(word)
            })
            .collect();
        let width = WINDOW_WORDS.min(words.len());
        let mut best = (0, 0, 0);
        for start in 0..=(words.len() - width) {
            // Only a window that starts at a match can be better than the one before it.
            if start > 0 && hits[start].is_none() {
                continue;
            }
            let window = &hits[start..start + width];
            let total = window.iter().flatten().count();
            let mut distinct: Vec<&String> = window.iter().flatten().collect();
            distinct.sort();
            distinct.dedup();
            let score = (distinct.len(), total);
            if score > (best.1, best.2) {
                best = (start, score.0, score.1);
            }
        }
        // A few words before the first match give it context, as long as no match falls out.
        let last_match = (best.0..best.0 + width)
            .rev()
            .find(|&i| hits[i].is_some())
            .unwrap_or(best.0);
        let lead = LEAD_WORDS.min(best.0).min(best.0 + width - 1 - last_match);
        let first = best.0 - lead;
        let last = first + width - 1;
        Snippet {
            pieces: pieces(text, &words, words[first].0, words[last].1, matches),
            cut_before: first > 0,
            cut_after: last + 1 < words.len() || truncated,
        }
    }

    /// The distinct lower-cased words of `texts` (each looked at up to [`MAX_TEXT_BYTES`]): the
    /// words whose match the database decides.
    pub fn words_to_check<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut words = Vec::new();
        for text in texts {
            let text = bounded(text);
            for (s, e) in word_ranges(text) {
                let word = text[s..e].to_lowercase();
                if seen.insert(word.clone()) {
                    words.push(word);
                }
            }
        }
        words
    }

    /// Whether any piece is marked.
    pub fn has_marks(&self) -> bool {
        self.pieces.iter().any(|p| p.marked)
    }
}

/// The readable text of a Markdown body: its text and code, without markup, links' addresses or
/// raw HTML, with runs of white space made one space.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => {
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak | Event::End(_) | Event::Rule => text.push(' '),
            _ => {}
        }
        if text.len() > MAX_TEXT_BYTES * 2 {
            break;
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &[&str]) -> HashSet<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    /// The snippet as HTML, as the template shows it.
    fn html(snippet: &Snippet) -> String {
        let mut out = String::new();
        if snippet.cut_before {
            out.push('…');
        }
        for piece in &snippet.pieces {
            let text = piece
                .text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;");
            if piece.marked {
                out.push_str(&format!("<mark>{text}</mark>"));
            } else {
                out.push_str(&text);
            }
        }
        if snippet.cut_after {
            out.push('…');
        }
        out
    }

    #[test]
    fn titles_are_marked_whole() {
        let snippet = Snippet::whole("Running fast, run!", &set(&["running", "run"]));
        assert_eq!(
            html(&snippet),
            "<mark>Running</mark> fast, <mark>run</mark>!"
        );
        assert!(snippet.has_marks());
        assert!(!Snippet::whole("Nothing here", &set(&["run"])).has_marks());
    }

    #[test]
    fn the_passage_with_most_matching_words_is_chosen() {
        let filler = "lorem ipsum ".repeat(40);
        let text = format!("zinc at the start. {filler}here zinc and iron together. {filler}end");
        let snippet = Snippet::best_passage(&text, &set(&["zinc", "iron"]));
        let shown = html(&snippet);
        assert!(snippet.cut_before && snippet.cut_after, "{shown}");
        assert!(
            shown.starts_with(
                "…lorem ipsum lorem ipsum here <mark>zinc</mark> and <mark>iron</mark> together."
            ),
            "{shown}"
        );
        let words = snippet
            .pieces
            .iter()
            .map(|p| word_ranges(&p.text).len())
            .sum::<usize>();
        assert_eq!(words, WINDOW_WORDS);
    }

    #[test]
    fn a_text_without_matches_shows_its_start() {
        let text = "one two three ".repeat(20);
        let snippet = Snippet::best_passage(&text, &set(&["zinc"]));
        assert!(!snippet.cut_before && snippet.cut_after);
        assert!(html(&snippet).starts_with("one two three"));
        let short = Snippet::best_passage("just a few words", &set(&["few"]));
        assert_eq!(html(&short), "just a <mark>few</mark> words");
        assert_eq!(Snippet::best_passage("", &set(&["x"])), Snippet::default());
        assert_eq!(
            Snippet::best_passage("?!", &set(&["x"])),
            Snippet::default()
        );
    }

    #[test]
    fn markup_is_escaped_and_matches_are_case_blind() {
        let text = "Never run <script>alert(\"x\")</script> & stay SAFE";
        let snippet = Snippet::best_passage(text, &set(&["script", "safe"]));
        assert_eq!(
            html(&snippet),
            "Never run &lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt; &amp; stay <mark>SAFE</mark>"
        );
    }

    #[test]
    fn long_texts_are_looked_at_up_to_the_bound() {
        let text = format!("{} needle", "word ".repeat(10_000));
        let snippet = Snippet::best_passage(&text, &set(&["needle"]));
        assert!(
            !snippet.has_marks(),
            "a match past the bound is not looked for"
        );
        let multibyte = "é".repeat(MAX_TEXT_BYTES);
        let snippet = Snippet::best_passage(&multibyte, &set(&["x"]));
        assert!(snippet.cut_after);
        assert!(Snippet::words_to_check([multibyte.as_str()]).len() == 1);
    }

    #[test]
    fn words_to_check_are_distinct_and_lower_cased() {
        let words = Snippet::words_to_check(["Zinc and zinc", "IRON, and more"]);
        assert_eq!(words, vec!["zinc", "and", "iron", "more"]);
    }

    #[test]
    fn plain_text_drops_markup_and_keeps_words() {
        let markdown = "# Title\n\nSome **bold** and [a link](https://example.test/x) and `code <b>`.\n\n<div class=\"x\">raw</div>\n\n- item one\n- item two\n\n![alt text](media:123)";
        let text = plain_text(markdown);
        assert_eq!(
            text,
            "Title Some bold and a link and code <b>. item one item two alt text"
        );
    }
}
