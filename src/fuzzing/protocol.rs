//! Surfaces a server or a client on the network controls.
//!
//! Conventions: where one surface covers several message kinds, the first
//! input byte chooses the kind and the rest is the message. Tokens that
//! travel base64-encoded in HTTP headers are taken raw and encoded here, so
//! the fuzzer mutates the bytes the parsers see.

use std::sync::OnceLock;

use uuid::Uuid;

use super::{Surface, text};
use crate::protocol::ProtocolError;
use crate::protocol::auth::client::{ClientAuthenticator, ClientStep};
use crate::protocol::auth::kerberos::{self, KdcAddress, KdcExchange, KdcReply, KdcRequest};
use crate::protocol::auth::sealing::{self, EncryptedContentType, SealProtocol, Sealed};
use crate::protocol::auth::server::{AcceptOutcome, ServerAcceptor, UserTable};
use crate::protocol::auth::{self, Credentials, Mechanism};
use crate::protocol::clixml::{self, PsValue};
use crate::protocol::compression::{self, CompressionMode, huffman};
use crate::protocol::psrp::Message;
use crate::protocol::psrp::client::{ClientEvent, ClientPool, RecordKind};
use crate::protocol::psrp::fragment::{Defragmenter, Fragment, Fragmenter};
use crate::protocol::psrp::messages::{CreatePipeline, HostCall, HostResponse, InitRunspacePool};
use crate::protocol::psrp::server::{ServerEvent, ServerPool};
use crate::protocol::wsman::envelope::{BuiltRequest, RequestContext, ResponseIds, parse_envelope};
use crate::protocol::wsman::fault::{WsmanFault, codes};
use crate::protocol::wsman::namespaces::RESOURCE_POWERSHELL_DEFAULT;
use crate::protocol::wsman::server::{self as wsserver, RequestBody, WsmanRequest};
use crate::protocol::wsman::shell::{
    self, BufferMode, CommandLine, CreateShell, Request, StreamData, WsmanClient,
};
use crate::protocol::xml::{self, Element};

pub(super) const SURFACES: &[Surface] = &[
    Surface {
        name: "xpress",
        what: "Xpress LZ77+Huffman blocks of shell stream data",
        run: xpress,
    },
    Surface {
        name: "wsman_client",
        what: "WS-Management responses and faults, as the client reads them (first byte: the request answered)",
        run: wsman_client,
    },
    Surface {
        name: "wsman_server",
        what: "WS-Management request envelopes, as the lab's WinRM service reads them",
        run: wsman_server,
    },
    Surface {
        name: "psrp_fragments",
        what: "PSRP fragment streams through the defragmenter (first byte: its limits)",
        run: psrp_fragments,
    },
    Surface {
        name: "psrp_messages",
        what: "PSRP messages (header and CLIXML body) through the client pool or the lab's server pool",
        run: psrp_messages,
    },
    Surface {
        name: "clixml_render",
        what: "CLIXML output and records, deserialised, then rendered as the CLI prints them, as text and as JSON",
        run: clixml_render,
    },
    Surface {
        name: "multipart_unwrap",
        what: "WinRM encrypted multipart bodies (multipart/encrypted and x-multi-encrypted) and their Content-Type",
        run: multipart_unwrap,
    },
    Surface {
        name: "ntlm_acceptor",
        what: "NTLM tokens in Authorization headers, through the lab's acceptor",
        run: ntlm_acceptor,
    },
    Surface {
        name: "ntlm_client",
        what: "NTLM challenges in WWW-Authenticate, fed to the client after its NEGOTIATE",
        run: ntlm_client,
    },
    Surface {
        name: "spnego_acceptor",
        what: "SPNEGO tokens under Negotiate, through the lab's acceptor",
        run: spnego_acceptor,
    },
    Surface {
        name: "spnego_client",
        what: "SPNEGO answers under Negotiate, fed to the client after its first token",
        run: spnego_client,
    },
    Surface {
        name: "kerberos_client",
        what: "KDC replies to the client's AS request, and KDC addresses",
        run: kerberos_client,
    },
    Surface {
        name: "credssp_acceptor",
        what: "CredSSP tokens (TLS records) through the lab's CredSSP acceptor",
        run: credssp_acceptor,
    },
    Surface {
        name: "credssp_client",
        what: "CredSSP answers (TLS records) fed to the client after its ClientHello",
        run: credssp_client,
    },
    Surface {
        name: "http_proxy_response",
        what: "HTTP proxy answers to CONNECT and absolute-form requests, and proxy URLs",
        run: http_proxy_response,
    },
    Surface {
        name: "http_redirect",
        what: "Location values of WinRM redirects",
        run: http_redirect,
    },
    Surface {
        name: "dns_srv",
        what: "DNS answers to the SRV query that finds a realm's KDC",
        run: dns_srv,
    },
    Surface {
        name: "der_channel_bindings",
        what: "DER certificates read for channel bindings and CredSSP's public key binding",
        run: der_channel_bindings,
    },
];

// ------------------------------------------------------------------ xpress

/// Xpress: the output never exceeds the declared size, and what Baton
/// compresses decodes back to itself.
fn xpress(data: &[u8]) {
    let Some((&limit_byte, rest)) = data.split_first() else {
        return;
    };
    let max_len = usize::from(limit_byte) * 1024;
    if let Ok(out) = compression::decompress_stream(rest, max_len) {
        assert!(
            out.len() <= max_len,
            "{} bytes out, limit {max_len}",
            out.len()
        );
    }
    if let Ok(out) = huffman::decompress(rest, max_len) {
        assert!(out.len() <= max_len);
    }
    let stream = compression::compress_stream(rest);
    let back = CompressionMode::XpressCompression
        .decode(&stream, rest.len())
        .expect("what Baton compresses decodes");
    assert_eq!(back, rest);
}

