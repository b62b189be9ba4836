//! The worker's events folded into the state: sessions, outputs, prompts, notifications and the activity log.

use super::*;

impl AppState {
    /// Folds one worker event into the state. `now` stamps notifications and
    /// log lines made here. Each variant has exactly one effect:
    ///
    /// - `OpStarted` / `OpProgress`: the status bar's action in flight;
    /// - `OpFinished`: ends the action and logs it;
    /// - `OpFailed`: ends the action (a bulk one continues until `OpFinished`
    ///   or its last part), logs it and raises an error toast with summary,
    ///   detail and advice;
    /// - `SessionsListed`: replaces that computer's sessions;
    /// - `SessionChanged` / `SessionGone`: updates or drops one session (gone ones are logged);
    /// - `Output` / `CommandFinished`: the session's per-command output
    ///   (progress records replace each other by activity id);
    /// - `PromptRequested`: queues a host prompt for the prompt dialog;
    /// - `ComputerIdentified`: remembers the Test-WSMan identity and says so;
    /// - `Configuration`: the computer's quotas (also the Disconnect range);
    /// - `Activity`: appends to the audit trail.
    ///
    /// Computers unknown to the inventory are added to [`DISCOVERED_GROUP`].
    pub fn apply(&mut self, event: Event, now: DateTime<Utc>) {
        match event {
            // The profile file's changes are the profile editor's to fold.
            Event::ProfilesChanged { .. } => {}
            Event::CredentialSaved { entry, user, .. } => {
                if !self.saved_credentials.iter().any(|(e, _)| *e == entry) {
                    self.saved_credentials.push((entry, user));
                }
            }
            Event::OpStarted { .. }
            | Event::OpProgress { .. }
            | Event::OpFinished { .. }
            | Event::PartFailed { .. }
            | Event::OpFailed { .. }
            | Event::OpCancelled { .. } => self.apply_op(event, now),
            // Session events go through the fold the command line uses too;
            // here the tree, the selection and the log follow.
            Event::SessionReleased { .. }
            | Event::SessionsListed { .. }
            | Event::SessionChanged(_)
            | Event::SessionGone { .. } => self.apply_session(&event, now),
            Event::Output { .. }
            | Event::CommandFinished { .. }
            | Event::PromptRequested { .. } => {
                self.apply_output(event);
            }
            Event::ComputerIdentified { .. } | Event::Configuration { .. } => {
                self.apply_computer(event, now);
            }
            Event::Stopped => {}
            Event::Activity(entry) => self.log(entry),
            Event::PreviouslyHeld(records) => self.previously_held = records,
            Event::Warning {
                computer, message, ..
            } => self.toast(
                ToastKind::Info,
                UserError {
                    summary: format!("Warning from {computer}"),
                    detail: message,
                    advice: None,
                    error_id: None,
                },
                now,
            ),
            Event::ActivityNotSaved { error } => self.toast(
                ToastKind::Error,
                UserError {
                    summary: "Activity is not being saved".into(),
                    detail: error,
                    advice: Some("Check that the data folder is writable and not full.".into()),
                    error_id: None,
                },
                now,
            ),
        }
    }

