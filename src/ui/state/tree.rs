//! The session tree as rows, the selection and the cursor, and what the selection allows (which actions are enabled, and why not).

use super::*;

impl AppState {
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

    /// The session a hand-over clue names, among the sessions known: by
    /// InstanceId when it has one, else by name (on its computer when it
    /// names one). Returns (computer, InstanceId).
    pub fn find_session(
        &self,
        clue: &crate::model::hand_over::SessionClue,
    ) -> Option<(String, Uuid)> {
        for c in self.all_computers() {
            if clue.instance_id.is_none()
                && clue
                    .computer
                    .as_ref()
                    .is_some_and(|n| !n.eq_ignore_ascii_case(&c.name))
            {
                continue;
            }
            for s in self.sessions_of(&c.name) {
                let hit = match (clue.instance_id, &clue.session) {
                    (Some(id), _) => s.instance_id == id,
                    (None, Some(name)) => s.name.eq_ignore_ascii_case(name),
                    (None, None) => false,
                };
                if hit {
                    return Some((c.name.clone(), s.instance_id));
                }
            }
        }
        None
    }

    /// Selects a node and opens every node above it, so it shows.
    pub fn reveal(&mut self, key: NodeKey) {
        let mut up = self.parent_of(&key);
        while let Some(p) = up {
            self.collapsed.remove(&p);
            up = self.parent_of(&p);
        }
        self.select(key, false);
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
            Action::Refresh | Action::FindSession => Ok(()),
            Action::HandOver => {
                if sessions.is_empty() {
                    return Err("Select the open sessions to hand over.".into());
                }
                if sessions
                    .iter()
                    .any(|(_, s)| s.state == SessionState::Opened)
                {
                    Ok(())
                } else {
                    Err("Only a session open in this console can be handed over: connect to it first.".into())
                }
            }
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
}