// ------------------------------------------------------------------- wsman

/// The one id every request and response of these surfaces uses, so a seed
/// answers the request whatever the request is (`uuid:5EED…` in the seeds).
pub(crate) const FUZZ_ID: Uuid = Uuid::from_u128(0x5eed_5eed_0000_4000_8000_0000_0000_0001);
const SHELL_ID: &str = "5EED5EED-0000-4000-8000-000000000002";
const COMMAND_ID: &str = "5EED5EED-0000-4000-8000-000000000003";

fn wsman_requests() -> &'static [Request] {
    static REQUESTS: OnceLock<Vec<Request>> = OnceLock::new();
    REQUESTS.get_or_init(|| {
        let r = RESOURCE_POWERSHELL_DEFAULT.to_owned();
        let s = SHELL_ID.to_owned();
        vec![
            Request::Create(CreateShell::powershell(&r, &s, b"creation".to_vec())),
            Request::GetShell {
                shell_id: s.clone(),
            },
            Request::GetConfig,
            Request::Delete {
                resource_uri: r.clone(),
                shell_id: s.clone(),
            },
            Request::EnumerateShells { max_elements: 32 },
            Request::EnumerateCommands {
                shell_id: s.clone(),
                max_elements: 32,
            },
            Request::Pull {
                resource_uri: r.clone(),
                context: "uuid:5EED".into(),
                max_elements: 32,
            },
            Request::Command(CommandLine::psrp(&r, &s, COMMAND_ID, "", b"fragment")),
            Request::Send {
                resource_uri: r.clone(),
                shell_id: s.clone(),
                stream: StreamData {
                    name: "stdin".into(),
                    command_id: Some(COMMAND_ID.into()),
                    data: b"input".to_vec(),
                    end: false,
                },
            },
            Request::Receive {
                resource_uri: r.clone(),
                shell_id: s.clone(),
                command_id: Some(COMMAND_ID.into()),
                streams: "stdout".into(),
                keep_alive: true,
            },
            Request::Signal {
                resource_uri: r.clone(),
                shell_id: s.clone(),
                command_id: COMMAND_ID.into(),
                code: shell::SIGNAL_PS_CRTL_C.into(),
            },
            Request::Disconnect {
                resource_uri: r.clone(),
                shell_id: s.clone(),
                idle_timeout_ms: Some(240_000),
                buffer_mode: Some(BufferMode::Block),
            },
            Request::Reconnect {
                resource_uri: r.clone(),
                shell_id: s.clone(),
                command_id: None,
                buffer_mode: None,
            },
            Request::ConnectShell {
                resource_uri: r.clone(),
                shell_id: s.clone(),
                connect_xml: b"connect".to_vec(),
                protocol_version: "2.3".into(),
            },
            Request::ConnectCommand {
                resource_uri: r,
                shell_id: s,
                command_id: COMMAND_ID.into(),
            },
        ]
    })
}

fn fuzz_client() -> WsmanClient<impl FnMut() -> Uuid> {
    WsmanClient::new(
        RequestContext::new("http://fuzz.lab.test:5985/wsman", FUZZ_ID),
        || FUZZ_ID,
    )
}

fn answer_ids(req: &BuiltRequest) -> ResponseIds {
    ResponseIds {
        relates_to: req.message_id.clone(),
        message_id: crate::protocol::wsman::envelope::uuid_urn(FUZZ_ID),
        activity_id: None,
    }
}

fn depth(el: &Element) -> usize {
    1 + el.elements().map(depth).max().unwrap_or(0)
}

/// The XML limits every envelope reader relies on: a document over the
/// size limit is refused as such, and a document that parses is no deeper
/// than [`xml::MAX_DEPTH`] (so a deeper one was refused).
fn check_xml_limits(limit_byte: u8, bytes: &[u8]) {
    let limit = usize::from(limit_byte) * 64;
    match parse_envelope(bytes, limit) {
        Err(ProtocolError::Limit(_)) => {}
        _ => assert!(
            bytes.len() <= limit,
            "{} bytes passed the {limit}-byte limit",
            bytes.len()
        ),
    }
    match Element::parse(bytes) {
        Ok(root) => assert!(
            depth(&root) <= xml::MAX_DEPTH,
            "nesting {} parsed",
            depth(&root)
        ),
        Err(ProtocolError::Limit(_) | ProtocolError::Xml(_)) => {}
        Err(e) => panic!("xml parse failed with an unexpected error kind: {e:?}"),
    }
}

