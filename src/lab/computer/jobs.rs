//! A shell's pipelines: their jobs started, run a bounded step at a time (Block and Drop buffering), and what they write queued for the client.

use super::*;

#[derive(Debug)]
pub(super) struct Pipeline {
    pub(super) command_line: String,
    /// None until CREATE_PIPELINE is complete.
    pub(super) job: Option<Job>,
    pub(super) started_ms: u64,
    pub(super) finished: bool,
    pub(super) next_call_id: i64,
    pub(super) waiting_call: Option<i64>,
    pub(super) stopped: bool,
    /// A pipeline created with `NoInput` false: its commands wait here for
    /// PIPELINE_INPUT objects until END_OF_PIPELINE_INPUT, then run with them.
    pub(super) awaiting_input: Option<AwaitingInput>,
    /// What the job wrote from its first SecureString on, while the client
    /// is asked for its exchange key (PUBLIC_KEY_REQUEST): the pipeline
    /// waits, as on Windows, and sends it all in order once the session key
    /// is known.
    pub(super) held: Vec<JobEvent>,
}

/// The most PIPELINE_INPUT objects one pipeline takes.
pub const MAX_PIPELINE_INPUT: usize = 100_000;

#[derive(Debug)]
pub(super) struct AwaitingInput {
    pub(super) commands: Vec<script::PipelineCommand>,
    pub(super) ctx: ScriptContext,
    pub(super) input: Vec<script::Value>,
}

/// Starts a pipeline's job, or records why it could not start.
pub(super) fn start_job(
    pool: &mut ServerPool,
    pid: Uuid,
    p: &mut Pipeline,
    commands: &[script::PipelineCommand],
    input: Option<Vec<script::Value>>,
    ctx: ScriptContext,
    now: u64,
) {
    match Job::start_commands_with_input(commands, input, ctx) {
        Ok(job) => p.job = Some(job),
        Err(parse) => {
            let info = script::ErrorInfo::from_parse_error(&parse);
            pool.pipeline_state(
                pid,
                PipelineState::Failed,
                Some(convert::error_record(&info)),
            );
            p.finished = true;
        }
    }
    p.started_ms = now;
}

pub(super) fn run_pipelines(s: &mut Shell, now: u64, limit: usize) {
    let detached = s.attached.is_none();
    let drop_mode = s.buffer_mode == BufferMode::Drop;
    for (pid, p) in &mut s.pipelines {
        if p.job.is_none() || p.finished {
            continue;
        }
        let job_now = Duration::from_millis(now.saturating_sub(p.started_ms));
        // Bounded work per tick, in small steps so Block stops close to the limit.
        for _ in 0..256 {
            if !drop_mode && s.pool.buffered(Some(*pid)) >= limit {
                // Block: the pipeline waits for someone to read its output.
                break;
            }
            if p.waiting_call.is_some() {
                break;
            }
            if !p.held.is_empty() {
                if s.pool.session_key().is_none() {
                    // Waiting for the client's PUBLIC_KEY.
                    break;
                }
                for e in std::mem::take(&mut p.held) {
                    queue_event(&mut s.pool, *pid, p, e);
                }
                if p.finished {
                    break;
                }
            }
            let Some(job) = p.job.as_mut() else { break };
            // Run the job at the time it asked to wake, not later: a job that
            // slept through several ticks keeps its own timing.
            let Some(wake) = job.next_wakeup().filter(|w| *w <= job_now) else {
                break;
            };
            let events = job.poll(wake, 8);
            if events.is_empty() {
                break;
            }
            for e in events {
                let secure = matches!(&e, JobEvent::Output(v) if convert::holds_secure_string(v));
                if !p.held.is_empty() || (secure && s.pool.session_key().is_none()) {
                    s.pool.request_public_key();
                    p.held.push(e);
                } else {
                    queue_event(&mut s.pool, *pid, p, e);
                }
            }
            if p.finished || !p.held.is_empty() {
                break;
            }
        }
        if drop_mode && (detached || s.pool.buffered(Some(*pid)) > limit) {
            s.pool.drop_oldest(Some(*pid), limit);
        }
    }
}

pub(super) fn queue_event(pool: &mut ServerPool, pid: Uuid, p: &mut Pipeline, e: JobEvent) {
    match e {
        JobEvent::Output(v) => {
            let value = convert::to_ps_keyed(&v, pool.session_key());
            pool.output(pid, &value);
        }
        JobEvent::Error(info) => pool.queue(
            Some(pid),
            MessageType::ErrorRecord,
            &convert::error_record(&info),
        ),
        JobEvent::Warning(m) => pool.queue(
            Some(pid),
            MessageType::WarningRecord,
            &convert::informational(InformationalKind::Warning, &m),
        ),
        JobEvent::Verbose(m) => pool.queue(
            Some(pid),
            MessageType::VerboseRecord,
            &convert::informational(InformationalKind::Verbose, &m),
        ),
        JobEvent::Debug(m) => pool.queue(
            Some(pid),
            MessageType::DebugRecord,
            &convert::informational(InformationalKind::Debug, &m),
        ),
        JobEvent::Information(i) => pool.queue(
            Some(pid),
            MessageType::InformationRecord,
            &convert::information(&i),
        ),
        JobEvent::Progress(pr) => pool.queue(
            Some(pid),
            MessageType::ProgressRecord,
            &convert::progress(&pr),
        ),
        JobEvent::HostCall(ScriptHostCall::ReadHost { prompt, as_secure }) => {
            let call_id = p.next_call_id;
            p.next_call_id += 1;
            p.waiting_call = Some(call_id);
            let (method_id, method_name) = if as_secure {
                (
                    HostCall::READ_LINE_AS_SECURE_STRING,
                    "ReadLineAsSecureString",
                )
            } else {
                (HostCall::READ_LINE, "ReadLine")
            };
            if let Some(text) = prompt {
                // Read-Host writes its prompt before reading, as a void Write call.
                let write = HostCall {
                    call_id: -100,
                    method_id: 14,
                    method_name: "Write2".into(),
                    params: vec![PsValue::str(format!("{text}: "))],
                };
                pool.host_call(pid, &write);
            }
            pool.host_call(
                pid,
                &HostCall {
                    call_id,
                    method_id,
                    method_name: method_name.into(),
                    params: Vec::new(),
                },
            );
        }
        JobEvent::Finished(outcome) => {
            p.finished = true;
            match outcome {
                JobOutcome::Completed => pool.pipeline_state(pid, PipelineState::Completed, None),
                JobOutcome::Stopped => {
                    let mut r = ErrorRecord::new(
                        "System.Management.Automation.PipelineStoppedException",
                        "The pipeline has been stopped.",
                        "PipelineStopped",
                    );
                    r.category.category = 14;
                    pool.pipeline_state(pid, PipelineState::Stopped, Some(r.to_value()));
                }
                JobOutcome::Failed(info) => {
                    pool.pipeline_state(
                        pid,
                        PipelineState::Failed,
                        Some(convert::error_record(&info)),
                    );
                }
            }
        }
    }
}
