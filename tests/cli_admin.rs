//! `baton profile …` and `baton credential …` on a temporary profile file
//! and an in-memory credential store.

use baton::cli::admin::{self, NewComputer};
use baton::store::credentials::{CredentialStore, MemoryStore, Secret};
use baton::store::profiles::ProfileStore;

#[test]
fn profiles_add_import_export_remove_and_credentials_link_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    let msg = admin::profile_add(
        &store,
        &NewComputer {
            name: "Web01".into(),
            group: Some("Datacenter/Web".into()),
            host: Some("web01.corp.example".into()),
            use_ssl: true,
            user: Some("CORP\\helpdesk1".into()),
            ..NewComputer::default()
        },
    )
    .unwrap();
    assert_eq!(msg, "Added Web01 (https://web01.corp.example:5986/wsman)");
    assert!(
        admin::profile_add(
            &store,
            &NewComputer {
                name: "web01".into(),
                ..NewComputer::default()
            }
        )
        .is_err()
    );

    let hosts = dir.path().join("hosts.txt");
    std::fs::write(&hosts, "srv[01-03].corp.example\nbad host!\n").unwrap();
    let msg = admin::profile_import(&store, &hosts, None, Some("Branch")).unwrap();
    assert!(msg.contains("3 computer(s) added"), "{msg}");
    assert!(msg.contains("line 2"), "{msg}");

    let mut listing = Vec::new();
    admin::profile_list(&store, &mut listing).unwrap();
    let listing = String::from_utf8(listing).unwrap();
    assert!(
        listing.contains("Branch") && listing.contains("srv02.corp.example"),
        "{listing}"
    );
    assert!(
        listing.contains("Datacenter/Web") && listing.contains("CORP\\helpdesk1"),
        "{listing}"
    );

    let creds = MemoryStore::default();
    let secret = Secret::new("Sup3r-s3cret!".to_owned());
    let msg =
        admin::credential_add(&creds, &store, "CORP\\helpdesk1", &secret, Some("Web01")).unwrap();
    assert!(msg.contains("Web01 now uses it"), "{msg}");
    assert_eq!(creds.list().unwrap().len(), 1);

    let exported = dir.path().join("export.toml");
    admin::profile_export(&store, &exported, Some("Datacenter")).unwrap();
    for f in [store.path().to_path_buf(), exported.clone()] {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !text.contains("Sup3r-s3cret!"),
            "a secret leaked into {}",
            f.display()
        );
    }
    assert!(
        std::fs::read_to_string(&exported)
            .unwrap()
            .contains("Web01")
    );

    assert_eq!(
        admin::profile_remove(&store, "web01").unwrap(),
        "Removed 1 computer(s) named web01"
    );
    assert!(admin::profile_remove(&store, "web01").is_err());
    assert!(admin::credential_remove(&creds, "CORP\\helpdesk1").is_ok());
    assert!(creds.list().unwrap().is_empty());
}

#[test]
fn rdm_export_is_detected_by_extension_and_content_and_imported() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/store");
    let rdm = std::fs::read(data.join("export.rdm")).unwrap();
    assert_eq!(
        admin::detect_import_format(std::path::Path::new("x.rdm"), b""),
        "rdm"
    );
    assert_eq!(
        admin::detect_import_format(std::path::Path::new("export.xml"), &rdm),
        "rdm",
        "an RDM export saved as .xml is still RDM, not mRemoteNG"
    );
    let mrng = std::fs::read(data.join("confCons.xml")).unwrap();
    assert_eq!(
        admin::detect_import_format(std::path::Path::new("confCons.xml"), &mrng),
        "mremoteng"
    );

    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    let file = dir.path().join("export.xml");
    std::fs::write(&file, &rdm).unwrap();
    let msg = admin::profile_import(&store, &file, None, Some("FromRDM")).unwrap();
    assert!(msg.contains("4 computer(s) added"), "{msg}");
    assert!(msg.contains("local PowerShell console"), "{msg}");
    assert!(
        msg.contains("passwords not transferred") && msg.contains("Datacenter/Web/Web02"),
        "{msg}"
    );
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert!(text.contains("web01.corp.example"), "{text}");
    assert!(!text.contains("UFMtRW50cnktQ2lwaGVydGV4dC00Mg=="), "{text}");
    let mut listing = Vec::new();
    admin::profile_list(&store, &mut listing).unwrap();
    let listing = String::from_utf8(listing).unwrap();
    assert!(
        listing.contains("FromRDM/Datacenter/Web")
            && listing.contains("https://web01.corp.example:5986/wsman")
            && listing.contains("JEA-Web"),
        "{listing}"
    );
    let xxe = dir.path().join("evil.rdm");
    std::fs::copy(data.join("export-xxe.rdm"), &xxe).unwrap();
    let e = admin::profile_import(&store, &xxe, None, None).unwrap_err();
    assert!(e.contains("DTD"), "{e}");
    assert_eq!(std::fs::read_to_string(store.path()).unwrap(), text);
}

