use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;

use super::{Command, Event, OpId};

/// The callback the worker calls after sending events, so the UI repaints.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// How many bytes of output text may be sent and not yet taken by the UI or
/// the CLI. Past it the worker waits before it sends more output (and so
/// before it asks the server for more): a command that writes faster than
/// the console or the terminal takes it is held at the server, which
/// buffers or blocks it as its OutputBufferingMode says, not in this
/// process's memory.
pub const OUTPUT_IN_FLIGHT: usize = 32 << 20;

/// The output in flight between the two ends, and whether the taking end
/// is gone (then nobody waits for room any more).
#[derive(Default)]
struct Flow {
    bytes: AtomicUsize,
    closed: AtomicBool,
}

impl Flow {
    fn sent(&self, event: &Event) {
        let n = output_bytes(event);
        if n > 0 {
            self.bytes.fetch_add(n, Ordering::AcqRel);
        }
    }

    fn taken(&self, event: &Event) {
        let n = output_bytes(event);
        if n > 0 {
            let _ = self
                .bytes
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                    Some(b.saturating_sub(n))
                });
        }
    }

    fn has_room(&self) -> bool {
        self.closed.load(Ordering::Acquire) || self.bytes.load(Ordering::Acquire) < OUTPUT_IN_FLIGHT
    }
}

/// The text an event carries that counts against [`OUTPUT_IN_FLIGHT`].
fn output_bytes(event: &Event) -> usize {
    match event {
        Event::Output { items, .. } => items.iter().map(crate::model::OutputItem::text_bytes).sum(),
        _ => 0,
    }
}

/// The UI's or CLI's end: send commands, drain events. Never blocks.
pub struct WorkerHandle {
    tx: mpsc::Sender<Command>,
    rx: mpsc::Receiver<Event>,
    next_op: Arc<AtomicU64>,
    flow: Arc<Flow>,
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.flow.closed.store(true, Ordering::Release);
    }
}

/// The worker's end: receive commands, send events and wake the UI.
pub struct WorkerSide {
    pub commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    waker: Waker,
    flow: Arc<Flow>,
}

impl WorkerSide {
    /// Sends an event and wakes the UI. Returns false when the UI is gone.
    pub fn send(&self, event: Event) -> bool {
        self.flow.sent(&event);
        let ok = self.events.send(event).is_ok();
        (self.waker)();
        ok
    }

    /// A clonable sender for tasks.
    pub fn sender(&self) -> EventSender {
        EventSender {
            events: self.events.clone(),
            waker: self.waker.clone(),
            flow: Arc::clone(&self.flow),
        }
    }
}

/// A clonable way to send events from worker tasks.
#[derive(Clone)]
pub struct EventSender {
    events: mpsc::Sender<Event>,
    waker: Waker,
    flow: Arc<Flow>,
}

impl EventSender {
    /// Sends an event and wakes the UI. Returns false when the UI is gone.
    pub fn send(&self, event: Event) -> bool {
        self.flow.sent(&event);
        let ok = self.events.send(event).is_ok();
        (self.waker)();
        ok
    }

    /// Whether the output in flight is under [`OUTPUT_IN_FLIGHT`] (or the
    /// taking end is gone): the worker sends more output only then.
    pub fn has_output_room(&self) -> bool {
        self.flow.has_room()
    }
}

impl WorkerHandle {
    /// A connected pair; `waker` is called after every event.
    pub fn pair(waker: Waker) -> (WorkerHandle, WorkerSide) {
        let (ctx, crx) = mpsc::channel();
        let (etx, erx) = mpsc::channel();
        let flow = Arc::new(Flow::default());
        (
            WorkerHandle {
                tx: ctx,
                rx: erx,
                next_op: Arc::new(AtomicU64::new(1)),
                flow: Arc::clone(&flow),
            },
            WorkerSide {
                commands: crx,
                events: etx,
                waker,
                flow,
            },
        )
    }

    /// A handle whose other end is held by the test: see what the UI sent,
    /// push events as the worker would.
    pub fn fake() -> (WorkerHandle, FakeWorker) {
        let (h, side) = WorkerHandle::pair(Arc::new(|| {}));
        (h, FakeWorker { side })
    }

