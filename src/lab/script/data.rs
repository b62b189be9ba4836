//! The emulated computer's data: processes, services, session configurations and an
//! in-memory file system. Everything is deterministic, seeded from the computer name.

use chrono::{DateTime, FixedOffset};

use super::value::Value;

/// FNV-1a of the lower-cased text: the seed of everything about a computer.
pub(crate) fn seed(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.to_ascii_lowercase().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A small deterministic generator (xorshift64*).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next() % (hi - lo)
    }
}

/// Process names of a Windows Server with how many instances run, and whether they run
/// in session 0.
const PROCESSES: &[(&str, u32, &str)] = &[
    ("csrss", 2, r"C:\Windows\system32\csrss.exe"),
    ("dwm", 1, r"C:\Windows\system32\dwm.exe"),
    ("explorer", 1, r"C:\Windows\explorer.exe"),
    ("fontdrvhost", 2, r"C:\Windows\system32\fontdrvhost.exe"),
    ("Idle", 1, ""),
    ("lsass", 1, r"C:\Windows\system32\lsass.exe"),
    (
        "MsMpEng",
        1,
        r"C:\ProgramData\Microsoft\Windows Defender\platform\4.18.2009.7-0\MsMpEng.exe",
    ),
    ("Registry", 1, ""),
    ("services", 1, r"C:\Windows\system32\services.exe"),
    ("smss", 1, r"C:\Windows\System32\smss.exe"),
    ("spoolsv", 1, r"C:\Windows\System32\spoolsv.exe"),
    ("svchost", 9, r"C:\Windows\system32\svchost.exe"),
    ("System", 1, ""),
    ("wininit", 1, r"C:\Windows\system32\wininit.exe"),
    ("winlogon", 1, r"C:\Windows\system32\winlogon.exe"),
    ("WmiPrvSE", 2, r"C:\Windows\system32\wbem\wmiprvse.exe"),
    ("wsmprovhost", 1, r"C:\Windows\system32\wsmprovhost.exe"),
];

/// Type names of `Get-Process` objects.
pub(crate) const PROCESS_TYPES: &[&str] = &[
    "System.Diagnostics.Process",
    "System.ComponentModel.Component",
    "System.MarshalByRefObject",
    "System.Object",
];

