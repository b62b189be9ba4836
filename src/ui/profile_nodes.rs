//! Adding, renaming and removing the groups and computers of the profile
//! file from the tree's context menu ("Add computer…", "New group…",
//! "Rename…", "Remove…"), the way `baton profile add|remove` does it from
//! the command line.
//!
//! The change is checked against the file as it is on disk when it is
//! applied (the worker re-reads it, changes it and writes it atomically
//! through `store::profile_jobs`), so
//! an edit made meanwhile by another program is not lost. Removing a
//! computer from the profiles does not touch its sessions on the server.

use egui::{Id, RichText, Ui};

use crate::model::profile::{ProfileId, ProfileTree};
pub use crate::model::profile_edit::{NodeChange, TreeEdit, checked_name};

/// What the dialog ended with this frame.
pub enum NodeDialogOutcome {
    /// Still open.
    Open,
    /// Cancelled (or dismissed).
    Close,
    /// The user confirmed this change.
    Apply(TreeEdit),
}

/// The dialog for one [`NodeChange`] on one group or computer.
pub struct NodeDialog {
    change: NodeChange,
    node: ProfileId,
    /// "group Lab" or "computer Srv1".
    what: String,
    /// Computers the node holds (a computer: 1), for the removal warning.
    computers: usize,
    name: String,
    host: String,
    error: Option<String>,
    /// The Name field takes the keyboard when the dialog opens.
    focus_name: bool,
}

impl NodeDialog {
    /// A dialog for `change` on the node `id` of `tree`; None when the node
    /// is not in the tree or the change does not apply to it.
    pub fn open(tree: &ProfileTree, id: ProfileId, change: NodeChange) -> Option<Self> {
        let (what, computers, name, is_group) = if let Some(c) = tree.root.find_computer(id) {
            (format!("computer {}", c.name), 1, c.name.clone(), false)
        } else {
            let g = tree.root.find_group(id)?;
            let label = if g.id == tree.root.id {
                "the top level".to_owned()
            } else {
                format!("group {}", g.name)
            };
            (label, g.computer_count(), g.name.clone(), true)
        };
        if matches!(change, NodeChange::AddComputer | NodeChange::AddGroup) && !is_group {
            return None;
        }
        Some(NodeDialog {
            change,
            node: id,
            what,
            computers,
            name: if change == NodeChange::Rename {
                name
            } else {
                String::new()
            },
            host: String::new(),
            error: None,
            focus_name: true,
        })
    }

    /// Shows why the last attempt failed (the file refused the change).
    pub fn failed(&mut self, why: String) {
        self.error = Some(why);
    }

    fn title(&self) -> String {
        match self.change {
            NodeChange::AddComputer => format!("Add a computer to {}", self.what),
            NodeChange::AddGroup => format!("New group in {}", self.what),
            NodeChange::Rename => format!("Rename {}", self.what),
            NodeChange::Remove => format!("Remove {}", self.what),
        }
    }

    /// Lays the dialog out for one frame.
    pub fn show(&mut self, ctx: &egui::Context, busy: bool) -> NodeDialogOutcome {
        let mut outcome = NodeDialogOutcome::Open;
        let modal = egui::Modal::new(Id::unique("baton_profile_node")).show(ctx, |ui| {
            ui.set_width(460.0);
            outcome = self.ui(ui, busy);
        });
        match outcome {
            NodeDialogOutcome::Open if modal.should_close() => NodeDialogOutcome::Close,
            other => other,
        }
    }

