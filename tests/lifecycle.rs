//! Session lifecycle across processes and people: the built `baton` binary
//! run as separate processes (a technician's, a manager's, a killed one)
//! against `baton lab` in a process of its own, over loopback sockets.
//!
//! What is checked is what the next person meets: after any Baton process
//! ends (its line done, end of input, SIGTERM), the sessions it held are
//! handed back (closed when it created them and nothing runs, disconnected
//! otherwise), and a session whose holder was killed can be rescued.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const TECH: (&str, &str) = ("Domain01\\User01", "Tech-P@ss1");

/// One lab computer, Srv1, with the quotas of Windows' default
/// configuration but MaxShellsPerUser 25, and no seeded sessions. Unless
/// `keep_alive_window_ms` says otherwise, the lab holds on to a vanished
/// client's session for two hours: nothing here may rely on the server
/// noticing that a Baton process has gone.
fn lab_toml(time_scale: f64, keep_alive_window_ms: u64) -> String {
    format!(
        r#"
time_scale = {time_scale}
keep_alive_window_ms = {keep_alive_window_ms}

[[users]]
name = 'Domain01\User01'
password = 'Tech-P@ss1'

[[users]]
name = 'Domain01\Admin'
password = 'Admin-P@ss1'
admin = true

[[computers]]
name = "Srv1"

[[configurations]]
name = "Microsoft.PowerShell"
idle_timeout_ms = 7200000
max_idle_timeout_ms = 43200000
output_buffering_mode = "Block"
max_shells_per_user = 25
max_concurrent_users = 5
permission = 'BUILTIN\Administrators AccessAllowed, BUILTIN\Remote Management Users AccessAllowed'
"#
    )
}

/// `baton lab` in a process of its own, with a profile file of its own
/// that the CLI processes share.
pub(crate) struct Lab {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Lab {
    pub(crate) fn start(time_scale: f64) -> Lab {
        Lab::start_with(time_scale, 7_200_000)
    }

