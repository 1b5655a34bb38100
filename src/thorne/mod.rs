//! Thorne: the product catalog of a customer (shown on every site of that customer), exact money
//! parsing and formatting, and CSV import.

pub mod csv_import;
pub mod money;
pub mod products;
