//! Start-up pieces shared by the executable's modes: where the profile and
//! activity files are, what the console shows on first run, and `baton lab`.

use std::path::PathBuf;

use crate::bridge::CredentialChoice;
use crate::lab::{self, LabConfig, Ports};
use crate::model::profile::{Computer, CredentialRef, Group, ProfileId, ProfileTree};
use crate::model::{ConnectionSpec, Credential};
use crate::store::profiles::{ProfileStore, StoreError};
use crate::ui::state::{ComputerNode, GroupNode};

/// The profile file: `BATON_PROFILES` when set, else the platform's
/// config directory (or beside the executable in portable mode).
pub fn profile_store() -> Result<ProfileStore, StoreError> {
    match std::env::var_os("BATON_PROFILES") {
        Some(p) if !p.is_empty() => Ok(ProfileStore::new(PathBuf::from(p))),
        _ => ProfileStore::open_default(),
    }
}

/// The console's audit trail: `BATON_ACTIVITY` when set, else
/// `activity.jsonl` in the platform's data directory
/// (`~/.local/share/baton`, `%APPDATA%\baton\data`,
/// `~/Library/Application Support/baton`). `None` when there is no such
/// directory (the Activity pane then lasts for the session only).
pub fn activity_log() -> Option<crate::store::activity::ActivityLog> {
    let path = match std::env::var_os("BATON_ACTIVITY") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => directories::ProjectDirs::from("", "", "baton")?
            .data_dir()
            .join("activity.jsonl"),
    };
    let operator = ["USER", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_default();
    Some(crate::store::activity::ActivityLog::new(path).with_operator(operator))
}

/// Where the console keeps the sessions it held or handed over:
/// `BATON_HELD` when set, else `held.json` in the platform's data directory.
pub fn held_file() -> Option<crate::store::held::HeldFile> {
    let path = match std::env::var_os("BATON_HELD") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => directories::ProjectDirs::from("", "", "baton")?
            .data_dir()
            .join("held.json"),
    };
    Some(crate::store::held::HeldFile::new(path))
}

/// Loads the profiles; a missing file is an empty tree. A file that does not
/// load is reported (with its line) and left untouched.
pub fn load_profiles() -> (ProfileTree, Option<String>) {
    match profile_store().and_then(|s| s.load()) {
        Ok(l) => (l.tree, None),
        Err(e) => (ProfileTree::default(), Some(e.to_string())),
    }
}

pub use crate::ui::state::inventory;

/// The first-run demo: the lab's computers, reached as the technician.
pub fn demo_inventory(running: &lab::RunningLab) -> Vec<GroupNode> {
    let tech = running
        .built
        .config
        .users
        .iter()
        .find(|u| u.role == "technician")
        .or(running.built.config.users.first());
    let credential = tech
        .map(|u| CredentialChoice::Once(Credential::new(u.name.clone(), u.password.clone())))
        .unwrap_or_default();
    vec![GroupNode {
        name: "Lab (demo)".into(),
        computers: running
            .endpoints
            .iter()
            .map(|(name, url)| ComputerNode {
                name: name.clone(),
                spec: ConnectionSpec {
                    connection_uri: Some(url.clone()),
                    ..ConnectionSpec::for_computer(name)
                },
                credential: credential.clone(),
                proxy_credential: None,
            })
            .collect(),
    }]
}

/// Puts the running lab's computers in the profile file as the lab's own
/// group ([`LAB_GROUP_ID`], named `Lab`, or `Lab (baton lab)` when the user
/// has a group called Lab): it replaces the lab's group of an earlier run,
/// keeps what the user added to it, and leaves everything else as it is.
pub fn write_lab_profiles(
    store: &ProfileStore,
    running: &lab::RunningLab,
) -> Result<(), StoreError> {
    store.update(|tree| {
        put_lab_group(tree, running);
        Ok(())
    })?;
    Ok(())
}

