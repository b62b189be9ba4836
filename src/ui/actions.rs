//! What the console's actions send: each action checked against the selection, turned into the worker's commands, and tracked until its end.

use super::*;

impl BatonApp {
    /// Applies one intent.
    pub fn run(&mut self, action: UiAction) {
        let now = (self.clock)();
        match action {
            UiAction::Select { key, additive } => self.state.select(key, additive),
            UiAction::SelectRange(key) => self.state.select_range(key),
            UiAction::Expand { key, expanded } => {
                // Left on a session, or on a closed node, goes to its parent (as tree views do).
                let closed =
                    matches!(key, NodeKey::Session { .. }) || self.state.collapsed.contains(&key);
                if !expanded && closed {
                    if let Some(parent) = self.state.parent_of(&key) {
                        self.state.select(parent, false);
                        self.scroll_to_cursor = true;
                    }
                } else {
                    self.state.set_expanded(&key, expanded);
                }
            }
            UiAction::MoveCursor(d) => {
                self.state.move_cursor(d);
                self.scroll_to_cursor = true;
            }
            UiAction::ShowTab(t) => {
                self.tab = t;
                self.fleet = false;
            }
            UiAction::DismissToast(id) => self.state.dismiss_toast(id),
            UiAction::Cancel(op) => {
                self.handle.send(Command::Cancel { op });
                self.state.note_cancelling(op);
            }
            UiAction::LoadConfiguration {
                computer,
                configuration,
            } => {
                self.state.note_quotas_requested(&computer);
                if let Some(c) = self.state.computer(&computer) {
                    let op = self.handle.next_op();
                    let command = Command::GetConfiguration {
                        op,
                        computer: c.computer_ref(),
                        configuration_name: configuration.clone(),
                    };
                    self.send(
                        command,
                        &format!("Get-PSSessionConfiguration {configuration} on {computer}"),
                        now,
                    );
                }
            }
            UiAction::Send { command, what } => self.send(*command, &what, now),
            UiAction::EditProfile(key) => self.open_profile_editor(&key, now),
            UiAction::ChangeProfile(key, change) => self.open_node_dialog(&key, change, now),
            UiAction::Run(a) => self.run_action(a, now),
        }
    }

    pub(super) fn send(&mut self, command: Command, what: &str, now: DateTime<Utc>) {
        let op = command.op().unwrap_or(0);
        let parts = match &command {
            Command::ListSessions { computers, .. } => computers.len(),
            Command::Disconnect { sessions, .. } | Command::Remove { sessions, .. } => {
                sessions.len()
            }
            _ => 1,
        };
        let tracked = !matches!(command, Command::Cancel { .. } | Command::Shutdown { .. });
        if tracked {
            self.state.note_sent(op, what, parts, now);
        }
        if !self.handle.send(command) {
            if tracked {
                // Not sent at all: one failure ends it, whatever its parts.
                self.state.note_sent(op, what, 1, now);
            }
            self.state.apply(
                Event::OpFailed {
                    op,
                    error: crate::model::UserError {
                        summary: format!("{what} was not sent"),
                        detail: "the worker has stopped".into(),
                        advice: Some("Restart Baton.".into()),
                        error_id: None,
                    },
                },
                now,
            );
        }
    }

    pub(super) fn run_action(&mut self, action: Action, now: DateTime<Utc>) {
        // Enter and Del on a non-applicable selection explain instead of acting.
        if let Err(why) = self.state.can(action) {
            if matches!(action, Action::Connect)
                && let Some((c, s)) = self.state.selected_sessions().first()
                && s.availability == crate::model::Availability::Busy
            {
                self.dialog = Some(Dialog::connect(&self.state, &c.name, s.instance_id));
            } else {
                self.state.notify(
                    ToastKind::Info,
                    crate::model::UserError {
                        summary: format!("{} is not available", action.label()),
                        detail: why,
                        advice: None,
                        error_id: None,
                    },
                    now,
                );
            }
            return;
        }
        match action {
            Action::Refresh => {
                let mut computers: Vec<_> = self
                    .state
                    .selected_computers()
                    .into_iter()
                    .map(ComputerNode::computer_ref)
                    .collect();
                if computers.is_empty() {
                    computers = self
                        .state
                        .all_computers()
                        .into_iter()
                        .map(ComputerNode::computer_ref)
                        .collect();
                }
                if computers.is_empty() {
                    return;
                }
                let what = if computers.len() == 1 {
                    format!("Get-PSSession -ComputerName {}", computers[0].name)
                } else {
                    format!("Get-PSSession on {} computers", computers.len())
                };
                let op = self.handle.next_op();
                self.send(
                    Command::ListSessions {
                        op,
                        computers,
                        names: Vec::new(),
                        throttle_limit: 32,
                    },
                    &what,
                    now,
                );
            }
            Action::TestConnection => {
                let computers: Vec<_> = self
                    .state
                    .selected_computers()
                    .into_iter()
                    .map(ComputerNode::computer_ref)
                    .collect();
                for computer in computers {
                    let op = self.handle.next_op();
                    let what = format!("Test-WSMan {}", computer.name);
                    self.send(
                        Command::TestConnection {
                            op,
                            computer,
                            anonymous: false,
                        },
                        &what,
                        now,
                    );
                }
            }
            Action::Receive => {
                let Some((c, s)) = self.state.selected_sessions().first().copied() else {
                    return;
                };
                let Some(session) = self.state.session_ref(&c.name, s.instance_id) else {
                    return;
                };
                let what = format!("Receive-PSSession {} on {}", s.name, c.name);
                let op = self.handle.next_op();
                self.tab = Tab::Output;
                self.fleet = false;
                self.send(Command::Receive { op, session }, &what, now);
            }
            Action::NewSession => {
                if let Some(c) = self.state.focused_computer() {
                    self.dialog = Some(Dialog::new_session(&c.name));
                }
            }
            Action::Disconnect => {
                let targets = self.selected_targets();
                self.dialog = Some(Dialog::disconnect(targets));
            }
            Action::Connect => {
                if let Some((c, s)) = self.state.selected_sessions().first() {
                    self.dialog = Some(Dialog::connect(&self.state, &c.name, s.instance_id));
                }
            }
            Action::RunCommand => {
                if let Some((c, s)) = self.state.selected_sessions().first() {
                    self.dialog = Some(Dialog::run(&c.name, s.instance_id));
                }
            }
            Action::Remove => {
                let targets = self.selected_targets();
                self.dialog = Some(Dialog::remove(targets));
            }
        }
    }

    pub(super) fn selected_targets(&self) -> Vec<(String, Uuid)> {
        self.state
            .selected_sessions()
            .iter()
            .map(|(c, s)| (c.name.clone(), s.instance_id))
            .collect()
    }
}
