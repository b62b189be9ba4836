//! The other actions: listing, receiving, running commands and answering
//! their prompts, Test-WSMan, Connect-/Disconnect-WSMan, the quotas.

use super::*;

/// The most computers a listing keeps its authenticated connections to.
const KEEP_CONNECTIONS_UP_TO: usize = 64;

impl Worker {
    pub(super) async fn list_sessions(
        self: &Arc<Self>,
        op: OpId,
        computers: Vec<ComputerRef>,
        names: Vec<String>,
        limit: u32,
    ) {
        let total = computers.len();
        self.send(Event::OpStarted {
            op,
            what: format!("Listing sessions on {total} computer(s)"),
        });
        let names = Arc::new(names);
        // A sweep of many computers closes each one's connection once it is
        // listed, as PowerShell's Get-PSSession -ComputerName does: a
        // thousand idle connections would hold a thousand buffers and
        // security contexts. A few computers keep theirs for the Connect or
        // Receive that follows.
        let release = total > KEEP_CONNECTIONS_UP_TO;
        let tasks = self.parts(
            computers,
            limit,
            |c| c.name.clone(),
            move |w, c| {
                let names = names.clone();
                async move {
                    let listed = w.list_one(op, &c, &names, !release).await;
                    if release {
                        w.release_idle(&c);
                    }
                    listed
                }
            },
        );
        self.settle(op, tasks, "Listed sessions on", "computer(s)")
            .await;
    }

    pub(super) async fn list_one(
        &self,
        op: OpId,
        c: &ComputerRef,
        names: &[String],
        keep_listing: bool,
    ) -> Result<(), UserError> {
        let remote = self.remote(c)?;
        let shells = remote
            .enumerate_shells()
            .await
            .map_err(|e| user_error(format!("Cannot list the sessions of {}", c.name), &e))?;
        // A session kept for Reconnect… that its server no longer has
        // (expired, removed) is forgotten, or it would come back at every start.
        let present: HashSet<Uuid> = shells
            .iter()
            .filter_map(|s| Uuid::parse_str(&s.shell_id).ok())
            .collect();
        self.prune_held(&c.name, &remote.user, &present);
        let mut sessions = Vec::new();
        let mut listed_commands = HashMap::new();
        for shell in shells.iter().cloned() {
            let name = shell.name.clone().unwrap_or_default();
            if !shell.unread.is_empty() {
                tracing::warn!(
                    computer = %c.name,
                    session = %name,
                    "fields not understood, shown as they came: {:?}",
                    shell.unread
                );
            }
            if !names.is_empty()
                && !names
                    .iter()
                    .any(|p| crate::pslang::wildcard_match_ci(p, &name))
            {
                continue;
            }
            let id = Uuid::parse_str(&shell.shell_id).unwrap_or_default();
            let commands = match remote.enumerate_commands(&shell.shell_id).await {
                Ok(commands) => {
                    listed_commands.insert(id, commands.clone());
                    commands
                }
                Err(_) => Vec::new(),
            };
            let held = self.held(&c.name, id);
            let mut info = match &held {
                Some(h) => {
                    let mut info = self.info_of(h).await;
                    // The server's fresh view of the shell, our view of the state.
                    let fresh = convert::session_info(
                        h.local_id,
                        &c.name,
                        &shell,
                        &commands,
                        None,
                        None,
                        Utc::now(),
                    );
                    info.details = fresh.details;
                    info.commands = fresh.commands;
                    info.idle_timeout_ms = fresh.idle_timeout_ms;
                    info.max_idle_timeout_ms = fresh.max_idle_timeout_ms;
                    info.output_buffering_mode = fresh.output_buffering_mode;
                    if info.state != SessionState::Opened {
                        info.availability = fresh.availability;
                        info.disconnected_on = fresh.disconnected_on;
                        info.expires_on = fresh.expires_on;
                    }
                    info
                }
                None => convert::session_info(
                    self.local_id(&c.name, id),
                    &c.name,
                    &shell,
                    &commands,
                    None,
                    None,
                    Utc::now(),
                ),
            };
            if info.name.is_empty() {
                info.name = format!("Session{}", info.id);
            }
            sessions.push(info);
        }
        // Connect and Receive that follow go by this listing; a sweep of
        // many computers is a survey, and keeps none.
        if keep_listing {
            self.keep_listing(&c.name, &remote.user, shells, listed_commands);
        }
        sessions.sort_by_key(|s| s.id);
        self.send(Event::SessionsListed {
            op,
            computer: c.name.clone(),
            sessions,
        });
        Ok(())
    }

