//! WS-Management SOAP faults ([MS-WSMV] §2.2.4.x, §3.1.4.1.x): the typed error a
//! Windows WinRM service returns in an HTTP 500 body.

use std::fmt;

use super::action::{FAULT_ADDRESSING, FAULT_WSMAN};
use super::namespaces::*;
use crate::protocol::error::ProtocolError;
use crate::protocol::xml::Element;

/// A SOAP fault, keeping every part PowerShell and pypsrp read: the SOAP code
/// and subcode, the reason text, the `WSManFault` code (decimal, often an
/// HRESULT such as 2150858793) and message, the machine, an optional
/// `ProviderFault` and `FaultDetail` URI.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WsmanFault {
    /// `s:Code/s:Value`, e.g. `s:Receiver` (namespace-qualified value as text).
    pub code: String,
    /// `s:Subcode/s:Value`, e.g. `w:TimedOut`; resolved to its local name.
    pub subcode: Option<String>,
    /// `s:Reason/s:Text`.
    pub reason: Option<String>,
    /// `s:Detail/w:FaultDetail`, e.g. `…/faultDetail/UnexpectedSelectors`.
    pub detail: Option<String>,
    /// `f:WSManFault/@Code`, decimal.
    pub wsman_code: Option<u32>,
    /// `f:WSManFault/@Machine`.
    pub machine: Option<String>,
    /// `f:WSManFault/f:Message` text (without the provider fault).
    pub message: Option<String>,
    /// `f:ProviderFault` text, with its provider name.
    pub provider_fault: Option<String>,
    /// `f:ProviderFault/@provider`, e.g. `Shell cmd plugin`.
    pub provider: Option<String>,
    /// `f:ProviderFault/@path`, e.g. `%systemroot%\system32\winrscmd.dll`.
    pub provider_path: Option<String>,
}

impl WsmanFault {
    /// The best human-readable text: the WSManFault message, else the reason.
    pub fn text(&self) -> &str {
        self.message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .or(self.reason.as_deref())
            .unwrap_or("the WS-Management service returned a fault with no message")
    }
}

impl fmt::Display for WsmanFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().trim())?;
        if let Some(code) = self.wsman_code {
            write!(f, " (code {code}")?;
            if let Some(sub) = &self.subcode {
                write!(f, ", {sub}")?;
            }
            f.write_str(")")?;
        } else if let Some(sub) = &self.subcode {
            write!(f, " ({sub})")?;
        }
        Ok(())
    }
}

