//! The key rules of docs/design.md §1 as tests over every table: tenant column first in each key
//! and index, composite foreign keys, row-level security forced, the right types; and the
//! portable-SQL rules over every migration file.

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Nullable, Text};
use diesel_async::RunQueryDsl;

use crate::common::TestDb;

const DOMAIN_SCHEMAS: &str = "('tenancy', 'content', 'thorne', 'audit')";
/// The tenant root (keyed by its own id) and the global domain directory (keyed by host).
const NOT_TENANT_KEYED: [&str; 2] = ["tenancy.customers", "tenancy.domains"];

#[derive(QueryableByName, Debug)]
struct TableFacts {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Bool)]
    rls_enabled: bool,
    #[diesel(sql_type = Bool)]
    rls_forced: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pk_first_column: Option<String>,
    #[diesel(sql_type = Bool)]
    has_customer_id: bool,
}

#[derive(QueryableByName, Debug)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    detail: String,
}

async fn tables(db: &TestDb) -> Vec<TableFacts> {
    let mut conn = db.owner_conn().await;
    diesel::sql_query(format!(
        "SELECT n.nspname || '.' || c.relname AS table_name,
                c.relrowsecurity AS rls_enabled,
                c.relforcerowsecurity AS rls_forced,
                (SELECT a.attname::text FROM pg_constraint k
                   JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
                  WHERE k.conrelid = c.oid AND k.contype = 'p') AS pk_first_column,
                EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = 'customer_id' AND NOT a.attisdropped) AS has_customer_id
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND n.nspname IN {DOMAIN_SCHEMAS}
          ORDER BY 1"
    ))
    .load(&mut conn)
    .await
    .unwrap()
}

