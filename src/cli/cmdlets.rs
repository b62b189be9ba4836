//! The command table and PowerShell-style parameter binding for the remoting
//! cmdlets.
//!
//! Binding follows PowerShell's parameter binder: named parameters first
//! (exact name or alias, else a unique prefix), then positional arguments in
//! position order among the parameter sets still possible, then pipeline
//! input by value, then parameter-set resolution (mandatory parameters,
//! default set). Error messages and error ids are PowerShell's.
//!
//! The result is a typed [`Invocation`]. Values that depend on variables,
//! sub-pipelines or pipeline input stay symbolic ([`Arg::Deferred`],
//! [`SessionTarget::Pipeline`]) for the executor, which can convert them after
//! resolving with the `coerce_*` functions.

use super::syntax::{Argument, CommandCall, PipelineElement, Value};
use std::collections::BTreeMap;
use std::fmt;
use uuid::Uuid;

const ALL: &str = "__AllParameterSets";

/// A parameter-binding or command-lookup error, shaped like PowerShell's error record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindError {
    /// The cmdlet's canonical name (or the unknown command name as typed).
    pub command: String,
    /// The message exactly as PowerShell words it.
    pub message: String,
    /// Error id, e.g. `NamedParameterNotFound`.
    pub error_id: String,
    /// `FullyQualifiedErrorId`, e.g. `NamedParameterNotFound,Microsoft.PowerShell.Commands.DisconnectPSSessionCommand`.
    pub fully_qualified_error_id: String,
    /// Error category, e.g. `InvalidArgument`.
    pub category: String,
    /// Category target name (shown between the parentheses of `CategoryInfo`).
    pub target: String,
    /// Exception type name, e.g. `ParameterBindingException`.
    pub exception: String,
    /// Character offset in the source line the error points at.
    pub offset: usize,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BindError {}

/// A bound value that is known now, or deferred to the executor.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Arg<T> {
    /// A literal, already converted and validated.
    Value(T),
    /// A variable, expandable string or sub-pipeline: resolve, then convert with the matching `coerce_*`.
    Deferred(Value),
}

impl<T> Arg<T> {
    /// The literal value, if known now.
    pub fn value(&self) -> Option<&T> {
        match self {
            Arg::Value(v) => Some(v),
            Arg::Deferred(_) => None,
        }
    }
}

// `OutputBufferingMode` and `ProxyAccessType` are the model's own.
pub use crate::model::{OutputBufferingMode, ProxyAccessType};

/// `System.Management.Automation.Runspaces.AuthenticationMechanism` (remoting cmdlets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AuthenticationMechanism {
    /// Default (Negotiate on Windows).
    Default,
    /// Basic.
    Basic,
    /// Negotiate (NTLM or Kerberos).
    Negotiate,
    /// Negotiate with the logged-on user's credentials.
    NegotiateWithImplicitCredential,
    /// CredSSP.
    Credssp,
    /// Digest.
    Digest,
    /// Kerberos.
    Kerberos,
}

/// `Microsoft.WSMan.Management.AuthenticationMechanism` (WSMan cmdlets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WsmanAuthentication {
    /// No authentication.
    None,
    /// Default.
    Default,
    /// Digest.
    Digest,
    /// Negotiate.
    Negotiate,
    /// Basic.
    Basic,
    /// Kerberos.
    Kerberos,
    /// Client certificate.
    ClientCertificate,
    /// CredSSP.
    Credssp,
}

/// `Microsoft.PowerShell.Commands.SessionFilterState` (Get-PSSession -State).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SessionFilterState {
    /// Every state.
    All,
    /// Opened.
    Opened,
    /// Disconnected.
    Disconnected,
    /// Closed.
    Closed,
    /// Broken.
    Broken,
}

/// `Microsoft.PowerShell.Commands.OutTarget` (Receive-PSSession -OutTarget).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OutTarget {
    /// Host unless the command was started as a job.
    Default,
    /// Write results to the host.
    Host,
    /// Return a job.
    Job,
}

/// An enum PowerShell converts from strings (case-insensitive names) or defined integers.
trait PsEnum: Sized + Copy + 'static {
    const TYPE_NAME: &'static str;
    const VARIANTS: &'static [(&'static str, i64, Self)];
}

macro_rules! ps_enum {
    ($t:ty, $name:expr, [$(($s:expr, $n:expr, $v:expr)),* $(,)?]) => {
        impl PsEnum for $t {
            const TYPE_NAME: &'static str = $name;
            const VARIANTS: &'static [(&'static str, i64, Self)] = &[$(($s, $n, $v)),*];
        }
    };
}

ps_enum!(
    OutputBufferingMode,
    "System.Management.Automation.Runspaces.OutputBufferingMode",
    [
        ("None", 0, OutputBufferingMode::None),
        ("Drop", 1, OutputBufferingMode::Drop),
        ("Block", 2, OutputBufferingMode::Block),
    ]
);
ps_enum!(
    AuthenticationMechanism,
    "System.Management.Automation.Runspaces.AuthenticationMechanism",
    [
        ("Default", 0, AuthenticationMechanism::Default),
        ("Basic", 1, AuthenticationMechanism::Basic),
        ("Negotiate", 2, AuthenticationMechanism::Negotiate),
        (
            "NegotiateWithImplicitCredential",
            3,
            AuthenticationMechanism::NegotiateWithImplicitCredential
        ),
        ("Credssp", 4, AuthenticationMechanism::Credssp),
        ("Digest", 5, AuthenticationMechanism::Digest),
        ("Kerberos", 6, AuthenticationMechanism::Kerberos),
    ]
);
ps_enum!(
    WsmanAuthentication,
    "Microsoft.WSMan.Management.AuthenticationMechanism",
    [
        ("None", 0, WsmanAuthentication::None),
        ("Default", 1, WsmanAuthentication::Default),
        ("Digest", 2, WsmanAuthentication::Digest),
        ("Negotiate", 4, WsmanAuthentication::Negotiate),
        ("Basic", 8, WsmanAuthentication::Basic),
        ("Kerberos", 16, WsmanAuthentication::Kerberos),
        (
            "ClientCertificate",
            32,
            WsmanAuthentication::ClientCertificate
        ),
        ("Credssp", 128, WsmanAuthentication::Credssp),
    ]
);
ps_enum!(
    SessionFilterState,
    "Microsoft.PowerShell.Commands.SessionFilterState",
    [
        ("All", 0, SessionFilterState::All),
        ("Opened", 1, SessionFilterState::Opened),
        ("Disconnected", 2, SessionFilterState::Disconnected),
        ("Closed", 3, SessionFilterState::Closed),
        ("Broken", 4, SessionFilterState::Broken),
    ]
);
ps_enum!(
    OutTarget,
    "Microsoft.PowerShell.Commands.OutTarget",
    [
        ("Default", 0, OutTarget::Default),
        ("Host", 1, OutTarget::Host),
        ("Job", 2, OutTarget::Job),
    ]
);
ps_enum!(
    ProxyAccessType,
    "System.Management.Automation.Remoting.ProxyAccessType",
    [
        ("None", 0, ProxyAccessType::None),
        ("IEConfig", 1, ProxyAccessType::IEConfig),
        ("WinHttpConfig", 2, ProxyAccessType::WinHttpConfig),
        ("AutoDetect", 4, ProxyAccessType::AutoDetect),
        ("NoProxyServer", 8, ProxyAccessType::NoProxyServer),
    ]
);

/// A `-Credential` argument.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum CredentialArg {
    /// A user name (`DOMAIN\user`, `user@domain` or `user`); the password comes from the store, environment or a prompt.
    UserName(String),
    /// A variable or sub-pipeline holding a credential object.
    Deferred(Value),
}

/// A `-SessionOption` argument.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum SessionOptionArg {
    /// Options given inline: a hashtable or `(New-PSSessionOption ...)`.
    Options(Box<SessionOptions>),
    /// A variable (e.g. `$Timeout`) or other expression holding a PSSessionOption.
    Deferred(Value),
}

/// The options of `New-PSSessionOption` (all optional: unset means PowerShell's default).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SessionOptions {
    /// `-MaximumRedirection` (default 5).
    pub maximum_redirection: Option<i32>,
    /// `-NoCompression`.
    pub no_compression: bool,
    /// `-NoMachineProfile`.
    pub no_machine_profile: bool,
    /// `-Culture` (a culture name such as `en-US`).
    pub culture: Option<String>,
    /// `-UICulture`.
    pub ui_culture: Option<String>,
    /// `-MaximumReceivedDataSizePerCommand` (bytes).
    pub maximum_received_data_size_per_command: Option<i32>,
    /// `-MaximumReceivedObjectSize` (bytes).
    pub maximum_received_object_size: Option<i32>,
    /// `-OutputBufferingMode`.
    pub output_buffering_mode: Option<OutputBufferingMode>,
    /// `-ApplicationArguments` (a hashtable sent to the server).
    pub application_arguments: Option<Vec<(String, Value)>>,
    /// `-OpenTimeout` in milliseconds (default 180000).
    pub open_timeout_ms: Option<i32>,
    /// `-CancelTimeout` in milliseconds (default 60000).
    pub cancel_timeout_ms: Option<i32>,
    /// `-IdleTimeout` in milliseconds (-1 = server default).
    pub idle_timeout_ms: Option<i32>,
    /// `-ProxyAccessType`.
    pub proxy_access_type: Option<ProxyAccessType>,
    /// `-ProxyAuthentication`.
    pub proxy_authentication: Option<AuthenticationMechanism>,
    /// `-ProxyCredential`.
    pub proxy_credential: Option<CredentialArg>,
    /// `-SkipCACheck`.
    pub skip_ca_check: bool,
    /// `-SkipCNCheck`.
    pub skip_cn_check: bool,
    /// `-SkipRevocationCheck`.
    pub skip_revocation_check: bool,
    /// `-OperationTimeout` in milliseconds (default 180000).
    pub operation_timeout_ms: Option<i32>,
    /// `-NoEncryption`.
    pub no_encryption: bool,
    /// `-UseUTF16`.
    pub use_utf16: bool,
    /// `-IncludePortInSPN`.
    pub include_port_in_spn: bool,
}

/// Which sessions a local-session cmdlet works on.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum SessionTarget {
    /// `-Session <expr>`: a variable or sub-pipeline holding PSSession objects.
    Sessions(Value),
    /// Sessions arrive through the pipeline (bound by value to `-Session`).
    Pipeline,
    /// `-Name` (wildcards allowed).
    Name(Arg<Vec<String>>),
    /// `-InstanceId`.
    InstanceId(Arg<Vec<Uuid>>),
    /// `-Id`.
    Id(Arg<Vec<i32>>),
    /// `-ComputerName` (Remove-PSSession: the sessions of the current console connected to these computers).
    ComputerName(Arg<Vec<String>>),
}

/// How to reach remote computers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum RemoteTarget {
    /// `-ComputerName` with optional `-Port`, `-UseSSL`, `-ApplicationName`.
    ComputerName {
        /// Computer names (`localhost` when omitted where PowerShell defaults it).
        names: Arg<Vec<String>>,
        /// `-Port` (1..65535).
        port: Option<Arg<i32>>,
        /// `-UseSSL`.
        use_ssl: bool,
        /// `-ApplicationName` (default `WSMAN`).
        application_name: Option<Arg<String>>,
    },
    /// `-ConnectionUri` with optional `-AllowRedirection`.
    ConnectionUri {
        /// Endpoint URIs as typed.
        uris: Arg<Vec<String>>,
        /// `-AllowRedirection`.
        allow_redirection: bool,
    },
}

