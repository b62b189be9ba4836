use super::*;
use crate::protocol::psrp::client::{ClientEvent, ClientPool};
use crate::protocol::psrp::messages::{CreatePipeline, InitRunspacePool};

const TECH: &str = "Domain01\\User01";
const OTHER: &str = "Domain01\\User02";
const URI: &str = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell";

fn computer() -> Computer {
    let cfg = SessionConfiguration {
        name: "Microsoft.PowerShell".into(),
        resource_uri: URI.into(),
        max_idle_timeout_ms: 43_200_000,
        max_shells_per_user: 3,
        permission: "Everyone AccessAllowed".into(),
        ..SessionConfiguration::default()
    };
    let epoch = DateTime::parse_from_rfc3339("2026-11-22T09:00:00+01:00").unwrap();
    let mut c = Computer::new("Srv1", vec![cfg], epoch);
    c.administrators.push("Domain01\\Admin".into());
    c
}

struct Client {
    pool: ClientPool,
    session: Uuid,
}

fn open(c: &mut Computer, user: &str, now: u64, name: &str) -> (Client, Uuid) {
    let id = Uuid::new_v4();
    let mut pool = ClientPool::new(id, 512_000).unwrap();
    let payload = pool.creation_payload(&InitRunspacePool::default()).unwrap();
    let session = Uuid::new_v4();
    let info = c
        .create(
            now,
            user,
            session,
            "10.0.0.5",
            URI,
            id,
            Some(name.into()),
            None,
            false,
            false,
            "en-US",
            "en-US",
            &payload,
            None,
        )
        .unwrap();
    assert_eq!(info.state, Some(ShellState::Connected));
    let mut client = Client { pool, session };
    let events = drain(c, &mut client, user, id, None, now);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::PoolState { .. }))
    );
    (client, id)
}

fn drain(
    c: &mut Computer,
    client: &mut Client,
    user: &str,
    id: Uuid,
    cmd: Option<Uuid>,
    now: u64,
) -> Vec<ClientEvent> {
    let r = c
        .receive(now, user, client.session, id, cmd, 400_000)
        .unwrap();
    let mut out = Vec::new();
    for f in r.fragments {
        out.extend(client.pool.handle_stream(&f).unwrap());
    }
    out
}

fn start(
    c: &mut Computer,
    client: &mut Client,
    user: &str,
    id: Uuid,
    script: &str,
    now: u64,
) -> Uuid {
    let pid = Uuid::new_v4();
    let payloads = client
        .pool
        .create_pipeline(pid, &CreatePipeline::script(script))
        .unwrap();
    c.command(now, user, client.session, id, pid, script, &payloads[0])
        .unwrap();
    for p in &payloads[1..] {
        c.send(now, user, client.session, id, p).unwrap();
    }
    pid
}

