//! Typed bodies of the PSRP messages Baton's flows use ([MS-PSRP] §2.2.2),
//! built in the exact shape Windows and PowerShell produce and parsed
//! leniently (unknown extra properties are ignored).

use uuid::Uuid;

use crate::protocol::clixml::{self, Container, Primitive, PsObject, PsValue};
use crate::protocol::error::ProtocolError;

/// Our highest PSRP protocol version ([MS-PSRP] §2.2.3.10; 2.3 is PowerShell 5.1 and 7).
pub const PROTOCOL_VERSION: &str = "2.3";
/// `PSVersion` in SESSION_CAPABILITY: always 2.0 ([MS-PSRP] §2.2.2.1).
pub const PS_VERSION: &str = "2.0";
/// `SerializationVersion` in SESSION_CAPABILITY.
pub const SERIALIZATION_VERSION: &str = "1.1.0.1";

const T_ENUM: [&str; 3] = ["System.Enum", "System.ValueType", "System.Object"];

fn enum_obj(type_name: &str, name: &str, value: i32) -> PsValue {
    let mut types = vec![type_name.to_owned()];
    types.extend(T_ENUM.iter().map(|s| (*s).to_owned()));
    PsObject::enumeration(&types, name, value).into()
}

fn missing(what: &str, message: &str) -> ProtocolError {
    ProtocolError::Psrp(format!("{message} has no valid {what}"))
}

fn get_i32(v: &PsValue, name: &str, message: &str) -> Result<i32, ProtocolError> {
    v.get(name)
        .and_then(PsValue::as_i32)
        .ok_or_else(|| missing(name, message))
}

/// `RunspacePoolState` ([MS-PSRP] §2.2.3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunspacePoolState {
    BeforeOpen = 0,
    Opening = 1,
    Opened = 2,
    Closed = 3,
    Closing = 4,
    Broken = 5,
    NegotiationSent = 6,
    NegotiationSucceeded = 7,
    Connecting = 8,
    Disconnected = 9,
}

impl RunspacePoolState {
    /// From the wire value.
    pub fn from_i32(v: i32) -> Option<Self> {
        use RunspacePoolState::*;
        Some(match v {
            0 => BeforeOpen,
            1 => Opening,
            2 => Opened,
            3 => Closed,
            4 => Closing,
            5 => Broken,
            6 => NegotiationSent,
            7 => NegotiationSucceeded,
            8 => Connecting,
            9 => Disconnected,
            _ => return None,
        })
    }
}

/// `PSInvocationState` ([MS-PSRP] §2.2.3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PipelineState {
    NotStarted = 0,
    Running = 1,
    Stopping = 2,
    Stopped = 3,
    Completed = 4,
    Failed = 5,
    Disconnected = 6,
}

impl PipelineState {
    /// From the wire value.
    pub fn from_i32(v: i32) -> Option<Self> {
        use PipelineState::*;
        Some(match v {
            0 => NotStarted,
            1 => Running,
            2 => Stopping,
            3 => Stopped,
            4 => Completed,
            5 => Failed,
            6 => Disconnected,
            _ => return None,
        })
    }

    /// Completed, Failed or Stopped.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            PipelineState::Completed | PipelineState::Failed | PipelineState::Stopped
        )
    }

    /// PowerShell's name.
    pub fn as_str(self) -> &'static str {
        match self {
            PipelineState::NotStarted => "NotStarted",
            PipelineState::Running => "Running",
            PipelineState::Stopping => "Stopping",
            PipelineState::Stopped => "Stopped",
            PipelineState::Completed => "Completed",
            PipelineState::Failed => "Failed",
            PipelineState::Disconnected => "Disconnected",
        }
    }
}

/// SESSION_CAPABILITY ([MS-PSRP] §2.2.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionCapability {
    pub protocol_version: String,
    pub ps_version: String,
    pub serialization_version: String,
}

