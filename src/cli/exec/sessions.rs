//! The session cmdlets: New-, Get-, Disconnect-, Connect- and
//! Receive-PSSession.

use super::*;

impl Shell {
    pub(super) fn run_command(
        &mut self,
        inv: &Invocation,
        cmdlet: &str,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        match inv {
            Invocation::NewPSSession(n) => self.new_pssession(cmdlet, n, input, out, err),
            Invocation::GetPSSession(g) => self.get_pssession(cmdlet, g, out, err),
            Invocation::DisconnectPSSession(d) => self.disconnect(cmdlet, d, input, out, err),
            Invocation::ConnectPSSession(c) => self.connect(cmdlet, c, input, out, err),
            Invocation::ReceivePSSession(r) => self.receive(cmdlet, r, input, out, err),
            Invocation::InvokeCommand(i) => self.invoke(cmdlet, i, input, out, err),
            Invocation::RemovePSSession(r) => self.remove(cmdlet, r, input, out, err),
            Invocation::NewPSSessionOption(o) => Ok(vec![Obj::Options(Box::new(o.clone()))]),
            Invocation::GetPSSessionConfiguration(_) => Err(CmdError::new(
                cmdlet,
                "Get-PSSessionConfiguration reads the session configurations of a remote computer here: run it with Invoke-Command -ComputerName <name> { Get-PSSessionConfiguration <name> }.",
            )),
            Invocation::GetHelp { name, view } => {
                self.get_help(cmdlet, name.as_ref(), view, out, err)
            }
            Invocation::GetCommand {
                name,
                verb,
                noun,
                syntax,
            } => {
                let mut list = |n: &str, a: &Option<Arg<Vec<String>>>| {
                    self.arg(cmdlet, n, a, cmdlets::coerce_string_array, out, err)
                };
                let (name, verb, noun) = (
                    list("Name", name)?,
                    list("Verb", verb)?,
                    list("Noun", noun)?,
                );
                let found = crate::cli::help::matching_commands(
                    name.as_deref(),
                    verb.as_deref(),
                    noun.as_deref(),
                );
                if found.is_empty()
                    && let Some(n) = name.as_ref().and_then(|n| n.first())
                    && !crate::pslang::has_wildcard(n)
                {
                    return Err(CmdError::new(
                        cmdlet,
                        format!("The term '{n}' is not recognized as a name of a cmdlet this shell supports. Get-Command lists them."),
                    )
                    .classified("ObjectNotFound", "CommandNotFoundException", "CommandNotFoundException"));
                }
                if !*syntax && !self.json {
                    let columns =
                        ["CommandType", "Name", "Version", "Source"].map(|label| format::Column {
                            label,
                            width: 0,
                            align: format::Align::Left,
                        });
                    let rows: Vec<Vec<String>> = found
                        .iter()
                        .map(|c| {
                            vec![
                                "Cmdlet".into(),
                                c.name.to_owned(),
                                env!("CARGO_PKG_VERSION").to_owned(),
                                "Baton".into(),
                            ]
                        })
                        .collect();
                    return Ok(vec![Obj::Formatted(format::format_table(&columns, &rows))]);
                }
                Ok(if *syntax {
                    found
                        .iter()
                        .map(|c| Obj::Formatted(crate::cli::help::syntax(c).join("\n") + "\n"))
                        .collect()
                } else {
                    found
                        .iter()
                        .map(|c| {
                            Obj::Record(vec![
                                ("CommandType".into(), "Cmdlet".into()),
                                ("Name".into(), c.name.into()),
                                ("Version".into(), env!("CARGO_PKG_VERSION").into()),
                                ("Source".into(), "Baton".into()),
                            ])
                        })
                        .collect()
                })
            }
            Invocation::TestWSMan(w) => self.test_wsman(cmdlet, w, false, out, err),
            Invocation::ConnectWSMan(w) => self.test_wsman(cmdlet, w, true, out, err),
            Invocation::DisconnectWSMan { computer_name } => {
                let name = self
                    .arg(
                        cmdlet,
                        "ComputerName",
                        computer_name,
                        cmdlets::coerce_string,
                        out,
                        err,
                    )?
                    .unwrap_or_else(|| "localhost".into());
                if let Some(computer) = self.wsman.remove(&name.to_ascii_lowercase()) {
                    // Every name that led to the same computer goes with it.
                    self.wsman.retain(|_, c| !c.eq_ignore_ascii_case(&computer));
                    let op = self.worker.next_op();
                    self.worker.send(Command::DisconnectWsman { op, computer });
                    let got = self.wait(&[op], None);
                    self.report(cmdlet, &got.failures, err);
                    Ok(Vec::new())
                } else {
                    Err(CmdError::new(
                        cmdlet,
                        format!(
                            "The client is not connected to the computer {name}. Use Connect-WSMan to connect to it first."
                        ),
                    )
                    .classified("InvalidArgument", "ArgumentException", "WsManError"))
                }
            }
            // With --json, formatting selects properties and stays data.
            Invocation::FormatList { property } | Invocation::FormatTable { property, .. }
                if self.json =>
            {
                Ok(input
                    .iter()
                    .map(|o| Obj::Record(select(obj_properties(o), property.as_deref())))
                    .collect())
            }
            Invocation::FormatList { property } => {
                Ok(format_list_objs(&input, property.as_deref()))
            }
            Invocation::FormatTable { property, .. } => {
                Ok(format_table_objs(&input, property.as_deref()))
            }
        }
    }

