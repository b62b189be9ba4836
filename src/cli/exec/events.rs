//! Waiting for the worker: its events, the end of each action, remote
//! prompts, and printing remote output as PowerShell does.

use super::*;

impl Shell {
    pub(super) fn drain_events(&mut self) {
        for e in self.worker.drain() {
            self.absorb(&e);
        }
    }

    /// Keeps the repository in step with what the worker reports, through
    /// the fold the console uses too ([`KnownSessions`]): a session of the
    /// repository takes what the fold knows of it, and leaves the
    /// repository when the fold drops it (removed, gone, closed at exit).
    /// Listings are read by the cmdlets that asked for them.
    pub(super) fn absorb(&mut self, e: &Event) {
        if matches!(e, Event::SessionsListed { .. }) {
            return;
        }
        match self.known.apply(e) {
            Change::Updated {
                computer,
                instance_id,
            } => {
                let k = (computer.to_ascii_lowercase(), instance_id);
                if let (Some(s), Some(info)) = (
                    self.repo.iter_mut().find(|s| s.key() == k),
                    self.known.get(&computer, instance_id),
                ) {
                    s.info = info.clone();
                }
            }
            Change::Removed {
                computer,
                instance_id,
                ..
            } => {
                let k = (computer.to_ascii_lowercase(), instance_id);
                self.repo.retain(|s| s.key() != k);
            }
            Change::Listed { .. } | Change::None => {}
        }
    }

    /// Waits until every action in `ops` has ended (each ends with exactly
    /// one terminal event); streams command output when `stream` is given.
    /// Ctrl+C while commands run: asks the worker to stop each (as
    /// PowerShell's Ctrl+C does) and returns how long to wait for them, the
    /// longest CancelTimeout of their connections and at least
    /// [`STOP_GRACE_MIN`].
    fn stop_running(&self, running: &HashMap<Uuid, (String, Uuid)>) -> Duration {
        let mut grace = STOP_GRACE_MIN;
        for (command_id, (computer, instance_id)) in running {
            let k = (computer.to_ascii_lowercase(), *instance_id);
            if let Some(s) = self.repo.iter().find(|s| s.key() == k) {
                let cancel = s.computer.spec.cancel_timeout_ms;
                grace = grace.max(Duration::from_millis(cancel));
                let op = self.worker.next_op();
                self.worker.send(Command::StopCommand {
                    op,
                    session: s.session_ref(),
                    command_id: *command_id,
                });
            }
        }
        grace
    }

    /// Cancels every action still open.
    fn cancel_all(&self, open: &std::collections::HashSet<OpId>) {
        for op in open {
            self.worker.send(Command::Cancel { op: *op });
        }
    }

    /// After Ctrl+C, until `until`: takes the stopped commands' endings
    /// without showing them. True when the wait is over (what is still open
    /// is cancelled).
    fn drain_stopped(
        &mut self,
        until: Instant,
        open: &mut std::collections::HashSet<OpId>,
    ) -> bool {
        if Instant::now() >= until {
            self.cancel_all(open);
            return true;
        }
        if let Some(ev) = self.worker.recv_timeout(Duration::from_millis(50)) {
            self.absorb(&ev);
            if ev.is_terminal()
                && let Some(op) = ev.op()
            {
                open.remove(&op);
            }
        }
        false
    }

    /// The failure of an action the worker said nothing about for too long.
    fn no_answer(&self) -> UserError {
        UserError {
            summary: "No answer".into(),
            detail: format!(
                "The worker reported nothing for {} seconds; the action was abandoned.",
                self.silence_limit.as_secs()
            ),
            advice: None,
            error_id: Some("OperationTimeout".into()),
        }
    }

