//! Reconnect after an outage: the sessions this user held open or handed
//! over when Baton last ran, what each is now on its server (Disconnected:
//! can be connected; Busy: held by another client, with "Remove anyway";
//! gone: expired or removed), and one button that connects the ones that can
//! be.

use egui::{RichText, Ui};

use super::{Outcome, default_button};
use crate::bridge::{Command, OpId};
use crate::model::hand_over::HeldRecord;
use crate::model::{Availability, SessionState};
use crate::ui::state::AppState;

/// What a held session is now, as the tree knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Now {
    /// Disconnected and free: it can be connected.
    CanConnect,
    /// Connected to another client.
    Busy,
    /// Open in this console already.
    Open,
    /// Not among the computer's sessions: expired or removed.
    Gone,
    /// Its computer has not answered yet.
    Unknown,
}

/// What `r` is now: from the sessions listed for its computer.
pub fn now_of(state: &AppState, r: &HeldRecord) -> Now {
    match state.session(&r.computer, r.instance_id) {
        Some(s) if s.state == SessionState::Opened => Now::Open,
        Some(s) if s.availability == Availability::Busy => Now::Busy,
        Some(_) => Now::CanConnect,
        None if state.computer_listed(&r.computer) => Now::Gone,
        None => Now::Unknown,
    }
}

/// The dialog: which of the records to reconnect.
pub struct ReconnectDialog {
    chosen: Vec<bool>,
    /// At most this many connected at a time (`-ThrottleLimit`).
    throttle_limit: u32,
}

impl ReconnectDialog {
    pub fn new(count: usize) -> Self {
        ReconnectDialog {
            chosen: vec![true; count],
            throttle_limit: 32,
        }
    }

    pub(super) fn ui(
        &mut self,
        ui: &mut Ui,
        state: &AppState,
        next_op: &dyn Fn() -> OpId,
    ) -> Outcome {
        let records = &state.previously_held;
        self.chosen.resize(records.len(), true);
        ui.heading("Reconnect after an outage");
        ui.label("The sessions you held open or handed over when Baton last ran, and what each is now on its server.");
        let mut sends = Vec::new();
        egui::Grid::new("reconnect_rows").striped(true).show(ui, |ui| {
            for (i, r) in records.iter().enumerate() {
                let now = now_of(state, r);
                let what = format!("{} on {}", r.session, r.computer);
                match now {
                    Now::CanConnect => {
                        ui.checkbox(&mut self.chosen[i], &what);
                        ui.label("Disconnected: can be connected");
                    }
                    Now::Busy => {
                        ui.label(&what);
                        ui.label(RichText::new("Busy: another client holds it").color(ui.visuals().error_fg_color));
                        if ui
                            .button(format!("Remove {} anyway", r.session))
                            .on_hover_text("Remove-PSSession -Force: deletes it as its owner; what runs in it stops")
                            .clicked()
                            && let Some(s) = state.session_ref(&r.computer, r.instance_id)
                        {
                            sends.push((
                                Command::Remove {
                                    op: next_op(),
                                    sessions: vec![s],
                                    force: true,
                                },
                                format!("Remove-PSSession {what} -Force"),
                            ));
                        }
                    }
                    Now::Open => {
                        ui.label(&what);
                        ui.label("Open in this console");
                    }
                    Now::Gone => {
                        ui.label(&what);
                        ui.label(RichText::new("Gone: its idle timeout ran out, or it was removed").weak());
                    }
                    Now::Unknown => {
                        ui.label(&what);
                        ui.label(RichText::new("Not known yet: its computer has not answered").weak());
                    }
                }
                ui.end_row();
            }
        });
        if !sends.is_empty() {
            return Outcome::Submit { sends, save: None };
        }
        let ready: Vec<&HeldRecord> = records
            .iter()
            .zip(&self.chosen)
            .filter(|(r, chosen)| **chosen && now_of(state, r) == Now::CanConnect)
            .map(|(r, _)| r)
            .collect();
        let mut outcome = Outcome::Open;
        ui.horizontal(|ui| {
            ui.label("At most");
            ui.add(egui::DragValue::new(&mut self.throttle_limit).range(1..=1000))
                .on_hover_text("ThrottleLimit: how many sessions are connected at the same time; the rest wait their turn (PowerShell's default is 32)");
            ui.label("at a time");
        });
        ui.horizontal(|ui| {
            let label = format!("Reconnect {}", ready.len());
            let (_, pressed) = default_button(ui, !ready.is_empty(), &label);
            if pressed {
                let sessions: Vec<_> = ready
                    .iter()
                    .filter_map(|r| state.session_ref(&r.computer, r.instance_id))
                    .collect();
                let what = format!(
                    "Connect-PSSession {} session(s) -ThrottleLimit {}",
                    sessions.len(),
                    self.throttle_limit
                );
                outcome = Outcome::Submit {
                    sends: vec![(
                        Command::ConnectMany {
                            op: next_op(),
                            sessions,
                            throttle_limit: self.throttle_limit,
                        },
                        what,
                    )],
                    save: None,
                };
            }
            if ui.button("Close").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                outcome = Outcome::Close;
            }
        });
        outcome
    }
}
