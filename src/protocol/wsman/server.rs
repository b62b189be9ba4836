//! The server role (for the lab endpoint): incoming request envelopes parsed
//! into typed [`WsmanRequest`]s, with errors that say which Windows fault to
//! answer; and response builders in the exact shape Windows sends.

use super::action::Action;
use super::duration;
use super::envelope::{ResponseIds, build_server_envelope, parse_envelope};
use super::fault::{WsmanFault, codes};
use super::namespaces::*;
use super::shell::{
    BufferMode, CommandInfo, ConfigInfo, ConnectResponse, EnumItem, IdentifyInfo, ReceiveResult,
    ResourceCreated, ShellInfo, StreamData, decode_b64, read_selectors,
};
use crate::protocol::error::ProtocolError;
use crate::protocol::xml::Element;

/// Why a request was refused, with the WSManFault code Windows answers with
/// (see [`WsmanFault::windows`]) and a message naming the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError {
    /// A [`codes`] value, e.g. [`codes::ACTION_NOT_SUPPORTED`].
    pub code: u32,
    /// What is wrong, for the fault message.
    pub message: String,
    /// The request's MessageID when it could be read (for `a:RelatesTo`).
    pub message_id: Option<String>,
}

impl RequestError {
    fn new(code: u32, message: impl Into<String>) -> Self {
        RequestError {
            code,
            message: message.into(),
            message_id: None,
        }
    }

    /// The fault to send back.
    pub fn to_fault(&self, machine: &str) -> WsmanFault {
        WsmanFault::windows(self.code, Some(&self.message), machine)
    }
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

/// Header values of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestHeaders {
    /// `wsa:MessageID` (`uuid:…`).
    pub message_id: String,
    /// `wsa:To`.
    pub to: Option<String>,
    /// The ResourceURI (session configuration).
    pub resource_uri: Option<String>,
    /// `wsmv:SessionId` (`uuid:…`).
    pub session_id: Option<String>,
    /// SelectorSet entries (name, value).
    pub selectors: Vec<(String, String)>,
    /// Options (name, value, MustComply).
    pub options: Vec<(String, String, bool)>,
    /// `wsman:OperationTimeout` in milliseconds.
    pub operation_timeout_ms: Option<u64>,
    /// `wsman:MaxEnvelopeSize` in bytes.
    pub max_envelope_size: Option<u32>,
    /// UI culture (`Locale`).
    pub locale: Option<String>,
    /// Formatting culture (`DataLocale`).
    pub data_locale: Option<String>,
    /// `rsp:CompressionType` (Create).
    pub compression_type: Option<String>,
}

impl RequestHeaders {
    /// A selector value.
    pub fn selector(&self, name: &str) -> Option<&str> {
        self.selectors
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The ShellId selector.
    pub fn shell_id(&self) -> Option<&str> {
        self.selector("ShellId")
    }

    /// An option value.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.as_str())
    }
}

/// Body of a Create.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateBody {
    /// The ShellId (upper-case GUID).
    pub shell_id: Option<String>,
    /// `Name` attribute, or (pypsrp WinRS) `rsp:Name` child.
    pub name: Option<String>,
    /// IdleTimeOut in milliseconds.
    pub idle_timeout_ms: Option<u64>,
    /// Input stream names (`stdin pr`).
    pub input_streams: Option<String>,
    /// Output stream names (`stdout`).
    pub output_streams: Option<String>,
    /// Decoded `creationXml` (SESSION_CAPABILITY + INIT_RUNSPACEPOOL).
    pub creation_xml: Option<Vec<u8>>,
    /// WinRS working directory.
    pub working_directory: Option<String>,
    /// WinRS Lifetime in milliseconds.
    pub lifetime_ms: Option<u64>,
    /// Environment variables (name, value).
    pub environment: Vec<(String, String)>,
    /// `rsp:BufferMode` (Block or Drop).
    pub buffer_mode: Option<BufferMode>,
}