/// Connection parameters shared by the cmdlets that contact remote computers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RemoteConnection {
    /// Where to connect.
    pub target: RemoteTarget,
    /// `-ConfigurationName`.
    pub configuration_name: Option<Arg<String>>,
    /// `-Credential`.
    pub credential: Option<CredentialArg>,
    /// `-Authentication`.
    pub authentication: Option<Arg<AuthenticationMechanism>>,
    /// `-CertificateThumbprint`.
    pub certificate_thumbprint: Option<Arg<String>>,
    /// `-SessionOption`.
    pub session_option: Option<SessionOptionArg>,
}

/// Sessions selected locally or on remote computers (Connect-/Receive-PSSession).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Selection {
    /// Sessions known to this console.
    Local(SessionTarget),
    /// Sessions stored on remote computers, filtered by name or instance id.
    Remote {
        /// How to reach the computers.
        connection: Box<RemoteConnection>,
        /// `-Name` filter.
        name: Option<Arg<Vec<String>>>,
        /// `-InstanceId` filter.
        instance_id: Option<Arg<Vec<Uuid>>>,
    },
}

/// What Invoke-Command runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum ScriptSource {
    /// `-ScriptBlock { ... }`: the verbatim text.
    Block(String),
    /// A script block held in a variable.
    Deferred(Value),
    /// `-FilePath`: a local script file whose content is sent.
    FilePath(Arg<String>),
}

/// Where Invoke-Command runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum InvokeTarget {
    /// No computer or session: the local console (not a remote operation).
    Local,
    /// `-Session` (or sessions piped in).
    Sessions(Value),
    /// `-ComputerName`/`-ConnectionUri`: temporary or disconnected sessions.
    Remote(Box<RemoteConnection>),
}

/// `New-PSSession`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NewPSSession {
    /// ComputerName/Uri sets: where to create sessions. None for the Session set.
    pub connection: Option<RemoteConnection>,
    /// Session set: create new sessions using existing sessions' connection info.
    pub sessions: Option<SessionTarget>,
    /// `-Name`.
    pub name: Option<Arg<Vec<String>>>,
    /// `-ThrottleLimit` (0 or absent → 32).
    pub throttle_limit: u32,
    /// `-EnableNetworkAccess`.
    pub enable_network_access: bool,
}

/// `Get-PSSession`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GetPSSession {
    /// Remote query (ComputerName/ConnectionUri sets); None = sessions of this console.
    pub remote: Option<RemoteConnection>,
    /// `-Name` (wildcards).
    pub name: Option<Arg<Vec<String>>>,
    /// `-InstanceId`.
    pub instance_id: Option<Arg<Vec<Uuid>>>,
    /// `-Id`.
    pub id: Option<Arg<Vec<i32>>>,
    /// `-State` (default All).
    pub state: SessionFilterState,
    /// `-ThrottleLimit` (0 or absent → 32).
    pub throttle_limit: u32,
}

/// `Disconnect-PSSession`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DisconnectPSSession {
    /// Which sessions.
    pub target: SessionTarget,
    /// `-IdleTimeoutSec` (validated ≥ 0; the ≥ 60 and ≤ MaxIdleTimeout checks happen per session at run time).
    pub idle_timeout_sec: Option<Arg<i32>>,
    /// `-OutputBufferingMode`.
    pub output_buffering_mode: Option<Arg<OutputBufferingMode>>,
    /// `-ThrottleLimit` (0 or absent → 32).
    pub throttle_limit: u32,
    /// `-WhatIf`.
    pub what_if: bool,
    /// `-Confirm` / `-Confirm:$false`.
    pub confirm: Option<bool>,
}

/// `Connect-PSSession`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConnectPSSession {
    /// Which sessions.
    pub selection: Selection,
    /// `-ThrottleLimit` (0 or absent → 32).
    pub throttle_limit: u32,
    /// `-WhatIf`.
    pub what_if: bool,
    /// `-Confirm`.
    pub confirm: Option<bool>,
}

/// `Receive-PSSession`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReceivePSSession {
    /// Which session.
    pub selection: Selection,
    /// `-OutTarget`.
    pub out_target: Option<OutTarget>,
    /// `-JobName`.
    pub job_name: Option<Arg<String>>,
    /// `-WhatIf`.
    pub what_if: bool,
    /// `-Confirm`.
    pub confirm: Option<bool>,
}

/// `Invoke-Command`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InvokeCommand {
    /// Where to run.
    pub target: InvokeTarget,
    /// What to run.
    pub script: ScriptSource,
    /// `-ArgumentList` (as given; a list or a single value).
    pub argument_list: Option<Value>,
    /// `-InDisconnectedSession`.
    pub in_disconnected_session: bool,
    /// `-SessionName`.
    pub session_name: Option<Arg<Vec<String>>>,
    /// `-HideComputerName`.
    pub hide_computer_name: bool,
    /// `-AsJob`.
    pub as_job: bool,
    /// `-JobName`.
    pub job_name: Option<Arg<String>>,
    /// `-ThrottleLimit` (0 or absent → 32).
    pub throttle_limit: u32,
    /// `-EnableNetworkAccess`.
    pub enable_network_access: bool,
    /// Pipeline input feeds `$input` (`-InputObject` by value).
    pub input_from_pipeline: bool,
    /// `-InputObject` given explicitly.
    pub input_object: Option<Value>,
}

/// `Remove-PSSession`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RemovePSSession {
    /// Which sessions.
    pub target: SessionTarget,
    /// `-WhatIf`.
    pub what_if: bool,
    /// `-Confirm`.
    pub confirm: Option<bool>,
    /// `-Force` (a Baton extension): delete a session that another client
    /// holds (Busy) as its owner, to rescue it when that client is gone.
    pub force: bool,
}

/// `Get-PSSessionConfiguration`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GetPSSessionConfiguration {
    /// `-Name` (wildcards).
    pub name: Option<Arg<Vec<String>>>,
    /// `-Force`.
    pub force: bool,
}

/// Parameters shared by Test-WSMan and Connect-WSMan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WsmanConnection {
    /// `-ComputerName` (default: local computer).
    pub computer_name: Option<Arg<String>>,
    /// `-ConnectionURI` (Connect-WSMan only).
    pub connection_uri: Option<Arg<String>>,
    /// `-Port`.
    pub port: Option<Arg<i32>>,
    /// `-UseSSL`.
    pub use_ssl: bool,
    /// `-ApplicationName`.
    pub application_name: Option<Arg<String>>,
    /// `-Authentication`.
    pub authentication: Option<Arg<WsmanAuthentication>>,
    /// `-Credential`.
    pub credential: Option<CredentialArg>,
    /// `-CertificateThumbprint`.
    pub certificate_thumbprint: Option<Arg<String>>,
    /// `-SessionOption` (Connect-WSMan only).
    pub session_option: Option<SessionOptionArg>,
}

/// A bound invocation: one variant per cmdlet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Invocation {
    /// `New-PSSession`.
    NewPSSession(NewPSSession),
    /// `Get-PSSession`.
    GetPSSession(GetPSSession),
    /// `Disconnect-PSSession`.
    DisconnectPSSession(DisconnectPSSession),
    /// `Connect-PSSession`.
    ConnectPSSession(ConnectPSSession),
    /// `Receive-PSSession`.
    ReceivePSSession(ReceivePSSession),
    /// `Invoke-Command`.
    InvokeCommand(InvokeCommand),
    /// `Remove-PSSession`.
    RemovePSSession(RemovePSSession),
    /// `New-PSSessionOption`.
    NewPSSessionOption(SessionOptions),
    /// `Get-PSSessionConfiguration` (runs locally; remotely via Invoke-Command).
    GetPSSessionConfiguration(GetPSSessionConfiguration),
    /// `Test-WSMan`.
    TestWSMan(WsmanConnection),
    /// `Connect-WSMan`.
    ConnectWSMan(WsmanConnection),
    /// `Disconnect-WSMan`.
    DisconnectWSMan {
        /// `-ComputerName`.
        computer_name: Option<Arg<String>>,
    },
    /// `Format-List [-Property] <names>`.
    FormatList {
        /// Properties to show (wildcards); None = the default list view.
        property: Option<Vec<String>>,
    },
    /// `Format-Table [-Property] <names> [-AutoSize]`.
    FormatTable {
        /// Properties to show; None = the default table view.
        property: Option<Vec<String>>,
        /// `-AutoSize`.
        auto_size: bool,
    },
}

/// The common parameters given to a command (`-Verbose`, `-ErrorAction Stop`, ...), by canonical name.
pub type CommonParameters = BTreeMap<String, Value>;

/// A command bound to its cmdlet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BoundCommand {
    /// The cmdlet's canonical name, e.g. `Disconnect-PSSession`.
    pub cmdlet: &'static str,
    /// The resolved parameter set name, e.g. `Session`.
    pub parameter_set: &'static str,
    /// The typed invocation.
    pub invocation: Invocation,
    /// Common parameters given.
    pub common: CommonParameters,
}

// ---------------------------------------------------------------------------
// The command table.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    String,
    StringArray,
    Int32,
    Int32Array,
    Guid,
    GuidArray,
    Switch,
    Uri,
    UriArray,
    Credential,
    Sessions,
    SessionOption,
    ScriptBlock,
    Object,
    ObjectArray,
    Hashtable,
    Culture,
    EnumObm,
    EnumAuth,
    EnumWsmanAuth,
    EnumState,
    EnumOutTarget,
    EnumProxy,
    ActionPreference,
}

impl Ty {
    fn type_name(self) -> &'static str {
        match self {
            Ty::String => "System.String",
            Ty::StringArray => "System.String[]",
            Ty::Int32 => "System.Int32",
            Ty::Int32Array => "System.Int32[]",
            Ty::Guid => "System.Guid",
            Ty::GuidArray => "System.Guid[]",
            Ty::Switch => "System.Management.Automation.SwitchParameter",
            Ty::Uri => "System.Uri",
            Ty::UriArray => "System.Uri[]",
            Ty::Credential => "System.Management.Automation.PSCredential",
            Ty::Sessions => "System.Management.Automation.Runspaces.PSSession[]",
            Ty::SessionOption => "System.Management.Automation.Remoting.PSSessionOption",
            Ty::ScriptBlock => "System.Management.Automation.ScriptBlock",
            Ty::Object => "System.Management.Automation.PSObject",
            Ty::ObjectArray => "System.Object[]",
            Ty::Hashtable => "System.Collections.Hashtable",
            Ty::Culture => "System.Globalization.CultureInfo",
            Ty::EnumObm => OutputBufferingMode::TYPE_NAME,
            Ty::EnumAuth => AuthenticationMechanism::TYPE_NAME,
            Ty::EnumWsmanAuth => WsmanAuthentication::TYPE_NAME,
            Ty::EnumState => SessionFilterState::TYPE_NAME,
            Ty::EnumOutTarget => OutTarget::TYPE_NAME,
            Ty::EnumProxy => ProxyAccessType::TYPE_NAME,
            Ty::ActionPreference => "System.Management.Automation.ActionPreference",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct SetSpec {
    set: &'static str,
    mandatory: bool,
    position: Option<u8>,
    pipeline: bool,
}

#[derive(Debug)]
struct ParamDef {
    name: &'static str,
    aliases: &'static [&'static str],
    ty: Ty,
    sets: &'static [SetSpec],
    range: Option<(i64, i64)>,
}

#[derive(Debug)]
struct CmdletDef {
    name: &'static str,
    aliases: &'static [&'static str],
    class: &'static str,
    default_set: &'static str,
    sets: &'static [&'static str],
    params: &'static [ParamDef],
}

