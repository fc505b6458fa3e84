//! Writing the output: one JSON line per item, into a file that appears only once it is complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use spladerunner::{Expander, Format, SparseVector};

use crate::args::OutputFormat;
use crate::input::Item;

/// Why a command stopped before its end.
pub enum Stop {
    /// An error, to be reported.
    Failed(String),
    /// The reader of standard output has gone (`spladerunner info | head -3`): the program ends quietly and
    /// successfully, as other Unix tools do, rather than report a broken pipe.
    ReaderGone,
}

impl From<String> for Stop {
    fn from(message: String) -> Self {
        Stop::Failed(message)
    }
}

/// The [`Stop`] for a failed write of the output.
pub fn write_failed(e: std::io::Error) -> Stop {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => Stop::ReaderGone,
        _ => Stop::Failed(format!("writing the output: {e}")),
    }
}

/// The output line of one item.
pub fn line(
    expander: &Expander,
    item: &Item,
    vector: &SparseVector,
    format: OutputFormat,
    scale: f32,
) -> Result<String, String> {
    let shape = match format {
        OutputFormat::Indices => Format::IndicesValues,
        OutputFormat::Tokens => Format::TokenWeights,
        OutputFormat::Elasticsearch => Format::Elasticsearch,
        OutputFormat::Anserini => Format::Impacts { scale },
        OutputFormat::Tei => Format::Tei,
    };
    let vector = expander.to_json(vector, shape).map_err(|e| e.to_string())?;
    Ok(if format == OutputFormat::Anserini {
        // JsonVectorCollection: {"id": string, "contents": string, "vector": {token: int}}.
        let id = match &item.id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        format!(
            "{{\"id\":{},\"contents\":{},\"vector\":{vector}}}",
            Value::from(id),
            Value::from(item.text.as_str())
        )
    } else {
        format!("{{\"id\":{},\"vector\":{vector}}}", item.id)
    })
}

/// Standard output, or a file written under a temporary name and renamed into place by [`Sink::finish`]; a
/// sink dropped before that removes its temporary file, so a failed run leaves nothing half-written. A file's
/// missing directories are made.
pub struct Sink {
    writer: Box<dyn Write>,
    /// `(temporary, final)` paths of a file output.
    paths: Option<(PathBuf, PathBuf)>,
}

impl Sink {
    pub fn create(path: Option<&Path>) -> Result<Self, String> {
        let Some(path) = path else {
            return Ok(Sink {
                writer: Box::new(BufWriter::new(std::io::stdout().lock())),
                paths: None,
            });
        };
        let name = path
            .file_name()
            .ok_or_else(|| format!("{}: not a file name", path.display()))?;
        // A directory that does not exist yet is made: a collection's directory is often new (for example
        // `-o anserini/docs.jsonl`).
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let mut temporary = name.to_os_string();
        temporary.push(format!(".{}.tmp", std::process::id()));
        let temporary = path.with_file_name(temporary);
        // Named by the path the user gave, not the temporary one.
        let file = File::create(&temporary).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Sink {
            writer: Box::new(BufWriter::new(file)),
            paths: Some((temporary, path.to_path_buf())),
        })
    }

    pub fn write_line(&mut self, line: &str) -> Result<(), Stop> {
        writeln!(self.writer, "{line}").map_err(write_failed)
    }

    /// Flushes the output and, for a file, renames it into place.
    pub fn finish(mut self) -> Result<(), Stop> {
        self.writer.flush().map_err(write_failed)?;
        if let Some((temporary, path)) = self.paths.take() {
            std::fs::rename(&temporary, &path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some((temporary, _)) = &self.paths {
            let _ = std::fs::remove_file(temporary);
        }
    }
}
