#![warn(missing_docs)]
//! The egui/eframe console.
//!
//! [`BatonApp`] never does I/O and never waits: each frame, `logic` drains the
//! worker's [`Event`]s into [`AppState`], `ui` lays out the panels and collects
//! the user's intents as [`UiAction`]s, which are applied at one point at the
//! end of the frame, turning into [`Command`]s sent through the
//! [`WorkerHandle`].

mod detail;
pub(crate) mod dialogs;
mod output_save;
pub(crate) mod profile_editor;
pub(crate) mod profile_nodes;
pub(crate) mod state;
mod walkthrough;
mod widgets;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use egui::{Align2, Color32, Id, Key, KeyboardShortcut, Modifiers, RichText, Ui};
use uuid::Uuid;

use crate::bridge::{Command, Event, OpId, Release, WorkerHandle};
use crate::model::{Credential, SessionState};
use crate::store::activity::ActivityHistory;

use dialogs::{Dialog, Outcome};
use state::ToastKind;

mod actions;
mod profiles_frame;
mod quitting;
pub use state::{Action, AppState, ComputerNode, GroupNode, MAX_ITEMS_PER_COMMAND, NodeKey};

/// A clock, injected so tests fix time.
pub type Clock = Box<dyn Fn() -> DateTime<Utc>>;

/// The detail tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// The PSSession's properties.
    Session,
    /// `$s.Runspace.ConnectionInfo` of its computer.
    ConnectionInfo,
    /// The session configuration's quotas.
    Configuration,
    /// The streams of its commands.
    Output,
    /// The audit trail.
    Activity,
}

impl Tab {
    const ALL: [Tab; 5] = [
        Tab::Session,
        Tab::ConnectionInfo,
        Tab::Configuration,
        Tab::Output,
        Tab::Activity,
    ];

    fn label(self) -> &'static str {
        match self {
            Tab::Session => "Session",
            Tab::ConnectionInfo => "ConnectionInfo",
            Tab::Configuration => "Configuration",
            Tab::Output => "Output",
            Tab::Activity => "Activity",
        }
    }
}

/// One user intent, collected while laying out and applied at the end of the frame.
#[must_use]
#[derive(Clone, Debug)]
pub enum UiAction {
    /// Select a node; `additive` toggles it in a multi-selection (Ctrl+click).
    Select {
        /// The node.
        key: NodeKey,
        /// Toggle it in the selection instead of replacing the selection.
        additive: bool,
    },
    /// Shift+click: select from the cursor to this node.
    SelectRange(NodeKey),
    /// Expand or collapse a group or computer.
    Expand {
        /// The group or computer.
        key: NodeKey,
        /// Open (true) or closed.
        expanded: bool,
    },
    /// Run a toolbar/context-menu action on the selection.
    Run(Action),
    /// Move the tree cursor by rows.
    MoveCursor(i32),
    /// Show a detail tab.
    ShowTab(Tab),
    /// `Get-PSSessionConfiguration` for a computer.
    LoadConfiguration {
        /// The computer's display name.
        computer: String,
        /// The configuration name (`Microsoft.PowerShell`).
        configuration: String,
    },
    /// Cancel an action in flight.
    Cancel(OpId),
    /// Dismiss a notification.
    DismissToast(u64),
    /// Find session… with what was pasted.
    Find(crate::model::hand_over::SessionClue),
    /// Open the profile editor on a group or computer.
    EditProfile(NodeKey),
    /// Add to, rename or remove a group or computer of the profile file.
    ChangeProfile(NodeKey, profile_nodes::NodeChange),
    /// "Save output…" of one command: opens the Save output dialog.
    SaveOutput(output_save::SaveTarget),
    /// Send a command the UI already built; `what` is shown in the status bar.
    Send {
        /// The command.
        command: Box<Command>,
        /// The status-bar text.
        what: String,
    },
}

