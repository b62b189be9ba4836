//! The lab's own traffic as fuzzing seeds: a worker and the lab run a
//! hand-over story in process (create, run with every stream, disconnect,
//! list, connect, receive, remove) through a recorder that keeps every
//! request and response. Each exchange becomes a seed of the surface that
//! reads it: the request for `wsman_server`, the response (its ids set to
//! the fuzzing surfaces' fixed ones) for `wsman_client`, the PSRP streams
//! for `psrp_fragments`, their messages for `psrp_messages`, their CLIXML
//! for `clixml_render`.
//!
//! The test checks that every such seed passes its surface's invariants
//! (Baton's own traffic is the first thing they must accept). With
//! `BATON_RECORD_SEEDS=1` it also writes the seeds into
//! `tests/fuzz/seeds/<surface>/lab-*` (what `tests/fuzz/record-lab-seeds.sh`
//! runs).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use baton::bridge::{Command, ComputerRef, CredentialChoice, Event, SessionRef};
use baton::model::{ConnectionSpec, Credential, OutputBufferingMode};
use baton::protocol::http::{Caller, HttpRequest, HttpResponse, WsmanService};

use crate::common::InProcessLab;

type Log = Arc<Mutex<Vec<(Vec<u8>, Vec<u8>)>>>;

/// A lab computer's service that keeps what it was asked and answered.
struct Recorder {
    inner: Arc<dyn WsmanService>,
    log: Log,
}

impl WsmanService for Recorder {
    fn handle<'a>(
        &'a self,
        caller: Caller,
        request: HttpRequest,
    ) -> core::pin::Pin<Box<dyn core::future::Future<Output = HttpResponse> + Send + 'a>> {
        Box::pin(async move {
            let body = request.body.clone();
            let response = self.inner.handle(caller, request).await;
            self.log.lock().unwrap().push((body, response.body.clone()));
            response
        })
    }
}

fn tech(name: &str) -> ComputerRef {
    ComputerRef::new(
        name,
        ConnectionSpec::for_computer(name),
        CredentialChoice::Once(Credential::new("Domain01\\User01", "Tech-P@ss1")),
    )
}

/// Runs `command` and waits for its terminal event.
fn act(h: &baton::bridge::WorkerHandle, command: Command) -> Vec<Event> {
    let op = command.op().expect("an action");
    assert!(h.send(command));
    let mut seen = Vec::new();
    loop {
        let e = h
            .recv_timeout(Duration::from_mins(1))
            .unwrap_or_else(|| panic!("no terminal event; saw {seen:#?}"));
        let end = matches!(&e, Event::OpFinished { op: o, .. } | Event::OpFailed { op: o, .. } | Event::OpCancelled { op: o } if *o == op);
        let failed =
            matches!(&e, Event::OpFailed { op: o, .. } | Event::OpCancelled { op: o } if *o == op);
        seen.push(e);
        assert!(!failed, "a step of the story failed: {seen:#?}");
        if end {
            return seen;
        }
    }
}

