//! The central area: the detail tabs of the selection and the fleet table.

use chrono::{DateTime, Utc};
use egui::{Color32, RichText, Ui};

use super::state::{AppState, ComputerNode, cmp_ci, countdown, ms_human};
use super::{Tab, UiAction, badge_color};
use crate::model::{OutputItem, SessionInfo};

/// A value the server may not have sent: its row is left out then.
fn opt<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|v| v.to_string())
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "(none)".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// A two-column property grid.
fn grid(ui: &mut Ui, id: &str, rows: Vec<(String, String)>) {
    egui::Grid::new(id)
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (k, v) in rows {
                ui.label(RichText::new(k).strong());
                ui.label(v);
                ui.end_row();
            }
        });
}

/// The selected tab.
pub(crate) fn tab(
    ui: &mut Ui,
    tab: Tab,
    state: &AppState,
    now: DateTime<Utc>,
    actions: &mut Vec<UiAction>,
) {
    // The Output tab scrolls only vertically: its long lines are cut to the
    // pane's width (one row each), which its virtualized lists need.
    let area = if tab == Tab::Output {
        egui::ScrollArea::vertical()
    } else {
        egui::ScrollArea::both()
    };
    area.id_salt(("detail", tab.label()))
        .auto_shrink([false, false])
        .show(ui, |ui| match tab {
            Tab::Session => session_tab(ui, state, now),
            Tab::ConnectionInfo => connection_tab(ui, state),
            Tab::Configuration => configuration_tab(ui, state, actions),
            Tab::Output => output_tab(ui, state, actions),
            Tab::Activity => activity_tab(ui, state),
        });
}

fn nothing_selected(ui: &mut Ui, what: &str) {
    ui.label(format!("Select {what} in the tree."));
}

fn session_tab(ui: &mut Ui, state: &AppState, now: DateTime<Utc>) {
    let Some((c, s)) = state.focused_session() else {
        if let Some(c) = state.focused_computer() {
            computer_summary(ui, state, c);
        } else {
            nothing_selected(ui, "a session");
        }
        return;
    };
    ui.heading(format!("{} on {}", s.name, c.name));
    let d = &s.details;
    let expires = match s.expires_on {
        Some(t) => format!("{} ({})", time(Some(t)), countdown(t, now)),
        None => "(none)".into(),
    };
    let disconnected = s.state == crate::model::SessionState::Disconnected;
    let rows: Vec<(String, Option<String>)> = vec![
        ("Id".into(), Some(s.id.to_string())),
        ("Name".into(), Some(s.name.clone())),
        ("InstanceId".into(), Some(s.instance_id.to_string())),
        ("ComputerName".into(), Some(s.computer_name.clone())),
        ("State".into(), Some(s.state.to_string())),
        (
            "ConfigurationName".into(),
            Some(s.configuration_name.clone()),
        ),
        ("Availability".into(), Some(s.availability.to_string())),
        ("IdleTimeout".into(), s.idle_timeout_ms.map(ms_human)),
        ("MaxIdleTimeout".into(), s.max_idle_timeout_ms.map(ms_human)),
        (
            "OutputBufferingMode".into(),
            Some(s.output_buffering_mode.to_string()),
        ),
        // When and until when a disconnected session waits; an open one
        // has neither.
        (
            "DisconnectedOn".into(),
            disconnected.then(|| time(s.disconnected_on)),
        ),
        ("ExpiresOn".into(), disconnected.then_some(expires)),
        ("Owner".into(), opt(d.owner.as_ref())),
        ("ClientIP".into(), opt(d.client_ip.as_ref())),
        ("ProcessId".into(), opt(d.process_id)),
        ("ShellRunTime".into(), opt(d.shell_run_time.as_ref())),
        ("ShellInactivity".into(), opt(d.shell_inactivity.as_ref())),
        ("MemoryUsed".into(), opt(d.memory_used.as_ref())),
        ("CompressionMode".into(), opt(d.compression_mode.as_ref())),
        ("ProtocolVersion".into(), opt(s.protocol_version.as_ref())),
    ];
    // Fields the server did not send are left out.
    let mut rows: Vec<(String, String)> = rows
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    // What the server sent that Baton could not read, as it came.
    rows.extend(
        d.unread
            .iter()
            .map(|(name, raw)| (name.clone(), format!("{raw} (not understood)"))),
    );
    grid(ui, "session_props", rows);
    ui.add_space(8.0);
    ui.label(RichText::new("Running commands").strong());
    if s.commands.is_empty() {
        ui.label("(none reported)");
    }
    if !s.commands.is_empty() {
        egui::Grid::new("running_commands")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                ui.label(RichText::new("Command").weak());
                ui.label(RichText::new("State").weak());
                ui.label(RichText::new("CommandId").weak());
                ui.end_row();
                for cmd in &s.commands {
                    // The first line, cut at a word boundary; the whole text on hover.
                    let shown = super::state::first_line_elided(&cmd.command_line, 80);
                    let label = ui.label(&shown);
                    if shown != cmd.command_line {
                        label.on_hover_text(&cmd.command_line);
                    }
                    ui.label(&cmd.state);
                    ui.label(RichText::new(cmd.command_id.to_string()).small());
                    ui.end_row();
                }
            });
    }
}

