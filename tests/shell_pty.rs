//! `baton shell` as a person meets it: the built binary in a
//! pseudo-terminal, keys sent as a terminal sends them, and the screen read
//! back through a terminal emulator.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const UP: &str = "\x1b[A";
const CTRL_R: &str = "\x12";
const CTRL_U: &str = "\x15";
const TAB: &str = "\t";

/// A `baton` process on a pseudo-terminal of 30 × 120.
struct Terminal {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    /// Everything the process wrote, escape sequences included.
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Terminal {
    fn spawn(cmd: CommandBuilder) -> Terminal {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let child = pair.slave.spawn_command(cmd).expect("baton starts");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZero::new(30).unwrap(),
            std::num::NonZero::new(120).unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (screen.clone(), raw.clone());
        // The master is kept alive by the reader thread.
        let master = pair.master;
        std::thread::spawn(move || {
            let _master = master;
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal {
            child,
            writer,
            screen,
            raw,
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// The screen's row the cursor is on.
    fn cursor_line(&self) -> String {
        let p = self.screen.lock().unwrap();
        let (row, _) = p.screen().cursor_position();
        p.screen()
            .rows(0, 120)
            .nth(usize::from(row))
            .unwrap_or_default()
    }

    fn wait(&self, what: &str, mut cond: impl FnMut(&Terminal) -> bool) {
        let end = Instant::now() + Duration::from_secs(30);
        while !cond(self) {
            assert!(
                Instant::now() < end,
                "not within 30 s: {what}; the screen:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_text(&self, text: &str) {
        self.wait(&format!("{text:?} on the screen"), |t| {
            t.contents().contains(text)
        });
    }

    fn wait_cursor_line(&self, text: &str) {
        self.wait(&format!("{text:?} on the cursor's line"), |t| {
            t.cursor_line().contains(text)
        });
    }

    fn prompts(&self) -> usize {
        self.contents().matches("PS baton>").count()
    }

    /// Sends a line and waits for the next prompt.
    fn line(&mut self, text: &str) {
        let before = self.prompts();
        self.send(text);
        self.send("\r");
        self.wait("the next prompt", |t| t.prompts() > before);
    }

    fn exit(mut self) -> u32 {
        // The line editor drops what was typed before it took the terminal.
        std::thread::sleep(Duration::from_millis(200));
        self.send("exit\r");
        let end = Instant::now() + Duration::from_mins(1);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            assert!(
                Instant::now() < end,
                "baton shell did not exit; the screen:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn shell_command(dir: &std::path::Path) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_baton"));
    cmd.arg("shell");
    cmd.env_clear();
    cmd.env("TERM", "xterm");
    cmd.env("HOME", dir);
    cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd.env("BATON_PROFILES", dir.join("profiles.toml"));
    cmd.env("BATON_HISTORY", dir.join("data/history.txt"));
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    cmd
}

/// Up recalls the last line, Ctrl+R finds an older one, Tab completes
/// cmdlet and parameter names, an unfinished line goes on, and the history
/// is kept in a file of the user's own, without the lines marked secret.
#[test]
fn the_shell_edits_recalls_searches_and_completes_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Terminal::spawn(shell_command(dir.path()));
    t.wait_text("PS baton> ");
    t.line("$first = 'alpha'");
    t.line("$second = 'beta'");
    // A line starting with a space stays out of history.
    t.line(" $hidden = 'gamma'");

    t.send(UP);
    t.wait_cursor_line("PS baton> $second = 'beta'");
    t.send(CTRL_U);
    t.send(CTRL_R);
    t.send("first");
    t.wait_cursor_line("$first = 'alpha'");
    // Accept the found line and run it: the prompt comes back.
    let before = t.prompts();
    t.send("\r");
    t.wait("the next prompt", |t| t.prompts() > before);

    t.send("Get-PSS");
    t.send(TAB);
    t.wait_cursor_line("PS baton> Get-PSSession");
    t.send(" -Comp");
    t.send(TAB);
    t.wait_cursor_line("PS baton> Get-PSSession -ComputerName");
    t.send(" -Name x -Ver");
    t.send(TAB);
    t.wait_cursor_line("-ComputerName -Name x -Verbose");
    t.send(CTRL_U);
    t.send("$fi");
    t.send(TAB);
    t.wait_cursor_line("PS baton> $first");
    t.send(CTRL_U);

    // An unfinished line goes on where the parser says so; the whole
    // input then runs as one.
    t.send("$third = @(");
    t.send("\r");
    t.send("'x'");
    t.send("\r");
    t.line(")");
    t.line("$third");
    t.wait_text("\nx");
    assert!(
        !t.contents().contains("Missing"),
        "no parse error: {}",
        t.contents()
    );

    // Ctrl+C drops the line being typed, and a fresh prompt waits.
    t.send("Get-PSSession -ComputerName nowhere");
    t.send("\x03");
    t.wait("a fresh prompt", |t| {
        t.cursor_line().trim_end() == "PS baton>"
    });
    assert_eq!(t.exit(), 0);

    let history = dir.path().join("data/history.txt");
    let text = std::fs::read_to_string(&history).unwrap();
    assert!(text.contains("$first = 'alpha'"), "{text}");
    assert!(text.contains("$second = 'beta'"), "{text}");
    assert!(!text.contains("gamma"), "a marked line was kept: {text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&history).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the history file is the user's only");
    }

    // The next shell recalls the last shell's lines (its `exit`, then
    // the line before).
    let mut t = Terminal::spawn(shell_command(dir.path()));
    t.wait_text("PS baton> ");
    t.send(UP);
    t.wait_cursor_line("PS baton> exit");
    t.send(UP);
    t.wait_cursor_line("PS baton> $third");
    t.send(CTRL_U);
    assert_eq!(t.exit(), 0);
}

/// A remote command's progress shows as a bar on the terminal while it
/// runs, and is gone when the command ends; the output stays.
#[test]
fn remote_progress_is_a_bar_that_is_cleared_when_done() {
    let lab = crate::lifecycle::Lab::start(1.0);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = shell_command(dir.path());
    cmd.env("BATON_PROFILES", lab.profiles());
    cmd.env("BATON_PASSWORD", crate::lifecycle::TECH.1);
    let mut t = Terminal::spawn(cmd);
    t.wait_text("PS baton> ");
    t.line(
        "Invoke-Command -ComputerName Srv1 -Credential Domain01\\User01 { Write-Progress -Activity Patching -Status 'step 1' -PercentComplete 40; Start-Sleep -Milliseconds 1500; 'patched' }",
    );
    t.wait_text("patched");
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).into_owned();
    assert!(
        raw.contains("Patching [oooooooooooo                  ] 40% step 1"),
        "no bar was drawn: {raw:?}"
    );
    let screen = t.contents();
    assert!(!screen.contains("Patching ["), "the bar stayed: {screen}");
    assert!(screen.contains("\npatched"), "{screen}");
    assert_eq!(t.exit(), 0);
}
