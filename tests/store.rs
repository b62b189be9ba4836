//! The store: profile file round trips, inheritance, corrupt and future
//! files, atomic saves under SIGKILL, export/import/merge, importers of
//! foreign files, and credentials in a real Secret Service and without one.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use baton::model::profile::{
    AuthMechanism, Computer, CredentialRef, Group, OutputBufferingMode, ProfileId, ProfileTree,
    SettingSource,
};
use baton::store::credentials::{
    CredentialError, CredentialStore, MemoryStore, OsKeyringStore, Secret, StoreKind,
    UnavailableReason, choose_store, choose_store_within, new_entry_id,
};
use baton::store::import::{
    ImportError,
    hostlist::import_host_list,
    mremoteng::{import_mremoteng, import_mremoteng_with_passwords},
    rdcman::import_rdcman,
    rdm::import_rdm,
    royaljson::import_royal_json,
};
use baton::store::profiles::{
    self, MergeMode, ProfileStore, SCHEMA_VERSION, StoreError, export, import_baton, merge_into,
    parse_profiles, profiles_path_for, to_toml,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/store")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap()
}

fn id(n: u32) -> ProfileId {
    ProfileId::parse(&format!("00000000-0000-4000-8000-{n:012}")).unwrap()
}

fn sample_tree() -> ProfileTree {
    parse_profiles(&read("profiles-v2.toml"), "profiles-v2.toml")
        .unwrap()
        .0
}

#[test]
fn sample_file_loads_and_resolves_inheritance_with_sources() {
    let tree = sample_tree();
    let srv1 = tree.effective(id(100)).unwrap();
    assert_eq!(srv1.host.value.as_deref(), Some("srv1.corp.local"));
    assert_eq!(srv1.port.value, Some(8443));
    assert_eq!(srv1.port.source.to_string(), "Datacenter/Web/Srv1");
    assert_eq!(srv1.use_ssl.value, Some(true));
    assert_eq!(
        srv1.use_ssl.source,
        SettingSource::Node {
            id: id(10),
            path: "Datacenter".into()
        }
    );
    assert_eq!(srv1.authentication.value, Some(AuthMechanism::Kerberos));
    assert_eq!(srv1.configuration_name.value.as_deref(), Some("JEA-Web"));
    assert_eq!(srv1.configuration_name.source.to_string(), "Datacenter/Web");
    assert_eq!(srv1.open_timeout_ms.value, Some(60_000));
    assert_eq!(srv1.open_timeout_ms.source.to_string(), "root");
    assert_eq!(srv1.operation_timeout_ms.value, Some(180_000));
    assert_eq!(srv1.operation_timeout_ms.source, SettingSource::Default);
    assert_eq!(srv1.application_name.value.as_deref(), Some("wsman"));
    assert_eq!(
        srv1.credential.value,
        Some(CredentialRef {
            user: "CORP\\admin".into(),
            entry: Some("6a1f0c3e-9d2b-4c7a-8e5f-0b1c2d3e4f50".into())
        })
    );

    // Srv2 inherits everything: host from its name, port from the scheme.
    let srv2 = tree.effective(id(101)).unwrap();
    assert_eq!(srv2.host.value.as_deref(), Some("Srv2"));
    assert!(matches!(srv2.host.source, SettingSource::Derived(_)));
    assert_eq!(srv2.port.value, Some(5986));
    assert_eq!(srv2.authentication.value, Some(AuthMechanism::Negotiate));
    assert_eq!(srv2.idle_timeout_ms.value, Some(7_200_000));

    let dc = tree.effective(id(102)).unwrap();
    assert_eq!(dc.credential.value.as_ref().unwrap().user, "CORP\\tech");
    assert_eq!(dc.credential.value.as_ref().unwrap().entry, None);
    assert_eq!(
        dc.output_buffering_mode.value,
        Some(OutputBufferingMode::Block)
    );
    assert_eq!(
        dc.configuration_name.value.as_deref(),
        Some("Microsoft.PowerShell")
    );

    let lab = tree.effective(id(200)).unwrap();
    assert_eq!(lab.port.value, Some(5985));
    assert_eq!(lab.allow_unencrypted.value, Some(true));
    assert_eq!(lab.credential.value, None);

    let rows = srv1.rows();
    let port = rows.iter().find(|r| r.name == "Port").unwrap();
    assert_eq!(port.value, "8443");
    let by_alias = tree.find_by_name("SRV1");
    assert_eq!(by_alias.len(), 1);
    assert_eq!(by_alias[0].computer.id, id(100));
}

#[test]
fn profile_file_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("sub/profiles.toml"));
    let first = store.load().unwrap();
    assert!(!first.existed);
    assert_eq!(first.tree.computers().len(), 0);

    let tree = sample_tree();
    store.save(&tree).unwrap();
    let loaded = store.load().unwrap();
    assert!(loaded.existed);
    assert_eq!(loaded.migrated_from, None);
    assert_eq!(loaded.tree, tree);
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert!(text.contains(&format!("schema_version = {SCHEMA_VERSION}")));
    assert!(text.contains("name = \"Srv1\""), "{text}");
    // Text round trip is stable.
    assert_eq!(to_toml(&loaded.tree).unwrap(), text);
}

#[test]
fn backup_keeps_the_last_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    let mut tree = sample_tree();
    store.save(&tree).unwrap();
    assert!(store.load_backup().unwrap().is_none());
    let first = std::fs::read(store.path()).unwrap();
    tree.root.computers.push(Computer::new("Added"));
    store.save(&tree).unwrap();
    assert_eq!(std::fs::read(store.backup_path()).unwrap(), first);
    assert_eq!(store.load_backup().unwrap().unwrap(), sample_tree());
    assert_eq!(store.load().unwrap().tree, tree);
}

