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

mod fold;
mod text;
mod tree;
pub use text::*;

/// Most output items (lines) kept in memory per command; older ones are
/// dropped first (the spill file keeps them all for "Save output…").
pub const MAX_ITEMS_PER_COMMAND: usize = 20_000;
/// Most bytes of output text kept in memory per command.
pub const MAX_BYTES_PER_COMMAND: usize = 4 << 20;
/// Most bytes of one item's text kept in memory (a longer one is cut, and
/// says how long it was; the spill file keeps it whole).
pub const MAX_ITEM_BYTES: usize = 4_096;
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

/// How many failed parts of one action are shown one by one as they come;
/// an action with more ends with one message that sums them up by cause.
pub const PARTS_SHOWN_ONE_BY_ONE: usize = 3;

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
    /// The failed parts: computer and error (summed up in one message
    /// when the action ends).
    pub failures: Vec<(String, UserError)>,
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
    /// The action whose failed part it reports, when it is one (replaced by
    /// one summary when the action ends with many failed parts).
    pub part_of: Option<OpId>,
}

/// Output of one command of a session.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommandOutput {
    /// The command (pipeline) id.
    pub command_id: Uuid,
    /// Output, error, warning, verbose, debug, information and host-prompt items, in order.
    pub items: VecDeque<OutputItem>,
    /// Older items no longer in memory ([`MAX_ITEMS_PER_COMMAND`],
    /// [`MAX_BYTES_PER_COMMAND`]); the spill file has them.
    pub dropped: usize,
    /// Bytes of text in `items`.
    pub kept_bytes: usize,
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
    /// Disconnect for someone else, with a note to give them.
    HandOver,
    /// Find a session from a hand-over note, a line or an InstanceId.
    FindSession,
}