/// The client reads the response to the request the first byte chooses.
/// What it reads, written back the way the lab writes it, reads the same
/// (after one normalising pass); a fault is a typed fault whose envelope,
/// written as the lab writes faults, reads back as the same fault.
fn wsman_client(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    check_xml_limits(pick, bytes);
    let requests = wsman_requests();
    let index = usize::from(pick) % (requests.len() + 1);
    let mut client = fuzz_client();
    let Some(request) = requests.get(index) else {
        identify(bytes);
        return;
    };
    let req = client.build(request);
    let ids = answer_ids(&req);
    let result = match request {
        Request::Create(_) => shell::parse_create_response(&req, bytes).map(|r| {
            let again = |r: &shell::CreateResponse| {
                let xml = wsserver::create_response(&ids, &r.resource_created, r.shell.as_ref());
                shell::parse_create_response(&req, xml.as_bytes())
                    .expect("the lab's CreateResponse reads")
            };
            let once = again(&r);
            assert_eq!(again(&once), once);
        }),
        Request::GetShell { .. } => shell::parse_get_shell_response(&req, bytes).map(|s| {
            let again = |s: &shell::ShellInfo| {
                let xml = wsserver::get_shell_response(&ids, s);
                shell::parse_get_shell_response(&req, xml.as_bytes())
                    .expect("the lab's Shell reads")
            };
            let once = again(&s);
            assert_eq!(again(&once), once);
        }),
        Request::GetConfig => shell::parse_get_config_response(&req, bytes).map(|c| {
            let size: usize = c.values.iter().map(|(k, v)| k.len() + v.len()).sum();
            assert!(
                size <= 8 * bytes.len(),
                "{size} bytes of configuration from {} bytes",
                bytes.len()
            );
        }),
        Request::EnumerateShells { .. } | Request::EnumerateCommands { .. } => {
            shell::parse_enumerate_response(&req, bytes).map(|p| {
                let again = |p: &shell::EnumerationPage| {
                    let xml = wsserver::enumerate_response(
                        &ids,
                        &p.items,
                        p.context.as_deref(),
                        p.end_of_sequence,
                    );
                    shell::parse_enumerate_response(&req, xml.as_bytes())
                        .expect("the lab's EnumerateResponse reads")
                };
                let once = again(&p);
                assert_eq!(again(&once), once);
            })
        }
        Request::Pull { .. } => shell::parse_pull_response(&req, bytes).map(|p| {
            let again = |p: &shell::EnumerationPage| {
                let xml = wsserver::pull_response(
                    &ids,
                    &p.items,
                    p.context.as_deref(),
                    p.end_of_sequence,
                );
                shell::parse_pull_response(&req, xml.as_bytes())
                    .expect("the lab's PullResponse reads")
            };
            let once = again(&p);
            assert_eq!(again(&once), once);
        }),
        Request::Command(_) => shell::parse_command_response(&req, bytes).map(|id| {
            let xml = wsserver::command_response(&ids, &id);
            assert_eq!(
                shell::parse_command_response(&req, xml.as_bytes()).ok(),
                Some(id)
            );
        }),
        Request::Receive { .. } => shell::parse_receive_response(&req, bytes).map(|r| {
            let decoded: usize = r.streams.iter().map(|s| s.data.len()).sum();
            assert!(
                decoded <= bytes.len(),
                "{decoded} stream bytes from {} bytes",
                bytes.len()
            );
            let again = |r: &shell::ReceiveResult| {
                let xml = wsserver::receive_response(&ids, r);
                shell::parse_receive_response(&req, xml.as_bytes())
                    .expect("the lab's ReceiveResponse reads")
            };
            let once = again(&r);
            assert_eq!(again(&once), once);
        }),
        Request::ConnectShell { .. } | Request::ConnectCommand { .. } => {
            shell::parse_connect_response(&req, bytes).map(|c| {
                let again = |c: &shell::ConnectResponse| {
                    let xml = wsserver::connect_response(&ids, c);
                    shell::parse_connect_response(&req, xml.as_bytes())
                        .expect("the lab's ConnectResponse reads")
                };
                let once = again(&c);
                assert_eq!(again(&once), once);
            })
        }
        Request::Delete { .. }
        | Request::Send { .. }
        | Request::Signal { .. }
        | Request::Disconnect { .. }
        | Request::Reconnect { .. } => shell::parse_empty_response(&req, bytes),
    };
    if let Err(ProtocolError::Fault(fault)) = result {
        check_fault_round_trip(&req, &ids, &fault);
    }
}

fn check_fault_round_trip(req: &BuiltRequest, ids: &ResponseIds, fault: &WsmanFault) {
    let again = |f: &WsmanFault| {
        let xml = wsserver::fault_response(ids, f);
        match shell::parse_empty_response(req, xml.as_bytes()) {
            Err(ProtocolError::Fault(f)) => *f,
            other => panic!("the lab's fault envelope read as {other:?}"),
        }
    };
    let once = again(fault);
    assert_eq!(again(&once), once);
}

fn identify(bytes: &[u8]) {
    if let Ok(info) = shell::parse_identify_response(bytes) {
        let again = |i: &shell::IdentifyInfo| {
            shell::parse_identify_response(wsserver::identify_response(i).as_bytes())
                .expect("the lab's IdentifyResponse reads")
        };
        let once = again(&info);
        assert_eq!(again(&once), once);
    }
}

/// The lab reads a request: past the size limit it answers the
/// request-too-large fault, whatever the content; a refusal becomes a fault
/// the client reads back with the same code; what it reads, rebuilt by
/// the client and read again, is stable; decoded payloads are no larger
/// than the envelope.
fn wsman_server(data: &[u8]) {
    if let Some(limit) = data.len().checked_sub(1)
        && let Err(e) = wsserver::parse_request(data, limit)
    {
        assert_eq!(e.code, codes::REQUEST_TOO_LARGE, "{e}");
    }
    let parsed = match wsserver::parse_request(data, wsserver::DEFAULT_MAX_REQUEST) {
        Ok(r) => r,
        Err(e) => {
            let mut client = fuzz_client();
            let req = client.build(&wsman_requests()[3]);
            let fault = e.to_fault("fuzz.lab.test");
            match shell::parse_empty_response(
                &req,
                wsserver::fault_response(&answer_ids(&req), &fault).as_bytes(),
            ) {
                Err(ProtocolError::Fault(f)) => assert_eq!(f.wsman_code, Some(e.code)),
                other => panic!("the lab's refusal read as {other:?}"),
            }
            return;
        }
    };
    let payload = match &parsed.body {
        RequestBody::Send { streams } => streams.iter().map(|s| s.data.len()).sum(),
        RequestBody::Create(c) => c.creation_xml.as_ref().map_or(0, Vec::len),
        RequestBody::Connect { connect_xml, .. } => connect_xml.as_ref().map_or(0, Vec::len),
        _ => 0,
    };
    assert!(payload <= data.len());
    let Some(once) = rebuilt(&parsed) else {
        return;
    };
    let twice = rebuilt(&once).expect("a rebuilt request rebuilds");
    assert_eq!(once.body, twice.body);
}

