//! An ordered worker pool: the calling thread makes jobs, N threads run
//! them (the caller among them), and each job's messages reach `consume`
//! in job order. So output and messages are the same for any number of
//! threads. (Within a batch of small jobs, below, the jobs' output goes
//! ahead of their notes and ends: the bytes of the output, and the notes
//! and ends, each keep their order; only where they interleave moves,
//! which stdout's own buffer decides anyway.)
//!
//! Jobs travel in batches. Handing a job from thread to thread costs
//! wake-ups and context switches: with one job a file, a run over 11,648
//! files of 3 KB made about 7 context switches a file. So consecutive small
//! jobs (of a known size up to [`SMALL_JOB`] bytes) go to one worker
//! together, up to [`BATCH_JOBS`] of them and [`BATCH_BYTES`] of input; the
//! worker runs them one after the other and holds their messages, handing
//! them over in a few large deliveries, with the jobs' output in one buffer
//! (one allocation and one write for tens of small files, not one each:
//! the buffers of one worker's output were freed by another, and copied by
//! it, 2.4% of a bulk run's time). A job of unknown or larger size (a
//! big file, stdin, a pipe) is a batch of its own, and its messages are
//! handed over as they come, so it streams.
//!
//! There is no thread that only writes. Batches take turns, in order: the
//! worker whose batch has the turn calls `consume` itself, under a lock;
//! a worker whose batch is further on parks its deliveries, and the worker
//! that ends a turn passes it on, consuming what the next batches parked.
//! So with two workers on two cores, no third thread competes with them
//! for the cores, no delivery wakes a thread, and a batch that has the
//! turn frees its own buffers (parked ones are freed by the worker that
//! passes the turn, often another thread). A writing thread took 13% to
//! 18% of the CPU in such a run, much of it in wake-ups and in lock
//! contention: on the channels' wakers, and in `free` on the allocator's
//! lock of the worker's arena.
//!
//! The lock is taken as seldom as that allows. A batch of several jobs
//! whose turn has not come holds its output to its end (up to
//! [`PARK_BYTES`]) rather than parking it at every flush; whether a batch
//! has the turn, or may start, is first read without the lock; and the
//! others are signalled, after the lock is let go, only when one waits.
//! Before, with `-j 2` over 11,648 files, each thread found the lock held
//! about 30 times a run, mostly by the batch with the turn writing its
//! output, and slept until it was free (about 60 voluntary context
//! switches a run; 15 to 30 after, and `-j 2` 1% to 2% faster).
//!
//! Nor is there a thread that only makes jobs. With N threads, N - 1 are
//! started; the caller, when the queue of batches is full, runs the oldest
//! batch itself instead of waiting for room, and once every job is made it
//! helps empty the queue. So N threads are busy on N cores. With a thread
//! of its own, the walk shared a core with a worker: with two workers,
//! about 1,200 context switches in a run over 11,648 files, against 100
//! to 200 now.
//!
//! A started worker first moves itself to a CPU other than the caller's
//! (see [`Cpus`]), and the caller waits the tenth of a millisecond that
//! takes: left where the kernel put it, behind the caller on the same
//! CPU, the worker of `-j 2` started 0.2 to 3.4 ms late.
//!
//! Memory stays bounded however large the inputs: a worker does not start
//! a batch more than [`WINDOW_PER_THREAD`] times the thread count after
//! the one that has the turn, and a batch holds at most [`PARK_BYTES`]
//! of output (and a message) before it parks it and waits for its turn.
//!
//! With one thread, [`run`] makes no threads at all: the caller walks,
//! cleans and writes, one job after the other.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread;

/// What a job sends back, in order.
pub enum Msg<D> {
    /// Bytes for stdout.
    Out(Vec<u8>),
    /// A line for stderr (without the trailing newline).
    Note(String),
    /// The job is over.
    Done(D),
}

impl<D> Msg<D> {
    /// About how many bytes the message holds.
    fn size(&self) -> usize {
        match self {
            Msg::Out(b) => b.len(),
            Msg::Note(s) => s.len(),
            Msg::Done(_) => size_of::<D>(),
        }
    }
}

/// Jobs up to this size (bytes of input) may share a batch.
pub const SMALL_JOB: u64 = 64 << 10;

/// Most jobs in one batch.
pub const BATCH_JOBS: usize = 32;

/// Most bytes of input in one batch of several jobs.
pub const BATCH_BYTES: u64 = 256 << 10;

/// A batch of several jobs hands over its held messages once they hold
/// this many bytes, and when it ends.
const FLUSH_BYTES: usize = 64 << 10;

/// A batch whose turn has not come waits once it has parked more than this.
const PARK_BYTES: usize = 512 << 10;

/// Batches that may be started ahead of the one with the turn, per thread.
const WINDOW_PER_THREAD: u64 = 4;

/// A job's way back to `consume`.
pub trait Sink<D> {
    /// Sends a message; false once the run is stopping (`consume` returned
    /// false), so the job can end early.
    fn send(&self, msg: Msg<D>) -> bool;
}

/// The way back with one thread: `consume` itself, and whether it has
/// asked to stop.
struct Direct<'a, D> {
    consume: RefCell<&'a mut dyn FnMut(Msg<D>) -> bool>,
    stopped: Cell<bool>,
}

