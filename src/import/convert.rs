//! The content converter: one item's HTML from a WordPress or Ghost export becomes a Markdown post
//! body, as `content::markdown` renders it.
//!
//! The steps:
//! - WordPress only: block-editor comments (`<!-- wp:image {…} -->`) are dropped; content with
//!   neither blocks nor `<p>` tags was written in the classic editor and goes through [`wpautop`]
//!   (blank lines make paragraphs, single newlines `<br>`). Shortcodes are expanded before that:
//!   `[caption]` becomes a captioned figure, `[gallery ids="…"]` the images of those attachments,
//!   `[embed]`, `[video]` and `[audio]` a link to their file or page. Every other shortcode loses
//!   its tags and is counted in [`Converted::unknown_shortcodes`]; the text an enclosing one wraps
//!   (`[tab]text[/tab]`) is kept. An export does not say which names were shortcodes on the old
//!   site, so any `[name …]` whose name starts with a letter counts as one (`[sic]` too: the
//!   report shows it). `[[name]]` is WordPress' way to write a shortcode as text and stays as
//!   `[name]`. Shortcodes inside `<pre>` and `<code>` (and inside tags) are left alone.
//! - The HTML is parsed (html5ever) and written as Markdown (htmd): headings, paragraphs,
//!   emphasis, nested lists, quotes, code blocks with their language, links, rules and simple
//!   tables (no spans, at most one header row, no blocks in cells) become Markdown. Everything
//!   else is text: attributes never survive, `<script>`, `<style>`, `<iframe>`, `<object>`,
//!   `<embed>`, `<form>` (and the like) are dropped with their contents, `<video>` and `<audio>`
//!   become a link to their file, and links to anything but `http`, `https`, `mailto` and
//!   site-relative addresses keep only their text.
//! - Links the import knows ([`Addresses::link`]) point at their new address; images it has
//!   ([`Addresses::image`]) become `![alt](media:{id})`, the only form in which the media library
//!   shows a picture. Images it does not have keep their alt text and are reported.
//! - Two things stay HTML because Markdown cannot say them: captioned figures, written as a
//!   `<figure>` around a Markdown image (blank lines between, so the image is still Markdown and
//!   still a picture of the library) and a `<figcaption>`; and tables that are not simple, written
//!   as HTML keeping only `colspan`, `rowspan` and `align` (images in them show their alt text).
//! - Ghost cards: bookmarks become a link with their title, embeds a link to the embedded page
//!   (dropped when none can be found), callouts a quote, galleries their images.
//!
//! The result never has two blank lines in a row outside code blocks and is trimmed; the same
//! input always gives the same Markdown.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use htmd::element_handler::{HandlerResult, Handlers};
use htmd::options::{BrStyle, BulletListMarker, HrStyle, Options};
use htmd::{Element, HtmlToMarkdown};
use markup5ever_rcdom::{Node, NodeData};
use uuid::Uuid;

use crate::content::markdown::MEDIA_SCHEME;

/// Where an export's content came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    WordPress,
    Ghost,
}

impl Source {
    /// The name stored with what an import of this source made.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::WordPress => "wordpress",
            Source::Ghost => "ghost",
        }
    }

    /// The source a stored name names.
    pub fn parse(name: &str) -> Option<Source> {
        match name {
            "wordpress" => Some(Source::WordPress),
            "ghost" => Some(Source::Ghost),
            _ => None,
        }
    }

    /// The system's name, for people.
    pub fn label(self) -> &'static str {
        match self {
            Source::WordPress => "WordPress",
            Source::Ghost => "Ghost",
        }
    }
}

/// What the converter asks the import about addresses in the content.
pub trait Addresses {
    /// The new site-relative address (`/posts/slug`, `/about/team`, `/tags/x`) of an old link
    /// (absolute `http://oldblog.example/2023/03/14/slug/`, `/?p=12`, relative), if it names an
    /// imported item; the converter keeps every other link as written.
    fn link(&self, old: &str) -> Option<String>;
    /// The media library image (its uuid) an old image address stands for (any size variant the
    /// export names, e.g. `…/photo-300x200.png` for `…/photo.png`, is the importer's business:
    /// just pass the address), if it was imported.
    fn image(&self, old: &str) -> Option<Uuid>;
    /// The media library image of a WordPress attachment id (for `[gallery ids="…"]`), with the
    /// attachment's alt text.
    fn attachment(&self, id: u64) -> Option<(Uuid, String)>;
}

/// The Markdown body of one item and what the report should say about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Converted {
    pub markdown: String,
    /// Unknown shortcodes removed, by name, with how often (WordPress only).
    pub unknown_shortcodes: BTreeMap<String, usize>,
    /// Image addresses the import did not have (the post keeps their alt text). An image of a
    /// `[gallery]` whose attachment was not imported is listed as `wp-attachment:{id}`.
    pub missing_images: Vec<String>,
}

/// How a `[gallery]` image names its WordPress attachment until it is looked up.
pub const ATTACHMENT_SCHEME: &str = "wp-attachment:";

/// Elements dropped with everything in them.
const DROPPED: [&str; 16] = [
    "script", "style", "iframe", "object", "embed", "form", "noscript", "template", "svg", "math",
    "button", "input", "select", "textarea", "canvas", "head",
];

/// Stands in for a `&` of the text that would otherwise read as an entity (`&copy;`) until the
/// Markdown is written; removed from the input first.
const AMPERSAND: char = '\u{e000}';

/// Converts an item's HTML (WordPress `content:encoded`, Ghost `html`) to a post body.
pub fn convert(html: &str, source: Source, addresses: &dyn Addresses) -> Converted {
    let html = html.replace(AMPERSAND, "").replace("\r\n", "\n");
    let mut unknown_shortcodes = BTreeMap::new();
    let html = match source {
        Source::WordPress => wordpress_html(&html, &mut unknown_shortcodes),
        Source::Ghost => html,
    };
    let tree = HtmlToMarkdown::new()
        .html_to_tree(&html)
        .expect("parsing a string does not fail");
    protect_entity_lookalikes(&tree);
    trim_text_after_line_breaks(&tree);
    let resolved = Arc::new(Resolved::of(&tree, addresses));
    let markdown = converter(resolved.clone()).tree_to_markdown(&tree);
    Converted {
        markdown: tidy(&markdown),
        unknown_shortcodes,
        missing_images: resolved.missing.clone(),
    }
}

/// A WordPress item's content as plain HTML: without block comments, shortcodes expanded, and
/// classic-editor text given its paragraphs.
fn wordpress_html(html: &str, unknown: &mut BTreeMap<String, usize>) -> String {
    let classic = !has_block_comments(html) && !has_paragraph_tags(html);
    let expanded = expand_shortcodes(&strip_block_comments(html), unknown);
    if classic {
        wpautop(&expanded)
    } else {
        expanded
    }
}

// ---------------------------------------------------------------------------
// WordPress blocks and wpautop
// ---------------------------------------------------------------------------

fn has_block_comments(html: &str) -> bool {
    html.contains("<!-- wp:")
}

fn has_paragraph_tags(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    lower.contains("<p>") || lower.contains("<p ")
}

/// The content without its `<!-- wp:… -->` and `<!-- /wp:… -->` comments.
fn strip_block_comments(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = next_block_comment(rest) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        rest = rest.find("-->").map_or("", |end| &rest[end + 3..]);
    }
    out.push_str(rest);
    out
}

fn next_block_comment(html: &str) -> Option<usize> {
    [html.find("<!-- wp:"), html.find("<!-- /wp:")]
        .into_iter()
        .flatten()
        .min()
}

/// Tags WordPress' `wpautop` does not wrap in a paragraph.
const BLOCK_TAGS: [&str; 45] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "col",
    "colgroup",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "iframe",
    "legend",
    "li",
    "main",
    "nav",
    "object",
    "ol",
    "p",
    "pre",
    "script",
    "section",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "tr",
    "ul",
];

/// WordPress' `wpautop`: classic-editor text with implicit paragraphs (blank lines) and line
/// breaks becomes HTML paragraphs and `<br>`, leaving block elements (and `<pre>` contents) alone.
pub fn wpautop(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let (text, pres) = stash_pre_blocks(&text);
    let text = separate_block_tags(&text);
    let paragraphs: Vec<String> = split_at_blank_lines(&text)
        .into_iter()
        .map(|chunk| paragraph(&chunk))
        .collect();
    restore_pre_blocks(&paragraphs.join("\n"), &pres)
}

/// A chunk between blank lines: block HTML as it is, anything else a paragraph with `<br>`s.
fn paragraph(chunk: &str) -> String {
    if starts_with_block_tag(chunk) {
        return chunk.to_owned();
    }
    format!("<p>{}</p>", chunk.replace('\n', "<br>\n"))
}

/// The text with each `<pre>…</pre>` replaced by a placeholder, and the blocks replaced.
fn stash_pre_blocks(text: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut pres = Vec::new();
    let mut rest = text;
    while let Some(start) = find_open_tag(rest, "pre") {
        out.push_str(&rest[..start]);
        let end = find_ascii_ci(&rest[start..], "</pre>").map_or(rest.len(), |e| start + e + 6);
        out.push_str(&format!("<pre wp-pre-tag-{}></pre>", pres.len()));
        pres.push(rest[start..end].to_owned());
        rest = &rest[end..];
    }
    out.push_str(rest);
    (out, pres)
}