    /// Receive-PSSession: connect if needed, attach to every command still on
    /// the server and stream what it produced. A command that cannot be
    /// attached or read is a failed part; the action goes on with the others.
    pub(super) async fn receive(self: &Arc<Self>, op: OpId, s: SessionRef) {
        let h = match self.connect(op, &s).await {
            Ok(h) => h,
            Err(e) => return self.fail(op, e),
        };
        self.send(Event::OpStarted {
            op,
            what: format!("Receiving the output of {} on {}", s.name, s.computer.name),
        });
        let (remote, id) = {
            let session = h.session.lock().await;
            (session.remote.clone(), session.shell_id)
        };
        // The session is used now: its keep-alive waits until it is idle
        // again, so the Receives below have the connection to themselves.
        Self::pause_keepalive(&h);
        let (count, failed) = match self.receive_commands(op, &h, &s, &remote, id).await {
            Ok(counts) => counts,
            Err(e) => {
                self.start_keepalive(&h);
                return self.fail(op, e);
            }
        };
        self.start_keepalive(&h);
        self.activity(
            &remote.user,
            &s.computer.name,
            Some(&s.name),
            "Receive-PSSession",
            String::new(),
            if failed == 0 { "ok" } else { "partly failed" },
        );
        if failed > 0 && count == 0 {
            return self.fail(
                op,
                plain_error(
                    format!("Cannot receive from {}", s.name),
                    "no command's output could be read (each reason is above)",
                    None,
                ),
            );
        }
        self.send(Event::OpFinished {
            op,
            message: format!("Received the output of {count} command(s) of {}", s.name),
        });
    }

    /// Attaches to each command of `h`'s shell and streams its output: the
    /// commands the listing showed when fresh (asked again once if one of
    /// them has gone since), else an Enumerate's. Returns how many were
    /// received and how many failed.
    async fn receive_commands(
        self: &Arc<Self>,
        op: OpId,
        h: &Arc<Held>,
        s: &SessionRef,
        remote: &Remote,
        id: Uuid,
    ) -> Result<(u32, u32), UserError> {
        let enumerate = || async {
            remote
                .enumerate_commands(&id.to_string().to_uppercase())
                .await
                .map_err(|e| user_error(format!("Cannot receive from {}", s.name), &e))
        };
        let listed = self.take_listed_commands(&s.computer.name, &remote.user, id);
        let mut from_listing = listed.is_some();
        let mut commands = match listed {
            Some(c) => c,
            None => enumerate().await?,
        };
        let (mut count, mut failed) = (0, 0);
        let mut done = HashSet::new();
        let mut i = 0;
        while i < commands.len() {
            let Ok(pid) = Uuid::parse_str(&commands[i].command_id) else {
                i += 1;
                continue;
            };
            i += 1;
            if !done.insert(pid) {
                continue;
            }
            let attached = h.session.lock().await.attach_command(pid).await;
            if let Err(e) = attached {
                if from_listing && matches!(e, RemoteError::Fault(_)) {
                    // Listed before it was released: ask which commands are
                    // there now, and go on with those not yet received.
                    from_listing = false;
                    done.remove(&pid);
                    commands = enumerate().await?;
                    i = 0;
                    continue;
                }
                failed += 1;
                self.send(Event::PartFailed {
                    op,
                    computer: s.computer.name.clone(),
                    error: user_error(format!("Cannot receive from {}", s.name), &e),
                });
                continue;
            }
            count += 1;
            if let Err(error) = self.pump(h, s, pid).await {
                failed += 1;
                self.send(Event::PartFailed {
                    op,
                    computer: s.computer.name.clone(),
                    error,
                });
            }
        }
        Ok((count, failed))
    }

