//! The profile file behind the editor: saves, tree edits, imports and exports run as background jobs, and what an import brought in that lowers security.

use super::*;

/// The profile file and the tree last read from or written to it.
pub struct Profiles {
    pub(super) store: ProfileStore,
    pub(super) tree: ProfileTree,
    pub(super) pending: Option<mpsc::Receiver<JobResult>>,
    /// The node ids before the import in flight (to tell what it added).
    pub(super) import_before: Option<HashSet<ProfileId>>,
    /// Imported settings that lower security, waiting for the user to keep
    /// them or make them safe.
    pub(super) lowered: Option<LoweredByImport>,
}

/// What an import brought in that lowers security.
#[derive(Clone, Debug)]
pub struct LoweredByImport {
    /// The nodes the import added (only these are changed to make it safe).
    pub(super) added: HashSet<ProfileId>,
    /// The computers, each with what lowers its security.
    pub computers: Vec<crate::store::import::Lowered>,
}

/// What a background job on the profile file ends with: the tree as saved
/// and what an import reported, or why it failed.
pub(super) type JobResult = Result<(ProfileTree, Vec<String>), String>;

impl Profiles {
    /// The profiles of `store`, whose content is `tree` (already loaded).
    pub fn new(store: ProfileStore, tree: ProfileTree) -> Self {
        Profiles {
            store,
            tree,
            pending: None,
            import_before: None,
            lowered: None,
        }
    }

    /// The tree as last loaded or saved.
    pub fn tree(&self) -> &ProfileTree {
        &self.tree
    }

    /// True while a save runs.
    pub fn saving(&self) -> bool {
        self.pending.is_some()
    }

    /// The group or computer a tree row shows: a computer by its name, a
    /// group by its path (`Datacenter/Web`; `Computers` is the root's own
    /// computers).
    pub fn locate(&self, key: &NodeKey) -> Option<ProfileId> {
        match key {
            NodeKey::Computer(name) => self.tree.find_by_name(name).first().map(|e| e.computer.id),
            NodeKey::Group(path) => {
                let mut cur = &self.tree.root;
                for part in path.split('/').filter(|p| !p.is_empty()) {
                    match cur.groups.iter().find(|g| g.name == part) {
                        Some(g) => cur = g,
                        None if path == "Computers" => return Some(self.tree.root.id),
                        None => return None,
                    }
                }
                Some(cur.id)
            }
            NodeKey::Session { .. } => None,
        }
    }

    /// Starts writing `edit` to the file in the background.
    pub(super) fn start_save(&mut self, edit: NodeEdit) {
        self.start(move |store| {
            store
                .update(|tree| edit.apply(tree))
                .map(|t| (t, Vec::new()))
                .map_err(|e| e.to_string())
        });
    }

    /// Starts adding, renaming or removing a node in the background.
    pub fn start_tree_edit(&mut self, edit: super::super::profile_nodes::TreeEdit) {
        self.start(move |store| {
            let mut line = String::new();
            let tree = store
                .update(|tree| {
                    line = edit.apply(tree).map_err(|message| StoreError::Invalid {
                        origin: store.path().display().to_string(),
                        message,
                    })?;
                    Ok(())
                })
                .map_err(|e| match e {
                    StoreError::Invalid { message, .. } => message,
                    other => other.to_string(),
                })?;
            Ok((tree, vec![line]))
        });
    }

    /// The profile file.
    pub fn path(&self) -> &std::path::Path {
        self.store.path()
    }

    /// Imported settings that lower security, until the user answers
    /// ([`Profiles::keep_lowered`] or [`Profiles::make_imported_safe`]).
    pub fn lowered_by_import(&self) -> Option<&LoweredByImport> {
        self.lowered.as_ref()
    }

    /// The user keeps the imported settings that lower security (logged).
    pub fn keep_lowered(&mut self) {
        if let Some(l) = self.lowered.take() {
            for c in &l.computers {
                tracing::warn!(
                    "kept imported settings that lower security: {}: {}",
                    c.path,
                    c.settings.join(", ")
                );
            }
        }
    }