fn restore_pre_blocks(text: &str, pres: &[String]) -> String {
    let mut out = text.to_owned();
    for (i, pre) in pres.iter().enumerate() {
        out = out.replacen(&format!("<pre wp-pre-tag-{i}></pre>"), pre, 1);
    }
    out
}

/// The text with a blank line before every opening block tag and after every closing one.
fn separate_block_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        match block_tag(tag) {
            Some(false) => out.push_str(&format!("\n\n{tag}")),
            Some(true) => out.push_str(&format!("{tag}\n\n")),
            None => out.push_str(tag),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Whether a tag (`<…>`) is a block tag, and if so whether it is a closing one.
fn block_tag(tag: &str) -> Option<bool> {
    let inner = tag.strip_prefix('<')?;
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let name: String = inner
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    BLOCK_TAGS.contains(&name.as_str()).then_some(closing)
}

fn starts_with_block_tag(chunk: &str) -> bool {
    let end = chunk.find('>').map_or(chunk.len(), |e| e + 1);
    block_tag(&chunk[..end]).is_some()
}

/// The trimmed, non-empty chunks of a text between blank lines.
fn split_at_blank_lines(text: &str) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines().chain([""]) {
        if line.trim().is_empty() {
            let chunk = current.join("\n");
            if !chunk.trim().is_empty() {
                chunks.push(chunk.trim().to_owned());
            }
            current.clear();
        } else {
            current.push(line);
        }
    }
    chunks
}

/// Where the first `<name …>` or `<name>` tag is, by ASCII case-insensitive match.
fn find_open_tag(text: &str, name: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let needle = format!("<{name}");
    let mut from = 0;
    while let Some(at) = lower[from..].find(&needle) {
        let start = from + at;
        let after = lower[start + needle.len()..].chars().next();
        if after.is_none_or(|c| c == '>' || c == '/' || c.is_ascii_whitespace()) {
            return Some(start);
        }
        from = start + needle.len();
    }
    None
}

fn find_ascii_ci(text: &str, needle: &str) -> Option<usize> {
    text.to_ascii_lowercase().find(needle)
}

// ---------------------------------------------------------------------------
// Shortcodes
// ---------------------------------------------------------------------------

/// One shortcode as written: `[name attrs]` or `[name attrs]content[/name]`.
#[derive(Debug)]
struct Shortcode<'a> {
    name: &'a str,
    named: HashMap<String, String>,
    content: Option<&'a str>,
    /// Bytes from the opening `[` to after the closing `]`.
    len: usize,
}

impl Shortcode<'_> {
    fn attr(&self, name: &str) -> Option<&str> {
        self.named
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The content with every shortcode outside `<pre>` and `<code>` (and outside tags) expanded.
fn expand_shortcodes(text: &str, unknown: &mut BTreeMap<String, usize>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let taken = if let Some(len) = protected_len(rest) {
            out.push_str(&rest[..len]);
            len
        } else if let Some((literal, len)) = escaped_shortcode(rest) {
            out.push_str(literal);
            len
        } else if let Some(shortcode) = parse_shortcode(rest) {
            out.push_str(&expand(&shortcode, unknown));
            shortcode.len
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            c.len_utf8()
        };
        i += taken;
    }
    out
}

/// How much of the text at hand is to be copied as it is: a `<pre>` or `<code>` element, a
/// comment or a tag.
fn protected_len(rest: &str) -> Option<usize> {
    if !rest.starts_with('<') {
        return None;
    }
    for name in ["pre", "code"] {
        if find_open_tag(rest, name) == Some(0) {
            let close = format!("</{name}>");
            return Some(find_ascii_ci(rest, &close).map_or(rest.len(), |e| e + close.len()));
        }
    }
    if rest.starts_with("<!--") {
        return Some(rest.find("-->").map_or(rest.len(), |e| e + 3));
    }
    let second = rest[1..].chars().next()?;
    (second.is_ascii_alphabetic() || second == '/')
        .then(|| rest.find('>').map_or(rest.len(), |e| e + 1))
}

/// `[[name …]]` (or `[[name]…[/name]]`): the shortcode as text without the outer brackets.
fn escaped_shortcode(rest: &str) -> Option<(&str, usize)> {
    let inner = rest.strip_prefix('[')?;
    let shortcode = parse_shortcode(inner)?;
    inner[shortcode.len..]
        .starts_with(']')
        .then(|| (&inner[..shortcode.len], shortcode.len + 2))
}

/// The shortcode starting at the text's `[`, if one does.
fn parse_shortcode(rest: &str) -> Option<Shortcode<'_>> {
    let body = rest.strip_prefix('[')?;
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(body.len());
    let name = &body[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let after_name = &body[name_len..];
    if !after_name.starts_with(|c: char| c.is_whitespace() || c == ']' || c == '/') {
        return None;
    }
    let attrs_len = attributes_len(after_name)?;
    let attrs = &after_name[..attrs_len];
    let tag_len = 1 + name_len + attrs_len + 1;
    let (attrs, self_closing) = match attrs.trim_end().strip_suffix('/') {
        Some(attrs) => (attrs, true),
        None => (attrs, false),
    };
    let named = parse_attributes(attrs);
    let close = format!("[/{name}]");
    let enclosed = (!self_closing)
        .then(|| rest[tag_len..].find(&close))
        .flatten();
    let (content, len) = match enclosed {
        Some(at) => (
            Some(&rest[tag_len..tag_len + at]),
            tag_len + at + close.len(),
        ),
        None => (None, tag_len),
    };
    Some(Shortcode {
        name,
        named,
        content,
        len,
    })
}

/// The length of a shortcode's attributes, up to its closing `]` (outside quotes); `None` when
/// it has none or a `[` or `<` comes first.
fn attributes_len(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, ']') => return Some(i),
            (None, '[' | '<') => return None,
            _ => {}
        }
    }
    None
}

/// The named attributes of a shortcode: `a="x"`, `a='x'`, `a=x` (names lowercased).
fn parse_attributes(text: &str) -> HashMap<String, String> {
    let mut named = HashMap::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(rest.len());
        let name = rest[..name_len].to_ascii_lowercase();
        let after = rest[name_len..].trim_start();
        let Some(value_text) = after.strip_prefix('=') else {
            rest = skip_value(after.trim_start_matches(['"', '\'']));
            continue;
        };
        let (value, remaining) = attribute_value(value_text.trim_start());
        named.insert(name, value.to_owned());
        rest = remaining.trim_start();
    }
    named
}

/// An attribute's value (quoted or up to whitespace) and what follows it.
fn attribute_value(text: &str) -> (&str, &str) {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote) {
            let end = inner.find(quote).unwrap_or(inner.len());
            return (&inner[..end], inner.get(end + 1..).unwrap_or(""));
        }
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

fn skip_value(text: &str) -> &str {
    let end = text
        .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .unwrap_or(text.len());
    text[end..].trim_start_matches(['"', '\'']).trim_start()
}

/// The HTML a shortcode stands for.
fn expand(shortcode: &Shortcode<'_>, unknown: &mut BTreeMap<String, usize>) -> String {
    let expanded = match shortcode.name.to_ascii_lowercase().as_str() {
        "caption" | "wp_caption" => caption_html(shortcode),
        "gallery" => gallery_html(shortcode),
        "embed" => shortcode.content.map(str::trim).and_then(|url| {
            let text = html_escape(url);
            link_html(url, &text)
        }),
        "video" => media_link_html(shortcode, &["src", "mp4", "m4v", "webm", "ogv"], "Video"),
        "audio" => media_link_html(shortcode, &["src", "mp3", "m4a", "ogg", "wav"], "Audio"),
        _ => None,
    };
    expanded.unwrap_or_else(|| {
        *unknown.entry(shortcode.name.to_owned()).or_default() += 1;
        shortcode
            .content
            .map(|content| expand_shortcodes(content, unknown))
            .unwrap_or_default()
    })
}

/// `[caption]<img …> Text[/caption]` (or `caption="Text"`) as `<figure>` with a `<figcaption>`.
fn caption_html(shortcode: &Shortcode<'_>) -> Option<String> {
    let content = shortcode.content?.trim();
    let picture_len = leading_picture_len(content);
    let (picture, text) = content.split_at(picture_len);
    let caption = shortcode.attr("caption").unwrap_or(text).trim();
    let caption = if caption.is_empty() {
        String::new()
    } else {
        format!("<figcaption>{caption}</figcaption>")
    };
    Some(format!("<figure>{picture}{caption}</figure>"))
}

/// The length of the image (maybe in a link) a caption shortcode starts with.
fn leading_picture_len(content: &str) -> usize {
    let lower = content.to_ascii_lowercase();
    if lower.starts_with("<a") {
        lower.find("</a>").map_or(0, |e| e + 4)
    } else if lower.starts_with("<img") {
        lower.find('>').map_or(0, |e| e + 1)
    } else {
        0
    }
}

