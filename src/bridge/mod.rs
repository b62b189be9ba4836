//! The typed commands and events that cross between the UI/CLI and the worker.
