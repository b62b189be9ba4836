//! The profile file behind the editor: saves, tree edits, imports and exports handed to the worker as jobs, and what an import brought in that lowers security.

use super::*;

/// The profile file and the tree last read from or written to it. Every
/// change is a `ProfileJob` the worker runs (`Command::EditProfiles`); the
/// console never reads or writes the file itself.
pub struct Profiles {
    pub(super) path: std::path::PathBuf,
    pub(super) tree: ProfileTree,
    /// The job to hand to the worker ([`Profiles::take_job`]).
    pub(super) outgoing: Option<ProfileJob>,
    /// The job in flight.
    pub(super) pending: Option<OpId>,
    /// How the job in flight ended, once its events arrived.
    pub(super) finished: Option<JobResult>,
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

/// How a job on the profile file ends: the tree as saved and what an import
/// reported, or why it failed.
pub(super) type JobResult = Result<(ProfileTree, Vec<String>), String>;

impl Profiles {
    /// The profiles in the file at `path`, whose content is `tree` (already
    /// loaded); changes go to the worker as jobs ([`Profiles::take_job`]).
    pub fn new(path: std::path::PathBuf, tree: ProfileTree) -> Self {
        Profiles {
            path,
            tree,
            outgoing: None,
            pending: None,
            finished: None,
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
        self.pending.is_some() || self.outgoing.is_some()
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

    /// Starts writing `edit` to the file.
    pub(super) fn start_save(&mut self, edit: NodeEdit) {
        self.start(ProfileJob::Update(Box::new(edit)));
    }

    /// Starts adding, renaming or removing a node.
    pub fn start_tree_edit(&mut self, edit: crate::model::profile_edit::TreeEdit) {
        self.start(ProfileJob::Tree(edit));
    }

    /// The profile file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
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

    /// Clears the settings that lower security on the nodes the last import
    /// added (the user's own nodes stay as they are).
    pub fn make_imported_safe(&mut self) {
        let Some(l) = self.lowered.take() else {
            return;
        };
        self.start(ProfileJob::MakeImportedSafe { added: l.added });
    }

    /// Starts importing the file `path` into the group `node`.
    pub(super) fn start_import(&mut self, node: ProfileId, path: std::path::PathBuf) {
        self.import_before = Some(self.tree.node_ids());
        self.start(ProfileJob::Import { node, path });
    }

    /// Starts writing the group `node` (with the settings it inherits) as a
    /// Baton profile file at `path`, atomically; the root exports the whole
    /// tree. No secret is in it: profiles only name keyring entries.
    pub(super) fn start_export(&mut self, node: ProfileId, path: std::path::PathBuf) {
        self.start(ProfileJob::Export { node, path });
    }

    /// Queues `job` for the worker.
    pub(super) fn start(&mut self, job: ProfileJob) {
        self.outgoing = Some(job);
    }

    /// The job to send now as `Command::EditProfiles` with a new `op`; the
    /// answer is then awaited under that op.
    pub fn take_job(&mut self, op: OpId) -> Option<Command> {
        let job = self.outgoing.take()?;
        self.pending = Some(op);
        Some(Command::EditProfiles { op, job })
    }

    /// The worker could not take the job.
    pub fn job_not_sent(&mut self) {
        self.pending = None;
        self.finished = Some(Err("the worker has stopped: nothing was saved".into()));
    }

    /// Takes the worker's answer to the job in flight; true when `event`
    /// was about it.
    pub fn on_event(&mut self, event: &Event) -> bool {
        let Some(op) = self.pending else {
            return false;
        };
        match event {
            Event::ProfilesChanged {
                op: o, tree, lines, ..
            } if *o == op => {
                self.finished = Some(Ok(((**tree).clone(), lines.clone())));
                true
            }
            Event::OpFailed { op: o, error } if *o == op => {
                let why = if error.detail.is_empty() {
                    error.summary.clone()
                } else {
                    error.detail.clone()
                };
                self.finished = Some(Err(why));
                self.pending = None;
                true
            }
            Event::OpFinished { op: o, .. } if *o == op => {
                self.pending = None;
                true
            }
            _ => false,
        }
    }

    /// The result of the save or import that has ended: what an import
    /// reported, line by line.
    pub fn poll(&mut self) -> Option<Result<Vec<String>, String>> {
        if self.pending.is_some() {
            return None;
        }
        let result = self.finished.take()?;
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