/// `[gallery ids="12,13"]` as the images of those attachments, each a paragraph.
fn gallery_html(shortcode: &Shortcode<'_>) -> Option<String> {
    let ids: Vec<u64> = shortcode
        .attr("ids")?
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect();
    (!ids.is_empty()).then(|| {
        ids.iter()
            .map(|id| format!("<p><img src=\"{ATTACHMENT_SCHEME}{id}\" alt=\"\"></p>"))
            .collect()
    })
}

/// `[video src="…"]` and the like as a link named after the kind and the file.
fn media_link_html(shortcode: &Shortcode<'_>, keys: &[&str], kind: &str) -> Option<String> {
    let url = keys.iter().find_map(|key| shortcode.attr(key))?.trim();
    let file = file_name(url);
    let text = if file.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {}", html_escape(file))
    };
    link_html(url, &text)
}

/// The last path segment of an address, without query or fragment.
fn file_name(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or("");
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

fn link_html(url: &str, text: &str) -> Option<String> {
    (!url.is_empty()).then(|| format!("<a href=\"{}\">{text}</a>", html_escape(url)))
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' | AMPERSAND => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The document tree
// ---------------------------------------------------------------------------

fn tag(node: &Rc<Node>) -> Option<&str> {
    match &node.data {
        NodeData::Element { name, .. } => Some(&name.local),
        _ => None,
    }
}

fn attr(node: &Rc<Node>, name: &str) -> Option<String> {
    let NodeData::Element { attrs, .. } = &node.data else {
        return None;
    };
    attrs
        .borrow()
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| a.value.to_string())
}

fn has_class(node: &Rc<Node>, class: &str) -> bool {
    attr(node, "class").is_some_and(|classes| classes.split_ascii_whitespace().any(|c| c == class))
}

fn children(node: &Rc<Node>) -> Vec<Rc<Node>> {
    node.children.borrow().clone()
}

/// The first element below a node (depth first) for which `wanted` holds.
fn find(node: &Rc<Node>, wanted: &dyn Fn(&Rc<Node>) -> bool) -> Option<Rc<Node>> {
    children(node).into_iter().find_map(|child| {
        if wanted(&child) {
            Some(child)
        } else {
            find(&child, wanted)
        }
    })
}

fn find_tag(node: &Rc<Node>, name: &str) -> Option<Rc<Node>> {
    find(node, &|n| tag(n) == Some(name))
}

/// Every element below a node with the tag, in document order.
fn find_all(node: &Rc<Node>, name: &str, found: &mut Vec<Rc<Node>>) {
    for child in children(node) {
        if tag(&child) == Some(name) {
            found.push(child.clone());
        }
        find_all(&child, name, found);
    }
}

/// The text of a node and everything in it, whitespace collapsed.
fn text_of(node: &Rc<Node>) -> String {
    fn collect(node: &Rc<Node>, out: &mut String) {
        match &node.data {
            NodeData::Text { contents } => out.push_str(&contents.borrow()),
            NodeData::Element { name, .. } if DROPPED.contains(&&*name.local) => {}
            _ => children(node).iter().for_each(|c| collect(c, out)),
        }
    }
    let mut out = String::new();
    collect(node, &mut out);
    collapse_whitespace(&out.replace(AMPERSAND, "&"))
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The address an image shows: its `src`, or the address a lazy-loading plugin moved it to.
fn image_source(node: &Rc<Node>) -> Option<String> {
    ["src", "data-src", "data-lazy-src", "data-orig-file"]
        .into_iter()
        .filter_map(|name| attr(node, name))
        .map(|src| src.trim().to_owned())
        .find(|src| !src.is_empty() && !src.starts_with("data:"))
}

/// Puts [`AMPERSAND`] for each `&` of the text (outside code) that starts something an entity
/// could be read from, so that `&copy;` written as text stays text.
fn protect_entity_lookalikes(node: &Rc<Node>) {
    for child in children(node) {
        match &child.data {
            NodeData::Text { contents } => {
                let text = contents.borrow().to_string();
                if text.contains('&') {
                    *contents.borrow_mut() = protect_ampersands(&text).into();
                }
            }
            NodeData::Element { name, .. } if matches!(&*name.local, "pre" | "code") => {}
            _ => protect_entity_lookalikes(&child),
        }
    }
}

fn protect_ampersands(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let next = text[i + c.len_utf8()..].chars().next();
        if c == '&' && next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#') {
            out.push(AMPERSAND);
        } else {
            out.push(c);
        }
    }
    out
}

/// Takes the whitespace off the start of text that follows a `<br>` (the newline `wpautop` and
/// editors put after it), which would otherwise indent the next line.
fn trim_text_after_line_breaks(node: &Rc<Node>) {
    let mut after_break = false;
    for child in children(node) {
        if let NodeData::Text { contents } = &child.data
            && after_break
        {
            let text = contents.borrow().trim_start().to_owned();
            *contents.borrow_mut() = text.into();
        }
        after_break = tag(&child) == Some("br");
        if !matches!(tag(&child), Some("pre" | "code")) {
            trim_text_after_line_breaks(&child);
        }
    }
}

/// What the import answered about the links and images of one item, asked before conversion
/// (htmd's handlers outlive the call and may hold no borrowed [`Addresses`]).
#[derive(Debug, Default)]
struct Resolved {
    links: HashMap<String, String>,
    images: HashMap<String, (Uuid, Option<String>)>,
    missing: Vec<String>,
}

impl Resolved {
    fn of(tree: &Rc<Node>, addresses: &dyn Addresses) -> Resolved {
        let mut resolved = Resolved::default();
        resolved.visit(tree, addresses);
        resolved
    }

    fn visit(&mut self, node: &Rc<Node>, addresses: &dyn Addresses) {
        match tag(node) {
            Some(name) if DROPPED.contains(&name) => return,
            Some("a") => self.ask_link(node, addresses),
            Some("img") => self.ask_image(node, addresses),
            _ => {}
        }
        for child in children(node) {
            self.visit(&child, addresses);
        }
    }

    fn ask_link(&mut self, node: &Rc<Node>, addresses: &dyn Addresses) {
        let Some(href) = attr(node, "href") else {
            return;
        };
        if let Some(new) = addresses.link(href.trim()) {
            self.links.insert(href, new);
        }
    }

    fn ask_image(&mut self, node: &Rc<Node>, addresses: &dyn Addresses) {
        let Some(src) = image_source(node) else {
            return;
        };
        if self.images.contains_key(&src) || self.missing.contains(&src) {
            return;
        }
        let found = match src.strip_prefix(ATTACHMENT_SCHEME) {
            Some(id) => id
                .parse()
                .ok()
                .and_then(|id| addresses.attachment(id))
                .map(|(uuid, alt)| (uuid, Some(alt))),
            None => addresses.image(&src).map(|uuid| (uuid, None)),
        };
        match found {
            Some(found) => {
                self.images.insert(src, found);
            }
            None => self.missing.push(src),
        }
    }

    /// Where a link is to point: its new address, or as written.
    fn link<'a>(&'a self, href: &'a str) -> &'a str {
        self.links.get(href).map_or(href, String::as_str)
    }
}

// ---------------------------------------------------------------------------
// HTML → Markdown
// ---------------------------------------------------------------------------

type Resolution = Arc<Resolved>;

fn options() -> Options {
    Options {
        hr_style: HrStyle::Dashes,
        br_style: BrStyle::Backslash,
        bullet_list_marker: BulletListMarker::Dash,
        ul_bullet_spacing: 1,
        ol_number_spacing: 1,
        ..Options::default()
    }
}

/// The htmd converter with this module's handlers, answering from `resolved`.
fn converter(resolved: Resolution) -> HtmlToMarkdown {
    let (r1, r2, r3, r4) = (
        resolved.clone(),
        resolved.clone(),
        resolved.clone(),
        resolved,
    );
    HtmlToMarkdown::builder()
        .options(options())
        .skip_tags(DROPPED.to_vec())
        .add_handler(vec!["a"], move |h: &dyn Handlers, e: Element| {
            link_markdown(&r1, h, e)
        })
        .add_handler(vec!["img"], move |_: &dyn Handlers, e: Element| {
            Some(image_markdown(&r2, e.node).into())
        })
        .add_handler(vec!["figure"], move |h: &dyn Handlers, e: Element| {
            figure_markdown(&r3, h, e)
        })
        .add_handler(vec!["table"], move |h: &dyn Handlers, e: Element| {
            Some(table_markdown(&r4, h, e.node).into())
        })
        .add_handler(vec!["div"], div_markdown)
        .add_handler(vec!["video", "audio"], |_: &dyn Handlers, e: Element| {
            Some(player_markdown(e.node, e.tag).into())
        })
        .add_handler(vec!["pre"], pre_markdown)
        .add_handler(
            vec!["del", "s", "strike"],
            |h: &dyn Handlers, e: Element| Some(wrapped(h, e.node, "~~", "~~").into()),
        )
        .add_handler(vec!["sub", "sup"], |h: &dyn Handlers, e: Element| {
            let name = e.tag;
            Some(wrapped(h, e.node, &format!("<{name}>"), &format!("</{name}>")).into())
        })
        .build()
}

/// An inline element's Markdown between two markers (nothing when it is empty).
fn wrapped(handlers: &dyn Handlers, node: &Rc<Node>, open: &str, close: &str) -> String {
    let content = one_line(&handlers.walk_children(node).content);
    let trimmed = content.trim();
    if trimmed.is_empty() {
        return content;
    }
    format!("{open}{trimmed}{close}")
}

