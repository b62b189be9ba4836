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

impl ConfigInfo {
    fn from_element(el: &Element) -> ConfigInfo {
        let mut values = BTreeMap::new();
        fn walk(el: &Element, prefix: &str, out: &mut BTreeMap<String, String>) {
            for c in el.elements() {
                let key = if prefix.is_empty() {
                    c.name.clone()
                } else {
                    format!("{prefix}/{}", c.name)
                };
                if c.elements().next().is_some() {
                    walk(c, &key, out);
                } else {
                    out.insert(key, c.text());
                }
            }
        }
        walk(el, "", &mut values);
        ConfigInfo { values }
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

// ---------------------------------------------------------------- requests

/// Create a shell. Defaults (from [`CreateShell::powershell`]) are what a
/// PowerShell runspace pool needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateShell {
    /// The ResourceURI (session configuration).
    pub resource_uri: String,
    /// The ShellId attribute (= RPID, upper case); None lets the server pick.
    pub shell_id: Option<String>,
    /// The friendly name, sent as the `Name` attribute like the native client.
    pub name: Option<String>,
    /// IdleTimeOut in milliseconds.
    pub idle_timeout_ms: Option<u64>,
    /// Input stream names (`stdin pr`).
    pub input_streams: String,
    /// Output stream names (`stdout`).
    pub output_streams: String,
    /// Raw bytes of creationXml (SESSION_CAPABILITY + INIT_RUNSPACEPOOL fragments).
    pub creation_xml: Option<Vec<u8>>,
    /// `protocolversion` option (MustComply).
    pub protocol_version: Option<String>,
    /// `WINRS_NOPROFILE` = `TRUE` (MustComply).
    pub no_profile: bool,
    /// `rsp:CompressionType xpress` header: only if MS-XCA is implemented.
    pub compression_xpress: bool,
    /// WinRS: working directory.
    pub working_directory: Option<String>,
    /// WinRS: environment variables.
    pub environment: Vec<(String, String)>,
    /// WinRS: `WINRS_CODEPAGE` option.
    pub codepage: Option<u32>,
    /// `rsp:BufferMode`: what the shell does with output while disconnected
    /// (the session option's OutputBufferingMode; None = the server's
    /// default, the session configuration's).
    pub buffer_mode: Option<BufferMode>,
}

impl CreateShell {
    /// A PowerShell runspace-pool shell.
    pub fn powershell(resource_uri: &str, shell_id: &str, creation_xml: Vec<u8>) -> Self {
        CreateShell {
            resource_uri: resource_uri.into(),
            shell_id: Some(shell_id.into()),
            name: None,
            idle_timeout_ms: None,
            input_streams: "stdin pr".into(),
            output_streams: "stdout".into(),
            creation_xml: Some(creation_xml),
            protocol_version: Some(PROTOCOL_VERSION.into()),
            no_profile: false,
            compression_xpress: false,
            working_directory: None,
            environment: Vec::new(),
            codepage: None,
            buffer_mode: None,
        }
    }

    /// A WinRS cmd shell.
    pub fn cmd() -> Self {
        CreateShell {
            resource_uri: RESOURCE_CMD.into(),
            shell_id: None,
            name: None,
            idle_timeout_ms: None,
            input_streams: "stdin".into(),
            output_streams: "stdout stderr".into(),
            creation_xml: None,
            protocol_version: None,
            no_profile: false,
            compression_xpress: false,
            working_directory: None,
            environment: Vec::new(),
            codepage: None,
            buffer_mode: None,
        }
    }

