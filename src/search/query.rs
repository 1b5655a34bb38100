//! What a visitor typed, read into a text search query built here rather than by the database's
//! own parser of web searches (`websearch_to_tsquery`, which CockroachDB lacks). Nothing the
//! visitor types reaches SQL as syntax: the result is bound as the text of `to_tsquery`.
//!
//! - words are runs of Unicode letters and digits; every word must match (`&`);
//! - `"quoted words"` must appear in that order, next to each other (`<->`); so must the pieces of
//!   a word joined by punctuation (`e-mail`, `don't`), as the database splits them in documents;
//! - a leading `-` excludes a word or a quoted phrase (`!`);
//! - `OR` between two words or phrases accepts either (`|`); it binds more tightly than the
//!   implicit AND, so `vitamin d OR k` is `vitamin & (d | k)`;
//! - every other character (operators such as `& | ! : * ( ) < >`, quotes left open, backslashes,
//!   punctuation) only separates words.
//!
//! At most [`MAX_CHARS`] characters are read and at most [`MAX_WORDS`] words kept.

/// Characters of a query that are read; the rest is ignored.
pub const MAX_CHARS: usize = 200;
/// Words a query keeps (phrases count each of their words).
pub const MAX_WORDS: usize = 16;

/// Words that must follow each other: one word, or a phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Lower-cased, never empty.
    pub words: Vec<String>,
}

/// One condition of the query; all of them must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// At least one of these terms appears.
    AnyOf(Vec<Term>),
    /// The term does not appear.
    Not(Term),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub conditions: Vec<Condition>,
    /// Whether characters or words past the limits were left out.
    pub cut: bool,
}

/// A piece of the input, before conditions are formed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Term { term: Term, negated: bool },
    Or,
}

impl Query {
    /// Reads a query; never fails (what cannot be read is left out).
    pub fn parse(input: &str) -> Query {
        let mut cut = input.chars().nth(MAX_CHARS).is_some();
        let text: String = input.chars().take(MAX_CHARS).collect();
        let mut tokens = tokens(&text);
        let mut words = 0;
        tokens.retain_mut(|token| {
            let Token::Term { term, .. } = token else {
                return true;
            };
            if words >= MAX_WORDS {
                cut = true;
                return false;
            }
            if words + term.words.len() > MAX_WORDS {
                term.words.truncate(MAX_WORDS - words);
                cut = true;
            }
            words += term.words.len();
            true
        });
        Query {
            conditions: conditions(tokens),
            cut,
        }
    }

