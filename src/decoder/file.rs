//! Reading `decoder.safetensors`: a little-endian u64 header length, a JSON header, then the raw tensors.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result, Status};

/// `(weight [vocab × hidden], bias [vocab])` from the file, checked against the expected shapes.
pub(super) fn read(path: &Path, vocab: usize, hidden: usize) -> Result<(Vec<f32>, Vec<f32>)> {
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
    let tensor = |name: &str, shape: &[usize]| -> Result<Vec<f32>> {
        let entry = &header[name];
        let found = entry["shape"]
            .as_array()
            .map(|s| s.iter().filter_map(Value::as_u64).collect::<Vec<_>>());
        if entry["dtype"] != "F32"
            || found.as_deref() != Some(&shape.iter().map(|&d| d as u64).collect::<Vec<_>>()[..])
        {
            return Err(invalid(format!(
                "tensor '{name}' is {} {}; expected F32 {shape:?}",
                entry["dtype"], entry["shape"]
            )));
        }
        let offsets = entry["data_offsets"].as_array();
        let range = offsets
            .and_then(|o| Some(o.first()?.as_u64()? as usize..o.get(1)?.as_u64()? as usize))
            .filter(|r| r.len() == shape.iter().product::<usize>() * 4)
            .and_then(|r| data.get(r))
            .ok_or_else(|| invalid(format!("tensor '{name}' has bad data offsets")))?;
        Ok(range
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    };
    Ok((
        tensor("weight", &[vocab, hidden])?,
        tensor("bias", &[vocab])?,
    ))
}
