//! Ending the console: the close request, handing the held sessions back, the quit dialog, and the activity log kept on disk.

use super::*;

impl BatonApp {
    /// The window was asked to close. With sessions held, the close is
    /// held back and the quit dialog asks what to do with them; with none,
    /// the worker is stopped and the window may close. Returns whether the
    /// window may close now.
    pub fn close_requested(&mut self) -> bool {
        if self.worker_stopped {
            return true;
        }
        if self.quitting.is_some() {
            return false;
        }
        if self.state.held_sessions().is_empty() {
            self.quit(Release::HandBack);
            return true;
        }
        self.quit_dialog = true;
        false
    }

    /// Hands every held session back as `release` says and stops the
    /// worker; the window closes when it has.
    pub fn quit(&mut self, release: Release) {
        self.quit_dialog = false;
        if self.quitting.is_none() {
            self.quitting = Some(release);
            if !self.handle.send(Command::Shutdown { release }) {
                self.worker_stopped = true;
            }
        }
    }

    /// Whether the worker has stopped (after quitting, the window closes).
    pub fn has_stopped(&self) -> bool {
        self.worker_stopped
    }

    /// Whether the console is handing its sessions back to quit.
    pub fn is_quitting(&self) -> bool {
        self.quitting.is_some()
    }

    /// The quit dialog: the held sessions and what to do with them.
    pub(super) fn quit_dialog_frame(&mut self, ctx: &egui::Context) {
        if let Some(release) = self.quitting {
            egui::Modal::new(Id::unique("baton_quitting")).show(ctx, |ui| {
                ui.heading("Quitting Baton");
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(match release {
                        Release::CloseAll => "Closing the sessions…",
                        _ => "Handing the sessions back…",
                    });
                });
            });
            return;
        }
        if !self.quit_dialog {
            return;
        }
        let held = self.state.held_sessions();
        let mut choice: Option<Option<Release>> = None;
        egui::Modal::new(Id::unique("baton_quit")).show(ctx, |ui| {
            ui.heading("Quit Baton?");
            ui.label(format!(
                "This console holds {} open session(s):",
                held.len()
            ));
            for (computer, name) in &held {
                ui.label(format!("• {name} on {computer}"));
            }
            ui.label(
                "Disconnecting hands each session back: it stays on its computer with its \
                 IdleTimeout, whatever runs in it goes on, and anyone with its credentials can \
                 connect to it. Closing ends each session and stops what runs in it.",
            );
            ui.separator();
            ui.horizontal(|ui| {
                // The default: highlighted, and what Enter does.
                let default = ui.add(
                    egui::Button::new(RichText::new("Disconnect all and quit").strong())
                        .fill(ui.visuals().selection.bg_fill),
                );
                if default.clicked() || ui.input(|i| i.key_pressed(Key::Enter)) {
                    choice = Some(Some(Release::DisconnectAll));
                }
                if ui.button("Close all and quit").clicked() {
                    choice = Some(Some(Release::CloseAll));
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                    choice = Some(None);
                }
            });
        });
        match choice {
            Some(Some(release)) => self.quit(release),
            Some(None) => self.quit_dialog = false,
            None => {}
        }
    }

    /// Shows the activity file's history at once (read by the caller), and
    /// sends every new entry to the worker, which appends it to that file
    /// (`WorkerConfig::activity`). A file that does not read back is
    /// reported and left as it is; the console goes on.
    pub fn with_activity_history(mut self, history: ActivityHistory) -> Self {
        let now = (self.clock)();
        self.state.operator.clone_from(&history.operator);
        let trouble = |summary: &str, detail: String| crate::model::UserError {
            summary: summary.to_owned(),
            detail,
            advice: Some(format!(
                "Baton keeps working and adds new activity to {}; move the damaged file away to start a new one.",
                history.path.display()
            )),
            error_id: None,
        };
        match history.loaded {
            Ok(loaded) => {
                self.state.preload_activity(loaded.entries);
                if let Some(p) = loaded.problem {
                    self.state.notify(
                        ToastKind::Error,
                        trouble("Part of the activity history could not be read", p),
                        now,
                    );
                }
            }
            Err(e) => self.state.notify(
                ToastKind::Error,
                trouble("The activity history could not be read", e),
                now,
            ),
        }
        self.records_activity = true;
        self.activity_saved = self.state.activity_logged();
        self
    }

    /// Hands this frame's new audit entries to the worker for the file.
    pub(super) fn save_activity(&mut self) {
        if !self.records_activity || self.activity_saved == self.state.activity_logged() {
            return;
        }
        let entries = self
            .state
            .activity_since(self.activity_saved)
            .cloned()
            .collect();
        self.activity_saved = self.state.activity_logged();
        self.handle.send(Command::RecordActivity { entries });
    }
}
