//! "Try the hand-over" on the demo lab: the seed scenario in four steps,
//! each a button that does it and a check once it is done. The technician
//! connects to ITTask on Srv1, reads the output that piled up, hands the
//! session over, and finds it again as the next person would.

use egui::{RichText, Ui};

use super::state::{Action, AppState};
use super::{BatonApp, NodeKey, UiAction};
use crate::bridge::{Command, CredentialChoice};
use crate::model::hand_over::SessionClue;
use crate::model::{Credential, SessionState};

/// Where the walkthrough is.
#[derive(Debug, Default)]
pub struct Walkthrough {
    /// The session was open in this console at some point.
    opened: bool,
    /// It was then disconnected (handed over).
    handed_over: bool,
}

/// The seed scenario's session.
fn clue() -> SessionClue {
    SessionClue {
        computer: Some("Srv1".into()),
        session: Some("ITTask".into()),
        ..SessionClue::default()
    }
}

impl Walkthrough {
    /// Notes what happened to the session since the last frame.
    fn observe(&mut self, state: &AppState) {
        let Some((c, id)) = state.find_session(&clue()) else {
            return;
        };
        match state.session(&c, id).map(|s| s.state) {
            Some(SessionState::Opened) => self.opened = true,
            Some(SessionState::Disconnected) if self.opened => self.handed_over = true,
            _ => {}
        }
    }

    /// Lays out the steps; `technician` is the lab's (user, password).
    pub(super) fn ui(
        &mut self,
        ui: &mut Ui,
        state: &AppState,
        technician: Option<&(String, String)>,
        next_op: &dyn Fn() -> crate::bridge::OpId,
        actions: &mut Vec<UiAction>,
    ) -> bool {
        self.observe(state);
        let found = state.find_session(&clue());
        let received = found
            .as_ref()
            .and_then(|(c, id)| state.output(c, *id))
            .is_some_and(|o| !o.commands.is_empty());
        let mut close = false;
        let done = |ui: &mut Ui, yes: bool| {
            if yes {
                ui.label(RichText::new("done").color(egui::Color32::from_rgb(0x2e, 0x9d, 0x4f)));
            }
        };
        ui.label("The technician's job on Srv1 still runs in a disconnected session, ITTask.");
        ui.horizontal(|ui| {
            ui.label("1.");
            let user = technician.map_or("the technician", |(u, _)| u.as_str());
            let can = found.is_some() && technician.is_some() && !self.opened;
            if ui
                .add_enabled(can, egui::Button::new(format!("Connect as {user}")))
                .on_hover_text("Connect-PSSession with the technician's lab password")
                .clicked()
                && let (Some((c, id)), Some((u, p))) = (&found, technician)
                && let Some(mut session) = state.session_ref(c, *id)
            {
                session.computer.credential =
                    CredentialChoice::Once(Credential::new(u.clone(), p.as_str()));
                actions.push(UiAction::Select {
                    key: NodeKey::Session {
                        computer: c.clone(),
                        instance_id: *id,
                    },
                    additive: false,
                });
                actions.push(UiAction::Send {
                    what: format!("Connect-PSSession ITTask on {c} as {u}"),
                    command: Box::new(Command::Connect {
                        op: next_op(),
                        session,
                    }),
                });
            }
            done(ui, self.opened);
        });
        ui.horizontal(|ui| {
            ui.label("2.");
            if ui
                .add_enabled(
                    self.opened && !self.handed_over,
                    egui::Button::new("Read its output"),
                )
                .on_hover_text(
                    "Receive-PSSession: the output that piled up while it was disconnected",
                )
                .clicked()
            {
                actions.push(UiAction::Run(Action::Receive));
            }
            done(ui, received);
        });
        ui.horizontal(|ui| {
            ui.label("3.");
            if ui
                .add_enabled(
                    self.opened && !self.handed_over,
                    egui::Button::new("Hand it over…"),
                )
                .on_hover_text("Disconnect it for the next person, with a note to give them")
                .clicked()
            {
                actions.push(UiAction::Run(Action::HandOver));
            }
            done(ui, self.handed_over);
        });
        ui.horizontal(|ui| {
            ui.label("4.");
            if ui
                .add_enabled(
                    self.handed_over,
                    egui::Button::new("Find it as the next person…"),
                )
                .on_hover_text("Find session…: paste the note from the clipboard")
                .clicked()
            {
                actions.push(UiAction::Run(Action::FindSession));
            }
        });
        if ui.button("Close the walkthrough").clicked() {
            close = true;
        }
        close
    }
}

impl BatonApp {
    /// The walkthrough's window, while it is open.
    pub(super) fn show_walkthrough(&mut self, ctx: &egui::Context, actions: &mut Vec<UiAction>) {
        let Some(mut w) = self.walkthrough.take() else {
            return;
        };
        let technician = self.lab_technician.clone();
        let handle = &self.handle;
        let next_op = || handle.next_op();
        let mut close = false;
        egui::Window::new("Try the hand-over")
            .collapsible(false)
            .resizable(false)
            .default_pos([360.0, 80.0])
            .show(ctx, |ui| {
                close = w.ui(ui, &self.state, technician.as_ref(), &next_op, actions);
            });
        if !close {
            self.walkthrough = Some(w);
        }
    }
}
