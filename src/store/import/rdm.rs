//! Devolutions Remote Desktop Manager exports (`.rdm`): XML with a root
//! `RDMExport` holding `Connections`, or (older versions and other tools) a
//! bare `ArrayOfConnection` / `Connections` root, each holding `Connection`
//! entries.
//!
//! Every entry has a `ConnectionType`, a `Name`, an `ID` (a GUID) and a
//! `Group`: the backslash path of the folder it is in (`Datacenter\Web`); for
//! a folder entry (`ConnectionType` `Group`) the path of the folder itself.
//! The mapping:
//! - folder entries and every `Group` path → nested groups (a folder's
//!   description and user name are kept);
//! - `PowerShell` entries (PowerShell remote consoles) → computers: the host
//!   (`Host`/`ComputerName`, or `Url`, which may be a full `http(s)://`
//!   connection URI), `Port`, `UseSSL`, `ConfigurationName` and
//!   `ApplicationName`, read from the entry's `PowerShell` section or the
//!   entry itself; an entry with no host is a local console and is skipped;
//! - `RDP`/`RDPConfigured` entries → computers (the host of `Url`/`Host`;
//!   the RDP port is not a WinRM port and is not carried over);
//! - `Credential` entries give user names to the entries that name them by
//!   `CredentialConnectionID`;
//! - anything else (SSH, VNC, web, FTP, TeamViewer…) is skipped, saying why.
//!
//! A user name and domain become a [`CredentialRef`] without a keyring entry
//! (Baton asks for the password). RDM encrypts saved passwords
//! (`SafePassword`) with a key of its data source, which Baton does not have:
//! they are reported as not transferred and never copied anywhere. Files with
//! a DTD are refused whole (no entity is expanded, nothing is fetched).

use std::collections::HashMap;

use super::{ImportError, ImportReport, Imported, MAX_IMPORT_COMPUTERS, parse_foreign_xml};
use crate::model::profile::{Computer, CredentialRef, Group, ProfileId};
use crate::protocol::xml::Element;

/// The sections of an entry where RDM keeps type-specific settings.
const SECTIONS: [&str; 4] = ["PowerShell", "RDP", "Terminal", "Credentials"];

