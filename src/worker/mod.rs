//! The background worker: a tokio runtime on a named thread that owns all I/O.

pub mod remote;
