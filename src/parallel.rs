//! A parallel map: the jobs of one expander call (tokenizing chunks of a batch, its inference calls) run on
//! several threads, their results in job order.
//!
//! With the library's decoder, one inference call of a small model is too little work to share between cores:
//! ONNX Runtime's intra-op threads and the decoder's threads spend much of it waking each other. Giving each
//! thread whole calls (a single-threaded session, its own decoding) keeps every core busy instead.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// Runs `job(k)` for every `k` in `0..count` on up to `workers` threads; each thread takes the next `k` until
/// none is left, so long and short jobs even out. With one thread (one worker or one job) that is the calling
/// thread; otherwise the threads are spawned for this call and the caller waits: the bindings call from threads
/// that change between calls (libuv's pool in Node, goroutines in Go), and a binding's calling thread taken as one
/// of the workers made its batches measurably slower than the core's (BENCHMARKS.md, levers tried).
///
/// Returns the results in `k` order, or the error of the first job in `k` order that failed, as a run on one
/// thread would (the threads stop taking jobs after an error; every job before the failed one was taken already
/// and runs to its end). A panic in a thread is resumed in the caller.
pub(crate) fn map<R: Send>(
    count: usize,
    workers: usize,
    job: impl Fn(usize) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    // A thread's results, and the job it failed at with its error.
    type Part<R> = (Vec<(usize, R)>, Option<(usize, Error)>);
    let work = || -> Part<R> {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::SeqCst);
            if k >= count {
                return (done, None);
            }
            match job(k) {
                Ok(result) => done.push((k, result)),
                Err(error) => {
                    next.store(count, Ordering::SeqCst);
                    return (done, Some((k, error)));
                }
            }
        }
    };
    let parts: Vec<Part<R>> = std::thread::scope(|scope| {
        let workers = workers.clamp(1, count.max(1));
        if workers == 1 {
            return vec![work()];
        }
        let threads: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
        (threads.into_iter())
            .map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut results: Vec<Option<R>> = (0..count).map(|_| None).collect();
    let mut first_error: Option<(usize, Error)> = None;
    for (done, error) in parts {
        for (k, result) in done {
            results[k] = Some(result);
        }
        if let Some((k, error)) = error {
            if first_error.as_ref().is_none_or(|(first, _)| k < *first) {
                first_error = Some((k, error));
            }
        }
    }
    if let Some((_, error)) = first_error {
        return Err(error);
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every job ran: no thread stopped without an error"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;
    use std::sync::Mutex;
    use std::thread::ThreadId;

    #[test]
    fn results_come_back_in_job_order_whatever_the_thread_count() {
        for workers in [1, 2, 3, 8] {
            for count in [0, 1, 2, 5, 40] {
                let got = map(count, workers, |k| Ok(k * k)).unwrap();
                assert_eq!(got, (0..count).map(|k| k * k).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn jobs_run_on_two_spawned_threads() {
        let threads = Mutex::new(Vec::<ThreadId>::new());
        map(64, 2, |k| {
            let me = std::thread::current().id();
            threads.lock().unwrap().push(me);
            if k == 0 {
                // The first job holds its thread until another thread has taken a job (10 s at most, so
                // that a lone thread makes the test fail rather than hang), however late that one starts.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while !threads.lock().unwrap().iter().any(|&id| id != me)
                    && std::time::Instant::now() < deadline
                {
                    std::thread::yield_now();
                }
            }
            Ok(k)
        })
        .unwrap();
        let mut ids = threads.into_inner().unwrap();
        ids.sort_by_key(|id| format!("{id:?}"));
        ids.dedup();
        assert_eq!(ids.len(), 2);
        assert!(!ids.contains(&std::thread::current().id()));
    }

    #[test]
    fn one_worker_or_one_job_runs_on_the_calling_thread() {
        let caller = std::thread::current().id();
        for (count, workers) in [(5, 1), (1, 4)] {
            let got = map(count, workers, |_| Ok(std::thread::current().id()));
            assert!(got.unwrap().iter().all(|&id| id == caller));
        }
    }

    #[test]
    fn the_first_failed_job_in_order_is_the_error() {
        for _ in 0..50 {
            let got = map(100, 2, |k| match k {
                3 | 4 => Err(Error::new(Status::Inference, format!("job {k} failed"))),
                _ => Ok(k),
            });
            assert_eq!(got.unwrap_err().message(), "job 3 failed");
        }
    }

    #[test]
    fn an_error_is_returned_and_stops_the_jobs_after_it() {
        for workers in [1, 2] {
            let ran = AtomicUsize::new(0);
            let got = map(1000, workers, |k| {
                ran.fetch_add(1, Ordering::SeqCst);
                match k {
                    3 => Err(Error::new(Status::Inference, "job 3 failed")),
                    _ => Ok(k),
                }
            });
            assert_eq!(got.unwrap_err().message(), "job 3 failed");
            if workers == 1 {
                assert_eq!(
                    ran.load(Ordering::SeqCst),
                    4,
                    "one thread stops right after job 3"
                );
            }
        }
    }
}
