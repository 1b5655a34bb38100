//! The layers of the code as a lint over the sources, no build or database needed:
//!
//! `web` (HTTP: routes, pages, sessions, middleware) → the domain modules (`tenancy`, `content`,
//! `thorne`, `audit`) → `db`.
//!
//! 1. Nothing outside `src/web` and `src/cli` imports `crate::web`: a domain module never depends on
//!    HTTP, so the command line, the importers and the tests can use it without a server.
//! 2. Nothing outside `src/cli` imports `crate::cli`.
//! 3. No file under `src/web` names `db::schema` or builds a diesel query: handlers call the query
//!    functions of the domain modules, which take the tenant `Scope` and add `customer_id`
//!    themselves.
//!
//! Comments are skipped; findings name the file and line.

use std::fs;
use std::path::{Path, PathBuf};

/// What a file under `src/web` must not contain: table definitions and diesel's query building.
const QUERY_BUILDING: &[&str] = &[
    "db::schema",
    "schema::",
    "diesel::",
    "diesel_async",
    "RunQueryDsl",
    "QueryDsl",
    "ExpressionMethods",
    "sql_query",
];

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    file: String,
    line: usize,
    rule: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.rule)
    }
}

/// The module path of a source file relative to `src/`: `web/admin/mod.rs` → `web`.
fn top_module(relative: &str) -> &str {
    relative
        .split('/')
        .next()
        .unwrap_or(relative)
        .trim_end_matches(".rs")
}

