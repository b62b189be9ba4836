//! The console's state, without egui: the inventory tree, the sessions found
//! on each computer, the selection, the output of commands, the work in
//! flight, notifications and the audit trail.
//!
//! Every worker [`Event`] is folded in by exactly one call, [`AppState::apply`].
//! Nothing here does I/O or reads a clock: time is passed in.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::bridge::{ActivityEntry, ComputerRef, CredentialChoice, Event, OpId, SessionRef};
use crate::model::{
    Availability, ConfigurationQuotas, ConnectionSpec, OutputItem, ProgressView, SessionInfo,
    SessionState, UserError,
};

/// Most output items kept per command; older ones are dropped first.
pub const MAX_ITEMS_PER_COMMAND: usize = 50_000;
/// Most audit-trail entries kept in memory.
pub const MAX_ACTIVITY: usize = 10_000;
/// Most notifications kept at once.
pub const MAX_TOASTS: usize = 6;
/// The group that collects computers reported by the worker but absent from the inventory.
pub const DISCOVERED_GROUP: &str = "Discovered";

/// A computer of the inventory: what the user sees and how to reach it.
#[derive(Clone, Debug, PartialEq)]
pub struct ComputerNode {
    /// Display name (`Srv1`), also the name the worker uses in events.
    pub name: String,
    /// How to reach it (resolved `ConnectionInfo`).
    pub spec: ConnectionSpec,
    /// Whose credentials to use by default.
    pub credential: CredentialChoice,
    /// The proxy's credential (`ProxyCredential`), when the profile names one.
    pub proxy_credential: Option<CredentialChoice>,
}

impl ComputerNode {
    /// A computer reached with PowerShell's defaults and the current user's credentials.
    pub fn new(name: &str) -> Self {
        ComputerNode {
            name: name.to_owned(),
            spec: ConnectionSpec::for_computer(name),
            credential: CredentialChoice::Implicit,
            proxy_credential: None,
        }
    }

    /// The reference the worker needs.
    pub fn computer_ref(&self) -> ComputerRef {
        ComputerRef::new(&self.name, self.spec.clone(), self.credential.clone())
            .with_proxy_credential(self.proxy_credential.clone())
    }

    /// The user name shown in `ConnectionInfo.Credential`.
    pub fn credential_user(&self) -> Option<&str> {
        match &self.credential {
            CredentialChoice::Implicit => None,
            CredentialChoice::Saved { user, .. } => Some(user),
            CredentialChoice::Once(c) => Some(&c.user),
        }
    }
}

/// A profile group: a named list of computers.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupNode {
    /// The group's (profile's) name.
    pub name: String,
    /// Its computers, in display order.
    pub computers: Vec<ComputerNode>,
}

/// One node of the tree, as selection and expansion remember it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKey {
    /// A profile group, by name.
    Group(String),
    /// A computer, by display name.
    Computer(String),
    /// A session, by its computer's display name and InstanceId.
    Session {
        /// The computer's display name.
        computer: String,
        /// The session's InstanceId (= ShellId).
        instance_id: Uuid,
    },
}

/// What a visible tree row shows.
#[derive(Clone, Copy, Debug)]
pub enum RowKind<'a> {
    /// A group row.
    Group(&'a GroupNode),
    /// A computer row.
    Computer(&'a ComputerNode),
    /// A session row, with its computer.
    Session(&'a ComputerNode, &'a SessionInfo),
}

/// A visible row of the tree, after filtering and expansion.
#[derive(Clone, Copy, Debug)]
pub struct TreeRow<'a> {
    /// 0 for groups, 1 for computers, 2 for sessions.
    pub depth: u8,
    /// What the row shows.
    pub kind: RowKind<'a>,
    /// Shown expanded (its children follow).
    pub expanded: bool,
    /// Has anything to expand.
    pub has_children: bool,
}

impl TreeRow<'_> {
    /// The key of the node this row shows.
    pub fn key(&self) -> NodeKey {
        match self.kind {
            RowKind::Group(g) => NodeKey::Group(g.name.clone()),
            RowKind::Computer(c) => NodeKey::Computer(c.name.clone()),
            RowKind::Session(c, s) => NodeKey::Session {
                computer: c.name.clone(),
                instance_id: s.instance_id,
            },
        }
    }
}

/// An action in flight, for the status bar.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingOp {
    /// The action's id.
    pub op: OpId,
    /// What the status bar says (`Disconnect-PSSession ITTask on Srv1`).
    pub what: String,
    /// When it was sent.
    pub started: DateTime<Utc>,
    /// Parts done of a bulk action.
    pub done: usize,
    /// Parts in all (0 until the worker reports progress).
    pub total: usize,
    /// The latest progress message.
    pub message: String,
    /// The worker has acknowledged it (`OpStarted`).
    pub started_by_worker: bool,
    /// The user asked to cancel it.
    pub cancelling: bool,
    /// Parts it has: computers or sessions of a bulk action, else 1.
    pub parts: usize,
    /// Parts reported failed so far.
    pub failed: usize,
}

/// How a notification looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    /// Fades after a few seconds.
    Info,
    /// Stays until dismissed.
    Error,
}

/// A notification: what happened, why, and what to do.
#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    /// Identifies it for dismissal.
    pub id: u64,
    /// Info or error.
    pub kind: ToastKind,
    /// What happened, in one line.
    pub summary: String,
    /// Why.
    pub detail: String,
    /// What to do about it.
    pub advice: Option<String>,
    /// PowerShell's FullyQualifiedErrorId, when there is one.
    pub error_id: Option<String>,
    /// When it was raised.
    pub at: DateTime<Utc>,
}