impl Default for SessionCapability {
    fn default() -> Self {
        SessionCapability {
            protocol_version: PROTOCOL_VERSION.into(),
            ps_version: PS_VERSION.into(),
            serialization_version: SERIALIZATION_VERSION.into(),
        }
    }
}

impl SessionCapability {
    /// The message body.
    pub fn to_value(&self) -> PsValue {
        PsObject::new()
            .with_ms("protocolversion", PsValue::version(&self.protocol_version))
            .with_ms("PSVersion", PsValue::version(&self.ps_version))
            .with_ms(
                "SerializationVersion",
                PsValue::version(&self.serialization_version),
            )
            .into()
    }

    /// Parses the message body.
    pub fn from_value(v: &PsValue) -> Result<Self, ProtocolError> {
        let text = |name: &str| -> Result<String, ProtocolError> {
            match v.get(name).and_then(PsValue::primitive) {
                Some(Primitive::Version(s) | Primitive::Str(s)) => Ok(s.clone()),
                _ => Err(missing(name, "SESSION_CAPABILITY")),
            }
        };
        Ok(SessionCapability {
            protocol_version: text("protocolversion")?,
            ps_version: text("PSVersion").unwrap_or_else(|_| PS_VERSION.into()),
            serialization_version: text("SerializationVersion")
                .unwrap_or_else(|_| SERIALIZATION_VERSION.into()),
        })
    }
}

/// Compares two `major.minor` protocol versions.
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| -> Vec<u32> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a).cmp(&parse(b))
}

/// The lower of our version and the peer's: what both sides speak.
pub fn negotiate_version(ours: &str, theirs: &str) -> String {
    if version_cmp(ours, theirs).is_le() {
        ours.to_owned()
    } else {
        theirs.to_owned()
    }
}

/// `HostInfo` for a client that has no host to offer ([MS-PSRP] §2.2.3.14):
/// the remote side then uses its own default host.
pub fn null_host_info() -> PsValue {
    PsObject::new()
        .with_ms("_isHostNull", true)
        .with_ms("_isHostUINull", true)
        .with_ms("_isHostRawUINull", true)
        .with_ms("_useRunspaceHost", true)
        .into()
}

/// INIT_RUNSPACEPOOL ([MS-PSRP] §2.2.2.2).
#[derive(Clone, Debug, PartialEq)]
pub struct InitRunspacePool {
    pub min_runspaces: i32,
    pub max_runspaces: i32,
    /// `ApplicationArguments` (a PSPrimitiveDictionary), usually none.
    pub application_arguments: Option<PsValue>,
}

impl Default for InitRunspacePool {
    fn default() -> Self {
        InitRunspacePool {
            min_runspaces: 1,
            max_runspaces: 1,
            application_arguments: None,
        }
    }
}

impl InitRunspacePool {
    /// The message body, as PowerShell sends it.
    pub fn to_value(&self) -> PsValue {
        PsObject::new()
            .with_ms("MinRunspaces", self.min_runspaces)
            .with_ms("MaxRunspaces", self.max_runspaces)
            .with_ms(
                "PSThreadOptions",
                enum_obj(
                    "System.Management.Automation.Runspaces.PSThreadOptions",
                    "Default",
                    0,
                ),
            )
            .with_ms(
                "ApartmentState",
                enum_obj(
                    "System.Management.Automation.Runspaces.ApartmentState",
                    "UNKNOWN",
                    2,
                ),
            )
            .with_ms("HostInfo", null_host_info())
            .with_ms(
                "ApplicationArguments",
                self.application_arguments.clone().unwrap_or(PsValue::NIL),
            )
            .into()
    }

    /// Parses the message body.
    pub fn from_value(v: &PsValue) -> Result<Self, ProtocolError> {
        Ok(InitRunspacePool {
            min_runspaces: get_i32(v, "MinRunspaces", "INIT_RUNSPACEPOOL")?,
            max_runspaces: get_i32(v, "MaxRunspaces", "INIT_RUNSPACEPOOL")?,
            application_arguments: v
                .get("ApplicationArguments")
                .filter(|a| !a.is_nil())
                .cloned(),
        })
    }
}

