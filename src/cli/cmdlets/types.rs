//! What binding produces: the typed invocation of each cmdlet and its arguments.

use super::*;

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
    /// `Get-Help [-Name] <cmdlet>` (also `<cmdlet> -?`).
    GetHelp {
        /// The cmdlet; None = how to get help.
        name: Option<Arg<String>>,
        /// Which part: everything, the examples, or some parameters.
        view: HelpView,
    },
    /// `Get-Command [-Name] <names> [-Verb] [-Noun] [-Syntax]`.
    GetCommand {
        /// Names (wildcards) to list; None = every command.
        name: Option<Arg<Vec<String>>>,
        verb: Option<Arg<Vec<String>>>,
        noun: Option<Arg<Vec<String>>>,
        /// `-Syntax`: the syntax of each instead of the list.
        syntax: bool,
    },
}

/// What `Get-Help` shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum HelpView {
    /// Name, synopsis, syntax, description and remarks (the default).
    Summary,
    /// Everything, parameters and examples included (`-Full`, `-Detailed`).
    Full,
    /// The examples only.
    Examples,
    /// The named parameters only (wildcards).
    Parameters(Arg<Vec<String>>),
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
