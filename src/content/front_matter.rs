//! YAML front matter of imported Markdown files (as Hugo and Jekyll write
//! them): splitting a file into front matter and body, reading the fields the
//! CMS uses with line-numbered errors, and URL slugs (`slugify`, `valid_slug`). No line of a file
//! may hold a control character other than a tab, and no field one that its YAML escapes spell
//! (`"\0"`, a line break in a title or a tag); see [`crate::input`].

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_yaml_ng::{Mapping, Value};

use crate::input::{self, Shape};

/// Longest accepted title, in characters (after trimming).
pub const MAX_TITLE_CHARS: usize = 500;
/// Longest accepted slug, in characters.
pub const MAX_SLUG_CHARS: usize = 200;

const DATE_HINT: &str = "use 2024-05-01, 2024-05-01T10:00:00Z or 2024-05-01 10:00:00 +02:00";

#[derive(Debug, Clone, PartialEq)]
pub struct FrontMatter {
    /// Required, non-empty after trim, at most 500 characters (stored trimmed).
    pub title: String,
    /// Optional; always satisfies [`valid_slug`] when present.
    pub slug: Option<String>,
    pub date: Option<DateTime<Utc>>,
    /// Defaults to `false`.
    pub draft: bool,
    /// Trimmed; an empty description is `None`.
    pub description: Option<String>,
    /// Trimmed, without empty entries or duplicates, in file order.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPost {
    pub front: FrontMatter,
    /// Everything after the closing `---` line, leading blank lines removed,
    /// line endings normalised to `\n`.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{line}: {reason}")]
pub struct FrontMatterError {
    /// 1-based line number in the file.
    pub line: usize,
    pub reason: String,
}

impl FrontMatterError {
    fn new(line: usize, reason: impl Into<String>) -> Self {
        Self {
            line,
            reason: reason.into(),
        }
    }
}

/// Splits a Markdown file into its YAML front matter (between a first line
/// `---` and the next `---` line) and body, and reads the known fields.
/// Unknown keys are ignored; key names are matched case-insensitively, as
/// Hugo does. A UTF-8 BOM and CRLF line endings are accepted.
pub fn parse(source: &str) -> Result<ParsedPost, FrontMatterError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let lines: Vec<&str> = source
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if let Some(error) = control_characters(&lines) {
        return Err(error);
    }

    match lines.first().map(|l| l.trim_end()) {
        Some("---") => {}
        Some("+++") => {
            return Err(FrontMatterError::new(
                1,
                "TOML front matter (+++) is not supported; use YAML (---)",
            ));
        }
        _ => {
            return Err(FrontMatterError::new(1, "missing front matter (--- … ---)"));
        }
    }
    let Some(close) = lines
        .iter()
        .skip(1)
        .position(|l| l.trim_end() == "---")
        .map(|i| i + 1)
    else {
        return Err(FrontMatterError::new(1, "front matter is not closed"));
    };

    // `lines[1..close]` is the YAML; file line of `lines[i]` is `i + 1`.
    let yaml_lines = &lines[1..close];
    let yaml = yaml_lines.join("\n");
    let value: Value = serde_yaml_ng::from_str(&yaml).map_err(|e| {
        let reason = yaml_reason(&e);
        // The YAML starts on file line 2.
        let line = duplicate_key_line(&reason, yaml_lines)
            .unwrap_or_else(|| e.location().map_or(2, |loc| loc.line() + 1));
        FrontMatterError::new(line, format!("invalid YAML: {reason}"))
    })?;
    let empty = Mapping::new();
    let mapping = match &value {
        Value::Mapping(m) => m,
        Value::Null => &empty,
        _ => {
            return Err(FrontMatterError::new(
                2,
                "front matter must be a list of `key: value` lines",
            ));
        }
    };

    let fields = Fields {
        mapping,
        yaml_lines,
    };
    let front = FrontMatter {
        title: fields.title()?,
        slug: fields.slug()?,
        date: fields.date()?,
        draft: fields.draft()?,
        description: fields.description()?,
        tags: fields.tags()?,
    };

    let body_lines = &lines[close + 1..];
    let first_content = body_lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(body_lines.len());
    let body = body_lines[first_content..].join("\n");
    Ok(ParsedPost { front, body })
}

