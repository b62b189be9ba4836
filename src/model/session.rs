//! PSSessions in PowerShell's own terms: what `Get-PSSession` shows, what the
//! detail panes show, and what the worker reports.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The client-relative state of a PSSession (`$s.State`).
///
/// A session found by `Get-PSSession -ComputerName` that this console does not
/// hold open is always `Disconnected`, whatever the server says; the server's
/// own view is [`ServerShellState`] and shows up as [`Availability`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum SessionState {
    /// Being created or connected.
    Opening,
    /// Open in this console.
    Opened,
    /// Not attached to this console (disconnected by someone, or found by enumeration).
    #[default]
    Disconnected,
    /// Removed or expired.
    Closed,
    /// The connection failed and the session cannot be used from here.
    Broken,
}

impl SessionState {
    /// PowerShell's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Opening => "Opening",
            SessionState::Opened => "Opened",
            SessionState::Disconnected => "Disconnected",
            SessionState::Closed => "Closed",
            SessionState::Broken => "Broken",
        }
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `$s.Availability`: `None` = disconnected and connectable, `Busy` = attached
/// to another client (the server says Connected), `Available` = open here and idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Availability {
    Available,
    #[default]
    None,
    Busy,
}

impl Availability {
    /// PowerShell's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "Available",
            Availability::None => "None",
            Availability::Busy => "Busy",
        }
    }
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `OutputBufferingMode`: what a disconnected session does when its output
/// buffer is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum OutputBufferingMode {
    /// Not set: the server's session configuration decides (normally Block).
    #[default]
    None,
    /// The command pauses until someone reconnects and reads the output.
    Block,
    /// The command keeps running; the oldest output is discarded.
    Drop,
}

impl OutputBufferingMode {
    /// PowerShell's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputBufferingMode::None => "None",
            OutputBufferingMode::Block => "Block",
            OutputBufferingMode::Drop => "Drop",
        }
    }

    /// Parses PowerShell's spelling, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(OutputBufferingMode::None),
            "block" => Some(OutputBufferingMode::Block),
            "drop" => Some(OutputBufferingMode::Drop),
            _ => None,
        }
    }
}

impl fmt::Display for OutputBufferingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The server's own view of a shell (`rsp:State`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServerShellState {
    Connected,
    Disconnected,
}

/// What the server reports about a shell (Enumerate/Create/Get `rsp:Shell`).
/// Every field is optional: Windows Server 2008 R2 reports almost none.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShellDetails {
    pub owner: Option<String>,
    pub client_ip: Option<String>,
    pub process_id: Option<u32>,
    pub server_state: Option<ServerShellState>,
    pub shell_run_time: Option<String>,
    pub shell_inactivity: Option<String>,
    /// Milliseconds the shell has been inactive, parsed from `ShellInactivity`.
    pub shell_inactivity_ms: Option<u64>,
    pub memory_used: Option<String>,
    pub child_processes: Option<u32>,
    pub compression_mode: Option<String>,
    pub profile_loaded: Option<bool>,
    pub encoding: Option<String>,
    pub locale: Option<String>,
    pub data_locale: Option<String>,
    pub resource_uri: Option<String>,
    /// Fields the server sent with a value Baton does not understand (name,
    /// raw value): shown as they came.
    #[serde(default)]
    pub unread: Vec<(String, String)>,
}

/// A command (pipeline) that still exists in a shell, from command enumeration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCommand {
    pub command_id: Uuid,
    /// What the creator put in `rsp:Command` (PowerShell: the pipeline text).
    pub command_line: String,
    /// `Running`, `Done`, `Pending`.
    pub state: String,
}

