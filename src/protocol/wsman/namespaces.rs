//! Namespace URIs, resource URIs and fixed addresses of WS-Management
//! ([MS-WSMV] §2.2.1) and the Windows shell and PowerShell extensions.
//!
//! Match on these URIs, never on prefixes: Windows answers with `a:`, `w:`,
//! `p:`, `x:`, `n:` where pypsrp writes `wsa:`, `wsman:`, `wsmv:`.

pub use crate::protocol::xml::NS_XML;

/// SOAP 1.2 envelope.
pub const NS_SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
/// WS-Addressing (2004/08).
pub const NS_ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// DMTF WS-Management.
pub const NS_WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
/// Microsoft WS-Management extensions (SessionId, DataLocale, ActivityId).
pub const NS_WSMV: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd";
/// Windows remote shell (`rsp`).
pub const NS_SHELL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
/// WS-Transfer (ResourceCreated).
pub const NS_TRANSFER: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
/// WS-Enumeration.
pub const NS_ENUMERATION: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
/// WS-Eventing (declared by Windows in fault envelopes).
pub const NS_EVENTING: &str = "http://schemas.xmlsoap.org/ws/2004/08/eventing";
/// Microsoft `WSManFault` detail.
pub const NS_WSMANFAULT: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault";
/// WinRM service configuration (`Get …/wsman/1/config`).
pub const NS_CONFIG: &str = "http://schemas.microsoft.com/wbem/wsman/1/config";
/// Default namespace of `creationXml`, `connectXml`, `connectResponseXml`.
pub const NS_POWERSHELL: &str = "http://schemas.microsoft.com/powershell";
/// WS-Management Identify ([MS-WSMV] §3.1.4.1.23); pypsrp's `identify` spelling is wrong.
pub const NS_WSMID: &str = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";

/// ResourceURI prefix of PowerShell session configurations.
pub const RESOURCE_POWERSHELL_PREFIX: &str = "http://schemas.microsoft.com/powershell/";
/// The default PowerShell session configuration.
pub const RESOURCE_POWERSHELL_DEFAULT: &str =
    "http://schemas.microsoft.com/powershell/Microsoft.PowerShell";
/// Enumerate/Get shells ([MS-WSMV] <114>).
pub const RESOURCE_SHELL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
/// Enumerate the commands of a shell.
pub const RESOURCE_SHELL_COMMAND: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command";
/// WinRS cmd.exe shells.
pub const RESOURCE_CMD: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd";
/// WinRM service configuration.
pub const RESOURCE_CONFIG: &str = "http://schemas.microsoft.com/wbem/wsman/1/config";

/// The anonymous reply address (`wsa:ReplyTo/wsa:Address`, response `a:To`).
pub const ADDRESS_ANONYMOUS: &str =
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
/// Dialect of the ShellId selector filter of command enumeration.
pub const DIALECT_SELECTOR_FILTER: &str =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter";
/// Prefix of `w:FaultDetail` URIs.
pub const FAULT_DETAIL_PREFIX: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/";
/// Prefix of `rsp:CommandState/@State` URIs.
pub const COMMAND_STATE_PREFIX: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/";

/// Prefixes of client requests (pypsrp's choice).
pub const CLIENT_PREFIXES: &[(&str, &str)] = &[
    ("s", NS_SOAP),
    ("wsa", NS_ADDRESSING),
    ("wsman", NS_WSMAN),
    ("wsmv", NS_WSMV),
    ("rsp", NS_SHELL),
    ("wsen", NS_ENUMERATION),
    ("wsmid", NS_WSMID),
];

/// Prefixes Windows uses in its responses.
pub const SERVER_PREFIXES: &[(&str, &str)] = &[
    ("s", NS_SOAP),
    ("a", NS_ADDRESSING),
    ("x", NS_TRANSFER),
    ("e", NS_EVENTING),
    ("n", NS_ENUMERATION),
    ("w", NS_WSMAN),
    ("rsp", NS_SHELL),
    ("p", NS_WSMV),
    ("f", NS_WSMANFAULT),
    ("cfg", NS_CONFIG),
    ("wsmid", NS_WSMID),
];