/// The first line holding a control character other than a tab (see [`crate::input`]).
fn control_characters(lines: &[&str]) -> Option<FrontMatterError> {
    lines.iter().enumerate().find_map(|(i, line)| {
        input::check(line, Shape::Text)
            .err()
            .map(|reason| FrontMatterError::new(i + 1, reason))
    })
}

/// One-line reason from a YAML error, without its " at line X column Y" parts
/// (the line is reported separately, relative to the file).
fn yaml_reason(error: &serde_yaml_ng::Error) -> String {
    let message = error.to_string();
    let message = message.lines().next().unwrap_or("").trim();
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(pos) = rest.find(" at ") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 4..];
        let skipped = strip_location(after);
        if skipped.len() == after.len() {
            out.push_str(" at ");
        }
        rest = skipped;
    }
    out.push_str(rest);
    if out.is_empty() {
        "syntax error".to_owned()
    } else {
        out
    }
}

/// For a duplicate top-level key, the file line of its second occurrence
/// (serde_yaml_ng reports the start of the mapping instead).
fn duplicate_key_line(reason: &str, yaml_lines: &[&str]) -> Option<usize> {
    let key = reason.strip_prefix("duplicate entry with key ")?;
    let key = key.trim_matches('"');
    yaml_lines
        .iter()
        .enumerate()
        .filter(|(_, line)| key_of_line(line).is_some_and(|k| k == key))
        .nth(1)
        .map(|(i, _)| i + 2)
}

/// The key of a top-level `key: value` line (quotes removed), if it is one.
fn key_of_line(line: &str) -> Option<&str> {
    let (name, rest) = if let Some(quoted) = line.strip_prefix('"') {
        quoted.split_once('"')?
    } else if let Some(quoted) = line.strip_prefix('\'') {
        quoted.split_once('\'')?
    } else {
        line.split_at(line.find(':')?)
    };
    let name = name.trim_end();
    (!name.is_empty()
        && !name.starts_with(char::is_whitespace)
        && rest.trim_start().starts_with(':'))
    .then_some(name)
}

/// If `s` starts with "line N column M" or "position N", returns what follows.
fn strip_location(s: &str) -> &str {
    fn number(s: &str) -> Option<&str> {
        let rest = s.trim_start_matches(|c: char| c.is_ascii_digit());
        (rest.len() < s.len()).then_some(rest)
    }
    if let Some(rest) = s.strip_prefix("line ").and_then(number) {
        return rest
            .strip_prefix(" column ")
            .and_then(number)
            .unwrap_or(rest);
    }
    if let Some(rest) = s.strip_prefix("position ").and_then(number) {
        return rest;
    }
    s
}

struct Fields<'a> {
    mapping: &'a Mapping,
    yaml_lines: &'a [&'a str],
}

