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

fn check(dir: &str, forbidden: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(!files.is_empty(), "no sources under {dir}");
    let mut violations = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in forbidden {
                if code.contains(word) {
                    violations.push(format!("{}:{}: {word}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "forbidden uses:\n{}",
        violations.join("\n")
    );
}

/// The protocol layer is sans-IO: no runtime, no sockets, no files, no clock,
/// no UI, and no dependency on the layers above it.
#[test]
fn protocol_layer_does_no_io() {
    check(
        "src/protocol",
        &[
            "tokio",
            "std::net",
            "std::fs",
            "Instant::now",
            "SystemTime::now",
            "Utc::now",
            "Local::now",
            "egui",
            "crate::worker",
            "crate::transport",
            "crate::ui",
            "crate::store",
            "crate::lab",
            "crate::cli",
        ],
    );
}

/// The UI never does I/O itself: it talks to the worker through the bridge.
#[test]
fn ui_does_no_io() {
    check(
        "src/ui",
        &[
            "tokio",
            "std::net",
            "crate::transport",
            "crate::protocol",
            "hyper",
            "crate::worker",
        ],
    );
}

/// The model is plain data shared by everyone.
#[test]
fn model_is_plain_data() {
    check(
        "src/model",
        &[
            "tokio",
            "egui",
            "std::net",
            "std::fs",
            "crate::worker",
            "crate::transport",
            "crate::ui",
            "crate::protocol",
            "crate::store",
            "crate::lab",
            "crate::cli",
            "crate::bridge",
        ],
    );
}

/// `unsafe` code lives in one module, the FFI to the system's GSSAPI
/// library (Cargo.toml denies it everywhere else; this keeps an
/// `#![allow(unsafe_code)]` from spreading unnoticed).
#[test]
fn unsafe_code_only_in_the_gssapi_module() {
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
    assert_eq!(users, ["transport/gss.rs"]);
}