/// `req` as the client would send it, read by the lab again (None for the
/// requests the client has no builder for).
fn rebuilt(req: &WsmanRequest) -> Option<WsmanRequest> {
    let resource_uri = req.headers.resource_uri.clone()?;
    let shell_id = req.headers.shell_id()?.to_owned();
    let request = match &req.body {
        RequestBody::Send { streams } => match streams.as_slice() {
            [one] => Request::Send {
                resource_uri,
                shell_id,
                stream: one.clone(),
            },
            _ => return None,
        },
        RequestBody::Receive {
            command_id,
            streams,
            ..
        } => Request::Receive {
            resource_uri,
            shell_id,
            command_id: command_id.clone(),
            streams: streams.clone(),
            keep_alive: false,
        },
        RequestBody::Signal {
            command_id: Some(command_id),
            code,
        } => Request::Signal {
            resource_uri,
            shell_id,
            command_id: command_id.clone(),
            code: code.clone(),
        },
        RequestBody::Disconnect {
            idle_timeout_ms,
            buffer_mode,
        } => Request::Disconnect {
            resource_uri,
            shell_id,
            idle_timeout_ms: *idle_timeout_ms,
            buffer_mode: *buffer_mode,
        },
        RequestBody::Pull {
            context,
            max_elements: Some(max_elements),
        } => Request::Pull {
            resource_uri,
            context: context.clone(),
            max_elements: *max_elements,
        },
        RequestBody::Connect {
            command_id: Some(command_id),
            ..
        } => Request::ConnectCommand {
            resource_uri,
            shell_id,
            command_id: command_id.clone(),
        },
        _ => return None,
    };
    let built = fuzz_client().build(&request);
    Some(
        wsserver::parse_request(built.bytes(), wsserver::DEFAULT_MAX_REQUEST)
            .unwrap_or_else(|e| panic!("the lab refuses the client's {:?}: {e}", request.action())),
    )
}

// -------------------------------------------------------------------- psrp

/// The defragmenter: it never hands out more bytes than the fragments
/// carried, never an object over its size limit, never holds more objects
/// than its limit; fragments re-encode to themselves; what the fragmenter
/// cuts, the defragmenter puts back together.
fn psrp_fragments(data: &[u8]) {
    let Some((&limits, rest)) = data.split_first() else {
        return;
    };
    let max_object = (usize::from(limits & 0x0f) + 1) * 256;
    let max_in_flight = usize::from(limits >> 4) + 1;
    let mut defrag = Defragmenter::with_limits(max_object, max_in_flight);
    let mut fed = 0usize;
    let mut out = 0usize;
    let mut pos = 0usize;
    while let Some(input) = rest.get(pos..).filter(|r| !r.is_empty()) {
        let Ok((fragment, used)) = Fragment::decode(input) else {
            break;
        };
        pos += used;
        fed += fragment.data.len();
        let wire = fragment.encode().expect("a decoded fragment encodes");
        assert_eq!(Fragment::decode(&wire).expect("re-decodes").0, fragment);
        if let Ok(Some(message)) = defrag.push(fragment) {
            assert!(
                message.len() <= max_object,
                "{} bytes over the {max_object} limit",
                message.len()
            );
            out += message.len();
        }
        assert!(out <= fed, "{out} bytes out of {fed} fed");
        assert!(defrag.in_flight() <= max_in_flight);
    }
    let mut defrag = Defragmenter::new();
    if let Ok(messages) = defrag.push_payload(rest) {
        assert!(messages.iter().map(Vec::len).sum::<usize>() <= rest.len());
    }
    let mut fragmenter = Fragmenter::new(
        crate::protocol::psrp::fragment::FRAGMENT_HEADER_LEN + usize::from(limits) + 1,
    )
    .expect("a positive budget");
    let mut whole = Defragmenter::new();
    let mut back = Vec::new();
    for f in fragmenter.fragment(rest) {
        if let Some(m) = whole
            .push(f)
            .expect("the fragmenter's fragments reassemble")
        {
            back.push(m);
        }
    }
    assert_eq!(back, vec![rest.to_vec()]);
}

fn creation_payload() -> &'static [u8] {
    static PAYLOAD: OnceLock<Vec<u8>> = OnceLock::new();
    PAYLOAD.get_or_init(|| {
        ClientPool::new(FUZZ_ID, 153_600)
            .and_then(|mut p| p.creation_payload(&InitRunspacePool::default()))
            .expect("a creation payload")
    })
}

/// One message, whole: its header re-encodes to the bytes read, and the
/// role it is addressed to interprets it; the typed messages read back
/// what they write.
fn psrp_messages(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    if let Ok(m) = Message::decode(body) {
        assert_eq!(m.encode(), body);
    }
    let payload = Fragment::whole(1, body.to_vec()).encode().expect("encodes");
    if mode & 1 == 0 {
        let mut pool = ClientPool::new(FUZZ_ID, 153_600).expect("a pool");
        if let Ok(events) = pool.handle_stream(&payload) {
            assert!(events.len() <= 1);
            for e in &events {
                check_client_event(e);
            }
        }
    } else {
        let (mut pool, _) =
            ServerPool::create(FUZZ_ID, creation_payload(), Vec::new()).expect("a pool");
        if let Ok(events) = pool.handle_input(&payload) {
            assert!(events.len() <= 1);
            for e in &events {
                check_server_event(e);
            }
        }
    }
}

fn check_client_event(e: &ClientEvent) {
    match e {
        ClientEvent::HostCall { call, .. } => {
            let again =
                |c: &HostCall| HostCall::from_value(&c.to_value()).expect("a host call reads back");
            let once = again(call);
            assert_eq!(
                clixml::to_clixml(&again(&once).to_value()),
                clixml::to_clixml(&once.to_value())
            );
        }
        ClientEvent::Output { value, .. } | ClientEvent::Record { value, .. } => {
            check_clixml_round_trip(value);
        }
        _ => {}
    }
}

