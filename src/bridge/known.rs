//! The sessions a console knows, folded from the worker's events.
//!
//! One fold, used by the console's state (`ui::state`) and the command
//! line's shell (`cli::exec`), so that a session event means the same thing
//! to both: a listing replaces what was known of that computer, a change
//! updates one session (keeping what the new report leaves out), a session
//! gone or closed at exit is dropped, and one handed back at exit is
//! Disconnected with Availability None.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{Event, ReleaseOutcome};
use crate::model::{Availability, SessionInfo, SessionState};

/// What an event changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Nothing (not a session event, or nothing known of it).
    None,
    /// A computer's sessions were replaced by a listing.
    Listed { computer: String },
    /// One session was added or updated.
    Updated { computer: String, instance_id: Uuid },
    /// One session is no longer there; its name, when it was known.
    Removed {
        computer: String,
        instance_id: Uuid,
        name: Option<String>,
    },
}

/// Sessions by computer (names compared without case), in the order they
/// were first reported.
#[derive(Clone, Debug, Default)]
pub struct KnownSessions {
    computers: BTreeMap<String, Vec<SessionInfo>>,
}

fn key(computer: &str) -> String {
    computer.to_ascii_lowercase()
}

/// Updates `into` with a newer report `from` of the same session, keeping
/// what the newer report leaves out (a bare state change carries no idle
/// timeouts or name).
pub fn merge(into: &mut SessionInfo, from: &SessionInfo) {
    let keep_idle = into.idle_timeout_ms;
    let keep_max = into.max_idle_timeout_ms;
    let keep_name = std::mem::take(&mut into.name);
    *into = from.clone();
    if into.idle_timeout_ms.is_none() {
        into.idle_timeout_ms = keep_idle;
    }
    if into.max_idle_timeout_ms.is_none() {
        into.max_idle_timeout_ms = keep_max;
    }
    if into.name.is_empty() {
        into.name = keep_name;
    }
    // An open session has no disconnection time and no expiry.
    if into.state == SessionState::Opened {
        into.disconnected_on = None;
        into.expires_on = None;
    }
}

impl KnownSessions {
    /// Folds one event in; says what changed.
    pub fn apply(&mut self, event: &Event) -> Change {
        match event {
            Event::SessionsListed {
                computer, sessions, ..
            } => {
                // One order on every start: by name, then InstanceId (the
                // server's enumeration order is not stable).
                let mut sessions = sessions.clone();
                sessions.sort_by(|a, b| {
                    a.name
                        .to_ascii_lowercase()
                        .cmp(&b.name.to_ascii_lowercase())
                        .then(a.instance_id.cmp(&b.instance_id))
                });
                self.computers.insert(key(computer), sessions);
                Change::Listed {
                    computer: computer.clone(),
                }
            }
            Event::SessionChanged(info) => {
                self.upsert(info);
                Change::Updated {
                    computer: info.computer_name.clone(),
                    instance_id: info.instance_id,
                }
            }
            Event::SessionGone {
                computer,
                instance_id,
                ..
            } => self.remove(computer, *instance_id),
            Event::SessionReleased {
                computer,
                instance_id,
                outcome,
                ..
            } => match outcome {
                ReleaseOutcome::Closed => self.remove(computer, *instance_id),
                ReleaseOutcome::Disconnected { .. } => match self.get_mut(computer, *instance_id) {
                    Some(s) => {
                        s.state = SessionState::Disconnected;
                        s.availability = Availability::None;
                        Change::Updated {
                            computer: computer.clone(),
                            instance_id: *instance_id,
                        }
                    }
                    None => Change::None,
                },
                ReleaseOutcome::Failed(_) => Change::None,
            },
            _ => Change::None,
        }
    }

    /// Adds a session, or updates it with a newer report.
    pub fn upsert(&mut self, info: &SessionInfo) {
        let list = self.computers.entry(key(&info.computer_name)).or_default();
        if let Some(s) = list.iter_mut().find(|s| s.instance_id == info.instance_id) {
            merge(s, info);
        } else {
            let mut fresh = info.clone();
            if fresh.state == SessionState::Opened {
                fresh.disconnected_on = None;
                fresh.expires_on = None;
            }
            list.push(fresh);
        }
    }

    fn remove(&mut self, computer: &str, instance_id: Uuid) -> Change {
        let mut name = None;
        if let Some(list) = self.computers.get_mut(&key(computer)) {
            list.retain(|s| {
                let gone = s.instance_id == instance_id;
                if gone {
                    name = Some(s.name.clone());
                }
                !gone
            });
        }
        Change::Removed {
            computer: computer.to_owned(),
            instance_id,
            name,
        }
    }