/// An import reads no more than the largest file it accepts: a source that
/// never ends (`/dev/zero`, whose size reads as 0) is refused once it passes
/// the limit, and the profiles are untouched.
#[test]
fn an_endless_import_file_is_refused_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    admin::profile_add(
        &store,
        &NewComputer {
            name: "Web01".into(),
            ..NewComputer::default()
        },
    )
    .unwrap();
    let before = std::fs::read_to_string(store.path()).unwrap();
    let e = admin::profile_import(
        &store,
        std::path::Path::new("/dev/zero"),
        Some("hosts"),
        None,
    )
    .unwrap_err();
    assert!(e.contains("/dev/zero is larger than"), "{e}");
    assert_eq!(std::fs::read_to_string(store.path()).unwrap(), before);
}

/// The profile file and its backup are the user's alone (0600), whatever
/// mode they had; a stricter mode the user chose stays.
#[cfg(unix)]
#[test]
fn the_profile_file_and_its_backup_are_written_for_the_user_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    let add = |name: &str| {
        admin::profile_add(
            &store,
            &NewComputer {
                name: name.into(),
                ..NewComputer::default()
            },
        )
        .unwrap();
    };
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    add("One");
    assert_eq!(mode(store.path()), 0o600);
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    add("Two");
    assert_eq!(mode(store.path()), 0o600, "0644 becomes 0600");
    let backup = dir.path().join("profiles.toml.bak");
    assert_eq!(mode(&backup), 0o600);
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o400)).unwrap();
    add("Three");
    assert_eq!(mode(store.path()), 0o400, "a stricter mode stays");
}

/// Concurrent writers never lose each other's changes: 20 `baton profile
/// add` processes at once, and all 20 computers are in the file (the
/// profile file's lock is held from each read to its write).
#[test]
fn concurrent_profile_adds_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = dir.path().join("profiles.toml");
    let children: Vec<_> = (0..20)
        .map(|i| {
            std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
                .args(["profile", "add", &format!("Par{i:02}"), "--group", "Burst"])
                .env("BATON_PROFILES", &profiles)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let tree = ProfileStore::new(&profiles).load().unwrap().tree;
    for i in 0..20 {
        assert_eq!(
            tree.find_by_name(&format!("Par{i:02}")).len(),
            1,
            "Par{i:02} is missing"
        );
    }
}

/// A host that smuggles a line break (and a header after it) through an
/// import is refused at the one place every import passes, and reported;
/// the good computer beside it comes in, the bad one never reaches the
/// profile file, `profile list` or a proxy's CONNECT.
#[test]
fn an_injected_host_name_is_refused_on_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    let file = dir.path().join("confCons.xml");
    std::fs::write(
        &file,
        r#"<?xml version="1.0" encoding="utf-8"?>
<mrng:Connections xmlns:mrng="http://mremoteng.org" Name="Connections" Export="false" ConfVersion="2.6">
  <Node Name="Web01" Type="Connection" Id="11111111-1b2a-4c3d-9e8f-a1b2c3d4e5f6" Hostname="web01.corp&#13;&#10;X-Injected: yes" Protocol="PowerShell" Port="5985" />
  <Node Name="Web02" Type="Connection" Id="22222222-1b2a-4c3d-9e8f-a1b2c3d4e5f6" Hostname="web02.corp" Protocol="PowerShell" Port="5985" />
</mrng:Connections>"#,
    )
    .unwrap();
    let msg = admin::profile_import(&store, &file, Some("mremoteng"), None).unwrap();
    assert!(msg.contains("1 computer(s) added"), "{msg}");
    assert!(msg.contains("is not a host name or address"), "{msg}");
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert!(
        text.contains("web02.corp") && !text.contains("X-Injected"),
        "{text}"
    );
    // `profile add` and a -ConnectionUri apply the same rule.
    let e = admin::profile_add(
        &store,
        &NewComputer {
            name: "Web03".into(),
            host: Some("web03\r\nX-Injected: yes".into()),
            ..NewComputer::default()
        },
    )
    .unwrap_err();
    assert!(e.contains("--host") && e.contains("not a host name"), "{e}");
    assert!(baton::transport::http::Endpoint::parse("http://web03%0d:5985/wsman").is_err());
}