/// The story, recorded: every exchange of it, in order.
fn record_story() -> Vec<(Vec<u8>, Vec<u8>)> {
    let lab = InProcessLab::demo(false, 1.0);
    let log: Log = Arc::default();
    let mut computers = lab.computers();
    for c in computers.values_mut() {
        c.service = Arc::new(Recorder {
            inner: c.service.clone(),
            log: log.clone(),
        });
    }
    let (h, side) = baton::bridge::WorkerHandle::pair(Arc::new(|| {}));
    let worker = baton::worker::spawn(
        side,
        baton::worker::WorkerConfig {
            in_process: computers,
            ..baton::worker::WorkerConfig::default()
        },
    )
    .unwrap();
    let srv1 = tech("Srv1");
    let events = act(
        &h,
        Command::NewSession {
            op: h.next_op(),
            computer: srv1.clone(),
            name: Some("Seeds".into()),
            idle_timeout_ms: None,
            output_buffering_mode: OutputBufferingMode::None,
        },
    );
    let id = events
        .iter()
        .find_map(|e| match e {
            Event::SessionChanged(i) if i.name == "Seeds" => Some(i.instance_id),
            _ => None,
        })
        .expect("the session opened");
    let session = SessionRef {
        computer: srv1.clone(),
        instance_id: id,
        name: "Seeds".into(),
    };
    // Every stream: output of several types, an error, a warning, verbose,
    // progress and information records, a table of objects.
    let script = "Get-Process | Select-Object -First 3; Write-Warning 'disk 91% full'; Write-Verbose 'checked' -Verbose; Write-Information 'note'; Write-Progress -Activity Patching -Status 'step 1' -PercentComplete 40; Write-Error 'service Spooler is stopped'; 1..3; @{ Name = 'x'; Size = 12.5; When = Get-Date }; 'done'";
    act(
        &h,
        Command::Invoke {
            op: h.next_op(),
            session: session.clone(),
            script: script.into(),
            in_disconnected_session: false,
        },
    );
    act(
        &h,
        Command::Disconnect {
            op: h.next_op(),
            sessions: vec![session.clone()],
            idle_timeout_sec: Some(3600),
            output_buffering_mode: OutputBufferingMode::Block,
            throttle_limit: 0,
        },
    );
    act(
        &h,
        Command::ListSessions {
            op: h.next_op(),
            computers: vec![srv1.clone(), tech("Srv2")],
            names: Vec::new(),
            throttle_limit: 0,
        },
    );
    act(
        &h,
        Command::TestConnection {
            op: h.next_op(),
            computer: srv1.clone(),
            anonymous: true,
        },
    );
    act(
        &h,
        Command::GetConfiguration {
            op: h.next_op(),
            computer: srv1.clone(),
            configuration_name: "Microsoft.PowerShell".into(),
        },
    );
    act(
        &h,
        Command::Receive {
            op: h.next_op(),
            session: session.clone(),
        },
    );
    act(
        &h,
        Command::Invoke {
            op: h.next_op(),
            session: session.clone(),
            script: "Start-Sleep -Milliseconds 300; 'piled up'".into(),
            in_disconnected_session: true,
        },
    );
    act(
        &h,
        Command::Receive {
            op: h.next_op(),
            session: session.clone(),
        },
    );
    act(
        &h,
        Command::Remove {
            op: h.next_op(),
            sessions: vec![session],
            force: false,
        },
    );
    h.send(Command::Shutdown {
        release: baton::bridge::Release::HandBack,
    });
    drop(h);
    worker.join().expect("the worker ends");
    log.lock().unwrap().clone()
}

/// The message id of the fuzzing surfaces' requests, which a seed's
/// response must relate to.
const FUZZ_MESSAGE: &str = "uuid:5EED5EED-0000-4000-8000-000000000001";
const FUZZ_SHELL: &str = "5EED5EED-0000-4000-8000-000000000002";
const FUZZ_COMMAND: &str = "5EED5EED-0000-4000-8000-000000000003";

/// Which of the `wsman_client` surface's requests (its first byte) a
/// recorded request is; `15` is Identify.
fn request_index(request: &str) -> Option<u8> {
    let action = regex::Regex::new(r"<[A-Za-z0-9]*:?Action[^>]*>([^<]+)<")
        .unwrap()
        .captures(request)
        .map(|c| c[1].to_owned());
    let Some(action) = action else {
        return request.contains("Identify").then_some(15);
    };
    let verb = action.rsplit('/').next().unwrap_or_default();
    Some(match verb {
        "Create" => 0,
        "Get" if request.contains("/config<") || request.contains("wsman/config") => 2,
        "Get" => 1,
        "Delete" => 3,
        "Enumerate" if request.contains("CommandId") || request.contains("ShellId") => 5,
        "Enumerate" => 4,
        "Pull" => 6,
        "Command" => 7,
        "Send" => 8,
        "Receive" => 9,
        "Signal" => 10,
        "Disconnect" => 11,
        "Reconnect" => 12,
        "Connect" if request.contains("CommandId") => 14,
        "Connect" => 13,
        _ => return None,
    })
}

/// The response with the fuzzing surfaces' ids in place of the story's.
fn normalised(response: &str, ids: &BTreeMap<String, &'static str>) -> String {
    let relates = regex::Regex::new(r"(RelatesTo[^>]*>)uuid:[0-9A-Fa-f-]+").unwrap();
    let mut text = relates
        .replace_all(response, format!("${{1}}{FUZZ_MESSAGE}"))
        .into_owned();
    for (from, to) in ids {
        text = text
            .replace(from.as_str(), to)
            .replace(&from.to_ascii_lowercase(), to);
    }
    text
}

/// PSRP fragments: (flags, blob) of each.
fn fragments(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while bytes.len() >= 21 {
        let flags = bytes[16];
        let len = u32::from_be_bytes(bytes[17..21].try_into().unwrap()) as usize;
        let Some(blob) = bytes.get(21..21 + len) else {
            break;
        };
        out.push((flags, blob.to_vec()));
        bytes = &bytes[21 + len..];
    }
    out
}

