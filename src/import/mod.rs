//! Imports of whole sites from other systems: WordPress (WXR) and Ghost (JSON) exports, their
//! posts, pages, tags and images. `wordpress` reads a WXR file as a stream and `ghost` a Ghost
//! export; `index` is the first pass over an export (what comes across, as what, at which new and
//! old addresses); `convert` turns each item's HTML into a Markdown post body; `apply` writes the
//! items; `run` is one import around its transaction. `uploads` keeps the files owners upload to
//! the import page between its dry run and its apply, and `archive` unpacks their images.

pub mod apply;
pub mod archive;
pub mod convert;
pub mod ghost;
pub mod index;
pub mod run;
pub mod uploads;
pub mod wordpress;

use crate::error::AppError;
use crate::media::upload::AddError;

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The export, an item or an image is refused: each line says which and why
    /// (`item N "title": reason`).
    #[error("{}", .0.join("\n"))]
    Refused(Vec<String>),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<Vec<String>> for ImportError {
    fn from(lines: Vec<String>) -> Self {
        ImportError::Refused(lines)
    }
}

impl From<AddError> for ImportError {
    /// Images that are not accepted stop the import, each with its reason.
    fn from(error: AddError) -> Self {
        match error {
            AddError::Refused(refused) => {
                ImportError::Refused(refused.iter().map(|r| r.message()).collect())
            }
            AddError::App(error) => ImportError::App(error),
        }
    }
}

impl From<diesel::result::Error> for ImportError {
    fn from(error: diesel::result::Error) -> Self {
        ImportError::App(error.into())
    }
}
