//! Known XSS vectors (OWASP filter-evasion cheat sheet, PortSwigger's XSS cheat sheet, mutation
//! XSS write-ups), each in a post body: the rendered HTML must be harmless.

use agoat::branding;
use agoat::content::markdown::render;

use crate::checker::assert_harmless;

const PAYLOADS: &[&str] = &[
    // Script elements.
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    "<script/xss src=\"https://evil.example/xss.js\"></script>",
    "<<SCRIPT>alert(\"XSS\");//<</SCRIPT>",
    "<script\n>alert(1)</script\n>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "text <script>alert(1)</script> inline",
    "<ScRiPt>alert(1)</sCrIpT>",
    // Event handlers.
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=\"alert(1)\">",
    "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">click</a>",
    "<p/onclick=alert(1)>x</p>",
    "<img src=\"x\" \u{0}onerror=alert(1)>",
    // javascript: and friends in links.
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">x</a>",
    "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)\">x</a>",
    "<a href=\"jav\tascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>",
    "<a href=\"jav&#x0D;ascript:alert(1)\">x</a>",
    "<a href=\" &#14;  javascript:alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<a href=\"java\u{0}script:alert(1)\">x</a>",
    "<a href=\"\u{1}javascript:alert(1)\">x</a>",
    "<a href=\"java\u{200b}script:alert(1)\">x</a>",
    "<a href=\"livescript:alert(1)\">x</a>",
    "<img src=\"javascript:alert(1)\">",
    "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<img srcset=\"javascript:alert(1) 1x\">",
    "<img dynsrc=\"javascript:alert(1)\">",
    "<img lowsrc=\"javascript:alert(1)\">",
    // Markdown links and images.
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](<javascript:alert(1)>)",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x\" onerror=\"alert(1)](https://x.example/a.png)",
    "[x](https://ok.example \"title\\\" onmouseover=\\\"alert(1)\")",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[x][ref]\n\n[ref]: data:text/html,<script>alert(1)</script>",
    "![x][img]\n\n[img]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[x](javascript:alert(1) \"t\")",
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    // Embedding and navigation.
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<object type=\"text/x-scriptlet\" data=\"https://evil.example/x\"></object>",
    "<embed src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<applet code=\"x.class\"></applet>",
    "<frameset><frame src=\"javascript:alert(1)\"></frameset>",
    "<form action=\"javascript:alert(1)\"><input type=submit></form>",
    "<form><button formaction=\"javascript:alert(1)\">go</button></form>",
    "<input type=\"image\" formaction=\"javascript:alert(1)\" src=x>",
    "<isindex action=\"javascript:alert(1)\" type=image>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=data:text/html,<script>alert(1)</script>\">",
    "<base href=\"javascript:alert(1)//\">",
    "<link rel=\"stylesheet\" href=\"javascript:alert(1)\">",
    "<link rel=\"import\" href=\"https://evil.example/x.html\">",
    // Style.
    "<style>body{background:url(\"javascript:alert(1)\")}</style>",
    "<style>@import 'https://evil.example/x.css';</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<div style=\"width: expression(alert(1));\">x</div>",
    "<div style=\"behavior: url(x.htc);\">x</div>",
    "<p STYLE=\"xss:expr/*XSS*/ession(alert(1))\">x</p>",
    "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
    "<td background=\"javascript:alert(1)\">x</td>",
    // Namespace tricks: SVG and MathML.
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=\"0\" y=\"20\">x</text></a></svg>",
    "<svg><animate attributeName=\"href\" values=\"javascript:alert(1)\"/></svg>",
    "<svg><set attributeName=\"onload\" to=\"alert(1)\"/></svg>",
    "<svg><use href=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\"/></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<math><a xlink:href=\"javascript:alert(1)\">x</a></math>",
    "<math><maction actiontype=\"statusline#\" xlink:href=\"javascript:alert(1)\">x</maction></math>",
    "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    // Mutation XSS: noscript, template, comments, CDATA, raw text elements.
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<template><script>alert(1)</script></template>",
    "<template><img src=x onerror=alert(1)></template>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[><img src=x onerror=alert(1)>]]>",
    "<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>",
    "<title><img src=x onerror=alert(1)></title>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<plaintext><img src=x onerror=alert(1)>",
    "<noembed><img title=\"</noembed><img src=x onerror=alert(1)>\"></noembed>",
    "<select><template><img src=x onerror=alert(1)></template></select>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    "<a href=\"https://ok.example\">x<a href=\"javascript:alert(1)\">y</a></a>",
    // Markdown constructs around raw HTML.
    "```\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    "> <script>alert(1)</script>\n> [x](javascript:alert(1))",
    "- [ ] <img src=x onerror=alert(1)>\n- [x] [y](javascript:alert(1))",
    "Text[^1]\n\n[^1]: <script>alert(1)</script> [x](javascript:alert(1))",
    "# Heading {#x onclick=alert(1)}",
    "# Heading {.x onclick=alert(1) style=color:red}",
    "```js\" onmouseover=\"alert(1)\nx\n```",
    "<div>\n\n[x](javascript:alert(1))\n\n</div>",
    "<a href=\"javascript:alert(1)\">\n\n*x*\n\n</a>",
    "<img src=x\nonerror=alert(1)>",
    "<img\tsrc=x\tonerror=alert(1)>",
    "<img src=`x` onerror=alert(1)>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\">",
    "<a href=\"\\x01javascript:alert(1)\">x</a>",
    "<a href=\"%6A%61%76%61%73%63%72%69%70%74:alert(1)\">x</a>",
    "<ａ href=\"javascript:alert(1)\">fullwidth</ａ>",
    "<a href=\"javascript\u{3000}:alert(1)\">x</a>",
];