#[test]
fn corrupt_file_names_line_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profiles.toml");
    let original = std::fs::read(data("profiles-corrupt.toml")).unwrap();
    std::fs::write(&path, &original).unwrap();
    let store = ProfileStore::new(&path);
    let err = store.load().unwrap_err();
    match &err {
        StoreError::Parse { line, .. } => assert_eq!(*line, 9, "{err}"),
        other => panic!("expected a parse error, got {other}"),
    }
    assert!(err.to_string().contains("line 9"), "{err}");
    assert!(err.to_string().contains("profiles.toml"), "{err}");
    // Saving over it is refused; the bytes stay identical.
    let refused = store.save(&sample_tree()).unwrap_err();
    assert!(
        matches!(refused, StoreError::RefuseOverwriteCorrupt { .. }),
        "{refused}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), original);
    assert!(!store.backup_path().exists());
    // Setting it aside keeps it, then saving works.
    let aside = store.set_aside_corrupt().unwrap();
    assert_eq!(std::fs::read(&aside).unwrap(), original);
    store.save(&sample_tree()).unwrap();
    assert_eq!(store.load().unwrap().tree, sample_tree());
}

#[test]
fn wrong_type_names_line() {
    let err = parse_profiles(&read("profiles-badtype.toml"), "profiles-badtype.toml").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("profiles-badtype.toml"), "{text}");
    match err {
        StoreError::Parse {
            line,
            column,
            message,
            ..
        } => {
            assert_eq!((line, column), (5, 8), "{text}");
            assert!(message.contains("port"), "{message}");
        }
        other => panic!("expected a positioned error, got {other}"),
    }
}

#[test]
fn future_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profiles.toml");
    let original = std::fs::read(data("profiles-future.toml")).unwrap();
    std::fs::write(&path, &original).unwrap();
    let store = ProfileStore::new(&path);
    let err = store.load().unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::FutureVersion {
                found: 7,
                supported: SCHEMA_VERSION,
                ..
            }
        ),
        "{err}"
    );
    assert!(store.save(&ProfileTree::default()).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), original);
}

#[test]
fn version_1_file_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profiles.toml");
    std::fs::copy(data("profiles-v1.toml"), &path).unwrap();
    let store = ProfileStore::new(&path);
    let loaded = store.load().unwrap();
    assert_eq!(loaded.migrated_from, Some(1));
    let tree = &loaded.tree;
    let dc = &tree.root.groups[0];
    assert_eq!(dc.name, "Datacenter");
    assert_eq!(dc.groups[0].name, "Web");
    assert_eq!(dc.groups[0].computers.len(), 2);
    let srv1 = tree.find_by_name("Srv1")[0].computer;
    assert_eq!(srv1.id.to_string(), "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    let eff = tree.effective(srv1.id).unwrap();
    assert_eq!(eff.port.value, Some(5986));
    assert_eq!(eff.authentication.value, Some(AuthMechanism::Kerberos));
    assert_eq!(
        eff.credential.value.unwrap().entry.as_deref(),
        Some("6a1f0c3e-9d2b-4c7a-8e5f-0b1c2d3e4f50")
    );
    let lab = &tree.find_by_name("Lab")[0];
    assert_eq!(lab.group_path, "");
    // The file is rewritten in the current schema only when saved; the v1
    // file becomes the backup.
    store.save(tree).unwrap();
    assert_eq!(store.load().unwrap().migrated_from, None);
    assert_eq!(
        std::fs::read_to_string(store.backup_path()).unwrap(),
        read("profiles-v1.toml")
    );
}

#[test]
fn portable_mode_uses_the_executable_dir() {
    let exe = tempfile::tempdir().unwrap();
    let cfg = tempfile::tempdir().unwrap();
    assert_eq!(
        profiles_path_for(Some(exe.path()), Some(cfg.path())),
        Some(cfg.path().join("profiles.toml"))
    );
    std::fs::write(exe.path().join(profiles::PORTABLE_MARKER), b"").unwrap();
    assert_eq!(
        profiles_path_for(Some(exe.path()), Some(cfg.path())),
        Some(exe.path().join("profiles.toml"))
    );
}

#[test]
fn export_one_group_and_merge_it_back() {
    let tree = sample_tree();
    let text = export(&tree, Some(id(11))).unwrap();
    let (exported, _) = parse_profiles(&text, "export").unwrap();
    // Self-contained: the group's inherited settings travel in the root.
    assert_eq!(exported.root.settings.use_ssl, Some(true));
    assert_eq!(exported.root.groups[0].name, "Web");
    let e = exported.effective(id(101)).unwrap();
    assert_eq!(e.port.value, Some(5986));
    assert_eq!(e.open_timeout_ms.value, Some(60_000));

    // Into an empty tree: everything is added, inherited settings pushed down.
    let mut empty = ProfileTree::default();
    let report = import_baton(&mut empty, None, &text, "export", MergeMode::KeepExisting).unwrap();
    assert_eq!(report.added_computers, 2);
    assert_eq!(report.added_groups, 1);
    assert_eq!(empty.root.settings.use_ssl, None);
    assert_eq!(empty.effective(id(101)).unwrap().port.value, Some(5986));

    // Into the original tree: same ids, so kept / replaced / copied.
    let mut keep = tree.clone();
    let r = import_baton(&mut keep, None, &text, "export", MergeMode::KeepExisting).unwrap();
    assert_eq!(r.added_computers, 0);
    assert_eq!(r.skipped.len(), 2, "{r:?}");
    let mut copy = tree.clone();
    let r = import_baton(&mut copy, None, &text, "export", MergeMode::AddCopy).unwrap();
    assert_eq!(r.added_computers, 2);
    assert_eq!(copy.computers().len(), tree.computers().len() + 2);
    let mut replace = tree.clone();
    let r = import_baton(&mut replace, None, &text, "export", MergeMode::Replace).unwrap();
    assert_eq!(r.replaced_computers, 2);
    assert_eq!(replace.computers().len(), tree.computers().len());
}

