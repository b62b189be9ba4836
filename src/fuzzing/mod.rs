//! One entry point per input surface, for coverage-guided fuzzing.
//!
//! Every function here takes the bytes a server, a peer or a file could
//! hand Baton and runs them through the same code a real run uses. Each
//! one asserts invariants of the outcome, not only that nothing panicked:
//! a decoder never produces more than it was told to expect, a parsed value
//! written back parses to the same value, rendering stays within a bound
//! per input byte. A violated invariant panics, which the fuzzer reports as
//! a crash.
//!
//! The fuzz targets under `tests/fuzz/` are one line each, calling into
//! [`SURFACES`]; the test suite replays every saved crash and every seed
//! through the same functions (`tests/fuzz_replay.rs`), so a fix lands
//! with its regression test.

mod files;
mod protocol;

/// An input surface: the name of its fuzz target and the function that
/// checks one input.
#[derive(Clone, Copy)]
pub struct Surface {
    /// The fuzz target's name (`tests/fuzz/fuzz_targets/<name>.rs`).
    pub name: &'static str,
    /// What the surface reads, in a few words.
    pub what: &'static str,
    /// Runs one input; panics when an invariant does not hold.
    pub run: fn(&[u8]),
}

impl std::fmt::Debug for Surface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Surface")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every surface, protocol first, then files and scripts.
pub fn surfaces() -> impl Iterator<Item = &'static Surface> {
    protocol::SURFACES.iter().chain(files::SURFACES)
}

/// The surface called `name`.
pub fn surface(name: &str) -> Option<&'static Surface> {
    surfaces().find(|s| s.name == name)
}

/// Bytes as text the way a lenient reader would see them: invalid UTF-8
/// replaced, so text parsers are reached by every input.
pub(crate) fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Runs one input through the surface called `name` (what each fuzz
/// target does). The surface is looked up once per target process.
///
/// # Panics
/// When there is no such surface, or an invariant of the surface fails.
pub fn run(name: &str, data: &[u8]) {
    use std::sync::OnceLock;
    static FOUND: OnceLock<&'static Surface> = OnceLock::new();
    let surface = FOUND.get_or_init(|| {
        surface(name).unwrap_or_else(|| panic!("no fuzzing surface called {name}"))
    });
    (surface.run)(data);
}

/// Runs product code whose own guard turns a panic inside a dependency into
/// an error (the security package's calls go through
/// `protocol::auth::sspi_glue::guarded`). The fuzzer's panic hook aborts at
/// any panic, even one that is caught, so it is set aside meanwhile; a
/// panic the product does not catch still ends the run, without the hook.
pub(crate) fn behind_product_guard<T>(f: impl FnOnce() -> T) -> T {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    match out {
        Ok(v) => v,
        Err(p) => std::panic::resume_unwind(p),
    }
}
