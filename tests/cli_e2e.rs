//! The `baton` command line's executor end to end: `Shell` lines against the
//! lab endpoint, in process and over loopback HTTP, following the
//! Disconnect-PSSession / Connect-PSSession reference pages.

use std::collections::HashMap;
use std::sync::Arc;

use baton::bridge::WorkerHandle;
use baton::cli::exec::{Passwords, Shell, load_profiles, profiles_path};
use baton::lab::{self, LabConfig, Ports};
use baton::model::profile::{Computer, CredentialRef, Group, ProfileTree};
use baton::store::credentials::CredentialStore;
use baton::worker::{self, WorkerConfig};

const TECH: (&str, &str) = ("Domain01\\User01", "Tech-P@ss1");

use crate::common::InProcessLab;

trait LabShell {
    /// A new console (a new worker: another client).
    fn console(&self) -> Shell;
}

impl LabShell for InProcessLab {
    fn console(&self) -> Shell {
        shell_with(
            WorkerConfig {
                profiles: None,
                credentials: None,
                in_process: self.computers(),
                activity: None,
                held: None,
            },
            ProfileTree::default(),
        )
    }
}

fn shell_with(config: WorkerConfig, profiles: ProfileTree) -> Shell {
    shell_with_passwords(
        config,
        profiles,
        vec![
            (TECH.0.into(), TECH.1.into()),
            ("Domain01\\Admin".into(), "Admin-P@ss1".into()),
        ],
    )
}

fn shell_with_passwords(
    config: WorkerConfig,
    profiles: ProfileTree,
    passwords: Vec<(String, String)>,
) -> Shell {
    let (handle, side) = WorkerHandle::pair(Arc::new(|| {}));
    worker::spawn(side, config).expect("worker starts");
    let mut sh = Shell::new(handle, profiles, Passwords::Given(passwords));
    sh.silence_limit = std::time::Duration::from_mins(1);
    sh
}

/// Runs a line; (succeeded, stdout, stderr).
fn run(sh: &mut Shell, line: &str) -> (bool, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let ok = sh.run_line(line, &mut out, &mut err);
    let out = String::from_utf8(out).expect("utf-8");
    let err = String::from_utf8(err).expect("utf-8");
    eprintln!("PS> {line}\n{out}{err}");
    (ok, out, err)
}

/// A table's lines with the Id column blanked (ids are per console).
fn without_ids(table: &str) -> Vec<String> {
    table
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let trimmed = l.trim_start();
            match trimmed.split_once(' ') {
                Some((id, rest)) if id.chars().all(|c| c.is_ascii_digit()) => {
                    format!("## {rest}")
                }
                _ => l.to_owned(),
            }
        })
        .collect()
}

const HEADER: [&str; 2] = [
    "Id Name            ComputerName    State         ConfigurationName     Availability",
    "-- ----            ------------    -----         -----------------     ------------",
];

fn table(rows: &[&str]) -> Vec<String> {
    HEADER
        .iter()
        .chain(rows.iter())
        .map(std::string::ToString::to_string)
        .collect()
}

/// The technician starts a job on Srv1 in a disconnected session; a manager
/// on another console finds the session, connects with the technician's
/// credentials, reads everything that piled up and removes it
/// (Disconnect-PSSession example 3, Connect-PSSession examples).
fn hand_over(tech: &mut Shell, mgr: &mut Shell) {
    let (ok, out, err) = run(
        tech,
        "$s = New-PSSession -ComputerName Srv1, Srv2, Srv30 -Name ITTask -Credential Domain01\\User01",
    );
    assert!(ok && out.is_empty() && err.is_empty(), "{err}");
    let (ok, out, _) = run(tech, "$s");
    assert!(ok);
    assert_eq!(
        without_ids(&out),
        table(&[
            "## ITTask          Srv1            Opened        Microsoft.PowerShell     Available",
            "## ITTask          Srv2            Opened        Microsoft.PowerShell     Available",
            "## ITTask          Srv30           Opened        Microsoft.PowerShell     Available",
        ])
    );
    let (ok, out, err) = run(
        tech,
        "Invoke-Command $s[0] { 1..5 | ForEach-Object { Start-Sleep -Milliseconds 200; \"patch $_\" } } -InDisconnectedSession",
    );
    assert!(ok, "{err}");
    assert_eq!(
        without_ids(&out),
        table(&[
            "## ITTask          Srv1            Disconnected  Microsoft.PowerShell          None"
        ])
    );
    let (ok, out, err) = run(
        tech,
        "Get-PSSession -ComputerName Srv1, Srv2, Srv30 -Name ITTask -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    assert_eq!(
        without_ids(&out),
        table(&[
            "## ITTask          Srv1            Disconnected  Microsoft.PowerShell          None",
            "## ITTask          Srv2            Opened        Microsoft.PowerShell     Available",
            "## ITTask          Srv30           Opened        Microsoft.PowerShell     Available",
        ])
    );

    // The manager's console: another client.
    let (ok, out, err) = run(
        mgr,
        "Get-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    assert_eq!(
        without_ids(&out),
        table(&[
            "## ITTask          Srv1            Disconnected  Microsoft.PowerShell          None"
        ])
    );
    let (ok, out, err) = run(
        mgr,
        "$s = Connect-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01",
    );
    assert!(ok && out.is_empty(), "{err}");
    let (ok, out, _) = run(mgr, "$s");
    assert!(ok);
    assert_eq!(
        without_ids(&out),
        table(&[
            "## ITTask          Srv1            Opened        Microsoft.PowerShell     Available"
        ])
    );
    let (ok, out, err) = run(mgr, "Receive-PSSession -Session $s");
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["patch 1", "patch 2", "patch 3", "patch 4", "patch 5"]
    );
    let (ok, _, err) = run(mgr, "Remove-PSSession $s");
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        mgr,
        "Get-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01",
    );
    assert!(ok && out.is_empty(), "{out}{err}");
    // The technician cleans up the other two.
    let (ok, _, err) = run(
        tech,
        "Get-PSSession -Name ITTask -State Opened | Remove-PSSession",
    );
    assert!(ok, "{err}");
    let (ok, out, _) = run(tech, "Get-PSSession -State Opened");
    assert!(ok && out.is_empty(), "{out}");
}

