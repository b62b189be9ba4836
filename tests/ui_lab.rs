//! The console with a real worker against the lab endpoint in process: the
//! hand-over as a helpdesk user clicks it, by accessible label.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use baton::bridge::{CredentialChoice, WorkerHandle};
use baton::lab::{self, LabConfig};
use baton::model::{ConnectionSpec, Credential};
use baton::ui::{BatonApp, ComputerNode, GroupNode};
use baton::worker::{self, InProcessComputer, WorkerConfig};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

const ONE: &str = "Disconnected · None";

struct Lab {
    rt: tokio::runtime::Runtime,
    computers: HashMap<String, InProcessComputer>,
    _ticker: tokio::task::JoinHandle<()>,
}

fn lab() -> Lab {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut cfg = LabConfig::demo();
    // Faster patches for the test: the seeded job runs 1.5 s per line otherwise.
    cfg.time_scale = 20.0;
    let built = lab::build(&cfg).unwrap();
    let services: Vec<_> = built.computers.iter().map(|c| c.service.clone()).collect();
    let ticker = {
        let _in_runtime = rt.enter();
        lab::service::spawn_ticker(services, Duration::from_millis(20))
    };
    let computers = built
        .computers
        .iter()
        .map(|c| {
            (
                c.name.to_ascii_lowercase(),
                InProcessComputer {
                    service: c.service.clone(),
                    users: built.users.clone(),
                },
            )
        })
        .collect();
    Lab {
        rt,
        computers,
        _ticker: ticker,
    }
}

fn console(lab: &Lab, user: &str, password: &str) -> Harness<'static, BatonApp> {
    let (handle, side) = WorkerHandle::pair(std::sync::Arc::new(|| {}));
    worker::spawn(
        side,
        WorkerConfig {
            credentials: None,
            in_process: lab.computers.clone(),
        },
    )
    .unwrap();
    let cred = CredentialChoice::Once(Credential::new(user, password));
    let inventory = vec![GroupNode {
        name: "Lab".into(),
        computers: ["Srv1", "Srv2", "Srv30"]
            .iter()
            .map(|n| ComputerNode {
                name: (*n).into(),
                spec: ConnectionSpec::for_computer(n),
                credential: cred.clone(),
            })
            .collect(),
    }];
    let app = BatonApp::new(handle, inventory, Box::new(chrono::Utc::now));
    Harness::builder()
        .with_size([1500.0, 950.0])
        .build_ui_state(|ui, app: &mut BatonApp| app.frame(ui), app)
}

/// Steps frames until `label` (a substring) is shown, or fails after `secs`.
fn wait_for(h: &mut Harness<'static, BatonApp>, label: &str, secs: u64) {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        // Real events keep arriving: step frames rather than wait to settle.
        h.run_steps(2);
        if h.query_all_by_label_contains(label).next().is_some() {
            return;
        }
        assert!(
            Instant::now() < end,
            "{label:?} did not appear within {secs} s"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn click(h: &mut Harness<'static, BatonApp>, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(2);
}

#[test]
fn technician_session_is_found_received_and_busy_for_the_next_client() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let mut manager = console(&lab, "Domain01\\User01", "Tech-P@ss1");

    // Refresh: the seeded sessions appear with PowerShell's State/Availability.
    click(&mut manager, "Refresh");
    wait_for(&mut manager, "3 computers, 4 sessions", 20);
    assert_eq!(
        manager.get_all_by_label("Disconnected · Busy").count(),
        2,
        "Srv2 and Srv30 ITTask are attached elsewhere"
    );
    click(&mut manager, "Session ITTask on Srv1");
    assert_eq!(
        manager.get_all_by_label(ONE).count(),
        2,
        "Srv1 ITTask and Srv30 Backups can be connected"
    );
    // IdleTimeout (set at disconnect) and MaxIdleTimeout are both 12 hours.
    assert_eq!(manager.get_all_by_label("43200000 ms (12h 0m)").count(), 2);

    // Receive output: connect with the technician's credentials and read what piled up.
    click(&mut manager, "Receive output");
    click(&mut manager, "Output");
    wait_for(&mut manager, "Patch 2 of 40: KB502 installed", 30);
    wait_for(&mut manager, "Opened · Available", 10);

    // A second console (another client) now sees the session Busy.
    let mut other = console(&lab, "Domain01\\User01", "Tech-P@ss1");
    click(&mut other, "Refresh");
    wait_for(&mut other, "3 computers, 4 sessions", 20);
    assert_eq!(other.get_all_by_label("Disconnected · Busy").count(), 3);

    // The manager's own account sees none of the technician's sessions.
    let mut own = console(&lab, "Domain01\\Manager01", "Mgr-P@ss1");
    click(&mut own, "Refresh");
    wait_for(&mut own, "3 computers, 0 sessions", 20);
    assert!(own.query_by_label_contains("Session ITTask").is_none());
}

#[test]
fn a_wrong_password_is_a_message_not_a_freeze() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let mut h = console(&lab, "Domain01\\User01", "not-the-password");
    click(&mut h, "Refresh");
    wait_for(&mut h, "Cannot connect to Srv1", 20);
    assert!(
        h.query_all_by_label_contains("access is denied")
            .next()
            .is_some()
    );
    assert!(
        h.query_all_by_label_contains("Check the user name and password")
            .next()
            .is_some()
    );
    // The UI keeps working: the filter still filters.
    let filter = h.get_by_label("Filter");
    assert!(!filter.accesskit_node().is_disabled());
    filter.focus();
    h.run_steps(2);
    h.get_by_label("Filter").type_text("Srv2");
    h.run_steps(2);
    assert!(h.query_by_label("Computer Srv1").is_none());
    h.get_by_label("Computer Srv2");
}
