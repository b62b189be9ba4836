//! mRemoteNG's `confCons.xml`: `Node` elements of `Type="Container"` become
//! groups and of `Type="Connection"` with the `PowerShell` or `RDP` protocol
//! become computers; other protocols are skipped with the reason.
//!
//! `Inherit*="True"` flags map to Baton's "inherit" (the setting is left
//! unset).
//!
//! Saved passwords: [`import_mremoteng`] never reads them, it reports each
//! one as not transferred. [`import_mremoteng_with_passwords`], on request,
//! decrypts them (mRemoteNG ≥ 1.76: AES-256-GCM, 128-bit nonce, key from
//! PBKDF2-HMAC-SHA1 of the master password over a 128-bit salt, the salt as
//! associated data; `base64(salt ‖ nonce ‖ ciphertext ‖ tag)`) and moves
//! each secret straight into a [`CredentialStore`]; the profile only gets the
//! entry id. The master password defaults to a value published in
//! mRemoteNG's source, so a file using it is, in effect, unencrypted: the
//! report warns about it.

use base64::Engine as _;
use zeroize::Zeroizing;

use super::{ImportError, ImportReport, Imported, MAX_IMPORT_COMPUTERS, parse_foreign_xml};
use crate::model::profile::{Computer, CredentialRef, Group};
use crate::protocol::xml::Element;
use crate::store::credentials::{CredentialStore, Secret, new_entry_id};

/// mRemoteNG's default master password (public in its source code).
pub const DEFAULT_MASTER_PASSWORD: &str = "mR3m";
/// Highest `KdfIterations` accepted (bounds the work a file can demand).
pub const MAX_KDF_ITERATIONS: u32 = 10_000_000;

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
    walk(
        &root,
        &mut group,
        "",
        &mut report,
        &mut count,
        origin,
        &mut None,
    )?;
    if !report.passwords_not_transferred.is_empty() {
        report.warnings.push(format!(
            "{} saved password(s) were not transferred: re-enter them in Baton, which keeps \
             them in the OS keyring. mRemoteNG protects them with the file's master password, \
             which many files leave at the well-known default, so consider them exposed and \
             change them",
            report.passwords_not_transferred.len()
        ));
    }
    // A file that gives two connections one Id keeps both, with ids of their own.
    crate::store::profiles::dedupe_ids(&mut group, &mut std::collections::HashSet::new());
    Ok(Imported { group, report })
}

