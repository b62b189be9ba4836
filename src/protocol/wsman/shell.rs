//! Typed Windows remote shell operations ([MS-WSMV] §3.1.4.x, [MS-PSRP]
//! §3.1.5.3): request builders for every operation, the shared value types
//! (shell, command, stream data) and the response parsers of the client.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::action::Action;
use super::duration;
use super::envelope::{
    BuiltRequest, IdSource, RequestContext, RequestSpec, WsmanOption, build_request,
    parse_envelope, parse_response, selector_set,
};
use super::namespaces::*;
use crate::protocol::error::ProtocolError;
use crate::protocol::xml::Element;

mod request;
mod response;
pub use request::*;
pub use response::*;

/// Stop a PowerShell pipeline. The typo ("crtl") is the protocol's: the
/// plugin compares ordinally and any other code terminates the command
/// ([MS-PSRP] §3.1.5.3.9).
pub const SIGNAL_PS_CRTL_C: &str = "powershell/signal/crtl_c";
/// What pypsrp 0.9.1 sends to stop a pipeline (really terminates it).
pub const SIGNAL_PYPSRP_CTRL_C: &str = "powershell/signal/ctrl_c";
/// Release a command.
pub const SIGNAL_TERMINATE: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/Terminate";
/// WinRS Ctrl+C.
pub const SIGNAL_WINRS_CTRL_C: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c";
/// WinRS Ctrl+Break.
pub const SIGNAL_WINRS_CTRL_BREAK: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_break";

/// The smallest IdleTimeOut a shell accepts ([MS-WSMV] §2.2.4.22 Quotas:
/// "The minimum value MUST be 60000").
pub const MIN_IDLE_TIMEOUT_MS: u64 = 60_000;

/// Checks a Disconnect/Create IdleTimeOut the way PowerShell does before
/// sending (60 s ≤ value ≤ the shell's MaxIdleTimeOut, when known), so the
/// user sees the problem instead of ERROR_WINRS_IDLETIMEOUT_OUTOFBOUNDS.
pub fn validate_idle_timeout(ms: u64, max_idle_ms: Option<u64>) -> Result<(), ProtocolError> {
    let too_big = max_idle_ms.is_some_and(|max| ms > max);
    if ms < MIN_IDLE_TIMEOUT_MS || too_big {
        return Err(ProtocolError::InvalidValue {
            what: format!(
                "idle time-out (allowed {} s to {} s)",
                MIN_IDLE_TIMEOUT_MS / 1000,
                max_idle_ms.map_or_else(
                    || "the server maximum".to_owned(),
                    |m| (m / 1000).to_string()
                )
            ),
            value: format!("{} s", ms / 1000),
        });
    }
    Ok(())
}

/// True for an upper- or lower-case hyphenated GUID (ShellId, CommandId).
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// HTTP header of an unauthenticated Identify ([MS-WSMV] §3.1.4.1.23):
/// send it with no Authorization header.
pub const IDENTIFY_UNAUTHENTICATED_HEADER: (&str, &str) = ("WSMANIDENTIFY", "unauthenticated");

/// The PSRP protocol version this implementation asks for.
pub const PROTOCOL_VERSION: &str = "2.3";

/// Output buffering of a disconnected shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferMode {
    /// The pipeline pauses when the buffer is full.
    Block,
    /// Oldest output is dropped.
    Drop,
}

impl BufferMode {
    /// `Block` / `Drop`.
    pub fn as_str(self) -> &'static str {
        match self {
            BufferMode::Block => "Block",
            BufferMode::Drop => "Drop",
        }
    }

    /// Parses `Block` / `Drop`.
    pub fn parse(s: &str) -> Result<BufferMode, ProtocolError> {
        match s.trim() {
            "Block" => Ok(BufferMode::Block),
            "Drop" => Ok(BufferMode::Drop),
            other => Err(invalid("BufferMode", other)),
        }
    }
}

/// Server-side state of a shell (`rsp:State`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShellState {
    /// Attached to a client (PowerShell shows Availability=Busy).
    Connected,
    /// Not attached: connectable.
    Disconnected,
    /// Any other value, kept verbatim.
    Other(String),
}

