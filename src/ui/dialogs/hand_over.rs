//! Hand over: disconnect sessions this console holds so someone else can
//! connect to them, with an IdleTimeout chosen in words and Block by
//! default, and a note to give them (what, where, whose, until when, and
//! the exact `Connect-PSSession` line; never a password).

use chrono::{DateTime, Duration, Local, Utc};
use egui::{RichText, Ui};
use uuid::Uuid;

use super::{Outcome, buffering_radio, default_button, error_text};
use crate::bridge::{Command, OpId, SessionRef};
use crate::model::OutputBufferingMode;
use crate::model::hand_over::HandOverNote;
use crate::ui::state::{AppState, MIN_IDLE_TIMEOUT_SEC, human_duration};

/// How long the server keeps the sessions for the next person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepFor {
    OneHour,
    FourHours,
    /// Until 08:00 (local time) of the next morning.
    UntilMorning,
    /// The session configuration's MaxIdleTimeout.
    ServerMaximum,
}

/// The Hand over dialog.
pub struct HandOverDialog {
    targets: Vec<(String, Uuid)>,
    keep: KeepFor,
    mode: OutputBufferingMode,
    now: DateTime<Utc>,
}

/// Seconds from `now` to the next 08:00 in the local time zone.
fn seconds_to_morning(now: DateTime<Utc>) -> u64 {
    let local = now.with_timezone(&Local);
    let today8 = local
        .date_naive()
        .and_hms_opt(8, 0, 0)
        .and_then(|t| t.and_local_timezone(Local).earliest());
    let next = match today8 {
        Some(t) if t > local => t,
        Some(t) => t + Duration::days(1),
        None => local + Duration::hours(12),
    };
    let d = next - local;
    // Whole seconds, rounded up, so the note says 08:00 and not 07:59.
    let secs = d.num_seconds() + i64::from(d.subsec_nanos() > 0);
    u64::try_from(secs).unwrap_or(0)
}

/// "08:00" when the next 08:00 is today, "08:00 tomorrow" when it is not.
fn morning_label(now: DateTime<Utc>) -> &'static str {
    let local = now.with_timezone(&Local);
    let next = local + Duration::seconds(i64::try_from(seconds_to_morning(now)).unwrap_or(0));
    if next.date_naive() == local.date_naive() {
        "until 08:00"
    } else {
        "until 08:00 tomorrow"
    }
}

fn secs_i64(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}

impl HandOverDialog {
    /// Hands over these sessions (computer, instance id), as of `now`.
    pub fn new(targets: Vec<(String, Uuid)>, now: DateTime<Utc>) -> Self {
        HandOverDialog {
            targets,
            keep: KeepFor::UntilMorning,
            mode: OutputBufferingMode::Block,
            now,
        }
    }

    /// The IdleTimeout (seconds) a choice means for a session whose server
    /// allows at most `max` seconds (unknown: taken as Windows' 12 hours).
    pub fn seconds(&self, keep: KeepFor, max: Option<u64>) -> u64 {
        let max = max.unwrap_or(43_200);
        let wanted = match keep {
            KeepFor::OneHour => 3_600,
            KeepFor::FourHours => 14_400,
            KeepFor::UntilMorning => seconds_to_morning(self.now),
            KeepFor::ServerMaximum => max,
        };
        wanted.clamp(MIN_IDLE_TIMEOUT_SEC, max.max(MIN_IDLE_TIMEOUT_SEC))
    }

    /// The notes for the sessions that can be handed over, with their refs
    /// and IdleTimeouts; the sessions that cannot, with why.
    fn plan(&self, state: &AppState) -> (Vec<(SessionRef, u64, HandOverNote)>, Vec<String>) {
        let mut go = Vec::new();
        let mut skip = Vec::new();
        for (computer, id) in &self.targets {
            let (Some(c), Some(s)) = (state.computer(computer), state.session(computer, *id))
            else {
                continue;
            };
            if s.state != crate::model::SessionState::Opened {
                skip.push(format!(
                    "{} on {} is {}: only a session open in this console can be handed over.",
                    s.name, c.name, s.state
                ));
                continue;
            }
            let Some(r) = state.session_ref(&c.name, *id) else {
                continue;
            };
            let secs = self.seconds(self.keep, state.max_idle_timeout_sec(&c.name, s));
            let account = s
                .details
                .owner
                .clone()
                .or_else(|| c.credential_user().map(str::to_owned))
                .unwrap_or_default();
            let note = HandOverNote {
                computer: c.name.clone(),
                session: s.name.clone(),
                instance_id: s.instance_id,
                account,
                expires: i64::try_from(secs)
                    .ok()
                    .map(|v| self.now + Duration::seconds(v)),
                mode: self.mode,
            };
            go.push((r, secs, note));
        }
        (go, skip)
    }