    /// An action's progress and end: the pending list, the log and the toasts.
    fn apply_op(&mut self, event: Event, now: DateTime<Utc>) {
        match event {
            Event::OpStarted { op, what } => {
                let p = self.pending.entry(op).or_insert_with(|| PendingOp {
                    op,
                    what: what.clone(),
                    started: now,
                    done: 0,
                    total: 0,
                    message: String::new(),
                    started_by_worker: true,
                    cancelling: false,
                    parts: 1,
                    failed: 0,
                    failures: Vec::new(),
                });
                p.what = what;
                p.started_by_worker = true;
            }
            Event::OpProgress {
                op,
                done,
                total,
                message,
            } => {
                if let Some(p) = self.pending.get_mut(&op) {
                    p.done = done;
                    p.total = total;
                    p.message = message;
                }
            }
            Event::OpFinished { op, message } => {
                let pending = self.pending.remove(&op);
                let what = pending
                    .as_ref()
                    .map_or_else(|| format!("Action {op}"), |p| p.what.clone());
                let entry = self.local_entry(now, &what, format!("ok: {message}"));
                self.log(entry);
                if let Some(p) = pending
                    && p.failures.len() > PARTS_SHOWN_ONE_BY_ONE
                {
                    self.drop_part_toasts(op);
                    let summary = summarize_failures(&p);
                    self.toast(ToastKind::Error, summary, now);
                }
            }
            Event::PartFailed {
                op,
                computer,
                error,
            } => {
                // One part failed; the action goes on until its terminal
                // event, which sums the failures up in one message. Each is
                // in Activity, and on its computer in the tree.
                let computer = self.canonical_computer(&computer);
                let (what, shown_now) = match self.pending.get_mut(&op) {
                    Some(p) => {
                        p.failed += 1;
                        p.failures.push((computer.clone(), error.clone()));
                        (p.what.clone(), p.failures.len() <= PARTS_SHOWN_ONE_BY_ONE)
                    }
                    None => (format!("Action {op}"), true),
                };
                let entry = ActivityEntry {
                    computer: computer.clone(),
                    ..self.local_entry(now, &what, format!("failed: {error}"))
                };
                self.log(entry);
                if !computer.is_empty() {
                    self.computer_errors
                        .insert(computer.to_ascii_lowercase(), error.clone());
                }
                if shown_now {
                    self.part_toast(op, error, now);
                }
            }
            Event::OpFailed { op, error } => {
                let pending = self.pending.remove(&op);
                let what = pending
                    .as_ref()
                    .map_or_else(|| format!("Action {op}"), |p| p.what.clone());
                let entry = self.local_entry(now, &what, format!("failed: {error}"));
                self.log(entry);
                // A few failed parts were each shown; many are summed up in
                // one message, by cause; the sum of a few adds nothing.
                match pending {
                    Some(p) if p.failures.len() > PARTS_SHOWN_ONE_BY_ONE => {
                        self.drop_part_toasts(op);
                        let summary = summarize_failures(&p);
                        self.toast(ToastKind::Error, summary, now);
                    }
                    Some(p) if !p.failures.is_empty() => {}
                    _ => self.toast(ToastKind::Error, error, now),
                }
            }
            Event::OpCancelled { op } => {
                let what = self
                    .pending
                    .remove(&op)
                    .map_or_else(|| format!("Action {op}"), |p| p.what);
                let entry = self.local_entry(now, &what, "cancelled before it finished".into());
                self.log(entry);
                self.toast(
                    ToastKind::Info,
                    crate::model::UserError {
                        summary: "Cancelled".into(),
                        detail: what,
                        advice: None,
                        error_id: None,
                    },
                    now,
                );
            }
            _ => {}
        }
    }

    /// A session listed, changed, gone or handed back.
    fn apply_session(&mut self, event: &Event, now: DateTime<Utc>) {
        let computer = match event {
            Event::SessionReleased { computer, .. }
            | Event::SessionsListed { computer, .. }
            | Event::SessionGone { computer, .. } => computer.clone(),
            Event::SessionChanged(info) => info.computer_name.clone(),
            _ => String::new(),
        };
        let computer = self.canonical_computer(&computer);
        if let Event::SessionReleased {
            outcome: crate::bridge::ReleaseOutcome::Failed(e),
            ..
        } = event
        {
            // The worker's audit entry (Activity) has the details.
            self.toast(ToastKind::Error, e.clone(), now);
        }
        if let Event::SessionsListed { .. } = event {
            // It answered: its last error is history.
            self.computer_errors.remove(&computer.to_ascii_lowercase());
            self.listed.insert(computer.to_ascii_lowercase());
        }
        let count = self.sessions.count();
        let change = self.sessions.apply(event);
        self.generation += 1;
        if !matches!(change, crate::bridge::Change::Updated { .. })
            || self.sessions.count() != count
        {
            self.members += 1;
        }
        match change {
            crate::bridge::Change::Listed { .. } => self.prune_selection(),
            crate::bridge::Change::Removed {
                name, instance_id, ..
            } => {
                self.prune_selection();
                self.forget_output(instance_id);
                if let Event::SessionGone { reason, .. } = event {
                    let entry = ActivityEntry {
                        computer,
                        session: name,
                        ..self.local_entry(now, "Session gone", reason.clone())
                    };
                    self.log(entry);
                }
            }
            _ => {}
        }
    }

    /// A command's output, its end, and the host prompts it raises.
    fn apply_output(&mut self, event: Event) {
        match event {
            Event::Output {
                computer,
                instance_id,
                command_id,
                items,
            } => {
                let computer = self.canonical_computer(&computer);
                let out = self
                    .outputs
                    .entry((computer, instance_id))
                    .or_default()
                    .command_mut(command_id);
                for item in items {
                    match item {
                        OutputItem::Progress(p) => {
                            if p.completed {
                                out.progress.remove(&p.activity_id);
                            } else {
                                out.progress.insert(p.activity_id, p);
                            }
                        }
                        other => {
                            let whole = push_item(out, other);
                            spill_line(&mut self.spill, instance_id, command_id, whole);
                        }
                    }
                }
            }
            Event::CommandFinished {
                computer,
                instance_id,
                command_id,
                state,
            } => {
                let computer = self.canonical_computer(&computer);
                let out = self
                    .outputs
                    .entry((computer, instance_id))
                    .or_default()
                    .command_mut(command_id);
                out.progress.clear();
                out.finished = Some(state);
            }
            Event::PromptRequested {
                computer,
                instance_id,
                command_id,
                prompt,
                secure,
            } => {
                let computer = self.canonical_computer(&computer);
                self.prompts.push_back(PendingPrompt {
                    computer,
                    instance_id,
                    command_id,
                    prompt,
                    secure,
                });
            }
            _ => {}
        }
    }

