//! WS-Management ([MS-WSMV]) as a sans-IO layer: envelopes, actions, shell
//! operations and faults.
//!
//! [MS-WSMV]: https://learn.microsoft.com/openspecs/windows_protocols/ms-wsmv

pub mod fault;