    pub(super) fn ui(
        &mut self,
        ui: &mut Ui,
        state: &AppState,
        next_op: &dyn Fn() -> OpId,
    ) -> Outcome {
        ui.heading("Hand over");
        ui.label("Disconnects the sessions so someone else can connect to them with their owner's credentials; what runs in them goes on.");
        ui.label(RichText::new("Keep them for the next person").strong());
        let max = self.targets.iter().find_map(|(c, id)| {
            state
                .session(c, *id)
                .and_then(|s| state.max_idle_timeout_sec(c, s))
        });
        let choices = [
            (KeepFor::OneHour, "1 hour".to_owned()),
            (KeepFor::FourHours, "4 hours".to_owned()),
            (
                KeepFor::UntilMorning,
                format!(
                    "{} (in {})",
                    morning_label(self.now),
                    human_duration(secs_i64(self.seconds(KeepFor::UntilMorning, max)))
                ),
            ),
            (
                KeepFor::ServerMaximum,
                format!(
                    "the server's maximum: {}",
                    human_duration(secs_i64(max.unwrap_or(43_200)))
                ),
            ),
        ];
        for (k, label) in choices {
            ui.radio_value(&mut self.keep, k, label);
        }
        buffering_radio(ui, &mut self.mode);
        let (go, skip) = self.plan(state);
        for why in &skip {
            error_text(ui, why);
        }
        let notes: Vec<String> = go.iter().map(|(_, _, n)| n.text()).collect();
        let text = notes.join("\n");
        if !notes.is_empty() {
            ui.label(RichText::new("The note to give them (no password in it)").strong());
            egui::ScrollArea::vertical()
                .max_height(220.0)
                .show(ui, |ui| {
                    ui.add(egui::Label::new(RichText::new(&text).monospace()).selectable(true));
                });
        }
        let mut outcome = Outcome::Open;
        ui.horizontal(|ui| {
            let (_, pressed) = default_button(ui, !go.is_empty(), "Disconnect and hand over");
            if pressed {
                ui.ctx().copy_text(text.clone());
                let mut sends = Vec::new();
                for (r, secs, n) in &go {
                    sends.push((
                        Command::Disconnect {
                            op: next_op(),
                            sessions: vec![r.clone()],
                            idle_timeout_sec: u32::try_from(*secs).ok(),
                            output_buffering_mode: self.mode,
                            throttle_limit: 32,
                        },
                        format!(
                            "Hand over {} on {} (Disconnect-PSSession -IdleTimeoutSec {secs} -OutputBufferingMode {})",
                            n.session, n.computer, self.mode
                        ),
                    ));
                }
                outcome = Outcome::HandedOver { sends, note: text.clone() };
            }
            if ui.button("Copy note").clicked() {
                ui.ctx().copy_text(text.clone());
            }
            if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                outcome = Outcome::Close;
            }
        });
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn choices_stay_within_the_servers_range() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 17, 0, 0).unwrap();
        let d = HandOverDialog::new(Vec::new(), now);
        assert_eq!(d.seconds(KeepFor::OneHour, Some(43_200)), 3_600);
        assert_eq!(
            d.seconds(KeepFor::FourHours, Some(7_200)),
            7_200,
            "cut to the maximum"
        );
        assert_eq!(d.seconds(KeepFor::ServerMaximum, Some(43_200)), 43_200);
        assert_eq!(
            d.seconds(KeepFor::ServerMaximum, None),
            43_200,
            "Windows' default"
        );
        let morning = d.seconds(KeepFor::UntilMorning, Some(86_400));
        assert!((1..=86_400).contains(&morning), "{morning}");
        assert!(d.seconds(KeepFor::OneHour, Some(30)) >= MIN_IDLE_TIMEOUT_SEC);
    }
}
