//! Reading a test collection in BEIR layout.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

/// Documents, queries and judgments of a collection.
pub struct Collection {
    pub doc_ids: Vec<String>,
    /// `title + " " + text` of each document.
    pub doc_texts: Vec<String>,
    pub query_ids: Vec<String>,
    pub query_texts: Vec<String>,
    /// query id → (document id → graded relevance).
    pub qrels: HashMap<String, HashMap<String, i64>>,
}

fn jsonl(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1))
        })
        .collect()
}

fn field(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Collection {
    pub fn load(dir: &Path) -> Self {
        let docs = jsonl(&dir.join("corpus.jsonl"));
        let queries = jsonl(&dir.join("queries.jsonl"));
        let qrels_path = dir.join("qrels/test.tsv");
        let qrels_text = std::fs::read_to_string(&qrels_path)
            .unwrap_or_else(|e| panic!("{}: {e}", qrels_path.display()));
        let mut qrels: HashMap<String, HashMap<String, i64>> = HashMap::new();
        for line in qrels_text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let grade = cols.get(2).and_then(|g| g.trim().parse().ok());
            let (Some(q), Some(d), Some(grade)) = (cols.first(), cols.get(1), grade) else {
                panic!("{}: malformed line {line:?}", qrels_path.display());
            };
            qrels
                .entry(q.to_string())
                .or_default()
                .insert(d.to_string(), grade);
        }
        Collection {
            doc_ids: docs.iter().map(|d| field(d, "_id")).collect(),
            doc_texts: docs
                .iter()
                .map(|d| format!("{} {}", field(d, "title"), field(d, "text")))
                .collect(),
            query_ids: queries.iter().map(|q| field(q, "_id")).collect(),
            query_texts: queries.iter().map(|q| field(q, "text")).collect(),
            qrels,
        }
    }
}