    pub(super) fn new_pssession(
        &mut self,
        cmdlet: &str,
        n: &NewPSSession,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let names = self.arg(
            cmdlet,
            "Name",
            &n.name,
            cmdlets::coerce_string_array,
            out,
            err,
        )?;
        let (computers, opts) = match (&n.connection, &n.sessions) {
            (Some(c), _) => {
                let (refs, p) = self.computers(cmdlet, c, out, err)?;
                (refs, p.options)
            }
            (None, Some(t)) => {
                let sessions = self.target_sessions(cmdlet, t, input, out, err)?;
                (sessions.into_iter().map(|s| s.computer).collect(), None)
            }
            (None, None) => (Vec::new(), None),
        };
        check_option_idle_timeout(cmdlet, opts.as_ref())?;
        let idle = opts
            .as_ref()
            .and_then(|o| o.idle_timeout_ms)
            .filter(|v| *v >= 0)
            .and_then(|v| u64::try_from(v).ok());
        let mode = opts
            .as_ref()
            .and_then(|o| o.output_buffering_mode)
            .unwrap_or(OutputBufferingMode::None);
        let items: Vec<(ComputerRef, Option<String>)> = computers
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let name = names.as_ref().and_then(|n| n.get(i).or(n.first()).cloned());
                (c, name)
            })
            .collect();
        self.create_sessions(cmdlet, items, idle, mode, n.throttle_limit, err)
            .map(|v| v.into_iter().map(|s| Obj::Session(Box::new(s))).collect())
    }

    pub(super) fn create_sessions(
        &mut self,
        cmdlet: &str,
        items: Vec<(ComputerRef, Option<String>)>,
        idle: Option<u64>,
        mode: OutputBufferingMode,
        throttle: u32,
        err: &mut dyn Write,
    ) -> Result<Vec<LocalSession>, CmdError> {
        let limit = if throttle == 0 { 32 } else { throttle as usize };
        let mut created = Vec::new();
        for chunk in items.chunks(limit) {
            let mut ops = Vec::new();
            for (c, name) in chunk {
                let op = self.worker.next_op();
                self.worker.send(Command::NewSession {
                    op,
                    computer: c.clone(),
                    name: name.clone(),
                    idle_timeout_ms: idle.or(c.spec.idle_timeout_ms),
                    output_buffering_mode: mode,
                });
                ops.push(op);
            }
            let got = self.wait(&ops, None);
            for (c, _) in chunk {
                if let Some(info) = got
                    .changed
                    .iter()
                    .rev()
                    .find(|i| i.computer_name.eq_ignore_ascii_case(&c.name))
                {
                    let mut info = info.clone();
                    if info.idle_timeout_ms.is_none() {
                        info.idle_timeout_ms = idle;
                    }
                    created.push(self.remember(LocalSession {
                        info,
                        computer: c.clone(),
                    }));
                }
            }
            self.report(cmdlet, &got.failures, err);
        }
        Ok(created)
    }

    pub(super) fn list_remote(
        &mut self,
        cmdlet: &str,
        computers: Vec<ComputerRef>,
        names: Vec<String>,
        throttle: u32,
        err: &mut dyn Write,
    ) -> Vec<LocalSession> {
        let op = self.worker.next_op();
        self.worker.send(Command::ListSessions {
            op,
            computers: computers.clone(),
            names,
            throttle_limit: throttle,
        });
        let mut got = self.wait(&[op], None);
        self.report(cmdlet, &got.failures, err);
        // Each computer's listing, found by name once: a sweep may name
        // thousands of computers.
        let mut by_name: HashMap<String, Vec<Vec<SessionInfo>>> = HashMap::new();
        for (comp, sessions) in std::mem::take(&mut got.listed) {
            by_name
                .entry(comp.to_ascii_lowercase())
                .or_default()
                .push(sessions);
        }
        // A computer named twice is listed twice, as before; its listing is
        // moved out at its last mention, copied before (20,000 sessions of
        // about 1 KB each are not kept twice).
        let mut mentions: HashMap<String, usize> = HashMap::new();
        for c in &computers {
            *mentions.entry(c.name.to_ascii_lowercase()).or_default() += 1;
        }
        let mut res = Vec::new();
        for c in &computers {
            let k = c.name.to_ascii_lowercase();
            let last = mentions.get_mut(&k).is_none_or(|n| {
                *n -= 1;
                *n == 0
            });
            let listings = if last {
                by_name.remove(&k)
            } else {
                by_name.get(&k).cloned()
            };
            for info in listings.into_iter().flatten().flatten() {
                res.push(LocalSession {
                    info,
                    computer: c.clone(),
                });
            }
        }
        res
    }

    /// [`Shell::remember`] for many sessions at once, with the repository's
    /// keys looked up in a map instead of a scan per session (a sweep of
    /// 10,000 computers remembers 20,000 sessions).
    fn remember_all(&mut self, listed: Vec<LocalSession>) -> Vec<LocalSession> {
        let mut index: HashMap<(String, Uuid), usize> = self
            .repo
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key(), i))
            .collect();
        let mut res = Vec::with_capacity(listed.len());
        for s in listed {
            self.known.upsert(&s.info);
            match index.entry(s.key()) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    let r = &mut self.repo[*e.get()];
                    r.info = s.info;
                    r.computer = s.computer;
                    res.push(r.clone());
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(self.repo.len());
                    self.repo.push(s.clone());
                    res.push(s);
                }
            }
        }
        res
    }

    fn get_help(
        &mut self,
        cmdlet: &str,
        name: Option<&Arg<String>>,
        view: &cmdlets::HelpView,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        use crate::cli::help::{HELP_INTRO, HelpPart, help};
        let name = match name {
            Some(a) => self.arg(
                cmdlet,
                "Name",
                &Some(a.clone()),
                cmdlets::coerce_string,
                out,
                err,
            )?,
            None => None,
        };
        let Some(name) = name else {
            return Ok(vec![Obj::Formatted(HELP_INTRO.to_owned())]);
        };
        let part = match view {
            cmdlets::HelpView::Summary => HelpPart::Summary,
            cmdlets::HelpView::Full => HelpPart::Full,
            cmdlets::HelpView::Examples => HelpPart::Examples,
            cmdlets::HelpView::Parameters(p) => HelpPart::Parameters(
                self.arg(
                    cmdlet,
                    "Parameter",
                    &Some(p.clone()),
                    cmdlets::coerce_string_array,
                    out,
                    err,
                )?
                .unwrap_or_default(),
            ),
        };
        match help(&name, &part) {
            Some(text) => Ok(vec![Obj::Formatted(text)]),
            None => Err(CmdError::new(
                cmdlet,
                format!("Get-Help could not find {name}: it is not a cmdlet this shell supports. Get-Command lists them."),
            )
            .classified("ResourceUnavailable", "HelpNotFoundException", "HelpNotFound")),
        }
    }

    pub(super) fn get_pssession(
        &mut self,
        cmdlet: &str,
        g: &GetPSSession,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let names = self.arg(
            cmdlet,
            "Name",
            &g.name,
            cmdlets::coerce_string_array,
            out,
            err,
        )?;
        let ids = self.arg(
            cmdlet,
            "InstanceId",
            &g.instance_id,
            cmdlets::coerce_guid_array,
            out,
            err,
        )?;
        let local_ids = self.arg(cmdlet, "Id", &g.id, cmdlets::coerce_int_array, out, err)?;
        let sessions: Vec<LocalSession> = match &g.remote {
            Some(c) => {
                let (computers, _) = self.computers(cmdlet, c, out, err)?;
                let listed = self.list_remote(
                    cmdlet,
                    computers,
                    names.clone().unwrap_or_default(),
                    g.throttle_limit,
                    err,
                );
                self.remember_all(listed)
            }
            None => self.repo.clone(),
        };
        let state = g.state;
        Ok(sessions
            .into_iter()
            .filter(|s| {
                names
                    .as_ref()
                    .is_none_or(|n| n.iter().any(|p| wildcard_match(p, &s.info.name)))
                    && ids.as_ref().is_none_or(|i| i.contains(&s.info.instance_id))
                    && local_ids
                        .as_ref()
                        .is_none_or(|i| i.iter().any(|x| i64::from(*x) == i64::from(s.info.id)))
                    && state_matches(state, s.info.state)
            })
            .map(|s| Obj::Session(Box::new(s)))
            .collect())
    }

    pub(super) fn disconnect(
        &mut self,
        cmdlet: &str,
        d: &DisconnectPSSession,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let sessions = self.target_sessions(cmdlet, &d.target, input, out, err)?;
        let idle_sec = self.arg(
            cmdlet,
            "IdleTimeoutSec",
            &d.idle_timeout_sec,
            cmdlets::coerce_int,
            out,
            err,
        )?;
        let mode = self
            .arg(
                cmdlet,
                "OutputBufferingMode",
                &d.output_buffering_mode,
                cmdlets::coerce_output_buffering_mode,
                out,
                err,
            )?
            .unwrap_or(OutputBufferingMode::None);
        if d.what_if {
            what_if_sessions("Disconnect-PSSession", &sessions, out);
            return Ok(Vec::new());
        }
        let sessions = self.confirmed(cmdlet, "Disconnect-PSSession", sessions, d.confirm, err)?;
        // PowerShell checks the idle timeout against the server's maximum
        // before it sends anything ([PS] DisconnectPSSession ValidateIdleTimeout).
        let mut send = Vec::new();
        for s in sessions {
            let sec = match idle_sec {
                Some(t) => Some(i64::from(t)),
                None => s
                    .info
                    .idle_timeout_ms
                    .and_then(|ms| i64::try_from(ms / 1000).ok()),
            };
            if let Some(sec) = sec {
                let checked = check_disconnect_idle_timeout(
                    &s.info.name,
                    u64::try_from(sec).unwrap_or(0),
                    s.info.max_idle_timeout_ms,
                );
                if let Err(refused) = checked {
                    let e = CmdError {
                        command: cmdlet.to_owned(),
                        message: refused.detail,
                        category: "InvalidArgument",
                        target: format!("{}:PSSession", s.info.name),
                        reason: "RuntimeException",
                        error_id: "CannotDisconnectSessionWithInvalidIdleTimeout".into(),
                    };
                    self.print_error(&e, err);
                    continue;
                }
            }
            send.push(s);
        }
        if send.is_empty() {
            return Ok(Vec::new());
        }
        let op = self.worker.next_op();
        let idle_u32 = idle_sec.and_then(|t| u32::try_from(t).ok());
        self.worker.send(Command::Disconnect {
            op,
            sessions: send.iter().map(LocalSession::session_ref).collect(),
            idle_timeout_sec: idle_u32,
            output_buffering_mode: mode,
            throttle_limit: d.throttle_limit,
        });
        let got = self.wait(&[op], None);
        self.report(cmdlet, &got.failures, err);
        let mut res = Vec::new();
        for s in send {
            let k = s.key();
            let Some(info) = got
                .changed
                .iter()
                .rev()
                .find(|i| (i.computer_name.to_ascii_lowercase(), i.instance_id) == k)
            else {
                continue;
            };
            if info.state != SessionState::Disconnected {
                continue;
            }
            let mut info = info.clone();
            if let Some(t) = idle_u32 {
                info.idle_timeout_ms = Some(u64::from(t) * 1000);
            } else if info.idle_timeout_ms.is_none() {
                info.idle_timeout_ms = s.info.idle_timeout_ms;
            }
            if mode != OutputBufferingMode::None {
                info.output_buffering_mode = mode;
            }
            let kept = self.remember(LocalSession {
                info,
                computer: s.computer.clone(),
            });
            res.push(Obj::Session(Box::new(kept)));
        }
        Ok(res)
    }

    /// Sessions a Connect-/Receive-PSSession selection names.
    pub(super) fn selected(
        &mut self,
        cmdlet: &str,
        sel: &Selection,
        input: Vec<Obj>,
        throttle: u32,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<LocalSession>, CmdError> {
        match sel {
            Selection::Local(t) => self.target_sessions(cmdlet, t, input, out, err),
            Selection::Remote {
                connection,
                name,
                instance_id,
            } => {
                let names =
                    self.arg(cmdlet, "Name", name, cmdlets::coerce_string_array, out, err)?;
                let ids = self.arg(
                    cmdlet,
                    "InstanceId",
                    instance_id,
                    cmdlets::coerce_guid_array,
                    out,
                    err,
                )?;
                let (computers, _) = self.computers(cmdlet, connection, out, err)?;
                let listed = self.list_remote(
                    cmdlet,
                    computers,
                    names.clone().unwrap_or_default(),
                    throttle,
                    err,
                );
                let found: Vec<LocalSession> = listed
                    .into_iter()
                    .filter(|s| ids.as_ref().is_none_or(|i| i.contains(&s.info.instance_id)))
                    .collect();
                if found.is_empty() {
                    let what = names
                        .map(|n| format!("the name {}", n.join(", ")))
                        .or(ids.map(|i| {
                            format!(
                                "the instance ID {}",
                                i.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ")
                            )
                        }))
                        .unwrap_or_else(|| "the given filter".into());
                    return Err(not_found(
                        cmdlet,
                        format!("No disconnected sessions were found with {what}."),
                    ));
                }
                Ok(found)
            }
        }
    }

    pub(super) fn connect_sessions(
        &mut self,
        cmdlet: &str,
        sessions: Vec<LocalSession>,
        throttle: u32,
        err: &mut dyn Write,
    ) -> Vec<LocalSession> {
        let limit = if throttle == 0 { 32 } else { throttle as usize };
        let mut res = Vec::new();
        for chunk in sessions.chunks(limit) {
            let mut ops = Vec::new();
            for s in chunk {
                let op = self.worker.next_op();
                self.worker.send(Command::Connect {
                    op,
                    session: s.session_ref(),
                });
                ops.push(op);
            }
            let got = self.wait(&ops, None);
            self.report(cmdlet, &got.failures, err);
            for s in chunk {
                let k = s.key();
                let failed = got.failures.iter().any(|f| {
                    f.summary == format!("Cannot connect {} on {}", s.info.name, s.computer.name)
                });
                if failed {
                    continue;
                }
                let info = got
                    .changed
                    .iter()
                    .rev()
                    .find(|i| (i.computer_name.to_ascii_lowercase(), i.instance_id) == k)
                    .cloned()
                    .unwrap_or_else(|| s.info.clone());
                let mut merged = s.info.clone();
                merge_session(&mut merged, &info);
                res.push(self.remember(LocalSession {
                    info: merged,
                    computer: s.computer.clone(),
                }));
            }
        }
        res
    }

    pub(super) fn connect(
        &mut self,
        cmdlet: &str,
        c: &ConnectPSSession,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let sessions = self.selected(cmdlet, &c.selection, input, c.throttle_limit, out, err)?;
        if c.what_if {
            what_if_sessions("Connect-PSSession", &sessions, out);
            return Ok(Vec::new());
        }
        let sessions = self.confirmed(cmdlet, "Connect-PSSession", sessions, c.confirm, err)?;
        Ok(self
            .connect_sessions(cmdlet, sessions, c.throttle_limit, err)
            .into_iter()
            .map(|s| Obj::Session(Box::new(s)))
            .collect())
    }

    pub(super) fn receive(
        &mut self,
        cmdlet: &str,
        r: &ReceivePSSession,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        if r.out_target == Some(cmdlets::OutTarget::Job) || r.job_name.is_some() {
            return Err(CmdError::new(
                cmdlet,
                "baton does not run background jobs (-OutTarget Job, -JobName): the output is written to the console.",
            ));
        }
        let sessions = self.selected(cmdlet, &r.selection, input, 0, out, err)?;
        if r.what_if {
            what_if_sessions("Receive-PSSession", &sessions, out);
            return Ok(Vec::new());
        }
        let sessions = self.confirmed(cmdlet, "Receive-PSSession", sessions, r.confirm, err)?;
        let connected = self.connect_sessions(cmdlet, sessions, 0, err);
        for s in connected {
            let op = self.worker.next_op();
            self.worker.send(Command::Receive {
                op,
                session: s.session_ref(),
            });
            let got = self.wait(&[op], Some((&mut *out, &mut *err)));
            if got.remote_errors > 0 {
                self.failed = true;
            }
            self.report(cmdlet, &got.failures, err);
        }
        Ok(Vec::new())
    }
}
