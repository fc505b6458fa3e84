//! `splade_expander_to_json` on vectors the caller builds: arbitrary ids, weights and lengths, every format
//! number (the five of the header and unknown ones), any scale, and NULL in each pointer argument, on the default
//! model's expander.
//!
//! The input: a format byte, the scale (4 bytes, a little-endian f32), a flags byte (below), then 8 bytes per
//! term: the id (little-endian u32, or with [`DELTA_IDS`] the step from the previous id, modulo [`MAX_STEP`], so
//! that ascending ids are common), and the weight (a little-endian f32, or with [`FRACTION_WEIGHTS`] its low 16
//! bits over 4096, so that finite weights are common).
//!
//! The expected outcome is worked out here from the header alone: the statuses each broken rule allows
//! (`NULL_ARGUMENT` for a NULL pointer, `INVALID_ARGUMENT` for an unknown format, a bad scale, ids not ascending
//! and unique, a weight that is not finite and above 0, an impact above 2^31 - 1, `OUT_OF_RANGE` for an id
//! outside the vocabulary); the call must succeed when none is broken and fail with one of them otherwise,
//! writing nothing. A failure about a term must name the index and id of the first broken term. A JSON string
//! must have the length reported and read back as the vector in the format's shape: the same ids or tokens
//! (dots written U+2024 for Elasticsearch, which also leaves out weights below the smallest normal float and
//! keeps the larger weight of tokens that then meet), the same weights to the bit, or the rounded impacts
//! without zeros.

#![no_main]

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use spladerunner_fuzz::{
    default_model, format, settle, splade_expander_to_json, splade_sparse_vector,
    splade_string_free, status, Expander, Options, Status,
};

/// Flags: NULL `vector->indices`.
const NULL_INDICES: u8 = 1;
/// NULL `vector->weights`.
const NULL_WEIGHTS: u8 = 1 << 1;
/// NULL `json_out`.
const NULL_JSON_OUT: u8 = 1 << 2;
/// NULL `len_out` (allowed: the length is then not written).
const NULL_LEN_OUT: u8 = 1 << 3;
/// Ids as steps from the previous id.
const DELTA_IDS: u8 = 1 << 4;
/// Weights as 16-bit fractions.
const FRACTION_WEIGHTS: u8 = 1 << 5;
/// A NULL vector.
const NULL_VECTOR: u8 = 1 << 6;
/// A NULL expander.
const NULL_EXPANDER: u8 = 1 << 7;

/// The largest step between ids with [`DELTA_IDS`], plus one.
const MAX_STEP: u32 = 4096;

/// The largest impact the header allows: 2^31 - 1.
const MAX_IMPACT: f64 = i32::MAX as f64;

/// What `len_out` holds before the call, to see that a failure leaves it alone.
const UNTOUCHED: usize = usize::MAX;

/// The default model at the defaults.
fn expander() -> &'static Expander {
    static EXPANDER: OnceLock<Expander> = OnceLock::new();
    EXPANDER.get_or_init(|| {
        Expander::open(&default_model(), &Options::new()).expect("the default model opens")
    })
}

/// The statuses the header allows for term `i` (`id`, `weight`, after `previous`), none when it keeps the rules.
fn term_faults(id: u32, weight: f32, previous: Option<u32>, vocab: usize) -> Vec<Status> {
    let mut faults = Vec::new();
    if id as usize >= vocab {
        faults.push(status::OUT_OF_RANGE);
    }
    if previous.is_some_and(|p| id <= p) {
        faults.push(status::INVALID_ARGUMENT);
    }
    if !(weight.is_finite() && weight > 0.0) {
        faults.push(status::INVALID_ARGUMENT);
    }
    faults
}

/// The number a JSON value holds, as the f32 it was written from.
fn float(value: &Value, what: &str) -> f32 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {value} is not a number")) as f32
}