#[test]
fn failed_import_leaves_the_tree_unchanged() {
    let tree = sample_tree();
    let mut work = tree.clone();
    let err = import_baton(
        &mut work,
        None,
        &read("profiles-corrupt.toml"),
        "x",
        MergeMode::Replace,
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Parse { .. }));
    assert_eq!(work, tree);
    let err = merge_into(
        &mut work,
        Some(ProfileId::new_random()),
        &Group::new("x").with_computer(Computer::new("y")),
        MergeMode::Replace,
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)));
    assert_eq!(work, tree);
}

#[test]
fn host_list_import() {
    let imp = import_host_list(&read("hosts.txt"), "Accounting", "hosts.txt").unwrap();
    let names: Vec<_> = imp
        .group
        .computers
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names.len(), 15 + 3 + 3);
    assert_eq!(names[0], "acc-pc01");
    assert_eq!(names[14], "acc-pc15");
    assert_eq!(
        &names[15..18],
        ["srv1.corp.local", "srv2.corp.local", "srv3.corp.local"]
    );
    assert_eq!(names[18], "fileserver.corp.local");
    assert_eq!(imp.group.computers[18].settings.port, Some(5986));
    assert_eq!(names[19], "10.0.0.20");
    assert_eq!(names[20], "[fe80::1]");
    let skipped: Vec<_> = imp.report.skipped.iter().map(|s| s.item.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "line 9", "line 10", "line 11", "line 12", "line 13", "line 14"
        ],
        "{:?}",
        imp.report.skipped
    );
    assert!(imp.report.skipped[5].reason.contains("more than"));
    assert!(imp.report.skipped[4].reason.contains("twice"));
}

#[test]
fn mremoteng_import() {
    let bytes = std::fs::read(data("confCons.xml")).unwrap();
    let imp = import_mremoteng(&bytes, "confCons.xml").unwrap();
    let g = &imp.group;
    assert_eq!(g.name, "Connections");
    let contoso = &g.groups[0];
    assert_eq!(contoso.name, "Contoso");
    assert_eq!(contoso.description.as_deref(), Some("Head office"));
    assert_eq!(
        contoso.settings.credential.as_ref().unwrap().user,
        "CONTOSO\\admin"
    );
    let servers = &contoso.groups[0];
    assert_eq!(
        servers.settings.credential, None,
        "InheritUsername=true inherits"
    );
    let names: Vec<_> = servers.computers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["DC01", "FS01"]);
    let dc = &servers.computers[0];
    assert_eq!(dc.id.to_string(), "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a");
    assert_eq!(dc.settings.port, Some(5986));
    assert_eq!(dc.settings.credential, None);
    let fs = &servers.computers[1];
    assert_eq!(fs.settings.port, None, "an RDP port is not a WinRM port");
    assert_eq!(
        fs.settings.credential.as_ref().unwrap().user,
        "CONTOSO\\tech"
    );
    let web = &servers.groups[0];
    assert_eq!(web.settings.credential.as_ref().unwrap().user, "webadmin");
    assert_eq!(web.computers[0].settings.port, None, "InheritPort");
    assert_eq!(web.computers.len(), 1, "WEB02 has no host");

    let skipped: Vec<_> = imp.report.skipped.iter().map(|s| s.item.as_str()).collect();
    assert!(
        skipped.contains(&"connection Contoso/Servers/Linux jump"),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(&"connection Contoso/Servers/Web/WEB02"),
        "{skipped:?}"
    );
    assert!(skipped.contains(&"connection Lab VNC"), "{skipped:?}");
    assert_eq!(
        imp.report.passwords_not_transferred,
        [
            "Contoso",
            "Contoso/Servers/FS01",
            "Contoso/Servers/Linux jump"
        ]
    );
    assert!(
        imp.report
            .warnings
            .iter()
            .any(|w| w.contains("not transferred"))
    );

    // Merged into a profile tree and saved: no trace of the passwords.
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    let mut tree = sample_tree();
    merge_into(
        &mut tree,
        None,
        &Group::new("").with_group(imp.group.clone()),
        MergeMode::KeepExisting,
    )
    .unwrap();
    store.save(&tree).unwrap();
    let text = std::fs::read_to_string(store.path()).unwrap();
    let xml = String::from_utf8(bytes).unwrap();
    for enc in xml.split(" Password=\"").skip(1) {
        let enc = enc.split('"').next().unwrap();
        if !enc.is_empty() {
            assert!(!text.contains(enc));
        }
    }
    assert!(text.contains("dc01.contoso.local"));
}

#[test]
fn mremoteng_refusals() {
    let xxe =
        import_mremoteng(&std::fs::read(data("confCons-xxe.xml")).unwrap(), "xxe").unwrap_err();
    assert!(matches!(xxe, ImportError::Refused { .. }), "{xxe}");
    assert!(xxe.to_string().contains("DTD"), "{xxe}");
    let full =
        import_mremoteng(&std::fs::read(data("confCons-fullfile.xml")).unwrap(), "ff").unwrap_err();
    assert!(full.to_string().contains("FullFileEncryption"), "{full}");
    let bad = import_mremoteng(
        &std::fs::read(data("confCons-malformed.xml")).unwrap(),
        "bad",
    )
    .unwrap_err();
    assert!(matches!(bad, ImportError::Malformed { .. }), "{bad}");
    let rdg = import_mremoteng(&std::fs::read(data("servers.rdg")).unwrap(), "rdg").unwrap_err();
    assert!(rdg.to_string().contains("not mRemoteNG"), "{rdg}");
}

