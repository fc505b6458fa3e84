//! Measures spladerunner on a model: load time, documents per second, single-query latency, peak memory.
//!
//! ```text
//! cargo run --release --example bench -- [--model DIR] [--docs FILE] [--queries FILE] [--threads N]
//!     [--batch N] [--max-length N] [--query-max-length N] [--calls N]
//! ```
//! Defaults: splade-tiny, `../shared/data/bench/{paragraphs,queries}.txt` (one text per line), ONNX Runtime's
//! default thread count, batches of 32 documents at max_length 256, then one query per call at max_length 64
//! (20 warm-up calls, then `--calls` timed calls, 200 by default, cycling through the queries).

use std::time::Instant;

use spladerunner::{Expander, Options};

struct Args {
    model: String,
    docs: String,
    queries: String,
    threads: Option<usize>,
    batch: usize,
    max_length: usize,
    query_max_length: usize,
    calls: usize,
}

fn parse_args() -> Args {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut args = Args {
        model: format!("{root}/.cache/models/splade-tiny"),
        docs: format!("{root}/../shared/data/bench/paragraphs.txt"),
        queries: format!("{root}/../shared/data/bench/queries.txt"),
        threads: None,
        batch: 32,
        max_length: 256,
        query_max_length: 64,
        calls: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        let number = || {
            value
                .parse::<usize>()
                .unwrap_or_else(|_| panic!("{flag} needs a number"))
        };
        match flag.as_str() {
            "--model" => args.model = value.clone(),
            "--docs" => args.docs = value.clone(),
            "--queries" => args.queries = value.clone(),
            "--threads" => args.threads = Some(number()),
            "--batch" => args.batch = number(),
            "--max-length" => args.max_length = number(),
            "--query-max-length" => args.query_max_length = number(),
            "--calls" => args.calls = number(),
            _ => panic!("unknown flag {flag}"),
        }
    }
    args
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
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn options(args: &Args, max_length: usize) -> Options {
    let options = Options::default().with_max_length(max_length);
    match args.threads {
        Some(n) => options.with_intra_op_threads(n),
        None => options,
    }
}

fn main() {
    let args = parse_args();
    let docs = lines(&args.docs);
    let queries = lines(&args.queries);

    let start = Instant::now();
    let expander =
        Expander::new(&args.model, options(&args, args.max_length)).expect("model loads");
    let load_s = start.elapsed().as_secs_f64();

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
    let docs_s = start.elapsed().as_secs_f64();
    let docs_rss = peak_rss_mb();
    drop(expander);

    let expander =
        Expander::new(&args.model, options(&args, args.query_max_length)).expect("model loads");
    for query in queries.iter().cycle().take(20) {
        expander.expand(query).expect("expands");
    }
    let mut latencies: Vec<f64> = queries
        .iter()
        .cycle()
        .take(args.calls)
        .map(|query| {
            let start = Instant::now();
            expander.expand(query).expect("expands");
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1]
    };

    println!("model            {}", args.model);
    println!("load             {load_s:.3} s");
    println!(
        "documents        {} in {docs_s:.2} s = {:.1} docs/s (batch {}, max_length {}, {:.1} terms/doc)",
        docs.len(),
        docs.len() as f64 / docs_s,
        args.batch,
        args.max_length,
        terms as f64 / docs.len() as f64
    );
    println!("peak RSS (docs)  {docs_rss:.0} MB");
    println!(
        "queries          p50 {:.2} ms, p99 {:.2} ms ({} calls, max_length {})",
        percentile(0.50),
        percentile(0.99),
        latencies.len(),
        args.query_max_length
    );
}