    pub(super) fn wait(
        &mut self,
        ops: &[OpId],
        mut stream: Option<(&mut dyn Write, &mut dyn Write)>,
    ) -> Collected {
        let mut c = Collected::default();
        self.views.reset();
        let mut open: std::collections::HashSet<OpId> = ops.iter().copied().collect();
        // Actions whose failed parts were reported: their terminal failure
        // only sums those up, and is not printed again.
        let mut had_parts: std::collections::HashSet<OpId> = Default::default();
        let mut last = Instant::now();
        // Commands that produced output and have not finished (for Ctrl+C).
        let mut running: HashMap<Uuid, (String, Uuid)> = HashMap::new();
        // Set by Ctrl+C: until then, the stopped commands are drained (their
        // "pipeline has been stopped" endings are not news to the user, and
        // must not leak into the next line's output).
        let mut stopping_until: Option<Instant> = None;
        while !open.is_empty() {
            if self.is_ending() {
                // The process is ending (SIGTERM, SIGHUP): stop waiting;
                // whatever runs goes on, and the sessions are handed back.
                self.failed = true;
                self.cancel_all(&open);
                break;
            }
            if let Some(until) = stopping_until {
                if self.drain_stopped(until, &mut open) {
                    break;
                }
                continue;
            }
            let left = self.silence_limit.saturating_sub(last.elapsed());
            let slice = left.min(Duration::from_millis(200));
            let got = self.worker.recv_timeout(slice);
            if self
                .interrupt
                .as_ref()
                .is_some_and(|f| f.swap(false, Ordering::SeqCst))
            {
                // Ctrl+C: stop the remote commands and wait (briefly) for them
                // to end; actions with nothing running are cancelled at once.
                self.failed = true;
                if !running.is_empty() {
                    stopping_until = Some(Instant::now() + self.stop_running(&running));
                    continue;
                }
                self.cancel_all(&open);
                break;
            }
            let Some(ev) = got else {
                if !left.is_zero() && slice < left {
                    continue;
                }
                c.failures.push(self.no_answer());
                self.cancel_all(&open);
                break;
            };
            last = Instant::now();
            self.absorb(&ev);
            match ev {
                Event::OpFinished { op, .. } => {
                    open.remove(&op);
                    self.answering.remove(&op);
                    if let Some((session, command_id)) = self.stopping.remove(&op) {
                        self.send_answer(session, command_id, String::new(), true);
                    }
                }
                Event::OpCancelled { op } => {
                    open.remove(&op);
                    self.answering.remove(&op);
                    self.stopping.remove(&op);
                }
                Event::OpFailed { op, error } => {
                    if let Some(wake) = self.answering.remove(&op) {
                        if !wake {
                            c.failures.push(error);
                        }
                        continue;
                    }
                    self.stopping.remove(&op);
                    if open.remove(&op) {
                        if !had_parts.contains(&op) {
                            c.failures.push(error);
                        }
                    } else if stream.is_some() {
                        c.failures.push(error);
                    }
                }
                Event::PartFailed { op, error, .. } if open.contains(&op) => {
                    had_parts.insert(op);
                    c.failures.push(error);
                }
                Event::SessionsListed {
                    op,
                    computer,
                    sessions,
                } if open.contains(&op) => c.listed.push((computer, sessions)),
                Event::SessionChanged(info) => c.changed.push(info),
                Event::SessionGone {
                    computer,
                    instance_id,
                    ..
                } => c.gone.push((computer, instance_id)),
                Event::ComputerIdentified {
                    op,
                    computer,
                    product_vendor,
                    product_version,
                    protocol_version,
                } if open.contains(&op) => {
                    c.identified.push((
                        computer,
                        product_vendor,
                        product_version,
                        protocol_version,
                    ));
                }
                Event::Configuration {
                    op,
                    computer,
                    quotas,
                } if open.contains(&op) => c.quotas.push((computer, quotas)),
                Event::PromptRequested {
                    computer,
                    instance_id,
                    command_id,
                    prompt,
                    secure,
                } => {
                    if let Some(f) =
                        self.answer_prompt(&computer, instance_id, command_id, &prompt, secure)
                    {
                        c.failures.push(f);
                    }
                }
                Event::Warning { message, .. } => self.warn(&message, &mut stream),
                Event::CommandFinished { command_id, .. } => {
                    running.remove(&command_id);
                    self.progress.command_ended(command_id);
                    self.redraw_progress(&mut stream);
                }
                Event::Output {
                    computer,
                    instance_id,
                    command_id,
                    items,
                } => {
                    running.insert(command_id, (computer.clone(), instance_id));
                    if let Some((out, err)) = stream.as_mut() {
                        for item in &items {
                            if self.print_item(&computer, command_id, item, &mut **out, &mut **err)
                            {
                                c.remote_errors += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        // Whatever ended the wait, no bar outlives it.
        self.progress.clear_all();
        self.redraw_progress(&mut stream);
        c
    }

    /// A WARNING line: printed now when there is a stream, else when the
    /// statement is done.
    fn warn(&mut self, message: &str, stream: &mut Option<(&mut dyn Write, &mut dyn Write)>) {
        let line = format!("WARNING: {}\n", format::terminal_safe(message));
        match stream.as_mut() {
            Some((_, err)) => {
                let _ = err.write_all(line.as_bytes());
            }
            None => self.pending_warnings.push(line),
        }
    }

    fn redraw_progress(&mut self, stream: &mut Option<(&mut dyn Write, &mut dyn Write)>) {
        if let Some((_, err)) = stream.as_mut() {
            self.progress.draw(&mut **err);
        }
    }

    /// Answers a remote `Read-Host` from the given answers or the terminal;
    /// without either, stops the command and says why.
    pub(super) fn answer_prompt(
        &mut self,
        computer: &str,
        instance_id: Uuid,
        command_id: Uuid,
        prompt: &str,
        secure: bool,
    ) -> Option<UserError> {
        let k = (computer.to_ascii_lowercase(), instance_id);
        let session = self.repo.iter().find(|s| s.key() == k)?.session_ref();
        let answer = match &mut self.host_answers {
            Some(q) => q.pop_front(),
            None if matches!(self.passwords, Passwords::Environment) => {
                read_host(computer, prompt, secure, self.ending.as_ref())
            }
            None => None,
        };
        // Ending (a signal at the prompt): the command is left waiting, to
        // be handed back with its session, not stopped.
        if answer.is_none() && self.is_ending() {
            return None;
        }
        if let Some(answer) = answer {
            self.send_answer(session, command_id, answer, false);
            None
        } else {
            let op = self.worker.next_op();
            let name = session.name.clone();
            self.stopping.insert(op, (session.clone(), command_id));
            self.worker.send(Command::StopCommand {
                op,
                session,
                command_id,
            });
            let asked = if prompt.is_empty() {
                String::new()
            } else {
                format!(" ({prompt})")
            };
            Some(UserError {
                summary: format!("The command in {name} was stopped"),
                detail: format!(
                    "The command in {name} on {computer} asked for input{asked}, but baton is not reading from a terminal, so it was stopped."
                ),
                advice: None,
                error_id: Some("HostInputUnavailable".into()),
            })
        }
    }

    pub(super) fn send_answer(
        &mut self,
        session: SessionRef,
        command_id: Uuid,
        answer: String,
        wake: bool,
    ) {
        let op = self.worker.next_op();
        self.answering.insert(op, wake);
        self.worker.send(Command::AnswerPrompt {
            op,
            session,
            command_id,
            answer,
        });
    }

    /// Prints one item of a remote command's output; true for an error record.
    pub(super) fn print_item(
        &mut self,
        computer: &str,
        command_id: Uuid,
        item: &OutputItem,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> bool {
        if let OutputItem::Progress(p) = item {
            match self.progress_mode {
                ProgressMode::Terminal => {
                    self.progress.update(command_id, p);
                    self.progress.draw(err);
                }
                ProgressMode::Json => {
                    let _ =
                        err.write_all(crate::cli::progress::json_record(computer, p).as_bytes());
                }
                ProgressMode::Off => {}
            }
            return false;
        }
        // The bars step aside for the line, then come back under it.
        self.progress.erase(err);
        let error = self.print_record(computer, item, out, err);
        let _ = out.flush();
        self.progress.draw(err);
        error
    }

    fn print_record(
        &mut self,
        computer: &str,
        item: &OutputItem,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> bool {
        // Everything here comes from the remote computer: printed as text,
        // its escape and control sequences are removed (JSON escapes them).
        let safe = format::terminal_safe;
        let r = match item {
            OutputItem::Output(o) => {
                if self.json {
                    out.write_all(format::json_line(&crate::cli::remote_view::json(o)).as_bytes())
                } else {
                    self.views.write_object(o, out)
                }
            }
            OutputItem::Error(e) if self.json => {
                let record = serde_json::json!({ "Error": {
                    "Message": e.message,
                    "FullyQualifiedErrorId": e.fully_qualified_error_id,
                    "CategoryInfo": e.category,
                    "TargetObject": e.target,
                    "ScriptStackTrace": e.script_stack_trace,
                    "PSComputerName": computer,
                }});
                let _ = err.write_all(format::json_line(&record).as_bytes());
                return true;
            }
            OutputItem::Error(e) => {
                let mut text = String::new();
                text.push_str(&safe(&e.message));
                text.push('\n');
                if !e.category.is_empty() {
                    text.push_str(&format!(
                        "    + CategoryInfo          : {}\n",
                        safe(&e.category)
                    ));
                }
                if !e.fully_qualified_error_id.is_empty() {
                    text.push_str(&format!(
                        "    + FullyQualifiedErrorId : {}\n",
                        safe(&e.fully_qualified_error_id)
                    ));
                }
                text.push_str(&format!("    + PSComputerName        : {computer}\n"));
                let _ = err.write_all(text.as_bytes());
                return true;
            }
            OutputItem::Warning(s) => writeln!(err, "WARNING: {}", safe(s)),
            OutputItem::Verbose(s) => writeln!(err, "VERBOSE: {}", safe(s)),
            OutputItem::Debug(s) => writeln!(err, "DEBUG: {}", safe(s)),
            // With --json, stdout holds only JSON: host and information
            // lines go to stderr.
            OutputItem::Information(s) | OutputItem::HostPrompt(s) if self.json => {
                writeln!(err, "{}", safe(s))
            }
            OutputItem::Information(s) | OutputItem::HostPrompt(s) => {
                self.views.reset();
                writeln!(out, "{}", safe(s))
            }
            OutputItem::Progress(_) => Ok(()),
        };
        let _ = r;
        false
    }
}
