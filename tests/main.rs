//! The integration-test binary: one binary, shared fixtures in `common`.

mod architecture;
mod auth;
mod common;
mod lab_pypsrp;
mod pypsrp_transcripts;
mod transport;
