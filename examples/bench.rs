//! Measures spladerunner on a model: load time, documents per second, single-query latency, peak memory, and
//! how well two threads share one expander.
//!
//! ```text
//! cargo run --release --example bench -- [--model DIR] [--job all|docs|queries|concurrency|soak|lifecycle|open]
//!     [--docs FILE] [--queries FILE] [--threads N] [--batch N] [--max-length N] [--query-max-length N]
//!     [--calls N] [--token-budget N] [--json]          (--help describes each)
//! ```
//! - `docs`: every line of `--docs` (default `../shared/data/bench/paragraphs.txt`), in batches of `--batch`
//!   (32) at `--max-length` (256); reports docs/s and the peak RSS of the process so far.
//! - `queries`: one line of `--queries` (default `../shared/data/bench/queries.txt`) per call at
//!   `--query-max-length` (64): 20 warm-up calls, then `--calls` (200) timed calls; reports p50 and p99.
//! - `concurrency`: queries with one intra-op thread on an expander with `sessions` 2, `--calls` per thread
//!   from one thread, then from two, in [`ROUNDS`] rounds; reports the median queries/s of each and their
//!   ratio.
//! - `soak` (not in `all`): `--soak-calls` (100,000) single-query calls on one expander, the queries in turn;
//!   reports the RSS after the first 1,000 calls, at the end, its largest sample (one every 1,000 calls) and the
//!   growth from the first to the last, so that memory that leaks per call shows.
//! - `lifecycle` (not in `all`): `--cycles` (1,000) expanders opened, used for one query and freed, one after
//!   the other; reports the RSS after the first 10 cycles and at the end, and the time of a cycle.
//! - `open` (not in `all`): what opening an expander at `--threads` costs: the time of `Expander::new` and the
//!   RSS it adds, for the process's first expander (which also loads ONNX Runtime) and for a second one opened
//!   beside it; then the time and RSS of the second one's first query.
//!
//! `--threads` sets `Options::intra_op_threads` (default: one per core) for `docs` and `queries`: ONNX Runtime's
//! intra-op threads, or with the library's decoder the threads that decode and run calls side by side. With
//! `--json` each job prints one JSON object per line instead of text, for `tools/compare.py`.

use std::time::Instant;

use clap::{Parser, ValueEnum};
use spladerunner::{Expander, Options};

/// The benchmark's command line (`--help` lists it).
#[derive(Parser)]
#[command(
    about = "Measures spladerunner on a model: load time, documents/s, query latency, peak memory"
)]
struct Args {
    /// The model directory [default: the set-up's .cache/models/splade-tiny].
    #[arg(long)]
    model: Option<String>,
    /// Which measurement to run.
    #[arg(long, value_enum, default_value_t = Job::All)]
    job: Job,
    /// Documents, one per line [default: ../shared/data/bench/paragraphs.txt].
    #[arg(long)]
    docs: Option<String>,
    /// Queries, one per line [default: ../shared/data/bench/queries.txt].
    #[arg(long)]
    queries: Option<String>,
    /// `Options::intra_op_threads` for `docs` and `queries` [default: one per core].
    #[arg(long)]
    threads: Option<usize>,
    /// Documents per `expand_batch` call.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Tokens per document.
    #[arg(long, default_value_t = 256)]
    max_length: usize,
    /// Tokens per query.
    #[arg(long, default_value_t = 64)]
    query_max_length: usize,
    /// Timed calls of the `queries` job (and of each thread of `concurrency`, at least 200).
    #[arg(long, default_value_t = 200)]
    calls: usize,
    /// Calls of the `soak` job.
    #[arg(long, default_value_t = 100_000)]
    soak_calls: usize,
    /// Open-use-free cycles of the `lifecycle` job.
    #[arg(long, default_value_t = 1_000)]
    cycles: usize,
    /// `Options::token_budget` [default: the library's].
    #[arg(long)]
    token_budget: Option<usize>,
    /// One JSON object per job and line instead of text, for `tools/compare.py`.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Job {
    All,
    Docs,
    Queries,
    Concurrency,
    Soak,
    Lifecycle,
    Open,
}

impl Args {
    fn model(&self) -> String {
        self.model
            .clone()
            .unwrap_or_else(|| format!("{}/.cache/models/splade-tiny", env!("CARGO_MANIFEST_DIR")))
    }
}

/// `given`, else the file `name` of the shared benchmark texts: under `$SPLADERUNNER_SHARED/data/bench`, by
/// default `../shared/data/bench` beside the repository.
fn bench_file(given: &Option<String>, name: &str) -> String {
    given.clone().unwrap_or_else(|| {
        let shared = std::env::var("SPLADERUNNER_SHARED")
            .unwrap_or_else(|_| format!("{}/../shared", env!("CARGO_MANIFEST_DIR")));
        format!("{shared}/data/bench/{name}")
    })
}

fn lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(str::to_string)
        .collect()
}

