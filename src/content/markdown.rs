//! Markdown rendering for post bodies: editor Markdown → sanitized HTML
//! (`render`) and plain-text excerpts for meta descriptions (`excerpt`).
//!
//! Rendering uses pulldown-cmark (tables, footnotes, strikethrough, task
//! lists, heading attributes) with two passes over the event stream: the
//! first numbers the footnotes and gives them ids that no author's heading id
//! has; the second rewrites the events, giving every heading an id, turning
//! footnotes into HTML with those ids and back links, table alignment into an
//! `align` attribute and code info strings into their language. The resulting
//! HTML is always passed through an ammonia allow-list, so the output can be
//! stored and served as-is.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{
    Alignment, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use uuid::Uuid;

/// URL schemes allowed in `href`/`src` (relative URLs are allowed as well).
const URL_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// How Markdown names an image of the media library: `media:{id}`.
pub const MEDIA_SCHEME: &str = "media:";

/// Where the media library's files are served; the only addresses a `srcset` may name.
pub const MEDIA_PATH: &str = "/media/";

/// Value of `rel` put on every link.
const LINK_REL: &str = "noopener noreferrer nofollow";

/// Longest class name accepted for `language-xxx` on `<code>`.
const MAX_LANGUAGE_LEN: usize = 40;

/// Longest automatically generated id (before a de-duplication suffix).
const MAX_AUTO_ID_CHARS: usize = 80;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(sanitizer);

/// Renders editor Markdown to sanitized HTML, ready to be stored and served as-is. Images of the
/// media library (`![alt](media:{id})`) show only their alt text: see [`render_with`].
pub fn render(markdown: &str) -> String {
    render_with(markdown, &|_, _| None)
}

/// Like [`render`], with the images of the media library: `picture(id, alt)` gives the HTML of
/// `![alt](media:{id})` (a `<picture>` with its sources), or `None` when there is no such image,
/// which then shows as its alt text. That HTML goes through the sanitizer like everything else.
pub fn render_with(markdown: &str, picture: &dyn Fn(Uuid, &str) -> Option<String>) -> String {
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();
    let events = place_pictures(transform(events), picture);
    let mut html = String::with_capacity(markdown.len() + markdown.len() / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    SANITIZER.clean(&html).to_string()
}

/// The ids of the media library's images a body shows (`![alt](media:{id})`), each once, in order.
pub fn media_ids(markdown: &str) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for (id, _) in media_images(markdown) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Every image of the media library a body shows, in order, with the alt text the body gives it
/// (empty when none).
pub fn media_images(markdown: &str) -> Vec<(Uuid, String)> {
    let mut images = Vec::new();
    let mut open: Option<(Uuid, String)> = None;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                open = media_id(&dest_url).map(|id| (id, String::new()));
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, alt)) = open.as_mut() {
                    alt.push_str(&text);
                }
            }
            Event::End(TagEnd::Image) => images.extend(open.take()),
            _ => {}
        }
    }
    images
}

/// Every image a body shows, by its address as written (once each, in order).
pub fn image_addresses(markdown: &str) -> Vec<String> {
    let mut addresses: Vec<String> = Vec::new();
    for event in Parser::new_ext(markdown, options()) {
        if let Event::Start(Tag::Image { dest_url, .. }) = event
            && !addresses.iter().any(|a| **a == *dest_url)
        {
            addresses.push(dest_url.into_string());
        }
    }
    addresses
}

/// The body with the address of each inline image (`![alt](address "title")`) for which
/// `replace` gives a new one replaced by it; everything else is left as written. Images by
/// reference (`![alt][ref]`) keep their address.
pub fn replace_image_addresses(markdown: &str, replace: &dyn Fn(&str) -> Option<String>) -> String {
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        let Event::Start(Tag::Image { dest_url, .. }) = event else {
            continue;
        };
        let Some(new) = replace(&dest_url) else {
            continue;
        };
        if let Some(at) = address_in(&markdown[range.clone()]) {
            edits.push(((range.start + at.start)..(range.start + at.end), new));
        }
    }
    let mut out = markdown.to_owned();
    for (range, new) in edits.into_iter().rev() {
        out.replace_range(range, &new);
    }
    out
}

/// Where the address is in the source of an inline image: after its last `](`, up to a space,
/// the closing `)` or, in angle brackets, the `>`.
fn address_in(image: &str) -> Option<std::ops::Range<usize>> {
    let open = image.rfind("](")? + 2;
    let rest = &image[open..];
    let start = open + (rest.len() - rest.trim_start().len());
    let tail = &image[start..];
    let end = if let Some(inner) = tail.strip_prefix('<') {
        start + 1 + inner.find('>')? + 1
    } else {
        start + tail.find(|c: char| c.is_whitespace() || c == ')')?
    };
    (end > start).then_some(start..end)
}

/// The id of a `media:{id}` address.
fn media_id(url: &str) -> Option<Uuid> {
    Uuid::try_parse(url.trim().strip_prefix(MEDIA_SCHEME)?).ok()
}