/// Output of one command of a session.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommandOutput {
    /// The command (pipeline) id.
    pub command_id: Uuid,
    /// Output, error, warning, verbose, debug, information and host-prompt items, in order.
    pub items: VecDeque<OutputItem>,
    /// Items dropped because of [`MAX_ITEMS_PER_COMMAND`].
    pub dropped: usize,
    /// Current progress records by activity id (completed ones are removed).
    pub progress: BTreeMap<i32, ProgressView>,
    /// `Completed`, `Failed`, `Stopped` once finished.
    pub finished: Option<String>,
}

/// Output of the commands of one session, in arrival order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionOutput {
    /// One entry per command, in the order their output arrived.
    pub commands: Vec<CommandOutput>,
}

impl SessionOutput {
    fn command_mut(&mut self, command_id: Uuid) -> &mut CommandOutput {
        let pos = if let Some(p) = self
            .commands
            .iter()
            .position(|c| c.command_id == command_id)
        {
            p
        } else {
            self.commands.push(CommandOutput {
                command_id,
                ..CommandOutput::default()
            });
            self.commands.len() - 1
        };
        &mut self.commands[pos]
    }
}

/// A host prompt waiting for an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingPrompt {
    /// The computer's display name.
    pub computer: String,
    /// The session asking.
    pub instance_id: Uuid,
    /// The command asking.
    pub command_id: Uuid,
    /// The prompt text (`Read-Host -Prompt`).
    pub prompt: String,
    /// `-AsSecureString`: the answer is masked.
    pub secure: bool,
}

/// What `Test-WSMan` said about a computer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComputerIdentity {
    /// `ProductVendor`.
    pub product_vendor: String,
    /// `ProductVersion` (`OS: … SP: … Stack: 3.0`).
    pub product_version: String,
    /// `ProtocolVersion` (the WS-Management schema URI).
    pub protocol_version: String,
}

/// The user-facing actions on the selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// New-PSSession.
    NewSession,
    /// Get-PSSession (F5).
    Refresh,
    /// Disconnect-PSSession.
    Disconnect,
    /// Connect-PSSession (Enter).
    Connect,
    /// Receive-PSSession.
    Receive,
    /// Invoke-Command -Session.
    RunCommand,
    /// Remove-PSSession (Del).
    Remove,
    /// Test-WSMan.
    TestConnection,
}

impl Action {
    /// Every action, in toolbar order.
    pub const ALL: [Action; 8] = [
        Action::NewSession,
        Action::Refresh,
        Action::Disconnect,
        Action::Connect,
        Action::Receive,
        Action::RunCommand,
        Action::Remove,
        Action::TestConnection,
    ];

    /// The button text.
    pub fn label(self) -> &'static str {
        match self {
            Action::NewSession => "New session…",
            Action::Refresh => "Refresh",
            Action::Disconnect => "Disconnect…",
            Action::Connect => "Connect",
            Action::Receive => "Receive output",
            Action::RunCommand => "Run command…",
            Action::Remove => "Remove…",
            Action::TestConnection => "Test connection",
        }
    }

    /// What it does, with its cmdlet and shortcut, for the tooltip.
    pub fn tooltip(self) -> &'static str {
        match self {
            Action::NewSession => "Create a session on the selected computer (New-PSSession)",
            Action::Refresh => {
                "List the sessions of the selected computers, or of all (Get-PSSession) — F5"
            }
            Action::Disconnect => {
                "Disconnect the selected sessions; their commands keep running (Disconnect-PSSession)"
            }
            Action::Connect => {
                "Connect to the selected disconnected session, as yourself or as its owner (Connect-PSSession) — Enter"
            }
            Action::Receive => {
                "Connect if needed and show the output that piled up (Receive-PSSession)"
            }
            Action::RunCommand => "Run a script in the selected session (Invoke-Command -Session)",
            Action::Remove => {
                "Close the selected sessions on their computers (Remove-PSSession) — Del"
            }
            Action::TestConnection => {
                "Check that WinRM answers on the selected computers (Test-WSMan)"
            }
        }
    }
}

/// The explanation shown when connecting to a session another client holds.
pub fn busy_connect_reason(name: &str) -> String {
    format!(
        "This session is connected to another client (Busy). Cannot connect the PSSession \
         \"{name}\" because the session is not in the Disconnected state, or is not available \
         for connection. Wait until that client disconnects it (Disconnect-PSSession), then connect."
    )
}

/// The explanation shown when removing a session another client holds.
pub fn busy_remove_reason(name: &str) -> String {
    format!(
        "{name} is connected to another client (Busy): ask its holder to disconnect or remove \
         it. If that client is gone, remove it anyway (Remove-PSSession -Force)."
    )
}

pub use crate::model::rules::MIN_IDLE_TIMEOUT_SEC;

