//! Running on a Citus cluster. `agoat migrate` on a coordinator (detected by the `citus`
//! extension) places every table after the migrations, in one transaction and idempotently:
//!
//! - the directory a request is routed by — customers, sites and the global domains table — as
//!   reference tables (a full copy on every node; `tenancy.domains` is keyed by host, and Citus
//!   refuses foreign keys from a reference table to a distributed one, so sites are one too);
//! - every other table of the domain schemas with a `customer_id` column hash-distributed by it
//!   and co-located with `tenancy.users`, so that all rows of one customer live on one node and
//!   its composite foreign keys hold shard by shard. A table a later migration adds is placed by
//!   the same run.
//!
//! Citus refuses to distribute a table that a still-local table references, so the foreign keys
//! between the tables being placed are dropped first and added back, unchanged, once every table
//! is placed. Row-level security, its policies and the grants go to every shard with the table.
//!
//! Every session gets two settings ([`SESSION_SETTINGS`]): the tenant setting made with
//! `SET LOCAL` reaches every worker a statement runs on (`citus.propagate_set_commands`), and a
//! transaction runs its multi-shard work over one connection per node, so that it may still write
//! a reference table after a multi-shard read (`citus.multi_shard_modify_mode`). The serving pool
//! sets them on each connection it opens ([`session_setup_sql`]), so they hold on a database
//! copied from a template or restored from a dump too; `agoat migrate` also makes them the
//! database's defaults, for every other session (an operator's `psql`).

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::error::AppResult;

/// Tables with a full copy on every node: the directory a request is routed by.
pub const REFERENCE_TABLES: &[&str] = &["tenancy.customers", "tenancy.sites", "tenancy.domains"];

/// The table every distributed table is co-located with.
pub const COLOCATION_ANCHOR: &str = "tenancy.users";

/// The schemas whose tables are placed.
const DOMAIN_SCHEMAS: &str = "'tenancy', 'content', 'thorne', 'audit'";

/// The settings every session on a coordinator needs (see the module documentation).
pub const SESSION_SETTINGS: &[(&str, &str)] = &[
    ("citus.propagate_set_commands", "local"),
    ("citus.multi_shard_modify_mode", "sequential"),
];

/// One statement that makes [`SESSION_SETTINGS`] this session's when the database is a Citus
/// coordinator and does nothing elsewhere; sent with the other settings of a new connection, so
/// it costs no round trip of its own.
pub fn session_setup_sql() -> String {
    let values: Vec<String> = SESSION_SETTINGS
        .iter()
        .map(|(setting, value)| format!("('{setting}', '{value}')"))
        .collect();
    format!(
        "SELECT set_config(setting, value, false) FROM (VALUES {}) AS wanted (setting, value) \
         WHERE EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')",
        values.join(", ")
    )
}

/// What a placement did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    pub reference: Vec<String>,
    pub distributed: Vec<String>,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    constraint_name: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

/// Whether the database is a Citus coordinator (the extension is installed).
pub async fn is_coordinator(conn: &mut AsyncPgConnection) -> AppResult<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    let found: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS found",
    )
    .get_result(conn)
    .await?;
    Ok(found.found)
}

