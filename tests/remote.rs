//! The worker's remoting client against the lab endpoint: over real loopback
//! HTTP with NTLM sealing, and in process.

use std::sync::Arc;

use baton::lab::{self, LabConfig, Ports};
use baton::model::{ConnectionSpec, Credential};
use baton::protocol::clixml::records::display;
use baton::protocol::psrp::client::ClientEvent;
use baton::protocol::psrp::messages::PipelineState;
use baton::protocol::wsman::shell::{BufferMode, ShellState};
use baton::worker::remote::{Remote, RemoteError, Session};
use uuid::Uuid;

const TECH: (&str, &str) = ("Domain01\\User01", "Tech-P@ss1");

fn spec_for(url: &str) -> ConnectionSpec {
    ConnectionSpec {
        connection_uri: Some(url.to_owned()),
        ..ConnectionSpec::for_computer("127.0.0.1")
    }
}

fn outputs(events: &[ClientEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Output { value, .. } => Some(display(value)),
            _ => None,
        })
        .collect()
}

async fn receive_all(s: &mut Session, pid: Uuid) -> (Vec<String>, Option<PipelineState>) {
    let mut out = Vec::new();
    let mut state = None;
    for _ in 0..200 {
        let r = s.receive(Some(pid)).await.unwrap();
        out.extend(outputs(&r.events));
        for e in &r.events {
            if let ClientEvent::PipelineState { state: st, .. } = e {
                state = Some(*st);
            }
        }
        if r.done {
            break;
        }
    }
    (out, state)
}