/// Typed body of each operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestBody {
    /// `wsmid:Identify` (no WS-Addressing headers).
    Identify,
    /// Get, Delete, Release and shell Reconnect have no body.
    Empty,
    /// `rsp:Shell` of a Create.
    Create(CreateBody),
    /// `wsen:Enumerate`.
    Enumerate {
        /// `wsman:OptimizeEnumeration` present.
        optimize: bool,
        /// MaxElements.
        max_elements: Option<u32>,
        /// ShellId of a SelectorFilter.
        filter_shell_id: Option<String>,
    },
    /// `wsen:Pull`.
    Pull {
        /// The enumeration context.
        context: String,
        /// MaxElements.
        max_elements: Option<u32>,
    },
    /// `rsp:CommandLine`.
    Command {
        /// The CommandId (upper-case GUID), when given.
        command_id: Option<String>,
        /// `rsp:Command` text.
        command: String,
        /// `rsp:Arguments` texts (PowerShell: one base64 fragment).
        arguments: Vec<String>,
    },
    /// `rsp:Send`.
    Send {
        /// Stream names, or the streams.
        streams: Vec<StreamData>,
    },
    /// `rsp:Receive`.
    Receive {
        /// The CommandId (upper-case GUID), when given.
        command_id: Option<String>,
        /// Stream names, or the streams.
        streams: String,
        /// `SequenceId` attribute (reserved).
        sequence_id: Option<u64>,
    },
    /// `rsp:Signal`.
    Signal {
        /// The CommandId (upper-case GUID), when given.
        command_id: Option<String>,
        /// The signal code URI (e.g. `powershell/signal/crtl_c`).
        code: String,
    },
    /// `rsp:Disconnect` (or an empty body).
    Disconnect {
        /// IdleTimeOut in milliseconds.
        idle_timeout_ms: Option<u64>,
        /// `rsp:BufferMode` (Block or Drop).
        buffer_mode: Option<BufferMode>,
    },
    /// Empty body, or `rsp:Reconnect` with a CommandId or a BufferMode.
    Reconnect {
        /// The CommandId (upper-case GUID), when given.
        command_id: Option<String>,
        /// `rsp:BufferMode` (Block or Drop), for the next disconnection.
        buffer_mode: Option<BufferMode>,
    },
    /// `rsp:Connect` with connectXml (pool) or CommandId (command).
    Connect {
        /// The CommandId (upper-case GUID), when given.
        command_id: Option<String>,
        /// Decoded `connectXml` (SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL).
        connect_xml: Option<Vec<u8>>,
        /// `rsp:BufferMode` (Block or Drop).
        buffer_mode: Option<BufferMode>,
    },
}

/// A parsed request. `action` is None for Identify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsmanRequest {
    /// The operation.
    pub action: Option<Action>,
    /// Header values.
    pub headers: RequestHeaders,
    /// The typed body.
    pub body: RequestBody,
}

/// The largest request the lab accepts by default (Windows' 500 KiB
/// MaxEnvelopeSizekb).
pub const DEFAULT_MAX_REQUEST: usize = 512_000;

fn schema(msg: impl Into<String>) -> RequestError {
    RequestError::new(codes::SCHEMA_VALIDATION_ERROR, msg)
}

fn bad_header(msg: impl Into<String>) -> RequestError {
    RequestError::new(codes::INVALID_MESSAGE_INFORMATION_HEADER, msg)
}