/// The whole console state.
pub struct AppState {
    groups: Vec<GroupNode>,
    /// Computer display name (lower case) → (group, computer) index.
    computer_index: HashMap<String, (usize, usize)>,
    /// The sessions known, by computer (the fold shared with the command line).
    sessions: crate::bridge::KnownSessions,
    /// Selected nodes.
    pub selection: BTreeSet<NodeKey>,
    /// The node the keyboard cursor is on, and whose details are shown.
    pub focus: Option<NodeKey>,
    /// Collapsed groups and computers.
    pub collapsed: BTreeSet<NodeKey>,
    /// The tree filter (case-insensitive substring of group, computer or session names).
    pub filter: String,
    outputs: HashMap<(String, Uuid), SessionOutput>,
    pending: BTreeMap<OpId, PendingOp>,
    toasts: Vec<Toast>,
    next_toast: u64,
    activity: VecDeque<ActivityEntry>,
    /// Entries ever logged this run (reloaded ones excluded): what is new for the file.
    activity_logged: u64,
    /// Who runs this console (the local account), for its own entries.
    pub operator: String,
    quotas: HashMap<String, ConfigurationQuotas>,
    identities: HashMap<String, ComputerIdentity>,
    prompts: VecDeque<PendingPrompt>,
    /// Credentials saved in the keyring: (entry id, user).
    pub saved_credentials: Vec<(String, String)>,
    /// Bumped whenever the inventory or a session list changes (for caches).
    generation: u64,
}

impl Default for AppState {
    fn default() -> Self {
        AppState::new()
    }
}

impl AppState {
    /// An empty console.
    pub fn new() -> Self {
        AppState {
            groups: Vec::new(),
            computer_index: HashMap::new(),
            sessions: Default::default(),
            selection: BTreeSet::new(),
            focus: None,
            collapsed: BTreeSet::new(),
            filter: String::new(),
            outputs: HashMap::new(),
            pending: BTreeMap::new(),
            toasts: Vec::new(),
            next_toast: 1,
            activity: VecDeque::new(),
            activity_logged: 0,
            operator: String::new(),
            quotas: HashMap::new(),
            identities: HashMap::new(),
            prompts: VecDeque::new(),
            saved_credentials: Vec::new(),
            generation: 0,
        }
    }

    /// Changes whenever the inventory or any session changes; views cache on it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    // ----- inventory -----

    /// Replaces the inventory (profile groups → computers). Sessions already
    /// found are kept; selection of vanished nodes is dropped.
    pub fn set_inventory(&mut self, groups: Vec<GroupNode>) {
        self.groups = groups;
        self.reindex();
        let keep: Vec<NodeKey> = self
            .selection
            .iter()
            .filter(|k| self.node_exists(k))
            .cloned()
            .collect();
        self.selection = keep.into_iter().collect();
        if let Some(f) = &self.focus
            && !self.node_exists(f)
        {
            self.focus = None;
        }
    }

    fn reindex(&mut self) {
        self.generation += 1;
        self.computer_index.clear();
        for (gi, g) in self.groups.iter().enumerate() {
            for (ci, c) in g.computers.iter().enumerate() {
                self.computer_index
                    .entry(c.name.to_lowercase())
                    .or_insert((gi, ci));
            }
        }
    }

    /// The inventory groups.
    pub fn groups(&self) -> &[GroupNode] {
        &self.groups
    }

    /// A computer by name (case-insensitive, as Windows names are).
    pub fn computer(&self, name: &str) -> Option<&ComputerNode> {
        let (gi, ci) = *self.computer_index.get(&name.to_lowercase())?;
        self.groups.get(gi)?.computers.get(ci)
    }

    /// The display name the inventory uses for `name`, adding the computer to
    /// the [`DISCOVERED_GROUP`] when it is unknown.
    fn canonical_computer(&mut self, name: &str) -> String {
        if let Some(c) = self.computer(name) {
            return c.name.clone();
        }
        let gi = if let Some(i) = self.groups.iter().position(|g| g.name == DISCOVERED_GROUP) {
            i
        } else {
            self.groups.push(GroupNode {
                name: DISCOVERED_GROUP.into(),
                computers: Vec::new(),
            });
            self.groups.len() - 1
        };
        self.groups[gi].computers.push(ComputerNode::new(name));
        self.reindex();
        name.to_owned()
    }

    fn node_exists(&self, key: &NodeKey) -> bool {
        match key {
            NodeKey::Group(g) => self.groups.iter().any(|x| &x.name == g),
            NodeKey::Computer(c) => self.computer(c).is_some(),
            NodeKey::Session {
                computer,
                instance_id,
            } => self.session(computer, *instance_id).is_some(),
        }
    }

    // ----- sessions -----

    /// The sessions found on a computer.
    pub fn sessions_of(&self, computer: &str) -> &[SessionInfo] {
        self.sessions.of(computer)
    }

    /// How many sessions are known, on every computer.
    pub fn session_count(&self) -> usize {
        self.sessions.count()
    }

    /// One session.
    pub fn session(&self, computer: &str, instance_id: Uuid) -> Option<&SessionInfo> {
        self.sessions_of(computer)
            .iter()
            .find(|s| s.instance_id == instance_id)
    }

    /// The sessions this console holds open (Opened: only a session this
    /// console created or connected to is), as (computer, session name),
    /// sorted: what closing the window would hand back.
    pub fn held_sessions(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .sessions
            .all()
            .filter(|s| s.state == SessionState::Opened)
            .map(|s| {
                let computer = self
                    .computer(&s.computer_name)
                    .map_or_else(|| s.computer_name.clone(), |c| c.name.clone());
                (computer, s.name.clone())
            })
            .collect();
        v.sort();
        v
    }

    /// Every session with its computer, in tree order; limited to `group` when given.
    pub fn all_sessions(&self, group: Option<&str>) -> Vec<(&ComputerNode, &SessionInfo)> {
        let mut v = Vec::new();
        for g in &self.groups {
            if group.is_some_and(|name| name != g.name) {
                continue;
            }
            for c in &g.computers {
                for s in self.sessions_of(&c.name) {
                    v.push((c, s));
                }
            }
        }
        v
    }

