//! The lab endpoint: an emulated Windows WinRM service built on the protocol layer in the server role.

pub mod listener;
/// A small, deterministic PowerShell interpreter for pipelines sent to the lab.
pub mod script;
