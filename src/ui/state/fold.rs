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
                let what = self
                    .pending
                    .remove(&op)
                    .map_or_else(|| format!("Action {op}"), |p| p.what);
                let entry = self.local_entry(now, &what, format!("ok: {message}"));
                self.log(entry);
            }
            Event::PartFailed { op, error } => {
                // One part failed; the action goes on until its terminal event.
                let what = match self.pending.get_mut(&op) {
                    Some(p) => {
                        p.failed += 1;
                        p.what.clone()
                    }
                    None => format!("Action {op}"),
                };
                let entry = self.local_entry(now, &what, format!("failed: {error}"));
                self.log(entry);
                self.toast(ToastKind::Error, error, now);
            }
            Event::OpFailed { op, error } => {
                let pending = self.pending.remove(&op);
                let parts_failed = pending.as_ref().is_some_and(|p| p.failed > 0);
                let what = pending.map_or_else(|| format!("Action {op}"), |p| p.what);
                let entry = self.local_entry(now, &what, format!("failed: {error}"));
                self.log(entry);
                // Each failed part was shown already; the sum adds nothing.
                if !parts_failed {
                    self.toast(ToastKind::Error, error, now);
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
        let change = self.sessions.apply(event);
        self.generation += 1;
        match change {
            crate::bridge::Change::Listed { .. } => self.prune_selection(),
            crate::bridge::Change::Removed { name, .. } => {
                self.prune_selection();
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
                        other => push_item(out, other),
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