fn walk(
    parent: &Element,
    group: &mut Group,
    path: &str,
    report: &mut ImportReport,
    count: &mut usize,
    origin: &str,
    mover: &mut Option<Mover<'_>>,
) -> Result<(), ImportError> {
    for node in parent.elements().filter(|e| is(e, "Node")) {
        let name = non_empty(node, "Name").unwrap_or("(unnamed)").to_owned();
        let here = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}/{name}")
        };
        let kind = node.attr("Type").unwrap_or("");
        let password = non_empty(node, "Password").filter(|_| !flag(node, "InheritPassword"));
        let is_container = kind.eq_ignore_ascii_case("Container");
        let is_connection = kind.eq_ignore_ascii_case("Connection");
        // Passwords of skipped connections are reported, never moved.
        let protocol_ok = node
            .attr("Protocol")
            .is_some_and(|p| p.eq_ignore_ascii_case("PowerShell") || p.eq_ignore_ascii_case("RDP"));
        // A connection is imported with a protocol Baton speaks and a host
        // that passes the host rule; only then may its password be moved.
        let host = match non_empty(node, "Hostname") {
            Some(h) => crate::model::connection::check_host(h),
            None => Err("no host name".to_owned()),
        };
        let mut cred = credential(node);
        if let Some(enc) = password {
            let usable = is_container || (is_connection && protocol_ok && host.is_ok());
            match (mover.as_mut(), cred.as_mut()) {
                (Some(m), Some(c)) if usable => {
                    let entry = m.transfer(enc, &c.user, origin)?;
                    c.entry = Some(entry);
                }
                (Some(_), None) if usable => {
                    report.skip(
                        format!("password of {here}"),
                        "the node has a password but no user name of its own; not transferred",
                    );
                    report.passwords_not_transferred.push(here.clone());
                }
                _ => report.passwords_not_transferred.push(here.clone()),
            }
        }
        if is_container {
            let mut g = Group::new(&name);
            g.description = non_empty(node, "Descr").map(str::to_owned);
            g.settings.credential = cred;
            walk(node, &mut g, &here, report, count, origin, mover)?;
            group.groups.push(g);
        } else if is_connection {
            let protocol = node.attr("Protocol").unwrap_or("");
            let powershell = protocol.eq_ignore_ascii_case("PowerShell");
            if !powershell && !protocol.eq_ignore_ascii_case("RDP") {
                report.skip(
                    format!("connection {here}"),
                    format!("protocol {protocol:?} is not PowerShell or RDP"),
                );
                continue;
            }
            let host = match host {
                Ok(h) => h,
                Err(why) => {
                    report.skip(format!("connection {here}"), why);
                    continue;
                }
            };
            *count += 1;
            if *count > MAX_IMPORT_COMPUTERS {
                return Err(ImportError::Refused {
                    origin: origin.to_owned(),
                    reason: format!("more than {MAX_IMPORT_COMPUTERS} computers"),
                });
            }
            let mut c = Computer::new(&name);
            c.settings.host = Some(host);
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
            c.settings.credential = cred;
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

/// Moves decrypted passwords into the credential store, remembering what it
/// created so a failed import can take them back out.
struct Mover<'a> {
    key_password: Zeroizing<Vec<u8>>,
    iterations: u32,
    store: &'a dyn CredentialStore,
    created: Vec<String>,
}

impl Mover<'_> {
    fn transfer(&mut self, enc: &str, user: &str, origin: &str) -> Result<String, ImportError> {
        let plain = decrypt_field(enc, &self.key_password, self.iterations).map_err(|why| {
            ImportError::Malformed {
                origin: origin.to_owned(),
                reason: format!("a saved password does not decrypt: {why}"),
            }
        })?;
        let id = new_entry_id();
        self.store
            .set(&id, user, &plain)
            .map_err(|e| ImportError::Refused {
                origin: origin.to_owned(),
                reason: format!("cannot save an imported password: {e}"),
            })?;
        self.created.push(id.clone());
        Ok(id)
    }
}

/// Decrypts one mRemoteNG ≥ 1.76 field: `base64(salt16 ‖ nonce16 ‖
/// ciphertext ‖ tag16)`, AES-256-GCM keyed by PBKDF2-HMAC-SHA1(master, salt,
/// iterations), the salt authenticated as associated data.
pub fn decrypt_field(b64: &str, master: &[u8], iterations: u32) -> Result<Secret, String> {
    use aes_gcm::aead::consts::U16;
    use aes_gcm::aead::{Aead, KeyInit, Payload};

    type Cipher = aes_gcm::AesGcm<aes_gcm::aes::Aes256, U16>;
    let raw = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| "not base64".to_owned())?,
    );
    if raw.len() < 48 {
        return Err("too short for salt, nonce and tag".to_owned());
    }
    let (salt, rest) = raw.split_at(16);
    let (nonce, sealed) = rest.split_at(16);
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(master, salt, iterations, key.as_mut_slice());
    let cipher = Cipher::new_from_slice(key.as_slice()).map_err(|_| "bad key length".to_owned())?;
    let nonce = aes_gcm::Nonce::<U16>::try_from(nonce).map_err(|_| "bad nonce".to_owned())?;
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: salt,
                },
            )
            .map_err(|_| "authentication failed (wrong master password?)".to_owned())?,
    );
    let text = String::from_utf8(plain.to_vec()).map_err(|_| "not UTF-8".to_owned())?;
    Ok(Secret::new(text))
}