/// On a Citus coordinator, places every table not yet placed (see the module documentation) and
/// sets the sessions' settings; elsewhere does nothing and returns `None`. Run as the
/// owner, after the migrations.
pub async fn place_tables(conn: &mut AsyncPgConnection) -> AppResult<Option<Placement>> {
    if !is_coordinator(conn).await? {
        return Ok(None);
    }
    configure_sessions(conn).await?;
    let placement = unplaced(conn).await?;
    if placement.reference.is_empty() && placement.distributed.is_empty() {
        return Ok(Some(placement));
    }
    conn.batch_execute("BEGIN; SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
        .await?;
    match place(conn, &placement).await {
        Ok(()) => conn.batch_execute("COMMIT").await?,
        Err(error) => {
            let _ = conn.batch_execute("ROLLBACK").await;
            return Err(error);
        }
    }
    Ok(Some(placement))
}

async fn place(conn: &mut AsyncPgConnection, placement: &Placement) -> AppResult<()> {
    let keys = foreign_keys_into(conn, &placement.distributed).await?;
    for key in &keys {
        conn.batch_execute(&format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            key.table_name, key.constraint_name
        ))
        .await?;
    }
    for table in &placement.reference {
        call(conn, &format!("create_reference_table('{table}')")).await?;
    }
    for table in &placement.distributed {
        let call_text = if table == COLOCATION_ANCHOR {
            format!("create_distributed_table('{table}', 'customer_id')")
        } else {
            format!(
                "create_distributed_table('{table}', 'customer_id', \
                 colocate_with => '{COLOCATION_ANCHOR}')"
            )
        };
        call(conn, &call_text).await?;
    }
    for key in &keys {
        conn.batch_execute(&format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            key.table_name, key.constraint_name, key.definition
        ))
        .await?;
    }
    Ok(())
}

async fn call(conn: &mut AsyncPgConnection, function: &str) -> AppResult<()> {
    conn.batch_execute(&format!("SELECT {function}")).await?;
    Ok(())
}

/// The reference and distributed tables not yet placed; the anchor first among the distributed.
async fn unplaced(conn: &mut AsyncPgConnection) -> AppResult<Placement> {
    let tables: Vec<Name> = diesel::sql_query(format!(
        "SELECT format('%s.%s', n.nspname, c.relname) AS name
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND n.nspname IN ({DOMAIN_SCHEMAS})
            AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                         AND a.attname = 'customer_id' AND NOT a.attisdropped)
            AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)
          ORDER BY 1"
    ))
    .load(conn)
    .await?;
    let mut placement = Placement::default();
    for Name { name } in tables {
        if REFERENCE_TABLES.contains(&name.as_str()) {
            placement.reference.push(name);
        } else {
            placement.distributed.push(name);
        }
    }
    // A reference table without a customer_id column (customers) is placed too.
    for table in REFERENCE_TABLES {
        if !placement.reference.iter().any(|t| t == table) && !is_placed(conn, table).await? {
            placement.reference.push((*table).to_owned());
        }
    }
    placement.reference.sort_by_key(|t| {
        REFERENCE_TABLES
            .iter()
            .position(|r| r == t)
            .unwrap_or(usize::MAX)
    });
    placement
        .distributed
        .sort_by_key(|t| (t != COLOCATION_ANCHOR, t.clone()));
    Ok(placement)
}

async fn is_placed(conn: &mut AsyncPgConnection, table: &str) -> AppResult<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    let found: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_dist_partition
                         WHERE logicalrelid = to_regclass($1)) AS found",
    )
    .bind::<Text, _>(table)
    .get_result(conn)
    .await?;
    Ok(found.found)
}

/// The foreign keys that reference one of `tables`, with what it takes to add them back.
async fn foreign_keys_into(
    conn: &mut AsyncPgConnection,
    tables: &[String],
) -> AppResult<Vec<ForeignKey>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(
        "SELECT conrelid::regclass::text AS table_name, quote_ident(conname) AS constraint_name,
                pg_get_constraintdef(oid) AS definition
           FROM pg_constraint
          WHERE contype = 'f' AND confrelid = ANY (SELECT to_regclass(t) FROM unnest($1) AS t)
          ORDER BY 1, 2",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(tables)
    .load(conn)
    .await
    .map_err(Into::into)
}

/// Makes [`SESSION_SETTINGS`] the database's defaults (see the module documentation).
async fn configure_sessions(conn: &mut AsyncPgConnection) -> AppResult<()> {
    let database: Name = diesel::sql_query("SELECT quote_ident(current_database()) AS name")
        .get_result(conn)
        .await?;
    for (setting, value) in SESSION_SETTINGS {
        conn.batch_execute(&format!(
            "ALTER DATABASE {} SET {setting} = '{value}'",
            database.name
        ))
        .await?;
    }
    Ok(())
}