/// A PSSession as Baton shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Client-local, increasing (`$s.Id`). Never on the wire.
    pub id: u32,
    pub name: String,
    /// = ShellId = RunspacePool id.
    pub instance_id: Uuid,
    /// The computer as the user named it (profile name or host).
    pub computer_name: String,
    pub state: SessionState,
    pub configuration_name: String,
    pub availability: Availability,
    /// Milliseconds (`$s.IdleTimeout` is in ms), when known.
    pub idle_timeout_ms: Option<u64>,
    /// The server maximum (`MaxIdleTimeOut`), in ms, when known.
    pub max_idle_timeout_ms: Option<u64>,
    pub output_buffering_mode: OutputBufferingMode,
    pub disconnected_on: Option<DateTime<Utc>>,
    pub expires_on: Option<DateTime<Utc>>,
    pub details: ShellDetails,
    pub commands: Vec<RemoteCommand>,
    /// Negotiated PSRP protocol version, when this console opened it.
    pub protocol_version: Option<String>,
}

impl SessionInfo {
    /// A session `name` on `computer` with what a Windows server reports by
    /// default (Microsoft.PowerShell, IdleTimeout 2 h of a 12 h maximum,
    /// Block, protocol 2.3), Opened and Available, with id 1 and a new
    /// InstanceId: the one starting point of the tests' and benchmarks'
    /// sessions, changed with the `with_*` methods.
    pub fn new(computer: &str, name: &str) -> Self {
        SessionInfo {
            id: 1,
            name: name.into(),
            instance_id: Uuid::new_v4(),
            computer_name: computer.into(),
            state: SessionState::Opened,
            configuration_name: "Microsoft.PowerShell".into(),
            availability: Availability::Available,
            idle_timeout_ms: Some(7_200_000),
            max_idle_timeout_ms: Some(43_200_000),
            output_buffering_mode: OutputBufferingMode::Block,
            disconnected_on: None,
            expires_on: None,
            details: ShellDetails::default(),
            commands: Vec::new(),
            protocol_version: Some("2.3".into()),
        }
    }

    /// With this state and availability.
    #[must_use]
    pub fn with_state(mut self, state: SessionState, availability: Availability) -> Self {
        self.state = state;
        self.availability = availability;
        self
    }

    /// With this client-local id.
    #[must_use]
    pub fn with_id(mut self, id: u32) -> Self {
        self.id = id;
        self
    }

    /// With this owner (`DOMAIN\user`).
    #[must_use]
    pub fn with_owner(mut self, owner: &str) -> Self {
        self.details.owner = Some(owner.into());
        self
    }

    /// Disconnect/Connect need PSRP ≥ 2.2 ([MS-PSRP] §3.1.4.9); unknown means "try".
    pub fn supports_disconnect(&self) -> bool {
        match &self.protocol_version {
            Some(v) => version_at_least(v, 2, 2),
            None => true,
        }
    }
}

/// `a.b` ≥ `major.minor`.
pub fn version_at_least(v: &str, major: u32, minor: u32) -> bool {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let a = parts.next().unwrap_or(0);
    let b = parts.next().unwrap_or(0);
    (a, b) >= (major, minor)
}

/// A session configuration's quotas, as `Get-PSSessionConfiguration` shows them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigurationQuotas {
    pub name: String,
    /// Every property, in the order the server gave them (`Name : Value`).
    pub properties: Vec<(String, String)>,
}

impl ConfigurationQuotas {
    /// A property by name, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `MaxIdleTimeoutms`, parsed.
    pub fn max_idle_timeout_ms(&self) -> Option<u64> {
        self.get("MaxIdleTimeoutms")?.parse().ok()
    }
}

/// One item of a command's output, by stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OutputItem {
    /// An output object: as PowerShell's console would print it, and as data.
    Output(RemoteObject),
    Error(ErrorView),
    Warning(String),
    Verbose(String),
    Debug(String),
    Information(String),
    Progress(ProgressView),
    /// The remote side asked for input (Read-Host) and what Baton answered.
    HostPrompt(String),
}

impl OutputItem {
    /// The bytes of text the item holds: what the worker counts against the
    /// output in flight to the console or the terminal, and the Output pane
    /// against what it keeps in memory.
    pub fn text_bytes(&self) -> usize {
        match self {
            OutputItem::Output(o) => o.text.len(),
            OutputItem::Error(e) => {
                e.message.len()
                    + e.category.len()
                    + e.fully_qualified_error_id.len()
                    + e.target.as_ref().map_or(0, String::len)
                    + e.script_stack_trace.as_ref().map_or(0, String::len)
            }
            OutputItem::Warning(t)
            | OutputItem::Verbose(t)
            | OutputItem::Debug(t)
            | OutputItem::Information(t)
            | OutputItem::HostPrompt(t) => t.len(),
            OutputItem::Progress(p) => p.activity.len() + p.status.len(),
        }
    }
}

