//! Surfaces a file, a pasted text or a typed command line controls.

use std::path::Path;

use super::{Surface, text};
use crate::model::connection::check_host;
use crate::model::profile::{Group, ProfileTree};
use crate::store::import::{self, Imported, MAX_IMPORT_COMPUTERS};

pub(super) const SURFACES: &[Surface] = &[
    Surface {
        name: "import_mremoteng",
        what: "mRemoteNG confCons.xml, with and without its encrypted passwords",
        run: import_mremoteng,
    },
    Surface {
        name: "import_rdcman",
        what: "RDCMan .rdg files",
        run: import_rdcman,
    },
    Surface {
        name: "import_rdm",
        what: "Remote Desktop Manager .rdm exports",
        run: import_rdm,
    },
    Surface {
        name: "import_royaljson",
        what: "Royal TS RoyalJSON documents",
        run: import_royaljson,
    },
    Surface {
        name: "import_hostlist",
        what: "host lists (ranges, ports) in UTF-8 or UTF-16 with or without a BOM",
        run: import_hostlist,
    },
    Surface {
        name: "profile_toml",
        what: "the profile file (TOML, every schema version): load, save, load",
        run: profile_toml,
    },
    Surface {
        name: "activity_log",
        what: "the activity file's JSON lines, read back at start",
        run: activity_log,
    },
    Surface {
        name: "held_sessions",
        what: "held.json, the sessions held open or handed over",
        run: held_sessions,
    },
    Surface {
        name: "handover_note",
        what: "pasted hand-over notes, Connect-PSSession lines and InstanceIds",
        run: handover_note,
    },
    Surface {
        name: "endpoint",
        what: "-ConnectionUri URLs, host names and proxy URLs",
        run: endpoint,
    },
    Surface {
        name: "krb5_conf",
        what: "krb5.conf text and its KDC addresses",
        run: krb5_conf,
    },
    Surface {
        name: "cli_syntax",
        what: "command lines in the CLI's PowerShell syntax",
        run: cli_syntax,
    },
    Surface {
        name: "lab_script",
        what: "scripts the lab's PowerShell interpreter parses and runs",
        run: lab_script,
    },
];

// ---------------------------------------------------------------- importers

/// What an import produced, counted.
struct Counts {
    groups: usize,
    computers: usize,
}

/// Checks what an importer returned: every computer has a name and a host
/// that passes the one host rule as it is (trimmed), and the count of
/// groups and computers is bounded (`bound`, from the input's size).
fn check_imported(imported: &Imported, bound: usize) -> Counts {
    let mut counts = Counts {
        groups: 0,
        computers: 0,
    };
    let mut stack: Vec<&Group> = vec![&imported.group];
    while let Some(g) = stack.pop() {
        counts.groups += 1;
        for c in &g.computers {
            counts.computers += 1;
            assert!(!c.name.trim().is_empty(), "a computer without a name");
            let host = c.settings.host.as_deref().unwrap_or(&c.name);
            assert_eq!(
                check_host(host).as_deref(),
                Ok(host),
                "imported host {host:?} does not pass the host rule as it is"
            );
        }
        stack.extend(&g.groups);
    }
    assert!(counts.computers <= MAX_IMPORT_COMPUTERS);
    assert!(
        counts.groups + counts.computers <= bound,
        "{} groups and {} computers from an input bounded at {bound}",
        counts.groups,
        counts.computers
    );
    counts
}

/// Imports `bytes` into a profile tree as the console does; the tree then
/// saves and loads back equal. A refused import leaves the tree as it was.
fn import_round_trip(bytes: &[u8], format: &str, file: &str) {
    let mut tree = ProfileTree::default();
    let before = tree.clone();
    match import::import_into(
        &mut tree,
        None,
        Path::new(file),
        bytes,
        Some(format),
        "Imported",
    ) {
        Ok(_) => profile_round_trip(&tree),
        Err(_) => assert_eq!(tree, before, "a refused import changed the tree"),
    }
}

