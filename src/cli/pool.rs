//! An ordered worker pool: one producer thread makes jobs, N workers run
//! them, and the calling thread receives each job's messages in job order.
//! So output and messages are the same for any number of threads.
//!
//! Jobs travel in batches. Handing a job from thread to thread costs
//! wake-ups and context switches (the producer's, a worker's, the
//! caller's): with one job a file, a run over 11,648 files of 3 KB made
//! about 7 context switches a file, and the producer and the caller took
//! 14% of the CPU samples between them, so a second worker gained much
//! less than a second process would. So consecutive small jobs (of a known
//! size up to [`SMALL_JOB`] bytes) go to one worker together, up to
//! [`BATCH_JOBS`] of them and [`BATCH_BYTES`] of input; the worker runs them
//! one after the other and holds their messages, sending them in a few
//! large deliveries. A job of unknown or larger size (a big file, stdin, a
//! pipe) is a batch of its own, and its messages are sent as they come, so
//! it streams as before.
//!
//! Each batch gets its own bounded channel, and at most a fixed window of
//! batches is in flight, so memory stays bounded however large the inputs:
//! a worker whose output is not yet wanted blocks. A delivery holds one
//! message, or held messages of at most [`FLUSH_BYTES`] plus the last one.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
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

/// Deliveries per batch that may wait in its channel.
const JOB_CHANNEL: usize = 8;

/// Jobs up to this size (bytes of input) may share a batch.
pub const SMALL_JOB: u64 = 64 << 10;

/// Most jobs in one batch.
pub const BATCH_JOBS: usize = 32;

/// Most bytes of input in one batch of several jobs.
pub const BATCH_BYTES: u64 = 256 << 10;

/// A batch of several jobs sends its held messages once they hold this
/// many bytes, and when it ends.
const FLUSH_BYTES: usize = 64 << 10;

/// A job's way back to the caller. Messages of a batch of several jobs are
/// held and sent together; those of a job alone are sent at once.
pub struct Sink<D> {
    tx: SyncSender<Vec<Msg<D>>>,
    /// Whether messages are held (the batch has several jobs).
    holds: bool,
    held: RefCell<(Vec<Msg<D>>, usize)>,
}

impl<D> Sink<D> {
    /// Sends a message; false when the caller stopped listening (for a
    /// held message, once it is sent).
    pub fn send(&self, msg: Msg<D>) -> bool {
        if !self.holds {
            return self.tx.send(vec![msg]).is_ok();
        }
        let full = {
            let mut held = self.held.borrow_mut();
            held.1 += msg.size();
            held.0.push(msg);
            held.1 >= FLUSH_BYTES
        };
        !full || self.flush()
    }

    /// Sends what is held; false when the caller stopped listening.
    fn flush(&self) -> bool {
        let (msgs, _) = std::mem::take(&mut *self.held.borrow_mut());
        msgs.is_empty() || self.tx.send(msgs).is_ok()
    }
}

/// Jobs for one worker, with the way back for their messages.
struct Batch<T, D> {
    jobs: Vec<T>,
    sink: Sink<D>,
}