#[test]
fn mremoteng_passwords_move_into_the_credential_store() {
    let bytes = std::fs::read(data("confCons.xml")).unwrap();
    let creds = MemoryStore::new();
    let imp = import_mremoteng_with_passwords(&bytes, "confCons.xml", None, &creds).unwrap();
    let contoso = &imp.group.groups[0];
    let admin = contoso.settings.credential.clone().unwrap();
    let got = creds.get(admin.entry.as_deref().unwrap()).unwrap();
    assert_eq!(
        (got.user.as_str(), got.secret.expose()),
        ("CONTOSO\\admin", "Adm1n-Pa55!")
    );
    let fs = &contoso.groups[0].computers[1];
    let tech = fs.settings.credential.as_ref().unwrap();
    assert_eq!(
        creds
            .get(tech.entry.as_deref().unwrap())
            .unwrap()
            .secret
            .expose(),
        "Tech-Secret-42"
    );
    // The SSH connection is skipped, so its password is not moved.
    assert_eq!(creds.list().unwrap().len(), 2);
    assert_eq!(
        imp.report.passwords_not_transferred,
        ["Contoso/Servers/Linux jump"]
    );
    assert!(
        imp.report
            .warnings
            .iter()
            .any(|w| w.contains("default master password"))
    );

    // Saved as a profile file: references only, no secret.
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    let mut tree = ProfileTree::default();
    tree.root.groups.push(imp.group);
    store.save(&tree).unwrap();
    let text = std::fs::read_to_string(store.path()).unwrap();
    for secret in ["Adm1n-Pa55!", "Tech-Secret-42", "Ssh-Only-pw"] {
        assert!(!text.contains(secret));
    }
    assert!(text.contains(admin.entry.as_deref().unwrap()));
}