    /// The reference the worker needs for a session.
    pub fn session_ref(&self, computer: &str, instance_id: Uuid) -> Option<SessionRef> {
        let c = self.computer(computer)?;
        let s = self.session(&c.name, instance_id)?;
        Some(SessionRef {
            computer: c.computer_ref(),
            instance_id,
            name: s.name.clone(),
        })
    }

    // ----- tree -----

    /// The visible rows: groups → computers → sessions, filtered and expanded.
    ///
    /// With a filter, a row is shown when its own name matches, when an
    /// ancestor's name matches, or when a descendant's matches; collapsed
    /// groups and computers are searched too (and shown open).
    pub fn tree_rows(&self) -> Vec<TreeRow<'_>> {
        let needle = self.filter.trim().to_lowercase();
        let filtering = !needle.is_empty();
        let matches = |s: &str| contains_ci(s, &needle);
        let mut rows = Vec::new();
        for g in &self.groups {
            let g_match = filtering && matches(&g.name);
            let mut g_rows: Vec<TreeRow<'_>> = Vec::new();
            let g_expanded = filtering || !self.collapsed.contains(&NodeKey::Group(g.name.clone()));
            for c in &g.computers {
                let c_match = g_match || (filtering && matches(&c.name));
                let sessions = self.sessions_of(&c.name);
                let c_expanded =
                    filtering || !self.collapsed.contains(&NodeKey::Computer(c.name.clone()));
                let mut s_rows = Vec::new();
                for s in sessions {
                    if !filtering || c_match || matches(&s.name) {
                        s_rows.push(TreeRow {
                            depth: 2,
                            kind: RowKind::Session(c, s),
                            expanded: false,
                            has_children: false,
                        });
                    }
                }
                if filtering && !c_match && s_rows.is_empty() {
                    continue;
                }
                g_rows.push(TreeRow {
                    depth: 1,
                    kind: RowKind::Computer(c),
                    expanded: c_expanded,
                    has_children: !sessions.is_empty(),
                });
                if c_expanded {
                    g_rows.extend(s_rows);
                }
            }
            if filtering && !g_match && g_rows.is_empty() {
                continue;
            }
            rows.push(TreeRow {
                depth: 0,
                kind: RowKind::Group(g),
                expanded: g_expanded,
                has_children: !g.computers.is_empty(),
            });
            if g_expanded {
                rows.extend(g_rows);
            }
        }
        rows
    }

    /// Selects one node (replacing the selection) or toggles it (`additive`).
    pub fn select(&mut self, key: NodeKey, additive: bool) {
        if additive {
            if !self.selection.remove(&key) {
                self.selection.insert(key.clone());
            }
        } else {
            self.selection.clear();
            self.selection.insert(key.clone());
        }
        self.focus = Some(key);
    }

    /// Shift+click: selects every visible row from the cursor to `key`
    /// (added to the selection); the cursor moves to `key`.
    pub fn select_range(&mut self, key: NodeKey) {
        let keys: Vec<NodeKey> = self.tree_rows().iter().map(TreeRow::key).collect();
        let to = keys.iter().position(|k| *k == key);
        let from = self
            .focus
            .as_ref()
            .and_then(|f| keys.iter().position(|k| k == f));
        match (from, to) {
            (Some(a), Some(b)) => {
                let (lo, hi) = (a.min(b), a.max(b));
                self.selection.extend(keys[lo..=hi].iter().cloned());
                self.focus = Some(key);
            }
            _ => self.select(key, false),
        }
    }

    /// Moves the cursor `delta` rows in the visible tree and selects that row.
    pub fn move_cursor(&mut self, delta: i32) {
        let keys: Vec<NodeKey> = self.tree_rows().iter().map(TreeRow::key).collect();
        if keys.is_empty() {
            return;
        }
        let cur = self
            .focus
            .as_ref()
            .and_then(|f| keys.iter().position(|k| k == f));
        let next = match cur {
            None => 0,
            Some(i) => {
                let n = i64::try_from(i).unwrap_or(0) + i64::from(delta);
                let max = i64::try_from(keys.len() - 1).unwrap_or(0);
                usize::try_from(n.clamp(0, max)).unwrap_or(0)
            }
        };
        self.select(keys[next].clone(), false);
    }

    /// The group of a computer, or the computer of a session.
    pub fn parent_of(&self, key: &NodeKey) -> Option<NodeKey> {
        match key {
            NodeKey::Group(_) => None,
            NodeKey::Computer(c) => {
                let (gi, _) = *self.computer_index.get(&c.to_lowercase())?;
                Some(NodeKey::Group(self.groups.get(gi)?.name.clone()))
            }
            NodeKey::Session { computer, .. } => Some(NodeKey::Computer(computer.clone())),
        }
    }

    /// Expands or collapses a group or computer.
    pub fn set_expanded(&mut self, key: &NodeKey, expanded: bool) {
        if expanded {
            self.collapsed.remove(key);
        } else if !matches!(key, NodeKey::Session { .. }) {
            self.collapsed.insert(key.clone());
        }
    }

    // ----- selection views -----

    /// The selected sessions, in tree order.
    pub fn selected_sessions(&self) -> Vec<(&ComputerNode, &SessionInfo)> {
        let mut v = Vec::new();
        for k in &self.selection {
            if let NodeKey::Session {
                computer,
                instance_id,
            } = k
                && let (Some(c), Some(s)) = (
                    self.computer(computer),
                    self.session(computer, *instance_id),
                )
            {
                v.push((c, s));
            }
        }
        v
    }

    /// The session under the cursor, if the cursor is on a session.
    pub fn focused_session(&self) -> Option<(&ComputerNode, &SessionInfo)> {
        match &self.focus {
            Some(NodeKey::Session {
                computer,
                instance_id,
            }) => Some((
                self.computer(computer)?,
                self.session(computer, *instance_id)?,
            )),
            _ => None,
        }
    }

    /// The computer under the cursor (a session's computer counts).
    pub fn focused_computer(&self) -> Option<&ComputerNode> {
        match &self.focus {
            Some(NodeKey::Computer(c) | NodeKey::Session { computer: c, .. }) => self.computer(c),
            _ => None,
        }
    }

    /// The group under the cursor.
    pub fn focused_group(&self) -> Option<&GroupNode> {
        match &self.focus {
            Some(NodeKey::Group(g)) => self.groups.iter().find(|x| &x.name == g),
            _ => None,
        }
    }

    /// The computers the selection covers (groups expand to their computers,
    /// sessions to theirs), without duplicates, in tree order.
    pub fn selected_computers(&self) -> Vec<&ComputerNode> {
        let mut names = BTreeSet::new();
        for k in &self.selection {
            match k {
                NodeKey::Group(g) => {
                    if let Some(g) = self.groups.iter().find(|x| &x.name == g) {
                        names.extend(g.computers.iter().map(|c| c.name.to_lowercase()));
                    }
                }
                NodeKey::Computer(c) | NodeKey::Session { computer: c, .. } => {
                    names.insert(c.to_lowercase());
                }
            }
        }
        self.groups
            .iter()
            .flat_map(|g| g.computers.iter())
            .filter(|c| names.remove(&c.name.to_lowercase()))
            .collect()
    }

    /// Every computer of the inventory.
    pub fn all_computers(&self) -> Vec<&ComputerNode> {
        self.groups
            .iter()
            .flat_map(|g| g.computers.iter())
            .collect()
    }

    /// The server maximum idle timeout for a session, in seconds: the
    /// session's own `MaxIdleTimeout`, else its computer's configuration quota.
    pub fn max_idle_timeout_sec(&self, computer: &str, session: &SessionInfo) -> Option<u64> {
        session
            .max_idle_timeout_ms
            .or_else(|| self.quotas.get(computer)?.max_idle_timeout_ms())
            .map(|ms| ms / 1000)
    }

    /// Whether `action` applies to the selection; `Err` says why not.
    pub fn can(&self, action: Action) -> Result<(), String> {
        let sessions = self.selected_sessions();
        match action {
            Action::Refresh => Ok(()),
            Action::NewSession => {
                if self.focused_computer().is_some() {
                    Ok(())
                } else {
                    Err(
                        "Select a computer (or one of its sessions) to create a session on it."
                            .into(),
                    )
                }
            }
            Action::TestConnection => {
                if self.selected_computers().is_empty() {
                    Err("Select one or more computers (or a group) to test.".into())
                } else {
                    Ok(())
                }
            }
            Action::Disconnect => {
                if sessions.is_empty() {
                    return Err("Select one or more sessions to disconnect.".into());
                }
                if sessions
                    .iter()
                    .any(|(_, s)| disconnect_blocker(s).is_none())
                {
                    Ok(())
                } else {
                    let (_, s) = sessions[0];
                    Err(disconnect_blocker(s).unwrap_or_default())
                }
            }
            Action::Connect => {
                let [(_, s)] = sessions.as_slice() else {
                    return Err(if sessions.is_empty() {
                        "Select the disconnected session to connect to.".into()
                    } else {
                        "Select exactly one session to connect to.".into()
                    });
                };
                connect_blocker(s).map_or(Ok(()), Err)
            }
            Action::Receive => {
                let [(_, s)] = sessions.as_slice() else {
                    return Err("Select exactly one session to receive its output.".into());
                };
                if s.availability == Availability::Busy && s.state != SessionState::Opened {
                    Err(busy_connect_reason(&s.name))
                } else if matches!(s.state, SessionState::Closed | SessionState::Broken) {
                    Err(format!(
                        "{} is {}: there is nothing left to receive.",
                        s.name, s.state
                    ))
                } else {
                    Ok(())
                }
            }
            Action::RunCommand => {
                let [(_, s)] = sessions.as_slice() else {
                    return Err("Select exactly one open session to run a command in.".into());
                };
                if s.state == SessionState::Opened {
                    Ok(())
                } else if s.availability == Availability::Busy {
                    Err(busy_connect_reason(&s.name))
                } else {
                    Err(format!(
                        "{} is {}: connect to it first (Connect), then run commands in it.",
                        s.name, s.state
                    ))
                }
            }
            Action::Remove => {
                if sessions.is_empty() {
                    return Err("Select one or more sessions to remove.".into());
                }
                // A Busy one opens the dialog too: it offers "Remove anyway".
                if sessions.iter().any(|(_, s)| {
                    remove_blocker(s).is_none() || s.availability == Availability::Busy
                }) {
                    Ok(())
                } else {
                    let (_, s) = sessions[0];
                    Err(remove_blocker(s).unwrap_or_default())
                }
            }
        }
    }

    // ----- output, ops, notifications -----

    /// The output of a session's commands.
    pub fn output(&self, computer: &str, instance_id: Uuid) -> Option<&SessionOutput> {
        self.outputs.get(&(computer.to_owned(), instance_id))
    }

    /// The actions in flight, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = &PendingOp> {
        self.pending.values()
    }

    /// Notes a command the UI just sent, so the status bar shows it at once;
    /// `parts` is how many computers or sessions a bulk action covers (else 1).
    pub fn note_sent(&mut self, op: OpId, what: &str, parts: usize, now: DateTime<Utc>) {
        self.pending.insert(
            op,
            PendingOp {
                op,
                what: what.to_owned(),
                started: now,
                done: 0,
                total: 0,
                message: String::new(),
                started_by_worker: false,
                cancelling: false,
                parts: parts.max(1),
                failed: 0,
            },
        );
    }

    /// Marks an action as being cancelled.
    pub fn note_cancelling(&mut self, op: OpId) {
        if let Some(p) = self.pending.get_mut(&op) {
            p.cancelling = true;
        }
    }

    /// The notifications, oldest first.
    pub fn toasts(&self) -> &[Toast] {
        &self.toasts
    }

    /// Dismisses a notification.
    pub fn dismiss_toast(&mut self, id: u64) {
        self.toasts.retain(|t| t.id != id);
    }

    /// Drops information toasts older than `max_age_secs`; errors stay until dismissed.
    pub fn expire_toasts(&mut self, now: DateTime<Utc>, max_age_secs: i64) {
        self.toasts
            .retain(|t| t.kind == ToastKind::Error || (now - t.at).num_seconds() < max_age_secs);
    }

    /// Shows a notification made by the UI itself (e.g. why an action does not apply).
    pub fn notify(&mut self, kind: ToastKind, message: UserError, now: DateTime<Utc>) {
        self.toast(kind, message, now);
    }

    fn toast(&mut self, kind: ToastKind, error: UserError, now: DateTime<Utc>) {
        let id = self.next_toast;
        self.next_toast += 1;
        self.toasts.push(Toast {
            id,
            kind,
            summary: error.summary,
            detail: error.detail,
            advice: error.advice,
            error_id: error.error_id,
            at: now,
        });
        while self.toasts.len() > MAX_TOASTS {
            self.toasts.remove(0);
        }
    }

    /// The audit trail, oldest first.
    pub fn activity(&self) -> &VecDeque<ActivityEntry> {
        &self.activity
    }

    fn log(&mut self, entry: ActivityEntry) {
        self.activity.push_back(entry);
        self.activity_logged += 1;
        while self.activity.len() > MAX_ACTIVITY {
            self.activity.pop_front();
        }
    }

    /// Puts entries read back from the activity file before this run's.
    pub fn preload_activity(&mut self, entries: Vec<ActivityEntry>) {
        let keep = MAX_ACTIVITY.saturating_sub(self.activity.len());
        let skip = entries.len().saturating_sub(keep);
        for e in entries.into_iter().skip(skip).rev() {
            self.activity.push_front(e);
        }
    }

    /// How many entries this run has logged so far (a counter that only grows).
    pub fn activity_logged(&self) -> u64 {
        self.activity_logged
    }

    /// The entries logged after the first `since` of this run, oldest first
    /// (those already dropped from memory are skipped).
    pub fn activity_since(&self, since: u64) -> impl Iterator<Item = &ActivityEntry> {
        let new = usize::try_from(self.activity_logged.saturating_sub(since)).unwrap_or(usize::MAX);
        let skip = self.activity.len().saturating_sub(new);
        self.activity.iter().skip(skip)
    }

    fn local_entry(&self, now: DateTime<Utc>, action: &str, result: String) -> ActivityEntry {
        ActivityEntry {
            time: now,
            user: self.operator.clone(),
            computer: String::new(),
            session: None,
            action: action.to_owned(),
            options: String::new(),
            result,
        }
    }

    /// The configuration quotas loaded for a computer.
    pub fn quotas(&self, computer: &str) -> Option<&ConfigurationQuotas> {
        self.quotas.get(computer)
    }

    /// What `Test-WSMan` reported for a computer.
    pub fn identity(&self, computer: &str) -> Option<&ComputerIdentity> {
        self.identities.get(computer)
    }

    /// The oldest unanswered host prompt.
    pub fn current_prompt(&self) -> Option<&PendingPrompt> {
        self.prompts.front()
    }

    /// Records the answer to the oldest prompt (masked when secure) and drops it.
    pub fn answered_prompt(&mut self, answer: &str) -> Option<PendingPrompt> {
        let p = self.prompts.pop_front()?;
        let shown = if p.secure {
            "********".to_owned()
        } else {
            answer.to_owned()
        };
        let out = self
            .outputs
            .entry((p.computer.clone(), p.instance_id))
            .or_default()
            .command_mut(p.command_id);
        push_item(out, OutputItem::HostPrompt(format!("{} {shown}", p.prompt)));
        Some(p)
    }

    // ----- events -----

    /// Folds one worker event into the state. `now` stamps notifications and
    /// log lines made here. Each variant has exactly one effect:
    ///
    /// - `OpStarted` / `OpProgress`: the status bar's action in flight;
    /// - `OpFinished`: ends the action and logs it;
    /// - `OpFailed`: ends the action (a bulk one continues until `OpFinished`
    ///   or its last part), logs it and raises an error toast with summary,
    ///   detail and advice;
    /// - `SessionsListed`: replaces that computer's sessions;
    /// - `SessionChanged` / `SessionGone`: updates or drops one session (gone ones are logged);
    /// - `Output` / `CommandFinished`: the session's per-command output
    ///   (progress records replace each other by activity id);
    /// - `PromptRequested`: queues a host prompt for the prompt dialog;
    /// - `ComputerIdentified`: remembers the Test-WSMan identity and says so;
    /// - `Configuration`: the computer's quotas (also the Disconnect range);
    /// - `Activity`: appends to the audit trail.
    ///
    /// Computers unknown to the inventory are added to [`DISCOVERED_GROUP`].
    #[expect(clippy::too_many_lines, reason = "one arm per event")]
    pub fn apply(&mut self, event: Event, now: DateTime<Utc>) {
        match event {
            Event::OpStarted { op, what } => {
                let p = self.pending.entry(op).or_insert_with(|| PendingOp {
                    op,
                    what: what.clone(),
                    started: now,
                    done: 0,
                    total: 0,
                    message: String::new(),
                    started_by_worker: true,
                    cancelling: false,
                    parts: 1,
                    failed: 0,
                });
                p.what = what;
                p.started_by_worker = true;
            }
            Event::OpProgress {
                op,
                done,
                total,
                message,
            } => {
                if let Some(p) = self.pending.get_mut(&op) {
                    p.done = done;
                    p.total = total;
                    p.message = message;
                }
            }
            Event::OpFinished { op, message } => {
                let what = self
                    .pending
                    .remove(&op)
                    .map_or_else(|| format!("Action {op}"), |p| p.what);
                let entry = self.local_entry(now, &what, format!("ok: {message}"));
                self.log(entry);
            }
            Event::PartFailed { op, error } => {
                // One part failed; the action goes on until its terminal event.
                let what = match self.pending.get_mut(&op) {
                    Some(p) => {
                        p.failed += 1;
                        p.what.clone()
                    }
                    None => format!("Action {op}"),
                };
                let entry = self.local_entry(now, &what, format!("failed: {error}"));
                self.log(entry);
                self.toast(ToastKind::Error, error, now);
            }
            Event::OpFailed { op, error } => {
                let pending = self.pending.remove(&op);
                let parts_failed = pending.as_ref().is_some_and(|p| p.failed > 0);
                let what = pending.map_or_else(|| format!("Action {op}"), |p| p.what);
                let entry = self.local_entry(now, &what, format!("failed: {error}"));
                self.log(entry);
                // Each failed part was shown already; the sum adds nothing.
                if !parts_failed {
                    self.toast(ToastKind::Error, error, now);
                }
            }
            Event::OpCancelled { op } => {
                let what = self
                    .pending
                    .remove(&op)
                    .map_or_else(|| format!("Action {op}"), |p| p.what);
                let entry = self.local_entry(now, &what, "cancelled before it finished".into());
                self.log(entry);
                self.toast(
                    ToastKind::Info,
                    crate::model::UserError {
                        summary: "Cancelled".into(),
                        detail: what,
                        advice: None,
                        error_id: None,
                    },
                    now,
                );
            }
            // Session events go through the fold the command line uses too;
            // here the tree, the selection and the log follow.
            Event::SessionReleased { .. }
            | Event::SessionsListed { .. }
            | Event::SessionChanged(_)
            | Event::SessionGone { .. } => {
                let computer = match &event {
                    Event::SessionReleased { computer, .. }
                    | Event::SessionsListed { computer, .. }
                    | Event::SessionGone { computer, .. } => computer.clone(),
                    Event::SessionChanged(info) => info.computer_name.clone(),
                    _ => String::new(),
                };
                let computer = self.canonical_computer(&computer);
                if let Event::SessionReleased {
                    outcome: crate::bridge::ReleaseOutcome::Failed(e),
                    ..
                } = &event
                {
                    // The worker's audit entry (Activity) has the details.
                    self.toast(ToastKind::Error, e.clone(), now);
                }
                let change = self.sessions.apply(&event);
                self.generation += 1;
                match change {
                    crate::bridge::Change::Listed { .. } => self.prune_selection(),
                    crate::bridge::Change::Removed { name, .. } => {
                        self.prune_selection();
                        if let Event::SessionGone { reason, .. } = &event {
                            let entry = ActivityEntry {
                                computer,
                                session: name,
                                ..self.local_entry(now, "Session gone", reason.clone())
                            };
                            self.log(entry);
                        }
                    }
                    _ => {}
                }
            }
            Event::Stopped => {}
            Event::Output {
                computer,
                instance_id,
                command_id,
                items,
            } => {
                let computer = self.canonical_computer(&computer);
                let out = self
                    .outputs
                    .entry((computer, instance_id))
                    .or_default()
                    .command_mut(command_id);
                for item in items {
                    match item {
                        OutputItem::Progress(p) => {
                            if p.completed {
                                out.progress.remove(&p.activity_id);
                            } else {
                                out.progress.insert(p.activity_id, p);
                            }
                        }
                        other => push_item(out, other),
                    }
                }
            }
            Event::CommandFinished {
                computer,
                instance_id,
                command_id,
                state,
            } => {
                let computer = self.canonical_computer(&computer);
                let out = self
                    .outputs
                    .entry((computer, instance_id))
                    .or_default()
                    .command_mut(command_id);
                out.progress.clear();
                out.finished = Some(state);
            }
            Event::PromptRequested {
                computer,
                instance_id,
                command_id,
                prompt,
                secure,
            } => {
                let computer = self.canonical_computer(&computer);
                self.prompts.push_back(PendingPrompt {
                    computer,
                    instance_id,
                    command_id,
                    prompt,
                    secure,
                });
            }
            Event::ComputerIdentified {
                computer,
                product_vendor,
                product_version,
                protocol_version,
                ..
            } => {
                let computer = self.canonical_computer(&computer);
                let summary = format!("{computer} answers: WinRM is reachable");
                self.toast(
                    ToastKind::Info,
                    UserError {
                        summary,
                        detail: format!(
                            "{product_vendor} — {product_version}, protocol {protocol_version}"
                        ),
                        advice: None,
                        error_id: None,
                    },
                    now,
                );
                self.identities.insert(
                    computer,
                    ComputerIdentity {
                        product_vendor,
                        product_version,
                        protocol_version,
                    },
                );
            }
            Event::Configuration {
                computer, quotas, ..
            } => {
                let computer = self.canonical_computer(&computer);
                self.quotas.insert(computer, quotas);
            }
            Event::Activity(entry) => self.log(entry),
        }
    }

    fn prune_selection(&mut self) {
        let gone: Vec<NodeKey> = self
            .selection
            .iter()
            .filter(|k| matches!(k, NodeKey::Session { .. }) && !self.node_exists(k))
            .cloned()
            .collect();
        for k in gone {
            self.selection.remove(&k);
        }
        if let Some(f @ NodeKey::Session { computer, .. }) = &self.focus
            && !self.node_exists(f)
        {
            self.focus = Some(NodeKey::Computer(computer.clone()));
        }
    }
}

