//! Work the window must not wait for, each on a thread of its own: finding the stores on this
//! machine, opening and counting a store, completing a typed path, waiting for a native file
//! dialog. A worker sends what it found as a [`WorkerEvent`] and wakes the window, which drains
//! the events between frames.

use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake};
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::engine::{
    self, ImapAccount, Keychain, Password, SearchRoots, Source, StoreListing, UsualPlace,
    keychain_entry_name,
};

use super::paths;

/// Asks the window for a frame (egui's `request_repaint`), from any thread.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Finds the stores on this machine: [`engine::discover`] in the app, chosen stores in tests.
pub type Discover = Arc<dyn Fn() -> Vec<Result<Source, engine::Error>> + Send + Sync>;

/// Says why no native file dialog can open on this computer, or `None` when one can: the
/// platform's check in the app (`platform::file_dialog_problem`), a fixed answer in
/// tests.
#[derive(Clone)]
pub struct FileDialogCheck(Arc<dyn Fn() -> Option<String> + Send + Sync>);

impl FileDialogCheck {
    pub fn new(check: impl Fn() -> Option<String> + Send + Sync + 'static) -> FileDialogCheck {
        FileDialogCheck(Arc::new(check))
    }

    /// A check that always finds a dialog (no dialog is ever opened in tests that use it).
    pub fn always_available() -> FileDialogCheck {
        FileDialogCheck::new(|| None)
    }

    /// Why no dialog can open, or `None` when one can.
    pub fn problem(&self) -> Option<String> {
        (self.0)()
    }
}

impl std::fmt::Debug for FileDialogCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileDialogCheck")
    }
}

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
    /// A store the person added was opened, or could not be. A path holding several stores
    /// (a Thunderbird folder with several profiles) gives one event per store: the first with
    /// the id the path was added under, the others with new ids and that id in `along_with`.
    Opened {
        id: SourceId,
        path: PathBuf,
        along_with: Option<SourceId>,
        result: Result<Source, String>,
    },
    /// The usual places of mail clients' data that exist on this computer (for shortcuts).
    Places(Vec<UsualPlace>),
    /// Ways to finish the path typed as `text`.
    Completions { text: String, options: Vec<String> },
    /// No native file dialog can open; the text says why. `for_output` when it was the save
    /// dialog for the PST.
    NoFileDialog { problem: String, for_output: bool },
    /// A store's folders were counted (or its listing says why not).
    Listed { id: SourceId, listing: StoreListing },
    /// A store logged in to the server of its account `account` to fetch the messages it
    /// never downloaded (the server, as a person reads it), or could not (why).
    GapsFilled {
        id: SourceId,
        account: String,
        result: Result<String, String>,
    },
    /// The keychain's password for the account whose entry is `entry` (its
    /// [`keychain_entry_name`]): none stored, or why the keychain could not be read.
    StoredPassword {
        entry: String,
        result: Result<Option<Password>, String>,
    },
    /// After a login, the keychain stored or removed the account's password as the person
    /// asked (what was done), or could not (why).
    KeychainUpdated(Result<String, String>),
    /// The native dialog for adding sources closed with these paths (none when cancelled).
    PickedSources(Vec<PathBuf>),
    /// The native save dialog closed with this output file.
    PickedOutput(PathBuf),
}

/// What to do with an account's password in the keychain once its server accepted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AfterLogin {
    pub keychain: Keychain,
    pub choice: KeychainChoice,
    /// The password is the one the keychain gave: a refusal says so.
    pub from_keychain: bool,
}

/// Whether a password goes into the keychain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeychainChoice {
    /// Nothing was stored, nothing is asked.
    Leave,
    /// "Remember the password" is ticked: store it (replacing the one stored).
    Remember,
    /// The box was unticked for a password the keychain held: remove it.
    Forget,
}

impl AfterLogin {
    /// Does what the person chose, in the login's worker; tells the window unless there was
    /// nothing to do.
    fn apply(&self, workers: &Workers, account: &ImapAccount) {
        let label = account.label();
        let result = match self.choice {
            KeychainChoice::Leave => return,
            KeychainChoice::Remember => self
                .keychain
                .remember(account)
                .map(|()| format!("The password of {label} is kept in this computer's keychain.")),
            KeychainChoice::Forget => self.keychain.forget(account).map(|_| {
                format!("The password of {label} was removed from this computer's keychain.")
            }),
        };
        let result = result.map_err(|error| {
            format!(
                "The keychain was not changed for {label}: {error}. The password was used for \
                 this session only."
            )
        });
        workers.send(WorkerEvent::KeychainUpdated(result));
    }

    /// A login's error, saying when the password refused was the keychain's.
    fn explain(&self, error: engine::Error) -> String {
        if self.from_keychain && error.is_login_refused() {
            format!(
                "{error}. The password was the one kept in this computer's keychain: type the \
                 new one in the form (with \"Remember the password\" ticked it replaces the \
                 one kept)."
            )
        } else {
            error.to_string()
        }
    }
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

