use uuid::Uuid;

use super::OpId;
use crate::model::{ActivityEntry, ConnectionSpec, Credential, OutputBufferingMode};

/// Which credential to use for a computer.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum CredentialChoice {
    /// The current user's (Kerberos/NTLM single sign-on where the platform has it).
    #[default]
    Implicit,
    /// A credential saved in the OS keyring, by its entry id; an empty id
    /// is a user a profile names with no password saved (the console asks
    /// for it before it sends anything).
    Saved { entry_id: String, user: String },
    /// Given for this action only; never saved.
    Once(Credential),
}

/// A computer as the user picked it: its display name (profile or host) and
/// how to reach it.
#[derive(Clone, Debug, PartialEq)]
pub struct ComputerRef {
    /// The name the user sees and types (`Srv1`).
    pub name: String,
    pub spec: ConnectionSpec,
    pub credential: CredentialChoice,
    /// `-ProxyCredential` (or the profile's proxy credential): the user the
    /// proxy server authenticates; None = no proxy credential.
    pub proxy_credential: Option<CredentialChoice>,
}

impl ComputerRef {
    /// A computer reached with `spec` and `credential`.
    pub fn new(name: &str, spec: ConnectionSpec, credential: CredentialChoice) -> Self {
        ComputerRef {
            name: name.to_owned(),
            spec,
            credential,
            proxy_credential: None,
        }
    }

    /// The same computer with a proxy credential.
    pub fn with_proxy_credential(mut self, proxy: Option<CredentialChoice>) -> Self {
        self.proxy_credential = proxy;
        self
    }
}

/// One session on one computer.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRef {
    pub computer: ComputerRef,
    pub instance_id: Uuid,
    /// The session's name, for messages.
    pub name: String,
}

/// What the UI or the CLI asks the worker to do.
#[derive(Clone, Debug)]
pub enum Command {
    /// `Get-PSSession -ComputerName …`: enumerate the sessions of these computers.
    ListSessions {
        op: OpId,
        computers: Vec<ComputerRef>,
        /// Name wildcards; empty = all.
        names: Vec<String>,
        /// 0 = 32, as PowerShell.
        throttle_limit: u32,
    },
    /// `New-PSSession`.
    NewSession {
        op: OpId,
        computer: ComputerRef,
        name: Option<String>,
        idle_timeout_ms: Option<u64>,
        output_buffering_mode: OutputBufferingMode,
    },
    /// `Disconnect-PSSession`.
    Disconnect {
        op: OpId,
        sessions: Vec<SessionRef>,
        idle_timeout_sec: Option<u32>,
        output_buffering_mode: OutputBufferingMode,
        throttle_limit: u32,
    },
    /// `Connect-PSSession`: reconnect if this console disconnected it, else connect as a new client.
    Connect { op: OpId, session: SessionRef },
    /// `Connect-PSSession -Session a, b, … -ThrottleLimit N`: each session
    /// as `Connect` does, at most `throttle_limit` at a time (0 = 32), one
    /// action whose failed parts are `PartFailed` (the console's Reconnect
    /// after an outage).
    ConnectMany {
        op: OpId,
        sessions: Vec<SessionRef>,
        throttle_limit: u32,
    },
    /// `Receive-PSSession`: connect if needed and replay the output of its commands.
    Receive { op: OpId, session: SessionRef },
    /// `Invoke-Command -Session` (or `-InDisconnectedSession`).
    Invoke {
        op: OpId,
        session: SessionRef,
        script: String,
        in_disconnected_session: bool,
    },
    /// `Invoke-Command -Session` with data for the script: `-ArgumentList`
    /// values (positional arguments of the script, bound to its `param()`
    /// or left in `$args`) and input objects (`-InputObject`, or objects
    /// piped in), sent as PIPELINE_INPUT messages ended with
    /// END_OF_PIPELINE_INPUT (the script reads them as `$input`).
    InvokeWithData {
        op: OpId,
        session: SessionRef,
        script: String,
        arguments: Vec<crate::model::ScriptValue>,
        /// None: the pipeline takes no input (`NoInput`).
        input: Option<Vec<crate::model::ScriptValue>>,
        in_disconnected_session: bool,
    },
    /// Stop a running command (Ctrl+C).
    StopCommand {
        op: OpId,
        session: SessionRef,
        command_id: Uuid,
    },
    /// `Remove-PSSession`. With `force` (Baton's `-Force`), a session that
    /// another client holds (Busy) is deleted as its owner, which rescues a
    /// session whose holder is gone; without it, a Busy session is refused.
    Remove {
        op: OpId,
        sessions: Vec<SessionRef>,
        force: bool,
    },
    /// `Test-WSMan`.
    TestConnection {
        op: OpId,
        computer: ComputerRef,
        /// PowerShell's anonymous Identify (Test-WSMan without -Credential
        /// or -Authentication): no one signs in, and the server leaves its
        /// OS version out.
        anonymous: bool,
    },
    /// `Connect-WSMan`: open an authenticated connection to the computer's
    /// WinRM service (an Identify over it) and keep it for later requests.
    ConnectWsman { op: OpId, computer: ComputerRef },
    /// `Disconnect-WSMan`: close this client's connections to the
    /// computer's WinRM service and forget its client sessions (for every
    /// user). Sessions stay on the server; sessions open in this console
    /// keep their own client session and open a new connection when they
    /// next need one.
    DisconnectWsman {
        op: OpId,
        /// The computer's name as given to Connect-WSMan (case-insensitive).
        computer: String,
    },
    /// `Get-PSSessionConfiguration`, run remotely, for the quotas.
    GetConfiguration {
        op: OpId,
        computer: ComputerRef,
        configuration_name: String,
    },
    /// Answer a host prompt (Read-Host) of a running command.
    AnswerPrompt {
        op: OpId,
        session: SessionRef,
        command_id: Uuid,
        answer: String,
    },
    /// Keep a password in the OS keyring (the Connect dialog's "Save in
    /// keyring", a password typed in the profile editor): under `entry`, or
    /// a new entry when None. Answered by `CredentialSaved`, then the
    /// action's end; the console itself never touches the keyring.
    SaveCredential {
        op: OpId,
        entry: Option<String>,
        credential: Credential,
    },
    /// Change the profile file (a node's settings, a tree edit, an import,
    /// an export): answered by `ProfilesChanged`, then the action's end.
    EditProfiles {
        op: OpId,
        job: crate::model::profile_edit::ProfileJob,
    },
    /// Cancel an action in flight.
    Cancel { op: OpId },
    /// Append the console's audit entries to the activity file, when the
    /// worker keeps one (`WorkerConfig::activity`). Not an action: nothing
    /// answers it, and a write that fails is reported once as
    /// `ActivityNotSaved`. Served even after `Stopped`, until the sender
    /// goes away, so the entries of the last actions are kept too.
    RecordActivity { entries: Vec<ActivityEntry> },
    /// Hand back every session this process holds ([`Release`]), report
    /// each outcome (`SessionReleased`), close every connection and stop
    /// the worker (`Stopped` is its last event). Actions still in flight
    /// end as cancelled first.
    Shutdown { release: Release },
}

