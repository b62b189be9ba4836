//! The integration-test binary: one binary, shared fixtures in `common`.

mod architecture;
mod common;
mod pypsrp_transcripts;