/// Pass 3: each image of the media library becomes its picture, or its alt text when it has none.
fn place_pictures<'a>(
    events: Vec<Event<'a>>,
    picture: &dyn Fn(Uuid, &str) -> Option<String>,
) -> Vec<Event<'a>> {
    let mut out = Vec::with_capacity(events.len());
    let mut events = events.into_iter();
    while let Some(event) = events.next() {
        let id = match &event {
            Event::Start(Tag::Image { dest_url, .. }) => media_id(dest_url),
            _ => None,
        };
        let Some(id) = id else {
            out.push(event);
            continue;
        };
        let mut alt = String::new();
        for inner in events.by_ref() {
            match inner {
                Event::End(TagEnd::Image) => break,
                Event::Text(text) | Event::Code(text) => alt.push_str(&text),
                Event::SoftBreak | Event::HardBreak => alt.push(' '),
                _ => {}
            }
        }
        match picture(id, &alt) {
            Some(html) => out.push(Event::InlineHtml(CowStr::from(html))),
            None => out.push(Event::Text(CowStr::from(alt))),
        }
    }
    out
}

/// Plain-text excerpt (no markup) of at most `max_chars` characters, cut at a word boundary with "…" — used for meta descriptions when a post has none.
///
/// Text and inline code are kept; raw HTML, code blocks, image alt text and
/// footnotes are left out. Blocks are separated by a space and all
/// whitespace is collapsed.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let text = plain_text(markdown);
    truncate_at_word(&text, max_chars)
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

// ---------------------------------------------------------------------------
// Sanitizer
// ---------------------------------------------------------------------------

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.url_schemes(URL_SCHEMES.into_iter().collect())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some(LINK_REL))
        .add_tags(["input", "picture", "source"])
        .add_tag_attributes("source", ["type", "srcset", "sizes"])
        .add_tag_attributes("img", ["srcset", "sizes", "loading", "decoding"])
        .add_tag_attributes("input", ["checked"])
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "")
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("sup", ["id", "class"])
        .add_tag_attributes("div", ["id", "class"])
        .add_tag_attributes("li", ["id", "class"])
        .add_tag_attributes("a", ["class"])
        .attribute_filter(filter_attribute);
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, ["id"]);
    }
    b
}

/// Second-stage filter run by ammonia on attributes that passed the
/// allow-list: restricts classes to the ones the Markdown features emit,
/// `align` to its three values, and drops empty or whitespace-laden ids.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match attribute {
        "class" => {
            let allowed: fn(&str) -> bool = match element {
                "code" => is_language_class,
                "sup" => |c| c == "footnote-reference" || c == "footnote-definition-label",
                "div" | "li" => |c| c == "footnote-definition",
                "a" => |c| c == "footnote-backref",
                _ => return None,
            };
            let kept: Vec<&str> = value
                .split_ascii_whitespace()
                .filter(|c| allowed(c))
                .collect();
            if kept.is_empty() {
                None
            } else {
                Some(Cow::Owned(kept.join(" ")))
            }
        }
        "align" if element == "td" || element == "th" => {
            let v = value.trim().to_ascii_lowercase();
            matches!(v.as_str(), "left" | "center" | "right").then_some(Cow::Owned(v))
        }
        "id" => {
            (!value.is_empty() && !value.chars().any(char::is_whitespace) && value.len() <= 200)
                .then_some(Cow::Borrowed(value))
        }
        "href" | "src" if has_disallowed_scheme(value) => None,
        "srcset" => is_media_srcset(value).then_some(Cow::Borrowed(value)),
        "sizes" => is_sizes(value).then_some(Cow::Borrowed(value)),
        "type" if element == "source" => matches!(
            value,
            "image/webp" | "image/jpeg" | "image/png" | "image/gif"
        )
        .then_some(Cow::Borrowed(value)),
        "loading" => matches!(value, "lazy" | "eager").then_some(Cow::Borrowed(value)),
        "decoding" => matches!(value, "async" | "sync" | "auto").then_some(Cow::Borrowed(value)),
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Whether a `srcset` names only files of the media library, each with a width:
/// `/media/{64 hex}.{ext} {n}w, …`.
fn is_media_srcset(value: &str) -> bool {
    value.split(',').all(|candidate| {
        let mut parts = candidate.split_ascii_whitespace();
        let (Some(url), Some(width), None) = (parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        let width_ok = width.strip_suffix('w').is_some_and(|n| {
            !n.is_empty() && n.len() <= 5 && n.bytes().all(|b| b.is_ascii_digit())
        });
        width_ok && is_media_file_path(url)
    })
}

/// Whether a path is that of a media library file: `/media/{64 hex}.{ext}`.
pub fn is_media_file_path(path: &str) -> bool {
    let Some((hash, ext)) = path
        .strip_prefix(MEDIA_PATH)
        .and_then(|name| name.split_once('.'))
    else {
        return false;
    };
    hash.len() == 64
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && matches!(ext, "webp" | "jpg" | "png" | "gif")
}

/// Whether a `sizes` holds only what media conditions and lengths need.
fn is_sizes(value: &str) -> bool {
    value.len() <= 200
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" ()%:,.-".contains(&b))
}

/// Whether a URL that ammonia would pass as relative reads as a scheme outside [`URL_SCHEMES`]
/// once whitespace, control and invisible format characters are removed (`java\u{200b}script:`,
/// `javascript\u{3000}:`): harmless to a standards-following browser, but not to every reader
/// of the stored HTML, so such links are dropped.
fn has_disallowed_scheme(url: &str) -> bool {
    let squeezed: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && !is_format_char(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let Some((scheme, _)) = squeezed.split_once(':') else {
        return false;
    };
    let looks_like_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    looks_like_scheme && !URL_SCHEMES.contains(&scheme)
}

/// Invisible formatting characters (soft hyphen, zero-width and bidi marks, BOM).
fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    )
}