impl ShellState {
    fn parse(s: &str) -> ShellState {
        match s.trim() {
            "Connected" => ShellState::Connected,
            "Disconnected" => ShellState::Disconnected,
            o => ShellState::Other(o.into()),
        }
    }

    /// The wire word.
    pub fn as_str(&self) -> &str {
        match self {
            ShellState::Connected => "Connected",
            ShellState::Disconnected => "Disconnected",
            ShellState::Other(s) => s,
        }
    }
}

/// State of a command (`CommandState/@State` URI or the bare word of a
/// command enumeration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandState {
    /// The command finished; last response for it.
    Done,
    /// The command has not started.
    Pending,
    /// The command is running.
    Running,
    /// Any other value, kept verbatim.
    Other(String),
}

impl CommandState {
    /// Parses a full `…/CommandState/Done` URI or a bare `Done`.
    pub fn parse(s: &str) -> CommandState {
        let s = s.trim();
        let word = s.strip_prefix(COMMAND_STATE_PREFIX).unwrap_or(s);
        match word {
            "Done" => CommandState::Done,
            "Pending" => CommandState::Pending,
            "Running" => CommandState::Running,
            _ => CommandState::Other(s.into()),
        }
    }

    /// The bare word.
    pub fn word(&self) -> &str {
        match self {
            CommandState::Done => "Done",
            CommandState::Pending => "Pending",
            CommandState::Running => "Running",
            CommandState::Other(s) => s,
        }
    }

    /// The full URI ReceiveResponse uses.
    pub fn uri(&self) -> String {
        match self {
            CommandState::Other(s) if s.contains('/') => s.clone(),
            _ => format!("{COMMAND_STATE_PREFIX}{}", self.word()),
        }
    }
}

/// A shell as CreateResponse, Get and Enumerate report it (`rsp:Shell`).
/// Durations are in milliseconds; fields Windows left out are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShellInfo {
    /// The ShellId (upper-case GUID).
    pub shell_id: String,
    /// The friendly name.
    pub name: Option<String>,
    /// The ResourceURI (session configuration).
    pub resource_uri: Option<String>,
    /// `rsp:Owner` (`DOMAIN\\user` or `user`).
    pub owner: Option<String>,
    /// `rsp:ClientIP`: the address of the client that created the shell.
    pub client_ip: Option<String>,
    /// `rsp:ProcessId` of wsmprovhost.exe.
    pub process_id: Option<u32>,
    /// IdleTimeOut in milliseconds.
    pub idle_timeout_ms: Option<u64>,
    /// Input stream names (`stdin pr`).
    pub input_streams: Option<String>,
    /// Output stream names (`stdout`).
    pub output_streams: Option<String>,
    /// MaxIdleTimeOut in milliseconds.
    pub max_idle_timeout_ms: Option<u64>,
    /// UI culture (`Locale`).
    pub locale: Option<String>,
    /// Formatting culture (`DataLocale`).
    pub data_locale: Option<String>,
    /// `NoCompression` | `XpressCompression`.
    pub compression_mode: Option<String>,
    /// `rsp:ProfileLoaded` (Yes = true).
    pub profile_loaded: Option<bool>,
    /// `UTF8` | `UTF16`.
    pub encoding: Option<String>,
    /// `rsp:BufferMode` (Block or Drop).
    pub buffer_mode: Option<BufferMode>,
    /// The state.
    pub state: Option<ShellState>,
    /// ShellRunTime in milliseconds.
    pub shell_run_time_ms: Option<u64>,
    /// ShellInactivity in milliseconds.
    pub shell_inactivity_ms: Option<u64>,
    /// e.g. `46MB`.
    pub memory_used: Option<String>,
    /// `rsp:ChildProcesses`.
    pub child_processes: Option<u32>,
    /// WinRS only.
    pub working_directory: Option<String>,
    /// WinRS only (ms).
    pub lifetime_ms: Option<u64>,
    /// WinRS only: `rsp:Environment/rsp:Variable Name=…`.
    pub environment: Vec<(String, String)>,
    /// Fields whose value was not understood (name, raw value): the shell is
    /// kept with those fields unknown, never dropped for them.
    pub unread: Vec<(String, String)>,
}

