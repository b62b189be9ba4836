//! The `baton` command line: cmdlet-syntax lines, tables and JSON.
//!
//! This is the pure, I/O-free front half of the command line:
//! [`syntax`] parses a line of PowerShell, [`cmdlets`] binds each command to
//! its cmdlet's parameter sets with PowerShell's validation and error texts,
//! and [`format`] renders results like the PowerShell console does.

pub mod cmdlets;
pub mod format;
pub mod syntax;
