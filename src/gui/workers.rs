//! Work the window must not wait for, each on a thread of its own: finding the stores on this
//! machine, opening and counting a store, waiting for a native file dialog. A worker sends what
//! it found as a [`WorkerEvent`] and wakes the window, which drains the events between frames.

use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake};
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::engine::{self, Source, StoreListing};

/// Asks the window for a frame (egui's `request_repaint`), from any thread.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Finds the stores on this machine: [`engine::discover`] in the app, chosen stores in tests.
pub type Discover = Arc<dyn Fn() -> Vec<Result<Source, engine::Error>> + Send + Sync>;

/// Names one entry of the Sources screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub usize);

/// What a worker tells the window.
#[derive(Debug)]
pub enum WorkerEvent {
    /// Discovery found a store, or a place it could not read (the error says what to do).
    Found {
        id: SourceId,
        result: Result<Source, String>,
    },
    /// Discovery has looked everywhere; the stores it found are still being counted.
    DiscoveryFinished,
    /// A store the person added was opened, or could not be.
    Opened {
        id: SourceId,
        result: Result<Source, String>,
    },
    /// A store's folders were counted (or its listing says why not).
    Listed { id: SourceId, listing: StoreListing },
    /// The native dialog for adding sources closed with these paths (none when cancelled).
    PickedSources(Vec<PathBuf>),
    /// The native save dialog closed with this output file.
    PickedOutput(PathBuf),
}

/// Events waiting for the window; a worker waits when the window is this far behind.
const QUEUE: usize = 64;

/// Starts workers and hands out entry ids; clones share the channel and the ids.
#[derive(Clone)]
pub struct Workers {
    tx: Sender<WorkerEvent>,
    waker: Waker,
    next_id: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("next_id", &self.next_id)
            .finish_non_exhaustive()
    }
}

impl Workers {
    /// Workers that wake the window with `waker`, and the receiving end of their events.
    pub fn new(waker: Waker) -> (Workers, Receiver<WorkerEvent>) {
        let (tx, rx) = bounded(QUEUE);
        let workers = Workers {
            tx,
            waker,
            next_id: Arc::new(AtomicUsize::new(0)),
        };
        (workers, rx)
    }

    /// What wakes the window, for other work that has to (the job).
    pub fn waker(&self) -> Waker {
        Arc::clone(&self.waker)
    }

    pub fn next_id(&self) -> SourceId {
        SourceId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Sends an event and wakes the window; false once the window is gone.
    fn send(&self, event: WorkerEvent) -> bool {
        let sent = self.tx.send(event).is_ok();
        (self.waker)();
        sent
    }

    fn spawn(&self, name: &str, work: impl FnOnce(Workers) + Send + 'static) -> Result<(), String> {
        let workers = self.clone();
        thread::Builder::new()
            .name(format!("mail2pst {name}"))
            .spawn(move || work(workers))
            .map(|_| ())
            .map_err(|e| format!("cannot start a thread for {name}: {e}"))
    }

    /// Looks for the stores on this machine, then counts each store found.
    pub fn discover(&self, discover: Discover) -> Result<(), String> {
        self.spawn("discovery", move |workers| {
            let mut found = Vec::new();
            for result in discover() {
                let id = workers.next_id();
                let result = result.map_err(|e| e.to_string());
                if let Ok(source) = &result {
                    found.push((id, source.clone()));
                }
                if !workers.send(WorkerEvent::Found { id, result }) {
                    return;
                }
            }
            if !workers.send(WorkerEvent::DiscoveryFinished) {
                return;
            }
            for (id, source) in found {
                if !workers.list(id, &source) {
                    return;
                }
            }
        })
    }

    /// Opens the stores at these paths, one after the other, and counts their folders.
    pub fn open(&self, items: Vec<(SourceId, PathBuf)>) -> Result<(), String> {
        self.spawn("store reader", move |workers| {
            for (id, path) in items {
                let result = Source::open(&path).map_err(|e| e.to_string());
                let source = result.as_ref().ok().cloned();
                if !workers.send(WorkerEvent::Opened { id, result }) {
                    return;
                }
                if let Some(source) = source
                    && !workers.list(id, &source)
                {
                    return;
                }
            }
        })
    }

    fn list(&self, id: SourceId, source: &Source) -> bool {
        tracing::info!("counting the folders of {}", source.root().display());
        let listing = engine::list_store(source);
        self.send(WorkerEvent::Listed { id, listing })
    }

    /// Waits for `future` (a native dialog) on a thread and sends what `to_event` makes of its
    /// result. The dialog itself is opened where the future was made, as the platform wants.
    pub fn wait_for<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
        to_event: impl FnOnce(T) -> Option<WorkerEvent> + Send + 'static,
    ) -> Result<(), String> {
        self.spawn("file dialog", move |workers| {
            if let Some(event) = to_event(block_on(future)) {
                workers.send(event);
            }
        })
    }
}

/// Runs a future to its end on this thread.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unpark(thread::current())).into();
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_future_woken_from_another_thread_completes() {
        /// Ready once another thread has sent its value and woken the task.
        struct Later {
            value: Arc<std::sync::Mutex<Option<u32>>>,
            started: bool,
        }
        impl Future for Later {
            type Output = u32;
            fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
                if let Some(value) = *self.value.lock().unwrap() {
                    return Poll::Ready(value);
                }
                if !self.started {
                    self.started = true;
                    let waker = cx.waker().clone();
                    let value = Arc::clone(&self.value);
                    thread::spawn(move || {
                        thread::sleep(Duration::from_millis(20));
                        *value.lock().unwrap() = Some(7);
                        waker.wake();
                    });
                }
                Poll::Pending
            }
        }
        let later = Later {
            value: Arc::default(),
            started: false,
        };
        assert_eq!(block_on(later), 7);
    }

    #[test]
    fn workers_report_a_store_that_cannot_be_opened() {
        let (workers, rx) = Workers::new(Arc::new(|| {}));
        let id = workers.next_id();
        let missing = std::env::temp_dir().join("mail2pst-no-such-store.mbox");
        workers.open(vec![(id, missing)]).unwrap();
        match rx.recv_timeout(Duration::from_secs(10)).unwrap() {
            WorkerEvent::Opened { id: got, result } => {
                assert_eq!(got, id);
                assert!(result.unwrap_err().contains("no such file or folder"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