#[test]
fn hand_over_in_process() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut tech = lab.console();
    let mut mgr = lab.console();
    hand_over(&mut tech, &mut mgr);
    tech.finish(&mut std::io::sink());
    mgr.finish(&mut std::io::sink());
}

#[test]
fn hand_over_over_http_with_profiles() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = LabConfig::demo();
    config.sessions.clear();
    let running = rt
        .block_on(lab::start(&config, Ports::Ephemeral))
        .expect("lab listens");
    // A profile file mapping the lab's computers to their loopback URLs;
    // the group names the technician's credential, saved in the store.
    let store = baton::store::credentials::MemoryStore::new();
    let entry = baton::store::credentials::new_entry_id();
    store
        .set(
            &entry,
            TECH.0,
            &baton::store::credentials::Secret::new(TECH.1.to_owned()),
        )
        .expect("saved");
    let store: Arc<dyn CredentialStore> = Arc::new(store);
    let mut group = Group::new("Lab");
    group.settings.credential = Some(CredentialRef {
        user: TECH.0.to_owned(),
        entry: Some(entry),
    });
    for (name, url) in &running.endpoints {
        let mut c = Computer::new(name);
        c.settings.connection_uri = Some(url.clone());
        group.computers.push(c);
    }
    let mut root = Group::new("");
    root.groups.push(group);
    let tree = ProfileTree { root };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profiles.toml");
    baton::store::profiles::ProfileStore::new(&path)
        .save(&tree)
        .expect("profiles saved");
    let located = profiles_path(Some(path.clone().into_os_string()));
    assert_eq!(located.as_deref(), Some(path.as_path()));
    let mut err = Vec::new();
    let loaded = load_profiles(located, &mut err);
    assert!(err.is_empty());
    assert_eq!(loaded.computers().len(), 3);
    // No password is given to these consoles: it comes from the store.
    let http = || WorkerConfig {
        profiles: None,
        credentials: Some(store.clone()),
        in_process: HashMap::new(),
        activity: None,
        held: None,
    };
    let mut tech = shell_with_passwords(http(), loaded.clone(), Vec::new());
    let mut mgr = shell_with_passwords(http(), loaded, Vec::new());
    hand_over(&mut tech, &mut mgr);
    let (ok, out, err) = run(
        &mut tech,
        "Test-WSMan -ComputerName Srv30 -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>(),
        [
            "wsmid           : http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd",
            "ProtocolVersion : http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
            "ProductVendor   : Microsoft Corporation",
            "ProductVersion  : OS: 10.0.17763 SP: 0.0 Stack: 3.0",
        ]
    );
    // -ConnectionUri reaches a computer without a profile (a password is given here).
    let url = running.endpoints[1].1.clone();
    let mut other = shell_with(
        WorkerConfig {
            profiles: None,
            credentials: None,
            in_process: HashMap::new(),
            activity: None,
            held: None,
        },
        ProfileTree::default(),
    );
    let (ok, _, err) = run(
        &mut other,
        &format!(
            "$u = New-PSSession -ConnectionUri {url} -Name ByUri -Credential Domain01\\User01"
        ),
    );
    assert!(ok, "{err}");
    other.json = true;
    let (ok, out, err) = run(
        &mut other,
        &format!(
            "Get-PSSession -ConnectionUri {url} -Name By* -Credential Domain01\\User01 | Format-List -Property Name, State, ComputerName"
        ),
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(v["Name"], "ByUri");
    assert_eq!(v["State"], "Opened");
    assert_eq!(v["ComputerName"], "127.0.0.1");
    assert_eq!(v.as_object().map(serde_json::Map::len), Some(3));
    let (ok, _, err) = run(&mut other, "Remove-PSSession -Session $u");
    assert!(ok, "{err}");
    other.finish(&mut std::io::sink());
    tech.finish(&mut std::io::sink());
    mgr.finish(&mut std::io::sink());
    rt.block_on(running.stop());
}

#[test]
fn a_corrupt_profile_file_is_reported_and_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profiles.toml");
    std::fs::write(&path, "this is [not toml").expect("written");
    let mut err = Vec::new();
    let tree = load_profiles(Some(path), &mut err);
    assert!(tree.computers().is_empty());
    let err = String::from_utf8(err).expect("utf-8");
    assert!(err.contains("the profile file cannot be used"), "{err}");
    let mut err = Vec::new();
    let missing = load_profiles(Some(dir.path().join("none.toml")), &mut err);
    assert!(missing.computers().is_empty() && err.is_empty());
}

