//! Each held session's lifecycle, owned here: created or connected (to
//! its end even when the action is cancelled), kept connected, disconnected,
//! removed, and handed back when the worker stops.

use super::*;

impl Worker {
    /// Starts `h`'s keep-alive unless it runs already: once the session has
    /// sat idle for [`keepalive_grace`], a pool Receive is kept outstanding.
    /// Until then no request is sent, so an action that follows at once
    /// (Receive after Connect) has the connection to itself.
    pub(super) fn start_keepalive(self: &Arc<Self>, h: &Arc<Held>) {
        let mut slot = lock(&h.keepalive);
        if slot.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        let generation = slot.generation;
        let w = self.clone();
        let held = h.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep(keepalive_grace()).await;
            {
                let mut slot = lock(&held.keepalive);
                if slot.generation != generation {
                    return;
                }
                slot.polling = true;
            }
            loop {
                let (remote, uri, id) = {
                    let s = held.session.lock().await;
                    (s.remote.clone(), s.resource_uri.clone(), s.shell_id)
                };
                match remote.receive(&uri, id, None).await {
                    Ok(r) => {
                        let mut s = held.session.lock().await;
                        if let Ok(rec) = s.handle(&r) {
                            for e in rec.events {
                                if matches!(e, ClientEvent::PublicKeyRequested) {
                                    // The server has a SecureString to send and
                                    // holds the command until it has our key.
                                    if let Err(e) = s.start_key_exchange().await {
                                        tracing::warn!(
                                            "the session key for {} was not exchanged: {e}",
                                            held.name
                                        );
                                    }
                                    continue;
                                }
                                if let ClientEvent::PoolState { state, .. } = e
                                    && matches!(
                                        state,
                                        crate::protocol::psrp::messages::RunspacePoolState::Broken
                                            | crate::protocol::psrp::messages::RunspacePoolState::Closed
                                    )
                                {
                                    drop(s);
                                    let mut info = w.info_of(&held).await;
                                    info.state = SessionState::Broken;
                                    w.send(Event::SessionChanged(info));
                                    return;
                                }
                            }
                        }
                    }
                    Err(e) => {
                        // The session was disconnected, removed, or the network
                        // failed: whatever the cause, this console no longer holds
                        // it open. Never leave it shown Opened/Available; the next
                        // Refresh shows the server's view (Disconnected, Busy or gone).
                        {
                            let mut s = held.session.lock().await;
                            if s.pool.state()
                                == crate::protocol::psrp::messages::RunspacePoolState::Opened
                            {
                                s.pool.set_state(crate::protocol::psrp::messages::RunspacePoolState::Disconnected);
                                s.disconnected_by_me = false;
                                s.keepalive_lost = true;
                            }
                        }
                        let mut info = w.info_of(&held).await;
                        info.state = SessionState::Disconnected;
                        info.availability = Availability::None;
                        w.activity(
                            &remote.user,
                            &held.computer,
                            Some(&held.name),
                            "Receive (keep-alive)",
                            String::new(),
                            &format!("connection lost: {e}"),
                        );
                        w.send(Event::SessionChanged(info));
                        return;
                    }
                }
            }
        });
        slot.polling = false;
        slot.task = Some(task);
    }

    /// Holds `h`'s keep-alive back while an action uses the session, when it
    /// has not sent its Receive yet (one already sent is left to run: it
    /// holds its own connection). [`Worker::start_keepalive`] starts it again.
    pub(super) fn pause_keepalive(h: &Held) {
        let mut slot = lock(&h.keepalive);
        if slot.polling {
            return;
        }
        slot.generation += 1;
        if let Some(t) = slot.task.take() {
            t.abort();
        }
    }

    /// `text` as a SecureString under `h`'s session key, exchanging the key
    /// first if need be. A held session's keep-alive Receive reads the
    /// pool's stream, so the key's answer arrives through it; without one,
    /// the exchange reads the pool's stream itself.
    pub(super) async fn secure_string(
        &self,
        h: &Held,
        text: &str,
    ) -> Result<crate::protocol::clixml::PsValue, RemoteError> {
        let keepalive = lock(&h.keepalive)
            .task
            .as_ref()
            .is_some_and(|t| !t.is_finished());
        if !keepalive {
            return h.session.lock().await.secure_string(text).await;
        }
        h.session.lock().await.start_key_exchange().await?;
        let deadline = tokio::time::Instant::now() + remote::KEY_EXCHANGE_TIMEOUT;
        loop {
            {
                let s = h.session.lock().await;
                if s.pool.has_session_key() {
                    return Ok(s.pool.secure_string(text)?);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(remote::key_exchange_timed_out());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub(super) fn stop_keepalive(h: &Held) {
        let mut slot = lock(&h.keepalive);
        slot.generation += 1;
        slot.polling = false;
        if let Some(k) = slot.task.take() {
            k.abort();
        }
    }

    pub(super) fn hold(
        self: &Arc<Self>,
        computer: &str,
        name: &str,
        session: Session,
        created_here: bool,
    ) -> Arc<Held> {
        let id = session.shell_id;
        self.note_held(computer, name, id, &session.remote.user, false);
        let held = Arc::new(Held {
            local_id: self.local_id(computer, id),
            computer: computer.to_owned(),
            name: name.to_owned(),
            session: tokio::sync::Mutex::new(session),
            keepalive: Mutex::new(KeepAlive::default()),
            created_here,
            running: Mutex::new(HashSet::new()),
        });
        lock(&self.held).insert((key(computer), id), held.clone());
        held
    }

    pub(super) async fn new_session(
        self: &Arc<Self>,
        op: OpId,
        computer: ComputerRef,
        name: Option<String>,
        idle_timeout_ms: Option<u64>,
        mode: OutputBufferingMode,
    ) {
        self.send(Event::OpStarted {
            op,
            what: format!("Creating a session on {}", computer.name),
        });
        let remote = match self.remote(&computer) {
            Ok(r) => r,
            Err(e) => return self.fail(op, e),
        };
        // The mode the command names (the session option), else the
        // computer's (its profile): the cached client session for this
        // computer may have been opened with other options.
        let mode = if mode == OutputBufferingMode::None {
            computer.spec.output_buffering_mode
        } else {
            mode
        };
        let created = {
            let (w, remote, name, computer_name) = (
                self.clone(),
                remote.clone(),
                name.clone(),
                computer.name.clone(),
            );
            self.acquire(async move {
                let session =
                    Session::create_with(remote, name.as_deref(), idle_timeout_ms, mode).await?;
                let shown = session.info.name.clone().or(name).unwrap_or_else(|| {
                    format!("Session{}", w.local_id(&computer_name, session.shell_id))
                });
                let held = w.hold(&computer_name, &shown, session, true);
                w.start_keepalive(&held);
                Ok::<_, RemoteError>((held, shown))
            })
            .await
        };
        let created = match created {
            Ok(r) => r,
            Err(e) => return self.fail(op, e),
        };
        match created {
            Ok((held, shown)) => {
                let mut info = self.info_of(&held).await;
                if mode != OutputBufferingMode::None {
                    info.output_buffering_mode = mode;
                }
                self.activity(
                    &remote.user,
                    &computer.name,
                    Some(&shown),
                    "New-PSSession",
                    format!("-Name {shown}"),
                    "ok",
                );
                self.send(Event::SessionChanged(info));
                self.send(Event::OpFinished {
                    op,
                    message: format!("Created {shown} on {}", computer.name),
                });
            }
            Err(e) => {
                self.activity(
                    &remote.user,
                    &computer.name,
                    name.as_deref(),
                    "New-PSSession",
                    String::new(),
                    &e.to_string(),
                );
                self.fail(
                    op,
                    user_error(format!("Cannot create a session on {}", computer.name), &e),
                );
            }
        }
    }

    pub(super) async fn disconnect(
        self: &Arc<Self>,
        op: OpId,
        sessions: Vec<SessionRef>,
        idle_timeout_sec: Option<u32>,
        mode: OutputBufferingMode,
        limit: u32,
    ) {
        let total = sessions.len();
        self.send(Event::OpStarted {
            op,
            what: format!("Disconnecting {total} session(s)"),
        });
        let tasks = self.parts(
            sessions,
            limit,
            |s| s.computer.name.clone(),
            move |w, s| async move { w.disconnect_one(&s, idle_timeout_sec, mode).await },
        );
        self.settle(op, tasks, "Disconnected", "session(s)").await;
    }

    pub(super) async fn disconnect_one(
        self: &Arc<Self>,
        s: &SessionRef,
        idle_sec: Option<u32>,
        mode: OutputBufferingMode,
    ) -> Result<(), UserError> {
        let summary = format!("Cannot disconnect {} on {}", s.name, s.computer.name);
        let Some(h) = self.held(&s.computer.name, s.instance_id) else {
            return Err(plain_error(
                summary,
                format!(
                    "Cannot disconnect PSSession \"{}\" because it is not in the Opened state.",
                    s.name
                ),
                Some(
                    "Only a session open in this console can be disconnected; connect to it first.",
                ),
            ));
        };
        let mut session = h.session.lock().await;
        if session.pool.state() != crate::protocol::psrp::messages::RunspacePoolState::Opened {
            return Err(plain_error(
                summary,
                format!(
                    "Cannot disconnect PSSession \"{}\" because it is not in the Opened state.",
                    s.name
                ),
                None,
            ));
        }
        let idle_ms = match idle_sec {
            Some(sec) => {
                crate::model::rules::check_disconnect_idle_timeout(
                    &s.name,
                    u64::from(sec),
                    session.info.max_idle_timeout_ms,
                )?;
                Some(u64::from(sec) * 1000)
            }
            None => None,
        };
        // A Disconnect that names no mode carries the session option's
        // (New-PSSessionOption -OutputBufferingMode, or the profile's), as
        // PowerShell's does; with neither, the server keeps the shell's own.
        let mode = if mode == OutputBufferingMode::None {
            session.buffer_mode
        } else {
            mode
        };
        let options = format!(
            "{}{}",
            idle_sec
                .map(|t| format!("-IdleTimeoutSec {t} "))
                .unwrap_or_default(),
            if mode == OutputBufferingMode::None {
                String::new()
            } else {
                format!("-OutputBufferingMode {mode}")
            }
        );
        Self::stop_keepalive(&h);
        let user = session.remote.user.clone();
        match session
            .disconnect(idle_ms, convert::wire_buffer_mode(mode))
            .await
        {
            Ok(()) => {
                self.note_held(&h.computer, &h.name, session.shell_id, &user, true);
                drop(session);
                let mut info = self.info_of(&h).await;
                info.state = SessionState::Disconnected;
                info.availability = Availability::None;
                self.activity(
                    &user,
                    &s.computer.name,
                    Some(&s.name),
                    "Disconnect-PSSession",
                    options,
                    "ok",
                );
                self.send(Event::SessionChanged(info));
                Ok(())
            }
            Err(e) => {
                drop(session);
                self.start_keepalive(&h);
                self.activity(
                    &user,
                    &s.computer.name,
                    Some(&s.name),
                    "Disconnect-PSSession",
                    options,
                    &e.to_string(),
                );
                Err(user_error(summary, &e))
            }
        }
    }

    /// Connect-PSSession: Reconnect when this console disconnected the
    /// session, otherwise Connect as a new client. Busy sessions are refused
    /// with PowerShell's explanation before anything is sent. The caller
    /// ends the action.
    pub(super) async fn connect(
        self: &Arc<Self>,
        op: OpId,
        s: &SessionRef,
    ) -> Result<Arc<Held>, UserError> {
        self.send(Event::OpStarted {
            op,
            what: format!("Connecting to {} on {}", s.name, s.computer.name),
        });
        self.connect_session(s).await
    }

    /// `Connect-PSSession -Session … -ThrottleLimit N`: connects each
    /// session as [`Worker::connect`] does, at most `limit` at a time (0:
    /// 32), each failure a `PartFailed` of the one action.
    pub(super) async fn connect_many(
        self: &Arc<Self>,
        op: OpId,
        sessions: Vec<SessionRef>,
        limit: u32,
    ) {
        let total = sessions.len();
        self.send(Event::OpStarted {
            op,
            what: format!("Connecting {total} session(s)"),
        });
        let tasks = self.parts(
            sessions,
            limit,
            |s| s.computer.name.clone(),
            move |w, s| async move { w.connect_session(&s).await.map(|_| ()) },
        );
        self.settle(op, tasks, "Connected", "session(s)").await;
    }

    async fn connect_session(self: &Arc<Self>, s: &SessionRef) -> Result<Arc<Held>, UserError> {
        let remote = self.remote(&s.computer)?;
        let summary = format!("Cannot connect {} on {}", s.name, s.computer.name);
        if let Some(h) = self.held(&s.computer.name, s.instance_id) {
            let session = h.session.lock().await;
            if session.pool.state() == crate::protocol::psrp::messages::RunspacePoolState::Opened {
                drop(session);
                return Ok(h);
            }
            // The client session that disconnected it reconnects (its own
            // SessionId), even when Disconnect-WSMan dropped it from the cache.
            if session.disconnected_by_me && session.remote.user.eq_ignore_ascii_case(&remote.user)
            {
                drop(session);
                let (w, hh) = (self.clone(), h.clone());
                let reconnected = self
                    .acquire(async move {
                        let mut session = hh.session.lock().await;
                        w.forget_listed_commands(
                            &hh.computer,
                            &session.remote.user,
                            session.shell_id,
                        );
                        let r = session.reconnect().await;
                        drop(session);
                        if r.is_ok() {
                            w.start_keepalive(&hh);
                        }
                        r
                    })
                    .await?;
                return match reconnected {
                    Ok(()) => {
                        let info = self.info_of(&h).await;
                        self.activity(
                            &remote.user,
                            &s.computer.name,
                            Some(&s.name),
                            "Connect-PSSession",
                            "reconnect".into(),
                            "ok",
                        );
                        self.send(Event::SessionChanged(info));
                        Ok(h)
                    }
                    Err(e) => Err(user_error(summary, &e)),
                };
            }
            drop(session);
            lock(&self.held).remove(&(key(&s.computer.name), s.instance_id));
        }
        // The listing that resolved the name, when fresh, stands in for an
        // Enumerate; a shell it shows Busy is asked about again (its holder
        // may have let it go since).
        let listed = self
            .listed_shell(&s.computer.name, &remote.user, s.instance_id)
            .filter(|sh| sh.state != Some(crate::protocol::wsman::shell::ShellState::Connected));
        let from_listing = listed.is_some();
        let shell = match listed {
            Some(shell) => shell,
            None => self.connectable_shell(&remote, s, &summary).await?,
        };
        let mut connected = self.attach_shell(&remote, s, shell).await?;
        if from_listing && matches!(connected, Err(RemoteError::Fault(_))) {
            // The listing was stale (the shell removed, expired or taken
            // since it was listed): ask the server once, and go by its answer.
            let shell = self.connectable_shell(&remote, s, &summary).await?;
            connected = self.attach_shell(&remote, s, shell).await?;
        }
        match connected {
            Ok(h) => {
                let info = self.info_of(&h).await;
                self.activity(
                    &remote.user,
                    &s.computer.name,
                    Some(&s.name),
                    "Connect-PSSession",
                    String::new(),
                    "ok",
                );
                self.send(Event::SessionChanged(info));
                Ok(h)
            }
            Err(e) => {
                self.activity(
                    &remote.user,
                    &s.computer.name,
                    Some(&s.name),
                    "Connect-PSSession",
                    String::new(),
                    &e.to_string(),
                );
                Err(user_error(summary, &e))
            }
        }
    }

    /// The shell of `s` as the server describes it now (one Enumerate),
    /// refused when it is gone or another client holds it.
    async fn connectable_shell(
        &self,
        remote: &Remote,
        s: &SessionRef,
        summary: &str,
    ) -> Result<ShellInfo, UserError> {
        let shell = match self
            .find_shell(&s.computer.name, remote, s.instance_id)
            .await
        {
            Ok(Some(shell)) => shell,
            Ok(None) => {
                return Err(plain_error(
                    summary,
                    format!(
                        "The session {} was not found on {} for {}: it was removed, its idle timeout expired, or it belongs to another user.",
                        s.name, s.computer.name, remote.user
                    ),
                    Some("Connect with the credentials of the user who created the session."),
                ));
            }
            Err(e) => return Err(user_error(summary.to_owned(), &e)),
        };
        if shell.state == Some(crate::protocol::wsman::shell::ShellState::Connected) {
            return Err(plain_error(
                summary,
                crate::model::rules::busy_connect_refusal(&s.name, &holder_text(&shell)),
                Some(crate::model::rules::BUSY_CONNECT_ADVICE),
            ));
        }
        Ok(shell)
    }

    /// Connects to `shell` as a new client and holds it (its keep-alive
    /// starts once it sits idle). The outer error: the worker is stopping.
    async fn attach_shell(
        self: &Arc<Self>,
        remote: &Arc<Remote>,
        s: &SessionRef,
        shell: ShellInfo,
    ) -> Result<Result<Arc<Held>, RemoteError>, UserError> {
        let (w, remote, computer, name, mode) = (
            self.clone(),
            remote.clone(),
            s.computer.name.clone(),
            s.name.clone(),
            s.computer.spec.output_buffering_mode,
        );
        self.acquire(async move {
            let mut session = Session::connect(remote, shell).await?;
            // This connection's session option decides how it is next
            // disconnected (the cached client session may carry another).
            session.buffer_mode = mode;
            let h = w.hold(&computer, &name, session, false);
            w.start_keepalive(&h);
            Ok::<_, RemoteError>(h)
        })
        .await
    }

    pub(super) async fn remove(self: &Arc<Self>, op: OpId, sessions: Vec<SessionRef>, force: bool) {
        let total = sessions.len();
        self.send(Event::OpStarted {
            op,
            what: format!("Removing {total} session(s)"),
        });
        let tasks = self.parts(
            sessions,
            0,
            |s| s.computer.name.clone(),
            move |w, s| async move { w.remove_one(&s, force).await },
        );
        self.settle(op, tasks, "Removed", "session(s)").await;
    }

    /// Deletes one session: as its holder when it is open here; otherwise
    /// as its owner, which Windows allows even while another client holds
    /// it, so a Busy session is refused unless `force` says the user means
    /// it (the holder may be gone: a crash, a lost laptop).
    pub(super) async fn remove_one(
        self: &Arc<Self>,
        s: &SessionRef,
        force: bool,
    ) -> Result<(), UserError> {
        let summary = format!("Cannot remove {} on {}", s.name, s.computer.name);
        let remote = self.remote(&s.computer)?;
        let mut options = String::new();
        let result = if let Some(h) = self.held(&s.computer.name, s.instance_id) {
            Self::stop_keepalive(&h);
            let r = h.session.lock().await.delete().await;
            if r.is_ok() {
                lock(&self.held).remove(&(key(&s.computer.name), s.instance_id));
            }
            r
        } else {
            match self
                .find_shell(&s.computer.name, &remote, s.instance_id)
                .await
            {
                Ok(Some(shell))
                    if shell.state
                        == Some(crate::protocol::wsman::shell::ShellState::Connected)
                        && !force =>
                {
                    return Err(plain_error(
                        summary,
                        crate::model::rules::busy_remove_refusal(&s.name, &holder_text(&shell)),
                        Some(crate::model::rules::BUSY_REMOVE_ADVICE),
                    ));
                }
                Ok(Some(shell)) => {
                    if shell.state == Some(crate::protocol::wsman::shell::ShellState::Connected) {
                        options = "-Force".into();
                    }
                    let uri = shell
                        .resource_uri
                        .clone()
                        .unwrap_or_else(|| remote.spec.shell_uri());
                    let r = remote.delete(&uri, s.instance_id).await;
                    if r.is_ok() {
                        lock(&self.held).remove(&(key(&s.computer.name), s.instance_id));
                    }
                    r
                }
                Ok(None) => Err(RemoteError::Refused(format!(
                    "The session {} no longer exists.",
                    s.name
                ))),
                Err(e) => Err(e),
            }
        };
        match result {
            Ok(()) => {
                self.forget_held(&s.computer.name, s.instance_id);
                self.activity(
                    &remote.user,
                    &s.computer.name,
                    Some(&s.name),
                    "Remove-PSSession",
                    options,
                    "ok",
                );
                self.send(Event::SessionGone {
                    computer: s.computer.name.clone(),
                    instance_id: s.instance_id,
                    reason: "removed".into(),
                });
                Ok(())
            }
            Err(e) => {
                self.activity(
                    &remote.user,
                    &s.computer.name,
                    Some(&s.name),
                    "Remove-PSSession",
                    options,
                    &e.to_string(),
                );
                let mut error = user_error(summary, &e);
                if force && error.advice.is_none() {
                    error.advice = Some(
                        "The server refused the owner's Delete. Wait for the session's holder to time out (it then shows Disconnected) and remove it again, or ask the computer's administrator to end it.".into(),
                    );
                }
                Err(error)
            }
        }
    }

    /// Hands back every session held open here, as the worker stops
    /// ([`Release`]): each is closed or disconnected, in parallel, each
    /// bounded by [`RELEASE_TIMEOUT`], and each outcome is reported.
    pub(super) async fn release_all(self: &Arc<Self>, release: Release) {
        // From now on nothing new is taken; sessions still being created or
        // connected are waited for: once attached on the server they are
        // held, and must be handed back.
        self.stopping.store(true, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + RELEASE_TIMEOUT;
        while self.acquiring.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let held: Vec<Arc<Held>> = lock(&self.held).drain().map(|(_, h)| h).collect();
        let mut tasks = JoinSet::new();
        for h in held {
            Self::stop_keepalive(&h);
            let w = self.clone();
            tasks.spawn(async move {
                let Some(outcome) = (match tokio::time::timeout(RELEASE_TIMEOUT, w.release_one(&h, release)).await {
                    Ok(o) => o,
                    Err(_) => Some(ReleaseOutcome::Failed(plain_error(
                        format!("{} on {} was not handed back", h.name, h.computer),
                        format!("the server did not answer within {} seconds", RELEASE_TIMEOUT.as_secs()),
                        Some("It shows Busy until the server notices this client is gone; Remove-PSSession -Force removes it sooner."),
                    ))),
                }) else {
                    return;
                };
                let (user, id) = {
                    let s = h.session.lock().await;
                    (s.remote.user.clone(), s.shell_id)
                };
                match &outcome {
                    ReleaseOutcome::Closed => w.forget_held(&h.computer, id),
                    ReleaseOutcome::Disconnected { .. } => {
                        w.note_held(&h.computer, &h.name, id, &user, true);
                    }
                    ReleaseOutcome::Failed(_) => {}
                }
                let (action, result) = match &outcome {
                    ReleaseOutcome::Closed => ("Remove-PSSession", "ok".to_owned()),
                    ReleaseOutcome::Disconnected { .. } => ("Disconnect-PSSession", "ok".to_owned()),
                    ReleaseOutcome::Failed(e) => ("Release", e.to_string()),
                };
                w.activity(&user, &h.computer, Some(&h.name), action, "(on exit)".into(), &result);
                w.events.send(Event::SessionReleased {
                    computer: h.computer.clone(),
                    instance_id: id,
                    name: h.name.clone(),
                    outcome,
                });
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Closes or disconnects one held session; None when it is not open here
    /// (disconnected already, or lost), so there is nothing to hand back.
    pub(super) async fn release_one(&self, h: &Held, release: Release) -> Option<ReleaseOutcome> {
        let mut session = h.session.lock().await;
        if session.pool.state() != crate::protocol::psrp::messages::RunspacePoolState::Opened {
            if !session.keepalive_lost {
                return None;
            }
            // The keep-alive lost it, but the server may still hold it for
            // this client: hand it back all the same. A server that let it
            // go already says so, and then there is nothing to report.
            let idle = handback_idle_timeout(
                session.info.idle_timeout_ms,
                session.info.max_idle_timeout_ms,
            );
            let mode = convert::wire_buffer_mode(session.buffer_mode);
            session
                .pool
                .set_state(crate::protocol::psrp::messages::RunspacePoolState::Opened);
            if session.disconnect(idle, mode).await.is_ok() {
                return Some(ReleaseOutcome::Disconnected {
                    idle_timeout_ms: idle.or(session.info.idle_timeout_ms),
                    output_buffering_mode: session.buffer_mode,
                    running: !lock(&h.running).is_empty(),
                });
            }
            session
                .pool
                .set_state(crate::protocol::psrp::messages::RunspacePoolState::Disconnected);
            return None;
        }
        let running = !lock(&h.running).is_empty();
        if closes(release, h.created_here, running) {
            return Some(match session.delete().await {
                Ok(()) => ReleaseOutcome::Closed,
                Err(e) => ReleaseOutcome::Failed(user_error(
                    format!("{} on {} was not closed", h.name, h.computer),
                    &e,
                )),
            });
        }
        // Handed back with its own idle timeout, brought within the
        // server's maximum (a Disconnect beyond it is refused), and the
        // session option's output buffering mode.
        let own = session.info.idle_timeout_ms;
        let idle = handback_idle_timeout(own, session.info.max_idle_timeout_ms);
        let mode = session.buffer_mode;
        match session
            .disconnect(idle, convert::wire_buffer_mode(mode))
            .await
        {
            Ok(()) => Some(ReleaseOutcome::Disconnected {
                idle_timeout_ms: idle.or(own),
                output_buffering_mode: session.info.buffer_mode.map_or(mode, |b| match b {
                    crate::protocol::wsman::shell::BufferMode::Block => OutputBufferingMode::Block,
                    crate::protocol::wsman::shell::BufferMode::Drop => OutputBufferingMode::Drop,
                }),
                running,
            }),
            Err(e) => Some(ReleaseOutcome::Failed(user_error(
                format!("{} on {} was not disconnected", h.name, h.computer),
                &e,
            ))),
        }
    }
}

/// How long a held session sits idle before its keep-alive Receive is sent:
/// an eightieth of the keep-alive Receive's own wait (250 ms). The server lets a
/// client go when it has had no Receive outstanding for its keep-alive
/// window (a minute on Windows; a second in a lab running 60 times faster),
/// so this leaves it four times as long as the shortest window met; and an
/// action that follows another at once (Receive after Connect, the
/// hand-back at exit) finds the connection free instead of opening a
/// second one, with its own handshake, beside a long poll.
pub(super) fn keepalive_grace() -> std::time::Duration {
    std::time::Duration::from_millis(remote::RECEIVE_TIMEOUT_MS / 80)
}

/// What a shell's description tells of the client holding it, for messages:
/// `; held from 10.0.0.5, connected for 3 min`.
pub(super) fn holder_text(shell: &ShellInfo) -> String {
    let mut t = String::new();
    if let Some(ip) = shell.client_ip.as_deref().filter(|s| !s.is_empty()) {
        t.push_str(&format!("; held from {ip}"));
    }
    if let Some(ms) = shell.shell_inactivity_ms {
        t.push_str(&format!(", idle for {} s", ms / 1000));
    }
    t
}

/// Whether a held session is closed (rather than disconnected) as the
/// worker stops: as PowerShell's host does, a session created here with
/// nothing running is closed; one connected to here, or with a command still
/// running, is handed back so the work goes on.
pub(super) fn closes(release: Release, created_here: bool, running: bool) -> bool {
    match release {
        Release::CloseAll => true,
        Release::DisconnectAll => false,
        Release::HandBack => created_here && !running,
    }
}

/// The IdleTimeOut a hand-back Disconnect names: none (the session keeps its
/// own) unless its own is above the server's maximum, which a Disconnect
/// would refuse; then the maximum.
pub(super) fn handback_idle_timeout(own_ms: Option<u64>, max_ms: Option<u64>) -> Option<u64> {
    match (own_ms, max_ms) {
        (Some(own), Some(max)) if own > max => Some(max),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_closed_and_what_is_handed_back() {
        // HandBack: only a session created here with nothing running closes.
        assert!(closes(Release::HandBack, true, false));
        assert!(!closes(Release::HandBack, true, true));
        assert!(!closes(Release::HandBack, false, false));
        assert!(!closes(Release::HandBack, false, true));
        // The console's choices apply to every session.
        for (created, running) in [(true, false), (false, true)] {
            assert!(closes(Release::CloseAll, created, running));
            assert!(!closes(Release::DisconnectAll, created, running));
        }
    }

    #[test]
    fn a_handed_back_session_keeps_its_idle_timeout_within_the_maximum() {
        assert_eq!(
            handback_idle_timeout(Some(7_200_000), Some(43_200_000)),
            None
        );
        assert_eq!(
            handback_idle_timeout(Some(172_800_000), Some(43_200_000)),
            Some(43_200_000)
        );
        assert_eq!(handback_idle_timeout(None, Some(43_200_000)), None);
        assert_eq!(handback_idle_timeout(Some(172_800_000), None), None);
    }

    #[test]
    fn the_holder_is_described_from_the_shell() {
        let shell = ShellInfo {
            client_ip: Some("10.0.0.5".into()),
            shell_inactivity_ms: Some(30_000),
            ..ShellInfo::default()
        };
        assert_eq!(holder_text(&shell), "; held from 10.0.0.5, idle for 30 s");
        assert_eq!(holder_text(&ShellInfo::default()), "");
    }
}
