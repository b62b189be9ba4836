//! Invoke-Command, Remove-PSSession and Test-WSMan.

use super::*;

impl Shell {
    pub(super) fn script_text(
        &mut self,
        cmdlet: &str,
        s: &ScriptSource,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<String, CmdError> {
        match s {
            ScriptSource::Block(t) => Ok(t.clone()),
            ScriptSource::Deferred(v) => {
                let objs = self.eval(v, out, err)?;
                Ok(objs.iter().map(obj_text).collect::<Vec<_>>().join("\n"))
            }
            ScriptSource::FilePath(p) => {
                let path = self
                    .arg(
                        cmdlet,
                        "FilePath",
                        &Some(p.clone()),
                        cmdlets::coerce_string,
                        out,
                        err,
                    )?
                    .unwrap_or_default();
                let meta = std::fs::metadata(&path)
                    .map_err(|e| not_found(cmdlet, format!("Cannot find path '{path}': {e}.")))?;
                if meta.len() > MAX_SCRIPT_FILE {
                    return Err(CmdError::new(
                        cmdlet,
                        format!("The script file '{path}' is larger than {MAX_SCRIPT_FILE} bytes."),
                    ));
                }
                std::fs::read_to_string(&path)
                    .map_err(|e| not_found(cmdlet, format!("Cannot read '{path}': {e}.")))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn run_in(
        &mut self,
        cmdlet: &str,
        sessions: &[LocalSession],
        script: &str,
        data: &ScriptArgs,
        disconnected: bool,
        throttle: u32,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Collected {
        let limit = if throttle == 0 { 32 } else { throttle as usize };
        let mut all = Collected::default();
        for chunk in sessions.chunks(limit) {
            let mut ops = Vec::new();
            for s in chunk {
                let op = self.worker.next_op();
                self.worker.send(match data {
                    ScriptArgs {
                        arguments,
                        input: None,
                    } if arguments.is_empty() => Command::Invoke {
                        op,
                        session: s.session_ref(),
                        script: script.to_owned(),
                        in_disconnected_session: disconnected,
                    },
                    ScriptArgs { arguments, input } => Command::InvokeWithData {
                        op,
                        session: s.session_ref(),
                        script: script.to_owned(),
                        arguments: arguments.clone(),
                        input: input.clone(),
                        in_disconnected_session: disconnected,
                    },
                });
                ops.push(op);
            }
            let got = self.wait(&ops, Some((&mut *out, &mut *err)));
            if got.remote_errors > 0 {
                self.failed = true;
            }
            self.report(cmdlet, &got.failures, err);
            all.changed.extend(got.changed);
            all.failures.extend(got.failures);
        }
        all
    }

    pub(super) fn invoke(
        &mut self,
        cmdlet: &str,
        i: &InvokeCommand,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        if i.as_job {
            return Err(CmdError::new(
                cmdlet,
                "baton does not run background jobs (-AsJob): use -InDisconnectedSession, then Receive-PSSession.",
            ));
        }
        let script = self.script_text(cmdlet, &i.script, out, err)?;
        // Input objects for the remote pipeline: -InputObject (one object,
        // an array when given a list, as PowerShell binds it), or what was
        // piped in when it binds to InputObject.
        let values: Option<Vec<ScriptValue>> = match &i.input_object {
            Some(v) => {
                let objs = self.eval(v, out, err)?;
                Some(vec![if matches!(v, Value::List(_)) || objs.len() > 1 {
                    ScriptValue::List(objs.iter().map(obj_to_ps).collect())
                } else {
                    objs.first().map_or(ScriptValue::Null, obj_to_ps)
                }])
            }
            None if i.input_from_pipeline => Some(input.iter().map(obj_to_ps).collect()),
            None => None,
        };
        let arguments = match &i.argument_list {
            Some(v) => self.eval(v, out, err)?.iter().map(obj_to_ps).collect(),
            None => Vec::new(),
        };
        let values = &ScriptArgs {
            arguments,
            input: values,
        };
        match &i.target {
            InvokeTarget::Local => {
                if input.iter().any(|o| matches!(o, Obj::Session(_))) && !i.input_from_pipeline {
                    let sessions = to_sessions(cmdlet, input)?;
                    return self.invoke_sessions(cmdlet, i, &sessions, &script, values, out, err);
                }
                Err(CmdError::new(
                    cmdlet,
                    "baton runs commands on remote computers only: give -Session or -ComputerName.",
                ))
            }
            InvokeTarget::Sessions(v) => {
                let sessions = self.sessions_of(cmdlet, v, out, err)?;
                self.invoke_sessions(cmdlet, i, &sessions, &script, values, out, err)
            }
            InvokeTarget::Remote(conn) => {
                // `Invoke-Command $s {…} -InDisconnectedSession`: PSSession
                // objects given where computer names go run in those sessions.
                if let RemoteTarget::ComputerName {
                    names: Arg::Deferred(v),
                    ..
                } = &conn.target
                {
                    let objs = self.eval(v, out, err)?;
                    if !objs.is_empty() && objs.iter().all(|o| matches!(o, Obj::Session(_))) {
                        let sessions = to_sessions(cmdlet, objs)?;
                        return self
                            .invoke_sessions(cmdlet, i, &sessions, &script, values, out, err);
                    }
                }
                let (computers, p) = self.computers(cmdlet, conn, out, err)?;
                check_option_idle_timeout(cmdlet, p.options.as_ref())?;
                if let Some(name) = configuration_query(&script) {
                    return Ok(self.configurations(cmdlet, computers, &name, err));
                }
                let names = self.arg(
                    cmdlet,
                    "SessionName",
                    &i.session_name,
                    cmdlets::coerce_string_array,
                    out,
                    err,
                )?;
                let idle = p
                    .options
                    .as_ref()
                    .and_then(|o| o.idle_timeout_ms)
                    .filter(|v| *v >= 0)
                    .and_then(|v| u64::try_from(v).ok());
                let items = computers
                    .into_iter()
                    .enumerate()
                    .map(|(k, c)| {
                        let n = names.as_ref().and_then(|n| n.get(k).or(n.first()).cloned());
                        (c, n)
                    })
                    .collect();
                let mode = p
                    .options
                    .as_ref()
                    .and_then(|o| o.output_buffering_mode)
                    .unwrap_or(OutputBufferingMode::None);
                let sessions =
                    self.create_sessions(cmdlet, items, idle, mode, i.throttle_limit, err)?;
                if i.in_disconnected_session {
                    return self.invoke_sessions(cmdlet, i, &sessions, &script, values, out, err);
                }
                self.run_in(
                    cmdlet,
                    &sessions,
                    &script,
                    values,
                    false,
                    i.throttle_limit,
                    out,
                    err,
                );
                // Temporary sessions end with the command, as in PowerShell,
                // whether it succeeded or not.
                let op = self.worker.next_op();
                self.worker.send(Command::Remove {
                    op,
                    sessions: sessions.iter().map(LocalSession::session_ref).collect(),
                    force: false,
                });
                let got = self.wait(&[op], None);
                self.report(cmdlet, &got.failures, err);
                Ok(Vec::new())
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn invoke_sessions(
        &mut self,
        cmdlet: &str,
        i: &InvokeCommand,
        sessions: &[LocalSession],
        script: &str,
        data: &ScriptArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let got = self.run_in(
            cmdlet,
            sessions,
            script,
            data,
            i.in_disconnected_session,
            i.throttle_limit,
            out,
            err,
        );
        if !i.in_disconnected_session {
            return Ok(Vec::new());
        }
        let mut res = Vec::new();
        for s in sessions {
            let k = s.key();
            if let Some(info) = got
                .changed
                .iter()
                .rev()
                .find(|x| (x.computer_name.to_ascii_lowercase(), x.instance_id) == k)
            {
                let mut merged = s.info.clone();
                merge_session(&mut merged, info);
                res.push(Obj::Session(Box::new(self.remember(LocalSession {
                    info: merged,
                    computer: s.computer.clone(),
                }))));
            }
        }
        Ok(res)
    }

    pub(super) fn configurations(
        &mut self,
        cmdlet: &str,
        computers: Vec<ComputerRef>,
        name: &str,
        err: &mut dyn Write,
    ) -> Vec<Obj> {
        let mut ops = Vec::new();
        for c in &computers {
            let op = self.worker.next_op();
            self.worker.send(Command::GetConfiguration {
                op,
                computer: c.clone(),
                configuration_name: name.to_owned(),
            });
            ops.push(op);
        }
        let got = self.wait(&ops, None);
        self.report(cmdlet, &got.failures, err);
        let mut res = Vec::new();
        for c in &computers {
            for (comp, q) in &got.quotas {
                if comp.eq_ignore_ascii_case(&c.name) {
                    let mut props = q.properties.clone();
                    if !props.iter().any(|(k, _)| k == "PSComputerName") {
                        props.push(("PSComputerName".into(), c.name.clone()));
                    }
                    res.push(Obj::Record(props));
                }
            }
        }
        res
    }

    pub(super) fn remove(
        &mut self,
        cmdlet: &str,
        r: &RemovePSSession,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let sessions = self.target_sessions(cmdlet, &r.target, input, out, err)?;
        if !r.what_if && r.confirm == Some(true) {
            // Remove-PSSession's ShouldProcess: operation "Remove", target
            // the computer name (PowerShell's RemovePSSessionCommand).
            let mut all = None;
            let mut kept = Vec::new();
            for s in sessions {
                let target = s.info.computer_name.clone();
                if self.should_process(cmdlet, "Remove", &target, r.confirm, &mut all, err)? {
                    kept.push(s);
                }
            }
            return self.remove_now(cmdlet, kept, r.force, err);
        }
        if r.what_if {
            what_if_sessions("Remove-PSSession", &sessions, out);
            return Ok(Vec::new());
        }
        self.remove_now(cmdlet, sessions, r.force, err)
    }

    pub(super) fn remove_now(
        &mut self,
        cmdlet: &str,
        sessions: Vec<LocalSession>,
        force: bool,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        if sessions.is_empty() {
            return Ok(Vec::new());
        }
        let op = self.worker.next_op();
        self.worker.send(Command::Remove {
            op,
            sessions: sessions.iter().map(LocalSession::session_ref).collect(),
            force,
        });
        let got = self.wait(&[op], None);
        self.report(cmdlet, &got.failures, err);
        Ok(Vec::new())
    }

    pub(super) fn test_wsman(
        &mut self,
        cmdlet: &str,
        w: &WsmanConnection,
        remember: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let name = self.arg(
            cmdlet,
            "ComputerName",
            &w.computer_name,
            cmdlets::coerce_string,
            out,
            err,
        )?;
        let uri = self.arg(
            cmdlet,
            "ConnectionURI",
            &w.connection_uri,
            cmdlets::coerce_string,
            out,
            err,
        )?;
        let port = self.arg(cmdlet, "Port", &w.port, cmdlets::coerce_int, out, err)?;
        let app = self.arg(
            cmdlet,
            "ApplicationName",
            &w.application_name,
            cmdlets::coerce_string,
            out,
            err,
        )?;
        let thumb = self.arg(
            cmdlet,
            "CertificateThumbprint",
            &w.certificate_thumbprint,
            cmdlets::coerce_string,
            out,
            err,
        )?;
        let options = self.options_of(cmdlet, &w.session_option, out, err)?;
        let user = self.credential_user(cmdlet, &w.credential, out, err)?;
        let proxy_user = self.proxy_user(cmdlet, &options, out, err)?;
        let wsman_auth = self.arg(
            cmdlet,
            "Authentication",
            &w.authentication,
            cmdlets::coerce_wsman_authentication,
            out,
            err,
        )?;
        // Without -Credential and -Authentication (or with -Authentication
        // None), Test-WSMan sends PowerShell's anonymous Identify.
        let anonymous = !remember
            && matches!(wsman_auth, None | Some(cmdlets::WsmanAuthentication::None))
            && user.is_none();
        let authentication = match wsman_auth {
            None
            | Some(cmdlets::WsmanAuthentication::None | cmdlets::WsmanAuthentication::Default) => {
                None
            }
            Some(cmdlets::WsmanAuthentication::Basic) => Some(AuthMechanism::Basic),
            Some(cmdlets::WsmanAuthentication::Negotiate) => Some(AuthMechanism::Negotiate),
            Some(cmdlets::WsmanAuthentication::Kerberos) => Some(AuthMechanism::Kerberos),
            Some(cmdlets::WsmanAuthentication::Credssp) => Some(AuthMechanism::Credssp),
            Some(cmdlets::WsmanAuthentication::Digest) => Some(AuthMechanism::Digest),
            Some(cmdlets::WsmanAuthentication::ClientCertificate) => None,
        };
        let p = ConnParams {
            port: port.and_then(|x| u16::try_from(x).ok()),
            use_ssl: w.use_ssl,
            application_name: app,
            certificate_thumbprint: thumb,
            authentication,
            options,
            user,
            proxy_user,
            ..ConnParams::default()
        };
        let target = name
            .clone()
            .or_else(|| uri.as_deref().and_then(uri_host))
            .unwrap_or_else(|| "localhost".into());
        let c = self.computer_ref(cmdlet, &target, uri.as_deref(), &p)?;
        let op = self.worker.next_op();
        self.worker.send(if remember {
            Command::ConnectWsman {
                op,
                computer: c.clone(),
            }
        } else {
            Command::TestConnection {
                op,
                computer: c.clone(),
                anonymous,
            }
        });
        let got = self.wait(&[op], None);
        if let Some(f) = got.failures.first() {
            let mut e = CmdError::from_user(cmdlet, "", f);
            e.category = "InvalidOperation";
            e.reason = "InvalidOperationException";
            e.error_id = "WsManError".into();
            return Err(e);
        }
        if remember {
            self.wsman
                .insert(target.to_ascii_lowercase(), c.name.clone());
            self.wsman
                .insert(c.name.to_ascii_lowercase(), c.name.clone());
            return Ok(Vec::new());
        }
        Ok(got
            .identified
            .into_iter()
            .map(|(_, vendor, version, protocol)| {
                Obj::Record(vec![
                    ("wsmid".into(), WSMID.into()),
                    ("ProtocolVersion".into(), protocol),
                    ("ProductVendor".into(), vendor),
                    ("ProductVersion".into(), version),
                ])
            })
            .collect())
    }
}

/// `Get-PSSessionConfiguration [-Name] <name>` as the whole remote script:
/// the configuration's name (default `Microsoft.PowerShell`).
pub(super) fn configuration_query(script: &str) -> Option<String> {
    let stmts = crate::cli::parse_line(script.trim()).ok()?;
    let [st] = stmts.as_slice() else {
        return None;
    };
    let [cmd] = st.commands.as_slice() else {
        return None;
    };
    match &cmd.invocation {
        Invocation::GetPSSessionConfiguration(g) => Some(match &g.name {
            Some(Arg::Value(n)) => n.first().cloned().unwrap_or_default(),
            _ => "Microsoft.PowerShell".into(),
        }),
        _ => None,
    }
}
