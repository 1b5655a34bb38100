//! `agoat customer export|import`: a customer's archive written to a file and recreated from one
//! (the work is [`crate::moving`]'s); each prints one line of what it did, the import the
//! customer's id alone as its last line.

use std::path::Path;

use crate::cli::Failure;
use crate::db::Database;
use crate::media::store::Store;
use crate::tenancy::CustomerId;

pub async fn export(
    db: &Database,
    store: &dyn Store,
    customer: CustomerId,
    out: &Path,
) -> Result<(), Failure> {
    let summary = crate::moving::export(db, store, customer, out).await?;
    println!(
        "customer {customer} exported to {}: {} rows of {} tables, {} media files",
        out.display(),
        summary.rows,
        summary.tables,
        summary.media_files
    );
    if summary.missing_originals > 0 {
        println!(
            "{} uploaded originals were missing from the media store and are not in the archive",
            summary.missing_originals
        );
    }
    Ok(())
}

pub async fn import(db: &Database, store: &dyn Store, file: &Path) -> Result<(), Failure> {
    let summary = crate::moving::import(db, store, file).await?;
    println!(
        "customer {:?} imported: {} rows of {} tables, {} media files",
        summary.customer_name, summary.rows, summary.tables, summary.media_files
    );
    println!("{}", summary.customer);
    Ok(())
}