fn push_item(out: &mut CommandOutput, item: OutputItem) {
    out.items.push_back(item);
    while out.items.len() > MAX_ITEMS_PER_COMMAND {
        out.items.pop_front();
        out.dropped += 1;
    }
}

/// `hay` contains `needle_lower` (already lower case), ignoring case,
/// without allocating for ASCII text.
pub fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle_lower.is_ascii() {
        let n = needle_lower.len();
        hay.len() >= n
            && hay
                .as_bytes()
                .windows(n)
                .any(|w| w.eq_ignore_ascii_case(needle_lower.as_bytes()))
    } else {
        hay.to_lowercase().contains(needle_lower)
    }
}

/// Compares two names ignoring case, without allocating.
pub fn cmp_ci(a: &str, b: &str) -> std::cmp::Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// Why a session cannot be disconnected from here, or `None` when it can.
pub fn disconnect_blocker(s: &SessionInfo) -> Option<String> {
    if s.state == SessionState::Opened {
        if s.supports_disconnect() {
            None
        } else {
            Some(format!(
                "{} cannot be disconnected: its computer runs a PowerShell remoting protocol \
                 older than 2.2 (Windows PowerShell 2.0).",
                s.name
            ))
        }
    } else if s.availability == Availability::Busy {
        Some(format!(
            "{} is connected to another client (Busy): only that client can disconnect it.",
            s.name
        ))
    } else {
        Some(format!(
            "{} is {}: only sessions open in this console (State Opened) can be disconnected.",
            s.name, s.state
        ))
    }
}