/// Parses a request envelope as a Windows service would, refusing input
/// larger than `max_bytes`.
pub fn parse_request(bytes: &[u8], max_bytes: usize) -> Result<WsmanRequest, RequestError> {
    let env = match parse_envelope(bytes, max_bytes) {
        Ok(e) => e,
        Err(ProtocolError::Limit(m)) => return Err(RequestError::new(codes::REQUEST_TOO_LARGE, m)),
        Err(ProtocolError::Xml(m)) => {
            return Err(schema(format!("the request is not well-formed xml: {m}")));
        }
        Err(ProtocolError::Missing(m)) => {
            return Err(RequestError::new(codes::INVALID_SOAP_BODY, m));
        }
        Err(e) => return Err(RequestError::new(codes::INVALID_SOAP_BODY, e.to_string())),
    };
    let body = match env.child(NS_SOAP, "Body") {
        Some(b) => b,
        None => return Err(RequestError::new(codes::INVALID_SOAP_BODY, "no s:Body")),
    };
    let empty = Element::new(NS_SOAP, "Header");
    let header = env.child(NS_SOAP, "Header").unwrap_or(&empty);
    let action_text = header
        .child_text(NS_ADDRESSING, "Action")
        .map(|s| s.trim().to_owned());
    if action_text.is_none() && body.child(NS_WSMID, "Identify").is_some() {
        return Ok(WsmanRequest {
            action: None,
            headers: RequestHeaders::default(),
            body: RequestBody::Identify,
        });
    }
    let mut headers = read_headers(header)?;
    let message_id = headers.message_id.clone();
    let attach = |mut e: RequestError| {
        if !message_id.is_empty() {
            e.message_id = Some(message_id.clone());
        }
        e
    };
    let action_text = action_text.ok_or_else(|| {
        attach(RequestError::new(
            codes::MESSAGE_INFORMATION_HEADER_REQUIRED,
            "the request has no wsa:Action header",
        ))
    })?;
    let action = Action::from_uri(&action_text).ok_or_else(|| {
        attach(RequestError::new(
            codes::ACTION_NOT_SUPPORTED,
            format!("the action {action_text} is not supported"),
        ))
    })?;
    if headers.resource_uri.is_none() {
        return Err(attach(RequestError::new(
            codes::MESSAGE_INFORMATION_HEADER_REQUIRED,
            "the request has no wsman:ResourceURI header",
        )));
    }
    let body = read_body(action, body, &headers).map_err(attach)?;
    // Enumeration of shells requires the shell resource ([MS-WSMV] <114>).
    if action == Action::Enumerate {
        let uri = headers.resource_uri.as_deref().unwrap_or("");
        if uri != RESOURCE_SHELL && uri != RESOURCE_SHELL_COMMAND {
            return Err(attach(RequestError::new(
                codes::ACTION_NOT_SUPPORTED,
                format!("enumeration is not supported on {uri}"),
            )));
        }
        if uri == RESOURCE_SHELL_COMMAND
            && !matches!(
                body,
                RequestBody::Enumerate {
                    filter_shell_id: Some(_),
                    ..
                }
            )
        {
            return Err(attach(RequestError::new(
                codes::ENUMERATE_SHELLCOMMANDS_FILTER_EXPECTED,
                "command enumeration needs a ShellId selector filter",
            )));
        }
    }
    headers.message_id = message_id;
    Ok(WsmanRequest {
        action: Some(action),
        headers,
        body,
    })
}

