//! Shared plain-data vocabulary of the UI, the CLI and the worker.
pub mod profile;