/// The process's peak resident set size in MB (VmHWM).
fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// The process's resident set size now, in MB (VmRSS).
fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// A `kB` field of `/proc/self/status`, in MB.
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn open(
    args: &Args,
    max_length: usize,
    threads: Option<usize>,
    sessions: usize,
) -> (Expander, f64) {
    let mut options = Options::default()
        .with_max_length(max_length)
        .with_sessions(sessions);
    if let Some(n) = threads {
        options = options.with_intra_op_threads(n);
    }
    if let Some(n) = args.token_budget {
        options = options.with_token_budget(n);
    }
    let start = Instant::now();
    let expander =
        Expander::new(args.model(), options).unwrap_or_else(|e| panic!("{}: {e}", args.model()));
    (expander, start.elapsed().as_secs_f64())
}

fn docs_job(args: &Args) {
    let docs = lines(&bench_file(&args.docs, "paragraphs.txt"));
    let (expander, load_s) = open(args, args.max_length, args.threads, 1);
    let start = Instant::now();
    let mut terms = 0usize;
    for chunk in docs.chunks(args.batch) {
        terms += expander
            .expand_batch(chunk)
            .expect("expands")
            .iter()
            .map(|v| v.len())
            .sum::<usize>();
    }
    let seconds = start.elapsed().as_secs_f64();
    let docs_per_s = docs.len() as f64 / seconds;
    let rss = peak_rss_mb();
    if args.json {
        println!(
            "{{\"job\":\"docs\",\"docs\":{},\"seconds\":{seconds:.4},\"docs_per_s\":{docs_per_s:.3},\
             \"peak_rss_mb\":{rss:.1},\"load_s\":{load_s:.4}}}",
            docs.len()
        );
    } else {
        println!("model            {}", args.model());
        println!("load             {load_s:.3} s");
        println!(
            "documents        {} in {seconds:.2} s = {docs_per_s:.1} docs/s (batch {}, max_length {}, {:.1} terms/doc)",
            docs.len(),
            args.batch,
            args.max_length,
            terms as f64 / docs.len() as f64
        );
        println!("peak RSS         {rss:.0} MB");
    }
}

/// Expands `count` queries one per call, cycling through `queries` from `offset`; returns each call's ms.
fn query_latencies(
    expander: &Expander,
    queries: &[String],
    offset: usize,
    count: usize,
) -> Vec<f64> {
    (0..count)
        .map(|i| {
            let query = &queries[(offset + i) % queries.len()];
            let start = Instant::now();
            expander.expand(query).expect("expands");
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}

fn queries_job(args: &Args) {
    let queries = lines(&bench_file(&args.queries, "queries.txt"));
    let (expander, _) = open(args, args.query_max_length, args.threads, 1);
    query_latencies(&expander, &queries, 0, 20);
    let mut latencies = query_latencies(&expander, &queries, 20, args.calls);
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        let rank = (latencies.len() as f64 * p).ceil() as usize;
        latencies[rank.clamp(1, latencies.len()) - 1]
    };
    let (p50, p99) = (percentile(0.50), percentile(0.99));
    if args.json {
        println!(
            "{{\"job\":\"queries\",\"calls\":{},\"p50_ms\":{p50:.4},\"p99_ms\":{p99:.4}}}",
            latencies.len()
        );
    } else {
        println!(
            "queries          p50 {p50:.2} ms, p99 {p99:.2} ms ({} calls, max_length {})",
            latencies.len(),
            args.query_max_length
        );
    }
}

/// Rounds of the concurrency job, one caller then two in each: a splade-tiny round takes well under a second,
/// and a single one moved with the machine (the one-caller half of a run at 2,359 queries/s where four others
/// gave 2,148-2,248).
const ROUNDS: usize = 5;

/// The median of `values`.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn concurrency_job(args: &Args) {
    let queries = lines(&bench_file(&args.queries, "queries.txt"));
    let (expander, _) = open(args, args.query_max_length, Some(1), 2);
    let calls = args.calls.max(200);
    // Queries/s of `callers` threads, `calls` each.
    let run = |callers: usize, calls: usize| {
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..callers {
                let (expander, queries) = (&expander, &queries);
                s.spawn(move || query_latencies(expander, queries, t * calls, calls));
            }
        });
        (callers * calls) as f64 / start.elapsed().as_secs_f64()
    };
    // Warm both sessions.
    run(2, 20);
    let (ones, twos): (Vec<f64>, Vec<f64>) =
        (0..ROUNDS).map(|_| (run(1, calls), run(2, calls))).unzip();
    let (one, two) = (median(ones), median(twos));
    if args.json {
        println!(
            "{{\"job\":\"concurrency\",\"one_thread_qps\":{one:.2},\"two_threads_qps\":{two:.2},\"ratio\":{:.4}}}",
            two / one
        );
    } else {
        println!(
            "concurrency      1 intra-op thread: 1 caller {one:.0} q/s, 2 callers {two:.0} q/s ({:.2}x)",
            two / one
        );
    }
}

