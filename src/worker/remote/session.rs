//! A runspace pool held by this console (a PSSession): created or connected, its commands started, received, answered, stopped, disconnected and reconnected, within the connection's client quotas.

use super::*;

/// A runspace pool held by this console.
pub struct Session {
    pub remote: Arc<Remote>,
    pub shell_id: Uuid,
    pub resource_uri: String,
    pub pool: ClientPool,
    /// What the server last said about the shell.
    pub info: ShellInfo,
    /// True when this client disconnected it (so Reconnect, not Connect).
    pub disconnected_by_me: bool,
    /// The keep-alive Receive failed while the session was open here: the
    /// server may have let it go, or may still hold it for this client (a
    /// network blip, an answer that raced a reconnect). Handing back at
    /// exit still tries it.
    pub keepalive_lost: bool,
    /// Pipelines this client started and has not released yet.
    pub(super) started: std::collections::HashSet<Uuid>,
    /// Pipelines that were running here when this client disconnected: after
    /// the shell's Reconnect each needs its own command-level Reconnect.
    pub(super) to_reconnect: std::collections::HashSet<Uuid>,
    /// How the shell's stream data travels: Xpress for shells created with
    /// `rsp:CompressionType xpress` (Windows PowerShell's default). Each
    /// `rsp:Stream` element's data is one complete sequence of Xpress blocks.
    pub compression: CompressionMode,
    /// What was received so far, against the connection's client quotas.
    pub(super) quota: ReceiveQuota,
    /// The session option's OutputBufferingMode (New-PSSessionOption, a
    /// profile, the New session dialog): sent at Create, at a Disconnect
    /// that names no mode, and at Reconnect. None = the server's.
    pub buffer_mode: crate::model::OutputBufferingMode,
}

/// PowerShell's client-side receive quotas: `MaximumReceivedDataSizePerCommand`
/// (all data received for one command) and `MaximumReceivedObjectSize` (one
/// reassembled PSRP object).
#[derive(Debug, Default)]
pub(super) struct ReceiveQuota {
    pub(super) per_command: HashMap<Uuid, u64>,
    /// Sizes of objects still being reassembled, by ObjectId.
    pub(super) objects: HashMap<u64, u64>,
}

