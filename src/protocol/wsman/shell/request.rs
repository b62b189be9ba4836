//! The WinRS shell operations a client sends: Create, Command, Send, Receive, Signal, Disconnect, Reconnect, Connect, Delete, Enumerate, Get, Identify, and the request factory that gives them one SessionId.

use super::*;

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

pub(super) fn enumerate_body(max_elements: u32, shell_id: Option<&str>) -> Element {
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
        super::super::envelope::upper(self.ids.next_id())
    }
}