    fn start_with(time_scale: f64, keep_alive_window_ms: u64) -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("lab.toml");
        std::fs::write(&config, lab_toml(time_scale, keep_alive_window_ms)).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["lab", "--ephemeral-ports", "--config"])
            .arg(&config)
            .env("BATON_PROFILES", dir.path().join("profiles.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("baton lab starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut port = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(url) = line.strip_prefix("Srv1 ") {
                port = url
                    .trim_end_matches("/wsman")
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok());
            }
            if line.starts_with("Press Ctrl+C") {
                break;
            }
        }
        // Keep reading so the lab never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Lab {
            child,
            dir,
            port: port.expect("the lab prints Srv1's address"),
        }
    }

    pub(crate) fn profiles(&self) -> PathBuf {
        self.dir.path().join("profiles.toml")
    }

    /// A `baton` process with this lab's profiles and the technician's password.
    pub(crate) fn baton(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
        cmd.args(args)
            .env("BATON_PROFILES", self.profiles())
            .env("BATON_PASSWORD", TECH.1)
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
            .stdin(Stdio::null());
        cmd
    }

    /// `baton -c line`: (success, stdout, stderr).
    pub(crate) fn run(&self, line: &str) -> (bool, String, String) {
        let out = self.baton(&["-c", line]).output().expect("baton -c runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        eprintln!("PS> {line}\n{stdout}{stderr}");
        (out.status.success(), stdout, stderr)
    }

    /// The session table row of `name` on Srv1 (as the technician sees it).
    fn row(&self, name: &str) -> Option<String> {
        let (ok, out, err) = self.run(&format!(
            "Get-PSSession -ComputerName Srv1 -Credential {}",
            TECH.0
        ));
        assert!(ok, "{err}");
        out.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .map(str::to_owned)
    }

    /// `baton shell`, with `lines` typed into it (`$tech` is the technician);
    /// its input stays open for more.
    fn shell(&self, lines: &[&str]) -> (Watched, std::process::ChildStdin) {
        let mut cmd = self.baton(&["shell"]);
        cmd.stdin(Stdio::piped());
        let mut shell = Watched::spawn(cmd);
        let mut stdin = shell.child.stdin.take().unwrap();
        type_lines(&mut stdin, lines);
        (shell, stdin)
    }

    /// `baton -c line` as the technician: `$tech` in `line` is the user.
    fn tech(&self, line: &str) -> (bool, String, String) {
        self.run(&line.replace("$tech", TECH.0))
    }

    /// `name` is on Srv1, Disconnected with Availability None: nobody holds
    /// it, and the next person can connect to it.
    fn assert_handed_back(&self, name: &str) {
        let row = self
            .row(name)
            .unwrap_or_else(|| panic!("{name} is not listed"));
        let (state, avail) = state_of(&row);
        assert_eq!(
            (state.as_str(), avail.as_str()),
            ("Disconnected", "None"),
            "{row}"
        );
    }

    /// pypsrp, a client no one here wrote, lists the technician's shells.
    fn pypsrp_shells(&self) -> Vec<serde_json::Value> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/pypsrp_lab_client.py");
        let out = Command::new(crate::common::peer_python())
            .arg(script)
            .args([
                "shells",
                "127.0.0.1",
                &self.port.to_string(),
                TECH.0,
                TECH.1,
            ])
            .output()
            .expect("pypsrp runs");
        assert!(
            out.status.success(),
            "pypsrp failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("pypsrp's JSON");
        v["shells"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Types `lines` into a `baton shell` (`$tech` is the technician).
fn type_lines(stdin: &mut std::process::ChildStdin, lines: &[&str]) {
    for line in lines {
        writeln!(stdin, "{}", line.replace("$tech", TECH.0)).unwrap();
    }
    stdin.flush().unwrap();
}

/// State and Availability of a session table row.
fn state_of(row: &str) -> (String, String) {
    let w: Vec<&str> = row.split_whitespace().collect();
    (
        w[3].to_owned(),
        w.last().copied().unwrap_or_default().to_owned(),
    )
}

fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A process that reads and stores its stdout and stderr as they come.
struct Watched {
    child: Child,
    out: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Watched {
    fn spawn(mut cmd: Command) -> Watched {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("baton starts");
        let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(stream);
                let mut buf = String::new();
                while r.read_line(&mut buf).unwrap_or(0) > 0 {
                    out.lock().unwrap().push_str(&buf);
                    buf.clear();
                }
            });
        }
        Watched { child, out }
    }

    fn text(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    fn wait_for_text(&self, text: &str) {
        wait_for(
            &format!("{text:?} in the output"),
            Duration::from_mins(1),
            || self.text().contains(text),
        );
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits for the process to end: (exit code, everything it printed).
    fn finish(mut self) -> (Option<i32>, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the readers take the last lines.
                std::thread::sleep(Duration::from_millis(200));
                return (status.code(), self.text());
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "baton did not end:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The hand-over across four processes: the technician starts a job in a
/// disconnected session and goes; a second process receives and ends (here
/// by SIGTERM while the job still runs); a third connects and exits; a
/// fourth receives the rest. Between them the session is always
/// Disconnected/None: nobody is left facing a Busy session.
#[test]
fn hand_over_across_four_processes() {
    let lab = Lab::start(1.0);
    // Process 1: the technician starts the job and leaves.
    let (ok, _, err) = lab.tech("Invoke-Command -ComputerName Srv1 -Credential $tech -InDisconnectedSession -SessionName Job1 -ScriptBlock { 1..12 | ForEach-Object { Start-Sleep -Milliseconds 500; \"step $_\" } }");
    assert!(ok, "{err}");
    lab.assert_handed_back("Job1");

    // Process 2: receives what piled up; ends (SIGTERM) while the job runs.
    let p2 = Watched::spawn(lab.baton(&[
        "-c",
        &format!(
            "Receive-PSSession -ComputerName Srv1 -Name Job1 -Credential {}",
            TECH.0
        ),
    ]));
    p2.wait_for_text("step 2");
    p2.signal("TERM");
    let (code, text) = p2.finish();
    assert_eq!(code, Some(143), "{text}");
    assert!(
        text.contains("disconnected Job1 on Srv1") && text.contains("its command goes on"),
        "the handing back is reported: {text}"
    );
    assert!(!text.contains("step 12"), "{text}");
    lab.assert_handed_back("Job1");

    // Process 3: connects and exits: handed back again.
    let (ok, out, err) =
        lab.tech("Connect-PSSession -ComputerName Srv1 -Name Job1 -Credential $tech");
    assert!(ok, "{err}");
    assert!(out.contains("Opened"), "{out}");
    assert!(err.contains("disconnected Job1 on Srv1"), "{err}");
    lab.assert_handed_back("Job1");

    // Process 4: receives the rest, to the end of the job.
    let (ok, out, err) =
        lab.tech("Receive-PSSession -ComputerName Srv1 -Name Job1 -Credential $tech");
    assert!(ok, "{err}");
    assert!(out.contains("step 12"), "{out}");
    assert!(
        !out.contains("step 1\n"),
        "already received by process 2: {out}"
    );
    // Nothing runs any more, but the session was connected to, not created:
    // it is handed back for the next person, as the others were.
    assert!(err.contains("disconnected Job1 on Srv1"), "{err}");
    lab.assert_handed_back("Job1");
}

/// 40 one-shot New-PSSession processes against MaxShellsPerUser 25: each
/// closes the session it created as it ends, so none fails on the quota and
/// none remains.
#[test]
fn one_shot_sessions_never_pile_up_against_the_quota() {
    let lab = Lab::start(1.0);
    for i in 0..40 {
        let (ok, out, err) = lab.tech(&format!(
            "New-PSSession -ComputerName Srv1 -Credential $tech -Name G{i}"
        ));
        assert!(ok, "process {i}: {err}");
        assert!(out.contains(&format!("G{i}")), "{out}");
        assert!(err.contains(&format!("closed G{i} on Srv1")), "{err}");
    }
    assert!(lab.pypsrp_shells().is_empty(), "{:?}", lab.pypsrp_shells());
}

/// SIGTERM to a `baton shell` waiting on a running command: the session is
/// handed back Disconnected/None, and the next process receives what the
/// command printed afterwards.
#[test]
fn sigterm_hands_a_running_command_back() {
    signal_hands_a_running_command_back("TERM", 143);
}

/// SIGHUP (the terminal closed) does the same.
#[test]
fn sighup_hands_a_running_command_back() {
    signal_hands_a_running_command_back("HUP", 129);
}

fn signal_hands_a_running_command_back(signal: &str, exit_code: i32) {
    let lab = Lab::start(1.0);
    let (shell, stdin) = lab.shell(&[
        "$s = New-PSSession -ComputerName Srv1 -Credential $tech -Name Long",
        "Invoke-Command -Session $s { 'first'; Start-Sleep -Seconds 3; 'later' }",
    ]);
    shell.wait_for_text("first");
    shell.signal(signal);
    let (code, text) = shell.finish();
    drop(stdin);
    assert_eq!(code, Some(exit_code), "{text}");
    assert!(text.contains("disconnected Long on Srv1"), "{text}");
    assert!(!text.contains("later"), "{text}");
    lab.assert_handed_back("Long");
    let (ok, out, err) =
        lab.tech("Receive-PSSession -ComputerName Srv1 -Name Long -Credential $tech");
    assert!(ok, "{err}");
    assert!(out.contains("later"), "{out}");
}

/// A `baton shell` that holds a session it created.
fn holder(lab: &Lab, name: &str) -> (Watched, std::process::ChildStdin) {
    let (shell, stdin) = lab.shell(&[&format!(
        "New-PSSession -ComputerName Srv1 -Credential $tech -Name {name}"
    )]);
    shell.wait_for_text("Opened");
    (shell, stdin)
}

/// A holder killed with SIGKILL cannot hand anything back: its session is
/// Busy. Remove-PSSession refuses it and names -Force; -Force deletes it as
/// its owner, and pypsrp confirms it is gone.
#[test]
fn an_orphan_of_a_killed_process_is_rescued_with_force() {
    let lab = Lab::start(1.0);
    let (shell, stdin) = holder(&lab, "Orphan");
    shell.signal("KILL");
    let _ = shell.finish();
    drop(stdin);
    let (state, avail) = state_of(&lab.row("Orphan").expect("Orphan is listed"));
    assert_eq!((state.as_str(), avail.as_str()), ("Disconnected", "Busy"));

    let line = format!(
        "Get-PSSession -ComputerName Srv1 -Credential {} -Name Orphan | Remove-PSSession",
        TECH.0
    );
    let (ok, _, err) = lab.run(&line);
    assert!(!ok);
    assert!(err.contains("Busy") && err.contains("-Force"), "{err}");
    assert!(lab.row("Orphan").is_some(), "refused means kept");

    let (ok, _, err) = lab.run(&format!("{line} -Force"));
    assert!(ok, "{err}");
    assert!(lab.row("Orphan").is_none());
    let shells = lab.pypsrp_shells();
    assert!(
        shells.iter().all(|s| s["name"] != "Orphan"),
        "pypsrp still sees it: {shells:?}"
    );
}

/// With a fast lab clock, an orphan's holder misses the keep-alive window
/// (a minute, as on Windows) and the lab shows it Disconnected/None, ready
/// for the next person.
#[test]
fn the_lab_frees_an_orphan_after_its_keep_alive_window() {
    // Windows' minute, in 2 real seconds.
    let lab = Lab::start_with(30.0, 60_000);
    let (shell, stdin) = holder(&lab, "Lapsed");
    shell.signal("KILL");
    let _ = shell.finish();
    drop(stdin);
    wait_for(
        "the orphan to be Disconnected/None",
        Duration::from_secs(30),
        || {
            lab.row("Lapsed").is_some_and(|r| {
                let (s, a) = state_of(&r);
                s == "Disconnected" && a == "None"
            })
        },
    );
}

/// The session option's OutputBufferingMode reaches the server: at Create,
/// and at a Disconnect that names no mode. pypsrp reads it back.
#[test]
fn a_session_options_drop_reaches_the_server() {
    let lab = Lab::start(1.0);
    // A first session without the option opens this console's connection to
    // Srv1: the option must still reach the server for the second.
    let (ok, _, err) = lab.run(&format!(
        "$plain = New-PSSession -ComputerName Srv1 -Credential {0} -Name Plain; Disconnect-PSSession $plain; $o = New-PSSessionOption -OutputBufferingMode Drop; $s = New-PSSession -ComputerName Srv1 -Credential {0} -Name Chatty -SessionOption $o; Disconnect-PSSession $s; Invoke-Command -ComputerName Srv1 -Credential {0} -InDisconnectedSession -SessionName Job -SessionOption $o {{ 1..3 }}",
        TECH.0
    ));
    assert!(ok, "{err}");
    let shells = lab.pypsrp_shells();
    let mode = |name: &str| {
        let s = shells
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("pypsrp lists {name}: {shells:?}"));
        assert_eq!(s["state"], "Disconnected", "{s}");
        s["buffer_mode"].clone()
    };
    assert_eq!(mode("Plain"), "Block", "the configuration's default");
    assert_eq!(mode("Chatty"), "Drop");
    assert_eq!(
        mode("Job"),
        "Drop",
        "Invoke-Command -InDisconnectedSession -SessionOption"
    );
}

/// A session option's IdleTimeout below a minute is refused before anything
/// is sent, in PowerShell's words.
#[test]
fn an_idle_timeout_below_a_minute_is_refused_before_sending() {
    let lab = Lab::start(1.0);
    let (ok, _, err) = lab.tech("New-PSSession -ComputerName Srv1 -Credential $tech -SessionOption (New-PSSessionOption -IdleTimeout 30000)");
    assert!(!ok);
    assert!(
        err.contains("The specified IdleTimeout session option 30 (seconds) is not a valid period.  Specify an IdleTimeout value that is greater than or equal to the minimum allowed 60 (seconds)."),
        "{err}"
    );
    assert!(lab.pypsrp_shells().is_empty());
}

/// A one-shot Invoke-Command whose output breaks a limit fails, and its
/// temporary session is closed all the same.
#[test]
fn a_failed_one_shot_invoke_leaves_no_session() {
    let lab = Lab::start(1.0);
    let (ok, _, err) = lab.tech("Invoke-Command -ComputerName Srv1 -Credential $tech -SessionOption (New-PSSessionOption -MaximumReceivedObjectSize 100) { 'x' * 1000 }");
    assert!(!ok, "{err}");
    assert!(lab.pypsrp_shells().is_empty(), "{:?}", lab.pypsrp_shells());
}

/// Remove-PSSession -Confirm without a terminal to ask on: an error, and
/// the session stays.
#[test]
fn confirm_without_a_terminal_refuses() {
    let lab = Lab::start(1.0);
    let (ok, _, err) = lab.tech("$s = New-PSSession -ComputerName Srv1 -Credential $tech -Name Kept; Disconnect-PSSession $s; Remove-PSSession $s -Confirm");
    assert!(!ok);
    assert!(err.contains("no terminal to ask on"), "{err}");
    assert!(lab.row("Kept").is_some());
}

/// Runs `baton -c line` on a pseudo-terminal (Python's pty module), typing
/// `answer` at the -Confirm prompt; everything the terminal showed.
fn confirm_on_a_terminal(lab: &Lab, line: &str, answer: &str) -> String {
    const DRIVER: &str = r#"
import os, pty, select, sys
answer = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
seen = b""
answered = False
while True:
    ready, _, _ = select.select([fd], [], [], 60)
    if not ready:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
    if not answered and b'(default is "Y"): ' in seen:
        os.write(fd, answer.encode() + b"\r")
        answered = True
os.waitpid(pid, 0)
sys.stdout.write(seen.decode("utf-8", "replace"))
"#;
    let baton = lab.baton(&[]);
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        DRIVER,
        answer,
        env!("CARGO_BIN_EXE_baton"),
        "-c",
        line,
    ]);
    for (k, v) in baton.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().expect("python3 runs the terminal");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("PS> {line}   ({answer})\n{text}");
    text
}

/// Remove-PSSession -Confirm on a terminal asks in PowerShell's words: N
/// keeps the session, Y removes it.
#[test]
fn confirm_asks_on_a_terminal() {
    let lab = Lab::start(1.0);
    let (ok, _, err) = lab.tech("$s = New-PSSession -ComputerName Srv1 -Credential $tech -Name Asked; Disconnect-PSSession $s");
    assert!(ok, "{err}");
    let line = format!(
        "Get-PSSession -ComputerName Srv1 -Credential {} -Name Asked | Remove-PSSession -Confirm",
        TECH.0
    );
    let shown = confirm_on_a_terminal(&lab, &line, "N");
    assert!(
        shown.contains("Confirm")
            && shown.contains("Are you sure you want to perform this action?")
            && shown.contains("Performing the operation \"Remove\" on target \"Srv1\".")
            && shown.contains(
                "[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [?] Help (default is \"Y\"):"
            ),
        "{shown}"
    );
    assert!(lab.row("Asked").is_some(), "N keeps it");
    confirm_on_a_terminal(&lab, &line, "Y");
    assert!(lab.row("Asked").is_none(), "Y removes it");
}

/// A Reconnect carries the session option's mode too ([MS-PSRP]
/// §3.1.5.3.18): after `Disconnect-PSSession -OutputBufferingMode Block`,
/// reconnecting a session whose option says Drop sets Drop again, which
/// pypsrp reads while the session is still held.
#[test]
fn a_reconnect_carries_the_session_options_mode() {
    let lab = Lab::start(1.0);
    let (shell, mut stdin) = lab.shell(&[
        "$o = New-PSSessionOption -OutputBufferingMode Drop; $s = New-PSSession -ComputerName Srv1 -Credential $tech -Name Again -SessionOption $o",
        "Disconnect-PSSession $s -OutputBufferingMode Block",
        "'disconnected'",
    ]);
    shell.wait_for_text("disconnected");
    let mode = |lab: &Lab| {
        lab.pypsrp_shells()
            .iter()
            .find(|s| s["name"] == "Again")
            .map(|s| s["buffer_mode"].clone())
    };
    assert_eq!(mode(&lab), Some("Block".into()));
    type_lines(&mut stdin, &["Connect-PSSession $s; 'reconnected'"]);
    shell.wait_for_text("reconnected");
    assert_eq!(mode(&lab), Some("Drop".into()));
    drop(stdin);
    let (code, text) = shell.finish();
    assert_eq!(code, Some(0), "{text}");
}

/// `baton lab` writes its computers into the profile file as a group of its
/// own, found again by its id: a group the user called "Lab" (with their
/// own computer in it) survives any number of lab runs, in the file and in
/// its backup.
#[test]
fn the_lab_never_takes_the_users_own_lab_group() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = dir.path().join("profiles.toml");
    let config = dir.path().join("lab.toml");
    std::fs::write(&config, lab_toml(1.0, 60_000)).unwrap();
    let add = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "profile",
            "add",
            "BuildBox",
            "--group",
            "Lab",
            "--host",
            "buildbox.corp.example",
        ])
        .env("BATON_PROFILES", &profiles)
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    for run in 0..2 {
        let mut lab = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["lab", "--ephemeral-ports", "--config"])
            .arg(&config)
            .env("BATON_PROFILES", &profiles)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(lab.stdout.take().unwrap()).lines();
        for line in lines.by_ref() {
            if line.unwrap().starts_with("Press Ctrl+C") {
                break;
            }
        }
        // Keep reading: the lab says goodbye on its way out.
        std::thread::spawn(move || for _ in lines {});
        let _ = Command::new("kill")
            .args(["-TERM", &lab.id().to_string()])
            .status();
        let _ = lab.wait();
        let text = std::fs::read_to_string(&profiles).unwrap();
        assert!(
            text.contains("BuildBox") && text.contains("buildbox.corp.example"),
            "run {run}:\n{text}"
        );
        assert!(
            text.contains("Lab (baton lab)") && text.contains("Srv1"),
            "run {run}:\n{text}"
        );
        assert_eq!(
            text.matches("name = \"Lab (baton lab)\"").count(),
            1,
            "one lab group:\n{text}"
        );
    }
    let backup = std::fs::read_to_string(dir.path().join("profiles.toml.bak")).unwrap_or_default();
    assert!(
        backup.contains("BuildBox"),
        "the backup keeps it too:\n{backup}"
    );
}

