//! Royal TS "RoyalJSON" (the format of dynamic folders and JSON import):
//! `{"Objects": [...]}` where each object has a `Type`. `Folder` objects
//! (with nested `Objects`) become groups, `RemoteDesktopConnection` and
//! `PowerShellConnection` objects become computers, `Credential` objects
//! give user names to the connections that name them (`CredentialName` or
//! `CredentialID`). A `Path` (`A/B`) places an object in nested folders.
//! `CredentialsFromParent: true` maps to Baton's "inherit".
//!
//! RoyalJSON passwords are plain text: they are never put into a profile;
//! each one is reported as not transferred (re-enter it in Baton, which keeps
//! it in the OS keyring).

use std::collections::HashMap;

use serde_json::Value;

use super::{ImportError, ImportReport, Imported, MAX_IMPORT_COMPUTERS, MAX_IMPORT_SIZE};
use crate::model::profile::{Computer, CredentialRef, Group};

fn s<'a>(o: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

struct Ctx<'a> {
    by_name: HashMap<String, String>,
    by_id: HashMap<String, String>,
    report: &'a mut ImportReport,
    count: usize,
    origin: &'a str,
}

/// Reads a RoyalJSON document into a group named `group_name`.
pub fn import_royal_json(
    bytes: &[u8],
    group_name: &str,
    origin: &str,
) -> Result<Imported, ImportError> {
    if bytes.len() > MAX_IMPORT_SIZE {
        return Err(ImportError::Refused {
            origin: origin.to_owned(),
            reason: format!("larger than {MAX_IMPORT_SIZE} bytes"),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| ImportError::Malformed {
        origin: origin.to_owned(),
        reason: format!("{e}"),
    })?;
    let objects = doc
        .get("Objects")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::Malformed {
            origin: origin.to_owned(),
            reason: "no \"Objects\" array: not RoyalJSON".to_owned(),
        })?;
    let mut report = ImportReport::default();
    let mut ctx = Ctx {
        by_name: HashMap::new(),
        by_id: HashMap::new(),
        report: &mut report,
        count: 0,
        origin,
    };
    collect_credentials(objects, &mut ctx);
    let mut group = Group::new(group_name);
    place(objects, &mut group, group_name, &mut ctx)?;
    if !report.passwords_not_transferred.is_empty() {
        report.warnings.push(format!(
            "{} plain-text password(s) in the file were not transferred: re-enter them in \
             Baton, and delete or protect the file",
            report.passwords_not_transferred.len()
        ));
    }
    Ok(Imported { group, report })
}

fn collect_credentials(objects: &[Value], ctx: &mut Ctx<'_>) {
    for o in objects.iter().filter_map(Value::as_object) {
        if s(o, "Type").is_some_and(|t| t.eq_ignore_ascii_case("Credential")) {
            let name = s(o, "Name").unwrap_or("(unnamed)");
            if let Some(user) = s(o, "Username") {
                ctx.by_name.insert(name.to_owned(), user.to_owned());
                if let Some(id) = s(o, "ID") {
                    ctx.by_id.insert(id.to_owned(), user.to_owned());
                }
            }
            if s(o, "Password").is_some() {
                ctx.report
                    .passwords_not_transferred
                    .push(format!("credential {name}"));
            }
        }
        if let Some(children) = o.get("Objects").and_then(Value::as_array) {
            collect_credentials(children, ctx);
        }
    }
}

/// The group at `path` (`A/B`) below `g`, created as needed.
fn subgroup<'a>(g: &'a mut Group, path: &str) -> &'a mut Group {
    let mut cur = g;
    for part in path
        .split(['/', '\\'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let idx = if let Some(i) = cur.groups.iter().position(|x| x.name == part) {
            i
        } else {
            cur.groups.push(Group::new(part));
            cur.groups.len() - 1
        };
        cur = &mut cur.groups[idx];
    }
    cur
}

fn credential_of(
    o: &serde_json::Map<String, Value>,
    here: &str,
    ctx: &mut Ctx<'_>,
) -> Option<CredentialRef> {
    if o.get("CredentialsFromParent").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    if s(o, "Password").is_some() {
        ctx.report.passwords_not_transferred.push(here.to_owned());
    }
    let user = s(o, "Username")
        .map(str::to_owned)
        .or_else(|| s(o, "CredentialID").and_then(|id| ctx.by_id.get(id).cloned()))
        .or_else(|| s(o, "CredentialName").and_then(|n| ctx.by_name.get(n).cloned()));
    if user.is_none()
        && let Some(missing) = s(o, "CredentialName").or_else(|| s(o, "CredentialID"))
    {
        ctx.report.skip(
            format!("credential of {here}"),
            format!("credential {missing:?} is not in the file"),
        );
    }
    user.map(|user| CredentialRef { user, entry: None })
}

fn place(
    objects: &[Value],
    group: &mut Group,
    path: &str,
    ctx: &mut Ctx<'_>,
) -> Result<(), ImportError> {
    for (i, v) in objects.iter().enumerate() {
        let Some(o) = v.as_object() else {
            ctx.report
                .skip(format!("object {i} in {path}"), "not a JSON object");
            continue;
        };
        let kind = s(o, "Type").unwrap_or("");
        let name = s(o, "Name").unwrap_or("(unnamed)").to_owned();
        let object_path = s(o, "Path").unwrap_or("");
        let segments = object_path
            .split(['/', '\\'])
            .filter(|p| !p.trim().is_empty())
            .count();
        if let Err(why) = crate::model::profile::check_group_depth(segments) {
            ctx.report.skip(format!("{path}/{name}"), why);
            continue;
        }
        let target = subgroup(group, object_path);
        let here = format!("{path}/{name}");
        if kind.eq_ignore_ascii_case("Folder") {
            let mut g = Group::new(&name);
            g.description = s(o, "Description").map(str::to_owned);
            g.settings.credential = credential_of(o, &here, ctx);
            if let Some(children) = o.get("Objects").and_then(Value::as_array) {
                place(children, &mut g, &here, ctx)?;
            }
            target.groups.push(g);
        } else if kind.eq_ignore_ascii_case("RemoteDesktopConnection")
            || kind.eq_ignore_ascii_case("PowerShellConnection")
        {
            let Some(host) = s(o, "ComputerName") else {
                ctx.report
                    .skip(format!("connection {here}"), "no ComputerName");
                continue;
            };
            let host = match crate::model::connection::check_host(host) {
                Ok(h) => h,
                Err(why) => {
                    ctx.report.skip(format!("connection {here}"), why);
                    continue;
                }
            };
            ctx.count += 1;
            if ctx.count > MAX_IMPORT_COMPUTERS {
                return Err(ImportError::Refused {
                    origin: ctx.origin.to_owned(),
                    reason: format!("more than {MAX_IMPORT_COMPUTERS} computers"),
                });
            }
            let mut c = Computer::new(&name);
            c.settings.host = Some(host);
            c.description = s(o, "Description").map(str::to_owned);
            c.settings.credential = credential_of(o, &here, ctx);
            target.computers.push(c);
        } else if kind.eq_ignore_ascii_case("Credential") {
            // Collected up front.
        } else {
            ctx.report.skip(
                format!("object {here}"),
                format!("type {kind:?} is not a folder, RDP or PowerShell connection"),
            );
        }
    }
    Ok(())
}