/// Settings that lower security, arriving with a shared export (Basic over
/// HTTP with AllowUnencrypted, SkipCACheck inherited from a group), are
/// named in the import report, computer by computer; safe computers are not.
#[test]
fn an_import_names_the_settings_that_lower_security() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    let file = dir.path().join("shared.toml");
    std::fs::write(
        &file,
        r#"schema_version = 2

[[groups]]
id = "00000000-0000-4000-8000-000000000010"
name = "Shared"
skip_ca_check = true
use_ssl = true

[[groups.computers]]
id = "00000000-0000-4000-8000-000000000100"
name = "Legacy"
use_ssl = false
authentication = "Basic"
allow_unencrypted = true

[[groups.computers]]
id = "00000000-0000-4000-8000-000000000101"
name = "Modern"

[[groups]]
id = "00000000-0000-4000-8000-000000000020"
name = "Plain"

[[groups.computers]]
id = "00000000-0000-4000-8000-000000000200"
name = "Safe"
"#,
    )
    .unwrap();
    let msg = admin::profile_import(&store, &file, Some("baton"), None).unwrap();
    assert!(
        msg.contains("lowers security: Shared/Legacy: Basic authentication over HTTP (the password travels readable), SkipCACheck, AllowUnencrypted"),
        "{msg}"
    );
    assert!(
        msg.contains("lowers security: Shared/Modern: SkipCACheck"),
        "{msg}"
    );
    assert!(!msg.contains("Safe"), "{msg}");
}

/// A group path deeper than Baton keeps (79 levels, or 100,000 in 200 KB)
/// is skipped and reported on import, never stored: the profile file keeps
/// loading, and the process never runs out of stack.
#[test]
fn deep_group_paths_are_refused_on_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    for levels in [79usize, 100_000] {
        let file = dir.path().join(format!("deep{levels}.json"));
        let path = vec!["a"; levels].join("/");
        std::fs::write(
            &file,
            format!(
                r#"{{"Objects": [
  {{"Type": "PowerShellConnection", "Name": "Deep{levels}", "ComputerName": "deep.corp", "Path": "{path}"}},
  {{"Type": "PowerShellConnection", "Name": "Shallow{levels}", "ComputerName": "shallow.corp", "Path": "a/b"}}
]}}"#
            ),
        )
        .unwrap();
        let msg = admin::profile_import(&store, &file, Some("royaljson"), Some("Royal")).unwrap();
        assert!(
            msg.contains(&format!("group path {levels} levels deep")),
            "{}",
            &msg[..msg.len().min(400)]
        );
        let mut listed = Vec::new();
        admin::profile_list(&store, &mut listed).unwrap();
        let text = String::from_utf8(listed).unwrap();
        assert!(
            text.contains(&format!("Shallow{levels}")) && !text.contains(&format!("Deep{levels}"))
        );
    }
    // `profile add` applies the same limit.
    let e = admin::profile_add(
        &store,
        &NewComputer {
            name: "TooDeep".into(),
            group: Some(vec!["g"; 40].join("/")),
            ..NewComputer::default()
        },
    )
    .unwrap_err();
    assert!(
        e.contains("--group") && e.contains("at most 32 levels"),
        "{e}"
    );
}
