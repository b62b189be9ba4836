//! The whole output of every command, kept on disk while it arrives (the
//! state keeps only the newest lines in memory), and "Save output…", which
//! copies a command's whole output to a file the user picks.
//!
//! The files are written by [`crate::store::spill`] on a thread of its own;
//! the native file dialog waits on the profile editor's dialog thread. The
//! frame never waits for either.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use egui::{Key, RichText};
use uuid::Uuid;

use super::state::{AppState, ToastKind, thousands};
use crate::model::UserError;
use crate::store::spill::{OutputSpill, SaveResult};

/// Which command's output to save, and what to call it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveTarget {
    /// The session.
    pub instance_id: Uuid,
    /// The command.
    pub command_id: Uuid,
    /// "Command 2 of ITTask on Srv1".
    pub what: String,
    /// A file name to offer (`ITTask-Srv1-command-2.txt`).
    pub file_name: String,
}

/// The "Save output" dialog: a path typed or picked.
struct SaveDialog {
    target: SaveTarget,
    path: String,
    browsing: Option<mpsc::Receiver<Option<PathBuf>>>,
}

/// Bytes of output waiting for the spill's writer past which the console
/// stops draining the worker's events until it catches up.
const SPILL_BEHIND: usize = 32 << 20;

/// The spill files and the saves in flight.
pub(crate) struct OutputFiles {
    /// Where the spill folder goes (`None`: the runtime directory).
    parent: Option<PathBuf>,
    spill: Option<OutputSpill>,
    /// Why there is no spill (its folder could not be made).
    failed: Option<String>,
    dialog: Option<SaveDialog>,
    saving: Vec<(SaveTarget, mpsc::Receiver<SaveResult>)>,
}

impl OutputFiles {
    pub(crate) fn new(parent: Option<PathBuf>) -> Self {
        OutputFiles {
            parent,
            spill: None,
            failed: None,
            dialog: None,
            saving: Vec::new(),
        }
    }

    /// The spill's writer is far enough behind that the console should take
    /// no more output from the worker for now (see [`OutputSpill::backlog`]).
    pub(crate) fn behind(&self) -> bool {
        self.spill
            .as_ref()
            .is_some_and(|s| s.backlog() > SPILL_BEHIND)
    }

    /// The spill folder of this process, once output has arrived.
    pub(crate) fn spill_dir(&self) -> Option<&Path> {
        self.spill.as_ref().map(OutputSpill::dir)
    }

    fn spill(&mut self) -> Option<&OutputSpill> {
        if self.spill.is_none() && self.failed.is_none() {
            match OutputSpill::create(self.parent.as_deref()) {
                Ok(s) => self.spill = Some(s),
                Err(e) => self.failed = Some(e.to_string()),
            }
        }
        self.spill.as_ref()
    }

    /// Hands the output that arrived to the spill, removes the files of
    /// sessions that went away, and reports the saves that finished.
    pub(crate) fn sync(&mut self, state: &mut AppState) {
        let lines = state.take_spill();
        let forgotten = state.take_forgotten_outputs();
        if !lines.is_empty()
            && let Some(spill) = self.spill()
        {
            for l in lines {
                spill.append(l.instance_id, l.command_id, l.lines);
            }
        }
        if let Some(spill) = &self.spill {
            for id in forgotten {
                spill.forget_session(id);
            }
        }
        self.saving.retain(|(target, rx)| match rx.try_recv() {
            Ok(result) => {
                report(state, target, result);
                false
            }
            Err(mpsc::TryRecvError::Empty) => true,
            Err(mpsc::TryRecvError::Disconnected) => {
                report(state, target, Err("the output spill stopped".into()));
                false
            }
        });
    }

    /// Opens the dialog for `target`, offering a file in the user's
    /// documents (else home) folder.
    pub(crate) fn open(&mut self, target: SaveTarget) {
        let path = documents().join(&target.file_name).display().to_string();
        self.dialog = Some(SaveDialog {
            target,
            path,
            browsing: None,
        });
    }