/// Reads a `confCons.xml` like [`import_mremoteng`] and also moves its saved
/// passwords into `store` (each under a fresh entry id referenced from the
/// imported node). `master` is the file's master password; `None` tries
/// mRemoteNG's default. On any error, entries already created are deleted
/// again and nothing is imported.
pub fn import_mremoteng_with_passwords(
    bytes: &[u8],
    origin: &str,
    master: Option<&Secret>,
    store: &dyn CredentialStore,
) -> Result<Imported, ImportError> {
    let root = parse_foreign_xml(bytes, origin)?;
    // Shape checks and the plain import first: nothing is stored on failure.
    import_mremoteng(bytes, origin)?;
    let engine = root.attr("EncryptionEngine").unwrap_or("AES");
    let mode = root.attr("BlockCipherMode").unwrap_or("GCM");
    if !engine.eq_ignore_ascii_case("AES") || !mode.eq_ignore_ascii_case("GCM") {
        return Err(ImportError::Refused {
            origin: origin.to_owned(),
            reason: format!(
                "passwords use {engine}/{mode}; only AES/GCM (mRemoteNG 1.76 and later) is supported: \
                 import without passwords"
            ),
        });
    }
    let iterations = match root.attr("KdfIterations").map(|v| v.trim().parse::<u32>()) {
        None => 1000,
        Some(Ok(n)) if (1..=MAX_KDF_ITERATIONS).contains(&n) => n,
        Some(_) => {
            return Err(ImportError::Malformed {
                origin: origin.to_owned(),
                reason: format!("KdfIterations must be 1..={MAX_KDF_ITERATIONS}"),
            });
        }
    };
    let using_default = master.is_none();
    let key_password = Zeroizing::new(master.map_or_else(
        || DEFAULT_MASTER_PASSWORD.as_bytes().to_vec(),
        |m| m.expose().as_bytes().to_vec(),
    ));
    // The Protected attribute proves the master password before anything
    // is stored.
    if let Some(p) = non_empty(&root, "Protected") {
        let check =
            decrypt_field(p, &key_password, iterations).map_err(|_| ImportError::Refused {
                origin: origin.to_owned(),
                reason: if using_default {
                    "the file has its own master password: give it to import the saved passwords"
                        .to_owned()
                } else {
                    "wrong master password".to_owned()
                },
            })?;
        if !matches!(check.expose(), "ThisIsProtected" | "ThisIsNotProtected") {
            return Err(ImportError::Malformed {
                origin: origin.to_owned(),
                reason: "unexpected Protected marker".to_owned(),
            });
        }
    }
    let mut mover = Some(Mover {
        key_password,
        iterations,
        store,
        created: Vec::new(),
    });
    let mut report = ImportReport::default();
    let name = non_empty(&root, "Name").unwrap_or("mRemoteNG");
    let mut group = Group::new(name);
    let mut count = 0usize;
    let result = walk(
        &root,
        &mut group,
        "",
        &mut report,
        &mut count,
        origin,
        &mut mover,
    );
    let created = mover.map(|m| m.created).unwrap_or_default();
    if let Err(e) = result {
        for id in &created {
            let _ = store.delete(id);
        }
        return Err(e);
    }
    if !created.is_empty() {
        report.warnings.push(format!(
            "{} saved password(s) were moved into the credential store",
            created.len()
        ));
        if using_default {
            report.warnings.push(format!(
                "this file used mRemoteNG's default master password ({DEFAULT_MASTER_PASSWORD:?}, \
                 published in its source code): anyone who had a copy of the file could read \
                 these passwords; change them"
            ));
        }
    }
    if !report.passwords_not_transferred.is_empty() {
        report.warnings.push(format!(
            "{} saved password(s) were not transferred (see the list)",
            report.passwords_not_transferred.len()
        ));
    }
    // A file that gives two connections one Id keeps both, with ids of their own.
    crate::store::profiles::dedupe_ids(&mut group, &mut std::collections::HashSet::new());
    Ok(Imported { group, report })
}