/// The console application.
pub struct BatonApp {
    handle: WorkerHandle,
    clock: Clock,
    /// The whole state (public for tests and the lead's wiring).
    pub state: AppState,
    tab: Tab,
    fleet: bool,
    fleet_sort: (detail::FleetColumn, bool),
    fleet_cache: detail::FleetCache,
    dialog: Option<Dialog>,
    /// Passwords given for profiles' users this console session (by lower-
    /// case user name), never written anywhere unless saved in the keyring.
    passwords: std::collections::HashMap<String, Credential>,
    /// The session Find session… is looking for, and the listing it sent.
    finding: Option<(crate::model::hand_over::SessionClue, OpId)>,
    prompt_answer: zeroize::Zeroizing<String>,
    focus_filter: bool,
    scroll_to_cursor: bool,
    /// The worker has a keyring: "Save in keyring" and passwords typed in
    /// the profile editor go to it as `SaveCredential` commands.
    keyring: bool,
    /// The demo lab's accounts (user, role, password), shown in a banner
    /// until dismissed: its passwords are public, for trying Baton out.
    lab_accounts: Vec<(String, String, String)>,
    /// The demo lab's technician (user, password), for the walkthrough.
    lab_technician: Option<(String, String)>,
    /// "Try the hand-over", while it is open.
    walkthrough: Option<walkthrough::Walkthrough>,
    /// The "held before" banner was dismissed.
    held_dismissed: bool,
    /// New audit entries go to the worker for the activity file.
    records_activity: bool,
    /// `AppState::activity_logged` already handed to the worker.
    activity_saved: u64,
    profiles: Option<profile_editor::Profiles>,
    profile_editor: Option<profile_editor::ProfileEditor>,
    /// Add computer / New group / Rename / Remove from profiles.
    node_dialog: Option<profile_nodes::NodeDialog>,
    /// The profile job in flight is the node dialog's (not the editor's).
    node_change_pending: bool,
    /// The window was asked to close while sessions are held: the quit
    /// dialog is open.
    quit_dialog: bool,
    /// Quitting: the worker was told how to hand the sessions back, and
    /// the window closes when it has stopped.
    quitting: Option<Release>,
    /// The worker has stopped (its last event arrived).
    worker_stopped: bool,
    /// Set from outside (SIGTERM): quit now, handing sessions back.
    terminate: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Every command's whole output on disk, and "Save output…".
    output_files: output_save::OutputFiles,
    /// The last drain was held back for the output spill: another frame
    /// comes soon to try again (nothing else would wake the console).
    held_back: bool,
}

impl BatonApp {
    /// A console over `handle` showing `inventory`; `clock` gives the time
    /// (fixed in tests).
    pub fn new(handle: WorkerHandle, inventory: Vec<GroupNode>, clock: Clock) -> Self {
        let mut state = AppState::new();
        state.set_inventory(inventory);
        BatonApp {
            handle,
            clock,
            state,
            tab: Tab::Session,
            fleet: false,
            fleet_sort: (detail::FleetColumn::Computer, true),
            fleet_cache: detail::FleetCache::default(),
            dialog: None,
            prompt_answer: zeroize::Zeroizing::new(String::new()),
            focus_filter: false,
            scroll_to_cursor: false,
            keyring: false,
            lab_accounts: Vec::new(),
            lab_technician: None,
            walkthrough: None,
            held_dismissed: false,
            records_activity: false,
            passwords: std::collections::HashMap::new(),
            finding: None,
            activity_saved: 0,
            profiles: None,
            profile_editor: None,
            node_dialog: None,
            node_change_pending: false,
            quit_dialog: false,
            quitting: None,
            worker_stopped: false,
            terminate: None,
            output_files: output_save::OutputFiles::new(None),
            held_back: false,
        }
    }

    /// Keeps the whole output of commands in a folder under `parent`
    /// instead of the runtime directory (tests).
    pub fn with_spill_parent(mut self, parent: std::path::PathBuf) -> Self {
        self.output_files = output_save::OutputFiles::new(Some(parent));
        self
    }

    /// The folder holding this console's output files, once output arrived.
    pub fn spill_dir(&self) -> Option<&std::path::Path> {
        self.output_files.spill_dir()
    }

    /// A flag that, once set (a SIGTERM handler), makes the console quit
    /// at its next frame, handing its sessions back without asking.
    pub fn with_terminate_flag(mut self, flag: Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.terminate = Some(flag);
        self
    }