/// A tree saves, loads back equal, and saves again to the same text.
fn profile_round_trip(tree: &ProfileTree) {
    use crate::store::profiles::{parse_profiles, to_toml};
    let saved = to_toml(tree).expect("a tree saves");
    let (back, migrated) = parse_profiles(&saved, "saved.toml")
        .unwrap_or_else(|e| panic!("a saved tree loads: {e}\n{saved}"));
    assert!(migrated.is_none(), "a saved tree needs no migration");
    assert_eq!(&back, tree, "the tree loaded back differs\n{saved}");
    assert_eq!(to_toml(&back).expect("saves again"), saved);
}

fn import_mremoteng(data: &[u8]) {
    use crate::store::credentials::{CredentialStore, MemoryStore};
    use crate::store::import::mremoteng;
    if let Ok(imported) = mremoteng::import_mremoteng(data, "confCons.xml") {
        check_imported(&imported, data.len());
        assert!(
            imported
                .group
                .credential_refs()
                .iter()
                .all(|c| c.entry.is_none()),
            "a plain import references a stored password"
        );
    }
    import_round_trip(data, "mremoteng", "confCons.xml");
    // With the passwords: each needs one key derivation of the file's
    // KdfIterations; inputs asking for many are left to the plain import.
    let cheap = import::parse_foreign_xml(data, "confCons.xml").is_ok_and(|root| {
        root.attr("KdfIterations")
            .is_none_or(|v| v.trim().parse::<u32>().is_ok_and(|n| n <= 2000))
    });
    if !cheap {
        return;
    }
    let store = MemoryStore::new();
    match mremoteng::import_mremoteng_with_passwords(data, "confCons.xml", None, &store) {
        Ok(imported) => {
            check_imported(&imported, data.len());
            let stored = store.list().expect("memory store lists");
            let refs: Vec<_> = imported
                .group
                .credential_refs()
                .into_iter()
                .filter_map(|c| c.entry.clone())
                .collect();
            assert_eq!(
                refs.len(),
                stored.len(),
                "stored passwords and references differ"
            );
            let mut tree = ProfileTree::default();
            tree.root.groups.push(imported.group);
            let saved = crate::store::profiles::to_toml(&tree).expect("saves");
            for id in &refs {
                let secret = store.get(id).expect("referenced entry exists").secret;
                let secret = secret.expose();
                // A password is never written to the profile file (short
                // or plainly visible ones could match by chance).
                if secret.chars().count() >= 8 && !text(data).contains(secret) {
                    assert!(
                        !saved.contains(secret),
                        "a password reached the profile file"
                    );
                }
            }
            // Placed in a tree deeper than a profile file keeps, the
            // console's import refuses it whole (import_into).
            if crate::model::profile::check_group_depth(tree.root.depth().saturating_sub(1)).is_ok()
            {
                profile_round_trip(&tree);
            }
        }
        Err(_) => assert!(
            store.list().expect("memory store lists").is_empty(),
            "a failed import left passwords behind"
        ),
    }
}

fn import_rdcman(data: &[u8]) {
    if let Ok(imported) = import::rdcman::import_rdcman(data, "servers.rdg") {
        check_imported(&imported, data.len());
    }
    import_round_trip(data, "rdcman", "servers.rdg");
}

fn import_rdm(data: &[u8]) {
    if let Ok(imported) = import::rdm::import_rdm(data, "RDM", "export.rdm") {
        check_imported(&imported, data.len());
    }
    import_round_trip(data, "rdm", "export.rdm");
}

fn import_royaljson(data: &[u8]) {
    if let Ok(imported) = import::royaljson::import_royal_json(data, "Royal", "royal.json") {
        check_imported(&imported, data.len());
    }
    import_round_trip(data, "royaljson", "royal.json");
}

/// Encodes `s` as UTF-16, little or big endian, with or without a BOM.
fn utf16(s: &str, little: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = bom.then_some(0xFEFF).into_iter().chain(s.encode_utf16());
    for u in units {
        out.extend_from_slice(&if little {
            u.to_le_bytes()
        } else {
            u.to_be_bytes()
        });
    }
    out
}

