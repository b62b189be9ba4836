//! The integration-test binary: one binary, shared fixtures in `common`.

mod cli_syntax;
mod common;
mod pypsrp_transcripts;
