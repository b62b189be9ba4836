//! The lab endpoint: an emulated Windows WinRM service built on the protocol layer in the server role.

pub mod computer;
pub mod convert;
pub mod listener;
pub mod script;
