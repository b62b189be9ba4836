//! Small reusable widgets: action buttons with a reason when disabled, tree
//! rows with their badge and countdown, a spinner that does not force
//! continuous repaints.

use chrono::{DateTime, Utc};
use egui::{Color32, RichText, Ui};

use super::state::{Action, AppState, RowKind, TreeRow, countdown};
use super::{UiAction, badge_color};
use crate::model::SessionState;

/// A button for `action`: enabled when it applies to the selection, else
/// disabled with a tooltip saying why.
pub(crate) fn action_button(
    ui: &mut Ui,
    state: &AppState,
    action: Action,
    actions: &mut Vec<UiAction>,
) {
    // The toolbar stays as it is; only a menu closes (ui.close() outside a
    // menu is an egui misuse it warns about).
    action_button_clicked(ui, state, action, actions);
}

/// The same button in the right-click menu, which it closes when clicked.
fn menu_action_button(ui: &mut Ui, state: &AppState, action: Action, actions: &mut Vec<UiAction>) {
    if action_button_clicked(ui, state, action, actions) {
        ui.close();
    }
}

fn action_button_clicked(
    ui: &mut Ui,
    state: &AppState,
    action: Action,
    actions: &mut Vec<UiAction>,
) -> bool {
    let can = state.can(action);
    let resp = ui
        .add_enabled(can.is_ok(), egui::Button::new(action.label()))
        .on_hover_text(action.tooltip_with_shortcut());
    let resp = match &can {
        Err(why) => resp.on_disabled_hover_text(why.as_str()),
        Ok(()) => resp,
    };
    if resp.clicked() {
        actions.push(UiAction::Run(action));
        return true;
    }
    false
}

/// The same actions as the toolbar, for the right-click menu.
fn context_menu(ui: &mut Ui, state: &AppState, actions: &mut Vec<UiAction>) {
    for action in Action::ALL {
        menu_action_button(ui, state, action, actions);
    }
}

/// The modifiers held when the pointer was released this frame.
fn click_modifiers(ui: &Ui) -> egui::Modifiers {
    ui.input(|i| {
        i.events
            .iter()
            .rev()
            .find_map(|e| match e {
                egui::Event::PointerButton {
                    pressed: false,
                    modifiers,
                    ..
                } => Some(*modifiers),
                _ => None,
            })
            .unwrap_or(i.modifiers)
    })
}

/// One row of the session tree.
pub(crate) fn tree_row(
    ui: &mut Ui,
    state: &AppState,
    row: &TreeRow<'_>,
    now: DateTime<Utc>,
    actions: &mut Vec<UiAction>,
) {
    let key = row.key();
    let selected = state.selection.contains(&key);
    let cursor = state.focus.as_ref() == Some(&key);
    ui.horizontal(|ui| {
        ui.add_space(f32::from(row.depth) * 18.0);
        let (text, name) = match row.kind {
            RowKind::Group(g) => (RichText::new(&g.name).strong(), format!("Group {}", g.name)),
            RowKind::Computer(c) => (RichText::new(&c.name), format!("Computer {}", c.name)),
            RowKind::Session(c, s) => (
                RichText::new(&s.name),
                format!("Session {} on {}", s.name, c.name),
            ),
        };
        if matches!(row.kind, RowKind::Session(..)) {
            ui.add_space(22.0);
        } else {
            let (glyph, verb) = if row.expanded {
                ("-", "Collapse")
            } else {
                ("+", "Expand")
            };
            let toggle = ui
                .add_enabled(
                    row.has_children,
                    egui::Button::new(glyph).small().frame(false),
                )
                .accessible_name(format!("{verb} {name}"));
            if toggle.clicked() {
                actions.push(UiAction::Expand {
                    key: key.clone(),
                    expanded: !row.expanded,
                });
            }
        }
        let mut resp = ui.selectable_label(selected, text).accessible_name(name);
        if cursor {
            resp = resp.highlight();
        }
        if resp.clicked() {
            let m = click_modifiers(ui);
            actions.push(if m.shift {
                UiAction::SelectRange(key.clone())
            } else {
                UiAction::Select {
                    key: key.clone(),
                    additive: m.command,
                }
            });
        }
        if resp.double_clicked() {
            // Double-click opens a group or computer, and connects to a session.
            actions.push(match row.kind {
                RowKind::Session(..) => UiAction::Run(Action::Connect),
                _ => UiAction::Expand {
                    key: key.clone(),
                    expanded: !row.expanded,
                },
            });
        }
        if resp.secondary_clicked() && !selected {
            actions.push(UiAction::Select {
                key: key.clone(),
                additive: false,
            });
        }
        resp.context_menu(|ui| {
            context_menu(ui, state, actions);
            if !matches!(row.kind, RowKind::Session(..)) {
                ui.separator();
                if ui
                    .button("Edit profile…")
                    .on_hover_text(
                        "Every connection setting of this profile, with where each comes from",
                    )
                    .clicked()
                {
                    actions.push(UiAction::EditProfile(key.clone()));
                    ui.close();
                }
                use super::profile_nodes::NodeChange;
                let changes: &[(NodeChange, &str, &str)] = match row.kind {
                    RowKind::Group(_) => &[
                        (NodeChange::AddComputer, "Add computer…", "A new computer in this group of the profile file"),
                        (NodeChange::AddGroup, "New group…", "A new group inside this one"),
                        (NodeChange::Rename, "Rename…", "Change the group's name in the profile file"),
                        (NodeChange::Remove, "Remove from profiles…", "Take the group and its computers out of the profile file (sessions on the servers stay)"),
                    ],
                    _ => &[
                        (NodeChange::Rename, "Rename…", "Change the computer's name in the profile file"),
                        (NodeChange::Remove, "Remove from profiles…", "Take the computer out of the profile file (its sessions on the server stay)"),
                    ],
                };
                for (change, label, tip) in changes {
                    if ui.button(*label).on_hover_text(*tip).clicked() {
                        actions.push(UiAction::ChangeProfile(key.clone(), *change));
                        ui.close();
                    }
                }
            }
        });

        row_badges(ui, state, row, &key, now, actions);
    });
}