fn main() {
    let args = Args::parse();
    match args.job {
        Job::Docs => docs_job(&args),
        Job::Queries => queries_job(&args),
        Job::Concurrency => concurrency_job(&args),
        Job::Soak => soak_job(&args),
        Job::Lifecycle => lifecycle_job(&args),
        Job::Open => open_job(&args),
        Job::All => {
            docs_job(&args);
            queries_job(&args);
            concurrency_job(&args);
        }
    }
}

/// Many single-query calls on one expander, RSS sampled every 1,000 calls.
fn soak_job(args: &Args) {
    let queries = lines(&bench_file(&args.queries, "queries.txt"));
    let (expander, _) = open(args, args.query_max_length, args.threads, 1);
    let start = Instant::now();
    let mut samples = Vec::new();
    for call in 0..args.soak_calls {
        expander
            .expand(&queries[call % queries.len()])
            .expect("expands");
        if (call + 1) % 1000 == 0 {
            samples.push(rss_mb());
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let first = samples.first().copied().unwrap_or_else(rss_mb);
    let last = samples.last().copied().unwrap_or_else(rss_mb);
    let largest = samples.iter().copied().fold(first, f64::max);
    let growth = 100.0 * (last - first) / first;
    if args.json {
        println!(
            "{{\"job\":\"soak\",\"calls\":{},\"seconds\":{seconds:.2},\"rss_first_mb\":{first:.1},\
             \"rss_last_mb\":{last:.1},\"rss_largest_mb\":{largest:.1},\"growth_percent\":{growth:.2}}}",
            args.soak_calls
        );
    } else {
        println!(
            "soak             {} calls in {seconds:.1} s: RSS {first:.1} MB after 1,000, {last:.1} MB at the end \
             ({growth:+.2}%), largest sample {largest:.1} MB",
            args.soak_calls
        );
    }
}

/// Expanders opened, used once and freed in turn, RSS sampled after each cycle.
fn lifecycle_job(args: &Args) {
    let queries = lines(&bench_file(&args.queries, "queries.txt"));
    let start = Instant::now();
    let mut samples = Vec::new();
    for cycle in 0..args.cycles {
        let (expander, _) = open(args, args.query_max_length, args.threads, 1);
        expander
            .expand(&queries[cycle % queries.len()])
            .expect("expands");
        drop(expander);
        samples.push(rss_mb());
    }
    let seconds = start.elapsed().as_secs_f64();
    let after_ten = samples
        .get(9.min(samples.len().saturating_sub(1)))
        .copied()
        .unwrap_or_else(rss_mb);
    let last = samples.last().copied().unwrap_or_else(rss_mb);
    let largest = samples.iter().copied().fold(after_ten, f64::max);
    let per_cycle_ms = 1000.0 * seconds / args.cycles.max(1) as f64;
    if args.json {
        println!(
            "{{\"job\":\"lifecycle\",\"cycles\":{},\"cycle_ms\":{per_cycle_ms:.1},\
             \"rss_after_10_mb\":{after_ten:.1},\"rss_last_mb\":{last:.1},\"rss_largest_mb\":{largest:.1}}}",
            args.cycles
        );
    } else {
        println!(
            "lifecycle        {} open-use-free cycles, {per_cycle_ms:.1} ms each: RSS {after_ten:.1} MB after 10, \
             {last:.1} MB at the end, largest {largest:.1} MB",
            args.cycles
        );
    }
}

/// Two expanders opened one beside the other, each `new` timed and the RSS it adds measured, then one query.
fn open_job(args: &Args) {
    let query = lines(&bench_file(&args.queries, "queries.txt")).remove(0);
    let before = rss_mb();
    let (first, first_s) = open(args, args.query_max_length, args.threads, 1);
    let after_first = rss_mb();
    let (second, second_s) = open(args, args.query_max_length, args.threads, 1);
    let after_second = rss_mb();
    let start = Instant::now();
    second.expand(&query).expect("expands");
    let query_s = start.elapsed().as_secs_f64();
    let after_query = rss_mb();
    let threads = args
        .threads
        .map_or("default".to_string(), |n| n.to_string());
    let (first_mb, second_mb, query_mb) = (
        after_first - before,
        after_second - after_first,
        after_query - after_second,
    );
    if args.json {
        println!(
            "{{\"job\":\"open\",\"threads\":\"{threads}\",\"first_open_s\":{first_s:.4},\
             \"first_rss_added_mb\":{first_mb:.1},\"open_s\":{second_s:.4},\"rss_added_mb\":{second_mb:.1},\
             \"first_query_s\":{query_s:.4},\"first_query_rss_added_mb\":{query_mb:.1}}}"
        );
    } else {
        println!(
            "open             threads {threads}: first expander {first_s:.3} s, +{first_mb:.1} MB; \
             second {second_s:.3} s, +{second_mb:.1} MB; its first query {:.2} ms, +{query_mb:.1} MB",
            1000.0 * query_s
        );
    }
    drop((first, second));
}
