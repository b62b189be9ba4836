//! Remove-PSSession, confirmed, with Busy sessions explained.

use egui::{RichText, Ui};
use uuid::Uuid;

use super::{Outcome, error_text};
use crate::bridge::{Command, OpId, SessionRef};
use crate::ui::state::{AppState, remove_blocker};

/// The Remove dialog.
pub struct RemoveDialog {
    targets: Vec<(String, Uuid)>,
}

impl RemoveDialog {
    /// A dialog for these sessions (computer, instance id).
    pub fn new(targets: Vec<(String, Uuid)>) -> Self {
        RemoveDialog { targets }
    }

    /// Lays out the dialog.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState, next_op: &dyn Fn() -> OpId) -> Outcome {
        ui.heading("Remove-PSSession");
        ui.label(
            "Removing a session closes it on its computer: its running commands stop and \
             output nobody has received is lost.",
        );
        let mut remove: Vec<SessionRef> = Vec::new();
        for (computer, id) in &self.targets {
            let Some(s) = state.session(computer, *id) else {
                continue;
            };
            match remove_blocker(s) {
                None => {
                    ui.label(format!(
                        "Will remove: {} on {computer} ({})",
                        s.name, s.state
                    ));
                    if let Some(r) = state.session_ref(computer, *id) {
                        remove.push(r);
                    }
                }
                Some(why) => {
                    ui.label(RichText::new(format!("Kept: {why}")).weak());
                }
            }
        }
        if remove.is_empty() {
            error_text(ui, "Nothing to remove.");
        }
        let mut outcome = Outcome::Open;
        ui.separator();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!remove.is_empty(), egui::Button::new("Confirm remove"))
                .clicked()
            {
                let what = match remove.as_slice() {
                    [one] => format!("Remove-PSSession {} on {}", one.name, one.computer.name),
                    many => format!("Remove-PSSession ({} sessions)", many.len()),
                };
                outcome = Outcome::Submit {
                    sends: vec![(
                        Command::Remove {
                            op: next_op(),
                            sessions: std::mem::take(&mut remove),
                        },
                        what,
                    )],
                    save: None,
                };
            }
            if ui.button("Cancel").clicked() {
                outcome = Outcome::Close;
            }
        });
        outcome
    }
}
