//! pypsrp, a client no one here wrote, against the lab endpoint over loopback
//! HTTP with NTLM and message encryption: if pypsrp can create, disconnect,
//! list, connect to and receive from the lab's sessions, the lab behaves like
//! Windows.

use std::process::Command;

use baton::lab::{self, LabConfig, Ports};

use crate::common::{peer_python, peers_dir};

const TECH: (&str, &str) = ("Domain01\\User01", "Tech-P@ss1");
const MGR: (&str, &str) = ("Domain01\\Manager01", "Mgr-P@ss1");

struct Lab {
    rt: tokio::runtime::Runtime,
    running: Option<lab::RunningLab>,
}

impl Lab {
    fn start(mutate: impl FnOnce(&mut LabConfig)) -> Lab {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = LabConfig::demo();
        mutate(&mut config);
        let running = rt.block_on(lab::start(&config, Ports::Ephemeral)).unwrap();
        Lab {
            rt,
            running: Some(running),
        }
    }

    fn port(&self, computer: &str) -> String {
        let (_, url) = self
            .running
            .as_ref()
            .unwrap()
            .endpoints
            .iter()
            .find(|(n, _)| n == computer)
            .unwrap();
        url.rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches("/wsman")
            .to_owned()
    }

    fn pypsrp(&self, scenario: &str, computer: &str, users: &[(&str, &str)]) -> serde_json::Value {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/peers/pypsrp_lab_client.py");
        let _ = peers_dir();
        let mut cmd = Command::new(peer_python());
        cmd.arg(script)
            .arg(scenario)
            .arg("127.0.0.1")
            .arg(self.port(computer));
        for (u, p) in users {
            cmd.arg(u).arg(p);
        }
        let out = cmd.output().expect("run pypsrp");
        assert!(
            out.status.success(),
            "pypsrp {scenario} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop());
        }
    }
}

fn strs(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn pypsrp_runs_commands_with_every_stream_over_ntlm_sealing() {
    let lab = Lab::start(|_| {});
    let r = lab.pypsrp("streams", "Srv2", &[TECH]);
    assert_eq!(strs(&r["output"]), ["out1", "2", "4", "6"]);
    // pypsrp sets had_errors only for a Failed pipeline; Write-Error is non-terminating.
    assert_eq!(r["had_errors"], false);
    assert_eq!(r["state"], 4, "Completed");
    assert_eq!(strs(&r["errors"]), ["it broke"]);
    assert_eq!(strs(&r["warnings"]), ["careful"]);
    assert_eq!(strs(&r["verbose"]), ["chatty"]);
    assert_eq!(strs(&r["information"]), ["info1"]);
    assert_eq!(strs(&r["progress"]), ["Copying"]);
}

/// pypsrp's key exchange and SecureString code against the lab's side of
/// it: the lab wraps its session key for pypsrp's RSA key, reads pypsrp's
/// `<SS>` argument, and sends a SecureString back that pypsrp decrypts to
/// the same text.
#[test]
fn pypsrp_exchanges_the_session_key_and_secure_strings_round_trip() {
    let lab = Lab::start(|_| {});
    let r = lab.pypsrp("secure_string", "Srv1", &[TECH]);
    assert_eq!(r["errors"], serde_json::json!([]), "{r}");
    let out = r["output"].as_array().unwrap();
    assert_eq!(out[0], "System.Security.SecureString", "{r}");
    assert_eq!(out[1], 12, "{r}");
    assert_eq!(out[2], "P@ss wörd 42", "{r}");
    assert_eq!(r["round_trip"], true, "{r}");
}

#[test]
fn pypsrp_disconnects_lists_connects_and_receives_everything() {
    let lab = Lab::start(|_| {});
    let r = lab.pypsrp("handover", "Srv2", &[TECH]);
    let id = r["pool_id"].as_str().unwrap().to_owned();
    assert!(strs(&r["listed"]).contains(&id), "{r}");
    assert_eq!(
        strs(&r["output"]),
        ["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"]
    );
    assert!(!strs(&r["listed_after_close"]).contains(&id), "{r}");
}

#[test]
fn another_user_cannot_see_or_connect_the_technicians_shell() {
    let lab = Lab::start(|_| {});
    let r = lab.pypsrp("isolation", "Srv1", &[TECH, MGR]);
    let id = r["pool_id"].as_str().unwrap().to_owned();
    assert!(!strs(&r["seen_by_other"]).contains(&id));
    let err = r["intruder_error"].as_str().expect("connecting must fail");
    assert!(
        err.contains("not found") || err.contains("2150858843"),
        "{err}"
    );
}

#[test]
fn pypsrp_basic_works_only_when_the_lab_enables_it() {
    let lab = Lab::start(|c| {
        c.basic = true;
        c.allow_unencrypted = true;
    });
    let r = lab.pypsrp("basic", "Srv1", &[TECH]);
    assert_eq!(strs(&r["output"]), ["via basic"]);
}
