//! The integration-test binary: one binary, shared fixtures in `common`.

mod architecture;
mod auth;
mod cli_admin;
mod cli_e2e;
mod cli_syntax;
mod clixml;
mod common;
mod credssp;
mod kerberos;
mod lab_malformed;
mod lab_pypsrp;
mod lab_script;
mod lifecycle;
mod psrp_frames;
mod pypsrp_transcripts;
mod remote;
mod store;
mod transport;
mod ui_kittest;
mod ui_lab;
mod ui_profiles;
mod wire;
mod worker_contract;
mod worker_outage;
mod wsman;
mod xpress_e2e;