/// The processes of `computer`, sorted by name then Id like `Get-Process`.
/// `host_pid` is the Id of the session's wsmprovhost process.
pub(crate) fn processes(computer: &str, host_pid: u32) -> Vec<Value> {
    let mut rng = Rng::new(seed(computer));
    let mut used = vec![0u64, 4, u64::from(host_pid)];
    let mut out = Vec::new();
    for (name, count, path) in PROCESSES {
        for k in 0..*count {
            let id: u64 = match *name {
                "Idle" => 0,
                "System" => 4,
                "wsmprovhost" => u64::from(host_pid),
                _ => loop {
                    let c = rng.range(25, 2500) * 4;
                    if !used.contains(&c) {
                        used.push(c);
                        break c;
                    }
                },
            };
            let ws_kb = match *name {
                "Idle" => 8,
                "System" => 144,
                "MsMpEng" => rng.range(90_000, 220_000),
                "explorer" => rng.range(60_000, 120_000),
                "svchost" => rng.range(5_000, 60_000),
                "wsmprovhost" => rng.range(60_000, 90_000),
                _ => rng.range(3_000, 30_000),
            };
            let pm_kb = ws_kb * rng.range(40, 90) / 100;
            let npm_kb = rng.range(5, 60);
            let handles = match *name {
                "Idle" => 0,
                "System" => rng.range(1800, 3200),
                "lsass" => rng.range(1100, 1600),
                _ => rng.range(80, 900),
            };
            let cpu_ms = match *name {
                "Idle" => None,
                "System" => Some(rng.range(200_000, 900_000)),
                _ => Some(rng.range(0, 120_000)),
            };
            let session_id = match *name {
                "csrss" | "fontdrvhost" if k == 1 => 1,
                "dwm" | "explorer" | "winlogon" => 1,
                _ => 0,
            };
            let ws = (ws_kb * 1024) as i64;
            let pm = (pm_kb * 1024) as i64;
            let vm = ws.saturating_mul(3) + 2_199_023_255_552;
            let cpu = cpu_ms.map_or(Value::Null, |ms| {
                Value::Double((ms as f64 / 1000.0 * 64.0).round() / 64.0)
            });
            let path_v = if path.is_empty() {
                Value::Null
            } else {
                Value::str(*path)
            };
            let props = vec![
                ("Name".to_string(), Value::str(*name)),
                ("Id".into(), Value::Int(id as i64)),
                ("ProcessName".into(), Value::str(*name)),
                ("Handles".into(), Value::Int(handles as i64)),
                ("HandleCount".into(), Value::Int(handles as i64)),
                ("CPU".into(), cpu),
                ("WS".into(), Value::Int(ws)),
                ("WorkingSet64".into(), Value::Int(ws)),
                ("PM".into(), Value::Int(pm)),
                ("PrivateMemorySize64".into(), Value::Int(pm)),
                ("NPM".into(), Value::Int((npm_kb * 1024) as i64)),
                ("VM".into(), Value::Int(vm)),
                ("SI".into(), Value::Int(session_id)),
                ("SessionId".into(), Value::Int(session_id)),
                ("Path".into(), path_v),
                ("MachineName".into(), Value::str(".")),
            ];
            out.push(Value::Object {
                type_names: PROCESS_TYPES
                    .iter()
                    .map(std::string::ToString::to_string)
                    .collect(),
                props,
                to_string: Some(format!("System.Diagnostics.Process ({name})")),
            });
        }
    }
    out.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v.property("ProcessName")
                    .map(|n| n.to_ps_string().to_lowercase())
                    .unwrap_or_default(),
                v.property("Id").and_then(|i| i.to_int()).unwrap_or(0),
            )
        };
        key(a).cmp(&key(b))
    });
    out
}

/// Services of a Windows Server: name, display name, usual status, start type.
const SERVICES: &[(&str, &str, &str, &str)] = &[
    (
        "BITS",
        "Background Intelligent Transfer Service",
        "Stopped",
        "Manual",
    ),
    ("CryptSvc", "Cryptographic Services", "Running", "Automatic"),
    ("Dhcp", "DHCP Client", "Running", "Automatic"),
    ("Dnscache", "DNS Client", "Running", "Automatic"),
    ("EventLog", "Windows Event Log", "Running", "Automatic"),
    ("LanmanServer", "Server", "Running", "Automatic"),
    ("LanmanWorkstation", "Workstation", "Running", "Automatic"),
    (
        "MpsSvc",
        "Windows Defender Firewall",
        "Running",
        "Automatic",
    ),
    (
        "RpcSs",
        "Remote Procedure Call (RPC)",
        "Running",
        "Automatic",
    ),
    ("Schedule", "Task Scheduler", "Running", "Automatic"),
    ("Spooler", "Print Spooler", "Running", "Automatic"),
    (
        "TermService",
        "Remote Desktop Services",
        "Running",
        "Manual",
    ),
    (
        "TrustedInstaller",
        "Windows Modules Installer",
        "Stopped",
        "Manual",
    ),
    ("W32Time", "Windows Time", "Running", "Manual"),
    (
        "WinDefend",
        "Windows Defender Antivirus Service",
        "Running",
        "Automatic",
    ),
    (
        "Winmgmt",
        "Windows Management Instrumentation",
        "Running",
        "Automatic",
    ),
    (
        "WinRM",
        "Windows Remote Management (WS-Management)",
        "Running",
        "Automatic",
    ),
    ("wuauserv", "Windows Update", "Stopped", "Manual"),
];

/// Type names of `Get-Service` objects.
pub(crate) const SERVICE_TYPES: &[&str] = &[
    "System.ServiceProcess.ServiceController",
    "System.ComponentModel.Component",
    "System.MarshalByRefObject",
    "System.Object",
];