/// CONNECT_RUNSPACEPOOL ([MS-PSRP] §2.2.2.28): min/max may be omitted (pypsrp
/// sends an empty string); PowerShell sends 1/1 for PSSessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ConnectRunspacePool {
    pub min_max: Option<(i32, i32)>,
}

impl ConnectRunspacePool {
    /// The message body.
    pub fn to_value(&self) -> PsValue {
        match self.min_max {
            Some((min, max)) => PsObject::new()
                .with_ms("MinRunspaces", min)
                .with_ms("MaxRunspaces", max)
                .into(),
            None => PsValue::str(""),
        }
    }

    /// Parses the message body.
    pub fn from_value(v: &PsValue) -> Result<Self, ProtocolError> {
        if v.as_object().is_none() {
            return Ok(ConnectRunspacePool { min_max: None });
        }
        Ok(ConnectRunspacePool {
            min_max: Some((
                get_i32(v, "MinRunspaces", "CONNECT_RUNSPACEPOOL")?,
                get_i32(v, "MaxRunspaces", "CONNECT_RUNSPACEPOOL")?,
            )),
        })
    }
}

/// RUNSPACEPOOL_INIT_DATA ([MS-PSRP] §2.2.2.29).
pub fn runspace_pool_init_data(min: i32, max: i32) -> PsValue {
    PsObject::new()
        .with_ms("MinRunspaces", min)
        .with_ms("MaxRunspaces", max)
        .into()
}

/// RUNSPACEPOOL_STATE ([MS-PSRP] §2.2.2.9).
pub fn runspace_pool_state(state: RunspacePoolState, error: Option<PsValue>) -> PsValue {
    let mut o = PsObject::new().with_ms("RunspaceState", state as i32);
    if let Some(e) = error {
        o = o.with_ms("ExceptionAsErrorRecord", e);
    }
    o.into()
}

/// Parses RUNSPACEPOOL_STATE.
pub fn parse_runspace_pool_state(
    v: &PsValue,
) -> Result<(RunspacePoolState, Option<PsValue>), ProtocolError> {
    let n = get_i32(v, "RunspaceState", "RUNSPACEPOOL_STATE")?;
    let state = RunspacePoolState::from_i32(n)
        .ok_or_else(|| ProtocolError::Psrp(format!("unknown runspace pool state {n}")))?;
    Ok((state, v.get("ExceptionAsErrorRecord").cloned()))
}

/// PIPELINE_STATE ([MS-PSRP] §2.2.2.21).
pub fn pipeline_state(state: PipelineState, error: Option<PsValue>) -> PsValue {
    let mut o = PsObject::new().with_ms("PipelineState", state as i32);
    if let Some(e) = error {
        o = o.with_ms("ExceptionAsErrorRecord", e);
    }
    o.into()
}

/// Parses PIPELINE_STATE.
pub fn parse_pipeline_state(
    v: &PsValue,
) -> Result<(PipelineState, Option<PsValue>), ProtocolError> {
    let n = get_i32(v, "PipelineState", "PIPELINE_STATE")?;
    let state = PipelineState::from_i32(n)
        .ok_or_else(|| ProtocolError::Psrp(format!("unknown pipeline state {n}")))?;
    Ok((state, v.get("ExceptionAsErrorRecord").cloned()))
}

/// APPLICATION_PRIVATE_DATA ([MS-PSRP] §2.2.2.13) of a server with this
/// `PSVersionTable` (name, value pairs already typed).
pub fn application_private_data(ps_version_table: Vec<(String, PsValue)>) -> PsValue {
    const DICT: [&str; 3] = [
        "System.Management.Automation.PSPrimitiveDictionary",
        "System.Collections.Hashtable",
        "System.Object",
    ];
    let table = PsObject::with_types(&DICT).with_container(Container::Dictionary(
        ps_version_table
            .into_iter()
            .map(|(k, v)| (PsValue::str(k), v))
            .collect(),
    ));
    let outer = PsObject::with_types(&DICT).with_container(Container::Dictionary(vec![(
        PsValue::str("PSVersionTable"),
        table.into(),
    )]));
    PsObject::new()
        .with_ms("ApplicationPrivateData", PsValue::from(outer))
        .into()
}

