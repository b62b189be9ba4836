//! mRemoteNG's `confCons.xml`: `Node` elements of `Type="Container"` become
//! groups and of `Type="Connection"` with the `PowerShell` or `RDP` protocol
//! become computers; other protocols are skipped with the reason.
//!
//! `Inherit*="True"` flags map to Baton's "inherit" (the setting is left
//! unset). Saved passwords are NOT transferred: mRemoteNG encrypts them with
//! a key derived from the file's master password, which defaults to a
//! well-known value, so they should be treated as exposed and re-entered into
//! Baton (which keeps them in the OS keyring). Each one found is reported.

use super::{ImportError, ImportReport, Imported, MAX_IMPORT_COMPUTERS, parse_foreign_xml};
use crate::model::profile::{Computer, CredentialRef, Group};
use crate::protocol::xml::Element;

/// The namespace of mRemoteNG's root element.
pub const NS_MREMOTENG: &str = "http://mremoteng.org";

fn is(e: &Element, name: &str) -> bool {
    e.is("", name) || e.is(NS_MREMOTENG, name)
}

fn flag(e: &Element, name: &str) -> bool {
    e.attr(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn non_empty<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.attr(name).map(str::trim).filter(|v| !v.is_empty())
}

/// Reads a `confCons.xml` into a group named after the file's `Name`.
pub fn import_mremoteng(bytes: &[u8], origin: &str) -> Result<Imported, ImportError> {
    let root = parse_foreign_xml(bytes, origin)?;
    if !is(&root, "Connections") {
        return Err(ImportError::Malformed {
            origin: origin.to_owned(),
            reason: format!(
                "the root element is {}, not mRemoteNG's Connections",
                root.qualified_name()
            ),
        });
    }
    if flag(&root, "FullFileEncryption") {
        return Err(ImportError::Refused {
            origin: origin.to_owned(),
            reason: "the whole file is encrypted (FullFileEncryption); in mRemoteNG turn off \
                     full file encryption or export the connections, then import that file"
                .to_owned(),
        });
    }
    let mut report = ImportReport::default();
    let name = non_empty(&root, "Name").unwrap_or("mRemoteNG");
    let mut group = Group::new(name);
    let mut count = 0usize;
    walk(&root, &mut group, "", &mut report, &mut count, origin)?;
    if !report.passwords_not_transferred.is_empty() {
        report.warnings.push(format!(
            "{} saved password(s) were not transferred: re-enter them in Baton, which keeps \
             them in the OS keyring. mRemoteNG protects them with the file's master password, \
             which many files leave at the well-known default, so consider them exposed and \
             change them",
            report.passwords_not_transferred.len()
        ));
    }
    Ok(Imported { group, report })
}

fn walk(
    parent: &Element,
    group: &mut Group,
    path: &str,
    report: &mut ImportReport,
    count: &mut usize,
    origin: &str,
) -> Result<(), ImportError> {
    for node in parent.elements().filter(|e| is(e, "Node")) {
        let name = non_empty(node, "Name").unwrap_or("(unnamed)").to_owned();
        let here = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}/{name}")
        };
        let kind = node.attr("Type").unwrap_or("");
        if non_empty(node, "Password").is_some() && !flag(node, "InheritPassword") {
            report.passwords_not_transferred.push(here.clone());
        }
        if kind.eq_ignore_ascii_case("Container") {
            let mut g = Group::new(&name);
            g.description = non_empty(node, "Descr").map(str::to_owned);
            g.settings.credential = credential(node);
            walk(node, &mut g, &here, report, count, origin)?;
            group.groups.push(g);
        } else if kind.eq_ignore_ascii_case("Connection") {
            let protocol = node.attr("Protocol").unwrap_or("");
            let powershell = protocol.eq_ignore_ascii_case("PowerShell");
            if !powershell && !protocol.eq_ignore_ascii_case("RDP") {
                report.skip(
                    format!("connection {here}"),
                    format!("protocol {protocol:?} is not PowerShell or RDP"),
                );
                continue;
            }
            let Some(host) = non_empty(node, "Hostname") else {
                report.skip(format!("connection {here}"), "no host name");
                continue;
            };
            *count += 1;
            if *count > MAX_IMPORT_COMPUTERS {
                return Err(ImportError::Refused {
                    origin: origin.to_owned(),
                    reason: format!("more than {MAX_IMPORT_COMPUTERS} computers"),
                });
            }
            let mut c = Computer::new(&name);
            c.settings.host = Some(host.to_owned());
            c.description = non_empty(node, "Descr").map(str::to_owned);
            // An RDP connection's port is the RDP port, not WinRM's.
            if powershell && !flag(node, "InheritPort") {
                match non_empty(node, "Port").map(str::parse::<u16>) {
                    Some(Ok(p)) if p > 0 => c.settings.port = Some(p),
                    Some(_) => report
                        .warnings
                        .push(format!("{here}: port ignored (invalid)")),
                    None => {}
                }
            }
            c.settings.credential = credential(node);
            let guid = node
                .attr("Id")
                .and_then(crate::model::profile::ProfileId::parse);
            if let Some(id) = guid {
                c.id = id;
            }
            group.computers.push(c);
        } else {
            report.skip(
                format!("node {here}"),
                format!("unknown node type {kind:?}"),
            );
        }
    }
    Ok(())
}

/// The node's user name as a credential reference, unless it inherits.
fn credential(node: &Element) -> Option<CredentialRef> {
    if flag(node, "InheritUsername") {
        return None;
    }
    let user = non_empty(node, "Username")?;
    let domain = if flag(node, "InheritDomain") {
        None
    } else {
        non_empty(node, "Domain")
    };
    let user = match domain {
        Some(d) if !user.contains('\\') && !user.contains('@') => format!("{d}\\{user}"),
        _ => user.to_owned(),
    };
    Some(CredentialRef { user, entry: None })
}
