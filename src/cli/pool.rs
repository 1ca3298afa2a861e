//! An ordered worker pool: one producer thread makes jobs, N workers run
//! them, and the calling thread receives each job's messages in job order.
//! So output and messages are the same for any number of threads.
//!
//! Each job gets its own bounded channel, and at most a fixed window of jobs
//! is in flight, so memory stays bounded however large the inputs: a worker
//! whose output is not yet wanted blocks.

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

/// Messages per job that may wait in its channel.
const JOB_CHANNEL: usize = 8;

/// A job's way back to the caller.
pub struct Sink<D> {
    tx: SyncSender<Msg<D>>,
}

impl<D> Sink<D> {
    /// Sends a message; false when the caller stopped listening.
    pub fn send(&self, msg: Msg<D>) -> bool {
        self.tx.send(msg).is_ok()
    }
}

/// Runs `produce` on its own thread, `work` on `threads` threads, and
/// `consume` on this one, for each message in job order. `consume` returns
/// false to stop the run: no new jobs are started, and running ones see
/// their sends fail.
pub fn run<T, D, P, W, C>(threads: usize, produce: P, work: W, mut consume: C)
where
    T: Send,
    D: Send,
    P: FnOnce(&mut dyn FnMut(T) -> bool) + Send,
    W: Fn(T, &Sink<D>) + Sync,
    C: FnMut(Msg<D>) -> bool,
{
    let threads = threads.max(1);
    let stop = Arc::new(AtomicBool::new(false));
    let (job_tx, job_rx) = sync_channel::<(T, Sink<D>)>(threads * 2);
    let (order_tx, order_rx) = sync_channel::<Receiver<Msg<D>>>(threads * 4);
    let job_rx = Mutex::new(job_rx);
    thread::scope(|s| {
        let producer_stop = Arc::clone(&stop);
        s.spawn(move || {
            produce(&mut |item| {
                if producer_stop.load(Ordering::Relaxed) {
                    return false;
                }
                let (tx, rx) = sync_channel(JOB_CHANNEL);
                let sink = Sink { tx };
                // The receiver goes first: jobs are taken in order, so the
                // job the caller waits for is always running or next.
                order_tx.send(rx).is_ok() && job_tx.send((item, sink)).is_ok()
            });
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
                    let Ok((item, sink)) = next else { break };
                    if stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    work(item, &sink);
                }
            });
        }
        'jobs: for rx in order_rx.iter() {
            for msg in rx.iter() {
                if !consume(msg) {
                    stop.store(true, Ordering::Relaxed);
                    break 'jobs;
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

    #[test]
    fn order_is_kept_for_any_thread_count() {
        for threads in [1, 2, 3, 8] {
            let mut got = Vec::new();
            run(
                threads,
                |emit| {
                    for i in 0..200u64 {
                        if !emit(i) {
                            break;
                        }
                    }
                },
                |i: u64, sink: &Sink<u64>| {
                    if i.is_multiple_of(7) {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    for k in 0..(i % 20) {
                        sink.send(Msg::Out(vec![k as u8]));
                    }
                    sink.send(Msg::Done(i));
                },
                |msg| {
                    if let Msg::Done(i) = msg {
                        got.push(i);
                    }
                    true
                },
            );
            assert_eq!(got, (0..200).collect::<Vec<_>>(), "threads {threads}");
        }
    }

    #[test]
    fn stopping_ends_the_run() {
        let mut seen = 0;
        run(
            2,
            |emit| {
                for i in 0..1_000_000u64 {
                    if !emit(i) {
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