async fn hand_over(tech: Arc<Remote>, manager: Arc<Remote>) {
    // The technician opens ITTask, starts a job and disconnects for 12 hours.
    let mut s = Session::create(tech.clone(), Some("ITTask"), None)
        .await
        .unwrap();
    let pid = s
        .start("1..5 | ForEach-Object { Start-Sleep -Milliseconds 200; \"patch $_\" }")
        .await
        .unwrap();
    let err = s
        .disconnect(Some(172_800_000), Some(BufferMode::Drop))
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), Some(2150859250), "{err}");
    s.disconnect(Some(43_200_000), Some(BufferMode::Block))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    // The manager, another client with the technician's credentials, finds it…
    let shells = manager.enumerate_shells().await.unwrap();
    let found = shells
        .iter()
        .find(|sh| sh.name.as_deref() == Some("ITTask"))
        .expect("ITTask listed");
    assert_eq!(found.state, Some(ShellState::Disconnected));
    assert_eq!(found.idle_timeout_ms, Some(43_200_000));
    assert_eq!(found.buffer_mode, Some(BufferMode::Block));
    let cmds = manager.enumerate_commands(&found.shell_id).await.unwrap();
    assert_eq!(cmds.len(), 1);
    // …connects, and reads everything that piled up.
    let mut m = Session::connect(manager.clone(), found.clone())
        .await
        .unwrap();
    let pid2 = Uuid::parse_str(&cmds[0].command_id).unwrap();
    assert_eq!(pid2, pid);
    m.connect_command(pid).await.unwrap();
    let (lines, state) = receive_all(&mut m, pid).await;
    assert_eq!(
        lines,
        ["patch 1", "patch 2", "patch 3", "patch 4", "patch 5"]
    );
    assert_eq!(state, Some(PipelineState::Completed));
    // The technician's old client is now refused: the session is Busy.
    let busy = s.reconnect().await.unwrap_err();
    assert_eq!(busy.fault_code(), Some(2150859213), "{busy}");
    // The manager runs something and removes the session.
    let pid3 = m.start("whoami").await.unwrap();
    let (who, _) = receive_all(&mut m, pid3).await;
    assert_eq!(who.len(), 1);
    m.delete().await.unwrap();
    assert!(
        manager
            .enumerate_shells()
            .await
            .unwrap()
            .iter()
            .all(|sh| sh.name.as_deref() != Some("ITTask"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_over_over_http_with_ntlm_sealing() {
    let mut config = LabConfig::demo();
    config.sessions.clear();
    let running = lab::start(&config, Ports::Ephemeral).await.unwrap();
    let url = running.endpoints[0].1.clone();
    let cred = Credential::new(TECH.0, TECH.1);
    let tech = Arc::new(Remote::http("Srv1", spec_for(&url), &cred, Uuid::new_v4()).unwrap());
    let mgr = Arc::new(Remote::http("Srv1", spec_for(&url), &cred, Uuid::new_v4()).unwrap());
    let id = tech.identify().await.unwrap();
    assert_eq!(id.product_vendor, "Microsoft Corporation");
    hand_over(tech, mgr).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_over_in_process() {
    let mut config = LabConfig::demo();
    config.sessions.clear();
    let built = lab::build(&config).unwrap();
    let svc = built.computers[0].service.clone();
    let ticker =
        lab::service::spawn_ticker(vec![svc.clone()], std::time::Duration::from_millis(20));
    let cred = Credential::new(TECH.0, TECH.1);
    let spec = ConnectionSpec::for_computer("Srv1");
    let tech = Arc::new(
        Remote::in_process(
            "Srv1",
            spec.clone(),
            svc.clone(),
            &built.users,
            &cred,
            Uuid::new_v4(),
        )
        .unwrap(),
    );
    let mgr = Arc::new(
        Remote::in_process(
            "Srv1",
            spec.clone(),
            svc.clone(),
            &built.users,
            &cred,
            Uuid::new_v4(),
        )
        .unwrap(),
    );
    hand_over(tech, mgr).await;
    let wrong = Remote::in_process(
        "Srv1",
        spec,
        svc,
        &built.users,
        &Credential::new(TECH.0, "nope"),
        Uuid::new_v4(),
    );
    assert!(matches!(wrong, Err(RemoteError::Transport(_))));
    ticker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_self_signed_certificate_needs_skip_ca_check() {
    let mut config = LabConfig::demo();
    config.sessions.clear();
    config.https = true;
    let running = lab::start(&config, Ports::Ephemeral).await.unwrap();
    let url = running.endpoints[0].1.clone();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let cred = Credential::new(TECH.0, TECH.1);

    // By default the certificate is refused, with the reason and the way out.
    let strict = Remote::http("Srv1", spec_for(&url), &cred, Uuid::new_v4()).unwrap();
    let err = strict.identify().await.unwrap_err().to_string();
    assert!(
        err.contains("not issued by a trusted certification authority"),
        "{err}"
    );
    assert!(err.contains("SkipCACheck"), "{err}");

    // With SkipCACheck it works, and the setting is shown as unsafe.
    let mut spec = spec_for(&url);
    spec.skip_ca_check = true;
    assert_eq!(spec.unsafe_settings(), ["SkipCACheck"]);
    assert!(
        spec.fields(None)
            .iter()
            .any(|f| f.name == "SkipCACheck" && f.is_unsafe)
    );
    let lenient = Arc::new(Remote::http("Srv1", spec, &cred, Uuid::new_v4()).unwrap());
    assert_eq!(
        lenient.identify().await.unwrap().product_vendor,
        "Microsoft Corporation"
    );
    let mut s = Session::create(lenient.clone(), Some("OverTls"), None)
        .await
        .unwrap();
    let pid = s.start("'over tls'").await.unwrap();
    let (out, _) = receive_all(&mut s, pid).await;
    assert_eq!(out, ["over tls"]);
    s.delete().await.unwrap();
    running.stop().await;
}

/// A lab computer served in process, with its ticker.
fn in_process_remote() -> (
    Arc<Remote>,
    Arc<baton::lab::service::LabService>,
    tokio::task::JoinHandle<()>,
) {
    let mut config = LabConfig::demo();
    config.sessions.clear();
    in_process_remote_of(&config)
}

/// Srv1 of the lab `config`, served in process, with its ticker.
fn in_process_remote_of(
    config: &LabConfig,
) -> (
    Arc<Remote>,
    Arc<baton::lab::service::LabService>,
    tokio::task::JoinHandle<()>,
) {
    let built = lab::build(config).unwrap();
    let svc = built.computers[0].service.clone();
    let ticker =
        lab::service::spawn_ticker(vec![svc.clone()], std::time::Duration::from_millis(20));
    let remote = Remote::in_process(
        "Srv1",
        ConnectionSpec::for_computer("Srv1"),
        svc.clone(),
        &built.users,
        &Credential::new(TECH.0, TECH.1),
        Uuid::new_v4(),
    )
    .unwrap();
    (Arc::new(remote), svc, ticker)
}

/// Disconnect-PSSession example 4 on the wire: Windows creates a shell whose
/// IdleTimeOut is above the configuration's MaxIdleTimeoutms and reports it
/// back unchanged; a Disconnect that would keep it (no IdleTimeOut) gets
/// ERROR_WINRS_IDLETIMEOUT_OUTOFBOUNDS with Windows' text, as does one
/// asking for too much; within range it works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_above_the_maximum_is_kept_at_create_and_refused_at_disconnect() {
    let (remote, _svc, ticker) = in_process_remote();
    let mut s = Session::create(remote.clone(), Some("ITTask"), Some(172_800_000))
        .await
        .unwrap();
    assert_eq!(s.info.idle_timeout_ms, Some(172_800_000));
    assert_eq!(s.info.max_idle_timeout_ms, Some(43_200_000));
    for asked in [None, Some(172_800_000), Some(59_000)] {
        let err = s.disconnect(asked, None).await.unwrap_err();
        let RemoteError::Fault(f) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(f.wsman_code, Some(2_150_859_250), "{asked:?}");
        assert_eq!(
            f.message.as_deref(),
            Some(
                "The WS-Management service cannot process the request. The requested IdleTimeout is outside the allowed range. "
            )
        );
    }
    // The refused Disconnects changed nothing: the shell is still attached.
    let listed = remote.enumerate_shells().await.unwrap();
    assert_eq!(listed[0].state, Some(ShellState::Connected));
    assert_eq!(listed[0].idle_timeout_ms, Some(172_800_000));
    s.disconnect(Some(43_200_000), None).await.unwrap();
    let listed = remote.enumerate_shells().await.unwrap();
    assert_eq!(listed[0].state, Some(ShellState::Disconnected));
    assert_eq!(listed[0].idle_timeout_ms, Some(43_200_000));
    // Below the 60 s minimum even Create is refused.
    let err = Session::create(remote.clone(), Some("Short"), Some(59_000))
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), Some(2_150_859_250), "{err}");
    s.delete().await.unwrap();
    ticker.abort();
}

/// Who signs in is checked before anything is dialled: the current user's
/// credentials go only with Negotiate and Kerberos, and
/// NegotiateWithImplicitCredential refuses a user name and password, as
/// PowerShell's does.
#[test]
fn current_user_and_explicit_credentials_do_not_mix() {
    use baton::model::AuthMechanism;
    use baton::worker::remote::HttpExtras;
    let cred = Credential::new("Domain01\\User01".to_owned(), "Tech-P@ss1");
    let mut spec = spec_for("http://127.0.0.1:9/wsman");
    spec.authentication = AuthMechanism::NegotiateWithImplicitCredential;
    let err = Remote::http_with(
        "Srv1",
        spec.clone(),
        &cred,
        Uuid::new_v4(),
        &HttpExtras::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("cannot be used with a user name and password"),
        "{err}"
    );
    for mech in [
        AuthMechanism::Basic,
        AuthMechanism::Credssp,
        AuthMechanism::Digest,
    ] {
        spec.authentication = mech;
        let err = Remote::http_as_current_user(
            "Srv1",
            spec.clone(),
            Uuid::new_v4(),
            &HttpExtras::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("needs a user name and password"),
            "{mech:?}: {err}"
        );
    }
}

/// A command-level Reconnect has no recorded Windows exchange: against a
/// server that faults on it, receiving a command this client started before
/// it disconnected falls back to Connect(CommandId), and the output arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulted_command_reconnect_falls_back_to_connect() {
    let mut config = LabConfig::demo();
    config.sessions.clear();
    config.command_reconnect = false;
    let (remote, _svc, ticker) = in_process_remote_of(&config);
    let mut s = Session::create(remote.clone(), Some("Fallback"), None)
        .await
        .unwrap();
    let pid = s
        .start("Start-Sleep -Milliseconds 300; 'after the reconnect'")
        .await
        .unwrap();
    s.disconnect(None, None).await.unwrap();
    s.reconnect().await.unwrap();
    assert_eq!(s.attach_command(pid).await.unwrap(), "Connect");
    let (out, state) = receive_all(&mut s, pid).await;
    assert_eq!(out, ["after the reconnect"]);
    assert_eq!(state, Some(PipelineState::Completed));
    s.delete().await.unwrap();
    ticker.abort();
}

/// The NTLM workstation name comes from each platform's own variable:
/// COMPUTERNAME on Windows, HOSTNAME or the host name file elsewhere.
#[test]
fn the_workstation_name_follows_the_platforms_environment() {
    use baton::transport::workstation_name;
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |v: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == v)
                .map(|(_, x)| (*x).to_owned())
        }
    };
    let no_file = || None;
    assert_eq!(
        workstation_name(
            env(&[("COMPUTERNAME", "HELPDESK-07"), ("HOSTNAME", "x")]),
            no_file
        ),
        "HELPDESK-07"
    );
    assert_eq!(
        workstation_name(env(&[("HOSTNAME", "laptop.corp.example")]), no_file),
        "LAPTOP"
    );
    assert_eq!(
        workstation_name(env(&[]), || Some("debian-builder\n".into())),
        "DEBIAN-BUILDER"
    );
    assert_eq!(
        workstation_name(
            env(&[("COMPUTERNAME", "A-VERY-LONG-MACHINE-NAME")]),
            no_file
        ),
        "A-VERY-LONG-MAC",
        "a NetBIOS name has at most 15 characters"
    );
    assert_eq!(workstation_name(env(&[]), no_file), "BATON");
    assert_eq!(
        workstation_name(env(&[("HOSTNAME", "bad\nname")]), no_file),
        "BATON",
        "nothing that is not a host name"
    );
}
