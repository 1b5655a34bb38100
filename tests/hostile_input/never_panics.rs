//! Every parser of outside input refuses garbage with an error, never a panic, and what it
//! accepts keeps its promises — among them, that it holds no control character but the tabs and
//! line breaks of a multi-line text.

use std::str::FromStr;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use agoat::branding::colour::{Accent, Colour, MIN_CONTRAST};
use agoat::branding::{self, language_tag, social};
use agoat::config::TrustedProxies;
use agoat::content::front_matter::{self, slugify, valid_slug};
use agoat::content::markdown::{excerpt, render};
use agoat::input::{Shape, control_character};
use agoat::search::query::{MAX_WORDS, Query};
use agoat::search::snippet::{Snippet, WINDOW_WORDS, plain_text};
use agoat::tenancy::host::{normalize, normalize_domain};
use agoat::thorne::csv_import;
use agoat::thorne::money::{format_price, parse_price};
use agoat::web::client::resolve;
use agoat::web::input_guard::{address_problem, form_problem};
use bigdecimal::BigDecimal;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 300,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/hostile_input/never_panics.txt",
        ))),
        ..ProptestConfig::default()
    }
}

/// Bytes as a header or form value might bring them, made into a string the lossy way.
fn lossy() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), 0..80)
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// Text laced with control characters: NUL, the rest of C0, DEL and C1 among ordinary ones.
fn control_laced() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\\x00-\\x1F\\x7F\\u{80}-\\u{9F}a-zA-Z0-9 .:,=&%+\\-]{0,40}",
        "[a-z0-9]{0,10}\\x00[a-z0-9]{0,10}",
        "\\PC{0,10}[\\x00-\\x1F]\\PC{0,10}",
    ]
}

/// Host-like text: mostly the characters hosts are made of, with some of everything else.
fn host_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9.:\\-_\\[\\]]{0,40}",
        "[a-z0-9.\\-]{0,20}(:[0-9]{0,6})?",
        "\\PC{0,30}",
        lossy(),
        "(xn--[a-z0-9\\-]{0,12}\\.){1,3}[a-z]{0,5}",
        control_laced(),
    ]
}

/// What a visitor might type into a search box: words, operators, quotes and anything else.
fn search_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 \"'\\-&|!:*()<>\\\\]{0,80}",
        "((OR|-|\"|[a-z]{1,6}) ){0,30}",
        "\\PC{0,300}",
        lossy(),
        control_laced(),
    ]
}

fn price_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ ]?[0-9]{0,12}(\\.[0-9]{0,4})?[ ]?",
        "[-+0-9.,eE ]{0,16}",
        "\\PC{0,16}",
        lossy(),
        control_laced(),
    ]
}

/// A file with front matter: a fence, YAML-ish lines made of key words and garbage, a fence,
/// a body.
fn front_matter_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("title: x".to_owned()),
        Just("date: 2024-05-01".to_owned()),
        Just("draft: yes".to_owned()),
        Just("tags: [a, b".to_owned()),
        Just("slug: ---".to_owned()),
        Just("- !!binary".to_owned()),
        Just("&a [*a, *a]".to_owned()),
        "[a-zA-Z]{0,8}: \\PC{0,20}",
        "\\PC{0,30}",
        Just("title: \"a\\0b\"".to_owned()),
        Just("tags: [\"x\\u001b\"]".to_owned()),
        "[a-zA-Z]{0,8}: "
            .prop_flat_map(|key| control_laced().prop_map(move |v| format!("{key}{v}"))),
    ];
    (
        prop_oneof![Just("---"), Just("+++"), Just("\u{feff}---"), Just("")],
        proptest::collection::vec(line, 0..8),
        prop_oneof![Just("---"), Just("..."), Just("")],
        prop_oneof!["\\PC{0,40}", control_laced()],
        prop_oneof![Just("\n"), Just("\r\n")],
    )
        .prop_map(|(open, lines, close, body, eol)| {
            let mut text = format!("{open}{eol}");
            for line in lines {
                text.push_str(&line);
                text.push_str(eol);
            }
            format!("{text}{close}{eol}{body}")
        })
}

fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![
        Just(csv_import::COLUMNS.join(",")),
        Just("sku,retail_price".to_owned()),
        Just("sku,sku,name".to_owned()),
        Just(String::new()),
        "[a-z_,\"]{0,40}",
    ];
    let field = prop_oneof![
        "[A-Z0-9\\-]{0,8}",
        "[0-9]{0,9}(\\.[0-9]{0,3})?",
        Just("\"quoted, with comma\"".to_owned()),
        Just("\"unterminated".to_owned()),
        Just("true".to_owned()),
        Just("=HYPERLINK(\"x\")".to_owned()),
        "\\PC{0,10}",
        Just("\"a\0b\"".to_owned()),
        control_laced().prop_map(|v| format!("\"{}\"", v.replace('"', "\"\""))),
    ];
    let row = proptest::collection::vec(field, 0..9).prop_map(|fields| fields.join(","));
    (
        prop_oneof![Just(&b""[..]), Just(&b"\xEF\xBB\xBF"[..])],
        header,
        proptest::collection::vec(row, 0..6),
        proptest::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(|(bom, header, rows, tail)| {
            let mut data = bom.to_vec();
            data.extend_from_slice(header.as_bytes());
            for row in rows {
                data.push(b'\n');
                data.extend_from_slice(row.as_bytes());
            }
            data.extend_from_slice(&tail);
            data
        })
}

/// What a forwarding header or a list of trusted proxies might hold: addresses, ports, brackets,
/// quotes, separators, and anything else.
fn forwarded_like() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[0-9a-fA-F.:\\[\\]\",;= _/a-zA-Z\\\\]{0,60}",
        "((for|proto|by|host)=(\"?\\[?[0-9a-f:.]{0,20}\\]?(:[0-9]{0,6})?\"?|https?|_x|unknown)[;,] ?){0,6}",
        "(([0-9]{1,3}\\.){3}[0-9]{1,3}(/[0-9]{1,2})?, ?){0,6}",
        "\\PC{0,60}",
    ]
    .prop_map(String::into_bytes)
    .boxed()
    .prop_union(proptest::collection::vec(any::<u8>(), 0..80).boxed())
}

/// Header lines (name, value) of the three forwarding headers, only those a request can carry.
fn forwarding_lines() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    proptest::collection::vec((0u8..3, forwarded_like()), 0..5)
}

