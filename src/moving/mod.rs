//! A customer's data as one archive: everything a customer has, written out of one database
//! ([`export`]) and recreated with the same ids in another ([`import`]), so a customer can move
//! between databases (`agoat customer export|import`).
//!
//! **What is in it.** Every row of the customer in every table of the domain schemas (`tenancy`,
//! `content`, `thorne`, `audit`: revisions, price history and the audit log included; the
//! `platform` schema belongs to no customer), and the customer's media files (the files served to
//! visitors and the originals kept beside them). The tables are found in the database's catalog
//! at run time ([`catalog`]), so a new table is moved without a change here; a table of these
//! schemas without a `customer_id` column (other than `tenancy.customers` itself) stops the
//! export, since it cannot say whose its rows are.
//!
//! **The archive** ([`archive`]) is a zip file: `rows/<schema>.<table>.jsonl` per table (one JSON
//! object per row, `row_to_json` of the row, so every value keeps its exact text: `NUMERIC`
//! money, `TIMESTAMPTZ` to the microsecond, `BYTEA` as hex, `TSVECTOR`, arrays, `JSONB`),
//! `media/<store key>` per media file, and `manifest.json`, written last: the format version, the
//! customer, the schema version (the newest migration's name), when it was made and, per entry,
//! its name, its rows (for tables), its size and its SHA-256.
//!
//! **Export** reads in one read-only `REPEATABLE READ` transaction of the customer's scope
//! ([`crate::db::Database::tenant_snapshot`]), so the archive is one consistent snapshot and
//! row-level security limits every read to the customer. Tables are read in batches in the order
//! of their primary keys (keyset pagination: the next batch starts after the last row's key) and
//! written as they are read; media files one at a time. Memory stays bounded by a batch and the
//! largest media file. The archive is written to `<file>.partial` and renamed when complete.
//!
//! **Import** refuses an archive made at another schema version (it names both) or of another
//! format; then checks every entry's size and SHA-256 against the manifest, reading each once,
//! before anything is written; then refuses when the customer's id already exists in this
//! database, or one of its domains is another customer's here (it names them). Every other row's
//! primary key carries the customer's id, so none of those can exist once the customer does not.
//! The media files go into the store first (content-addressed: putting a key that holds the same
//! bytes changes nothing), then every row is inserted in one read-write transaction of the
//! customer's scope, tables in the order their foreign keys need (parents first; the schemas have
//! no cycles, and one would stop the move with the tables named). A failure anywhere rolls the
//! transaction back and removes the media files this import added, so nothing is left. Rows go in
//! through `json_populate_recordset` into the table's own row type, generated columns left to the
//! database; row-level security's `WITH CHECK` refuses any row of another customer.
//!
//! **For owners** ([`prepared`]): `/admin/export` prepares the same archive of the owner's own
//! customer in the background, on the server that was asked, and offers it for download there.
//!
//! The import adds no audit event of its own: the customer's tables are, row for row, the
//! source's. Queued mail in `tenancy.mail_outbox` moves with its state, so mail not yet sent at
//! the source is sent by the new database's servers.

pub mod archive;
pub mod catalog;
pub mod export;
pub mod import;
pub mod prepared;

pub use export::{ExportSummary, export};
pub use import::{ImportSummary, import};