const fn opt(set: &'static str) -> SetSpec {
    SetSpec {
        set,
        mandatory: false,
        position: None,
        pipeline: false,
    }
}
const fn mand(set: &'static str) -> SetSpec {
    SetSpec {
        set,
        mandatory: true,
        position: None,
        pipeline: false,
    }
}
const fn mand_pos(set: &'static str, p: u8) -> SetSpec {
    SetSpec {
        set,
        mandatory: true,
        position: Some(p),
        pipeline: false,
    }
}
const fn opt_pos(set: &'static str, p: u8) -> SetSpec {
    SetSpec {
        set,
        mandatory: false,
        position: Some(p),
        pipeline: false,
    }
}
const fn mand_pos_pipe(set: &'static str, p: u8) -> SetSpec {
    SetSpec {
        set,
        mandatory: true,
        position: Some(p),
        pipeline: true,
    }
}
const fn opt_pipe(set: &'static str) -> SetSpec {
    SetSpec {
        set,
        mandatory: false,
        position: None,
        pipeline: true,
    }
}

const fn p(
    name: &'static str,
    aliases: &'static [&'static str],
    ty: Ty,
    sets: &'static [SetSpec],
) -> ParamDef {
    ParamDef {
        name,
        aliases,
        ty,
        sets,
        range: None,
    }
}
const fn pr(
    name: &'static str,
    aliases: &'static [&'static str],
    ty: Ty,
    sets: &'static [SetSpec],
    lo: i64,
    hi: i64,
) -> ParamDef {
    ParamDef {
        name,
        aliases,
        ty,
        sets,
        range: Some((lo, hi)),
    }
}

const I32MAX: i64 = i32::MAX as i64;
const ALL_OPT: &[SetSpec] = &[opt(ALL)];

const COMMON: &[ParamDef] = &[
    p("Verbose", &["vb"], Ty::Switch, ALL_OPT),
    p("Debug", &["db"], Ty::Switch, ALL_OPT),
    p("ErrorAction", &["ea"], Ty::ActionPreference, ALL_OPT),
    p("WarningAction", &["wa"], Ty::ActionPreference, ALL_OPT),
    p(
        "InformationAction",
        &["infa"],
        Ty::ActionPreference,
        ALL_OPT,
    ),
    p("ErrorVariable", &["ev"], Ty::String, ALL_OPT),
    p("WarningVariable", &["wv"], Ty::String, ALL_OPT),
    p("InformationVariable", &["iv"], Ty::String, ALL_OPT),
    p("OutVariable", &["ov"], Ty::String, ALL_OPT),
    p("OutBuffer", &["ob"], Ty::Int32, ALL_OPT),
    p("PipelineVariable", &["pv"], Ty::String, ALL_OPT),
];

// New-PSSession
const NS_CN: &str = "ComputerName";
const NS_URI: &str = "Uri";
const NS_SES: &str = "Session";
const NEW_PSSESSION: CmdletDef = CmdletDef {
    name: "New-PSSession",
    aliases: &["nsn"],
    class: "Microsoft.PowerShell.Commands.NewPSSessionCommand",
    default_set: NS_CN,
    sets: &[NS_CN, NS_URI, NS_SES],
    params: &[
        p(
            "ComputerName",
            &["Cn"],
            Ty::StringArray,
            &[opt_pos(NS_CN, 0)],
        ),
        p(
            "Credential",
            &[],
            Ty::Credential,
            &[opt(NS_CN), opt(NS_URI)],
        ),
        p("Name", &[], Ty::StringArray, ALL_OPT),
        pr("Port", &[], Ty::Int32, &[opt(NS_CN)], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt(NS_CN)]),
        p("ApplicationName", &[], Ty::String, &[opt(NS_CN)]),
        p(
            "ConfigurationName",
            &[],
            Ty::String,
            &[opt(NS_CN), opt(NS_URI)],
        ),
        p(
            "ConnectionUri",
            &["URI", "CU"],
            Ty::UriArray,
            &[mand_pos(NS_URI, 0)],
        ),
        p("AllowRedirection", &[], Ty::Switch, &[opt(NS_URI)]),
        p("Session", &[], Ty::Sessions, &[mand_pos_pipe(NS_SES, 0)]),
        p(
            "Authentication",
            &[],
            Ty::EnumAuth,
            &[opt(NS_CN), opt(NS_URI)],
        ),
        p(
            "CertificateThumbprint",
            &[],
            Ty::String,
            &[opt(NS_CN), opt(NS_URI)],
        ),
        p(
            "SessionOption",
            &[],
            Ty::SessionOption,
            &[opt(NS_CN), opt(NS_URI)],
        ),
        p("ThrottleLimit", &[], Ty::Int32, ALL_OPT),
        p("EnableNetworkAccess", &[], Ty::Switch, ALL_OPT),
    ],
};

// Get-PSSession
const GS_NAME: &str = "Name";
const GS_CN: &str = "ComputerName";
const GS_CU: &str = "ConnectionUri";
const GS_CNI: &str = "ComputerInstanceId";
const GS_CUI: &str = "ConnectionUriInstanceId";
const GS_IID: &str = "InstanceId";
const GS_ID: &str = "Id";
const GS_REMOTE: &[SetSpec] = &[opt(GS_CN), opt(GS_CU), opt(GS_CNI), opt(GS_CUI)];
const GET_PSSESSION: CmdletDef = CmdletDef {
    name: "Get-PSSession",
    aliases: &["gsn"],
    class: "Microsoft.PowerShell.Commands.GetPSSessionCommand",
    default_set: GS_NAME,
    sets: &[GS_NAME, GS_CN, GS_CU, GS_CNI, GS_CUI, GS_IID, GS_ID],
    params: &[
        p(
            "ComputerName",
            &["Cn"],
            Ty::StringArray,
            &[mand_pos(GS_CN, 0), mand_pos(GS_CNI, 0)],
        ),
        p(
            "ApplicationName",
            &[],
            Ty::String,
            &[opt(GS_CN), opt(GS_CNI)],
        ),
        p("ConfigurationName", &[], Ty::String, GS_REMOTE),
        p(
            "ConnectionUri",
            &["URI", "CU"],
            Ty::UriArray,
            &[mand_pos(GS_CU, 0), mand_pos(GS_CUI, 0)],
        ),
        p(
            "AllowRedirection",
            &[],
            Ty::Switch,
            &[opt(GS_CU), opt(GS_CUI)],
        ),
        p(
            "Name",
            &[],
            Ty::StringArray,
            &[opt(GS_NAME), opt(GS_CN), opt(GS_CU)],
        ),
        p(
            "InstanceId",
            &[],
            Ty::GuidArray,
            &[mand(GS_IID), mand(GS_CNI), mand(GS_CUI)],
        ),
        p("Id", &[], Ty::Int32Array, &[mand_pos(GS_ID, 0)]),
        p(
            "State",
            &[],
            Ty::EnumState,
            &[
                opt(GS_NAME),
                opt(GS_CN),
                opt(GS_CU),
                opt(GS_CNI),
                opt(GS_CUI),
                opt(GS_IID),
            ],
        ),
        p("Credential", &[], Ty::Credential, GS_REMOTE),
        p("Authentication", &[], Ty::EnumAuth, GS_REMOTE),
        p("CertificateThumbprint", &[], Ty::String, GS_REMOTE),
        pr("Port", &[], Ty::Int32, &[opt(GS_CN), opt(GS_CNI)], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt(GS_CN), opt(GS_CNI)]),
        p("ThrottleLimit", &[], Ty::Int32, GS_REMOTE),
        p("SessionOption", &[], Ty::SessionOption, GS_REMOTE),
    ],
};

// Disconnect-PSSession
const DS_SES: &str = "Session";
const DS_NAME: &str = "Name";
const DS_IID: &str = "InstanceId";
const DS_ID: &str = "Id";
const DISCONNECT_PSSESSION: CmdletDef = CmdletDef {
    name: "Disconnect-PSSession",
    aliases: &["dnsn"],
    class: "Microsoft.PowerShell.Commands.DisconnectPSSessionCommand",
    default_set: DS_SES,
    sets: &[DS_SES, DS_NAME, DS_IID, DS_ID],
    params: &[
        p("Session", &[], Ty::Sessions, &[mand_pos_pipe(DS_SES, 0)]),
        pr("IdleTimeoutSec", &[], Ty::Int32, ALL_OPT, 0, I32MAX),
        p("OutputBufferingMode", &[], Ty::EnumObm, ALL_OPT),
        p("ThrottleLimit", &[], Ty::Int32, ALL_OPT),
        p("Name", &[], Ty::StringArray, &[mand(DS_NAME)]),
        p("InstanceId", &[], Ty::GuidArray, &[mand(DS_IID)]),
        p("Id", &[], Ty::Int32Array, &[mand_pos(DS_ID, 0)]),
        p("WhatIf", &["wi"], Ty::Switch, ALL_OPT),
        p("Confirm", &["cf"], Ty::Switch, ALL_OPT),
    ],
};

// Connect-PSSession
const CS_NAME: &str = "Name";
const CS_SES: &str = "Session";
const CS_CN: &str = "ComputerName";
const CS_CNG: &str = "ComputerNameGuid";
const CS_CU: &str = "ConnectionUri";
const CS_CUG: &str = "ConnectionUriGuid";
const CS_IID: &str = "InstanceId";
const CS_ID: &str = "Id";
const CS_REMOTE: &[SetSpec] = &[opt(CS_CN), opt(CS_CNG), opt(CS_CU), opt(CS_CUG)];
const CS_LOCAL_AND_REMOTE: &[SetSpec] = &[
    opt(CS_NAME),
    opt(CS_SES),
    opt(CS_CN),
    opt(CS_CNG),
    opt(CS_CU),
    opt(CS_CUG),
    opt(CS_IID),
    opt(CS_ID),
];
const CONNECT_PSSESSION: CmdletDef = CmdletDef {
    name: "Connect-PSSession",
    aliases: &["cnsn"],
    class: "Microsoft.PowerShell.Commands.ConnectPSSessionCommand",
    default_set: CS_NAME,
    sets: &[CS_NAME, CS_SES, CS_CN, CS_CNG, CS_CU, CS_CUG, CS_IID, CS_ID],
    params: &[
        p("Session", &[], Ty::Sessions, &[mand_pos_pipe(CS_SES, 0)]),
        p(
            "ComputerName",
            &["Cn"],
            Ty::StringArray,
            &[mand_pos(CS_CN, 0), mand_pos(CS_CNG, 0)],
        ),
        p(
            "ApplicationName",
            &[],
            Ty::String,
            &[opt(CS_CN), opt(CS_CNG)],
        ),
        p("ConfigurationName", &[], Ty::String, CS_REMOTE),
        p(
            "ConnectionUri",
            &["URI", "CU"],
            Ty::UriArray,
            &[mand_pos(CS_CU, 0), mand_pos(CS_CUG, 0)],
        ),
        p(
            "AllowRedirection",
            &[],
            Ty::Switch,
            &[opt(CS_CU), opt(CS_CUG)],
        ),
        p(
            "InstanceId",
            &[],
            Ty::GuidArray,
            &[mand(CS_CNG), mand(CS_CUG), mand(CS_IID)],
        ),
        p(
            "Name",
            &[],
            Ty::StringArray,
            &[opt(CS_CN), opt(CS_CU), mand(CS_NAME)],
        ),
        p("Credential", &[], Ty::Credential, CS_REMOTE),
        p("Authentication", &[], Ty::EnumAuth, CS_REMOTE),
        p("CertificateThumbprint", &[], Ty::String, CS_REMOTE),
        pr("Port", &[], Ty::Int32, &[opt(CS_CN), opt(CS_CNG)], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt(CS_CN), opt(CS_CNG)]),
        p("SessionOption", &[], Ty::SessionOption, CS_REMOTE),
        p("Id", &[], Ty::Int32Array, &[mand_pos(CS_ID, 0)]),
        p("ThrottleLimit", &[], Ty::Int32, CS_LOCAL_AND_REMOTE),
        p("WhatIf", &["wi"], Ty::Switch, ALL_OPT),
        p("Confirm", &["cf"], Ty::Switch, ALL_OPT),
    ],
};