    /// Whether the query has a word to look for (exclusions alone find nothing).
    pub fn has_words(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| matches!(c, Condition::AnyOf(_)))
    }

    /// Whether the query excludes something.
    pub fn has_exclusions(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| matches!(c, Condition::Not(_)))
    }

    /// The text of the whole query for `to_tsquery`: `'a' & ('b' | 'c' <-> 'd') & !'e'`. Empty
    /// when the query has no conditions.
    pub fn to_tsquery(&self) -> String {
        self.conditions
            .iter()
            .map(|condition| match condition {
                Condition::AnyOf(terms) if terms.len() == 1 => term_text(&terms[0]),
                Condition::AnyOf(terms) => format!(
                    "({})",
                    terms.iter().map(term_text).collect::<Vec<_>>().join(" | ")
                ),
                Condition::Not(term) => format!("!{}", term_text(term)),
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// The text of the query without its exclusions: what a result must contain in any case
    /// (so that excluding words alone, or next to words too common to count, finds nothing).
    pub fn wanted_tsquery(&self) -> String {
        Query {
            conditions: self
                .conditions
                .iter()
                .filter(|c| matches!(c, Condition::AnyOf(_)))
                .cloned()
                .collect(),
            cut: self.cut,
        }
        .to_tsquery()
    }

    /// Every word looked for (not the excluded ones), once each, in order: what results show
    /// marked.
    pub fn wanted_words(&self) -> Vec<&str> {
        let mut words: Vec<&str> = Vec::new();
        for condition in &self.conditions {
            if let Condition::AnyOf(terms) = condition {
                for word in terms.iter().flat_map(|t| &t.words) {
                    if !words.contains(&word.as_str()) {
                        words.push(word);
                    }
                }
            }
        }
        words
    }
}

/// `words` joined with `|` for `to_tsquery`: any one of them.
pub fn any_of_tsquery(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| quoted(w))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A word as a `to_tsquery` operand. Words hold letters and digits only; quotes are doubled all
/// the same, so that no text can ever end the operand.
fn quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', "''"))
}

fn term_text(term: &Term) -> String {
    match term.words.as_slice() {
        [word] => quoted(word),
        words => format!(
            "({})",
            words
                .iter()
                .map(|w| quoted(w))
                .collect::<Vec<_>>()
                .join(" <-> ")
        ),
    }
}

/// The words of a piece of text: runs of letters and digits, lower-cased (which may add a
/// combining mark: `İ` becomes `i` and a dot above).
fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Splits the input into terms and `OR`s.
fn tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| !(c.is_alphanumeric() || c == '"' || c == '-'));
        if rest.is_empty() {
            break;
        }
        let negated = rest.starts_with('-');
        if negated {
            rest = &rest[1..];
            // A dash not followed by a word or a phrase only separates.
            if !rest.starts_with(|c: char| c.is_alphanumeric() || c == '"') {
                continue;
            }
        }
        let (piece, after, quoted) = if let Some(open) = rest.strip_prefix('"') {
            match open.find('"') {
                Some(close) => (&open[..close], &open[close + 1..], true),
                None => (open, "", true),
            }
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"')
                .unwrap_or(rest.len());
            (&rest[..end], &rest[end..], false)
        };
        rest = after;
        if !quoted && !negated && piece == "OR" {
            tokens.push(Token::Or);
            continue;
        }
        let words = words_of(piece);
        if !words.is_empty() {
            tokens.push(Token::Term {
                term: Term { words },
                negated,
            });
        }
    }
    tokens
}