/// Disconnect-PSSession example 4: the idle timeout is checked against the
/// server's maximum before anything is sent.
#[test]
fn idle_timeout_out_of_range_is_refused_before_sending() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let (ok, _, _) = run(
        &mut sh,
        "$Timeout = New-PSSessionOption -IdleTimeout 172800000",
    );
    assert!(ok);
    let (ok, out, _) = run(&mut sh, "$Timeout.IdleTimeout");
    assert!(ok);
    assert_eq!(out, "2.00:00:00\n");
    // As on Windows (example 4), the session is created with the idle
    // timeout asked for, above the configuration's MaxIdleTimeoutms
    // (43200000): the violation goes unnoticed until it is disconnected.
    let (ok, _, err) = run(
        &mut sh,
        "$s = New-PSSession -ComputerName Srv1 -Name ITTask -SessionOption $Timeout -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    let (_, out, _) = run(&mut sh, "$s.Runspace.ConnectionInfo.IdleTimeout");
    assert_eq!(out, "172800000\n");
    let (ok, out, err) = run(&mut sh, "Disconnect-PSSession -Session $s");
    assert!(!ok && out.is_empty());
    assert!(
        err.starts_with("Disconnect-PSSession : The session ITTask cannot be disconnected because the specified idle timeout value 172800(seconds) is either greater than the server maximum allowed 43200 (seconds) or less that the minimum allowed60(seconds)."),
        "{err}"
    );
    let (ok, out, err) = run(
        &mut sh,
        "Disconnect-PSSession -Session $s -IdleTimeoutSec 172800",
    );
    assert!(!ok && out.is_empty());
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "Disconnect-PSSession : The session ITTask cannot be disconnected because the specified idle timeout value 172800(seconds) is either greater than the server maximum allowed 43200 (seconds) or less that the minimum allowed60(seconds).  Choose an idle time out value that is within the allowed range and try again.",
            "    + CategoryInfo          : InvalidArgument: (ITTask:PSSession) [Disconnect-PSSession], RuntimeException",
            "    + FullyQualifiedErrorId : CannotDisconnectSessionWithInvalidIdleTimeout,Microsoft.PowerShell.Commands.DisconnectPSSessionCommand",
        ]
    );
    let (ok, _, err) = run(
        &mut sh,
        "Disconnect-PSSession -Session $s -IdleTimeoutSec 59",
    );
    assert!(
        !ok && err.contains("less that the minimum allowed60(seconds)"),
        "{err}"
    );
    // Nothing was sent: the session is still open.
    let (_, out, _) = run(&mut sh, "$s.State");
    assert_eq!(out, "Opened\n");
    let (ok, out, err) = run(
        &mut sh,
        "Disconnect-PSSession -Session $s -IdleTimeoutSec 43200",
    );
    assert!(ok, "{err}");
    assert_eq!(
        without_ids(&out),
        table(&[
            "## ITTask          Srv1            Disconnected  Microsoft.PowerShell          None"
        ])
    );
    let (_, out, _) = run(&mut sh, "$s.Runspace.ConnectionInfo.IdleTimeout");
    assert_eq!(out, "43200000\n");
    // The server agrees, as another console sees it.
    let mut other = lab.console();
    other.json = true;
    let (ok, out, err) = run(
        &mut other,
        "Get-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON document");
    assert_eq!(v["IdleTimeout"], 43_200_000);
    assert_eq!(v["State"], "Disconnected");
}

/// A session held by another client is refused with PowerShell's explanation.
#[test]
fn busy_sessions_are_refused() {
    let lab = InProcessLab::demo(true, 1.0);
    let mut sh = lab.console();
    let (ok, out, err) = run(
        &mut sh,
        "Connect-PSSession -ComputerName Srv2 -Name ITTask -Credential Domain01\\User01",
    );
    assert!(!ok && out.is_empty());
    assert!(
        err.starts_with("Connect-PSSession : Cannot connect PSSession \"ITTask\", either because it is not in the Disconnected state, or it is not available for connection."),
        "{err}"
    );
    assert!(err.contains("FullyQualifiedErrorId"), "{err}");
}

/// Wildcards and ThrottleLimit across the three computers, as a table and as JSON.
#[test]
fn wildcards_throttle_limit_and_json() {
    let lab = InProcessLab::demo(true, 1.0);
    let mut sh = lab.console();
    let line = "Get-PSSession -ComputerName Srv1, Srv2, Srv30 -Name IT* -Credential Domain01\\User01 -ThrottleLimit 1";
    let (ok, out, err) = run(&mut sh, line);
    assert!(ok, "{err}");
    let rows = without_ids(&out);
    assert_eq!(rows.len(), 5, "{out}");
    assert_eq!(rows[..2], table(&[])[..]);
    for (row, computer) in rows[2..].iter().zip(["Srv1", "Srv2", "Srv30"]) {
        assert!(
            row.starts_with(&format!("## ITTask          {computer} ")),
            "{row}"
        );
    }
    assert!(
        rows[2].ends_with("Disconnected  Microsoft.PowerShell          None"),
        "{}",
        rows[2]
    );
    let (ok, out, _) = run(
        &mut sh,
        "Get-PSSession -ComputerName Srv1 -Name Back* -Credential Domain01\\User01",
    );
    assert!(ok && out.is_empty(), "{out}");

    sh.json = true;
    let (ok, out, err) = run(&mut sh, line);
    assert!(ok, "{err}");
    let docs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON document per line"))
        .collect();
    assert_eq!(docs.len(), 3);
    for (d, computer) in docs.iter().zip(["Srv1", "Srv2", "Srv30"]) {
        for key in [
            "Id",
            "Name",
            "InstanceId",
            "ComputerName",
            "State",
            "ConfigurationName",
            "Availability",
            "IdleTimeout",
            "OutputBufferingMode",
        ] {
            assert!(d.get(key).is_some(), "{key} missing in {d}");
        }
        assert_eq!(d["ComputerName"], computer);
        assert_eq!(d["Name"], "ITTask");
    }
    assert_eq!(docs[0]["Availability"], "None");
}