    /// Streams a command's output until it is done. While it streams, the
    /// command counts as running in the session (a session handed back with
    /// a running command is disconnected, never closed).
    pub(super) async fn pump(
        self: &Arc<Self>,
        h: &Arc<Held>,
        s: &SessionRef,
        pid: Uuid,
    ) -> Result<Option<PipelineState>, UserError> {
        lock(&h.running).insert(pid);
        let (remote, uri, id) = {
            let session = h.session.lock().await;
            (
                session.remote.clone(),
                session.resource_uri.clone(),
                session.shell_id,
            )
        };
        let mut last = None;
        loop {
            let r = remote.receive(&uri, id, Some(pid)).await.map_err(|e| {
                user_error(format!("Receiving the output of {} stopped", s.name), &e)
            })?;
            let rec = {
                let mut session = h.session.lock().await;
                session.handle(&r).map_err(|e| {
                    user_error(format!("The output of {} could not be read", s.name), &e)
                })?
            };
            if rec.events.is_empty() && !rec.done {
                // The command waits or runs on quietly: the pool's stream
                // may have something for it (a key to exchange), so the
                // session's own Receive goes out again.
                self.start_keepalive(h);
            }
            let mut items = Vec::new();
            for e in &rec.events {
                if let Some(item) = convert::output_item(e) {
                    items.push(item);
                }
                match e {
                    ClientEvent::PipelineState { state, .. } => last = Some(*state),
                    ClientEvent::HostCall { call, .. } if call.expects_answer() => {
                        // Register the call before anyone can answer it.
                        lock(&self.pending_calls).insert(pid, call.clone());
                        self.send(Event::PromptRequested {
                            computer: s.computer.name.clone(),
                            instance_id: s.instance_id,
                            command_id: pid,
                            prompt: call.prompt_text(),
                            secure: call.method_id == HostCall::READ_LINE_AS_SECURE_STRING,
                        });
                    }
                    ClientEvent::HostCall { call, .. } => {
                        let text = call.prompt_text();
                        if !text.is_empty() {
                            items.push(crate::model::OutputItem::HostPrompt(text));
                        }
                    }
                    _ => {}
                }
            }
            if !items.is_empty() {
                // The next Receive waits until the console or the terminal
                // has taken most of what was sent: a fast writer is held at
                // the server, not in memory here.
                while !self.events.has_output_room() {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
                self.send(Event::Output {
                    computer: s.computer.name.clone(),
                    instance_id: s.instance_id,
                    command_id: pid,
                    items,
                });
            }
            if rec.done || last.is_some_and(PipelineState::is_terminal) {
                break;
            }
        }
        lock(&h.running).remove(&pid);
        self.send(Event::CommandFinished {
            computer: s.computer.name.clone(),
            instance_id: s.instance_id,
            command_id: pid,
            state: last.map_or("Completed", PipelineState::as_str).to_owned(),
        });
        let mut session = h.session.lock().await;
        let _ = session.terminate(pid).await;
        Ok(last)
    }

    pub(super) async fn invoke(
        self: &Arc<Self>,
        op: OpId,
        s: SessionRef,
        script: String,
        in_disconnected: bool,
        data: ScriptData,
    ) {
        self.send(Event::OpStarted {
            op,
            what: format!("Running a command in {} on {}", s.name, s.computer.name),
        });
        let Some(h) = self.held(&s.computer.name, s.instance_id) else {
            return self.fail(
                op,
                plain_error(
                    format!("Cannot run a command in {}", s.name),
                    format!("The session {} is not open in this console.", s.name),
                    Some("Connect to it first (Connect-PSSession)."),
                ),
            );
        };
        let started = {
            let mut session = h.session.lock().await;
            self.forget_listed_commands(&s.computer.name, &session.remote.user, s.instance_id);
            if session.pool.state() == crate::protocol::psrp::messages::RunspacePoolState::Opened {
                session
                    .start_with(&script, &data.arguments, data.input.as_deref())
                    .await
            } else {
                Err(RemoteError::Refused(format!(
                    "The session {} is in the Disconnected state; connect to it first.",
                    s.name
                )))
            }
        };
        let user = h.session.lock().await.remote.user.clone();
        let pid = match started {
            Ok(pid) => pid,
            Err(e) => {
                self.activity(
                    &user,
                    &s.computer.name,
                    Some(&s.name),
                    "Invoke-Command",
                    String::new(),
                    &e.to_string(),
                );
                return self.fail(
                    op,
                    user_error(format!("Cannot run a command in {}", s.name), &e),
                );
            }
        };
        self.activity(
            &user,
            &s.computer.name,
            Some(&s.name),
            "Invoke-Command",
            if in_disconnected {
                "-InDisconnectedSession".into()
            } else {
                String::new()
            },
            "started",
        );
        if in_disconnected {
            return match self
                .disconnect_one(&s, None, OutputBufferingMode::None)
                .await
            {
                Ok(()) => self.send(Event::OpFinished {
                    op,
                    message: format!("Started the command in {} and disconnected", s.name),
                }),
                Err(e) => self.fail(op, e),
            };
        }
        match self.pump(&h, &s, pid).await {
            Ok(state) => self.send(Event::OpFinished {
                op,
                message: format!(
                    "The command in {} ended: {}",
                    s.name,
                    state.map_or("Completed", PipelineState::as_str)
                ),
            }),
            Err(e) => self.fail(op, e),
        }
    }

    pub(super) async fn stop(self: &Arc<Self>, op: OpId, s: SessionRef, pid: Uuid) {
        let Some(h) = self.held(&s.computer.name, s.instance_id) else {
            return self.fail(
                op,
                plain_error(
                    format!("Cannot stop the command in {}", s.name),
                    "the session is not open here",
                    None,
                ),
            );
        };
        let r = h.session.lock().await.stop(pid).await;
        match r {
            Ok(()) => self.send(Event::OpFinished {
                op,
                message: format!("Stopping the command in {}", s.name),
            }),
            Err(e) => self.fail(
                op,
                user_error(format!("Cannot stop the command in {}", s.name), &e),
            ),
        }
    }

    pub(super) async fn answer(
        self: &Arc<Self>,
        op: OpId,
        s: SessionRef,
        pid: Uuid,
        answer: String,
    ) {
        let call = lock(&self.pending_calls).remove(&pid);
        let (Some(h), Some(call)) = (self.held(&s.computer.name, s.instance_id), call) else {
            return self.fail(
                op,
                plain_error(
                    "Nothing to answer",
                    "the command is not waiting for input",
                    None,
                ),
            );
        };
        // Read-Host -AsSecureString: the answer goes as a SecureString,
        // encrypted with the session key, never as text.
        let result = if call.method_id == HostCall::READ_LINE_AS_SECURE_STRING {
            self.secure_string(&h, &answer).await
        } else {
            Ok(crate::protocol::clixml::PsValue::str(answer))
        };
        let mut session = h.session.lock().await;
        let r = match result {
            Ok(result) => {
                let response = HostResponse {
                    call_id: call.call_id,
                    method_id: call.method_id,
                    method_name: call.method_name.clone(),
                    result: Some(result),
                    error: None,
                };
                session.answer(pid, &response).await
            }
            Err(e) => Err(e),
        };
        drop(session);
        match r {
            Ok(()) => self.send(Event::OpFinished {
                op,
                message: "Answer sent".into(),
            }),
            Err(e) => self.fail(op, user_error("The answer could not be sent".into(), &e)),
        }
    }

    /// Keeps a password in the credential store (the OS keyring), off the
    /// I/O threads: the store may block on D-Bus or the system keychain.
    pub(super) async fn save_credential(
        self: &Arc<Self>,
        op: OpId,
        entry: Option<String>,
        credential: crate::model::Credential,
    ) {
        let Some(store) = self.config.credentials.clone() else {
            return self.fail(
                op,
                plain_error(
                    format!("The password of {} was not saved", credential.user),
                    "No keyring is available to this console.",
                    Some("Choose to be asked for the password when connecting."),
                ),
            );
        };
        let entry = entry.unwrap_or_else(crate::store::credentials::new_entry_id);
        let user = credential.user.clone();
        let id = entry.clone();
        let saved = tokio::task::spawn_blocking(move || {
            let secret = crate::store::credentials::Secret::new(credential.password.expose());
            store.set(&id, &credential.user, &secret)
        })
        .await;
        match saved {
            Ok(Ok(())) => {
                self.send(Event::CredentialSaved {
                    op,
                    entry,
                    user: user.clone(),
                });
                self.send(Event::OpFinished {
                    op,
                    message: format!("The password of {user} is in the keyring"),
                });
            }
            Ok(Err(e)) => self.fail(
                op,
                plain_error(
                    format!("The password of {user} was not saved"),
                    e.to_string(),
                    None,
                ),
            ),
            Err(e) => self.fail(
                op,
                plain_error(
                    format!("The password of {user} was not saved"),
                    format!("the keyring task stopped: {e}"),
                    None,
                ),
            ),
        }
    }

    /// Runs a change of the profile file, off the I/O threads (it reads,
    /// locks and writes the file).
    pub(super) async fn edit_profiles(
        self: &Arc<Self>,
        op: OpId,
        job: crate::model::profile_edit::ProfileJob,
    ) {
        let Some(store) = self.config.profiles.clone() else {
            return self.fail(
                op,
                plain_error(
                    "The profile file was not changed",
                    "This console has no profile file.",
                    Some("Start Baton without --demo to edit the profiles."),
                ),
            );
        };
        let path = store.path().display().to_string();
        let done =
            tokio::task::spawn_blocking(move || crate::store::profile_jobs::run(&store, &job))
                .await
                .unwrap_or_else(|e| Err(format!("the profile task stopped: {e}")));
        match done {
            Ok((tree, lines)) => {
                tracing::info!(path = %path, "profile saved");
                self.send(Event::ProfilesChanged {
                    op,
                    tree: Box::new(tree),
                    lines,
                });
                self.send(Event::OpFinished {
                    op,
                    message: format!("Saved to {path}"),
                });
            }
            Err(e) => {
                tracing::warn!(path = %path, "profile not saved: {e}");
                self.fail(op, plain_error("The profile file was not changed", e, None));
            }
        }
    }

    pub(super) async fn test(self: &Arc<Self>, op: OpId, computer: ComputerRef, anonymous: bool) {
        self.send(Event::OpStarted {
            op,
            what: format!("Testing {}", computer.name),
        });
        let identified = if anonymous {
            let service = self
                .config
                .in_process
                .get(&key(&computer.name))
                .map(|c| c.service.clone());
            super::remote::identify_anonymous(
                &computer.spec,
                service,
                &super::remote::HttpExtras::from_env(),
            )
            .await
        } else {
            match self.remote(&computer) {
                Ok(r) => r.identify().await,
                Err(e) => return self.fail(op, e),
            }
        };
        match identified {
            Ok(info) => {
                self.send(Event::ComputerIdentified {
                    op,
                    computer: computer.name.clone(),
                    product_vendor: info.product_vendor.clone(),
                    product_version: info.product_version.clone(),
                    protocol_version: info.protocol_version.clone(),
                });
                self.send(Event::OpFinished {
                    op,
                    message: format!("{} answers: {}", computer.name, info.product_version),
                });
            }
            Err(e) => self.fail(
                op,
                user_error(
                    format!("{} does not answer WS-Management", computer.name),
                    &e,
                ),
            ),
        }
    }

    /// Connect-WSMan: an Identify over an authenticated connection of this
    /// computer's client session, which keeps the connection for later requests.
    pub(super) async fn connect_wsman(self: &Arc<Self>, op: OpId, computer: ComputerRef) {
        self.send(Event::OpStarted {
            op,
            what: format!("Connecting to the WinRM service of {}", computer.name),
        });
        let remote = match self.remote(&computer) {
            Ok(r) => r,
            Err(e) => return self.fail(op, e),
        };
        match remote.identify().await {
            Ok(info) => {
                self.activity(
                    &remote.user,
                    &computer.name,
                    None,
                    "Connect-WSMan",
                    String::new(),
                    "ok",
                );
                self.send(Event::OpFinished {
                    op,
                    message: format!(
                        "Connected to the WinRM service of {} ({})",
                        computer.name, info.product_version
                    ),
                });
            }
            Err(e) => {
                // A client session that never worked is not kept.
                lock(&self.remotes).retain(|_, r| !Arc::ptr_eq(r, &remote));
                self.fail(
                    op,
                    user_error(
                        format!("Cannot connect to the WinRM service of {}", computer.name),
                        &e,
                    ),
                );
            }
        }
    }

    /// Disconnect-WSMan: forgets the computer's client sessions and closes
    /// their idle connections. Nothing is sent: the server keeps its shells.
    pub(super) fn disconnect_wsman(self: &Arc<Self>, op: OpId, computer: &str) {
        let k = key(computer);
        let dropped: Vec<Arc<Remote>> = {
            let mut remotes = lock(&self.remotes);
            let keys: Vec<(String, String)> =
                remotes.keys().filter(|(c, _)| *c == k).cloned().collect();
            keys.iter().filter_map(|kk| remotes.remove(kk)).collect()
        };
        let mut closed = 0;
        for r in &dropped {
            closed += r.close_connections();
            self.activity(
                &r.user,
                &r.name,
                None,
                "Disconnect-WSMan",
                String::new(),
                "ok",
            );
        }
        self.send(Event::OpFinished {
            op,
            message: format!(
                "Disconnected from the WinRM service of {computer} ({closed} connection(s) closed)"
            ),
        });
    }

    /// Get-PSSessionConfiguration, run in a short-lived session.
    pub(super) async fn configuration(
        self: &Arc<Self>,
        op: OpId,
        computer: ComputerRef,
        name: String,
    ) {
        self.send(Event::OpStarted {
            op,
            what: format!(
                "Reading the session configuration {name} of {}",
                computer.name
            ),
        });
        let remote = match self.remote(&computer) {
            Ok(r) => r,
            Err(e) => return self.fail(op, e),
        };
        let summary = format!("Cannot read the session configuration of {}", computer.name);
        let mut session = match Session::create(remote, None, None).await {
            Ok(s) => s,
            Err(e) => return self.fail(op, user_error(summary, &e)),
        };
        let script = format!(
            "Get-PSSessionConfiguration -Name '{}'",
            name.replace('\'', "''")
        );
        let result = async {
            let pid = session.start(&script).await?;
            let mut props = Vec::new();
            let mut error = None;
            for _ in 0..100 {
                let r = session.receive(Some(pid)).await?;
                for e in &r.events {
                    match e {
                        ClientEvent::Output { value, .. } => {
                            if let Some(o) = value.as_object() {
                                props = o
                                    .properties()
                                    .map(|(k, v)| {
                                        (k.to_owned(), crate::protocol::clixml::records::display(v))
                                    })
                                    .collect();
                            }
                        }
                        ClientEvent::Record { value, .. }
                        | ClientEvent::PipelineState {
                            error: Some(value), ..
                        } => {
                            error.get_or_insert_with(|| convert::error_view(value).message);
                        }
                        _ => {}
                    }
                }
                if r.done {
                    break;
                }
            }
            Ok::<_, RemoteError>((props, error))
        }
        .await;
        let _ = session.delete().await;
        match result {
            Ok((props, _)) if !props.is_empty() => {
                self.send(Event::Configuration {
                    op,
                    computer: computer.name.clone(),
                    quotas: ConfigurationQuotas {
                        name,
                        properties: props,
                    },
                });
                self.send(Event::OpFinished {
                    op,
                    message: format!("Read the session configuration of {}", computer.name),
                });
            }
            Ok((_, error)) => self.fail(
                op,
                plain_error(
                    summary,
                    error.unwrap_or_else(|| "the configuration was not found".into()),
                    Some("Reading session configurations needs an administrator of that computer."),
                ),
            ),
            Err(e) => self.fail(op, user_error(summary, &e)),
        }
    }
}