fn is_language_class(class: &str) -> bool {
    class.strip_prefix("language-").is_some_and(|lang| {
        !lang.is_empty()
            && lang.len() <= MAX_LANGUAGE_LEN
            && lang
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#' | '.'))
    })
}

// ---------------------------------------------------------------------------
// Event-stream transformation
// ---------------------------------------------------------------------------

struct Footnote {
    number: usize,
    id: String,
    /// Ids of the `<sup>` references, in document order.
    ref_ids: Vec<String>,
}

fn footnote_key(name: &str) -> String {
    name.to_lowercase()
}

/// Rewrites the parser's events:
/// - headings without an explicit `{#id}` get a slug id, unique within the document;
/// - heading classes/attributes from `{.class key=val}` are dropped;
/// - footnote references/definitions become HTML with `fn-…`/`fnref-…` ids and back links;
/// - table cell alignment becomes `align="…"` instead of an inline style;
/// - fenced-code info strings are reduced to their first word (the language).
fn transform(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let (ids, footnotes) = number_footnotes(&events);
    rewrite_events(&events, ids, footnotes)
}

/// Pass 1: reserves the ids authors gave headings, then numbers the footnotes in order of first
/// mention and gives each, and each reference to it, an id no other element has. Returns the ids
/// handed out so far (the headings' are added in pass 2) and the footnotes by key.
fn number_footnotes(events: &[Event<'_>]) -> (IdAllocator, HashMap<String, Footnote>) {
    let mut ids = IdAllocator::default();
    let mentions = FootnoteMentions::of(events, &mut ids);
    let footnotes = mentions
        .order
        .into_iter()
        .enumerate()
        .map(|(index, key)| {
            let refs = mentions.ref_counts.get(&key).copied().unwrap_or(0);
            let note = footnote(index + 1, &key, refs, &mut ids);
            (key, note)
        })
        .collect();
    (ids, footnotes)
}

/// The footnotes of a document: their keys in order of first mention (reference or definition)
/// and how often each is referenced.
#[derive(Default)]
struct FootnoteMentions {
    order: Vec<String>,
    ref_counts: HashMap<String, usize>,
}

impl FootnoteMentions {
    /// Reads the mentions of `events`, reserving the authors' heading ids in `ids` on the way.
    fn of(events: &[Event<'_>], ids: &mut IdAllocator) -> FootnoteMentions {
        let mut mentions = FootnoteMentions::default();
        let mut seen: HashSet<String> = HashSet::new();
        for event in events {
            let key = match event {
                Event::Start(Tag::Heading { id: Some(id), .. }) => {
                    ids.reserve(id);
                    continue;
                }
                Event::FootnoteReference(name) => {
                    let key = footnote_key(name);
                    *mentions.ref_counts.entry(key.clone()).or_default() += 1;
                    key
                }
                Event::Start(Tag::FootnoteDefinition(name)) => footnote_key(name),
                _ => continue,
            };
            if seen.insert(key.clone()) {
                mentions.order.push(key);
            }
        }
        mentions
    }
}

/// Footnote `number` (key `key`, referenced `refs` times) with its `fn-…` id and one `fnref-…`
/// id per reference.
fn footnote(number: usize, key: &str, refs: usize, ids: &mut IdAllocator) -> Footnote {
    let mut base = slug(key);
    if base.is_empty() {
        base = number.to_string();
    }
    let id = ids.allocate(&format!("fn-{base}"));
    let ref_base = format!("fnref-{base}");
    let ref_ids = (0..refs)
        .map(|i| {
            let candidate = if i == 0 {
                ref_base.clone()
            } else {
                format!("{ref_base}-{}", i + 1)
            };
            ids.allocate(&candidate)
        })
        .collect();
    Footnote {
        number,
        id,
        ref_ids,
    }
}

/// Pass 2: rewrites the events in order (headings, footnotes, tables, fenced code), with the
/// ids and footnotes of pass 1.
fn rewrite_events<'a>(
    events: &[Event<'a>],
    ids: IdAllocator,
    footnotes: HashMap<String, Footnote>,
) -> Vec<Event<'a>> {
    let mut rewriter = Rewriter {
        ids,
        footnotes,
        refs_emitted: HashMap::new(),
        table: TableCells::default(),
    };
    let mut out = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        out.extend(rewriter.event(event, &events[index + 1..]));
    }
    out
}

/// What pass 2 keeps track of while it goes through the events.
struct Rewriter {
    ids: IdAllocator,
    footnotes: HashMap<String, Footnote>,
    /// How many references to each footnote were written so far.
    refs_emitted: HashMap<String, usize>,
    table: TableCells,
}