/// The text with `//` comments (doc comments included) and `/* */` blocks replaced by spaces,
/// string literals kept; line breaks are kept so that offsets map to the same lines.
fn without_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            if c == b'\\' && i + 1 < bytes.len() {
                out.push(c as char);
                out.push(bytes[i + 1] as char);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_string = false;
            }
            out.push(c as char);
            i += 1;
            continue;
        }
        if c == b'"' {
            in_string = true;
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                out.push(if bytes[i] == b'\n' { '\n' } else { ' ' });
                i += 1;
            }
            i += 2;
            continue;
        }
        // Non-ASCII bytes never start a token we look for; keep the line count right.
        out.push(if c.is_ascii() { c as char } else { ' ' });
        i += 1;
    }
    out
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Offsets where `crate::<module>` is named: directly (`crate::web::…`, `crate::web;`) or inside
/// a `use crate::{…}` group at its top level (`use crate::{web, db}`, `{web::AppState}`).
fn names_module(code: &str, module: &str) -> Vec<usize> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let direct = format!("crate::{module}");
    let mut from = 0;
    while let Some(at) = code[from..].find(&direct) {
        let start = from + at;
        let end = start + direct.len();
        let before_ok = start == 0 || !is_ident_byte(bytes[start - 1]);
        let after_ok = end >= bytes.len() || !is_ident_byte(bytes[end]);
        if before_ok && after_ok {
            found.push(start);
        }
        from = end;
    }
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::{") {
        let open = from + at + "crate::".len();
        let mut depth = 0;
        let mut i = open;
        while i < bytes.len() {
            match bytes[i] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ if depth == 1 && code[i..].starts_with(module) => {
                    let end = i + module.len();
                    let before_ok = !is_ident_byte(bytes[i - 1]) && bytes[i - 1] != b':';
                    let after_ok = end >= bytes.len() || !is_ident_byte(bytes[end]);
                    if before_ok && after_ok {
                        found.push(i);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        from = i.max(open + 1);
    }
    found.sort_unstable();
    found
}

/// Every rule broken by the file `relative` (a path under `src/`) with contents `text`.
fn check(relative: &str, text: &str) -> Vec<Finding> {
    let code = without_comments(text);
    let module = top_module(relative);
    let mut findings = Vec::new();
    let mut report = |offset: usize, rule: String| {
        findings.push(Finding {
            file: format!("src/{relative}"),
            line: line_of(&code, offset),
            rule,
        })
    };
    let outside_http = !matches!(module, "web" | "cli" | "lib" | "main");
    if outside_http {
        for at in names_module(&code, "web") {
            report(
                at,
                format!(
                    "`{module}` imports `crate::web`: only `web` and `cli` may; move what it needs \
                     out of `web` (domain code never depends on HTTP)"
                ),
            );
        }
    }
    if !matches!(module, "cli" | "lib" | "main") {
        for at in names_module(&code, "cli") {
            report(
                at,
                format!("`{module}` imports `crate::cli`: only `cli` may"),
            );
        }
    }
    if module == "web" {
        for pattern in QUERY_BUILDING {
            let mut from = 0;
            while let Some(at) = code[from..].find(pattern) {
                let start = from + at;
                let before_ok = start == 0 || !is_ident_byte(code.as_bytes()[start - 1]);
                if before_ok {
                    report(
                        start,
                        format!(
                            "`{pattern}` under src/web: handlers call the query functions of the \
                             domain modules (which take a `Scope`), never diesel or the schema"
                        ),
                    );
                }
                from = start + pattern.len();
            }
        }
    }
    findings.sort_by_key(|f| f.line);
    findings.dedup_by_key(|f| f.line);
    findings
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_sources_keep_their_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "the sources were not found");
    let mut findings = Vec::new();
    for path in &files {
        let relative = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = fs::read_to_string(path).unwrap();
        findings.extend(check(&relative, &text));
    }
    let report: Vec<String> = findings.iter().map(Finding::to_string).collect();
    assert!(
        report.is_empty(),
        "the layers are broken (web → tenancy, content, thorne, audit → db):\n{}",
        report.join("\n")
    );
}

#[test]
fn a_domain_module_importing_web_is_named_with_its_line() {
    let text = "//! Posts.\n\nuse crate::db::Conn;\nuse crate::web::AppState;\n";
    assert_eq!(
        check("content/posts.rs", text)
            .iter()
            .map(|f| (f.file.as_str(), f.line))
            .collect::<Vec<_>>(),
        [("src/content/posts.rs", 4)]
    );
    // In a `use` group, on a later line, and as a whole path in code.
    let grouped = "use crate::{\n    db::Conn,\n    web::site::RequestSite,\n};\n";
    assert_eq!(check("tenancy/x.rs", grouped)[0].line, 3);
    let inline = "fn f() {\n    let _ = crate::web::MAX_FORM_BYTES;\n}\n";
    assert_eq!(check("thorne/x.rs", inline)[0].line, 2);
    assert_eq!(check("audit/x.rs", "use crate::{web};\n").len(), 1);
    assert_eq!(check("db/x.rs", "use crate::cli::Failure;\n").len(), 1);
}

#[test]
fn web_and_cli_may_import_web_and_comments_do_not_count() {
    assert!(check("cli/serve.rs", "use crate::web::AppState;\n").is_empty());
    assert!(check("web/admin/mod.rs", "use crate::web::auth::CurrentUser;\n").is_empty());
    let commented = "//! See [`crate::web::AppState`].\n/* crate::web */\nuse crate::webhooks;\n";
    assert!(check("content/x.rs", commented).is_empty());
}

#[test]
fn a_handler_building_a_query_is_named_with_its_line() {
    let text = "use crate::content::posts;\n\nuse diesel::prelude::*;\nuse crate::db::schema::content::posts as p;\n";
    let lines: Vec<usize> = check("web/admin/posts/list.rs", text)
        .iter()
        .map(|f| f.line)
        .collect();
    assert_eq!(lines, [3, 4]);
    let grouped = "use crate::db::{Conn, schema::content::posts};\n";
    assert_eq!(check("web/pages/post.rs", grouped).len(), 1);
    let raw = "fn f() {\n    let q = sql_query(\"SELECT 1\");\n}\n";
    assert_eq!(check("web/ops.rs", raw)[0].line, 2);
    // The same in a domain module is what domain modules are for.
    assert!(check("content/posts.rs", text).is_empty());
}
