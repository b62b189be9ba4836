//! The profile editor: every connection setting of one group or computer of
//! the profile file, each with its EFFECTIVE value and where that comes from
//! ("set here", "inherited from group Lab", "PowerShell default"), a way to
//! override it here and to clear the override again.
//!
//! Values are checked before anything is written (a bad port, a bad
//! connection URI, an IdleTimeout out of range each say what is wrong). Save
//! hands the node's new settings to the worker (`Command::EditProfiles`),
//! which re-reads the profile file, changes only this node and writes it
//! atomically under the file's lock; the UI never touches the disk.
//! A password typed for a credential goes to the OS keyring through the
//! worker too (`Command::SaveCredential`); the profile keeps only the user
//! name and the keyring entry's id.

use std::collections::HashSet;
use std::sync::mpsc;

use egui::{Id, RichText, Ui};
use zeroize::Zeroizing;

use super::state::NodeKey;
use crate::bridge::{Command, Event, OpId};
use crate::model::Credential;
use crate::model::profile::{
    AuthMechanism, ConnectionSettings, CredentialRef, EffectiveSettings, OutputBufferingMode,
    ProfileId, ProfileTree, ProxyAccessType, SettingSource,
};
use crate::model::profile_edit::{NodeEdit, ProfileJob};

mod fields;
mod jobs;
use fields::*;
pub use jobs::*;

/// Hands a password to the worker for the OS keyring, under the given entry id.
pub type KeyringWriter<'a> = dyn Fn(String, Credential) + 'a;

/// What "Password" means for a credential row.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PasswordChoice {
    /// Ask when connecting (no keyring entry).
    Ask,
    /// An existing keyring entry (its id).
    Saved(String),
    /// Typed now: saved in the keyring on Save.
    New,
}

/// One row's edit state.
struct Row {
    def: &'static FieldDef,
    overridden: bool,
    text: String,
    secret: PasswordChoice,
    password: Zeroizing<String>,
}

/// The state of the last save.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    Idle,
    Saving,
    Saved(String),
    Failed(String),
}

/// What the editor wants after a frame.
#[must_use]
pub enum EditorOutcome {
    /// Stay open.
    Open,
    /// Closed.
    Close,
}

/// The editor of one group's or computer's settings.
pub struct ProfileEditor {
    node: ProfileId,
    title: String,
    description: String,
    rows: Vec<Row>,
    /// The tree the effective values are computed from.
    base: ProfileTree,
    preview: Option<EffectiveSettings>,
    errors: Vec<String>,
    status: Status,
    is_group: bool,
    import_path: String,
    export_path: String,
    /// A native file dialog in flight: which field it fills, and its answer.
    browsing: Option<(Browse, mpsc::Receiver<Option<std::path::PathBuf>>)>,
}

impl ProfileEditor {
    /// Opens the editor on the group or computer `node` of `tree`.
    pub fn open(tree: &ProfileTree, node: ProfileId) -> Option<Self> {
        let (title, settings, description) = if let Some(c) = tree.computer(node) {
            (
                format!("Computer {}", c.name),
                c.settings.clone(),
                c.description.clone(),
            )
        } else {
            let g = tree.group(node)?;
            let name = if g.id == tree.root.id {
                "(all profiles)".to_owned()
            } else {
                g.name.clone()
            };
            (
                format!("Group {name}"),
                g.settings.clone(),
                g.description.clone(),
            )
        };
        let rows = FIELDS
            .iter()
            .map(|def| {
                let cred = match def.name {
                    "Credential" => settings.credential.as_ref(),
                    "ProxyCredential" => settings.proxy_credential.as_ref(),
                    _ => None,
                };
                let value = (def.get)(&settings);
                Row {
                    def,
                    overridden: value.is_some(),
                    text: value.unwrap_or_default(),
                    secret: match cred.and_then(|c| c.entry.clone()) {
                        Some(e) => PasswordChoice::Saved(e),
                        None => PasswordChoice::Ask,
                    },
                    password: Zeroizing::new(String::new()),
                }
            })
            .collect();
        let mut ed = ProfileEditor {
            node,
            title,
            description: description.unwrap_or_default(),
            rows,
            base: tree.clone(),
            preview: None,
            errors: Vec::new(),
            status: Status::Idle,
            is_group: tree.computer(node).is_none(),
            import_path: String::new(),
            export_path: String::new(),
            browsing: None,
        };
        ed.refresh();
        Some(ed)
    }