impl Rewriter {
    /// What to write for `event` (`rest`: the events after it); `None` leaves it out.
    fn event<'a>(&mut self, event: &Event<'a>, rest: &[Event<'a>]) -> Option<Event<'a>> {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                Some(self.heading(*level, id.as_ref(), rest))
            }
            Event::FootnoteReference(name) => self.footnote_reference(name),
            Event::Start(Tag::FootnoteDefinition(name)) => self.footnote_definition(name),
            Event::End(TagEnd::FootnoteDefinition) => {
                Some(Event::Html(CowStr::Borrowed("</div>\n")))
            }
            Event::Start(Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell)
            | Event::End(TagEnd::TableHead | TagEnd::TableCell) => Some(self.table.event(event)),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => Some(fenced_code(info)),
            _ => Some(event.clone()),
        }
    }

    /// A heading with its author's id or a unique slug of its text (`rest` starts with its
    /// content), without classes or other attributes.
    fn heading<'a>(
        &mut self,
        level: HeadingLevel,
        id: Option<&CowStr<'a>>,
        rest: &[Event<'a>],
    ) -> Event<'a> {
        let id = match id {
            Some(id) => id.clone(),
            None => {
                let mut base = slug(&heading_text(rest));
                if base.is_empty() {
                    base = "section".to_owned();
                }
                CowStr::from(self.ids.allocate(&base))
            }
        };
        Event::Start(Tag::Heading {
            level,
            id: Some(id),
            classes: Vec::new(),
            attrs: Vec::new(),
        })
    }

    /// The numbered `<sup>` link of a reference to a footnote, with the reference's own id.
    fn footnote_reference<'a>(&mut self, name: &str) -> Option<Event<'a>> {
        let key = footnote_key(name);
        let note = self.footnotes.get(&key)?;
        let seen = self.refs_emitted.entry(key).or_default();
        let ref_id = note.ref_ids.get(*seen).map(String::as_str).unwrap_or("");
        *seen += 1;
        Some(Event::InlineHtml(CowStr::from(format!(
            "<sup class=\"footnote-reference\" id=\"{ref_id}\"><a href=\"#{}\">{}</a></sup>",
            note.id, note.number
        ))))
    }

    /// The opening of a footnote's definition: its id, and its number linking back to its first
    /// reference.
    fn footnote_definition<'a>(&self, name: &str) -> Option<Event<'a>> {
        let note = self.footnotes.get(&footnote_key(name))?;
        let label = match note.ref_ids.first() {
            Some(ref_id) => format!(
                "<a href=\"#{ref_id}\" class=\"footnote-backref\">{}</a>",
                note.number
            ),
            None => note.number.to_string(),
        };
        Some(Event::Html(CowStr::from(format!(
            "\n<div class=\"footnote-definition\" id=\"{}\"><sup class=\"footnote-definition-label\">{label}</sup>\n",
            note.id
        ))))
    }
}

/// Where pass 2 is in a table: the columns' alignments, whether in the head, which column.
#[derive(Default)]
struct TableCells {
    alignments: Vec<Alignment>,
    in_head: bool,
    column: usize,
}

impl TableCells {
    /// What to write for a table, head, row or cell event: alignment moves from the table to
    /// its cells.
    fn event<'a>(&mut self, event: &Event<'a>) -> Event<'a> {
        match event {
            Event::Start(Tag::Table(aligns)) => {
                self.alignments.clone_from(aligns);
                return Event::Start(Tag::Table(Vec::new()));
            }
            Event::Start(Tag::TableHead) => {
                self.in_head = true;
                self.column = 0;
            }
            Event::End(TagEnd::TableHead) => self.in_head = false,
            Event::Start(Tag::TableRow) => self.column = 0,
            Event::Start(Tag::TableCell) => return self.cell().unwrap_or_else(|| event.clone()),
            Event::End(TagEnd::TableCell) => self.column += 1,
            _ => {}
        }
        event.clone()
    }

    /// The opening of the current cell with its column's `align`, if the column has one (the
    /// writer closes the cell itself, `</th>`/`</td>` on End).
    fn cell<'a>(&self) -> Option<Event<'a>> {
        let align = match self.alignments.get(self.column)? {
            Alignment::Left => "left",
            Alignment::Center => "center",
            Alignment::Right => "right",
            Alignment::None => return None,
        };
        let cell = if self.in_head { "th" } else { "td" };
        Some(Event::Html(CowStr::from(format!(
            "<{cell} align=\"{align}\">"
        ))))
    }
}

/// A fenced code block's start with its info string reduced to the first word (the language).
fn fenced_code<'a>(info: &str) -> Event<'a> {
    let lang = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or("");
    Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(CowStr::from(
        lang.to_owned(),
    ))))
}

/// Text of the heading whose content starts at `events[0]`.
fn heading_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::End(TagEnd::Heading(_)) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text
}

/// Heading/footnote id slug: lowercase, alphanumerics kept (any script),
/// everything else collapsed to a single '-', trimmed.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    let mut count = 0usize;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if count >= MAX_AUTO_ID_CHARS {
                break;
            }
            if pending_dash && !out.is_empty() {
                out.push('-');
                count += 1;
            }
            pending_dash = false;
            for lower in c.to_lowercase() {
                out.push(lower);
                count += 1;
            }
        } else {
            pending_dash = true;
        }
    }
    out
}

/// Hands out ids unique within one document: `base`, then `base-1`,
/// `base-2`, … (skipping any that are taken).
#[derive(Default)]
struct IdAllocator {
    used: HashSet<String>,
    /// Next suffix to try per base, so repeated headings stay linear.
    next_suffix: HashMap<String, usize>,
}

impl IdAllocator {
    /// Records an id chosen by the author.
    fn reserve(&mut self, id: &str) {
        self.used.insert(id.to_owned());
    }

