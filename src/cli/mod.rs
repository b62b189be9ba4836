//! The `baton` command line: cmdlet-syntax lines, tables and JSON.