    /// Looks for the stores on this machine, then counts each store found. First it tells which
    /// usual places of `roots` exist.
    pub fn discover(&self, discover: Discover, roots: Option<SearchRoots>) -> Result<(), String> {
        self.spawn("discovery", move |workers| {
            if let Some(roots) = roots {
                let places: Vec<UsualPlace> = engine::usual_places(&roots)
                    .into_iter()
                    .filter(|place| place.path.is_dir())
                    .collect();
                if !workers.send(WorkerEvent::Places(places)) {
                    return;
                }
            }
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
                let sources = match Source::open_all(&path) {
                    Ok(sources) => sources,
                    Err(error) => {
                        let event = WorkerEvent::Opened {
                            id,
                            path,
                            along_with: None,
                            result: Err(error.to_string()),
                        };
                        if !workers.send(event) {
                            return;
                        }
                        continue;
                    }
                };
                let mut opened = Vec::new();
                for (index, source) in sources.into_iter().enumerate() {
                    let (this_id, along_with) = if index == 0 {
                        (id, None)
                    } else {
                        (workers.next_id(), Some(id))
                    };
                    let event = WorkerEvent::Opened {
                        id: this_id,
                        path: path.clone(),
                        along_with,
                        result: Ok(source.clone()),
                    };
                    if !workers.send(event) {
                        return;
                    }
                    opened.push((this_id, source));
                }
                for (id, source) in opened {
                    if !workers.list(id, &source) {
                        return;
                    }
                }
            }
        })
    }

    /// Logs in to an IMAP account and counts its folders; once logged in, stores or removes
    /// the password in the keychain as `after` says.
    pub fn open_imap(
        &self,
        id: SourceId,
        account: ImapAccount,
        after: AfterLogin,
    ) -> Result<(), String> {
        self.spawn("IMAP account reader", move |workers| {
            let path = PathBuf::from(account.url());
            let result = Source::imap(account.clone()).map_err(|error| after.explain(error));
            if result.is_ok() {
                after.apply(&workers, &account);
            }
            let source = result.as_ref().ok().cloned();
            let event = WorkerEvent::Opened {
                id,
                path,
                along_with: None,
                result,
            };
            if workers.send(event)
                && let Some(source) = source
            {
                workers.list(id, &source);
            }
        })
    }

    /// Logs the store `source` in to the server of its account `account`, so that the job
    /// fetches the messages the store never downloaded; once logged in, stores or removes the
    /// password in the keychain as `after` says.
    pub fn fill_gaps(
        &self,
        id: SourceId,
        source: Source,
        account: String,
        server: ImapAccount,
        after: AfterLogin,
    ) -> Result<(), String> {
        self.spawn("server login", move |workers| {
            let label = server.label();
            let result = source
                .fill_gaps(&account, server.clone())
                .map(|()| label)
                .map_err(|error| after.explain(error));
            if result.is_ok() {
                after.apply(&workers, &server);
            }
            workers.send(WorkerEvent::GapsFilled {
                id,
                account,
                result,
            });
        })
    }

    /// Asks the keychain for the password it holds for `account`.
    pub fn look_up_password(&self, keychain: Keychain, account: ImapAccount) -> Result<(), String> {
        self.spawn("keychain", move |workers| {
            let result = keychain
                .password(&account)
                .map_err(|error| error.to_string());
            workers.send(WorkerEvent::StoredPassword {
                entry: keychain_entry_name(&account),
                result,
            });
        })
    }

    /// Finds ways to finish the typed path `text` (it lists one folder).
    pub fn complete(&self, text: String, home: Option<PathBuf>) -> Result<(), String> {
        self.spawn("path completion", move |workers| {
            let options = paths::completions(&text, home.as_deref());
            workers.send(WorkerEvent::Completions { text, options });
        })
    }

    fn list(&self, id: SourceId, source: &Source) -> bool {
        tracing::info!("counting the folders of {}", source.root().display());
        let listing = engine::list_store(source);
        self.send(WorkerEvent::Listed { id, listing })
    }

    /// Waits for `future` (a native dialog) on a thread and sends what `to_event` makes of its
    /// result. The dialog itself is opened where the future was made, as the platform wants.
    /// First `check` says whether a dialog can open at all: when it cannot, the future is
    /// dropped unstarted and the window is told why (a dialog that cannot open would otherwise
    /// look like one the person cancelled).
    pub fn wait_for_dialog<T: Send + 'static>(
        &self,
        check: FileDialogCheck,
        for_output: bool,
        future: impl Future<Output = T> + Send + 'static,
        to_event: impl FnOnce(T) -> Option<WorkerEvent> + Send + 'static,
    ) -> Result<(), String> {
        self.spawn("file dialog", move |workers| {
            if let Some(problem) = check.problem() {
                tracing::warn!("no file dialog: {problem}");
                workers.send(WorkerEvent::NoFileDialog {
                    problem,
                    for_output,
                });
                return;
            }
            if let Some(event) = to_event(block_on(future)) {
                workers.send(event);
            }
        })
    }
}

/// Runs a future to its end on this thread.
pub(super) fn block_on<F: Future>(future: F) -> F::Output {
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
            WorkerEvent::Opened {
                id: got, result, ..
            } => {
                assert_eq!(got, id);
                assert!(result.unwrap_err().contains("no such file or folder"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
