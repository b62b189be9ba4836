//! `baton profile …` and `baton credential …`: the connection profiles and
//! the credential store from the command line. Secrets are read from a
//! prompt (without echo) or from standard input, never from an argument.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use crate::model::profile::{Computer, CredentialRef, Group, ProfileTree};
use crate::store::credentials::{CredentialStore, Secret, new_entry_id};
use crate::store::profiles::{ProfileStore, StoreError, export};
use crate::store::resolve;

/// Prints the profile tree: group path, computer, address, configuration, credential.
pub fn profile_list(store: &ProfileStore, out: &mut dyn Write) -> Result<(), String> {
    let tree = store.load().map_err(|e| e.to_string())?.tree;
    let rows = resolve::all(&tree);
    if rows.is_empty() {
        let _ = writeln!(out, "No profiles in {}.", store.path().display());
        return Ok(());
    }
    let _ = writeln!(
        out,
        "{:<24} {:<12} {:<40} {:<22} Credential",
        "Group", "Name", "ConnectionUri", "ConfigurationName"
    );
    let _ = writeln!(
        out,
        "{:<24} {:<12} {:<40} {:<22} ----------",
        "-----", "----", "-------------", "-----------------"
    );
    for r in rows {
        let cred = r.credential.as_ref().map_or(String::new(), |c| {
            format!(
                "{}{}",
                c.user,
                if c.entry.is_some() { " (saved)" } else { "" }
            )
        });
        let _ = writeln!(
            out,
            "{:<24} {:<12} {:<40} {:<22} {cred}",
            r.group_path,
            r.name,
            r.spec.url(),
            r.spec.configuration_name
        );
    }
    Ok(())
}

/// What `baton profile add` sets on a new computer.
#[derive(Debug, Default, Clone)]
pub struct NewComputer {
    pub name: String,
    pub group: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub use_ssl: bool,
    pub configuration: Option<String>,
    pub authentication: Option<String>,
    pub user: Option<String>,
}