fn invalid(what: &str, value: &str) -> ProtocolError {
    ProtocolError::InvalidValue {
        what: what.into(),
        value: value.chars().take(80).collect(),
    }
}

fn opt_text(el: &Element, name: &str) -> Option<String> {
    el.child_text(NS_SHELL, name)
}

fn opt_ms(el: &Element, name: &str) -> Result<Option<u64>, ProtocolError> {
    opt_text(el, name)
        .map(|t| duration::parse_millis(&t))
        .transpose()
}

fn opt_num<T: std::str::FromStr>(el: &Element, name: &str) -> Result<Option<T>, ProtocolError> {
    opt_text(el, name)
        .map(|t| t.trim().parse::<T>().map_err(|_| invalid(name, &t)))
        .transpose()
}

impl ShellInfo {
    /// Reads an `rsp:Shell` element (response form: every field a child).
    pub fn from_element(el: &Element) -> Result<ShellInfo, ProtocolError> {
        if !el.is(NS_SHELL, "Shell") {
            return Err(ProtocolError::Unexpected {
                expected: "rsp:Shell".into(),
                found: el.qualified_name(),
            });
        }
        let shell_id = opt_text(el, "ShellId")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ProtocolError::Missing("rsp:ShellId in rsp:Shell".into()))?;
        // A field with a value this client does not understand is kept
        // as unread rather than losing the whole shell (and, in an
        // enumeration, every other shell of the page).
        let mut unread: Vec<(String, String)> = Vec::new();
        let mut lenient = |name: &str, ok: Result<(), ()>, raw: Option<String>| {
            if let (Err(()), Some(raw)) = (ok, raw) {
                unread.push((name.to_owned(), raw));
            }
        };
        let raw = |name: &str| opt_text(el, name);
        let profile_loaded =
            raw("ProfileLoaded").and_then(|t| match t.trim().to_ascii_lowercase().as_str() {
                "yes" | "true" => Some(true),
                "no" | "false" => Some(false),
                _ => {
                    lenient("ProfileLoaded", Err(()), Some(t));
                    None
                }
            });
        let mut ms = |name: &str| {
            if let Ok(v) = opt_ms(el, name) {
                v
            } else {
                lenient(name, Err(()), raw(name));
                None
            }
        };
        let (
            idle_timeout_ms,
            max_idle_timeout_ms,
            shell_run_time_ms,
            shell_inactivity_ms,
            lifetime_ms,
        ) = (
            ms("IdleTimeOut"),
            ms("MaxIdleTimeOut"),
            ms("ShellRunTime"),
            ms("ShellInactivity"),
            ms("Lifetime"),
        );
        let process_id = opt_num::<u32>(el, "ProcessId").unwrap_or_else(|_| {
            lenient("ProcessId", Err(()), raw("ProcessId"));
            None
        });
        let child_processes = opt_num::<u32>(el, "ChildProcesses").unwrap_or_else(|_| {
            lenient("ChildProcesses", Err(()), raw("ChildProcesses"));
            None
        });
        let buffer_mode = raw("BufferMode").and_then(|t| {
            if let Ok(b) = BufferMode::parse(&t) {
                Some(b)
            } else {
                lenient("BufferMode", Err(()), Some(t));
                None
            }
        });
        let environment = el
            .child(NS_SHELL, "Environment")
            .map(|env| {
                env.children_named(NS_SHELL, "Variable")
                    .map(|v| (v.attr("Name").unwrap_or("").to_owned(), v.text()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(ShellInfo {
            shell_id,
            name: opt_text(el, "Name"),
            resource_uri: opt_text(el, "ResourceUri"),
            owner: opt_text(el, "Owner"),
            client_ip: opt_text(el, "ClientIP"),
            process_id,
            idle_timeout_ms,
            input_streams: opt_text(el, "InputStreams"),
            output_streams: opt_text(el, "OutputStreams"),
            max_idle_timeout_ms,
            locale: opt_text(el, "Locale"),
            data_locale: opt_text(el, "DataLocale"),
            compression_mode: opt_text(el, "CompressionMode"),
            profile_loaded,
            encoding: opt_text(el, "Encoding"),
            buffer_mode,
            state: opt_text(el, "State").map(|t| ShellState::parse(&t)),
            shell_run_time_ms,
            shell_inactivity_ms,
            memory_used: opt_text(el, "MemoryUsed"),
            child_processes,
            working_directory: opt_text(el, "WorkingDirectory"),
            lifetime_ms,
            environment,
            unread,
        })
    }

    /// Writes the `rsp:Shell` element in Windows' field order (Lifetime is
    /// not written: Windows did not echo it in the recordings).
    pub fn to_element(&self) -> Element {
        let mut el = Element::new(NS_SHELL, "Shell");
        fn put(el: &mut Element, name: &str, v: Option<String>) {
            if let Some(v) = v {
                el.push(Element::new(NS_SHELL, name).with_text(v));
            }
        }
        put(&mut el, "ShellId", Some(self.shell_id.clone()));
        put(&mut el, "Name", self.name.clone());
        put(&mut el, "ResourceUri", self.resource_uri.clone());
        put(&mut el, "Owner", self.owner.clone());
        put(&mut el, "ClientIP", self.client_ip.clone());
        put(&mut el, "ProcessId", self.process_id.map(|v| v.to_string()));
        put(&mut el, "WorkingDirectory", self.working_directory.clone());
        if !self.environment.is_empty() {
            let mut env = Element::new(NS_SHELL, "Environment");
            for (k, v) in &self.environment {
                env.push(
                    Element::new(NS_SHELL, "Variable")
                        .with_attr("Name", k.clone())
                        .with_text(v.clone()),
                );
            }
            el.push(env);
        }
        put(
            &mut el,
            "IdleTimeOut",
            self.idle_timeout_ms.map(duration::format_seconds_millis),
        );
        put(&mut el, "InputStreams", self.input_streams.clone());
        put(&mut el, "OutputStreams", self.output_streams.clone());
        put(
            &mut el,
            "MaxIdleTimeOut",
            self.max_idle_timeout_ms
                .map(duration::format_seconds_millis),
        );
        put(&mut el, "Locale", self.locale.clone());
        put(&mut el, "DataLocale", self.data_locale.clone());
        put(&mut el, "CompressionMode", self.compression_mode.clone());
        put(
            &mut el,
            "ProfileLoaded",
            self.profile_loaded
                .map(|b| if b { "Yes" } else { "No" }.to_owned()),
        );
        put(&mut el, "Encoding", self.encoding.clone());
        put(
            &mut el,
            "BufferMode",
            self.buffer_mode.map(|b| b.as_str().to_owned()),
        );
        put(
            &mut el,
            "State",
            self.state.as_ref().map(|s| s.as_str().to_owned()),
        );
        put(
            &mut el,
            "ShellRunTime",
            self.shell_run_time_ms.map(duration::format_dhms),
        );
        put(
            &mut el,
            "ShellInactivity",
            self.shell_inactivity_ms.map(duration::format_dhms),
        );
        put(&mut el, "MemoryUsed", self.memory_used.clone());
        put(
            &mut el,
            "ChildProcesses",
            self.child_processes.map(|v| v.to_string()),
        );
        el
    }
}

/// `x:ResourceCreated`: the endpoint reference of a new shell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceCreated {
    /// `a:Address`: the endpoint URL.
    pub address: String,
    /// The ResourceURI (session configuration).
    pub resource_uri: String,
    /// Selectors (name, value), normally just ShellId.
    pub selectors: Vec<(String, String)>,
}

impl ResourceCreated {
    /// The ShellId selector.
    pub fn shell_id(&self) -> Option<&str> {
        self.selectors
            .iter()
            .find(|(n, _)| n == "ShellId")
            .map(|(_, v)| v.as_str())
    }

    fn from_element(el: &Element) -> Result<ResourceCreated, ProtocolError> {
        let address = el
            .child_text(NS_ADDRESSING, "Address")
            .ok_or_else(|| ProtocolError::Missing("a:Address in x:ResourceCreated".into()))?;
        let refp = el.require(NS_ADDRESSING, "ReferenceParameters")?;
        let resource_uri = refp.child_text(NS_WSMAN, "ResourceURI").ok_or_else(|| {
            ProtocolError::Missing("w:ResourceURI in a:ReferenceParameters".into())
        })?;
        let selectors = refp
            .child(NS_WSMAN, "SelectorSet")
            .map(read_selectors)
            .unwrap_or_default();
        Ok(ResourceCreated {
            address: address.trim().into(),
            resource_uri: resource_uri.trim().into(),
            selectors,
        })
    }

    /// Writes `x:ResourceCreated`.
    pub fn to_element(&self) -> Element {
        Element::new(NS_TRANSFER, "ResourceCreated")
            .with_child(Element::new(NS_ADDRESSING, "Address").with_text(self.address.clone()))
            .with_child(
                Element::new(NS_ADDRESSING, "ReferenceParameters")
                    .with_child(
                        Element::new(NS_WSMAN, "ResourceURI").with_text(self.resource_uri.clone()),
                    )
                    .with_child(selector_set(&self.selectors)),
            )
    }
}

/// Reads `Selector Name=…` children of a SelectorSet.
pub fn read_selectors(set: &Element) -> Vec<(String, String)> {
    set.children_named(NS_WSMAN, "Selector")
        .map(|s| {
            (
                s.attr("Name").unwrap_or("").to_owned(),
                s.text().trim().to_owned(),
            )
        })
        .collect()
}

/// The result of Create.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateResponse {
    /// `x:ResourceCreated`.
    pub resource_created: ResourceCreated,
    /// Absent from Windows Server 2008 R2 (WSMan 2.0) answers.
    pub shell: Option<ShellInfo>,
}

impl CreateResponse {
    /// The ShellId: from `rsp:Shell`, else from the ResourceCreated selectors.
    pub fn shell_id(&self) -> Option<&str> {
        self.shell
            .as_ref()
            .map(|s| s.shell_id.as_str())
            .or_else(|| self.resource_created.shell_id())
    }
}

/// A command of a shell, as command enumeration reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandInfo {
    /// The CommandId (upper-case GUID), when given.
    pub command_id: String,
    /// `rsp:CommandLine`: what the creator put in `rsp:Command`.
    pub command_line: String,
    /// The state.
    pub state: CommandState,
}

