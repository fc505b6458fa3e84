//! `spladerunner`: expand a corpus into SPLADE vectors for a search engine, or describe a model directory.
//!
//! ```text
//! spladerunner expand corpus.jsonl --text-field title --text-field text --format anserini -o vectors.jsonl
//! spladerunner info .cache/models/splade-tiny
//! ```

mod args;
mod input;
mod output;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use spladerunner::{Expander, ModelInfo, Options};

use crate::args::{Cli, Command, ExpandArgs};
use crate::input::Items;
use crate::output::{write_failed, Sink, Stop};

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Expand(args) => expand(args),
        Command::Info { model } => info(model),
    };
    match result {
        Ok(()) | Err(Stop::ReaderGone) => ExitCode::SUCCESS,
        Err(Stop::Failed(message)) => {
            eprintln!("spladerunner: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The model directory to use: the one given, else `SPLADERUNNER_MODEL`, else the default model installed beside
/// this program (`../share/spladerunner/models/splade-tiny`), else the one `tools/setup.sh` fetched into this
/// repository.
fn model_dir(given: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = given.or_else(|| std::env::var_os("SPLADERUNNER_MODEL").map(PathBuf::from)) {
        return dir;
    }
    let installed = std::env::current_exe().ok().and_then(|exe| {
        std::fs::canonicalize(
            exe.parent()?
                .join("../share/spladerunner/models/splade-tiny"),
        )
        .ok()
    });
    installed.unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../.cache/models/splade-tiny"
        ))
    })
}

/// The run's expander. It stays until the process ends: dropping it would free the tokenizer's tables and ONNX
/// Runtime's session piece by piece, a good part of a run on one short text (BENCHMARKS.md, a short-lived
/// process), where the process's exit gives everything back at once. Held in a static rather than leaked, so that
/// leak checkers find it reachable.
static EXPANDER: OnceLock<Expander> = OnceLock::new();

/// Opens the run's one expander.
fn open(model: Option<PathBuf>, options: Options) -> Result<&'static Expander, String> {
    let dir = model_dir(model);
    let expander =
        Expander::new(&dir, options).map_err(|e| format!("{} ({})", e, e.status().name()))?;
    EXPANDER
        .set(expander)
        .map_err(|_| "a run opens one model".to_string())?;
    Ok(EXPANDER.get().expect("set just above"))
}

fn expand(args: ExpandArgs) -> Result<(), Stop> {
    let expander = open(args.model.clone(), args.options())?;
    let mut items = Items::open(
        args.input.as_deref(),
        args.input_format,
        &args.id_field,
        &args.text_field,
    )?;
    // The bar draws only on a terminal; counting the input costs a pass over it, so only then.
    let progress = ProgressBar::new(0);
    let total = if progress.is_hidden() {
        None
    } else {
        items.count()
    };
    match total {
        Some(total) => {
            let style =
                ProgressStyle::with_template("{bar:40} {pos}/{len} items, {per_sec}, ETA {eta}")
                    .map_err(|e| e.to_string())?;
            progress.set_style(style);
            progress.set_length(total as u64);
        }
        None => progress.set_draw_target(indicatif::ProgressDrawTarget::hidden()),
    }
    let mut sink = Sink::create(args.output.as_deref())?;
    loop {
        let batch = items.next_batch(args.batch_size as usize)?;
        if batch.is_empty() {
            break;
        }
        let texts: Vec<&str> = batch.iter().map(|item| item.text.as_str()).collect();
        let vectors = expander
            .expand_batch(&texts)
            .map_err(|e| format!("{}: {e}", items.name()))?;
        for (item, vector) in batch.iter().zip(&vectors) {
            let line = output::line(expander, item, vector, args.format, args.scale)?;
            sink.write_line(&line)?;
        }
        progress.inc(batch.len() as u64);
    }
    progress.finish_and_clear();
    sink.finish()
}

fn info(model: Option<PathBuf>) -> Result<(), Stop> {
    let dir = model_dir(model);
    let expander = open(Some(dir.clone()), Options::default())?;
    write_info(&mut std::io::stdout().lock(), &dir, &expander.model_info()).map_err(write_failed)
}

/// The lines of `spladerunner info` for the model in `dir`.
fn write_info(out: &mut impl Write, dir: &Path, info: &ModelInfo) -> std::io::Result<()> {
    writeln!(out, "model       {}", dir.display())?;
    for (i, (name, kind)) in info.inputs.iter().enumerate() {
        writeln!(
            out,
            "{:<11} {name}: {kind}",
            if i == 0 { "inputs" } else { "" }
        )?;
    }
    for (i, (name, kind)) in info.outputs.iter().enumerate() {
        writeln!(
            out,
            "{:<11} {name}: {kind}",
            if i == 0 { "outputs" } else { "" }
        )?;
    }
    writeln!(out, "reads       {} ({})", info.output, info.pooling)?;
    writeln!(out, "vocabulary  {} ids", info.vocab_size)?;
    writeln!(out, "max length  {} tokens", info.max_length)?;
    out.flush()
}
