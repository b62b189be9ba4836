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
        // Busy sessions: held by another client, which may be gone.
        let mut busy: Vec<SessionRef> = Vec::new();
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
                    if s.availability == crate::model::Availability::Busy {
                        ui.label(holder_text(s));
                        if let Some(r) = state.session_ref(computer, *id) {
                            busy.push(r);
                        }
                    }
                }
            }
        }
        if remove.is_empty() && busy.is_empty() {
            error_text(ui, "Nothing to remove.");
        }
        if !busy.is_empty() {
            ui.label(
                "If the client that holds a Busy session is gone (it crashed, was killed, or \
                 its computer is lost), remove it anyway: Baton deletes it as its owner \
                 (Remove-PSSession -Force) and whatever runs in it stops.",
            );
        }
        let mut outcome = Outcome::Open;
        ui.separator();
        ui.horizontal(|ui| {
            if super::default_button(ui, !remove.is_empty(), "Confirm remove").1 {
                let what = match remove.as_slice() {
                    [one] => format!("Remove-PSSession {} on {}", one.name, one.computer.name),
                    many => format!("Remove-PSSession ({} sessions)", many.len()),
                };
                outcome = Outcome::Submit {
                    sends: vec![(
                        Command::Remove {
                            op: next_op(),
                            sessions: std::mem::take(&mut remove),
                            force: false,
                        },
                        what,
                    )],
                    save: None,
                };
            }
            if !busy.is_empty() && ui.button("Remove anyway").clicked() {
                let what = match busy.as_slice() {
                    [one] => format!(
                        "Remove-PSSession -Force {} on {}",
                        one.name, one.computer.name
                    ),
                    many => format!("Remove-PSSession -Force ({} sessions)", many.len()),
                };
                busy.extend(std::mem::take(&mut remove));
                outcome = Outcome::Submit {
                    sends: vec![(
                        Command::Remove {
                            op: next_op(),
                            sessions: std::mem::take(&mut busy),
                            force: true,
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

/// What the server tells of the client holding a Busy session.
fn holder_text(s: &crate::model::SessionInfo) -> String {
    let from = s
        .details
        .client_ip
        .as_deref()
        .filter(|ip| !ip.is_empty())
        .map_or_else(
            || "from an unknown address".into(),
            |ip| format!("from {ip}"),
        );
    let idle = s
        .details
        .shell_inactivity_ms
        .map(|ms| {
            format!(
                ", inactive for {}",
                crate::ui::state::human_duration(i64::try_from(ms / 1000).unwrap_or(i64::MAX))
            )
        })
        .unwrap_or_default();
    let owner = s
        .details
        .owner
        .as_deref()
        .map(|o| format!(" (owner {o})"))
        .unwrap_or_default();
    format!("Held by a client {from}{idle}{owner}.")
}