    /// The request spec.
    pub fn spec(&self) -> RequestSpec {
        let mut shell = Element::new(NS_SHELL, "Shell");
        if let Some(id) = &self.shell_id {
            shell.set_attr("ShellId", id.clone());
        }
        if let Some(n) = &self.name {
            shell.set_attr("Name", n.clone());
        }
        // [MS-WSMV] §2.2.4.37 schema order: WorkingDirectory, Environment,
        // IdleTimeOut, InputStreams, OutputStreams.
        if let Some(w) = &self.working_directory {
            shell.push(Element::new(NS_SHELL, "WorkingDirectory").with_text(w.clone()));
        }
        if !self.environment.is_empty() {
            let mut env = Element::new(NS_SHELL, "Environment");
            for (k, v) in &self.environment {
                env.push(
                    Element::new(NS_SHELL, "Variable")
                        .with_attr("Name", k.clone())
                        .with_text(v.clone()),
                );
            }
            shell.push(env);
        }
        if let Some(ms) = self.idle_timeout_ms {
            shell.push(
                Element::new(NS_SHELL, "IdleTimeOut")
                    .with_text(duration::format_seconds_millis(ms)),
            );
        }
        shell.push(Element::new(NS_SHELL, "InputStreams").with_text(self.input_streams.clone()));
        shell.push(Element::new(NS_SHELL, "OutputStreams").with_text(self.output_streams.clone()));
        // ShellType order puts BufferMode after the streams ([MS-WSMV]
        // §2.2.4.37); PowerShell asks for it at Create (its
        // WSMAN_FLAG_SERVER_BUFFERING_MODE_* flags of WSManCreateShellEx).
        if let Some(b) = self.buffer_mode {
            shell.push(Element::new(NS_SHELL, "BufferMode").with_text(b.as_str()));
        }
        if let Some(x) = &self.creation_xml {
            shell.push(Element::new(NS_POWERSHELL, "creationXml").with_text(B64.encode(x)));
        }
        let mut spec = RequestSpec::new(Action::Create, &self.resource_uri).body(shell);
        if let Some(v) = &self.protocol_version {
            spec = spec.option(WsmanOption::must_comply("protocolversion", v));
        }
        if self.no_profile {
            spec = spec.option(WsmanOption::must_comply("WINRS_NOPROFILE", "TRUE"));
        }
        if let Some(cp) = self.codepage {
            spec = spec.option(WsmanOption::new("WINRS_CODEPAGE", &cp.to_string()));
        }
        if self.compression_xpress {
            spec.extra_headers.push(
                Element::new(NS_SHELL, "CompressionType")
                    .with_attr_ns(NS_SOAP, "mustUnderstand", "true")
                    .with_text("xpress"),
            );
        }
        spec
    }
}

/// A command line: PowerShell puts the first CREATE_PIPELINE fragment in
/// Arguments (base64, see [`CommandLine::psrp`]); WinRS passes text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandLine {
    /// The ResourceURI (session configuration).
    pub resource_uri: String,
    /// The ShellId (upper-case GUID).
    pub shell_id: String,
    /// The CommandId attribute (= PSRP pipeline id, upper case).
    pub command_id: Option<String>,
    /// `rsp:Command` text (PowerShell: the pipeline text for display).
    pub command: String,
    /// `rsp:Arguments`, each as given.
    pub arguments: Vec<String>,
    /// `WINRS_SKIP_CMD_SHELL` option (pypsrp sends False even for PowerShell).
    pub skip_cmd_shell: Option<bool>,
}

impl CommandLine {
    /// A PowerShell pipeline: Arguments = base64 of `first_fragment`.
    pub fn psrp(
        resource_uri: &str,
        shell_id: &str,
        command_id: &str,
        command: &str,
        first_fragment: &[u8],
    ) -> Self {
        CommandLine {
            resource_uri: resource_uri.into(),
            shell_id: shell_id.into(),
            command_id: Some(command_id.into()),
            command: command.into(),
            arguments: vec![B64.encode(first_fragment)],
            skip_cmd_shell: None,
        }
    }

    /// The request spec.
    pub fn spec(&self) -> RequestSpec {
        let mut el = Element::new(NS_SHELL, "CommandLine");
        if let Some(id) = &self.command_id {
            el.set_attr("CommandId", id.clone());
        }
        el.push(Element::new(NS_SHELL, "Command").with_text(self.command.clone()));
        for a in &self.arguments {
            el.push(Element::new(NS_SHELL, "Arguments").with_text(a.clone()));
        }
        let mut spec = RequestSpec::new(Action::Command, &self.resource_uri)
            .shell(&self.shell_id)
            .body(el);
        if let Some(skip) = self.skip_cmd_shell {
            spec = spec.option(WsmanOption::new(
                "WINRS_SKIP_CMD_SHELL",
                if skip { "True" } else { "False" },
            ));
        }
        spec
    }
}

