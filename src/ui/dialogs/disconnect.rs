//! Disconnect-PSSession, on one session or many: IdleTimeoutSec checked
//! against the server's range before sending, OutputBufferingMode explained,
//! and a WhatIf preview of exactly what will change.

use egui::{RichText, Ui};
use uuid::Uuid;

use super::{Outcome, buffering_radio, error_text, field};
use crate::bridge::{Command, OpId, SessionRef};
use crate::model::{OutputBufferingMode, SessionInfo};
use crate::ui::state::{AppState, MIN_IDLE_TIMEOUT_SEC, disconnect_blocker, human_duration};

/// The Disconnect dialog's editable values.
pub struct DisconnectDialog {
    targets: Vec<(String, Uuid)>,
    /// `-IdleTimeoutSec`; empty = the server's default.
    idle_timeout_sec: String,
    mode: OutputBufferingMode,
    /// `-ThrottleLimit`.
    throttle_limit: String,
}

/// A checked request: the sessions that will change and those that will not (with why).
pub struct DisconnectPlan<'a> {
    /// (computer, session) that will be disconnected.
    pub change: Vec<(&'a str, &'a SessionInfo)>,
    /// (computer, session, why) that will not change.
    pub skip: Vec<(&'a str, &'a SessionInfo, String)>,
    /// The checked `-IdleTimeoutSec`.
    pub idle_timeout_sec: Option<u32>,
    /// The checked `-ThrottleLimit`.
    pub throttle_limit: u32,
}

impl DisconnectDialog {
    /// A dialog for these sessions (computer, instance id).
    pub fn new(targets: Vec<(String, Uuid)>) -> Self {
        DisconnectDialog {
            targets,
            idle_timeout_sec: String::new(),
            mode: OutputBufferingMode::None,
            throttle_limit: "32".into(),
        }
    }

