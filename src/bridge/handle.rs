use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use super::{Command, Event, OpId};

/// The callback the worker calls after sending events, so the UI repaints.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The UI's or CLI's end: send commands, drain events. Never blocks.
pub struct WorkerHandle {
    tx: mpsc::Sender<Command>,
    rx: mpsc::Receiver<Event>,
    next_op: Arc<AtomicU64>,
}

/// The worker's end: receive commands, send events and wake the UI.
pub struct WorkerSide {
    pub commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    waker: Waker,
}

impl WorkerSide {
    /// Sends an event and wakes the UI. Returns false when the UI is gone.
    pub fn send(&self, event: Event) -> bool {
        let ok = self.events.send(event).is_ok();
        (self.waker)();
        ok
    }

    /// A clonable sender for tasks.
    pub fn sender(&self) -> EventSender {
        EventSender {
            events: self.events.clone(),
            waker: self.waker.clone(),
        }
    }
}

/// A clonable way to send events from worker tasks.
#[derive(Clone)]
pub struct EventSender {
    events: mpsc::Sender<Event>,
    waker: Waker,
}

impl EventSender {
    /// Sends an event and wakes the UI. Returns false when the UI is gone.
    pub fn send(&self, event: Event) -> bool {
        let ok = self.events.send(event).is_ok();
        (self.waker)();
        ok
    }
}

impl WorkerHandle {
    /// A connected pair; `waker` is called after every event.
    pub fn pair(waker: Waker) -> (WorkerHandle, WorkerSide) {
        let (ctx, crx) = mpsc::channel();
        let (etx, erx) = mpsc::channel();
        (
            WorkerHandle {
                tx: ctx,
                rx: erx,
                next_op: Arc::new(AtomicU64::new(1)),
            },
            WorkerSide {
                commands: crx,
                events: etx,
                waker,
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

    /// Every event that has arrived, without waiting.
    pub fn drain(&self) -> Vec<Event> {
        self.rx.try_iter().collect()
    }

    /// Waits for the next event (CLI only; the UI never waits).
    pub fn recv(&self) -> Option<Event> {
        self.rx.recv().ok()
    }

    /// Waits for the next event up to `timeout` (CLI only).
    pub fn recv_timeout(&self, timeout: std::time::Duration) -> Option<Event> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// Waits for the next event up to `timeout`: `Err(RecvTimeoutError::
    /// Disconnected)` once the worker is gone and every event was taken,
    /// `Ok(None)` when the time ran out.
    pub fn recv_or_closed(
        &self,
        timeout: std::time::Duration,
    ) -> Result<Option<Event>, mpsc::RecvTimeoutError> {
        match self.rx.recv_timeout(timeout) {
            Ok(e) => Ok(Some(e)),
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
}