/// Every seed the story gives, by surface.
fn seeds(exchanges: &[(Vec<u8>, Vec<u8>)]) -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let mut by: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    // The story's shells and commands, uniformly renamed.
    let id_re = regex::Regex::new(
        r#"(ShellId|CommandId)(?:"\s*>|>|=")\s*([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"#,
    )
    .unwrap();
    let mut ids: BTreeMap<String, &'static str> = BTreeMap::new();
    for (req, resp) in exchanges {
        for text in [req, resp] {
            for c in id_re.captures_iter(&String::from_utf8_lossy(text)) {
                let to = if &c[1] == "ShellId" {
                    FUZZ_SHELL
                } else {
                    FUZZ_COMMAND
                };
                ids.entry(c[2].to_ascii_uppercase()).or_insert(to);
            }
        }
    }
    let stream_re = regex::Regex::new(
        r"<[A-Za-z0-9]*:?(?:Stream|creationXml|Arguments)[^>]*>([A-Za-z0-9+/=\s]+)<",
    )
    .unwrap();
    for (req, resp) in exchanges {
        let request = String::from_utf8_lossy(req);
        let response = String::from_utf8_lossy(resp);
        by.entry("wsman_server").or_default().push(req.clone());
        if let Some(index) = request_index(&request) {
            let mut seed = vec![index];
            seed.extend_from_slice(normalised(&response, &ids).as_bytes());
            by.entry("wsman_client").or_default().push(seed);
        }
        // PSRP: to the client from responses, to the server from requests.
        for (text, to_server) in [(&response, false), (&request, true)] {
            for c in stream_re.captures_iter(text) {
                let Ok(bytes) = base64::engine::general_purpose::STANDARD
                    .decode(c[1].split_whitespace().collect::<String>())
                else {
                    continue;
                };
                if bytes.len() < 21 {
                    continue;
                }
                let mut seed = vec![0xff];
                seed.extend_from_slice(&bytes);
                by.entry("psrp_fragments").or_default().push(seed);
                for (flags, message) in fragments(&bytes) {
                    if flags & 3 != 3 || message.len() < 40 {
                        continue;
                    }
                    let mut seed = vec![u8::from(to_server)];
                    seed.extend_from_slice(&message);
                    by.entry("psrp_messages").or_default().push(seed);
                    let kind = u32::from_le_bytes(message[4..8].try_into().unwrap());
                    let data = message[40..]
                        .strip_prefix(b"\xef\xbb\xbf")
                        .unwrap_or(&message[40..]);
                    if !to_server && !data.is_empty() {
                        // Output as output; records as the record kinds.
                        let pick = match kind {
                            0x0004_1004 => 0,
                            0x0004_1005 => 1,
                            0x0004_1006 => 2,
                            0x0004_1007 => 3,
                            0x0004_1008 => 4,
                            0x0004_1010 => 5,
                            _ => 6,
                        };
                        let mut seed = vec![pick];
                        seed.extend_from_slice(data);
                        by.entry("clixml_render").or_default().push(seed);
                    }
                }
            }
        }
    }
    for list in by.values_mut() {
        list.sort();
        list.dedup();
    }
    by
}

#[test]
fn the_labs_own_traffic_passes_every_surfaces_invariants() {
    let exchanges = record_story();
    assert!(exchanges.len() >= 15, "only {} exchanges", exchanges.len());
    let by = seeds(&exchanges);
    for surface in [
        "wsman_server",
        "wsman_client",
        "psrp_fragments",
        "psrp_messages",
        "clixml_render",
    ] {
        let list = by.get(surface).map_or(&[][..], Vec::as_slice);
        assert!(
            list.len() >= 3,
            "{surface}: only {} seeds from the story",
            list.len()
        );
        let run = baton::fuzzing::surface(surface).expect("a surface").run;
        for (i, seed) in list.iter().enumerate() {
            let outcome = std::panic::catch_unwind(|| run(seed));
            assert!(
                outcome.is_ok(),
                "the lab's own traffic (seed {i} of {surface}) breaks its invariants: {}",
                String::from_utf8_lossy(&seed[..seed.len().min(400)])
            );
        }
    }
    if std::env::var_os("BATON_RECORD_SEEDS").is_some_and(|v| v == "1") {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/seeds");
        for (surface, list) in &by {
            let dir = root.join(surface);
            for old in std::fs::read_dir(&dir).unwrap().flatten() {
                if old.file_name().to_string_lossy().starts_with("lab-") {
                    std::fs::remove_file(old.path()).unwrap();
                }
            }
            // A handful per surface: the corpus grows from them.
            for (i, seed) in list.iter().take(24).enumerate() {
                std::fs::write(dir.join(format!("lab-{i:02}")), seed).unwrap();
            }
        }
        eprintln!("seeds written under {}", root.display());
    }
}