/// `Get-PSSession … | Disconnect-PSSession`, with -WhatIf first (nothing sent).
#[test]
fn piped_disconnect_and_what_if() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let (ok, _, err) = run(
        &mut sh,
        "$s = New-PSSession -ComputerName Srv1, Srv2 -Name ITTask -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        &mut sh,
        "Get-PSSession -Name ITTask -ComputerName Srv1 -Credential Domain01\\User01 | Disconnect-PSSession -WhatIf",
    );
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "What if: Performing the operation \"Disconnect-PSSession\" on target \"Name: ITTask, ComputerName: Srv1\".\n"
    );
    let (_, out, _) = run(&mut sh, "Get-PSSession -State Opened");
    assert_eq!(without_ids(&out).len(), 4, "{out}");
    let (ok, _, err) = run(
        &mut sh,
        "Get-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01 | Disconnect-PSSession -IdleTimeoutSec 86400",
    );
    assert!(!ok && err.contains("86400(seconds)"), "{err}");
    let (ok, out, err) = run(
        &mut sh,
        "Get-PSSession -Name ITTask -ComputerName Srv1 -Credential Domain01\\User01 | Disconnect-PSSession -OutputBufferingMode Drop",
    );
    assert!(ok, "{err}");
    assert_eq!(
        without_ids(&out),
        table(&[
            "## ITTask          Srv1            Disconnected  Microsoft.PowerShell          None"
        ])
    );
    let (_, out, _) = run(&mut sh, "Get-PSSession");
    assert_eq!(
        without_ids(&out),
        table(&[
            "## ITTask          Srv1            Disconnected  Microsoft.PowerShell          None",
            "## ITTask          Srv2            Opened        Microsoft.PowerShell     Available",
        ])
    );
    // Reconnect from the same console, run something, and clean up.
    let (ok, out, err) = run(&mut sh, "Connect-PSSession -Session $s[0]");
    assert!(ok, "{err}");
    assert!(
        out.contains("Opened        Microsoft.PowerShell     Available"),
        "{out}"
    );
    let (ok, out, err) = run(&mut sh, "Invoke-Command -Session $s { \"hello\" }");
    assert!(ok, "{err}");
    assert_eq!(out, "hello\nhello\n");
    let (ok, _, err) = run(&mut sh, "Remove-PSSession -Session $s");
    assert!(ok, "{err}");
    let (_, out, _) = run(&mut sh, "$s[1].State");
    assert_eq!(out, "Closed\n");
}

/// `Invoke-Command -ComputerName … {Get-PSSessionConfiguration …} | Format-List -Property *`
/// prints the configuration's quotas (Disconnect-PSSession example 4).
#[test]
fn session_configuration_quotas() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -ComputerName Srv1 {Get-PSSessionConfiguration Microsoft.PowerShell} -Credential Domain01\\Admin | Format-List -Property *",
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("\nMaxIdleTimeoutms              : 43200000\n"),
        "{out}"
    );
    assert!(
        out.contains("\nIdleTimeoutms                 : 7200000\n"),
        "{out}"
    );
    assert!(
        out.contains("\nPSComputerName                : Srv1\n"),
        "{out}"
    );
    let (ok, out, _) = run(
        &mut sh,
        "Invoke-Command -ComputerName Srv1 { \"one\"; \"two\" } -Credential Domain01\\User01",
    );
    assert!(ok);
    assert_eq!(out, "one\ntwo\n");
}

/// Connect-WSMan / Disconnect-WSMan keep a per-console set of computers.
#[test]
fn wsman_connections() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let (ok, _, err) = run(&mut sh, "Disconnect-WSMan -ComputerName Srv1");
    assert!(!ok && err.starts_with("Disconnect-WSMan : "), "{err}");
    let (ok, _, err) = run(
        &mut sh,
        "Connect-WSMan -ComputerName Srv1 -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    let (ok, _, err) = run(&mut sh, "Disconnect-WSMan -ComputerName Srv1");
    assert!(ok, "{err}");
    let (ok, _, _) = run(&mut sh, "Disconnect-WSMan -ComputerName Srv1");
    assert!(!ok);
}

#[test]
fn a_user_without_password_gets_a_clear_error() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let (ok, _, err) = run(
        &mut sh,
        "New-PSSession -ComputerName Srv1 -Credential Domain01\\Manager01",
    );
    assert!(!ok);
    assert!(err.contains("BATON_PASSWORD"), "{err}");
    assert!(!err.contains("P@ss"), "{err}");
}

/// `Invoke-Command -ComputerName … -InDisconnectedSession` creates the
/// sessions, starts the script and disconnects; another console receives.
#[test]
fn invoke_in_disconnected_sessions_then_receive_elsewhere() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut tech = lab.console();
    let (ok, out, err) = run(
        &mut tech,
        "Invoke-Command -ComputerName Srv1, Srv30 -SessionName Night -Credential Domain01\\User01 { \"done on night shift\" } -InDisconnectedSession",
    );
    assert!(ok, "{err}");
    assert_eq!(
        without_ids(&out),
        table(&[
            "## Night           Srv1            Disconnected  Microsoft.PowerShell          None",
            "## Night           Srv30           Disconnected  Microsoft.PowerShell          None",
        ])
    );
    let mut mgr = lab.console();
    let (ok, out, err) = run(
        &mut mgr,
        "Receive-PSSession -ComputerName Srv30 -Name Night -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "done on night shift\n");
    let (ok, out, _) = run(&mut mgr, "Get-PSSession -Name Night | Format-Table");
    assert!(ok);
    assert_eq!(
        without_ids(&out),
        table(&[
            "## Night           Srv30           Opened        Microsoft.PowerShell     Available"
        ])
    );
}

/// A remote Read-Host is answered from the console's answers, or stopped
/// when nobody can answer.
#[test]
fn remote_read_host() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let (ok, _, err) = run(
        &mut sh,
        "$s = New-PSSession -ComputerName Srv1 -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    sh.set_host_answers(vec!["Manager01".into()]);
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -Session $s { $n = Read-Host -Prompt 'Your name'; \"hello $n\" }",
    );
    assert!(ok, "{err}");
    assert!(out.ends_with("hello Manager01\n"), "{out}");
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -Session $s { $n = Read-Host -Prompt 'Your name'; \"hello $n\" }",
    );
    assert!(!ok, "{out}");
    assert!(
        err.contains("asked for input, but baton is not reading from a terminal"),
        "{err}"
    );
    assert!(!out.contains("hello"), "{out}");
    let (ok, out, _) = run(&mut sh, "Invoke-Command -Session $s { \"still usable\" }");
    assert!(ok);
    assert_eq!(out, "still usable\n");
}

