//! Baton: a console for PowerShell remote sessions on Windows computers.
//!
//! Data flows one way:
//!
//! ```text
//! ui (egui) ─┐                      ┌─ cli (cmdlet-syntax shell)
//!            └─► bridge: Command ◄──┘        (events come back the same way)
//!                  ▼
//!              worker (tokio, named thread): sessions, throttling, cancellation
//!                  ▼
//!              protocol (sans-IO): wsman · psrp · clixml · auth/sealing · compression
//!                  ▼
//!              transport (I/O): HTTP(S) with connection affinity · in-process
//!                  ▼
//!              a WinRM service: a Windows server, or `lab` (same protocol code, server role)
//! ```
//!
//! Invariants: the UI never waits on the network; the protocol layer never
//! does I/O and never reads a clock; `model` is plain data and the rules on
//! it; secrets live in the OS keyring, never in profile files or logs. Which
//! module may use which, and which of tokio, files, sockets, egui and hyper,
//! is a table that `tests/architecture.rs` enforces (the README shows it).

#[cfg(feature = "gui")]
pub mod app;
pub mod bridge;
pub mod cli;
#[doc(hidden)]
pub mod fuzzing;
pub mod lab;
pub mod model;
pub mod protocol;
pub(crate) mod pslang;
pub mod store;
pub mod transport;
#[cfg(feature = "gui")]
pub mod ui;
pub mod worker;