fn computer_summary(ui: &mut Ui, state: &AppState, c: &ComputerNode) {
    ui.heading(&c.name);
    let sessions = state.sessions_of(&c.name);
    ui.label(format!(
        "{} sessions found ({})",
        sessions.len(),
        c.spec.url()
    ));
    if let Some(id) = state.identity(&c.name) {
        grid(
            ui,
            "identity",
            vec![
                ("ProductVendor".into(), id.product_vendor.clone()),
                ("ProductVersion".into(), id.product_version.clone()),
                ("ProtocolVersion".into(), id.protocol_version.clone()),
            ],
        );
    }
}

fn connection_tab(ui: &mut Ui, state: &AppState) {
    let Some(c) = state.focused_computer() else {
        nothing_selected(ui, "a computer or session");
        return;
    };
    ui.heading(format!("ConnectionInfo of {}", c.name));
    let unsafe_settings = c.spec.unsafe_settings();
    if !unsafe_settings.is_empty() {
        ui.label(
            RichText::new(format!(
                "Warning: unsafe settings: {} — the server's identity or the traffic is not protected.",
                unsafe_settings.join(", ")
            ))
            .color(ui.visuals().error_fg_color),
        );
    }
    egui::Grid::new("connection_fields")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for f in c.spec.fields(c.credential_user()) {
                ui.label(RichText::new(f.name).strong());
                let value = if f.unit.is_empty() || f.value.is_empty() {
                    f.value.clone()
                } else {
                    format!("{} {}", f.value, f.unit)
                };
                if f.is_unsafe {
                    ui.label(RichText::new(value).color(ui.visuals().error_fg_color));
                    ui.label(RichText::new("(!) unsafe").color(ui.visuals().error_fg_color));
                } else {
                    ui.label(value);
                    ui.label("");
                }
                ui.end_row();
            }
        });
}

/// The quotas shown first, in this order.
const KEY_QUOTAS: [&str; 8] = [
    "IdleTimeoutms",
    "MaxIdleTimeoutms",
    "OutputBufferingMode",
    "MaxShellsPerUser",
    "MaxConcurrentUsers",
    "MaxShellRunTime",
    "MaxMemoryPerShellMB",
    "MaxProcessesPerShell",
];

fn configuration_tab(ui: &mut Ui, state: &AppState, actions: &mut Vec<UiAction>) {
    let Some(c) = state.focused_computer() else {
        nothing_selected(ui, "a computer or session");
        return;
    };
    let configuration = state.focused_session().map_or_else(
        || c.spec.configuration_name.clone(),
        |(_, s)| s.configuration_name.clone(),
    );
    let load = UiAction::LoadConfiguration {
        computer: c.name.clone(),
        configuration: configuration.clone(),
    };
    ui.horizontal(|ui| {
        ui.heading(format!("{configuration} on {}", c.name));
        if ui
            .button("Reload")
            .on_hover_text(
                "Read the session configuration's quotas again (Get-PSSessionConfiguration)",
            )
            .clicked()
        {
            actions.push(load.clone());
        }
    });
    let Some(q) = state.quotas(&c.name) else {
        // Shown for the first time: read them now, once.
        if state.quotas_requested(&c.name) {
            ui.label("Reading the quotas… (a failure is shown as a message; Reload tries again)");
        } else {
            actions.push(load);
            ui.label("Reading the quotas…");
        }
        return;
    };
    let mut rows = Vec::new();
    for k in KEY_QUOTAS {
        if let Some(v) = q.get(k) {
            let shown = match (k.ends_with("ms"), v.parse::<u64>()) {
                (true, Ok(ms)) => ms_human(ms),
                _ => v.to_owned(),
            };
            rows.push((k.to_owned(), shown));
        }
    }
    for (k, v) in &q.properties {
        if !KEY_QUOTAS.iter().any(|x| x.eq_ignore_ascii_case(k)) {
            rows.push((k.clone(), v.clone()));
        }
    }
    grid(ui, "quotas", rows);
}