impl CommandInfo {
    fn from_element(el: &Element) -> Result<CommandInfo, ProtocolError> {
        Ok(CommandInfo {
            command_id: opt_text(el, "CommandId")
                .map(|s| s.trim().to_owned())
                .ok_or_else(|| ProtocolError::Missing("rsp:CommandId in rsp:Command".into()))?,
            command_line: opt_text(el, "CommandLine").unwrap_or_default(),
            state: CommandState::parse(&opt_text(el, "CommandState").unwrap_or_default()),
        })
    }

    /// Writes `rsp:Command`.
    pub fn to_element(&self) -> Element {
        Element::new(NS_SHELL, "Command")
            .with_child(Element::new(NS_SHELL, "CommandId").with_text(self.command_id.clone()))
            .with_child(Element::new(NS_SHELL, "CommandLine").with_text(self.command_line.clone()))
            .with_child(Element::new(NS_SHELL, "CommandState").with_text(self.state.word()))
    }
}

/// One enumerated item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnumItem {
    /// A shell (`rsp:Shell`).
    Shell(Box<ShellInfo>),
    /// Start a command.
    Command(CommandInfo),
    /// Any other item, kept as XML.
    Other(Element),
}

/// One page of an enumeration (EnumerateResponse or PullResponse).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnumerationPage {
    /// The items, in server order.
    pub items: Vec<EnumItem>,
    /// The context for the next Pull (None or empty when finished).
    pub context: Option<String>,
    /// `EndOfSequence` (either namespace) was present.
    pub end_of_sequence: bool,
}