/// Known `WSManFault/@Code` values (decimal; Windows SDK `wsmerror.h` names).
pub mod codes {
    /// ERROR_ACCESS_DENIED (Win32).
    pub const ACCESS_DENIED: u32 = 5;
    /// ERROR_INVALID_PARAMETER (Win32), e.g. from the WinRS cmd plugin.
    pub const INVALID_PARAMETER: u32 = 87;
    /// ERROR_OPERATION_ABORTED (Win32): outstanding Receive when the shell closed.
    pub const OPERATION_ABORTED: u32 = 995;
    /// ERROR_CANCELLED (Win32).
    pub const CANCELLED: u32 = 1223;
    /// HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED) 0x80070005.
    pub const HRESULT_ACCESS_DENIED: u32 = 2_147_942_405;
    /// HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) 0x80070002.
    pub const HRESULT_FILE_NOT_FOUND: u32 = 2_147_942_402;
    /// ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER 0x8033800F.
    pub const INVALID_MESSAGE_INFORMATION_HEADER: u32 = 2_150_858_767;
    /// ERROR_WSMAN_SOAP_FAULT_MUST_UNDERSTAND 0x80338010.
    pub const MUST_UNDERSTAND: u32 = 2_150_858_768;
    /// ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED 0x80338011.
    pub const MESSAGE_INFORMATION_HEADER_REQUIRED: u32 = 2_150_858_769;
    /// ERROR_WSMAN_ACTION_NOT_SUPPORTED 0x80338013.
    pub const ACTION_NOT_SUPPORTED: u32 = 2_150_858_771;
    /// ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT 0x8033801B.
    pub const INVALID_ENUMERATION_CONTEXT: u32 = 2_150_858_779;
    /// ERROR_WSMAN_INVALID_SOAP_BODY 0x80338027.
    pub const INVALID_SOAP_BODY: u32 = 2_150_858_791;
    /// ERROR_WSMAN_OPERATION_TIMEDOUT 0x80338029: normal end of a Receive long poll.
    pub const TIMED_OUT: u32 = 2_150_858_793;
    /// ERROR_WSMAN_ENCODING_LIMIT 0x80338035.
    pub const ENCODING_LIMIT: u32 = 2_150_858_805;
    /// ERROR_WSMAN_SCHEMA_VALIDATION_ERROR 0x80338041.
    pub const SCHEMA_VALIDATION_ERROR: u32 = 2_150_858_817;
    /// ERROR_WSMAN_INVALID_SELECTORS 0x8033805B: shell or command not found.
    pub const INVALID_SELECTORS: u32 = 2_150_858_843;
    /// ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS 0x80338111.
    pub const REQUEST_TOO_LARGE: u32 = 2_150_859_025;
    /// ERROR_WSMAN_QUOTA_MAX_SHELLS 0x803381A5.
    pub const QUOTA_MAX_SHELLS: u32 = 2_150_859_173;
    /// ERROR_WSMAN_QUOTA_MAX_OPERATIONS 0x803381A6.
    pub const QUOTA_MAX_OPERATIONS: u32 = 2_150_859_174;
    /// ERROR_WSMAN_QUOTA_MAX_SHELLUSERS 0x803381AB.
    pub const QUOTA_MAX_SHELLUSERS: u32 = 2_150_859_179;
    /// ERROR_WSMAN_PULL_PARAMS_NOT_SAME_AS_ENUM 0x803381AD.
    pub const PULL_PARAMS_NOT_SAME_AS_ENUM: u32 = 2_150_859_181;
    /// ERROR_WSMAN_ENUMERATE_SHELLCOMAMNDS_FILTER_EXPECTED 0x803381C0 (sic).
    pub const ENUMERATE_SHELLCOMMANDS_FILTER_EXPECTED: u32 = 2_150_859_200;
    /// ERROR_WINRS_SHELL_DISCONNECTED 0x803381C4.
    pub const SHELL_DISCONNECTED: u32 = 2_150_859_204;
    /// ERROR_WINRS_SHELL_DISCONNECT_NOT_SUPPORTED 0x803381C5.
    pub const SHELL_DISCONNECT_NOT_SUPPORTED: u32 = 2_150_859_205;
    /// ERROR_WINRS_SHELL_CLIENTSESSIONID_MISMATCH 0x803381C6.
    pub const SHELL_CLIENTSESSIONID_MISMATCH: u32 = 2_150_859_206;
    /// ERROR_WINRS_SHELL_CONNECTED_TO_DIFFERENT_CLIENT 0x803381CD.
    pub const SHELL_CONNECTED_TO_DIFFERENT_CLIENT: u32 = 2_150_859_213;
    /// ERROR_WINRS_SHELL_DISCONNECT_OPERATION_NOT_VALID 0x803381CF.
    pub const SHELL_DISCONNECT_OPERATION_NOT_VALID: u32 = 2_150_859_215;
    /// ERROR_WINRS_SHELL_RECONNECT_OPERATION_NOT_VALID 0x803381D0.
    pub const SHELL_RECONNECT_OPERATION_NOT_VALID: u32 = 2_150_859_216;
    /// ERROR_WINRS_SHELLCOMMAND_RECONNECT_OPERATION_NOT_VALID 0x803381D3.
    pub const SHELLCOMMAND_RECONNECT_OPERATION_NOT_VALID: u32 = 2_150_859_219;
    /// ERROR_WINRS_SHELL_CLIENTID_NOT_VALID 0x803381D5.
    pub const SHELL_CLIENTID_NOT_VALID: u32 = 2_150_859_221;
    /// ERROR_WINRS_SHELLCOMMAND_CLIENTID_RESOURCE_CONFLICT 0x803381D6.
    pub const SHELLCOMMAND_CLIENTID_RESOURCE_CONFLICT: u32 = 2_150_859_222;
    /// ERROR_WINRS_SHELL_CLIENTID_RESOURCE_CONFLICT 0x803381D7.
    pub const SHELL_CLIENTID_RESOURCE_CONFLICT: u32 = 2_150_859_223;
    /// ERROR_WSMAN_SERVICE_STREAM_DISCONNECTED 0x803381DE.
    pub const SERVICE_STREAM_DISCONNECTED: u32 = 2_150_859_230;
    /// ERROR_WSMAN_QUOTA_MAX_SHELLS_PPQ 0x803381E4.
    pub const QUOTA_MAX_SHELLS_PPQ: u32 = 2_150_859_236;
    /// ERROR_WSMAN_QUOTA_MAX_USERS_PPQ 0x803381E5.
    pub const QUOTA_MAX_USERS_PPQ: u32 = 2_150_859_237;
    /// ERROR_WINRS_IDLETIMEOUT_OUTOFBOUNDS 0x803381F2.
    pub const IDLETIMEOUT_OUTOFBOUNDS: u32 = 2_150_859_250;

