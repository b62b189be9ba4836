//! The password of a user a profile names but has no saved password for:
//! asked once for the whole action (every computer of a group refreshed),
//! kept in memory until the console closes, and saved in the keyring only
//! when the user asks.

use egui::{RichText, Ui};
use zeroize::{Zeroize, Zeroizing};

use super::{Outcome, default_button, field};
use crate::bridge::Command;
use crate::model::Credential;

/// Asks for `user`'s password, holding the commands that need it.
pub struct PasswordDialog {
    /// The user the profile names (`Domain01\User01`).
    pub user: String,
    /// The keyring entry the profile names for it, if any (saving goes there).
    pub entry: Option<String>,
    /// The commands to send once the password is given, with their texts.
    pub held: Vec<(Command, String)>,
    /// How many computers the held commands reach with this user.
    pub computers: usize,
    password: Zeroizing<String>,
    save: bool,
    focused: bool,
}

impl PasswordDialog {
    /// A dialog for `user`, holding `held` (which reach `computers` computers).
    pub fn new(
        user: &str,
        entry: Option<String>,
        held: Vec<(Command, String)>,
        computers: usize,
    ) -> Self {
        PasswordDialog {
            user: user.to_owned(),
            entry,
            held,
            computers,
            password: Zeroizing::new(String::new()),
            save: false,
            focused: false,
        }
    }

    pub(super) fn ui(&mut self, ui: &mut Ui, can_save: bool) -> Outcome {
        ui.heading(format!("Password for {}", self.user));
        let what = if self.computers == 1 {
            "one computer".to_owned()
        } else {
            format!("{} computers", self.computers)
        };
        ui.label(format!(
            "The profile signs in to {what} as {}, but no password for it is saved. Baton keeps it in memory until the console closes.",
            self.user
        ));
        let edit = field(
            ui,
            "Password",
            egui::TextEdit::singleline(&mut *self.password).password(true),
        );
        if !self.focused {
            edit.request_focus();
            self.focused = true;
        }
        if can_save {
            ui.checkbox(&mut self.save, "Save it in the keyring");
        } else {
            ui.label(
                RichText::new("(No keyring: it is kept for this console session only.)").small(),
            );
        }
        let empty = self.password.is_empty();
        let mut outcome = Outcome::Open;
        ui.horizontal(|ui| {
            let (button, pressed) = default_button(ui, !empty, "Sign in");
            button.on_disabled_hover_text("Type the password first.");
            if pressed {
                let credential = Credential::new(self.user.clone(), self.password.as_str());
                self.password.zeroize();
                outcome = Outcome::Password {
                    credential,
                    entry: self.entry.clone(),
                    save: self.save && can_save,
                    held: std::mem::take(&mut self.held),
                };
            }
            if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                outcome = Outcome::Close;
            }
        });
        outcome
    }
}