impl<D> Sink<D> for Direct<'_, D> {
    fn send(&self, msg: Msg<D>) -> bool {
        if !self.stopped.get() && !(self.consume.borrow_mut())(msg) {
            self.stopped.set(true);
        }
        !self.stopped.get()
    }
}

/// Jobs for one worker, numbered in order.
struct Batch<T> {
    seq: u64,
    jobs: Vec<T>,
}

/// Deliveries of a batch whose turn has not come.
struct Parked<D> {
    msgs: Vec<Msg<D>>,
    bytes: usize,
    /// The batch has ended: once consumed, the turn passes on.
    done: bool,
}

/// What the workers share, under one lock.
struct Turns<D, C> {
    consume: C,
    /// The batch that has the turn.
    next: u64,
    parked: BTreeMap<u64, Parked<D>>,
    /// Threads waiting on [`Shared::moved`]: only then is it signalled.
    waiting: usize,
}

impl<D, C: FnMut(Msg<D>) -> bool> Turns<D, C> {
    /// Consumes `msgs` unless the run is stopping, and sets `stop` when
    /// `consume` asks to stop.
    fn consume_all(&mut self, msgs: Vec<Msg<D>>, stop: &AtomicBool) {
        if !stop.load(Ordering::Relaxed) && !msgs.into_iter().all(|m| (self.consume)(m)) {
            stop.store(true, Ordering::Relaxed);
        }
    }

    /// Ends the turn of the batch that has it, and passes the turn on
    /// through the batches that have already ended; the first one still
    /// running gets what it parked consumed, and goes on by itself.
    fn pass(&mut self, stop: &AtomicBool) {
        self.next += 1;
        while let Some(p) = self.parked.remove(&self.next) {
            self.consume_all(p.msgs, stop);
            if !p.done {
                break;
            }
            self.next += 1;
        }
    }
}

/// The lock and the signal the workers wait on: the turn has moved, or
/// the run is stopping.
struct Shared<D, C> {
    turns: Mutex<Turns<D, C>>,
    /// [`Turns::next`], published when it changes, for reading without
    /// the lock: whether a batch may start, and whether a batch has the
    /// turn and should hand its output over now. It only grows, so a
    /// stale value only delays: the lock is taken to be sure.
    next: AtomicU64,
    moved: Condvar,
    stop: AtomicBool,
}

impl<D, C: FnMut(Msg<D>) -> bool> Shared<D, C> {
    /// Before any batch: the first has the turn.
    fn new(consume: C) -> Self {
        Shared {
            turns: Mutex::new(Turns {
                consume,
                next: 0,
                parked: BTreeMap::new(),
                waiting: 0,
            }),
            next: AtomicU64::new(0),
            moved: Condvar::new(),
            stop: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Turns<D, C>> {
        // A poisoned lock means `consume` or another worker panicked; the
        // scope re-raises that panic, and the rest only has to end.
        self.turns.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Waits for the turn to move while `cond` holds and the run is not
    /// stopping, counted in [`Turns::waiting`] so that the batch that
    /// moves the turn signals.
    fn wait_while<'a>(
        &self,
        mut turns: MutexGuard<'a, Turns<D, C>>,
        mut cond: impl FnMut(&Turns<D, C>) -> bool,
    ) -> MutexGuard<'a, Turns<D, C>> {
        turns.waiting += 1;
        let mut turns = self
            .moved
            .wait_while(turns, |t| cond(t) && !self.stopping())
            .unwrap_or_else(|e| e.into_inner());
        turns.waiting -= 1;
        turns
    }

    /// Hands over a batch's messages: consumed now if the batch has the
    /// turn, else parked, waiting for the turn when too much is parked.
    /// With `end`, the batch is over and the turn passes on.
    fn deliver(&self, seq: u64, msgs: Vec<Msg<D>>, end: bool) {
        let mut turns = self.lock();
        if turns.next == seq {
            turns.consume_all(msgs, &self.stop);
            if end {
                turns.pass(&self.stop);
                self.next.store(turns.next, Ordering::Relaxed);
            }
            // Wakes the batches waiting for their turn or a place in the
            // window, and when stopping all of them; not under the lock,
            // and only when one waits (a signal is a system call, even to
            // nobody: made under the lock at the end of every batch, it
            // kept the other thread waiting for the lock).
            let wake = (end || self.stopping()) && turns.waiting > 0;
            drop(turns);
            if wake {
                self.moved.notify_all();
            }
            return;
        }
        let bytes: usize = msgs.iter().map(Msg::size).sum();
        let parked = turns.parked.entry(seq).or_insert_with(|| Parked {
            msgs: Vec::new(),
            bytes: 0,
            done: false,
        });
        parked.msgs.extend(msgs);
        parked.bytes += bytes;
        parked.done = end;
        if !end && parked.bytes > PARK_BYTES {
            // The batch's parked messages are consumed when the turn
            // reaches it; after that it delivers straight away.
            drop(self.wait_while(turns, |t| t.next != seq));
        }
    }
}

/// The way back from a worker thread. Messages of a batch of several jobs
/// are held and delivered together; those of a job alone at once.
struct Turn<'s, D, C: FnMut(Msg<D>) -> bool> {
    shared: &'s Shared<D, C>,
    seq: u64,
    /// Jobs in the batch. With several, messages are held (see [`Held`]).
    jobs: usize,
    held: RefCell<Held<D>>,
}