// Receive-PSSession
const RS_SES: &str = "Session";
const RS_ID: &str = "Id";
const RS_CSN: &str = "ComputerSessionName";
const RS_CIID: &str = "ComputerInstanceId";
const RS_USN: &str = "ConnectionUriSessionName";
const RS_UIID: &str = "ConnectionUriInstanceId";
const RS_IID: &str = "InstanceId";
const RS_SN: &str = "SessionName";
const RS_REMOTE: &[SetSpec] = &[opt(RS_CSN), opt(RS_CIID), opt(RS_USN), opt(RS_UIID)];
const RECEIVE_PSSESSION: CmdletDef = CmdletDef {
    name: "Receive-PSSession",
    aliases: &["rcsn"],
    class: "Microsoft.PowerShell.Commands.ReceivePSSessionCommand",
    default_set: RS_SES,
    sets: &[
        RS_SES, RS_ID, RS_CSN, RS_CIID, RS_USN, RS_UIID, RS_IID, RS_SN,
    ],
    params: &[
        p("Session", &[], Ty::Sessions, &[mand_pos_pipe(RS_SES, 0)]),
        p("Id", &[], Ty::Int32, &[mand_pos(RS_ID, 0)]),
        p(
            "ComputerName",
            &["Cn"],
            Ty::String,
            &[mand_pos(RS_CSN, 0), mand_pos(RS_CIID, 0)],
        ),
        p(
            "ApplicationName",
            &[],
            Ty::String,
            &[opt(RS_CSN), opt(RS_CIID)],
        ),
        p("ConfigurationName", &[], Ty::String, RS_REMOTE),
        p(
            "ConnectionUri",
            &["URI", "CU"],
            Ty::Uri,
            &[mand_pos(RS_USN, 0), mand_pos(RS_UIID, 0)],
        ),
        p(
            "AllowRedirection",
            &[],
            Ty::Switch,
            &[opt(RS_USN), opt(RS_UIID)],
        ),
        p(
            "InstanceId",
            &[],
            Ty::Guid,
            &[mand(RS_CIID), mand(RS_UIID), mand(RS_IID)],
        ),
        p(
            "Name",
            &[],
            Ty::String,
            &[mand(RS_CSN), mand(RS_USN), mand(RS_SN)],
        ),
        p("OutTarget", &[], Ty::EnumOutTarget, ALL_OPT),
        p("JobName", &[], Ty::String, ALL_OPT),
        p("Credential", &[], Ty::Credential, RS_REMOTE),
        p("Authentication", &[], Ty::EnumAuth, RS_REMOTE),
        p("CertificateThumbprint", &[], Ty::String, RS_REMOTE),
        pr(
            "Port",
            &[],
            Ty::Int32,
            &[opt(RS_CSN), opt(RS_CIID)],
            1,
            65535,
        ),
        p("UseSSL", &[], Ty::Switch, &[opt(RS_CSN), opt(RS_CIID)]),
        p("SessionOption", &[], Ty::SessionOption, RS_REMOTE),
        p("WhatIf", &["wi"], Ty::Switch, ALL_OPT),
        p("Confirm", &["cf"], Ty::Switch, ALL_OPT),
    ],
};

// Invoke-Command
const IC_INPROC: &str = "InProcess";
const IC_SES: &str = "Session";
const IC_CN: &str = "ComputerName";
const IC_URI: &str = "Uri";
const IC_FSES: &str = "FilePathRunspace";
const IC_FCN: &str = "FilePathComputerName";
const IC_FURI: &str = "FilePathUri";
const IC_REMOTE: &[SetSpec] = &[opt(IC_CN), opt(IC_URI), opt(IC_FCN), opt(IC_FURI)];
const IC_ANY_REMOTE: &[SetSpec] = &[
    opt(IC_SES),
    opt(IC_CN),
    opt(IC_URI),
    opt(IC_FSES),
    opt(IC_FCN),
    opt(IC_FURI),
];
const INVOKE_COMMAND: CmdletDef = CmdletDef {
    name: "Invoke-Command",
    aliases: &["icm"],
    class: "Microsoft.PowerShell.Commands.InvokeCommandCommand",
    default_set: IC_INPROC,
    sets: &[IC_INPROC, IC_SES, IC_CN, IC_URI, IC_FSES, IC_FCN, IC_FURI],
    params: &[
        p(
            "Session",
            &[],
            Ty::Sessions,
            &[opt_pos(IC_SES, 0), opt_pos(IC_FSES, 0)],
        ),
        p(
            "ComputerName",
            &["Cn"],
            Ty::StringArray,
            &[opt_pos(IC_CN, 0), opt_pos(IC_FCN, 0)],
        ),
        p("Credential", &[], Ty::Credential, IC_REMOTE),
        pr("Port", &[], Ty::Int32, &[opt(IC_CN), opt(IC_FCN)], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt(IC_CN), opt(IC_FCN)]),
        p("ConfigurationName", &[], Ty::String, IC_REMOTE),
        p(
            "ApplicationName",
            &[],
            Ty::String,
            &[opt(IC_CN), opt(IC_FCN)],
        ),
        p("ThrottleLimit", &[], Ty::Int32, IC_ANY_REMOTE),
        p(
            "ConnectionUri",
            &["URI", "CU"],
            Ty::UriArray,
            &[opt_pos(IC_URI, 0), opt_pos(IC_FURI, 0)],
        ),
        p("AsJob", &[], Ty::Switch, IC_ANY_REMOTE),
        p(
            "InDisconnectedSession",
            &["Disconnected"],
            Ty::Switch,
            IC_REMOTE,
        ),
        p(
            "SessionName",
            &[],
            Ty::StringArray,
            &[opt(IC_CN), opt(IC_FCN)],
        ),
        p("HideComputerName", &["HCN"], Ty::Switch, IC_ANY_REMOTE),
        p("JobName", &[], Ty::String, IC_ANY_REMOTE),
        p(
            "ScriptBlock",
            &["Command"],
            Ty::ScriptBlock,
            &[
                mand_pos(IC_INPROC, 0),
                mand_pos(IC_SES, 1),
                mand_pos(IC_CN, 1),
                mand_pos(IC_URI, 1),
            ],
        ),
        p("NoNewScope", &[], Ty::Switch, &[opt(IC_INPROC)]),
        p(
            "FilePath",
            &["PSPath"],
            Ty::String,
            &[
                mand_pos(IC_FSES, 1),
                mand_pos(IC_FCN, 1),
                mand_pos(IC_FURI, 1),
            ],
        ),
        p(
            "AllowRedirection",
            &[],
            Ty::Switch,
            &[opt(IC_URI), opt(IC_FURI)],
        ),
        p("SessionOption", &[], Ty::SessionOption, IC_REMOTE),
        p("Authentication", &[], Ty::EnumAuth, IC_REMOTE),
        p(
            "EnableNetworkAccess",
            &[],
            Ty::Switch,
            &[opt(IC_CN), opt(IC_FCN), opt(IC_URI), opt(IC_FURI)],
        ),
        p("InputObject", &[], Ty::Object, &[opt_pipe(ALL)]),
        p("ArgumentList", &["Args"], Ty::ObjectArray, ALL_OPT),
        p("CertificateThumbprint", &[], Ty::String, IC_REMOTE),
    ],
};

// Remove-PSSession
const RM_ID: &str = "Id";
const RM_SES: &str = "Session";
const RM_IID: &str = "InstanceId";
const RM_NAME: &str = "Name";
const RM_CN: &str = "ComputerName";
const REMOVE_PSSESSION: CmdletDef = CmdletDef {
    name: "Remove-PSSession",
    aliases: &["rsn"],
    class: "Microsoft.PowerShell.Commands.RemovePSSessionCommand",
    default_set: RM_ID,
    sets: &[RM_ID, RM_SES, RM_IID, RM_NAME, RM_CN],
    params: &[
        p("Id", &[], Ty::Int32Array, &[mand_pos(RM_ID, 0)]),
        p("Session", &[], Ty::Sessions, &[mand_pos_pipe(RM_SES, 0)]),
        p("InstanceId", &[], Ty::GuidArray, &[mand(RM_IID)]),
        p("Name", &[], Ty::StringArray, &[mand(RM_NAME)]),
        p(
            "ComputerName",
            &["Cn"],
            Ty::StringArray,
            &[mand_pos(RM_CN, 0)],
        ),
        // Not PowerShell's: deletes a Busy session as its owner (see README).
        p("Force", &[], Ty::Switch, ALL_OPT),
        p("WhatIf", &["wi"], Ty::Switch, ALL_OPT),
        p("Confirm", &["cf"], Ty::Switch, ALL_OPT),
    ],
};

// New-PSSessionOption
const NEW_PSSESSION_OPTION: CmdletDef = CmdletDef {
    name: "New-PSSessionOption",
    aliases: &[],
    class: "Microsoft.PowerShell.Commands.NewPSSessionOptionCommand",
    default_set: ALL,
    sets: &[ALL],
    params: &[
        p("MaximumRedirection", &[], Ty::Int32, ALL_OPT),
        p("NoCompression", &[], Ty::Switch, ALL_OPT),
        p("NoMachineProfile", &[], Ty::Switch, ALL_OPT),
        p("Culture", &[], Ty::Culture, ALL_OPT),
        p("UICulture", &[], Ty::Culture, ALL_OPT),
        pr(
            "MaximumReceivedDataSizePerCommand",
            &[],
            Ty::Int32,
            ALL_OPT,
            0,
            I32MAX,
        ),
        pr(
            "MaximumReceivedObjectSize",
            &[],
            Ty::Int32,
            ALL_OPT,
            0,
            I32MAX,
        ),
        p("OutputBufferingMode", &[], Ty::EnumObm, ALL_OPT),
        p("ApplicationArguments", &[], Ty::Hashtable, ALL_OPT),
        pr(
            "OpenTimeout",
            &["OpenTimeoutMSec"],
            Ty::Int32,
            ALL_OPT,
            0,
            I32MAX,
        ),
        pr(
            "CancelTimeout",
            &["CancelTimeoutMSec"],
            Ty::Int32,
            ALL_OPT,
            0,
            I32MAX,
        ),
        pr(
            "IdleTimeout",
            &["IdleTimeoutMSec"],
            Ty::Int32,
            ALL_OPT,
            -1,
            I32MAX,
        ),
        p("ProxyAccessType", &[], Ty::EnumProxy, ALL_OPT),
        p("ProxyAuthentication", &[], Ty::EnumAuth, ALL_OPT),
        p("ProxyCredential", &[], Ty::Credential, ALL_OPT),
        p("SkipCACheck", &[], Ty::Switch, ALL_OPT),
        p("SkipCNCheck", &[], Ty::Switch, ALL_OPT),
        p("SkipRevocationCheck", &[], Ty::Switch, ALL_OPT),
        pr(
            "OperationTimeout",
            &["OperationTimeoutMSec"],
            Ty::Int32,
            ALL_OPT,
            0,
            I32MAX,
        ),
        p("NoEncryption", &[], Ty::Switch, ALL_OPT),
        p("UseUTF16", &[], Ty::Switch, ALL_OPT),
        p("IncludePortInSPN", &[], Ty::Switch, ALL_OPT),
    ],
};

const GET_PSSESSION_CONFIGURATION: CmdletDef = CmdletDef {
    name: "Get-PSSessionConfiguration",
    aliases: &[],
    class: "Get-PSSessionConfiguration",
    default_set: ALL,
    sets: &[ALL],
    params: &[
        p("Name", &[], Ty::StringArray, &[opt_pos(ALL, 0)]),
        p("Force", &[], Ty::Switch, ALL_OPT),
    ],
};