fn import_hostlist(data: &[u8]) {
    use crate::store::import::hostlist::{MAX_EXPANSION_PER_LINE, import_host_list};
    let decoded = import::decode_text(data);
    assert!(
        decoded.chars().count() <= data.len(),
        "decoding made more characters than bytes"
    );
    // What Windows tools write decodes back to the text.
    let s = text(data);
    for (little, bom) in [(true, true), (false, true)] {
        assert_eq!(
            import::decode_text(&utf16(&s, little, bom)),
            s,
            "UTF-16 with a BOM"
        );
    }
    let mut with_bom = vec![0xEF, 0xBB, 0xBF];
    with_bom.extend_from_slice(s.as_bytes());
    assert_eq!(import::decode_text(&with_bom), s, "UTF-8 with a BOM");
    if s.len() >= 2 && s.bytes().all(|b| b.is_ascii() && b != 0) {
        for little in [true, false] {
            assert_eq!(
                import::decode_text(&utf16(&s, little, false)),
                s,
                "ASCII in UTF-16 without a BOM"
            );
        }
    }

    if let Ok(imported) = import_host_list(&decoded, "Hosts", "hosts.txt") {
        let lines = decoded.lines().count();
        let bound = if decoded.contains('[') {
            lines.saturating_mul(MAX_EXPANSION_PER_LINE)
        } else {
            lines
        };
        let counts = check_imported(&imported, bound + 1);
        assert!(
            imported.group.groups.is_empty(),
            "a host list has no groups"
        );
        // Every host once (per port).
        let mut seen = std::collections::HashSet::new();
        for c in &imported.group.computers {
            assert!(
                seen.insert((c.name.to_ascii_lowercase(), c.settings.port)),
                "{} twice",
                c.name
            );
            assert_ne!(c.settings.port, Some(0), "port 0 imported");
        }
        // The whole tree round trip costs per computer: keep executions fast.
        if counts.computers > 1000 {
            return;
        }
    }
    import_round_trip(data, "hosts", "hosts.txt");
}

// ---------------------------------------------------------------- stores

fn profile_toml(data: &[u8]) {
    use crate::store::profiles::{StoreError, parse_profiles};
    let source = text(data);
    match parse_profiles(&source, "profiles.toml") {
        Ok((tree, _migrated)) => {
            // Ids are unique after a load (copied blocks get fresh ones).
            let ids = tree.node_ids();
            let mut nodes = 0usize;
            let mut stack = vec![&tree.root];
            while let Some(g) = stack.pop() {
                nodes += 1 + g.computers.len();
                stack.extend(&g.groups);
            }
            assert_eq!(ids.len(), nodes, "two nodes share an id");
            for e in tree.computers() {
                assert!(tree.effective(e.computer.id).is_some());
            }
            profile_round_trip(&tree);
        }
        Err(StoreError::Parse { line, column, .. }) => {
            let lines = source.split('\n').count();
            assert!(line >= 1 && line <= lines, "error line {line} of {lines}");
            assert!(column >= 1);
        }
        Err(_) => {}
    }
}

fn activity_log(data: &[u8]) {
    use crate::store::activity::{entry_line, read_history};
    let source = text(data);
    let lines = source.lines().filter(|l| !l.trim().is_empty()).count();
    let loaded = read_history([("activity.jsonl", source.as_ref())]);
    assert!(loaded.entries.len() <= lines);
    assert_eq!(
        loaded.problem.is_some(),
        loaded.entries.len() < lines,
        "unread lines and the problem report disagree"
    );
    // What is written back is one line per entry and reads back the same.
    let mut written = String::new();
    for e in &loaded.entries {
        let line = entry_line(e).expect("an entry read back encodes");
        assert_eq!(
            line.matches('\n').count(),
            1,
            "an entry spans lines: {line:?}"
        );
        assert!(line.ends_with('\n'));
        written.push_str(&line);
    }
    let again = read_history([("activity.jsonl", written.as_str())]);
    assert!(again.problem.is_none(), "{:?}", again.problem);
    assert_eq!(again.entries, loaded.entries);
}

/// `held.json` as `store::held::HeldFile` reads and writes it: a JSON
/// array of records, written pretty.
fn held_sessions(data: &[u8]) {
    use crate::store::held::{MAX_RECORDS, parse, render};
    let Ok(records) = parse(data) else {
        return;
    };
    assert!(
        records.len() <= data.len() / 2,
        "{} records from {} bytes",
        records.len(),
        data.len()
    );
    let written = render(&records).expect("records encode");
    let back = parse(&written).expect("written records read back");
    let kept = &records[records.len().saturating_sub(MAX_RECORDS)..];
    assert_eq!(back, kept);
}

