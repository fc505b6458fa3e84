//! The JSON shapes search engines accept for a sparse vector.
//!
//! | format | JSON | for |
//! |---|---|---|
//! | [`Format::IndicesValues`] | `{"indices":[ids],"values":[weights]}` | Qdrant, Milvus |
//! | [`Format::TokenWeights`] | `{"token":weight,...}` | OpenSearch `rank_features`, Vespa mapped tensors |
//! | [`Format::Elasticsearch`] | `{"token":weight,...}`, each `.` in a token written `\u2024` | Elasticsearch `sparse_vector`, `rank_features` |
//! | [`Format::Impacts`] | `{"token":impact,...}`, `impact = round(weight × scale)`, terms rounding to 0 left out | Anserini/Lucene impact indexes (`JsonVectorCollection`) |
//! | [`Format::Tei`] | `[{"index":id,"value":weight},...]` | text-embeddings-inference's sparse output |
//!
//! Elasticsearch reads a dot in a field name as an object path, so the Elasticsearch format writes every `.`
//! of a token as U+2024 ONE DOT LEADER (`․`); should two tokens then meet, the larger weight is kept. Its
//! weights are strictly positive normal floats (a weight below `f32::MIN_POSITIVE` is left out).
//!
//! Every format first checks the vector, in one pass over its terms, and writes nothing for a vector that breaks
//! a rule of [`SparseVector`]: as many weights as ids, ids ascending and unique and inside the vocabulary
//! ([`Status::OutOfRange`] otherwise), weights finite and above 0 ([`Status::InvalidArgument`] otherwise; JSON has
//! no NaN or infinity, and an engine reads a negative weight as a negative score). A weight of 0 is an error too,
//! not a term left out: the library never makes one (a term of weight 0 is not in the vector), so a 0 in a
//! caller's vector is a bug upstream that skipping it would hide, and every format then holds the same terms. The
//! impacts must also fit a 32-bit signed integer, the `int` Anserini's `JsonVectorCollection` reads. Each error
//! names the term's index, id and value.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{Error, Result, Status};
use crate::vector::SparseVector;
use crate::vocab::Vocab;

/// The character the Elasticsearch format writes for a `.` in a token.
pub const ELASTICSEARCH_DOT: char = '\u{2024}';

/// A JSON shape of a sparse vector; see the module documentation.
///
/// Every shape is written only for a vector that keeps the rules of [`SparseVector`]: as many weights as ids, ids
/// ascending, unique and inside the vocabulary, weights finite and above 0 (a 0 is refused, not left out: the
/// library never makes one). Otherwise rendering fails, [`Status::OutOfRange`] for an id outside the vocabulary and
/// [`Status::InvalidArgument`] for the rest, with a message naming the term's index, id and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    /// `{"indices":[...],"values":[...]}`.
    IndicesValues,
    /// `{"token":weight}`.
    TokenWeights,
    /// `{"token":weight}` with dots written as U+2024 and only strictly positive normal weights.
    Elasticsearch,
    /// `{"token":round(weight × scale)}` without zeros; `scale` must be finite and above 0 (100 is common), and
    /// every impact at most 2^31 − 1 (`i32::MAX`, the largest Anserini reads), else an error naming the term.
    Impacts {
        /// What a weight is multiplied by before rounding.
        scale: f32,
    },
    /// `[{"index":id,"value":weight}]`.
    Tei,
}

/// The largest impact Anserini reads: its `JsonVectorCollection` parses impacts as a Java `int`.
const MAX_IMPACT: f64 = i32::MAX as f64;

/// Fails unless `vector` keeps the rules of [`SparseVector`] (see the module documentation), so that no format
/// writes a wrong or unreadable vector.
fn check(vector: &SparseVector, vocab: &Vocab) -> Result<()> {
    if vector.indices.len() != vector.weights.len() {
        return Err(Error::new(
            Status::InvalidArgument,
            format!(
                "the vector has {} ids but {} weights",
                vector.indices.len(),
                vector.weights.len()
            ),
        ));
    }
    let mut previous = None;
    for (i, (id, w)) in vector.iter().enumerate() {
        if id as usize >= vocab.len() {
            let error = vocab.out_of_range(id);
            return Err(Error::new(
                error.status(),
                format!("term {i}: {}", error.message()),
            ));
        }
        if let Some(previous) = previous.filter(|&p| id <= p) {
            return Err(Error::new(
                Status::InvalidArgument,
                format!(
                    "term {i}: id {id} follows id {previous}; ids must be ascending and unique"
                ),
            ));
        }
        if !(w.is_finite() && w > 0.0) {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("term {i} (id {id}): weight {w} is not a finite number above 0"),
            ));
        }
        previous = Some(id);
    }
    Ok(())
}

/// Renders `vector` in `format`, looking tokens up in `vocab`; fails without writing anything for a vector that
/// breaks a rule of [`SparseVector`] or an impact above the 32-bit range (see the module documentation).
pub(crate) fn render(vector: &SparseVector, vocab: &Vocab, format: Format) -> Result<String> {
    check(vector, vocab)?;
    let token = |id: u32| vocab.token(id).ok_or_else(|| vocab.out_of_range(id));
    // The shortest decimal that reads back as the same f32 ("0.1", not 0.10000000149011612); finite, as `check`
    // made sure.
    let number = |w: f32| {
        let shortest: f64 = w.to_string().parse().unwrap_or(f64::from(w));
        Value::from(shortest)
    };
    let value = match format {
        Format::IndicesValues => serde_json::json!({
            "indices": vector.indices,
            "values": vector.weights.iter().map(|&w| number(w)).collect::<Vec<_>>(),
        }),
        Format::Tei => Value::Array(
            vector
                .iter()
                .map(|(id, w)| serde_json::json!({"index": id, "value": number(w)}))
                .collect(),
        ),
        Format::TokenWeights => {
            let mut map = Map::new();
            for (id, w) in vector.iter() {
                map.insert(token(id)?.to_string(), number(w));
            }
            Value::Object(map)
        }
        Format::Elasticsearch => {
            // Tokens that differ only by dots become one key: it keeps the larger weight.
            let mut best: BTreeMap<String, f32> = BTreeMap::new();
            let dot = ELASTICSEARCH_DOT.to_string();
            for (id, w) in vector.iter().filter(|&(_, w)| w >= f32::MIN_POSITIVE) {
                let key = token(id)?.replace('.', &dot);
                let slot = best.entry(key).or_insert(w);
                *slot = slot.max(w);
            }
            Value::Object(best.into_iter().map(|(k, w)| (k, number(w))).collect())
        }
        Format::Impacts { scale } => {
            if !(scale.is_finite() && scale > 0.0) {
                return Err(Error::new(
                    Status::InvalidArgument,
                    format!("the impact scale must be a finite number above 0, got {scale}"),
                ));
            }
            let mut map = Map::new();
            for (i, (id, w)) in vector.iter().enumerate() {
                let impact = (f64::from(w) * f64::from(scale)).round();
                if impact > MAX_IMPACT {
                    return Err(Error::new(
                        Status::InvalidArgument,
                        format!(
                            "term {i} ({:?}, id {id}): weight {w} at scale {scale} makes impact {impact}, above \
                             {MAX_IMPACT}, the largest 32-bit integer Anserini reads; use a smaller scale",
                            token(id)?
                        ),
                    ));
                }
                if impact >= 1.0 {
                    map.insert(token(id)?.to_string(), Value::from(impact as u32));
                }
            }
            Value::Object(map)
        }
    };
    Ok(value.to_string())
}
