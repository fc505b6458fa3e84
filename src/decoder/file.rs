//! Reading `decoder.safetensors`: a little-endian u64 header length, a JSON header, then the raw tensors.
//!
//! `weight [vocab, hidden]` is either float32 (decoded exactly) or int8 with a float32 `scale [vocab]`, one per
//! row (an int8 model: `tools/quantize.py`); `bias [vocab]` is float32.

use std::io::Read;
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
    let (header, data) = read_checked(path, &invalid)?;
    let data = &data[..];
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

/// The tensors a decoder file holds.
const TENSORS: [&str; 3] = ["weight", "bias", "scale"];

/// The header and the tensor data of the file. The header is read and its tensors checked against the file's
/// length before the data is read, so a huge or endless file (a sparse file, a device) costs nothing.
fn read_checked(path: &Path, invalid: &impl Fn(String) -> Error) -> Result<(Value, Vec<u8>)> {
    let unreadable = |e: std::io::Error| invalid(format!("cannot be read: {e}"));
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let file_len = file.metadata().map_err(unreadable)?.len();
    let mut prefix = [0u8; 8];
    if file_len < 8 || file.read_exact(&mut prefix).is_err() {
        return Err(invalid(format!(
            "is shorter than a safetensors header ({file_len} bytes)"
        )));
    }
    let header_len = u64::from_le_bytes(prefix);
    if header_len > file_len - 8 {
        return Err(invalid(format!(
            "has no valid safetensors header: it declares one of {header_len} bytes in a file of {file_len} bytes"
        )));
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header).map_err(unreadable)?;
    let header: Value = serde_json::from_slice(&header)
        .map_err(|e| invalid(format!("has no valid safetensors header: {e}")))?;
    let data_len = file_len - 8 - header_len;
    check_layout(&header, data_len, file_len, invalid)?;
    let mut data = Vec::with_capacity(data_len as usize);
    file.read_to_end(&mut data).map_err(unreadable)?;
    if data.len() as u64 != data_len {
        return Err(invalid(format!(
            "changed while it was read: {data_len} bytes of tensor data expected, {} read",
            data.len()
        )));
    }
    Ok((header, data))
}

/// The header's tensors are those of a decoder file and tile its `data_len` bytes of data exactly, in order, as
/// the safetensors format requires: no overlap, no gap, nothing after the last (a file of `file_len` bytes).
fn check_layout(
    header: &Value,
    data_len: u64,
    file_len: u64,
    invalid: &impl Fn(String) -> Error,
) -> Result<()> {
    let entries = header
        .as_object()
        .ok_or_else(|| invalid("has a safetensors header that is not a JSON object".into()))?;
    let mut ranges = Vec::new();
    for (name, entry) in entries.iter().filter(|(name, _)| *name != "__metadata__") {
        if !TENSORS.contains(&name.as_str()) {
            return Err(invalid(format!(
                "holds tensor '{name}', which a decoder file does not have (it has {TENSORS:?})"
            )));
        }
        let offsets = entry["data_offsets"].as_array();
        let range = offsets
            .and_then(|o| Some((o.first()?.as_u64()?, o.get(1)?.as_u64()?)))
            .filter(|(start, end)| start <= end)
            .ok_or_else(|| invalid(format!("tensor '{name}' has bad data offsets")))?;
        ranges.push((range, name));
    }
    ranges.sort();
    let mut end = 0u64;
    for ((start, stop), name) in ranges {
        if start != end {
            return Err(invalid(format!(
                "tensor '{name}' starts at data byte {start}, where {end} was expected (tensors overlap or \
                 leave a gap)"
            )));
        }
        end = stop;
    }
    if end != data_len {
        return Err(invalid(format!(
            "is {file_len} bytes long, with {data_len} bytes of tensor data, but its tensors cover {end}"
        )));
    }
    Ok(())
}
