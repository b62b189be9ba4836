//! Shared fixtures: where the real peers are, and how to read pypsrp's
//! recorded Windows exchanges.

#![allow(dead_code)]

use std::path::PathBuf;

/// The folder `tests/peers.sh` fills: a virtualenv with pypsrp and pyspnego,
/// and pypsrp's source distribution. A test that needs a peer fails, with
/// advice, when it is missing: it never passes by skipping.
pub fn peers_dir() -> PathBuf {
    let dir = std::env::var_os("BATON_PEERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".peers"));
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
    if !out.status.success() || !stdout.contains("1 passed") {
        panic!("child failed:\n{stdout}\n{stderr}\n{}", context());
    }
    stdout
}