impl Fields<'_> {
    /// Value of a top-level key (case-insensitive); `None` when absent.
    fn get(&self, key: &str) -> Option<&Value> {
        self.mapping
            .iter()
            .find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(key)))
            .map(|(_, v)| v)
    }

    /// File line of the top-level `key:` line, or 1 (the opening `---`).
    fn line_of(&self, key: &str) -> usize {
        self.yaml_lines
            .iter()
            .position(|line| key_of_line(line).is_some_and(|k| k.eq_ignore_ascii_case(key)))
            .map_or(1, |i| i + 2)
    }

    fn error(&self, key: &str, reason: impl Into<String>) -> FrontMatterError {
        FrontMatterError::new(self.line_of(key), reason)
    }

    fn title(&self) -> Result<String, FrontMatterError> {
        let title = match self.get("title") {
            None | Some(Value::Null) => return Err(self.error("title", "title is missing")),
            Some(Value::String(s)) => s.trim(),
            Some(_) => return Err(self.error("title", "title must be text")),
        };
        if title.is_empty() {
            return Err(self.error("title", "title is empty"));
        }
        if let Err(reason) = input::check(title, Shape::Line) {
            return Err(self.error("title", format!("title {reason}")));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(self.error(
                "title",
                format!("title is longer than {MAX_TITLE_CHARS} characters"),
            ));
        }
        Ok(title.to_owned())
    }

    fn slug(&self) -> Result<Option<String>, FrontMatterError> {
        let slug = match self.get("slug") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) if n.is_u64() => n.to_string(),
            Some(_) => return Err(self.error("slug", "slug must be text")),
        };
        if slug.is_empty() {
            return Ok(None);
        }
        if !valid_slug(&slug) {
            return Err(self.error(
                "slug",
                format!("slug {slug:?} is not valid (use a-z, 0-9 and -)"),
            ));
        }
        Ok(Some(slug))
    }

    fn date(&self) -> Result<Option<DateTime<Utc>>, FrontMatterError> {
        let text = match self.get("date") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(_) => return Err(self.error("date", format!("date is not a date ({DATE_HINT})"))),
        };
        if text.is_empty() {
            return Ok(None);
        }
        parse_date(&text)
            .map(Some)
            .ok_or_else(|| self.error("date", format!("date {text:?} is not a date ({DATE_HINT})")))
    }

    fn draft(&self) -> Result<bool, FrontMatterError> {
        match self.get("draft") {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            // Jekyll (YAML 1.1) also reads these as booleans.
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" => Ok(true),
                "false" | "no" | "off" => Ok(false),
                _ => Err(self.error("draft", "draft must be true or false")),
            },
            Some(_) => Err(self.error("draft", "draft must be true or false")),
        }
    }

    fn description(&self) -> Result<Option<String>, FrontMatterError> {
        match self.get("description") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                input::check(s, Shape::Text)
                    .map_err(|reason| self.error("description", format!("description {reason}")))?;
                Ok((!s.is_empty()).then(|| s.to_owned()))
            }
            Some(_) => Err(self.error("description", "description must be text")),
        }
    }

    fn tags(&self) -> Result<Vec<String>, FrontMatterError> {
        let items: Vec<String> = match self.get("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Sequence(seq)) => seq
                .iter()
                .map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| self.error("tags", "tags must be a list of text"))?,
            Some(_) => return Err(self.error("tags", "tags must be a list of text")),
        };
        let mut tags: Vec<String> = Vec::with_capacity(items.len());
        for tag in items {
            let tag = tag.trim();
            input::check(tag, Shape::Line)
                .map_err(|reason| self.error("tags", format!("tag {tag:?} {reason}")))?;
            if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_owned());
            }
        }
        Ok(tags)
    }
}

/// Dates as Hugo and Jekyll write them; a missing offset means UTC and a
/// date alone means midnight UTC.
fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    const WITH_OFFSET: [&str; 6] = [
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%d %H:%M:%S%.f %:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M %z",
        "%Y-%m-%d %H:%M %:z",
    ];
    for format in WITH_OFFSET {
        if let Ok(d) = DateTime::<FixedOffset>::parse_from_str(text, format) {
            return Some(d.with_timezone(&Utc));
        }
    }
    const NAIVE: [&str; 4] = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ];
    for format in NAIVE {
        if let Ok(d) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&d));
        }
    }
    // Also "2024-05-01 UTC"-free plain dates, and "2024-05-01Z" is not accepted.
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Utc.from_utc_datetime(&d))
}

/// URL slug from a title: lowercase ASCII letters, digits and '-', no leading/trailing/double '-', ≤ 200 chars; non-ASCII letters are transliterated where trivial (é→e, ü→u, ß→ss …, a small table is fine) or dropped.
///
/// Apostrophes are dropped ("Don't" → "dont"); other punctuation and
/// whitespace separate words. The result may be empty (e.g. for "---").
pub fn slugify(title: &str) -> String {
    let mut out = String::with_capacity(title.len().min(MAX_SLUG_CHARS));
    let mut pending_dash = false;
    'chars: for c in title.chars().flat_map(char::to_lowercase) {
        let piece: &str = if c.is_ascii_alphanumeric() {
            // Handled below without allocation.
            ""
        } else if let Some(t) = transliterate(c) {
            t
        } else if matches!(c, '\'' | '’' | 'ʼ') || is_combining_mark(c) {
            continue;
        } else if c.is_alphanumeric() {
            // Non-Latin letters and digits we cannot transliterate.
            continue;
        } else {
            pending_dash = true;
            continue;
        };
        let mut push = |ch: char, out: &mut String| -> bool {
            if out.len() >= MAX_SLUG_CHARS {
                return false;
            }
            if pending_dash && !out.is_empty() {
                if out.len() + 1 >= MAX_SLUG_CHARS {
                    return false;
                }
                out.push('-');
            }
            pending_dash = false;
            out.push(ch);
            true
        };
        if piece.is_empty() {
            if !push(c, &mut out) {
                break 'chars;
            }
        } else {
            for ch in piece.chars() {
                if !push(ch, &mut out) {
                    break 'chars;
                }
            }
        }
    }
    out
}