    /// A fresh action id.
    pub fn next_op(&self) -> OpId {
        self.next_op.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends a command; false when the worker has stopped.
    pub fn send(&self, command: Command) -> bool {
        self.tx.send(command).is_ok()
    }

    fn took(&self, event: Event) -> Event {
        self.flow.taken(&event);
        event
    }

    /// Every event that has arrived, without waiting.
    pub fn drain(&self) -> Vec<Event> {
        self.rx.try_iter().map(|e| self.took(e)).collect()
    }

    /// Waits for the next event (CLI only; the UI never waits).
    pub fn recv(&self) -> Option<Event> {
        self.rx.recv().ok().map(|e| self.took(e))
    }

    /// Waits for the next event up to `timeout` (CLI only).
    pub fn recv_timeout(&self, timeout: std::time::Duration) -> Option<Event> {
        self.rx.recv_timeout(timeout).ok().map(|e| self.took(e))
    }

    /// Bytes of output text sent and not yet taken (see [`OUTPUT_IN_FLIGHT`]).
    pub fn output_in_flight(&self) -> usize {
        self.flow.bytes.load(Ordering::Acquire)
    }

    /// Waits for the next event up to `timeout`: `Err(RecvTimeoutError::
    /// Disconnected)` once the worker is gone and every event was taken,
    /// `Ok(None)` when the time ran out.
    pub fn recv_or_closed(
        &self,
        timeout: std::time::Duration,
    ) -> Result<Option<Event>, mpsc::RecvTimeoutError> {
        match self.rx.recv_timeout(timeout) {
            Ok(e) => Ok(Some(self.took(e))),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The test's end of [`WorkerHandle::fake`].
pub struct FakeWorker {
    side: WorkerSide,
}

impl FakeWorker {
    /// The commands the UI has sent since the last call.
    pub fn commands(&self) -> Vec<Command> {
        self.side.commands.try_iter().collect()
    }

    /// Pushes an event as the worker would.
    pub fn push(&self, event: Event) {
        self.side.send(event);
    }

    /// Whether the worker would send more output now: what is in flight is
    /// under [`OUTPUT_IN_FLIGHT`] (benchmarks that flood the console wait
    /// for it, as the worker does).
    pub fn output_room(&self) -> bool {
        self.side.flow.has_room()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_events_cross_and_wake() {
        let woken = Arc::new(AtomicU64::new(0));
        let w = woken.clone();
        let (h, side) = WorkerHandle::pair(Arc::new(move || {
            w.fetch_add(1, Ordering::Relaxed);
        }));
        let op = h.next_op();
        assert!(h.send(Command::Cancel { op }));
        assert!(matches!(side.commands.try_recv(), Ok(Command::Cancel { op: o }) if o == op));
        side.send(Event::OpFinished {
            op,
            message: "done".into(),
        });
        assert_eq!(woken.load(Ordering::Relaxed), 1);
        let evs = h.drain();
        assert!(matches!(&evs[..], [Event::OpFinished { op: o, .. }] if *o == op));
        assert!(h.drain().is_empty());
        assert!(h.next_op() > op);
    }

    fn output(bytes: usize) -> Event {
        Event::Output {
            computer: "Srv1".into(),
            instance_id: uuid::Uuid::nil(),
            command_id: uuid::Uuid::nil(),
            items: vec![crate::model::OutputItem::Output(
                crate::model::RemoteObject::text("x".repeat(bytes)),
            )],
        }
    }

    #[test]
    fn output_in_flight_is_counted_until_taken_and_bounds_the_sender() {
        let (h, w) = WorkerHandle::fake();
        let sender = w.side.sender();
        assert!(w.output_room());
        w.push(output(OUTPUT_IN_FLIGHT / 2));
        w.push(Event::OpFinished {
            op: 1,
            message: "not output".into(),
        });
        assert_eq!(h.output_in_flight(), OUTPUT_IN_FLIGHT / 2);
        assert!(w.output_room());
        w.push(output(OUTPUT_IN_FLIGHT / 2));
        assert!(!w.output_room(), "a full channel has no room");
        assert!(!sender.has_output_room(), "the worker's senders see it too");
        // Taking output makes room.
        assert_eq!(
            h.recv().map(|e| output_bytes(&e)),
            Some(OUTPUT_IN_FLIGHT / 2)
        );
        assert!(w.output_room());
        assert_eq!(h.drain().len(), 2);
        assert_eq!(h.output_in_flight(), 0);
        // Once the UI is gone, nobody waits for room.
        w.push(output(OUTPUT_IN_FLIGHT));
        assert!(!w.output_room());
        drop(h);
        assert!(w.output_room());
        assert!(sender.has_output_room());
    }
}