    /// Builds the node's settings from the rows: the settings and every
    /// validation error. New passwords are returned with their rows' users.
    fn collect(&self) -> (ConnectionSettings, Vec<String>) {
        let mut s = self.original_settings();
        let mut errors = Vec::new();
        for row in &self.rows {
            (row.def.clear)(&mut s);
            if !row.overridden {
                continue;
            }
            if let Kind::Credential = row.def.kind {
                let user = row.text.trim();
                if user.is_empty() {
                    errors.push(format!(
                        "{}: give a user name (DOMAIN\\user or user@domain), or clear the override",
                        row.def.name
                    ));
                    continue;
                }
                if row.secret == PasswordChoice::New && row.password.is_empty() {
                    errors.push(format!(
                        "{}: type the password to save in the keyring, or choose to be asked",
                        row.def.name
                    ));
                }
                let entry = match &row.secret {
                    PasswordChoice::Saved(e) => Some(e.clone()),
                    // A placeholder until Save creates the keyring entry.
                    PasswordChoice::New | PasswordChoice::Ask => None,
                };
                let r = CredentialRef {
                    user: user.to_owned(),
                    entry,
                };
                if row.def.name == "Credential" {
                    s.credential = Some(r);
                } else {
                    s.proxy_credential = Some(r);
                }
                continue;
            }
            if let Err(e) = (row.def.set)(&mut s, &row.text) {
                errors.push(e);
            }
        }
        (s, errors)
    }

    fn original_settings(&self) -> ConnectionSettings {
        self.base
            .computer(self.node)
            .map(|c| c.settings.clone())
            .or_else(|| self.base.group(self.node).map(|g| g.settings.clone()))
            .unwrap_or_default()
    }

    /// Recomputes the effective values and the errors after an edit.
    fn refresh(&mut self) {
        let (settings, errors) = self.collect();
        self.errors = errors;
        let mut tree = self.base.clone();
        if let Some(c) = tree.root.find_computer_mut(self.node) {
            c.settings = settings;
        } else if let Some(g) = tree.root.find_group_mut(self.node) {
            g.settings = settings;
        }
        self.preview = tree.effective(self.node);
    }

    /// Where a value comes from, in words.
    fn source_text(&self, source: &SettingSource) -> String {
        match source {
            SettingSource::Node { id, .. } if *id == self.node => "set here".to_owned(),
            SettingSource::Node { path, .. } if path.is_empty() => {
                "inherited from the profile root".to_owned()
            }
            SettingSource::Node { path, .. } => format!("inherited from group {path}"),
            SettingSource::Default => "PowerShell default".to_owned(),
            SettingSource::Derived(how) => format!("derived: {how}"),
        }
    }

