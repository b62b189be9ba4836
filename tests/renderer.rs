//! The console's real window under Xvfb, with each renderer: `baton --demo
//! --renderer glow` and `--renderer wgpu` each show the "Baton" window (as X
//! sees it, and as the console says which renderer and adapter it drew with),
//! then end on SIGTERM with exit code 0 and no session left held. And
//! `--renderer auto` where no OpenGL context can be made (libglvnd pointed at
//! no EGL and no GLX vendor) says so in one line and draws with wgpu.
//!
//! Needs Xvfb, xdotool and Mesa's software Vulkan driver (lavapipe), which
//! `installer/debian-deps.sh test` installs.

use std::io::Read as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An X server of its own, stopped when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Self {
        // Xvfb picks a free display itself and writes its number (-displayfd).
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-noreset",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is missing: run installer/debian-deps.sh test");
        let mut out = child.stdout.take().unwrap();
        let mut number = String::new();
        let mut byte = [0u8; 1];
        while out.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            number.push(char::from(byte[0]));
        }
        assert!(
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
            "Xvfb did not say which display it took: {number:?}"
        );
        Self {
            child,
            display: format!(":{number}"),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one start of the console showed.
struct Run {
    /// Standard error, whole.
    stderr: String,
    code: Option<i32>,
    /// The held list after the end (empty or absent: nothing left held).
    held: String,
}

/// Starts `baton --demo` with `args` and `env` on `x`, waits for the
/// visible "Baton" window, sends SIGTERM and waits for the end.
fn show_window(x: &Xvfb, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.arg("--demo")
        .args(args)
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("BATON_RENDERER")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("BATON_PROFILES", dir.path().join("profiles.toml"))
        .env("BATON_ACTIVITY", dir.path().join("activity.jsonl"))
        .env("BATON_HELD", dir.path().join("held.json"))
        .env("BATON_STARTUP_TIMES", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut seen = false;
    while Instant::now() < deadline && !seen {
        let found = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "^Baton$"])
            .env("DISPLAY", &x.display)
            .output()
            .expect("xdotool is missing: run installer/debian-deps.sh test");
        seen = found.status.success() && !found.stdout.is_empty();
        if !seen {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    if !seen {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "no visible Baton window for {args:?}; baton's output:\n{}",
            reader.join().unwrap()
        );
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_mins(1);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "baton {args:?} did not end within 60 s of SIGTERM; its output:\n{}",
                reader.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        stderr: reader.join().unwrap(),
        code: status.code(),
        held: std::fs::read_to_string(dir.path().join("held.json")).unwrap_or_default(),
    }
}

fn assert_clean_end(run: &Run, what: &str) {
    assert_eq!(
        run.code,
        Some(0),
        "{what}: exit code after SIGTERM; output:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked"),
        "{what}: a panic:\n{}",
        run.stderr
    );
    assert!(
        !run.held.contains("InstanceId") && !run.held.contains("instance_id"),
        "{what}: a session is still held: {}",
        run.held
    );
}

#[test]
fn glow_and_wgpu_each_show_the_window_and_end_on_sigterm() {
    let x = Xvfb::start();
    let glow = show_window(&x, &["--renderer", "glow"], &[]);
    assert!(
        glow.stderr.contains("renderer glow (OpenGL"),
        "glow did not draw:\n{}",
        glow.stderr
    );
    assert_clean_end(&glow, "--renderer glow");
    // BATON_RENDERER is what --renderer defaults to.
    let wgpu = show_window(&x, &[], &[("BATON_RENDERER", "wgpu")]);
    assert!(
        wgpu.stderr.contains("renderer wgpu ("),
        "wgpu did not draw:\n{}",
        wgpu.stderr
    );
    assert!(!wgpu.stderr.contains("OpenGL could not start"));
    assert_clean_end(&wgpu, "BATON_RENDERER=wgpu");
}

#[test]
fn auto_draws_with_wgpu_when_opengl_cannot_start() {
    let x = Xvfb::start();
    // Mesa finds no OpenGL driver (GLX and EGL alike): no OpenGL context can
    // be made, as on a computer without a GL driver. Vulkan (lavapipe) is
    // untouched.
    let run = show_window(&x, &["--renderer", "auto"], NO_GL);
    let said: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("OpenGL could not start"))
        .collect();
    assert_eq!(
        said.len(),
        1,
        "auto did not say once that OpenGL failed:\n{}",
        run.stderr
    );
    assert!(said[0].contains("drawing with wgpu instead"), "{}", said[0]);
    assert!(
        run.stderr.contains("renderer wgpu ("),
        "auto did not draw with wgpu:\n{}",
        run.stderr
    );
    assert_clean_end(&run, "auto without OpenGL");
}

/// Mesa's OpenGL drivers are looked for where there are none.
const NO_GL: &[(&str, &str)] = &[("LIBGL_DRIVERS_PATH", "/nonexistent/baton-test")];

#[test]
fn without_opengl_and_vulkan_one_error_names_both_causes() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("--demo")
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("BATON_RENDERER")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .envs(NO_GL.iter().copied())
        // The Vulkan loader finds no driver either.
        .env("VK_ICD_FILENAMES", "/nonexistent/baton-test.json")
        .env("VK_DRIVER_FILES", "/nonexistent/baton-test.json")
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("BATON_PROFILES", dir.path().join("profiles.toml"))
        .env("BATON_ACTIVITY", dir.path().join("activity.jsonl"))
        .env("BATON_HELD", dir.path().join("held.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("baton: the window could not open: "))
        .unwrap_or_else(|| panic!("no error line:\n{stderr}"));
    assert!(
        error.contains("glow: ") && error.contains("; wgpu: "),
        "{error}"
    );
    // The hint is this platform's.
    assert!(stderr.contains("mesa-vulkan-drivers"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unknown_renderer_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("--demo")
        .env("BATON_RENDERER", "vulkan")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("BATON_RENDERER=vulkan is not a renderer; use auto, glow or wgpu"),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["--renderer", "vulkan"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
