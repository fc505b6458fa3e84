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
    /// query id → (document id → graded relevance), for the queries with at least one relevant document.
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
        let qrels =
            parse_qrels(&qrels_text).unwrap_or_else(|e| panic!("{}: {e}", qrels_path.display()));
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

/// Judgments: query id → (document id → grade), from `query-id<TAB>corpus-id<TAB>score` lines.
///
/// The first line is a header when its score is not an integer (BEIR writes `query-id corpus-id score`); a file
/// without one loses no judgment. Queries none of whose documents is relevant (every grade 0) are left out, as
/// trec_eval leaves them out: they have no ideal ranking to measure against.
pub fn parse_qrels(text: &str) -> Result<HashMap<String, HashMap<String, i64>>, String> {
    let mut qrels: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let grade = cols.get(2).and_then(|g| g.trim().parse::<i64>().ok());
        match (cols.first(), cols.get(1), grade) {
            (Some(q), Some(d), Some(grade)) if cols.len() == 3 => {
                qrels
                    .entry(q.to_string())
                    .or_default()
                    .insert(d.to_string(), grade);
            }
            _ if n == 0 && cols.len() == 3 => {} // the header
            _ => return Err(format!("line {}: malformed judgment {line:?}", n + 1)),
        }
    }
    qrels.retain(|_, judged| judged.values().any(|&grade| grade > 0));
    Ok(qrels)
}

#[cfg(test)]
mod tests {
    use super::parse_qrels;

    #[test]
    fn a_header_is_skipped_and_a_headerless_file_keeps_its_first_judgment() {
        let with = parse_qrels("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t2\n").unwrap();
        let without = parse_qrels("q1\td1\t1\nq1\td2\t2\n").unwrap();
        assert_eq!(with, without);
        assert_eq!(without["q1"].len(), 2, "{without:?}");
        assert_eq!(without["q1"]["d1"], 1);
    }

    #[test]
    fn queries_without_a_relevant_document_are_left_out() {
        let qrels = parse_qrels("q1\td1\t0\nq1\td2\t0\nq2\td1\t0\nq2\td3\t1\n").unwrap();
        assert!(!qrels.contains_key("q1"), "{qrels:?}");
        assert_eq!(
            qrels["q2"].len(),
            2,
            "a kept query keeps its grade-0 judgments"
        );
    }

    #[test]
    fn a_malformed_line_after_the_first_is_an_error_naming_it() {
        let error = parse_qrels("q1\td1\t1\nq1\td2\tlots\n").unwrap_err();
        assert!(error.starts_with("line 2:"), "{error}");
        assert!(parse_qrels("q1\td1\n").is_err(), "two columns");
    }
}
