//! Invoke-Command in a session, now or in a disconnected session.

use egui::Ui;
use uuid::Uuid;

use super::{Outcome, error_text};
use crate::bridge::{Command, OpId};
use crate::ui::state::AppState;

/// The Run command dialog: a multi-line script editor.
pub struct RunDialog {
    computer: String,
    instance_id: Uuid,
    script: String,
}

impl RunDialog {
    /// A dialog for one session.
    pub fn new(computer: &str, instance_id: Uuid) -> Self {
        RunDialog {
            computer: computer.to_owned(),
            instance_id,
            script: String::new(),
        }
    }

    /// Lays out the dialog.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState, next_op: &dyn Fn() -> OpId) -> Outcome {
        let Some(session) = state.session_ref(&self.computer, self.instance_id) else {
            ui.label("This session is gone.");
            return if ui.button("Close").clicked() {
                Outcome::Close
            } else {
                Outcome::Open
            };
        };
        ui.heading(format!(
            "Invoke-Command -Session {} on {}",
            session.name, session.computer.name
        ));
        let label = ui.label("Script");
        ui.add(
            egui::TextEdit::multiline(&mut self.script)
                .code_editor()
                .desired_rows(8)
                .desired_width(f32::INFINITY)
                .hint_text("Get-Service | Where-Object Status -eq 'Running'"),
        )
        .labelled_by(label.id);
        ui.label(
            "Run in session: the output comes here as it is produced. Start in disconnected \
             session: the command starts and the session is disconnected at once, so it runs \
             unattended; connect later to receive its output.",
        );
        let empty = self.script.trim().is_empty();
        if empty {
            error_text(ui, "Type a script first.");
        }
        let mut outcome = Outcome::Open;
        ui.horizontal(|ui| {
            for (label, disconnected) in [
                ("Run in session", false),
                ("Start in disconnected session", true),
            ] {
                if ui.add_enabled(!empty, egui::Button::new(label)).clicked() {
                    let what = format!(
                        "Invoke-Command on {} ({}){}",
                        session.name,
                        session.computer.name,
                        if disconnected {
                            " -InDisconnectedSession"
                        } else {
                            ""
                        }
                    );
                    outcome = Outcome::Submit {
                        sends: vec![(
                            Command::Invoke {
                                op: next_op(),
                                session: session.clone(),
                                script: self.script.clone(),
                                in_disconnected_session: disconnected,
                            },
                            what,
                        )],
                        save: None,
                    };
                }
            }
            if ui.button("Cancel").clicked() {
                outcome = Outcome::Close;
            }
        });
        outcome
    }
}