    /// Lays out the editor for one frame.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        profiles: &mut Profiles,
        saved_credentials: &[(String, String)],
        keyring: Option<&KeyringWriter<'_>>,
    ) -> EditorOutcome {
        let mut outcome = EditorOutcome::Open;
        let id = Id::unique("baton_profile_editor");
        // Anchored at the top (not centred): rows do not move when the
        // editor's height changes as overrides open and close.
        let area = egui::Modal::default_area(id).anchor(egui::Align2::CENTER_TOP, [0.0, 24.0]);
        let modal = egui::Modal::new(id).area(area).show(ctx, |ui| {
            // A fixed width: the text does not re-wrap as rows change.
            ui.set_width(880.0);
            outcome = self.ui(ui, profiles, saved_credentials, keyring);
        });
        if profiles.saving() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        match outcome {
            EditorOutcome::Open if modal.should_close() => EditorOutcome::Close,
            other => other,
        }
    }

    /// Reports the end of a save or import started here.
    pub fn saved(&mut self, result: Result<Vec<String>, String>, profiles: &Profiles) {
        match result {
            Ok(lines) => {
                self.base = profiles.tree().clone();
                for row in &mut self.rows {
                    row.password = Zeroizing::new(String::new());
                    if let Kind::Credential = row.def.kind {
                        let s = self.base.computer(self.node).map_or_else(
                            || self.base.group(self.node).map(|g| &g.settings),
                            |c| Some(&c.settings),
                        );
                        let entry = s.and_then(|s| match row.def.name {
                            "Credential" => s.credential.as_ref(),
                            _ => s.proxy_credential.as_ref(),
                        });
                        row.secret = match entry.and_then(|c| c.entry.clone()) {
                            Some(e) => PasswordChoice::Saved(e),
                            None => PasswordChoice::Ask,
                        };
                    }
                }
                // An export leaves the profile file as it was: say only where
                // the export went.
                let exported = lines.first().is_some_and(|l| l.starts_with("Exported to "));
                let mut msg = if exported {
                    String::new()
                } else {
                    format!("Saved to {}", profiles.path().display())
                };
                for l in lines {
                    if msg.is_empty() {
                        msg.push_str(&l);
                        continue;
                    }
                    msg.push('\n');
                    msg.push_str(&l);
                }
                self.status = Status::Saved(msg);
                self.refresh();
            }
            Err(e) => self.status = Status::Failed(e),
        }
    }

    fn ui(
        &mut self,
        ui: &mut Ui,
        profiles: &mut Profiles,
        saved_credentials: &[(String, String)],
        keyring: Option<&KeyringWriter<'_>>,
    ) -> EditorOutcome {
        ui.heading(format!("Edit profile: {}", self.title));
        ui.label(
            "Each setting shows the value a connection uses and where it comes from. Override \
             a setting to set it here; clear the override to inherit it again from the groups \
             above (or PowerShell's default).",
        );
        let mut changed = false;
        ui.horizontal(|ui| {
            let l = ui.label("Description");
            changed |= ui
                .add(egui::TextEdit::singleline(&mut self.description).desired_width(400.0))
                .labelled_by(l.id)
                .changed();
        });
        ui.separator();
        let preview = self.preview.as_ref().map(EffectiveSettings::rows);
        egui::ScrollArea::vertical()
            .id_salt("profile_editor_rows")
            .max_height(480.0)
            .show(ui, |ui| {
                for i in 0..self.rows.len() {
                    let eff = preview
                        .as_ref()
                        .and_then(|p| p.iter().find(|r| r.name == self.rows[i].def.name))
                        .map(|r| (r.value.clone(), self.source_text(&r.source)));
                    // One row per setting, laid out on its own (no grid
                    // sizing from the previous frame).
                    ui.horizontal(|ui| {
                        changed |= self.row_ui(ui, i, eff, saved_credentials);
                    });
                }
            });
        if changed {
            self.status = Status::Idle;
            self.refresh();
        }
        ui.separator();
        for e in &self.errors {
            super::dialogs::error_text(ui, e);
        }
        match &self.status {
            Status::Idle => {}
            Status::Saving => {
                ui.label("Saving…");
            }
            Status::Saved(msg) => {
                ui.label(msg);
            }
            Status::Failed(e) => super::dialogs::error_text(ui, &format!("Not saved: {e}")),
        }
        if self.is_group {
            ui.horizontal(|ui| {
                let l = ui.label("Import file");
                ui.add(
                    egui::TextEdit::singleline(&mut self.import_path)
                        .hint_text(".rdm, .rdg, confCons.xml, RoyalJSON, Baton .toml or a host list")
                        .desired_width(420.0),
                )
                .labelled_by(l.id);
                let can = !self.import_path.trim().is_empty() && !profiles.saving();
                if ui
                    .add_enabled(can, egui::Button::new("Import into this group"))
                    .on_hover_text(
                        "Adds the file's computers and groups here; saved passwords are never imported",
                    )
                    .clicked()
                {
                    profiles.start_import(self.node, self.import_path.trim().into());
                    self.status = Status::Saving;
                }
                if ui
                    .add_enabled(self.browsing.is_none(), egui::Button::new("Choose file to import…"))
                    .clicked()
                {
                    self.browsing = Some((Browse::Import, open_file_dialog(Browse::Import)));
                }
            });
            ui.horizontal(|ui| {
                let l = ui.label("Export file");
                ui.add(
                    egui::TextEdit::singleline(&mut self.export_path)
                        .hint_text("a Baton .toml file: this group and what it inherits")
                        .desired_width(420.0),
                )
                .labelled_by(l.id);
                let can = !self.export_path.trim().is_empty() && !profiles.saving();
                if ui
                    .add_enabled(can, egui::Button::new("Export this group"))
                    .on_hover_text(
                        "Writes this group's computers and settings; passwords stay in the keyring",
                    )
                    .clicked()
                {
                    profiles.start_export(self.node, self.export_path.trim().into());
                    self.status = Status::Saving;
                }
                if ui
                    .add_enabled(
                        self.browsing.is_none(),
                        egui::Button::new("Choose export file…"),
                    )
                    .clicked()
                {
                    self.browsing = Some((Browse::Export, open_file_dialog(Browse::Export)));
                }
            });
            if let Some((which, rx)) = &self.browsing {
                match rx.try_recv() {
                    Ok(picked) => {
                        if let Some(path) = picked {
                            let text = path.display().to_string();
                            match which {
                                Browse::Import => self.import_path = text,
                                Browse::Export => self.export_path = text,
                            }
                        }
                        self.browsing = None;
                    }
                    Err(mpsc::TryRecvError::Empty) => {
                        ui.label("Waiting for the file dialog…");
                        ui.ctx()
                            .request_repaint_after(std::time::Duration::from_millis(200));
                    }
                    Err(mpsc::TryRecvError::Disconnected) => self.browsing = None,
                }
            }
        }
        let mut outcome = EditorOutcome::Open;
        ui.horizontal(|ui| {
            let can_save = self.errors.is_empty() && !profiles.saving();
            let save = ui
                .add_enabled(can_save, egui::Button::new("Save"))
                .on_hover_text("Write this node's settings to the profile file")
                .on_disabled_hover_text("Fix the errors above first");
            if save.clicked() {
                self.save(profiles, keyring);
            }
            if ui.button("Close").clicked() {
                outcome = EditorOutcome::Close;
            }
        });
        outcome
    }

    /// One row: name, effective value and source, override controls.
    fn row_ui(
        &mut self,
        ui: &mut Ui,
        i: usize,
        eff: Option<(String, String)>,
        saved_credentials: &[(String, String)],
    ) -> bool {
        let mut changed = false;
        let (value, source) = eff.unwrap_or_default();
        let Some(row) = self.rows.get_mut(i) else {
            return false;
        };
        let name = row.def.name;
        let label = ui
            .allocate_ui_with_layout(
                egui::vec2(300.0, ui.spacing().interact_size.y),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| {
                    ui.set_min_width(300.0);
                    ui.label(RichText::new(name).strong())
                },
            )
            .inner;
        if row.overridden {
            let stacked = matches!(row.def.kind, Kind::Credential);
            let cell = |ui: &mut Ui| {
                let c = edit_value(ui, row, label.id, saved_credentials);
                ui.label(RichText::new("set here").small().weak());
                c
            };
            changed |= if stacked {
                ui.vertical(cell).inner
            } else {
                ui.horizontal(cell).inner
            };
            let clear = ui
                .button("Clear override")
                .accessible_name(format!("Clear {name} override"))
                .on_hover_text("Inherit this setting again");
            if clear.clicked() {
                row.overridden = false;
                row.password = Zeroizing::new(String::new());
                changed = true;
            }
        } else {
            let shown = if value.is_empty() {
                "(none)".to_owned()
            } else {
                value.clone()
            };
            ui.label(format!("{shown} · {source}"));
            let over = ui
                .button("Override")
                .accessible_name(format!("Override {name}"))
                .on_hover_text("Set this setting here, starting from the value in effect");
            if over.clicked() {
                row.overridden = true;
                row.text = match row.def.kind {
                    // The user name, without "(saved)"/"(ask)".
                    Kind::Credential => value
                        .rsplit_once(" (")
                        .map_or(value.clone(), |(u, _)| u.to_owned()),
                    _ => value,
                };
                if let Kind::Credential = row.def.kind {
                    let inherited = self.preview.as_ref().and_then(|p| match name {
                        "Credential" => p.credential.value.as_ref(),
                        _ => p.proxy_credential.value.as_ref(),
                    });
                    row.secret = match inherited.and_then(|c| c.entry.clone()) {
                        Some(e) => PasswordChoice::Saved(e),
                        None => PasswordChoice::Ask,
                    };
                }
                if let Kind::Choice(options) = row.def.kind
                    && !options.contains(&row.text.as_str())
                {
                    row.text = options.first().copied().unwrap_or_default().to_owned();
                }
                if let Kind::Bool = row.def.kind
                    && row.text != "true"
                {
                    row.text = "false".to_owned();
                }
                changed = true;
            }
        }
        changed
    }

    fn save(&mut self, profiles: &mut Profiles, keyring: Option<&KeyringWriter<'_>>) {
        let (mut settings, errors) = self.collect();
        if !errors.is_empty() {
            self.errors = errors;
            return;
        }
        // New passwords go to the keyring first; the profile names the entry.
        for row in &mut self.rows {
            if !(row.overridden && row.secret == PasswordChoice::New) {
                continue;
            }
            let Some(writer) = keyring else {
                self.status = Status::Failed(
                    "no keyring is available in this console: choose to be asked for the password"
                        .into(),
                );
                return;
            };
            let entry = crate::store::credentials::new_entry_id();
            let user = row.text.trim().to_owned();
            writer(
                entry.clone(),
                Credential::new(user.clone(), row.password.as_str()),
            );
            tracing::info!(user = %user, entry = %entry, "credential handed to the keyring");
            row.password = Zeroizing::new(String::new());
            row.secret = PasswordChoice::Saved(entry.clone());
            let r = Some(CredentialRef {
                user,
                entry: Some(entry),
            });
            if row.def.name == "Credential" {
                settings.credential = r;
            } else {
                settings.proxy_credential = r;
            }
        }
        let description = Some(self.description.trim().to_owned()).filter(|d| !d.is_empty());
        profiles.start_save(NodeEdit {
            node: self.node,
            settings,
            description,
        });
        self.status = Status::Saving;
    }
}