/// What a row shows after its name: a session's State/Availability badge
/// and expiry, a computer's session count and last error.
fn row_badges(
    ui: &mut Ui,
    state: &AppState,
    row: &TreeRow<'_>,
    key: &crate::ui::NodeKey,
    now: DateTime<Utc>,
    actions: &mut Vec<UiAction>,
) {
    match row.kind {
        RowKind::Session(c, s) => {
            let color = badge_color(s.state, s.availability);
            ui.label(
                RichText::new(format!("{} · {}", s.state, s.availability))
                    .color(if color.intensity() > 0.45 {
                        Color32::BLACK
                    } else {
                        Color32::WHITE
                    })
                    .background_color(color),
            )
            .on_hover_text(format!(
                "State {} (this console's view), Availability {} (the server's)",
                s.state, s.availability
            ));
            if s.state == SessionState::Disconnected
                && let Some(exp) = s.expires_on
            {
                ui.label(RichText::new(countdown(exp, now)).small().weak())
                    .on_hover_text(format!(
                        "{} on {} is removed by the server when its idle timeout runs out",
                        s.name, c.name
                    ));
            }
        }
        RowKind::Computer(c) => {
            let n = state.sessions_of(&c.name).len();
            if n > 0 {
                ui.label(RichText::new(format!("({n})")).small().weak());
            }
            if let Some(e) = state.computer_error(&c.name) {
                let mut tip = e.summary.clone();
                if !e.detail.is_empty() {
                    tip.push_str(&format!("\n{}", e.detail));
                }
                if let Some(a) = &e.advice {
                    tip.push_str(&format!("\n{a}"));
                }
                // A button, so the badge has a name of its own for
                // screen readers; clicking it selects the computer.
                let badge = ui
                    .add(
                        egui::Button::new(
                            RichText::new("(!) error")
                                .small()
                                .color(ui.visuals().error_fg_color),
                        )
                        .frame(false),
                    )
                    .on_hover_text(tip)
                    .accessible_name(format!("Error on {}: {}", c.name, e.summary));
                if badge.clicked() {
                    actions.push(UiAction::Select {
                        key: key.clone(),
                        additive: false,
                    });
                }
            }
        }
        RowKind::Group(_) => {}
    }
}

/// A small spinner that asks for a repaint in 100 ms rather than at once,
/// so the UI idles cheaply (and headless tests settle).
pub(crate) fn spinner(ui: &mut Ui) {
    let size = ui.spacing().interact_size.y * 0.7;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    let t = ui.input(|i| i.time);
    let color = ui.visuals().strong_text_color();
    let radius = rect.height() / 2.0 - 1.0;
    #[allow(clippy::cast_possible_truncation)]
    let start = (t * 4.0) as f32;
    let points: Vec<egui::Pos2> = (0..=16)
        .map(|i| {
            #[allow(clippy::cast_precision_loss)]
            let a = start + (i as f32) * (std::f32::consts::PI * 1.5 / 16.0);
            rect.center() + radius * egui::vec2(a.cos(), a.sin())
        })
        .collect();
    ui.painter()
        .add(egui::Shape::line(points, egui::Stroke::new(2.0, color)));
}
