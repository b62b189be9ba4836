//! Find session…: paste a hand-over note, a `Connect-PSSession` line or a
//! bare InstanceId; the console looks the session up on the profiles'
//! computers and selects it, ready for Connect and Receive.

use egui::{RichText, Ui};

use super::{Outcome, field};
use crate::model::hand_over::{SessionClue, read_clue};

/// The Find session dialog.
#[derive(Default)]
pub struct FindDialog {
    text: String,
    focused: bool,
}

impl FindDialog {
    pub(super) fn ui(&mut self, ui: &mut Ui) -> Outcome {
        ui.heading("Find session");
        ui.label("Paste the hand-over note you were given, the Connect-PSSession line, or just the session's InstanceId.");
        let edit = field(
            ui,
            "Note, line or InstanceId",
            egui::TextEdit::multiline(&mut self.text).desired_rows(6),
        );
        if !self.focused {
            edit.request_focus();
            self.focused = true;
        }
        let clue = read_clue(&self.text);
        ui.label(RichText::new(describe(&clue)).small());
        let mut outcome = Outcome::Open;
        ui.horizontal(|ui| {
            // Enter types a new line in the note; Ctrl+Enter or the button finds.
            let find = ui.add_enabled(
                !clue.is_empty(),
                egui::Button::new("Find").fill(ui.visuals().selection.bg_fill),
            );
            let ctrl_enter = ui.input(|i| i.key_pressed(egui::Key::Enter) && i.modifiers.command);
            if !clue.is_empty() && (find.clicked() || ctrl_enter) {
                outcome = Outcome::Find(clue.clone());
            }
            if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                outcome = Outcome::Close;
            }
        });
        outcome
    }
}

/// What the pasted text names, in a sentence.
pub fn describe(clue: &SessionClue) -> String {
    if clue.is_empty() {
        return "Nothing here names a session yet.".into();
    }
    let mut s = String::from("Looks for ");
    match (&clue.session, clue.instance_id) {
        (Some(n), Some(id)) => s.push_str(&format!("{n} ({id})")),
        (Some(n), None) => s.push_str(n),
        (None, Some(id)) => s.push_str(&format!("the session {id}")),
        (None, None) => {}
    }
    match &clue.computer {
        Some(c) => s.push_str(&format!(" on {c}")),
        None => s.push_str(" on every computer of the profiles"),
    }
    if let Some(a) = &clue.account {
        s.push_str(&format!(", as {a}"));
    }
    s.push('.');
    s
}