/// The editing widget of an overridden row.
fn edit_value(
    ui: &mut Ui,
    row: &mut Row,
    label: Id,
    saved_credentials: &[(String, String)],
) -> bool {
    let name = row.def.name;
    let mut changed = false;
    match row.def.kind {
        Kind::Text | Kind::Number => {
            changed |= ui
                .add(
                    egui::TextEdit::singleline(&mut row.text)
                        .hint_text(row.def.hint)
                        .desired_width(320.0),
                )
                .labelled_by(label)
                .changed();
        }
        Kind::Bool => {
            let mut b = row.text == "true";
            if ui
                .checkbox(&mut b, "")
                .accessible_name(format!("{name} on"))
                .changed()
            {
                row.text = b.to_string();
                changed = true;
            }
        }
        Kind::Choice(options) => {
            egui::ComboBox::from_id_salt(("profile_choice", name))
                .selected_text(row.text.clone())
                .show_ui(ui, |ui| {
                    for o in options {
                        changed |= ui
                            .selectable_value(&mut row.text, (*o).to_owned(), *o)
                            .changed();
                    }
                });
        }
        Kind::Credential => {
            ui.horizontal(|ui| {
                ui.label("User");
                changed |= ui
                    .add(
                        egui::TextEdit::singleline(&mut row.text)
                            .hint_text(row.def.hint)
                            .desired_width(200.0),
                    )
                    .accessible_name(format!("{name} user"))
                    .changed();
            });
            ui.horizontal(|ui| {
                changed |= ui
                    .radio_value(&mut row.secret, PasswordChoice::Ask, "Ask when connecting")
                    .accessible_name(format!("{name}: ask when connecting"))
                    .changed();
                for (entry, user) in saved_credentials {
                    let r = ui
                        .radio(row.secret == PasswordChoice::Saved(entry.clone()), user)
                        .accessible_name(format!("{name}: saved credential {user}"));
                    if r.clicked() {
                        row.secret = PasswordChoice::Saved(entry.clone());
                        row.text = user.clone();
                        changed = true;
                    }
                }
                changed |= ui
                    .radio_value(&mut row.secret, PasswordChoice::New, "Save a password")
                    .accessible_name(format!("{name}: save a password in the keyring"))
                    .changed();
            });
            if let PasswordChoice::Saved(e) = &row.secret
                && !saved_credentials.iter().any(|(id, _)| id == e)
            {
                ui.label(RichText::new(format!("keyring entry {e}")).small().weak());
            }
            if row.secret == PasswordChoice::New {
                ui.horizontal(|ui| {
                    ui.label("Password");
                    changed |= ui
                        .add(
                            egui::TextEdit::singleline(&mut *row.password)
                                .password(true)
                                .desired_width(200.0),
                        )
                        .accessible_name(format!("{name} password"))
                        .changed();
                });
            }
        }
    }
    changed
}

