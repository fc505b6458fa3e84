//! Expands text with a SPLADE model and prints its top terms, highest weight first.
//!
//! ```text
//! cargo run --release --example expand -- [--model DIR] [--top N] [TEXT ...]
//! ```
//! Defaults: the splade-tiny model fetched by `tools/setup.sh`, the top 20 terms, and the original spladerunner
//! project's example sentence.

use std::process::ExitCode;

use spladerunner::{Expander, Options};

const EXAMPLE: &str = "The Manhattan Project and its atomic bomb helped bring an end to World War II. Its legacy \
                       of peaceful uses of atomic energy continues to have an impact on history and science.";

fn main() -> ExitCode {
    let mut model = concat!(env!("CARGO_MANIFEST_DIR"), "/.cache/models/splade-tiny").to_string();
    let mut top = 20;
    let mut texts = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model" => model = args.next().unwrap_or_default(),
            "--top" => top = args.next().and_then(|n| n.parse().ok()).unwrap_or(top),
            _ => texts.push(arg),
        }
    }
    if texts.is_empty() {
        texts.push(EXAMPLE.to_string());
    }
    let expander = match Expander::new(&model, Options::default()) {
        Ok(expander) => expander,
        Err(e) => {
            eprintln!("error ({}): {e}", e.status().name());
            return ExitCode::FAILURE;
        }
    };
    let vectors = match expander.expand_batch(&texts) {
        Ok(vectors) => vectors,
        Err(e) => {
            eprintln!("error ({}): {e}", e.status().name());
            return ExitCode::FAILURE;
        }
    };
    for (text, vector) in texts.iter().zip(&vectors) {
        println!("{text}");
        println!("{} terms; top {}:", vector.len(), top.min(vector.len()));
        let mut terms: Vec<(&str, f32)> = expander.tokens(vector).collect();
        terms.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (token, weight) in terms.into_iter().take(top) {
            println!("  {token:<16} {weight:.4}");
        }
    }
    ExitCode::SUCCESS
}
