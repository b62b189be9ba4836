//! Architectural invariants, checked on the source text.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of a source file: comments dropped, and everything from its
/// `#[cfg(test)]` module on, or nothing for a `tests.rs` (unit tests may use
/// what the module may not).
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    // A module's unit tests in a file of their own (`tests.rs`).
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return Vec::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(n, l)| (n + 1, l.split("//").next().unwrap_or("").to_owned()))
        .collect()
}

/// Capabilities a module may need, by the text that shows their use.
const CAPABILITIES: [(&str, &[&str]); 6] = [
    ("tokio", &["tokio"]),
    ("fs", &["std::fs", "tokio::fs"]),
    // `core::net` has only address values (no sockets): not a capability.
    ("net", &["std::net", "tokio::net"]),
    ("egui", &["egui", "eframe"]),
    ("hyper", &["hyper"]),
    ("threads", &["std::thread", "std::process"]),
];

/// The crate's layers, top to bottom, and what each may use: the other
/// modules of the crate (`crate::…`) and the capabilities above. Nothing
/// may reach a module above it; each edge here is the whole of what is
/// allowed. `main.rs` composes everything through the library's API.
///
/// | module | may use |
/// |---|---|
/// | app | bridge, lab, model, store, transport, ui; any capability |
/// | fuzzing | every module but app and ui; no capability (inputs in, invariants checked) |
/// | ui | bridge, model, store; egui (one thread: see `UI_FILE_IO`) |
/// | cli | bridge, model, store; tokio (signals), fs (script files), threads |
/// | worker | bridge, model, protocol, store, transport; tokio, threads |
/// | lab | model, protocol; tokio, fs, net, hyper |
/// | transport | model, protocol; tokio, fs, net, hyper |
/// | store | model, protocol; fs, net (address parsing), threads |
/// | bridge | model |
/// | protocol | — (sans-IO: bytes and time in, requests and events out) |
/// | model | — (plain data and the rules on it) |
/// | pslang | — (PowerShell's language: wildcards, TimeSpan text, lexical tables, parse errors; every module may use it) |
const LAYERS: [(&str, &[&str], &[&str]); 12] = [
    (
        "fuzzing",
        &[
            "bridge",
            "cli",
            "lab",
            "model",
            "protocol",
            "pslang",
            "store",
            "transport",
            "worker",
        ],
        &[],
    ),
    (
        "app.rs",
        &[
            "bridge",
            "lab",
            "model",
            "pslang",
            "store",
            "transport",
            "ui",
        ],
        &["tokio", "fs", "net", "egui", "hyper", "threads"],
    ),
    ("ui", &["bridge", "model", "pslang", "store"], &["egui"]),
    (
        "cli",
        &["bridge", "model", "pslang", "store"],
        &["tokio", "fs", "threads"],
    ),
    (
        "worker",
        &[
            "bridge",
            "model",
            "protocol",
            "pslang",
            "store",
            "transport",
        ],
        &["tokio", "threads"],
    ),
    (
        "lab",
        &["model", "protocol", "pslang"],
        &["tokio", "fs", "net", "hyper"],
    ),
    (
        "transport",
        &["model", "protocol", "pslang"],
        &["tokio", "fs", "net", "hyper"],
    ),
    (
        "store",
        &["model", "protocol", "pslang"],
        &["fs", "net", "threads"],
    ),
    ("bridge", &["model", "pslang"], &[]),
    ("protocol", &["pslang"], &[]),
    ("model", &["pslang"], &[]),
    ("pslang.rs", &[], &[]),
];

/// The console's one file that starts a thread of its own: the one that
/// waits on the system's file dialog (rfd blocks until the user answers,
/// and a portal that never answers must not freeze the window). It reads
/// and writes no file: imports and exports go to the worker.
const UI_FILE_IO: [&str; 1] = ["ui/profile_editor.rs"];

const MODULES: [&str; 13] = [
    "app",
    "bridge",
    "cli",
    "fuzzing",
    "lab",
    "model",
    "protocol",
    "pslang",
    "store",
    "transport",
    "ui",
    "worker",
    "vendor",
];

#[test]
fn every_module_uses_only_what_its_layer_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for (module, allowed, capabilities) in LAYERS {
        let root = src.join(module);
        let mut files = Vec::new();
        if root.is_dir() {
            rust_files(&root, &mut files);
        } else {
            files.push(root.clone());
        }
        assert!(!files.is_empty(), "no sources for {module}");
        for f in files {
            let rel = f.strip_prefix(&src).unwrap().display().to_string();
            for (n, code) in code_lines(&f) {
                for (at, _) in code.match_indices("crate::") {
                    let used: String = code[at + "crate::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let own = module.trim_end_matches(".rs");
                    if MODULES.contains(&used.as_str())
                        && used != own
                        && !allowed.contains(&used.as_str())
                    {
                        violations.push(format!("{rel}:{n}: {module} may not use crate::{used}"));
                    }
                }
                for (capability, words) in CAPABILITIES {
                    if capabilities.contains(&capability) {
                        continue;
                    }
                    if module == "ui"
                        && capability == "threads"
                        && UI_FILE_IO.contains(&rel.as_str())
                    {
                        continue;
                    }
                    for w in words {
                        let found = code.match_indices(w).any(|(at, _)| {
                            !code[..at]
                                .chars()
                                .next_back()
                                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                        });
                        if found {
                            violations.push(format!(
                                "{rel}:{n}: {module} may not use {w} ({capability})"
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "edges against the layers (tests/architecture.rs LAYERS):\n{}",
        violations.join("\n")
    );
}

/// The protocol layer is sans-IO, and the model plain: no clock either.
#[test]
fn protocol_and_model_read_no_clock() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for dir in ["protocol", "model"] {
        let mut files = Vec::new();
        rust_files(&src.join(dir), &mut files);
        for f in files {
            for (n, code) in code_lines(&f) {
                for w in ["Instant::now", "SystemTime::now", "Utc::now", "Local::now"] {
                    if code.contains(w) {
                        violations.push(format!("{}:{n}: {w}", f.display()));
                    }
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// `unsafe` code lives in two modules, the calls to the system's GSSAPI
/// library and, on Windows, to its SSPI (Cargo.toml denies it everywhere
/// else; this keeps an `#![allow(unsafe_code)]` from spreading unnoticed).
#[test]
fn unsafe_code_only_in_the_gssapi_and_sspi_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let vendored = root.join("vendor");
    let mut users: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(&vendored))
        .filter(|f| {
            std::fs::read_to_string(f).unwrap().lines().any(|l| {
                let code = l.split("//").next().unwrap_or("");
                code.match_indices("unsafe").any(|(at, _)| {
                    let before = code[..at].chars().next_back();
                    let after = &code[at + "unsafe".len()..];
                    !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                        && [" {", " impl", " extern", " fn", "_code"]
                            .iter()
                            .any(|t| after.starts_with(t))
                })
            })
        })
        .map(|f| f.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    users.sort();
    assert_eq!(users, ["transport/gss.rs", "transport/sspi_windows.rs"]);
}
