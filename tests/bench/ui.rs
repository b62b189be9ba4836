//! Console benchmarks: prints figures, asserts nothing about speed.
//!
//! `cargo bench --bench ui` prints, headless (egui_kittest, no GPU):
//! - the frame time (median, p99) of the tree view and of the Fleet table with
//!   10,000 sessions on 1,000 computers, while a thread pushes
//!   `SessionChanged` and `Output` events through the fake worker;
//! - the frame time of the Output pane while one command's output arrives:
//!   1,000,000 lines (1,000 per event), then 1 GB in 100 strings of 10 MB,
//!   with the process's peak resident memory during each (`VmHWM`, reset
//!   through `/proc/self/clear_refs` before each, Linux only);
//! - the time from process start to the first frame of `BatonApp`
//!   (construction and first frame), measured in a child process this bench
//!   starts, so it includes exec, loading and egui's font setup.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use baton::bridge::{Event, FakeWorker, WorkerHandle};
use baton::model::{Availability, OutputItem, SessionInfo, SessionState};
use baton::ui::{BatonApp, ComputerNode, GroupNode};
use chrono::Utc;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use uuid::Uuid;

const COMPUTERS: usize = 1_000;
const SESSIONS_PER_COMPUTER: usize = 10;
const GROUPS: usize = 10;
const FRAMES: usize = 400;
const STARTUP_RUNS: usize = 15;
const CHILD_FLAG: &str = "--startup-child";

fn computer_name(i: usize) -> String {
    format!("PC{i:04}")
}

fn inventory(computers: usize) -> Vec<GroupNode> {
    let per_group = computers.div_ceil(GROUPS).max(1);
    (0..computers)
        .collect::<Vec<_>>()
        .chunks(per_group)
        .enumerate()
        .map(|(g, chunk)| GroupNode {
            name: format!("Site{g:02}"),
            computers: chunk
                .iter()
                .map(|&i| ComputerNode::new(&computer_name(i)))
                .collect(),
        })
        .collect()
}

fn demo_inventory() -> Vec<GroupNode> {
    vec![GroupNode {
        name: "Lab (demo)".into(),
        computers: ["Srv1", "Srv2", "Srv30"]
            .iter()
            .map(|n| ComputerNode::new(n))
            .collect(),
    }]
}

fn session(computer: &str, id: u32, j: usize) -> SessionInfo {
    let (state, availability) = match j % 4 {
        0 => (SessionState::Opened, Availability::Available),
        1 => (SessionState::Disconnected, Availability::None),
        2 => (SessionState::Disconnected, Availability::Busy),
        _ => (SessionState::Broken, Availability::None),
    };
    let now = Utc::now();
    let disconnected = state == SessionState::Disconnected;
    let mut s = SessionInfo::new(computer, &format!("Job{j}"))
        .with_id(id)
        .with_state(state, availability)
        .with_owner("Domain01\\User01");
    s.disconnected_on = disconnected.then(|| now - chrono::Duration::minutes(10));
    s.expires_on = disconnected.then(|| now + chrono::Duration::hours(2));
    s
}

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pushes `SessionChanged` and `Output` events until `stop`: every
/// millisecond one session changes state and one session (every fourth time
/// the selected one) receives three output lines. Counts what it pushed.
fn pusher(
    worker: FakeWorker,
    sessions: Vec<SessionInfo>,
    selected: usize,
    stop: Arc<AtomicBool>,
    pushed: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let commands: Vec<Uuid> = sessions.iter().map(|_| Uuid::new_v4()).collect();
        let mut line = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let i = rng.below(sessions.len());
            let mut s = sessions[i].clone();
            let (state, availability) = match rng.below(3) {
                0 => (SessionState::Opened, Availability::Available),
                1 => (SessionState::Disconnected, Availability::None),
                _ => (SessionState::Disconnected, Availability::Busy),
            };
            s.state = state;
            s.availability = availability;
            worker.push(Event::SessionChanged(s));
            let k = if rng.below(4) == 0 {
                selected
            } else {
                rng.below(sessions.len())
            };
            let items = (0..3)
                .map(|_| {
                    line += 1;
                    OutputItem::Output(baton::model::RemoteObject::text(format!(
                        "Patch {line}: KB{line:07} installed"
                    )))
                })
                .collect();
            worker.push(Event::Output {
                computer: sessions[k].computer_name.clone(),
                instance_id: sessions[k].instance_id,
                command_id: commands[k],
                items,
            });
            pushed.fetch_add(2, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(1));
        }
    })
}