    /// Checks the values against every target; `Err` is the message to show.
    pub fn plan<'a>(&self, state: &'a AppState) -> Result<DisconnectPlan<'a>, String> {
        let mut change = Vec::new();
        let mut skip = Vec::new();
        for (computer, id) in &self.targets {
            let Some(c) = state.computer(computer) else {
                continue;
            };
            let Some(s) = state.session(&c.name, *id) else {
                continue;
            };
            match disconnect_blocker(s) {
                None => change.push((c.name.as_str(), s)),
                Some(why) => skip.push((c.name.as_str(), s, why)),
            }
        }
        if change.is_empty() {
            return Err("None of the selected sessions can be disconnected from here.".into());
        }
        let idle = self.idle_timeout_sec.trim();
        let idle_timeout_sec = if idle.is_empty() {
            None
        } else {
            let v: u64 = idle.parse().map_err(|_| {
                format!("IdleTimeoutSec must be a whole number of seconds, not \"{idle}\".")
            })?;
            for (computer, s) in &change {
                let max_ms = state.max_idle_timeout_sec(computer, s).map(|m| m * 1000);
                crate::model::rules::check_disconnect_idle_timeout(&s.name, v, max_ms)
                    .map_err(|e| e.detail)?;
            }
            Some(u32::try_from(v).map_err(|_| format!("IdleTimeoutSec {v} is too large."))?)
        };
        let t = self.throttle_limit.trim();
        let throttle_limit = if t.is_empty() {
            32
        } else {
            t.parse::<u32>()
                .map_err(|_| format!("ThrottleLimit must be a whole number, not \"{t}\"."))?
        };
        Ok(DisconnectPlan {
            change,
            skip,
            idle_timeout_sec,
            throttle_limit,
        })
    }

    fn range_text(&self, state: &AppState) -> String {
        let mut max: Option<u64> = None;
        let mut from_quotas = false;
        let mut unknown = false;
        for (computer, id) in &self.targets {
            if let Some(s) = state.session(computer, *id) {
                if s.max_idle_timeout_ms.is_none() {
                    from_quotas = true;
                }
                match state.max_idle_timeout_sec(computer, s) {
                    Some(m) => max = Some(max.map_or(m, |x: u64| x.min(m))),
                    None => unknown = true,
                }
            }
        }
        match max {
            Some(m) if !unknown => format!(
                "Allowed: {MIN_IDLE_TIMEOUT_SEC} … {m} seconds ({}), from {}. Empty = the server's default.",
                human_duration(i64::try_from(m).unwrap_or(i64::MAX)),
                if from_quotas {
                    "the session configuration's MaxIdleTimeoutms"
                } else {
                    "the session's MaxIdleTimeout"
                }
            ),
            _ => format!(
                "Allowed: at least {MIN_IDLE_TIMEOUT_SEC} seconds; the server maximum is not known yet (load the Configuration tab). Empty = the server's default."
            ),
        }
    }

    /// Lays out the dialog.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState, next_op: &dyn Fn() -> OpId) -> Outcome {
        ui.heading("Disconnect-PSSession");
        ui.label(
            "The sessions stay on their computers and their commands keep running; \
             you or someone else can connect later and receive the output.",
        );
        ui.add_space(6.0);
        field(
            ui,
            "IdleTimeoutSec",
            egui::TextEdit::singleline(&mut self.idle_timeout_sec)
                .hint_text("server default")
                .desired_width(120.0),
        );
        ui.label(RichText::new(self.range_text(state)).small());
        ui.add_space(6.0);
        buffering_radio(ui, &mut self.mode);
        ui.add_space(6.0);
        field(
            ui,
            "ThrottleLimit",
            egui::TextEdit::singleline(&mut self.throttle_limit).desired_width(60.0),
        );
        ui.separator();
        let plan = self.plan(state);
        let mut outcome = Outcome::Open;
        match &plan {
            Err(msg) => error_text(ui, msg),
            Ok(p) => {
                ui.label(RichText::new("What if:").strong());
                for (computer, s) in &p.change {
                    ui.label(whatif_line(computer, s, p.idle_timeout_sec, self.mode));
                }
                for (computer, s, why) in &p.skip {
                    ui.label(
                        RichText::new(format!("Not changed: {} on {computer} — {why}", s.name))
                            .weak(),
                    );
                }
            }
        }
        ui.separator();
        ui.horizontal(|ui| {
            let n = plan.as_ref().map_or(0, |p| p.change.len());
            let (confirm, pressed) = super::default_button(ui, plan.is_ok(), "Confirm disconnect");
            confirm.on_hover_text(format!("Disconnect {n} session(s)"));
            if pressed && let Ok(p) = &plan {
                let sessions: Vec<SessionRef> = p
                    .change
                    .iter()
                    .filter_map(|(c, s)| state.session_ref(c, s.instance_id))
                    .collect();
                let what = match sessions.as_slice() {
                    [one] => format!("Disconnect-PSSession {} on {}", one.name, one.computer.name),
                    many => format!("Disconnect-PSSession ({} sessions)", many.len()),
                };
                outcome = Outcome::Submit {
                    sends: vec![(
                        Command::Disconnect {
                            op: next_op(),
                            sessions,
                            idle_timeout_sec: p.idle_timeout_sec,
                            output_buffering_mode: self.mode,
                            throttle_limit: p.throttle_limit,
                        },
                        what,
                    )],
                    save: None,
                };
            }
            if ui.button("Cancel").clicked() {
                outcome = Outcome::Close;
            }
        });
        outcome
    }
}

/// `What if: Performing the operation "Disconnect-PSSession" on target "Name: ITTask, ComputerName: Srv1"…`
fn whatif_line(
    computer: &str,
    s: &SessionInfo,
    idle: Option<u32>,
    mode: OutputBufferingMode,
) -> String {
    let idle_now = s
        .idle_timeout_ms
        .map_or_else(|| "unknown".to_owned(), |ms| format!("{} s", ms / 1000));
    let idle_part = match idle {
        Some(v) => format!("IdleTimeout {idle_now} -> {v} s"),
        None => format!("IdleTimeout {idle_now} (unchanged)"),
    };
    let mode_part = if mode == OutputBufferingMode::None {
        format!(
            "OutputBufferingMode {} (unchanged)",
            s.output_buffering_mode
        )
    } else {
        format!("OutputBufferingMode {} -> {mode}", s.output_buffering_mode)
    };
    format!(
        "Performing the operation \"Disconnect-PSSession\" on target \"Name: {}, ComputerName: {computer}\": State {} -> Disconnected; {idle_part}; {mode_part}",
        s.name, s.state
    )
}
