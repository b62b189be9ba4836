//! Start-up pieces shared by the executable's modes: where the profile and
//! activity files are, what the console shows on first run, and `baton lab`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::bridge::CredentialChoice;
use crate::lab::{self, LabConfig, Ports};
use crate::model::profile::{Computer, CredentialRef, Group, ProfileId, ProfileTree};
use crate::model::{ConnectionSpec, Credential};
use crate::store::profiles::{ProfileStore, StoreError};
use crate::ui::state::{ComputerNode, GroupNode};

/// The profile file: `BATON_PROFILES` when set, else the platform's
/// config directory (or beside the executable in portable mode).
pub fn profile_store() -> Result<ProfileStore, StoreError> {
    match std::env::var_os("BATON_PROFILES") {
        Some(p) if !p.is_empty() => Ok(ProfileStore::new(PathBuf::from(p))),
        _ => ProfileStore::open_default(),
    }
}

/// The console's audit trail: `BATON_ACTIVITY` when set, else
/// `activity.jsonl` in the platform's data directory
/// (`~/.local/share/baton`, `%APPDATA%\baton\data`,
/// `~/Library/Application Support/baton`). `None` when there is no such
/// directory (the Activity pane then lasts for the session only).
pub fn activity_log() -> Option<crate::store::activity::ActivityLog> {
    let path = match std::env::var_os("BATON_ACTIVITY") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => directories::ProjectDirs::from("", "", "baton")?
            .data_dir()
            .join("activity.jsonl"),
    };
    let operator = ["USER", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_default();
    Some(crate::store::activity::ActivityLog::new(path).with_operator(operator))
}

/// Where the console keeps the sessions it held or handed over:
/// `BATON_HELD` when set, else `held.json` in the platform's data directory.
pub fn held_file() -> Option<crate::store::held::HeldFile> {
    let path = match std::env::var_os("BATON_HELD") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => directories::ProjectDirs::from("", "", "baton")?
            .data_dir()
            .join("held.json"),
    };
    Some(crate::store::held::HeldFile::new(path))
}

/// Loads the profiles; a missing file is an empty tree. A file that does not
/// load is reported (with its line) and left untouched.
pub fn load_profiles() -> (ProfileTree, Option<String>) {
    match profile_store().and_then(|s| s.load()) {
        Ok(l) => (l.tree, None),
        Err(e) => (ProfileTree::default(), Some(e.to_string())),
    }
}

pub use crate::ui::state::inventory;

/// The first-run demo: the lab's computers, reached as the technician.
pub fn demo_inventory(running: &lab::RunningLab) -> Vec<GroupNode> {
    let tech = running
        .built
        .config
        .users
        .iter()
        .find(|u| u.role == "technician")
        .or(running.built.config.users.first());
    let credential = tech
        .map(|u| CredentialChoice::Once(Credential::new(u.name.clone(), u.password.clone())))
        .unwrap_or_default();
    vec![GroupNode {
        name: "Lab (demo)".into(),
        computers: running
            .endpoints
            .iter()
            .map(|(name, url)| ComputerNode {
                name: name.clone(),
                spec: ConnectionSpec {
                    connection_uri: Some(url.clone()),
                    ..ConnectionSpec::for_computer(name)
                },
                credential: credential.clone(),
                proxy_credential: None,
            })
            .collect(),
    }]
}

/// Puts the running lab's computers in the profile file as the lab's own
/// group ([`LAB_GROUP_ID`], named `Lab`, or `Lab (baton lab)` when the user
/// has a group called Lab): it replaces the lab's group of an earlier run,
/// keeps what the user added to it, and leaves everything else as it is.
pub fn write_lab_profiles(
    store: &ProfileStore,
    running: &lab::RunningLab,
) -> Result<(), StoreError> {
    store.update(|tree| {
        put_lab_group(tree, running);
        Ok(())
    })?;
    Ok(())
}

