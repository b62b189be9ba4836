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
            UiAction::SaveOutput(target) => self.output_files.open(target),
            UiAction::Find(clue) => self.start_find(clue, now),
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
        // Signing in as yourself where Baton cannot: say so, send nothing.
        if let Err(why) = &self.state.single_sign_on
            && command.computers_mut().iter().any(|c| {
                matches!(c.credential, CredentialChoice::Implicit)
                    && c.spec.certificate_thumbprint.is_none()
            })
        {
            let why = why.clone();
            self.state.notify(
                ToastKind::Error,
                crate::model::UserError {
                    summary: format!("Not sent: {what}"),
                    detail: why,
                    advice: Some(
                        "Edit profile… gives the computer a credential; Connect asks for one."
                            .into(),
                    ),
                    error_id: Some("ImplicitCredentialUnavailable".into()),
                },
                now,
            );
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
            Action::HandOver => {
                let targets = self
                    .state
                    .selected_sessions()
                    .iter()
                    .map(|(c, s)| (c.name.clone(), s.instance_id))
                    .collect();
                self.dialog = Some(Dialog::HandOver(
                    super::dialogs::hand_over::HandOverDialog::new(targets, now),
                ));
            }
            Action::FindSession => {
                self.dialog = Some(Dialog::Find(super::dialogs::find::FindDialog::default()));
            }
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

impl BatonApp {
    /// Find session…: selects the session the clue names when it is known;
    /// else lists the sessions of the computer it names (or of every
    /// computer), as the account it names, and selects it when it shows.
    pub(super) fn start_find(
        &mut self,
        clue: crate::model::hand_over::SessionClue,
        now: DateTime<Utc>,
    ) {
        if let Some((computer, instance_id)) = self.state.find_session(&clue) {
            self.found(&computer, instance_id, now);
            return;
        }
        let mut computers: Vec<_> = match clue
            .computer
            .as_deref()
            .and_then(|c| self.state.computer(c))
        {
            Some(c) => vec![c.computer_ref()],
            None => self
                .state
                .all_computers()
                .into_iter()
                .map(ComputerNode::computer_ref)
                .collect(),
        };
        if computers.is_empty() {
            self.state.notify(
                ToastKind::Info,
                crate::model::UserError {
                    summary: "Nowhere to look".into(),
                    detail: "the profiles have no computers; add the computer the note names"
                        .into(),
                    advice: None,
                    error_id: None,
                },
                now,
            );
            return;
        }
        // Sessions are found as the account that owns them.
        if let Some(account) = &clue.account {
            for c in &mut computers {
                let same = match &c.credential {
                    CredentialChoice::Saved { user, .. } => user.eq_ignore_ascii_case(account),
                    CredentialChoice::Once(cred) => cred.user.eq_ignore_ascii_case(account),
                    CredentialChoice::Implicit => false,
                };
                if !same {
                    c.credential = CredentialChoice::Saved {
                        entry_id: String::new(),
                        user: account.clone(),
                    };
                }
            }
        }
        let op = self.handle.next_op();
        let what = format!(
            "Finding {}",
            clue.session
                .clone()
                .or_else(|| clue.instance_id.map(|i| i.to_string()))
                .unwrap_or_default()
        );
        self.finding = Some((clue.clone(), op));
        self.send(
            Command::ListSessions {
                op,
                computers,
                names: clue.session.clone().into_iter().collect(),
                throttle_limit: 32,
            },
            &what,
            now,
        );
    }

    /// After events: selects the session being looked for once it shows,
    /// or says it was not found once the listing is over.
    pub(super) fn check_find(&mut self, now: DateTime<Utc>) {
        let Some((clue, op)) = &self.finding else {
            return;
        };
        if let Some((computer, id)) = self.state.find_session(clue) {
            self.finding = None;
            self.found(&computer, id, now);
            return;
        }
        let op = *op;
        let waiting = self.state.pending().any(|p| p.op == op)
            || matches!(self.dialog, Some(Dialog::Password(_)));
        if !waiting {
            let what = super::dialogs::find::describe(clue);
            self.finding = None;
            self.state.notify(
                ToastKind::Info,
                crate::model::UserError {
                    summary: "Session not found".into(),
                    detail: format!(
                        "{what} It was removed, its idle timeout ran out, or it belongs to another account."
                    ),
                    advice: Some("Check the note's account, and that its computer is in your profiles.".into()),
                    error_id: None,
                },
                now,
            );
        }
    }

    fn found(&mut self, computer: &str, instance_id: Uuid, now: DateTime<Utc>) {
        self.state.reveal(NodeKey::Session {
            computer: computer.to_owned(),
            instance_id,
        });
        if let Some(s) = self.state.session(computer, instance_id) {
            let summary = format!("Found {} on {computer}", s.name);
            let detail = format!(
                "{} · {}: select Connect, then Receive output.",
                s.state, s.availability
            );
            self.state.notify(
                ToastKind::Info,
                crate::model::UserError {
                    summary,
                    detail,
                    advice: None,
                    error_id: None,
                },
                now,
            );
        }
    }
}