/// Inline Markdown on one line: hard breaks and newlines become spaces.
fn one_line(markdown: &str) -> String {
    let spaced = markdown.replace("\\\n", " ").replace('\n', " ");
    let mut out = String::with_capacity(spaced.len());
    for c in spaced.chars() {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

/// `<a href>`: a Markdown link to its new or old address; only its text when the address is not
/// one a post may link to.
fn link_markdown(
    resolved: &Resolved,
    handlers: &dyn Handlers,
    element: Element,
) -> Option<HandlerResult> {
    let content = one_line(&handlers.walk_children(element.node).content);
    let href = attr(element.node, "href");
    let Some(href) = href.filter(|h| is_linkable(h)) else {
        return Some(content.into());
    };
    let text = content.trim();
    if text.is_empty() {
        return Some(content.into());
    }
    let before = if content.starts_with(' ') { " " } else { "" };
    let after = if content.ends_with(' ') { " " } else { "" };
    let target = destination(resolved.link(&href));
    Some(format!("{before}[{text}]({target}){after}").into())
}

/// Whether a link may stay a link: `http`, `https`, `mailto` or no scheme at all (checked with
/// whitespace and control characters removed, as browsers read it).
fn is_linkable(href: &str) -> bool {
    let squeezed: String = href
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect();
    if squeezed.is_empty() {
        return false;
    }
    let scheme_end = squeezed.find(':');
    let path_start = squeezed.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (Some(colon), Some(path)) if path < colon => true,
        (Some(colon), _) => matches!(&squeezed[..colon], "http" | "https" | "mailto"),
        (None, _) => true,
    }
}

/// A link or image address as a Markdown destination.
fn destination(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.trim().chars() {
        match c {
            ' ' => out.push_str("%20"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// `<pre>`: htmd's code block when it holds one `<code>`, otherwise a code block of its text
/// (the classic editor's `<pre>`, SyntaxHighlighter's `<pre class="brush: php">`).
fn pre_markdown(handlers: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    let elements: Vec<Rc<Node>> = children(element.node)
        .into_iter()
        .filter(|c| tag(c).is_some())
        .collect();
    if elements.len() == 1 && tag(&elements[0]) == Some("code") {
        return handlers.fallback(element);
    }
    let code = raw_text(element.node);
    let code = code.strip_prefix('\n').unwrap_or(&code).trim_end();
    let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
    let language = code_language(element.node);
    Some(format!("\n\n{fence}{language}\n{code}\n{fence}\n\n").into())
}

/// All the text in a node, as written.
fn raw_text(node: &Rc<Node>) -> String {
    match &node.data {
        NodeData::Text { contents } => contents.borrow().replace(AMPERSAND, "&"),
        NodeData::Element { name, .. } if &*name.local == "br" => "\n".to_owned(),
        _ => children(node).iter().map(raw_text).collect(),
    }
}

fn longest_run(text: &str, marker: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == marker { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// The language a `<pre>` names: `class="language-x"` or SyntaxHighlighter's `brush: x`.
fn code_language(pre: &Rc<Node>) -> String {
    let class = attr(pre, "class").unwrap_or_default();
    let named = class
        .split_ascii_whitespace()
        .find_map(|c| c.strip_prefix("language-"))
        .or_else(|| {
            let after = class.split_once("brush:")?.1.trim_start();
            after.split([';', ' ']).next()
        })
        .unwrap_or("");
    named
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#'))
        .collect()
}

/// `<img>`: the media library image it stands for, or its alt text.
fn image_markdown(resolved: &Resolved, node: &Rc<Node>) -> String {
    let Some(src) = image_source(node) else {
        return String::new();
    };
    let own_alt = collapse_whitespace(&attr(node, "alt").unwrap_or_default());
    match resolved.images.get(&src) {
        Some((uuid, library_alt)) => {
            let alt = match library_alt {
                Some(alt) if own_alt.is_empty() => collapse_whitespace(alt),
                _ => own_alt,
            };
            format!("![{}]({MEDIA_SCHEME}{uuid})", escape_markdown(&alt))
        }
        None => escape_markdown(&own_alt),
    }
}

/// Text the converter writes itself (alt text, titles) with everything Markdown would read as
/// formatting escaped.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    if out.starts_with(['-', '+', '=', '#']) {
        out.insert(0, '\\');
    }
    escape_list_number(out)
}

/// `1. Text` or `1) Text` at the start, as text rather than a list item.
fn escape_list_number(text: String) -> String {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && text[digits..].starts_with(['.', ')']) {
        return format!("{}\\{}", &text[..digits], &text[digits..]);
    }
    text
}

/// `<figure>`: Ghost cards, or a captioned image as HTML around Markdown; any other figure as
/// its contents.
fn figure_markdown(
    resolved: &Resolved,
    handlers: &dyn Handlers,
    element: Element,
) -> Option<HandlerResult> {
    let node = element.node;
    if has_class(node, "kg-bookmark-card") {
        return Some(bookmark_markdown(resolved, node).into());
    }
    if has_class(node, "kg-embed-card") || has_class(node, "wp-block-embed") {
        return Some(embed_markdown(handlers, node).into());
    }
    if has_class(node, "kg-gallery-card") {
        return Some(gallery_markdown(resolved, node).into());
    }
    let caption = children(node)
        .into_iter()
        .find(|child| tag(child) == Some("figcaption"));
    let has_own_image =
        find(node, &|n| tag(n) == Some("img")).is_some() && find_tag(node, "figure").is_none();
    match caption {
        Some(caption) if has_own_image && !text_of(&caption).is_empty() => {
            Some(captioned_figure(resolved, handlers, node, &caption).into())
        }
        _ => handlers.fallback(element),
    }
}

/// A picture with a caption, as the renderer shows it: a `<figure>` whose image is Markdown.
fn captioned_figure(
    resolved: &Resolved,
    handlers: &dyn Handlers,
    figure: &Rc<Node>,
    caption: &Rc<Node>,
) -> String {
    let picture: String = children(figure)
        .iter()
        .filter(|child| !Rc::ptr_eq(child, caption))
        .filter_map(|child| handlers.handle(child))
        .map(|result| one_line(&result.content))
        .collect();
    let picture = picture.trim();
    let picture = if picture.is_empty() {
        String::new()
    } else {
        format!("{picture}\n\n")
    };
    let caption = collapse_whitespace(&inline_html(resolved, caption));
    format!("\n\n<figure>\n\n{picture}<figcaption>{caption}</figcaption>\n</figure>\n\n")
}

/// Ghost's bookmark card: a link named by its title.
fn bookmark_markdown(resolved: &Resolved, node: &Rc<Node>) -> String {
    let Some(href) = find_tag(node, "a").and_then(|a| attr(&a, "href")) else {
        return String::new();
    };
    let title = find(node, &|n| has_class(n, "kg-bookmark-title"))
        .map(|n| text_of(&n))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| href.clone());
    paragraph_link(resolved.link(&href), &title)
}

fn paragraph_link(href: &str, text: &str) -> String {
    if !is_linkable(href) {
        return format!("\n\n{}\n\n", escape_markdown(text));
    }
    format!("\n\n[{}]({})\n\n", escape_markdown(text), destination(href))
}

/// An embed card (Ghost) or block (WordPress): a link to what it embeds, if that can be found,
/// and its caption.
fn embed_markdown(handlers: &dyn Handlers, node: &Rc<Node>) -> String {
    let caption = find_tag(node, "figcaption")
        .and_then(|c| handlers.handle(&c))
        .map(|c| c.content)
        .unwrap_or_default();
    let link = embedded_address(node)
        .filter(|url| is_linkable(url))
        .map(|url| paragraph_link(&url, &url))
        .unwrap_or_default();
    format!("{link}\n\n{caption}\n\n")
}

/// What an embed shows: its frame's address, its first link, or the address WordPress writes in
/// the embed block.
fn embedded_address(node: &Rc<Node>) -> Option<String> {
    let frame = find_tag(node, "iframe").and_then(|f| attr(&f, "src"));
    let frame = frame.map(|src| match src.strip_prefix("//") {
        Some(rest) => format!("https://{rest}"),
        None => src,
    });
    let written = || {
        find(node, &|n| has_class(n, "wp-block-embed__wrapper"))
            .map(|w| text_of(&w))
            .filter(|t| t.starts_with("http://") || t.starts_with("https://"))
    };
    frame
        .or_else(|| find_tag(node, "a").and_then(|a| attr(&a, "href")))
        .or_else(written)
}

/// `<video>` and `<audio>`: a link to the file they play (the first `<source>` when they have no
/// `src`), named after the kind and the file.
fn player_markdown(node: &Rc<Node>, name: &str) -> String {
    let src = attr(node, "src")
        .or_else(|| find_tag(node, "source").and_then(|s| attr(&s, "src")))
        .map(|src| src.trim().to_owned())
        .filter(|src| is_linkable(src) && !src.is_empty());
    let Some(src) = src else {
        return String::new();
    };
    let kind = if name == "audio" { "Audio" } else { "Video" };
    let text = match file_name(&src) {
        "" => kind.to_owned(),
        file => format!("{kind}: {file}"),
    };
    format!("[{}]({})", escape_markdown(&text), destination(&src))
}

/// Ghost's gallery card: its images, each a paragraph.
fn gallery_markdown(resolved: &Resolved, node: &Rc<Node>) -> String {
    let mut images = Vec::new();
    find_all(node, "img", &mut images);
    let images: Vec<String> = images
        .iter()
        .map(|img| image_markdown(resolved, img))
        .filter(|md| !md.is_empty())
        .collect();
    format!("\n\n{}\n\n", images.join("\n\n"))
}

/// `<div>`: Ghost's callout card as a quote; any other as its contents.
fn div_markdown(handlers: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    if !has_class(element.node, "kg-callout-card") {
        return handlers.fallback(element);
    }
    let parts: Vec<String> = children(element.node)
        .iter()
        .filter_map(|child| handlers.handle(child))
        .map(|result| one_line(&result.content).trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect();
    Some(format!("\n\n> {}\n\n", parts.join(" ")).into())
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

/// A table: a GFM table when it is simple, otherwise HTML.
fn table_markdown(resolved: &Resolved, handlers: &dyn Handlers, table: &Rc<Node>) -> String {
    match simple_rows(table) {
        Some(rows) if rows.is_empty() => String::new(),
        Some(rows) => gfm_table(handlers, &rows),
        None => format!("\n\n{}\n\n", table_html(resolved, table)),
    }
}

/// The rows of a table's cells if it is simple: no caption, no spans, no blocks in cells, header
/// cells only in the first row and only there as a whole row.
fn simple_rows(table: &Rc<Node>) -> Option<Vec<Vec<Rc<Node>>>> {
    let mut rows = Vec::new();
    for child in children(table) {
        match tag(&child) {
            Some("thead" | "tbody" | "tfoot") => {
                for row in children(&child) {
                    match tag(&row) {
                        Some("tr") => rows.push(simple_cells(&row)?),
                        Some(_) => return None,
                        None => {}
                    }
                }
            }
            Some("tr") => rows.push(simple_cells(&child)?),
            Some("colgroup" | "col") | None => {}
            Some(_) => return None,
        }
    }
    let header_cells = |row: &Vec<Rc<Node>>| row.iter().filter(|c| tag(c) == Some("th")).count();
    let first_is_header = rows.first().is_some_and(|r| header_cells(r) == r.len());
    let later_headers = rows.iter().skip(1).any(|r| header_cells(r) > 0);
    let mixed_first = rows
        .first()
        .is_some_and(|r| !first_is_header && header_cells(r) > 0);
    (!later_headers && !mixed_first).then_some(rows)
}

/// The cells of a row if each is simple.
fn simple_cells(row: &Rc<Node>) -> Option<Vec<Rc<Node>>> {
    let mut cells = Vec::new();
    for cell in children(row) {
        match tag(&cell) {
            Some("td" | "th") if is_simple_cell(&cell) => cells.push(cell),
            Some(_) => return None,
            None => {}
        }
    }
    Some(cells)
}

fn is_simple_cell(cell: &Rc<Node>) -> bool {
    let spans = ["colspan", "rowspan"]
        .iter()
        .any(|name| attr(cell, name).is_some_and(|v| v.trim() != "1"));
    !spans && find(cell, &|n| tag(n).is_some_and(is_block)).is_none()
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "ul"
            | "ol"
            | "li"
            | "table"
            | "pre"
            | "blockquote"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "figure"
            | "hr"
            | "dl"
    )
}

/// A GFM table of the rows; the first row is its header when it is one, else the header is empty.
fn gfm_table(handlers: &dyn Handlers, rows: &[Vec<Rc<Node>>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let first_is_header = rows[0].iter().all(|c| tag(c) == Some("th"));
    let (header, body) = if first_is_header {
        (Some(&rows[0]), &rows[1..])
    } else {
        (None, rows)
    };
    let header_line = match header {
        Some(cells) => gfm_row(handlers, cells, columns),
        None => format!("|{}", "  |".repeat(columns)),
    };
    let alignments = column_alignments(&rows[0], columns);
    let mut lines = vec![header_line, format!("|{}", alignments.join("|") + "|")];
    lines.extend(body.iter().map(|cells| gfm_row(handlers, cells, columns)));
    format!("\n\n{}\n\n", lines.join("\n"))
}

fn gfm_row(handlers: &dyn Handlers, cells: &[Rc<Node>], columns: usize) -> String {
    let mut texts: Vec<String> = cells.iter().map(|c| gfm_cell(handlers, c)).collect();
    texts.resize(columns, String::new());
    format!("| {} |", texts.join(" | "))
}

fn gfm_cell(handlers: &dyn Handlers, cell: &Rc<Node>) -> String {
    let content = one_line(&handlers.walk_children(cell).content);
    content.trim().replace('|', "\\|")
}

/// The delimiter row's cells, aligned as the first row's cells say.
fn column_alignments(first: &[Rc<Node>], columns: usize) -> Vec<String> {
    (0..columns)
        .map(|i| {
            let align = first.get(i).and_then(|c| attr(c, "align"));
            match align.as_deref().map(str::trim) {
                Some("left") => " :--- ",
                Some("center") => " :---: ",
                Some("right") => " ---: ",
                _ => " --- ",
            }
            .to_owned()
        })
        .collect()
}

/// A table as HTML without blank lines (which would end it in Markdown).
fn table_html(resolved: &Resolved, table: &Rc<Node>) -> String {
    let mut out = String::new();
    write_html(resolved, table, &mut out, false);
    out.trim().to_owned()
}

/// The inline HTML inside a node (a caption), cleaned as [`write_html`] does.
fn inline_html(resolved: &Resolved, node: &Rc<Node>) -> String {
    let mut out = String::new();
    for child in children(node) {
        write_html(resolved, &child, &mut out, false);
    }
    out.trim().to_owned()
}

/// Tags written as HTML, without attributes but those [`kept_attributes`] gives.
const HTML_TAGS: [&str; 35] = [
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "p",
    "br",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "em",
    "i",
    "strong",
    "b",
    "s",
    "del",
    "sub",
    "sup",
    "small",
    "mark",
    "kbd",
    "q",
    "cite",
    "abbr",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
];

/// Tags after which a row of a table starts a new line.
const LINE_TAGS: [&str; 5] = ["caption", "thead", "tbody", "tfoot", "tr"];

/// A node as clean HTML: the tags of [`HTML_TAGS`], links to the addresses posts may link to,
/// images as their alt text, everything dropped that [`DROPPED`] names, whitespace collapsed (and
/// newlines of `<pre>` written as `&#10;`), so no blank line can end the HTML block.
fn write_html(resolved: &Resolved, node: &Rc<Node>, out: &mut String, in_pre: bool) {
    match &node.data {
        NodeData::Text { contents } => write_text(&contents.borrow(), out, in_pre, node),
        NodeData::Element { name, .. } => {
            let name = &*name.local;
            if DROPPED.contains(&name) {
                return;
            }
            if name == "img" {
                out.push_str(&html_escape(&image_alt(resolved, node)));
                return;
            }
            let kept = HTML_TAGS.contains(&name);
            if kept {
                write_open_tag(resolved, node, name, out);
            }
            for child in children(node) {
                write_html(resolved, &child, out, in_pre || name == "pre");
            }
            if kept && name != "br" {
                out.push_str(&format!("</{name}>"));
            }
        }
        _ => children(node)
            .iter()
            .for_each(|c| write_html(resolved, c, out, in_pre)),
    }
}

fn write_text(text: &str, out: &mut String, in_pre: bool, node: &Rc<Node>) {
    if in_pre {
        out.push_str(&html_escape(text).replace('\n', "&#10;"));
        return;
    }
    let in_table_structure = node
        .parent
        .take()
        .inspect(|weak| node.parent.set(Some(weak.clone())))
        .and_then(|weak| weak.upgrade())
        .is_some_and(|parent| {
            matches!(
                tag(&parent),
                Some("table" | "thead" | "tbody" | "tfoot" | "tr")
            )
        });
    if in_table_structure && text.trim().is_empty() {
        return;
    }
    let mut collapsed = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_whitespace() && c != '\u{a0}' {
            ' '
        } else {
            c
        };
        if !(c == ' ' && (collapsed.ends_with(' ') || (collapsed.is_empty() && out.ends_with(' '))))
        {
            collapsed.push(c);
        }
    }
    out.push_str(&html_escape(&collapsed));
}

fn write_open_tag(resolved: &Resolved, node: &Rc<Node>, name: &str, out: &mut String) {
    if LINE_TAGS.contains(&name) {
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out.push('<');
    out.push_str(name);
    for (key, value) in kept_attributes(resolved, node, name) {
        out.push_str(&format!(" {key}=\"{}\"", html_escape(&value)));
    }
    out.push('>');
}

/// The attributes a cleaned tag keeps: spans and alignment of cells, the address of links.
fn kept_attributes(
    resolved: &Resolved,
    node: &Rc<Node>,
    name: &str,
) -> Vec<(&'static str, String)> {
    let mut kept = Vec::new();
    if matches!(name, "td" | "th") {
        for key in ["colspan", "rowspan"] {
            if let Some(n) = attr(node, key).and_then(|v| v.trim().parse::<u16>().ok()) {
                kept.push((key, n.to_string()));
            }
        }
        if let Some(align) = attr(node, "align").map(|a| a.trim().to_ascii_lowercase())
            && matches!(align.as_str(), "left" | "center" | "right")
        {
            kept.push(("align", align));
        }
    }
    if name == "a"
        && let Some(href) = attr(node, "href").filter(|h| is_linkable(h))
    {
        kept.push(("href", resolved.link(&href).to_owned()));
    }
    kept
}

/// The text an image leaves in HTML: its alt text (or its attachment's).
fn image_alt(resolved: &Resolved, node: &Rc<Node>) -> String {
    let own = collapse_whitespace(&attr(node, "alt").unwrap_or_default());
    let library = image_source(node)
        .and_then(|src| resolved.images.get(&src).cloned())
        .and_then(|(_, alt)| alt);
    match library {
        Some(alt) if own.is_empty() => alt,
        _ => own,
    }
}

// ---------------------------------------------------------------------------
// Tidying
// ---------------------------------------------------------------------------

/// The Markdown as stored: outside code blocks no trailing spaces, no hard break ending a
/// paragraph and no two blank lines in a row; protected `&`s escaped; trimmed.
fn tidy(markdown: &str) -> String {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut fence: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(open) = &fence {
            if is_closing_fence(line, open) {
                fence = None;
            }
            out.push((*line).to_owned());
            continue;
        }
        fence = opening_fence(line);
        let mut line = line.trim_end().replace(AMPERSAND, "\\&");
        if line.trim_start() == "\\" {
            line.clear();
        }
        let next_blank = lines.get(i + 1).is_none_or(|next| next.trim().is_empty());
        if next_blank && ends_with_hard_break(&line) {
            line.pop();
            line.truncate(line.trim_end().len());
        }
        if line.is_empty() && out.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        out.push(line);
    }
    out.join("\n").trim().to_owned()
}

/// The fence (```` ``` ```` or `~~~`, as long as written) a line opens a code block with.
fn opening_fence(line: &str) -> Option<String> {
    let trimmed = line
        .trim_start_matches([' ', '-', '>', '*', '+'])
        .trim_start();
    let trimmed = trimmed.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let trimmed = trimmed.trim_start();
    for marker in ['`', '~'] {
        let run = trimmed.chars().take_while(|&c| c == marker).count();
        if run >= 3 {
            return Some(marker.to_string().repeat(run));
        }
    }
    None
}

fn is_closing_fence(line: &str, open: &str) -> bool {
    let trimmed = line.trim_start_matches([' ', '>']).trim();
    let marker = open.chars().next().unwrap_or('`');
    trimmed.len() >= open.len() && trimmed.chars().all(|c| c == marker)
}

/// Whether a line ends with a backslash hard break (an odd number of backslashes).
fn ends_with_hard_break(line: &str) -> bool {
    let backslashes = line.len() - line.trim_end_matches('\\').len();
    backslashes % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::markdown;

    const CAT: Uuid = Uuid::from_u128(0xca7);
    const DOG: Uuid = Uuid::from_u128(0xd06);
    const CAT_SRC: &str = "http://old.example/wp-content/uploads/cat.png";
    const DOG_SRC: &str = "https://ghost.example/content/images/dog.jpg";

    /// An import that has two posts, a page, the cat (in two sizes, attachment 12) and the dog.
    struct Site;

    impl Addresses for Site {
        fn link(&self, old: &str) -> Option<String> {
            let new = match old {
                "http://old.example/2023/03/14/hello/" => "/posts/hello",
                "/?p=12" => "/about/team",
                "https://ghost.example/second/" => "/posts/second",
                _ => return None,
            };
            Some(new.to_owned())
        }

        fn image(&self, old: &str) -> Option<Uuid> {
            match old {
                CAT_SRC | "http://old.example/wp-content/uploads/cat-300x200.png" => Some(CAT),
                DOG_SRC => Some(DOG),
                _ => None,
            }
        }

        fn attachment(&self, id: u64) -> Option<(Uuid, String)> {
            (id == 12).then(|| (CAT, "A cat".to_owned()))
        }
    }

    fn wp(html: &str) -> Converted {
        convert(html, Source::WordPress, &Site)
    }

    fn ghost(html: &str) -> Converted {
        convert(html, Source::Ghost, &Site)
    }

    fn cat() -> String {
        format!("media:{CAT}")
    }

    /// A picture the way the site renders one, to see media images survive rendering.
    fn picture(id: Uuid, alt: &str) -> Option<String> {
        Some(format!(
            "<img src=\"/media/{}.jpg\" alt=\"{alt}\">",
            id.simple()
        ))
    }

    // 1. WordPress blocks and the classic editor

    #[test]
    fn block_comments_are_dropped_and_block_content_is_kept_as_html() {
        let html = "<!-- wp:paragraph -->\n<p>Hello <strong>world</strong></p>\n<!-- /wp:paragraph -->\n\n\
                    <!-- wp:image {\"id\":5} -->\n<figure class=\"wp-block-image\"><img src=\"x.png\" alt=\"\"/></figure>\n<!-- /wp:image -->\n\n\
                    <!-- wp:paragraph -->\n<p>Two\nlines</p>\n<!-- /wp:paragraph -->";
        let converted = wp(html);
        assert_eq!(converted.markdown, "Hello **world**\n\nTwo lines");
        assert!(!converted.markdown.contains("wp:"));
    }

    #[test]
    fn classic_editor_text_gets_paragraphs_and_line_breaks() {
        let html = "First line\nsecond line\n\nNew paragraph\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n\
                    <h2>Title</h2>\nAfter";
        assert_eq!(
            wp(html).markdown,
            "First line\\\nsecond line\n\nNew paragraph\n\n- one\n- two\n\n## Title\n\nAfter"
        );
    }

    #[test]
    fn wpautop_wraps_paragraphs_but_not_blocks_or_pre_contents() {
        let html = wpautop(
            "One\ntwo\n\n<pre>code\n\nmore code</pre>\n<blockquote>Quote</blockquote>\n\
             <table><tr><td>x</td></tr></table>\n<div>Box</div>\nThree",
        );
        assert!(html.contains("<p>One<br>\ntwo</p>"), "{html}");
        assert!(html.contains("<pre>code\n\nmore code</pre>"), "{html}");
        for block in ["<blockquote>", "<table>", "<div>", "<tr>", "<pre>"] {
            assert!(
                !html.contains(&format!("<p>{block}")),
                "{block} wrapped: {html}"
            );
        }
        assert!(html.contains("<p>Three</p>"), "{html}");
        assert_eq!(html.matches("<p>").count(), 2, "{html}");
        assert_eq!(wpautop("  \n\n "), "");
    }

    #[test]
    fn classic_pre_becomes_a_code_block_untouched() {
        let converted =
            wp("Look:\n<pre class=\"brush: php; title: ;\">$a = [b];\n\n*c* &amp; d</pre>");
        assert_eq!(
            converted.markdown,
            "Look:\n\n```php\n$a = [b];\n\n*c* & d\n```"
        );
    }

    // 2. Shortcodes

    #[test]
    fn caption_shortcode_becomes_a_captioned_figure() {
        let html = "[caption id=\"attachment_12\" align=\"alignnone\" width=\"300\"]<img \
                    src=\"http://old.example/wp-content/uploads/cat-300x200.png\" alt=\"Cat\" \
                    class=\"size-medium\" /> A <em>very</em> good cat[/caption]";
        assert_eq!(
            wp(html).markdown,
            format!(
                "<figure>\n\n![Cat]({})\n\n<figcaption>A <em>very</em> good cat</figcaption>\n</figure>",
                cat()
            )
        );
    }

    #[test]
    fn gallery_shortcode_becomes_its_images_and_reports_missing_ones() {
        let converted = wp("<p>Pets:</p>\n<p>[gallery columns=\"2\" ids=\"12,99\"]</p>");
        assert_eq!(converted.markdown, format!("Pets:\n\n![A cat]({})", cat()));
        assert_eq!(converted.missing_images, ["wp-attachment:99"]);
    }

    #[test]
    fn embed_video_and_audio_shortcodes_become_links() {
        let converted = wp("[embed]https://www.youtube.com/watch?v=abc_1[/embed]\n\n\
                            [video width=\"640\" mp4=\"https://old.example/clip.mp4\"][/video]\n\n\
                            [audio src='https://old.example/song.mp3']");
        assert_eq!(
            converted.markdown,
            "[https://www.youtube.com/watch?v=abc\\_1](https://www.youtube.com/watch?v=abc_1)\n\n\
             [Video: clip.mp4](https://old.example/clip.mp4)\n\n\
             [Audio: song.mp3](https://old.example/song.mp3)"
        );
        assert!(converted.unknown_shortcodes.is_empty());
    }

    #[test]
    fn html_players_become_links_to_their_files() {
        let html = "<figure class=\"kg-card kg-video-card\"><div class=\"kg-video-container\"><video \
                    src=\"https://ghost.example/content/media/clip_1.mp4\" poster=\"x\" controls></video>\
                    </div></figure><p><audio controls><source src=\"/files/song.ogg\" type=\"audio/ogg\">\
                    Your browser cannot play it</audio></p>";
        assert_eq!(
            ghost(html).markdown,
            "[Video: clip\\_1.mp4](https://ghost.example/content/media/clip_1.mp4)\n\n\
             [Audio: song.ogg](/files/song.ogg)"
        );
    }

    #[test]
    fn unknown_shortcodes_are_removed_and_counted_keeping_enclosed_text() {
        let converted = wp(
            "<p>Before [contact-form-7 id=\"3\" title='Contact'] middle \
                            [toggle title=open]Hidden <b>text</b>[/toggle] [button /] \
                            [contact-form-7 id=4] after</p>",
        );
        assert_eq!(converted.markdown, "Before middle Hidden **text** after");
        let counted: Vec<(&str, usize)> = converted
            .unknown_shortcodes
            .iter()
            .map(|(name, n)| (name.as_str(), *n))
            .collect();
        assert_eq!(
            counted,
            [("button", 1), ("contact-form-7", 2), ("toggle", 1)]
        );
    }

    #[test]
    fn shortcode_attributes_in_any_quotes() {
        let shortcode = parse_shortcode("[video src=\"a b.mp4\" poster='p.jpg' loop=on autoplay]")
            .expect("a shortcode");
        assert_eq!(shortcode.name, "video");
        assert_eq!(shortcode.attr("src"), Some("a b.mp4"));
        assert_eq!(shortcode.attr("poster"), Some("p.jpg"));
        assert_eq!(shortcode.attr("loop"), Some("on"));
        assert_eq!(shortcode.content, None);
        assert!(parse_shortcode("[1]").is_none());
        assert!(parse_shortcode("[Editor's note]").is_none());
    }

    #[test]
    fn escaped_shortcodes_stay_literal() {
        let converted = wp("<p>Write [[gallery ids=\"1\"]] or [[b]x[/b]] to show them.</p>");
        assert_eq!(
            converted.markdown,
            "Write \\[gallery ids=\"1\"\\] or \\[b\\]x\\[/b\\] to show them."
        );
        assert!(converted.unknown_shortcodes.is_empty());
        assert!(converted.missing_images.is_empty());
    }

    #[test]
    fn shortcodes_in_code_are_left_alone() {
        let converted = wp(
            "<p>Use <code>[gallery ids=\"1\"]</code>:</p>\n<pre><code>[foo bar=\"1\"]</code></pre>",
        );
        assert_eq!(
            converted.markdown,
            "Use `[gallery ids=\"1\"]`:\n\n```\n[foo bar=\"1\"]\n```"
        );
        assert!(converted.unknown_shortcodes.is_empty());
    }

    // 3. HTML to Markdown

    #[test]
    fn structure_becomes_markdown() {
        let html = "<h2>Head</h2><p>Some <em>em</em>, <strong>strong</strong>, <del>gone</del>, \
                    <code>x &lt; y</code> and H<sub>2</sub>O.</p>\
                    <ul><li>one<ul><li>inner</li></ul></li><li>two</li></ul>\
                    <ol><li>first</li><li>second</li></ol>\
                    <blockquote><p>Quoted</p><p>Twice</p></blockquote><hr><h3>End</h3>";
        assert_eq!(
            ghost(html).markdown,
            "## Head\n\nSome *em*, **strong**, ~~gone~~, `x < y` and H<sub>2</sub>O.\n\n\
             - one\n  - inner\n- two\n\n1. first\n2. second\n\n> Quoted\n>\n> Twice\n\n- - -\n\n### End"
        );
    }

    #[test]
    fn code_blocks_keep_their_language() {
        let html = "<pre><code class=\"language-rust\">fn main() {\n    let a = *b;\n}\n</code></pre>\
                    <pre class=\"wp-block-code\"><code>plain</code></pre>";
        assert_eq!(
            ghost(html).markdown,
            "```rust\nfn main() {\n    let a = *b;\n}\n```\n\n```\nplain\n```"
        );
    }

    #[test]
    fn links_of_imported_items_get_their_new_address() {
        let html = "<p><a href=\"http://old.example/2023/03/14/hello/\">Hello</a>, \
                    <a href=\"/?p=12\" title=\"t\">team</a>, \
                    <a href=\"https://elsewhere.example/a(b)\">out</a>, \
                    <a href=\"#notes\">notes</a> and <a href=\"mailto:a@b.example\">mail</a></p>";
        assert_eq!(
            wp(html).markdown,
            "[Hello](/posts/hello), [team](/about/team), [out](https://elsewhere.example/a\\(b\\)), \
             [notes](#notes) and [mail](mailto:a@b.example)"
        );
    }

    #[test]
    fn scripts_frames_and_forms_are_dropped_and_unsafe_links_lose_their_address() {
        let html = "<p onclick=\"alert(1)\">Safe <a href=\"javascript:alert(1)\">click</a> \
                    <a href=\" JaVa\tScript:alert(2)\">again</a> <a href=\"data:text/html,x\">data</a></p>\
                    <script>alert(3)</script><style>p{}</style><iframe src=\"https://x.example\">frame</iframe>\
                    <object data=\"x\">obj</object><embed src=\"y\"><form action=\"/z\"><input name=\"q\">form text</form>\
                    <p><img src=\"x.png\" onerror=\"alert(4)\" alt=\"pic\"></p>";
        let converted = wp(html);
        assert_eq!(converted.markdown, "Safe click again data\n\npic");
        let lower = converted.markdown.to_ascii_lowercase();
        for gone in [
            "script", "alert", "onclick", "onerror", "frame", "obj", "form",
        ] {
            assert!(!lower.contains(gone), "{gone} kept: {lower}");
        }
    }

    // 4. Images and figures

    #[test]
    fn imported_images_become_media_images_and_missing_ones_their_alt_text() {
        let html = format!(
            "<p><img src=\"{CAT_SRC}\" alt=\"The *cat*\"> and <img src=\"http://gone.example/a.png\" alt=\"A [gone] one\"> \
             <img src=\"http://gone.example/b.png\" alt=\"\"><img src=\"http://gone.example/a.png\" alt=\"again\"></p>"
        );
        let converted = wp(&html);
        assert_eq!(
            converted.markdown,
            format!("![The \\*cat\\*]({}) and A \\[gone\\] one again", cat())
        );
        assert_eq!(
            converted.missing_images,
            ["http://gone.example/a.png", "http://gone.example/b.png"]
        );
        assert_eq!(markdown::media_ids(&converted.markdown), [CAT]);
    }

    #[test]
    fn images_inside_links_keep_the_link() {
        let html = format!(
            "<p><a href=\"http://old.example/2023/03/14/hello/\"><img src=\"{CAT_SRC}\" alt=\"Cat\"></a></p>"
        );
        assert_eq!(
            wp(&html).markdown,
            format!("[![Cat]({})](/posts/hello)", cat())
        );
    }

    #[test]
    fn captioned_figures_render_as_figures_with_the_library_picture() {
        let html = format!(
            "<figure class=\"wp-block-image size-large\"><img src=\"{CAT_SRC}\" alt=\"Cat\" \
             class=\"wp-image-12\"/><figcaption class=\"wp-element-caption\">Caption with \
             <em>markup</em> &amp; <a href=\"/?p=12\" onclick=\"x()\">a link</a></figcaption></figure>"
        );
        let converted = wp(&html);
        assert_eq!(
            converted.markdown,
            format!(
                "<figure>\n\n![Cat]({})\n\n<figcaption>Caption with <em>markup</em> &amp; \
                 <a href=\"/about/team\">a link</a></figcaption>\n</figure>",
                cat()
            )
        );
        let rendered = markdown::render_with(&converted.markdown, &picture);
        assert!(rendered.contains("<figure>"), "{rendered}");
        assert!(
            rendered.contains(&format!(
                "<img src=\"/media/{}.jpg\" alt=\"Cat\">",
                CAT.simple()
            )),
            "{rendered}"
        );
        assert!(
            rendered
                .contains("<figcaption>Caption with <em>markup</em> &amp; <a href=\"/about/team\""),
            "{rendered}"
        );
    }

    #[test]
    fn ghost_image_and_gallery_cards_become_images() {
        let html = format!(
            "<figure class=\"kg-card kg-image-card kg-card-hascaption\"><img src=\"{DOG_SRC}\" \
             class=\"kg-image\" alt=\"Dog\" loading=\"lazy\" width=\"600\" height=\"400\" \
             srcset=\"x 600w\"><figcaption><span style=\"white-space: pre-wrap;\">Good dog</span></figcaption></figure>\
             <figure class=\"kg-card kg-gallery-card kg-width-wide\"><div class=\"kg-gallery-container\">\
             <div class=\"kg-gallery-row\"><div class=\"kg-gallery-image\"><img src=\"{DOG_SRC}\" alt=\"Dog again\">\
             </div><div class=\"kg-gallery-image\"><img src=\"https://ghost.example/content/images/gone.jpg\" alt=\"\">\
             </div></div></div></figure>"
        );
        let converted = ghost(&html);
        assert_eq!(
            converted.markdown,
            format!(
                "<figure>\n\n![Dog](media:{DOG})\n\n<figcaption>Good dog</figcaption>\n</figure>\n\n\
                 ![Dog again](media:{DOG})"
            )
        );
        assert_eq!(
            converted.missing_images,
            ["https://ghost.example/content/images/gone.jpg"]
        );
    }

    #[test]
    fn gallery_blocks_are_their_captioned_figures() {
        let html = format!(
            "<!-- wp:gallery -->\n<figure class=\"wp-block-gallery has-nested-images\"><!-- wp:image -->\n\
             <figure class=\"wp-block-image\"><img src=\"{CAT_SRC}\" alt=\"One\"/><figcaption>First</figcaption></figure>\n\
             <figure class=\"wp-block-image\"><img src=\"http://gone.example/2.png\" alt=\"Two\"/></figure>\n\
             <figcaption class=\"blocks-gallery-caption\">Both</figcaption></figure>\n<!-- /wp:gallery -->"
        );
        assert_eq!(
            wp(&html).markdown,
            format!(
                "<figure>\n\n![One]({})\n\n<figcaption>First</figcaption>\n</figure>\n\nTwo\n\nBoth",
                cat()
            )
        );
    }

    // 5. Tables

    #[test]
    fn simple_tables_become_markdown_tables() {
        let html = "<figure class=\"wp-block-table\"><table><thead><tr><th>Name</th><th align=\"right\">Count</th></tr></thead>\
                    <tbody><tr><td><em>a</em></td><td>1 | 2</td></tr><tr><td>b</td></tr></tbody></table></figure>\
                    <table><tr><td>x</td><td>y</td></tr></table>";
        let converted = wp(html);
        assert_eq!(
            converted.markdown,
            "| Name | Count |\n| --- | ---: |\n| *a* | 1 \\| 2 |\n| b |  |\n\n|  |  |\n| --- | --- |\n| x | y |"
        );
        let rendered = markdown::render(&converted.markdown);
        assert_eq!(rendered.matches("<table>").count(), 2, "{rendered}");
        assert!(rendered.contains("<td><em>a</em></td>"), "{rendered}");
        assert!(rendered.contains("1 | 2"), "{rendered}");
    }

    #[test]
    fn other_tables_stay_html_with_only_spans_and_alignment() {
        let html = "<table class=\"x\" style=\"color:red\"><caption>Prices</caption><tr><th colspan=\"2\" \
                    onclick=\"alert(1)\" style=\"x\">Wide</th></tr><tr><td align=\"center\" rowspan=\"2\">\
                    <p>One</p>\n\n<p>Two &amp; <a href=\"/?p=12\">team</a></p></td><td>x</td></tr>\
                    <tr><td><pre>a\n\nb</pre></td></tr></table>";
        let converted = wp(html);
        assert_eq!(
            converted.markdown,
            "<table>\n<caption>Prices</caption>\n<tbody>\n<tr><th colspan=\"2\">Wide</th></tr>\n\
             <tr><td rowspan=\"2\" align=\"center\"><p>One</p> <p>Two &amp; <a href=\"/about/team\">team</a></p></td><td>x</td></tr>\n\
             <tr><td><pre>a&#10;&#10;b</pre></td></tr></tbody></table>"
        );
        let rendered = markdown::render(&converted.markdown);
        assert!(rendered.contains("<table>"), "{rendered}");
        assert!(rendered.contains("colspan=\"2\""), "{rendered}");
        assert!(rendered.contains("</table>"), "{rendered}");
        assert!(
            !rendered.contains("onclick") && !rendered.contains("style"),
            "{rendered}"
        );
    }

    // 6. Ghost

    #[test]
    fn ghost_html_gets_neither_autop_nor_shortcodes() {
        let converted = ghost(
            "<!--kg-card-begin: html-->Line one\nline two [gallery ids=\"12\"]<!--kg-card-end: html-->",
        );
        assert_eq!(
            converted.markdown,
            "Line one line two \\[gallery ids=\"12\"\\]"
        );
        assert!(converted.unknown_shortcodes.is_empty());
    }

    #[test]
    fn ghost_cards_become_links_and_quotes() {
        let html = "<figure class=\"kg-card kg-bookmark-card\"><a class=\"kg-bookmark-container\" \
                    href=\"https://ghost.example/second/\"><div class=\"kg-bookmark-content\"><div \
                    class=\"kg-bookmark-title\">The second post</div><div class=\"kg-bookmark-description\">\
                    About it</div></div><div class=\"kg-bookmark-thumbnail\"><img src=\"https://x.example/t.png\" alt=\"\">\
                    </div></a></figure>\
                    <figure class=\"kg-card kg-embed-card\"><iframe width=\"200\" \
                    src=\"https://www.youtube.com/embed/abc?feature=oembed\"></iframe></figure>\
                    <figure class=\"kg-card kg-embed-card\"><blockquote class=\"twitter-tweet\"></blockquote>\
                    <script src=\"https://platform.twitter.com/widgets.js\"></script></figure>\
                    <div class=\"kg-card kg-callout-card kg-callout-card-grey\"><div class=\"kg-callout-emoji\">💡</div>\
                    <div class=\"kg-callout-text\">Mind <b>this</b>.</div></div>";
        assert_eq!(
            ghost(html).markdown,
            "[The second post](/posts/second)\n\n\
             [https://www.youtube.com/embed/abc?feature=oembed](https://www.youtube.com/embed/abc?feature=oembed)\n\n\
             > 💡 Mind **this**."
        );
    }

    // 7. Text

    #[test]
    fn entities_and_non_latin_text_come_through_as_characters() {
        let converted = wp("<p>Tom &amp; Jerry&#8217;s&nbsp;show — Привет, 世界, مرحبا &lt;3</p>");
        assert_eq!(
            converted.markdown,
            "Tom & Jerry’s\u{a0}show — Привет, 世界, مرحبا <3"
        );
        let rendered = markdown::render(&converted.markdown);
        assert!(rendered.contains("Tom &amp; Jerry’s"), "{rendered}");
        assert!(rendered.contains("Привет, 世界, مرحبا &lt;3"), "{rendered}");
    }

    #[test]
    fn markdown_characters_in_text_stay_text() {
        let html = "<p>2 * 3 * 4 = _x_ and `tick` [not a link](x) &amp;copy; &lt;b&gt;</p>\
                    <p># Not a heading</p><p>1. Not a list</p><p>- nor this</p><p>&gt; nor a quote</p>";
        let converted = ghost(html);
        let rendered = markdown::render(&converted.markdown);
        assert_eq!(
            rendered,
            "<p>2 * 3 * 4 = _x_ and `tick` [not a link](x) &amp;copy; &lt;b&gt;</p>\n\
             <p># Not a heading</p>\n<p>1. Not a list</p>\n<p>- nor this</p>\n<p>&gt; nor a quote</p>\n",
            "{}",
            converted.markdown
        );
    }

    // 8. Stability

    #[test]
    fn output_is_stable_trimmed_and_without_double_blank_lines() {
        let html = format!(
            "\n\n<p>One</p><p></p><p>&nbsp;</p><div><br><br></div><p>Two<br></p>\n\n\n<pre><code>a\n\n\nb</code></pre>\
             <p><img src=\"{CAT_SRC}\" alt=\"x\"></p>\n\n"
        );
        let first = wp(&html);
        assert_eq!(first, wp(&html));
        assert_eq!(
            first.markdown,
            format!("One\n\nTwo\n\n```\na\n\n\nb\n```\n\n![x]({})", cat())
        );
    }

    #[test]
    fn garbage_never_panics_and_never_keeps_scripts() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        const PIECES: &[&str] = &[
            "[",
            "]",
            "[/",
            "[[",
            "]]",
            "caption",
            "gallery ids=\"12,x\"",
            "video",
            "embed",
            "x",
            "\"",
            "'",
            "=",
            " ",
            "\n",
            "\n\n",
            "<p>",
            "</p>",
            "<pre>",
            "</pre>",
            "<code>",
            "<table>",
            "<tr>",
            "<td colspan=2>",
            "<th>",
            "<figure>",
            "<figcaption>",
            "<img src=\"",
            CAT_SRC,
            "\" alt=\"a\">",
            "<a href=\"",
            "javascript:alert(1)",
            "\">",
            "</a>",
            "<script>alert(1)</script>",
            "<!-- wp:x -->",
            "&amp;",
            "&",
            "é",
            "日本",
            "*",
            "_",
            "`",
            "<br>",
            "\\",
            "#",
            "1.",
            "-",
            "|",
            "<!--",
            "-->",
            "<",
        ];
        for _ in 0..400 {
            let html: String = (0..next() % 40)
                .map(|_| PIECES[next() % PIECES.len()])
                .collect();
            for source in [Source::WordPress, Source::Ghost] {
                let converted = convert(&html, source, &Site);
                assert_eq!(converted, convert(&html, source, &Site), "{html:?}");
                let rendered = markdown::render(&converted.markdown).to_ascii_lowercase();
                assert!(!rendered.contains("<script"), "{html:?} → {rendered}");
                assert!(
                    !converted.markdown.contains("javascript:alert(1))"),
                    "{html:?}"
                );
                let fenced = converted.markdown.contains("```");
                assert!(fenced || !converted.markdown.contains("\n\n\n"), "{html:?}");
            }
        }
    }
}