/// Adds a computer to a group (created along the path when missing).
pub fn profile_add(store: &ProfileStore, c: &NewComputer) -> Result<String, String> {
    use crate::model::connection::check_host;
    let mut computer = Computer::new(&c.name);
    computer.settings.host = if let Some(h) = &c.host {
        Some(check_host(h).map_err(|why| format!("--host {why}"))?)
    } else {
        check_host(&c.name)
            .map_err(|why| format!("{why}; give the computer's address with --host"))?;
        None
    };
    computer.settings.port = c.port;
    if c.use_ssl {
        computer.settings.use_ssl = Some(true);
    }
    computer.settings.configuration_name = c.configuration.clone();
    if let Some(a) = &c.authentication {
        let m = crate::model::AuthMechanism::parse(a).ok_or_else(|| {
            format!("unknown authentication {a:?}; use Default, Basic, Negotiate, NegotiateWithImplicitCredential, Kerberos, Credssp or Digest")
        })?;
        computer.settings.authentication = Some(m);
    }
    computer.settings.credential = c
        .user
        .clone()
        .map(|user| CredentialRef { user, entry: None });
    let group_path: Vec<&str> = c
        .group
        .as_deref()
        .unwrap_or("")
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    crate::model::profile::check_group_depth(group_path.len())
        .map_err(|why| format!("--group: {why}"))?;
    let tree = store
        .update(|tree| {
            if !tree.find_by_name(&c.name).is_empty() {
                return Err(StoreError::Refused(format!(
                    "a computer named {} already exists; remove it first or pick another name",
                    c.name
                )));
            }
            let group = tree.root.subgroup_mut(&group_path);
            group.computers.push(computer);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    let r = resolve::computer(&tree, &c.name);
    Ok(format!("Added {} ({})", r.name, r.spec.url()))
}

fn remove_named(g: &mut Group, name: &str) -> usize {
    let before = g.computers.len();
    g.computers.retain(|c| !c.name.eq_ignore_ascii_case(name));
    let mut n = before - g.computers.len();
    for child in &mut g.groups {
        n += remove_named(child, name);
    }
    n
}

/// Removes every computer with this name.
pub fn profile_remove(store: &ProfileStore, name: &str) -> Result<String, String> {
    let mut n = 0;
    store
        .update(|tree| {
            n = remove_named(&mut tree.root, name);
            if n == 0 {
                return Err(StoreError::Refused(format!(
                    "no computer named {name} in {}",
                    store.path().display()
                )));
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    Ok(format!("Removed {n} computer(s) named {name}"))
}

pub use crate::store::import::detect_format as detect_import_format;

/// Imports a file into the profiles; `format` is `baton`, `mremoteng`,
/// `rdcman`, `rdm`, `royaljson` or `hosts` (see [`detect_import_format`]
/// when None).
pub fn profile_import(
    store: &ProfileStore,
    file: &Path,
    format: Option<&str>,
    group: Option<&str>,
) -> Result<String, String> {
    let bytes = crate::store::import::read_import_file(file)?;
    let mut lines = Vec::new();
    store
        .update(|tree| {
            lines = crate::store::import::import_into(
                tree,
                None,
                file,
                &bytes,
                format,
                group.unwrap_or("Imported"),
            )
            .map_err(StoreError::Refused)?;
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    Ok(lines.join("\n"))
}

/// Writes the whole tree, or one group (by path), to a file.
pub fn profile_export(
    store: &ProfileStore,
    file: &Path,
    group: Option<&str>,
) -> Result<String, String> {
    let tree: ProfileTree = store.load().map_err(|e| e.to_string())?.tree;
    let id = match group {
        None => None,
        Some(path) => {
            let mut cur = &tree.root;
            for part in path.split('/').map(str::trim).filter(|p| !p.is_empty()) {
                cur = cur
                    .groups
                    .iter()
                    .find(|g| g.name.eq_ignore_ascii_case(part))
                    .ok_or_else(|| format!("no group {path}"))?;
            }
            Some(cur.id)
        }
    };
    let text = export(&tree, id).map_err(|e| e.to_string())?;
    crate::store::profiles::write_atomic(file, text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(format!("Exported to {}", file.display()))
}

/// Reads a secret: without echo from a terminal (on every platform, the
/// terminal restored however the read ends), else one line of stdin.
pub fn read_secret(prompt: &str) -> Result<Secret, String> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        zeroize::Zeroizing::new(
            rpassword::prompt_password(format!("{prompt}: ")).map_err(|e| e.to_string())?,
        )
    } else {
        let mut line = zeroize::Zeroizing::new(String::new());
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        line
    };
    let pw = line.trim_end_matches(['\r', '\n']);
    if pw.is_empty() {
        return Err("no password was given".into());
    }
    Ok(Secret::new(pw.to_owned()))
}

/// Saves a credential and, when `computer` names a profile, links it there.
pub fn credential_add(
    creds: &dyn CredentialStore,
    profiles: &ProfileStore,
    user: &str,
    secret: &Secret,
    computer: Option<&str>,
) -> Result<String, String> {
    if !(user.contains('\\') || user.contains('@')) && user.trim().is_empty() {
        return Err("give the user as DOMAIN\\user or user@domain".into());
    }
    let id = new_entry_id();
    creds.set(&id, user, secret).map_err(|e| e.to_string())?;
    let mut msg = format!(
        "Saved the credential of {user} ({:?} store, entry {id})",
        creds.kind()
    );
    if let Some(name) = computer {
        profiles
            .update(|tree| {
                let ids: Vec<_> = tree
                    .find_by_name(name)
                    .iter()
                    .map(|e| e.computer.id)
                    .collect();
                if ids.is_empty() {
                    return Err(StoreError::Refused(format!(
                        "the credential was saved, but no computer named {name} exists in the profiles"
                    )));
                }
                for cid in ids {
                    if let Some(c) = tree.root.find_computer_mut(cid) {
                        c.settings.credential = Some(CredentialRef {
                            user: user.to_owned(),
                            entry: Some(id.clone()),
                        });
                    }
                }
                Ok(())
            })
            .map_err(|e| e.to_string())?;
        msg.push_str(&format!("; {name} now uses it"));
    }
    Ok(msg)
}

/// Lists saved credentials (user names and entry ids, never secrets).
pub fn credential_list(creds: &dyn CredentialStore, out: &mut dyn Write) -> Result<(), String> {
    let list = creds.list().map_err(|e| e.to_string())?;
    if list.is_empty() {
        let _ = writeln!(out, "No saved credentials.");
    }
    for c in list {
        let _ = writeln!(out, "{}  {}", c.id, c.user);
    }
    Ok(())
}

/// Deletes a saved credential by entry id or user name.
pub fn credential_remove(creds: &dyn CredentialStore, which: &str) -> Result<String, String> {
    let list = creds.list().map_err(|e| e.to_string())?;
    let matches: Vec<_> = list
        .iter()
        .filter(|c| c.id == which || c.user.eq_ignore_ascii_case(which))
        .collect();
    match matches.len() {
        0 => Err(format!("no saved credential {which}")),
        1 => {
            creds.delete(&matches[0].id).map_err(|e| e.to_string())?;
            Ok(format!("Removed the credential of {}", matches[0].user))
        }
        n => Err(format!(
            "{n} credentials match {which}; remove one by its entry id (baton credential list)"
        )),
    }
}