    /// Clears, in the background, the settings that lower security on the
    /// nodes the last import added (the user's own nodes stay as they are).
    pub fn make_imported_safe(&mut self) {
        let Some(l) = self.lowered.take() else {
            return;
        };
        self.start(move |store| {
            let mut lines = Vec::new();
            let tree = store
                .update(|tree| {
                    lines = crate::store::import::make_imported_safe(tree, &l.added);
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
            Ok((tree, lines))
        });
    }

    /// Starts importing the file `path` into the group `node` in the background.
    pub(super) fn start_import(&mut self, node: ProfileId, path: std::path::PathBuf) {
        self.import_before = Some(self.tree.node_ids());
        self.start(move |store| {
            let bytes = crate::store::import::read_import_file(&path)?;
            let mut lines = Vec::new();
            let tree = store
                .update(|tree| {
                    lines = crate::store::import::import_into(
                        tree,
                        Some(node),
                        &path,
                        &bytes,
                        None,
                        "Imported",
                    )
                    .map_err(|message| StoreError::Invalid {
                        origin: path.display().to_string(),
                        message,
                    })?;
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
            Ok((tree, lines))
        });
    }

    /// Starts writing the group `node` (with the settings it inherits) as a
    /// Baton profile file at `path`, atomically; the root exports the whole
    /// tree. No secret is in it: profiles only name keyring entries.
    pub(super) fn start_export(&mut self, node: ProfileId, path: std::path::PathBuf) {
        self.start(move |store| {
            let tree = store.load().map_err(|e| e.to_string())?.tree;
            let text =
                crate::store::profiles::export(&tree, Some(node)).map_err(|e| e.to_string())?;
            crate::store::profiles::write_atomic(&path, text.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok((
                tree,
                vec![format!(
                    "Exported to {} ({} bytes, no passwords)",
                    path.display(),
                    text.len()
                )],
            ))
        });
    }

    /// Runs `job` on the profile file on a background thread.
    pub(super) fn start<F>(&mut self, job: F)
    where
        F: FnOnce(&ProfileStore) -> JobResult + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let store = self.store.clone();
        // Logs of the save go where this thread's logs go.
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let spawned = std::thread::Builder::new()
            .name("baton-profile-save".into())
            .spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    let _ = tx.send(job(&store));
                });
            });
        match spawned {
            Ok(_) => self.pending = Some(rx),
            Err(e) => {
                let (tx, rx) = mpsc::channel();
                let _ = tx.send(Err(format!("the save could not start: {e}")));
                self.pending = Some(rx);
            }
        }
    }

    /// The result of the save or import in flight, once it has finished:
    /// what an import reported, line by line.
    pub fn poll(&mut self) -> Option<Result<Vec<String>, String>> {
        let rx = self.pending.as_ref()?;
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(mpsc::TryRecvError::Empty) => return None,
            Err(mpsc::TryRecvError::Disconnected) => Err("the save stopped unexpectedly".into()),
        };
        self.pending = None;
        // Logged here, on the UI thread, with the UI's log context.
        match &result {
            Ok(_) => tracing::info!(path = %self.store.path().display(), "profile saved"),
            Err(e) => tracing::warn!(path = %self.store.path().display(), "profile not saved: {e}"),
        }
        let before = self.import_before.take();
        Some(result.map(|(tree, lines)| {
            if let Some(before) = before {
                let added: HashSet<ProfileId> =
                    tree.node_ids().difference(&before).copied().collect();
                let computers = crate::store::import::lowered_by_import(&tree, &added);
                if !computers.is_empty() {
                    self.lowered = Some(LoweredByImport { added, computers });
                }
            }
            self.tree = tree;
            lines
        }))
    }
}

/// One node's new settings and description.
pub(super) struct NodeEdit {
    pub(super) node: ProfileId,
    pub(super) settings: ConnectionSettings,
    pub(super) description: Option<String>,
}

impl NodeEdit {
    pub(super) fn apply(&self, tree: &mut ProfileTree) -> Result<(), StoreError> {
        if let Some(c) = tree.root.find_computer_mut(self.node) {
            c.settings = self.settings.clone();
            c.description = self.description.clone();
            return Ok(());
        }
        let g = tree
            .root
            .find_group_mut(self.node)
            .ok_or(StoreError::NotFound(self.node))?;
        g.settings = self.settings.clone();
        g.description = self.description.clone();
        Ok(())
    }
}