/// The lab's group in `tree`, replaced by the running lab's computers.
fn put_lab_group(tree: &mut ProfileTree, running: &lab::RunningLab) {
    // The lab's own group is known by its id, never by its name: a group
    // the user called "Lab" is theirs. What the user added to the lab's
    // group (a computer the lab does not emulate) stays in it.
    let lab_names: Vec<&str> = running.endpoints.iter().map(|(n, _)| n.as_str()).collect();
    let mut kept = Vec::new();
    if let Some(at) = tree.root.groups.iter().position(|g| g.id == LAB_GROUP_ID) {
        let old = tree.root.groups.remove(at);
        kept = old
            .computers
            .into_iter()
            .filter(|c| !lab_names.iter().any(|n| n.eq_ignore_ascii_case(&c.name)))
            .collect();
    }
    let taken = tree
        .root
        .groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case("Lab"));
    let mut group = Group::new(if taken { "Lab (baton lab)" } else { "Lab" });
    group.id = LAB_GROUP_ID;
    group.description = Some("Computers emulated by `baton lab` on loopback".into());
    let tech = running
        .built
        .config
        .users
        .iter()
        .find(|u| u.role == "technician");
    if let Some(t) = tech {
        group.settings.credential = Some(CredentialRef {
            user: t.name.clone(),
            entry: None,
        });
    }
    for (name, url) in &running.endpoints {
        let mut c = Computer::new(name);
        if let Ok(ep) = crate::transport::http::Endpoint::parse(url) {
            c.settings.host = Some(ep.host.clone());
            c.settings.port = Some(ep.port);
        }
        group.computers.push(c);
    }
    group.computers.extend(kept);
    tree.root.groups.push(group);
}

/// The id of the profile group `baton lab` writes (and rewrites): the same
/// in every profile file, so the lab finds its own group and no other.
pub const LAB_GROUP_ID: ProfileId = ProfileId(uuid::Uuid::from_u128(
    0x6261_746f_6e2d_4c61_6200_0000_0000_0001,
));

/// `baton lab`: runs until Ctrl+C or SIGTERM.
pub async fn run_lab(
    config: LabConfig,
    ports: Ports,
    profiles: Option<ProfileStore>,
) -> Result<(), String> {
    let running = lab::start(&config, ports).await?;
    println!(
        "Baton lab endpoint: {} emulated Windows computer(s)",
        running.endpoints.len()
    );
    for (name, url) in &running.endpoints {
        println!("{name} {url}");
    }
    for n in &running.notices {
        eprintln!("baton lab: {n}");
    }
    println!("Users (lab accounts only):");
    for u in &config.users {
        let role = if u.role.is_empty() {
            String::new()
        } else {
            format!("  ({})", u.role)
        };
        println!("  {} / {}{role}", u.name, u.password);
    }
    println!(
        "Authentication: Negotiate/NTLM with message encryption{}{}",
        if config.basic { ", Basic" } else { "" },
        if config.allow_unencrypted {
            ", unencrypted allowed"
        } else {
            ""
        }
    );
    if let Some(store) = profiles {
        match write_lab_profiles(&store, &running) {
            Ok(()) => println!("Profiles: group Lab written to {}", store.path().display()),
            Err(e) => eprintln!("The lab's profiles were not written: {e}"),
        }
    }
    println!("Press Ctrl+C to stop.");
    wait_for_stop().await;
    running.stop().await;
    println!("Lab stopped.");
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term = if let Ok(t) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            t
        } else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `BATON_STARTUP_TIMES=1`: the console prints, on standard error, when each
/// step of its start-up ended (`baton startup: <step> <ms>`), counted from
/// `BATON_STARTUP_T0` (the Unix time in nanoseconds at which a script started
/// the process) or else from `main`. `tests/bench/startup.sh` reads them.
#[derive(Clone, Copy, Debug)]
pub struct StartupTimes {
    on: bool,
    base: Instant,
    /// How long before `base` the count starts.
    before: Duration,
}

impl StartupTimes {
    /// Reads the environment; call it first thing in `main`.
    pub fn from_env() -> Self {
        let base = Instant::now();
        let on = std::env::var_os("BATON_STARTUP_TIMES").is_some_and(|v| !v.is_empty() && v != "0");
        let before = std::env::var("BATON_STARTUP_T0")
            .ok()
            .and_then(|t| t.trim().parse::<u128>().ok())
            .and_then(|t0| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?
                    .as_nanos();
                u64::try_from(now.checked_sub(t0)?)
                    .ok()
                    .map(Duration::from_nanos)
            })
            .unwrap_or_default();
        Self { on, base, before }
    }

    /// Prints `step` with the time since the start, when asked for.
    pub fn mark(&self, step: &str) {
        if self.on {
            let ms = (self.before + self.base.elapsed()).as_secs_f64() * 1000.0;
            eprintln!("baton startup: {step:<24} {ms:9.1} ms");
        }
    }

    /// Prints a fact about the start (the renderer and adapter), when asked for.
    pub fn note(&self, what: &str) {
        if self.on {
            eprintln!("baton startup: {what}");
        }
    }
}