/// SecureStrings cross under the PSRP session key both ways: a
/// `Read-Host -AsSecureString` answer goes as `<SS>` after the client's
/// PUBLIC_KEY (the lab refuses text in its place), and a SecureString in the
/// output makes the server ask for the key first (PUBLIC_KEY_REQUEST on the
/// pool's stream), which the client answers while the command waits.
#[test]
fn secure_strings_cross_under_the_session_key() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let (ok, _, err) = run(
        &mut sh,
        "$s = New-PSSession -ComputerName Srv1 -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    sh.set_host_answers(vec!["Pin-4711 ü".into()]);
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -Session $s { $p = Read-Host -AsSecureString -Prompt PIN; $p.Length; (ConvertFrom-SecureString $p -AsPlainText) -ceq 'Pin-4711 ü' }",
    );
    assert!(ok, "{err}");
    assert!(out.ends_with("10\nTrue\n"), "{out}");

    // A new session: no key yet when the command outputs a SecureString.
    let (ok, _, err) = run(
        &mut sh,
        "$t = New-PSSession -ComputerName Srv1 -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -Session $t { 'before'; ConvertTo-SecureString 'x' -AsPlainText -Force; 'after' }",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "before\nSystem.Security.SecureString\nafter\n");
}

/// The executable's exit code: 0 when the line succeeds, 1 when it fails.
#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let code = |line: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["--json", "-c", line])
            .env("BATON_PROFILES", dir.path().join("profiles.toml"))
            .env("HOME", dir.path())
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("baton runs")
            .status
            .code()
    };
    assert_eq!(code("$o = New-PSSessionOption -IdleTimeout 60000"), Some(0));
    assert_eq!(code("Get-PSSession -Bogus"), Some(1));
}

/// Sets a flag when a given text has been written (a user pressing Ctrl+C
/// after seeing it).
struct PressCtrlCAfter {
    text: &'static str,
    seen: Vec<u8>,
    flag: Arc<std::sync::atomic::AtomicBool>,
}

impl std::io::Write for PressCtrlCAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.seen.extend_from_slice(buf);
        if String::from_utf8_lossy(&self.seen).contains(self.text) {
            self.flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `line`, pressing Ctrl+C (setting `flag`) once "first" is printed;
/// whether the line succeeded, and what it printed.
fn run_until_ctrl_c(
    sh: &mut Shell,
    flag: &Arc<std::sync::atomic::AtomicBool>,
    line: &str,
) -> (bool, String) {
    let mut out = PressCtrlCAfter {
        text: "first",
        seen: Vec::new(),
        flag: flag.clone(),
    };
    let mut err = Vec::new();
    let ok = sh.run_line(line, &mut out, &mut err);
    (ok, String::from_utf8_lossy(&out.seen).into_owned())
}

/// Ctrl+C while a remote command runs stops it; the session stays usable.
#[test]
fn ctrl_c_stops_a_running_command() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    sh.set_interrupt_flag(flag.clone());
    let (ok, _, err) = run(
        &mut sh,
        "$s = New-PSSession -ComputerName Srv1 -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    let (ok, seen) = run_until_ctrl_c(
        &mut sh,
        &flag,
        "Invoke-Command -Session $s { \"first\"; Start-Sleep -Seconds 600; \"never\" }",
    );
    assert!(!ok);
    assert_eq!(seen, "first\n");
    let (ok, out, err) = run(&mut sh, "Invoke-Command -Session $s { \"after\" }");
    assert!(ok, "{err}");
    assert_eq!(out, "after\n");
    let (ok, _, err) = run(&mut sh, "Remove-PSSession $s");
    assert!(ok, "{err}");
}

/// The session's CancelTimeout is the OperationTimeout of the stop signal
/// Ctrl+C sends and of Remove-PSSession's Delete (PowerShell's wait for a
/// cancel); other requests keep the OperationTimeout.
#[test]
fn cancel_timeout_governs_the_stop_signal_and_the_delete() {
    use baton::protocol::wsman::action::Action;
    let lab = InProcessLab::demo(false, 1.0);
    let svc = lab.service("Srv1");
    let mut sh = lab.console();
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    sh.set_interrupt_flag(flag.clone());
    let (ok, _, err) = run(
        &mut sh,
        "$s = New-PSSession -ComputerName Srv1 -Credential Domain01\\User01 -SessionOption (New-PSSessionOption -CancelTimeout 7000 -OperationTimeout 45000)",
    );
    assert!(ok, "{err}");
    let before = svc.wire_log().len();
    let (ok, _) = run_until_ctrl_c(
        &mut sh,
        &flag,
        "Invoke-Command -Session $s { \"first\"; Start-Sleep -Seconds 600 }",
    );
    assert!(!ok, "Ctrl+C fails the line");
    let (ok, _, err) = run(&mut sh, "Remove-PSSession $s");
    assert!(ok, "{err}");
    let log: Vec<_> = svc.wire_log().split_off(before);
    let timeout_of = |action: Action| {
        log.iter()
            .find(|r| r.action == action)
            .unwrap_or_else(|| panic!("no {action:?} in {log:?}"))
            .operation_timeout_ms
    };
    assert_eq!(timeout_of(Action::Signal), Some(7000), "the stop signal");
    assert_eq!(timeout_of(Action::Delete), Some(7000), "the Delete");
    assert_eq!(timeout_of(Action::Command), Some(45000), "the Command");
}

/// Warnings and errors of remote commands print as PowerShell prints them.
#[test]
fn remote_streams_print_like_powershell() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let (ok, _, err) = run(
        &mut sh,
        "$s = New-PSSession -ComputerName Srv1 -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -Session $s { \"out 1\"; Write-Warning \"KB5010 needs a reboot\"; Write-Error \"Cannot find path 'C:\\x' because it does not exist.\"; \"out 2\" }",
    );
    assert!(
        !ok,
        "an error record makes the line fail, as $? in PowerShell"
    );
    assert_eq!(out, "out 1\nout 2\n");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&"WARNING: KB5010 needs a reboot"),
        "{err}"
    );
    assert_eq!(
        lines.get(1),
        Some(&"Cannot find path 'C:\\x' because it does not exist."),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("    + CategoryInfo          : ")),
        "{err}"
    );
    assert!(
        lines.contains(&"    + PSComputerName        : Srv1"),
        "{err}"
    );
}

