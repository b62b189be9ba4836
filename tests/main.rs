//! The integration-test binary: one binary, shared fixtures in `common`.

mod auth;
mod common;
mod pypsrp_transcripts;