fn status_value(name: &str) -> Value {
    let v = match name {
        "Stopped" => 1,
        "StartPending" => 2,
        "StopPending" => 3,
        "Running" => 4,
        "Paused" => 7,
        _ => 4,
    };
    Value::enumeration("System.ServiceProcess.ServiceControllerStatus", name, v)
}

fn start_type_value(name: &str) -> Value {
    let v = match name {
        "Boot" => 0,
        "System" => 1,
        "Automatic" => 2,
        "Manual" => 3,
        _ => 4,
    };
    Value::enumeration("System.ServiceProcess.ServiceStartMode", name, v)
}

/// The services of `computer`, sorted by name like `Get-Service`.
pub(crate) fn services(computer: &str) -> Vec<Value> {
    let mut rng = Rng::new(seed(computer) ^ 0x5e21_1ce5);
    SERVICES
        .iter()
        .map(|(name, display, status, start)| {
            // A few services differ from computer to computer.
            let status = match *name {
                "Spooler" | "W32Time" | "BITS" | "wuauserv" => {
                    if rng.range(0, 3) == 0 {
                        if *status == "Running" {
                            "Stopped"
                        } else {
                            "Running"
                        }
                    } else {
                        status
                    }
                }
                _ => status,
            };
            let can_stop = status == "Running";
            Value::Object {
                type_names: SERVICE_TYPES
                    .iter()
                    .map(std::string::ToString::to_string)
                    .collect(),
                props: vec![
                    ("Name".into(), Value::str(*name)),
                    ("DisplayName".into(), Value::str(*display)),
                    ("Status".into(), status_value(status)),
                    ("StartType".into(), start_type_value(start)),
                    ("ServiceName".into(), Value::str(*name)),
                    ("CanPauseAndContinue".into(), Value::Bool(false)),
                    (
                        "CanShutdown".into(),
                        Value::Bool(can_stop && *name != "Dnscache"),
                    ),
                    ("CanStop".into(), Value::Bool(can_stop)),
                    ("MachineName".into(), Value::str(".")),
                    (
                        "ServiceType".into(),
                        Value::enumeration(
                            "System.ServiceProcess.ServiceType",
                            "Win32ShareProcess",
                            32,
                        ),
                    ),
                ],
                to_string: None,
            }
        })
        .collect()
}

/// One session configuration as `Get-PSSessionConfiguration` shows it (defaults: the
/// `microsoft.powershell` endpoint of Windows Server 2019).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfiguration {
    /// `Name`.
    pub name: String,
    /// `PSVersion`.
    pub ps_version: String,
    /// `StartupScript` (empty when none).
    pub startup_script: String,
    /// `RunAsUser` (empty when none).
    pub run_as_user: String,
    /// `Permission`.
    pub permission: String,
    /// `IdleTimeoutms`.
    pub idle_timeout_ms: i64,
    /// `MaxIdleTimeoutms`.
    pub max_idle_timeout_ms: i64,
    /// `OutputBufferingMode` (Block or Drop).
    pub output_buffering_mode: String,
    /// `MaxShellsPerUser`.
    pub max_shells_per_user: i64,
    /// `MaxConcurrentUsers`.
    pub max_concurrent_users: i64,
    /// `MaxShells`.
    pub max_shells: i64,
    /// `MaxMemoryPerShellMB`.
    pub max_memory_per_shell_mb: i64,
    /// `MaxProcessesPerShell`.
    pub max_processes_per_shell: i64,
    /// `MaxConcurrentCommandsPerShell`.
    pub max_concurrent_commands_per_shell: i64,
    /// `ResourceUri` (also `Uri` and `ParentResourceUri`).
    pub resource_uri: String,
    /// `SecurityDescriptorSddl`.
    pub security_descriptor_sddl: String,
    /// `Enabled`.
    pub enabled: bool,
    /// `Architecture` (64 or 32).
    pub architecture: i64,
}