fn check_server_event(e: &ServerEvent) {
    match e {
        ServerEvent::CreatePipeline { pipeline, .. } => {
            let again = |p: &CreatePipeline| {
                CreatePipeline::from_value(&p.to_value("2.3")).expect("a pipeline reads back")
            };
            let once = again(pipeline);
            let twice = again(&once);
            assert_eq!(
                clixml::to_clixml(&twice.to_value("2.3")),
                clixml::to_clixml(&once.to_value("2.3"))
            );
        }
        ServerEvent::HostResponse { response, .. } => {
            let again = |r: &HostResponse| {
                HostResponse::from_value(&r.to_value()).expect("a host response reads back")
            };
            let once = again(response);
            assert_eq!(
                clixml::to_clixml(&again(&once).to_value()),
                clixml::to_clixml(&once.to_value())
            );
        }
        ServerEvent::Input { value, .. } => check_clixml_round_trip(value),
        _ => {}
    }
}

/// What Baton writes of a value it read, it reads back to the same text.
fn check_clixml_round_trip(value: &PsValue) {
    let once = clixml::to_clixml(value);
    let back = clixml::from_clixml(once.as_bytes())
        .unwrap_or_else(|e| panic!("Baton's own CLIXML does not read back: {e}\n{once}"));
    assert_eq!(clixml::to_clixml(&back), once);
}

/// Bytes of rendered text allowed per input byte, plus the fixed budget of
/// one rendering ([`crate::protocol::clixml::records::display`] cuts at 1 MiB).
const RENDER_PER_BYTE: usize = 64;
const RENDER_FIXED: usize = 4 << 20;

/// CLIXML as the CLI shows it: deserialised, converted to an output item
/// as a pipeline message would be, printed as text and as JSON. What is
/// printed stays within a bound per input byte; a value read writes back
/// to CLIXML that reads the same.
fn clixml_render(data: &[u8]) {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    if kind & 0x80 != 0 {
        if let Ok(values) = clixml::from_clixml_document(body) {
            for v in &values {
                render_value(kind, v, body.len());
            }
        }
        return;
    }
    if let Ok(value) = clixml::from_clixml(body) {
        check_clixml_round_trip(&value);
        render_value(kind, &value, body.len());
    }
}

fn render_value(kind: u8, value: &PsValue, input_len: usize) {
    use crate::cli::{format, remote_view};
    use crate::model::OutputItem;
    let record = |kind| ClientEvent::Record {
        pid: FUZZ_ID,
        kind,
        value: value.clone(),
    };
    let event = match kind % 7 {
        0 => ClientEvent::Output {
            pid: FUZZ_ID,
            value: value.clone(),
        },
        1 => record(RecordKind::Error),
        2 => record(RecordKind::Warning),
        3 => record(RecordKind::Verbose),
        4 => record(RecordKind::Debug),
        5 => record(RecordKind::Information),
        _ => record(RecordKind::Progress),
    };
    let Some(item) = crate::worker::convert::output_item(&event) else {
        return;
    };
    let mut out: Vec<u8> = Vec::new();
    match &item {
        OutputItem::Output(o) => {
            let mut views = remote_view::ViewWriter::default();
            views
                .write(remote_view::view(o), &mut out)
                .expect("writes to memory");
            out.extend_from_slice(format::json_line(&remote_view::json(o)).as_bytes());
        }
        OutputItem::Error(e) => {
            out.extend_from_slice(format::terminal_safe(&e.message).as_bytes());
            out.extend_from_slice(format::terminal_safe(&e.category).as_bytes());
            out.extend_from_slice(format::terminal_safe(&e.fully_qualified_error_id).as_bytes());
            out.extend_from_slice(format::json_line(e).as_bytes());
        }
        OutputItem::Warning(s)
        | OutputItem::Verbose(s)
        | OutputItem::Debug(s)
        | OutputItem::Information(s)
        | OutputItem::HostPrompt(s) => {
            out.extend_from_slice(format::terminal_safe(s).as_bytes());
            out.extend_from_slice(format::json_line(s).as_bytes());
        }
        OutputItem::Progress(p) => out.extend_from_slice(format::json_line(p).as_bytes()),
    }
    let bound = RENDER_PER_BYTE * input_len + RENDER_FIXED;
    assert!(
        out.len() <= bound,
        "{} bytes printed from {input_len} bytes of CLIXML",
        out.len()
    );
    let printable = String::from_utf8_lossy(&out);
    assert!(
        !printable.contains('\u{1b}') || matches!(item, OutputItem::Progress(_)),
        "an escape sequence reached the terminal"
    );
}

// --------------------------------------------------------------- multipart

/// A sealing context without cryptography: the "ciphertext" is the
/// plaintext and the security header a fixed 16-byte tag, so the framing
/// alone is under test.
struct PlainSeal;

const TAG: &[u8; 16] = b"fuzz-seal-header";

impl sealing::SealingContext for PlainSeal {
    fn seal(&mut self, plaintext: &[u8]) -> Result<Sealed, ProtocolError> {
        Ok(Sealed {
            header: TAG.to_vec(),
            data: plaintext.to_vec(),
            padding: 0,
        })
    }

    fn unseal(&mut self, header: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        if header.len() > sealing::MAX_HEADER_LEN {
            return Err(ProtocolError::Limit("header".into()));
        }
        Ok(ciphertext.to_vec())
    }
}