    /// Enables "Edit profile…": the profile file and its loaded tree.
    pub fn with_profiles(
        mut self,
        store: crate::store::profiles::ProfileStore,
        tree: crate::model::profile::ProfileTree,
    ) -> Self {
        self.profiles = Some(profile_editor::Profiles::new(
            store.path().to_path_buf(),
            tree,
        ));
        self
    }

    /// Names the demo lab's accounts (user, role, password) in a banner
    /// above the tree until the user dismisses it.
    pub fn with_lab_accounts(mut self, accounts: Vec<(String, String, String)>) -> Self {
        self.lab_technician = accounts
            .iter()
            .find(|(_, role, _)| role == "technician")
            .map(|(u, _, p)| (u.clone(), p.clone()));
        self.lab_accounts = accounts;
        self
    }

    /// Offers "Save in keyring" in the Connect dialog and passwords in the
    /// profile editor: the worker keeps them in its keyring
    /// (`Command::SaveCredential`); the console never touches it.
    pub fn with_keyring(mut self) -> Self {
        self.keyring = true;
        self
    }

    /// Credentials saved in the keyring, offered by the Connect dialog: (entry id, user).
    pub fn with_saved_credentials(mut self, saved: Vec<(String, String)>) -> Self {
        self.state.saved_credentials = saved;
        self
    }

    /// Replaces the inventory (profile groups → computers).
    pub fn set_inventory(&mut self, groups: Vec<GroupNode>) {
        self.state.set_inventory(groups);
    }

    /// Folds every pending worker event into the state. Never waits. While
    /// the output spill's writer is far behind, the events stay queued (the
    /// worker then waits before asking the server for more output): memory
    /// stays bounded when a command writes faster than the disk takes it.
    pub fn drain_events(&mut self) {
        let now = (self.clock)();
        if self.output_files.behind() {
            self.held_back = true;
        } else {
            self.held_back = false;
            for ev in self.handle.drain() {
                self.apply_event(ev, now);
            }
        }
        self.output_files.sync(&mut self.state);
        self.check_find(now);
    }

    fn apply_event(&mut self, ev: Event, now: DateTime<Utc>) {
        if matches!(ev, Event::Stopped) {
            self.worker_stopped = true;
        }
        if let Some(p) = &mut self.profiles {
            p.on_event(&ev);
        }
        self.state.apply(ev, now);
    }

    /// One whole frame as eframe runs it: drain events, then lay out.
    /// Headless tests drive this through `egui_kittest::Harness::new_ui_state`.
    pub fn frame(&mut self, ui: &mut Ui) {
        self.drain_events();
        self.show(ui);
    }