/// A command with more items than this shows them as a virtualized list
/// (one row per item, only the visible rows laid out); fewer are laid out
/// whole, errors with their details.
const MAX_WHOLE_ITEMS: usize = 200;

fn output_tab(ui: &mut Ui, state: &AppState, actions: &mut Vec<UiAction>) {
    let Some((c, s)) = state.focused_session() else {
        nothing_selected(ui, "a session");
        return;
    };
    let Some(out) = state.output(&c.name, s.instance_id) else {
        ui.label(format!(
            "No output received from {} yet: use Receive output to replay what piled up.",
            s.name
        ));
        return;
    };
    for (n, cmd) in out.commands.iter().enumerate() {
        let status = cmd.finished.as_deref().unwrap_or("Running");
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Command {} — {status}", n + 1)).strong())
                .on_hover_text(cmd.command_id.to_string());
            let saved = ui
                .button("Save output…")
                .on_hover_text("Write every line of this command's output to a file, including those no longer shown");
            if saved.clicked() {
                actions.push(UiAction::SaveOutput(super::output_save::SaveTarget {
                    instance_id: s.instance_id,
                    command_id: cmd.command_id,
                    what: format!("command {} of {} on {}", n + 1, s.name, c.name),
                    file_name: format!("{}-{}-command-{}.txt", s.name, c.name, n + 1)
                        .replace(['/', '\\', ':'], "_"),
                }));
            }
        });
        if cmd.dropped > 0 {
            ui.label(super::output_save::dropped_notice(cmd.dropped));
        }
        for p in cmd.progress.values() {
            #[allow(clippy::cast_precision_loss)]
            let frac = if p.percent_complete < 0 {
                0.0
            } else {
                p.percent_complete.min(100) as f32 / 100.0
            };
            let mut text = format!("{}: {}", p.activity, p.status);
            if let Some(op) = &p.current_operation {
                text.push_str(&format!(" — {op}"));
            }
            ui.add(egui::ProgressBar::new(frac).text(text.clone()))
                .accessible_name(format!("Progress {text}"));
        }
        if cmd.items.len() > MAX_WHOLE_ITEMS {
            output_rows(ui, cmd);
        } else {
            for (i, item) in cmd.items.iter().enumerate() {
                output_item(ui, cmd.command_id, i, item);
            }
        }
        ui.separator();
    }
}

/// The colour and text of an item's one-line form (`None` for progress).
fn item_line(ui: &Ui, item: &OutputItem) -> Option<RichText> {
    let warn = Color32::from_rgb(0xd9, 0xa4, 0x04);
    Some(match item {
        OutputItem::Output(t) => RichText::new(&t.text).monospace(),
        OutputItem::Error(e) => RichText::new(format!("ERROR: {}", e.message))
            .monospace()
            .color(ui.visuals().error_fg_color),
        OutputItem::Warning(t) => RichText::new(format!("WARNING: {t}"))
            .monospace()
            .color(warn),
        OutputItem::Verbose(t) => RichText::new(format!("VERBOSE: {t}")).monospace().weak(),
        OutputItem::Debug(t) => RichText::new(format!("DEBUG: {t}")).monospace().weak(),
        OutputItem::Information(t) => RichText::new(t).monospace().italics(),
        OutputItem::HostPrompt(t) => RichText::new(format!("> {t}")).monospace().strong(),
        OutputItem::Progress(_) => return None,
    })
}