fn read_headers(header: &Element) -> Result<RequestHeaders, RequestError> {
    let mut h = RequestHeaders::default();
    // [MS-WSMV] §3.1.4.1.1: wsa:MessageID is required and must be a uuid: URI.
    let mid = header
        .child_text(NS_ADDRESSING, "MessageID")
        .map(|s| s.trim().to_owned())
        .ok_or_else(|| {
            RequestError::new(
                codes::MESSAGE_INFORMATION_HEADER_REQUIRED,
                "the request has no wsa:MessageID header",
            )
        })?;
    if mid.is_empty() || mid.len() > 256 {
        return Err(bad_header(format!("invalid wsa:MessageID {mid:?}")));
    }
    h.message_id = mid;
    h.to = header
        .child_text(NS_ADDRESSING, "To")
        .map(|s| s.trim().to_owned());
    h.resource_uri = header
        .child_text(NS_WSMAN, "ResourceURI")
        .map(|s| s.trim().to_owned());
    h.session_id = header
        .child_text(NS_WSMV, "SessionId")
        .map(|s| s.trim().to_owned());
    if let Some(set) = header.child(NS_WSMAN, "SelectorSet") {
        h.selectors = read_selectors(set);
    }
    if let Some(set) = header.child(NS_WSMAN, "OptionSet") {
        for o in set.children_named(NS_WSMAN, "Option") {
            let name = o
                .attr("Name")
                .ok_or_else(|| bad_header("wsman:Option without a Name"))?;
            let mc = o
                .attr("MustComply")
                .is_some_and(|v| v == "true" || v == "1");
            h.options
                .push((name.to_owned(), o.text().trim().to_owned(), mc));
        }
    }
    if let Some(t) = header.child_text(NS_WSMAN, "OperationTimeout") {
        // Windows answers "The XML contains an invalid timeout field in the
        // SOAP header: PT-1S." for anything that is not a positive duration.
        let ms = duration::parse_millis(&t).map_err(|_| {
            bad_header(format!(
                "The XML contains an invalid timeout field in the SOAP header: {}.",
                t.trim()
            ))
        })?;
        h.operation_timeout_ms = Some(ms);
    }
    if let Some(t) = header.child_text(NS_WSMAN, "MaxEnvelopeSize") {
        let v: u32 = t
            .trim()
            .parse()
            .map_err(|_| bad_header(format!("invalid wsman:MaxEnvelopeSize {:?}", t.trim())))?;
        // [MS-WSMV] §3.1.4.1.7: below 8192 ⇒ EncodingLimit.
        if v < 8192 {
            return Err(RequestError::new(
                codes::ENCODING_LIMIT,
                format!("wsman:MaxEnvelopeSize {v} is below 8192"),
            ));
        }
        h.max_envelope_size = Some(v);
    }
    if let Some(l) = header.child(NS_WSMAN, "Locale") {
        // [MS-WSMV] §3.1.4.1.8: Locale with mustUnderstand="true" is unsupported.
        if l.attr_ns(NS_SOAP, "mustUnderstand") == Some("true") {
            return Err(RequestError::new(
                codes::MUST_UNDERSTAND,
                "wsman:Locale must not be mustUnderstand",
            ));
        }
        h.locale = l.attr_ns(NS_XML, "lang").map(str::to_owned);
    }
    if let Some(l) = header.child(NS_WSMV, "DataLocale") {
        if l.attr_ns(NS_SOAP, "mustUnderstand") == Some("true") {
            return Err(RequestError::new(
                codes::MUST_UNDERSTAND,
                "wsmv:DataLocale must not be mustUnderstand",
            ));
        }
        h.data_locale = l.attr_ns(NS_XML, "lang").map(str::to_owned);
    }
    h.compression_type = header
        .child_text(NS_SHELL, "CompressionType")
        .map(|s| s.trim().to_owned());
    Ok(h)
}

fn first_child<'a>(body: &'a Element, name: &str) -> Result<&'a Element, RequestError> {
    let el = body
        .elements()
        .next()
        .ok_or_else(|| schema(format!("the body has no rsp:{name}")))?;
    if !el.is(NS_SHELL, name) {
        return Err(schema(format!(
            "expected rsp:{name}, found {}",
            el.qualified_name()
        )));
    }
    Ok(el)
}

fn ms_child(el: &Element, name: &str) -> Result<Option<u64>, RequestError> {
    match el.child_text(NS_SHELL, name) {
        None => Ok(None),
        // Raw milliseconds fail schema validation on Windows (pywinrm#377).
        Some(t) => duration::parse_millis(&t)
            .map(Some)
            .map_err(|_| schema(format!("rsp:{name} {:?} is not an xs:duration", t.trim()))),
    }
}

fn buffer_child(el: &Element) -> Result<Option<BufferMode>, RequestError> {
    el.child_text(NS_SHELL, "BufferMode")
        .map(|t| BufferMode::parse(&t).map_err(|_| schema(format!("invalid rsp:BufferMode {t:?}"))))
        .transpose()
}

fn b64(text: &str, what: &str) -> Result<Vec<u8>, RequestError> {
    decode_b64(text, what).map_err(|_| schema(format!("{what} is not valid base64")))
}

fn u32_text(t: &str, what: &str) -> Result<u32, RequestError> {
    t.trim()
        .parse()
        .map_err(|_| schema(format!("invalid {what} {:?}", t.trim())))
}