    /// Lays out the console and applies the collected intents.
    pub fn show(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        if self.held_back {
            ctx.request_repaint_after(std::time::Duration::from_millis(10));
        }
        let now = (self.clock)();
        if self
            .terminate
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::SeqCst))
        {
            self.quit(Release::HandBack);
        }
        if ctx.input(|i| i.viewport().close_requested()) && !self.close_requested() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        }
        if self.quitting.is_some() && self.worker_stopped {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        self.state.expire_toasts(now, 8);
        let mut actions: Vec<UiAction> = Vec::new();
        let modal_open = self.dialog.is_some()
            || self.profile_editor.is_some()
            || self.node_dialog.is_some()
            || self.output_files.dialog_open()
            || self.state.current_prompt().is_some();
        if !modal_open {
            self.shortcuts(&ctx, &mut actions);
        }

        egui::Panel::top("baton_toolbar").show(ui, |ui| {
            self.toolbar(ui, &mut actions);
        });
        if !self.lab_accounts.is_empty() {
            egui::Panel::top("baton_lab_accounts").show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(egui::RichText::new("Lab (demo) accounts:").strong());
                    for (user, role, password) in &self.lab_accounts {
                        let role = if role.is_empty() { String::new() } else { format!(" ({role})") };
                        ui.label(format!("{user}{role}, password {password};"));
                    }
                    ui.label(
                        egui::RichText::new("public passwords, for the lab only. Try the hand-over: connect to ITTask on Srv1 as the technician, read its output, and hand it back.")
                            .weak(),
                    );
                    if self.lab_technician.is_some()
                        && ui
                            .button("Try the hand-over")
                            .on_hover_text("The seed scenario, step by step")
                            .clicked()
                    {
                        self.walkthrough = Some(walkthrough::Walkthrough::default());
                    }
                    if ui.button("Dismiss").clicked() {
                        self.lab_accounts.clear();
                    }
                });
            });
        }
        if !self.state.previously_held.is_empty() && !self.held_dismissed {
            egui::Panel::top("baton_previously_held").show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    let n = self.state.previously_held.len();
                    ui.label(format!(
                        "When Baton last ran you held or handed over {n} session(s): see what became of them, and connect again."
                    ));
                    if ui.button("Reconnect…").clicked() {
                        self.dialog = Some(Dialog::Reconnect(
                            dialogs::reconnect::ReconnectDialog::new(n),
                        ));
                    }
                    if ui
                        .button("Dismiss")
                        .accessible_name("Dismiss the sessions held before")
                        .clicked()
                    {
                        self.held_dismissed = true;
                    }
                });
            });
        }
        egui::Panel::bottom("baton_status").show(ui, |ui| {
            self.status_bar(ui, &mut actions);
        });
        egui::Panel::left("baton_tree")
            .resizable(true)
            .default_size(330.0)
            .min_size(220.0)
            .show(ui, |ui| {
                self.tree(ui, now, &mut actions);
            });
        egui::CentralPanel::default_margins().show(ui, |ui| {
            self.tabs(ui, &mut actions);
            ui.separator();
            if self.fleet {
                detail::fleet(
                    ui,
                    &self.state,
                    now,
                    &mut self.fleet_sort,
                    &mut self.fleet_cache,
                    &mut actions,
                );
            } else {
                detail::tab(ui, self.tab, &self.state, now, &mut actions);
            }
        });

        self.show_walkthrough(&ctx, &mut actions);
        self.dialogs(&ctx, &mut actions);
        self.quit_dialog_frame(&ctx);
        self.profile_editor_frame(&ctx, now);
        self.output_files.dialog_frame(&ctx, &mut self.state);
        self.toasts(&ctx, &mut actions);

        for a in actions {
            self.run(a);
        }
        self.save_activity();
        // Countdowns, toasts fading and the spinner move with time.
        ctx.request_repaint_after(Duration::from_millis(
            if self.state.pending().next().is_some() || self.output_files.busy() {
                100
            } else {
                1000
            },
        ));
    }

    fn shortcuts(&mut self, ctx: &egui::Context, actions: &mut Vec<UiAction>) {
        let typing = ctx.text_edit_focused();
        ctx.input_mut(|i| {
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::F)) {
                self.focus_filter = true;
            }
            // Every toolbar action has its key (its tooltip names it); the
            // bare keys (Enter, Del) only while no text field is typed in.
            for action in Action::ALL {
                let (key, ctrl, _) = action.shortcut();
                let pressed = if ctrl {
                    i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, key))
                } else if key == Key::F5 || !typing {
                    i.consume_key(Modifiers::NONE, key)
                } else {
                    false
                };
                if pressed {
                    actions.push(UiAction::Run(action));
                }
            }
            if typing {
                return;
            }
            if i.consume_key(Modifiers::NONE, Key::ArrowDown) {
                actions.push(UiAction::MoveCursor(1));
            }
            if i.consume_key(Modifiers::NONE, Key::ArrowUp) {
                actions.push(UiAction::MoveCursor(-1));
            }
            for (key, expanded) in [(Key::ArrowRight, true), (Key::ArrowLeft, false)] {
                if i.consume_key(Modifiers::NONE, key)
                    && let Some(k) = self.state.focus.clone()
                {
                    actions.push(UiAction::Expand { key: k, expanded });
                }
            }
        });
    }

    fn toolbar(&mut self, ui: &mut Ui, actions: &mut Vec<UiAction>) {
        ui.horizontal_wrapped(|ui| {
            for action in Action::ALL {
                widgets::action_button(ui, &self.state, action, actions);
            }
            ui.separator();
            let fleet = ui.selectable_label(self.fleet, "Fleet").on_hover_text(
                "One table of every session on every computer (or of the selected group)",
            );
            if fleet.clicked() {
                self.fleet = !self.fleet;
            }
        });
    }

    fn tree(&mut self, ui: &mut Ui, now: DateTime<Utc>, actions: &mut Vec<UiAction>) {
        ui.horizontal(|ui| {
            let label = ui.label("Filter");
            let resp = ui
                .add(
                    egui::TextEdit::singleline(&mut self.state.filter)
                        .hint_text("name (Ctrl+F)")
                        .desired_width(200.0),
                )
                .labelled_by(label.id);
            if std::mem::take(&mut self.focus_filter) {
                resp.request_focus();
            }
            if (resp.has_focus() || resp.lost_focus()) && ui.input(|i| i.key_pressed(Key::Escape)) {
                self.state.filter.clear();
            }
            if !self.state.filter.is_empty()
                && ui
                    .small_button("Clear")
                    .on_hover_text("Show every group, computer and session again (Esc)")
                    .accessible_name("Clear filter")
                    .clicked()
            {
                self.state.filter.clear();
            }
        });
        ui.separator();
        let rows = self.state.tree_rows();
        let row_height = ui.spacing().interact_size.y + 2.0;
        let cursor_index = if std::mem::take(&mut self.scroll_to_cursor) {
            let focus = self.state.focus.clone();
            rows.iter().position(|r| Some(r.key()) == focus)
        } else {
            None
        };
        if rows.is_empty() {
            ui.label(if self.state.filter.trim().is_empty() {
                "No computers yet: add a profile."
            } else {
                "Nothing matches the filter."
            });
        }
        egui::ScrollArea::vertical()
            .id_salt("tree_scroll")
            .auto_shrink([false, false])
            .show_rows(ui, row_height, rows.len(), |ui, range| {
                if let Some(i) = cursor_index {
                    // Bring the cursor row into view, even when it is not laid out this frame.
                    let step = row_height + ui.spacing().item_spacing.y;
                    #[allow(clippy::cast_precision_loss)]
                    let top = ui.cursor().top() + (i as f32 - range.start as f32) * step;
                    let rect = egui::Rect::from_min_size(
                        egui::pos2(ui.cursor().left(), top),
                        egui::vec2(1.0, row_height),
                    );
                    ui.scroll_to_rect(rect, None);
                }
                for row in &rows[range] {
                    widgets::tree_row(ui, &self.state, row, now, actions);
                }
            });
    }

    fn tabs(&mut self, ui: &mut Ui, actions: &mut Vec<UiAction>) {
        ui.horizontal(|ui| {
            for t in Tab::ALL {
                if ui
                    .selectable_label(!self.fleet && self.tab == t, t.label())
                    .clicked()
                {
                    actions.push(UiAction::ShowTab(t));
                }
            }
        });
    }

    fn status_bar(&mut self, ui: &mut Ui, actions: &mut Vec<UiAction>) {
        ui.horizontal_wrapped(|ui| {
            let mut any = false;
            for p in self.state.pending() {
                any = true;
                widgets::spinner(ui);
                let mut text = p.what.clone();
                if p.total > 0 {
                    text.push_str(&format!(" ({}/{})", p.done, p.total));
                }
                if !p.message.is_empty() {
                    text.push_str(&format!(" — {}", p.message));
                }
                if p.cancelling {
                    text.push_str(" — cancelling…");
                }
                ui.label(text);
                if p.total > 0 {
                    #[allow(clippy::cast_precision_loss)]
                    let frac = p.done as f32 / p.total as f32;
                    ui.add(egui::ProgressBar::new(frac).desired_width(80.0));
                }
                let cancel = ui
                    .add_enabled(!p.cancelling, egui::Button::new("Cancel"))
                    .accessible_name(format!("Cancel {}", p.what))
                    .on_hover_text("Stop this action (the worker cancels what it can)");
                if cancel.clicked() {
                    actions.push(UiAction::Cancel(p.op));
                }
                ui.separator();
            }
            if !any {
                ui.label("Ready");
            }
            let computers = self.state.all_computers().len();
            let sessions = self.state.session_count();
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(format!("{computers} computers, {sessions} sessions"));
            });
        });
    }

    fn dialogs(&mut self, ctx: &egui::Context, actions: &mut Vec<UiAction>) {
        if let Some(dialog) = &mut self.dialog {
            let handle = &self.handle;
            let next_op = || handle.next_op();
            match dialog.show(ctx, &self.state, &next_op, self.keyring) {
                Outcome::Open => {}
                Outcome::Password {
                    credential,
                    entry,
                    save,
                    held,
                } => {
                    if save && self.keyring {
                        actions.push(UiAction::Send {
                            what: format!(
                                "Saving the password of {} in the keyring",
                                credential.user
                            ),
                            command: Box::new(Command::SaveCredential {
                                op: next_op(),
                                entry,
                                credential: credential.clone(),
                            }),
                        });
                    }
                    self.passwords
                        .insert(credential.user.to_ascii_lowercase(), credential);
                    self.dialog = None;
                    for (command, what) in held {
                        actions.push(UiAction::Send {
                            command: Box::new(command),
                            what,
                        });
                    }
                }
                Outcome::Close => {
                    if let Some(Dialog::Password(d)) = &self.dialog {
                        let what: Vec<&str> = d.held.iter().map(|(_, w)| w.as_str()).collect();
                        self.state.notify(
                            state::ToastKind::Info,
                            crate::model::UserError {
                                summary: format!("Not sent: {}", what.join(", ")),
                                detail: format!("no password was given for {}", d.user),
                                advice: None,
                                error_id: None,
                            },
                            chrono::Utc::now(),
                        );
                    }
                    self.dialog = None;
                }
                Outcome::HandedOver { sends, note } => {
                    self.dialog = None;
                    for (command, what) in sends {
                        actions.push(UiAction::Send {
                            command: Box::new(command),
                            what,
                        });
                    }
                    self.state.notify(
                        state::ToastKind::Info,
                        crate::model::UserError {
                            summary: "Hand-over note copied to the clipboard".into(),
                            detail: note,
                            advice: Some(
                                "Give it to the next person: Find session… reads it back.".into(),
                            ),
                            error_id: None,
                        },
                        chrono::Utc::now(),
                    );
                }
                Outcome::Find(clue) => {
                    self.dialog = None;
                    actions.push(UiAction::Find(clue));
                }
                Outcome::Submit { sends, save } => {
                    if let Some(credential) = save.filter(|_| self.keyring) {
                        actions.push(UiAction::Send {
                            what: format!(
                                "Saving the password of {} in the keyring",
                                credential.user
                            ),
                            command: Box::new(Command::SaveCredential {
                                op: next_op(),
                                entry: None,
                                credential,
                            }),
                        });
                    }
                    for (command, what) in sends {
                        actions.push(UiAction::Send {
                            command: Box::new(command),
                            what,
                        });
                    }
                    self.dialog = None;
                }
            }
            return;
        }
        if let Some(p) = self.state.current_prompt().cloned() {
            let answered = dialogs::prompt::show(ctx, &p, &mut self.prompt_answer);
            if let Some(answer) = answered {
                if let Some(session) = self.state.session_ref(&p.computer, p.instance_id) {
                    let op = self.handle.next_op();
                    actions.push(UiAction::Send {
                        command: Box::new(Command::AnswerPrompt {
                            op,
                            session,
                            command_id: p.command_id,
                            answer: answer.to_string(),
                        }),
                        what: format!("Answer prompt on {}", p.computer),
                    });
                }
                self.state.answered_prompt(&answer);
            }
        }
    }

    fn toasts(&mut self, ctx: &egui::Context, actions: &mut Vec<UiAction>) {
        if self.state.toasts().is_empty() {
            return;
        }
        egui::Area::new(Id::unique("baton_toasts"))
            .anchor(Align2::RIGHT_BOTTOM, [-12.0, -36.0])
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                ui.set_max_width(420.0);
                for t in self.state.toasts() {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        let color = match t.kind {
                            ToastKind::Error => ui.visuals().error_fg_color,
                            ToastKind::Info => ui.visuals().strong_text_color(),
                        };
                        ui.label(RichText::new(&t.summary).strong().color(color));
                        if !t.detail.is_empty() {
                            ui.label(&t.detail);
                        }
                        if let Some(a) = &t.advice {
                            ui.label(format!("What to do: {a}"));
                        }
                        if let Some(id) = &t.error_id {
                            ui.label(RichText::new(id).small().weak());
                        }
                        if ui
                            .button("Dismiss")
                            .accessible_name(format!("Dismiss: {}", t.summary))
                            .clicked()
                        {
                            actions.push(UiAction::DismissToast(t.id));
                        }
                    });
                }
            });
    }
}

