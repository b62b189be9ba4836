//! Changes to the profile tree, as data: what the console asks for (a
//! node's settings, a tree edit, an import, an export) and the pure part of
//! applying it to a tree freshly read from the file. The store runs them
//! against the file (`store::profile_jobs`), in the worker.

use std::collections::HashSet;
use std::path::PathBuf;

use super::profile::{Computer, ConnectionSettings, Group, ProfileId, ProfileTree};

/// One change to the profile file, as the console asks for it.
#[derive(Clone, Debug, PartialEq)]
pub enum ProfileJob {
    /// A node's new settings and description.
    Update(Box<NodeEdit>),
    /// Add, rename or remove a group or computer.
    Tree(TreeEdit),
    /// Import the file `path` into the group `node`.
    Import { node: ProfileId, path: PathBuf },
    /// Write the group `node` (the root: the whole tree) to `path`.
    Export { node: ProfileId, path: PathBuf },
    /// Clear the settings that lower security on the nodes an import added.
    MakeImportedSafe { added: HashSet<ProfileId> },
}

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
#[derive(Clone, Debug, PartialEq)]
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

/// A group or computer name, trimmed, or why it cannot be one.
pub fn checked_name(name: &str, group: bool) -> Result<String, String> {
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
                    Some(h) if !h.is_empty() => Some(crate::model::connection::check_host(h)?),
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

/// One node's new settings and description (the profile editor's Save).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeEdit {
    pub node: ProfileId,
    pub settings: ConnectionSettings,
    pub description: Option<String>,
}

impl NodeEdit {
    /// Sets the node's settings and description in `tree` (freshly read
    /// from the file).
    pub fn apply(&self, tree: &mut ProfileTree) -> Result<(), String> {
        if let Some(c) = tree.root.find_computer_mut(self.node) {
            c.settings = self.settings.clone();
            c.description = self.description.clone();
            return Ok(());
        }
        let g = tree
            .root
            .find_group_mut(self.node)
            .ok_or_else(|| "it is no longer in the profile file (changed meanwhile?)".to_owned())?;
        g.settings = self.settings.clone();
        g.description = self.description.clone();
        Ok(())
    }
}