fn header_map(lines: &[(u8, Vec<u8>)]) -> HeaderMap {
    let names = ["x-forwarded-for", "x-forwarded-proto", "forwarded"];
    let mut map = HeaderMap::new();
    for (name, value) in lines {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.append(HeaderName::from_static(names[*name as usize]), value);
        }
    }
    map
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn host_normalisation_never_panics_and_is_stable(raw in host_like()) {
        if let Ok(host) = normalize(&raw) {
            prop_assert!(!host.is_empty() && host.len() <= 253, "{host:?}");
            prop_assert!(
                host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b)),
                "{raw:?} → {host:?}"
            );
            prop_assert_eq!(normalize(&host), Ok(host.clone()), "normalising twice changes {:?}", raw);
        }
        if let Ok(domain) = normalize_domain(&raw) {
            prop_assert!(!domain.contains(':') && !domain.contains('/'));
        }
    }

    #[test]
    fn price_parsing_never_panics_and_keeps_its_range(text in price_like()) {
        if let Ok(price) = parse_price(&text) {
            let zero = BigDecimal::from(0);
            prop_assert!(price >= zero, "{text:?} → {price}");
            prop_assert!(price <= BigDecimal::from_str("99999999.99").unwrap(), "{text:?} → {price}");
            prop_assert_eq!(price.as_bigint_and_exponent().1, 2, "{:?} keeps two decimals", text);
            prop_assert_eq!(parse_price(&price.to_string()), Ok(price.clone()));
            let shown = format_price(&price, "USD");
            prop_assert!(shown.starts_with('$'), "{shown}");
        }
    }

    #[test]
    fn front_matter_never_panics(source in front_matter_like()) {
        if let Ok(post) = front_matter::parse(&source) {
            let title = post.front.title.trim();
            prop_assert!(!title.is_empty());
            prop_assert!(post.front.slug.as_deref().is_none_or(valid_slug));
            prop_assert_eq!(control_character(title, Shape::Line), None, "{:?}", source);
            for tag in &post.front.tags {
                prop_assert_eq!(control_character(tag, Shape::Line), None, "{:?}", source);
            }
            let description = post.front.description.as_deref().unwrap_or("");
            prop_assert_eq!(control_character(description, Shape::Text), None, "{:?}", source);
            prop_assert_eq!(control_character(&post.body, Shape::Text), None, "{:?}", source);
        }
    }

    #[test]
    fn front_matter_never_panics_on_bytes(source in lossy()) {
        let _ = front_matter::parse(&source);
        let _ = front_matter::parse(&format!("---\n{source}\n---\n"));
    }

    #[test]
    fn slugs_are_valid_or_empty(title in "\\PC{0,250}") {
        let slug = slugify(&title);
        prop_assert!(slug.is_empty() || valid_slug(&slug), "{title:?} → {slug:?}");
    }

    #[test]
    fn csv_import_parsing_never_panics(data in csv_like()) {
        if let Ok(rows) = csv_import::parse(&data) {
            for row in rows {
                prop_assert!(!row.sku.trim().is_empty());
                for line in [Some(&row.sku), row.name.as_ref(), row.category.as_ref()].into_iter().flatten() {
                    prop_assert_eq!(control_character(line, Shape::Line), None, "{:?}", row);
                }
                let description = row.description.as_deref().unwrap_or("");
                prop_assert_eq!(control_character(description, Shape::Text), None, "{:?}", row);
            }
        }
    }

    #[test]
    fn addresses_with_a_control_character_are_refused(
        path in prop_oneof!["[a-z0-9/\\-]{0,20}", control_laced()],
        query in prop_oneof!["[a-z0-9=&]{0,20}", control_laced()],
    ) {
        let encode = |text: &str| urlencoding::encode(text).replace("%2F", "/").replace("%3D", "=").replace("%26", "&");
        let address = format!("/{}?{}", encode(&path), encode(&query));
        let Ok(uri) = address.parse::<actix_web::http::Uri>() else {
            return Ok(());
        };
        let laced = control_character(&path, Shape::Line).is_some()
            || control_character(&query.replace('+', " "), Shape::Line).is_some();
        prop_assert_eq!(address_problem(&uri).is_some(), laced, "{}", address);
    }

    #[test]
    fn forms_with_a_control_character_are_refused(
        fields in proptest::collection::vec(("[a-z_]{1,10}", prop_oneof!["\\PC{0,20}", control_laced(), "[a-z\\t\\r\\n]{0,10}"]), 0..6),
    ) {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        let laced = fields.iter().any(|(_, v)| control_character(v, Shape::Text).is_some());
        prop_assert_eq!(form_problem(body.as_bytes()).is_some(), laced, "{}", body);
    }

    #[test]
    fn csv_import_parsing_never_panics_on_bytes(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = csv_import::parse(&data);
    }

    #[test]
    fn markdown_never_panics_on_control_characters(text in control_laced(), max in 0usize..60) {
        let _ = render(&text);
        prop_assert!(excerpt(&text, max).chars().count() <= max);
    }

    #[test]
    fn markdown_never_panics(text in "\\PC{0,200}", max in 0usize..60) {
        let _ = render(&text);
        prop_assert!(excerpt(&text, max).chars().count() <= max);
    }

    #[test]
    fn markdown_never_panics_on_bytes(text in lossy(), max in 0usize..60) {
        let _ = render(&text);
        prop_assert!(excerpt(&text, max).chars().count() <= max);
    }

    #[test]
    fn search_queries_never_panic_and_keep_their_operands_quoted(typed in search_like()) {
        let query = Query::parse(&typed);
        let text = query.to_tsquery();
        // Between quotes only letters and digits, lower-cased (the lower case of `İ` is `i`
        // and a combining dot above, as PostgreSQL lower-cases it too); outside them only the
        // operators built here.
        for (i, part) in text.split('\'').enumerate() {
            if i % 2 == 1 {
                prop_assert!(
                    part.chars().all(|c| c.is_alphanumeric() || c == '\u{307}'),
                    "{:?} gave {:?}", typed, text
                );
            } else {
                prop_assert!(
                    part.chars().all(|c| " &|!()<->".contains(c)),
                    "{:?} gave {:?}", typed, text
                );
            }
        }
        let words: usize = text.split('\'').skip(1).step_by(2).count();
        prop_assert!(words <= MAX_WORDS);
        prop_assert_eq!(query.has_words(), !query.wanted_tsquery().is_empty());
    }

    #[test]
    fn snippets_never_panic_and_stay_short(text in "\\PC{0,400}", typed in search_like()) {
        let query = Query::parse(&typed);
        let matches = query.wanted_words().iter().map(|w| w.to_string()).collect();
        let snippet = Snippet::best_passage(&text, &matches);
        let shown: String = snippet.pieces.iter().map(|p| p.text.as_str()).collect();
        prop_assert!(text.contains(&shown));
        let words = shown.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).count();
        prop_assert!(words <= WINDOW_WORDS);
        let _ = Snippet::whole(&text, &matches);
        let _ = plain_text(&text);
    }

    #[test]
    fn branding_parsers_never_panic_and_what_they_take_reads_back_the_same(
        text in prop_oneof![
            "#[0-9a-fA-F]{0,7}",
            "[a-zA-Z]{1,9}(-[a-zA-Z0-9]{1,9}){0,4}",
            "https?://[a-zA-Z0-9.\\-]{0,20}(/[a-zA-Z0-9@_\\-]{0,10}){0,2}",
            "[A-Za-z_]{1,12}/[A-Za-z_]{1,14}",
            "\\PC{0,40}",
            lossy(),
            control_laced(),
        ]
    ) {
        if let Ok(colour) = text.parse::<Colour>() {
            prop_assert_eq!(colour.to_string().parse::<Colour>(), Ok(colour));
            if let Ok(accent) = Accent::check(colour) {
                prop_assert!(accent.colour.contrast(accent.text) >= MIN_CONTRAST);
                prop_assert!(!accent.stylesheet().contains(['<', '\\', '"']));
            }
        }
        if let Ok(tag) = language_tag::normalise(&text) {
            prop_assert!(tag.len() <= language_tag::MAX_LEN);
            prop_assert!(tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{:?}", tag);
            prop_assert_eq!(language_tag::normalise(&tag), Ok(tag.clone()));
        }
        if let Ok(links) = social::check(&[&text]) {
            for link in &links {
                prop_assert!(link.starts_with("https://"), "{:?}", link);
                prop_assert_eq!(control_character(link, Shape::Line), None);
                prop_assert_eq!(social::check(&[link]), Ok(vec![link.clone()]));
            }
        }
        if let Ok(zone) = branding::time_zone(&text) {
            prop_assert_eq!(branding::time_zone(&zone), Ok(zone.clone()));
        }
    }

    #[test]
    fn trusted_proxy_lists_never_panic(text in forwarded_like()) {
        let text = String::from_utf8_lossy(&text);
        if let Ok(trusted) = TrustedProxies::parse(&text) {
            let _ = trusted.contains("10.0.0.1".parse().unwrap());
        }
    }

    #[test]
    fn forwarding_headers_never_panic_and_name_no_one_a_client_chose(
        lines in forwarding_lines(),
        https in any::<bool>(),
    ) {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let mut map = header_map(&lines);
        // From an untrusted peer: the peer, over the connection's own scheme.
        let peer = "203.0.113.7".parse().unwrap();
        let direct = resolve(Some(peer), https, &map, &trusted);
        prop_assert_eq!(direct.ip, Some(peer));
        prop_assert_eq!(direct.https, https);
        // From a trusted proxy: some address, never a panic.
        let proxy = "10.0.0.1".parse().unwrap();
        prop_assert!(resolve(Some(proxy), https, &map, &trusted).ip.is_some());
        // Whatever came before, the address a trusted proxy appends last is the client.
        let family = if map.contains_key("x-forwarded-for") || map.contains_key("x-forwarded-proto") {
            ("x-forwarded-for", "198.51.100.7")
        } else {
            ("forwarded", "for=198.51.100.7")
        };
        map.append(HeaderName::from_static(family.0), HeaderValue::from_static(family.1));
        let client = resolve(Some(proxy), https, &map, &trusted);
        prop_assert_eq!(client.ip, Some("198.51.100.7".parse().unwrap()), "{:?}", map);
    }
}
