//! Generated post bodies: dangerous fragments from a small grammar mixed with random text, in
//! random Markdown contexts. Whatever the mix, the rendered HTML passes the same checker as the
//! known payloads.

use agoat::content::markdown::render;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::checker::assert_harmless;

/// Pieces of attacks; glued together at random they form new ones.
const FRAGMENTS: &[&str] = &[
    "<script>",
    "</script>",
    "<script src=//evil.example/x.js>",
    "<img src=x ",
    "onerror=alert(1)",
    " onload=\"alert(1)\"",
    "<svg",
    "<svg>",
    "</svg>",
    "<math>",
    "<mtext>",
    "<mglyph>",
    "<style>",
    "</style>",
    "<iframe srcdoc=\"",
    "<object data=",
    "<embed src=",
    "<form action=",
    "<button formaction=",
    "<base href=",
    "<meta http-equiv=refresh content=\"0;url=",
    "<noscript>",
    "</noscript>",
    "<template>",
    "</template>",
    "<!--",
    "-->",
    "--!>",
    "<![CDATA[",
    "]]>",
    "<a href=\"",
    "<a href=",
    "xlink:href=",
    " style=\"background:url(",
    "expression(alert(1))",
    "javascript:alert(1)",
    "JaVaScRiPt:",
    "&#106;avascript:",
    "&#x6A;",
    "java\tscript:",
    "java\nscript:",
    "java\u{0}script:",
    "vbscript:",
    "data:text/html,",
    "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    "[x](",
    "![x](",
    "[x][r]\n\n[r]: ",
    "<",
    ">",
    "\"",
    "'",
    "`",
    "=",
    "/",
    ")",
    "]",
    "\n",
    "\n\n",
    "\t",
    "    ",
    "```\n",
    "| a | b |\n|---|---|\n| ",
    "> ",
    "- [ ] ",
    "[^1]\n\n[^1]: ",
    "# ",
    "{#id onclick=alert(1)}",
    "\u{200b}",
    "\u{feff}",
    "\u{0}",
];

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(FRAGMENTS).prop_map(str::to_owned),
        1 => "[a-zA-Z0-9 :;/.#&=\"'<>()\\[\\]-]{0,8}",
        1 => any::<char>().prop_map(String::from),
    ]
}

fn hostile_document() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..40).prop_map(|parts| parts.concat())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 400,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/hostile_input/xss_properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_markdown_renders_harmless(doc in hostile_document()) {
        assert_harmless(&doc, &render(&doc));
    }

    #[test]
    fn rendering_twice_is_still_harmless(doc in hostile_document()) {
        // Stored HTML may be fed back through the renderer (as raw HTML in Markdown).
        let once = render(&doc);
        assert_harmless(&once, &render(&once));
    }
}