/// How the console draws its window (`baton --renderer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RendererChoice {
    /// glow (OpenGL 2 or later), and wgpu when no OpenGL context can be made.
    Auto,
    /// OpenGL only.
    Glow,
    /// wgpu only: Vulkan or OpenGL ES on Linux, Direct3D 12 on Windows
    /// (with its WARP software adapter when there is no GPU driver), Metal on macOS.
    Wgpu,
}

impl RendererChoice {
    /// `auto`, `glow` or `wgpu` (as `--renderer` and `BATON_RENDERER` take them).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "glow" | "gl" | "opengl" => Some(Self::Glow),
            "wgpu" => Some(Self::Wgpu),
            _ => None,
        }
    }

    fn attempts(self) -> &'static [eframe::Renderer] {
        match self {
            Self::Auto => &[eframe::Renderer::Glow, eframe::Renderer::Wgpu],
            Self::Glow => &[eframe::Renderer::Glow],
            Self::Wgpu => &[eframe::Renderer::Wgpu],
        }
    }
}

/// What the console's window is built from, made when the window and its
/// drawing context exist (so what it needs can be prepared meanwhile).
pub struct ConsoleParts {
    pub handle: crate::bridge::WorkerHandle,
    pub inventory: Vec<GroupNode>,
    pub options: crate::ui::RunOptions,
}

/// Makes the [`ConsoleParts`]; it runs once, when the first renderer that
/// works has its context.
pub type PartsMaker = Box<dyn FnOnce() -> Result<ConsoleParts, String>>;

/// An OpenGL context could not be made (the error of the glow attempt).
fn is_gl_failure(e: &eframe::Error) -> bool {
    matches!(
        e,
        eframe::Error::Glutin(_) | eframe::Error::NoGlutinConfigs(..) | eframe::Error::OpenGL(_)
    )
}

/// What to do when no renderer could start, for this platform.
pub fn no_window_hint() -> &'static str {
    if cfg!(windows) {
        "Baton draws with OpenGL 2 or Direct3D 12 (Windows 10 or Windows Server 2016 and later; over Remote Desktop and in a virtual machine without a GPU driver, Direct3D 12's WARP software adapter). Install the display driver of the GPU or of the virtual machine, or use the command line: baton -c \"Get-PSSession -ComputerName Srv1\""
    } else if cfg!(target_os = "macos") {
        "Baton draws with OpenGL or Metal, which every supported macOS has; use the command line meanwhile: baton -c \"Get-PSSession -ComputerName Srv1\""
    } else {
        "Install Mesa's OpenGL drivers (Debian and Ubuntu: libegl1 libegl-mesa0 libgl1-mesa-dri, which installer/debian-deps.sh run installs) or a Vulkan driver (mesa-vulkan-drivers), check DISPLAY or WAYLAND_DISPLAY, or use the command line: baton -c \"Get-PSSession -ComputerName Srv1\""
    }
}

/// Opens the console window ("Baton", app id `baton`) with the renderer
/// `choice` asks for and runs until it closes. `Auto` starts glow and, when
/// no OpenGL context can be made, says so in one line and starts wgpu.
/// The error names every renderer's cause.
pub fn run_console(
    make: PartsMaker,
    egui_ctx: egui::Context,
    choice: RendererChoice,
    times: StartupTimes,
) -> Result<(), String> {
    let slot = std::rc::Rc::new(std::cell::RefCell::new(Some(make)));
    let mut failures = Vec::new();
    let attempts = choice.attempts();
    for (i, &renderer) in attempts.iter().enumerate() {
        let maker = std::rc::Rc::clone(&slot);
        let result = eframe::run_native_ext(
            "baton",
            native_options(renderer),
            Some(egui_ctx.clone()),
            Box::new(move |cc| {
                times.mark("window and context");
                times.note(&describe_renderer(cc));
                let make = maker
                    .borrow_mut()
                    .take()
                    .ok_or("the console was already built")?;
                let parts = make()?;
                times.mark("console built");
                Ok(Box::new(FirstFrame {
                    app: console_app(parts),
                    times,
                    drawn: false,
                }))
            }),
        );
        let Err(e) = result else {
            return Ok(());
        };
        let untouched = slot.borrow().is_some();
        let next = attempts.get(i + 1);
        failures.push(format!("{renderer}: {e}"));
        match next {
            Some(next) if untouched && is_gl_failure(&e) => {
                eprintln!("baton: OpenGL could not start ({e}); drawing with {next} instead");
            }
            _ => break,
        }
    }
    Err(failures.join("; "))
}

