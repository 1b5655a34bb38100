//! What the admin's upload forms share (the products CSV, the media library, a site's import):
//! sizes in words, and the refusal of an upload before anything is stored.

use actix_web::http::StatusCode;

/// `12 bytes`, `3.4 KiB`, `10.0 MiB`.
pub fn human_size(bytes: i64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} bytes")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.1} MiB", b / (KIB * KIB))
    }
}

/// Why an upload is refused before anything is stored: the status and what to tell the user,
/// shown on the form again.
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    /// A 400 with `message`.
    pub fn bad(message: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}