impl ReceiveQuota {
    pub(super) fn check(
        &mut self,
        spec: &ConnectionSpec,
        command_id: Option<&str>,
        data: &[u8],
    ) -> Result<(), RemoteError> {
        let exceeded = |text: String| RemoteError::Transport(TransportError::Quota(text));
        if let (Some(max), Some(pid)) = (
            spec.maximum_received_data_size_per_command,
            command_id.and_then(|c| Uuid::parse_str(c).ok()),
        ) {
            let total = self.per_command.entry(pid).or_insert(0);
            *total = total.saturating_add(data.len() as u64);
            if *total > max {
                return Err(exceeded(format!(
                    "The total data received from the remote server exceeded the allowed maximum. The allowed maximum is {max}."
                )));
            }
        }
        if let Some(max) = spec.maximum_received_object_size {
            // Malformed fragments are the pool's to report.
            let Ok(fragments) = crate::protocol::psrp::fragment::Fragment::decode_all(data) else {
                return Ok(());
            };
            for f in fragments {
                let size = if f.start {
                    f.data.len() as u64
                } else {
                    self.objects
                        .get(&f.object_id)
                        .copied()
                        .unwrap_or(0)
                        .saturating_add(f.data.len() as u64)
                };
                if size > max {
                    self.objects.remove(&f.object_id);
                    return Err(exceeded(format!(
                        "The current deserialized object size of the data received from the remote server exceeded the allowed maximum object size. The current deserialized object size is {size}. The allowed maximum object size is {max}."
                    )));
                }
                if f.end {
                    self.objects.remove(&f.object_id);
                } else {
                    self.objects.insert(f.object_id, size);
                }
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("computer", &self.remote.name)
            .field("shell_id", &self.shell_id)
            .field("state", &self.pool.state())
            .finish()
    }
}

/// Events from one Receive, and whether the command is done.
#[derive(Debug, Default)]
pub struct Received {
    pub events: Vec<ClientEvent>,
    pub done: bool,
}

/// The compression a shell reports (`CompressionMode` of Create/Enumerate);
/// a shell that reports nothing, or a value we do not know, is taken as
/// uncompressed (what every WinRM before compression did).
pub fn shell_compression(info: &ShellInfo) -> CompressionMode {
    info.compression_mode
        .as_deref()
        .and_then(|m| CompressionMode::parse(m).ok())
        .unwrap_or_default()
}

/// The most bytes one received `rsp:Stream` element may expand to: the
/// `MaximumReceivedObjectSize` of the connection (a Receive never carries
/// more than one object's worth per element), at least 1 MiB.
pub(super) fn stream_limit(spec: &ConnectionSpec) -> usize {
    spec.maximum_received_object_size
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(crate::protocol::psrp::fragment::DEFAULT_MAX_OBJECT_SIZE)
        .max(1 << 20)
}

/// A session that did not open within the connection's OpenTimeout.
pub(super) fn open_timed_out(computer: &str, open: Duration) -> RemoteError {
    RemoteError::Refused(format!(
        "The session on {computer} did not open within the OpenTimeout of {} ms (New-PSSessionOption -OpenTimeout): the computer accepted the connection but did not answer in time.",
        open.as_millis()
    ))
}

impl Session {
    /// `New-PSSession`: creates a shell and opens its runspace pool. Baton's
    /// own shells are uncompressed; see [`Session::create_with_compression`].
    pub async fn create(
        remote: Arc<Remote>,
        name: Option<&str>,
        idle_timeout_ms: Option<u64>,
    ) -> Result<Session, RemoteError> {
        let mode = remote.spec.output_buffering_mode;
        Self::create_with(remote, name, idle_timeout_ms, mode).await
    }

    /// `New-PSSession` with the session option's OutputBufferingMode
    /// `buffer_mode` (None: the server's default).
    pub async fn create_with(
        remote: Arc<Remote>,
        name: Option<&str>,
        idle_timeout_ms: Option<u64>,
        buffer_mode: crate::model::OutputBufferingMode,
    ) -> Result<Session, RemoteError> {
        Self::create_full(
            remote,
            name,
            idle_timeout_ms,
            CompressionMode::NoCompression,
            buffer_mode,
        )
        .await
    }

    /// `New-PSSession` asking for `compression` at Create
    /// (`rsp:CompressionType xpress`, as Windows PowerShell does). The
    /// shell's mode is what the server then reports, or what we asked for
    /// when the CreateResponse carries no `rsp:Shell`.
    pub async fn create_with_compression(
        remote: Arc<Remote>,
        name: Option<&str>,
        idle_timeout_ms: Option<u64>,
        compression: CompressionMode,
    ) -> Result<Session, RemoteError> {
        let mode = remote.spec.output_buffering_mode;
        Self::create_full(remote, name, idle_timeout_ms, compression, mode).await
    }

    pub(super) async fn create_full(
        remote: Arc<Remote>,
        name: Option<&str>,
        idle_timeout_ms: Option<u64>,
        compression: CompressionMode,
        buffer_mode: crate::model::OutputBufferingMode,
    ) -> Result<Session, RemoteError> {
        let shell_id = Uuid::new_v4();
        let resource_uri = remote.spec.shell_uri();
        let mut pool = ClientPool::new(shell_id, remote.max_envelope_size())?;
        if let Some(limit) = remote.spec.maximum_received_object_size {
            pool.set_max_received_object_size(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        let creation = pool.creation_payload(&InitRunspacePool::default())?;
        let mut create = CreateShell::powershell(&resource_uri, &upper(shell_id), creation);
        create.name = name.map(str::to_owned);
        create.idle_timeout_ms = idle_timeout_ms.or(remote.spec.idle_timeout_ms);
        create.no_profile = remote.spec.no_machine_profile;
        create.compression_xpress = compression == CompressionMode::XpressCompression;
        create.buffer_mode = crate::worker::convert::wire_buffer_mode(buffer_mode);
        // OpenTimeout bounds the whole opening, as PowerShell's does: the
        // connection, TLS, authentication, the Create, and the pool opened.
        let open = Duration::from_millis(remote.spec.open_timeout_ms.max(1));
        let deadline = tokio::time::Instant::now() + open;
        let (built, body) =
            tokio::time::timeout_at(deadline, remote.call(&Request::Create(create), false))
                .await
                .map_err(|_| open_timed_out(&remote.name, open))??;
        let created = shell::parse_create_response(&built, &body)?;
        let info = created.shell.clone().unwrap_or_else(|| ShellInfo {
            shell_id: upper(shell_id),
            name: name.map(str::to_owned),
            resource_uri: Some(resource_uri.clone()),
            compression_mode: Some(compression.as_str().into()),
            ..ShellInfo::default()
        });
        let compression = info
            .compression_mode
            .as_deref()
            .and_then(|m| CompressionMode::parse(m).ok())
            .unwrap_or(compression);
        let mut session = Session {
            remote,
            shell_id,
            resource_uri,
            pool,
            info,
            disconnected_by_me: false,
            keepalive_lost: false,
            started: Default::default(),
            to_reconnect: Default::default(),
            compression,
            quota: ReceiveQuota::default(),
            buffer_mode,
        };
        let opened = tokio::time::timeout_at(deadline, session.wait_opened())
            .await
            .unwrap_or_else(|_| Err(open_timed_out(&session.remote.name, open)));
        if let Err(e) = opened {
            // The shell exists on the server though its pool never opened
            // here: delete it rather than leave it behind, attached to a
            // client that will never use it (within the CancelTimeout: a
            // server that stopped answering is not waited for again).
            let cancel = Duration::from_millis(session.remote.spec.cancel_timeout_ms.max(1_000));
            let _ = tokio::time::timeout(
                cancel,
                session
                    .remote
                    .delete(&session.resource_uri, session.shell_id),
            )
            .await;
            return Err(e);
        }
        session.adapt_to_server()?;
        Ok(session)
    }

    /// `Connect-PSSession` from a client that did not create or disconnect
    /// the session ([MS-PSRP] §3.1.4.10): Connect with connectXml.
    pub async fn connect(remote: Arc<Remote>, info: ShellInfo) -> Result<Session, RemoteError> {
        let shell_id = Uuid::parse_str(&info.shell_id).map_err(|_| {
            RemoteError::Refused(format!("the shell id {} is not a GUID", info.shell_id))
        })?;
        let resource_uri = info
            .resource_uri
            .clone()
            .unwrap_or_else(|| remote.spec.shell_uri());
        let mut pool = ClientPool::new(shell_id, remote.max_envelope_size())?;
        if let Some(limit) = remote.spec.maximum_received_object_size {
            pool.set_max_received_object_size(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        // Compression is a property of the shell (Connect carries no flag):
        // the mode Enumerate reported decides how its streams are read.
        let compression = shell_compression(&info);
        let remote_mode = remote.spec.output_buffering_mode;
        let payload = pool.connect_payload()?;
        let req = Request::ConnectShell {
            resource_uri: resource_uri.clone(),
            shell_id: upper(shell_id),
            connect_xml: payload,
            protocol_version: crate::protocol::psrp::messages::PROTOCOL_VERSION.into(),
        };
        // OpenTimeout bounds the connecting, as it does the creating.
        let open = Duration::from_millis(remote.spec.open_timeout_ms.max(1));
        let deadline = tokio::time::Instant::now() + open;
        let (built, body) = tokio::time::timeout_at(deadline, remote.call(&req, false))
            .await
            .map_err(|_| open_timed_out(&remote.name, open))??;
        let resp = shell::parse_connect_response(&built, &body)?;
        let xml = resp.connect_response_xml.ok_or_else(|| {
            RemoteError::Protocol(ProtocolError::Missing("connectResponseXml".into()))
        })?;
        pool.handle_connect_response(&xml)?;
        let mut session = Session {
            remote,
            shell_id,
            resource_uri,
            pool,
            info,
            disconnected_by_me: false,
            keepalive_lost: false,
            started: Default::default(),
            to_reconnect: Default::default(),
            compression,
            quota: ReceiveQuota::default(),
            buffer_mode: remote_mode,
        };
        // The pool is open once the connect response is read. What the
        // server pushes next on the pool's stream (APPLICATION_PRIVATE_DATA)
        // is read by the session's keep-alive Receive when it sits idle; a
        // Receive of its own here would cost a round trip before the
        // command's output, and the connection to a long poll.
        session.adapt_to_server()?;
        Ok(session)
    }

    pub(super) async fn wait_opened(&mut self) -> Result<(), RemoteError> {
        for _ in 0..30 {
            let r = self.receive(None).await?;
            for e in &r.events {
                if let ClientEvent::PoolState { state, error } = e {
                    match state {
                        RunspacePoolState::Opened => return Ok(()),
                        RunspacePoolState::Broken | RunspacePoolState::Closed => {
                            let why = error
                                .as_ref()
                                .and_then(|e| {
                                    crate::protocol::clixml::records::ErrorRecord::from_value(e)
                                        .ok()
                                })
                                .map_or_else(
                                    || "the remote runspace pool could not be opened".into(),
                                    |r| r.message,
                                );
                            return Err(RemoteError::Refused(why));
                        }
                        _ => {}
                    }
                }
            }
            if self.pool.state() == RunspacePoolState::Opened {
                return Ok(());
            }
        }
        Err(RemoteError::Refused(
            "the runspace pool did not open".into(),
        ))
    }

    /// One Receive on the pool (`None`) or a command, handled by the pool.
    pub async fn receive(&mut self, command_id: Option<Uuid>) -> Result<Received, RemoteError> {
        let result = self
            .remote
            .receive(&self.resource_uri, self.shell_id, command_id)
            .await?;
        self.handle(&result)
    }

    /// Handles a ReceiveResponse obtained elsewhere (a long poll run without
    /// holding this session).
    pub fn handle(&mut self, result: &ReceiveResult) -> Result<Received, RemoteError> {
        let mut out = Received {
            events: Vec::new(),
            done: result.is_done(),
        };
        let limit = stream_limit(&self.remote.spec);
        for s in &result.streams {
            // [MS-WSMV] §3.1.4.1.31.6: a compressed shell's ReceiveResponse
            // data is compressed, element by element.
            let data = self.compression.decode(&s.data, limit)?;
            self.quota
                .check(&self.remote.spec, s.command_id.as_deref(), &data)?;
            out.events.extend(self.pool.handle_stream(&data)?);
        }
        Ok(out)
    }

    /// `Invoke-Command -Session`: starts a pipeline running `script`.
    pub async fn start(&mut self, script: &str) -> Result<Uuid, RemoteError> {
        self.start_with(script, &[], None).await
    }

    /// Starts a pipeline running `script` with `arguments` as its positional
    /// arguments (`-ArgumentList`: `Args` of the script command, no names).
    /// With `input`, the pipeline is created with `NoInput` false and the
    /// objects follow on `stdin` as PIPELINE_INPUT messages, then
    /// END_OF_PIPELINE_INPUT ([MS-PSRP] §3.1.4.5), as Invoke-Command sends
    /// its `-InputObject`.
    pub async fn start_with(
        &mut self,
        script: &str,
        arguments: &[crate::protocol::clixml::PsValue],
        input: Option<&[crate::protocol::clixml::PsValue]>,
    ) -> Result<Uuid, RemoteError> {
        let pid = Uuid::new_v4();
        let mut pipeline = CreatePipeline::script(script);
        pipeline.no_input = input.is_none();
        if let Some(cmd) = pipeline.commands.first_mut() {
            cmd.args = arguments.iter().map(|a| (None, a.clone())).collect();
        }
        let display: String = script.trim().chars().take(255).collect();
        let rest = loop {
            let size = self.remote.max_envelope_size();
            self.pool.set_max_envelope_size(size)?;
            let payloads = self.pool.create_pipeline(pid, &pipeline)?;
            let mut iter = payloads.into_iter();
            let first = iter.next().ok_or_else(|| {
                RemoteError::Protocol(ProtocolError::Psrp("empty CREATE_PIPELINE".into()))
            })?;
            let cmd = CommandLine::psrp(
                &self.resource_uri,
                &upper(self.shell_id),
                &upper(pid),
                &display,
                &first,
            );
            match self.remote.call(&Request::Command(cmd), false).await {
                Ok((built, body)) => {
                    shell::parse_command_response(&built, &body)?;
                    break iter;
                }
                // Refused before anything was created: smaller fragments.
                Err(e) if e.is_envelope_too_large() && self.remote.shrink_envelope(size as u32) => {
                }
                Err(e) => return Err(e),
            }
        };
        self.started.insert(pid);
        for rest in rest {
            self.send(Some(pid), "stdin", rest).await?;
        }
        if let Some(values) = input {
            self.send_messages(Some(pid), "stdin", |pool| {
                pool.pipeline_input(pid, values, true)
            })
            .await?;
        }
        Ok(pid)
    }

    /// Builds messages with `build` for the envelope size as it stands and
    /// sends them on `stream`. When the server refuses the first Send as too
    /// large (nothing of them was taken), builds them again for the next
    /// smaller size and starts over.
    pub(super) async fn send_messages(
        &mut self,
        command_id: Option<Uuid>,
        stream: &str,
        mut build: impl FnMut(&mut ClientPool) -> Result<Vec<Vec<u8>>, ProtocolError>,
    ) -> Result<(), RemoteError> {
        'sizes: loop {
            let size = self.remote.max_envelope_size();
            self.pool.set_max_envelope_size(size)?;
            for (i, p) in build(&mut self.pool)?.into_iter().enumerate() {
                match self.send(command_id, stream, p).await {
                    Ok(()) => {}
                    Err(e)
                        if i == 0
                            && e.is_envelope_too_large()
                            && self.remote.shrink_envelope(size as u32) =>
                    {
                        continue 'sizes;
                    }
                    Err(e) => return Err(e),
                }
            }
            return Ok(());
        }
    }

    /// Protocol 2.1 servers (Windows Server 2008 R2) take envelopes of
    /// 150 KiB at most: PowerShell lowers its size for them, and so does
    /// Baton, once the server's SESSION_CAPABILITY is known.
    pub(super) fn adapt_to_server(&mut self) -> Result<(), RemoteError> {
        if !self.pool.supports_disconnect() {
            self.remote.limit_envelope(V21_ENVELOPE_SIZE);
        }
        Ok(self
            .pool
            .set_max_envelope_size(self.remote.max_envelope_size())?)
    }

    pub(super) async fn send(
        &mut self,
        command_id: Option<Uuid>,
        stream: &str,
        data: Vec<u8>,
    ) -> Result<(), RemoteError> {
        let req = Request::Send {
            resource_uri: self.resource_uri.clone(),
            shell_id: upper(self.shell_id),
            stream: StreamData {
                name: stream.into(),
                command_id: command_id.map(upper),
                // [MS-WSMV] §3.2.4.1.19: Send data of a compressed shell
                // MUST be compressed.
                data: self.compression.encode(&data),
                end: false,
            },
        };
        let (built, body) = self.remote.call(&req, false).await?;
        Ok(shell::parse_empty_response(&built, &body)?)
    }

    /// Starts the session key exchange ([MS-PSRP] §3.1.4.4) unless a key is
    /// known or an exchange is under way: a new 2048-bit exchange key goes
    /// out in PUBLIC_KEY on the pool's `stdin`. The answer,
    /// ENCRYPTED_SESSION_KEY, arrives on the pool's stream, whoever reads it
    /// (the keep-alive Receive of a held session, or
    /// [`Session::ensure_session_key`]).
    pub async fn start_key_exchange(&mut self) -> Result<(), RemoteError> {
        if self.pool.has_session_key() || self.pool.key_exchange_pending() {
            return Ok(());
        }
        // RSA key generation is CPU work: off the I/O threads.
        let key = tokio::task::spawn_blocking(|| {
            ExchangeKey::generate(&mut rsa::rand_core::UnwrapErr(getrandom::SysRng))
        })
        .await
        .map_err(|e| RemoteError::Refused(format!("the exchange key was not made: {e}")))??;
        for p in self.pool.start_key_exchange(key)? {
            self.send(None, "stdin", p).await?;
        }
        Ok(())
    }

    /// Makes sure the session key is known, reading the pool's stream itself
    /// until ENCRYPTED_SESSION_KEY, within [`KEY_EXCHANGE_TIMEOUT`]: for a
    /// session with no keep-alive Receive running.
    async fn ensure_session_key(&mut self) -> Result<(), RemoteError> {
        self.start_key_exchange().await?;
        let deadline = tokio::time::Instant::now() + KEY_EXCHANGE_TIMEOUT;
        while !self.pool.has_session_key() {
            if tokio::time::Instant::now() >= deadline {
                return Err(key_exchange_timed_out());
            }
            self.receive(None).await?;
        }
        Ok(())
    }

    /// `text` as a SecureString for the server, exchanging the session key
    /// first if need be (reading the pool's stream itself).
    pub async fn secure_string(
        &mut self,
        text: &str,
    ) -> Result<crate::protocol::clixml::PsValue, RemoteError> {
        self.ensure_session_key().await?;
        Ok(self.pool.secure_string(text)?)
    }

    /// Answers a host call (Read-Host) on stream `pr`.
    pub async fn answer(&mut self, pid: Uuid, response: &HostResponse) -> Result<(), RemoteError> {
        self.send_messages(Some(pid), "pr", |pool| pool.host_response(pid, response))
            .await
    }

    /// Stops a running pipeline (`powershell/signal/crtl_c`, the protocol's spelling).
    pub async fn stop(&mut self, pid: Uuid) -> Result<(), RemoteError> {
        self.signal(pid, shell::SIGNAL_PS_CRTL_C).await
    }

    /// Releases a finished pipeline on the server.
    pub async fn terminate(&mut self, pid: Uuid) -> Result<(), RemoteError> {
        self.started.remove(&pid);
        self.to_reconnect.remove(&pid);
        self.signal(pid, shell::SIGNAL_TERMINATE).await
    }

    pub(super) async fn signal(&mut self, pid: Uuid, code: &str) -> Result<(), RemoteError> {
        let req = Request::Signal {
            resource_uri: self.resource_uri.clone(),
            shell_id: upper(self.shell_id),
            command_id: upper(pid),
            code: code.into(),
        };
        let ctx = self.remote.cancel_context();
        let (built, body) = self.remote.call_with(&ctx, &req, false).await?;
        Ok(shell::parse_empty_response(&built, &body)?)
    }

    /// `Disconnect-PSSession` ([MS-WSMV] §3.1.4.15).
    pub async fn disconnect(
        &mut self,
        idle_timeout_ms: Option<u64>,
        buffer_mode: Option<BufferMode>,
    ) -> Result<(), RemoteError> {
        if !self.pool.supports_disconnect() {
            return Err(RemoteError::Refused(
                "The disconnection operation is not supported on the remote computer. To support disconnecting, the remote computer must be running Windows PowerShell 3.0 or a later version of Windows PowerShell.".into(),
            ));
        }
        let req = Request::Disconnect {
            resource_uri: self.resource_uri.clone(),
            shell_id: upper(self.shell_id),
            idle_timeout_ms,
            buffer_mode,
        };
        let (built, body) = self.remote.call(&req, false).await?;
        shell::parse_empty_response(&built, &body)?;
        self.pool.set_state(RunspacePoolState::Disconnected);
        self.disconnected_by_me = true;
        self.to_reconnect = self.started.clone();
        if let Some(ms) = idle_timeout_ms {
            self.info.idle_timeout_ms = Some(ms);
        }
        if let Some(b) = buffer_mode {
            self.info.buffer_mode = Some(b);
        }
        Ok(())
    }

    /// `Connect-PSSession` on a session this client disconnected ([MS-WSMV] §3.1.4.16).
    pub async fn reconnect(&mut self) -> Result<(), RemoteError> {
        // The session option's mode rides along, as [MS-PSRP] §3.1.5.3.18
        // allows. A Connect from a new client carries none: its body
        // ([MS-WSMV] §2.2.4.12 ConnectType) takes only elements of other
        // namespaces (connectXml), and the next Disconnect names the mode.
        let req = Request::Reconnect {
            resource_uri: self.resource_uri.clone(),
            shell_id: upper(self.shell_id),
            command_id: None,
            buffer_mode: crate::worker::convert::wire_buffer_mode(self.buffer_mode),
        };
        let (built, body) = self.remote.call(&req, false).await?;
        shell::parse_empty_response(&built, &body)?;
        self.pool.set_state(RunspacePoolState::Opened);
        self.disconnected_by_me = false;
        self.keepalive_lost = false;
        Ok(())
    }

    /// Attaches to a command that ran while disconnected, so its output can
    /// be received: a command-level Reconnect for one this client started
    /// before it disconnected (after the shell's own Reconnect, [MS-PSRP]
    /// §3.1.5.3.18), Connect(CommandId) for any other. Returns the action sent.
    pub async fn attach_command(&mut self, pid: Uuid) -> Result<&'static str, RemoteError> {
        if self.to_reconnect.contains(&pid) && !self.disconnected_by_me {
            let req = Request::Reconnect {
                resource_uri: self.resource_uri.clone(),
                shell_id: upper(self.shell_id),
                command_id: Some(upper(pid)),
                buffer_mode: None,
            };
            // No recorded Windows exchange shows a command-level Reconnect;
            // a server that faults on it gets the Connect(CommandId) that
            // pypsrp's recordings show Windows answering.
            let reconnected = match self.remote.call(&req, false).await {
                Ok((built, body)) => {
                    shell::parse_empty_response(&built, &body).map_err(RemoteError::from)
                }
                Err(e) => Err(e),
            };
            self.to_reconnect.remove(&pid);
            return match reconnected {
                Ok(()) => Ok("Reconnect"),
                Err(RemoteError::Fault(_)) => {
                    self.connect_command(pid).await?;
                    Ok("Connect")
                }
                Err(e) => Err(e),
            };
        }
        self.connect_command(pid).await?;
        Ok("Connect")
    }

    /// Attaches to a command that ran while disconnected, so its output can be received.
    pub async fn connect_command(&mut self, pid: Uuid) -> Result<(), RemoteError> {
        let req = Request::ConnectCommand {
            resource_uri: self.resource_uri.clone(),
            shell_id: upper(self.shell_id),
            command_id: upper(pid),
        };
        let (built, body) = self.remote.call(&req, false).await?;
        shell::parse_connect_response(&built, &body)?;
        Ok(())
    }

    /// `Remove-PSSession`: deletes the shell.
    pub async fn delete(&mut self) -> Result<(), RemoteError> {
        self.remote
            .delete(&self.resource_uri, self.shell_id)
            .await?;
        self.pool.set_state(RunspacePoolState::Closed);
        Ok(())
    }
}