/// The encrypted multipart body: what unwraps is no longer than the body;
/// what Baton wraps, in each protocol, unwraps to itself.
fn multipart_unwrap(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let protocol = [
        SealProtocol::Spnego,
        SealProtocol::Kerberos,
        SealProtocol::CredSsp,
    ][usize::from(pick % 3)];
    let (content_type, body) = if pick & 0x80 != 0 {
        // The Content-Type header is the first line.
        let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
        let (line, rest) = body.split_at(end);
        (text(line).into_owned(), rest.get(1..).unwrap_or_default())
    } else {
        let ct = EncryptedContentType {
            protocol,
            boundary: sealing::DEFAULT_BOUNDARY.into(),
            multi: pick & 0x40 != 0,
        };
        (ct.to_header(), body)
    };
    if let Ok(plain) = sealing::unwrap_body(&mut PlainSeal, body, &content_type) {
        assert!(
            plain.len() <= body.len(),
            "{} bytes unwrapped from {}",
            plain.len(),
            body.len()
        );
    }
    let (wrapped, ct) = sealing::wrap_body(&mut PlainSeal, protocol, body).expect("wraps");
    let back =
        sealing::unwrap_body(&mut PlainSeal, &wrapped, &ct).expect("Baton's own body unwraps");
    assert_eq!(back, body);
}

// -------------------------------------------------------------------- auth

const USER: &str = "LAB\\alice";
const PASSWORD: &str = "Fuzz-Passw0rd!";

fn user_table() -> UserTable {
    UserTable::new().with(USER, PASSWORD).expect("a user")
}

fn credentials() -> Credentials {
    Credentials::new(USER, PASSWORD).expect("credentials")
}

/// The password, as it could appear in a token: UTF-8 and UTF-16LE.
fn password_forms() -> [Vec<u8>; 2] {
    [
        PASSWORD.as_bytes().to_vec(),
        PASSWORD.encode_utf16().flat_map(u16::to_le_bytes).collect(),
    ]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Decodes the token of an `Authorization`/`WWW-Authenticate` value and
/// checks it respects the token limit and never carries the password.
fn check_token_header(header: &str) {
    check_token_header_echoing(header, &[]);
}

/// [`check_token_header`], except for the password forms in `echoed`: what
/// the server's own answer holds, which the client may copy back (NTLMv2
/// returns the challenge's target information in its response), so that
/// finding it in the client's token proves nothing.
fn check_token_header_echoing(header: &str, echoed: &[Vec<u8>]) {
    let challenges = auth::parse_challenges([header]).expect("Baton's own header parses");
    for c in challenges {
        if let Some(token) = c.token {
            assert!(token.len() <= auth::MAX_TOKEN_LEN);
            for form in password_forms() {
                if echoed.contains(&form) {
                    continue;
                }
                assert!(!contains(&token, &form), "a token carries the password");
            }
        }
    }
}

/// The password forms the server's answer `header` carries itself.
fn echoed_forms(header: &str) -> Vec<Vec<u8>> {
    let server: Vec<Vec<u8>> = auth::parse_challenges([header])
        .map(|cs| cs.into_iter().filter_map(|c| c.token).collect())
        .unwrap_or_default();
    password_forms()
        .into_iter()
        .filter(|f| contains(header.as_bytes(), f) || server.iter().any(|t| contains(t, f)))
        .collect()
}

/// Feeds `token` to an acceptor as `scheme` (or, with `raw`, the bytes as
/// the whole header value). A token not derived from the password is never
/// accepted; after a refusal the connection stays refused.
fn accept_token(acceptor: &mut ServerAcceptor, scheme: &str, token: &[u8], raw: bool) {
    let header = if raw {
        text(token).into_owned()
    } else {
        auth::token_header(scheme, token)
    };
    match acceptor.accept(&header) {
        Ok(AcceptOutcome::Accepted { user, .. }) => panic!("a forged token was accepted as {user}"),
        Ok(AcceptOutcome::Continue { www_authenticate }) => check_token_header(&www_authenticate),
        Ok(AcceptOutcome::Denied { .. }) | Err(_) => {
            assert!(!acceptor.is_complete());
            let again = acceptor.accept(&auth::token_header(scheme, b"NTLMSSP\0\x01\0\0\0"));
            assert!(
                matches!(again, Ok(AcceptOutcome::Denied { .. }) | Err(_)),
                "a refused connection went on: {again:?}"
            );
        }
    }
}

/// The client's first token for `mechanism`, as the acceptor's first leg.
fn client_first(mechanism: Mechanism) -> String {
    let mut client = ClientAuthenticator::new(mechanism, credentials(), "fuzz.lab.test", "FUZZWS");
    client.start().expect("the client starts").to_string()
}

/// Acceptor surfaces: bit 0 of the first byte puts a genuine first leg
/// (the client's NEGOTIATE) before the fuzzed token, bit 1 sends the input
/// as the whole header value.
fn acceptor_surface(data: &[u8], mechanism: Mechanism) {
    let Some((&mode, token)) = data.split_first() else {
        return;
    };
    let scheme = mechanism.scheme();
    let mut acceptor = ServerAcceptor::new(user_table());
    if mode & 1 != 0 {
        match acceptor.accept(&client_first(mechanism)) {
            Ok(AcceptOutcome::Continue { www_authenticate }) => {
                check_token_header(&www_authenticate);
            }
            other => panic!("the acceptor refused the client's first token: {other:?}"),
        }
    }
    accept_token(&mut acceptor, scheme, token, mode & 2 != 0);
}

fn ntlm_acceptor(data: &[u8]) {
    acceptor_surface(data, Mechanism::Ntlm);
}

fn spnego_acceptor(data: &[u8]) {
    acceptor_surface(data, Mechanism::Negotiate);
}

/// Client surfaces: after the client's first token, the input is the
/// server's 401 answer (bit 1 of the first byte: the whole header value);
/// bit 0 then adds a 200 carrying the same. The client never sends the
/// password, never completes on a refusal, and stays failed after failing.
fn client_surface(data: &[u8], mechanism: Mechanism) {
    let Some((&mode, token)) = data.split_first() else {
        return;
    };
    let scheme = mechanism.scheme();
    let mut client = ClientAuthenticator::new(mechanism, credentials(), "fuzz.lab.test", "FUZZWS");
    let first = client.start().expect("the client starts");
    check_token_header(&first);
    let header = if mode & 2 != 0 {
        text(token).into_owned()
    } else {
        auth::token_header(scheme, token)
    };
    // sspi's ASN.1 reader can overflow a length on a forged SPNEGO token
    // (with overflow checks on, as here): the product's guard makes it an
    // error, so the steps run behind the same guard.
    let answered = super::behind_product_guard(|| client.on_response(401, [header.as_str()]));
    match answered {
        Ok(ClientStep::Send(next)) => {
            check_token_header_echoing(&next, &echoed_forms(&header));
            if mode & 1 != 0 {
                let _ = super::behind_product_guard(|| client.on_response(200, [header.as_str()]));
            }
        }
        Ok(ClientStep::Done) => panic!("the client took a 401 as success"),
        Err(_) => {
            assert!(!client.is_complete());
            let again = super::behind_product_guard(|| client.on_response(200, [header.as_str()]));
            assert!(again.is_err(), "a failed handshake went on");
        }
    }
}

fn ntlm_client(data: &[u8]) {
    client_surface(data, Mechanism::Ntlm);
}

fn spnego_client(data: &[u8]) {
    client_surface(data, Mechanism::Negotiate);
}

fn credssp_client(data: &[u8]) {
    client_surface(data, Mechanism::CredSsp);
}

/// A KDC that answers every request with the fuzzed bytes.
struct FuzzKdc<'a> {
    reply: &'a [u8],
    calls: usize,
    /// Where the first request went.
    reached: Option<KdcAddress>,
}