#[test]
fn mremoteng_moves_no_password_of_a_connection_it_skips() {
    // FS01 keeps its saved password but loses its host name: the
    // connection is skipped, so its password must not reach the store
    // (found by fuzzing: it was stored, then left without a reference).
    let text = std::fs::read_to_string(data("confCons.xml")).unwrap();
    let text = text.replace(r#"Hostname="fs01.contoso.local""#, r#"Hostname="fs 01""#);
    let creds = MemoryStore::new();
    let imp = import_mremoteng_with_passwords(text.as_bytes(), "m", None, &creds).unwrap();
    assert_eq!(creds.list().unwrap().len(), 1, "only Contoso's password");
    assert!(
        imp.report
            .passwords_not_transferred
            .iter()
            .any(|p| p.ends_with("FS01")),
        "{:?}",
        imp.report.passwords_not_transferred
    );
}

#[test]
fn mremoteng_master_password() {
    let bytes = std::fs::read(data("confCons-master.xml")).unwrap();
    let creds = MemoryStore::new();
    let err = import_mremoteng_with_passwords(&bytes, "m", None, &creds).unwrap_err();
    assert!(err.to_string().contains("own master password"), "{err}");
    let err = import_mremoteng_with_passwords(&bytes, "m", Some(&Secret::from("wrong")), &creds)
        .unwrap_err();
    assert!(err.to_string().contains("wrong master password"), "{err}");
    assert!(creds.list().unwrap().is_empty());
    let imp =
        import_mremoteng_with_passwords(&bytes, "m", Some(&Secret::from("S3cure-Master")), &creds)
            .unwrap();
    assert_eq!(creds.list().unwrap().len(), 2);
    assert!(
        !imp.report
            .warnings
            .iter()
            .any(|w| w.contains("default master password"))
    );
    let admin = imp.group.groups[0].settings.credential.as_ref().unwrap();
    assert_eq!(
        creds
            .get(admin.entry.as_deref().unwrap())
            .unwrap()
            .secret
            .expose(),
        "Adm1n-Pa55!"
    );
    // Refused files store nothing.
    let xxe = std::fs::read(data("confCons-xxe.xml")).unwrap();
    let empty = MemoryStore::new();
    assert!(import_mremoteng_with_passwords(&xxe, "x", None, &empty).is_err());
    assert!(empty.list().unwrap().is_empty());
}

#[test]
fn rdcman_import() {
    let imp = import_rdcman(&std::fs::read(data("servers.rdg")).unwrap(), "servers.rdg").unwrap();
    let g = &imp.group;
    assert_eq!(g.name, "Fabrikam");
    assert_eq!(g.description.as_deref(), Some("Branch offices"));
    assert_eq!(
        g.settings.credential.as_ref().unwrap().user,
        "helpdesk@fabrikam.com"
    );
    let paris = &g.groups[0];
    assert_eq!(
        paris.settings.credential.as_ref().unwrap().user,
        "FABRIKAM\\tech"
    );
    assert_eq!(paris.computers[0].name, "PAR-DC");
    assert_eq!(
        paris.computers[0].settings.host.as_deref(),
        Some("par-dc01.fabrikam.local")
    );
    assert_eq!(paris.computers[0].settings.credential, None);
    assert_eq!(paris.computers[1].name, "par-app02.fabrikam.local");
    assert_eq!(
        paris.computers[1]
            .settings
            .credential
            .as_ref()
            .unwrap()
            .user,
        "FABRIKAM\\appsvc"
    );
    let lab = &paris.groups[0];
    assert_eq!(lab.settings.credential, None);
    assert_eq!(lab.computers[0].settings.credential, None);
    assert_eq!(g.groups[1].name, "Lyon");
    assert_eq!(g.computer_count(), 4);
    assert!(
        imp.report
            .skipped
            .iter()
            .any(|s| s.item == "smart group Fabrikam/All DCs")
    );
    assert!(
        imp.report
            .skipped
            .iter()
            .any(|s| s.reason.contains("MyOwnLocalProfile"))
    );
    assert_eq!(
        imp.report.passwords_not_transferred,
        [
            "credential profile Tech",
            "Fabrikam/Paris/par-app02.fabrikam.local"
        ]
    );
    assert!(imp.report.warnings.iter().any(|w| w.contains("DPAPI")));

    let v1 = import_rdcman(&std::fs::read(data("servers-v1.rdg")).unwrap(), "v1").unwrap();
    let old = &v1.group.groups[0];
    assert_eq!(v1.group.name, "Legacy");
    assert_eq!(old.computers[0].name, "OLD01");
    assert_eq!(
        old.computers[0].settings.host.as_deref(),
        Some("old01.corp.local")
    );
    assert_eq!(
        old.computers[0].settings.credential.as_ref().unwrap().user,
        "CORP\\olduser"
    );
    assert_eq!(old.computers[1].settings.credential, None);
    assert_eq!(v1.report.passwords_not_transferred.len(), 1);

    let xxe = import_rdcman(&std::fs::read(data("servers-xxe.rdg")).unwrap(), "xxe").unwrap_err();
    assert!(matches!(xxe, ImportError::Refused { .. }), "{xxe}");
    let bad = import_rdcman(
        &std::fs::read(data("servers-malformed.rdg")).unwrap(),
        "bad",
    )
    .unwrap_err();
    assert!(matches!(bad, ImportError::Malformed { .. }), "{bad}");
}

/// The ciphertexts of the `SafePassword` elements of `export.rdm`.
const RDM_SAFE_PASSWORDS: [&str; 4] = [
    "Q3JlZC1FbnRyeS1DaXBoZXJ0ZXh0LTk5",
    "UFMtRW50cnktQ2lwaGVydGV4dC00Mg==",
    "UkRQLUVudHJ5LUNpcGhlcnRleHQtMDc=",
    "U1NILUVudHJ5LUNpcGhlcnRleHQtMTM=",
];

#[test]
fn rdm_import() {
    let imp = import_rdm(
        &std::fs::read(data("export.rdm")).unwrap(),
        "RDM",
        "export.rdm",
    )
    .unwrap();
    let g = &imp.group;
    assert_eq!(g.name, "RDM");
    let names: Vec<&str> = g.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["Datacenter", "Branch"]);
    let dc = &g.groups[0];
    assert_eq!(
        dc.id,
        ProfileId::parse("6b1c0c8e-2f0a-4c55-9e0c-0d2a6b9f1a01").unwrap()
    );
    assert_eq!(dc.description.as_deref(), Some("Main site"));
    assert_eq!(
        dc.settings.credential,
        Some(CredentialRef {
            user: "CORP\\helpdesk1".into(),
            entry: None
        })
    );
    assert!(
        dc.computers.is_empty(),
        "the local console is not a computer"
    );

    // Datacenter\Web: a PowerShell entry with its own section and a credential entry.
    let web = &dc.groups[0];
    assert_eq!(web.name, "Web");
    let web01 = &web.computers[0];
    assert_eq!(web01.name, "Web01");
    assert_eq!(
        web01.id,
        ProfileId::parse("6b1c0c8e-2f0a-4c55-9e0c-0d2a6b9f1b01").unwrap()
    );
    assert_eq!(web01.description.as_deref(), Some("IIS front end"));
    assert_eq!(web01.settings.host.as_deref(), Some("web01.corp.example"));
    assert_eq!(web01.settings.port, Some(5986));
    assert_eq!(web01.settings.use_ssl, Some(true));
    assert_eq!(
        web01.settings.configuration_name.as_deref(),
        Some("JEA-Web")
    );
    assert_eq!(
        web01.settings.credential.as_ref().map(|c| c.user.as_str()),
        Some("CORP\\webadmin"),
        "named by CredentialConnectionID"
    );
    assert_eq!(web01.settings.credential.as_ref().unwrap().entry, None);
    // A connection URI in Url.
    let web02 = &web.computers[1];
    assert_eq!(
        web02.settings.connection_uri.as_deref(),
        Some("https://web02.corp.example:5986/wsman")
    );
    assert_eq!(web02.settings.host.as_deref(), Some("web02.corp.example"));
    assert_eq!(
        web02.settings.credential.as_ref().unwrap().user,
        "CORP\\ops2"
    );
    assert_eq!(web.computers.len(), 2, "the SSH entry is skipped");

    // Datacenter\Databases\SQL exists only as the path of an RDP entry.
    let sql = &dc.groups[1].groups[0];
    assert_eq!(
        (dc.groups[1].name.as_str(), sql.name.as_str()),
        ("Databases", "SQL")
    );
    let sql01 = &sql.computers[0];
    assert_eq!(sql01.settings.host.as_deref(), Some("sql01.corp.example"));
    assert_eq!(sql01.settings.port, None, "3390 is RDP's port, not WinRM's");
    assert_eq!(
        sql01.settings.credential.as_ref().unwrap().user,
        "CORP\\dba"
    );

    let branch = &g.groups[1];
    assert_eq!(branch.computers[0].name, "Kiosk");
    assert_eq!(
        branch.computers[0].settings.host.as_deref(),
        Some("10.20.0.15")
    );
    assert_eq!(branch.computers[0].settings.credential, None);
    assert_eq!(g.computer_count(), 4);

    let skipped = |needle: &str| {
        imp.report
            .skipped
            .iter()
            .find(|s| s.item.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not reported: {:?}", imp.report.skipped))
    };
    assert!(
        skipped("Local console")
            .reason
            .contains("local PowerShell console")
    );
    assert!(skipped("SSHShell").reason.contains("an SSH connection"));
    assert!(skipped("WebBrowser").reason.contains("a web page"));
    assert!(skipped("VNC").reason.contains("a VNC connection"));
    assert_eq!(skipped("No type").reason, "no ConnectionType");
    assert!(
        skipped("credentials of Branch/Kiosk")
            .reason
            .contains("9a9a9a9a-1111-2222-3333-444455556666")
    );
    assert_eq!(imp.report.skipped.len(), 6, "{:?}", imp.report.skipped);
    assert_eq!(
        imp.report.passwords_not_transferred,
        [
            "Datacenter/Web/Web02",
            "Datacenter/Databases/SQL/Sql01",
            "Datacenter/Web/lb01"
        ]
    );
    assert!(
        imp.report
            .warnings
            .iter()
            .any(|w| w.contains("not transferred"))
    );
    assert!(
        imp.report
            .warnings
            .iter()
            .any(|w| w.contains("Sql01") && w.contains("RDP port"))
    );

    // No ciphertext reaches the profile file.
    let mut tree = ProfileTree::default();
    let mut outer = Group::new("");
    outer.groups.push(imp.group.clone());
    merge_into(&mut tree, None, &outer, MergeMode::KeepExisting).unwrap();
    let text = to_toml(&tree).unwrap();
    for c in RDM_SAFE_PASSWORDS {
        assert!(!text.contains(c), "{c} leaked into the profile file");
    }
    assert!(
        text.contains("JEA-Web") && text.contains("webadmin"),
        "{text}"
    );
}

#[test]
fn rdm_refusals_and_other_roots() {
    // A DTD is refused before anything is read; nothing is fetched.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let xxe = read("export-xxe.rdm").replace(
        "http://attacker.example/evil.dtd",
        &format!("http://127.0.0.1:{port}/evil.dtd"),
    );
    assert!(xxe.contains(&port.to_string()));
    for bytes in [
        std::fs::read(data("export-xxe.rdm")).unwrap(),
        xxe.into_bytes(),
    ] {
        let e = import_rdm(&bytes, "RDM", "xxe.rdm").unwrap_err();
        assert!(matches!(e, ImportError::Refused { .. }), "{e}");
        assert!(e.to_string().contains("DTD"), "{e}");
        assert!(
            !e.to_string().contains("root:"),
            "no entity was expanded: {e}"
        );
    }
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the importer connected to the DTD's URL"
    );

    let bad = import_rdm(
        &std::fs::read(data("export-malformed.rdm")).unwrap(),
        "RDM",
        "bad.rdm",
    )
    .unwrap_err();
    assert!(matches!(bad, ImportError::Malformed { .. }), "{bad}");
    assert!(bad.to_string().contains("bad.rdm"), "{bad}");

    let wrong = import_rdm(b"<RDCMan><file/></RDCMan>", "RDM", "x.rdm").unwrap_err();
    assert!(wrong.to_string().contains("not RDMExport"), "{wrong}");
    let mrng = import_rdm(
        br#"<Connections><Node Name="a" Type="Connection" Hostname="a"/></Connections>"#,
        "RDM",
        "m.rdm",
    )
    .unwrap_err();
    assert!(mrng.to_string().contains("mRemoteNG"), "{mrng}");

    // Older exports: a bare ArrayOfConnection; a folder given by parent path + name.
    let old = import_rdm(
        br#"<?xml version="1.0"?>
<ArrayOfConnection>
  <Connection><ConnectionType>Group</ConnectionType><Group>Sites</Group><Name>Paris</Name></Connection>
  <Connection><ConnectionType>PowerShell</ConnectionType><Group>Sites\Paris</Group><Name>PAR-DC</Name>
    <Host>par-dc.corp.example:15985</Host><UseSSL>maybe</UseSSL></Connection>
</ArrayOfConnection>"#,
        "Old",
        "old.rdm",
    )
    .unwrap();
    let paris = &old.group.groups[0].groups[0];
    assert_eq!(paris.name, "Paris");
    assert_eq!(paris.computers[0].settings.port, Some(15985));
    assert_eq!(paris.computers[0].settings.use_ssl, None);
    assert!(
        old.report
            .warnings
            .iter()
            .any(|w| w.contains("UseSSL \"maybe\""))
    );
    let empty = import_rdm(b"<RDMExport/>", "E", "e.rdm").unwrap();
    assert_eq!(empty.group.computer_count(), 0);
}