/// A remote output object: its text (as the console prints it) and its
/// data (for `--json` and for tables of its properties).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemoteObject {
    pub text: String,
    pub value: RemoteValue,
}

impl RemoteObject {
    /// An object that is only text (a string written to the output).
    pub fn text(text: impl Into<String>) -> Self {
        let text = text.into();
        RemoteObject {
            value: RemoteValue::Text(text.clone()),
            text,
        }
    }
}

/// A deserialised remote value, in JSON's terms, kept to a bounded depth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RemoteValue {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// Strings, characters, dates (ISO 8601), time spans, GUIDs, URIs,
    /// versions, decimals: their text.
    Text(String),
    List(Vec<RemoteValue>),
    /// A hashtable or dictionary: keys as text, in order.
    Dictionary(Vec<(String, RemoteValue)>),
    /// An object with properties (adapted, then extended), most derived
    /// type name first, and its ToString.
    Object {
        type_names: Vec<String>,
        to_string: Option<String>,
        properties: Vec<(String, RemoteValue)>,
    },
    /// An enum value: its number and its name.
    Enum {
        value: i64,
        name: String,
    },
    /// Deeper than the depth kept, or past the size kept: its text.
    Truncated(String),
}

impl RemoteValue {
    /// The value's text as PowerShell shows it in a table cell or a list.
    pub fn cell_text(&self) -> String {
        match self {
            RemoteValue::Null => String::new(),
            RemoteValue::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
            RemoteValue::Int(i) => i.to_string(),
            RemoteValue::UInt(u) => u.to_string(),
            RemoteValue::Float(f) => f.to_string(),
            RemoteValue::Text(t) | RemoteValue::Truncated(t) => t.clone(),
            RemoteValue::Enum { name, .. } => name.clone(),
            RemoteValue::List(items) => {
                let shown: Vec<String> = items.iter().take(4).map(RemoteValue::cell_text).collect();
                let more = if items.len() > 4 { ", …" } else { "" };
                format!("{{{}{more}}}", shown.join(", "))
            }
            RemoteValue::Dictionary(_) => "{System.Collections.Hashtable}".to_owned(),
            RemoteValue::Object {
                to_string,
                type_names,
                ..
            } => to_string
                .clone()
                .or_else(|| type_names.first().cloned())
                .unwrap_or_default(),
        }
    }
}

/// An error record, with the details PowerShell prints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorView {
    pub message: String,
    pub fully_qualified_error_id: String,
    pub category: String,
    pub target: Option<String>,
    pub script_stack_trace: Option<String>,
}

/// A progress record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgressView {
    pub activity_id: i32,
    pub parent_activity_id: i32,
    pub activity: String,
    pub status: String,
    pub current_operation: Option<String>,
    /// -1 when unknown.
    pub percent_complete: i32,
    pub seconds_remaining: i32,
    pub completed: bool,
}

/// A failure as a person reads it: what failed, why, and what to do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserError {
    /// One line: what failed (`Cannot connect ITTask on Srv1`).
    pub summary: String,
    /// Why, in the server's or the library's words.
    pub detail: String,
    /// What to do about it, when there is something to do.
    pub advice: Option<String>,
    /// PowerShell's FullyQualifiedErrorId, when there is one.
    pub error_id: Option<String>,
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        if let Some(a) = &self.advice {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UserError {}

/// A value the user hands a remote script (`-ArgumentList`, `-InputObject`,
/// pipeline input), in the console's terms; the worker serialises it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptValue {
    /// `$null`.
    Null,
    Int(i64),
    String(String),
    /// A property bag (a PSCustomObject of string properties).
    Record(Vec<(String, String)>),
    /// An array (one object that is a list).
    List(Vec<ScriptValue>),
}
