//! The integration-test binary: one binary, shared fixtures in `common`.

mod clixml;
mod common;
mod pypsrp_transcripts;
