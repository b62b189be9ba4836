//! The profile editor and the tree's add/rename/remove dialogs in the console's frame, and the end of their saves.

use super::*;

impl BatonApp {
    /// Shows the profile editor and folds in the end of a save.
    pub(super) fn profile_editor_frame(&mut self, ctx: &egui::Context, now: DateTime<Utc>) {
        let Some(profiles) = &mut self.profiles else {
            return;
        };
        if let Some(result) = profiles.poll() {
            if result.is_ok() {
                self.state.set_inventory(state::inventory(profiles.tree()));
            }
            if std::mem::take(&mut self.node_change_pending) {
                match (result, &mut self.node_dialog) {
                    (Ok(lines), _) => {
                        self.node_dialog = None;
                        self.state.notify(
                            ToastKind::Info,
                            crate::model::UserError {
                                summary: lines.join("\n"),
                                detail: format!("Saved to {}", profiles.path().display()),
                                advice: None,
                                error_id: None,
                            },
                            now,
                        );
                    }
                    (Err(e), Some(d)) => d.failed(e),
                    (Err(e), None) => self.state.notify(
                        ToastKind::Error,
                        crate::model::UserError {
                            summary: "The profile was not changed".into(),
                            detail: e,
                            advice: None,
                            error_id: None,
                        },
                        now,
                    ),
                }
            } else {
                match &mut self.profile_editor {
                    Some(ed) => ed.saved(result, profiles),
                    None => {
                        if let Err(e) = result {
                            self.state.notify(
                                ToastKind::Error,
                                crate::model::UserError {
                                    summary: "The profile was not saved".into(),
                                    detail: e,
                                    advice: None,
                                    error_id: None,
                                },
                                now,
                            );
                        }
                    }
                }
            }
        }
        if !profiles.saving()
            && let Some(lowered) = profiles.lowered_by_import()
        {
            match dialogs::lowered::show(ctx, lowered) {
                Some(dialogs::lowered::Answer::MakeSafe) => profiles.make_imported_safe(),
                Some(dialogs::lowered::Answer::Keep) => profiles.keep_lowered(),
                None => {}
            }
        }
        if let Some(d) = &mut self.node_dialog {
            match d.show(ctx, profiles.saving()) {
                profile_nodes::NodeDialogOutcome::Open => {}
                profile_nodes::NodeDialogOutcome::Close => self.node_dialog = None,
                profile_nodes::NodeDialogOutcome::Apply(edit) => {
                    if !profiles.saving() {
                        profiles.start_tree_edit(edit);
                        self.node_change_pending = true;
                    }
                }
            }
            if profiles.saving() {
                ctx.request_repaint_after(std::time::Duration::from_millis(50));
            }
        }
        if let Some(ed) = &mut self.profile_editor {
            let handle = &self.handle;
            let keep = |entry: String, credential: Credential| {
                handle.send(Command::SaveCredential {
                    op: handle.next_op(),
                    entry: Some(entry),
                    credential,
                });
            };
            let keyring: Option<&profile_editor::KeyringWriter> = self.keyring.then_some(&keep);
            let outcome = ed.show(ctx, profiles, &self.state.saved_credentials, keyring);
            if matches!(outcome, profile_editor::EditorOutcome::Close) {
                self.profile_editor = None;
            }
        }
        // A save, edit, import or export asked for this frame goes to the
        // worker, which runs it on the file.
        if let Some(command) = profiles.take_job(self.handle.next_op()) {
            if !self.handle.send(command) {
                profiles.job_not_sent();
            }
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
    }

    pub(super) fn open_node_dialog(
        &mut self,
        key: &NodeKey,
        change: profile_nodes::NodeChange,
        now: DateTime<Utc>,
    ) {
        let found = self.profiles.as_ref().map(|p| {
            p.locate(key)
                .and_then(|id| profile_nodes::NodeDialog::open(p.tree(), id, change))
        });
        let why = match found {
            Some(Some(d)) => {
                self.node_dialog = Some(d);
                return;
            }
            Some(None) => "it is not in the profile file".to_owned(),
            None => "this console was started without a profile file (demo computers)".to_owned(),
        };
        self.state.notify(
            ToastKind::Info,
            crate::model::UserError {
                summary: "The profile file cannot be changed here".into(),
                detail: why,
                advice: Some(
                    "Baton opens the profile file unless it was started with --demo; from the command line, use `baton profile add`."
                        .into(),
                ),
                error_id: None,
            },
            now,
        );
    }

    pub(super) fn open_profile_editor(&mut self, key: &NodeKey, now: DateTime<Utc>) {
        let what = match key {
            NodeKey::Group(g) => format!("group {g}"),
            NodeKey::Computer(c) => c.clone(),
            NodeKey::Session { .. } => return,
        };
        let found = self.profiles.as_ref().map(|p| {
            p.locate(key)
                .and_then(|id| profile_editor::ProfileEditor::open(p.tree(), id))
        });
        let why = match found {
            Some(Some(ed)) => {
                self.profile_editor = Some(ed);
                return;
            }
            Some(None) => format!("{what} is not in the profile file"),
            None => "this console was started without a profile file (demo computers)".to_owned(),
        };
        self.state.notify(
            ToastKind::Info,
            crate::model::UserError {
                summary: format!("The profile of {what} cannot be edited"),
                detail: why,
                advice: Some(
                    "Add computers with `baton profile add` or `baton profile import`.".into(),
                ),
                error_id: None,
            },
            now,
        );
    }
}