/// What a batch of several jobs holds: their output, in one buffer, and
/// their other messages, in order, with room for one a job (its end) from
/// the start, not grown and copied as they come.
struct Held<D> {
    out: Vec<u8>,
    msgs: Vec<Msg<D>>,
    /// [`Msg::size`] of `msgs`, summed.
    msgs_size: usize,
}

impl<D> Default for Held<D> {
    fn default() -> Self {
        Held {
            out: Vec::new(),
            msgs: Vec::new(),
            msgs_size: 0,
        }
    }
}

impl<D> Held<D> {
    /// The messages to deliver: the output first.
    fn into_msgs(self) -> Vec<Msg<D>> {
        let mut msgs = self.msgs;
        if !self.out.is_empty() {
            msgs.insert(0, Msg::Out(self.out));
        }
        msgs
    }
}

impl<D, C: FnMut(Msg<D>) -> bool> Sink<D> for Turn<'_, D, C> {
    fn send(&self, msg: Msg<D>) -> bool {
        if self.shared.stopping() {
            return false;
        }
        if self.jobs <= 1 {
            self.shared.deliver(self.seq, vec![msg], false);
        } else {
            let mut held = self.held.borrow_mut();
            match msg {
                Msg::Out(bytes) => {
                    if held.out.capacity() == 0 {
                        // Room to go past the flush with a file's output.
                        held.out.reserve(FLUSH_BYTES + FLUSH_BYTES / 2);
                    }
                    held.out.extend_from_slice(&bytes);
                }
                msg => {
                    if held.msgs.capacity() == 0 {
                        held.msgs.reserve(self.jobs);
                    }
                    held.msgs_size += msg.size();
                    held.msgs.push(msg);
                }
            }
            // Handed over as it goes when the batch has the turn; else held
            // to its end (or until it has the turn), up to what a batch
            // may park: parking it took the lock while the batch with the
            // turn was writing, and the two threads took turns waiting.
            let size = held.out.len() + held.msgs_size;
            if size >= FLUSH_BYTES
                && (size > PARK_BYTES || self.shared.next.load(Ordering::Relaxed) == self.seq)
            {
                let msgs = std::mem::take(&mut *held).into_msgs();
                drop(held);
                self.shared.deliver(self.seq, msgs, false);
            }
        }
        !self.shared.stopping()
    }
}

impl<D, C: FnMut(Msg<D>) -> bool> Drop for Turn<'_, D, C> {
    /// Delivers what is held and ends the batch's turn, also when a job
    /// panicked: the other workers must not wait for a turn that never
    /// comes.
    fn drop(&mut self) {
        if thread::panicking() {
            self.shared.stop.store(true, Ordering::Relaxed);
        }
        let msgs = std::mem::take(self.held.get_mut()).into_msgs();
        self.shared.deliver(self.seq, msgs, true);
        if thread::panicking() {
            self.shared.moved.notify_all();
        }
    }
}

/// Runs `produce` on this thread, `work` on `threads` threads (this one
/// too), and `consume` for each message in job order. `produce` emits each
/// job with its size in bytes if known (`None` for unknown or unbounded,
/// such as a pipe). `consume` returns false to stop the run: no new jobs are
/// started, and running ones see their sends fail.
pub fn run<T, D, P, W, C>(threads: usize, produce: P, work: W, mut consume: C)
where
    T: Send,
    D: Send,
    P: FnOnce(&mut dyn FnMut(T, Option<u64>) -> bool),
    W: Fn(T, &dyn Sink<D>) + Sync,
    C: FnMut(Msg<D>) -> bool + Send,
{
    if threads <= 1 {
        let sink = Direct {
            consume: RefCell::new(&mut consume),
            stopped: Cell::new(false),
        };
        produce(&mut |job, _size| {
            work(job, &sink);
            !sink.stopped.get()
        });
        return;
    }
    let window = threads as u64 * WINDOW_PER_THREAD;
    let shared = Shared::new(consume);
    let queue = Queue::new(threads * 2);
    // Runs one batch, on whichever thread calls it (a started one, or the
    // caller), and hands its messages over in its turn.
    let run_batch = |Batch { seq, jobs }: Batch<T>| {
        if shared.stopping() {
            // The rest of the queue is taken and dropped.
            return;
        }
        if seq >= shared.next.load(Ordering::Relaxed) + window {
            drop(shared.wait_while(shared.lock(), |t| seq >= t.next + window));
        }
        let sink = Turn {
            shared: &shared,
            seq,
            jobs: jobs.len(),
            held: RefCell::default(),
        };
        for job in jobs {
            if shared.stopping() {
                break;
            }
            work(job, &sink);
        }
    };
    let cpus = Cpus::here();
    let placed = Count::default();
    // Batches are taken from the queue in order, so the one with the turn
    // is always running or next to be taken.
    thread::scope(|s| {
        // Closed however this ends: when a batch the caller runs panics,
        // the workers must not wait for more before the scope re-raises it.
        let _closed = CloseOnDrop(&queue);
        for i in 1..threads {
            let (cpus, placed, queue, run_batch) = (&cpus, &placed, &queue, &run_batch);
            s.spawn(move || {
                cpus.move_worker(i);
                placed.add();
                private_file_table();
                while let Some(batch) = queue.take() {
                    run_batch(batch);
                }
            });
        }
        // The caller waits for the workers to have moved (see `Cpus`), a
        // tenth of a millisecond: only then does a worker left on the
        // caller's CPU get to run.
        placed.wait_for(threads - 1);
        let mut seq = 0;
        let mut send = |jobs: Vec<T>| {
            let batch = Batch { seq, jobs };
            seq += 1;
            // The caller is a worker too: rather than wait for room, it
            // runs the oldest batch itself.
            if let Some(oldest) = queue.push_or_oldest(batch) {
                run_batch(oldest);
            }
            !shared.stopping()
        };
        let mut pending: Vec<T> = Vec::new();
        let mut pending_bytes = 0;
        let mut go = true;
        produce(&mut |job, size| {
            if shared.stopping() {
                go = false;
                return false;
            }
            let small = size.filter(|&n| n <= SMALL_JOB);
            let fits = small
                .is_some_and(|n| pending.len() < BATCH_JOBS && pending_bytes + n <= BATCH_BYTES);
            if !fits && !pending.is_empty() {
                pending_bytes = 0;
                if !send(std::mem::take(&mut pending)) {
                    go = false;
                    return false;
                }
            }
            match small {
                Some(n) => {
                    pending.push(job);
                    pending_bytes += n;
                    true
                }
                None => {
                    go = send(vec![job]);
                    go
                }
            }
        });
        if go && !pending.is_empty() && !shared.stopping() {
            send(pending);
        }
        queue.close();
        // With every job made, the caller helps empty the queue.
        while let Some(batch) = queue.take() {
            run_batch(batch);
        }
    });
}