/// Which path field a native file dialog fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Browse {
    Import,
    Export,
}

/// Opens the platform's file dialog (rfd) without blocking the frame: the
/// dialog is created here, on the UI thread (macOS wants that), and its
/// answer is awaited on a helper thread. `None` arrives when the user
/// cancels or no dialog service is available (on Linux, the XDG desktop
/// portal); the path can always be typed instead.
fn open_file_dialog(which: Browse) -> mpsc::Receiver<Option<std::path::PathBuf>> {
    let dialog = rfd::AsyncFileDialog::new();
    type Pending =
        std::pin::Pin<Box<dyn std::future::Future<Output = Option<rfd::FileHandle>> + Send>>;
    let pending: Pending = match which {
        Browse::Import => Box::pin(
            dialog
                .set_title("Import connections")
                .add_filter(
                    "Connection files",
                    &["rdm", "rdg", "xml", "json", "toml", "txt"],
                )
                .add_filter("All files", &["*"])
                .pick_file(),
        ),
        Browse::Export => Box::pin(
            dialog
                .set_title("Export profiles")
                .set_file_name("baton-profiles.toml")
                .add_filter("Baton profiles", &["toml"])
                .save_file(),
        ),
    };
    await_dialog(pending)
}

/// A native "save as" dialog (for "Save output…"), awaited as
/// [`open_file_dialog`] does; `None` when cancelled or unavailable.
pub(crate) fn save_file_dialog(
    title: &str,
    file_name: &str,
) -> mpsc::Receiver<Option<std::path::PathBuf>> {
    let pending = rfd::AsyncFileDialog::new()
        .set_title(title)
        .set_file_name(file_name)
        .add_filter("Text files", &["txt", "log"])
        .add_filter("All files", &["*"])
        .save_file();
    await_dialog(Box::pin(pending))
}

/// Waits for a dialog's answer on a helper thread of its own.
fn await_dialog(
    pending: std::pin::Pin<Box<dyn std::future::Future<Output = Option<rfd::FileHandle>> + Send>>,
) -> mpsc::Receiver<Option<std::path::PathBuf>> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("baton-file-dialog".into())
        .spawn(move || {
            let picked = pollster::block_on(pending).map(|h| h.path().to_path_buf());
            let _ = tx.send(picked);
        });
    if spawned.is_err() {
        let (tx, rx) = mpsc::channel();
        let _ = tx.send(None);
        return rx;
    }
    rx
}

#[cfg(test)]
mod tests;