const TEST_WSMAN: CmdletDef = CmdletDef {
    name: "Test-WSMan",
    aliases: &[],
    class: "Microsoft.WSMan.Management.TestWSManCommand",
    default_set: "ComputerName",
    sets: &["ComputerName"],
    params: &[
        p(
            "ComputerName",
            &["cn"],
            Ty::String,
            &[opt_pos("ComputerName", 0)],
        ),
        p(
            "Authentication",
            &["auth", "am"],
            Ty::EnumWsmanAuth,
            ALL_OPT,
        ),
        pr("Port", &[], Ty::Int32, &[opt("ComputerName")], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt("ComputerName")]),
        p("ApplicationName", &[], Ty::String, &[opt("ComputerName")]),
        p("Credential", &["cred", "c"], Ty::Credential, ALL_OPT),
        p("CertificateThumbprint", &[], Ty::String, ALL_OPT),
    ],
};

const CONNECT_WSMAN: CmdletDef = CmdletDef {
    name: "Connect-WSMan",
    aliases: &[],
    class: "Microsoft.WSMan.Management.ConnectWSManCommand",
    default_set: "ComputerName",
    sets: &["ComputerName", "URI"],
    params: &[
        p("ApplicationName", &[], Ty::String, &[opt("ComputerName")]),
        p(
            "ComputerName",
            &["cn"],
            Ty::String,
            &[opt_pos("ComputerName", 0)],
        ),
        p("ConnectionURI", &[], Ty::Uri, &[mand("URI")]),
        p("SessionOption", &["so"], Ty::SessionOption, ALL_OPT),
        pr("Port", &[], Ty::Int32, &[opt("ComputerName")], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt("ComputerName")]),
        p(
            "Authentication",
            &["auth", "am"],
            Ty::EnumWsmanAuth,
            ALL_OPT,
        ),
        p("Credential", &["cred", "c"], Ty::Credential, ALL_OPT),
        p("CertificateThumbprint", &[], Ty::String, ALL_OPT),
    ],
};

const DISCONNECT_WSMAN: CmdletDef = CmdletDef {
    name: "Disconnect-WSMan",
    aliases: &[],
    class: "Microsoft.WSMan.Management.DisconnectWSManCommand",
    default_set: ALL,
    sets: &[ALL],
    params: &[p("ComputerName", &[], Ty::String, &[opt_pos(ALL, 0)])],
};

const FORMAT_LIST: CmdletDef = CmdletDef {
    name: "Format-List",
    aliases: &["fl"],
    class: "Microsoft.PowerShell.Commands.FormatListCommand",
    default_set: ALL,
    sets: &[ALL],
    params: &[
        p("Property", &[], Ty::ObjectArray, &[opt_pos(ALL, 0)]),
        p("InputObject", &[], Ty::Object, &[opt_pipe(ALL)]),
    ],
};

const FORMAT_TABLE: CmdletDef = CmdletDef {
    name: "Format-Table",
    aliases: &["ft"],
    class: "Microsoft.PowerShell.Commands.FormatTableCommand",
    default_set: ALL,
    sets: &[ALL],
    params: &[
        p("AutoSize", &[], Ty::Switch, ALL_OPT),
        p("Property", &[], Ty::ObjectArray, &[opt_pos(ALL, 0)]),
        p("InputObject", &[], Ty::Object, &[opt_pipe(ALL)]),
    ],
};

static CMDLETS: &[&CmdletDef] = &[
    &NEW_PSSESSION,
    &GET_PSSESSION,
    &DISCONNECT_PSSESSION,
    &CONNECT_PSSESSION,
    &RECEIVE_PSSESSION,
    &INVOKE_COMMAND,
    &REMOVE_PSSESSION,
    &NEW_PSSESSION_OPTION,
    &GET_PSSESSION_CONFIGURATION,
    &TEST_WSMAN,
    &CONNECT_WSMAN,
    &DISCONNECT_WSMAN,
    &FORMAT_LIST,
    &FORMAT_TABLE,
];

/// Canonical names of every command this command line knows.
#[must_use]
pub fn command_names() -> Vec<&'static str> {
    CMDLETS.iter().map(|c| c.name).collect()
}

/// The canonical name of a command typed as `name` (case-insensitive, aliases
/// and the `Microsoft.PowerShell.Core\` module qualifier accepted).
#[must_use]
pub fn resolve_command_name(name: &str) -> Option<&'static str> {
    find_cmdlet(name).map(|c| c.name)
}

fn find_cmdlet(name: &str) -> Option<&'static CmdletDef> {
    let bare = name.rsplit('\\').next().unwrap_or(name);
    CMDLETS.iter().copied().find(|c| {
        c.name.eq_ignore_ascii_case(bare) || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(bare))
    })
}

// ---------------------------------------------------------------------------
// Errors.

fn err(
    cmd: &CmdletDef,
    id: &str,
    category: &str,
    exception: &str,
    message: String,
    offset: usize,
) -> Box<BindError> {
    Box::new(BindError {
        command: cmd.name.to_owned(),
        message,
        error_id: id.to_owned(),
        fully_qualified_error_id: format!("{id},{}", cmd.class),
        category: category.to_owned(),
        target: String::new(),
        exception: exception.to_owned(),
        offset,
    })
}

fn binding_err(cmd: &CmdletDef, id: &str, message: String, offset: usize) -> Box<BindError> {
    err(
        cmd,
        id,
        "InvalidArgument",
        "ParameterBindingException",
        message,
        offset,
    )
}

// ---------------------------------------------------------------------------
// Binding.

struct BoundParam {
    def: &'static ParamDef,
    value: Value,
    offset: usize,
}

struct Bound {
    cmd: &'static CmdletDef,
    set: &'static str,
    params: Vec<BoundParam>,
    pipeline_param: Option<&'static str>,
    common: CommonParameters,
    offset: usize,
}

fn param_in_set(def: &ParamDef, set: &str) -> Option<SetSpec> {
    def.sets
        .iter()
        .find(|s| s.set == set || s.set == ALL)
        .copied()
}

fn resolve_param(
    cmd: &'static CmdletDef,
    typed: &str,
    offset: usize,
) -> Result<&'static ParamDef, Box<BindError>> {
    let all = cmd.params.iter().chain(COMMON.iter());
    for def in all.clone() {
        if def.name.eq_ignore_ascii_case(typed)
            || def.aliases.iter().any(|a| a.eq_ignore_ascii_case(typed))
        {
            return Ok(def);
        }
    }
    let lower = typed.to_ascii_lowercase();
    let mut matches: Vec<&'static ParamDef> = Vec::new();
    for def in all {
        let hit = def.name.to_ascii_lowercase().starts_with(&lower)
            || def
                .aliases
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with(&lower));
        if hit && !matches.iter().any(|m| std::ptr::eq(*m, def)) {
            matches.push(def);
        }
    }
    match matches.len() {
        0 => Err(binding_err(
            cmd,
            "NamedParameterNotFound",
            format!("A parameter cannot be found that matches parameter name '{typed}'."),
            offset,
        )),
        1 => Ok(matches[0]),
        _ => {
            let list: Vec<String> = matches.iter().map(|m| format!("-{}", m.name)).collect();
            Err(binding_err(
                cmd,
                "AmbiguousParameter",
                format!(
                    "Parameter cannot be processed because the parameter name '{typed}' is ambiguous. Possible matches include: {}.",
                    list.join(" ")
                ),
                offset,
            ))
        }
    }
}

fn is_common(def: &ParamDef) -> bool {
    COMMON.iter().any(|c| std::ptr::eq(c, def))
}

/// How well a literal value fits a parameter type (higher is better; 0 = not at all).
fn affinity(ty: Ty, v: &Value) -> u8 {
    let dynamic = matches!(
        v,
        Value::Variable(_) | Value::SubPipeline(_) | Value::SubExpression(_)
    );
    match ty {
        Ty::Sessions => {
            if dynamic {
                4
            } else if let Value::List(items) = v {
                if items.iter().all(|i| affinity(Ty::Sessions, i) > 0) {
                    4
                } else {
                    0
                }
            } else {
                0
            }
        }
        Ty::ScriptBlock => match v {
            Value::ScriptBlock(_) => 4,
            _ if dynamic => 2,
            _ => 0,
        },
        Ty::Int32 | Ty::Int32Array => match v {
            Value::Int(_) => 3,
            Value::List(items) if items.iter().all(|i| matches!(i, Value::Int(_))) => 3,
            _ if dynamic => 1,
            _ => 0,
        },
        Ty::ObjectArray | Ty::Object => 1,
        _ => match v {
            Value::ScriptBlock(_) => 0,
            Value::String(_) | Value::Expandable(_) => 3,
            Value::List(_) | Value::Int(_) => 2,
            _ if dynamic => 1,
            _ => 1,
        },
    }
}

/// Bind one command call. `has_pipeline_input` is true when the command is
/// not first in its pipeline (or follows an expression).
///
/// # Errors
/// [`BindError`] with PowerShell's message for unknown commands or
/// parameters, ambiguous names, missing or unconvertible arguments,
/// validation failures and unresolvable parameter sets.
pub fn bind(call: &CommandCall, has_pipeline_input: bool) -> Result<BoundCommand, Box<BindError>> {
    let Some(cmd) = find_cmdlet(&call.name) else {
        return Err(Box::new(BindError {
            command: call.name.clone(),
            message: format!(
                "The term '{}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
                call.name
            ),
            error_id: "CommandNotFoundException".into(),
            fully_qualified_error_id: "CommandNotFoundException".into(),
            category: "ObjectNotFound".into(),
            target: format!("{}:String", call.name),
            exception: "CommandNotFoundException".into(),
            offset: call.offset,
        }));
    };
    let bound = bind_generic(cmd, call, has_pipeline_input)?;
    let invocation = build(&bound)?;
    Ok(BoundCommand {
        cmdlet: cmd.name,
        parameter_set: bound.set,
        invocation,
        common: bound.common,
    })
}

/// Bind every command of a pipeline (the first element may be an expression).
///
/// # Errors
/// The first binding error in pipeline order.
pub fn bind_pipeline(
    pipeline: &super::syntax::Pipeline,
) -> Result<Vec<Option<BoundCommand>>, Box<BindError>> {
    let mut out = Vec::new();
    for (i, el) in pipeline.elements.iter().enumerate() {
        match el {
            PipelineElement::Command(c) => out.push(Some(bind(c, i > 0)?)),
            PipelineElement::Expression(_) => out.push(None),
        }
    }
    Ok(out)
}

