//! The typed commands and events that cross between the UI/CLI and the worker.
//!
//! Each [`Command`] variant is one user intent and has exactly one handler in
//! the worker; each [`Event`] is a fact the worker reports. Commands carry an
//! [`OpId`] chosen by the sender so that progress, results and failures can be
//! matched to the action that caused them.

mod command;
mod event;
mod handle;
mod known;

pub use crate::model::ActivityEntry;
pub use command::{Command, ComputerRef, CredentialChoice, Release, SessionRef};
pub use event::{Event, ReleaseOutcome};
pub use handle::{EventSender, FakeWorker, Waker, WorkerHandle, WorkerSide};
pub use known::{Change, KnownSessions, merge as merge_session};

/// Identifies one user action (a click, a CLI line) across commands and events.
pub type OpId = u64;
