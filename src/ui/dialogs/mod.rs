//! Dialogs that teach: each explains what will happen, checks values before
//! anything is sent, and returns the commands to send.

pub mod connect;
pub(crate) mod disconnect;
pub(crate) mod find;
pub(crate) mod hand_over;
pub(crate) mod lowered;
pub(crate) mod new_session;
pub(crate) mod password;
pub(crate) mod prompt;
pub(crate) mod reconnect;
pub(crate) mod remove;
pub(crate) mod run;

use egui::{Id, Response, Ui};
use uuid::Uuid;

use super::state::AppState;
use crate::bridge::{Command, OpId};
use crate::model::{Credential, OutputBufferingMode};

/// What a dialog wants after a frame.
#[must_use]
pub enum Outcome {
    /// Stay open.
    Open,
    /// Closed without sending anything.
    Close,
    /// Send these commands (with the status-bar text of each) and close;
    /// `save` is a credential the user asked to keep in the keyring.
    Submit {
        /// Each command with its status-bar text.
        sends: Vec<(Command, String)>,
        /// A credential to keep in the keyring.
        save: Option<Credential>,
    },
    /// Sessions are being handed over: send `sends`; `note` (already on
    /// the clipboard) is shown once more.
    HandedOver {
        sends: Vec<(Command, String)>,
        note: String,
    },
    /// Look this session up and select it.
    Find(crate::model::hand_over::SessionClue),
    /// A password was given for a profile's user: keep it for this console
    /// session (and in the keyring when `save`), then send `held`.
    Password {
        credential: Credential,
        /// The profile's keyring entry for the user, if it names one.
        entry: Option<String>,
        save: bool,
        held: Vec<(Command, String)>,
    },
}

/// The open dialog.
pub enum Dialog {
    /// Disconnect-PSSession.
    Disconnect(disconnect::DisconnectDialog),
    /// Connect-PSSession.
    Connect(connect::ConnectDialog),
    /// Invoke-Command.
    Run(run::RunDialog),
    /// New-PSSession.
    NewSession(new_session::NewSessionDialog),
    /// Remove-PSSession.
    Remove(remove::RemoveDialog),
    /// The password of a profile's user, asked before an action is sent.
    Password(password::PasswordDialog),
    /// Hand over: disconnect for someone else, with a note.
    HandOver(hand_over::HandOverDialog),
    /// Find session… from a note, a line or an InstanceId.
    Find(find::FindDialog),
    /// Reconnect after an outage.
    Reconnect(reconnect::ReconnectDialog),
}

impl Dialog {
    /// Disconnect these sessions (computer, instance id).
    pub fn disconnect(targets: Vec<(String, Uuid)>) -> Self {
        Dialog::Disconnect(disconnect::DisconnectDialog::new(targets))
    }

    /// Connect to one session.
    pub fn connect(state: &AppState, computer: &str, instance_id: Uuid) -> Self {
        Dialog::Connect(connect::ConnectDialog::new(state, computer, instance_id))
    }

    /// Run a script in one session.
    pub fn run(computer: &str, instance_id: Uuid) -> Self {
        Dialog::Run(run::RunDialog::new(computer, instance_id))
    }

    /// Create a session, starting on `computer`.
    pub fn new_session(computer: &str) -> Self {
        Dialog::NewSession(new_session::NewSessionDialog::new(computer))
    }

    /// Remove these sessions.
    pub fn remove(targets: Vec<(String, Uuid)>) -> Self {
        Dialog::Remove(remove::RemoveDialog::new(targets))
    }

    /// Shows the dialog for one frame.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        state: &AppState,
        next_op: &dyn Fn() -> OpId,
        can_save_credentials: bool,
    ) -> Outcome {
        let modal = egui::Modal::new(Id::unique("baton_dialog")).show(ctx, |ui| {
            ui.set_max_width(640.0);
            match self {
                Dialog::Disconnect(d) => d.ui(ui, state, next_op),
                Dialog::Connect(d) => d.ui(ui, state, next_op, can_save_credentials),
                Dialog::Run(d) => d.ui(ui, state, next_op),
                Dialog::NewSession(d) => d.ui(ui, state, next_op),
                Dialog::Remove(d) => d.ui(ui, state, next_op),
                Dialog::Password(d) => d.ui(ui, can_save_credentials),
                Dialog::HandOver(d) => d.ui(ui, state, next_op),
                Dialog::Find(d) => d.ui(ui),
                Dialog::Reconnect(d) => d.ui(ui, state, next_op),
            }
        });
        match modal.inner {
            Outcome::Open if modal.should_close() => Outcome::Close,
            other => other,
        }
    }
}

/// The dialog's default button, drawn as the default (filled): true when it
/// is clicked, or when Enter is pressed while it is enabled, as dialogs do.
pub(crate) fn default_button(ui: &mut Ui, enabled: bool, label: &str) -> (Response, bool) {
    let fill = ui.visuals().selection.bg_fill;
    let button = ui.add_enabled(enabled, egui::Button::new(label).fill(fill));
    let enter = enabled && ui.input(|i| i.key_pressed(egui::Key::Enter) && i.modifiers.is_none());
    let pressed = button.clicked() || enter;
    (button, pressed)
}

/// A text field named by the label in front of it (for screen readers and tests).
pub(crate) fn field(ui: &mut Ui, label: &str, edit: egui::TextEdit<'_>) -> Response {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(edit).labelled_by(l.id)
    })
    .inner
}

/// One plain sentence on what happens when a disconnected session's output buffer fills.
pub fn buffering_sentence(mode: OutputBufferingMode) -> &'static str {
    match mode {
        OutputBufferingMode::Block => {
            "Block: when the output buffer is full, the command pauses until someone connects and reads the output; nothing is lost."
        }
        OutputBufferingMode::Drop => {
            "Drop: when the output buffer is full, the command keeps running and the oldest output is thrown away to make room."
        }
        OutputBufferingMode::None => {
            "None: no mode is given here, so the session configuration's own setting applies (Block unless changed)."
        }
    }
}

/// Radio buttons Block/Drop/None, each with its sentence.
pub(crate) fn buffering_radio(ui: &mut Ui, mode: &mut OutputBufferingMode) {
    ui.label(egui::RichText::new("OutputBufferingMode").strong());
    for m in [
        OutputBufferingMode::Block,
        OutputBufferingMode::Drop,
        OutputBufferingMode::None,
    ] {
        ui.radio_value(mode, m, m.as_str());
        ui.indent(("buffering", m.as_str()), |ui| {
            ui.label(egui::RichText::new(buffering_sentence(m)).small());
        });
    }
}

/// A red message.
pub(crate) fn error_text(ui: &mut Ui, text: &str) {
    let color = ui.visuals().error_fg_color;
    ui.label(egui::RichText::new(text).color(color));
}