/// The typed requests of every operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Get a shell's state (`…/windows/shell` + ShellId).
    GetShell {
        /// The ShellId (upper-case GUID).
        shell_id: String,
    },
    /// Get the WinRM configuration (admin only).
    GetConfig,
    /// Create a shell.
    Create(CreateShell),
    /// Delete (close) a shell.
    Delete {
        /// The ResourceURI (session configuration).
        resource_uri: String,
        /// The ShellId (upper-case GUID).
        shell_id: String,
    },
    /// Enumerate shells (optimized, `MaxElements`).
    EnumerateShells {
        /// MaxElements.
        max_elements: u32,
    },
    /// Enumerate the commands of a shell (SelectorFilter on ShellId).
    EnumerateCommands {
        /// The ShellId (upper-case GUID).
        shell_id: String,
        /// MaxElements.
        max_elements: u32,
    },
    /// Pull the next page of an enumeration.
    Pull {
        /// The ResourceURI (session configuration).
        resource_uri: String,
        /// The enumeration context.
        context: String,
        /// MaxElements.
        max_elements: u32,
    },
    /// Start a command.
    Command(CommandLine),
    /// Send stream data to a shell or command.
    Send {
        /// The ResourceURI (session configuration).
        resource_uri: String,
        /// The ShellId (upper-case GUID).
        shell_id: String,
        /// `stdin` or `pr` (host responses), with optional CommandId.
        stream: StreamData,
    },
    /// Receive output of the pool (no CommandId) or a command.
    Receive {
        /// The ResourceURI (session configuration).
        resource_uri: String,
        /// The ShellId (upper-case GUID).
        shell_id: String,
        /// The CommandId (upper-case GUID), when given.
        command_id: Option<String>,
        /// `stdout` for PowerShell, `stdout stderr` for WinRS.
        streams: String,
        /// `WSMAN_CMDSHELL_OPTION_KEEPALIVE` = True.
        keep_alive: bool,
    },
    /// Signal a command.
    Signal {
        /// The ResourceURI (session configuration).
        resource_uri: String,
        /// The ShellId (upper-case GUID).
        shell_id: String,
        /// The CommandId (upper-case GUID), when given.
        command_id: String,
        /// e.g. [`SIGNAL_PS_CRTL_C`], [`SIGNAL_TERMINATE`].
        code: String,
    },
    /// Disconnect a shell.
    Disconnect {
        /// The ResourceURI (session configuration).
        resource_uri: String,
        /// The ShellId (upper-case GUID).
        shell_id: String,
        /// IdleTimeOut in milliseconds.
        idle_timeout_ms: Option<u64>,
        /// `rsp:BufferMode` (Block or Drop).
        buffer_mode: Option<BufferMode>,
    },
    /// Reconnect a shell (empty body). With a CommandId the body is
    /// `<rsp:Reconnect CommandId=…/>`: that form is not documented nor
    /// recorded (protocol.md §2.11 VERIFY); prefer Connect(CommandId).
    Reconnect {
        /// The ResourceURI (session configuration).
        resource_uri: String,
        /// The ShellId (upper-case GUID).
        shell_id: String,
        /// The CommandId (upper-case GUID), when given.
        command_id: Option<String>,
        /// `rsp:BufferMode` of a shell Reconnect: the mode the server uses
        /// when the shell is next disconnected ([MS-PSRP] §3.1.5.3.18).
        buffer_mode: Option<BufferMode>,
    },
    /// Connect a pool (connectXml + protocolversion option).
    ConnectShell {
        /// The ResourceURI (session configuration).
        resource_uri: String,
        /// The ShellId (upper-case GUID).
        shell_id: String,
        /// Decoded `connectXml` (SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL).
        connect_xml: Vec<u8>,
        /// The PSRP `protocolversion` option value.
        protocol_version: String,
    },
    /// Connect a command (`<rsp:Connect CommandId=…/>`).
    ConnectCommand {
        /// The ResourceURI (session configuration).
        resource_uri: String,
        /// The ShellId (upper-case GUID).
        shell_id: String,
        /// The CommandId (upper-case GUID), when given.
        command_id: String,
    },
}