/// SIGTERM while `baton` waits at its password prompt is not ignored: the
/// process ends at once (143), and the terminal it leaves echoes again.
#[test]
fn sigterm_at_a_password_prompt_ends_it_and_leaves_echo_on() {
    const DRIVER: &str = r#"
import os, pty, select, subprocess, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv("/bin/sh", ["sh", "-c", sys.argv[1] + " -c 'Get-PSSession -ComputerName SigtermAtPrompt -Credential Domain01\\User01'; echo EXIT=$?; stty -a"])
seen = b""
sent = False
end = time.time() + 20
while time.time() < end:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        seen += data
    if not sent and b"Password for" in seen:
        time.sleep(0.3)
        # baton itself, not the shell or this driver, whose command lines hold the same words
        subprocess.run(["pkill", "-TERM", "-f", "^[^ ]*baton -c Get-PSSession -ComputerName SigtermAtPrompt"])
        sent = True
# A baton that ignored the signal is still there: end it, and say so.
if subprocess.run(["pkill", "-KILL", "-f", "^[^ ]*baton -c Get-PSSession -ComputerName SigtermAtPrompt"]).returncode == 0:
    seen += b"\nSTILL RUNNING 20 s after SIGTERM\n"
os.waitpid(pid, 0)
sys.stdout.write(seen.decode("utf-8", "replace"))
"#;
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .args(["-c", DRIVER, env!("CARGO_BIN_EXE_baton")])
        .env("BATON_PROFILES", dir.path().join("profiles.toml"))
        .env("HOME", dir.path())
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .env_remove("BATON_PASSWORD")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("EXIT=143"), "{text}");
    assert!(
        text.contains("no password for Domain01\\User01 was taken"),
        "{text}"
    );
    let modes: Vec<&str> = text.split_whitespace().collect();
    assert!(
        modes.contains(&"echo") && !modes.contains(&"-echo"),
        "echo is off: {text}"
    );
}

