//! The `baton` command line's executor end to end: `Shell` lines against the
//! lab endpoint, in process and over loopback HTTP, following the
//! Disconnect-PSSession / Connect-PSSession reference pages.

use std::collections::HashMap;
use std::sync::Arc;

use baton::bridge::WorkerHandle;
use baton::cli::exec::{Passwords, Shell, load_profiles};
use baton::lab::{self, BuiltLab, LabConfig, Ports};
use baton::model::profile::{Computer, Group, ProfileTree};
use baton::worker::{self, InProcessComputer, WorkerConfig};

const TECH: (&str, &str) = ("Domain01\\User01", "Tech-P@ss1");

/// A lab served in process, with its ticker on a runtime of its own.
struct InProcessLab {
    rt: tokio::runtime::Runtime,
    built: BuiltLab,
    ticker: tokio::task::JoinHandle<()>,
}

impl InProcessLab {
    fn new(seeded: bool) -> Self {
        let mut config = LabConfig::demo();
        if !seeded {
            config.sessions.clear();
        }
        let built = lab::build(&config).expect("lab builds");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let services = built.computers.iter().map(|c| c.service.clone()).collect();
        let ticker = {
            let _g = rt.enter();
            lab::service::spawn_ticker(services, std::time::Duration::from_millis(20))
        };
        InProcessLab { rt, built, ticker }
    }

    /// A new console (a new worker: another client).
    fn shell(&self) -> Shell {
        let in_process: HashMap<String, InProcessComputer> = self
            .built
            .computers
            .iter()
            .map(|c| {
                (
                    c.name.to_ascii_lowercase(),
                    InProcessComputer {
                        service: c.service.clone(),
                        users: self.built.users.clone(),
                    },
                )
            })
            .collect();
        shell_with(
            WorkerConfig {
                credentials: None,
                in_process,
            },
            ProfileTree::default(),
        )
    }
}

impl Drop for InProcessLab {
    fn drop(&mut self) {
        self.ticker.abort();
        let _ = &self.rt;
    }
}

fn shell_with(config: WorkerConfig, profiles: ProfileTree) -> Shell {
    let (handle, side) = WorkerHandle::pair(Arc::new(|| {}));
    worker::spawn(side, config).expect("worker starts");
    let mut sh = Shell::new(
        handle,
        profiles,
        Passwords::Given(vec![
            (TECH.0.into(), TECH.1.into()),
            ("Domain01\\Admin".into(), "Admin-P@ss1".into()),
        ]),
    );
    sh.silence_limit = std::time::Duration::from_secs(60);
    sh
}

/// Runs a line; (succeeded, stdout, stderr).
fn run(sh: &mut Shell, line: &str) -> (bool, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let ok = sh.run_line(line, &mut out, &mut err);
    let out = String::from_utf8(out).expect("utf-8");
    let err = String::from_utf8(err).expect("utf-8");
    eprintln!("PS> {line}\n{out}{err}");
    (ok, out, err)
}

/// A table's lines with the Id column blanked (ids are per console).
fn without_ids(table: &str) -> Vec<String> {
    table
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let trimmed = l.trim_start();
            match trimmed.split_once(' ') {
                Some((id, rest)) if id.chars().all(|c| c.is_ascii_digit()) => {
                    format!("## {}", rest)
                }
                _ => l.to_owned(),
            }
        })
        .collect()
}

#[test]
fn explore() {
    let lab = InProcessLab::new(false);
    let mut tech = lab.shell();
    run(
        &mut tech,
        "$s = New-PSSession -ComputerName Srv1, Srv2, Srv30 -Name ITTask -Credential Domain01\\User01",
    );
    run(&mut tech, "$s");
    run(
        &mut tech,
        "Invoke-Command $s[0] { 1..5 | ForEach-Object { Start-Sleep -Milliseconds 200; \"patch $_\" } } -InDisconnectedSession",
    );
    run(
        &mut tech,
        "Get-PSSession -ComputerName Srv1, Srv2, Srv30 -Name ITTask -Credential Domain01\\User01",
    );
    run(
        &mut tech,
        "$Timeout = New-PSSessionOption -IdleTimeout 172800000",
    );
    run(
        &mut tech,
        "$t = New-PSSession -ComputerName Srv2 -Name Long -SessionOption $Timeout -Credential Domain01\\User01",
    );
    run(
        &mut tech,
        "$t = New-PSSession -ComputerName Srv2 -Name Long -Credential Domain01\\User01",
    );
    run(
        &mut tech,
        "Disconnect-PSSession -Session $t -IdleTimeoutSec 172800",
    );
    run(
        &mut tech,
        "Disconnect-PSSession -Session $t -IdleTimeoutSec 43200 -WhatIf",
    );
    run(
        &mut tech,
        "Disconnect-PSSession -Session $t -IdleTimeoutSec 43200",
    );
    run(&mut tech, "$t.Runspace.ConnectionInfo");
    run(
        &mut tech,
        "Invoke-Command -ComputerName Srv2 {Get-PSSessionConfiguration Microsoft.PowerShell} -Credential Domain01\\Admin | Format-List -Property *",
    );
    run(
        &mut tech,
        "Test-WSMan -ComputerName Srv2 -Credential Domain01\\User01",
    );
    run(&mut tech, "$t | Format-List -Property *");
    run(&mut tech, "Disconnect-PSSession -Session $t");
    run(&mut tech, "$t.Runspace.ConnectionInfo.IdleTimeout");
    let mut mgr = lab.shell();
    run(
        &mut mgr,
        "Get-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01",
    );
    run(
        &mut mgr,
        "$s = Connect-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01",
    );
    run(&mut mgr, "Receive-PSSession -Session $s");
    run(&mut mgr, "Remove-PSSession $s");
    run(&mut mgr, "Get-PSSession");
    let _ = without_ids("");
    let _ = load_profiles;
    let _ = (Computer::new("x"), Group::new("y"), Ports::Ephemeral);
    panic!("show");
}