/// A command's items as a list that lays out only its visible rows, one
/// row per item (its first line, cut to the width), following the newest.
fn output_rows(ui: &mut Ui, cmd: &crate::ui::state::CommandOutput) {
    let row_h = ui.text_style_height(&egui::TextStyle::Monospace);
    let height = (ui.clip_rect().height() - 40.0).max(160.0);
    egui::ScrollArea::vertical()
        .id_salt(("output_rows", cmd.command_id))
        .max_height(height)
        .auto_shrink([false, true])
        .stick_to_bottom(true)
        .show_rows(ui, row_h, cmd.items.len(), |ui, range| {
            for item in cmd.items.range(range) {
                if let Some(line) = item_line(ui, item) {
                    ui.add(egui::Label::new(line).truncate());
                } else {
                    ui.label("");
                }
            }
        });
}

/// One item laid out whole (an error with its details).
fn output_item(ui: &mut Ui, command_id: uuid::Uuid, i: usize, item: &OutputItem) {
    let Some(line) = item_line(ui, item) else {
        return;
    };
    ui.label(line);
    if let OutputItem::Error(e) = item {
        egui::CollapsingHeader::new("Error details")
            .id_salt(("err", command_id, i))
            .show(ui, |ui| {
                let mut rows = vec![
                    (
                        "FullyQualifiedErrorId".into(),
                        e.fully_qualified_error_id.clone(),
                    ),
                    ("CategoryInfo".into(), e.category.clone()),
                ];
                if let Some(t) = &e.target {
                    rows.push(("TargetObject".into(), t.clone()));
                }
                if let Some(t) = &e.script_stack_trace {
                    rows.push(("ScriptStackTrace".into(), t.clone()));
                }
                grid(ui, &format!("errgrid{command_id}{i}"), rows);
            });
    }
}

fn activity_tab(ui: &mut Ui, state: &AppState) {
    let log = state.activity();
    if log.is_empty() {
        ui.label("No activity yet.");
        return;
    }
    egui::Grid::new("activity")
        .num_columns(7)
        .striped(true)
        .show(ui, |ui| {
            for h in [
                "Time", "User", "Computer", "Session", "Action", "Options", "Result",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for e in log.iter().rev().take(500) {
                ui.label(e.time.format("%H:%M:%S").to_string());
                ui.label(&e.user);
                ui.label(&e.computer);
                ui.label(e.session.as_deref().unwrap_or(""));
                ui.label(&e.action);
                ui.label(&e.options);
                let failed = e.result.starts_with("failed");
                ui.label(if failed {
                    RichText::new(&e.result).color(ui.visuals().error_fg_color)
                } else {
                    RichText::new(&e.result)
                });
                ui.end_row();
            }
        });
}

/// The fleet table's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum FleetColumn {
    Computer,
    Name,
    State,
    Availability,
    Owner,
    IdleTimeout,
    ExpiresOn,
    OutputBufferingMode,
}

impl FleetColumn {
    const ALL: [FleetColumn; 8] = [
        FleetColumn::Computer,
        FleetColumn::Name,
        FleetColumn::State,
        FleetColumn::Availability,
        FleetColumn::Owner,
        FleetColumn::IdleTimeout,
        FleetColumn::ExpiresOn,
        FleetColumn::OutputBufferingMode,
    ];

