//! The sans-IO protocol layer: WS-Management ([MS-WSMV]), the PowerShell
//! Remoting Protocol ([MS-PSRP]), CLIXML, Xpress compression and
//! authentication/sealing.
//!
//! Invariant: nothing under `protocol` performs I/O or reads a clock. Inputs
//! are bytes and `now`; outputs are requests, responses and events. No tokio,
//! no `std::net`, no `std::fs`, no egui (checked by `tests/architecture.rs`).
//!
//! [MS-WSMV]: https://learn.microsoft.com/openspecs/windows_protocols/ms-wsmv
//! [MS-PSRP]: https://learn.microsoft.com/openspecs/windows_protocols/ms-psrp

pub mod auth;
pub mod clixml;
pub mod compression;
pub(crate) mod error;
pub mod http;
pub mod psrp;
pub mod wsman;
pub mod xml;

pub use error::ProtocolError;
