//! Persistent state: connection profiles (TOML) and credentials (OS keyring).
