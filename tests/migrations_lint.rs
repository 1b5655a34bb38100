//! The portable-SQL rules of docs/design.md §12 as a lint over the SQL files, no database needed:
//! every core migration (`up.sql` and `down.sql`) is portable to PostgreSQL, CockroachDB and Citus,
//! and the per-engine overlays under `migrations-overlays/` hold nothing but engine DDL (Citus
//! needs none: `agoat migrate` places the tables there). Comments, string literals and quoted
//! identifiers are blanked out before matching; findings name the file and line.

use std::fs;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A keyword or identifier, upper-cased.
    Word,
    /// A blanked-out string literal or dollar-quoted body.
    Literal,
    /// A blanked-out quoted identifier.
    Quoted,
    /// Any other single character (`(`, `,`, `.`, `;`, `:`…).
    Punct,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    line: usize,
}

impl Token {
    fn is(&self, word: &str) -> bool {
        self.kind == Kind::Word && self.text == word
    }
}

/// Splits SQL into tokens, dropping `--` and (nested) `/* */` comments and blanking string
/// literals (`'…'`, `E'…'`, `$tag$…$tag$`) and quoted identifiers, keeping line numbers.
fn tokenize(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let count_lines =
        |from: usize, to: usize| chars[from..to].iter().filter(|c| **c == '\n').count();
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let start = i;
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            line += count_lines(start, i.min(chars.len()));
        } else if c == '\'' || ((c == 'E' || c == 'e') && next == Some('\'')) {
            let start = i;
            let backslash_escapes = c != '\'';
            i += if backslash_escapes { 2 } else { 1 };
            while i < chars.len() {
                let escaped = backslash_escapes && chars[i] == '\\';
                let doubled = chars[i] == '\'' && chars.get(i + 1) == Some(&'\'');
                if escaped || doubled {
                    i += 2;
                } else if chars[i] == '\'' {
                    i += 1;
                    break;
                } else {
                    i += 1;
                }
            }
            tokens.push(Token {
                kind: Kind::Literal,
                text: "''".into(),
                line,
            });
            line += count_lines(start, i.min(chars.len()));
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' && chars.get(i + 1) == Some(&'"') {
                    i += 2;
                } else if chars[i] == '"' {
                    i += 1;
                    break;
                } else {
                    i += 1;
                }
            }
            tokens.push(Token {
                kind: Kind::Quoted,
                text: "\"\"".into(),
                line,
            });
            line += count_lines(start, i.min(chars.len()));
        } else if c == '$' && dollar_tag(&chars, i).is_some() {
            let tag = dollar_tag(&chars, i).unwrap_or_default();
            let start = i;
            i += tag.len();
            let close: Vec<char> = tag.chars().collect();
            while i < chars.len() && !chars[i..].starts_with(&close) {
                i += 1;
            }
            i = (i + close.len()).min(chars.len());
            tokens.push(Token {
                kind: Kind::Literal,
                text: "$$".into(),
                line,
            });
            line += count_lines(start, i);
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect::<String>().to_uppercase();
            tokens.push(Token {
                kind: Kind::Word,
                text,
                line,
            });
        } else {
            tokens.push(Token {
                kind: Kind::Punct,
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    tokens
}

/// `$$` or `$tag$` starting at `at`, if there is one.
fn dollar_tag(chars: &[char], at: usize) -> Option<String> {
    let mut j = at + 1;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
        j += 1;
    }
    (j < chars.len() && chars[j] == '$' && !chars.get(at + 1).is_some_and(char::is_ascii_digit))
        .then(|| chars[at..=j].iter().collect())
}

/// Statements (token lists without the `;`).
fn statements(tokens: &[Token]) -> Vec<&[Token]> {
    tokens
        .split(|t| t.kind == Kind::Punct && t.text == ";")
        .filter(|s| !s.is_empty())
        .collect()
}

/// Where the words `seq` (in order, adjacent) start in `tokens`.
fn find_seq(tokens: &[Token], seq: &[&str]) -> Vec<usize> {
    if tokens.len() < seq.len() {
        return Vec::new();
    }
    (0..=tokens.len() - seq.len())
        .filter(|&i| seq.iter().enumerate().all(|(k, w)| tokens[i + k].is(w)))
        .collect()
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    line: usize,
    reason: String,
}

fn finding(line: usize, reason: impl Into<String>) -> Finding {
    Finding {
        line,
        reason: reason.into(),
    }
}

/// Word sequences a portable migration never contains, with what they are.
const FORBIDDEN_SEQUENCES: &[(&[&str], &str)] = &[
    (&["CREATE", "TRIGGER"], "a trigger"),
    (&["CREATE", "CONSTRAINT", "TRIGGER"], "a trigger"),
    (&["CREATE", "OR", "REPLACE", "TRIGGER"], "a trigger"),
    (&["CREATE", "FUNCTION"], "a function"),
    (&["CREATE", "OR", "REPLACE", "FUNCTION"], "a function"),
    (&["CREATE", "PROCEDURE"], "a procedure"),
    (&["CREATE", "OR", "REPLACE", "PROCEDURE"], "a procedure"),
    (&["LANGUAGE", "PLPGSQL"], "PL/pgSQL"),
    (&["CREATE", "SEQUENCE"], "a sequence"),
    (&["AS", "IDENTITY"], "an identity column (a sequence)"),
    (&["LOCK", "TABLE"], "LOCK TABLE"),
    (&["EXCLUDE", "USING"], "an exclusion constraint"),
    (&["INITIALLY", "DEFERRED"], "a deferred constraint"),
    (&["CREATE", "DOMAIN"], "CREATE DOMAIN"),
    (&["PARTITION", "BY"], "declarative partitioning"),
    (&["PARTITION", "OF"], "declarative partitioning"),
    (&["ATTACH", "PARTITION"], "declarative partitioning"),
    (
        &["USING", "HASH"],
        "engine DDL (a hash-sharded or hash index) — put it in an overlay",
    ),
    (
        &["REGIONAL", "BY"],
        "engine DDL (multi-region locality) — put it in an overlay",
    ),
    (
        &["CONFIGURE", "ZONE"],
        "engine DDL (zone configuration) — put it in an overlay",
    ),
    (
        &["SPLIT", "AT"],
        "engine DDL (range splits) — put it in an overlay",
    ),
    (&["ALTER", "SYSTEM"], "a server setting change"),
];

/// Single words a portable migration never contains, with what they are.
const FORBIDDEN_WORDS: &[(&str, &str)] = &[
    ("PLPGSQL", "PL/pgSQL"),
    ("SERIAL", "a SERIAL key (a sequence)"),
    ("SERIAL2", "a SERIAL key (a sequence)"),
    ("SERIAL4", "a SERIAL key (a sequence)"),
    ("SERIAL8", "a SERIAL key (a sequence)"),
    ("SMALLSERIAL", "a SMALLSERIAL key (a sequence)"),
    ("BIGSERIAL", "a BIGSERIAL key (a sequence)"),
    ("NEXTVAL", "a sequence (nextval)"),
    ("SETVAL", "a sequence (setval)"),
    ("INT", "a bare INT (write INT4 or INT8)"),
    ("INTEGER", "a bare INTEGER (write INT4 or INT8)"),
    ("PG_NOTIFY", "NOTIFY"),
    ("SET_CONFIG", "a session setting (set_config)"),
    (
        "SESSION_REPLICATION_ROLE",
        "a session setting (session_replication_role)",
    ),
    (
        "CREATE_DISTRIBUTED_TABLE",
        "engine DDL (Citus) — `agoat migrate` places the tables on a Citus coordinator (src/db/citus.rs)",
    ),
    (
        "CREATE_REFERENCE_TABLE",
        "engine DDL (Citus) — `agoat migrate` places the tables on a Citus coordinator (src/db/citus.rs)",
    ),
    (
        "CREATE_DISTRIBUTED_FUNCTION",
        "engine DDL (Citus) — `agoat migrate` places the tables on a Citus coordinator (src/db/citus.rs)",
    ),
    (
        "UNDISTRIBUTE_TABLE",
        "engine DDL (Citus) — `agoat migrate` places the tables on a Citus coordinator (src/db/citus.rs)",
    ),
    (
        "ALTER_DISTRIBUTED_TABLE",
        "engine DDL (Citus) — `agoat migrate` places the tables on a Citus coordinator (src/db/citus.rs)",
    ),
    (
        "LOCALITY",
        "engine DDL (multi-region locality) — put it in an overlay",
    ),
    (
        "BUCKET_COUNT",
        "engine DDL (hash sharding) — put it in an overlay",
    ),
    (
        "INTERLEAVE",
        "engine DDL (interleaving) — put it in an overlay",
    ),
];

/// Full-text search functions PostgreSQL (and so Citus) has and CockroachDB does not (v25.x):
/// refused in the portable core except in a migration whose directory name ends in
/// [`POSTGRESQL_ONLY`] (which CockroachDB's guide records as applied without running it), and
/// nowhere in the sources but where the table says.
const POSTGRESQL_ONLY_FULL_TEXT: &[(&str, &str)] = &[
    // The search vectors' weights: written by src/search/vector.rs alone, for which CockroachDB's
    // overlay defines an unweighted stand-in.
    ("SETWEIGHT", "src/search/vector.rs"),
    // Parsing a web search: src/search/query.rs builds the tsquery itself.
    ("WEBSEARCH_TO_TSQUERY", ""),
    // Snippets: src/search/snippet.rs makes them from the results shown.
    ("TS_HEADLINE", ""),
    // Ranking by cover density: src/search ranks with ts_rank.
    ("TS_RANK_CD", ""),
];

/// The end of the name of a migration that only PostgreSQL (and Citus) runs.
const POSTGRESQL_ONLY: &str = "_postgresql_only";

/// A column's compression method (`… COMPRESSION lz4`), which only PostgreSQL (and Citus) has:
/// like the full-text functions above, only in a migration named [`POSTGRESQL_ONLY`].
fn postgresql_only_storage(sql: &str) -> Vec<Finding> {
    tokenize(sql)
        .iter()
        .filter(|t| t.is("COMPRESSION"))
        .map(|t| {
            finding(
                t.line,
                format!(
                    "column compression is PostgreSQL-only: only a migration named \
                     *{POSTGRESQL_ONLY} may set it"
                ),
            )
        })
        .collect()
}

/// PostgreSQL-only full-text functions in a core migration.
fn postgresql_only_full_text(sql: &str) -> Vec<Finding> {
    tokenize(sql)
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .filter(|t| POSTGRESQL_ONLY_FULL_TEXT.iter().any(|(f, _)| t.text == *f))
        .map(|t| {
            finding(
                t.line,
                format!(
                    "{}() is PostgreSQL-only full-text search: only a migration named                      *{POSTGRESQL_ONLY} may use it, with its CockroachDB counterpart in the overlay",
                    t.text.to_lowercase()
                ),
            )
        })
        .collect()
}

/// Functions whose value changes per row or per call: bind the time from Rust instead.
const VOLATILE: &[&str] = &[
    "NOW",
    "CURRENT_TIMESTAMP",
    "CLOCK_TIMESTAMP",
    "STATEMENT_TIMESTAMP",
    "TRANSACTION_TIMESTAMP",
    "LOCALTIMESTAMP",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "LOCALTIME",
    "TIMEOFDAY",
    "RANDOM",
    "GEN_RANDOM_UUID",
    "UUID_GENERATE_V4",
];

/// How a core migration statement may begin.
const DDL_STARTS: &[&str] = &["CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT"];
const DML_STARTS: &[&str] = &[
    "INSERT", "UPDATE", "DELETE", "COPY", "MERGE", "TRUNCATE", "WITH",
];

/// Everything in a core migration file that breaks the portable-SQL rules.
fn lint_core(sql: &str) -> Vec<Finding> {
    let tokens = tokenize(sql);
    let mut found = Vec::new();
    for (seq, what) in FORBIDDEN_SEQUENCES {
        for i in find_seq(&tokens, seq) {
            found.push(finding(tokens[i].line, *what));
        }
    }
    for token in &tokens {
        if token.kind != Kind::Word {
            continue;
        }
        for (word, what) in FORBIDDEN_WORDS {
            if token.text == *word {
                found.push(finding(token.line, *what));
            }
        }
        if token.text.starts_with("PG_ADVISORY") || token.text.starts_with("PG_TRY_ADVISORY") {
            found.push(finding(token.line, "an advisory lock"));
        }
        if token.text.starts_with("CITUS_") || token.text.starts_with("CRDB_INTERNAL") {
            found.push(finding(
                token.line,
                "engine-specific DDL — put it in an overlay",
            ));
        }
    }
    // DEFERRABLE, unless it is the default spelled out (NOT DEFERRABLE).
    for (i, token) in tokens.iter().enumerate() {
        if token.is("DEFERRABLE") && !(i > 0 && tokens[i - 1].is("NOT")) {
            found.push(finding(token.line, "a deferrable constraint"));
        }
        if token.is("EXCLUDE")
            && tokens
                .get(i + 1)
                .is_some_and(|t| t.kind == Kind::Punct && t.text == "(")
        {
            found.push(finding(token.line, "an exclusion constraint"));
        }
    }

    let mut has_ddl = false;
    let mut data_changes = Vec::new();
    for statement in statements(&tokens) {
        let first = &statement[0];
        let starts =
            |words: &[&str]| first.kind == Kind::Word && words.contains(&first.text.as_str());
        if starts(DDL_STARTS) {
            has_ddl = true;
        } else if starts(DML_STARTS) {
            data_changes.push(first.clone());
        } else if first.is("DO") {
            found.push(finding(first.line, "a DO block"));
        } else if first.is("LISTEN") || first.is("NOTIFY") || first.is("UNLISTEN") {
            found.push(finding(first.line, "LISTEN/NOTIFY"));
        } else if first.is("SET") || first.is("RESET") {
            found.push(finding(first.line, "a session setting (SET/RESET)"));
        } else if first.is("LOCK") {
            found.push(finding(first.line, "LOCK TABLE"));
        } else {
            found.push(finding(
                first.line,
                format!(
                    "a statement a portable migration does not make ({})",
                    first.text
                ),
            ));
        }
        // ALTER DATABASE/ROLE/USER … SET changes the settings of later sessions.
        if first.is("ALTER")
            && statement
                .get(1)
                .is_some_and(|t| t.is("DATABASE") || t.is("ROLE") || t.is("USER"))
            && statement.iter().any(|t| t.is("SET") || t.is("RESET"))
        {
            found.push(finding(first.line, "a session setting (ALTER … SET)"));
        }
        found.extend(volatile_in_updates(statement));
    }
    if has_ddl {
        for first in data_changes {
            found.push(finding(
                first.line,
                format!("a data change ({}) in a migration with DDL", first.text),
            ));
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Volatile functions after `UPDATE … SET` or `ON CONFLICT DO UPDATE`.
fn volatile_in_updates(statement: &[Token]) -> Vec<Finding> {
    let mut from = None;
    if statement[0].is("UPDATE")
        || (statement[0].is("WITH") && statement.iter().any(|t| t.is("UPDATE")))
    {
        from = statement.iter().position(|t| t.is("SET"));
    }
    if let Some(&i) = find_seq(statement, &["DO", "UPDATE"]).first() {
        from = Some(from.map_or(i, |f| f.min(i)));
    }
    let Some(from) = from else {
        return Vec::new();
    };
    statement[from..]
        .iter()
        .filter(|t| t.kind == Kind::Word && VOLATILE.contains(&t.text.as_str()))
        .map(|t| {
            finding(
                t.line,
                format!(
                    "{}() in an update (bind the value from Rust)",
                    t.text.to_lowercase()
                ),
            )
        })
        .collect()
}

/// Which engine an overlay is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    CockroachDb,
}

/// Everything in an overlay that is not engine DDL: tables, data changes, settings, ordinary
/// indexes (those belong in the portable core).
fn lint_overlay(sql: &str, engine: Engine) -> Vec<Finding> {
    let tokens = tokenize(sql);
    let mut found = Vec::new();
    let all = statements(&tokens);
    if all.is_empty() {
        found.push(finding(1, "an overlay without statements"));
    }
    for statement in all {
        let first = &statement[0];
        let words: Vec<&str> = statement
            .iter()
            .filter(|t| t.kind == Kind::Word)
            .map(|t| t.text.as_str())
            .collect();
        let engine_ddl = match engine {
            Engine::CockroachDb => cockroach_statement(&words),
        };
        if let Err(reason) = engine_ddl {
            found.push(finding(first.line, reason));
        }
    }
    found
}

fn cockroach_statement(words: &[&str]) -> Result<(), String> {
    let has = |seq: &[&str]| words.windows(seq.len()).any(|w| w == seq);
    match words {
        ["CREATE", "INDEX", ..] | ["CREATE", "UNIQUE", "INDEX", ..] => {
            if has(&["USING", "HASH"]) {
                Ok(())
            } else {
                Err("an index without USING HASH belongs in the portable core".into())
            }
        }
        // An inverted index led by a plain column (customer_id), which CockroachDB builds itself
        // and PostgreSQL only with the btree_gin extension.
        ["CREATE", "INVERTED", "INDEX", ..] => Ok(()),
        // The unweighted stand-in for PostgreSQL's setweight (src/search/vector.rs).
        ["CREATE", "FUNCTION", "SETWEIGHT", ..]
        | ["CREATE", "OR", "REPLACE", "FUNCTION", "SETWEIGHT", ..] => Ok(()),
        ["DROP", "INDEX", ..] => Ok(()),
        ["ALTER", "TABLE", ..]
            if has(&["CONFIGURE", "ZONE"])
                || has(&["SET", "LOCALITY"])
                || has(&["ALTER", "PRIMARY", "KEY"]) =>
        {
            Ok(())
        }
        ["ALTER", "DATABASE", ..]
            if has(&["PRIMARY", "REGION"]) || has(&["ADD", "REGION"]) || has(&["SURVIVE"]) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "not CockroachDB engine DDL: {}",
            words.iter().take(4).copied().collect::<Vec<_>>().join(" ")
        )),
    }
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sql_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
}

fn core_migration_files() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter()
        .flat_map(|d| [d.join("up.sql"), d.join("down.sql")])
        .collect()
}

