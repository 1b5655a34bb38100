//! The tables a customer's archive holds, read from the database's catalog: each with its
//! columns, its primary key and the tables its foreign keys name, in an order where every table
//! comes after the tables it refers to.

use std::collections::{BTreeMap, BTreeSet};

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;

use crate::db::Conn;
use crate::error::{AppError, AppResult};

/// The table of customers: its key `id` is the customer's id.
pub const CUSTOMERS: &str = "tenancy.customers";

/// The domain directory: its hosts are unique across customers (while served).
pub const DOMAINS: &str = "tenancy.domains";

/// Tables of the customers' schemas that hold no data of theirs: the change feed's moments-old
/// notices (see [`crate::db::changes`]).
pub const NOT_MOVED: &[&str] = &["tenancy.customer_changes"];

/// One table of a customer's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// `schema.table`, as the archive names it (plain identifiers).
    pub name: String,
    /// The name quoted for SQL.
    pub sql_name: String,
    /// Every column a row is written with (generated columns left out), quoted, in table order.
    pub columns: Vec<String>,
    /// The primary key's columns, quoted, in key order.
    pub primary_key: Vec<String>,
    /// The quoted column naming the customer (`id` for the customers themselves).
    pub customer_column: String,
    /// Whether a row may be large (a `BYTEA` column): read in small batches.
    pub has_bytes: bool,
    /// The tables (`schema.table`) this one's foreign keys refer to, itself left out.
    depends_on: BTreeSet<String>,
}

impl Table {
    /// The archive entry of the table's rows.
    pub fn entry_name(&self) -> String {
        format!("rows/{}.jsonl", self.name)
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    sql_name: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Text)]
    primary_key: String,
    #[diesel(sql_type = Text)]
    depends_on: String,
    #[diesel(sql_type = Bool)]
    has_customer_id: bool,
    #[diesel(sql_type = Bool)]
    has_bytes: bool,
}

/// Columns are joined with this in the query (no identifier holds it).
const SEPARATOR: char = '\u{1f}';

const TABLES_SQL: &str = r#"
SELECT n.nspname || '.' || c.relname AS name,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS sql_name,
       coalesce((SELECT string_agg(quote_ident(a.attname), E'\x1f' ORDER BY a.attnum)
                 FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   AND a.attgenerated = ''), '') AS columns,
       coalesce((SELECT string_agg(quote_ident(a.attname), E'\x1f' ORDER BY k.ord)
                 FROM pg_constraint p
                 CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                 WHERE p.conrelid = c.oid AND p.contype = 'p'), '') AS primary_key,
       coalesce((SELECT string_agg(DISTINCT fn.nspname || '.' || fc.relname, E'\x1f')
                 FROM pg_constraint f
                 JOIN pg_class fc ON fc.oid = f.confrelid
                 JOIN pg_namespace fn ON fn.oid = fc.relnamespace
                 WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid), '')
           AS depends_on,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
               AND a.attname = 'customer_id' AND NOT a.attisdropped) AS has_customer_id,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
               AND NOT a.attisdropped AND a.atttypid = 'bytea'::regtype) AS has_bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('tenancy', 'content', 'thorne', 'audit')
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY 1
"#;

/// Every table of the customers' schemas, parents before the tables that refer to them (ties in
/// name order). Fails when a table has no primary key or no customer column, or when foreign keys
/// form a cycle.
pub async fn tables(conn: &mut Conn) -> AppResult<Vec<Table>> {
    let rows: Vec<Row> = diesel::sql_query(TABLES_SQL).load(conn).await?;
    let tables = rows
        .into_iter()
        .filter(|row| !NOT_MOVED.contains(&row.name.as_str()))
        .map(table_of)
        .collect::<AppResult<Vec<_>>>()?;
    in_dependency_order(tables)
}

fn split(text: &str) -> Vec<String> {
    text.split(SEPARATOR)
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

fn table_of(row: Row) -> AppResult<Table> {
    let customer_column = if row.name == CUSTOMERS {
        "id".to_owned()
    } else if row.has_customer_id {
        "customer_id".to_owned()
    } else {
        return Err(AppError::Internal(format!(
            "the table {} has no customer_id column: its rows cannot be moved",
            row.name
        )));
    };
    let primary_key = split(&row.primary_key);
    if primary_key.is_empty() {
        return Err(AppError::Internal(format!(
            "the table {} has no primary key: its rows cannot be read in order",
            row.name
        )));
    }
    Ok(Table {
        columns: split(&row.columns),
        primary_key,
        customer_column,
        has_bytes: row.has_bytes,
        depends_on: split(&row.depends_on).into_iter().collect(),
        sql_name: row.sql_name,
        name: row.name,
    })
}

/// `tables` sorted so that each comes after every table it depends on (Kahn's algorithm, the
/// ready tables taken in name order); foreign keys to tables outside the list are ignored.
pub fn in_dependency_order(tables: Vec<Table>) -> AppResult<Vec<Table>> {
    let mut waiting: BTreeMap<String, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let known: BTreeSet<String> = waiting.keys().cloned().collect();
    let mut ordered = Vec::with_capacity(waiting.len());
    let mut placed = BTreeSet::new();
    while !waiting.is_empty() {
        let ready: Vec<String> = waiting
            .values()
            .filter(|t| {
                t.depends_on
                    .iter()
                    .all(|d| placed.contains(d) || !known.contains(d))
            })
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            let names: Vec<&str> = waiting.keys().map(String::as_str).collect();
            return Err(AppError::Internal(format!(
                "the foreign keys of these tables form a cycle: {}",
                names.join(", ")
            )));
        }
        for name in ready {
            let table = waiting.remove(&name).expect("a waiting table");
            placed.insert(name);
            ordered.push(table);
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, depends_on: &[&str]) -> Table {
        Table {
            name: name.to_owned(),
            sql_name: name.to_owned(),
            columns: vec![],
            primary_key: vec!["id".into()],
            customer_column: "customer_id".into(),
            has_bytes: false,
            depends_on: depends_on.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    fn names(tables: &[Table]) -> Vec<&str> {
        tables.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn parents_come_first() {
        let ordered = in_dependency_order(vec![
            table("a.child", &["a.parent", "a.media"]),
            table("a.media", &["a.parent"]),
            table("a.parent", &["platform.elsewhere"]),
        ])
        .unwrap();
        assert_eq!(names(&ordered), ["a.parent", "a.media", "a.child"]);
    }

    #[test]
    fn a_cycle_is_named() {
        let error = in_dependency_order(vec![
            table("a.one", &["a.two"]),
            table("a.two", &["a.one"]),
            table("a.zero", &[]),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("a.one, a.two"), "{error}");
    }
}
