//! Computers and credentials: connection settings from profiles and
//! session options, passwords (saved, environment, prompt), -Confirm.

use super::*;

impl Shell {
    pub(super) fn options_of(
        &mut self,
        command: &str,
        o: &Option<SessionOptionArg>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Option<SessionOptions>, CmdError> {
        match o {
            None => Ok(None),
            Some(SessionOptionArg::Options(o)) => Ok(Some((**o).clone())),
            Some(SessionOptionArg::Deferred(v)) => {
                let objs = self.eval(v, out, err)?;
                match objs.into_iter().next() {
                    Some(Obj::Options(o)) => Ok(Some(*o)),
                    Some(other) => Err(bind_error(
                        command,
                        format!(
                            "Cannot bind parameter 'SessionOption'. Cannot convert the \"{}\" value of type \"System.String\" to type \"System.Management.Automation.Remoting.PSSessionOption\".",
                            obj_text(&other)
                        ),
                    )),
                    None => Err(bind_error(
                        command,
                        "Cannot bind argument to parameter 'SessionOption' because it is null."
                            .into(),
                    )),
                }
            }
        }
    }

    pub(super) fn credential_user(
        &mut self,
        command: &str,
        c: &Option<CredentialArg>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Option<String>, CmdError> {
        match c {
            None => Ok(None),
            Some(CredentialArg::UserName(u)) => Ok(Some(u.clone())),
            Some(CredentialArg::Deferred(v)) => {
                let objs = self.eval(v, out, err)?;
                match objs.first() {
                    Some(o) => Ok(Some(obj_text(o))),
                    None => Err(bind_error(
                        command,
                        "Cannot bind argument to parameter 'Credential' because it is null.".into(),
                    )),
                }
            }
        }
    }

    /// The user of `-ProxyCredential` in the session option, if any.
    pub(super) fn proxy_user(
        &mut self,
        command: &str,
        options: &Option<SessionOptions>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Option<String>, CmdError> {
        let arg = options.as_ref().and_then(|o| o.proxy_credential.clone());
        self.credential_user(command, &arg, out, err)
    }

    /// ShouldProcess with `-Confirm`: asks on the terminal, in PowerShell's
    /// words, whether to perform `operation` on `target`. `all` keeps a
    /// "Yes to All"/"No to All" for the rest of the command. Without a
    /// terminal to ask on it refuses: it never goes ahead unasked.
    pub(super) fn should_process(
        &mut self,
        cmdlet: &str,
        operation: &str,
        target: &str,
        confirm: Option<bool>,
        all: &mut Option<bool>,
        err: &mut dyn Write,
    ) -> Result<bool, CmdError> {
        if confirm != Some(true) {
            return Ok(true);
        }
        if let Some(v) = *all {
            return Ok(v);
        }
        loop {
            let _ = err
                .write_all(format!("\n{}", format::confirm_prompt(operation, target)).as_bytes());
            let _ = err.flush();
            let answer = match &mut self.host_answers {
                Some(q) => q.pop_front(),
                None if matches!(self.passwords, Passwords::Environment)
                    && std::io::stdin().is_terminal() =>
                {
                    read_terminal_line(self.ending.as_ref())
                }
                None => None,
            };
            let Some(answer) = answer else {
                let _ = writeln!(err);
                return Err(CmdError::new(
                    cmdlet,
                    format!(
                        "{cmdlet} -Confirm must ask before it performs the operation \"{operation}\" on target \"{target}\", and there is no terminal to ask on; nothing was done. Run it in a terminal, or leave out -Confirm."
                    ),
                )
                .classified("InvalidOperation", "HostException", "HostException"));
            };
            match answer.trim().to_ascii_lowercase().as_str() {
                "" | "y" | "yes" => return Ok(true),
                "a" => {
                    *all = Some(true);
                    return Ok(true);
                }
                "n" | "no" => return Ok(false),
                "l" => {
                    *all = Some(false);
                    return Ok(false);
                }
                "?" => {
                    let _ = err.write_all(
                        b"Y - Continue with only the next step of the operation.\nA - Continue with all the steps of the operation.\nN - Skip this operation and proceed with the next operation.\nL - Skip this operation and all subsequent operations.\n",
                    );
                }
                _ => {}
            }
        }
    }

    /// The sessions `-Confirm` lets through (all of them without it).
    pub(super) fn confirmed(
        &mut self,
        cmdlet: &str,
        operation: &str,
        sessions: Vec<LocalSession>,
        confirm: Option<bool>,
        err: &mut dyn Write,
    ) -> Result<Vec<LocalSession>, CmdError> {
        let mut all = None;
        let mut kept = Vec::new();
        for s in sessions {
            if self.should_process(
                cmdlet,
                operation,
                &session_target(&s),
                confirm,
                &mut all,
                err,
            )? {
                kept.push(s);
            }
        }
        Ok(kept)
    }

    /// The saved credential of `user` (case-insensitive), by entry id.
    pub(super) fn saved_entry(&self, user: &str) -> Option<String> {
        self.saved
            .iter()
            .find(|(_, u)| u.eq_ignore_ascii_case(user))
            .map(|(id, _)| id.clone())
    }

    /// The credentials saved in the store (entry id, user), looked up by
    /// user name for `-Credential DOMAIN\user` before `BATON_PASSWORD`.
    pub fn set_saved_credentials(&mut self, saved: Vec<(String, String)>) {
        self.saved = saved;
    }

    pub(super) fn password_for(
        &mut self,
        command: &str,
        user: &str,
    ) -> Result<Credential, CmdError> {
        self.password_from(command, user, "BATON_PASSWORD", "")
    }

    /// The password of a `-ProxyCredential` user: `BATON_PROXY_PASSWORD`,
    /// else a prompt on the terminal.
    pub(super) fn proxy_password_for(
        &mut self,
        command: &str,
        user: &str,
    ) -> Result<Credential, CmdError> {
        self.password_from(command, user, "BATON_PROXY_PASSWORD", "proxy user ")
    }

    pub(super) fn password_from(
        &mut self,
        command: &str,
        user: &str,
        variable: &str,
        kind: &str,
    ) -> Result<Credential, CmdError> {
        let k = format!("{kind}{}", user.to_ascii_lowercase());
        if let Some(c) = self.prompted.get(&k) {
            return Ok(c.clone());
        }
        let pw = match &self.passwords {
            Passwords::Given(list) => list
                .iter()
                .find(|(u, _)| u.eq_ignore_ascii_case(user))
                .map(|(_, p)| p.clone()),
            Passwords::Environment => match std::env::var(variable) {
                Ok(p) if !p.is_empty() => Some(p),
                _ => prompt_password(
                    &format!("{}{user}", if kind.is_empty() { "user " } else { kind }),
                    self.ending.as_ref(),
                ),
            },
        };
        match pw {
            Some(p) => {
                let c = Credential::new(user, p);
                self.prompted.insert(k, c.clone());
                Ok(c)
            }
            None => Err(CmdError {
                command: command.to_owned(),
                message: if self.is_ending() {
                    format!(
                        "baton is ending (a signal arrived at the prompt): no password for {kind}{user} was taken, and nothing was sent."
                    )
                } else {
                    format!(
                        "No password for {kind}{user}: set the {variable} environment variable, or run baton in a terminal to be asked for it (a password is never taken from the command line)."
                    )
                },
                category: "InvalidArgument",
                target: ":".into(),
                reason: "PSArgumentException",
                error_id: "CredentialUnavailable".into(),
            }),
        }
    }

    /// `-ComputerName name` with the connection parameters given, as a worker `ComputerRef`.
    pub(super) fn computer_ref(
        &mut self,
        command: &str,
        name: &str,
        uri: Option<&str>,
        conn: &ConnParams,
    ) -> Result<ComputerRef, CmdError> {
        let resolved = store::resolve::computer(&self.profiles, name);
        let mut spec = resolved.spec.clone();
        spec.allow_redirection |= conn.allow_redirection;
        if let Some(u) = uri {
            spec.connection_uri = Some(u.to_owned());
            if let Some(host) = uri_host(u) {
                spec.computer_name = host;
            }
        }
        if conn.use_ssl {
            spec.scheme = "https".into();
            if conn.port.is_none() && spec.port == 5985 {
                spec.port = 5986;
            }
        }
        if let Some(p) = conn.port {
            spec.port = p;
        }
        if let Some(a) = &conn.application_name {
            spec.app_name = a.trim_start_matches('/').to_owned();
        }
        if let Some(c) = &conn.configuration_name {
            spec.configuration_name = c.clone();
        }
        if let Some(a) = conn.authentication {
            spec.authentication = a;
        }
        if let Some(t) = &conn.certificate_thumbprint {
            spec.certificate_thumbprint = Some(t.clone());
        }
        if let Some(o) = &conn.options {
            apply_options(&mut spec, o);
        }
        let credential = match (&conn.user, &resolved.credential) {
            (Some(u), Some(r)) if r.user.eq_ignore_ascii_case(u) && r.entry.is_some() => {
                CredentialChoice::Saved {
                    entry_id: r.entry.clone().unwrap_or_default(),
                    user: r.user.clone(),
                }
            }
            // A password saved for this user (`baton credential add`) comes
            // before BATON_PASSWORD and the prompt.
            (Some(u), _) => match self.saved_entry(u) {
                Some(entry_id) => CredentialChoice::Saved {
                    entry_id,
                    user: u.clone(),
                },
                None => CredentialChoice::Once(self.password_for(command, u)?),
            },
            (None, Some(r)) => match &r.entry {
                Some(e) => CredentialChoice::Saved {
                    entry_id: e.clone(),
                    user: r.user.clone(),
                },
                None => CredentialChoice::Once(self.password_for(command, &r.user.clone())?),
            },
            (None, None) => {
                // No credential anywhere: the current user, where Baton can
                // sign them in; elsewhere say so before anything is sent.
                crate::model::rules::single_sign_on(self.platform).map_err(|why| {
                    CmdError::new(command, why).classified(
                        "InvalidArgument",
                        "PSArgumentException",
                        "ImplicitCredentialUnavailable",
                    )
                })?;
                CredentialChoice::Implicit
            }
        };
        // -ProxyCredential: the saved entry when the profile's proxy
        // credential names the same user, else a password as for -Credential.
        let proxy_credential = match (&conn.proxy_user, &resolved.proxy_credential) {
            (Some(u), Some(r)) if r.user.eq_ignore_ascii_case(u) && r.entry.is_some() => {
                Some(CredentialChoice::Saved {
                    entry_id: r.entry.clone().unwrap_or_default(),
                    user: r.user.clone(),
                })
            }
            (Some(u), _) => {
                spec.proxy_user = Some(u.clone());
                Some(CredentialChoice::Once(self.proxy_password_for(command, u)?))
            }
            (None, Some(r)) => match &r.entry {
                Some(e) => Some(CredentialChoice::Saved {
                    entry_id: e.clone(),
                    user: r.user.clone(),
                }),
                None => Some(CredentialChoice::Once(
                    self.proxy_password_for(command, &r.user.clone())?,
                )),
            },
            (None, None) => None,
        };
        let shown = if uri.is_some() && resolved.group_path.is_empty() {
            spec.computer_name.clone()
        } else {
            resolved.name.clone()
        };
        Ok(ComputerRef::new(&shown, spec, credential).with_proxy_credential(proxy_credential))
    }

    pub(super) fn conn_params(
        &mut self,
        command: &str,
        c: &RemoteConnection,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<(Targets, ConnParams), CmdError> {
        let mut p = ConnParams {
            configuration_name: self.arg(
                command,
                "ConfigurationName",
                &c.configuration_name,
                cmdlets::coerce_string,
                out,
                err,
            )?,
            authentication: self
                .arg(
                    command,
                    "Authentication",
                    &c.authentication,
                    cmdlets::coerce_authentication,
                    out,
                    err,
                )?
                .and_then(|a| AuthMechanism::parse(&format!("{a:?}"))),
            certificate_thumbprint: self.arg(
                command,
                "CertificateThumbprint",
                &c.certificate_thumbprint,
                cmdlets::coerce_string,
                out,
                err,
            )?,
            options: self.options_of(command, &c.session_option, out, err)?,
            user: self.credential_user(command, &c.credential, out, err)?,
            ..ConnParams::default()
        };
        p.proxy_user = self.proxy_user(command, &p.options, out, err)?;
        let targets = match &c.target {
            RemoteTarget::ComputerName {
                names,
                port,
                use_ssl,
                application_name,
            } => {
                let port = self.arg(command, "Port", port, cmdlets::coerce_int, out, err)?;
                p.port = port.and_then(|x| u16::try_from(x).ok());
                p.use_ssl = *use_ssl;
                p.application_name = self.arg(
                    command,
                    "ApplicationName",
                    application_name,
                    cmdlets::coerce_string,
                    out,
                    err,
                )?;
                self.arg(
                    command,
                    "ComputerName",
                    &Some(names.clone()),
                    cmdlets::coerce_string_array,
                    out,
                    err,
                )?
                .unwrap_or_default()
                .into_iter()
                .map(|n| (n, None))
                .collect()
            }
            RemoteTarget::ConnectionUri {
                uris,
                allow_redirection,
            } => {
                p.allow_redirection = *allow_redirection;
                self.arg(
                    command,
                    "ConnectionUri",
                    &Some(uris.clone()),
                    cmdlets::coerce_string_array,
                    out,
                    err,
                )?
                .unwrap_or_default()
                .into_iter()
                .map(|u| (uri_host(&u).unwrap_or_else(|| u.clone()), Some(u)))
                .collect()
            }
        };
        Ok((targets, p))
    }

    pub(super) fn computers(
        &mut self,
        command: &str,
        c: &RemoteConnection,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<(Vec<ComputerRef>, ConnParams), CmdError> {
        let (targets, p) = self.conn_params(command, c, out, err)?;
        let mut refs = Vec::new();
        for (name, uri) in targets {
            refs.push(self.computer_ref(command, &name, uri.as_deref(), &p)?);
        }
        Ok((refs, p))
    }

    pub(super) fn remember(&mut self, s: LocalSession) -> LocalSession {
        self.known.upsert(&s.info);
        let k = s.key();
        if let Some(r) = self.repo.iter_mut().find(|r| r.key() == k) {
            r.info = s.info.clone();
            r.computer = s.computer.clone();
            r.clone()
        } else {
            self.repo.push(s.clone());
            s
        }
    }

    pub(super) fn report(&mut self, command: &str, failures: &[UserError], err: &mut dyn Write) {
        for f in failures {
            // "Cannot <verb> <session> on <computer>" names the session.
            let words: Vec<&str> = f.summary.split_whitespace().collect();
            let target = match words.as_slice() {
                ["Cannot", _, name, "on", _] => *name,
                _ => "",
            };
            let e = CmdError::from_user(command, target, f);
            self.print_error(&e, err);
        }
    }
}

/// How a session is named as the target of -WhatIf and -Confirm.
pub(super) fn session_target(s: &LocalSession) -> String {
    format!(
        "Name: {}, ComputerName: {}",
        s.info.name, s.info.computer_name
    )
}

/// The -WhatIf lines of `operation` on each of `sessions`.
pub(super) fn what_if_sessions(operation: &str, sessions: &[LocalSession], out: &mut dyn Write) {
    for s in sessions {
        let _ = out.write_all(format::what_if_line(operation, &session_target(s)).as_bytes());
    }
}

/// A session option's IdleTimeout, checked as PowerShell's New-PSSession and
/// Invoke-Command do before anything is sent ([`crate::model::rules`]).
pub(super) fn check_option_idle_timeout(
    cmdlet: &str,
    o: Option<&SessionOptions>,
) -> Result<(), CmdError> {
    let Some(ms) = o.and_then(|o| o.idle_timeout_ms) else {
        return Ok(());
    };
    crate::model::rules::check_option_idle_timeout(i64::from(ms)).map_err(|message| {
        CmdError::new(cmdlet, message).classified(
            "InvalidArgument",
            "PSArgumentException",
            "Argument",
        )
    })
}

pub(super) fn apply_options(spec: &mut ConnectionSpec, o: &SessionOptions) {
    let pos = |v: Option<i32>| v.filter(|x| *x >= 0).and_then(|x| u64::try_from(x).ok());
    if let Some(v) = o.maximum_redirection.and_then(|x| u32::try_from(x).ok()) {
        spec.maximum_connection_redirection_count = v;
    }
    if o.no_compression {
        spec.use_compression = false;
    }
    if o.no_machine_profile {
        spec.no_machine_profile = true;
    }
    if let Some(c) = &o.culture {
        spec.culture = c.clone();
    }
    if let Some(c) = &o.ui_culture {
        spec.ui_culture = c.clone();
    }
    if let Some(v) = pos(o.maximum_received_data_size_per_command) {
        spec.maximum_received_data_size_per_command = Some(v);
    }
    if let Some(v) = pos(o.maximum_received_object_size) {
        spec.maximum_received_object_size = Some(v);
    }
    if let Some(m) = o.output_buffering_mode {
        spec.output_buffering_mode = m;
    }
    if let Some(v) = pos(o.open_timeout_ms) {
        spec.open_timeout_ms = v;
    }
    if let Some(v) = pos(o.cancel_timeout_ms) {
        spec.cancel_timeout_ms = v;
    }
    if let Some(v) = pos(o.operation_timeout_ms) {
        spec.operation_timeout_ms = v;
    }
    // The idle timeout goes with each New-PSSession (the worker keeps one
    // connection per computer and user, so it must not stick to the spec).
    if let Some(a) = o.proxy_access_type {
        spec.proxy_access_type = a;
    }
    if let Some(a) = o
        .proxy_authentication
        .and_then(|a| AuthMechanism::parse(&format!("{a:?}")))
    {
        spec.proxy_authentication = a;
    }
    spec.skip_ca_check |= o.skip_ca_check;
    spec.skip_cn_check |= o.skip_cn_check;
    spec.skip_revocation_check |= o.skip_revocation_check;
    spec.no_encryption |= o.no_encryption;
    spec.use_utf16 |= o.use_utf16;
    spec.include_port_in_spn |= o.include_port_in_spn;
}

pub(super) fn options_properties(o: &SessionOptions) -> Vec<(String, String)> {
    let ms = |v: Option<i32>, d: &str| v.map_or_else(|| d.into(), |x| x.to_string());
    vec![
        (
            "MaximumConnectionRedirectionCount".into(),
            ms(o.maximum_redirection, "5"),
        ),
        ("NoCompression".into(), tf(o.no_compression)),
        ("NoMachineProfile".into(), tf(o.no_machine_profile)),
        (
            "ProxyAccessType".into(),
            o.proxy_access_type
                .map_or_else(|| "None".into(), |p| format!("{p:?}")),
        ),
        ("SkipCACheck".into(), tf(o.skip_ca_check)),
        ("SkipCNCheck".into(), tf(o.skip_cn_check)),
        ("SkipRevocationCheck".into(), tf(o.skip_revocation_check)),
        (
            "OperationTimeout".into(),
            ms_span(o.operation_timeout_ms, 180_000),
        ),
        ("NoEncryption".into(), tf(o.no_encryption)),
        ("UseUTF16".into(), tf(o.use_utf16)),
        ("IncludePortInSPN".into(), tf(o.include_port_in_spn)),
        (
            "OutputBufferingMode".into(),
            o.output_buffering_mode
                .map_or_else(|| "None".into(), |m| format!("{m:?}")),
        ),
        ("Culture".into(), o.culture.clone().unwrap_or_default()),
        ("UICulture".into(), o.ui_culture.clone().unwrap_or_default()),
        ("OpenTimeout".into(), ms_span(o.open_timeout_ms, 180_000)),
        ("CancelTimeout".into(), ms_span(o.cancel_timeout_ms, 60_000)),
        (
            "IdleTimeout".into(),
            match o.idle_timeout_ms {
                Some(v) if v >= 0 => ms_span(Some(v), 0),
                _ => "-00:00:00.0010000".into(),
            },
        ),
    ]
}

pub(super) fn tf(b: bool) -> String {
    if b { "True" } else { "False" }.into()
}

/// A millisecond count as .NET prints a TimeSpan (`00:03:00`, `2.00:00:00`).
pub(super) fn ms_span(v: Option<i32>, default: i64) -> String {
    crate::pslang::format_timespan_ms(v.map_or(default, i64::from).max(0))
}

/// The host of a URI (`http://srv1:5985/wsman` → `srv1`).
pub(super) fn uri_host(u: &str) -> Option<String> {
    let rest = u.split_once("://").map_or(u, |(_, r)| r);
    let authority = rest.split('/').next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| h.trim_start_matches('['))?
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_owned())
}

/// A secret is being read with echo off on a thread that may be given up
/// (see [`interruptible`]); the console restores echo before it exits.
static SECRET_READ_PENDING: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Runs a blocking read of the terminal on a thread of its own and waits for
/// it, but gives up when the process must end (SIGTERM, SIGHUP: `ending`
/// set), so that a signal at a prompt is never ignored: the caller goes on
/// to hand the sessions back. One mechanism for every prompt (passwords,
/// -Confirm, remote Read-Host).
pub(super) fn interruptible<T: Send + 'static>(
    ending: Option<&Arc<std::sync::atomic::AtomicI32>>,
    secret: bool,
    read: impl FnOnce() -> Option<T> + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    if secret {
        SECRET_READ_PENDING.store(true, Ordering::SeqCst);
    }
    let _ = std::thread::Builder::new()
        .name("baton-prompt".into())
        .spawn(move || {
            let got = read();
            if secret {
                SECRET_READ_PENDING.store(false, Ordering::SeqCst);
            }
            let _ = tx.send(got);
        });
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(v) => return v,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return None,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if ending.is_some_and(|f| f.load(Ordering::SeqCst) != 0) {
                    let _ = writeln!(std::io::stderr());
                    return None;
                }
            }
        }
    }
}