impl EnumerationPage {
    /// The shells of the page.
    pub fn shells(&self) -> impl Iterator<Item = &ShellInfo> {
        self.items.iter().filter_map(|i| match i {
            EnumItem::Shell(s) => Some(s.as_ref()),
            _ => None,
        })
    }

    /// The commands of the page.
    pub fn commands(&self) -> impl Iterator<Item = &CommandInfo> {
        self.items.iter().filter_map(|i| match i {
            EnumItem::Command(c) => Some(c),
            _ => None,
        })
    }

    /// True when another Pull is needed.
    pub fn needs_pull(&self) -> bool {
        !self.end_of_sequence
            && self
                .context
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty())
    }

    fn from_element(el: &Element) -> Result<EnumerationPage, ProtocolError> {
        let context = el.child_text(NS_ENUMERATION, "EnumerationContext");
        let end_of_sequence = el.child(NS_WSMAN, "EndOfSequence").is_some()
            || el.child(NS_ENUMERATION, "EndOfSequence").is_some();
        let mut items = Vec::new();
        let containers = el
            .children_named(NS_WSMAN, "Items")
            .chain(el.children_named(NS_ENUMERATION, "Items"));
        for c in containers {
            for item in c.elements() {
                items.push(if item.is(NS_SHELL, "Shell") {
                    EnumItem::Shell(Box::new(ShellInfo::from_element(item)?))
                } else if item.is(NS_SHELL, "Command") {
                    EnumItem::Command(CommandInfo::from_element(item)?)
                } else {
                    EnumItem::Other(item.clone())
                });
            }
        }
        Ok(EnumerationPage {
            items,
            context,
            end_of_sequence,
        })
    }
}