impl Action {
    /// Every action, in toolbar order.
    pub const ALL: [Action; 10] = [
        Action::NewSession,
        Action::Refresh,
        Action::Disconnect,
        Action::Connect,
        Action::Receive,
        Action::RunCommand,
        Action::Remove,
        Action::TestConnection,
        Action::HandOver,
        Action::FindSession,
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
            Action::HandOver => "Hand over…",
            Action::FindSession => "Find session…",
        }
    }

    /// Its keyboard shortcut: the key, whether Ctrl (Cmd on macOS) is
    /// held, and how the tooltip names it. Enter and Del act only when no
    /// text field has the keyboard.
    pub fn shortcut(self) -> (egui::Key, bool, &'static str) {
        use egui::Key;
        match self {
            Action::NewSession => (Key::N, true, "Ctrl+N"),
            Action::Refresh => (Key::F5, false, "F5"),
            Action::Disconnect => (Key::D, true, "Ctrl+D"),
            Action::Connect => (Key::Enter, false, "Enter"),
            Action::Receive => (Key::R, true, "Ctrl+R"),
            Action::RunCommand => (Key::E, true, "Ctrl+E"),
            Action::Remove => (Key::Delete, false, "Del"),
            Action::TestConnection => (Key::T, true, "Ctrl+T"),
            Action::HandOver => (Key::H, true, "Ctrl+H"),
            Action::FindSession => (Key::G, true, "Ctrl+G"),
        }
    }

    /// The tooltip: what it does, its cmdlet, and its shortcut.
    pub fn tooltip_with_shortcut(self) -> String {
        format!("{} — {}", self.tooltip(), self.shortcut().2)
    }

    /// What it does, with its cmdlet, for the tooltip.
    pub fn tooltip(self) -> &'static str {
        match self {
            Action::NewSession => "Create a session on the selected computer (New-PSSession)",
            Action::Refresh => {
                "List the sessions of the selected computers, or of all (Get-PSSession)"
            }
            Action::Disconnect => {
                "Disconnect the selected sessions; their commands keep running (Disconnect-PSSession)"
            }
            Action::Connect => {
                "Connect to the selected disconnected session, as yourself or as its owner (Connect-PSSession)"
            }
            Action::Receive => {
                "Connect if needed and show the output that piled up (Receive-PSSession)"
            }
            Action::RunCommand => "Run a script in the selected session (Invoke-Command -Session)",
            Action::Remove => "Close the selected sessions on their computers (Remove-PSSession)",
            Action::TestConnection => {
                "Check that WinRM answers on the selected computers (Test-WSMan)"
            }
            Action::HandOver => {
                "Disconnect the selected open sessions for someone else, and copy a note with how to connect"
            }
            Action::FindSession => {
                "Find a session from a hand-over note, a Connect-PSSession line or an InstanceId"
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
    /// Computers whose quotas were asked for (loaded once, when the
    /// Configuration tab first shows them; Reload asks again).
    quotas_requested: std::collections::HashSet<String>,
    /// The sessions held or handed over when Baton last ran (for "Reconnect…").
    pub previously_held: Vec<crate::model::hand_over::HeldRecord>,
    /// Whether signing in as the current user is built in here (else why):
    /// [`crate::model::rules::single_sign_on`] of the platform.
    pub single_sign_on: Result<(), String>,
    /// Computers whose sessions were listed this run (by lower-case name).
    listed: std::collections::HashSet<String>,
    /// The last action's error for each computer (by lower-case name),
    /// shown as a badge in the tree until the computer answers again.
    computer_errors: HashMap<String, UserError>,
    identities: HashMap<String, ComputerIdentity>,
    prompts: VecDeque<PendingPrompt>,
    /// Credentials saved in the keyring: (entry id, user).
    pub saved_credentials: Vec<(String, String)>,
    /// Bumped whenever the inventory or a session list changes (for caches).
    generation: u64,
    /// Bumped when the inventory changes or a session appears or goes (not
    /// when one only changes): caches of which sessions there are use it.
    members: u64,
    /// Whole lines of output not yet handed to the spill (see [`AppState::take_spill`]).
    spill: Vec<SpillLines>,
    /// Sessions whose output was forgotten, for their spill files to go.
    forgotten_outputs: Vec<Uuid>,
}

/// Whole lines of one command's output, for its spill file, in arrival order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpillLines {
    /// The session.
    pub instance_id: Uuid,
    /// The command.
    pub command_id: Uuid,
    /// Each item's whole text (as the pane shows it, uncut), one per item.
    pub lines: Vec<String>,
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
            quotas_requested: std::collections::HashSet::new(),
            computer_errors: HashMap::new(),
            listed: std::collections::HashSet::new(),
            single_sign_on: crate::model::rules::single_sign_on(std::env::consts::OS),
            previously_held: Vec::new(),
            identities: HashMap::new(),
            prompts: VecDeque::new(),
            saved_credentials: Vec::new(),
            generation: 0,
            members: 0,
            spill: Vec::new(),
            forgotten_outputs: Vec::new(),
        }
    }

    /// Changes whenever the inventory or any session changes; views cache on it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Changes whenever the inventory changes or a session appears or goes,
    /// not when a known session only changes state.
    pub fn members_generation(&self) -> u64 {
        self.members
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
        self.members += 1;
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

    /// The lines of output that arrived since the last call, whole, for the
    /// spill files (the caller writes them; this state does no I/O).
    pub fn take_spill(&mut self) -> Vec<SpillLines> {
        std::mem::take(&mut self.spill)
    }

    /// Sessions whose output was forgotten since the last call (their
    /// session went away), for their spill files to be removed.
    pub fn take_forgotten_outputs(&mut self) -> Vec<Uuid> {
        std::mem::take(&mut self.forgotten_outputs)
    }

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
                failures: Vec::new(),
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
            part_of: None,
        });
        while self.toasts.len() > MAX_TOASTS {
            self.toasts.remove(0);
        }
    }

    /// A failed part of action `op`, shown as it comes while the action has
    /// few; from [`PARTS_SHOWN_ONE_BY_ONE`] on they wait for the summary.
    pub(super) fn part_toast(&mut self, op: OpId, error: UserError, now: DateTime<Utc>) {
        self.toast(ToastKind::Error, error, now);
        if let Some(t) = self.toasts.last_mut() {
            t.part_of = Some(op);
        }
    }

    /// Drops the part toasts of `op` (its summary replaces them).
    pub(super) fn drop_part_toasts(&mut self, op: OpId) {
        self.toasts.retain(|t| t.part_of != Some(op));
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

    /// Whether `computer`'s sessions were listed in this run.
    pub fn computer_listed(&self, computer: &str) -> bool {
        self.listed.contains(&computer.to_ascii_lowercase())
    }

    /// The error the last action met on `computer`, until it answers again.
    pub fn computer_error(&self, computer: &str) -> Option<&UserError> {
        self.computer_errors.get(&computer.to_ascii_lowercase())
    }

    /// Whether the quotas of `computer` were asked for already.
    pub fn quotas_requested(&self, computer: &str) -> bool {
        self.quotas_requested
            .contains(&computer.to_ascii_lowercase())
    }

    /// Notes that the quotas of `computer` were asked for.
    pub fn note_quotas_requested(&mut self, computer: &str) {
        self.quotas_requested.insert(computer.to_ascii_lowercase());
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
        let whole = push_item(out, OutputItem::HostPrompt(format!("{} {shown}", p.prompt)));
        spill_line(&mut self.spill, p.instance_id, p.command_id, whole);
        Some(p)
    }
}

#[cfg(test)]
mod tests;