impl KdcExchange for FuzzKdc<'_> {
    fn exchange(&mut self, request: KdcRequest) -> KdcReply<'_> {
        self.calls += 1;
        self.reached.get_or_insert_with(|| request.kdc.clone());
        assert!(
            request.data.len() <= kerberos::MAX_KDC_REPLY,
            "an oversized KDC request"
        );
        let reply = if self.calls > 4 {
            Err("the fuzzed KDC answers four requests".to_owned())
        } else {
            // The length prefix the transport keeps on every reply.
            let mut r = u32::try_from(self.reply.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes()
                .to_vec();
            r.extend_from_slice(self.reply);
            Ok(r)
        };
        Box::pin(std::future::ready(reply))
    }
}

/// Polls a future that the fuzzed KDC makes ready at once.
fn now<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("a step waited although every KDC reply is ready"),
    }
}

/// The Kerberos client reading KDC replies (first byte 0-127: the reply to
/// its AS request; otherwise a KDC address as krb5.conf names it). A forged
/// reply never yields a token carrying the password.
fn kerberos_client(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 0x80 != 0 {
        // A KDC address as krb5.conf or a SRV answer gives it: the client
        // sends its first request to that very address.
        if let Ok(kdc) = KdcAddress::parse(&text(rest)) {
            let mut client = ClientAuthenticator::new(
                Mechanism::Kerberos,
                credentials(),
                "fuzz.lab.test",
                "FUZZWS",
            )
            .with_kdc("LAB.TEST", kdc.clone());
            let mut fake = FuzzKdc {
                reply: &[],
                calls: 0,
                reached: None,
            };
            let _ = super::behind_product_guard(|| now(client.start_with(&mut fake)));
            if let Some(reached) = fake.reached {
                // An IPv6 literal comes back in its canonical form (`d::0`
                // as `d::`); any other host exactly.
                let same_host = reached.host == kdc.host
                    || (kdc.host.contains(':') && reached.host.contains(':'));
                assert!(
                    same_host && reached.port == kdc.port && reached.protocol == kdc.protocol,
                    "the client went to {reached:?}, not to the KDC configured, {kdc:?}"
                );
            }
        }
        return;
    }
    let kdc = KdcAddress::parse("tcp/kdc.lab.test:88").expect("a KDC address");
    let mechanism = if mode & 1 == 0 {
        Mechanism::Kerberos
    } else {
        Mechanism::Negotiate
    };
    let mut client = ClientAuthenticator::new(mechanism, credentials(), "fuzz.lab.test", "FUZZWS")
        .with_kdc("LAB.TEST", kdc);
    let mut fake = FuzzKdc {
        reply: rest,
        calls: 0,
        reached: None,
    };
    // A KDC reply can make sspi's ASN.1 reader overflow a length (with
    // overflow checks on, as here): the product's guard makes it an error.
    if let Ok(first) = super::behind_product_guard(|| now(client.start_with(&mut fake))) {
        check_token_header(&first);
    }
}

/// The CredSSP acceptor reading TLS records: a fresh acceptor fed the
/// input, or (bit 0) one that first took the client's genuine ClientHello.
fn credssp_acceptor(data: &[u8]) {
    use crate::protocol::auth::credssp_server::CredSspAcceptor;
    let Some((&mode, token)) = data.split_first() else {
        return;
    };
    let Ok(mut acceptor) = CredSspAcceptor::new(user_table()) else {
        return;
    };
    if mode & 1 != 0 {
        match acceptor.accept(&client_first(Mechanism::CredSsp)) {
            Ok(AcceptOutcome::Continue { .. }) => {}
            other => panic!("the acceptor refused the client's ClientHello: {other:?}"),
        }
    }
    let header = if mode & 2 != 0 {
        text(token).into_owned()
    } else {
        auth::token_header("CredSSP", token)
    };
    match acceptor.accept(&header) {
        Ok(AcceptOutcome::Accepted { user, .. }) => {
            panic!("forged CredSSP records were accepted as {user}")
        }
        Ok(AcceptOutcome::Continue { www_authenticate }) => check_token_header(&www_authenticate),
        Ok(AcceptOutcome::Denied { .. }) | Err(_) => {
            assert!(
                acceptor.accept(&header).is_err(),
                "a failed CredSSP handshake went on"
            );
        }
    }
}