#[test]
fn known_payloads_render_harmless() {
    assert!(PAYLOADS.len() >= 50, "the table lost payloads");
    for payload in PAYLOADS {
        assert_harmless(payload, &render(payload));
    }
}

#[test]
fn payloads_stay_harmless_inside_ordinary_markdown() {
    for payload in PAYLOADS {
        let wrapped = format!("# Title\n\nSome *text* before.\n\n{payload}\n\n- after\n- list\n");
        assert_harmless(&wrapped, &render(&wrapped));
        let inline = format!("A paragraph {payload} continues.");
        assert_harmless(&inline, &render(&inline));
    }
}

#[test]
fn payloads_in_a_sites_footer_render_harmless() {
    for payload in PAYLOADS {
        let input = branding::Input {
            title: "Site".into(),
            footer_markdown: (*payload).into(),
            language: "en".into(),
            time_zone: "UTC".into(),
            search_language: "english".into(),
            ..branding::Input::default()
        };
        // A payload with a control character is refused outright.
        if let Ok(checked) = branding::check(&input) {
            assert_harmless(payload, &checked.branding.footer_html);
        }
    }
}

#[test]
fn safe_links_and_images_survive() {
    let html = render("[a](https://example.com/x) ![b](/img/b.png) <mailto:a@example.com>");
    assert!(html.contains("href=\"https://example.com/x\""), "{html}");
    assert!(html.contains("src=\"/img/b.png\""), "{html}");
    assert!(html.contains("href=\"mailto:a@example.com\""), "{html}");
}

#[test]
fn links_whose_scheme_is_hidden_by_invisible_characters_are_dropped() {
    for url in [
        "java\u{200b}script:alert(1)",
        "javascript\u{3000}:alert(1)",
        "java\u{ad}script:alert(1)",
        "\u{feff}javascript:alert(1)",
    ] {
        let html = render(&format!("<a href=\"{url}\">x</a>"));
        assert!(!html.contains("href="), "{url:?} → {html}");
        // Markdown percent-encodes the invisible character, which leaves no scheme at all.
        let markdown = format!("[y]({url})");
        assert_harmless(&markdown, &render(&markdown));
    }
    let html = render("[a](/posts/a:b) [b](HTTPS://example.com) [c](#fn-1)");
    assert_eq!(html.matches("href=").count(), 3, "{html}");
}
