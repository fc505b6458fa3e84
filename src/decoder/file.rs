//! Reading `decoder.safetensors`: a little-endian u64 header length, a JSON header, then the raw tensors.
//!
//! `weight [vocab, hidden]` is either float32 (decoded exactly) or int8 with a float32 `scale [vocab]`, one per
//! row (an int8 model: `tools/quantize.py`); `bias [vocab]` is float32.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result, Status};

/// The vocabulary matrix as the file holds it.
pub(super) enum Matrix {
    Float(Vec<f32>),
    /// Row `v` is `scale[v] · values[v]`.
    Int8 {
        values: Vec<i8>,
        scale: Vec<f32>,
    },
}

/// `(weight, bias [vocab])` from the file, checked against the expected shapes; every float finite, every scale
/// `>= 0`.
///
/// A NaN or infinite value would make every weight of its row NaN or infinite, and the expander would return
/// empty or wrong vectors with no error, so it is refused here, with the tensor and the first bad index. A scale
/// is `max |w| / 127` of its row (`tools/quantize.py`): zero for a row of zeros, which is valid; a negative one
/// is not a scale any quantizer writes and would silently negate its row, so it is refused too. `vocab` is the
/// tokenizer's vocabulary size: a `weight` of another number of rows is reported as the mismatch between
/// `tokenizer.json` and the model that it is, naming both sizes.
pub(super) fn read(path: &Path, vocab: usize, hidden: usize) -> Result<(Matrix, Vec<f32>)> {
    let invalid =
        |what: String| Error::new(Status::InvalidModel, format!("{}: {what}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| invalid(format!("cannot be read: {e}")))?;
    let header_len = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()) as usize)
        .ok_or_else(|| invalid("is shorter than a safetensors header".into()))?;
    let data_start = 8usize.saturating_add(header_len);
    let header: Value = bytes
        .get(8..data_start)
        .and_then(|h| serde_json::from_slice(h).ok())
        .ok_or_else(|| invalid("has no valid safetensors header".into()))?;
    let data = &bytes[data_start..];
    // The raw bytes of tensor `name`, which must be `dtype` (of `size` bytes per value) and `shape`.
    let tensor = |name: &str, dtype: &str, size: usize, shape: &[usize]| -> Result<&[u8]> {
        let entry = &header[name];
        let found = entry["shape"]
            .as_array()
            .map(|s| s.iter().filter_map(Value::as_u64).collect::<Vec<_>>());
        if entry["dtype"] != dtype
            || found.as_deref() != Some(&shape.iter().map(|&d| d as u64).collect::<Vec<_>>()[..])
        {
            return Err(invalid(format!(
                "tensor '{name}' is {} {}; expected {dtype} {shape:?}",
                entry["dtype"], entry["shape"]
            )));
        }
        let offsets = entry["data_offsets"].as_array();
        offsets
            .and_then(|o| Some(o.first()?.as_u64()? as usize..o.get(1)?.as_u64()? as usize))
            .filter(|r| r.len() == shape.iter().product::<usize>() * size)
            .and_then(|r| data.get(r))
            .ok_or_else(|| invalid(format!("tensor '{name}' has bad data offsets")))
    };
    let floats = |name: &str, shape: &[usize]| -> Result<Vec<f32>> {
        let values: Vec<f32> = tensor(name, "F32", 4, shape)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        match values.iter().position(|v| !v.is_finite()) {
            Some(i) => Err(invalid(format!(
                "tensor '{name}' holds a non-finite value ({}) at index {i}",
                values[i]
            ))),
            None => Ok(values),
        }
    };
    let rows = header["weight"]["shape"]
        .as_array()
        .filter(|s| s.len() == 2 && s[1].as_u64() == Some(hidden as u64))
        .and_then(|s| s[0].as_u64());
    if let Some(rows) = rows.filter(|&r| r != vocab as u64) {
        return Err(invalid(format!(
            "the model's vocabulary has {rows} ids (tensor 'weight' {}), but tokenizer.json has {vocab} tokens",
            header["weight"]["shape"]
        )));
    }
    let weight = if header["weight"]["dtype"] == "I8" {
        let values = tensor("weight", "I8", 1, &[vocab, hidden])?;
        let scale = floats("scale", &[vocab])?;
        if let Some(v) = scale.iter().position(|&s| s < 0.0) {
            return Err(invalid(format!(
                "tensor 'scale' holds a negative scale ({}) at index {v}",
                scale[v]
            )));
        }
        Matrix::Int8 {
            values: values.iter().map(|&b| b as i8).collect(),
            scale,
        }
    } else {
        Matrix::Float(floats("weight", &[vocab, hidden])?)
    };
    Ok((weight, floats("bias", &[vocab])?))
}
