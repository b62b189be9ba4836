//! The console around the shell: `run_cli`, the `baton shell` loop,
//! signals, and what is printed when sessions are handed back at exit.

use super::*;

/// The line the CLI prints on stderr for a session handed back at exit.
pub(super) fn release_line(
    name: &str,
    computer: &str,
    outcome: &crate::bridge::ReleaseOutcome,
) -> String {
    use crate::bridge::ReleaseOutcome;
    match outcome {
        ReleaseOutcome::Closed => {
            format!("baton: closed {name} on {computer} (created here, nothing running in it).\n")
        }
        ReleaseOutcome::Disconnected {
            idle_timeout_ms,
            output_buffering_mode,
            running,
        } => {
            let idle = idle_timeout_ms
                .map(|ms| format!(", IdleTimeout {} s", ms / 1000))
                .unwrap_or_default();
            let mode = if *output_buffering_mode == OutputBufferingMode::None {
                String::new()
            } else {
                format!(", OutputBufferingMode {output_buffering_mode}")
            };
            let what = if *running {
                "its command goes on; "
            } else {
                ""
            };
            format!(
                "baton: disconnected {name} on {computer}{idle}{mode}: {what}anyone with its credentials can connect to it (Connect-PSSession, Receive-PSSession).\n"
            )
        }
        ReleaseOutcome::Failed(e) => {
            let mut line = format!("baton: {}: {}.", e.summary, e.detail.trim_end_matches('.'));
            if let Some(a) = &e.advice {
                line.push(' ');
                line.push_str(a);
            }
            line.push('\n');
            line
        }
    }
}

/// Where the profiles are read from: `BATON_PROFILES` when set, else the
/// default profile file.
pub fn profiles_path(env_value: Option<std::ffi::OsString>) -> Option<PathBuf> {
    match env_value {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => store::profiles::ProfileStore::open_default()
            .ok()
            .map(|s| s.path().to_owned()),
    }
}

/// Loads the profile tree at `path`: a missing file is an empty tree; a
/// corrupt one is reported on `err` and gives an empty tree.
pub fn load_profiles(path: Option<PathBuf>, err: &mut dyn Write) -> ProfileTree {
    let Some(path) = path else {
        return ProfileTree::default();
    };
    match store::profiles::ProfileStore::new(&path).load() {
        Ok(l) => l.tree,
        Err(e) => {
            let _ = writeln!(
                err,
                "baton: the profile file cannot be used ({e}); continuing without saved computers."
            );
            ProfileTree::default()
        }
    }
}

/// The `baton` command line: runs `command` (`baton -c "<line>"`) and/or a
/// shell (`baton shell`: lines from stdin, with the prompt `PS baton> ` only
/// when stdin is a terminal, keeping variables across lines) against the
/// worker behind `handle`, resolving computer names through `tree` and
/// taking passwords from the `saved` credentials (entry id, user),
/// `BATON_PASSWORD` or a prompt. The executable's `main` composes these.
///
/// Returns the process exit code: 0 when every line succeeded, 1 otherwise,
/// 128 + the signal's number when a signal ended it. Whatever ends it, the
/// sessions held are handed back first ([`Shell::finish`]).
pub fn run_cli(
    handle: WorkerHandle,
    tree: ProfileTree,
    saved: Vec<(String, String)>,
    json: bool,
    command: Option<String>,
    shell: bool,
) -> i32 {
    let mut stderr = std::io::stderr();
    let mut sh = Shell::new(handle, tree, Passwords::Environment);
    sh.set_saved_credentials(saved);
    sh.json = json;
    sh.progress_mode = if json {
        ProgressMode::Json
    } else if std::io::stderr().is_terminal() {
        ProgressMode::Terminal
    } else {
        ProgressMode::Off
    };
    let signals = Signals::install();
    sh.set_interrupt_flag(signals.interrupt.clone());
    sh.set_ending_flag(signals.ending.clone());
    let mut stdout = std::io::stdout();
    let mut ok = true;
    if let Some(line) = command {
        ok = sh.run_line(&line, &mut stdout, &mut stderr);
    }
    if shell && !sh.is_ending() {
        ok &= run_shell(&mut sh, &signals, &mut stdout, &mut stderr);
    }
    // However the process ends (the line done, end of input, `exit`, a
    // signal), the sessions it holds are handed back before it goes.
    ok &= sh.finish(&mut stderr);
    // A password prompt given up by a signal leaves echo off: turn it on.
    restore_terminal();
    drop(sh);
    match signals.ending.load(Ordering::SeqCst) {
        0 => i32::from(!ok),
        code => code,
    }
}

/// The banner `baton shell` prints on a terminal.
pub const SHELL_BANNER: &str = "Baton shell: PowerShell remoting cmdlets against remote computers. Type exit (or Ctrl+D) to leave.\nOn exit, sessions created here with nothing running are closed; sessions you connected to, or with a command still running, are disconnected so the next person can connect to them.\n";