impl Request {
    /// The operation.
    pub fn action(&self) -> Action {
        match self {
            Request::GetShell { .. } | Request::GetConfig => Action::Get,
            Request::Create(_) => Action::Create,
            Request::Delete { .. } => Action::Delete,
            Request::EnumerateShells { .. } | Request::EnumerateCommands { .. } => {
                Action::Enumerate
            }
            Request::Pull { .. } => Action::Pull,
            Request::Command(_) => Action::Command,
            Request::Send { .. } => Action::Send,
            Request::Receive { .. } => Action::Receive,
            Request::Signal { .. } => Action::Signal,
            Request::Disconnect { .. } => Action::Disconnect,
            Request::Reconnect { .. } => Action::Reconnect,
            Request::ConnectShell { .. } | Request::ConnectCommand { .. } => Action::Connect,
        }
    }

    /// The request spec (headers + body) of this operation.
    pub fn spec(&self) -> RequestSpec {
        match self {
            Request::GetShell { shell_id } => {
                RequestSpec::new(Action::Get, RESOURCE_SHELL).shell(shell_id)
            }
            Request::GetConfig => RequestSpec::new(Action::Get, RESOURCE_CONFIG),
            Request::Create(c) => c.spec(),
            Request::Delete {
                resource_uri,
                shell_id,
            } => RequestSpec::new(Action::Delete, resource_uri).shell(shell_id),
            Request::EnumerateShells { max_elements } => {
                RequestSpec::new(Action::Enumerate, RESOURCE_SHELL)
                    .body(enumerate_body(*max_elements, None))
            }
            Request::EnumerateCommands {
                shell_id,
                max_elements,
            } => RequestSpec::new(Action::Enumerate, RESOURCE_SHELL_COMMAND)
                .body(enumerate_body(*max_elements, Some(shell_id))),
            Request::Pull {
                resource_uri,
                context,
                max_elements,
            } => RequestSpec::new(Action::Pull, resource_uri).body(
                Element::new(NS_ENUMERATION, "Pull")
                    .with_child(
                        Element::new(NS_ENUMERATION, "EnumerationContext")
                            .with_text(context.clone()),
                    )
                    .with_child(
                        Element::new(NS_ENUMERATION, "MaxElements")
                            .with_text(max_elements.to_string()),
                    ),
            ),
            Request::Command(c) => c.spec(),
            Request::Send {
                resource_uri,
                shell_id,
                stream,
            } => RequestSpec::new(Action::Send, resource_uri)
                .shell(shell_id)
                .body(Element::new(NS_SHELL, "Send").with_child(stream.to_element())),
            Request::Receive {
                resource_uri,
                shell_id,
                command_id,
                streams,
                keep_alive,
            } => {
                let mut ds = Element::new(NS_SHELL, "DesiredStream");
                if let Some(c) = command_id {
                    ds.set_attr("CommandId", c.clone());
                }
                let mut spec = RequestSpec::new(Action::Receive, resource_uri)
                    .shell(shell_id)
                    .body(
                        Element::new(NS_SHELL, "Receive").with_child(ds.with_text(streams.clone())),
                    );
                if *keep_alive {
                    spec = spec.option(WsmanOption::new("WSMAN_CMDSHELL_OPTION_KEEPALIVE", "True"));
                }
                spec
            }
            Request::Signal {
                resource_uri,
                shell_id,
                command_id,
                code,
            } => RequestSpec::new(Action::Signal, resource_uri)
                .shell(shell_id)
                .body(
                    Element::new(NS_SHELL, "Signal")
                        .with_attr("CommandId", command_id.clone())
                        .with_child(Element::new(NS_SHELL, "Code").with_text(code.clone())),
                ),
            Request::Disconnect {
                resource_uri,
                shell_id,
                idle_timeout_ms,
                buffer_mode,
            } => {
                // [MS-WSMV] §2.2.4.15: IdleTimeOut is an xs:duration (raw
                // milliseconds fail schema validation), then BufferMode.
                let mut el = Element::new(NS_SHELL, "Disconnect");
                if let Some(ms) = idle_timeout_ms {
                    el.push(
                        Element::new(NS_SHELL, "IdleTimeOut")
                            .with_text(duration::format_seconds_millis(*ms)),
                    );
                }
                if let Some(b) = buffer_mode {
                    el.push(Element::new(NS_SHELL, "BufferMode").with_text(b.as_str()));
                }
                RequestSpec::new(Action::Disconnect, resource_uri)
                    .shell(shell_id)
                    .body(el)
            }
            Request::Reconnect {
                resource_uri,
                shell_id,
                command_id,
                buffer_mode,
            } => {
                let spec = RequestSpec::new(Action::Reconnect, resource_uri).shell(shell_id);
                match (command_id, buffer_mode) {
                    (Some(c), _) => spec.body(
                        Element::new(NS_SHELL, "Reconnect").with_attr("CommandId", c.clone()),
                    ),
                    (None, Some(b)) => spec
                        .body(Element::new(NS_SHELL, "Reconnect").with_child(
                            Element::new(NS_SHELL, "BufferMode").with_text(b.as_str()),
                        )),
                    (None, None) => spec,
                }
            }
            Request::ConnectShell {
                resource_uri,
                shell_id,
                connect_xml,
                protocol_version,
            } => RequestSpec::new(Action::Connect, resource_uri)
                .shell(shell_id)
                .option(WsmanOption::must_comply(
                    "protocolversion",
                    protocol_version,
                ))
                .body(Element::new(NS_SHELL, "Connect").with_child(
                    Element::new(NS_POWERSHELL, "connectXml").with_text(B64.encode(connect_xml)),
                )),
            Request::ConnectCommand {
                resource_uri,
                shell_id,
                command_id,
            } => RequestSpec::new(Action::Connect, resource_uri)
                .shell(shell_id)
                .body(Element::new(NS_SHELL, "Connect").with_attr("CommandId", command_id.clone())),
        }
    }