/// Turns terminal echo back on when a secret read was given up halfway (a
/// signal during a password prompt): the terminal is left as it was found.
pub fn restore_terminal() {
    #[cfg(unix)]
    if SECRET_READ_PENDING.load(Ordering::SeqCst)
        && let Ok(tty) = std::fs::File::open("/dev/tty")
    {
        // No environment: the child inherits no password variable.
        let _ = std::process::Command::new("stty")
            .arg("echo")
            .env_clear()
            .stdin(tty)
            .status();
    }
}

/// Asks on the terminal for the password of `whom` (`user DOMAIN\name`,
/// `proxy user name`) without echo, on every platform, and restores the
/// terminal however the read ends; None when stdin is not a terminal or
/// the process is ending.
pub(super) fn prompt_password(
    whom: &str,
    ending: Option<&Arc<std::sync::atomic::AtomicI32>>,
) -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    let prompt = format!("Password for {whom}: ");
    let pw = zeroize::Zeroizing::new(interruptible(ending, true, move || {
        rpassword::prompt_password(prompt).ok()
    })?);
    (!pw.is_empty()).then(|| pw.to_string())
}

/// How a remote `Read-Host` asks on the terminal: labelled with the
/// computer it comes from, so that a server cannot pass its prompt off as
/// Baton's own (`Password for user …:`), and made terminal-safe.
pub(super) fn remote_prompt(computer: &str, prompt: &str) -> String {
    format!(
        "[{computer}] Read-Host: {}: ",
        crate::cli::format::terminal_safe(prompt)
    )
}

/// Reads one line for a remote `Read-Host` from the terminal (without echo
/// for secure strings); None when stdin is not a terminal or the process is
/// ending.
pub(super) fn read_host(
    computer: &str,
    prompt: &str,
    secure: bool,
    ending: Option<&Arc<std::sync::atomic::AtomicI32>>,
) -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    let shown = remote_prompt(computer, prompt);
    if secure {
        let answer = zeroize::Zeroizing::new(interruptible(ending, true, move || {
            rpassword::prompt_password(shown).ok()
        })?);
        return Some(answer.to_string());
    }
    let mut err = std::io::stderr();
    let _ = write!(err, "{shown}");
    let _ = err.flush();
    read_terminal_line(ending)
}

/// One line typed on the terminal, without its line end.
pub(super) fn read_terminal_line(
    ending: Option<&Arc<std::sync::atomic::AtomicI32>>,
) -> Option<String> {
    interruptible(ending, false, || {
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(n) if n > 0 => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
            _ => None,
        }
    })
}
