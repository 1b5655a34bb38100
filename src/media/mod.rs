//! Images and other files a customer uploads: what is accepted, and the files made from them to be
//! stored and served (`image`).

pub mod image;