/// The trimmed, non-empty text of child `name` (case-insensitive: RDM has
/// written both `UserName` and `Username`).
fn text_of(e: &Element, name: &str) -> Option<String> {
    e.elements()
        .find(|c| c.ns.is_none() && c.name.eq_ignore_ascii_case(name))
        .map(|c| c.text().trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// `name` in the entry's sections first, then on the entry itself.
fn setting(entry: &Element, name: &str) -> Option<String> {
    SECTIONS
        .iter()
        .filter_map(|s| entry.child("", s))
        .find_map(|s| text_of(s, name))
        .or_else(|| text_of(entry, name))
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// `DOMAIN\user` from a user name and a domain (a user name that already
/// says its domain is kept as it is).
fn user_with_domain(user: String, domain: Option<String>) -> String {
    match domain {
        Some(d) if !user.contains('\\') && !user.contains('@') => format!("{d}\\{user}"),
        _ => user,
    }
}

/// True when an element of this name holds a saved password.
fn is_password_element(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "password" || n.ends_with("safepassword") || n == "unsafepassword"
}

/// True when the entry, or one of its sections, holds a saved password.
fn has_password(e: &Element) -> bool {
    e.elements()
        .any(|c| (is_password_element(&c.name) && !c.text().trim().is_empty()) || has_password(c))
}

/// Splits `host:port`, `[v6]:port` or a bare host (IPv6 without brackets
/// is kept whole).
fn split_host_port(s: &str) -> (String, Option<u16>) {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[')
        && let Some((host, after)) = rest.split_once(']')
    {
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return (host.to_owned(), port);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse::<u16>() {
            Ok(port) => (h.to_owned(), Some(port)),
            Err(_) => (s.to_owned(), None),
        },
        _ => (s.to_owned(), None),
    }
}

fn valid_host(h: &str) -> bool {
    crate::model::connection::check_host(h).is_ok()
}

struct Ctx<'a> {
    /// Credential entries: ID (lower case) → user name.
    credentials: HashMap<String, String>,
    report: &'a mut ImportReport,
    count: usize,
    origin: &'a str,
}

/// Reads an RDM export into a group named `group_name`.
pub fn import_rdm(bytes: &[u8], group_name: &str, origin: &str) -> Result<Imported, ImportError> {
    let root = parse_foreign_xml(bytes, origin)?;
    let list = if root.is("", "RDMExport") {
        root.child("", "Connections")
    } else if root.is("", "ArrayOfConnection") || root.is("", "Connections") {
        Some(&root)
    } else {
        return Err(ImportError::Malformed {
            origin: origin.to_owned(),
            reason: format!(
                "the root element is {}, not RDMExport: not a Remote Desktop Manager export",
                root.qualified_name()
            ),
        });
    };
    let entries: Vec<&Element> = list
        .map(|l| l.children_named("", "Connection").collect())
        .unwrap_or_default();
    if list.is_some_and(|l| l.child("", "Node").is_some()) {
        return Err(ImportError::Malformed {
            origin: origin.to_owned(),
            reason: "this looks like an mRemoteNG file, not an RDM export".to_owned(),
        });
    }
    let mut report = ImportReport::default();
    let mut ctx = Ctx {
        credentials: HashMap::new(),
        report: &mut report,
        count: 0,
        origin,
    };
    for e in &entries {
        if kind(e).is_some_and(|k| k.eq_ignore_ascii_case("Credential"))
            && let (Some(id), Some(user)) = (text_of(e, "ID"), credential_user(e))
        {
            ctx.credentials.insert(id.to_ascii_lowercase(), user);
        }
    }
    let mut group = Group::new(group_name);
    for (i, e) in entries.iter().enumerate() {
        entry(e, i + 1, &mut group, &mut ctx)?;
    }
    if !report.passwords_not_transferred.is_empty() {
        report.warnings.push(
            "Remote Desktop Manager encrypts saved passwords with a key of its data source, \
             which Baton does not have: they were not transferred; save them in Baton's \
             credential store (the OS keyring)"
                .to_owned(),
        );
    }
    Ok(Imported { group, report })
}

fn kind(e: &Element) -> Option<String> {
    text_of(e, "ConnectionType")
}

/// The user name of an entry's own credentials (`DOMAIN\user`).
fn credential_user(e: &Element) -> Option<String> {
    let user = setting(e, "UserName")?;
    Some(user_with_domain(user, setting(e, "Domain")))
}

/// The credential an entry uses: its own user name, or the credential entry
/// it names. Reports saved passwords (names only).
fn credential_of(e: &Element, here: &str, ctx: &mut Ctx<'_>) -> Option<CredentialRef> {
    if has_password(e) {
        ctx.report.passwords_not_transferred.push(here.to_owned());
    }
    if let Some(user) = credential_user(e) {
        return Some(CredentialRef { user, entry: None });
    }
    let id = text_of(e, "CredentialConnectionID")?;
    if let Some(user) = ctx.credentials.get(&id.to_ascii_lowercase()) {
        Some(CredentialRef {
            user: user.clone(),
            entry: None,
        })
    } else {
        ctx.report.skip(
            format!("credentials of {here}"),
            format!(
                "the credential entry {id} is not in this export (it stays in RDM's data source)"
            ),
        );
        None
    }
}

/// The folder names of an RDM `Group` path (`A\B\C`).
fn path_parts(path: &str) -> Vec<String> {
    path.split('\\')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn entry(e: &Element, n: usize, root: &mut Group, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let name = text_of(e, "Name");
    let path = text_of(e, "Group").unwrap_or_default();
    let mut parts = path_parts(&path);
    let label = match &name {
        Some(nm) => format!("entry {n} ({nm})"),
        None => format!("entry {n}"),
    };
    let Some(kind) = kind(e) else {
        ctx.report.skip(label, "no ConnectionType");
        return Ok(());
    };
    let id = text_of(e, "ID").and_then(|s| ProfileId::parse(&s));
    match kind.to_ascii_lowercase().as_str() {
        "group" => {
            // A folder's Group is its own path; an older export may give only the parent.
            if let Some(nm) = &name
                && parts
                    .last()
                    .is_none_or(|last| !last.eq_ignore_ascii_case(nm))
            {
                parts.push(nm.clone());
            }
            if parts.is_empty() {
                ctx.report.skip(label, "a folder with no name");
                return Ok(());
            }
            let here = parts.join("/");
            if let Err(why) = crate::model::profile::check_group_depth(parts.len()) {
                ctx.report.skip(label, why);
                return Ok(());
            }
            let credential = credential_of(e, &format!("folder {here}"), ctx);
            let g = root.subgroup_mut(&parts);
            if let Some(id) = id {
                g.id = id;
            }
            if let Some(d) = text_of(e, "Description") {
                g.description = Some(d);
            }
            if credential.is_some() {
                g.settings.credential = credential;
            }
        }
        "credential" => {}
        "powershell" | "powershellremoteconsole" => {
            let display = name.clone().unwrap_or_default();
            let here = join(&parts, &display);
            let Some(mut c) = powershell(e, &display, &here, ctx) else {
                return Ok(());
            };
            if let Some(id) = id {
                c.id = id;
            }
            c.description = text_of(e, "Description");
            c.settings.credential = credential_of(e, &here, ctx);
            add(root, &parts, c, ctx)?;
        }
        "rdp" | "rdpconfigured" | "rdpfilename" => {
            let raw = setting(e, "Host").or_else(|| text_of(e, "Url"));
            let Some(raw) = raw else {
                ctx.report.skip(label, "an RDP entry with no host");
                return Ok(());
            };
            let (host, port) = split_host_port(&raw);
            if !valid_host(&host) {
                ctx.report
                    .skip(label, format!("{raw:?} is not a host name or address"));
                return Ok(());
            }
            let port_dropped = port.is_some() || setting(e, "Port").is_some();
            let display = name.clone().unwrap_or_else(|| host.clone());
            let here = join(&parts, &display);
            let mut c = Computer::new(&display);
            if let Some(id) = id {
                c.id = id;
            }
            c.settings.host = Some(host);
            c.description = text_of(e, "Description");
            c.settings.credential = credential_of(e, &here, ctx);
            add(root, &parts, c, ctx)?;
            if port_dropped {
                ctx.report.warnings.push(format!(
                    "{here}: its RDP port was not carried over (Baton connects to WinRM, 5985/5986)"
                ));
            }
        }
        other => {
            let what = match other {
                "sshshell" | "ssh" | "putty" | "sftp" | "scp" => "an SSH connection",
                "vnc" | "applevnc" => "a VNC connection",
                "webbrowser" => "a web page",
                "telnet" => "a Telnet connection",
                "ftp" | "ftps" | "ftpnative" => "a file transfer connection",
                "teamviewer" | "anydesk" => "a remote-support connection",
                _ => "not a PowerShell remoting target",
            };
            ctx.report.skip(
                format!("{kind} {label}"),
                format!(
                    "{what}: Baton manages PowerShell remote sessions (WinRM); only PowerShell and RDP entries become computers"
                ),
            );
            if has_password(e) {
                ctx.report
                    .passwords_not_transferred
                    .push(join(&parts, name.as_deref().unwrap_or("")));
            }
        }
    }
    Ok(())
}

fn join(parts: &[String], name: &str) -> String {
    let mut p = parts.join("/");
    if !name.is_empty() {
        if !p.is_empty() {
            p.push('/');
        }
        p.push_str(name);
    }
    p
}

fn add(
    root: &mut Group,
    parts: &[String],
    c: Computer,
    ctx: &mut Ctx<'_>,
) -> Result<(), ImportError> {
    ctx.count += 1;
    if ctx.count > MAX_IMPORT_COMPUTERS {
        return Err(ImportError::Refused {
            origin: ctx.origin.to_owned(),
            reason: format!("more than {MAX_IMPORT_COMPUTERS} computers"),
        });
    }
    if let Err(why) = crate::model::profile::check_group_depth(parts.len()) {
        ctx.report.skip(c.name.clone(), why);
        return Ok(());
    }
    root.subgroup_mut(parts).computers.push(c);
    Ok(())
}

/// A PowerShell remote console entry as a computer; `None` (reported) when
/// it has no remote host or a bad one.
fn powershell(e: &Element, display: &str, here: &str, ctx: &mut Ctx<'_>) -> Option<Computer> {
    let label = if here.is_empty() {
        "PowerShell entry".to_owned()
    } else {
        format!("PowerShell entry {here}")
    };
    let raw = setting(e, "Host")
        .or_else(|| setting(e, "ComputerName"))
        .or_else(|| text_of(e, "Url"));
    let Some(raw) = raw else {
        ctx.report.skip(
            label,
            "a local PowerShell console (no remote computer): nothing to connect to",
        );
        return None;
    };
    let lower = raw.to_ascii_lowercase();
    let mut settings = crate::model::profile::ConnectionSettings::default();
    let host = if lower.starts_with("http://") || lower.starts_with("https://") {
        let Some(ep) = uri_host(&raw) else {
            ctx.report
                .skip(label, format!("{raw:?} is not a valid connection URI"));
            return None;
        };
        settings.connection_uri = Some(raw.clone());
        ep
    } else {
        let (host, port) = split_host_port(&raw);
        settings.port = port;
        host
    };
    if !valid_host(&host) {
        ctx.report
            .skip(label, format!("{raw:?} is not a host name or address"));
        return None;
    }
    settings.host = Some(host.clone());
    if let Some(p) = setting(e, "Port") {
        match p.parse::<u16>() {
            Ok(0) | Err(_) => ctx.report.warnings.push(format!(
                "{here}: port {p:?} is not a valid TCP port; left unset"
            )),
            Ok(port) => settings.port = Some(port),
        }
    }
    if let Some(v) = setting(e, "UseSSL") {
        match parse_bool(&v) {
            Some(b) => settings.use_ssl = Some(b),
            None => ctx.report.warnings.push(format!(
                "{here}: UseSSL {v:?} is not true or false; left unset"
            )),
        }
    }
    settings.configuration_name = setting(e, "ConfigurationName");
    settings.application_name = setting(e, "ApplicationName");
    let mut c = Computer::new(if display.is_empty() { &host } else { display });
    c.settings = settings;
    Some(c)
}

/// The host of an `http(s)://host[:port]/path` URI.
fn uri_host(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, _) = split_host_port(authority);
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_split() {
        assert_eq!(split_host_port("srv:5986"), ("srv".into(), Some(5986)));
        assert_eq!(split_host_port("srv"), ("srv".into(), None));
        assert_eq!(split_host_port("fe80::1"), ("fe80::1".into(), None));
        assert_eq!(
            split_host_port("[fe80::1]:3390"),
            ("fe80::1".into(), Some(3390))
        );
        assert_eq!(
            uri_host("https://srv.corp.example:5986/wsman").as_deref(),
            Some("srv.corp.example")
        );
        assert_eq!(path_parts(r" A \ B\\C\ "), ["A", "B", "C"]);
    }
}