impl Default for SessionConfiguration {
    fn default() -> Self {
        SessionConfiguration {
            name: "microsoft.powershell".into(),
            ps_version: "5.1".into(),
            startup_script: String::new(),
            run_as_user: String::new(),
            permission: r"NT AUTHORITY\INTERACTIVE AccessAllowed, BUILTIN\Administrators AccessAllowed, BUILTIN\Remote Management Users AccessAllowed".into(),
            idle_timeout_ms: 7_200_000,
            max_idle_timeout_ms: 2_147_483_647,
            output_buffering_mode: "Block".into(),
            max_shells_per_user: 25,
            max_concurrent_users: 5,
            max_shells: 25,
            max_memory_per_shell_mb: 2147483647,
            max_processes_per_shell: 15,
            max_concurrent_commands_per_shell: 1000,
            resource_uri: "http://schemas.microsoft.com/powershell/microsoft.powershell".into(),
            security_descriptor_sddl: "O:NSG:BAD:P(A;;GA;;;IU)(A;;GA;;;BA)(A;;GA;;;RM)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)".into(),
            enabled: true,
            architecture: 64,
        }
    }
}

impl SessionConfiguration {
    /// The object `Get-PSSessionConfiguration` returns, with properties in the order
    /// `Format-List *` shows them.
    pub fn to_value(&self) -> Value {
        let s = |x: &str| Value::str(x);
        let b = |x: bool| Value::str(if x { "true" } else { "false" });
        let props: Vec<(String, Value)> = vec![
            ("Architecture".into(), s(&self.architecture.to_string())),
            ("Filename".into(), s(r"%windir%\system32\pwrshplugin.dll")),
            ("ResourceUri".into(), s(&self.resource_uri)),
            (
                "MaxConcurrentCommandsPerShell".into(),
                s(&self.max_concurrent_commands_per_shell.to_string()),
            ),
            ("Capability".into(), Value::Array(vec![s("Shell")])),
            (
                "xmlns".into(),
                s("http://schemas.microsoft.com/wbem/wsman/1/config/PluginConfiguration"),
            ),
            (
                "MaxConcurrentUsers".into(),
                s(&self.max_concurrent_users.to_string()),
            ),
            ("Name".into(), s(&self.name)),
            ("UseSharedProcess".into(), b(false)),
            ("ProcessIdleTimeoutSec".into(), s("0")),
            ("lang".into(), s("en-US")),
            ("SupportsOptions".into(), b(true)),
            ("ExactMatch".into(), b(true)),
            ("RunAsUser".into(), s(&self.run_as_user)),
            ("IdleTimeoutms".into(), s(&self.idle_timeout_ms.to_string())),
            ("PSVersion".into(), s(&self.ps_version)),
            ("OutputBufferingMode".into(), s(&self.output_buffering_mode)),
            ("AutoRestart".into(), b(false)),
            (
                "SecurityDescriptorSddl".into(),
                s(&self.security_descriptor_sddl),
            ),
            (
                "MaxMemoryPerShellMB".into(),
                s(&self.max_memory_per_shell_mb.to_string()),
            ),
            (
                "MaxIdleTimeoutms".into(),
                s(&self.max_idle_timeout_ms.to_string()),
            ),
            ("Uri".into(), s(&self.resource_uri)),
            ("SDKVersion".into(), s("2")),
            ("XmlRenderingType".into(), s("text")),
            ("RunAsPassword".into(), s("")),
            (
                "MaxProcessesPerShell".into(),
                s(&self.max_processes_per_shell.to_string()),
            ),
            ("ParentResourceUri".into(), s(&self.resource_uri)),
            ("Enabled".into(), b(self.enabled)),
            ("MaxShells".into(), s(&self.max_shells.to_string())),
            (
                "MaxShellsPerUser".into(),
                s(&self.max_shells_per_user.to_string()),
            ),
            ("StartupScript".into(), s(&self.startup_script)),
            ("Permission".into(), s(&self.permission)),
        ];
        Value::Object {
            type_names: vec![
                "Microsoft.PowerShell.Commands.PSSessionConfigurationCommands#PSSessionConfiguration".into(),
                "System.Management.Automation.PSCustomObject".into(),
                "System.Object".into(),
            ],
            props,
            to_string: None,
        }
    }
}