/// One `rsp:Stream` of a ReceiveResponse (or Send request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamData {
    /// The stream name (`stdout`, `stderr`, `stdin`, `pr`).
    pub name: String,
    /// The CommandId (upper-case GUID), when given.
    pub command_id: Option<String>,
    /// Decoded bytes.
    pub data: Vec<u8>,
    /// `End="true"` (WinRS).
    pub end: bool,
}

impl StreamData {
    /// Reads an `rsp:Stream` element.
    pub fn from_element(el: &Element) -> Result<StreamData, ProtocolError> {
        let text: String = el.text().chars().filter(|c| !c.is_whitespace()).collect();
        let data = B64
            .decode(text.as_bytes())
            .map_err(|_| ProtocolError::Base64("rsp:Stream".into()))?;
        Ok(StreamData {
            name: el
                .attr("Name")
                .ok_or_else(|| ProtocolError::Missing("Name attribute of rsp:Stream".into()))?
                .to_owned(),
            command_id: el.attr("CommandId").map(str::to_owned),
            data,
            end: el
                .attr("End")
                .is_some_and(|e| e.eq_ignore_ascii_case("true")),
        })
    }

    /// Writes an `rsp:Stream` element (base64 content).
    pub fn to_element(&self) -> Element {
        let mut el = Element::new(NS_SHELL, "Stream").with_attr("Name", self.name.clone());
        if let Some(c) = &self.command_id {
            el.set_attr("CommandId", c.clone());
        }
        if self.end {
            el.set_attr("End", "true");
        }
        el.with_text(B64.encode(&self.data))
    }
}

/// `rsp:CommandState` of a ReceiveResponse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandStateInfo {
    /// The CommandId (upper-case GUID), when given.
    pub command_id: Option<String>,
    /// The state.
    pub state: CommandState,
    /// `rsp:ExitCode`.
    pub exit_code: Option<i64>,
}

/// The result of Receive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiveResult {
    /// Streams in order; concatenate the data of one stream in order.
    pub streams: Vec<StreamData>,
    /// `rsp:CommandState`, when the command reported one.
    pub command_state: Option<CommandStateInfo>,
}

impl ReceiveResult {
    /// True when the command reported CommandState Done.
    pub fn is_done(&self) -> bool {
        self.command_state
            .as_ref()
            .is_some_and(|c| c.state == CommandState::Done)
    }

    fn from_element(el: &Element) -> Result<ReceiveResult, ProtocolError> {
        let streams = el
            .children_named(NS_SHELL, "Stream")
            .map(StreamData::from_element)
            .collect::<Result<Vec<_>, _>>()?;
        let command_state =
            match el.child(NS_SHELL, "CommandState") {
                None => None,
                Some(cs) => Some(CommandStateInfo {
                    command_id: cs.attr("CommandId").map(str::to_owned),
                    state: CommandState::parse(cs.attr("State").ok_or_else(|| {
                        ProtocolError::Missing("State of rsp:CommandState".into())
                    })?),
                    exit_code: opt_num(cs, "ExitCode")?,
                }),
            };
        Ok(ReceiveResult {
            streams,
            command_state,
        })
    }

