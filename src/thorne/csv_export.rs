//! Exporting the catalog as CSV in the format the import reads.
