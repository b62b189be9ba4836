//! New-PSSession on a computer of the inventory.

use egui::Ui;

use super::{Outcome, buffering_radio, error_text, field};
use crate::bridge::{Command, OpId};
use crate::model::OutputBufferingMode;
use crate::ui::state::AppState;

/// The New session dialog's values.
pub struct NewSessionDialog {
    computer: String,
    name: String,
    /// Milliseconds; empty = the server's default.
    idle_timeout_ms: String,
    mode: OutputBufferingMode,
}

impl NewSessionDialog {
    /// Starts on `computer`.
    pub fn new(computer: &str) -> Self {
        NewSessionDialog {
            computer: computer.to_owned(),
            name: String::new(),
            idle_timeout_ms: String::new(),
            mode: OutputBufferingMode::None,
        }
    }

    /// Lays out the dialog.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState, next_op: &dyn Fn() -> OpId) -> Outcome {
        ui.heading("New-PSSession");
        egui::ComboBox::from_label("Computer")
            .selected_text(self.computer.clone())
            .show_ui(ui, |ui| {
                for c in state.all_computers() {
                    ui.selectable_value(&mut self.computer, c.name.clone(), &c.name);
                }
            });
        field(
            ui,
            "Name",
            egui::TextEdit::singleline(&mut self.name).hint_text("e.g. ITTask (optional)"),
        );
        field(
            ui,
            "IdleTimeout (ms)",
            egui::TextEdit::singleline(&mut self.idle_timeout_ms).hint_text("server default"),
        );
        ui.label(
            egui::RichText::new(
                "How long the session survives without a connected client, in milliseconds \
                 (at least 60000; the server caps it at its MaxIdleTimeoutms).",
            )
            .small(),
        );
        buffering_radio(ui, &mut self.mode);
        let idle = self.idle_timeout_ms.trim();
        let parsed: Result<Option<u64>, String> = if idle.is_empty() {
            Ok(None)
        } else {
            match idle.parse::<u64>() {
                Ok(v) if v >= 60_000 => Ok(Some(v)),
                Ok(v) => Err(format!(
                    "IdleTimeout {v} ms is below the minimum of 60000 ms (60 seconds)."
                )),
                Err(_) => Err(format!(
                    "IdleTimeout must be a whole number of milliseconds, not \"{idle}\"."
                )),
            }
        };
        let computer = state.computer(&self.computer);
        if let Err(e) = &parsed {
            error_text(ui, e);
        }
        let mut outcome = Outcome::Open;
        ui.horizontal(|ui| {
            let ok = parsed.is_ok() && computer.is_some();
            if super::default_button(ui, ok, "Create session").1
                && let (Ok(idle), Some(c)) = (&parsed, computer)
            {
                let name = self.name.trim();
                let what = format!("New-PSSession on {}", c.name);
                outcome = Outcome::Submit {
                    sends: vec![(
                        Command::NewSession {
                            op: next_op(),
                            computer: c.computer_ref(),
                            name: (!name.is_empty()).then(|| name.to_owned()),
                            idle_timeout_ms: *idle,
                            output_buffering_mode: self.mode,
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
