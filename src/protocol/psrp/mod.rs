//! PowerShell Remoting Protocol ([MS-PSRP]): fragments, messages, runspace pool and pipeline state machines, in the client and the server role.
//!
//! [MS-PSRP]: https://learn.microsoft.com/openspecs/windows_protocols/ms-psrp
