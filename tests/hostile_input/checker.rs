//! What "harmless HTML" means for a rendered post body, checked on the parsed document (as a
//! browser would see it), not on the text.

use scraper::{Html, Node};

/// Elements that run code, load other documents, submit data or change how the page resolves.
const FORBIDDEN_ELEMENTS: [&str; 18] = [
    "script", "style", "link", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
    "base", "meta", "svg", "math", "template", "noscript", "button", "textarea",
];

/// Attributes whose value is fetched or navigated to (by local name: `xlink:href` in SVG and
/// MathML content is `href`; in HTML content the parser keeps the whole name).
const URL_ATTRIBUTES: [&str; 16] = [
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "srcdoc",
    "data",
    "poster",
    "background",
    "cite",
    "longdesc",
    "dynsrc",
    "lowsrc",
    "codebase",
    "ping",
    "srcset",
];

/// Schemes that run code or embed a document.
const DANGEROUS_SCHEMES: [&str; 4] = ["javascript:", "vbscript:", "data:", "livescript:"];

/// Every way `html` could run code in a visitor's browser; empty when it is harmless.
pub fn violations(html: &str) -> Vec<String> {
    let document = Html::parse_fragment(html);
    let mut found = Vec::new();
    for node in document.tree.nodes() {
        let Node::Element(element) = node.value() else {
            continue;
        };
        let name = element.name().to_ascii_lowercase();
        if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
            found.push(format!("<{name}> element"));
        }
        for (attribute, value) in element.attrs() {
            let attribute = attribute.to_ascii_lowercase();
            if attribute.starts_with("on") {
                found.push(format!("{attribute} handler on <{name}>"));
            }
            if attribute == "style" {
                found.push(format!("style attribute on <{name}>"));
            }
            if attribute == "srcdoc" || attribute == "formaction" {
                found.push(format!("{attribute} attribute on <{name}>"));
            }
            if URL_ATTRIBUTES.contains(&attribute.as_str()) && is_dangerous_url(value) {
                found.push(format!("{attribute}={value:?} on <{name}>"));
            }
        }
    }
    found
}

/// A URL whose scheme, once the tricks browsers forgive are undone (leading and embedded
/// whitespace, control characters, letter case), is one that runs code.
pub fn is_dangerous_url(value: &str) -> bool {
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && !is_invisible(*c))
        .flat_map(char::to_lowercase)
        .collect();
    DANGEROUS_SCHEMES.iter().any(|s| squeezed.starts_with(s))
}

/// Zero-width and other format characters that some parsers drop.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    )
}

/// Panics with the input, the output and what is wrong with it.
pub fn assert_harmless(input: &str, output: &str) {
    let found = violations(output);
    assert!(
        found.is_empty(),
        "unsafe output\n input: {input:?}\noutput: {output:?}\nfound: {found:?}"
    );
}

#[test]
fn the_checker_flags_raw_attacks() {
    let attacks = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\" JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=\"java&#x09;script:alert(1)\">x</a>",
        "<a href=\"java\u{200b}script:alert(1)\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<object data=\"x.swf\"></object>",
        "<embed src=\"x.swf\">",
        "<form action=\"https://evil.example\"><input></form>",
        "<button formaction=\"javascript:alert(1)\">x</button>",
        "<p style=\"background:url(javascript:alert(1))\">x</p>",
        "<style>*{x:expression(alert(1))}</style>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<base href=\"https://evil.example/\">",
        "<math><a xlink:href=\"javascript:alert(1)\">x</a></math>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
        "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">",
        "<div onmouseover=\"alert(1)\">x</div>",
    ];
    for attack in attacks {
        assert!(
            !violations(attack).is_empty(),
            "the checker missed {attack:?}"
        );
    }
}

#[test]
fn the_checker_accepts_what_posts_are_made_of() {
    let harmless = [
        "<p>Hello <strong>world</strong></p>",
        "<a href=\"https://example.com/a?b=c\" rel=\"noopener noreferrer nofollow\">link</a>",
        "<a href=\"/posts/relative\">rel</a> <a href=\"mailto:a@example.com\">mail</a>",
        "<img src=\"https://example.com/x.png\" alt=\"x\">",
        "<h2 id=\"section\">Section</h2><pre><code class=\"language-rust\">fn main() {}</code></pre>",
        "<p>javascript: is only text here, and so is onerror=alert(1)</p>",
        "<table><tr><td align=\"left\">1</td></tr></table>",
        "<ul><li><input type=\"checkbox\" disabled=\"\" checked=\"\"> done</li></ul>",
    ];
    for html in harmless {
        assert_eq!(violations(html), Vec::<String>::new(), "{html:?}");
    }
}

#[test]
fn urls_are_squeezed_before_the_scheme_is_read() {
    assert!(is_dangerous_url("  javascript:x"));
    assert!(is_dangerous_url("JAVA\tSCRIPT:x"));
    assert!(is_dangerous_url("java\nscript:x"));
    assert!(is_dangerous_url("\u{0}javascript:x"));
    assert!(is_dangerous_url("\u{feff}data:text/html,x"));
    assert!(is_dangerous_url("VbScRiPt:x"));
    assert!(!is_dangerous_url("https://example.com/javascript:x"));
    assert!(!is_dangerous_url("/data:x"));
    assert!(!is_dangerous_url("#fn-1"));
}
