//! Cargo's build script (`build` in Cargo.toml): on Windows targets it
//! embeds Baton's icon into `baton.exe` and `batonw.exe`, so that Explorer,
//! the taskbar and the Start menu show it. Elsewhere it does nothing.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=assets/icons/baton.ico");
    println!("cargo:rerun-if-changed=installer/windows/build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let icon = manifest.join("assets").join("icons").join("baton.ico");
    // The resource script names the icon by its absolute path (forward
    // slashes are read by both rc.exe and windres).
    let script = out.join("baton.rc");
    let path = icon.display().to_string().replace('\\', "/");
    std::fs::write(&script, format!("1 ICON \"{path}\"\n"))
        .expect("the resource script is written");
    embed_resource::compile(&script, embed_resource::NONE)
        .manifest_optional()
        .expect("the icon resource is compiled (rc.exe, or windres when cross-compiling)");
}