#[expect(
    clippy::too_many_lines,
    reason = "PowerShell's binding steps in their order; still to be split into stages"
)]
fn bind_generic(
    cmd: &'static CmdletDef,
    call: &CommandCall,
    has_pipeline_input: bool,
) -> Result<Bound, Box<BindError>> {
    let mut named: Vec<BoundParam> = Vec::new();
    let mut positional: Vec<(Value, usize)> = Vec::new();
    let mut common = CommonParameters::new();
    let mut i = 0;
    while let Some(arg) = call.args.get(i) {
        i += 1;
        match arg {
            Argument::Value { value, offset } => positional.push((value.clone(), *offset)),
            Argument::Parameter {
                name,
                value,
                offset,
            } => {
                let def = resolve_param(cmd, name, *offset)?;
                let v = if def.ty == Ty::Switch {
                    value.clone().unwrap_or(Value::Bool(true))
                } else if let Some(v) = value {
                    v.clone()
                } else {
                    match call.args.get(i) {
                        Some(Argument::Value { value, .. }) => {
                            i += 1;
                            value.clone()
                        }
                        _ => {
                            return Err(binding_err(
                                cmd,
                                "MissingArgument",
                                format!(
                                    "Missing an argument for parameter '{}'. Specify a parameter of type '{}' and try again.",
                                    def.name,
                                    def.ty.type_name()
                                ),
                                *offset,
                            ));
                        }
                    }
                };
                if is_common(def) {
                    if common.contains_key(def.name) {
                        return Err(already_bound(cmd, def.name, *offset));
                    }
                    common.insert(def.name.to_owned(), v);
                    continue;
                }
                if named.iter().any(|b| std::ptr::eq(b.def, def)) {
                    return Err(already_bound(cmd, def.name, *offset));
                }
                named.push(BoundParam {
                    def,
                    value: v,
                    offset: *offset,
                });
            }
        }
    }

    // Candidate sets: those that contain every named parameter.
    let mut candidates: Vec<&'static str> = cmd
        .sets
        .iter()
        .copied()
        .filter(|set| named.iter().all(|b| param_in_set(b.def, set).is_some()))
        .collect();
    if candidates.is_empty() {
        return Err(ambiguous_set(cmd, call.offset));
    }

    // Positional arguments, in order.
    for (value, offset) in positional {
        // Unbound parameters with a position in some candidate set.
        let mut slots: Vec<(u8, &'static ParamDef, &'static str)> = Vec::new();
        for def in cmd.params {
            if named.iter().any(|b| std::ptr::eq(b.def, def)) {
                continue;
            }
            for set in &candidates {
                if let Some(spec) = param_in_set(def, set)
                    && let Some(pos) = spec.position
                {
                    slots.push((pos, def, set));
                }
            }
        }
        let Some(min_pos) = slots.iter().map(|s| s.0).min() else {
            return Err(binding_err(
                cmd,
                "PositionalParameterNotFound",
                format!(
                    "A positional parameter cannot be found that accepts argument '{}'.",
                    value.display_text()
                ),
                offset,
            ));
        };
        // Among the params at the lowest position, pick by type affinity, then default set.
        let mut best: Option<(u8, bool, &'static ParamDef)> = None;
        for (pos, def, set) in &slots {
            if *pos != min_pos {
                continue;
            }
            let score = affinity(def.ty, &value);
            let is_default = *set == cmd.default_set;
            let better = match best {
                None => true,
                Some((bs, bd, _)) => score > bs || (score == bs && is_default && !bd),
            };
            if better {
                best = Some((score, is_default, def));
            }
        }
        let Some((_, _, def)) = best else {
            return Err(ambiguous_set(cmd, offset));
        };
        named.push(BoundParam { def, value, offset });
        candidates.retain(|set| param_in_set(def, set).is_some());
    }

    // Pipeline input by value.
    let mut pipeline_param = None;
    if has_pipeline_input {
        let mut target: Option<&'static ParamDef> = None;
        for def in cmd.params {
            if named.iter().any(|b| std::ptr::eq(b.def, def)) {
                continue;
            }
            if candidates
                .iter()
                .any(|set| param_in_set(def, set).is_some_and(|s| s.pipeline))
            {
                target = Some(def);
                break;
            }
        }
        match target {
            Some(def) => {
                pipeline_param = Some(def.name);
                let narrowed: Vec<&'static str> = candidates
                    .iter()
                    .copied()
                    .filter(|set| param_in_set(def, set).is_some_and(|s| s.pipeline))
                    .collect();
                if !narrowed.is_empty() {
                    candidates = narrowed;
                }
            }
            None => {
                return Err(err(
                    cmd,
                    "InputObjectNotBound",
                    "InvalidArgument",
                    "ParameterBindingException",
                    "The input object cannot be bound to any parameters for the command either because the command does not take pipeline input or the input and its properties do not match any of the parameters that take pipeline input.".into(),
                    call.offset,
                ));
            }
        }
    }

    // Resolve the set: candidates whose mandatory parameters are all bound.
    let is_bound = |def: &ParamDef| {
        named.iter().any(|b| std::ptr::eq(b.def, def)) || pipeline_param == Some(def.name)
    };
    let satisfied: Vec<&'static str> = candidates
        .iter()
        .copied()
        .filter(|set| {
            cmd.params
                .iter()
                .all(|def| param_in_set(def, set).is_none_or(|s| !s.mandatory || is_bound(def)))
        })
        .collect();
    let set = match satisfied.len() {
        0 => {
            let report_set = if candidates.contains(&cmd.default_set) {
                cmd.default_set
            } else {
                candidates.first().copied().unwrap_or(cmd.default_set)
            };
            let missing: Vec<&str> = cmd
                .params
                .iter()
                .filter(|def| {
                    param_in_set(def, report_set).is_some_and(|s| s.mandatory) && !is_bound(def)
                })
                .map(|def| def.name)
                .collect();
            return Err(binding_err(
                cmd,
                "MissingMandatoryParameter",
                format!(
                    "Cannot process command because of one or more missing mandatory parameters: {}.",
                    missing.join(" ")
                ),
                call.offset,
            ));
        }
        1 => satisfied[0],
        _ => {
            if satisfied.contains(&cmd.default_set) {
                cmd.default_set
            } else {
                // Prefer a set in which every bound parameter is mandatory-or-positional
                // only when exactly one set has no unbound mandatory parameters *and*
                // minimal size; otherwise it is ambiguous, as in PowerShell.
                let with_mandatory: Vec<&'static str> = satisfied
                    .iter()
                    .copied()
                    .filter(|set| {
                        cmd.params.iter().any(|def| {
                            param_in_set(def, set).is_some_and(|s| s.mandatory) && is_bound(def)
                        })
                    })
                    .collect();
                if with_mandatory.len() == 1 {
                    with_mandatory[0]
                } else {
                    return Err(ambiguous_set(cmd, call.offset));
                }
            }
        }
    };

    // Validate values (conversion happens in `build`, ranges here).
    for b in &named {
        if let Some((lo, hi)) = b.def.range {
            check_range(cmd, b, lo, hi)?;
        }
    }

    Ok(Bound {
        cmd,
        set,
        params: named,
        pipeline_param,
        common,
        offset: call.offset,
    })
}

fn already_bound(cmd: &CmdletDef, name: &str, offset: usize) -> Box<BindError> {
    binding_err(
        cmd,
        "ParameterAlreadyBound",
        format!(
            "Cannot bind parameter because parameter '{name}' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, \"-parameter value1,value2,value3\"."
        ),
        offset,
    )
}

fn ambiguous_set(cmd: &CmdletDef, offset: usize) -> Box<BindError> {
    binding_err(
        cmd,
        "AmbiguousParameterSet",
        "Parameter set cannot be resolved using the specified named parameters.".into(),
        offset,
    )
}

fn check_range(cmd: &CmdletDef, b: &BoundParam, lo: i64, hi: i64) -> Result<(), Box<BindError>> {
    let items: Vec<&Value> = match &b.value {
        Value::List(l) => l.iter().collect(),
        v => vec![v],
    };
    for v in items {
        let n = match v {
            Value::Int(n) => *n,
            _ => continue,
        };
        let msg = if n < lo {
            format!(
                "Cannot validate argument on parameter '{}'. The {n} argument is less than the minimum allowed range of {lo}. Supply an argument that is greater than or equal to {lo} and then try the command again.",
                b.def.name
            )
        } else if n > hi {
            // Values beyond Int32 fail conversion first, as in PowerShell.
            if n > I32MAX {
                continue;
            }
            format!(
                "Cannot validate argument on parameter '{}'. The {n} argument is greater than the maximum allowed range of {hi}. Supply an argument that is less than or equal to {hi} and then try the command again.",
                b.def.name
            )
        } else {
            continue;
        };
        return Err(err(
            cmd,
            "ParameterArgumentValidationError",
            "InvalidData",
            "ParameterBindingValidationException",
            msg,
            b.offset,
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Coercion (public so the executor can convert resolved variables).

fn cannot_convert(param: &str, v: &Value, type_name: &str, reason: &str) -> String {
    format!(
        "Cannot bind parameter '{param}'. Cannot convert value \"{}\" to type \"{type_name}\". Error: \"{reason}\"",
        v.display_text()
    )
}

fn cannot_convert_type(param: &str, v: &Value, type_name: &str) -> String {
    let from = match v {
        Value::Int(_) => "System.Int32",
        Value::Double(_) => "System.Double",
        Value::Bool(_) => "System.Boolean",
        Value::ScriptBlock(_) => "System.Management.Automation.ScriptBlock",
        Value::Hashtable(_) => "System.Collections.Hashtable",
        Value::List(_) => "System.Object[]",
        _ => "System.String",
    };
    // PowerShell shows collections and hashtables by their type name.
    let shown = match v {
        Value::List(_) | Value::Hashtable(_) => from.to_owned(),
        other => other.display_text(),
    };
    format!(
        "Cannot bind parameter '{param}'. Cannot convert the \"{shown}\" value of type \"{from}\" to type \"{type_name}\"."
    )
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Double(d) => Some(d.to_string()),
        Value::Bool(b) => Some(if *b { "True".into() } else { "False".into() }),
        Value::Null => Some(String::new()),
        Value::ScriptBlock(s) => Some(s.clone()),
        _ => None,
    }
}

/// Convert a resolved value to `System.String`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_string(param: &str, v: &Value) -> Result<String, String> {
    match v {
        Value::List(items) => Ok(items
            .iter()
            .map(Value::display_text)
            .collect::<Vec<_>>()
            .join(" ")),
        Value::Hashtable(_) => Err(cannot_convert_type(param, v, "System.String")),
        other => scalar_string(other).ok_or_else(|| cannot_convert_type(param, v, "System.String")),
    }
}

/// Convert a resolved value to `System.String[]`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_string_array(param: &str, v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::List(items) => items.iter().map(|i| coerce_string(param, i)).collect(),
        other => Ok(vec![coerce_string(param, other)?]),
    }
}

/// Convert a resolved value to `System.Int32`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_int(param: &str, v: &Value) -> Result<i32, String> {
    let too_big = "Value was either too large or too small for an Int32.";
    match v {
        Value::Int(i) => {
            i32::try_from(*i).map_err(|_| cannot_convert(param, v, "System.Int32", too_big))
        }
        Value::Double(d) => {
            let r = d.round();
            if r >= f64::from(i32::MIN) && r <= f64::from(i32::MAX) {
                Ok(r as i32)
            } else {
                Err(cannot_convert(param, v, "System.Int32", too_big))
            }
        }
        Value::Bool(b) => Ok(i32::from(*b)),
        Value::String(s) => match super::syntax::parse_number(s.trim()) {
            Some(Value::Int(i)) => {
                i32::try_from(i).map_err(|_| cannot_convert(param, v, "System.Int32", too_big))
            }
            Some(Value::Double(_)) | None => Err(cannot_convert(
                param,
                v,
                "System.Int32",
                "Input string was not in a correct format.",
            )),
            Some(_) => Err(cannot_convert(
                param,
                v,
                "System.Int32",
                "Input string was not in a correct format.",
            )),
        },
        Value::List(items) if items.len() == 1 => coerce_int(param, &items[0]),
        _ => Err(cannot_convert_type(param, v, "System.Int32")),
    }
}

/// Convert a resolved value to `System.Int32[]`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_int_array(param: &str, v: &Value) -> Result<Vec<i32>, String> {
    match v {
        Value::List(items) => items.iter().map(|i| coerce_int(param, i)).collect(),
        other => Ok(vec![coerce_int(param, other)?]),
    }
}

/// Convert a resolved value to `System.Guid`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_guid(param: &str, v: &Value) -> Result<Uuid, String> {
    let s = match v {
        Value::String(s) => s.trim(),
        _ => return Err(cannot_convert_type(param, v, "System.Guid")),
    };
    let braced = s
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .or_else(|| s.strip_prefix('(').and_then(|x| x.strip_suffix(')')))
        .unwrap_or(s);
    Uuid::try_parse(braced).map_err(|_| {
        cannot_convert(
            param,
            v,
            "System.Guid",
            "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
        )
    })
}

/// Convert a resolved value to `System.Guid[]`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_guid_array(param: &str, v: &Value) -> Result<Vec<Uuid>, String> {
    match v {
        Value::List(items) => items.iter().map(|i| coerce_guid(param, i)).collect(),
        other => Ok(vec![coerce_guid(param, other)?]),
    }
}