    /// Builds the envelope.
    pub fn build(&self, ctx: &RequestContext, ids: &mut dyn IdSource) -> BuiltRequest {
        build_request(ctx, ids, &self.spec())
    }
}

fn enumerate_body(max_elements: u32, shell_id: Option<&str>) -> Element {
    let mut el = Element::new(NS_ENUMERATION, "Enumerate")
        .with_child(Element::new(NS_WSMAN, "OptimizeEnumeration"))
        .with_child(Element::new(NS_WSMAN, "MaxElements").with_text(max_elements.to_string()));
    if let Some(id) = shell_id {
        el.push(
            Element::new(NS_WSMAN, "Filter")
                .with_attr("Dialect", DIALECT_SELECTOR_FILTER)
                .with_child(selector_set(&[("ShellId".into(), id.into())])),
        );
    }
    el
}

/// Identify ([MS-WSMV] §3.1.4.1.23): no WS-Addressing headers, body
/// `wsmid:Identify`. For the unauthenticated variant the transport adds
/// [`IDENTIFY_UNAUTHENTICATED_HEADER`].
pub fn identify_request() -> BuiltRequest {
    let env = Element::new(NS_SOAP, "Envelope")
        .with_child(Element::new(NS_SOAP, "Header"))
        .with_child(Element::new(NS_SOAP, "Body").with_child(Element::new(NS_WSMID, "Identify")));
    BuiltRequest {
        action: None,
        message_id: String::new(),
        xml: env.to_xml(CLIENT_PREFIXES),
        response_limit: 1024 * 1024,
    }
}

// --------------------------------------------------------------- responses

fn body_child<'a>(body: &'a Element, ns: &str, name: &str) -> Result<&'a Element, ProtocolError> {
    body.child(ns, name)
        .ok_or_else(|| ProtocolError::Missing(format!("{{{ns}}}{name} in s:Body")))
}

/// CreateResponse: ResourceCreated and, except on WSMan 2.0, `rsp:Shell`.
pub fn parse_create_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<CreateResponse, ProtocolError> {
    let r = parse_response(req, bytes)?;
    let rc = ResourceCreated::from_element(body_child(&r.body, NS_TRANSFER, "ResourceCreated")?)?;
    let shell = r
        .body
        .child(NS_SHELL, "Shell")
        .map(ShellInfo::from_element)
        .transpose()?;
    Ok(CreateResponse {
        resource_created: rc,
        shell,
    })
}

/// GetResponse of a shell: `rsp:Shell`.
pub fn parse_get_shell_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<ShellInfo, ProtocolError> {
    let r = parse_response(req, bytes)?;
    ShellInfo::from_element(body_child(&r.body, NS_SHELL, "Shell")?)
}

