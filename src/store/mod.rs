//! Persistent state: connection profiles (TOML) and credentials (OS keyring).
//!
//! - [`profiles`]: the profile tree in a human-readable, versioned TOML file,
//!   written atomically with a backup of the last good file; export, import
//!   and merge of Baton profile files.
//! - [`credentials`]: secrets by entry id in the OS keyring, or in memory for
//!   the session when no keyring is available; never in a file.
//! - [`activity`]: the console's audit trail, a JSON-lines file the worker
//!   appends to and the console reads back at start.
//! - [`spill`]: the console's spill files, the whole output of each command
//!   written as it arrives, from which "Save output…" copies.
//! - [`import`]: foreign files (host lists, mRemoteNG, RDCMan, Royal TS,
//!   Remote Desktop Manager) read safely.

pub mod activity;
pub mod credentials;
pub mod held;
pub mod import;
pub mod profile_jobs;
pub mod profiles;
pub(crate) mod resolve;
pub mod spill;