    /// Starts writing `target`'s whole output to `dest`.
    pub(crate) fn save_to(&mut self, state: &mut AppState, target: SaveTarget, dest: PathBuf) {
        // Lines still queued in the state go first, so the save has them.
        self.sync(state);
        if let Some(spill) = self.spill() {
            let rx = spill.save(target.instance_id, target.command_id, dest);
            self.saving.push((target, rx));
        } else {
            let why = self.failed.clone().unwrap_or_default();
            report(
                state,
                &target,
                Err(format!("no folder to keep the output in ({why})")),
            );
        }
    }

    /// Saves in flight.
    pub(crate) fn busy(&self) -> bool {
        !self.saving.is_empty()
    }

    /// The dialog, when open.
    pub(crate) fn dialog_frame(&mut self, ctx: &egui::Context, state: &mut AppState) {
        let Some(d) = &mut self.dialog else {
            return;
        };
        if let Some(rx) = &d.browsing {
            match rx.try_recv() {
                Ok(picked) => {
                    if let Some(p) = picked {
                        d.path = p.display().to_string();
                    }
                    d.browsing = None;
                }
                Err(mpsc::TryRecvError::Disconnected) => d.browsing = None,
                Err(mpsc::TryRecvError::Empty) => ctx.request_repaint(),
            }
        }
        let mut save = false;
        let mut close = false;
        egui::Window::new("Save output")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.label(format!(
                    "Every line of {}, including those no longer shown, goes to:",
                    d.target.what
                ));
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut d.path)
                        .desired_width(460.0)
                        .hint_text("a file path"),
                );
                let edit = edit.accessible_name("Save to file");
                if edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                    save = true;
                }
                ui.horizontal(|ui| {
                    let name = d.target.file_name.clone();
                    if ui
                        .add_enabled(d.browsing.is_none(), egui::Button::new("Browse…"))
                        .on_hover_text("Pick the file in the system's dialog")
                        .clicked()
                    {
                        d.browsing = Some(super::profile_editor::save_file_dialog(
                            "Save output",
                            &name,
                        ));
                    }
                    let can_save = !d.path.trim().is_empty();
                    if ui
                        .add_enabled(can_save, egui::Button::new("Save"))
                        .on_disabled_hover_text("Type a file path, or Browse… for one")
                        .clicked()
                    {
                        save = true;
                    }
                    if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                        close = true;
                    }
                });
            });
        if save && !d.path.trim().is_empty() {
            let target = d.target.clone();
            let dest = documents().join(d.path.trim());
            self.dialog = None;
            self.save_to(state, target, dest);
        } else if close {
            self.dialog = None;
        }
    }

    /// The dialog is open.
    pub(crate) fn dialog_open(&self) -> bool {
        self.dialog.is_some()
    }
}

/// The user's documents folder (else home): where the dialog offers to
/// save, and what a typed relative path is taken from (a console started
/// from a menu has no working folder of the user's).
fn documents() -> PathBuf {
    directories::UserDirs::new()
        .map(|d| {
            d.document_dir()
                .map_or_else(|| d.home_dir().to_path_buf(), Path::to_path_buf)
        })
        .unwrap_or_default()
}

fn report(state: &mut AppState, target: &SaveTarget, result: SaveResult) {
    let now = chrono::Utc::now();
    match result {
        Ok(saved) => state.notify(
            ToastKind::Info,
            UserError {
                summary: format!(
                    "Output saved: {} lines of {} to {}",
                    thousands(usize::try_from(saved.lines).unwrap_or(usize::MAX)),
                    target.what,
                    saved.path.display()
                ),
                detail: format!(
                    "{} bytes",
                    thousands(usize::try_from(saved.bytes).unwrap_or(usize::MAX))
                ),
                advice: None,
                error_id: None,
            },
            now,
        ),
        Err(e) => state.notify(
            ToastKind::Error,
            UserError {
                summary: format!("Output of {} not saved", target.what),
                detail: e,
                advice: Some("Pick another file or folder and save again.".into()),
                error_id: None,
            },
            now,
        ),
    }
}

/// The notice above a command whose older lines are no longer in memory.
pub(crate) fn dropped_notice(dropped: usize) -> RichText {
    RichText::new(format!(
        "{} older lines not kept — Save output… writes them all",
        thousands(dropped)
    ))
    .color(egui::Color32::from_rgb(0xd9, 0x8e, 0x04))
}