#[test]
fn no_secret_in_profile_files_or_exports() {
    const SECRET: &str = "Zq9-unique-test-secret-7Hk";
    let creds = MemoryStore::new();
    let entry = new_entry_id();
    creds
        .set(&entry, "CORP\\admin", &Secret::from(SECRET))
        .unwrap();
    let mut tree = sample_tree();
    let mut c = Computer::new("WithCred");
    c.settings.credential = Some(CredentialRef {
        user: "CORP\\admin".into(),
        entry: Some(entry.clone()),
    });
    tree.root.computers.push(c);
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    store.save(&tree).unwrap();
    store.save(&tree).unwrap();
    std::fs::write(dir.path().join("export.toml"), export(&tree, None).unwrap()).unwrap();
    std::fs::write(
        dir.path().join("export-group.toml"),
        export(&tree, Some(id(10))).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
        checked += 1;
    }
    // The file, its backup, its (empty) lock file and the two exports.
    assert_eq!(checked, 5);
    assert!(
        std::fs::read_to_string(store.path())
            .unwrap()
            .contains(&entry)
    );
    assert_eq!(creds.get(&entry).unwrap().secret.expose(), SECRET);
}

// ---- atomic save under SIGKILL ----

const SAVE_LOOP_ENV: &str = "BATON_TEST_SAVE_LOOP";

fn tree_of(n: usize) -> ProfileTree {
    let mut t = ProfileTree::default();
    let mut g = Group::new("Bulk");
    for i in 0..n {
        let mut c = Computer::new(&format!("host{i:04}"));
        c.settings.host = Some(format!("host{i:04}.corp.local"));
        c.description = Some("x".repeat(200));
        g.computers.push(c);
    }
    t.root.groups.push(g);
    t
}

/// Helper run by `atomic_save_survives_sigkill` in a child process: saves
/// forever, alternating two trees, until killed.
#[test]
#[ignore = "helper process for atomic_save_survives_sigkill"]
fn save_loop_child() {
    let path = std::env::var(SAVE_LOOP_ENV).expect("run by atomic_save_survives_sigkill");
    let store = ProfileStore::new(path);
    let (a, b) = (tree_of(50), tree_of(400));
    store.save(&a).unwrap();
    println!("READY");
    loop {
        store.save(&b).unwrap();
        store.save(&a).unwrap();
    }
}

