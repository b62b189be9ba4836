//! Remote Desktop Connection Manager `.rdg` files (schema 1 of RDCMan 2.2
//! and schema 3 of 2.7+): `group` → group, `server` → computer, the file's
//! `credentialsProfiles` → user names for the nodes that use them.
//!
//! Passwords are protected with Windows DPAPI for the user who saved them,
//! on that machine: they cannot be transferred and are reported. Smart
//! groups (saved queries) are skipped. RDCMan's importer had an XXE
//! (CVE-2020-0765); this one refuses any DTD.

use std::collections::HashMap;

use super::{ImportError, ImportReport, Imported, MAX_IMPORT_COMPUTERS, parse_foreign_xml};
use crate::model::profile::{Computer, CredentialRef, Group};
use crate::protocol::xml::Element;

fn text_of(e: &Element, name: &str) -> Option<String> {
    e.child_text("", name)
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// A node's name: `properties/name` (schema 3) or `name` (schema 1).
fn prop(e: &Element, name: &str) -> Option<String> {
    e.child("", "properties")
        .and_then(|p| text_of(p, name))
        .or_else(|| text_of(e, name))
}

struct Ctx<'a> {
    profiles: HashMap<String, String>,
    report: &'a mut ImportReport,
    count: usize,
    origin: &'a str,
}

/// Reads an `.rdg` file into a group named after the file.
pub fn import_rdcman(bytes: &[u8], origin: &str) -> Result<Imported, ImportError> {
    let root = parse_foreign_xml(bytes, origin)?;
    if !root.is("", "RDCMan") {
        return Err(ImportError::Malformed {
            origin: origin.to_owned(),
            reason: format!("the root element is {}, not RDCMan", root.qualified_name()),
        });
    }
    let file = root
        .child("", "file")
        .ok_or_else(|| ImportError::Malformed {
            origin: origin.to_owned(),
            reason: "no file element".to_owned(),
        })?;
    let mut report = ImportReport::default();
    let mut ctx = Ctx {
        profiles: HashMap::new(),
        report: &mut report,
        count: 0,
        origin,
    };
    if let Some(list) = file.child("", "credentialsProfiles") {
        for p in list.children_named("", "credentialsProfile") {
            let Some(name) = text_of(p, "profileName") else {
                continue;
            };
            if let Some(user) = user_of(p) {
                ctx.profiles.insert(name.clone(), user);
            }
            if text_of(p, "password").is_some() {
                ctx.report
                    .passwords_not_transferred
                    .push(format!("credential profile {name}"));
            }
        }
    }
    let name = prop(file, "name").unwrap_or_else(|| "RDCMan".to_owned());
    let mut group = Group::new(&name);
    group.description = prop(file, "comment");
    group.settings.credential = logon(file, &name, &mut ctx);
    children(file, &mut group, &name, &mut ctx)?;
    if !report.passwords_not_transferred.is_empty() {
        report.warnings.push(
            "RDCMan passwords are encrypted with Windows DPAPI for the user and machine that \
             saved them and cannot be transferred: re-enter them in Baton"
                .to_owned(),
        );
    }
    Ok(Imported { group, report })
}

fn user_of(e: &Element) -> Option<String> {
    let user = text_of(e, "userName")?;
    match text_of(e, "domain") {
        Some(d) if !user.contains('\\') && !user.contains('@') => Some(format!("{d}\\{user}")),
        _ => Some(user),
    }
}

fn logon(node: &Element, here: &str, ctx: &mut Ctx<'_>) -> Option<CredentialRef> {
    let lc = node.child("", "logonCredentials")?;
    if lc
        .attr("inherit")
        .is_some_and(|v| v.eq_ignore_ascii_case("FromParent"))
    {
        return None;
    }
    if text_of(lc, "password").is_some() {
        ctx.report.passwords_not_transferred.push(here.to_owned());
    }
    if let Some(user) = user_of(lc) {
        return Some(CredentialRef { user, entry: None });
    }
    let profile = lc.child("", "profileName")?;
    let pname = profile.text().trim().to_owned();
    if let Some(user) = ctx.profiles.get(&pname) {
        return Some(CredentialRef {
            user: user.clone(),
            entry: None,
        });
    }
    if !pname.is_empty() && !pname.eq_ignore_ascii_case("Custom") {
        ctx.report.skip(
            format!("credentials of {here}"),
            format!(
                "credential profile {pname:?} is kept in RDCMan's local settings (scope {}), not in the file",
                profile.attr("scope").unwrap_or("?")
            ),
        );
    }
    None
}

fn children(
    parent: &Element,
    group: &mut Group,
    path: &str,
    ctx: &mut Ctx<'_>,
) -> Result<(), ImportError> {
    for e in parent.elements() {
        match e.name.as_str() {
            "group" if e.ns.is_none() => {
                let name = prop(e, "name").unwrap_or_else(|| "(unnamed)".to_owned());
                let here = format!("{path}/{name}");
                let mut g = Group::new(&name);
                g.description = prop(e, "comment");
                g.settings.credential = logon(e, &here, ctx);
                children(e, &mut g, &here, ctx)?;
                group.groups.push(g);
            }
            "server" if e.ns.is_none() => {
                let Some(host) = prop(e, "name") else {
                    ctx.report
                        .skip(format!("server in {path}"), "no server name");
                    continue;
                };
                let display = prop(e, "displayName").unwrap_or_else(|| host.clone());
                let here = format!("{path}/{display}");
                let host = match crate::model::connection::check_host(&host) {
                    Ok(h) => h,
                    Err(why) => {
                        ctx.report.skip(format!("server {here}"), why);
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
                let mut c = Computer::new(&display);
                c.settings.host = Some(host);
                c.description = prop(e, "comment");
                c.settings.credential = logon(e, &here, ctx);
                group.computers.push(c);
            }
            "smartGroup" if e.ns.is_none() => {
                let name = prop(e, "name").unwrap_or_default();
                ctx.report.skip(
                    format!("smart group {path}/{name}"),
                    "smart groups are saved queries, not computers",
                );
            }
            _ => {}
        }
    }
    Ok(())
}
