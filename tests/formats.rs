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

/// Every format of every library-made vector: default options, and windows with pruning (whose merge and top-k
/// make vectors of their own).
#[test]
fn every_library_vector_renders_in_every_format() {
    let texts = common::parity_texts();
    let windowed = Options::default()
        .with_max_length(16)
        .with_max_windows(4)
        .with_window_overlap(4)
        .with_top_k(20);
    for options in [Options::default(), windowed] {
        let expander = Expander::new(common::model("splade-tiny"), options).unwrap();
        for vector in expander.expand_batch(&texts).unwrap() {
            for format in FORMATS {
                let json = expander.to_json(&vector, format);
                assert!(json.is_ok(), "{format:?}: {json:?}");
            }
        }
    }
}

const FORMATS: [Format; 5] = [
    Format::IndicesValues,
    Format::TokenWeights,
    Format::Elasticsearch,
    Format::Impacts { scale: 100.0 },
    Format::Tei,
];

/// A caller's vector that breaks a rule is refused in every format, with a message naming the term.
#[test]
fn a_vector_that_breaks_a_rule_is_refused() {
    let expander = Expander::new(common::model("splade-tiny"), Options::default()).unwrap();
    let vocab = expander.vocab_size() as u32;
    let vector = |indices: &[u32], weights: &[f32]| SparseVector {
        indices: indices.to_vec(),
        weights: weights.to_vec(),
    };
    let cases = [
        (
            vector(&[7, 9, 9], &[1.0, 1.0, 2.0]),
            Status::InvalidArgument,
            "term 2: id 9 follows id 9",
        ),
        (
            vector(&[9, 7], &[1.0, 1.0]),
            Status::InvalidArgument,
            "term 1: id 7 follows id 9",
        ),
        (
            vector(&[7, 9], &[1.0, f32::NAN]),
            Status::InvalidArgument,
            "term 1 (id 9): weight NaN",
        ),
        (
            vector(&[7], &[f32::INFINITY]),
            Status::InvalidArgument,
            "term 0 (id 7): weight inf",
        ),
        (
            vector(&[7], &[f32::NEG_INFINITY]),
            Status::InvalidArgument,
            "term 0 (id 7): weight -inf",
        ),
        (
            vector(&[7, 9], &[1.0, -0.5]),
            Status::InvalidArgument,
            "term 1 (id 9): weight -0.5",
        ),
        (
            vector(&[7, 9], &[0.0, 1.0]),
            Status::InvalidArgument,
            "term 0 (id 7): weight 0",
        ),
        (
            vector(&[7], &[-0.0]),
            Status::InvalidArgument,
            "term 0 (id 7): weight -0",
        ),
        (
            vector(&[7, 9], &[1.0]),
            Status::InvalidArgument,
            "2 ids but 1 weights",
        ),
        (
            vector(&[7, vocab], &[1.0, 1.0]),
            Status::OutOfRange,
            &format!("term 1: token id {vocab} is outside"),
        ),
    ];
    for (vector, status, words) in &cases {
        for format in FORMATS {
            let error = expander.to_json(vector, format).unwrap_err();
            assert_eq!(error.status(), *status, "{vector:?} in {format:?}");
            assert!(
                error.message().contains(words),
                "{vector:?} in {format:?}: {:?} does not hold {words:?}",
                error.message()
            );
        }
    }
}

/// Anserini reads impacts as 32-bit signed integers: 2^31 - 1 is written, anything above is an error naming the
/// term and the scale, never a saturated number.
#[test]
fn impacts_stay_within_32_bits() {
    let expander = Expander::new(common::model("splade-tiny"), Options::default()).unwrap();
    let id = expander.vocab_size() as u32 - 1;
    let token = expander.token(id).unwrap().to_string();
    let one = SparseVector {
        indices: vec![id],
        weights: vec![1.0],
    };
    // f32 has no 2^31 - 1: its neighbours are 2^31 - 128 and 2^31.
    let fits = expander
        .to_json(
            &one,
            Format::Impacts {
                scale: 2_147_483_520.0,
            },
        )
        .unwrap();
    let v: Value = serde_json::from_str(&fits).unwrap();
    assert_eq!(v[&token].as_i64(), Some(2_147_483_520));
    let error = expander
        .to_json(
            &one,
            Format::Impacts {
                scale: 2_147_483_648.0,
            },
        )
        .unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
    for words in [
        &format!("{token:?}, id {id}"),
        "at scale 2147483600",
        "impact 2147483648",
    ] {
        assert!(
            error.message().contains(words),
            "{:?} does not hold {words:?}",
            error.message()
        );
    }
    // A weight whose impact fits at one scale and not at another.
    let heavy = SparseVector {
        indices: vec![id],
        weights: vec![3.0e7],
    };
    assert!(expander
        .to_json(&heavy, Format::Impacts { scale: 50.0 })
        .is_ok());
    assert!(expander
        .to_json(&heavy, Format::Impacts { scale: 100.0 })
        .is_err());
}
