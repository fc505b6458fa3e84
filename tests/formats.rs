//! Each output format obeys the rules of the engine that reads it, on real vectors of the parity texts.

mod common;

use serde_json::Value;
use spladerunner::{Expander, Format, Options, SparseVector, Status, ELASTICSEARCH_DOT};

fn vectors() -> (Expander, Vec<SparseVector>) {
    let expander = Expander::new(common::model("splade-tiny"), Options::default()).unwrap();
    let vectors = expander.expand_batch(&common::parity_texts()).unwrap();
    (expander, vectors)
}

fn json(expander: &Expander, vector: &SparseVector, format: Format) -> Value {
    serde_json::from_str(&expander.to_json(vector, format).unwrap()).unwrap()
}

#[test]
fn qdrant_and_milvus_get_unique_ascending_ids_and_as_many_values() {
    let (expander, vectors) = vectors();
    for vector in &vectors {
        let v = json(&expander, vector, Format::IndicesValues);
        let ids: Vec<u64> = v["indices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        let values: Vec<f64> = v["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(ids.len(), values.len());
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ids ascending and unique"
        );
        assert!(ids.iter().all(|&id| id <= u64::from(u32::MAX)));
        // The values read back as the very f32 weights.
        let back: Vec<f32> = values.iter().map(|&x| x as f32).collect();
        assert_eq!(back, vector.weights);
    }
}

#[test]
fn elasticsearch_gets_dot_free_keys_and_strictly_positive_weights() {
    let (expander, vectors) = vectors();
    let mut dotted = 0;
    for vector in &vectors {
        let v = json(&expander, vector, Format::Elasticsearch);
        let map = v.as_object().unwrap();
        for (key, weight) in map {
            assert!(!key.is_empty() && !key.contains('.'), "key {key:?}");
            let w = weight.as_f64().unwrap() as f32;
            assert!(w.is_finite() && w >= f32::MIN_POSITIVE, "weight {w}");
        }
        // Every term and nothing else, under its token with dots written U+2024: tokens that differ only by
        // dots share a key, which keeps the larger weight.
        let mut expected = std::collections::BTreeMap::new();
        for (id, w) in vector.iter() {
            let token = expander.token(id).unwrap();
            dotted += usize::from(token.contains('.'));
            let key = token.replace('.', &ELASTICSEARCH_DOT.to_string());
            let slot = expected.entry(key).or_insert(w);
            *slot = slot.max(w);
        }
        let got: std::collections::BTreeMap<String, f32> = map
            .iter()
            .map(|(k, w)| (k.clone(), w.as_f64().unwrap() as f32))
            .collect();
        assert_eq!(got, expected);
    }
    assert!(
        dotted > 0,
        "the parity texts expand to some token with a dot"
    );
}

#[test]
fn anserini_gets_integer_impacts_keyed_by_token() {
    let (expander, vectors) = vectors();
    for vector in &vectors {
        let v = json(&expander, vector, Format::Impacts { scale: 100.0 });
        let map = v.as_object().unwrap();
        for (id, w) in vector.iter() {
            let impact = (f64::from(w) * 100.0).round() as u64;
            let token = expander.token(id).unwrap();
            match map.get(token) {
                Some(value) => assert_eq!(value.as_u64(), Some(impact), "{token}"),
                None => assert_eq!(
                    impact, 0,
                    "{token} is left out only when its impact rounds to 0"
                ),
            }
        }
        assert!(map.values().all(|x| x.as_u64().is_some_and(|n| n >= 1)));
    }
    let error = expander
        .to_json(&vectors[0], Format::Impacts { scale: 0.0 })
        .unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
}

#[test]
fn token_weights_and_tei_hold_every_term() {
    let (expander, vectors) = vectors();
    for vector in &vectors {
        let tokens = json(&expander, vector, Format::TokenWeights);
        assert_eq!(tokens.as_object().unwrap().len(), vector.len());
        for (id, w) in vector.iter() {
            assert_eq!(
                tokens[expander.token(id).unwrap()].as_f64().unwrap() as f32,
                w
            );
        }
        let tei = json(&expander, vector, Format::Tei);
        let pairs: Vec<(u32, f32)> = tei
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["index"].as_u64().unwrap() as u32,
                    p["value"].as_f64().unwrap() as f32,
                )
            })
            .collect();
        assert_eq!(pairs, vector.iter().collect::<Vec<_>>());
    }
}

#[test]
fn special_tokens_can_be_left_out() {
    let texts = common::parity_texts();
    let keep = Expander::new(common::model("splade-tiny"), Options::default()).unwrap();
    let drop = Expander::new(
        common::model("splade-tiny"),
        Options::default().with_drop_special_tokens(true),
    )
    .unwrap();
    let special = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"];
    let mut dropped = 0;
    for (all, without) in keep
        .expand_batch(&texts)
        .unwrap()
        .iter()
        .zip(drop.expand_batch(&texts).unwrap())
    {
        let expected: Vec<(u32, f32)> = all
            .iter()
            .filter(|&(id, _)| !special.contains(&keep.token(id).unwrap()))
            .collect();
        dropped += all.len() - expected.len();
        assert_eq!(without.iter().collect::<Vec<_>>(), expected);
    }
    assert!(dropped > 0, "some vectors held special tokens");
}