/// `baton shell`: reads lines (on a thread of its own, so a signal is
/// seen while it waits for input) and runs them until end of input, `exit`
/// or a signal that ends the process.
pub(super) fn run_shell(
    sh: &mut Shell,
    signals: &Signals,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> bool {
    let tty = std::io::stdin().is_terminal();
    if tty {
        let words = Arc::new(std::sync::Mutex::new(sh.known_words()));
        match editor::LineEditor::start(
            history_path(std::env::var_os("BATON_HISTORY")),
            words.clone(),
        ) {
            Ok(ed) => return run_edited(sh, &ed, &words, signals, stdout, stderr),
            Err(e) => {
                let _ = writeln!(
                    stderr,
                    "baton: line editing is not available ({e}); reading plain lines."
                );
            }
        }
    }
    // The reader reads one line when asked, so that while a line runs,
    // stdin is free for its prompts (Read-Host, -Confirm, passwords).
    let (want_tx, want_rx) = std::sync::mpsc::channel::<()>();
    let (tx, rx) = std::sync::mpsc::channel::<Option<String>>();
    let _ = std::thread::Builder::new()
        .name("baton-stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            while want_rx.recv().is_ok() {
                let mut line = String::new();
                let got = match stdin.lock().read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => Some(line),
                };
                let end = got.is_none();
                if tx.send(got).is_err() || end {
                    return;
                }
            }
        });
    if tty {
        let _ = stdout.write_all(SHELL_BANNER.as_bytes());
    }
    let mut ok = true;
    let mut pending = String::new();
    loop {
        if tty {
            let _ = write!(
                stdout,
                "{}",
                if pending.is_empty() {
                    "PS baton> "
                } else {
                    ">> "
                }
            );
            let _ = stdout.flush();
        }
        if want_tx.send(()).is_err() {
            return ok;
        }
        let line = loop {
            if sh.is_ending() {
                return ok;
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(l) => break l,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    // Ctrl+C at the prompt: the line being typed is dropped.
                    if signals.interrupt.swap(false, Ordering::SeqCst) && tty {
                        pending.clear();
                        let _ = write!(stdout, "\nPS baton> ");
                        let _ = stdout.flush();
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break None,
            }
        };
        let Some(line) = line else {
            // Input ended inside an unfinished line: say so, as the parser does.
            if !pending.trim().is_empty() {
                ok &= sh.run_line(&pending, stdout, stderr);
            }
            return ok;
        };
        let line = line.trim_end_matches(['\r', '\n']);
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(line);
        if pending.trim().is_empty() {
            pending.clear();
            continue;
        }
        if let Err(LineError::Parse(p)) =
            crate::cli::syntax::parse(&pending).map_err(LineError::Parse)
            && p.is_incomplete_input(&pending)
        {
            continue;
        }
        let text = std::mem::take(&mut pending);
        let t = text.trim();
        if t.eq_ignore_ascii_case("exit") || t.eq_ignore_ascii_case("quit") {
            return ok;
        }
        ok &= sh.run_line(&text, stdout, stderr);
    }
}

/// Where `baton shell` keeps its history: `BATON_HISTORY` when set (empty:
/// nowhere), else `history.txt` in Baton's data folder
/// (`~/.local/share/baton`, `%APPDATA%\baton\data`,
/// `~/Library/Application Support/baton`).
pub fn history_path(env_value: Option<std::ffi::OsString>) -> Option<PathBuf> {
    match env_value {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(PathBuf::from(p)),
        None => directories::ProjectDirs::from("", "", "baton")
            .map(|d| d.data_dir().join("history.txt")),
    }
}

/// `baton shell` on a terminal: the line editor reads each input (whole:
/// it asks for more lines itself while the parser says the input goes on).
fn run_edited(
    sh: &mut Shell,
    ed: &editor::LineEditor,
    words: &std::sync::Mutex<crate::cli::complete::KnownWords>,
    signals: &Signals,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> bool {
    let _ = stdout.write_all(SHELL_BANNER.as_bytes());
    let _ = stdout.flush();
    let mut ok = true;
    loop {
        if !ed.request("PS baton> ") {
            return ok;
        }
        let input = loop {
            if sh.is_ending() {
                return ok;
            }
            match ed.wait(Duration::from_millis(100)) {
                Ok(i) => break i,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return ok,
            }
        };
        // A Ctrl+C delivered as a signal while the terminal was cooked
        // belongs to the line being typed, not to the next command.
        signals.interrupt.store(false, Ordering::SeqCst);
        let text = match input {
            editor::Input::Line(l) => l,
            editor::Input::Interrupted => continue,
            editor::Input::End => return ok,
        };
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        if t.eq_ignore_ascii_case("exit") || t.eq_ignore_ascii_case("quit") {
            return ok;
        }
        ok &= sh.run_line(&text, stdout, stderr);
        *words
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = sh.known_words();
    }
}

/// The flags the CLI's signal handlers set: `interrupt` on Ctrl+C (the
/// action waited on is stopped), `ending` (to the exit code) on SIGTERM,
/// SIGHUP or a second Ctrl+C before the first was handled. Ending never
/// exits on the spot: the main thread hands the sessions back first.
pub(super) struct Signals {
    interrupt: Arc<AtomicBool>,
    ending: Arc<std::sync::atomic::AtomicI32>,
}

impl Signals {
    fn install() -> Signals {
        let interrupt = Arc::new(AtomicBool::new(false));
        let ending = Arc::new(std::sync::atomic::AtomicI32::new(0));
        let (i, e) = (interrupt.clone(), ending.clone());
        crate::cli::signals::watch(move |signal| match signal {
            // A second Ctrl+C before the first was handled ends the process.
            crate::cli::signals::Signal::Interrupt => {
                if i.swap(true, Ordering::SeqCst) {
                    e.store(signal.exit_code(), Ordering::SeqCst);
                }
            }
            _ => e.store(signal.exit_code(), Ordering::SeqCst),
        });
        Signals { interrupt, ending }
    }
}