/// Checks that `json` is `ids`/`weights` in `format` (a known one) at `scale`.
fn check_json(json: &str, format: u32, scale: f32, ids: &[u32], weights: &[f32]) {
    let value: Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}): {json}"));
    let tokens = if ids.is_empty() {
        Vec::new()
    } else {
        expander().tokens(ids)
    };
    let terms = || tokens.iter().zip(weights);
    match format {
        format::INDICES_VALUES => {
            let object = value.as_object().expect("an object");
            assert_eq!(object.len(), 2, "{json}");
            let indices: Vec<u64> = object["indices"]
                .as_array()
                .expect("indices")
                .iter()
                .map(|v| v.as_u64().expect("an id"))
                .collect();
            let values: Vec<f32> = object["values"]
                .as_array()
                .expect("values")
                .iter()
                .map(|v| float(v, "a value"))
                .collect();
            assert_eq!(
                indices,
                ids.iter().map(|&i| u64::from(i)).collect::<Vec<_>>()
            );
            assert_eq!(bits(&values), bits(weights), "{json}");
        }
        format::TEI => {
            let items = value.as_array().expect("an array");
            assert_eq!(items.len(), ids.len(), "{json}");
            for ((item, &id), &weight) in items.iter().zip(ids).zip(weights) {
                let item = item.as_object().expect("an object");
                assert_eq!(item.len(), 2, "{json}");
                assert_eq!(item["index"].as_u64(), Some(u64::from(id)), "{json}");
                assert_eq!(float(&item["value"], "a value").to_bits(), weight.to_bits());
            }
        }
        format::TOKEN_WEIGHTS => {
            let expected: BTreeMap<&str, f32> = terms().map(|(t, &w)| (t.as_str(), w)).collect();
            assert_eq!(floats(&value), bits_map(expected), "{json}");
        }
        format::ELASTICSEARCH => {
            let mut expected: BTreeMap<String, f32> = BTreeMap::new();
            for (token, &weight) in terms().filter(|(_, &w)| w >= f32::MIN_POSITIVE) {
                let slot = expected
                    .entry(token.replace('.', "\u{2024}"))
                    .or_insert(weight);
                *slot = slot.max(weight);
            }
            let expected = expected.iter().map(|(k, &w)| (k.as_str(), w)).collect();
            assert_eq!(floats(&value), bits_map(expected), "{json}");
        }
        format::IMPACTS => {
            let mut expected = BTreeMap::new();
            for (token, &weight) in terms() {
                let impact = (f64::from(weight) * f64::from(scale)).round();
                if impact >= 1.0 {
                    expected.insert(token.clone(), impact as u64);
                }
            }
            let found: BTreeMap<String, u64> = value
                .as_object()
                .expect("an object")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().expect("a whole impact")))
                .collect();
            assert_eq!(found, expected, "{json}");
        }
        other => unreachable!("format {other} succeeded"),
    }
}

/// The bits of each weight, so that comparisons are exact.
fn bits(weights: &[f32]) -> Vec<u32> {
    weights.iter().map(|w| w.to_bits()).collect()
}

/// A `{"token":weight}` object, the weights as bits.
fn floats(value: &Value) -> BTreeMap<String, u32> {
    value
        .as_object()
        .expect("an object")
        .iter()
        .map(|(k, v)| (k.clone(), float(v, k).to_bits()))
        .collect()
}