impl eframe::App for BatonApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events();
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // Closed without the quit flow (the platform ended the loop): hand
        // the sessions back as PowerShell's host would, and wait for it.
        if self.quitting.is_none() {
            self.quit(Release::HandBack);
        }
        let deadline = std::time::Instant::now() + Duration::from_mins(1);
        while !self.worker_stopped && std::time::Instant::now() < deadline {
            match self.handle.recv_or_closed(Duration::from_millis(100)) {
                Ok(Some(ev)) => self.apply_event(ev, Utc::now()),
                Ok(None) => {}
                Err(_) => break,
            }
        }
        self.save_activity();
        // The whole-output files go with the console.
        self.output_files = output_save::OutputFiles::new(None);
    }
}

/// The colour of a session's State/Availability badge: Opened/Available
/// green, Disconnected/None amber, Busy red, Broken/Closed grey.
pub fn badge_color(state: SessionState, availability: crate::model::Availability) -> Color32 {
    use crate::model::Availability;
    if availability == Availability::Busy {
        return Color32::from_rgb(0xd0, 0x3b, 0x3b);
    }
    match state {
        SessionState::Opened => Color32::from_rgb(0x2e, 0x9d, 0x4f),
        SessionState::Disconnected | SessionState::Opening => Color32::from_rgb(0xd9, 0x8e, 0x04),
        SessionState::Broken | SessionState::Closed => Color32::from_gray(0x80),
    }
}

