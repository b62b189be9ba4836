//! The integration-test binary: one binary, shared fixtures in `common`.

mod common;
mod pypsrp_transcripts;
mod ui_kittest;