/// A file-system entry.
#[derive(Debug, Clone, PartialEq)]
pub struct FsEntry {
    /// The full path as created (e.g. `C:\Users\alice\Scripts`).
    pub path: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// File content (empty for directories).
    pub content: String,
    /// Creation (and last write) time; `None` for the entries the image ships with.
    pub created: Option<DateTime<FixedOffset>>,
}

/// An in-memory, case-insensitive `C:` drive.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSystem {
    entries: Vec<FsEntry>,
}

/// The most entries a session's file system holds.
pub const MAX_FS_ENTRIES: usize = 10_000;

impl FileSystem {
    /// The directories of a fresh Windows Server image, with `user_name`'s profile.
    pub fn new(user_name: &str) -> FileSystem {
        let home = format!(r"C:\Users\{user_name}");
        let dirs = [
            r"C:\".to_string(),
            r"C:\PerfLogs".into(),
            r"C:\Program Files".into(),
            r"C:\Program Files\WindowsPowerShell".into(),
            r"C:\Program Files\WindowsPowerShell\Modules".into(),
            r"C:\Program Files (x86)".into(),
            r"C:\ProgramData".into(),
            r"C:\Users".into(),
            r"C:\Users\Public".into(),
            r"C:\Windows".into(),
            r"C:\Windows\System32".into(),
            r"C:\Windows\System32\drivers".into(),
            r"C:\Windows\System32\drivers\etc".into(),
            r"C:\Windows\Temp".into(),
            home.clone(),
            format!(r"{home}\AppData"),
            format!(r"{home}\AppData\Local"),
            format!(r"{home}\AppData\Local\Temp"),
            format!(r"{home}\AppData\Roaming"),
            format!(r"{home}\Desktop"),
            format!(r"{home}\Documents"),
            format!(r"{home}\Downloads"),
        ];
        let mut entries: Vec<FsEntry> = dirs
            .into_iter()
            .map(|path| FsEntry {
                path,
                is_dir: true,
                content: String::new(),
                created: None,
            })
            .collect();
        entries.push(FsEntry {
            path: r"C:\Windows\System32\drivers\etc\hosts".into(),
            is_dir: false,
            content: "# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# This is a sample HOSTS file used by Microsoft TCP/IP for Windows.\r\n#\r\n# localhost name resolution is handled within DNS itself.\r\n#\t127.0.0.1       localhost\r\n#\t::1             localhost\r\n".into(),
            created: None,
        });
        FileSystem { entries }
    }

    /// The entry at a normalised full path.
    pub fn get(&self, path: &str) -> Option<&FsEntry> {
        self.entries
            .iter()
            .find(|e| e.path.eq_ignore_ascii_case(path))
    }

    pub(crate) fn get_mut(&mut self, path: &str) -> Option<&mut FsEntry> {
        self.entries
            .iter_mut()
            .find(|e| e.path.eq_ignore_ascii_case(path))
    }

    /// Direct children of a directory: directories first, then files, each by name.
    pub fn children(&self, dir: &str) -> Vec<&FsEntry> {
        let mut out: Vec<&FsEntry> = self
            .entries
            .iter()
            .filter(|e| parent_of(&e.path).is_some_and(|p| p.eq_ignore_ascii_case(dir)))
            .collect();
        out.sort_by(|a, b| {
            (!a.is_dir, a.path.to_lowercase()).cmp(&(!b.is_dir, b.path.to_lowercase()))
        });
        out
    }

    /// Adds an entry; false when the file system is full.
    pub(crate) fn insert(&mut self, e: FsEntry) -> bool {
        if self.entries.len() >= MAX_FS_ENTRIES {
            return false;
        }
        self.entries.push(e);
        true
    }