/// Convert a resolved value to `System.Uri` (must be absolute).
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_uri(param: &str, v: &Value) -> Result<String, String> {
    let s = coerce_string(param, v)?;
    let ok = s.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            && !rest.is_empty()
    });
    if ok {
        Ok(s)
    } else {
        Err(cannot_convert(
            param,
            v,
            "System.Uri",
            "Invalid URI: The format of the URI could not be determined.",
        ))
    }
}

fn coerce_uri_array(param: &str, v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::List(items) => items.iter().map(|i| coerce_uri(param, i)).collect(),
        other => Ok(vec![coerce_uri(param, other)?]),
    }
}

fn coerce_enum<E: PsEnum>(param: &str, v: &Value) -> Result<E, String> {
    let names = || {
        E::VARIANTS
            .iter()
            .map(|(n, _, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match v {
        Value::String(s) => {
            let t = s.trim();
            if let Some((_, _, e)) = E::VARIANTS.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(t)) {
                return Ok(*e);
            }
            if let Ok(n) = t.parse::<i64>()
                && let Some((_, _, e)) = E::VARIANTS.iter().find(|(_, k, _)| *k == n) {
                    return Ok(*e);
                }
            Err(cannot_convert(
                param,
                v,
                E::TYPE_NAME,
                &format!(
                    "Unable to match the identifier name {t} to a valid enumerator name. Specify one of the following enumerator names and try again:\n{}",
                    names()
                ),
            ))
        }
        Value::Int(n) => E::VARIANTS
            .iter()
            .find(|(_, k, _)| k == n)
            .map(|(_, _, e)| *e)
            .ok_or_else(|| {
                cannot_convert(
                    param,
                    v,
                    E::TYPE_NAME,
                    &format!(
                        "Unable to match the identifier name {n} to a valid enumerator name. Specify one of the following enumerator names and try again:\n{}",
                        names()
                    ),
                )
            }),
        _ => Err(cannot_convert_type(param, v, E::TYPE_NAME)),
    }
}

/// Convert a resolved value to `OutputBufferingMode`.
///
/// # Errors
/// PowerShell's enum conversion message.
pub fn coerce_output_buffering_mode(param: &str, v: &Value) -> Result<OutputBufferingMode, String> {
    coerce_enum(param, v)
}

/// Convert a resolved value to `AuthenticationMechanism`.
///
/// # Errors
/// PowerShell's enum conversion message.
pub fn coerce_authentication(param: &str, v: &Value) -> Result<AuthenticationMechanism, String> {
    coerce_enum(param, v)
}

fn coerce_switch(param: &str, v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Int(i) => Ok(*i != 0),
        Value::Null => Ok(false),
        _ => Err(format!(
            "Cannot process argument transformation on parameter '{param}'. Cannot convert value \"{}\" to type \"System.Management.Automation.SwitchParameter\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.",
            v.display_text()
        )),
    }
}

/// Interpret a `-Credential` argument (user name now, or deferred).
///
/// # Errors
/// PowerShell's conversion message for values that cannot be a credential.
pub fn coerce_credential(param: &str, v: &Value) -> Result<CredentialArg, String> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(CredentialArg::UserName(s.clone())),
        Value::Variable(_)
        | Value::SubPipeline(_)
        | Value::SubExpression(_)
        | Value::Expandable(_) => Ok(CredentialArg::Deferred(v.clone())),
        Value::Null => Err(format!(
            "Cannot bind argument to parameter '{param}' because it is null."
        )),
        _ => Err(cannot_convert_type(param, v, Ty::Credential.type_name())),
    }
}

// ---------------------------------------------------------------------------
// Building typed invocations.

impl Bound {
    fn get(&self, name: &str) -> Option<&BoundParam> {
        self.params.iter().find(|b| b.def.name == name)
    }

    fn fail(&self, b: &BoundParam, message: String) -> Box<BindError> {
        let id = if message.starts_with("Cannot process argument transformation") {
            "ParameterArgumentTransformationError"
        } else if message.contains("because it is null") {
            "ParameterArgumentValidationErrorNullNotAllowed"
        } else if message.contains("Error: \"") {
            "CannotConvertArgumentNoMessage"
        } else {
            "CannotConvertArgument"
        };
        binding_err(self.cmd, id, message, b.offset)
    }

    fn arg<T>(
        &self,
        name: &str,
        f: impl Fn(&str, &Value) -> Result<T, String>,
    ) -> Result<Option<Arg<T>>, Box<BindError>> {
        let Some(b) = self.get(name) else {
            return Ok(None);
        };
        if b.value.is_dynamic() {
            return Ok(Some(Arg::Deferred(b.value.clone())));
        }
        f(b.def.name, &b.value)
            .map(|v| Some(Arg::Value(v)))
            .map_err(|m| self.fail(b, m))
    }

    fn lit<T>(
        &self,
        name: &str,
        f: impl Fn(&str, &Value) -> Result<T, String>,
    ) -> Result<Option<T>, Box<BindError>> {
        let Some(b) = self.get(name) else {
            return Ok(None);
        };
        f(b.def.name, &b.value)
            .map(Some)
            .map_err(|m| self.fail(b, m))
    }

    fn strings(&self, name: &str) -> Result<Option<Arg<Vec<String>>>, Box<BindError>> {
        self.arg(name, coerce_string_array)
    }
    fn string(&self, name: &str) -> Result<Option<Arg<String>>, Box<BindError>> {
        self.arg(name, coerce_string)
    }
    fn int(&self, name: &str) -> Result<Option<Arg<i32>>, Box<BindError>> {
        self.arg(name, coerce_int)
    }
    fn switch(&self, name: &str) -> Result<bool, Box<BindError>> {
        match self.get(name) {
            None => Ok(false),
            Some(b) if b.value.is_dynamic() => Ok(true),
            Some(b) => coerce_switch(b.def.name, &b.value).map_err(|m| self.fail(b, m)),
        }
    }
    fn confirm(&self) -> Result<Option<bool>, Box<BindError>> {
        match self.get("Confirm") {
            None => Ok(None),
            Some(_) => self.switch("Confirm").map(Some),
        }
    }
    fn throttle(&self) -> Result<u32, Box<BindError>> {
        match self.int("ThrottleLimit")? {
            Some(Arg::Value(n)) if n > 0 => Ok(u32::try_from(n).unwrap_or(32)),
            _ => Ok(32),
        }
    }
    fn credential(&self, name: &str) -> Result<Option<CredentialArg>, Box<BindError>> {
        self.lit(name, coerce_credential)
    }
    fn sessions_value(&self) -> Result<Option<Value>, Box<BindError>> {
        let Some(b) = self.get("Session") else {
            return Ok(None);
        };
        if affinity(Ty::Sessions, &b.value) == 0 {
            return Err(self.fail(
                b,
                cannot_convert_type(b.def.name, &b.value, Ty::Sessions.type_name()),
            ));
        }
        Ok(Some(b.value.clone()))
    }
    fn session_option(&self, name: &str) -> Result<Option<SessionOptionArg>, Box<BindError>> {
        let Some(b) = self.get(name) else {
            return Ok(None);
        };
        match &b.value {
            Value::Hashtable(entries) => {
                let opts = options_from_hashtable(self.cmd, b, entries)?;
                Ok(Some(SessionOptionArg::Options(Box::new(opts))))
            }
            Value::SubPipeline(p) => {
                if let [PipelineElement::Command(c)] = p.elements.as_slice()
                    && resolve_command_name(&c.name) == Some("New-PSSessionOption")
                {
                    let inner = bind(c, false)?;
                    if let Invocation::NewPSSessionOption(o) = inner.invocation {
                        return Ok(Some(SessionOptionArg::Options(Box::new(o))));
                    }
                }
                Ok(Some(SessionOptionArg::Deferred(b.value.clone())))
            }
            Value::Variable(_) | Value::SubExpression(_) => {
                Ok(Some(SessionOptionArg::Deferred(b.value.clone())))
            }
            other => Err(self.fail(
                b,
                cannot_convert_type(b.def.name, other, Ty::SessionOption.type_name()),
            )),
        }
    }

    fn remote(&self) -> Result<RemoteConnection, Box<BindError>> {
        let target = if self.get("ConnectionUri").is_some() {
            let uris = match self.get("ConnectionUri") {
                Some(b) if b.def.ty == Ty::Uri => {
                    self.arg("ConnectionUri", |p, v| coerce_uri(p, v).map(|u| vec![u]))?
                }
                _ => self.arg("ConnectionUri", coerce_uri_array)?,
            };
            RemoteTarget::ConnectionUri {
                uris: uris.unwrap_or(Arg::Value(Vec::new())),
                allow_redirection: self.switch("AllowRedirection")?,
            }
        } else {
            RemoteTarget::ComputerName {
                names: self
                    .strings("ComputerName")?
                    .unwrap_or_else(|| Arg::Value(vec!["localhost".into()])),
                port: self.int("Port")?,
                use_ssl: self.switch("UseSSL")?,
                application_name: self.string("ApplicationName")?,
            }
        };
        Ok(RemoteConnection {
            target,
            configuration_name: self.string("ConfigurationName")?,
            credential: self.credential("Credential")?,
            authentication: self.arg("Authentication", coerce_enum::<AuthenticationMechanism>)?,
            certificate_thumbprint: self.string("CertificateThumbprint")?,
            session_option: self.session_option("SessionOption")?,
        })
    }

    fn local_target(&self) -> Result<SessionTarget, Box<BindError>> {
        if let Some(v) = self.sessions_value()? {
            return Ok(SessionTarget::Sessions(v));
        }
        if self.pipeline_param == Some("Session") {
            return Ok(SessionTarget::Pipeline);
        }
        if let Some(n) = self.strings("Name")? {
            return Ok(SessionTarget::Name(n));
        }
        if let Some(i) = self.arg("InstanceId", coerce_guid_array)? {
            return Ok(SessionTarget::InstanceId(i));
        }
        if let Some(i) = self.arg("Id", coerce_int_array)? {
            return Ok(SessionTarget::Id(i));
        }
        if let Some(c) = self.strings("ComputerName")? {
            return Ok(SessionTarget::ComputerName(c));
        }
        Ok(SessionTarget::Pipeline)
    }

    fn is_remote_set(&self) -> bool {
        self.set.starts_with("Computer") || self.set.starts_with("ConnectionUri")
    }
}

fn options_from_hashtable(
    cmd: &'static CmdletDef,
    b: &BoundParam,
    entries: &[(String, Value)],
) -> Result<SessionOptions, Box<BindError>> {
    let mut args = Vec::new();
    for (k, v) in entries {
        args.push(Argument::Parameter {
            name: k.clone(),
            value: Some(v.clone()),
            offset: b.offset,
        });
    }
    let call = CommandCall {
        name: "New-PSSessionOption".into(),
        args,
        offset: b.offset,
    };
    match bind(&call, false) {
        Ok(BoundCommand {
            invocation: Invocation::NewPSSessionOption(o),
            ..
        }) => Ok(o),
        Ok(_) => Err(ambiguous_set(cmd, b.offset)),
        Err(e) => Err(binding_err(
            cmd,
            "CannotConvertArgumentNoMessage",
            format!(
                "Cannot bind parameter '{}'. Cannot convert the \"System.Collections.Hashtable\" value of type \"System.Collections.Hashtable\" to type \"{}\". {}",
                b.def.name,
                Ty::SessionOption.type_name(),
                e.message
            ),
            b.offset,
        )),
    }
}