/// Closes the queue when dropped.
struct CloseOnDrop<'q, T>(&'q Queue<T>);

impl<T> Drop for CloseOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The batches made and not yet taken, oldest first.
///
/// The caller never waits to add one: when the queue is full, it takes
/// the oldest out and runs it. (With a channel whose receiver sat behind a
/// lock, it did wait: a worker asleep in `recv` holds that lock, and on
/// this VM a thread woken from a wait can take milliseconds to run again,
/// so the caller, finding the lock held, waited for room too, and the two
/// took turns sleeping: 64 ms of a 96 ms run over 11,648 files, measured.)
/// A worker waits only when the queue is empty, without holding the lock.
struct Queue<T> {
    state: Mutex<QueueState<T>>,
    /// A batch was added, or the queue was closed.
    added: Condvar,
    cap: usize,
}

struct QueueState<T> {
    batches: VecDeque<Batch<T>>,
    /// No batch will be added.
    closed: bool,
    /// Workers waiting in `take`: only then does adding one wake one.
    waiting: usize,
}

impl<T> Queue<T> {
    fn new(cap: usize) -> Queue<T> {
        Queue {
            state: Mutex::new(QueueState {
                batches: VecDeque::with_capacity(cap),
                closed: false,
                waiting: 0,
            }),
            added: Condvar::new(),
            cap,
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState<T>> {
        // Nothing panics while holding it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `batch` at the back; when the queue is full, takes the oldest
    /// out first and returns it, for the caller to run.
    fn push_or_oldest(&self, batch: Batch<T>) -> Option<Batch<T>> {
        let mut st = self.lock();
        let oldest = if st.batches.len() >= self.cap {
            st.batches.pop_front()
        } else {
            None
        };
        st.batches.push_back(batch);
        let wake = st.waiting > 0;
        drop(st);
        if wake {
            self.added.notify_one();
        }
        oldest
    }

    /// The oldest batch, waiting for one when there is none; `None` once
    /// the queue is closed and empty.
    fn take(&self) -> Option<Batch<T>> {
        let mut st = self.lock();
        loop {
            if let Some(batch) = st.batches.pop_front() {
                return Some(batch);
            }
            if st.closed {
                return None;
            }
            st.waiting += 1;
            st = self.added.wait(st).unwrap_or_else(|e| e.into_inner());
            st.waiting -= 1;
        }
    }

    /// No more batches: workers waiting for one end.
    fn close(&self) {
        self.lock().closed = true;
        self.added.notify_all();
    }
}

/// The CPUs this process may run on, and the one the caller is on, for
/// putting each started worker on a CPU of its own (Linux; elsewhere it
/// does nothing).
///
/// Left to itself, the kernel here queues a new thread on the CPU of the
/// thread that started it, behind it, and moves it to an idle CPU only
/// when the load balancer next looks, milliseconds later. Measured on this
/// 2-CPU machine: the worker of `-j 2` first ran 0.2 to 3.4 ms after it
/// was started (about 1 ms at the median), and a test program's two
/// threads of 2.8 ms of work each took 5.7 ms together at the median, not
/// 2.9 ms. So a worker's first act is to move itself: it restricts itself
/// to one CPU, which moves it there at once, and then lifts the
/// restriction, leaving the scheduler free to move it later. (A thread
/// that sleeps and is woken goes back to the CPU it last ran on when that
/// one is idle, 22 us later at the median: only the start needs this.)
struct Cpus {
    #[cfg(target_os = "linux")]
    allowed: libc::cpu_set_t,
    /// The allowed CPUs other than the caller's, in order.
    others: Vec<usize>,
}

impl Cpus {
    /// The CPUs the calling thread may run on, other than its own.
    #[cfg(target_os = "linux")]
    fn here() -> Cpus {
        // SAFETY: a zeroed `cpu_set_t` is an empty set; `sched_getaffinity`
        // writes at most the size passed, which is the set's, and
        // `CPU_ISSET` reads inside it.
        unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of::<libc::cpu_set_t>();
            let mut others = Vec::new();
            if libc::sched_getaffinity(0, size, &mut allowed) == 0 {
                let here = usize::try_from(libc::sched_getcpu()).ok();
                others = (0..libc::CPU_SETSIZE as usize)
                    .filter(|&c| libc::CPU_ISSET(c, &allowed) && Some(c) != here)
                    .collect();
            }
            Cpus { allowed, others }
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn here() -> Cpus {
        Cpus { others: Vec::new() }
    }

    /// The CPU for the `i`th worker started (from 1): the `i`th allowed
    /// CPU other than the caller's, round the list when there are more
    /// workers than CPUs; `None` with no other CPU allowed.
    fn target(&self, i: usize) -> Option<usize> {
        (!self.others.is_empty()).then(|| self.others[(i - 1) % self.others.len()])
    }

    /// Moves the calling thread, the `i`th worker started, to its CPU (see
    /// [`Cpus::target`]), then allows it every CPU it was allowed before.
    /// Returns the CPU it ran on while it was held to that one (`None`
    /// when it was not moved).
    fn move_worker(&self, i: usize) -> Option<usize> {
        let cpu = self.target(i)?;
        #[cfg(target_os = "linux")]
        // SAFETY: both sets are `cpu_set_t`s of the size passed, and
        // `CPU_SET` writes inside one (`target` is below `CPU_SETSIZE`).
        // Setting this thread's own affinity touches no memory of the
        // process. On failure the thread stays where the kernel put it,
        // which works the same, only later.
        unsafe {
            let size = std::mem::size_of::<libc::cpu_set_t>();
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut one);
            if libc::sched_setaffinity(0, size, &one) == 0 {
                let ran_on = usize::try_from(libc::sched_getcpu()).ok();
                libc::sched_setaffinity(0, size, &self.allowed);
                return ran_on;
            }
        }
        let _ = cpu;
        None
    }
}

/// Counts what other threads report done; one thread waits for a number.
/// Nobody else waits, so a thread that never reports (its spawn failed,
/// say) stops no other.
#[derive(Default)]
struct Count {
    n: Mutex<usize>,
    changed: Condvar,
}

impl Count {
    fn add(&self) {
        *self.n.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.changed.notify_all();
    }

    fn wait_for(&self, n: usize) {
        let count = self.n.lock().unwrap_or_else(|e| e.into_inner());
        drop(
            self.changed
                .wait_while(count, |c| *c < n)
                .unwrap_or_else(|e| e.into_inner()),
        );
    }
}

/// Gives the calling thread its own copy of the process's table of open
/// files (Linux: `unshare(CLONE_FILES)`); elsewhere, nothing.
///
/// Threads that share one table pay for it on every file operation: the
/// kernel counts a reference to the file for each `read` and `fstat` (and
/// takes the file's position lock for each `read`), which a process with
/// one thread skips, and every `open` and `close` takes the table's lock,
/// whose cache line then moves between the cores. A started worker opens,
/// reads and closes thousands of files of its own, and needs none that the
/// caller opens later: its jobs hold paths, and the standard streams are
/// in its copy. With its own table (and the caller left alone with the
/// old one), `-j 2` over 11,648 files used 1.7% less CPU and took 1.3%
/// less time, in 41 alternating rounds.
fn private_file_table() {
    #[cfg(target_os = "linux")]
    // SAFETY: `unshare` only replaces this thread's reference to the file
    // table with a copy; no memory of this process is touched. On failure
    // the thread keeps the shared table, which works the same, if slower.
    unsafe {
        libc::unshare(libc::CLONE_FILES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Sizes that mix batches of small jobs, big jobs and unknown sizes.
    fn size_of_job(i: u64) -> Option<u64> {
        match i % 11 {
            0 => None,
            1 => Some(SMALL_JOB + 1),
            _ => Some(i * 1000 % SMALL_JOB),
        }
    }

    /// What job `i` sends: some output (now and then more than a flush
    /// holds), notes, and its end.
    fn messages(i: u64) -> Vec<Msg<u64>> {
        let mut v = Vec::new();
        for k in 0..(i % 20) {
            let len = if i.is_multiple_of(13) {
                FLUSH_BYTES / 2
            } else {
                3
            };
            v.push(Msg::Out(vec![k as u8; len]));
            if k.is_multiple_of(3) {
                v.push(Msg::Note(format!("{i}:{k}")));
            }
        }
        v.push(Msg::Done(i));
        v
    }

    fn describe(msg: &Msg<u64>) -> String {
        match msg {
            Msg::Out(b) => format!("out {} {}", b.len(), b.first().copied().unwrap_or(0)),
            Msg::Note(s) => format!("note {s}"),
            Msg::Done(i) => format!("done {i}"),
        }
    }

    /// The output's bytes, and the other messages, each reach `consume`
    /// in job order for any number of threads; with one thread, exactly as
    /// the jobs sent them.
    #[test]
    fn order_is_kept_for_any_thread_count() {
        let sent: Vec<Msg<u64>> = (0..300).flat_map(messages).collect();
        let want_all: Vec<String> = sent.iter().map(describe).collect();
        let mut want_out = Vec::new();
        let mut want_rest = Vec::new();
        for m in &sent {
            match m {
                Msg::Out(b) => want_out.extend_from_slice(b),
                m => want_rest.push(describe(m)),
            }
        }
        for threads in [1, 2, 3, 8] {
            let (mut all, mut out, mut rest) = (Vec::new(), Vec::new(), Vec::new());
            run(
                threads,
                |emit| {
                    for i in 0..300u64 {
                        if !emit(i, size_of_job(i)) {
                            break;
                        }
                    }
                },
                |i: u64, sink: &dyn Sink<u64>| {
                    if i.is_multiple_of(7) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    for msg in messages(i) {
                        sink.send(msg);
                    }
                },
                |msg| {
                    all.push(describe(&msg));
                    match msg {
                        Msg::Out(b) => out.extend_from_slice(&b),
                        m => rest.push(describe(&m)),
                    }
                    true
                },
            );
            assert!(out == want_out, "output, threads {threads}");
            assert!(rest == want_rest, "messages, threads {threads}");
            if threads == 1 {
                assert!(all == want_all);
            }
        }
    }

    /// The output of a batch of small jobs reaches `consume` in one
    /// buffer (per flush), not one a job.
    #[test]
    fn a_batch_hands_over_its_output_in_one_buffer() {
        let mut outs = 0;
        let mut bytes = Vec::new();
        let mut kinds = String::new();
        run(
            2,
            |emit| {
                for i in 0..(4 * BATCH_JOBS as u64) {
                    emit(i, Some(100));
                }
            },
            |i: u64, sink: &dyn Sink<u64>| {
                sink.send(Msg::Out(vec![i as u8; 10]));
                sink.send(Msg::Done(i));
            },
            |msg| {
                if let Msg::Out(b) = &msg {
                    outs += 1;
                    bytes.extend_from_slice(b);
                }
                kinds.push(if matches!(msg, Msg::Out(_)) { 'o' } else { 'd' });
                true
            },
        );
        let want: Vec<u8> = (0..4 * BATCH_JOBS).flat_map(|i| [i as u8; 10]).collect();
        assert_eq!(bytes, want);
        assert_eq!(outs, 4, "one buffer a batch");
        // Each batch's output ahead of its jobs' ends.
        assert_eq!(kinds, format!("o{}", "d".repeat(BATCH_JOBS)).repeat(4));
    }

    #[test]
    fn small_jobs_share_a_worker_and_large_ones_run_alone() {
        // Which thread ran each job: a batch runs on one worker.
        let ran = Mutex::new(Vec::new());
        let sizes = |i: u64| match i {
            40 => Some(SMALL_JOB + 1),
            41 => None,
            _ => Some(100),
        };
        run(
            2,
            |emit| {
                for i in 0..80u64 {
                    emit(i, sizes(i));
                }
            },
            |i: u64, sink: &dyn Sink<u64>| {
                ran.lock().unwrap().push((i, thread::current().id()));
                sink.send(Msg::Done(i));
            },
            |_| true,
        );
        let mut ran = ran.into_inner().unwrap();
        ran.sort_by_key(|r| r.0);
        let thread_of = |i: usize| ran[i].1;
        // Jobs 0..32 and 32..40 are batches; 40 and 41 alone; then 42..74
        // and 74..80.
        for batch in [0..32, 32..40, 42..74, 74..80] {
            assert!(
                batch
                    .clone()
                    .all(|i| thread_of(i) == thread_of(batch.start)),
                "{batch:?}"
            );
        }
    }

    #[test]
    fn the_caller_is_one_of_the_threads() {
        // With two threads, one is started and the caller runs batches
        // too: slow jobs fill the queue, and the caller takes some.
        let caller = thread::current().id();
        let ran = Mutex::new(std::collections::HashSet::new());
        run(
            2,
            |emit| {
                for i in 0..40u64 {
                    emit(i, None);
                }
            },
            |i: u64, sink: &dyn Sink<u64>| {
                ran.lock().unwrap().insert(thread::current().id());
                thread::sleep(Duration::from_millis(2));
                sink.send(Msg::Done(i));
            },
            |_| true,
        );
        let ran = ran.into_inner().unwrap();
        assert_eq!(ran.len(), 2, "{ran:?}");
        assert!(ran.contains(&caller), "the caller ran no job");
    }

    /// Runs three jobs of `sizes` on two threads, each sending `len`
    /// bytes of its number, then its end; job 1, after its output, waits
    /// until the caller has had the output of job `want`, and panics
    /// after 20 s: output held back until later would never come.
    /// Returns what the caller got.
    fn run_waiting_for_output(sizes: [Option<u64>; 3], len: usize, want: u8) -> Vec<String> {
        let (seen_tx, seen_rx) = std::sync::mpsc::channel();
        let seen_rx = Mutex::new(seen_rx);
        let mut got = Vec::new();
        run(
            2,
            |emit| {
                for (i, size) in sizes.into_iter().enumerate() {
                    emit(i as u64, size);
                }
            },
            |i: u64, sink: &dyn Sink<u64>| {
                sink.send(Msg::Out(vec![i as u8; len]));
                if i == 1 {
                    let seen = seen_rx.lock().unwrap();
                    loop {
                        match seen.recv_timeout(Duration::from_secs(20)) {
                            Ok(b) if b == want => break,
                            Ok(_) => {}
                            Err(_) => panic!("the output of job {want} was held"),
                        }
                    }
                }
                sink.send(Msg::Done(i));
            },
            |msg| {
                if let Msg::Out(b) = &msg {
                    let _ = seen_tx.send(b[0]);
                }
                got.push(describe(&msg));
                true
            },
        );
        got
    }

    #[test]
    fn a_job_alone_streams_its_messages() {
        // Job 1, of unknown size, is a batch of its own: its output goes
        // to the caller while it runs.
        assert_eq!(
            run_waiting_for_output([Some(1), None, Some(1)], 1, 1),
            [
                "out 1 0", "done 0", "out 1 1", "done 1", "out 1 2", "done 2"
            ]
        );
    }

    #[test]
    fn stopping_ends_the_run() {
        for size in [Some(0), None] {
            let mut seen = 0;
            run(
                2,
                |emit| {
                    for i in 0..1_000_000u64 {
                        if !emit(i, size) {
                            break;
                        }
                    }
                },
                |i: u64, sink: &dyn Sink<u64>| {
                    sink.send(Msg::Done(i));
                },
                |_| {
                    seen += 1;
                    seen < 10
                },
            );
            assert_eq!(seen, 10);
        }
    }

    /// Runs 100 jobs of `size` (`None`: each a batch of its own) on two
    /// workers, of which job 0 is slow, each sending `out` messages of
    /// `len` bytes. Returns how many jobs had started, and how many bytes
    /// were sent and not yet consumed, when job 0 was about to send.
    fn run_behind_a_slow_job(size: Option<u64>, out: usize, len: usize) -> (usize, usize) {
        use std::sync::atomic::AtomicUsize;
        let started = AtomicUsize::new(0);
        let outstanding = AtomicUsize::new(0);
        let at_slow_end = Mutex::new((0, 0));
        run(
            2,
            |emit| {
                for i in 0..100u64 {
                    emit(i, size);
                }
            },
            |i: u64, sink: &dyn Sink<u64>| {
                started.fetch_add(1, Ordering::SeqCst);
                if i == 0 {
                    // Wait for the other worker to start (on a loaded
                    // machine a fixed sleep alone was not always enough),
                    // then give it time to run as far ahead as it may.
                    let waited = std::time::Instant::now();
                    while started.load(Ordering::SeqCst) < 2
                        && waited.elapsed() < Duration::from_secs(20)
                    {
                        thread::sleep(Duration::from_millis(5));
                    }
                    thread::sleep(Duration::from_millis(300));
                    *at_slow_end.lock().unwrap() = (
                        started.load(Ordering::SeqCst),
                        outstanding.load(Ordering::SeqCst),
                    );
                }
                for _ in 0..out {
                    outstanding.fetch_add(len, Ordering::SeqCst);
                    sink.send(Msg::Out(vec![0; len]));
                }
                sink.send(Msg::Done(i));
            },
            |msg| {
                if let Msg::Out(b) = msg {
                    outstanding.fetch_sub(b.len(), Ordering::SeqCst);
                }
                true
            },
        );
        at_slow_end.into_inner().unwrap()
    }

    #[test]
    fn batches_ahead_of_the_turn_are_bounded() {
        // With little output, the other worker may start at most a window
        // of batches while job 0 holds the turn.
        let (started, _) = run_behind_a_slow_job(None, 1, 100);
        let window = 2 * WINDOW_PER_THREAD as usize;
        assert!(started >= 2, "the second worker did not run");
        assert!(started <= window, "{started} jobs started");
        // With much output, it parks a bounded amount and then waits.
        let (started, outstanding) = run_behind_a_slow_job(None, 16, FLUSH_BYTES);
        assert!(started >= 2, "the second worker did not run");
        assert!(
            outstanding <= PARK_BYTES + FLUSH_BYTES,
            "{outstanding} bytes parked"
        );
        // So does a batch of several jobs, which holds its output itself
        // while the turn is not its own.
        let (started, outstanding) = run_behind_a_slow_job(Some(100), 16, FLUSH_BYTES);
        assert!(started >= 2, "the second worker did not run");
        assert!(
            outstanding <= PARK_BYTES + FLUSH_BYTES,
            "{outstanding} bytes held and parked"
        );
    }

    #[test]
    fn a_batch_with_the_turn_hands_over_its_output_as_it_goes() {
        // The three jobs are one batch, which has the turn: job 0's
        // output, a flush's worth, goes to the caller while job 1 runs.
        let got = run_waiting_for_output([Some(100); 3], FLUSH_BYTES, 0);
        assert_eq!(got.len(), 6, "{got:?}");
        assert_eq!(got[0], format!("out {FLUSH_BYTES} 0"));
    }

    #[test]
    fn a_batch_without_the_turn_holds_its_output_until_it_has_it() {
        let log = Mutex::new(Vec::new());
        let shared = Shared::new(|msg: Msg<u64>| {
            log.lock().unwrap().push(describe(&msg));
            true
        });
        let turn = |seq| Turn {
            shared: &shared,
            seq,
            jobs: 2,
            held: RefCell::default(),
        };
        let (first, second) = (turn(0), turn(1));
        second.send(Msg::Out(vec![1; FLUSH_BYTES]));
        assert!(shared.lock().parked.is_empty(), "parked, not held");
        first.send(Msg::Out(vec![0; FLUSH_BYTES]));
        assert_eq!(*log.lock().unwrap(), [format!("out {FLUSH_BYTES} 0")]);
        // The first batch ends; the second has the turn, and hands over
        // what it holds with its next message.
        drop(first);
        second.send(Msg::Out(vec![2; 10]));
        assert_eq!(
            *log.lock().unwrap(),
            [
                format!("out {FLUSH_BYTES} 0"),
                format!("out {} 1", FLUSH_BYTES + 10)
            ]
        );
        drop(second);
        assert_eq!(shared.next.load(Ordering::Relaxed), 2);
    }

    /// Runs 200 jobs of unknown size on two threads, in a thread of its
    /// own, each as `work(caller, job, sink)` (`caller`: the thread that
    /// calls `run`): the run must end with a job's panic, within 30 s.
    fn assert_run_ends_with_panic(work: fn(thread::ThreadId, u64, &dyn Sink<u64>)) {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let caller = thread::current().id();
            let result = std::panic::catch_unwind(|| {
                run(
                    2,
                    |emit| {
                        for i in 0..200u64 {
                            if !emit(i, None) {
                                break;
                            }
                        }
                    },
                    |i: u64, sink: &dyn Sink<u64>| work(caller, i, sink),
                    |_| true,
                )
            });
            let _ = done_tx.send(result.is_err());
        });
        match done_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(panicked) => assert!(panicked, "the job's panic was lost"),
            Err(_) => panic!("the run hung after a job panicked"),
        }
    }

    #[test]
    fn a_panicking_job_ends_the_run_with_its_panic() {
        // The other workers must not wait for the failed batch's turn.
        assert_run_ends_with_panic(|_, i, sink| {
            if i == 3 {
                panic!("job 3 fails");
            }
            sink.send(Msg::Out(vec![0; 10]));
            sink.send(Msg::Done(i));
        });
    }

    /// The same when the caller runs the job that panics: the workers
    /// waiting for batches must end, or the scope waits for them forever.
    #[test]
    fn a_job_that_panics_on_the_caller_ends_the_run() {
        assert_run_ends_with_panic(|caller, i, sink| {
            // Slow jobs fill the queue, so the caller runs some.
            std::thread::sleep(Duration::from_millis(1));
            if thread::current().id() == caller {
                panic!("a job on the caller fails");
            }
            sink.send(Msg::Done(i));
        });
    }

    #[test]
    fn one_thread_runs_everything_on_the_caller() {
        let caller = thread::current().id();
        let mut got = Vec::new();
        run(
            1,
            |emit| {
                for i in 0..50u64 {
                    assert_eq!(thread::current().id(), caller);
                    emit(i, size_of_job(i));
                }
            },
            |i: u64, sink: &dyn Sink<u64>| {
                assert_eq!(thread::current().id(), caller);
                sink.send(Msg::Done(i));
            },
            |msg| {
                got.push(describe(&msg));
                true
            },
        );
        let want: Vec<String> = (0..50).map(|i| format!("done {i}")).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn workers_take_the_other_cpus_in_turn() {
        let cpus = Cpus {
            // SAFETY: a zeroed `cpu_set_t` is an empty set.
            #[cfg(target_os = "linux")]
            allowed: unsafe { std::mem::zeroed() },
            others: vec![0, 2, 3],
        };
        let got: Vec<_> = (1..=5).map(|i| cpus.target(i)).collect();
        assert_eq!(got, [Some(0), Some(2), Some(3), Some(0), Some(2)]);
        let none = Cpus {
            // SAFETY: as above.
            #[cfg(target_os = "linux")]
            allowed: unsafe { std::mem::zeroed() },
            others: Vec::new(),
        };
        assert_eq!(none.target(1), None);
        assert_eq!(none.move_worker(1), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_worker_moves_to_a_cpu_of_its_own_and_keeps_every_cpu_allowed() {
        fn allowed() -> Vec<usize> {
            // SAFETY: as in `Cpus::here`.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                let size = std::mem::size_of::<libc::cpu_set_t>();
                assert_eq!(libc::sched_getaffinity(0, size, &mut set), 0);
                (0..libc::CPU_SETSIZE as usize)
                    .filter(|&c| libc::CPU_ISSET(c, &set))
                    .collect()
            }
        }
        let cpus = Cpus::here();
        if cpus.others.is_empty() {
            eprintln!("skipped: this process may use one CPU only, nowhere to move a worker");
            return;
        }
        let before = allowed();
        let (ran_on, after) =
            thread::scope(|s| s.spawn(|| (cpus.move_worker(1), allowed())).join().unwrap());
        // It ran on the first CPU other than the caller's, and may run on
        // every allowed CPU again.
        assert_eq!(ran_on, Some(cpus.others[0]));
        assert_eq!(after, before);
    }
}
