//! Adding, renaming and removing the groups and computers of the profile
//! file from the tree's context menu ("Add computer…", "New group…",
//! "Rename…", "Remove…"), the way `baton profile add|remove` does it from
//! the command line.
//!
//! The change is checked against the file as it is on disk when it is
//! applied (a background thread re-reads it, changes it and writes it
//! atomically through [`crate::store::profiles::ProfileStore::update`]), so
//! an edit made meanwhile by another program is not lost. Removing a
//! computer from the profiles does not touch its sessions on the server.

use egui::{Id, RichText, Ui};

use crate::model::profile::{Computer, Group, ProfileId, ProfileTree};

/// What the dialog does to a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeChange {
    /// A new computer in this group.
    AddComputer,
    /// A new group in this group.
    AddGroup,
    /// A new name for this group or computer.
    Rename,
    /// This group (with everything in it) or computer out of the file.
    Remove,
}

/// One change to the profile tree, as the dialog collected it.
#[derive(Clone, Debug)]
pub struct TreeEdit {
    /// What is done.
    pub change: NodeChange,
    /// The group or computer the change is on (the parent group for additions).
    pub node: ProfileId,
    /// The new name (additions and renames).
    pub name: String,
    /// The new computer's host (ComputerName), when it is not its name.
    pub host: Option<String>,
}

/// The longest group or computer name accepted.
const MAX_NAME: usize = 255;

fn checked_name(name: &str, group: bool) -> Result<String, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("the name cannot be empty".into());
    }
    if n.chars().count() > MAX_NAME {
        return Err(format!("the name is longer than {MAX_NAME} characters"));
    }
    if n.chars().any(char::is_control) {
        return Err("the name contains control characters".into());
    }
    if group && n.contains('/') {
        return Err(format!(
            "a group name cannot contain '/' (it separates groups in paths such as Datacenter/Web): {n:?}"
        ));
    }
    Ok(n.to_owned())
}

/// Where a computer of this name already is, if anywhere.
fn computer_named(tree: &ProfileTree, name: &str) -> Option<String> {
    tree.find_by_name(name).first().map(|e| {
        if e.group_path.is_empty() {
            "at the top level".to_owned()
        } else {
            format!("in group {}", e.group_path)
        }
    })
}

fn sibling_group_exists(parent: &Group, name: &str, except: Option<ProfileId>) -> bool {
    parent
        .groups
        .iter()
        .any(|g| Some(g.id) != except && g.name.eq_ignore_ascii_case(name))
}

/// The group that directly holds the group `id`.
fn parent_of(g: &mut Group, id: ProfileId) -> Option<&mut Group> {
    if g.groups.iter().any(|c| c.id == id) {
        return Some(g);
    }
    g.groups.iter_mut().find_map(|c| parent_of(c, id))
}

impl TreeEdit {
    /// Applies the change to `tree` (freshly read from the file); what was
    /// done, in a sentence, or why it cannot be done.
    pub fn apply(&self, tree: &mut ProfileTree) -> Result<String, String> {
        let gone = || "it is no longer in the profile file (changed meanwhile?)".to_owned();
        let root = tree.root.id;
        match self.change {
            NodeChange::AddComputer => {
                let name = checked_name(&self.name, false)?;
                if let Some(at) = computer_named(tree, &name) {
                    return Err(format!(
                        "a computer named {name} already exists {at}; pick another name"
                    ));
                }
                let host = match self.host.as_deref().map(str::trim) {
                    Some(h) if !h.is_empty() => Some(super::profile_editor::check_host(h)?),
                    _ => None,
                };
                let group = tree.root.find_group_mut(self.node).ok_or_else(gone)?;
                let mut computer = Computer::new(&name);
                computer.settings.host = host;
                let place = group_label(group, root);
                group.computers.push(computer);
                Ok(format!("Added computer {name} {place}"))
            }
            NodeChange::AddGroup => {
                let name = checked_name(&self.name, true)?;
                let group = tree.root.find_group_mut(self.node).ok_or_else(gone)?;
                if sibling_group_exists(group, &name, None) {
                    return Err(format!(
                        "{} already has a group named {name}",
                        group_label(group, root).trim_start_matches("to ")
                    ));
                }
                let place = group_label(group, root);
                group.groups.push(Group::new(&name));
                Ok(format!("Added group {name} {place}"))
            }
            NodeChange::Rename => {
                if self.node == root {
                    return Err("the top level of the profile file has no name to change".into());
                }
                if tree.root.find_computer(self.node).is_some() {
                    let name = checked_name(&self.name, false)?;
                    if let Some(e) = tree.find_by_name(&name).first()
                        && e.computer.id != self.node
                    {
                        let at = computer_named(tree, &name).unwrap_or_default();
                        return Err(format!(
                            "a computer named {name} already exists {at}; pick another name"
                        ));
                    }
                    let c = tree.root.find_computer_mut(self.node).ok_or_else(gone)?;
                    let old = std::mem::replace(&mut c.name, name.clone());
                    return Ok(format!("Renamed computer {old} to {name}"));
                }
                let name = checked_name(&self.name, true)?;
                let parent = parent_of(&mut tree.root, self.node).ok_or_else(gone)?;
                if sibling_group_exists(parent, &name, Some(self.node)) {
                    return Err(format!("there is already a group named {name} beside it"));
                }
                let g = parent
                    .groups
                    .iter_mut()
                    .find(|g| g.id == self.node)
                    .ok_or_else(gone)?;
                let old = std::mem::replace(&mut g.name, name.clone());
                Ok(format!("Renamed group {old} to {name}"))
            }
            NodeChange::Remove => {
                if self.node == root {
                    return Err("the top level of the profile file cannot be removed".into());
                }
                let what = match (
                    tree.root.find_computer(self.node),
                    tree.root.find_group(self.node),
                ) {
                    (Some(c), _) => format!("Removed computer {}", c.name),
                    (None, Some(g)) => format!(
                        "Removed group {} ({} computer{})",
                        g.name,
                        g.computer_count(),
                        if g.computer_count() == 1 { "" } else { "s" }
                    ),
                    (None, None) => return Err(gone()),
                };
                if !tree.root.remove(self.node) {
                    return Err(gone());
                }
                Ok(what)
            }
        }
    }
}

fn group_label(g: &Group, root: ProfileId) -> String {
    if g.id == root {
        "at the top level".to_owned()
    } else {
        format!("to group {}", g.name)
    }
}

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