    /// The SDK name of a known code, e.g. `ERROR_WSMAN_OPERATION_TIMEDOUT`.
    pub fn name(code: u32) -> Option<&'static str> {
        Some(match code {
            ACCESS_DENIED => "ERROR_ACCESS_DENIED",
            INVALID_PARAMETER => "ERROR_INVALID_PARAMETER",
            OPERATION_ABORTED => "ERROR_OPERATION_ABORTED",
            CANCELLED => "ERROR_CANCELLED",
            HRESULT_ACCESS_DENIED => "E_ACCESSDENIED",
            HRESULT_FILE_NOT_FOUND => "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)",
            INVALID_MESSAGE_INFORMATION_HEADER => "ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER",
            MUST_UNDERSTAND => "ERROR_WSMAN_SOAP_FAULT_MUST_UNDERSTAND",
            MESSAGE_INFORMATION_HEADER_REQUIRED => {
                "ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED"
            }
            ACTION_NOT_SUPPORTED => "ERROR_WSMAN_ACTION_NOT_SUPPORTED",
            INVALID_ENUMERATION_CONTEXT => "ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT",
            INVALID_SOAP_BODY => "ERROR_WSMAN_INVALID_SOAP_BODY",
            TIMED_OUT => "ERROR_WSMAN_OPERATION_TIMEDOUT",
            ENCODING_LIMIT => "ERROR_WSMAN_ENCODING_LIMIT",
            SCHEMA_VALIDATION_ERROR => "ERROR_WSMAN_SCHEMA_VALIDATION_ERROR",
            INVALID_SELECTORS => "ERROR_WSMAN_INVALID_SELECTORS",
            REQUEST_TOO_LARGE => "ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS",
            QUOTA_MAX_SHELLS => "ERROR_WSMAN_QUOTA_MAX_SHELLS",
            QUOTA_MAX_OPERATIONS => "ERROR_WSMAN_QUOTA_MAX_OPERATIONS",
            QUOTA_MAX_SHELLUSERS => "ERROR_WSMAN_QUOTA_MAX_SHELLUSERS",
            PULL_PARAMS_NOT_SAME_AS_ENUM => "ERROR_WSMAN_PULL_PARAMS_NOT_SAME_AS_ENUM",
            ENUMERATE_SHELLCOMMANDS_FILTER_EXPECTED => {
                "ERROR_WSMAN_ENUMERATE_SHELLCOMAMNDS_FILTER_EXPECTED"
            }
            SHELL_DISCONNECTED => "ERROR_WINRS_SHELL_DISCONNECTED",
            SHELL_DISCONNECT_NOT_SUPPORTED => "ERROR_WINRS_SHELL_DISCONNECT_NOT_SUPPORTED",
            SHELL_CLIENTSESSIONID_MISMATCH => "ERROR_WINRS_SHELL_CLIENTSESSIONID_MISMATCH",
            SHELL_CONNECTED_TO_DIFFERENT_CLIENT => {
                "ERROR_WINRS_SHELL_CONNECTED_TO_DIFFERENT_CLIENT"
            }
            SHELL_DISCONNECT_OPERATION_NOT_VALID => {
                "ERROR_WINRS_SHELL_DISCONNECT_OPERATION_NOT_VALID"
            }
            SHELL_RECONNECT_OPERATION_NOT_VALID => {
                "ERROR_WINRS_SHELL_RECONNECT_OPERATION_NOT_VALID"
            }
            SHELLCOMMAND_RECONNECT_OPERATION_NOT_VALID => {
                "ERROR_WINRS_SHELLCOMMAND_RECONNECT_OPERATION_NOT_VALID"
            }
            SHELL_CLIENTID_NOT_VALID => "ERROR_WINRS_SHELL_CLIENTID_NOT_VALID",
            SHELLCOMMAND_CLIENTID_RESOURCE_CONFLICT => {
                "ERROR_WINRS_SHELLCOMMAND_CLIENTID_RESOURCE_CONFLICT"
            }
            SHELL_CLIENTID_RESOURCE_CONFLICT => "ERROR_WINRS_SHELL_CLIENTID_RESOURCE_CONFLICT",
            SERVICE_STREAM_DISCONNECTED => "ERROR_WSMAN_SERVICE_STREAM_DISCONNECTED",
            QUOTA_MAX_SHELLS_PPQ => "ERROR_WSMAN_QUOTA_MAX_SHELLS_PPQ",
            QUOTA_MAX_USERS_PPQ => "ERROR_WSMAN_QUOTA_MAX_USERS_PPQ",
            IDLETIMEOUT_OUTOFBOUNDS => "ERROR_WINRS_IDLETIMEOUT_OUTOFBOUNDS",
            _ => return None,
        })
    }
}

