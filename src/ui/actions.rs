//! What the console's actions send: each action checked against the selection, turned into the worker's commands, and tracked until its end.

use super::*;
use crate::bridge::CredentialChoice;

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

    pub(super) fn send(&mut self, mut command: Command, what: &str, now: DateTime<Utc>) {
        // A profile's user with no saved password: its password is asked
        // for first, once for every computer of the action.
        if let Some((user, entry, computers)) = self.fill_passwords(&mut command) {
            match &mut self.dialog {
                Some(Dialog::Password(d)) if d.user.eq_ignore_ascii_case(&user) => {
                    d.held.push((command, what.to_owned()));
                    d.computers += computers;
                }
                None => {
                    self.dialog = Some(Dialog::Password(
                        super::dialogs::password::PasswordDialog::new(
                            &user,
                            entry,
                            vec![(command, what.to_owned())],
                            computers,
                        ),
                    ));
                }
                Some(_) => self.state.notify(
                    ToastKind::Info,
                    crate::model::UserError {
                        summary: format!("Not sent: {what}"),
                        detail: format!(
                            "it needs the password of {user}, and another dialog is open"
                        ),
                        advice: Some("Close the dialog and try again.".into()),
                        error_id: None,
                    },
                    now,
                ),
            }
            return;
        }
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

    /// Puts the passwords given this session into the computers that need
    /// one; the first user still without a password, with the profile's
    /// keyring entry for it and how many computers need it, when some do.
    fn fill_passwords(&self, command: &mut Command) -> Option<(String, Option<String>, usize)> {
        let mut missing: Option<(String, Option<String>, usize)> = None;
        for c in command.computers_mut() {
            let CredentialChoice::Saved { entry_id, user } = &c.credential else {
                continue;
            };
            let saved = !entry_id.is_empty()
                && self
                    .state
                    .saved_credentials
                    .iter()
                    .any(|(id, _)| id == entry_id);
            if saved {
                continue;
            }
            if let Some(given) = self.passwords.get(&user.to_ascii_lowercase()) {
                c.credential = CredentialChoice::Once(given.clone());
                continue;
            }
            match &mut missing {
                Some((u, _, n)) if u.eq_ignore_ascii_case(user) => *n += 1,
                Some(_) => {}
                None => {
                    let entry = (!entry_id.is_empty()).then(|| entry_id.clone());
                    missing = Some((user.clone(), entry, 1));
                }
            }
        }
        missing
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