// ---------------------------------------------------------------- pasted and typed text

fn handover_note(data: &[u8]) {
    use crate::model::OutputBufferingMode;
    use crate::model::hand_over::{HandOverNote, SessionClue, read_clue};
    let source = text(data);
    let clue = read_clue(&source);
    for field in [&clue.computer, &clue.session, &clue.account]
        .into_iter()
        .flatten()
    {
        assert!(field.len() <= source.len(), "a field longer than the text");
    }

    // A note made of the input's fields reads back whole, and so does its
    // Connect-PSSession line alone.
    let mut parts = data.splitn(4, |b| *b == 0);
    let mut field = || {
        let raw = parts.next().unwrap_or_default();
        text(raw).replace(['\n', '\r'], "")
    };
    let (computer, session, account) = (field(), field(), field());
    let rest = parts.next().unwrap_or_default();
    let mut id = [0u8; 16];
    for (slot, b) in id.iter_mut().zip(rest) {
        *slot = *b;
    }
    let seconds = rest
        .get(16..24)
        .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")));
    let note = HandOverNote {
        computer,
        session,
        instance_id: uuid::Uuid::from_bytes(id),
        account,
        expires: seconds.and_then(|s| chrono::DateTime::from_timestamp(s % 100_000_000_000, 0)),
        mode: match rest.get(24).map(|b| b % 3) {
            Some(1) => OutputBufferingMode::Block,
            Some(2) => OutputBufferingMode::Drop,
            _ => OutputBufferingMode::None,
        },
    };
    let full = SessionClue {
        instance_id: Some(note.instance_id),
        computer: Some(note.computer.clone()),
        session: Some(note.session.clone()),
        account: Some(note.account.clone()),
    };
    assert_eq!(read_clue(&note.text()), full, "note:\n{}", note.text());
    let line = read_clue(&note.connect_line());
    assert_eq!(
        (line.computer, line.session, line.account),
        (full.computer, full.session, full.account),
        "line: {}",
        note.connect_line()
    );
}

fn endpoint(data: &[u8]) {
    use crate::model::ConnectionSpec;
    use crate::transport::http::Endpoint;
    use crate::transport::proxy::ProxyServer;
    let source = text(data);
    let clean = |s: &str| !s.chars().any(|c| c.is_control() || c.is_whitespace());
    if let Ok(e) = Endpoint::parse(&source) {
        assert_eq!(
            check_host(&e.host).as_deref(),
            Ok(e.host.as_str()),
            "host {:?}",
            e.host
        );
        assert!(clean(&e.host_header()) && clean(&e.path), "{e:?}");
        assert!(e.path.starts_with('/'));
        let again = Endpoint::parse(&e.url())
            .unwrap_or_else(|err| panic!("{} does not parse: {err}", e.url()));
        assert_eq!(again, e);
        // A profile's settings give the same endpoint back (its
        // application name has no leading slash, so `//x` is not one).
        if !e.path.starts_with("//") {
            let mut spec = ConnectionSpec::for_computer(&e.host);
            spec.scheme = if e.https { "https" } else { "http" }.to_owned();
            spec.port = e.port;
            spec.app_name = e.path.trim_start_matches('/').to_owned();
            let from_spec =
                Endpoint::parse(&spec.url()).unwrap_or_else(|err| panic!("{}: {err}", spec.url()));
            assert_eq!(from_spec, e);
        }
    }
    if let Ok(h) = check_host(&source) {
        assert_eq!(
            check_host(&h).as_deref(),
            Ok(h.as_str()),
            "the host rule is idempotent"
        );
        assert!(clean(&h) && h.len() <= 253);
        let spec = ConnectionSpec::for_computer(&h);
        let e = Endpoint::parse(&spec.url()).unwrap_or_else(|err| panic!("{}: {err}", spec.url()));
        assert_eq!(
            e.host.trim_start_matches('[').trim_end_matches(']'),
            h.trim_start_matches('[').trim_end_matches(']')
        );
    }
    if let Ok(p) = ProxyServer::parse(&source) {
        assert!(!p.host.is_empty());
        let again = ProxyServer::parse(&p.authority())
            .unwrap_or_else(|err| panic!("{}: {err}", p.authority()));
        assert_eq!((again.host, again.port), (p.host.clone(), p.port));
    }
}