    /// Writes `rsp:ReceiveResponse`.
    pub fn to_element(&self) -> Element {
        let mut el = Element::new(NS_SHELL, "ReceiveResponse");
        for s in &self.streams {
            el.push(s.to_element());
        }
        if let Some(cs) = &self.command_state {
            let mut c = Element::new(NS_SHELL, "CommandState");
            if let Some(id) = &cs.command_id {
                c.set_attr("CommandId", id.clone());
            }
            c.set_attr("State", cs.state.uri());
            if let Some(code) = cs.exit_code {
                c.push(Element::new(NS_SHELL, "ExitCode").with_text(code.to_string()));
            }
            el.push(c);
        }
        el
    }
}

/// The result of Connect: pool connects carry streams and connectResponseXml,
/// command connects are empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectResponse {
    /// Input stream names (`stdin pr`).
    pub input_streams: Option<String>,
    /// Output stream names (`stdout`).
    pub output_streams: Option<String>,
    /// Decoded `connectResponseXml` (SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA fragments).
    pub connect_response_xml: Option<Vec<u8>>,
}

impl ConnectResponse {
    fn from_element(el: &Element) -> Result<ConnectResponse, ProtocolError> {
        Ok(ConnectResponse {
            input_streams: opt_text(el, "InputStreams"),
            output_streams: opt_text(el, "OutputStreams"),
            connect_response_xml: el
                .child(NS_POWERSHELL, "connectResponseXml")
                .map(|x| decode_b64(&x.text(), "connectResponseXml"))
                .transpose()?,
        })
    }

    /// Writes `rsp:ConnectResponse`.
    pub fn to_element(&self) -> Element {
        let mut el = Element::new(NS_SHELL, "ConnectResponse");
        if let Some(v) = &self.input_streams {
            el.push(Element::new(NS_SHELL, "InputStreams").with_text(v.clone()));
        }
        if let Some(v) = &self.output_streams {
            el.push(Element::new(NS_SHELL, "OutputStreams").with_text(v.clone()));
        }
        if let Some(x) = &self.connect_response_xml {
            el.push(Element::new(NS_POWERSHELL, "connectResponseXml").with_text(B64.encode(x)));
        }
        el
    }
}

/// Decodes base64 text (whitespace ignored).
pub fn decode_b64(text: &str, what: &str) -> Result<Vec<u8>, ProtocolError> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    B64.decode(t.as_bytes())
        .map_err(|_| ProtocolError::Base64(what.into()))
}

/// Encodes bytes as base64.
pub fn encode_b64(data: &[u8]) -> String {
    B64.encode(data)
}

/// The result of Identify.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentifyInfo {
    /// `wsmid:ProtocolVersion` (the WS-Management namespace URI).
    pub protocol_version: String,
    /// `wsmid:ProductVendor`.
    pub product_vendor: String,
    /// e.g. `OS: 10.0.20348 SP: 0.0 Stack: 3.0`.
    pub product_version: String,
    /// `wsmid:SecurityProfileName` values.
    pub security_profiles: Vec<String>,
}

impl IdentifyInfo {
    /// The `Stack: x.y` part of the product version.
    pub fn stack_version(&self) -> Option<&str> {
        self.product_version
            .split("Stack:")
            .nth(1)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Writes `wsmid:IdentifyResponse`.
    pub fn to_element(&self) -> Element {
        let mut el = Element::new(NS_WSMID, "IdentifyResponse")
            .with_child(
                Element::new(NS_WSMID, "ProtocolVersion").with_text(self.protocol_version.clone()),
            )
            .with_child(
                Element::new(NS_WSMID, "ProductVendor").with_text(self.product_vendor.clone()),
            )
            .with_child(
                Element::new(NS_WSMID, "ProductVersion").with_text(self.product_version.clone()),
            );
        if !self.security_profiles.is_empty() {
            let mut sp = Element::new(NS_WSMID, "SecurityProfiles");
            for p in &self.security_profiles {
                sp.push(Element::new(NS_WSMID, "SecurityProfileName").with_text(p.clone()));
            }
            el.push(sp);
        }
        el
    }
}

/// WinRM configuration (`cfg:Config`) flattened to `Path/Name` → value,
/// e.g. `MaxEnvelopeSizekb`, `Service/Auth/Basic`, `Winrs/IdleTimeout`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigInfo {
    /// Values by path.
    pub values: BTreeMap<String, String>,
}