    fn ui(&mut self, ui: &mut Ui, busy: bool) -> NodeDialogOutcome {
        ui.heading(self.title());
        let mut submit = false;
        if self.change == NodeChange::Remove {
            let detail = if self.what.starts_with("group ") {
                format!(
                    "Removes {} and the {} computer{} in it from the profile file.",
                    self.what,
                    self.computers,
                    if self.computers == 1 { "" } else { "s" }
                )
            } else {
                format!("Removes {} from the profile file.", self.what)
            };
            ui.label(detail);
            ui.label(
                "Sessions on the servers are not touched, and saved passwords stay in the keyring.",
            );
        } else {
            let r = super::dialogs::field(
                ui,
                "Name",
                egui::TextEdit::singleline(&mut self.name)
                    .desired_width(300.0)
                    .hint_text(match self.change {
                        NodeChange::AddGroup => "Datacenter",
                        _ => "Srv1",
                    }),
            );
            if std::mem::take(&mut self.focus_name) {
                r.request_focus();
            }
            submit |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if self.change == NodeChange::AddComputer {
                let r = super::dialogs::field(
                    ui,
                    "Host",
                    egui::TextEdit::singleline(&mut self.host)
                        .desired_width(300.0)
                        .hint_text("srv1.corp.example (empty: the name)"),
                );
                submit |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.label(
                    RichText::new(
                        "Everything else is inherited from the group; change it with Edit profile….",
                    )
                    .small()
                    .weak(),
                );
            }
        }
        if let Some(e) = &self.error {
            ui.label(RichText::new(format!("Not changed: {e}")).color(ui.visuals().error_fg_color));
        }
        let verb = match self.change {
            NodeChange::AddComputer | NodeChange::AddGroup => "Add",
            NodeChange::Rename => "Rename",
            NodeChange::Remove => "Remove",
        };
        let mut outcome = NodeDialogOutcome::Open;
        ui.horizontal(|ui| {
            if ui.add_enabled(!busy, egui::Button::new(verb)).clicked() || (submit && !busy) {
                let edit = TreeEdit {
                    change: self.change,
                    node: self.node,
                    name: self.name.clone(),
                    host: Some(self.host.clone()),
                };
                // Checked here first, for an answer without a round trip to
                // the file; checked again against the file when applied.
                let precheck = match self.change {
                    NodeChange::Remove => Ok(String::new()),
                    NodeChange::AddGroup => checked_name(&self.name, true),
                    NodeChange::Rename if self.what.starts_with("group ") => {
                        checked_name(&self.name, true)
                    }
                    _ => checked_name(&self.name, false),
                };
                match precheck {
                    Ok(_) => {
                        self.error = None;
                        outcome = NodeDialogOutcome::Apply(edit);
                    }
                    Err(e) => self.error = Some(e),
                }
            }
            if ui.button("Cancel").clicked() {
                outcome = NodeDialogOutcome::Close;
            }
            if busy {
                super::widgets::spinner(ui);
            }
        });
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::{Computer, Group};

    fn tree() -> (ProfileTree, ProfileId, ProfileId) {
        let mut lab = Group::new("Lab");
        let srv1 = Computer::new("Srv1");
        let srv1_id = srv1.id;
        lab.computers.push(srv1);
        let lab_id = lab.id;
        let mut t = ProfileTree::default();
        t.root.groups.push(lab);
        (t, lab_id, srv1_id)
    }

    fn edit(change: NodeChange, node: ProfileId, name: &str) -> TreeEdit {
        TreeEdit {
            change,
            node,
            name: name.into(),
            host: None,
        }
    }

    #[test]
    fn names_are_checked_and_unique() {
        let (mut t, lab, srv1) = tree();
        let root = t.root.id;
        let e = edit(NodeChange::AddComputer, root, "srv1")
            .apply(&mut t)
            .unwrap_err();
        assert!(e.contains("already exists in group Lab"), "{e}");
        let e = edit(NodeChange::AddGroup, root, "A/B")
            .apply(&mut t)
            .unwrap_err();
        assert!(e.contains("cannot contain '/'"), "{e}");
        let e = edit(NodeChange::AddComputer, lab, "  ")
            .apply(&mut t)
            .unwrap_err();
        assert!(e.contains("cannot be empty"), "{e}");
        let e = edit(NodeChange::AddGroup, root, "lab")
            .apply(&mut t)
            .unwrap_err();
        assert!(e.contains("already has a group named lab"), "{e}");
        let e = edit(NodeChange::Rename, root, "x")
            .apply(&mut t)
            .unwrap_err();
        assert!(e.contains("top level"), "{e}");
        let e = edit(NodeChange::Remove, root, "")
            .apply(&mut t)
            .unwrap_err();
        assert!(e.contains("top level"), "{e}");
        // Renaming a computer to its own name (another case) is fine.
        let ok = edit(NodeChange::Rename, srv1, "SRV1")
            .apply(&mut t)
            .unwrap();
        assert_eq!(ok, "Renamed computer Srv1 to SRV1");
    }

    #[test]
    fn add_rename_remove() {
        let (mut t, lab, srv1) = tree();
        let mut add = edit(NodeChange::AddComputer, lab, "Srv9");
        add.host = Some("srv9.corp.example".into());
        assert_eq!(
            add.apply(&mut t).unwrap(),
            "Added computer Srv9 to group Lab"
        );
        let c = t.find_by_name("Srv9")[0].computer.clone();
        assert_eq!(c.settings.host.as_deref(), Some("srv9.corp.example"));
        let mut bad = edit(NodeChange::AddComputer, lab, "Srv10");
        bad.host = Some("http://x".into());
        assert!(bad.apply(&mut t).unwrap_err().contains("not a host name"));
        assert_eq!(
            edit(NodeChange::AddGroup, lab, "Web")
                .apply(&mut t)
                .unwrap(),
            "Added group Web to group Lab"
        );
        assert_eq!(
            edit(NodeChange::Rename, lab, "Datacenter")
                .apply(&mut t)
                .unwrap(),
            "Renamed group Lab to Datacenter"
        );
        assert_eq!(
            edit(NodeChange::Remove, srv1, "").apply(&mut t).unwrap(),
            "Removed computer Srv1"
        );
        assert_eq!(
            edit(NodeChange::Remove, lab, "").apply(&mut t).unwrap(),
            "Removed group Datacenter (1 computer)"
        );
        assert_eq!(t.root.computer_count(), 0);
        let e = edit(NodeChange::Rename, lab, "Again")
            .apply(&mut t)
            .unwrap_err();
        assert!(e.contains("no longer in the profile file"), "{e}");
    }
}