fn outputs(events: &[ClientEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Output { value, .. } => {
                Some(crate::protocol::clixml::records::display(value))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn hand_over_a_running_job_to_another_client() {
    let mut c = computer();
    let (mut tech, id) = open(&mut c, TECH, 0, "ITTask");
    let pid = start(
        &mut c,
        &mut tech,
        TECH,
        id,
        "1..5 | ForEach-Object { Start-Sleep -Milliseconds 1000; \"patch $_\" }",
        0,
    );
    // The technician reads the first line, then disconnects for a day.
    let first = outputs(&drain(&mut c, &mut tech, TECH, id, Some(pid), 1_000));
    assert_eq!(first, vec!["patch 1"]);
    c.disconnect(
        1_000,
        TECH,
        tech.session,
        id,
        Some(86_400_000),
        Some(BufferMode::Block),
    )
    .unwrap_err();
    c.disconnect(
        1_000,
        TECH,
        tech.session,
        id,
        Some(43_200_000),
        Some(BufferMode::Block),
    )
    .unwrap();
    // The job goes on while nobody is connected.
    c.tick(10_000);
    let listed = c.enumerate(10_000, TECH);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, Some(ShellState::Disconnected));
    assert_eq!(listed[0].idle_timeout_ms, Some(43_200_000));
    assert_eq!(listed[0].name.as_deref(), Some("ITTask"));
    assert_eq!(
        c.commands(10_000, TECH, id).unwrap()[0].state,
        CommandState::Done
    );
    // Another user does not see it; an administrator does.
    assert!(c.enumerate(10_000, OTHER).is_empty());
    assert_eq!(c.enumerate(10_000, "domain01\\admin").len(), 1);
    // The manager connects with the technician's credentials from a new client.
    let mut mgr = Client {
        pool: ClientPool::new(id, 512_000).unwrap(),
        session: Uuid::new_v4(),
    };
    let payload = mgr.pool.connect_payload().unwrap();
    let resp = c.connect(10_000, TECH, mgr.session, id, &payload).unwrap();
    mgr.pool.handle_connect_response(&resp).unwrap();
    drain(&mut c, &mut mgr, TECH, id, None, 10_000);
    c.connect_command(10_000, TECH, mgr.session, id, pid)
        .unwrap();
    let rest = drain(&mut c, &mut mgr, TECH, id, Some(pid), 10_000);
    assert_eq!(
        outputs(&rest),
        vec!["patch 2", "patch 3", "patch 4", "patch 5"]
    );
    assert!(rest.iter().any(|e| matches!(
        e,
        ClientEvent::PipelineState {
            state: PipelineState::Completed,
            ..
        }
    )));
    assert!(
        c.receive(10_000, TECH, mgr.session, id, Some(pid), 400_000)
            .unwrap()
            .done
    );
    // Now the shell is Busy for the technician's old client.
    assert_eq!(
        c.reconnect(10_001, TECH, tech.session, id, None),
        Err(LabError::ConnectedToDifferentClient)
    );
    assert_eq!(
        c.connect(10_001, TECH, Uuid::new_v4(), id, &payload),
        Err(LabError::ConnectedToDifferentClient)
    );
    c.delete(10_002, TECH, id).unwrap();
    assert!(c.enumerate(10_002, TECH).is_empty());
}

#[test]
fn block_pauses_and_drop_discards_while_disconnected() {
    for mode in [BufferMode::Block, BufferMode::Drop] {
        let mut c = computer();
        c.output_buffer_bytes = 4_000;
        let (mut tech, id) = open(&mut c, TECH, 0, "Chatty");
        let pid = start(
            &mut c,
            &mut tech,
            TECH,
            id,
            "1..2000 | ForEach-Object { \"line $_\" }",
            0,
        );
        c.disconnect(0, TECH, tech.session, id, None, Some(mode))
            .unwrap();
        for t in 1..200 {
            c.tick(t * 10);
        }
        assert!(
            c.buffered(id, pid) <= 4_000 + 2_000,
            "{}",
            c.buffered(id, pid)
        );
        c.reconnect(2_000, TECH, tech.session, id, None).unwrap();
        let mut all = Vec::new();
        for t in 0..2_000u64 {
            let ev = drain(&mut c, &mut tech, TECH, id, Some(pid), 2_000 + t);
            all.extend(outputs(&ev));
            if ev
                .iter()
                .any(|e| matches!(e, ClientEvent::PipelineState { .. }))
            {
                break;
            }
        }
        match mode {
            // Nothing lost: the pipeline waited.
            BufferMode::Block => assert_eq!(all.len(), 2000),
            // The oldest lines were discarded; the end arrived.
            BufferMode::Drop => {
                assert!(all.len() < 2000, "{}", all.len());
                assert_eq!(all.last().map(String::as_str), Some("line 2000"));
                assert_ne!(all.first().map(String::as_str), Some("line 1"));
            }
        }
    }
}

#[test]
fn quotas_bounds_expiry_and_auto_disconnect() {
    let mut c = computer();
    let (_a, id) = open(&mut c, TECH, 0, "A");
    open(&mut c, TECH, 0, "B");
    open(&mut c, TECH, 0, "C");
    let mut pool = ClientPool::new(Uuid::new_v4(), 512_000).unwrap();
    let payload = pool.creation_payload(&InitRunspacePool::default()).unwrap();
    let err = c
        .create(
            0,
            TECH,
            Uuid::new_v4(),
            "10.0.0.5",
            URI,
            pool.rpid(),
            None,
            None,
            false,
            false,
            "en-US",
            "en-US",
            &payload,
            None,
        )
        .unwrap_err();
    assert_eq!(err, LabError::TooManyShells { max: 3 });
    let err = c
        .create(
            0,
            OTHER,
            Uuid::new_v4(),
            "10.0.0.5",
            URI,
            pool.rpid(),
            None,
            Some(59_000),
            false,
            false,
            "en-US",
            "en-US",
            &payload,
            None,
        )
        .unwrap_err();
    assert!(matches!(
        err,
        LabError::IdleTimeoutOutOfBounds {
            requested_ms: 59_000,
            ..
        }
    ));
    // Nobody receives for a minute: the shell shows Disconnected by itself.
    assert_eq!(
        c.get(AUTO_DISCONNECT_MS - 1, TECH, id).unwrap().state,
        Some(ShellState::Connected)
    );
    assert_eq!(
        c.get(AUTO_DISCONNECT_MS, TECH, id).unwrap().state,
        Some(ShellState::Disconnected)
    );
    // …and is deleted when its idle timeout (2 h) runs out.
    c.tick(AUTO_DISCONNECT_MS + 7_200_000);
    assert_eq!(c.shell_count(), 0);
    assert!(matches!(
        c.get(AUTO_DISCONNECT_MS + 7_200_000, TECH, id),
        Err(LabError::ShellNotFound(_))
    ));
}

#[test]
fn read_host_is_a_host_call_answered_by_the_client() {
    let mut c = computer();
    let (mut tech, id) = open(&mut c, TECH, 0, "Prompt");
    let pid = start(
        &mut c,
        &mut tech,
        TECH,
        id,
        "$n = Read-Host -Prompt 'Your name'; \"hello $n\"",
        0,
    );
    let events = drain(&mut c, &mut tech, TECH, id, Some(pid), 1);
    let call = events
        .iter()
        .find_map(|e| match e {
            ClientEvent::HostCall { call, .. } if call.expects_answer() => Some(call.clone()),
            _ => None,
        })
        .expect("a ReadLine host call");
    let answer = crate::protocol::psrp::messages::HostResponse {
        call_id: call.call_id,
        method_id: call.method_id,
        method_name: call.method_name.clone(),
        result: Some(PsValue::str("Ada")),
        error: None,
    };
    for p in tech.pool.host_response(pid, &answer).unwrap() {
        c.send(2, TECH, tech.session, id, &p).unwrap();
    }
    let events = drain(&mut c, &mut tech, TECH, id, Some(pid), 3);
    assert_eq!(outputs(&events), vec!["hello Ada"]);
}
