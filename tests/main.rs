//! The integration-test binary: one binary, shared fixtures in `common`.

mod common;
mod psrp_frames;
mod pypsrp_transcripts;