/// A waker for [`WorkerHandle::pair`] that repaints `ctx`; the console is
/// then started with the same context (`app::run_console` does both).
pub fn waker_for(ctx: &egui::Context) -> Arc<dyn Fn() + Send + Sync> {
    let ctx = ctx.clone();
    Arc::new(move || ctx.request_repaint())
}

/// How the console starts (`app::run_console` builds it from these).
#[derive(Default)]
pub struct RunOptions {
    /// Credentials saved in the keyring: (entry id, user).
    pub saved_credentials: Vec<(String, String)>,
    /// The worker has a keyring to save passwords in (see [`BatonApp::with_keyring`]).
    pub keyring: bool,
    /// The demo lab's accounts (user, role, password), for the banner.
    pub lab_accounts: Vec<(String, String, String)>,
    /// The activity file's history; new entries go to the worker, which
    /// appends them (see [`BatonApp::with_activity_history`]).
    pub activity: Option<ActivityHistory>,
    /// The profile file and its tree, for "Edit profile…".
    pub profiles: Option<(
        crate::store::profiles::ProfileStore,
        crate::model::profile::ProfileTree,
    )>,
    /// Set by a SIGTERM handler: the console quits, handing sessions back.
    pub terminate: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl BatonApp {
    /// Applies `os`'s rules (`linux`, `windows`, `macos`) instead of this
    /// computer's: for tests of what users on other platforms meet.
    pub fn with_platform(mut self, os: &str) -> Self {
        self.state.single_sign_on = crate::model::rules::single_sign_on(os);
        self
    }
}

/// Baton's icon for the window and the taskbar (the 256-pixel PNG of
/// `assets/icons`, built into the program), instead of egui's logo.
pub fn window_icon() -> Option<egui::IconData> {
    eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icons/baton-256.png")).ok()
}