/// Whether the migration of this file is one only PostgreSQL runs.
fn is_postgresql_only(path: &Path) -> bool {
    path.parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir.to_string_lossy().ends_with(POSTGRESQL_ONLY))
}

fn report(path: &Path, findings: &[Finding]) -> Vec<String> {
    let shown = path.strip_prefix(root()).unwrap_or(path);
    findings
        .iter()
        .map(|f| format!("{}:{}: {}", shown.display(), f.line, f.reason))
        .collect()
}

#[test]
fn core_migrations_are_portable() {
    let files = core_migration_files();
    assert!(
        files.len() >= 12,
        "expected every migration's up.sql and down.sql, found {files:?}"
    );
    let mut problems = Vec::new();
    for path in &files {
        let sql = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        problems.extend(report(path, &lint_core(&sql)));
        if !is_postgresql_only(path) {
            problems.extend(report(path, &postgresql_only_full_text(&sql)));
            problems.extend(report(path, &postgresql_only_storage(&sql)));
        }
    }
    assert!(
        problems.is_empty(),
        "non-portable SQL in the core migrations:\n{}",
        problems.join("\n")
    );
}

#[test]
fn overlays_hold_only_engine_ddl() {
    let overlays = root().join("migrations-overlays");
    let mut problems = Vec::new();
    for (engine, dir) in [(Engine::CockroachDb, "cockroachdb")] {
        let files = sql_files(&overlays.join(dir));
        assert!(!files.is_empty(), "no overlay for {dir}");
        for path in files {
            let sql = fs::read_to_string(&path).unwrap();
            problems.extend(report(&path, &lint_overlay(&sql, engine)));
        }
    }
    assert!(
        problems.is_empty(),
        "overlays must hold engine DDL only:\n{}",
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The lint itself
// ---------------------------------------------------------------------------

fn reasons(sql: &str) -> Vec<String> {
    lint_core(sql).into_iter().map(|f| f.reason).collect()
}

#[test]
fn each_rule_flags_its_bad_snippet() {
    let bad = [
        "CREATE TRIGGER t BEFORE UPDATE ON x.y FOR EACH ROW EXECUTE FUNCTION f();",
        "create constraint trigger t after insert on x.y for each row execute procedure f();",
        "CREATE FUNCTION f() RETURNS INT4 AS 'select 1' LANGUAGE sql;",
        "CREATE OR REPLACE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql;",
        "CREATE PROCEDURE p() LANGUAGE sql AS $body$ select 1 $body$;",
        "DO $$ BEGIN PERFORM 1; END $$;",
        "DO 'BEGIN NULL; END';",
        "CREATE TABLE x.y (id SERIAL PRIMARY KEY);",
        "CREATE TABLE x.y (id BIGSERIAL NOT NULL);",
        "CREATE TABLE x.y (id smallserial NOT NULL);",
        "CREATE TABLE x.y (n INT NOT NULL);",
        "CREATE TABLE x.y (n integer NOT NULL);",
        "ALTER TABLE x.y ADD COLUMN n INT;",
        "CREATE TABLE x.y (n INT4 DEFAULT '1'::int);",
        "CREATE SEQUENCE x.s;",
        "CREATE TABLE x.y (id INT8 DEFAULT nextval('x.s'));",
        "CREATE TABLE x.y (id INT8 GENERATED ALWAYS AS IDENTITY);",
        "LISTEN changes;",
        "NOTIFY changes, 'x';",
        "CREATE INDEX i ON x.y (a) WHERE pg_notify('c', 'x') IS NULL;",
        "CREATE INDEX i ON x.y (a) WHERE pg_advisory_xact_lock(1) IS NULL;",
        "LOCK TABLE x.y IN ACCESS EXCLUSIVE MODE;",
        "LOCK x.y;",
        "CREATE TABLE x.y (r tstzrange, EXCLUDE USING gist (r WITH &&));",
        "CREATE TABLE x.y (a INT4 UNIQUE DEFERRABLE INITIALLY DEFERRED);",
        "CREATE DOMAIN x.d AS TEXT;",
        "CREATE TABLE x.y (a INT4) PARTITION BY RANGE (a);",
        "CREATE TABLE x.y1 PARTITION OF x.y FOR VALUES FROM (1) TO (2);",
        "UPDATE x.y SET updated_at = now();",
        "UPDATE x.y SET updated_at = CURRENT_TIMESTAMP WHERE true;",
        "UPDATE x.y SET t = clock_timestamp();",
        "INSERT INTO x.y (a, t) VALUES ('1', '2') ON CONFLICT (a) DO UPDATE SET t = now();",
        "CREATE TABLE x.y (a INT4);\nINSERT INTO x.y VALUES ('1');",
        "ALTER TABLE x.y ADD COLUMN b INT4;\nUPDATE x.y SET b = a;",
        "CREATE TABLE x.y (a INT4);\nDELETE FROM x.y;",
        "CREATE TABLE x.y (a INT4);\nCOPY x.y FROM STDIN;",
        "SET search_path = x;",
        "SET LOCAL app.customer_id = 'x';",
        "RESET ROLE;",
        "CREATE INDEX i ON x.y (a) WHERE set_config('a.b', 'c', true) IS NULL;",
        "ALTER DATABASE d SET timezone = 'UTC';",
        "ALTER ROLE r SET search_path = x;",
        "CREATE INDEX i ON x.y (a) USING HASH;",
        "CREATE INDEX i ON x.y USING HASH (a);",
        "SELECT create_distributed_table('x.y', 'customer_id');",
        "SELECT create_reference_table('x.y');",
        "ALTER TABLE x.y SET LOCALITY REGIONAL BY ROW;",
        "CREATE TABLE x.y (a INT4) LOCALITY GLOBAL;",
        "SELECT 1;",
        "BEGIN;",
    ];
    for sql in bad {
        assert!(!lint_core(sql).is_empty(), "the lint passed {sql:?}");
    }
}

#[test]
fn postgresql_only_full_text_stays_in_its_migrations() {
    for sql in [
        "ALTER TABLE x.y ALTER COLUMN v TYPE TSVECTOR USING (setweight(to_tsvector('english', t), 'A'));",
        "CREATE INDEX i ON x.y (customer_id) WHERE websearch_to_tsquery('a') IS NULL;",
        "CREATE INDEX i ON x.y (customer_id) WHERE ts_headline(t, q) IS NULL;",
        "CREATE INDEX i ON x.y (customer_id) WHERE ts_rank_cd(v, q) > 0;",
    ] {
        assert!(!postgresql_only_full_text(sql).is_empty(), "passed {sql:?}");
    }
    let portable = "CREATE INDEX i ON x.y USING GIN (v);
        -- setweight in a comment, and in a string:
        COMMENT ON COLUMN x.y.v IS 'setweight(…)';
        ALTER TABLE x.y ADD COLUMN v TSVECTOR NOT NULL DEFAULT '';";
    assert_eq!(postgresql_only_full_text(portable), Vec::new());
    let marked = Path::new("migrations/2026-01-01-000001_x_postgresql_only/up.sql");
    assert!(is_postgresql_only(marked));
    assert!(!is_postgresql_only(Path::new(
        "migrations/2026-01-01-000001_x/up.sql"
    )));
}

#[test]
fn column_compression_stays_in_postgresql_only_migrations() {
    for sql in [
        "ALTER TABLE content.posts ALTER COLUMN body_html SET COMPRESSION lz4;",
        "CREATE TABLE x.y (customer_id UUID NOT NULL, body TEXT COMPRESSION pglz);",
    ] {
        assert!(!postgresql_only_storage(sql).is_empty(), "passed {sql:?}");
    }
    let portable = "-- COMPRESSION in a comment
        COMMENT ON COLUMN x.y.v IS 'compression';
        ALTER TABLE x.y ADD COLUMN v TEXT NOT NULL DEFAULT '';";
    assert_eq!(postgresql_only_storage(portable), Vec::new());
}

/// The sources never call a PostgreSQL-only full-text function, but where the table says.
#[test]
fn postgresql_only_full_text_in_the_sources_is_where_it_is_marked() {
    let mut problems = Vec::new();
    for path in rust_files(&root().join("src")) {
        let shown = path
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            let upper = line.to_uppercase();
            for (function, allowed_in) in POSTGRESQL_ONLY_FULL_TEXT {
                if upper.contains(function) && shown != *allowed_in {
                    problems.push(format!(
                        "{shown}:{}: {} is PostgreSQL-only full-text search",
                        number + 1,
                        function.to_lowercase()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn findings_name_the_line() {
    let sql = "CREATE TABLE x.y (\n    a INT4,\n    b INT\n);\nCREATE SEQUENCE x.s;\n";
    let found = lint_core(sql);
    assert!(
        found
            .iter()
            .any(|f| f.line == 3 && f.reason.contains("bare INT")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.line == 5 && f.reason.contains("sequence")),
        "{found:?}"
    );
}

#[test]
fn comments_strings_and_quoted_names_do_not_trigger_rules() {
    let good = "\
-- A trigger would be simpler; we use INT4 and never SERIAL or now() in UPDATE … SET.
/* CREATE TRIGGER t; LOCK TABLE x; /* nested */ DO $$ $$ */
CREATE SCHEMA x;
CREATE TABLE x.y (
    customer_id UUID NOT NULL,
    id UUID NOT NULL,
    \"int\" INT4 NOT NULL, -- quoted name
    kind VARCHAR(20) NOT NULL DEFAULT 'SERIAL; CREATE TRIGGER; now()',
    note TEXT NOT NULL DEFAULT E'it''s \\' LOCK TABLE',
    n INT8 NOT NULL,
    s INT2 NOT NULL,
    big BIGINT NOT NULL,
    small SMALLINT NOT NULL,
    price NUMERIC(10, 2) NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, id),
    CONSTRAINT y_kind CHECK (kind ~ '^[A-Z]{3}$'),
    CONSTRAINT y_unique UNIQUE (customer_id, n) NOT DEFERRABLE
);
CREATE INDEX y_by_time ON x.y (customer_id, at DESC) WHERE kind <> 'DO $$';
ALTER TABLE x.y ENABLE ROW LEVEL SECURITY;
ALTER TABLE x.y FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON x.y
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);
ALTER TABLE x.y ALTER COLUMN n SET DEFAULT 0;
ALTER TABLE x.y ADD COLUMN flag BOOL NOT NULL DEFAULT FALSE;
COMMENT ON TABLE x.y IS 'INSERT INTO never runs here';
CREATE ROLE r NOLOGIN NOBYPASSRLS;
GRANT USAGE ON SCHEMA x TO agoat_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON x.y TO agoat_app;
REVOKE UPDATE ON x.y FROM agoat_app;
DROP INDEX x.y_by_time;
";
    assert_eq!(reasons(good), Vec::<String>::new());
    let data_only = "INSERT INTO x.y (a) VALUES ('1');\nUPDATE x.y SET a = '2' WHERE a = '1';";
    assert_eq!(
        reasons(data_only),
        Vec::<String>::new(),
        "a data-only migration is allowed"
    );
}

#[test]
fn overlays_refuse_anything_but_engine_ddl() {
    let cockroach_bad = [
        "CREATE TABLE x.y (a INT4);",
        "CREATE INDEX i ON x.y (a);",
        "INSERT INTO x.y VALUES ('1');",
        "SELECT create_distributed_table('x.y', 'customer_id');",
        "ALTER TABLE x.y ADD COLUMN b INT4;",
        "SET sql_safe_updates = false;",
        "-- only a comment",
        "CREATE FUNCTION other(v TSVECTOR) RETURNS TSVECTOR LANGUAGE SQL AS $$ SELECT v $$;",
    ];
    for sql in cockroach_bad {
        assert!(
            !lint_overlay(sql, Engine::CockroachDb).is_empty(),
            "passed {sql:?}"
        );
    }
    let cockroach_good = "-- hash-sharded\nCREATE INDEX a_hashed ON x.y (customer_id, at DESC) USING HASH;\nDROP INDEX x.y@a;\n\
        CREATE INVERTED INDEX v_by_customer ON x.y (customer_id, v);\n\
        CREATE FUNCTION setweight(v TSVECTOR, w STRING) RETURNS TSVECTOR IMMUTABLE LANGUAGE SQL AS $$ SELECT v $$;\n";
    assert_eq!(
        lint_overlay(cockroach_good, Engine::CockroachDb),
        Vec::new()
    );
}