    fn allocate(&mut self, base: &str) -> String {
        let mut candidate = base.to_owned();
        let mut n = self.next_suffix.get(base).copied().unwrap_or(0);
        while self.used.contains(&candidate) {
            n += 1;
            candidate = format!("{base}-{n}");
        }
        self.next_suffix.insert(base.to_owned(), n);
        self.used.insert(candidate.clone());
        candidate
    }
}

// ---------------------------------------------------------------------------
// Excerpts
// ---------------------------------------------------------------------------

fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len().min(4096));
    // Depth of elements whose text is left out of excerpts.
    let mut skip = 0usize;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::Image { .. } | Tag::FootnoteDefinition(_)) => {
                skip += 1;
            }
            Event::End(TagEnd::CodeBlock | TagEnd::Image | TagEnd::FootnoteDefinition) => {
                skip = skip.saturating_sub(1);
                text.push(' ');
            }
            Event::Text(t) | Event::Code(t) if skip == 0 => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::Rule => text.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::BlockQuote(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::HtmlBlock
                | TagEnd::List(_),
            ) => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts `text` (already whitespace-collapsed) to at most `max_chars`
/// characters including the trailing "…", preferring a word boundary.
fn truncate_at_word(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    if max_chars == 0 {
        return String::new();
    }
    let keep = max_chars - 1; // room for "…"
    let cut = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    let (head, rest) = text.split_at(cut);
    let head = if rest.starts_with(|c: char| !c.is_alphanumeric()) {
        head
    } else {
        match head.rfind(' ') {
            Some(space) => &head[..space],
            None => head, // a single very long word: hard cut
        }
    };
    let head = head.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '–' | '—' | '(' | '[')
    });
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_paragraph_and_emphasis() {
        assert_eq!(render("Hello *world*"), "<p>Hello <em>world</em></p>\n");
    }

    #[test]
    fn renders_tables_with_alignment_but_no_style() {
        let html = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<thead>"), "{html}");
        assert!(html.contains("<tbody>"), "{html}");
        assert!(html.contains("<th align=\"left\">a</th>"), "{html}");
        assert!(html.contains("<th align=\"center\">b</th>"), "{html}");
        assert!(html.contains("<td align=\"right\">3</td>"), "{html}");
        assert!(!html.contains("style"), "{html}");
    }

    #[test]
    fn renders_table_without_alignment() {
        let html = render("| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<th>a</th><th>b</th>"), "{html}");
        assert!(html.contains("<td>1</td><td>2</td>"), "{html}");
    }

    #[test]
    fn renders_footnotes_with_matching_anchors() {
        let html = render("Claim[^src] and again[^src].\n\n[^src]: The source.\n");
        assert!(
            html.contains(
                "<sup class=\"footnote-reference\" id=\"fnref-src\"><a href=\"#fn-src\" rel=\"noopener noreferrer nofollow\">1</a></sup>"
            ),
            "{html}"
        );
        assert!(html.contains("id=\"fnref-src-2\""), "{html}");
        assert!(
            html.contains("<div class=\"footnote-definition\" id=\"fn-src\">"),
            "{html}"
        );
        assert!(
            html.contains("<sup class=\"footnote-definition-label\"><a href=\"#fnref-src\" class=\"footnote-backref\""),
            "{html}"
        );
        assert!(html.contains("The source."), "{html}");
        // Every in-page link points at an id that exists.
        for target in ["fn-src", "fnref-src"] {
            assert!(html.contains(&format!("href=\"#{target}\"")), "{html}");
            assert!(html.contains(&format!("id=\"{target}\"")), "{html}");
        }
    }

    #[test]
    fn footnotes_are_numbered_in_order() {
        let html = render("A[^b] B[^a]\n\n[^a]: first def\n[^b]: second def\n");
        assert!(
            html.contains("<a href=\"#fn-b\" rel=\"noopener noreferrer nofollow\">1</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"#fn-a\" rel=\"noopener noreferrer nofollow\">2</a>"),
            "{html}"
        );
    }

    #[test]
    fn footnote_ids_do_not_clash_with_headings() {
        let html = render("# fn 1\n\nText[^1]\n\n[^1]: note\n");
        assert!(html.contains("<h1 id=\"fn-1-1\">"), "{html}");
        assert!(
            html.contains("<div class=\"footnote-definition\" id=\"fn-1\">"),
            "{html}"
        );
        assert!(html.contains("href=\"#fn-1\""), "{html}");
    }

    #[test]
    fn renders_strikethrough() {
        assert_eq!(render("~~gone~~"), "<p><del>gone</del></p>\n");
    }

    #[test]
    fn renders_task_lists() {
        let html = render("- [x] done\n- [ ] todo\n");
        assert!(
            html.contains("<input type=\"checkbox\" checked=\"\" disabled=\"\">")
                || html.contains("<input checked=\"\" type=\"checkbox\" disabled=\"\">")
                || (html.contains("checked=\"\"") && html.contains("type=\"checkbox\"")),
            "{html}"
        );
        assert_eq!(html.matches("<input").count(), 2, "{html}");
        assert_eq!(html.matches("disabled").count(), 2, "{html}");
        assert_eq!(html.matches("checked").count(), 1, "{html}");
    }

    #[test]
    fn raw_input_is_forced_to_disabled_checkbox() {
        let html = render("<input type=\"text\" value=\"x\" name=\"password\">");
        assert!(html.contains("type=\"checkbox\""), "{html}");
        assert!(html.contains("disabled"), "{html}");
        assert!(!html.contains("text"), "{html}");
        assert!(!html.contains("password"), "{html}");
    }

    #[test]
    fn automatic_heading_ids() {
        let html = render("# Hello, World!\n\n## Ünïcode Straße 2\n\n### `code` & more\n");
        assert!(
            html.contains("<h1 id=\"hello-world\">Hello, World!</h1>"),
            "{html}"
        );
        assert!(html.contains("<h2 id=\"ünïcode-straße-2\">"), "{html}");
        assert!(html.contains("<h3 id=\"code-more\">"), "{html}");
    }

    #[test]
    fn duplicate_heading_ids_get_suffixes() {
        let html = render("# Intro\n\n## Intro\n\n### Intro\n\n# Intro 1\n");
        assert!(html.contains("<h1 id=\"intro\">"), "{html}");
        assert!(html.contains("<h2 id=\"intro-1\">"), "{html}");
        assert!(html.contains("<h3 id=\"intro-2\">"), "{html}");
        // "Intro 1" would slug to "intro-1", which is taken.
        assert!(html.contains("<h1 id=\"intro-1-1\">"), "{html}");
    }

    #[test]
    fn many_duplicate_headings_stay_unique() {
        let md = "# Same\n\n".repeat(300);
        let html = render(&md);
        let mut seen = HashSet::new();
        for part in html.split("<h1 id=\"").skip(1) {
            let id = part.split('"').next().unwrap();
            assert!(seen.insert(id.to_owned()), "duplicate id {id}");
        }
        assert_eq!(seen.len(), 300);
        assert!(seen.contains("same-299"));
    }

    #[test]
    fn punctuation_only_heading_gets_fallback_id() {
        let html = render("# !!!\n\n# ???\n");
        assert!(html.contains("<h1 id=\"section\">"), "{html}");
        assert!(html.contains("<h1 id=\"section-1\">"), "{html}");
    }

    #[test]
    fn explicit_heading_id_is_kept_and_reserved() {
        let html = render("# Custom {#custom}\n\n## Custom\n\n# Other {#other .big onclick=x}\n");
        assert!(html.contains("<h1 id=\"custom\">Custom</h1>"), "{html}");
        assert!(html.contains("<h2 id=\"custom-1\">Custom</h2>"), "{html}");
        assert!(html.contains("<h1 id=\"other\">Other</h1>"), "{html}");
    }

    #[test]
    fn fenced_code_keeps_language_class() {
        let html = render("```rust\nfn main() {}\n```\n");
        assert!(
            html.contains("<pre><code class=\"language-rust\">fn main() {}\n</code></pre>"),
            "{html}"
        );
        let html = render("```rust,ignore\nx\n```\n");
        assert!(html.contains("<code class=\"language-rust\">"), "{html}");
        let html = render("```c++ {.numberLines}\nx\n```\n");
        assert!(html.contains("<code class=\"language-c++\">"), "{html}");
    }

    #[test]
    fn arbitrary_classes_are_dropped() {
        let html =
            render("<code class=\"evil language-js\">x</code> <span class=\"hidden\">y</span>");
        assert!(html.contains("<code class=\"language-js\">"), "{html}");
        assert!(!html.contains("evil"), "{html}");
        assert!(!html.contains("hidden"), "{html}");
    }

    #[test]
    fn links_get_rel_and_safe_schemes_survive() {
        let html = render("[a](https://example.com) [b](/relative) [c](mailto:a@b.c) [d](#top)");
        assert!(html.contains("href=\"https://example.com\""), "{html}");
        assert!(html.contains("href=\"/relative\""), "{html}");
        assert!(html.contains("href=\"mailto:a@b.c\""), "{html}");
        assert!(html.contains("href=\"#top\""), "{html}");
        assert_eq!(
            html.matches("rel=\"noopener noreferrer nofollow\"").count(),
            4,
            "{html}"
        );
    }

    #[test]
    fn other_schemes_are_dropped() {
        let html = render("[a](ftp://example.com/x) [b](tel:123)");
        assert!(!html.contains("ftp:"), "{html}");
        assert!(!html.contains("tel:"), "{html}");
    }

    #[test]
    fn safe_raw_html_survives() {
        let html = render("<b>bold</b> and <script>alert(1)</script> <i onclick=\"x()\">i</i>");
        assert!(html.contains("<b>bold</b>"), "{html}");
        assert!(html.contains("<i>i</i>"), "{html}");
        assert!(!html.contains("script"), "{html}");
        assert!(!html.contains("alert"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
    }

    #[test]
    fn images_render() {
        let html = render("![alt text](/img/a.png \"Title\")");
        assert!(
            html.contains("<img src=\"/img/a.png\" alt=\"alt text\" title=\"Title\">"),
            "{html}"
        );
    }

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn picture(id: Uuid, alt: &str) -> Option<String> {
        (id == Uuid::nil()).then(|| {
            format!(
                "<picture><source type=\"image/webp\" srcset=\"/media/{HASH}.webp 320w\" \
                 sizes=\"(max-width: 40rem) 100vw, 40rem\"><img src=\"/media/{HASH}.jpg\" \
                 srcset=\"/media/{HASH}.jpg 320w\" width=\"320\" height=\"200\" alt=\"{alt}\" \
                 loading=\"lazy\" decoding=\"async\"></picture>"
            )
        })
    }

    #[test]
    fn image_addresses_are_found_and_replaced_where_written() {
        let body = "One ![a](images/a.jpg \"A\") and ![b](<my b.png>) and \
                    ![c](https://example.com/c.png) and ![again](images/a.jpg).\n\n\
                    `![not](code.png)`\n";
        assert_eq!(
            image_addresses(body),
            ["images/a.jpg", "my b.png", "https://example.com/c.png"]
        );
        let replaced = replace_image_addresses(body, &|address| {
            (!address.starts_with("https:")).then(|| format!("media:{}", address.len()))
        });
        assert_eq!(
            replaced,
            "One ![a](media:12 \"A\") and ![b](media:8) and \
             ![c](https://example.com/c.png) and ![again](media:12).\n\n`![not](code.png)`\n"
        );
    }

    #[test]
    fn media_images_become_their_pictures() {
        let markdown = format!("Look: ![A cat](media:{})", Uuid::nil());
        let html = render_with(&markdown, &picture);
        for part in [
            "<picture>",
            &format!("srcset=\"/media/{HASH}.webp 320w\""),
            "type=\"image/webp\"",
            "width=\"320\"",
            "height=\"200\"",
            "alt=\"A cat\"",
            "loading=\"lazy\"",
            "decoding=\"async\"",
        ] {
            assert!(html.contains(part), "{part} missing in {html}");
        }
        assert_eq!(media_ids(&markdown), vec![Uuid::nil()]);
    }

    #[test]
    fn a_missing_media_image_shows_its_alt_text() {
        let id = Uuid::from_u128(7);
        let html = render_with(&format!("![A *dog*](media:{id})"), &picture);
        assert!(html.contains("A dog"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!render(&format!("![x](media:{id})")).contains("media:"));
    }

    #[test]
    fn pasted_pictures_keep_only_media_sources() {
        let html = render(
            "<img src=\"/a.png\" srcset=\"javascript:alert(1) 1x\" onerror=\"alert(1)\" \
             loading=\"soon\"><picture><source srcset=\"https://evil.example/x.png 1w\" \
             type=\"text/html\"></picture>",
        );
        for gone in ["javascript", "onerror", "evil.example", "text/html", "soon"] {
            assert!(!html.contains(gone), "{gone} kept in {html}");
        }
        assert!(is_media_file_path(&format!("/media/{HASH}.webp")));
        assert!(!is_media_file_path("/media/../etc/passwd"));
        assert!(!is_media_file_path(&format!("/media/{HASH}.svg")));
    }

    const XSS_PAYLOADS: &[&str] = &[
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</scr</script>ipt>",
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<img src=\"jav&#x09;ascript:alert(1)\">",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;&#x61;vascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x]( javascript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x]: javascript:alert(1)\n\n[click][x]",
        "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "[x](vbscript:msgbox(1))",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\">",
        "<style>body{background:url(javascript:alert(1))}</style>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<p style=\"color:red\">x</p>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<math href=\"javascript:alert(1)\">x</math>",
        "<form action=javascript:alert(1)><input type=submit></form>",
        "<button formaction=javascript:alert(1)>x</button>",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<body onload=alert(1)>",
        "<details open ontoggle=alert(1)>",
        "<a href=\"javascript&colon;alert(1)\">x</a>",
        "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
        "<a href=\"  javascript:alert(1)\">x</a>",
        "<div><b><i onmouseover=alert(1)>unclosed",
        "<<script>script>alert(1)<</script>/script>",
        "<!--<script>alert(1)</script>-->",
        "<img src=\"x\" / onerror=alert(1)>",
        "<a href=\"x\" onclick=\"alert(1)\">x</a>",
        "# Heading {onclick=alert(1) style=color:red}",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<link rel=stylesheet href=\"javascript:alert(1)\">",
        "<base href=\"javascript:alert(1)//\">",
        "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
        "<video><source onerror=alert(1)></video>",
        "<input autofocus onfocus=alert(1)>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
        "```\n</code></pre><script>alert(1)</script>\n```",
        "`<script>alert(1)</script>`",
        "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
        "Text[^a]\n\n[^a]: [x](javascript:alert(1)) <script>alert(1)</script>",
        "- [x] <svg onload=alert(1)>",
        "<code class=\"language-x\" onclick=alert(1)>x</code>",
    ];

    /// True if some tag (text between `<` and `>`; text `<` is escaped by
    /// then) has an attribute matching ` on[a-z]+=`.
    fn has_event_handler_attr(html: &str) -> bool {
        html.split('<').skip(1).any(|segment| {
            let tag = segment.split('>').next().unwrap_or("");
            tag.match_indices(" on").any(|(pos, _)| {
                let name: String = tag[pos + 3..]
                    .chars()
                    .take_while(char::is_ascii_lowercase)
                    .collect();
                !name.is_empty() && tag[pos + 3 + name.len()..].starts_with('=')
            })
        })
    }

    fn has_url_attr_with_data(html: &str) -> bool {
        [
            "href=\"data:",
            "src=\"data:",
            "href='data:",
            "src='data:",
            "href=data:",
            "src=data:",
        ]
        .iter()
        .any(|needle| html.contains(needle))
    }

    #[test]
    fn xss_payloads_are_neutralised() {
        assert!(XSS_PAYLOADS.len() >= 25);
        for payload in XSS_PAYLOADS {
            let html = render(payload).to_ascii_lowercase();
            let fail = |what: &str| format!("payload {payload:?} left {what}: {html}");
            assert!(!html.contains("<script"), "{}", fail("<script"));
            assert!(!html.contains("javascript:"), "{}", fail("javascript:"));
            assert!(!html.contains("vbscript:"), "{}", fail("vbscript:"));
            assert!(!has_url_attr_with_data(&html), "{}", fail("data: url"));
            assert!(!has_event_handler_attr(&html), "{}", fail("on*= attribute"));
            assert!(!html.contains("style="), "{}", fail("style="));
            assert!(!html.contains("<style"), "{}", fail("<style"));
            assert!(!html.contains("<iframe"), "{}", fail("<iframe"));
            assert!(!html.contains("<svg"), "{}", fail("<svg"));
            assert!(!html.contains("<math"), "{}", fail("<math"));
            assert!(!html.contains("<form"), "{}", fail("<form"));
            assert!(!html.contains("<object"), "{}", fail("<object"));
            assert!(!html.contains("<embed"), "{}", fail("<embed"));
            assert!(!html.contains("<meta"), "{}", fail("<meta"));
            assert!(!html.contains("<base"), "{}", fail("<base"));
            assert!(!html.contains("<link"), "{}", fail("<link"));
        }
    }

    #[test]
    fn javascript_autolink_loses_its_href() {
        // The URL stays visible as text, but is no longer a link target.
        let html = render("<javascript:alert(1)>");
        assert!(!html.contains("href"), "{html}");
    }

    #[test]
    fn event_handler_detector_works() {
        assert!(has_event_handler_attr("<img src=x onerror=alert(1)>"));
        assert!(has_event_handler_attr("<a href=\"x\" onclick=\"y\">"));
        assert!(!has_event_handler_attr("<p>turn onlights= good</p>"));
        assert!(!has_event_handler_attr("<p>&lt;img onerror=x&gt;</p>"));
    }

    #[test]
    fn render_and_excerpt_never_panic_on_garbage() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u32
        };
        const PIECES: &[&str] = &[
            "#",
            " ",
            "\n",
            "*",
            "_",
            "`",
            "```",
            "[",
            "]",
            "(",
            ")",
            "^",
            "!",
            "|",
            "-",
            ":",
            "{#",
            "}",
            "<",
            ">",
            "<script>",
            "<b>",
            "</b>",
            "javascript:",
            "&#",
            ";",
            "~~",
            "[^1]",
            "> ",
            "- [ ] ",
            "1. ",
            "    ",
            "é",
            "日本",
            "\t",
            "\"",
            "'",
            "=",
            "onerror",
            "x",
        ];
        for _ in 0..300 {
            let len = next() % 60;
            let mut md = String::new();
            for _ in 0..len {
                md.push_str(PIECES[next() as usize % PIECES.len()]);
            }
            let html = render(&md).to_ascii_lowercase();
            assert!(!html.contains("<script"), "{md:?} → {html}");
            assert!(!html.contains("href=\"javascript:"), "{md:?} → {html}");
            let max = (next() % 40) as usize;
            assert!(excerpt(&md, max).chars().count() <= max, "{md:?}");
        }
    }

    #[test]
    fn excerpt_strips_markup_and_collapses_whitespace() {
        let md = "# Title\n\nSome *emphasis* and `code`.\n\n- one\n- two\n\n<div>raw</div>\n\n```rust\nlet hidden = 1;\n```\n\n![alt](x.png) End[^1].\n\n[^1]: footnote text\n";
        assert_eq!(
            excerpt(md, 500),
            "Title Some emphasis and code. one two End."
        );
    }

    #[test]
    fn excerpt_keeps_inline_html_text() {
        assert_eq!(
            excerpt("Hello <b>bold</b> [link](https://x.y)", 100),
            "Hello bold link"
        );
    }

    #[test]
    fn excerpt_cuts_at_word_boundary() {
        let md = "The quick brown fox jumps over the lazy dog";
        assert_eq!(excerpt(md, 100), md);
        assert_eq!(excerpt(md, md.len()), md);
        assert_eq!(excerpt(md, 15), "The quick…");
        assert_eq!(excerpt(md, 16), "The quick brown…");
        assert_eq!(excerpt(md, 10), "The quick…");
        assert_eq!(excerpt(md, 4), "The…");
        assert_eq!(excerpt(md, 3), "Th…");
        assert_eq!(excerpt(md, 1), "…");
        assert_eq!(excerpt(md, 0), "");
        for max in 0..60 {
            assert!(excerpt(md, max).chars().count() <= max, "max {max}");
        }
    }

    #[test]
    fn excerpt_trims_trailing_punctuation_and_handles_unicode() {
        assert_eq!(excerpt("Über, straße: was", 13), "Über, straße…");
        assert_eq!(excerpt("Hello, world and more", 8), "Hello…");
        assert_eq!(excerpt("ééééééééé", 5), "éééé…");
    }

    #[test]
    fn excerpt_of_empty_input() {
        assert_eq!(excerpt("", 10), "");
        assert_eq!(excerpt("   \n\n  ", 10), "");
    }
}