/// Waits (up to a generous deadline) until `cond` holds.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Connect-PSSession on a session this console disconnected sends Reconnect
/// (same client session), not Connect; Receive-PSSession then reconnects the
/// command that kept running with a command-level Reconnect and receives
/// everything it produced while nobody was connected.
#[test]
fn reconnect_from_the_same_console_uses_reconnect_on_the_wire() {
    use baton::protocol::wsman::action::Action;
    use baton::protocol::wsman::shell::CommandState;
    let lab = InProcessLab::demo(false, 1.0);
    let svc = lab.service("Srv1");
    let mut sh = lab.console();
    let (ok, _, err) = run(
        &mut sh,
        "$s = New-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command $s { 1..3 | ForEach-Object { Start-Sleep -Milliseconds 50; \"line $_\" } } -InDisconnectedSession",
    );
    assert!(ok, "{err}");
    assert_eq!(
        without_ids(&out),
        table(&[
            "## ITTask          Srv1            Disconnected  Microsoft.PowerShell          None"
        ])
    );
    let shell = svc.computer().shell_ids()[0];
    let command = || {
        let now = svc.clock().now();
        svc.computer()
            .commands(now, TECH.0, shell)
            .expect("the shell is there")
            .remove(0)
    };
    // The command ends while the session is disconnected: its output waits.
    wait_until("the command to end", || {
        command().state == CommandState::Done
    });
    let cid = uuid::Uuid::parse_str(&command().command_id).expect("a GUID");
    let before = svc.wire_log().len();
    let (ok, out, err) = run(&mut sh, "Connect-PSSession -Session $s");
    assert!(ok, "{err}");
    assert_eq!(
        without_ids(&out),
        table(&[
            "## ITTask          Srv1            Opened        Microsoft.PowerShell     Available"
        ])
    );
    let (ok, out, err) = run(&mut sh, "Receive-PSSession -Session $s");
    assert!(ok, "{err}");
    assert_eq!(out, "line 1\nline 2\nline 3\n");
    let log: Vec<_> = svc.wire_log().split_off(before);
    let shell_reconnect = log
        .iter()
        .position(|r| {
            r.action == Action::Reconnect && r.shell_id == Some(shell) && r.command_id.is_none()
        })
        .expect("a shell Reconnect");
    let command_reconnect = log
        .iter()
        .position(|r| r.action == Action::Reconnect && r.command_id == Some(cid))
        .expect("a command Reconnect");
    assert!(shell_reconnect < command_reconnect, "{log:?}");
    let first_receive = log
        .iter()
        .position(|r| r.action == Action::Receive && r.command_id == Some(cid))
        .expect("the command's output received");
    assert!(command_reconnect < first_receive, "{log:?}");
    assert!(
        !log.iter().any(|r| r.action == Action::Connect),
        "the same client never Connects: {log:?}"
    );
    let (ok, _, err) = run(&mut sh, "Remove-PSSession -Session $s");
    assert!(ok, "{err}");
    sh.finish(&mut std::io::sink());
}

/// Connect-WSMan opens and authenticates a connection to the computer's
/// WinRM service, which the lab's listener sees; Disconnect-WSMan closes it
/// without touching the server's sessions.
#[test]
fn connect_and_disconnect_wsman_open_and_close_the_connection() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = LabConfig::demo();
    config.sessions.clear();
    let running = rt
        .block_on(lab::start(&config, Ports::Ephemeral))
        .expect("lab listens");
    let url = running.endpoints[0].1.clone();
    let count = running
        .connections(&running.endpoints[0].0)
        .expect("a listener");
    let mut sh = shell_with(
        WorkerConfig {
            profiles: None,
            credentials: None,
            in_process: HashMap::new(),
            activity: None,
            held: None,
        },
        ProfileTree::default(),
    );
    assert_eq!((count.accepted(), count.open()), (0, 0));
    let (ok, out, err) = run(
        &mut sh,
        &format!("Connect-WSMan -ConnectionURI {url} -Credential Domain01\\User01"),
    );
    assert!(ok && out.is_empty(), "{err}");
    assert_eq!((count.accepted(), count.open()), (1, 1));
    let (ok, _, err) = run(&mut sh, "Disconnect-WSMan -ComputerName 127.0.0.1");
    assert!(ok, "{err}");
    wait_until("the lab to see the connection closed", || count.open() == 0);
    let (ok, _, err) = run(&mut sh, "Disconnect-WSMan -ComputerName 127.0.0.1");
    assert!(
        !ok && err.contains("The client is not connected to the computer 127.0.0.1"),
        "{err}"
    );
    // Another user of the same computer gets a connection of their own.
    let (ok, _, err) = run(
        &mut sh,
        &format!("Connect-WSMan -ConnectionURI {url} -Credential Domain01\\Admin"),
    );
    assert!(ok, "{err}");
    assert_eq!(count.accepted(), 2);
    // Sessions stay on the server and keep working across Disconnect-WSMan.
    let (ok, _, err) = run(
        &mut sh,
        &format!("$s = New-PSSession -ConnectionUri {url} -Name Kept -Credential Domain01\\User01"),
    );
    assert!(ok, "{err}");
    let (ok, _, err) = run(&mut sh, "Disconnect-WSMan -ComputerName 127.0.0.1");
    assert!(ok, "{err}");
    let (ok, out, err) = run(&mut sh, "Invoke-Command -Session $s { 'still here' }");
    assert!(ok, "{err}");
    assert_eq!(out, "still here\n");
    let (ok, out, err) = run(
        &mut sh,
        &format!("Get-PSSession -ConnectionUri {url} -Credential Domain01\\User01"),
    );
    assert!(ok, "{err}");
    assert_eq!(
        without_ids(&out),
        table(&[
            "## Kept            127.0.0.1       Opened        Microsoft.PowerShell     Available"
        ])
    );
    let (ok, _, err) = run(&mut sh, "Remove-PSSession -Session $s");
    assert!(ok, "{err}");
    sh.finish(&mut std::io::sink());
    rt.block_on(running.stop());
}