fn krb5_conf(data: &[u8]) {
    use crate::protocol::auth::kerberos::{KdcAddress, KdcProtocol, Krb5Conf, user_realm};
    let source = text(data);
    let mut conf = Krb5Conf::default();
    conf.merge_text(&source);
    let lines = source.lines().count();
    assert!(conf.realms.len() <= lines && conf.domain_realm.len() <= lines);
    // The first value wins: merging the same text again adds KDCs and
    // mappings but changes neither default.
    let first = conf.clone();
    conf.merge_text(&source);
    assert_eq!(
        (&conf.default_realm, conf.dns_lookup_kdc),
        (&first.default_realm, first.dns_lookup_kdc)
    );
    for (realm, _) in &first.realms {
        for kdc in first.kdcs(realm) {
            assert!(!kdc.host.is_empty() && kdc.port != 0);
            assert!(
                !kdc.host
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '/')
            );
            // Written back in krb5.conf's syntax, it reads the same.
            let proto = match kdc.protocol {
                KdcProtocol::Tcp => "tcp",
                KdcProtocol::Udp => "udp",
            };
            let written = if kdc.host.contains(':') {
                format!("{proto}/[{}]:{}", kdc.host, kdc.port)
            } else {
                format!("{proto}/{}:{}", kdc.host, kdc.port)
            };
            assert_eq!(KdcAddress::parse(&written).as_ref(), Ok(&kdc), "{written}");
        }
    }
    for line in source.lines().take(16) {
        let _ = first.realm_of_host(line);
        if let Some(realm) = user_realm(line, &first) {
            assert!(
                realm.len()
                    <= line
                        .len()
                        .max(first.realms.iter().map(|(r, _)| r.len()).max().unwrap_or(0))
                        .max(first.default_realm.as_ref().map_or(0, String::len))
            );
        }
        if let Ok(kdc) = KdcAddress::parse(line) {
            assert!(kdc.host.len() <= line.len());
        }
    }
}

