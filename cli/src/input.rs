//! Reading the texts to expand: plain lines or JSONL, from a file or standard input, a batch at a time.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::args::InputFormat;

/// One text to expand and the id its output line carries.
pub struct Item {
    pub id: Value,
    pub text: String,
}

/// The items of one input, read lazily.
pub struct Items {
    /// The file name (or `<stdin>`) that error messages start with.
    name: String,
    reader: Box<dyn BufRead>,
    jsonl: bool,
    id_fields: Vec<String>,
    text_fields: Vec<String>,
    /// The number of the last line read, from 1.
    line: usize,
    /// The file read (`None`: standard input).
    path: Option<PathBuf>,
}

impl Items {
    /// Opens `path` (standard input for `None` or `-`).
    pub fn open(
        path: Option<&Path>,
        format: InputFormat,
        id_fields: &[String],
        text_fields: &[String],
    ) -> Result<Self, String> {
        let path = path.filter(|p| p.as_os_str() != "-");
        let jsonl = match format {
            InputFormat::Jsonl => true,
            InputFormat::Lines => false,
            InputFormat::Auto => path
                .and_then(Path::extension)
                .is_some_and(|e| e == "jsonl" || e == "ndjson"),
        };
        let (name, reader): (String, Box<dyn BufRead>) = match path {
            Some(path) => {
                let name = path.display().to_string();
                let file = File::open(path).map_err(|e| format!("{name}: {e}"))?;
                (name, Box::new(BufReader::new(file)))
            }
            None => ("<stdin>".to_string(), Box::new(std::io::stdin().lock())),
        };
        Ok(Items {
            name,
            reader,
            jsonl,
            id_fields: id_fields.to_vec(),
            text_fields: text_fields.to_vec(),
            line: 0,
            path: path.map(Path::to_path_buf),
        })
    }

    /// The number of items of a file, read through once more (standard input, or a file that cannot be read
    /// again: unknown). For a progress bar; costs a pass over the file, so only ask when one is shown.
    pub fn count(&self) -> Option<usize> {
        let file = File::open(self.path.as_ref()?).ok()?;
        let lines = BufReader::new(file).lines().map_while(Result::ok);
        Some(lines.filter(|l| is_item(l, self.jsonl)).count())
    }

    /// The input's name, as error messages give it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads up to `size` items; an empty batch means the input is exhausted.
    pub fn next_batch(&mut self, size: usize) -> Result<Vec<Item>, String> {
        let mut batch = Vec::with_capacity(size);
        let mut line = String::new();
        while batch.len() < size {
            line.clear();
            let read = self
                .reader
                .read_line(&mut line)
                .map_err(|e| format!("{}:{}: {e}", self.name, self.line + 1))?;
            if read == 0 {
                break;
            }
            self.line += 1;
            let text = line.strip_suffix('\n').unwrap_or(&line);
            let text = text.strip_suffix('\r').unwrap_or(text);
            if !is_item(text, self.jsonl) {
                continue;
            }
            if !self.jsonl {
                batch.push(Item {
                    id: Value::from(self.line),
                    text: text.to_string(),
                });
            } else {
                let item = self
                    .parse(text)
                    .map_err(|e| format!("{}:{}: {e}", self.name, self.line))?;
                batch.push(item);
            }
        }
        Ok(batch)
    }

    /// One JSONL line: an object with one of the id fields and every text field.
    fn parse(&self, line: &str) -> Result<Item, String> {
        let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
        let object = value.as_object().ok_or("the line is not a JSON object")?;
        let id = self
            .id_fields
            .iter()
            .find_map(|f| object.get(f))
            .ok_or_else(|| format!("no id field ({})", quoted(&self.id_fields)))?;
        if !(id.is_string() || id.is_number()) {
            return Err(format!("the id is {id}, not a string or a number"));
        }
        let mut parts = Vec::with_capacity(self.text_fields.len());
        for field in &self.text_fields {
            match object.get(field) {
                Some(Value::String(s)) => parts.push(s.as_str()),
                Some(other) => return Err(format!("field \"{field}\" is {other}, not a string")),
                None => return Err(format!("no field \"{field}\"")),
            }
        }
        Ok(Item {
            id: id.clone(),
            text: parts.join(" "),
        })
    }
}

/// Whether an input line is an item: every plain line is (an empty text too), a JSONL line unless it is blank.
fn is_item(line: &str, jsonl: bool) -> bool {
    !jsonl || !line.trim().is_empty()
}

fn quoted(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(" or ")
}
