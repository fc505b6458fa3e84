//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use spladerunner::Options;

/// Text to SPLADE sparse vectors, in the shapes search engines accept.
#[derive(Parser)]
#[command(name = "spladerunner", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Expand texts (plain lines or JSONL) into SPLADE vectors, one JSON line per text.
    Expand(ExpandArgs),
    /// Print a model directory's inputs, outputs, vocabulary size and max length.
    Info {
        /// The model directory (default: the default model).
        model: Option<PathBuf>,
    },
}

/// How input files are read.
#[derive(Clone, Copy, ValueEnum)]
pub enum InputFormat {
    /// JSONL for files named *.jsonl or *.ndjson, plain lines otherwise.
    Auto,
    /// One text per line; its id is its line number.
    Lines,
    /// One JSON object per line, with id and text fields.
    Jsonl,
}

/// What each output line holds.
#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum OutputFormat {
    /// {"id", "vector": {"indices": [...], "values": [...]}}: Qdrant, Milvus.
    Indices,
    /// {"id", "vector": {token: weight}}: OpenSearch rank_features, Vespa.
    Tokens,
    /// {"id", "vector": {token: weight}}, dots in tokens written U+2024: Elasticsearch.
    Elasticsearch,
    /// {"id", "contents", "vector": {token: round(weight × scale)}}: Anserini JsonVectorCollection.
    Anserini,
    /// {"id", "vector": [{"index", "value"}]}: text-embeddings-inference's shape.
    Tei,
}

#[derive(Args)]
pub struct ExpandArgs {
    /// The input file; standard input when absent or `-`.
    pub input: Option<PathBuf>,
    /// The output file, written whole or not at all; standard output when absent.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "auto")]
    pub input_format: InputFormat,
    /// JSONL: the field holding a text's id (the first of these names that is present).
    #[arg(long, value_delimiter = ',', default_value = "id,_id")]
    pub id_field: Vec<String>,
    /// JSONL: the field(s) holding the text, joined with a space when several (e.g. title,text).
    #[arg(long, value_delimiter = ',', default_value = "text")]
    pub text_field: Vec<String>,
    #[arg(long, value_enum, default_value = "indices")]
    pub format: OutputFormat,
    /// Anserini: impact = round(weight × scale).
    #[arg(long, default_value_t = 100.0)]
    pub scale: f32,
    /// The model directory (default: $SPLADERUNNER_MODEL, else the default model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Tokens per text (per window), special tokens included (default: the model's limit, at most 512).
    #[arg(long)]
    pub max_length: Option<usize>,
    /// Cut long texts into up to this many windows, merged by each term's largest weight.
    #[arg(long, default_value_t = 1)]
    pub max_windows: usize,
    /// Text tokens shared by consecutive windows.
    #[arg(long, default_value_t = 32)]
    pub window_overlap: usize,
    /// Threads per call (default: one per core): ONNX Runtime's intra-op threads, or with the library's
    /// decoder the threads that decode and run a batch's inference calls side by side.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Keep only the k heaviest terms of each vector.
    #[arg(long)]
    pub top_k: Option<usize>,
    /// Keep only terms with weight >= this.
    #[arg(long, default_value_t = 0.0)]
    pub min_weight: f32,
    /// Keep only terms with weight >= this share of the vector's largest, from 0 to 1 (OpenSearch's max_ratio).
    #[arg(long)]
    pub max_ratio: Option<f32>,
    /// Keep the fewest heaviest terms holding at least this share of the vector's total weight, above 0 and at
    /// most 1 (after --max-ratio, before --top-k).
    #[arg(long)]
    pub alpha_mass: Option<f32>,
    /// Leave out the tokenizer's special tokens (for BERT: CLS, SEP, PAD, UNK and MASK, each in brackets).
    #[arg(long)]
    pub drop_special_tokens: bool,
    /// Texts per call to the library.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
}

impl ExpandArgs {
    pub fn options(&self) -> Options {
        let mut options = Options::default()
            .with_max_windows(self.max_windows)
            .with_window_overlap(self.window_overlap)
            .with_min_weight(self.min_weight)
            .with_drop_special_tokens(self.drop_special_tokens);
        options.max_length = self.max_length;
        options.intra_op_threads = self.threads;
        options.top_k = self.top_k;
        options.max_ratio = self.max_ratio;
        options.alpha_mass = self.alpha_mass;
        options
    }
}