/// The deepest nesting of a parsed command line's values.
fn value_depth(v: &crate::cli::syntax::Value) -> usize {
    use crate::cli::syntax::{StrPart, Value};
    1 + match v {
        Value::List(items) => items.iter().map(value_depth).max().unwrap_or(0),
        Value::Hashtable(entries) => entries
            .iter()
            .map(|(_, v)| value_depth(v))
            .max()
            .unwrap_or(0),
        Value::SubPipeline(p) => pipeline_depth(p),
        Value::SubExpression(s) => statements_depth(s),
        Value::Expandable(parts) => parts
            .iter()
            .map(|p| match p {
                StrPart::SubExpression(s) => statements_depth(s),
                _ => 0,
            })
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

fn pipeline_depth(p: &crate::cli::syntax::Pipeline) -> usize {
    use crate::cli::syntax::{Argument, PipelineElement};
    p.elements
        .iter()
        .map(|e| match e {
            PipelineElement::Expression(v) => value_depth(v),
            PipelineElement::Command(c) => c
                .args
                .iter()
                .map(|a| match a {
                    Argument::Parameter { value, .. } => value.as_ref().map_or(0, value_depth),
                    Argument::Value { value, .. } => value_depth(value),
                })
                .max()
                .unwrap_or(0),
        })
        .max()
        .unwrap_or(0)
}

fn statements_depth(s: &[crate::cli::syntax::Statement]) -> usize {
    use crate::cli::syntax::Statement;
    s.iter()
        .map(|s| match s {
            Statement::Pipeline(p) | Statement::Assignment { pipeline: p, .. } => pipeline_depth(p),
        })
        .max()
        .unwrap_or(0)
}

/// Checks a parse error points inside the source.
fn check_parse_error(e: &crate::pslang::ParseError, source: &str) {
    let chars = source.chars().count();
    assert!(
        e.offset <= chars,
        "{} at {} of {chars} characters",
        e.error_id,
        e.offset
    );
    let lines = source.split('\n').count();
    assert!(e.line >= 1 && e.line <= lines, "line {} of {lines}", e.line);
    assert!(e.column >= 1 && e.column <= chars + 1);
    assert!(!e.error_id.is_empty() && !e.message.is_empty());
}

fn cli_syntax(data: &[u8]) {
    use crate::cli::syntax::{Argument, MAX_NESTING, PipelineElement, Statement, parse, tokenize};
    let source = text(data);
    let chars = source.chars().count();
    match parse(&source) {
        Ok(statements) => {
            // A nesting level takes at least one character; values nest no
            // deeper than the parser's limit allows.
            let depth = statements_depth(&statements);
            assert!(depth <= 2 * MAX_NESTING + 2, "nested {depth} deep");
            for s in &statements {
                let (Statement::Pipeline(p) | Statement::Assignment { pipeline: p, .. }) = s;
                assert!(!p.elements.is_empty(), "an empty pipeline");
                for e in &p.elements {
                    if let PipelineElement::Command(c) = e {
                        assert!(c.offset < chars, "command at {} of {chars}", c.offset);
                        for a in &c.args {
                            let (Argument::Parameter { offset, .. }
                            | Argument::Value { offset, .. }) = a;
                            assert!(*offset < chars, "argument at {offset} of {chars}");
                        }
                    }
                }
            }
            let json = serde_json::to_string(&statements).expect("statements encode");
            let ranges = source.matches("..").count();
            let bound = 64 * source.len()
                + 64
                + ranges * 24 * usize::try_from(crate::cli::syntax::MAX_RANGE_LEN).unwrap_or(0);
            assert!(
                json.len() <= bound,
                "{} bytes of syntax from {} bytes",
                json.len(),
                source.len()
            );
        }
        Err(e) => check_parse_error(&e, &source),
    }
    match tokenize(&source) {
        Ok(tokens) => {
            let mut last = None;
            for (offset, _) in &tokens {
                assert!(*offset < chars.max(1));
                assert!(last < Some(*offset), "tokens out of order");
                last = Some(*offset);
            }
        }
        Err(e) => check_parse_error(&e.located(&source), &source),
    }
}

/// The most steps a fuzzed script may run; `while (1) {}` stops here.
const LAB_STEP_LIMIT: u64 = 5_000;
/// Events a poll may return at most (per the caller's `max_events`).
const LAB_MAX_EVENTS: usize = 16;

fn lab_script(data: &[u8]) {
    use std::time::Duration;

    use crate::lab::script::{Job, JobEvent, ScriptContext, SessionState, Value};
    let source = text(data);
    let clock = chrono::DateTime::parse_from_rfc3339("2026-11-22T09:30:00+01:00").expect("clock");
    // The in-memory runspace of the lab's tests: files live in its
    // FileSystem, processes and services are made up, nothing is real.
    let ctx = ScriptContext::new("SRV01", "alice", clock, SessionState::shared("alice"));
    let mut job = match Job::start(&source, ctx) {
        Ok(job) => job.with_step_limit(LAB_STEP_LIMIT),
        Err(e) => {
            check_parse_error(&e, &source);
            return;
        }
    };
    let mut finished = 0;
    let mut polls = 0u64;
    let mut now = Duration::ZERO;
    while !job.is_finished() {
        polls += 1;
        // Every poll that runs anything spends a step at least, or waits
        // on time or the host: the limit bounds the polls too.
        assert!(
            polls <= 4 * LAB_STEP_LIMIT + 16,
            "the job neither finishes nor spends steps"
        );
        if job.pending_host_call().is_some() {
            assert!(job.answer_host_call(Value::str("fuzz")));
        }
        if let Some(t) = job.next_wakeup() {
            now = now.max(t);
        }
        let events = job.poll(now, LAB_MAX_EVENTS);
        assert!(
            events.len() <= LAB_MAX_EVENTS + 2,
            "{} events from one poll",
            events.len()
        );
        finished += events
            .iter()
            .filter(|e| matches!(e, JobEvent::Finished(_)))
            .count();
        if job.is_finished() {
            assert!(
                matches!(events.last(), Some(JobEvent::Finished(_))),
                "the last event is not Finished"
            );
        }
        assert!(
            job.steps_spent() <= LAB_STEP_LIMIT,
            "{} steps spent",
            job.steps_spent()
        );
    }
    assert_eq!(finished, 1, "Finished {finished} times");
    assert!(
        job.poll(now, LAB_MAX_EVENTS).is_empty(),
        "events after Finished"
    );
}