/// Objects piped into Invoke-Command, or given with -InputObject, go to the
/// remote pipeline as PIPELINE_INPUT, and the script reads them as `$input`.
#[test]
fn pipeline_input_reaches_the_remote_script() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let (ok, _, err) = run(
        &mut sh,
        "$s = New-PSSession -ComputerName Srv1 -Name Input -Credential Domain01\\User01",
    );
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        &mut sh,
        "1..3 | Invoke-Command -Session $s -ScriptBlock { $input | ForEach-Object { $_ * 2 } }",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "2\n4\n6\n");
    let (ok, out, err) = run(
        &mut sh,
        "'Srv1', 'Srv2' | Invoke-Command -Session $s { $input -join '+' }",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "Srv1+Srv2\n");
    // -InputObject with a list is one input object: the list.
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -Session $s -ScriptBlock { $input | ForEach-Object { $_.Count } } -InputObject 'a', 'b', 'c'",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "3\n");
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -Session $s -ScriptBlock { $input | ForEach-Object { $_ + 1 } } -InputObject 41",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "42\n");
    // A process block runs once per input object.
    let (ok, out, err) = run(
        &mut sh,
        "1..3 | Invoke-Command -Session $s { process { $_ * 3 } }",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "3\n6\n9\n");
    // -ArgumentList values are the script's positional arguments.
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -Session $s -ScriptBlock { param($name, $count) 1..$count | ForEach-Object { \"$name $_\" } } -ArgumentList Srv1, 2",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "Srv1 1\nSrv1 2\n");
    let (ok, out, err) = run(
        &mut sh,
        "'in' | Invoke-Command -Session $s { \"$args: $input\" } -ArgumentList a, b",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "a b: in\n");
    // Without input nothing waits for any: the script runs at once.
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -Session $s { \"none: $(@($input).Count)\" }",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "none: 0\n");
    let (ok, _, err) = run(&mut sh, "Remove-PSSession -Session $s");
    assert!(ok, "{err}");
    sh.finish(&mut std::io::sink());
}

/// OpenTimeout bounds the whole opening of a session, not only the TCP
/// connect: against a listener that accepts and never answers, New-PSSession
/// gives up after the OpenTimeout, saying so.
#[test]
fn open_timeout_bounds_the_whole_opening() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming() {
            held.push(c);
        }
    });
    let mut sh = shell_with(WorkerConfig::default(), ProfileTree::default());
    let (ok, _, err) = run(
        &mut sh,
        &format!(
            "New-PSSession -ConnectionUri http://127.0.0.1:{port}/wsman -Credential {} -SessionOption (New-PSSessionOption -OpenTimeout 2000)",
            TECH.0
        ),
    );
    assert!(!ok);
    assert!(
        err.contains("did not open within the OpenTimeout of 2000 ms"),
        "{err}"
    );
}

/// Remote text carries no escape sequences to the terminal: output,
/// warnings and errors are printed without them (OSC 52 would write the
/// user's clipboard), while `--json` keeps the text, escaped.
#[test]
fn remote_control_sequences_never_reach_the_terminal() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    let (_, out, err) = run(
        &mut sh,
        "Invoke-Command -ComputerName Srv1 -Credential Domain01\\User01 { \"a`e]52;c;ZXZpbA==`ab\"; Write-Warning \"w`e[2Ax\"; Write-Error \"bad`e[8mhidden\" }",
    );
    for text in [&out, &err] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
    }
    assert!(out.contains("ab"), "{out:?}");
    assert!(err.contains("WARNING: wx"), "{err:?}");
    assert!(err.contains("badhidden"), "{err:?}");
    sh.json = true;
    let (_, out, _) = run(
        &mut sh,
        "Invoke-Command -ComputerName Srv1 -Credential Domain01\\User01 { \"a`eb\" }",
    );
    assert!(out.contains("\\u001b"), "{out:?}");
}

/// Get-Command lists what the shell supports, and Get-Help (or `-?`)
/// answers for every one of them: its syntax from the command table, what
/// it does, and an example; `-Full` adds every parameter.
#[test]
fn get_help_answers_for_every_supported_cmdlet() {
    let mut sh = shell_with(WorkerConfig::default(), ProfileTree::default());
    let (ok, listed, _) = run(&mut sh, "Get-Command");
    assert!(ok);
    let names: Vec<String> = listed
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .collect();
    assert_eq!(names.len(), 16, "{listed}");
    for name in &names {
        let (ok, help, err) = run(&mut sh, &format!("Get-Help {name} -Full"));
        assert!(ok && err.is_empty(), "{name}: {err}");
        for section in [
            "NAME",
            "SYNOPSIS",
            "SYNTAX",
            "DESCRIPTION",
            "PARAMETERS",
            "EXAMPLES",
        ] {
            assert!(
                help.contains(&format!("\n{section}\n")),
                "{name}: no {section}\n{help}"
            );
        }
        assert!(
            help.contains(&format!("    {name} ")),
            "{name}: no syntax line\n{help}"
        );
        let (_, short, _) = run(&mut sh, &format!("{name} -?"));
        assert!(short.contains("REMARKS"), "{name} -?: {short}");
    }
    let (ok, _, err) = run(&mut sh, "Get-Help Enter-PSSession");
    assert!(!ok && err.contains("HelpNotFound"), "{err}");
    // --json: the list is data.
    sh.json = true;
    let (_, json, _) = run(&mut sh, "Get-Command -Verb Receive");
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["Name"], "Receive-PSSession");
}