/// Runs `produce` on its own thread, `work` on `threads` threads, and
/// `consume` on this one, for each message in job order. `produce` emits
/// each job with its size in bytes if known (`None` for unknown or
/// unbounded, such as a pipe). `consume` returns false to stop the run: no
/// new jobs are started, and running ones see their sends fail.
pub fn run<T, D, P, W, C>(threads: usize, produce: P, work: W, mut consume: C)
where
    T: Send,
    D: Send,
    P: FnOnce(&mut dyn FnMut(T, Option<u64>) -> bool) + Send,
    W: Fn(T, &Sink<D>) + Sync,
    C: FnMut(Msg<D>) -> bool,
{
    let threads = threads.max(1);
    let stop = Arc::new(AtomicBool::new(false));
    // The window: batches handed out and not yet consumed. The producer
    // may fill all of it with batches not yet started, so that workers
    // have work while it waits for the disk or the scheduler.
    let window = threads * 4;
    let (job_tx, job_rx) = sync_channel::<Batch<T, D>>(window);
    let (order_tx, order_rx) = sync_channel::<Receiver<Vec<Msg<D>>>>(window);
    let job_rx = Mutex::new(job_rx);
    thread::scope(|s| {
        let producer_stop = Arc::clone(&stop);
        s.spawn(move || {
            let send = |jobs: Vec<T>| {
                let (tx, rx) = sync_channel(JOB_CHANNEL);
                let sink = Sink {
                    tx,
                    holds: jobs.len() > 1,
                    held: RefCell::default(),
                };
                // The receiver goes first: batches are taken in order, so
                // the one the caller waits for is always running or next.
                order_tx.send(rx).is_ok() && job_tx.send(Batch { jobs, sink }).is_ok()
            };
            let mut pending: Vec<T> = Vec::new();
            let mut pending_bytes = 0;
            let mut go = true;
            produce(&mut |job, size| {
                if producer_stop.load(Ordering::Relaxed) {
                    go = false;
                    return false;
                }
                let small = size.filter(|&n| n <= SMALL_JOB);
                let fits = small.is_some_and(|n| {
                    pending.len() < BATCH_JOBS && pending_bytes + n <= BATCH_BYTES
                });
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
            if go && !pending.is_empty() {
                send(pending);
            }
        });
        for _ in 0..threads {
            let job_rx = &job_rx;
            let work = &work;
            let stop = &stop;
            s.spawn(move || {
                loop {
                    // A poisoned lock means another worker panicked; the
                    // queue itself is still sound.
                    let next = job_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(Batch { jobs, sink }) = next else {
                        break;
                    };
                    for job in jobs {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        work(job, &sink);
                    }
                    sink.flush();
                }
            });
        }
        'jobs: for rx in order_rx.iter() {
            for msgs in rx.iter() {
                for msg in msgs {
                    if !consume(msg) {
                        stop.store(true, Ordering::Relaxed);
                        break 'jobs;
                    }
                }
            }
        }
        // Dropping the receivers unblocks every sender.
        drop(order_rx);
    });
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

    #[test]
    fn order_is_kept_for_any_thread_count() {
        let want: Vec<String> = (0..300).flat_map(messages).map(|m| describe(&m)).collect();
        for threads in [1, 2, 3, 8] {
            let mut got = Vec::new();
            run(
                threads,
                |emit| {
                    for i in 0..300u64 {
                        if !emit(i, size_of_job(i)) {
                            break;
                        }
                    }
                },
                |i: u64, sink: &Sink<u64>| {
                    if i.is_multiple_of(7) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    for msg in messages(i) {
                        sink.send(msg);
                    }
                },
                |msg| {
                    got.push(describe(&msg));
                    true
                },
            );
            assert!(got == want, "threads {threads}");
        }
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
            |i: u64, sink: &Sink<u64>| {
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
    fn a_job_alone_streams_its_messages() {
        // The job waits until the caller has its first output: were that
        // held back until the job ends, this would time out.
        let (seen_tx, seen_rx) = std::sync::mpsc::channel();
        let seen_rx = Mutex::new(seen_rx);
        let mut got = Vec::new();
        run(
            2,
            |emit| {
                emit(0u64, Some(1));
                emit(1, None);
                emit(2, Some(1));
            },
            |i: u64, sink: &Sink<u64>| {
                sink.send(Msg::Out(vec![i as u8]));
                if i == 1 {
                    let seen = seen_rx.lock().unwrap();
                    loop {
                        match seen.recv_timeout(Duration::from_secs(20)) {
                            Ok(1) => break,
                            Ok(_) => {}
                            Err(_) => panic!("output of a streaming job was held"),
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
        assert_eq!(
            got,
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
                |i: u64, sink: &Sink<u64>| {
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
}