// --------------------------------------------------------------- transport

/// A proxy's answer head (the input up to the blank line), as the tunnel
/// reads it, and (first byte odd) a proxy URL with a NO_PROXY list.
fn http_proxy_response(data: &[u8]) {
    use crate::transport::proxy::{self, ProxyServer};
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 != 0 {
        let t = text(rest);
        let (url, no_proxy) = t.split_once('\n').unwrap_or((&t, ""));
        if let Ok(server) = ProxyServer::parse(url) {
            let again = ProxyServer::parse(&format!("http://{}", server.authority()))
                .expect("a proxy's authority reads back");
            assert_eq!(
                (again.host.as_str(), again.port),
                (server.host.as_str(), server.port)
            );
            let _ = proxy::bypasses(no_proxy, &server.host, server.port);
        }
        return;
    }
    // The head ends at the first blank line; what follows is the body.
    let end = rest
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(rest.len());
    let Some(head) = proxy::parse_head(rest.get(..end).unwrap_or_default()) else {
        return;
    };
    assert!(head.headers.len() <= end / 2 + 1);
    assert!(
        head.headers
            .iter()
            .all(|(k, v)| k.trim() == k && v.trim() == v)
    );
    assert!(!head.closes || !head.keep_alive);
    if head.status == 407 || head.status == 401 {
        // As the tunnel does: the error names the offered schemes, never the
        // password, and a Negotiate/NTLM offer goes to the authenticator.
        let mut offered = head.all("proxy-authenticate");
        offered.extend(head.all("www-authenticate"));
        let route = proxy::ProxyRoute {
            server: ProxyServer::new("proxy.lab.test", 3128),
            auth: proxy::ProxyAuthScheme::Negotiate,
            credentials: Some(credentials()),
            workstation: "FUZZWS".into(),
        };
        let message = proxy::proxy_auth_error(&route, head.status, &offered, true).to_string();
        assert!(!message.contains(PASSWORD));
        let mut client = ClientAuthenticator::new(
            Mechanism::Negotiate,
            credentials(),
            "proxy.lab.test",
            "FUZZWS",
        );
        client.start().expect("the client starts");
        if let Ok(ClientStep::Send(next)) =
            client.on_response(401, offered.iter().map(String::as_str))
        {
            check_token_header(&next);
        }
    }
}

/// A redirect's Location: what is followed is a well-formed endpoint that
/// reads back to itself, and never leaves HTTPS.
fn http_redirect(data: &[u8]) {
    use crate::transport::http::Endpoint;
    use crate::transport::redirect::{RedirectPolicy, next_endpoint};
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let current = if mode & 1 == 0 {
        Endpoint::parse("https://fuzz.lab.test:5986/wsman")
    } else {
        Endpoint::parse("http://fuzz.lab.test:5985/wsman")
    }
    .expect("an endpoint");
    let policy = RedirectPolicy {
        allow: mode & 2 == 0,
        max: 5,
    };
    let followed = u32::from(mode >> 2) % 8;
    let location = text(rest);
    if let Ok(next) = next_endpoint(policy, followed, &current, 302, Some(&location)) {
        assert!(policy.allow && followed < policy.max);
        assert!(!current.https || next.https, "a redirect left https");
        assert_eq!(
            Endpoint::parse(&next.url()).expect("the endpoint reads back"),
            next
        );
    }
}

/// A DNS answer to the KDC SRV query: records are bounded by the answer
/// count and the message, sorted best first, with names no longer than
/// DNS allows.
fn dns_srv(data: &[u8]) {
    let id = data
        .get(..2)
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    if let Ok(records) = kerberos::parse_srv_reply(data, id) {
        let answers = data
            .get(6..8)
            .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        assert!(records.len() <= answers);
        assert!(records.len() <= data.len() / 11);
        for pair in records.windows(2) {
            assert!(
                (pair[0].priority, std::cmp::Reverse(pair[0].weight))
                    <= (pair[1].priority, std::cmp::Reverse(pair[1].weight))
            );
        }
        for r in &records {
            assert!(!r.target.is_empty() && r.target.len() <= 64 * 64 * 3);
        }
    }
    let query = kerberos::srv_query(id, "_kerberos._tcp.LAB.TEST").expect("a query");
    assert!(
        kerberos::parse_srv_reply(&query, id).is_err(),
        "a query read as an answer"
    );
}

/// DER certificates: the channel-binding hash has the length of one of the
/// three hashes, the public key lies inside the certificate, and the
/// bindings structure has its fixed layout.
fn der_channel_bindings(data: &[u8]) {
    if let Ok(app) = auth::tls_server_end_point(data) {
        let hash = app
            .strip_prefix(b"tls-server-end-point:")
            .expect("the prefix");
        assert!([32, 48, 64].contains(&hash.len()));
        let bindings = auth::sec_channel_bindings(&app);
        assert_eq!(bindings.len(), 32 + app.len());
    }
    if let Ok(key) = crate::protocol::auth::credssp::subject_public_key(data) {
        assert!(key.len() < data.len());
        assert!(contains(data, &key));
    }
    let mut pos = 0;
    while let Some((_, start, end)) = auth::der_tlv(data, pos) {
        assert!(pos < start && start <= end && end <= data.len());
        pos = end;
    }
    assert_eq!(crate::model::certificate::thumbprint(data).len(), 40);
}