    fn label(self) -> &'static str {
        match self {
            FleetColumn::Computer => "Computer",
            FleetColumn::Name => "Name",
            FleetColumn::State => "State",
            FleetColumn::Availability => "Availability",
            FleetColumn::Owner => "Owner",
            FleetColumn::IdleTimeout => "IdleTimeout",
            FleetColumn::ExpiresOn => "ExpiresOn",
            FleetColumn::OutputBufferingMode => "OutputBufferingMode",
        }
    }

    fn width(self) -> f32 {
        match self {
            FleetColumn::Computer | FleetColumn::Name | FleetColumn::Owner => 130.0,
            FleetColumn::ExpiresOn => 170.0,
            FleetColumn::OutputBufferingMode => 150.0,
            _ => 95.0,
        }
    }

    fn cmp(
        self,
        a: &(&ComputerNode, &SessionInfo),
        b: &(&ComputerNode, &SessionInfo),
    ) -> std::cmp::Ordering {
        let (ca, sa) = a;
        let (cb, sb) = b;
        match self {
            FleetColumn::Computer => cmp_ci(&ca.name, &cb.name),
            FleetColumn::Name => cmp_ci(&sa.name, &sb.name),
            FleetColumn::State => sa.state.as_str().cmp(sb.state.as_str()),
            FleetColumn::Availability => sa.availability.as_str().cmp(sb.availability.as_str()),
            FleetColumn::Owner => sa.details.owner.cmp(&sb.details.owner),
            FleetColumn::IdleTimeout => sa.idle_timeout_ms.cmp(&sb.idle_timeout_ms),
            FleetColumn::ExpiresOn => sa.expires_on.cmp(&sb.expires_on),
            FleetColumn::OutputBufferingMode => sa
                .output_buffering_mode
                .as_str()
                .cmp(sb.output_buffering_mode.as_str()),
        }
    }

    /// Whether a known session's value in this column can change (its
    /// computer and name cannot).
    fn changes(self) -> bool {
        !matches!(self, FleetColumn::Computer | FleetColumn::Name)
    }

    /// A session's sort key in a column whose values change (the order of
    /// [`FleetColumn::cmp`]).
    fn key(self, s: &SessionInfo) -> SortKey {
        match self {
            FleetColumn::Computer | FleetColumn::Name => SortKey::Fixed,
            FleetColumn::State => SortKey::Word(s.state.as_str()),
            FleetColumn::Availability => SortKey::Word(s.availability.as_str()),
            FleetColumn::Owner => SortKey::Text(s.details.owner.clone()),
            FleetColumn::IdleTimeout => SortKey::Number(s.idle_timeout_ms),
            FleetColumn::ExpiresOn => SortKey::Time(s.expires_on),
            FleetColumn::OutputBufferingMode => SortKey::Word(s.output_buffering_mode.as_str()),
        }
    }

    fn cell(self, c: &ComputerNode, s: &SessionInfo, now: DateTime<Utc>) -> String {
        match self {
            FleetColumn::Computer => c.name.clone(),
            FleetColumn::Name => s.name.clone(),
            FleetColumn::State => s.state.to_string(),
            FleetColumn::Availability => s.availability.to_string(),
            FleetColumn::Owner => s.details.owner.clone().unwrap_or_default(),
            FleetColumn::IdleTimeout => s
                .idle_timeout_ms
                .map(|ms| {
                    super::state::human_duration(i64::try_from(ms / 1000).unwrap_or(i64::MAX))
                })
                .unwrap_or_default(),
            FleetColumn::ExpiresOn => s
                .expires_on
                .map(|t| format!("{} ({})", t.format("%m-%d %H:%M"), countdown(t, now)))
                .unwrap_or_default(),
            FleetColumn::OutputBufferingMode => s.output_buffering_mode.to_string(),
        }
    }
}

/// A session's value in a sortable column whose values change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    /// Computer and Name: never re-sorted.
    Fixed,
    Word(&'static str),
    Text(Option<String>),
    Number(Option<u64>),
    Time(Option<DateTime<Utc>>),
}

/// The fleet table's sorted order, kept until the sessions, the scope or the
/// sort change. When sessions only change state, the order is sorted again
/// only if the sort column's values can change, from the current order
/// (nearly sorted, so the stable sort runs in about linear time).
#[derive(Default)]
pub(crate) struct FleetCache {
    /// Which sessions there are, the scope and the sort.
    key: Option<(u64, Option<String>, FleetColumn, bool)>,
    /// The state's generation the order was last sorted at.
    generation: u64,
    /// (computer name, index in that computer's session list, position in
    /// the inventory's order: the tie-breaker, as a fresh sort keeps it).
    order: Vec<(String, usize, usize)>,
}

