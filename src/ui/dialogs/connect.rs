//! Connect-PSSession: pick whose credentials to use (yours, a saved one, or
//! another user's such as the technician who disconnected the session).
//! The password is masked and wiped once used.

use egui::{RichText, Ui};
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

use super::{Outcome, error_text, field};
use crate::bridge::{Command, CredentialChoice, OpId, SessionRef};
use crate::model::Credential;
use crate::ui::state::{AppState, connect_blocker};

/// Whose credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// The current user (single sign-on).
    Implicit,
    /// One saved in the keyring.
    Saved,
    /// Typed now.
    Other,
}

/// The Connect dialog's values.
pub struct ConnectDialog {
    computer: String,
    instance_id: Uuid,
    kind: CredentialKind,
    saved_index: usize,
    user: String,
    password: Zeroizing<String>,
    save_in_keyring: bool,
    error: Option<String>,
}

impl ConnectDialog {
    /// Starts from the computer's own credential choice.
    pub fn new(state: &AppState, computer: &str, instance_id: Uuid) -> Self {
        let mut d = ConnectDialog {
            computer: computer.to_owned(),
            instance_id,
            kind: CredentialKind::Implicit,
            saved_index: 0,
            user: String::new(),
            password: Zeroizing::new(String::new()),
            save_in_keyring: false,
            error: None,
        };
        if let Some(c) = state.computer(computer) {
            match &c.credential {
                CredentialChoice::Implicit => {}
                CredentialChoice::Saved { entry_id, .. } => {
                    if let Some(i) = state
                        .saved_credentials
                        .iter()
                        .position(|(e, _)| e == entry_id)
                    {
                        d.kind = CredentialKind::Saved;
                        d.saved_index = i;
                    }
                }
                CredentialChoice::Once(cred) => {
                    d.kind = CredentialKind::Other;
                    d.user = cred.user.clone();
                }
            }
        }
        d
    }

    /// Lays out the dialog.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        state: &AppState,
        next_op: &dyn Fn() -> OpId,
        can_save: bool,
    ) -> Outcome {
        let Some(session) = state.session_ref(&self.computer, self.instance_id) else {
            ui.label("This session is gone.");
            return if ui.button("Close").clicked() {
                Outcome::Close
            } else {
                Outcome::Open
            };
        };
        let blocker = state
            .session(&self.computer, self.instance_id)
            .and_then(connect_blocker);
        ui.heading(format!(
            "Connect-PSSession {} on {}",
            session.name, session.computer.name
        ));
        ui.label(
            "Connect as yourself, or as the user who owns the session (for example the \
             technician who disconnected it). Only that user, or an administrator, can connect.",
        );
        ui.add_space(6.0);
        ui.label(RichText::new("Credential").strong());
        let sso = state.single_sign_on.clone();
        if sso.is_err() && self.kind == CredentialKind::Implicit {
            self.kind = CredentialKind::Other;
        }
        ui.add_enabled_ui(sso.is_ok(), |ui| {
            let r = ui.radio_value(
                &mut self.kind,
                CredentialKind::Implicit,
                "Implicit (you, with single sign-on)",
            );
            if let Err(why) = &sso {
                r.on_disabled_hover_text(why);
            }
        });
        let has_saved = !state.saved_credentials.is_empty();
        ui.add_enabled_ui(has_saved, |ui| {
            ui.radio_value(&mut self.kind, CredentialKind::Saved, "A saved credential")
                .on_disabled_hover_text("No credential is saved in the keyring yet.");
        });
        if self.kind == CredentialKind::Saved && has_saved {
            let shown = state
                .saved_credentials
                .get(self.saved_index)
                .map_or("", |(_, u)| u.as_str());
            egui::ComboBox::from_label("Saved credential")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    for (i, (_, user)) in state.saved_credentials.iter().enumerate() {
                        ui.selectable_value(&mut self.saved_index, i, user);
                    }
                });
        }
        ui.radio_value(
            &mut self.kind,
            CredentialKind::Other,
            "Another user's name and password",
        );
        if self.kind == CredentialKind::Other {
            field(
                ui,
                "User name",
                egui::TextEdit::singleline(&mut self.user).hint_text("Domain01\\User01"),
            );
            field(
                ui,
                "Password",
                egui::TextEdit::singleline(&mut *self.password).password(true),
            );
            ui.add_enabled_ui(can_save, |ui| {
                ui.checkbox(&mut self.save_in_keyring, "Save in keyring")
                    .on_disabled_hover_text("No keyring is available on this computer.");
            });
        }
        if let Some(why) = &blocker {
            error_text(ui, why);
        }
        if let Some(e) = &self.error {
            error_text(ui, e);
        }
        let mut outcome = Outcome::Open;
        ui.separator();
        ui.horizontal(|ui| {
            let (go, pressed) = super::default_button(ui, blocker.is_none(), "Connect session");
            go.on_disabled_hover_text(blocker.clone().unwrap_or_default());
            if pressed {
                outcome = self.submit(state, session, next_op);
            }
            if ui.button("Cancel").clicked() {
                self.password.zeroize();
                outcome = Outcome::Close;
            }
        });
        outcome
    }

    fn submit(
        &mut self,
        state: &AppState,
        mut session: SessionRef,
        next_op: &dyn Fn() -> OpId,
    ) -> Outcome {
        let mut save = None;
        let credential = match self.kind {
            CredentialKind::Implicit => CredentialChoice::Implicit,
            CredentialKind::Saved => {
                let Some((entry_id, user)) = state.saved_credentials.get(self.saved_index) else {
                    self.error = Some("Pick a saved credential.".into());
                    return Outcome::Open;
                };
                CredentialChoice::Saved {
                    entry_id: entry_id.clone(),
                    user: user.clone(),
                }
            }
            CredentialKind::Other => {
                let user = self.user.trim();
                if user.is_empty() {
                    self.error = Some("Type the user name, e.g. Domain01\\User01.".into());
                    return Outcome::Open;
                }
                let cred = Credential::new(user, self.password.as_str());
                if self.save_in_keyring {
                    save = Some(cred.clone());
                }
                CredentialChoice::Once(cred)
            }
        };
        self.password.zeroize();
        let what = format!(
            "Connect-PSSession {} on {}",
            session.name, session.computer.name
        );
        session.computer.credential = credential;
        Outcome::Submit {
            sends: vec![(
                Command::Connect {
                    op: next_op(),
                    session,
                },
                what,
            )],
            save,
        }
    }
}
