//! Browser tests: the admin and the public site driven in headless Chromium through chromedriver,
//! against a real `agoat serve` on a test database.
//!
//! They need Debian's `chromium` and `chromium-driver`, and the page checks (`page_quality/`) the
//! Nu HTML Checker and axe-core that `.ci/test-tools/install` installs. Without them the tests say
//! so and pass, unless `AGOAT_REQUIRE_BROWSER=1` (as in CI), where a missing tool fails them.

#[path = "../it/common/mod.rs"]
mod common;
mod harness;

mod admin_flows;
mod branding_flows;
mod media_flows;
mod page_quality;
mod pricing_flows;
