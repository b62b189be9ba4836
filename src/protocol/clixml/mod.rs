//! CLIXML: the PowerShell object serialisation format carried in PSRP messages ([MS-PSRP] §2.2.5).
//!
//! [MS-PSRP]: https://learn.microsoft.com/openspecs/windows_protocols/ms-psrp