/// Reconnect after an outage, across processes: a technician's `baton
/// shell` holds a session with a command running and is killed; the lab
/// frees it after its keep-alive window. The next Baton run (a worker
/// configured as the console's, reading the held list the killed process
/// wrote) says what was held, lists it Disconnected, reconnects it at a
/// ThrottleLimit and reads the output that piled up. Then the lab process
/// is stopped and started again: the session is gone with it, and listing
/// the computer forgets the record.
#[test]
fn the_next_run_reconnects_what_a_killed_process_held() {
    use baton::bridge::{
        Command as Cmd, ComputerRef, CredentialChoice, Event, SessionRef, WorkerHandle,
    };
    use baton::model::{Availability, ConnectionSpec, Credential, SessionState};
    // Windows' keep-alive minute in 2 real seconds.
    let mut lab = Lab::start_with(30.0, 60_000);
    let held_path = lab.dir.path().join("data/baton/held.json");
    let (shell, mut stdin) = lab.shell(&[
        "$s = New-PSSession -ComputerName Srv1 -Credential $tech -Name Outage",
        "$s",
    ]);
    shell.wait_for_text("Opened");
    // Four lab minutes: still running when the process dies.
    type_lines(
        &mut stdin,
        &["Invoke-Command -Session $s { Start-Sleep -Seconds 240; 'piled up' }"],
    );
    std::thread::sleep(Duration::from_millis(500));
    shell.signal("KILL");
    let _ = shell.finish();
    drop(stdin);
    let text = std::fs::read_to_string(&held_path).expect("the killed shell kept its held list");
    assert!(
        text.contains("Outage") && text.contains("Domain01"),
        "{text}"
    );
    assert!(!text.contains(TECH.1), "no secret in {text}");
    wait_for(
        "the lab to free the orphan",
        Duration::from_secs(30),
        || {
            lab.row("Outage")
                .is_some_and(|r| state_of(&r) == ("Disconnected".into(), "None".into()))
        },
    );

    // The next run: the console's worker, on the same held list.
    let srv1 = |port: u16| {
        ComputerRef::new(
            "Srv1",
            ConnectionSpec {
                connection_uri: Some(format!("http://127.0.0.1:{port}/wsman")),
                ..ConnectionSpec::for_computer("Srv1")
            },
            CredentialChoice::Once(Credential::new(TECH.0, TECH.1)),
        )
    };
    let (h, side) = WorkerHandle::pair(std::sync::Arc::new(|| {}));
    let config = baton::worker::WorkerConfig {
        held: Some(baton::store::held::HeldFile::new(&held_path)),
        ..baton::worker::WorkerConfig::default()
    };
    let worker = baton::worker::spawn(side, config).unwrap();
    let mut seen = Vec::new();
    let mut next = |what: &str, secs: u64| -> Event {
        let e = h
            .recv_timeout(Duration::from_secs(secs))
            .unwrap_or_else(|| panic!("no event while waiting for {what}; saw {seen:#?}"));
        seen.push(format!("{e:?}"));
        e
    };
    let Event::PreviouslyHeld(before) = next("what was held", 10) else {
        panic!("the first event says what was held before");
    };
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(
        (before[0].computer.as_str(), before[0].session.as_str()),
        ("Srv1", "Outage")
    );
    let id = before[0].instance_id;

    let op = h.next_op();
    h.send(Cmd::ListSessions {
        op,
        computers: vec![srv1(lab.port)],
        names: Vec::new(),
        throttle_limit: 0,
    });
    let listed = loop {
        match next("the list", 30) {
            Event::SessionsListed { sessions, .. } => break sessions,
            Event::OpFailed { error, .. } | Event::PartFailed { error, .. } => panic!("{error:?}"),
            _ => {}
        }
    };
    let s = listed
        .iter()
        .find(|s| s.instance_id == id)
        .expect("the server lists it");
    assert_eq!(
        (s.state, s.availability),
        (SessionState::Disconnected, Availability::None)
    );

    let session = SessionRef {
        computer: srv1(lab.port),
        instance_id: id,
        name: "Outage".into(),
    };
    let op = h.next_op();
    h.send(Cmd::ConnectMany {
        op,
        sessions: vec![session.clone()],
        throttle_limit: 4,
    });
    loop {
        match next("the reconnect", 60) {
            Event::OpFinished { op: o, message } if o == op => {
                assert!(message.contains("1 of 1"), "{message}");
                break;
            }
            Event::OpFailed { error, .. } | Event::PartFailed { error, .. } => panic!("{error:?}"),
            _ => {}
        }
    }
    let op = h.next_op();
    h.send(Cmd::Receive { op, session });
    let mut output = String::new();
    loop {
        match next("the output", 60) {
            Event::Output { items, .. } => output.push_str(&format!("{items:?}")),
            Event::OpFinished { op: o, .. } if o == op => break,
            Event::OpFailed { error, .. } => panic!("{error:?}"),
            _ => {}
        }
    }
    assert!(output.contains("piled up"), "{output}");

    // The lab goes away and comes back empty: the record goes at the next list.
    // (The first lab's folder, which holds the held list, stays.)
    let _ = lab.child.kill();
    let _ = lab.child.wait();
    let again = Lab::start_with(30.0, 60_000);
    let op = h.next_op();
    h.send(Cmd::ListSessions {
        op,
        computers: vec![srv1(again.port)],
        names: Vec::new(),
        throttle_limit: 0,
    });
    loop {
        if let Event::OpFinished { op: o, .. } | Event::OpFailed { op: o, .. } =
            next("the second list", 30)
            && o == op
        {
            break;
        }
    }
    let text = std::fs::read_to_string(&held_path).unwrap();
    assert!(
        !text.contains("Outage"),
        "forgotten once its server no longer lists it: {text}"
    );
    h.send(Cmd::Shutdown {
        release: baton::bridge::Release::HandBack,
    });
    // The worker serves until the console lets go of its end.
    drop(h);
    worker.join().expect("the worker ends");
}
