//! Every fuzzing surface has its target, its seeds and its dictionary, and
//! every seed and every saved crash input runs through it without breaking
//! an invariant (the inputs of crashes found are the regression tests of
//! their fixes: `tests/data/fuzz/<surface>/`).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_surface_has_a_target_seeds_and_a_dictionary() {
    let fuzz = root().join("tests/fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).expect("tests/fuzz/Cargo.toml");
    let mut names = Vec::new();
    for surface in baton::fuzzing::surfaces() {
        let name = surface.name;
        assert!(!names.contains(&name), "two surfaces called {name}");
        names.push(name);
        let target = fuzz.join("fuzz_targets").join(format!("{name}.rs"));
        let source = std::fs::read_to_string(&target).unwrap_or_else(|_| {
            panic!(
                "{} is missing (tests/fuzz/add-target {name})",
                target.display()
            )
        });
        assert!(
            source.contains(&format!("run(\"{name}\"")),
            "{} runs another surface",
            target.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"\n")),
            "tests/fuzz/Cargo.toml has no [[bin]] for {name}"
        );
        assert!(
            !files_in(&fuzz.join("seeds").join(name)).is_empty(),
            "no seeds for {name} in tests/fuzz/seeds/{name}"
        );
        assert!(
            fuzz.join("dict")
                .join(format!("{}.dict", dictionary_of(name)))
                .is_file(),
            "no dictionary for {name}"
        );
    }
    // And no target is left over from a surface that is gone.
    for file in files_in(&fuzz.join("fuzz_targets")) {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("target name");
        assert!(
            names.contains(&stem),
            "{} has no surface in baton::fuzzing",
            file.display()
        );
    }
    assert!(names.len() >= 20, "only {} surfaces", names.len());
}

/// Surfaces that read the same language share a dictionary: the part of
/// the name before the first underscore (`wsman_client` → `wsman.dict`),
/// unless a dictionary of the whole name exists.
fn dictionary_of(name: &str) -> String {
    let whole = root().join("tests/fuzz/dict").join(format!("{name}.dict"));
    if whole.is_file() {
        return name.to_owned();
    }
    name.split('_').next().unwrap_or(name).to_owned()
}

#[test]
fn seeds_and_saved_crashes_replay_cleanly() {
    let mut ran = 0;
    for surface in baton::fuzzing::surfaces() {
        for dir in [
            root().join("tests/fuzz/seeds").join(surface.name),
            root().join("tests/data/fuzz").join(surface.name),
        ] {
            for file in files_in(&dir) {
                let data = std::fs::read(&file).expect("seed");
                let outcome = std::panic::catch_unwind(|| (surface.run)(&data));
                assert!(
                    outcome.is_ok(),
                    "{} breaks an invariant of {}",
                    file.display(),
                    surface.name
                );
                ran += 1;
            }
        }
    }
    assert!(ran > 0, "no inputs replayed");
}