/// The deepest path of a WinRM configuration that is read (Windows' go
/// three levels down: `Service/Auth/Basic`).
pub const MAX_CONFIG_DEPTH: usize = 8;

/// The most bytes of paths and values read from one configuration: a
/// server's answer that would flatten into more is refused.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

impl ConfigInfo {
    /// Flattens `cfg:Config`; a configuration deeper than
    /// [`MAX_CONFIG_DEPTH`] or larger than [`MAX_CONFIG_BYTES`] once
    /// flattened (every leaf repeats its path) is an error.
    pub(crate) fn from_element(el: &Element) -> Result<ConfigInfo, ProtocolError> {
        fn walk(
            el: &Element,
            prefix: &str,
            depth: usize,
            budget: &mut usize,
            out: &mut BTreeMap<String, String>,
        ) -> Result<(), ProtocolError> {
            if depth > MAX_CONFIG_DEPTH {
                return Err(ProtocolError::Limit(format!(
                    "the WinRM configuration is nested deeper than {MAX_CONFIG_DEPTH} levels"
                )));
            }
            for c in el.elements() {
                let key = if prefix.is_empty() {
                    c.name.clone()
                } else {
                    format!("{prefix}/{}", c.name)
                };
                if c.elements().next().is_some() {
                    walk(c, &key, depth + 1, budget, out)?;
                } else {
                    let value = c.text();
                    let cost = key.len() + value.len();
                    if cost > *budget {
                        return Err(ProtocolError::Limit(format!(
                            "the WinRM configuration flattens into more than {MAX_CONFIG_BYTES} bytes"
                        )));
                    }
                    *budget -= cost;
                    out.insert(key, value);
                }
            }
            Ok(())
        }
        let mut values = BTreeMap::new();
        let mut budget = MAX_CONFIG_BYTES;
        walk(el, "", 1, &mut budget, &mut values)?;
        Ok(ConfigInfo { values })
    }

    /// A value by path.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.values.get(path).map(String::as_str)
    }

    /// `MaxEnvelopeSizekb`.
    pub fn max_envelope_size_kb(&self) -> Option<u32> {
        self.get("MaxEnvelopeSizekb")?.trim().parse().ok()
    }

    /// `MaxTimeoutms`.
    pub fn max_timeout_ms(&self) -> Option<u64> {
        self.get("MaxTimeoutms")?.trim().parse().ok()
    }
}

#[cfg(test)]
mod config_tests {
    use super::*;

    #[test]
    fn a_configuration_flattens_within_its_limits() {
        let ok = Element::parse(
            b"<Config><MaxEnvelopeSizekb>500</MaxEnvelopeSizekb><Service><Auth><Basic>false</Basic></Auth></Service></Config>",
        )
        .unwrap();
        let c = ConfigInfo::from_element(&ok).unwrap();
        assert_eq!(c.max_envelope_size_kb(), Some(500));
        assert_eq!(c.get("Service/Auth/Basic"), Some("false"));
        // Nested past the limit: refused, not walked.
        let deep = format!(
            "<Config>{}<x/>{}</Config>",
            "<a>".repeat(MAX_CONFIG_DEPTH),
            "</a>".repeat(MAX_CONFIG_DEPTH)
        );
        let e = ConfigInfo::from_element(&Element::parse(deep.as_bytes()).unwrap()).unwrap_err();
        assert!(e.to_string().contains("deeper than"), "{e}");
        // Every leaf repeats its path: a wide answer under a long path is
        // refused once it would flatten past the byte limit.
        let long = "n".repeat(200);
        let wide = format!(
            "<Config><{long}>{}</{long}></Config>",
            "<v/>".repeat(MAX_CONFIG_BYTES / 200)
        );
        let e = ConfigInfo::from_element(&Element::parse(wide.as_bytes()).unwrap()).unwrap_err();
        assert!(e.to_string().contains("bytes"), "{e}");
    }
}
