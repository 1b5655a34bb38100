//! Thorne: the product catalog of a customer (shown on every site of that customer), exact money
//! parsing and formatting, price history grouped in change sets, the gallery of each product (images
//! of the media library), and CSV import.

pub mod bulk;
pub mod change_sets;
pub mod csv_export;
pub mod csv_import;
pub mod csv_uploads;
pub mod gallery;
pub mod money;
pub mod price_history;
pub mod products;