    fn get_mut(&mut self, computer: &str, instance_id: Uuid) -> Option<&mut SessionInfo> {
        self.computers
            .get_mut(&key(computer))?
            .iter_mut()
            .find(|s| s.instance_id == instance_id)
    }

    /// The sessions known on `computer`.
    pub fn of(&self, computer: &str) -> &[SessionInfo] {
        self.computers
            .get(&key(computer))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// One session.
    pub fn get(&self, computer: &str, instance_id: Uuid) -> Option<&SessionInfo> {
        self.of(computer)
            .iter()
            .find(|s| s.instance_id == instance_id)
    }

    /// How many sessions are known, on every computer.
    pub fn count(&self) -> usize {
        self.computers.values().map(Vec::len).sum()
    }

    /// Every known session.
    pub fn all(&self) -> impl Iterator<Item = &SessionInfo> {
        self.computers.values().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OutputBufferingMode;

    fn info(computer: &str, name: &str, id: Uuid, state: SessionState) -> SessionInfo {
        let mut s = SessionInfo::new(computer, name).with_state(state, Availability::Available);
        s.instance_id = id;
        s
    }

    #[test]
    fn every_session_event_means_one_thing() {
        let mut k = KnownSessions::default();
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        k.apply(&Event::SessionsListed {
            op: 1,
            computer: "Srv1".into(),
            sessions: vec![info("Srv1", "A", a, SessionState::Disconnected)],
        });
        // A change without timeouts or name keeps them; names match without case.
        let mut bare = info("SRV1", "", a, SessionState::Opened);
        bare.idle_timeout_ms = None;
        assert_eq!(
            k.apply(&Event::SessionChanged(bare)),
            Change::Updated {
                computer: "SRV1".into(),
                instance_id: a
            }
        );
        let s = k.get("srv1", a).unwrap();
        assert_eq!((s.name.as_str(), s.idle_timeout_ms), ("A", Some(7_200_000)));
        assert_eq!(s.state, SessionState::Opened);
        k.upsert(&info("Srv1", "B", b, SessionState::Opened));
        assert_eq!(k.count(), 2);
        // Handed back at exit: Disconnected, nobody holds it.
        k.apply(&Event::SessionReleased {
            computer: "Srv1".into(),
            instance_id: a,
            name: "A".into(),
            outcome: ReleaseOutcome::Disconnected {
                idle_timeout_ms: None,
                output_buffering_mode: OutputBufferingMode::None,
                running: true,
            },
        });
        let s = k.get("Srv1", a).unwrap();
        assert_eq!(
            (s.state, s.availability),
            (SessionState::Disconnected, Availability::None)
        );
        // Closed at exit, or gone: dropped.
        k.apply(&Event::SessionReleased {
            computer: "Srv1".into(),
            instance_id: b,
            name: "B".into(),
            outcome: ReleaseOutcome::Closed,
        });
        assert!(k.get("Srv1", b).is_none());
        assert_eq!(
            k.apply(&Event::SessionGone {
                computer: "srv1".into(),
                instance_id: a,
                reason: "removed".into()
            }),
            Change::Removed {
                computer: "srv1".into(),
                instance_id: a,
                name: Some("A".into())
            }
        );
        assert_eq!(k.count(), 0);
        // An open session shows no disconnection time or expiry.
        let mut was = info("Srv3", "Was", Uuid::new_v4(), SessionState::Disconnected);
        was.disconnected_on = Some(chrono::Utc::now());
        was.expires_on = Some(chrono::Utc::now());
        k.upsert(&was);
        let mut now_open = was.clone();
        now_open.state = SessionState::Opened;
        k.upsert(&now_open);
        let s = k.get("Srv3", was.instance_id).unwrap();
        assert_eq!((s.disconnected_on, s.expires_on), (None, None));
        // A listing is kept in one order, by name, whatever the server's.
        let (x, y) = (Uuid::new_v4(), Uuid::new_v4());
        k.apply(&Event::SessionsListed {
            op: 3,
            computer: "Srv4".into(),
            sessions: vec![
                info("Srv4", "ITTask", x, SessionState::Disconnected),
                info("Srv4", "Backups", y, SessionState::Disconnected),
            ],
        });
        let names: Vec<&str> = k.of("Srv4").iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Backups", "ITTask"]);
        // A listing replaces what was known of the computer.
        k.upsert(&info("Srv2", "C", Uuid::new_v4(), SessionState::Opened));
        k.apply(&Event::SessionsListed {
            op: 2,
            computer: "Srv2".into(),
            sessions: Vec::new(),
        });
        assert!(k.of("Srv2").is_empty());
    }
}
