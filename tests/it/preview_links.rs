//! Tests of the preview_links area of the admin.