fn session_options(b: &Bound) -> Result<SessionOptions, Box<BindError>> {
    let lit_int = |name: &str| -> Result<Option<i32>, Box<BindError>> { b.lit(name, coerce_int) };
    Ok(SessionOptions {
        maximum_redirection: lit_int("MaximumRedirection")?,
        no_compression: b.switch("NoCompression")?,
        no_machine_profile: b.switch("NoMachineProfile")?,
        culture: b.lit("Culture", coerce_string)?,
        ui_culture: b.lit("UICulture", coerce_string)?,
        maximum_received_data_size_per_command: lit_int("MaximumReceivedDataSizePerCommand")?,
        maximum_received_object_size: lit_int("MaximumReceivedObjectSize")?,
        output_buffering_mode: b.lit("OutputBufferingMode", coerce_enum::<OutputBufferingMode>)?,
        application_arguments: match b.get("ApplicationArguments") {
            None => None,
            Some(p) => match &p.value {
                Value::Hashtable(e) => Some(e.clone()),
                other => {
                    return Err(b.fail(
                        p,
                        cannot_convert_type(p.def.name, other, Ty::Hashtable.type_name()),
                    ));
                }
            },
        },
        open_timeout_ms: lit_int("OpenTimeout")?,
        cancel_timeout_ms: lit_int("CancelTimeout")?,
        idle_timeout_ms: lit_int("IdleTimeout")?,
        proxy_access_type: b.lit("ProxyAccessType", coerce_enum::<ProxyAccessType>)?,
        proxy_authentication: b.lit(
            "ProxyAuthentication",
            coerce_enum::<AuthenticationMechanism>,
        )?,
        proxy_credential: b.credential("ProxyCredential")?,
        skip_ca_check: b.switch("SkipCACheck")?,
        skip_cn_check: b.switch("SkipCNCheck")?,
        skip_revocation_check: b.switch("SkipRevocationCheck")?,
        operation_timeout_ms: lit_int("OperationTimeout")?,
        no_encryption: b.switch("NoEncryption")?,
        use_utf16: b.switch("UseUTF16")?,
        include_port_in_spn: b.switch("IncludePortInSPN")?,
    })
}

fn wsman_connection(b: &Bound) -> Result<WsmanConnection, Box<BindError>> {
    Ok(WsmanConnection {
        computer_name: b.string("ComputerName")?,
        connection_uri: b.arg("ConnectionURI", coerce_uri)?,
        port: b.int("Port")?,
        use_ssl: b.switch("UseSSL")?,
        application_name: b.string("ApplicationName")?,
        authentication: b.arg("Authentication", coerce_enum::<WsmanAuthentication>)?,
        credential: b.credential("Credential")?,
        certificate_thumbprint: b.string("CertificateThumbprint")?,
        session_option: b.session_option("SessionOption")?,
    })
}

fn property_list(b: &Bound) -> Result<Option<Vec<String>>, Box<BindError>> {
    b.lit("Property", coerce_string_array)
}

fn build(b: &Bound) -> Result<Invocation, Box<BindError>> {
    Ok(match b.cmd.name {
        "New-PSSession" => Invocation::NewPSSession(NewPSSession {
            connection: if b.set == NS_SES {
                None
            } else {
                Some(b.remote()?)
            },
            sessions: if b.set == NS_SES {
                Some(b.local_target()?)
            } else {
                None
            },
            name: b.strings("Name")?,
            throttle_limit: b.throttle()?,
            enable_network_access: b.switch("EnableNetworkAccess")?,
        }),
        "Get-PSSession" => Invocation::GetPSSession(GetPSSession {
            remote: if b.is_remote_set() {
                Some(b.remote()?)
            } else {
                None
            },
            name: b.strings("Name")?,
            instance_id: b.arg("InstanceId", coerce_guid_array)?,
            id: b.arg("Id", coerce_int_array)?,
            state: b
                .lit("State", coerce_enum::<SessionFilterState>)?
                .unwrap_or(SessionFilterState::All),
            throttle_limit: b.throttle()?,
        }),
        "Disconnect-PSSession" => Invocation::DisconnectPSSession(DisconnectPSSession {
            target: b.local_target()?,
            idle_timeout_sec: b.int("IdleTimeoutSec")?,
            output_buffering_mode: b
                .arg("OutputBufferingMode", coerce_enum::<OutputBufferingMode>)?,
            throttle_limit: b.throttle()?,
            what_if: b.switch("WhatIf")?,
            confirm: b.confirm()?,
        }),
        "Connect-PSSession" => Invocation::ConnectPSSession(ConnectPSSession {
            selection: selection(b)?,
            throttle_limit: b.throttle()?,
            what_if: b.switch("WhatIf")?,
            confirm: b.confirm()?,
        }),
        "Receive-PSSession" => Invocation::ReceivePSSession(ReceivePSSession {
            selection: selection(b)?,
            out_target: b.lit("OutTarget", coerce_enum::<OutTarget>)?,
            job_name: b.string("JobName")?,
            what_if: b.switch("WhatIf")?,
            confirm: b.confirm()?,
        }),
        "Invoke-Command" => Invocation::InvokeCommand(invoke_command(b)?),
        "Remove-PSSession" => Invocation::RemovePSSession(RemovePSSession {
            target: b.local_target()?,
            what_if: b.switch("WhatIf")?,
            confirm: b.confirm()?,
            force: b.switch("Force")?,
        }),
        "New-PSSessionOption" => Invocation::NewPSSessionOption(session_options(b)?),
        "Get-PSSessionConfiguration" => {
            Invocation::GetPSSessionConfiguration(GetPSSessionConfiguration {
                name: b.strings("Name")?,
                force: b.switch("Force")?,
            })
        }
        "Test-WSMan" => Invocation::TestWSMan(wsman_connection(b)?),
        "Connect-WSMan" => Invocation::ConnectWSMan(wsman_connection(b)?),
        "Disconnect-WSMan" => Invocation::DisconnectWSMan {
            computer_name: b.string("ComputerName")?,
        },
        "Format-List" => Invocation::FormatList {
            property: property_list(b)?,
        },
        "Format-Table" => Invocation::FormatTable {
            property: property_list(b)?,
            auto_size: b.switch("AutoSize")?,
        },
        _ => return Err(ambiguous_set(b.cmd, b.offset)),
    })
}

fn selection(b: &Bound) -> Result<Selection, Box<BindError>> {
    if b.is_remote_set() {
        let (name, instance_id) = if b.cmd.name == "Receive-PSSession" {
            (
                b.arg("Name", |p, v| coerce_string(p, v).map(|s| vec![s]))?,
                b.arg("InstanceId", |p, v| coerce_guid(p, v).map(|g| vec![g]))?,
            )
        } else {
            (b.strings("Name")?, b.arg("InstanceId", coerce_guid_array)?)
        };
        return Ok(Selection::Remote {
            connection: Box::new(b.remote()?),
            name,
            instance_id,
        });
    }
    if b.cmd.name == "Receive-PSSession" {
        if let Some(v) = b.sessions_value()? {
            return Ok(Selection::Local(SessionTarget::Sessions(v)));
        }
        if b.pipeline_param == Some("Session") {
            return Ok(Selection::Local(SessionTarget::Pipeline));
        }
        if let Some(n) = b.arg("Name", |p, v| coerce_string(p, v).map(|s| vec![s]))? {
            return Ok(Selection::Local(SessionTarget::Name(n)));
        }
        if let Some(i) = b.arg("InstanceId", |p, v| coerce_guid(p, v).map(|g| vec![g]))? {
            return Ok(Selection::Local(SessionTarget::InstanceId(i)));
        }
        if let Some(i) = b.arg("Id", |p, v| coerce_int(p, v).map(|n| vec![n]))? {
            return Ok(Selection::Local(SessionTarget::Id(i)));
        }
    }
    Ok(Selection::Local(b.local_target()?))
}

fn invoke_command(b: &Bound) -> Result<InvokeCommand, Box<BindError>> {
    let target = match b.set {
        IC_SES | IC_FSES => match b.sessions_value()? {
            Some(v) => InvokeTarget::Sessions(v),
            None => InvokeTarget::Local,
        },
        IC_CN | IC_URI | IC_FCN | IC_FURI => {
            if b.get("ComputerName").is_none() && b.get("ConnectionUri").is_none() {
                InvokeTarget::Local
            } else {
                InvokeTarget::Remote(Box::new(b.remote()?))
            }
        }
        _ => InvokeTarget::Local,
    };
    let script = if let Some(p) = b.get("ScriptBlock") {
        match &p.value {
            Value::ScriptBlock(text) => ScriptSource::Block(text.clone()),
            v if v.is_dynamic() => ScriptSource::Deferred(v.clone()),
            other => {
                return Err(b.fail(
                    p,
                    cannot_convert_type(p.def.name, other, Ty::ScriptBlock.type_name()),
                ));
            }
        }
    } else {
        match b.string("FilePath")? {
            Some(f) => ScriptSource::FilePath(f),
            None => return Err(ambiguous_set(b.cmd, b.offset)),
        }
    };
    Ok(InvokeCommand {
        target,
        script,
        argument_list: b.get("ArgumentList").map(|p| p.value.clone()),
        in_disconnected_session: b.switch("InDisconnectedSession")?,
        session_name: b.strings("SessionName")?,
        hide_computer_name: b.switch("HideComputerName")?,
        as_job: b.switch("AsJob")?,
        job_name: b.string("JobName")?,
        throttle_limit: b.throttle()?,
        enable_network_access: b.switch("EnableNetworkAccess")?,
        input_from_pipeline: b.pipeline_param == Some("InputObject"),
        input_object: b.get("InputObject").map(|p| p.value.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::syntax::{Statement, parse};

    fn bind_line(line: &str) -> Result<Vec<BoundCommand>, Box<BindError>> {
        let stmts = parse(line).expect("parses");
        let mut out = Vec::new();
        for s in stmts {
            let p = match s {
                Statement::Pipeline(p) => p,
                Statement::Assignment { pipeline, .. } => pipeline,
            };
            for b in bind_pipeline(&p)?.into_iter().flatten() {
                out.push(b);
            }
        }
        Ok(out)
    }

    #[test]
    fn every_table_param_resolves_to_itself() {
        for cmd in CMDLETS {
            for def in cmd.params {
                let got = resolve_param(cmd, def.name, 0).expect("exact name");
                assert!(std::ptr::eq(got, def), "{} -{}", cmd.name, def.name);
                for a in def.aliases {
                    let got = resolve_param(cmd, a, 0).expect("alias");
                    assert!(std::ptr::eq(got, def), "{} -{a}", cmd.name);
                }
                for spec in def.sets {
                    assert!(
                        spec.set == ALL || cmd.sets.contains(&spec.set),
                        "{} -{} names unknown set {}",
                        cmd.name,
                        def.name,
                        spec.set
                    );
                }
            }
            assert!(cmd.sets.contains(&cmd.default_set), "{}", cmd.name);
        }
    }

    #[test]
    fn throttle_limit_zero_means_32() {
        let b = bind_line("Disconnect-PSSession -Name x -ThrottleLimit 0").expect("binds");
        match &b[0].invocation {
            Invocation::DisconnectPSSession(d) => assert_eq!(d.throttle_limit, 32),
            other => panic!("{other:?}"),
        }
        let b = bind_line("Disconnect-PSSession -Name x -ThrottleLimit 5").expect("binds");
        match &b[0].invocation {
            Invocation::DisconnectPSSession(d) => assert_eq!(d.throttle_limit, 5),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn enum_conversion_accepts_numbers_and_any_case() {
        assert_eq!(
            coerce_output_buffering_mode("X", &Value::String("drop".into())),
            Ok(OutputBufferingMode::Drop)
        );
        assert_eq!(
            coerce_output_buffering_mode("X", &Value::Int(2)),
            Ok(OutputBufferingMode::Block)
        );
        assert!(coerce_output_buffering_mode("X", &Value::Int(7)).is_err());
    }

    #[test]
    fn guid_forms() {
        let g = "6c5e9f2a-1b2c-4d3e-8f90-a1b2c3d4e5f6";
        for form in [g.to_owned(), format!("{{{g}}}"), g.to_uppercase()] {
            assert!(coerce_guid("InstanceId", &Value::String(form)).is_ok());
        }
    }
}
