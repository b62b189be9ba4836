//! The console's Output pane with more output than it keeps in memory:
//! the notice of the older lines not kept, "Save output…" writing every
//! line (kept or not) in order, and the whole-output files going away with
//! their session and with the console. Headless (egui_kittest), fake worker.

use baton::bridge::{Event, FakeWorker, WorkerHandle};
use baton::model::{Availability, ErrorView, OutputItem, RemoteObject, SessionInfo, SessionState};
use baton::ui::{BatonApp, ComputerNode, GroupNode, MAX_ITEMS_PER_COMMAND};
use chrono::{TimeZone, Utc};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use uuid::Uuid;

struct Fx {
    h: Harness<'static, BatonApp>,
    worker: FakeWorker,
    session: SessionInfo,
    spill_parent: tempfile::TempDir,
}

fn fixture() -> Fx {
    let (handle, worker) = WorkerHandle::fake();
    let spill_parent = tempfile::tempdir().unwrap();
    let app = BatonApp::new(
        handle,
        vec![GroupNode {
            name: "Servers".into(),
            computers: vec![ComputerNode::new("Srv1")],
        }],
        Box::new(|| Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()),
    )
    .with_spill_parent(spill_parent.path().to_path_buf());
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_ui_state(|ui, app: &mut BatonApp| app.frame(ui), app);
    let session = SessionInfo::new("Srv1", "ITTask")
        .with_id(1)
        .with_state(SessionState::Opened, Availability::Available)
        .with_owner("Domain01\\User01");
    worker.push(Event::SessionsListed {
        op: 1,
        computer: "Srv1".into(),
        sessions: vec![session.clone()],
    });
    h.run();
    h.get_by_label("Session ITTask on Srv1").click();
    h.run();
    h.get_by_label("Output").click();
    h.run();
    Fx {
        h,
        worker,
        session,
        spill_parent,
    }
}

fn line(n: usize) -> String {
    format!("Line {n} of the patch log")
}

/// Pushes lines `from..to` of one command, 5,000 per event.
fn push_lines(fx: &Fx, command_id: Uuid, from: usize, to: usize) {
    let mut n = from;
    while n < to {
        let end = (n + 5_000).min(to);
        fx.worker.push(Event::Output {
            computer: "Srv1".into(),
            instance_id: fx.session.instance_id,
            command_id,
            items: (n..end)
                .map(|i| OutputItem::Output(RemoteObject::text(line(i))))
                .collect(),
        });
        n = end;
    }
}

fn spill_files(fx: &Fx) -> usize {
    let dir =
        fx.h.state()
            .spill_dir()
            .expect("output arrived: a spill folder");
    std::fs::read_dir(dir).map_or(0, Iterator::count)
}

#[test]
fn more_lines_than_kept_say_how_many_were_dropped_and_save_writes_them_all() {
    let mut fx = fixture();
    let command_id = Uuid::new_v4();
    let total = MAX_ITEMS_PER_COMMAND + 12_345;
    push_lines(&fx, command_id, 0, total);
    // An error and a 10 MB line at the end: cut in memory, whole in the file.
    let long = "y".repeat(10_000_000);
    fx.worker.push(Event::Output {
        computer: "Srv1".into(),
        instance_id: fx.session.instance_id,
        command_id,
        items: vec![
            OutputItem::Error(ErrorView {
                message: "Cannot find path 'C:\\Missing'".into(),
                fully_qualified_error_id: "PathNotFound".into(),
                category: "ObjectNotFound".into(),
                ..ErrorView::default()
            }),
            OutputItem::Output(RemoteObject::text(long.clone())),
        ],
    });
    fx.h.run();
    // 2 more items arrived after the budget was full: 12,347 are not kept.
    fx.h.get_by_label("12,347 older lines not kept — Save output… writes them all");
    // The newest line is shown (the list follows the end), cut to size.
    fx.h.get_by_label_contains("10,000,000 bytes in all");
    let kept = &fx
        .h
        .state()
        .state
        .output("Srv1", fx.session.instance_id)
        .unwrap()
        .commands[0];
    assert_eq!(kept.items.len(), MAX_ITEMS_PER_COMMAND);
    assert_eq!(kept.dropped, 12_347);

    fx.h.get_by_label("Save output…").click();
    fx.h.run();
    let dest = fx.spill_parent.path().join("saved.txt");
    fx.h.get_by_label("Save to file").focus();
    fx.h.run();
    fx.h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    fx.h.get_by_label("Save to file")
        .type_text(&dest.display().to_string());
    fx.h.run();
    fx.h.get_by_label("Save").click();
    // The copy is written on the spill's thread: wait for its notice.
    for _ in 0..200 {
        fx.h.run();
        if fx
            .h
            .query_all_by_label_contains("Output saved:")
            .next()
            .is_some()
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert_eq!(total + 2, 32_347);
    assert!(
        fx.h.query_all_by_label_contains(
            "Output saved: 32,347 lines of command 1 of ITTask on Srv1"
        )
        .next()
        .is_some(),
        "the notice says what was saved"
    );
    let text = std::fs::read_to_string(&dest).unwrap();
    let mut lines = text.split('\n');
    for n in 0..total {
        assert_eq!(lines.next(), Some(line(n).as_str()), "line {n}");
    }
    assert_eq!(lines.next(), Some("ERROR: Cannot find path 'C:\\Missing'"));
    assert_eq!(
        lines.next(),
        Some("    + CategoryInfo          : ObjectNotFound")
    );
    assert_eq!(
        lines.next(),
        Some("    + FullyQualifiedErrorId : PathNotFound")
    );
    assert_eq!(lines.next(), Some(long.as_str()), "the long line whole");
    assert_eq!(lines.next(), Some(""), "every line ends with a line feed");
    assert_eq!(lines.next(), None);
}

#[test]
fn the_whole_output_files_go_with_their_session_and_with_the_console() {
    let mut fx = fixture();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    push_lines(&fx, a, 0, 10);
    push_lines(&fx, b, 0, 10);
    fx.h.run();
    // The files are written on the spill's thread.
    let mut files = 0;
    for _ in 0..200 {
        files = spill_files(&fx);
        if files == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(files, 2, "one file per command");
    let dir = fx.h.state().spill_dir().unwrap().to_path_buf();

    fx.worker.push(Event::SessionGone {
        computer: "Srv1".into(),
        instance_id: fx.session.instance_id,
        reason: "removed".into(),
    });
    fx.h.run();
    // The files are removed on the spill's thread, in order after the writes.
    let mut left = usize::MAX;
    for _ in 0..200 {
        left = spill_files(&fx);
        if left == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(left, 0, "the session's files are gone with it");
    assert!(
        fx.h.state()
            .state
            .output("Srv1", fx.session.instance_id)
            .is_none(),
        "and its output"
    );
    drop(fx.h);
    assert!(!dir.exists(), "the console's spill folder goes with it");
}