    /// Removes an entry and everything under it.
    pub(crate) fn remove_tree(&mut self, path: &str) {
        let prefix = format!("{}\\", path.trim_end_matches('\\')).to_lowercase();
        self.entries.retain(|e| {
            let l = e.path.to_lowercase();
            !(l == path.to_lowercase() || l.starts_with(&prefix))
        });
    }
}

/// The parent of a normalised path (`None` for `C:\`).
pub(crate) fn parent_of(path: &str) -> Option<String> {
    if path.len() <= 3 {
        return None;
    }
    let idx = path.rfind('\\')?;
    if idx <= 2 {
        Some(path.get(..3)?.to_string())
    } else {
        Some(path.get(..idx)?.to_string())
    }
}

/// The last segment of a path.
pub(crate) fn leaf_of(path: &str) -> &str {
    if path.len() <= 3 {
        return path;
    }
    path.rsplit('\\').next().unwrap_or(path)
}

/// Resolves `path` against the current location: `/` → `\`, `.` and `..`, `~`, drive-
/// relative forms. Returns `Err(drive)` for a drive other than `C:`.
pub(crate) fn resolve_path(location: &str, home: &str, path: &str) -> Result<String, String> {
    let p = path.replace('/', "\\");
    let p = p
        .strip_prefix("Microsoft.PowerShell.Core\\FileSystem::")
        .or_else(|| p.strip_prefix("FileSystem::"))
        .unwrap_or(&p)
        .to_string();
    let full = if let Some(rest) = p.strip_prefix('~') {
        format!("{home}{rest}")
    } else if p.len() >= 2 && p.as_bytes().get(1) == Some(&b':') {
        let drive = p.get(..1).unwrap_or("").to_ascii_uppercase();
        if drive != "C" {
            return Err(drive);
        }
        let rest = p.get(2..).unwrap_or("");
        if rest.starts_with('\\') {
            format!("C:{rest}")
        } else {
            format!("{location}\\{rest}")
        }
    } else if let Some(colon) = p.find(':') {
        // Other PowerShell drives (HKLM:, Env:, Cert:) are not emulated.
        return Err(p.get(..colon).unwrap_or("").to_string());
    } else if p.starts_with('\\') {
        format!("C:{p}")
    } else {
        format!("{location}\\{p}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in full.get(3..).unwrap_or("").split('\\') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Ok(format!("C:\\{}", parts.join("\\")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let loc = r"C:\Users\alice\Documents";
        let home = r"C:\Users\alice";
        assert_eq!(
            resolve_path(loc, home, r"..\Scripts").unwrap(),
            r"C:\Users\alice\Scripts"
        );
        assert_eq!(resolve_path(loc, home, "~/x").unwrap(), r"C:\Users\alice\x");
        assert_eq!(
            resolve_path(loc, home, r"c:\Windows\").unwrap(),
            r"C:\Windows"
        );
        assert_eq!(resolve_path(loc, home, r"C:\..\..").unwrap(), r"C:\");
        assert_eq!(
            resolve_path(loc, home, r"HKLM:\Software"),
            Err("HKLM".into())
        );
        assert_eq!(resolve_path(loc, home, r"D:\x"), Err("D".into()));
        assert_eq!(parent_of(r"C:\Users"), Some(r"C:\".into()));
        assert_eq!(parent_of(r"C:\"), None);
        assert_eq!(leaf_of(r"C:\Users\alice"), "alice");
    }

    #[test]
    fn processes_are_deterministic_and_distinct_per_computer() {
        let a = processes("SRV1", 4242);
        let b = processes("srv1", 4242);
        let c = processes("SRV2", 4242);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let ids: Vec<i64> = a
            .iter()
            .filter_map(|p| p.property("Id")?.to_int())
            .collect();
        let mut dedup = ids.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(ids.len(), dedup.len(), "process ids are unique");
        assert!(a.iter().any(|p| p.property("Id") == Some(Value::Int(4242))));
    }
}
