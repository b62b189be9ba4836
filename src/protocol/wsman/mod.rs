//! WS-Management ([MS-WSMV]) as a sans-IO layer: envelopes, actions, shell
//! operations and faults, in both roles (client requests/responses, server
//! request parsing and Windows-shaped responses for the lab endpoint).
//!
//! [MS-WSMV]: https://learn.microsoft.com/openspecs/windows_protocols/ms-wsmv

pub mod action;
pub(crate) mod duration;
pub mod envelope;
pub mod fault;
pub mod namespaces;
pub mod server;
pub mod shell;