fn native_options(renderer: eframe::Renderer) -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Baton")
        .with_app_id("baton")
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([800.0, 500.0]);
    if let Some(icon) = crate::ui::window_icon() {
        viewport = viewport.with_icon(std::sync::Arc::new(icon));
    }
    eframe::NativeOptions {
        viewport,
        renderer,
        ..eframe::NativeOptions::default()
    }
}

/// `glow (OpenGL 4.5, Mesa 22.3.6)` or `wgpu (Vulkan, llvmpipe …, Cpu)`.
fn describe_renderer(cc: &eframe::CreationContext<'_>) -> String {
    use eframe::glow::HasContext as _;
    if let Some(state) = &cc.wgpu_render_state {
        let info = state.adapter.get_info();
        let backend: wgpu::Backend = info.backend;
        format!(
            "renderer wgpu ({backend:?}, {}, {:?})",
            info.name, info.device_type
        )
    } else if let Some(gl) = &cc.gl {
        let v = gl.version();
        format!(
            "renderer glow (OpenGL{} {}.{}, {})",
            if v.is_embedded { " ES" } else { "" },
            v.major,
            v.minor,
            v.vendor_info
        )
    } else {
        "renderer unknown".to_owned()
    }
}

/// The console, built from its parts.
fn console_app(parts: ConsoleParts) -> crate::ui::BatonApp {
    let ConsoleParts {
        handle,
        inventory,
        options,
    } = parts;
    let mut app = crate::ui::BatonApp::new(handle, inventory, Box::new(chrono::Utc::now))
        .with_saved_credentials(options.saved_credentials);
    if options.keyring {
        app = app.with_keyring();
    }
    app = app.with_lab_accounts(options.lab_accounts);
    if let Some(history) = options.activity {
        app = app.with_activity_history(history);
    }
    if let Some((store, tree)) = options.profiles {
        app = app.with_profiles(store, tree);
    }
    if let Some(t) = options.terminate {
        app = app.with_terminate_flag(t);
    }
    app
}

/// The console, with the end of its first frame marked for [`StartupTimes`].
struct FirstFrame {
    app: crate::ui::BatonApp,
    times: StartupTimes,
    drawn: bool,
}

impl eframe::App for FirstFrame {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        eframe::App::logic(&mut self.app, ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        if !self.drawn {
            self.times.mark("first frame begins");
        }
        eframe::App::ui(&mut self.app, ui, frame);
        if !self.drawn {
            self.drawn = true;
            self.times.mark("first frame laid out");
        }
    }

    fn on_exit(&mut self, gl: Option<&eframe::glow::Context>) {
        eframe::App::on_exit(&mut self.app, gl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::{Computer, Group};

    /// The console's computers carry the profile's credential and proxy
    /// credential (keyring entries) to the worker.
    #[test]
    fn inventory_passes_the_profile_credentials_to_the_worker() {
        let mut lab = Group::new("Lab");
        lab.settings.credential = Some(CredentialRef {
            user: "Domain01\\User01".into(),
            entry: Some("e1".into()),
        });
        lab.settings.proxy_credential = Some(CredentialRef {
            user: "proxyuser".into(),
            entry: Some("p1".into()),
        });
        lab.computers.push(Computer::new("Srv1"));
        let mut other = Computer::new("Srv2");
        other.settings.proxy_credential = Some(CredentialRef {
            user: "nobody".into(),
            entry: None,
        });
        lab.computers.push(other);
        let mut tree = ProfileTree::default();
        tree.root.groups.push(lab);
        let groups = inventory(&tree);
        let lab = groups.iter().find(|g| g.name == "Lab").expect("group Lab");
        let srv1 = lab.computers.iter().find(|c| c.name == "Srv1").unwrap();
        let r = srv1.computer_ref();
        assert_eq!(
            r.credential,
            CredentialChoice::Saved {
                entry_id: "e1".into(),
                user: "Domain01\\User01".into()
            }
        );
        assert_eq!(
            r.proxy_credential,
            Some(CredentialChoice::Saved {
                entry_id: "p1".into(),
                user: "proxyuser".into()
            })
        );
        let srv2 = lab.computers.iter().find(|c| c.name == "Srv2").unwrap();
        assert_eq!(srv2.computer_ref().proxy_credential, None);
    }
}