/// `--json`: every stdout line is one JSON value with PowerShell's names and
/// JSON's types (numbers, booleans, objects), host and information lines go
/// to stderr, progress records are JSON objects on stderr; in text mode a
/// process is shown in PowerShell's Process table.
#[test]
fn json_output_is_typed_data_and_text_output_uses_the_default_views() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    sh.json = true;
    sh.progress_mode = baton::cli::ProgressMode::Json;
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -ComputerName Srv1 -Credential Domain01\\User01 { 1; $true; 'text'; Get-Process | Select-Object -First 1; Write-Host 'from the host'; Write-Information 'for the record'; Write-Progress -Activity Copying -Status half -PercentComplete 50 }",
    );
    assert!(ok, "{err}");
    let values: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect();
    assert_eq!(values.len(), 4, "{out}");
    assert_eq!(values[0], serde_json::json!(1));
    assert_eq!(values[1], serde_json::json!(true));
    assert_eq!(values[2], serde_json::json!("text"));
    let process = &values[3];
    assert!(process["Id"].is_number(), "{process}");
    assert!(process["ProcessName"].is_string(), "{process}");
    assert!(
        err.contains("from the host") && err.contains("for the record"),
        "{err}"
    );
    let progress: serde_json::Value = err
        .lines()
        .find(|l| l.contains("\"Progress\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .expect("a progress record on stderr");
    assert_eq!(progress["Progress"]["PercentComplete"], 50);

    // Errors, remote and local, are typed records on stderr.
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -ComputerName Srv1 -Credential Domain01\\User01 { Write-Error 'disk full'; 2 }",
    );
    assert!(!ok && out.trim() == "2", "{out}");
    let e: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(e["Error"]["Message"], "disk full");
    assert_eq!(e["Error"]["PSComputerName"], "Srv1");
    let (_, _, err) = run(&mut sh, "Disconnect-PSSession -Name NoSuch");
    let e: serde_json::Value = serde_json::from_str(err.lines().next().unwrap()).unwrap();
    assert!(e["Error"]["FullyQualifiedErrorId"].is_string(), "{e}");

    // Session options under PowerShell's names, time spans as its text.
    let (_, out, _) = run(&mut sh, "New-PSSessionOption -IdleTimeout 60000");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["IdleTimeout"], "00:01:00", "{v}");
    assert_eq!(v["MaximumConnectionRedirectionCount"], 5, "{v}");
    assert_eq!(v["SkipCACheck"], false, "{v}");
    assert!(v.get("idle_timeout_ms").is_none(), "{v}");

    sh.json = false;
    let (ok, out, err) = run(
        &mut sh,
        "Invoke-Command -ComputerName Srv1 -Credential Domain01\\User01 { Get-Process | Select-Object -First 2 }",
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Handles") && l.ends_with("ProcessName")),
        "{out}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("Handles")).count(),
        1,
        "one header for the table: {out}"
    );
}

/// Test-WSMan without -Credential sends PowerShell's anonymous Identify
/// (over real sockets, to `baton lab` in a process of its own): the server
/// answers without anyone signing in and leaves its OS version out; with
/// -Credential it signs in and says it; -Authentication is honoured.
#[test]
fn test_wsman_without_credentials_is_the_anonymous_identify() {
    let lab = crate::lifecycle::Lab::start(1.0);
    let (ok, out, err) = lab.run("Test-WSMan -ComputerName Srv1");
    assert!(ok, "{err}");
    assert!(
        out.contains("ProductVendor   : Microsoft Corporation"),
        "{out}"
    );
    assert!(
        out.contains("ProductVersion  : OS: 0.0.0 SP: 0.0 Stack: 3.0"),
        "{out}"
    );
    let (ok, out, err) = lab.run("Test-WSMan -ComputerName Srv1 -Authentication None");
    assert!(ok && out.contains("OS: 0.0.0"), "{out}{err}");
    let (ok, out, err) = lab.run("Test-WSMan -ComputerName Srv1 -Credential Domain01\\User01");
    assert!(ok, "{err}");
    assert!(
        out.contains("ProductVersion  : OS: 10."),
        "signed in: {out}"
    );
    // Basic over plain HTTP is refused by name, not replaced by Negotiate.
    let (ok, _, err) =
        lab.run("Test-WSMan -ComputerName Srv1 -Credential Domain01\\User01 -Authentication Basic");
    assert!(
        !ok && err.contains("basic authentication over plain http"),
        "{err}"
    );
}

/// Where Baton cannot sign the current user in (macOS for now), leaving
/// out -Credential is refused up front with why and what to give, instead
/// of failing on every computer.
#[test]
fn without_single_sign_on_a_missing_credential_is_refused_up_front() {
    let lab = InProcessLab::demo(false, 1.0);
    let mut sh = lab.console();
    sh.set_platform("macos");
    let (ok, _, err) = run(&mut sh, "Get-PSSession -ComputerName Srv1");
    assert!(!ok);
    assert!(
        err.contains("GSS.framework") && err.contains("-Credential"),
        "{err}"
    );
    assert!(err.contains("ImplicitCredentialUnavailable"), "{err}");
    let (ok, out, err) = run(
        &mut sh,
        "Get-PSSession -ComputerName Srv1 -Credential Domain01\\User01",
    );
    assert!(ok && err.is_empty(), "{out}{err}");
}

/// `batonw` (the Windows Start menu's GUI-subsystem launcher) starts the
/// `baton` beside it with the same arguments; here it becomes `baton`,
/// whose answer and exit code come back through it.
#[test]
fn batonw_starts_the_baton_beside_it_with_the_same_arguments() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_batonw"))
        .arg("--version")
        .output()
        .expect("batonw runs");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("baton {}", env!("CARGO_PKG_VERSION"))
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_batonw"))
        .arg("--no-such-option")
        .output()
        .expect("batonw runs");
    assert!(!out.status.success(), "baton's refusal comes back");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-option"));
}
