//! Images a customer uploads: their processing (`image`), where their bytes live (`store`), their
//! records in the library (`library`), how they appear on pages (`pictures`) and how an upload is
//! added (`upload`).

pub mod image;
pub mod library;
pub mod pictures;
pub mod store;
pub mod upload;