/// What a process that ends does with the sessions it holds open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Release {
    /// As PowerShell does when its host exits, without stranding anyone: a
    /// session created here with nothing running is closed; one connected
    /// to here (someone's disconnected session) or with a command still
    /// running is disconnected, so the work goes on and the next person can
    /// connect to it.
    #[default]
    HandBack,
    /// Disconnect every held session (the console's "Disconnect all and quit").
    DisconnectAll,
    /// Close (delete) every held session (the console's "Close all and quit").
    CloseAll,
}

impl Command {
    /// The computers this command reaches, to fill in their credentials
    /// (the console asks for a password the profile names no saved one for).
    pub fn computers_mut(&mut self) -> Vec<&mut ComputerRef> {
        match self {
            Command::ListSessions { computers, .. } => computers.iter_mut().collect(),
            Command::NewSession { computer, .. }
            | Command::TestConnection { computer, .. }
            | Command::ConnectWsman { computer, .. }
            | Command::GetConfiguration { computer, .. } => vec![computer],
            Command::Disconnect { sessions, .. }
            | Command::Remove { sessions, .. }
            | Command::ConnectMany { sessions, .. } => {
                sessions.iter_mut().map(|s| &mut s.computer).collect()
            }
            Command::Connect { session, .. }
            | Command::Receive { session, .. }
            | Command::Invoke { session, .. }
            | Command::InvokeWithData { session, .. }
            | Command::StopCommand { session, .. }
            | Command::AnswerPrompt { session, .. } => vec![&mut session.computer],
            Command::DisconnectWsman { .. }
            | Command::SaveCredential { .. }
            | Command::EditProfiles { .. }
            | Command::Cancel { .. }
            | Command::RecordActivity { .. }
            | Command::Shutdown { .. } => Vec::new(),
        }
    }

    /// The action this command belongs to, when it has one.
    pub fn op(&self) -> Option<OpId> {
        match self {
            Command::ListSessions { op, .. }
            | Command::NewSession { op, .. }
            | Command::Disconnect { op, .. }
            | Command::Connect { op, .. }
            | Command::ConnectMany { op, .. }
            | Command::Receive { op, .. }
            | Command::Invoke { op, .. }
            | Command::InvokeWithData { op, .. }
            | Command::StopCommand { op, .. }
            | Command::Remove { op, .. }
            | Command::TestConnection { op, .. }
            | Command::ConnectWsman { op, .. }
            | Command::DisconnectWsman { op, .. }
            | Command::GetConfiguration { op, .. }
            | Command::AnswerPrompt { op, .. }
            | Command::SaveCredential { op, .. }
            | Command::EditProfiles { op, .. }
            | Command::Cancel { op } => Some(*op),
            Command::Shutdown { .. } | Command::RecordActivity { .. } => None,
        }
    }
}