impl FleetCache {
    fn refresh(&mut self, state: &AppState, group: Option<&str>, col: FleetColumn, asc: bool) {
        let key = (
            state.members_generation(),
            group.map(str::to_owned),
            col,
            asc,
        );
        if self.key.as_ref() == Some(&key) {
            if self.generation != state.generation() && col.changes() {
                self.resort(state, col, asc);
            }
            self.generation = state.generation();
            return;
        }
        // (computer, index in its list, session, position in the inventory's order)
        let mut rows: Vec<(&ComputerNode, usize, &SessionInfo, usize)> = Vec::new();
        for g in state.groups() {
            if group.is_some_and(|name| name != g.name) {
                continue;
            }
            for c in &g.computers {
                for (i, s) in state.sessions_of(&c.name).iter().enumerate() {
                    rows.push((c, i, s, rows.len()));
                }
            }
        }
        rows.sort_by(|a, b| {
            let o = col.cmp(&(a.0, a.2), &(b.0, b.2));
            if asc { o } else { o.reverse() }
        });
        self.order = rows
            .into_iter()
            .map(|(c, i, _, n)| (c.name.clone(), i, n))
            .collect();
        self.key = Some(key);
        self.generation = state.generation();
    }

    fn resort(&mut self, state: &AppState, col: FleetColumn, asc: bool) {
        let mut keyed: Vec<(Option<SortKey>, (String, usize, usize))> =
            std::mem::take(&mut self.order)
                .into_iter()
                .map(|row| {
                    (
                        state.sessions_of(&row.0).get(row.1).map(|s| col.key(s)),
                        row,
                    )
                })
                .collect();
        keyed.sort_by(|a, b| {
            let o = a.0.cmp(&b.0);
            let o = if asc { o } else { o.reverse() };
            o.then(a.1.2.cmp(&b.1.2))
        });
        self.order = keyed.into_iter().map(|(_, row)| row).collect();
    }
}

/// Every session of every computer (or of the selected group), sortable by column.
pub(crate) fn fleet(
    ui: &mut Ui,
    state: &AppState,
    now: DateTime<Utc>,
    sort: &mut (FleetColumn, bool),
    cache: &mut FleetCache,
    actions: &mut Vec<UiAction>,
) {
    let group = state.focused_group().map(|g| g.name.as_str());
    let (col, asc) = *sort;
    cache.refresh(state, group, col, asc);
    let order = &cache.order;
    ui.heading(match group {
        Some(g) => format!("Fleet: {} sessions in {g}", order.len()),
        None => format!("Fleet: {} sessions on every computer", order.len()),
    });
    let row_h = ui.spacing().interact_size.y;
    egui::ScrollArea::horizontal()
        .id_salt("fleet_h")
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                for c in FleetColumn::ALL {
                    let arrow = if c == col {
                        if asc { " (asc)" } else { " (desc)" }
                    } else {
                        ""
                    };
                    let resp = ui
                        .add_sized(
                            [c.width(), row_h],
                            egui::Button::new(
                                RichText::new(format!("{}{arrow}", c.label())).strong(),
                            ),
                        )
                        .accessible_name(format!("Sort by {}", c.label()));
                    if resp.clicked() {
                        *sort = if c == col { (c, !asc) } else { (c, true) };
                    }
                }
            });
            egui::ScrollArea::vertical()
                .id_salt("fleet_v")
                .auto_shrink([false, false])
                .show_rows(ui, row_h, order.len(), |ui, range| {
                    for (name, i, _) in &order[range] {
                        let (Some(c), Some(s)) =
                            (state.computer(name), state.sessions_of(name).get(*i))
                        else {
                            continue;
                        };
                        ui.horizontal(|ui| {
                            for column in FleetColumn::ALL {
                                let text = column.cell(c, s, now);
                                let rich = if column == FleetColumn::State {
                                    RichText::new(text).color(badge_color(s.state, s.availability))
                                } else {
                                    RichText::new(text)
                                };
                                if column == FleetColumn::Name {
                                    let key = super::NodeKey::Session {
                                        computer: c.name.clone(),
                                        instance_id: s.instance_id,
                                    };
                                    let selected = state.selection.contains(&key);
                                    let r =
                                        ui.add_sized(
                                            [column.width(), row_h],
                                            egui::Button::selectable(selected, rich),
                                        )
                                        .accessible_name(
                                            format!("Fleet row {} on {}", s.name, c.name),
                                        );
                                    if r.clicked() {
                                        actions.push(UiAction::Select {
                                            key,
                                            additive: false,
                                        });
                                    }
                                } else {
                                    ui.add_sized(
                                        [column.width(), row_h],
                                        egui::Label::new(rich).truncate(),
                                    );
                                }
                            }
                        });
                    }
                });
        });
}