/// `w:FaultDetail` URI for unknown shell/command ids.
pub const DETAIL_UNEXPECTED_SELECTORS: &str =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors";
/// `w:FaultDetail` URI for an invalid value.
pub const DETAIL_INVALID_VALUE: &str =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue";

/// The namespace a fault subcode belongs to (WS-Addressing, WS-Enumeration,
/// WS-Transfer or WS-Management), from its local name.
pub fn subcode_namespace(subcode: &str) -> &'static str {
    match subcode {
        "InvalidMessageInformationHeader"
        | "MessageInformationHeaderRequired"
        | "ActionNotSupported"
        | "DestinationUnreachable"
        | "EndpointUnavailable" => NS_ADDRESSING,
        "InvalidEnumerationContext"
        | "InvalidExpirationTime"
        | "FilteringNotSupported"
        | "FilterDialectRequestedUnavailable"
        | "CannotProcessFilter"
        | "UnableToRenew" => NS_ENUMERATION,
        "InvalidRepresentation" => NS_TRANSFER,
        _ => NS_WSMAN,
    }
}

fn local(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, l)| l).trim()
}

impl WsmanFault {
    /// Parses an `s:Fault` element as [MS-WSMV] §2.2.4.x and pypsrp read it:
    /// code, subcode (local name), reason, FaultDetail, WSManFault Code,
    /// Machine, Message and ProviderFault.
    pub fn from_fault_element(fault: &Element) -> Result<WsmanFault, ProtocolError> {
        if !fault.is(NS_SOAP, "Fault") {
            return Err(ProtocolError::Unexpected {
                expected: "{http://www.w3.org/2003/05/soap-envelope}Fault".into(),
                found: fault.qualified_name(),
            });
        }
        let code_el = fault.require(NS_SOAP, "Code")?;
        let code = code_el
            .child_text(NS_SOAP, "Value")
            .map(|t| t.trim().to_owned())
            .ok_or_else(|| ProtocolError::Missing("s:Code/s:Value in s:Fault".into()))?;
        let subcode = code_el
            .path(&[(NS_SOAP, "Subcode"), (NS_SOAP, "Value")])
            .map(|v| local(&v.text()).to_owned())
            .filter(|s| !s.is_empty());
        let reason = fault
            .path(&[(NS_SOAP, "Reason"), (NS_SOAP, "Text")])
            .map(super::super::xml::Element::text);
        let mut out = WsmanFault {
            code,
            subcode,
            reason,
            ..Default::default()
        };
        if let Some(detail) = fault.child(NS_SOAP, "Detail") {
            out.detail = detail
                .child_text(NS_WSMAN, "FaultDetail")
                .map(|t| t.trim().to_owned());
            if let Some(wf) = detail.child(NS_WSMANFAULT, "WSManFault") {
                if let Some(c) = wf.attr("Code") {
                    out.wsman_code =
                        Some(c.trim().parse().map_err(|_| ProtocolError::InvalidValue {
                            what: "WSManFault Code".into(),
                            value: c.into(),
                        })?);
                }
                out.machine = wf.attr("Machine").map(str::to_owned);
                if let Some(msg) = wf.child(NS_WSMANFAULT, "Message") {
                    let text = msg.text();
                    out.message = (!text.trim().is_empty()).then_some(text);
                    if let Some(pf) = msg.child(NS_WSMANFAULT, "ProviderFault") {
                        out.provider_fault = Some(pf.text());
                        out.provider = pf.attr("provider").map(str::to_owned);
                        out.provider_path = pf.attr("path").map(str::to_owned);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The fault in a parsed envelope's body, if it carries one.
    pub fn from_envelope(env: &Element) -> Option<Result<WsmanFault, ProtocolError>> {
        let fault = env.child(NS_SOAP, "Body")?.child(NS_SOAP, "Fault")?;
        Some(WsmanFault::from_fault_element(fault))
    }

    /// The most specific code: `WSManFault/@Code`.
    pub fn code(&self) -> Option<u32> {
        self.wsman_code
    }

    /// The SDK name of the WSManFault code, when known.
    pub fn code_name(&self) -> Option<&'static str> {
        self.wsman_code.and_then(codes::name)
    }

    /// True for `s:Sender` faults (the request was wrong).
    pub fn is_sender(&self) -> bool {
        local(&self.code) == "Sender"
    }

    /// `w:TimedOut` / 2150858793: the normal end of a Receive long poll.
    pub fn is_timed_out(&self) -> bool {
        self.wsman_code == Some(codes::TIMED_OUT)
            || (self.wsman_code.is_none() && self.subcode.as_deref() == Some("TimedOut"))
    }

    /// `w:InvalidSelectors` / 2150858843: shell or command not found.
    pub fn is_invalid_selectors(&self) -> bool {
        self.wsman_code == Some(codes::INVALID_SELECTORS)
            || self.subcode.as_deref() == Some("InvalidSelectors")
    }

    /// The shell is disconnected (2150859204).
    pub fn is_shell_disconnected(&self) -> bool {
        self.wsman_code == Some(codes::SHELL_DISCONNECTED)
    }

    /// The shell is connected to another client (2150859213 or 2150859206).
    pub fn is_connected_to_different_client(&self) -> bool {
        matches!(
            self.wsman_code,
            Some(
                codes::SHELL_CONNECTED_TO_DIFFERENT_CLIENT | codes::SHELL_CLIENTSESSIONID_MISMATCH
            )
        )
    }

    /// IdleTimeOut outside 60 s … MaxIdleTimeOut (2150859250).
    pub fn is_idle_timeout_out_of_bounds(&self) -> bool {
        self.wsman_code == Some(codes::IDLETIMEOUT_OUTOFBOUNDS)
    }

    /// A shell quota was hit (`w:QuotaLimit`, MaxShellsPerUser and friends).
    pub fn is_quota_limit(&self) -> bool {
        matches!(
            self.wsman_code,
            Some(
                codes::QUOTA_MAX_SHELLS
                    | codes::QUOTA_MAX_SHELLS_PPQ
                    | codes::QUOTA_MAX_SHELLUSERS
                    | codes::QUOTA_MAX_USERS_PPQ
                    | codes::QUOTA_MAX_OPERATIONS
            )
        ) || self.subcode.as_deref() == Some("QuotaLimit")
    }

    /// Access denied (Win32 5 or its HRESULT, or `w:AccessDenied`).
    pub fn is_access_denied(&self) -> bool {
        matches!(
            self.wsman_code,
            Some(codes::ACCESS_DENIED | codes::HRESULT_ACCESS_DENIED)
        ) || self.subcode.as_deref() == Some("AccessDenied")
    }

    /// A fault that ends an outstanding Receive when the shell went away or
    /// disconnected (995, 1223, 2150859230): not an error for the caller.
    pub fn is_operation_aborted(&self) -> bool {
        matches!(
            self.wsman_code,
            Some(codes::OPERATION_ABORTED | codes::CANCELLED | codes::SERVICE_STREAM_DISCONNECTED)
        )
    }

    /// A fault in the shape Windows produces for a known situation: the SOAP
    /// code, subcode and reason that go with `code` (see [`codes`]), and the
    /// WSManFault message (the reason when `message` is `None`).
    pub fn windows(code: u32, message: Option<&str>, machine: &str) -> WsmanFault {
        let (sender, subcode, reason, detail): (bool, &str, &str, Option<&str>) = match code {
            codes::TIMED_OUT => (
                false,
                "TimedOut",
                "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ",
                None,
            ),
            codes::INVALID_SELECTORS => (
                true,
                "InvalidSelectors",
                "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ",
                Some(DETAIL_UNEXPECTED_SELECTORS),
            ),
            codes::INVALID_MESSAGE_INFORMATION_HEADER => (
                true,
                "InvalidMessageInformationHeader",
                "The WS-Management service cannot process the request. The request contains one or more invalid SOAP headers. ",
                None,
            ),
            codes::MESSAGE_INFORMATION_HEADER_REQUIRED => (
                true,
                "MessageInformationHeaderRequired",
                "The WS-Management service cannot process the request. The request does not have all the expected SOAP headers. ",
                None,
            ),
            codes::ACTION_NOT_SUPPORTED => (
                true,
                "ActionNotSupported",
                "The WS-Management service does not support the action specified in the request. ",
                None,
            ),
            codes::MUST_UNDERSTAND => (
                true,
                "MustUnderstand",
                "The WS-Management service cannot process a SOAP header in the request that is marked as mustUnderstand by the client. ",
                None,
            ),
            codes::INVALID_SOAP_BODY => (
                true,
                "InvalidBody",
                "The WS-Management service cannot process the request because the request packet does not have a valid SOAP body. ",
                None,
            ),
            codes::SCHEMA_VALIDATION_ERROR => (
                true,
                "SchemaValidationError",
                "The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. ",
                None,
            ),
            codes::ENCODING_LIMIT | codes::REQUEST_TOO_LARGE => (
                true,
                "EncodingLimit",
                "The WS-Management service cannot process the request because the encoding of the request exceeds an internal encoding limit. ",
                None,
            ),
            codes::INVALID_ENUMERATION_CONTEXT => (
                false,
                "InvalidEnumerationContext",
                "The WS-Enumeration context in the enumeration is not valid. Enumeration may have been completed or canceled. ",
                None,
            ),
            codes::QUOTA_MAX_SHELLS
            | codes::QUOTA_MAX_SHELLS_PPQ
            | codes::QUOTA_MAX_SHELLUSERS
            | codes::QUOTA_MAX_USERS_PPQ
            | codes::QUOTA_MAX_OPERATIONS => (
                false,
                "QuotaLimit",
                "The WS-Management service cannot process the request. This user is allowed a maximum number of concurrent shells, which has been exceeded. ",
                None,
            ),
            codes::ACCESS_DENIED | codes::HRESULT_ACCESS_DENIED => {
                (true, "AccessDenied", "Access is denied. ", None)
            }
            codes::INVALID_PARAMETER => (
                true,
                "InvalidParameter",
                "The parameter is incorrect. ",
                Some(DETAIL_INVALID_VALUE),
            ),
            codes::IDLETIMEOUT_OUTOFBOUNDS => (
                true,
                "InvalidParameter",
                "The WS-Management service cannot process the request. The requested IdleTimeout is outside the allowed range. ",
                None,
            ),
            codes::SHELL_DISCONNECTED => (
                false,
                "InternalError",
                "The WinRM service cannot process the request. The WinRS shell instance is currently disconnected. ",
                None,
            ),
            codes::SHELL_CONNECTED_TO_DIFFERENT_CLIENT => (
                false,
                "InternalError",
                "The WinRM service cannot process the request. The WinRS shell instance is currently connected to a different client. ",
                None,
            ),
            _ => (
                false,
                "InternalError",
                "The WS-Management service cannot process the request. ",
                None,
            ),
        };
        WsmanFault {
            code: if sender { "s:Sender" } else { "s:Receiver" }.into(),
            subcode: Some(subcode.into()),
            reason: Some(reason.into()),
            detail: detail.map(str::to_owned),
            wsman_code: Some(code),
            machine: Some(machine.into()),
            message: Some(message.unwrap_or(reason).into()),
            provider_fault: None,
            provider: None,
            provider_path: None,
        }
    }

    /// The Action URI Windows puts on this fault's envelope: the WS-Addressing
    /// fault action for `a:` subcodes, the WS-Management one otherwise.
    pub fn action_uri(&self) -> &'static str {
        match self.subcode.as_deref().map(subcode_namespace) {
            Some(ns) if ns == NS_ADDRESSING => FAULT_ADDRESSING,
            _ => FAULT_WSMAN,
        }
    }

    /// The `s:Fault` element in the exact Windows shape (`s:Code/s:Value`,
    /// `s:Subcode`, `s:Reason/s:Text xml:lang`, `s:Detail` with optional
    /// `w:FaultDetail` and `f:WSManFault Code Machine` / `f:Message`
    /// [/`f:ProviderFault`]).
    pub fn to_element(&self) -> Element {
        let mut code = Element::new(NS_SOAP, "Code").with_child(
            Element::new(NS_SOAP, "Value").with_text(format!("s:{}", local(&self.code))),
        );
        if let Some(sub) = &self.subcode {
            let prefix = match subcode_namespace(sub) {
                ns if ns == NS_ADDRESSING => "a",
                ns if ns == NS_ENUMERATION => "n",
                ns if ns == NS_TRANSFER => "x",
                _ => "w",
            };
            code.push(
                Element::new(NS_SOAP, "Subcode").with_child(
                    Element::new(NS_SOAP, "Value").with_text(format!("{prefix}:{sub}")),
                ),
            );
        }
        let mut fault = Element::new(NS_SOAP, "Fault").with_child(code);
        fault.push(
            Element::new(NS_SOAP, "Reason").with_child(
                Element::new(NS_SOAP, "Text")
                    .with_attr_ns(NS_XML, "lang", "en-US")
                    .with_text(self.reason.clone().unwrap_or_default()),
            ),
        );
        let mut detail = Element::new(NS_SOAP, "Detail");
        if let Some(d) = &self.detail {
            detail.push(Element::new(NS_WSMAN, "FaultDetail").with_text(d.clone()));
        }
        if self.wsman_code.is_some() || self.message.is_some() || self.provider_fault.is_some() {
            let mut wf = Element::new(NS_WSMANFAULT, "WSManFault");
            if let Some(c) = self.wsman_code {
                wf.set_attr("Code", c.to_string());
            }
            if let Some(m) = &self.machine {
                wf.set_attr("Machine", m.clone());
            }
            let mut msg = Element::new(NS_WSMANFAULT, "Message");
            if let Some(pf) = &self.provider_fault {
                let mut p = Element::new(NS_WSMANFAULT, "ProviderFault");
                if let Some(v) = &self.provider {
                    p.set_attr("provider", v.clone());
                }
                if let Some(v) = &self.provider_path {
                    p.set_attr("path", v.clone());
                }
                msg.push(p.with_text(pf.clone()));
            } else if let Some(m) = &self.message {
                msg = msg.with_text(m.clone());
            }
            wf.push(msg);
            detail.push(wf);
        }
        fault.push(detail);
        fault
    }
}