/// The lab's group in `tree`, replaced by the running lab's computers.
fn put_lab_group(tree: &mut ProfileTree, running: &lab::RunningLab) {
    // The lab's own group is known by its id, never by its name: a group
    // the user called "Lab" is theirs. What the user added to the lab's
    // group (a computer the lab does not emulate) stays in it.
    let lab_names: Vec<&str> = running.endpoints.iter().map(|(n, _)| n.as_str()).collect();
    let mut kept = Vec::new();
    if let Some(at) = tree.root.groups.iter().position(|g| g.id == LAB_GROUP_ID) {
        let old = tree.root.groups.remove(at);
        kept = old
            .computers
            .into_iter()
            .filter(|c| !lab_names.iter().any(|n| n.eq_ignore_ascii_case(&c.name)))
            .collect();
    }
    let taken = tree
        .root
        .groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case("Lab"));
    let mut group = Group::new(if taken { "Lab (baton lab)" } else { "Lab" });
    group.id = LAB_GROUP_ID;
    group.description = Some("Computers emulated by `baton lab` on loopback".into());
    let tech = running
        .built
        .config
        .users
        .iter()
        .find(|u| u.role == "technician");
    if let Some(t) = tech {
        group.settings.credential = Some(CredentialRef {
            user: t.name.clone(),
            entry: None,
        });
    }
    for (name, url) in &running.endpoints {
        let mut c = Computer::new(name);
        if let Ok(ep) = crate::transport::http::Endpoint::parse(url) {
            c.settings.host = Some(ep.host.clone());
            c.settings.port = Some(ep.port);
        }
        group.computers.push(c);
    }
    group.computers.extend(kept);
    tree.root.groups.push(group);
}

/// The id of the profile group `baton lab` writes (and rewrites): the same
/// in every profile file, so the lab finds its own group and no other.
pub const LAB_GROUP_ID: ProfileId = ProfileId(uuid::Uuid::from_u128(
    0x6261_746f_6e2d_4c61_6200_0000_0000_0001,
));

/// `baton lab`: runs until Ctrl+C or SIGTERM.
pub async fn run_lab(
    config: LabConfig,
    ports: Ports,
    profiles: Option<ProfileStore>,
) -> Result<(), String> {
    let running = lab::start(&config, ports).await?;
    println!(
        "Baton lab endpoint: {} emulated Windows computer(s)",
        running.endpoints.len()
    );
    for (name, url) in &running.endpoints {
        println!("{name} {url}");
    }
    for n in &running.notices {
        eprintln!("baton lab: {n}");
    }
    println!("Users (lab accounts only):");
    for u in &config.users {
        let role = if u.role.is_empty() {
            String::new()
        } else {
            format!("  ({})", u.role)
        };
        println!("  {} / {}{role}", u.name, u.password);
    }
    println!(
        "Authentication: Negotiate/NTLM with message encryption{}{}",
        if config.basic { ", Basic" } else { "" },
        if config.allow_unencrypted {
            ", unencrypted allowed"
        } else {
            ""
        }
    );
    if let Some(store) = profiles {
        match write_lab_profiles(&store, &running) {
            Ok(()) => println!("Profiles: group Lab written to {}", store.path().display()),
            Err(e) => eprintln!("The lab's profiles were not written: {e}"),
        }
    }
    println!("Press Ctrl+C to stop.");
    wait_for_stop().await;
    running.stop().await;
    println!("Lab stopped.");
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term = if let Ok(t) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            t
        } else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::{Computer, Group};

    /// The console's computers carry the profile's credential and proxy
    /// credential (keyring entries) to the worker.
    #[test]
    fn inventory_passes_the_profile_credentials_to_the_worker() {
        let mut lab = Group::new("Lab");
        lab.settings.credential = Some(CredentialRef {
            user: "Domain01\\User01".into(),
            entry: Some("e1".into()),
        });
        lab.settings.proxy_credential = Some(CredentialRef {
            user: "proxyuser".into(),
            entry: Some("p1".into()),
        });
        lab.computers.push(Computer::new("Srv1"));
        let mut other = Computer::new("Srv2");
        other.settings.proxy_credential = Some(CredentialRef {
            user: "nobody".into(),
            entry: None,
        });
        lab.computers.push(other);
        let mut tree = ProfileTree::default();
        tree.root.groups.push(lab);
        let groups = inventory(&tree);
        let lab = groups.iter().find(|g| g.name == "Lab").expect("group Lab");
        let srv1 = lab.computers.iter().find(|c| c.name == "Srv1").unwrap();
        let r = srv1.computer_ref();
        assert_eq!(
            r.credential,
            CredentialChoice::Saved {
                entry_id: "e1".into(),
                user: "Domain01\\User01".into()
            }
        );
        assert_eq!(
            r.proxy_credential,
            Some(CredentialChoice::Saved {
                entry_id: "p1".into(),
                user: "proxyuser".into()
            })
        );
        let srv2 = lab.computers.iter().find(|c| c.name == "Srv2").unwrap();
        assert_eq!(srv2.computer_ref().proxy_credential, None);
    }
}