    /// What a computer said of itself: its identity and its quotas.
    fn apply_computer(&mut self, event: Event, now: DateTime<Utc>) {
        match event {
            Event::ComputerIdentified {
                computer,
                product_vendor,
                product_version,
                protocol_version,
                ..
            } => {
                let computer = self.canonical_computer(&computer);
                let summary = format!("{computer} answers: WinRM is reachable");
                self.toast(
                    ToastKind::Info,
                    UserError {
                        summary,
                        detail: format!(
                            "{product_vendor} — {product_version}, protocol {protocol_version}"
                        ),
                        advice: None,
                        error_id: None,
                    },
                    now,
                );
                self.identities.insert(
                    computer,
                    ComputerIdentity {
                        product_vendor,
                        product_version,
                        protocol_version,
                    },
                );
            }
            Event::Configuration {
                computer, quotas, ..
            } => {
                let computer = self.canonical_computer(&computer);
                self.quotas.insert(computer, quotas);
            }
            _ => {}
        }
    }

    /// A session went away: its output goes too (its spill files with it).
    fn forget_output(&mut self, instance_id: Uuid) {
        let before = self.outputs.len();
        self.outputs.retain(|(_, id), _| *id != instance_id);
        if self.outputs.len() != before {
            self.forgotten_outputs.push(instance_id);
        }
    }

    pub(super) fn prune_selection(&mut self) {
        let gone: Vec<NodeKey> = self
            .selection
            .iter()
            .filter(|k| matches!(k, NodeKey::Session { .. }) && !self.node_exists(k))
            .cloned()
            .collect();
        for k in gone {
            self.selection.remove(&k);
        }
        if let Some(f @ NodeKey::Session { computer, .. }) = &self.focus
            && !self.node_exists(f)
        {
            self.focus = Some(NodeKey::Computer(computer.clone()));
        }
    }
}

/// One message for an action whose parts failed: how many of how many,
/// grouped by cause (the error's text with the computer's name taken out),
/// the commonest first, with an example computer for each.
pub(super) fn summarize_failures(p: &PendingOp) -> UserError {
    let mut groups: Vec<(String, Vec<&str>, &UserError)> = Vec::new();
    for (computer, e) in &p.failures {
        let cause = cause_of(computer, e);
        match groups.iter_mut().find(|(c, _, _)| *c == cause) {
            Some((_, computers, _)) => computers.push(computer),
            None => groups.push((cause, vec![computer.as_str()], e)),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.1.len()));
    let failed = p.failures.len();
    let total = p.parts.max(failed);
    let of = format!("{} of {}", thousands(failed), thousands(total));
    let summary = match groups.as_slice() {
        [(cause, _, _)] => format!("{}: {of} failed. {cause}", p.what),
        _ => format!("{}: {of} failed, for {} reasons", p.what, groups.len()),
    };
    let mut detail = String::new();
    for (cause, computers, _) in groups.iter().take(5) {
        let example = computers.first().copied().unwrap_or("");
        let more = if computers.len() > 1 {
            format!(" and {} more", thousands(computers.len() - 1))
        } else {
            String::new()
        };
        detail.push_str(&format!(
            "{} × {cause} ({example}{more})\n",
            thousands(computers.len())
        ));
    }
    if groups.len() > 5 {
        detail.push_str(&format!(
            "…and {} more reasons. Every failure is in Activity.",
            groups.len() - 5
        ));
    } else {
        detail.push_str("Every failure is in Activity, and on its computer in the tree.");
    }
    UserError {
        summary,
        detail,
        advice: groups.first().and_then(|(_, _, e)| e.advice.clone()),
        error_id: groups.first().and_then(|(_, _, e)| e.error_id.clone()),
    }
}

/// What went wrong, without the computer it went wrong on.
fn cause_of(computer: &str, e: &UserError) -> String {
    let text = if e.detail.is_empty() {
        &e.summary
    } else {
        &e.detail
    };
    if computer.is_empty() {
        return text.clone();
    }
    let lower = text.to_ascii_lowercase();
    let needle = computer.to_ascii_lowercase();
    let mut out = String::new();
    let mut rest = 0;
    while let Some(i) = lower[rest..].find(&needle) {
        out.push_str(&text[rest..rest + i]);
        out.push_str("the computer");
        rest += i + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}

/// `1000` as `1,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
