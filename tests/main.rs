//! The integration-test binary: one binary, shared fixtures in `common`.

mod common;
mod lab_script;
mod pypsrp_transcripts;