#[test]
fn atomic_save_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profiles.toml");
    let exe = std::env::current_exe().unwrap();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..50 {
        let mut child = Command::new(&exe)
            .args([
                "store::save_loop_child",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(SAVE_LOOP_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            assert_ne!(out.read_line(&mut line).unwrap(), 0, "child ended early");
            if line.trim() == "READY" {
                break;
            }
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(std::time::Duration::from_micros(seed % 20_000));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let loaded = ProfileStore::new(&path)
            .load()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let n = loaded.tree.computers().len();
        assert!(n == 50 || n == 400, "round {round}: {n} computers");
    }
    // A save from a live process clears the temporary files the killed
    // writers left behind.
    let store = ProfileStore::new(&path);
    store.save(&tree_of(3)).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["profiles.toml", "profiles.toml.bak", "profiles.toml.lock"],
        "{names:?}"
    );
}

// ---- credentials ----

fn os_keyring() -> OsKeyringStore {
    OsKeyringStore::open().unwrap_or_else(|e| {
        panic!(
            "{e}\nthese tests need a Secret Service: run them inside \
             `dbus-run-session -- bash -c 'echo -n pw | gnome-keyring-daemon --unlock \
             --components=secrets >/dev/null; cargo test --test main store'` (tests/run-all.sh does)"
        )
    })
}

#[test]
fn keyring_store_read_update_delete() {
    let ks = os_keyring();
    assert_eq!(ks.kind(), StoreKind::OsKeyring);
    let id = new_entry_id();
    assert!(matches!(ks.get(&id), Err(CredentialError::NotFound(_))));
    ks.set(&id, "CORP\\admin", &Secret::from("first-pw"))
        .unwrap();
    let got = ks.get(&id).unwrap();
    assert_eq!(got.user, "CORP\\admin");
    assert_eq!(got.secret.expose(), "first-pw");
    assert!(
        ks.list()
            .unwrap()
            .iter()
            .any(|c| c.id == id && c.user == "CORP\\admin")
    );

    // Profiles that reference the keyring entry carry no secret.
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    let mut tree = ProfileTree::default();
    let mut c = Computer::new("K");
    c.settings.credential = Some(CredentialRef {
        user: "CORP\\admin".into(),
        entry: Some(id.clone()),
    });
    tree.root.computers.push(c);
    store.save(&tree).unwrap();
    store.save(&tree).unwrap();
    for f in [store.path().to_owned(), store.backup_path()] {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.contains(&id) && !text.contains("first-pw"));
    }
    assert!(!export(&tree, None).unwrap().contains("first-pw"));

    ks.update(&id, None, Some(&Secret::from("second-pw")))
        .unwrap();
    assert_eq!(ks.get(&id).unwrap().secret.expose(), "second-pw");
    ks.update(&id, Some("CORP\\tech"), None).unwrap();
    let got = ks.get(&id).unwrap();
    assert_eq!(
        (got.user.as_str(), got.secret.expose()),
        ("CORP\\tech", "second-pw")
    );

    // A second handle (as after a restart) sees the same entries.
    let again = os_keyring();
    assert_eq!(again.get(&id).unwrap().secret.expose(), "second-pw");

    ks.delete(&id).unwrap();
    assert!(matches!(ks.get(&id), Err(CredentialError::NotFound(_))));
    assert!(!ks.list().unwrap().iter().any(|c| c.id == id));
    assert!(matches!(ks.delete(&id), Err(CredentialError::NotFound(_))));
    assert!(matches!(
        ks.update(&id, Some("x"), None),
        Err(CredentialError::NotFound(_))
    ));
}

#[test]
fn keyring_index_spans_several_entries() {
    let ks = os_keyring().with_index_page_limit(200);
    let ids: Vec<String> = (0..8).map(|_| new_entry_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        ks.set(id, &format!("CORP\\user{i}"), &Secret::from("pw"))
            .unwrap();
    }
    // A handle with the default page size reads all pages.
    let listed = os_keyring().list().unwrap();
    for (i, id) in ids.iter().enumerate() {
        assert!(
            listed
                .iter()
                .any(|c| &c.id == id && c.user == format!("CORP\\user{i}")),
            "{id} missing"
        );
    }
    assert!(matches!(
        ks.set("baton-index-2", "x", &Secret::from("y")),
        Err(CredentialError::InvalidId(_))
    ));
    for id in &ids {
        ks.delete(id).unwrap();
    }
    let listed = os_keyring().list().unwrap();
    assert!(!listed.iter().any(|c| ids.contains(&c.id)));
}

#[test]
fn chooser_picks_the_keyring_when_it_runs() {
    let chosen = choose_store();
    assert!(
        chosen.unavailable.is_none(),
        "Secret Service expected: {}",
        chosen.unavailable.unwrap()
    );
    assert_eq!(chosen.store.kind(), StoreKind::OsKeyring);
}

const NO_BUS_ENV: &str = "BATON_TEST_NO_BUS_CHILD";

/// Helper run by `no_secret_service_falls_back_to_memory` with a bogus bus.
#[test]
#[ignore = "helper process for no_secret_service_falls_back_to_memory"]
fn no_bus_child() {
    assert_eq!(std::env::var(NO_BUS_ENV).as_deref(), Ok("1"));
    let err = OsKeyringStore::open().unwrap_err();
    assert_eq!(err.reason, UnavailableReason::NoSessionBus, "{err}");
    let chosen = choose_store();
    let why = chosen
        .unavailable
        .expect("the keyring must be reported unavailable");
    let msg = why.to_string();
    assert!(msg.contains("OS keyring is unavailable"), "{msg}");
    assert!(msg.contains("in memory for this session only"), "{msg}");
    assert_eq!(chosen.store.kind(), StoreKind::Memory);
    let id = new_entry_id();
    chosen.store.set(&id, "u", &Secret::from("pw")).unwrap();
    assert_eq!(chosen.store.get(&id).unwrap().secret.expose(), "pw");
    println!("CHILD-OK: {msg}");
}

#[test]
fn no_secret_service_falls_back_to_memory() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["store::no_bus_child", "--exact", "--ignored", "--nocapture"])
        .env(NO_BUS_ENV, "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}/no-such-bus", dir.path().display()),
        )
        .env("XDG_RUNTIME_DIR", dir.path())
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("CHILD-OK"), "{stdout}");
    assert!(stdout.contains("passed"), "{stdout}");
    // Nothing was written to any file in the child's directories.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

const LOCKED_ENV: &str = "BATON_TEST_LOCKED_CHILD";