/// Forms the conditions: terms joined by `OR` become one condition, an `OR` next to an excluded
/// term, another `OR` or an end is dropped.
fn conditions(tokens: Vec<Token>) -> Vec<Condition> {
    let mut conditions: Vec<Condition> = Vec::new();
    let mut joins = false;
    for token in tokens {
        match token {
            Token::Or => joins = true,
            Token::Term {
                term,
                negated: true,
            } => {
                joins = false;
                conditions.push(Condition::Not(term));
            }
            Token::Term {
                term,
                negated: false,
            } => {
                match conditions.last_mut() {
                    Some(Condition::AnyOf(terms)) if joins => terms.push(term),
                    _ => conditions.push(Condition::AnyOf(vec![term])),
                }
                joins = false;
            }
        }
    }
    conditions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(input: &str) -> String {
        Query::parse(input).to_tsquery()
    }

    #[test]
    fn words_must_all_match() {
        assert_eq!(ts("Vitamin D"), "'vitamin' & 'd'");
        assert_eq!(ts("  magnesium   "), "'magnesium'");
        assert_eq!(ts("Ünïcode wörter 2024"), "'ünïcode' & 'wörter' & '2024'");
    }

    #[test]
    fn quoted_words_form_a_phrase() {
        assert_eq!(
            ts("\"fish oil\" capsules"),
            "('fish' <-> 'oil') & 'capsules'"
        );
        assert_eq!(ts("\"omega\""), "'omega'");
        // A quote left open runs to the end.
        assert_eq!(ts("\"fish oil"), "('fish' <-> 'oil')");
        assert_eq!(ts("\"\" x"), "'x'");
    }

    #[test]
    fn joined_pieces_of_a_word_form_a_phrase() {
        assert_eq!(ts("e-mail"), "('e' <-> 'mail')");
        assert_eq!(ts("don't"), "('don' <-> 't')");
    }

    #[test]
    fn a_leading_dash_excludes() {
        assert_eq!(ts("zinc -copper"), "'zinc' & !'copper'");
        assert_eq!(ts("zinc -\"fish oil\""), "'zinc' & !('fish' <-> 'oil')");
        assert_eq!(ts("zinc - copper"), "'zinc' & 'copper'");
        assert_eq!(ts("zinc --copper"), "'zinc' & !'copper'");
        let only_excluded = Query::parse("-zinc");
        assert!(!only_excluded.has_words());
        assert!(only_excluded.has_exclusions());
        assert_eq!(only_excluded.wanted_tsquery(), "");
    }

    #[test]
    fn or_accepts_either_and_binds_tighter_than_and() {
        assert_eq!(ts("vitamin d OR k"), "'vitamin' & ('d' | 'k')");
        assert_eq!(ts("a OR b OR \"c d\""), "('a' | 'b' | ('c' <-> 'd'))");
        // Lower-case "or" is a word; an OR with nothing on one side is dropped.
        assert_eq!(ts("this or that"), "'this' & 'or' & 'that'");
        assert_eq!(ts("OR zinc OR"), "'zinc'");
        assert_eq!(ts("zinc OR -copper"), "'zinc' & !'copper'");
        assert_eq!(ts("zinc OR OR iron"), "('zinc' | 'iron')");
        assert_eq!(ts("\"OR\""), "'or'");
    }

    #[test]
    fn operators_and_punctuation_only_separate() {
        for input in [
            "a & b",
            "a | b",
            "!a b",
            "a:* b",
            "(a) <-> (b)",
            "a\\ b",
            "'a' b",
            "a; DROP TABLE b",
            "a <2> b",
        ] {
            let text = ts(input);
            assert!(
                text.starts_with("'a'") && text.ends_with("'b'"),
                "{input:?} gave {text:?}"
            );
        }
        assert_eq!(ts("a; DROP TABLE b"), "'a' & 'drop' & 'table' & 'b'");
        assert_eq!(ts("&|!:*()<>\\'"), "");
        assert!(!Query::parse("&|!:*()").has_words());
    }

    #[test]
    fn no_operand_can_escape_its_quotes() {
        for input in ["it's", "'; select 1; --", "\u{2019}quoted\u{2019}", "a'b'c"] {
            let text = ts(input);
            let inside: Vec<&str> = text.split('\'').skip(1).step_by(2).collect();
            assert!(
                inside.iter().all(|w| w.chars().all(char::is_alphanumeric)),
                "{input:?} gave {text:?}"
            );
        }
    }

    #[test]
    fn long_queries_are_cut() {
        let long = "word ".repeat(2_000);
        let query = Query::parse(&long);
        assert!(query.cut);
        assert_eq!(query.conditions.len(), MAX_WORDS);
        let wide = format!("{} tail", "x".repeat(300));
        let query = Query::parse(&wide);
        assert!(query.cut);
        assert_eq!(query.to_tsquery(), format!("'{}'", "x".repeat(MAX_CHARS)));
        let phrase = format!("\"{}\"", "w ".repeat(40));
        let query = Query::parse(&phrase);
        assert!(query.cut);
        assert!(
            matches!(&query.conditions[0], Condition::AnyOf(t) if t[0].words.len() == MAX_WORDS)
        );
        assert!(!Query::parse("short words").cut);
    }

    #[test]
    fn empty_and_unreadable_input_has_no_words() {
        for input in [
            "",
            "   ",
            "\u{FFFD}\u{FFFD}",
            "\u{0}\u{7}",
            "---",
            "\"\"",
            "OR",
        ] {
            let query = Query::parse(input);
            assert!(!query.has_words(), "{input:?}");
            assert_eq!(query.to_tsquery(), "", "{input:?}");
        }
    }

    #[test]
    fn wanted_words_are_the_words_looked_for_once_each() {
        let query = Query::parse("Zinc \"zinc picolinate\" OR iron -copper");
        assert_eq!(query.wanted_words(), vec!["zinc", "picolinate", "iron"]);
        assert_eq!(
            query.wanted_tsquery(),
            "'zinc' & (('zinc' <-> 'picolinate') | 'iron')"
        );
        assert_eq!(
            any_of_tsquery(&query.wanted_words()),
            "'zinc' | 'picolinate' | 'iron'"
        );
    }
}