/// `map`, the weights as bits.
fn bits_map(map: BTreeMap<&str, f32>) -> BTreeMap<String, u32> {
    map.into_iter()
        .map(|(k, w)| (k.to_string(), w.to_bits()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((head, records)) = data.split_first_chunk::<6>() else {
        return;
    };
    let format = u32::from(head[0]);
    let scale = f32::from_le_bytes([head[1], head[2], head[3], head[4]]);
    let flags = head[5];
    let mut ids = Vec::new();
    let mut weights = Vec::new();
    for record in records.chunks_exact(8) {
        let raw = u32::from_le_bytes([record[0], record[1], record[2], record[3]]);
        ids.push(match ids.last() {
            Some(&previous) if flags & DELTA_IDS != 0 => {
                u32::wrapping_add(previous, raw % MAX_STEP)
            }
            _ if flags & DELTA_IDS != 0 => raw % MAX_STEP,
            _ => raw,
        });
        weights.push(if flags & FRACTION_WEIGHTS != 0 {
            f32::from(u16::from_le_bytes([record[4], record[5]])) / 4096.0
        } else {
            f32::from_le_bytes([record[4], record[5], record[6], record[7]])
        });
    }
    let expander = expander();
    let vocab = expander.vocab_size();

    // The statuses the header allows: for broken arguments, and for the first broken term (which the message
    // must then name).
    let mut argument_faults = Vec::new();
    let mut term = None;
    if flags & (NULL_EXPANDER | NULL_VECTOR | NULL_JSON_OUT) != 0 {
        argument_faults.push(status::NULL_ARGUMENT);
    }
    if format > format::TEI || format == format::IMPACTS && !(scale.is_finite() && scale > 0.0) {
        argument_faults.push(status::INVALID_ARGUMENT);
    }
    if !ids.is_empty() && flags & (NULL_INDICES | NULL_WEIGHTS) != 0 {
        argument_faults.push(status::NULL_ARGUMENT);
    } else {
        let mut previous = None;
        for (i, (&id, &weight)) in ids.iter().zip(&weights).enumerate() {
            let faults = term_faults(id, weight, previous, vocab);
            if !faults.is_empty() {
                term = Some((i, id, faults));
                break;
            }
            previous = Some(id);
        }
        if term.is_none() && format == format::IMPACTS {
            let overflow = weights
                .iter()
                .position(|&w| (f64::from(w) * f64::from(scale)).round() > MAX_IMPACT);
            if let Some(i) = overflow {
                term = Some((i, ids[i], vec![status::INVALID_ARGUMENT]));
            }
        }
    }
    let mut allowed = argument_faults.clone();
    if let Some((_, _, faults)) = &term {
        allowed.extend(faults);
    }

    let vector = splade_sparse_vector {
        indices: if flags & NULL_INDICES != 0 {
            null()
        } else {
            ids.as_ptr()
        },
        weights: if flags & NULL_WEIGHTS != 0 {
            null()
        } else {
            weights.as_ptr()
        },
        len: ids.len(),
    };
    let mut json = null_mut();
    let mut len = UNTOUCHED;
    let mut error = null_mut();
    // SAFETY: the expander is live or NULL; the vector is NULL or its arrays NULL or `len` readable entries; the
    // out-parameters are NULL or writable locals.
    let status = unsafe {
        splade_expander_to_json(
            if flags & NULL_EXPANDER != 0 {
                null()
            } else {
                expander.as_ptr()
            },
            if flags & NULL_VECTOR != 0 {
                null()
            } else {
                &vector
            },
            format,
            scale,
            if flags & NULL_JSON_OUT != 0 {
                null_mut()
            } else {
                &mut json
            },
            if flags & NULL_LEN_OUT != 0 {
                null_mut()
            } else {
                &mut len
            },
            &mut error,
        )
    };
    // SAFETY: `error` is NULL or the error object just written.
    match unsafe { settle("splade_expander_to_json", status, error) } {
        Err(failure) => {
            assert!(
                allowed.contains(&failure.status),
                "failed with {failure:?}, allowed {allowed:?}"
            );
            assert!(
                json.is_null() && len == UNTOUCHED,
                "failed but wrote an out-parameter"
            );
            // Only a broken term can be out of range; with no broken argument, the term is the cause.
            if let Some((i, id, _)) = term {
                if failure.status == status::OUT_OF_RANGE || argument_faults.is_empty() {
                    assert!(
                        failure.message.contains(&i.to_string())
                            && failure.message.contains(&id.to_string()),
                        "the message does not name term {i} (id {id}): {:?}",
                        failure.message
                    );
                }
            }
        }
        Ok(()) => {
            assert!(
                allowed.is_empty(),
                "succeeded, but the header wants one of {allowed:?}"
            );
            assert!(!json.is_null(), "OK but no string");
            // SAFETY: the library wrote a NUL-terminated string, read here and then freed once.
            let text = unsafe {
                let text = CStr::from_ptr(json).to_owned();
                splade_string_free(json);
                text
            };
            let text = text.into_string().expect("the JSON is UTF-8");
            if flags & NULL_LEN_OUT == 0 {
                assert_eq!(len, text.len(), "len_out");
            }
            check_json(&text, format, scale, &ids, &weights);
        }
    }
});