/// Helper run by `locked_keyring_does_not_block` inside a private bus whose
/// gnome-keyring was started but never unlocked.
#[test]
#[ignore = "helper process for locked_keyring_does_not_block"]
fn locked_child() {
    assert_eq!(std::env::var(LOCKED_ENV).as_deref(), Ok("1"));
    let chosen = choose_store_within(std::time::Duration::from_secs(3));
    let why = chosen
        .unavailable
        .expect("a locked keyring must be reported");
    assert!(
        matches!(
            why.reason,
            UnavailableReason::NoAnswer | UnavailableReason::Locked
        ),
        "{why}"
    );
    assert_eq!(chosen.store.kind(), StoreKind::Memory);
    println!("CHILD-OK: {why}");
}

#[test]
fn locked_keyring_does_not_block() {
    let home = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let script = format!(
        "gnome-keyring-daemon --start --components=secrets >/dev/null </dev/null; \
         exec '{}' store::locked_child --exact --ignored --nocapture",
        exe.display()
    );
    let out = Command::new("dbus-run-session")
        .args(["--", "bash", "-c", &script])
        .env(LOCKED_ENV, "1")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .output()
        .expect(
            "dbus-run-session and gnome-keyring-daemon are needed (tests/run-all.sh installs them)",
        );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("CHILD-OK"), "{stdout}\n{stderr}");
}

#[test]
fn royal_json_import() {
    let bytes = std::fs::read(data("royal.json")).unwrap();
    let imp = import_royal_json(&bytes, "Royal TS", "royal.json").unwrap();
    let g = &imp.group;
    let servers = g.groups.iter().find(|x| x.name == "Servers").unwrap();
    assert_eq!(servers.description.as_deref(), Some("Production"));
    assert_eq!(
        servers.settings.credential.as_ref().unwrap().user,
        "NORTHWIND\\admin"
    );
    let names: Vec<_> = servers.computers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["NW-DC01", "NW-SQL01"]);
    assert_eq!(servers.computers[0].settings.credential, None);
    assert_eq!(
        servers.computers[1]
            .settings
            .credential
            .as_ref()
            .unwrap()
            .user,
        "NORTHWIND\\admin"
    );
    let lille = &g
        .groups
        .iter()
        .find(|x| x.name == "Branches")
        .unwrap()
        .groups[0];
    assert_eq!(lille.name, "Lille");
    assert_eq!(lille.computers[0].settings.host.as_deref(), Some("kiosk07"));
    let skipped: Vec<_> = imp.report.skipped.iter().map(|s| s.item.as_str()).collect();
    assert!(
        skipped.contains(&"object Royal TS/Servers/nw-proxy"),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(&"credential of Royal TS/Kiosk"),
        "{skipped:?}"
    );
    assert_eq!(
        imp.report.passwords_not_transferred.len(),
        1,
        "{:?}",
        imp.report
    );
    // Saved: no plain-text password from the file.
    let mut tree = ProfileTree::default();
    tree.root.groups.push(imp.group);
    let text = to_toml(&tree).unwrap();
    assert!(!text.contains("Royal-Plain-Pw"));
    let bad = import_royal_json(b"{\"Objects\": 3}", "x", "bad.json").unwrap_err();
    assert!(matches!(bad, ImportError::Malformed { .. }), "{bad}");
    let bad = import_royal_json(b"{\"Objects\": [", "x", "bad.json").unwrap_err();
    assert!(bad.to_string().contains("bad.json"), "{bad}");
}

/// Host lists saved by Windows PowerShell 5.1 (`Out-File`, `>`) are
/// UTF-16LE with a BOM; some tools write UTF-16 without one, or UTF-8 with
/// a BOM: every one of them imports the same computers.
#[test]
fn host_lists_in_utf16_and_with_boms_import_like_utf8() {
    use baton::store::import::{decode_text, import_into};
    let text = "Srv1\r\nsrv[02-03]\r\n# a comment\r\nweb01.corp.example\r\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("utf-8", text.as_bytes().to_vec()),
        (
            "utf-8 with BOM",
            [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        ),
        ("utf-16le with BOM", [&[0xFF, 0xFE][..], &le].concat()),
        ("utf-16le without BOM", le.clone()),
        ("utf-16be with BOM", [&[0xFE, 0xFF][..], &be].concat()),
    ];
    for (what, bytes) in variants {
        assert_eq!(decode_text(&bytes), text, "{what}");
        let mut tree = baton::model::profile::ProfileTree::default();
        let lines = import_into(
            &mut tree,
            None,
            std::path::Path::new("servers.txt"),
            &bytes,
            None,
            "Servers",
        )
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        let names: Vec<String> = tree
            .computers()
            .iter()
            .map(|c| c.computer.name.clone())
            .collect();
        assert_eq!(
            names,
            ["Srv1", "srv02", "srv03", "web01.corp.example"],
            "{what}: {lines:?}"
        );
    }
    // Text that is not UTF-16 is not taken for it.
    assert_eq!(decode_text(b"Srv1\nSrv2\n"), "Srv1\nSrv2\n");
}

/// The Windows Credential Manager keeps 2,560 bytes of UTF-16 per secret:
/// the rule is counted in UTF-16 units (an emoji takes two), and index
/// pages are cut by the same measure.
#[test]
fn the_credential_manager_size_rule_counts_utf16() {
    use baton::store::credentials::{
        CREDENTIAL_BLOB_BYTES, INDEX_PAGE_LIMIT, credential_blob_bytes, fits_credential_blob,
    };
    assert_eq!(credential_blob_bytes("abc"), 6);
    assert_eq!(credential_blob_bytes("é"), 2);
    assert_eq!(
        credential_blob_bytes("🔑"),
        4,
        "outside the BMP: a surrogate pair"
    );
    assert!(fits_credential_blob(&"a".repeat(1280)));
    assert!(!fits_credential_blob(&"a".repeat(1281)));
    // 700 characters, but 1,400 UTF-16 units: too long, though under 1,280 chars.
    assert!(!fits_credential_blob(&"🔑".repeat(700)));
    const { assert!(INDEX_PAGE_LIMIT * 2 <= CREDENTIAL_BLOB_BYTES) };
}