/// Why this console cannot connect to a session, or `None` when it can.
pub fn connect_blocker(s: &SessionInfo) -> Option<String> {
    match (s.state, s.availability) {
        (SessionState::Opened, _) => Some(format!("{} is already open in this console.", s.name)),
        (_, Availability::Busy) => Some(busy_connect_reason(&s.name)),
        (SessionState::Disconnected, _) => None,
        (state, _) => Some(format!(
            "{} is {state}: only disconnected sessions can be connected.",
            s.name
        )),
    }
}

/// Why a session cannot be removed from here, or `None` when it can.
pub fn remove_blocker(s: &SessionInfo) -> Option<String> {
    if s.availability == Availability::Busy && s.state != SessionState::Opened {
        Some(busy_remove_reason(&s.name))
    } else if s.state == SessionState::Closed {
        Some(format!("{} is already closed.", s.name))
    } else {
        None
    }
}

/// A duration in words: `2d 3h`, `1h 23m`, `5m 10s`, `42s`.
pub fn human_duration(total_secs: i64) -> String {
    let s = total_secs.max(0);
    let (d, h, m, sec) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

/// `7200000 ms (2h 0m)`.
pub fn ms_human(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    format!("{ms} ms ({})", human_duration(secs))
}

/// `expires in 1h 23m`, or `expired 5m 0s ago`.
pub fn countdown(expires_on: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (expires_on - now).num_seconds();
    if secs >= 0 {
        format!("expires in {}", human_duration(secs))
    } else {
        format!("expired {} ago", human_duration(-secs))
    }
}

/// The console's tree: one group per profile group path.
pub fn inventory(tree: &crate::model::profile::ProfileTree) -> Vec<GroupNode> {
    let mut groups: BTreeMap<String, Vec<ComputerNode>> = BTreeMap::new();
    for c in crate::store::resolve::all(tree) {
        let credential = match &c.credential {
            Some(crate::model::profile::CredentialRef {
                user,
                entry: Some(id),
            }) => CredentialChoice::Saved {
                entry_id: id.clone(),
                user: user.clone(),
            },
            _ => CredentialChoice::Implicit,
        };
        let group = if c.group_path.is_empty() {
            "Computers".to_owned()
        } else {
            c.group_path.clone()
        };
        // A proxy password is only ever a keyring entry; without one the
        // worker asks for it (or reports that it is missing) when it connects.
        let proxy_credential = match &c.proxy_credential {
            Some(crate::model::profile::CredentialRef {
                user,
                entry: Some(id),
            }) => Some(CredentialChoice::Saved {
                entry_id: id.clone(),
                user: user.clone(),
            }),
            _ => None,
        };
        groups.entry(group).or_default().push(ComputerNode {
            name: c.name,
            spec: c.spec,
            credential,
            proxy_credential,
        });
    }
    groups
        .into_iter()
        .map(|(name, computers)| GroupNode { name, computers })
        .collect()
}

#[cfg(test)]
mod tests;