/// A slug is 1–200 chars of [a-z0-9-], not starting or ending with '-', no "--".
pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG_CHARS
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// ASCII spelling of common (lowercase) Latin letters with diacritics.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn err(source: &str) -> (usize, String) {
        let e = parse(source).expect_err("expected an error");
        (e.line, e.reason)
    }

    #[test]
    fn minimal_file() {
        let post = parse("---\ntitle: Hello\n---\nBody text\n").unwrap();
        assert_eq!(
            post.front,
            FrontMatter {
                title: "Hello".into(),
                slug: None,
                date: None,
                draft: false,
                description: None,
                tags: vec![],
            }
        );
        assert_eq!(post.body, "Body text\n");
    }

    #[test]
    fn all_fields() {
        let src = "---\ntitle: \"  A: post  \"\nslug: a-post\ndate: 2024-05-01\ndraft: true\ndescription: >\n  Folded\n  text\ntags: [rust, web]\n---\n\n\n# Heading\n\ntext";
        let post = parse(src).unwrap();
        assert_eq!(post.front.title, "A: post");
        assert_eq!(post.front.slug.as_deref(), Some("a-post"));
        assert_eq!(post.front.date, Some(utc(2024, 5, 1, 0, 0, 0)));
        assert!(post.front.draft);
        assert_eq!(post.front.description.as_deref(), Some("Folded text"));
        assert_eq!(post.front.tags, vec!["rust", "web"]);
        assert_eq!(post.body, "# Heading\n\ntext");
    }

    #[test]
    fn body_keeps_indentation_of_first_line_and_may_be_empty() {
        let post = parse("---\ntitle: T\n---\n  \n    code\nmore").unwrap();
        assert_eq!(post.body, "    code\nmore");
        assert_eq!(parse("---\ntitle: T\n---").unwrap().body, "");
        assert_eq!(parse("---\ntitle: T\n---\n").unwrap().body, "");
        assert_eq!(parse("---\ntitle: T\n---\n\n\n").unwrap().body, "");
    }

    #[test]
    fn body_may_contain_more_dashes() {
        let post = parse("---\ntitle: T\n---\nabove\n\n---\n\nbelow\n").unwrap();
        assert_eq!(post.body, "above\n\n---\n\nbelow\n");
    }

    #[test]
    fn control_characters_are_refused_with_their_line() {
        assert_eq!(
            err("---\ntitle: T\n---\nfine\n\tindented\nnul \0 here\n"),
            (6, "contains a control character (U+0000)".into())
        );
        assert_eq!(
            err("---\ntitle: T\u{1b}[2J\n---\n").0,
            2,
            "an escape in the front matter"
        );
        let (line, reason) = err("---\nslug: s\ntitle: \"Two\\nlines\"\n---\n");
        assert_eq!(line, 3);
        assert_eq!(reason, "title contains a control character (U+000A)");
        let (line, reason) = err("---\ntitle: T\ntags: [a, \"b\\0\"]\n---\n");
        assert_eq!(line, 3);
        assert!(reason.contains("control character (U+0000)"), "{reason}");
        let (line, reason) = err("---\ntitle: T\ndescription: \"a\\0\"\n---\n");
        assert_eq!(line, 3);
        assert!(reason.starts_with("description contains"), "{reason}");
        let post = parse("---\ntitle: T\ndescription: |\n  one\n  two\n---\n\tcode\r\n").unwrap();
        assert_eq!(post.front.description.as_deref(), Some("one\ntwo"));
    }

    #[test]
    fn bom_is_accepted() {
        let post = parse("\u{feff}---\ntitle: BOM\n---\nx").unwrap();
        assert_eq!(post.front.title, "BOM");
        assert_eq!(post.body, "x");
        assert_eq!(err("\u{feff}---\ntitle: [\n---\n").0, 3);
    }

    #[test]
    fn crlf_is_accepted() {
        let src = "---\r\ntitle: Windows\r\ndate: 2024-05-01 10:00:00 +02:00\r\ntags:\r\n  - a\r\n  - b\r\n---\r\n\r\nLine 1\r\nLine 2\r\n";
        let post = parse(src).unwrap();
        assert_eq!(post.front.title, "Windows");
        assert_eq!(post.front.date, Some(utc(2024, 5, 1, 8, 0, 0)));
        assert_eq!(post.front.tags, vec!["a", "b"]);
        assert_eq!(post.body, "Line 1\nLine 2\n");
        assert_eq!(err("---\r\ntitle: T\r\ndraft: maybe\r\n---\r\n").0, 3);
    }

    #[test]
    fn hugo_file_with_extra_keys() {
        let src = r#"---
title: "Deploying with Hugo"
date: 2023-11-05T14:30:00+01:00
lastmod: 2023-11-06T09:00:00+01:00
draft: false
slug: deploying-with-hugo
categories: ["ops"]
tags: ["hugo", "deploy"]
weight: 10
toc: true
cover:
  image: "/img/cover.png"
  alt: "Cover"
params:
  math: true
Description: "How we ship."
---

Intro paragraph.
"#;
        let post = parse(src).unwrap();
        assert_eq!(post.front.title, "Deploying with Hugo");
        assert_eq!(post.front.date, Some(utc(2023, 11, 5, 13, 30, 0)));
        assert!(!post.front.draft);
        assert_eq!(post.front.slug.as_deref(), Some("deploying-with-hugo"));
        assert_eq!(post.front.tags, vec!["hugo", "deploy"]);
        // Hugo keys are case-insensitive.
        assert_eq!(post.front.description.as_deref(), Some("How we ship."));
        assert_eq!(post.body, "Intro paragraph.\n");
    }

    #[test]
    fn jekyll_file_with_offset_date() {
        let src = "---\nlayout: post\ntitle:  \"Welcome to Jekyll!\"\ndate:   2015-11-10 23:40:29 -0500\ncategories: jekyll update\ntags: jekyll\n---\nYou’ll find this post in your `_posts` directory.\n";
        let post = parse(src).unwrap();
        assert_eq!(post.front.title, "Welcome to Jekyll!");
        assert_eq!(post.front.date, Some(utc(2015, 11, 11, 4, 40, 29)));
        assert_eq!(post.front.tags, vec!["jekyll"]);
    }

    #[test]
    fn date_formats() {
        let cases = [
            ("2024-05-01", utc(2024, 5, 1, 0, 0, 0)),
            ("2024-05-01T10:00:00Z", utc(2024, 5, 1, 10, 0, 0)),
            ("2024-05-01T10:00:00+02:00", utc(2024, 5, 1, 8, 0, 0)),
            (
                "2024-05-01T10:00:00.123Z",
                utc(2024, 5, 1, 10, 0, 0) + chrono::Duration::milliseconds(123),
            ),
            ("2024-05-01 10:00:00 +0200", utc(2024, 5, 1, 8, 0, 0)),
            ("2024-05-01 10:00:00 +02:00", utc(2024, 5, 1, 8, 0, 0)),
            ("2024-05-01 10:00:00 -0530", utc(2024, 5, 1, 15, 30, 0)),
            ("2024-05-01 10:00:00", utc(2024, 5, 1, 10, 0, 0)),
            ("2024-05-01T10:00:00", utc(2024, 5, 1, 10, 0, 0)),
            ("2024-05-01 10:00", utc(2024, 5, 1, 10, 0, 0)),
            ("'2024-05-01'", utc(2024, 5, 1, 0, 0, 0)),
            ("\"2024-05-01T10:00:00Z\"", utc(2024, 5, 1, 10, 0, 0)),
        ];
        for (text, expected) in cases {
            let src = format!("---\ntitle: T\ndate: {text}\n---\n");
            let post = parse(&src).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(post.front.date, Some(expected), "{text}");
        }
    }

    #[test]
    fn bad_dates() {
        for text in [
            "yesterday",
            "2024-13-01",
            "2024-02-30",
            "01/05/2024",
            "2024",
            "true",
        ] {
            let src = format!("---\ntitle: T\ntags: []\ndate: {text}\n---\n");
            let (line, reason) = err(&src);
            assert_eq!(line, 4, "{text}");
            assert_eq!(
                reason,
                format!("date \"{text}\" is not a date ({DATE_HINT})"),
                "{text}"
            );
        }
        assert_eq!(
            err("---\ntitle: T\ndate: yesterday\n---\n").1,
            "date \"yesterday\" is not a date (use 2024-05-01, 2024-05-01T10:00:00Z or 2024-05-01 10:00:00 +02:00)"
        );
        assert_eq!(err("---\ntitle: T\ndate: [2024]\n---\n").0, 3);
    }

    #[test]
    fn empty_date_is_none() {
        assert_eq!(
            parse("---\ntitle: T\ndate: \"\"\n---\n")
                .unwrap()
                .front
                .date,
            None
        );
        assert_eq!(
            parse("---\ntitle: T\ndate:\n---\n").unwrap().front.date,
            None
        );
    }

    #[test]
    fn missing_front_matter() {
        assert_eq!(
            err("# Just markdown\n"),
            (1, "missing front matter (--- … ---)".into())
        );
        assert_eq!(err(""), (1, "missing front matter (--- … ---)".into()));
        assert_eq!(err("\n---\ntitle: T\n---\n").0, 1);
        assert_eq!(err("----\ntitle: T\n----\n").0, 1);
    }

    #[test]
    fn unclosed_front_matter() {
        assert_eq!(
            err("---\ntitle: T\n\nBody"),
            (1, "front matter is not closed".into())
        );
        assert_eq!(err("---"), (1, "front matter is not closed".into()));
    }

    #[test]
    fn toml_front_matter_is_rejected() {
        assert_eq!(
            err("+++\ntitle = \"T\"\n+++\nBody"),
            (
                1,
                "TOML front matter (+++) is not supported; use YAML (---)".into()
            )
        );
    }

    #[test]
    fn delimiters_may_have_trailing_spaces() {
        let post = parse("---  \ntitle: T\n--- \nBody").unwrap();
        assert_eq!(post.front.title, "T");
        assert_eq!(post.body, "Body");
    }

    #[test]
    fn yaml_syntax_error_reports_file_line() {
        let (line, reason) = err("---\ntitle: T\ntags: [a, b\ndraft: false\n---\n");
        assert!(reason.starts_with("invalid YAML: "), "{reason}");
        assert!(!reason.contains("line"), "{reason}");
        assert!(!reason.contains('\n'), "{reason}");
        assert!((3..=5).contains(&line), "{line}: {reason}");

        let (line, reason) = err("---\ntitle: T\ndescription: \"unterminated\n---\n");
        assert!(reason.starts_with("invalid YAML: "), "{reason}");
        assert!((3..=5).contains(&line), "{line}: {reason}");

        let (line, reason) = err("---\ntitle: T\n  bad: indent\n---\n");
        assert_eq!(line, 3, "{reason}");
    }

    #[test]
    fn yaml_error_line_is_exact_for_tab_indentation() {
        // Tabs are not allowed for indentation in YAML.
        let (line, reason) = err("---\ntitle: T\ntags:\n\t- a\n---\n");
        assert_eq!(line, 4, "{reason}");
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        assert_eq!(
            err("---\ntitle: A\ndraft: true\ntitle: B\n---\n"),
            (4, "invalid YAML: duplicate entry with key \"title\"".into())
        );
    }

    #[test]
    fn front_matter_must_be_a_mapping() {
        assert_eq!(err("---\n- a\n- b\n---\n").0, 2);
        assert_eq!(err("---\njust text\n---\n").0, 2);
    }

    #[test]
    fn title_rules() {
        assert_eq!(
            err("---\ndraft: true\n---\n"),
            (1, "title is missing".into())
        );
        assert_eq!(err("---\n---\nBody"), (1, "title is missing".into()));
        assert_eq!(
            err("---\ndraft: true\ntitle:\n---\n"),
            (3, "title is missing".into())
        );
        assert_eq!(
            err("---\ndraft: true\ntitle: [a]\n---\n"),
            (3, "title must be text".into())
        );
        assert_eq!(
            err("---\ntitle: 42\n---\n"),
            (2, "title must be text".into())
        );
        assert_eq!(
            err("---\ntitle: \"   \"\n---\n"),
            (2, "title is empty".into())
        );
        let long = "x".repeat(501);
        assert_eq!(
            err(&format!("---\ntags: []\ntitle: {long}\n---\n")),
            (3, "title is longer than 500 characters".into())
        );
        let max = "é".repeat(500);
        assert_eq!(
            parse(&format!("---\ntitle: {max}\n---\n"))
                .unwrap()
                .front
                .title,
            max
        );
    }

    #[test]
    fn slug_rules() {
        assert_eq!(
            err("---\ntitle: T\nslug: Bad Slug\n---\n"),
            (
                3,
                "slug \"Bad Slug\" is not valid (use a-z, 0-9 and -)".into()
            )
        );
        assert_eq!(err("---\ntitle: T\nslug: a--b\n---\n").0, 3);
        assert_eq!(
            err("---\ntitle: T\nslug: [a]\n---\n"),
            (3, "slug must be text".into())
        );
        let ok = |src: &str| parse(src).unwrap().front.slug;
        assert_eq!(
            ok("---\ntitle: T\nslug: good-one-2\n---\n").as_deref(),
            Some("good-one-2")
        );
        assert_eq!(
            ok("---\ntitle: T\nslug: 404\n---\n").as_deref(),
            Some("404")
        );
        assert_eq!(ok("---\ntitle: T\nslug: \"\"\n---\n"), None);
        assert_eq!(ok("---\ntitle: T\nslug:\n---\n"), None);
    }

    #[test]
    fn draft_rules() {
        let draft =
            |v: &str| parse(&format!("---\ntitle: T\ndraft: {v}\n---\n")).map(|p| p.front.draft);
        assert_eq!(draft("true"), Ok(true));
        assert_eq!(draft("false"), Ok(false));
        assert_eq!(draft("yes"), Ok(true));
        assert_eq!(draft("\"no\""), Ok(false));
        assert_eq!(draft(""), Ok(false));
        assert_eq!(
            draft("maybe").unwrap_err(),
            FrontMatterError {
                line: 3,
                reason: "draft must be true or false".into()
            }
        );
        assert_eq!(
            draft("1").unwrap_err().reason,
            "draft must be true or false"
        );
    }

    #[test]
    fn description_rules() {
        let desc = |v: &str| {
            parse(&format!("---\ntitle: T\ndescription: {v}\n---\n")).map(|p| p.front.description)
        };
        assert_eq!(desc("  Short one. "), Ok(Some("Short one.".into())));
        assert_eq!(desc("\"\""), Ok(None));
        assert_eq!(
            desc("{a: 1}").unwrap_err(),
            FrontMatterError {
                line: 3,
                reason: "description must be text".into()
            }
        );
    }

    #[test]
    fn tag_forms() {
        let tags =
            |v: &str| parse(&format!("---\ntitle: T\ntags: {v}\n---\n")).map(|p| p.front.tags);
        assert_eq!(tags("[a, b]"), Ok(vec!["a".into(), "b".into()]));
        assert_eq!(
            tags("\n  - a\n  - \"b c\"\n  - a\n  - \" \""),
            Ok(vec!["a".into(), "b c".into()])
        );
        assert_eq!(tags("single"), Ok(vec!["single".into()]));
        assert_eq!(tags("[2024, rust]"), Ok(vec!["2024".into(), "rust".into()]));
        assert_eq!(tags("[]"), Ok(vec![]));
        assert_eq!(tags(""), Ok(vec![]));
        for bad in ["[a, [b]]", "{a: b}", "true", "[a, null]"] {
            assert_eq!(
                tags(bad).unwrap_err(),
                FrontMatterError {
                    line: 3,
                    reason: "tags must be a list of text".into()
                },
                "{bad}"
            );
        }
    }

    #[test]
    fn field_error_line_falls_back_to_first_line() {
        // Key written in flow style on one line: no `tags:` line to point at.
        let (line, reason) = err("---\n{title: T, tags: {a: b}}\n---\n");
        assert_eq!((line, reason.as_str()), (1, "tags must be a list of text"));
        // Quoted keys are found.
        assert_eq!(err("---\ntitle: T\n\"draft\": maybe\n---\n").0, 3);
    }

    #[test]
    fn error_display_is_line_colon_reason() {
        let e = parse("---\ntitle: T\ndraft: x\n---\n").unwrap_err();
        assert_eq!(e.to_string(), "3: draft must be true or false");
    }

    #[test]
    fn slugify_table() {
        let cases = [
            ("Hello, World!", "hello-world"),
            ("  Über Straße  ", "uber-strasse"),
            ("---", ""),
            ("", ""),
            ("Rust 2024 Edition", "rust-2024-edition"),
            ("Don't Panic", "dont-panic"),
            ("C'est l’été à Paris", "cest-lete-a-paris"),
            ("Ærøskøbing — Œuvre", "aeroskobing-oeuvre"),
            ("Łódź, Kraków & Gdańsk", "lodz-krakow-gdansk"),
            ("ÉCOLE", "ecole"),
            ("e\u{301}te\u{301}", "ete"),
            ("Привет, world", "world"),
            ("日本語", ""),
            ("a  --  b", "a-b"),
            ("snake_case_title", "snake-case-title"),
            ("__init__.py", "init-py"),
            ("100% pure", "100-pure"),
        ];
        for (title, expected) in cases {
            let slug = slugify(title);
            assert_eq!(slug, expected, "{title:?}");
            assert!(slug.is_empty() || valid_slug(&slug), "{title:?} → {slug:?}");
        }
    }

    #[test]
    fn slugify_limits_length() {
        let slug = slugify(&"word ".repeat(100));
        assert!(slug.len() <= MAX_SLUG_CHARS, "{}", slug.len());
        assert!(valid_slug(&slug), "{slug}");
        let slug = slugify(&"ß".repeat(150));
        assert_eq!(slug.len(), MAX_SLUG_CHARS);
        assert!(valid_slug(&slug));
        let slug = slugify(&format!("{} b", "a".repeat(199)));
        assert_eq!(slug, "a".repeat(199));
    }

    #[test]
    fn valid_slug_table() {
        let long_ok = "a".repeat(200);
        let too_long = "a".repeat(201);
        let cases: [(&str, bool); 16] = [
            ("hello-world", true),
            ("a", true),
            ("2024", true),
            ("a-1-b", true),
            (&long_ok, true),
            ("", false),
            (&too_long, false),
            ("-a", false),
            ("a-", false),
            ("a--b", false),
            ("-", false),
            ("Hello", false),
            ("hello world", false),
            ("hello_world", false),
            ("über", false),
            ("a/b", false),
        ];
        for (slug, expected) in cases {
            assert_eq!(valid_slug(slug), expected, "{slug:?}");
        }
    }

    #[test]
    fn parse_never_panics_on_garbage() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u32
        };
        const ALPHABET: &[u8] = b"-+:#'\"[]{}&*!|>?%@`,\n\r\t \xef\xbb\xbftitleslugdatedrafttags0123456789aZ\\\x00\xff\xc3\xa9";
        for i in 0..600 {
            let len = (next() % 200) as usize;
            let mut bytes: Vec<u8> = Vec::with_capacity(len + 8);
            // Make most inputs reach the YAML parser.
            match i % 4 {
                0 => bytes.extend_from_slice(b"---\n"),
                1 => bytes.extend_from_slice(b"---\ntitle: "),
                _ => {}
            }
            for _ in 0..len {
                let r = next();
                let byte = if r % 3 == 0 {
                    (r >> 8) as u8
                } else {
                    ALPHABET[(r >> 8) as usize % ALPHABET.len()]
                };
                bytes.push(byte);
            }
            if i % 2 == 0 {
                bytes.extend_from_slice(b"\n---\nbody");
            }
            let text = String::from_utf8_lossy(&bytes);
            let result = parse(&text);
            if let Err(e) = result {
                assert!(e.line >= 1, "{e:?}");
                assert!(
                    e.line <= text.split('\n').count().max(1) + 1,
                    "{e:?} for {text:?}"
                );
                assert!(!e.reason.contains('\n'), "{e:?}");
            }
            let _ = slugify(&text);
        }
    }
}