/// The `PSVersionTable` inside APPLICATION_PRIVATE_DATA, as text pairs.
pub fn parse_ps_version_table(v: &PsValue) -> Vec<(String, String)> {
    let table = v
        .get("ApplicationPrivateData")
        .and_then(|d| d.dict_get("PSVersionTable"));
    let Some(entries) = table.and_then(PsValue::as_dict) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(k, v)| {
            let key = k.as_str()?.to_owned();
            let val = match v.primitive() {
                Some(Primitive::Version(s) | Primitive::Str(s)) => s.clone(),
                _ => match v.as_list() {
                    Some(items) => items
                        .iter()
                        .filter_map(|i| match i.primitive() {
                            Some(Primitive::Version(s) | Primitive::Str(s)) => Some(s.clone()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    None => return None,
                },
            };
            Some((key, val))
        })
        .collect()
}

/// One command of a pipeline in CREATE_PIPELINE ([MS-PSRP] §2.2.3.12).
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineCommand {
    /// The command name, or the script text when `is_script`.
    pub cmd: String,
    pub is_script: bool,
    /// Arguments: (parameter name or none for positional, value).
    pub args: Vec<(Option<String>, PsValue)>,
}

impl PipelineCommand {
    /// A script command (`Invoke-Command { … }`).
    pub fn script(text: &str) -> Self {
        PipelineCommand {
            cmd: text.to_owned(),
            is_script: true,
            args: Vec::new(),
        }
    }

    /// A command by name with named or positional arguments.
    pub fn command(name: &str) -> Self {
        PipelineCommand {
            cmd: name.to_owned(),
            is_script: false,
            args: Vec::new(),
        }
    }

    /// Builder: a named parameter.
    #[must_use]
    pub fn with_param(mut self, name: &str, value: impl Into<PsValue>) -> Self {
        self.args.push((Some(name.to_owned()), value.into()));
        self
    }

    /// Builder: a positional argument.
    #[must_use]
    pub fn with_arg(mut self, value: impl Into<PsValue>) -> Self {
        self.args.push((None, value.into()));
        self
    }
}

const LIST_OF_PSOBJECT: &str = "System.Collections.Generic.List`1[[System.Management.Automation.PSObject, System.Management.Automation, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]";
const RESULT_TYPES: &str = "System.Management.Automation.Runspaces.PipelineResultTypes";

/// CREATE_PIPELINE ([MS-PSRP] §2.2.2.10).
#[derive(Clone, Debug, PartialEq)]
pub struct CreatePipeline {
    pub commands: Vec<PipelineCommand>,
    /// True when no PIPELINE_INPUT will follow.
    pub no_input: bool,
    pub add_to_history: bool,
    pub is_nested: bool,
}

impl CreatePipeline {
    /// A pipeline running one script, with no input: `Invoke-Command -Session $s { … }`.
    pub fn script(text: &str) -> Self {
        CreatePipeline {
            commands: vec![PipelineCommand::script(text)],
            no_input: true,
            add_to_history: false,
            is_nested: false,
        }
    }

    /// The pipeline as one line of text (what PowerShell puts in `rsp:Command`).
    pub fn display_text(&self) -> String {
        self.commands
            .iter()
            .map(|c| {
                let mut s = c.cmd.clone();
                for (name, v) in &c.args {
                    if let Some(n) = name {
                        s.push_str(&format!(" -{n}"));
                    }
                    if let Some(t) = v.as_str() {
                        s.push_str(&format!(" {t}"));
                    }
                }
                s
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// The message body for `protocol_version` (2.1 lacks the per-stream merges).
    pub fn to_value(&self, protocol_version: &str) -> PsValue {
        let merge = |name: &str| enum_obj(RESULT_TYPES, name, 0);
        let v22 = version_cmp(protocol_version, "2.2").is_ge();
        let v23 = version_cmp(protocol_version, "2.3").is_ge();
        let cmds: Vec<PsValue> = self
            .commands
            .iter()
            .map(|c| {
                let args: Vec<PsValue> = c
                    .args
                    .iter()
                    .map(|(n, v)| {
                        PsObject::new()
                            .with_ms("N", n.clone().map_or(PsValue::NIL, PsValue::str))
                            .with_ms("V", v.clone())
                            .into()
                    })
                    .collect();
                let mut o = PsObject::new()
                    .with_ms("Cmd", c.cmd.as_str())
                    .with_ms("IsScript", c.is_script)
                    .with_ms("UseLocalScope", PsValue::NIL)
                    .with_ms("MergeMyResult", merge("None"))
                    .with_ms("MergeToResult", merge("None"))
                    .with_ms("MergePreviousResults", merge("None"))
                    .with_ms(
                        "Args",
                        PsValue::from(
                            PsObject::with_types(&[LIST_OF_PSOBJECT, "System.Object"])
                                .with_container(Container::List(args)),
                        ),
                    );
                if v22 {
                    o = o
                        .with_ms("MergeError", merge("None"))
                        .with_ms("MergeWarning", merge("None"))
                        .with_ms("MergeVerbose", merge("None"))
                        .with_ms("MergeDebug", merge("None"));
                }
                if v23 {
                    o = o.with_ms("MergeInformation", merge("None"));
                }
                o.into()
            })
            .collect();
        let powershell = PsObject::new()
            .with_ms("IsNested", self.is_nested)
            .with_ms("ExtraCmds", PsValue::NIL)
            .with_ms(
                "Cmds",
                PsValue::from(
                    PsObject::with_types(&[LIST_OF_PSOBJECT, "System.Object"])
                        .with_container(Container::List(cmds)),
                ),
            )
            .with_ms("History", PsValue::NIL)
            .with_ms("RedirectShellErrorOutputPipe", false);
        PsObject::new()
            .with_ms("NoInput", self.no_input)
            .with_ms(
                "ApartmentState",
                enum_obj(
                    "System.Management.Automation.Runspaces.ApartmentState",
                    "UNKNOWN",
                    2,
                ),
            )
            .with_ms(
                "RemoteStreamOptions",
                enum_obj(
                    "System.Management.Automation.Runspaces.RemoteStreamOptions",
                    "AddInvocationInfo",
                    15,
                ),
            )
            .with_ms("AddToHistory", self.add_to_history)
            .with_ms("HostInfo", null_host_info())
            .with_ms("PowerShell", PsValue::from(powershell))
            .with_ms("IsNested", self.is_nested)
            .into()
    }

    /// Parses the message body.
    pub fn from_value(v: &PsValue) -> Result<Self, ProtocolError> {
        const M: &str = "CREATE_PIPELINE";
        let ps = v
            .get("PowerShell")
            .ok_or_else(|| missing("PowerShell", M))?;
        let cmds = ps
            .get("Cmds")
            .and_then(PsValue::as_list)
            .ok_or_else(|| missing("Cmds", M))?;
        let mut commands = Vec::with_capacity(cmds.len());
        for c in cmds {
            let cmd = c
                .get("Cmd")
                .and_then(PsValue::as_str)
                .ok_or_else(|| missing("Cmd", M))?
                .to_owned();
            let is_script = c
                .get("IsScript")
                .and_then(PsValue::as_bool)
                .unwrap_or(false);
            let args = c
                .get("Args")
                .and_then(PsValue::as_list)
                .unwrap_or(&[])
                .iter()
                .map(|a| {
                    let name = a.get("N").and_then(PsValue::as_str).map(str::to_owned);
                    let value = a.get("V").cloned().unwrap_or(PsValue::NIL);
                    (name, value)
                })
                .collect();
            commands.push(PipelineCommand {
                cmd,
                is_script,
                args,
            });
        }
        if commands.is_empty() {
            return Err(ProtocolError::Psrp("CREATE_PIPELINE has no command".into()));
        }
        Ok(CreatePipeline {
            commands,
            no_input: v.get("NoInput").and_then(PsValue::as_bool).unwrap_or(true),
            add_to_history: v
                .get("AddToHistory")
                .and_then(PsValue::as_bool)
                .unwrap_or(false),
            is_nested: v
                .get("IsNested")
                .and_then(PsValue::as_bool)
                .unwrap_or(false),
        })
    }
}

/// A host method call (RUNSPACEPOOL_HOST_CALL / PIPELINE_HOST_CALL, [MS-PSRP] §2.2.2.15).
#[derive(Clone, Debug, PartialEq)]
pub struct HostCall {
    /// `ci`: the call id; -100 means a void method that expects no answer.
    pub call_id: i64,
    /// `mi`: the method, by its RemoteHostMethodId number.
    pub method_id: i32,
    /// The method's name (the enum's ToString), e.g. `ReadLine`.
    pub method_name: String,
    /// `mp`: the parameters.
    pub params: Vec<PsValue>,
}

const HOST_METHOD_ID: &str = "System.Management.Automation.Remoting.RemoteHostMethodId";

impl HostCall {
    /// Well-known method ids ([MS-PSRP] §2.2.3.17).
    pub const READ_LINE: i32 = 11;
    pub const READ_LINE_AS_SECURE_STRING: i32 = 12;
    pub const WRITE_LINE2: i32 = 16;
    pub const PROMPT: i32 = 23;
    pub const PROMPT_FOR_CREDENTIAL1: i32 = 24;
    pub const PROMPT_FOR_CHOICE: i32 = 26;

    /// True when the server waits for an answer.
    pub fn expects_answer(&self) -> bool {
        self.call_id != -100
    }

    /// The message body.
    pub fn to_value(&self) -> PsValue {
        let params = PsObject::with_types(&["System.Collections.ArrayList", "System.Object"])
            .with_container(Container::List(self.params.clone()));
        PsObject::new()
            .with_ms("ci", self.call_id)
            .with_ms(
                "mi",
                PsValue::from(PsObject::enumeration(
                    &[
                        HOST_METHOD_ID,
                        "System.Enum",
                        "System.ValueType",
                        "System.Object",
                    ],
                    &self.method_name,
                    self.method_id,
                )),
            )
            .with_ms("mp", PsValue::from(params))
            .into()
    }

    /// Parses the message body.
    pub fn from_value(v: &PsValue) -> Result<Self, ProtocolError> {
        const M: &str = "HOST_CALL";
        let call_id = v
            .get("ci")
            .and_then(PsValue::as_i64)
            .ok_or_else(|| missing("ci", M))?;
        let mi = v.get("mi").ok_or_else(|| missing("mi", M))?;
        Ok(HostCall {
            call_id,
            method_id: mi.as_i32().ok_or_else(|| missing("mi", M))?,
            method_name: mi.enum_name().unwrap_or("").to_owned(),
            params: v
                .get("mp")
                .and_then(PsValue::as_list)
                .unwrap_or(&[])
                .to_vec(),
        })
    }

    /// The prompt text of a ReadLine-style call, when there is one.
    pub fn prompt_text(&self) -> String {
        self.params
            .iter()
            .filter_map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A host method's answer (…_HOST_RESPONSE, [MS-PSRP] §2.2.2.16).
#[derive(Clone, Debug, PartialEq)]
pub struct HostResponse {
    pub call_id: i64,
    pub method_id: i32,
    pub method_name: String,
    /// `mr`: the return value.
    pub result: Option<PsValue>,
    /// `me`: an error record when the method failed.
    pub error: Option<PsValue>,
}

impl HostResponse {
    /// The message body.
    pub fn to_value(&self) -> PsValue {
        let mut o = PsObject::new();
        if let Some(r) = &self.result {
            o = o.with_ms("mr", r.clone());
        }
        if let Some(e) = &self.error {
            o = o.with_ms("me", e.clone());
        }
        o.with_ms("ci", self.call_id)
            .with_ms(
                "mi",
                PsValue::from(PsObject::enumeration(
                    &[
                        HOST_METHOD_ID,
                        "System.Enum",
                        "System.ValueType",
                        "System.Object",
                    ],
                    &self.method_name,
                    self.method_id,
                )),
            )
            .into()
    }

    /// Parses the message body.
    pub fn from_value(v: &PsValue) -> Result<Self, ProtocolError> {
        const M: &str = "HOST_RESPONSE";
        let mi = v.get("mi").ok_or_else(|| missing("mi", M))?;
        Ok(HostResponse {
            call_id: v
                .get("ci")
                .and_then(PsValue::as_i64)
                .ok_or_else(|| missing("ci", M))?,
            method_id: mi.as_i32().ok_or_else(|| missing("mi", M))?,
            method_name: mi.enum_name().unwrap_or("").to_owned(),
            result: v.get("mr").cloned(),
            error: v.get("me").cloned(),
        })
    }
}

/// Parses a message body as CLIXML, mapping the BOM and empty bodies.
pub fn body_value(data: &[u8]) -> Result<PsValue, ProtocolError> {
    let body = super::message::strip_bom(data);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(PsValue::NIL);
    }
    clixml::from_clixml(body)
}

/// A uuid as PowerShell writes ids on the wire (upper case).
pub fn upper(id: Uuid) -> String {
    id.to_string().to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_capability_matches_recorded_bytes() {
        let v = SessionCapability::default().to_value();
        assert_eq!(
            clixml::to_clixml(&v),
            r#"<Obj RefId="0"><MS><Version N="protocolversion">2.3</Version><Version N="PSVersion">2.0</Version><Version N="SerializationVersion">1.1.0.1</Version></MS></Obj>"#
        );
        assert_eq!(
            SessionCapability::from_value(&v).unwrap(),
            SessionCapability::default()
        );
        assert_eq!(negotiate_version("2.3", "2.1"), "2.1");
        assert_eq!(negotiate_version("2.3", "2.4"), "2.3");
    }

    #[test]
    fn init_runspace_pool_matches_recorded_bytes() {
        let v = InitRunspacePool::default().to_value();
        assert_eq!(
            clixml::to_clixml(&v),
            r#"<Obj RefId="0"><MS><I32 N="MinRunspaces">1</I32><I32 N="MaxRunspaces">1</I32><Obj N="PSThreadOptions" RefId="1"><TN RefId="0"><T>System.Management.Automation.Runspaces.PSThreadOptions</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>Default</ToString><I32>0</I32></Obj><Obj N="ApartmentState" RefId="2"><TN RefId="1"><T>System.Management.Automation.Runspaces.ApartmentState</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>UNKNOWN</ToString><I32>2</I32></Obj><Obj N="HostInfo" RefId="3"><MS><B N="_isHostNull">true</B><B N="_isHostUINull">true</B><B N="_isHostRawUINull">true</B><B N="_useRunspaceHost">true</B></MS></Obj><Nil N="ApplicationArguments" /></MS></Obj>"#
        );
    }

    #[test]
    fn create_pipeline_matches_recorded_bytes_and_parses_back() {
        let p =
            CreatePipeline::script("Write-Output 'a'; Start-Sleep -Seconds 5; Write-Output 'b'");
        let xml = clixml::to_clixml(&p.to_value("2.3"));
        let recorded = r#"<Obj RefId="0"><MS><B N="NoInput">true</B><Obj N="ApartmentState" RefId="1"><TN RefId="0"><T>System.Management.Automation.Runspaces.ApartmentState</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>UNKNOWN</ToString><I32>2</I32></Obj><Obj N="RemoteStreamOptions" RefId="2"><TN RefId="1"><T>System.Management.Automation.Runspaces.RemoteStreamOptions</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>AddInvocationInfo</ToString><I32>15</I32></Obj><B N="AddToHistory">false</B><Obj N="HostInfo" RefId="3"><MS><B N="_isHostNull">true</B><B N="_isHostUINull">true</B><B N="_isHostRawUINull">true</B><B N="_useRunspaceHost">true</B></MS></Obj><Obj N="PowerShell" RefId="4"><MS><B N="IsNested">false</B><Nil N="ExtraCmds" /><Obj N="Cmds" RefId="5"><TN RefId="2"><T>System.Collections.Generic.List`1[[System.Management.Automation.PSObject, System.Management.Automation, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]</T><T>System.Object</T></TN><LST><Obj RefId="6"><MS><S N="Cmd">Write-Output 'a'; Start-Sleep -Seconds 5; Write-Output 'b'</S><B N="IsScript">true</B><Nil N="UseLocalScope" /><Obj N="MergeMyResult" RefId="7"><TN RefId="3"><T>System.Management.Automation.Runspaces.PipelineResultTypes</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>None</ToString><I32>0</I32></Obj><Obj N="MergeToResult" RefId="8"><TNRef RefId="3" /><ToString>None</ToString><I32>0</I32></Obj><Obj N="MergePreviousResults" RefId="9"><TNRef RefId="3" /><ToString>None</ToString><I32>0</I32></Obj><Obj N="Args" RefId="10"><TNRef RefId="2" /><LST /></Obj><Obj N="MergeError" RefId="11"><TNRef RefId="3" /><ToString>None</ToString><I32>0</I32></Obj><Obj N="MergeWarning" RefId="12"><TNRef RefId="3" /><ToString>None</ToString><I32>0</I32></Obj><Obj N="MergeVerbose" RefId="13"><TNRef RefId="3" /><ToString>None</ToString><I32>0</I32></Obj><Obj N="MergeDebug" RefId="14"><TNRef RefId="3" /><ToString>None</ToString><I32>0</I32></Obj><Obj N="MergeInformation" RefId="15"><TNRef RefId="3" /><ToString>None</ToString><I32>0</I32></Obj></MS></Obj></LST></Obj><Nil N="History" /><B N="RedirectShellErrorOutputPipe">false</B></MS></Obj><B N="IsNested">false</B></MS></Obj>"#;
        assert_eq!(xml, recorded);
        let parsed =
            CreatePipeline::from_value(&clixml::from_clixml(recorded.as_bytes()).unwrap()).unwrap();
        assert_eq!(parsed, p);
    }

    #[test]
    fn states_and_host_calls_round_trip() {
        let v = pipeline_state(PipelineState::Completed, None);
        assert_eq!(
            clixml::to_clixml(&v),
            r#"<Obj RefId="0"><MS><I32 N="PipelineState">4</I32></MS></Obj>"#
        );
        assert_eq!(
            parse_pipeline_state(&v).unwrap().0,
            PipelineState::Completed
        );
        let (s, e) =
            parse_runspace_pool_state(&runspace_pool_state(RunspacePoolState::Opened, None))
                .unwrap();
        assert_eq!((s, e), (RunspacePoolState::Opened, None));
        let call = HostCall {
            call_id: 3,
            method_id: HostCall::READ_LINE,
            method_name: "ReadLine".into(),
            params: vec![],
        };
        assert_eq!(HostCall::from_value(&call.to_value()).unwrap(), call);
        let resp = HostResponse {
            call_id: 3,
            method_id: HostCall::READ_LINE,
            method_name: "ReadLine".into(),
            result: Some(PsValue::str("yes")),
            error: None,
        };
        assert_eq!(HostResponse::from_value(&resp.to_value()).unwrap(), resp);
    }
}