/// Time spent in the last `BatonApp::frame` (drain + layout), in nanoseconds.
static LAST_APP_FRAME_NS: AtomicU64 = AtomicU64::new(0);

fn timed_frame(ui: &mut egui::Ui, app: &mut BatonApp) {
    let start = Instant::now();
    app.frame(ui);
    LAST_APP_FRAME_NS.store(
        u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

struct Samples {
    app: Vec<Duration>,
    step: Vec<Duration>,
    tessellate: Vec<Duration>,
}

fn measure(h: &mut Harness<'static, BatonApp>, frames: usize) -> Samples {
    let mut s = Samples {
        app: Vec::with_capacity(frames),
        step: Vec::with_capacity(frames),
        tessellate: Vec::with_capacity(frames),
    };
    for _ in 0..frames {
        let start = Instant::now();
        h.step();
        s.step.push(start.elapsed());
        s.app.push(Duration::from_nanos(
            LAST_APP_FRAME_NS.load(Ordering::Relaxed),
        ));
        let shapes = h.output().shapes.clone();
        let ppp = h.output().pixels_per_point;
        let start = Instant::now();
        let prims = h.ctx.tessellate(shapes, ppp);
        s.tessellate.push(start.elapsed());
        std::hint::black_box(prims);
    }
    s
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort_unstable();
    println!(
        "  {what:<44} median {:7.2} ms   p99 {:7.2} ms   max {:7.2} ms",
        ms(percentile(samples, 0.5)),
        ms(percentile(samples, 0.99)),
        ms(percentile(samples, 1.0)),
    );
}

fn report_view(name: &str, mut s: Samples, events: u64, elapsed: Duration) {
    println!(
        "{name}: {} frames, {events} events pushed meanwhile ({:.0} events/s)",
        s.step.len(),
        events as f64 / elapsed.as_secs_f64()
    );
    report("BatonApp::frame (drain events + layout)", &mut s.app);
    report("whole egui pass (+ kittest AccessKit)", &mut s.step);
    report("tessellation", &mut s.tessellate);
}

fn frames_under_load() {
    let (handle, worker) = WorkerHandle::fake();
    let groups = inventory(COMPUTERS);
    let mut sessions = Vec::with_capacity(COMPUTERS * SESSIONS_PER_COMPUTER);
    let mut id = 1u32;
    for c in 0..COMPUTERS {
        let name = computer_name(c);
        let listed: Vec<SessionInfo> = (0..SESSIONS_PER_COMPUTER)
            .map(|j| {
                id += 1;
                session(&name, id, j)
            })
            .collect();
        sessions.extend(listed.iter().cloned());
        worker.push(Event::SessionsListed {
            op: 1,
            computer: name,
            sessions: listed,
        });
    }
    let app = BatonApp::new(handle, groups, Box::new(Utc::now));
    let fill = Instant::now();
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(timed_frame, app);
    let listed = h.state().state.session_count();
    println!(
        "tree filled with {listed} sessions on {} computers in {:.1} ms (first frames included)",
        h.state().state.all_computers().len(),
        ms(fill.elapsed())
    );
    assert_eq!(
        listed,
        COMPUTERS * SESSIONS_PER_COMPUTER,
        "every session listed"
    );

    // Select the first session and show its output, as a technician would.
    let selected = 0;
    let label = format!(
        "Session {} on {}",
        sessions[selected].name, sessions[selected].computer_name
    );
    h.get_by_label(&label).click();
    h.run();
    h.get_by_label("Output").click();
    h.run();

    let stop = Arc::new(AtomicBool::new(false));
    let pushed = Arc::new(AtomicU64::new(0));
    let thread = pusher(
        worker,
        sessions,
        selected,
        Arc::clone(&stop),
        Arc::clone(&pushed),
    );
    // Warm up (caches, galleys), then measure.
    measure(&mut h, 20);
    let before = pushed.load(Ordering::Relaxed);
    let start = Instant::now();
    let tree = measure(&mut h, FRAMES);
    let tree_time = start.elapsed();
    let tree_events = pushed.load(Ordering::Relaxed) - before;
    report_view(
        "tree view (Output tab of a selected session)",
        tree,
        tree_events,
        tree_time,
    );

    h.get_by_label("Fleet").click();
    h.step();
    measure(&mut h, 20);
    let before = pushed.load(Ordering::Relaxed);
    let start = Instant::now();
    let fleet = measure(&mut h, FRAMES);
    let fleet_time = start.elapsed();
    let fleet_events = pushed.load(Ordering::Relaxed) - before;
    report_view(
        "fleet table (every session)",
        fleet,
        fleet_events,
        fleet_time,
    );

    stop.store(true, Ordering::Relaxed);
    if thread.join().is_err() {
        eprintln!("the event thread panicked");
    }
}

/// Resident memory of this process (`VmRSS`) and its peak (`VmHWM`), in MiB.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak resident memory to the current one (Linux: `5` to
/// `/proc/self/clear_refs`), so the next `VmHWM` is this phase's peak.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One command of the selected session receives `events` events of
/// `per_event` items made by `make`, as fast as the UI drains them (the
/// pusher waits while more than `ahead` events are queued), while frames
/// are measured. Stops measuring after `limit` when the pane cannot keep up.
fn output_flood(
    what: &str,
    events: usize,
    per_event: usize,
    make: Arc<dyn Fn(usize) -> String + Send + Sync>,
    limit: Duration,
) {
    let (handle, worker) = WorkerHandle::fake();
    let s = session("Srv1", 2, 0);
    worker.push(Event::SessionsListed {
        op: 1,
        computer: "Srv1".into(),
        sessions: vec![s.clone()],
    });
    let app = BatonApp::new(handle, demo_inventory(), Box::new(Utc::now));
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(timed_frame, app);
    h.get_by_label(&format!("Session {} on Srv1", s.name))
        .click();
    h.run();
    h.get_by_label("Output").click();
    h.run();
    reset_peak();
    let (rss_before, _) = rss_mib();
    let done = Arc::new(AtomicBool::new(false));
    let pushed = Arc::new(AtomicU64::new(0));
    let drained = Arc::new(AtomicU64::new(0));
    let thread = {
        let done = Arc::clone(&done);
        let pushed = Arc::clone(&pushed);
        let drained = Arc::clone(&drained);
        let command_id = Uuid::new_v4();
        let instance_id = s.instance_id;
        std::thread::spawn(move || {
            let mut n = 0usize;
            for e in 0..events {
                // Keep at most a few events queued: the UI drains them.
                // And wait, as the worker does, while the output in flight
                // is at its bound (the console holds it back while its
                // spill file is behind).
                while (pushed.load(Ordering::Relaxed) > drained.load(Ordering::Relaxed) + 4
                    || !worker.output_room())
                    && !done.load(Ordering::Relaxed)
                {
                    std::thread::sleep(Duration::from_micros(200));
                }
                if done.load(Ordering::Relaxed) {
                    break;
                }
                let items = (0..per_event)
                    .map(|_| {
                        n += 1;
                        OutputItem::Output(baton::model::RemoteObject::text(make(n)))
                    })
                    .collect();
                worker.push(Event::Output {
                    computer: "Srv1".into(),
                    instance_id,
                    command_id,
                    items,
                });
                pushed.store(e as u64 + 1, Ordering::Relaxed);
            }
            done.store(true, Ordering::Relaxed);
        })
    };
    let start = Instant::now();
    let mut s = Samples {
        app: Vec::new(),
        step: Vec::new(),
        tessellate: Vec::new(),
    };
    let mut cut = false;
    while !done.load(Ordering::Relaxed) {
        let part = measure(&mut h, 1);
        s.app.extend(part.app);
        s.step.extend(part.step);
        s.tessellate.extend(part.tessellate);
        // Every frame drains what is queued: what was pushed before it is in.
        drained.store(pushed.load(Ordering::Relaxed), Ordering::Relaxed);
        if start.elapsed() > limit {
            cut = true;
            done.store(true, Ordering::Relaxed);
        }
    }
    let elapsed = start.elapsed();
    if thread.join().is_err() {
        eprintln!("the output thread panicked");
    }
    h.step();
    let (rss_after, peak) = rss_mib();
    let got = pushed.load(Ordering::Relaxed) as usize * per_event;
    println!(
        "output pane, {what}: {got} items in {:.1} s over {} frames{}; RSS {rss_before:.0} -> {rss_after:.0} MiB, peak {peak:.0} MiB",
        elapsed.as_secs_f64(),
        s.step.len(),
        if cut { " (CUT at the time limit)" } else { "" },
    );
    report("BatonApp::frame (drain events + layout)", &mut s.app);
    report("whole egui pass (+ kittest AccessKit)", &mut s.step);
    report("tessellation", &mut s.tessellate);
}

fn output_floods() {
    output_flood(
        "1,000,000 lines",
        1_000,
        1_000,
        Arc::new(|n| format!("Line {n}: KB{n:07} installed on PC{:04}", n % 1000)),
        Duration::from_mins(2),
    );
    let ten_mb = Arc::new("x".repeat(10_000_000));
    output_flood(
        "1 GB in 10 MB strings",
        100,
        1,
        Arc::new(move |_| ten_mb.as_str().to_owned()),
        Duration::from_mins(2),
    );
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// In the child: build the app and run its first frame, headless, then print
/// the time since the parent started this process (nanoseconds).
fn startup_child(spawned_at_ns: u128, computers: usize) {
    let main_entry = Instant::now();
    let (handle, _worker) = WorkerHandle::fake();
    let groups = if computers == 3 {
        demo_inventory()
    } else {
        inventory(computers)
    };
    let mut app = BatonApp::new(handle, groups, Box::new(Utc::now));
    let ctx = egui::Context::default();
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        ..egui::RawInput::default()
    };
    let output = ctx.run_ui(input, |ui| app.frame(ui));
    let prims = ctx.tessellate(output.shapes, output.pixels_per_point);
    std::hint::black_box(prims);
    let in_process = main_entry.elapsed().as_nanos();
    println!("{} {}", now_ns().saturating_sub(spawned_at_ns), in_process);
}

fn startup(computers: usize) {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("startup: cannot find this benchmark's executable: {e}");
            return;
        }
    };
    let mut total = Vec::new();
    let mut in_process = Vec::new();
    for _ in 0..STARTUP_RUNS {
        let spawned = now_ns();
        let out = std::process::Command::new(&exe)
            .arg(CHILD_FLAG)
            .arg(spawned.to_string())
            .arg(computers.to_string())
            .output();
        let out = match out {
            Ok(o) if o.status.success() => o,
            Ok(o) => {
                eprintln!(
                    "startup: the child failed ({}): {}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr)
                );
                return;
            }
            Err(e) => {
                eprintln!("startup: cannot start the child: {e}");
                return;
            }
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let mut fields = text.split_whitespace().map(str::parse::<u64>);
        if let (Some(Ok(t)), Some(Ok(p))) = (fields.next(), fields.next()) {
            total.push(Duration::from_nanos(t));
            in_process.push(Duration::from_nanos(p));
        } else {
            eprintln!("startup: unexpected child output {text:?}");
            return;
        }
    }
    println!("start-up with {computers} computers, {STARTUP_RUNS} runs:");
    report("process start → first frame drawn (headless)", &mut total);
    report("  of which BatonApp::new + first frame", &mut in_process);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == CHILD_FLAG) {
        let spawned = args.get(i + 1).and_then(|s| s.parse::<u128>().ok());
        let computers = args.get(i + 2).and_then(|s| s.parse::<usize>().ok());
        if let (Some(s), Some(c)) = (spawned, computers) {
            startup_child(s, c);
        } else {
            eprintln!("usage: {CHILD_FLAG} SPAWNED_AT_NS COMPUTERS");
            std::process::exit(2);
        }
        return;
    }
    // `cargo test --benches` runs benches in test mode: keep that quick.
    if args.iter().any(|a| a == "--bench") {
        startup(3);
        startup(COMPUTERS);
        frames_under_load();
        output_floods();
    } else {
        println!("run with cargo bench --bench ui to measure");
    }
}
