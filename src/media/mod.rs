//! Images and other files a customer uploads: their processing (`image`), where their bytes live
//! (`store`), …

pub mod store;