fn read_body(
    action: Action,
    body: &Element,
    h: &RequestHeaders,
) -> Result<RequestBody, RequestError> {
    let shell_scoped = matches!(
        action,
        Action::Command
            | Action::Send
            | Action::Receive
            | Action::Signal
            | Action::Delete
            | Action::Disconnect
            | Action::Reconnect
            | Action::Connect
    );
    if shell_scoped && h.shell_id().is_none() {
        return Err(RequestError::new(
            codes::INVALID_SELECTORS,
            format!("the {} request has no ShellId selector", action.name()),
        ));
    }
    Ok(match action {
        Action::Get | Action::Delete | Action::Release | Action::Put => RequestBody::Empty,
        Action::Create => read_create(body)?,
        Action::Enumerate => read_enumerate(body)?,
        Action::Pull => {
            let el = body
                .child(NS_ENUMERATION, "Pull")
                .ok_or_else(|| schema("the body has no wsen:Pull"))?;
            RequestBody::Pull {
                context: el
                    .child_text(NS_ENUMERATION, "EnumerationContext")
                    .map(|s| s.trim().to_owned())
                    .ok_or_else(|| schema("wsen:Pull has no EnumerationContext"))?,
                max_elements: el
                    .child_text(NS_ENUMERATION, "MaxElements")
                    .map(|t| u32_text(&t, "wsen:MaxElements"))
                    .transpose()?,
            }
        }
        Action::Command => {
            let el = first_child(body, "CommandLine")?;
            RequestBody::Command {
                command_id: el.attr("CommandId").map(str::to_owned),
                command: el.child_text(NS_SHELL, "Command").unwrap_or_default(),
                arguments: el
                    .children_named(NS_SHELL, "Arguments")
                    .map(Element::text)
                    .collect(),
            }
        }
        Action::Send => {
            let el = first_child(body, "Send")?;
            let streams = el
                .children_named(NS_SHELL, "Stream")
                .map(|s| StreamData::from_element(s).map_err(|e| schema(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            if streams.is_empty() {
                return Err(schema("rsp:Send has no rsp:Stream"));
            }
            RequestBody::Send { streams }
        }
        Action::Receive => read_receive(body)?,
        Action::Signal => {
            let el = first_child(body, "Signal")?;
            RequestBody::Signal {
                command_id: el.attr("CommandId").map(str::to_owned),
                code: el
                    .child_text(NS_SHELL, "Code")
                    .map(|s| s.trim().to_owned())
                    .ok_or_else(|| schema("rsp:Signal has no rsp:Code"))?,
            }
        }
        Action::Disconnect => {
            if body.elements().next().is_none() {
                RequestBody::Disconnect {
                    idle_timeout_ms: None,
                    buffer_mode: None,
                }
            } else {
                let el = first_child(body, "Disconnect")?;
                RequestBody::Disconnect {
                    idle_timeout_ms: ms_child(el, "IdleTimeOut")?,
                    buffer_mode: buffer_child(el)?,
                }
            }
        }
        Action::Reconnect => {
            if body.elements().next().is_none() {
                RequestBody::Reconnect {
                    command_id: None,
                    buffer_mode: None,
                }
            } else {
                let el = first_child(body, "Reconnect")?;
                RequestBody::Reconnect {
                    command_id: el.attr("CommandId").map(str::to_owned),
                    buffer_mode: buffer_child(el)?,
                }
            }
        }
        Action::Connect => {
            let el = first_child(body, "Connect")?;
            let command_id = el.attr("CommandId").map(str::to_owned);
            let connect_xml = el
                .child(NS_POWERSHELL, "connectXml")
                .map(|c| b64(&c.text(), "connectXml"))
                .transpose()?;
            if command_id.is_none() && connect_xml.is_none() {
                return Err(schema("rsp:Connect has neither CommandId nor connectXml"));
            }
            RequestBody::Connect {
                command_id,
                connect_xml,
                buffer_mode: buffer_child(el)?,
            }
        }
    })
}

/// Reads a Create's rsp:Shell.
fn read_create(body: &Element) -> Result<RequestBody, RequestError> {
    let el = first_child(body, "Shell")?;
    let name = el
        .attr("Name")
        .map(str::to_owned)
        .or_else(|| el.child_text(NS_SHELL, "Name"));
    let environment = el
        .child(NS_SHELL, "Environment")
        .map(|e| {
            e.children_named(NS_SHELL, "Variable")
                .map(|v| (v.attr("Name").unwrap_or("").to_owned(), v.text()))
                .collect()
        })
        .unwrap_or_default();
    let shell_id = el.attr("ShellId").map(str::to_owned);
    if let Some(id) = &shell_id
        && !super::shell::is_guid(id)
    {
        return Err(RequestError::new(
            codes::SHELL_CLIENTID_NOT_VALID,
            format!("the ShellId {id:?} is not a GUID"),
        ));
    }
    Ok(RequestBody::Create(CreateBody {
        shell_id,
        name,
        idle_timeout_ms: ms_child(el, "IdleTimeOut")?,
        input_streams: el.child_text(NS_SHELL, "InputStreams"),
        output_streams: el.child_text(NS_SHELL, "OutputStreams"),
        creation_xml: el
            .child(NS_POWERSHELL, "creationXml")
            .map(|c| b64(&c.text(), "creationXml"))
            .transpose()?,
        working_directory: el.child_text(NS_SHELL, "WorkingDirectory"),
        lifetime_ms: ms_child(el, "Lifetime")?,
        environment,
        buffer_mode: buffer_child(el)?,
    }))
}

/// Reads an Enumerate's wsen:Enumerate and its selector filter.
fn read_enumerate(body: &Element) -> Result<RequestBody, RequestError> {
    let el = body
        .child(NS_ENUMERATION, "Enumerate")
        .ok_or_else(|| schema("the body has no wsen:Enumerate"))?;
    let filter_shell_id = match el.child(NS_WSMAN, "Filter") {
        None => None,
        Some(f) => {
            if f.attr("Dialect") != Some(DIALECT_SELECTOR_FILTER) {
                return Err(schema("only the SelectorFilter dialect is supported"));
            }
            let sels = f
                .child(NS_WSMAN, "SelectorSet")
                .map(read_selectors)
                .unwrap_or_default();
            Some(
                sels.into_iter()
                    .find(|(n, _)| n == "ShellId")
                    .map(|(_, v)| v)
                    .ok_or_else(|| schema("the selector filter has no ShellId"))?,
            )
        }
    };
    Ok(RequestBody::Enumerate {
        optimize: el.child(NS_WSMAN, "OptimizeEnumeration").is_some(),
        max_elements: el
            .child_text(NS_WSMAN, "MaxElements")
            .map(|t| u32_text(&t, "wsman:MaxElements"))
            .transpose()?,
        filter_shell_id,
    })
}

/// Reads a Receive's rsp:Receive.
fn read_receive(body: &Element) -> Result<RequestBody, RequestError> {
    let el = first_child(body, "Receive")?;
    let ds = el
        .child(NS_SHELL, "DesiredStream")
        .ok_or_else(|| schema("rsp:Receive has no rsp:DesiredStream"))?;
    Ok(RequestBody::Receive {
        command_id: ds.attr("CommandId").map(str::to_owned),
        streams: ds.text().trim().to_owned(),
        sequence_id: el
            .attr("SequenceId")
            .map(|s| {
                s.trim()
                    .parse()
                    .map_err(|_| schema(format!("invalid SequenceId {s:?}")))
            })
            .transpose()?,
    })
}

/// The lab's check of a requested IdleTimeOut against the shell's maximum:
/// below 60 s or above `max_idle_ms` ⇒ ERROR_WINRS_IDLETIMEOUT_OUTOFBOUNDS.
pub fn check_idle_timeout(ms: u64, max_idle_ms: u64) -> Result<(), RequestError> {
    super::shell::validate_idle_timeout(ms, Some(max_idle_ms)).map_err(|_| {
        RequestError::new(
            codes::IDLETIMEOUT_OUTOFBOUNDS,
            "The WS-Management service cannot process the request. The requested IdleTimeout is outside the allowed range. ",
        )
    })
}

// ------------------------------------------------------------ responses

/// Root prefixes Windows declares on transfer/shell responses.
const SHELL_ROOT: &[&str] = &["s", "a", "x", "w", "rsp", "p"];
/// Root prefixes of responses without rsp (Delete, Disconnect, Reconnect).
const PLAIN_ROOT: &[&str] = &["s", "a", "w", "p"];
/// Root prefixes of Get responses.
const GET_ROOT: &[&str] = &["s", "a", "x", "w", "p"];
/// Root prefixes of enumeration responses.
const ENUM_ROOT: &[&str] = &["s", "a", "n", "w", "p"];
/// Root prefixes of faults.
const FAULT_ROOT: &[&str] = &["s", "a", "x", "e", "n", "w", "p"];

const REDECLARE: &[(&str, &str)] = &[
    (NS_SHELL, "Shell"),
    (NS_SHELL, "Command"),
    (NS_WSMANFAULT, "WSManFault"),
    (NS_CONFIG, "Config"),
];

fn respond(ids: &ResponseIds, action: Action, body: Vec<Element>, root: &[&str]) -> String {
    build_server_envelope(ids, &action.response_uri(), body, root, REDECLARE)
}

/// CreateResponse: `x:ResourceCreated` plus `rsp:Shell` (omit the shell for
/// the WSMan 2.0 / Server 2008 R2 form).
pub fn create_response(
    ids: &ResponseIds,
    created: &ResourceCreated,
    shell: Option<&ShellInfo>,
) -> String {
    let mut body = vec![created.to_element()];
    if let Some(s) = shell {
        body.push(s.to_element());
    }
    respond(ids, Action::Create, body, SHELL_ROOT)
}

/// GetResponse with a shell.
pub fn get_shell_response(ids: &ResponseIds, shell: &ShellInfo) -> String {
    respond(ids, Action::Get, vec![shell.to_element()], GET_ROOT)
}

/// GetResponse with the WinRM configuration (keys as [`ConfigInfo`] paths).
pub fn get_config_response(ids: &ResponseIds, config: &ConfigInfo) -> String {
    let mut root = Element::new(NS_CONFIG, "Config");
    for (path, value) in &config.values {
        let mut cur = &mut root;
        let parts: Vec<&str> = path.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let pos = cur.children.iter().position(
                |n| matches!(n, crate::protocol::xml::Node::Element(e) if e.name == *part && !last),
            );
            let idx = if let Some(p) = pos {
                p
            } else {
                let mut el = Element::new(NS_CONFIG, part);
                if last {
                    el = el.with_text(value.clone());
                }
                cur.push(el);
                cur.children.len() - 1
            };
            cur = match cur.children.get_mut(idx) {
                Some(crate::protocol::xml::Node::Element(e)) => e,
                _ => break,
            };
        }
    }
    respond(ids, Action::Get, vec![root], GET_ROOT)
}

fn enum_items(items: &[EnumItem]) -> Vec<Element> {
    items
        .iter()
        .map(|i| match i {
            EnumItem::Shell(s) => s.to_element(),
            EnumItem::Command(c) => c.to_element(),
            EnumItem::Other(e) => e.clone(),
        })
        .collect()
}

/// Optimized EnumerateResponse: `n:EnumerationContext` (empty when
/// finished), `w:Items` (omitted when empty), `w:EndOfSequence`.
pub fn enumerate_response(
    ids: &ResponseIds,
    items: &[EnumItem],
    context: Option<&str>,
    end: bool,
) -> String {
    let mut el = Element::new(NS_ENUMERATION, "EnumerateResponse").with_child(
        Element::new(NS_ENUMERATION, "EnumerationContext").with_text(context.unwrap_or("")),
    );
    if !items.is_empty() {
        let mut it = Element::new(NS_WSMAN, "Items");
        for e in enum_items(items) {
            it.push(e);
        }
        el.push(it);
    }
    if end {
        el.push(Element::new(NS_WSMAN, "EndOfSequence"));
    }
    respond(ids, Action::Enumerate, vec![el], ENUM_ROOT)
}

/// PullResponse ([MS-WSMV] §4.7.6: `n:Items`, `n:EndOfSequence`).
pub fn pull_response(
    ids: &ResponseIds,
    items: &[EnumItem],
    context: Option<&str>,
    end: bool,
) -> String {
    let mut el = Element::new(NS_ENUMERATION, "PullResponse");
    if let Some(c) = context.filter(|_| !end) {
        el.push(Element::new(NS_ENUMERATION, "EnumerationContext").with_text(c));
    }
    let mut it = Element::new(NS_ENUMERATION, "Items");
    for e in enum_items(items) {
        it.push(e);
    }
    el.push(it);
    if end {
        el.push(Element::new(NS_ENUMERATION, "EndOfSequence"));
    }
    respond(ids, Action::Pull, vec![el], ENUM_ROOT)
}

/// CommandResponse.
pub fn command_response(ids: &ResponseIds, command_id: &str) -> String {
    let el = Element::new(NS_SHELL, "CommandResponse")
        .with_child(Element::new(NS_SHELL, "CommandId").with_text(command_id));
    respond(ids, Action::Command, vec![el], SHELL_ROOT)
}

/// SendResponse (`<rsp:SendResponse/>`).
pub fn send_response(ids: &ResponseIds) -> String {
    respond(
        ids,
        Action::Send,
        vec![Element::new(NS_SHELL, "SendResponse")],
        SHELL_ROOT,
    )
}

/// ReceiveResponse with streams and CommandState.
pub fn receive_response(ids: &ResponseIds, result: &ReceiveResult) -> String {
    respond(
        ids,
        Action::Receive,
        vec![result.to_element()],
        &["s", "a", "w", "rsp", "p"],
    )
}

/// SignalResponse.
pub fn signal_response(ids: &ResponseIds) -> String {
    respond(
        ids,
        Action::Signal,
        vec![Element::new(NS_SHELL, "SignalResponse")],
        SHELL_ROOT,
    )
}

/// DeleteResponse (empty body).
pub fn delete_response(ids: &ResponseIds) -> String {
    respond(ids, Action::Delete, vec![], PLAIN_ROOT)
}

/// DisconnectResponse (empty body).
pub fn disconnect_response(ids: &ResponseIds) -> String {
    respond(ids, Action::Disconnect, vec![], PLAIN_ROOT)
}

/// ReconnectResponse (empty body).
pub fn reconnect_response(ids: &ResponseIds) -> String {
    respond(ids, Action::Reconnect, vec![], PLAIN_ROOT)
}

/// ConnectResponse: pool form with streams and connectResponseXml, or the
/// empty `<rsp:ConnectResponse/>` of a command connect.
pub fn connect_response(ids: &ResponseIds, resp: &ConnectResponse) -> String {
    respond(ids, Action::Connect, vec![resp.to_element()], SHELL_ROOT)
}

/// IdentifyResponse (no WS-Addressing header).
pub fn identify_response(info: &IdentifyInfo) -> String {
    let env = Element::new(NS_SOAP, "Envelope")
        .with_attr_ns(NS_XML, "lang", "en-US")
        .with_child(Element::new(NS_SOAP, "Header"))
        .with_child(Element::new(NS_SOAP, "Body").with_child(info.to_element()));
    super::envelope::write_windows(&env, &["s"], &[])
}

/// A fault envelope as Windows sends it (HTTP 500): fault action,
/// `s:Fault` with Code/Subcode, Reason, Detail/FaultDetail/WSManFault.
pub fn fault_response(ids: &ResponseIds, fault: &WsmanFault) -> String {
    build_server_envelope(
        ids,
        fault.action_uri(),
        vec![fault.to_element()],
        FAULT_ROOT,
        REDECLARE,
    )
}

/// A `CommandInfo` for enumeration answers.
pub fn command_item(
    command_id: &str,
    command_line: &str,
    state: super::shell::CommandState,
) -> EnumItem {
    EnumItem::Command(CommandInfo {
        command_id: command_id.into(),
        command_line: command_line.into(),
        state,
    })
}
