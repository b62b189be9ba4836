//! Shared fixtures: where the real peers are, and how to read pypsrp's
//! recorded Windows exchanges.

#![allow(dead_code)]

use std::path::PathBuf;

/// The folder `tests/peers.sh` fills: a virtualenv with pypsrp and pyspnego,
/// and pypsrp's source distribution. A test that needs a peer fails, with
/// advice, when it is missing: it never passes by skipping.
pub fn peers_dir() -> PathBuf {
    let dir = std::env::var_os("BATON_PEERS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".peers"),
        PathBuf::from,
    );
    assert!(
        dir.is_dir(),
        "the test peers are missing at {}: run tests/peers.sh (tests/run-all.sh does)",
        dir.display()
    );
    dir
}

/// The Python interpreter of the peers' virtualenv.
pub fn peer_python() -> PathBuf {
    let py = peers_dir().join("venv/bin/python");
    assert!(
        py.is_file(),
        "no peer virtualenv at {}: run tests/peers.sh",
        py.display()
    );
    py
}

/// One recorded request/response pair.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: String,
    pub response: Option<String>,
}

/// A recorded transcript: the exchanges of one pypsrp integration test.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub name: String,
    pub messages: Vec<Exchange>,
}

/// Every `tests/tests_pypsrp/responses/*.yml` of pypsrp 0.9.1, sorted by name
/// (the `_template.yml` example excluded).
pub fn pypsrp_transcripts() -> Vec<Transcript> {
    let dir = peers_dir().join("pypsrp-0.9.1/tests/tests_pypsrp/responses");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; run tests/peers.sh", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('_'))
        .collect();
    names.sort();
    assert!(
        names.len() >= 60,
        "expected pypsrp's 66 transcripts, found {}",
        names.len()
    );
    names.iter().map(|p| load_transcript(p)).collect()
}

/// One transcript by file stem, e.g. `test_psrp_disconnect_runspaces`.
pub fn pypsrp_transcript(name: &str) -> Transcript {
    let path = peers_dir()
        .join("pypsrp-0.9.1/tests/tests_pypsrp/responses")
        .join(format!("{name}.yml"));
    load_transcript(&path)
}

fn load_transcript(path: &std::path::Path) -> Transcript {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: serde_norway::Value =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let messages = doc["messages"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{}: no messages", path.display()))
        .iter()
        .map(|m| Exchange {
            request: m["request"].as_str().expect("request").to_owned(),
            response: m
                .get("response")
                .and_then(|r| r.as_str())
                .map(str::to_owned),
        })
        .collect();
    Transcript {
        name: path.file_stem().unwrap().to_string_lossy().into_owned(),
        messages,
    }
}

/// This test binary, set to run one `#[ignore]`d helper test `name` in a
/// process of its own (for tests that need their own environment variables
/// or log subscriber); add the environment and pass it to [`child_stdout`].
pub fn child_test(name: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([name, "--exact", "--ignored", "--nocapture"]);
    cmd
}

/// Runs a [`child_test`] to the end; its standard output, once it is known
/// to have passed (`context` adds to the failure message, e.g. a server's log).
pub fn child_stdout(mut cmd: std::process::Command, context: impl FnOnce() -> String) -> String {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !(!out.status.success() || !stdout.contains("1 passed")),
        "child failed:\n{stdout}\n{stderr}\n{}",
        context()
    );
    stdout
}

/// The lab endpoint served in process (no sockets), with its clock's ticker
/// on a runtime of its own: the fixture for tests that drive a worker or
/// the console against it.
pub struct InProcessLab {
    pub rt: tokio::runtime::Runtime,
    pub built: baton::lab::BuiltLab,
    ticker: tokio::task::JoinHandle<()>,
}

impl InProcessLab {
    /// The demo lab, with its seeded sessions or without, its clock
    /// `time_scale` times faster than real time.
    pub fn demo(seeded: bool, time_scale: f64) -> Self {
        let mut config = baton::lab::LabConfig::demo();
        if !seeded {
            config.sessions.clear();
        }
        config.time_scale = time_scale;
        Self::start(&config)
    }

    /// A lab built from `config`.
    pub fn start(config: &baton::lab::LabConfig) -> Self {
        let built = baton::lab::build(config).expect("the lab builds");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let services = built.computers.iter().map(|c| c.service.clone()).collect();
        let ticker = {
            let _in_runtime = rt.enter();
            baton::lab::service::spawn_ticker(services, std::time::Duration::from_millis(20))
        };
        InProcessLab { rt, built, ticker }
    }

    /// The computers, as a worker reaches them in process (by lower-case name).
    pub fn computers(&self) -> std::collections::HashMap<String, baton::worker::InProcessComputer> {
        self.built
            .computers
            .iter()
            .map(|c| {
                (
                    c.name.to_ascii_lowercase(),
                    baton::worker::InProcessComputer {
                        service: c.service.clone(),
                        users: self.built.users.clone(),
                    },
                )
            })
            .collect()
    }

    /// The lab service of one computer (its state and wire log).
    pub fn service(&self, name: &str) -> std::sync::Arc<baton::lab::service::LabService> {
        self.built
            .computers
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("no lab computer {name}"))
            .service
            .clone()
    }

    /// The lab's own view of a shell, by name, as an administrator sees it.
    pub fn shell(
        &self,
        computer: &str,
        name: &str,
    ) -> Option<baton::protocol::wsman::shell::ShellInfo> {
        let svc = self.service(computer);
        let now = svc.clock().now();
        svc.computer()
            .enumerate(now, "Domain01\\Admin")
            .into_iter()
            .find(|s| s.name.as_deref() == Some(name))
    }

    /// A worker of its own (another client of the lab) on this lab.
    pub fn worker(&self) -> baton::bridge::WorkerHandle {
        self.worker_configured(baton::worker::WorkerConfig::default())
    }

    /// [`InProcessLab::worker`] with a credential store (its keyring).
    pub fn worker_with(
        &self,
        credentials: Option<std::sync::Arc<dyn baton::store::credentials::CredentialStore>>,
    ) -> baton::bridge::WorkerHandle {
        self.worker_configured(baton::worker::WorkerConfig {
            credentials,
            ..baton::worker::WorkerConfig::default()
        })
    }

    /// [`InProcessLab::worker`] with `config`, reaching this lab's computers.
    pub fn worker_configured(
        &self,
        config: baton::worker::WorkerConfig,
    ) -> baton::bridge::WorkerHandle {
        let (handle, side) = baton::bridge::WorkerHandle::pair(std::sync::Arc::new(|| {}));
        baton::worker::spawn(
            side,
            baton::worker::WorkerConfig {
                in_process: self.computers(),
                ..config
            },
        )
        .expect("the worker starts");
        handle
    }
}

impl Drop for InProcessLab {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}