#[actix_web::test]
async fn every_domain_lives_in_its_own_schema() {
    let db = TestDb::new().await;
    let names: Vec<String> = tables(&db)
        .await
        .into_iter()
        .map(|t| t.table_name)
        .collect();
    for expected in [
        "tenancy.customers",
        "tenancy.sites",
        "tenancy.domains",
        "tenancy.users",
        "content.posts",
        "content.post_revisions",
        "thorne.products",
        "audit.events",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[actix_web::test]
async fn every_table_forces_row_level_security() {
    let db = TestDb::new().await;
    for table in tables(&db).await {
        assert!(
            table.rls_enabled && table.rls_forced,
            "{} does not force row-level security",
            table.table_name
        );
    }
}

#[actix_web::test]
async fn tenant_tables_lead_their_primary_key_with_the_customer() {
    let db = TestDb::new().await;
    for table in tables(&db).await {
        if NOT_TENANT_KEYED.contains(&table.table_name.as_str()) {
            continue;
        }
        assert!(
            table.has_customer_id,
            "{} has no customer_id",
            table.table_name
        );
        assert_eq!(
            table.pk_first_column.as_deref(),
            Some("customer_id"),
            "{} primary key does not start with customer_id",
            table.table_name
        );
    }
}

#[actix_web::test]
async fn foreign_keys_between_tenant_tables_include_the_customer() {
    let db = TestDb::new().await;
    let mut conn = db.owner_conn().await;
    let keys: Vec<Named> = diesel::sql_query(format!(
        "SELECT k.conname::text AS name,
                (SELECT string_agg(a.attname::text, ',' ORDER BY a.attnum) FROM pg_attribute a
                  WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey))
                || ' -> ' || k.confrelid::regclass::text AS detail
           FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE k.contype = 'f' AND n.nspname IN {DOMAIN_SCHEMAS}"
    ))
    .load(&mut conn)
    .await
    .unwrap();
    assert!(!keys.is_empty());
    for key in keys {
        let (columns, target) = key.detail.split_once(" -> ").unwrap();
        let columns: Vec<&str> = columns.split(',').collect();
        assert!(
            columns.contains(&"customer_id"),
            "{} ({}) does not include customer_id",
            key.name,
            key.detail
        );
        if target != "tenancy.customers" {
            assert!(
                columns.len() >= 2,
                "{} ({}) is not composite",
                key.name,
                key.detail
            );
        }
    }
}

#[actix_web::test]
async fn secondary_indexes_start_with_the_customer() {
    let db = TestDb::new().await;
    let mut conn = db.owner_conn().await;
    let indexes: Vec<Named> = diesel::sql_query(format!(
        "SELECT i.relname::text AS name, pg_get_indexdef(x.indexrelid) AS detail
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname IN {DOMAIN_SCHEMAS} AND NOT x.indisprimary
            AND n.nspname || '.' || t.relname NOT IN ('tenancy.customers')
            -- The directory is read by public name, and its due checks by time, across customers;
            -- so is the change feed, by time.
            AND i.relname NOT IN ('domains_served_host', 'domains_by_host', 'domains_due',
                                  'customer_changes_by_time')"
    ))
    .load(&mut conn)
    .await
    .unwrap();
    assert!(!indexes.is_empty());
    for index in indexes {
        // The full-text indexes: PostgreSQL leads a GIN index with a uuid only through the
        // btree_gin extension, which CockroachDB lacks; every search filters by customer first,
        // and CockroachDB's overlay leads them with customer_id.
        if index.detail.ends_with("USING gin (search_vector)") {
            continue;
        }
        let columns = index.detail.split_once('(').unwrap().1;
        assert!(
            columns.starts_with("customer_id"),
            "{} does not start with customer_id: {}",
            index.name,
            index.detail
        );
    }
}

#[actix_web::test]
async fn times_are_zoned_money_is_exact_and_editable_rows_are_versioned() {
    let db = TestDb::new().await;
    let mut conn = db.owner_conn().await;
    let columns: Vec<Named> = diesel::sql_query(format!(
        "SELECT table_schema || '.' || table_name || '.' || column_name AS name,
                data_type || coalesce('(' || numeric_precision || ',' || numeric_scale || ')', '') AS detail
           FROM information_schema.columns WHERE table_schema IN {DOMAIN_SCHEMAS}"
    ))
    .load(&mut conn)
    .await
    .unwrap();
    for column in &columns {
        assert_ne!(
            column.detail, "timestamp without time zone",
            "{} has no zone",
            column.name
        );
        assert!(
            !column.detail.starts_with("real") && !column.detail.starts_with("double"),
            "{} is a float",
            column.name
        );
        let is_money = column.detail.starts_with("numeric")
            || (column.name.ends_with("_price") && column.detail != "boolean");
        if is_money {
            assert_eq!(column.detail, "numeric(10,2)", "{}", column.name);
        }
    }
    for table in [
        "tenancy.customers",
        "tenancy.sites",
        "tenancy.users",
        "content.posts",
        "thorne.products",
    ] {
        assert!(
            columns
                .iter()
                .any(|c| c.name == format!("{table}.version") && c.detail.starts_with("integer")),
            "{table} has no version column"
        );
    }
}

/// The portable-SQL rules of docs/design.md §12, over every migration file.
#[test]
fn migrations_use_portable_sql_only() {
    let forbidden = [
        ("CREATE TRIGGER", "a trigger"),
        ("CREATE FUNCTION", "a function"),
        ("CREATE OR REPLACE FUNCTION", "a function"),
        ("DO $$", "a DO block"),
        ("LANGUAGE PLPGSQL", "PL/pgSQL"),
        ("SERIAL", "a sequence key"),
        ("CREATE SEQUENCE", "a sequence"),
        ("LISTEN ", "LISTEN"),
        ("NOTIFY ", "NOTIFY"),
        ("PG_ADVISORY", "an advisory lock"),
        ("LOCK TABLE", "LOCK TABLE"),
        ("EXCLUDE USING", "an exclusion constraint"),
        ("DEFERRABLE", "a deferrable constraint"),
        ("CREATE DOMAIN", "CREATE DOMAIN"),
        ("PARTITION BY", "declarative partitioning"),
        ("DIESEL_MANAGE_UPDATED_AT", "diesel's trigger helper"),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let migration = entry.unwrap().path();
        for file in ["up.sql", "down.sql"] {
            let path = migration.join(file);
            let sql = std::fs::read_to_string(&path).unwrap();
            let code: String = sql
                .lines()
                .map(|l| l.split("--").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n")
                .to_uppercase();
            for (pattern, what) in forbidden {
                assert!(!code.contains(pattern), "{} uses {what}", path.display());
            }
            let words: Vec<&str> = code
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .collect();
            assert!(
                !words.contains(&"INT") && !words.contains(&"INTEGER"),
                "{} uses a bare INT",
                path.display()
            );
            // A migration changes the schema or the data, never both.
            let statements: Vec<&str> = code
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            let starts =
                |statement: &str, words: &[&str]| words.iter().any(|k| statement.starts_with(k));
            let ddl = ["CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT"];
            let dml = ["INSERT", "UPDATE", "DELETE"];
            let has_ddl = statements.iter().any(|s| starts(s, &ddl));
            for statement in statements {
                let allowed = starts(statement, &ddl) || (!has_ddl && starts(statement, &dml));
                assert!(
                    allowed,
                    "{} mixes data changes into DDL: {statement}",
                    path.display()
                );
                if statement.starts_with("UPDATE") || statement.contains("DO UPDATE") {
                    assert!(
                        !statement.contains("NOW()"),
                        "{} uses now() in an update",
                        path.display()
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 8);
}