/// GetResponse of the configuration: `cfg:Config`.
pub fn parse_get_config_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<ConfigInfo, ProtocolError> {
    let r = parse_response(req, bytes)?;
    Ok(ConfigInfo::from_element(body_child(
        &r.body, NS_CONFIG, "Config",
    )?))
}

/// EnumerateResponse (optimized: `w:Items`, `w:EndOfSequence`).
pub fn parse_enumerate_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<EnumerationPage, ProtocolError> {
    let r = parse_response(req, bytes)?;
    EnumerationPage::from_element(body_child(&r.body, NS_ENUMERATION, "EnumerateResponse")?)
}

/// PullResponse (`n:Items`, `n:EndOfSequence`).
pub fn parse_pull_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<EnumerationPage, ProtocolError> {
    let r = parse_response(req, bytes)?;
    EnumerationPage::from_element(body_child(&r.body, NS_ENUMERATION, "PullResponse")?)
}

/// CommandResponse: the CommandId.
pub fn parse_command_response(req: &BuiltRequest, bytes: &[u8]) -> Result<String, ProtocolError> {
    let r = parse_response(req, bytes)?;
    let id = body_child(&r.body, NS_SHELL, "CommandResponse")?
        .child_text(NS_SHELL, "CommandId")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ProtocolError::Missing("rsp:CommandId in rsp:CommandResponse".into()))?;
    Ok(id)
}

/// ReceiveResponse: streams (decoded) and CommandState.
pub fn parse_receive_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<ReceiveResult, ProtocolError> {
    let r = parse_response(req, bytes)?;
    ReceiveResult::from_element(body_child(&r.body, NS_SHELL, "ReceiveResponse")?)
}

/// ConnectResponse (pool: streams + connectResponseXml; command: empty).
pub fn parse_connect_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<ConnectResponse, ProtocolError> {
    let r = parse_response(req, bytes)?;
    match r.body.child(NS_SHELL, "ConnectResponse") {
        Some(el) => ConnectResponse::from_element(el),
        None => Ok(ConnectResponse::default()),
    }
}

/// Responses with nothing to read (Send, Signal, Delete, Disconnect,
/// Reconnect, Release): Action, RelatesTo and faults are checked.
pub fn parse_empty_response(req: &BuiltRequest, bytes: &[u8]) -> Result<(), ProtocolError> {
    parse_response(req, bytes).map(|_| ())
}

/// IdentifyResponse (no WS-Addressing headers to check; faults still
/// become [`ProtocolError::Fault`]).
pub fn parse_identify_response(bytes: &[u8]) -> Result<IdentifyInfo, ProtocolError> {
    let env = parse_envelope(bytes, 1024 * 1024)?;
    if let Some(f) = super::fault::WsmanFault::from_envelope(&env) {
        return Err(ProtocolError::Fault(Box::new(f?)));
    }
    let body = env.require(NS_SOAP, "Body")?;
    let el = body_child(body, NS_WSMID, "IdentifyResponse")?;
    let text = |n: &str| {
        el.child_text(NS_WSMID, n)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    Ok(IdentifyInfo {
        protocol_version: text("ProtocolVersion"),
        product_vendor: text("ProductVendor"),
        product_version: text("ProductVersion"),
        security_profiles: el
            .child(NS_WSMID, "SecurityProfiles")
            .map(|sp| {
                sp.children_named(NS_WSMID, "SecurityProfileName")
                    .map(|p| p.text().trim().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// A client's request factory: its [`RequestContext`] and id source, so
/// every request of a client session carries the same SessionId.
#[derive(Clone, Debug)]
pub struct WsmanClient<I: IdSource> {
    /// Settings of every request.
    pub ctx: RequestContext,
    /// Source of MessageIDs and GUIDs.
    pub ids: I,
}

impl<I: IdSource> WsmanClient<I> {
    /// A client with the given settings and ids.
    pub fn new(ctx: RequestContext, ids: I) -> Self {
        WsmanClient { ctx, ids }
    }

    /// Builds the envelope of `req`.
    pub fn build(&mut self, req: &Request) -> BuiltRequest {
        req.build(&self.ctx, &mut self.ids)
    }

    /// A new upper-case GUID (for ShellIds and CommandIds).
    pub fn new_guid(&mut self) -> String {
        super::envelope::upper(self.ids.next_id())
    }
}
