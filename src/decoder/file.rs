//! Reading `decoder.safetensors`: a little-endian u64 header length, a JSON header, then the raw tensors.
//!
//! `weight [vocab, hidden]` is either float32 (decoded exactly) or int8 with a float32 `scale [vocab]`, one per
//! row (an int8 model: `tools/quantize.py`); `bias [vocab]` is float32.
//!
//! A float32 `weight` is memory-mapped rather than read into memory ([`Floats`]): the exact pass reads few of its
//! rows per text, so a process pays in resident memory for the rows it uses, and the pages are the page cache's,
//! shared by every process on the model. So the file must not be rewritten in place while an expander has it
//! open (replace a model by renaming new files into place; docs/model-contract.md).

use std::io::Read;
use std::ops::{Deref, Range};
use std::path::Path;

use memmap2::{Mmap, UncheckedAdvice};
use serde_json::Value;

use crate::error::{Error, Result, Status};

/// Float32 values of a tensor: the file's own bytes, memory-mapped, where they can be read as `f32` in place (a
/// little-endian machine, and the tensor 4-byte aligned in the file, as safetensors writers align it); otherwise
/// a copy.
pub(super) enum Floats {
    /// `len` values from byte `start` of `map`, `start` a multiple of 4.
    Mapped {
        map: Mmap,
        start: usize,
        len: usize,
    },
    Owned(Vec<f32>),
}

impl Deref for Floats {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        match self {
            Floats::Owned(values) => values,
            // SAFETY: `Floats::mapped` made this variant only for `len` values inside the map, from a start
            // aligned for `f32` (the map itself starts on a page), on a little-endian machine; every bit pattern is
            // an `f32`; the map lives as long as `self`, and nothing writes to it (a read-only map of a file that
            // the model contract says is not rewritten while open).
            Floats::Mapped { map, start, len } => unsafe {
                std::slice::from_raw_parts(map.as_ptr().add(*start).cast::<f32>(), *len)
            },
        }
    }
}

impl Floats {
    /// The `len` floats from byte `start` of `map`: in place where they can be read so, else copied.
    fn of(map: Mmap, start: usize, len: usize) -> Floats {
        match cfg!(target_endian = "little") && start.is_multiple_of(4) {
            true => Floats::Mapped { map, start, len },
            false => Floats::Owned(little_endian(&map[start..start + 4 * len])),
        }
    }

    /// Gives the pages that hold `values` (a range of this tensor's values) back to the page cache, so that they
    /// stop counting in the process's resident memory until they are read again. Nothing for a copy.
    fn release_pages(&self, values: Range<usize>) {
        if let Floats::Mapped { map, start, .. } = self {
            // SAFETY: the map is read-only and never written, so its pages hold the file's bytes: dropping them
            // only makes the next read fetch them from the file again. The range lies inside the map (the values
            // do); a failure leaves the pages resident, which is only memory.
            let _ = unsafe {
                map.unchecked_advise_range(
                    UncheckedAdvice::DontNeed,
                    start + 4 * values.start,
                    4 * values.len(),
                )
            };
        }
    }

    /// The rows of this tensor, `[rows, width]`, in order, for a pass that reads each row once (the checks and
    /// the screen's quantization at load): the pages of rows already read are given back as it goes, so the
    /// pass never holds more than [`RELEASE_VALUES`] values of a mapped tensor in resident memory.
    pub(super) fn rows_once(&self, width: usize) -> RowsOnce<'_> {
        RowsOnce {
            floats: self,
            width,
            next: 0,
            released: 0,
        }
    }
}

/// Values read by [`Floats::rows_once`] between two releases of their pages (1 MiB).
const RELEASE_VALUES: usize = 1 << 18;

/// The iterator of [`Floats::rows_once`].
pub(super) struct RowsOnce<'a> {
    floats: &'a Floats,
    width: usize,
    /// The next row, and the first row whose pages are still held.
    next: usize,
    released: usize,
}

impl<'a> Iterator for RowsOnce<'a> {
    type Item = &'a [f32];
    fn next(&mut self) -> Option<&'a [f32]> {
        let values: &'a [f32] = self.floats;
        let start = self.next * self.width;
        let done = start + self.width > values.len();
        if done || (self.next - self.released) * self.width >= RELEASE_VALUES {
            let held = self.released * self.width..start.min(values.len());
            if !held.is_empty() {
                self.floats.release_pages(held);
            }
            self.released = self.next;
        }
        if done {
            return None;
        }
        self.next += 1;
        Some(&values[start..start + self.width])
    }
}

/// Little-endian float32 bytes as floats.
fn little_endian(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// An error naming the first non-finite value of `values`, which start at index `first` of tensor `name`, if any.
fn finite(
    name: &str,
    values: &[f32],
    first: usize,
    invalid: &impl Fn(String) -> Error,
) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(invalid(format!(
            "tensor '{name}' holds a non-finite value ({}) at index {}",
            values[i],
            first + i
        ))),
        None => Ok(()),
    }
}

/// The vocabulary matrix as the file holds it.
pub(super) enum Matrix {
    Float(Floats),
    /// Row `v` is `scale[v] · values[v]`.
    Int8 {
        values: Vec<i8>,
        scale: Vec<f32>,
    },
}

/// The tensors of a decoder file, as [`read`] gives them.
pub(super) struct Contents {
    pub(super) weight: Matrix,
    pub(super) bias: Vec<f32>,
    /// The rows and the width the tensors were read with.
    pub(super) vocab: usize,
    pub(super) hidden: usize,
}

/// The tensors of the file, checked against the expected shapes; every float finite, every scale `>= 0`.
///
/// A NaN or infinite value would make every weight of its row NaN or infinite, and the expander would return
/// empty or wrong vectors with no error, so it is refused here, with the tensor and the first bad index. A scale
/// is `max |w| / 127` of its row (`tools/quantize.py`): zero for a row of zeros, which is valid; a negative one
/// is not a scale any quantizer writes and would silently negate its row, so it is refused too. `vocab` is the
/// tokenizer's vocabulary size: a `weight` of another number of rows is reported as the mismatch between
/// `tokenizer.json` and the model that it is, naming both sizes. `hidden` is the graph's width. Either may be
/// `None`, to take the size the file's `weight` declares (a read before the tokenizer or the graph is known).
pub(super) fn read(path: &Path, vocab: Option<usize>, hidden: Option<usize>) -> Result<Contents> {
    let invalid =
        |what: String| Error::new(Status::InvalidModel, format!("{}: {what}", path.display()));
    let (header, map, data_start) = map_checked(path, &invalid)?;
    let declared = |axis: usize| {
        (header["weight"]["shape"].get(axis))
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| invalid("tensor 'weight' has no [vocab, hidden] shape".into()))
    };
    let hidden = match hidden {
        Some(hidden) => hidden,
        None => declared(1)?,
    };
    let vocab = match vocab {
        Some(vocab) => vocab,
        None => declared(0)?,
    };
    let data = &map[data_start..];
    // Where the bytes of tensor `name` lie in `data`; it must be `dtype` (of `size` bytes per value) and `shape`.
    let tensor = |name: &str, dtype: &str, size: usize, shape: &[usize]| -> Result<Range<usize>> {
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
            .filter(|r| {
                shape.iter().try_fold(size, |n, &d| n.checked_mul(d)) == Some(r.len())
                    && r.end <= data.len()
            })
            .ok_or_else(|| invalid(format!("tensor '{name}' has bad data offsets")))
    };
    let floats = |name: &str, shape: &[usize]| -> Result<Vec<f32>> {
        let values = little_endian(&data[tensor(name, "F32", 4, shape)?]);
        finite(name, &values, 0, &invalid)?;
        Ok(values)
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
    let bias = floats("bias", &[vocab])?;
    if header["weight"]["dtype"] == "I8" {
        let values = &data[tensor("weight", "I8", 1, &[vocab, hidden])?];
        let scale = floats("scale", &[vocab])?;
        if let Some(v) = scale.iter().position(|&s| s < 0.0) {
            return Err(invalid(format!(
                "tensor 'scale' holds a negative scale ({}) at index {v}",
                scale[v]
            )));
        }
        let values = values.iter().map(|&b| b as i8).collect();
        let weight = Matrix::Int8 { values, scale };
        return Ok(Contents {
            weight,
            bias,
            vocab,
            hidden,
        });
    }
    let weight = tensor("weight", "F32", 4, &[vocab, hidden])?;
    let weight = Floats::of(map, data_start + weight.start, weight.len() / 4);
    for (row, values) in weight.rows_once(hidden).enumerate() {
        finite("weight", values, row * hidden, &invalid)?;
    }
    Ok(Contents {
        weight: Matrix::Float(weight),
        bias,
        vocab,
        hidden,
    })
}

/// The tensors a decoder file holds.
const TENSORS: [&str; 3] = ["weight", "bias", "scale"];

/// The header, and the file mapped with the byte its tensor data starts at. The header is read and its tensors
/// checked against the file's length before the file is mapped, so a huge or endless file (a sparse file, a
/// device) costs nothing.
fn map_checked(path: &Path, invalid: &impl Fn(String) -> Error) -> Result<(Value, Mmap, usize)> {
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
    // SAFETY: a read-only map of a regular file (`ModelFiles::locate` refuses anything else), which the model
    // contract says is not rewritten in place while an expander has it open; its length is checked below.
    let map = unsafe { Mmap::map(&file) }.map_err(unreadable)?;
    if map.len() as u64 != file_len {
        return Err(invalid(format!(
            "changed while it was read: {file_len} bytes expected, {} mapped",
            map.len()
        )));
    }
    Ok((header, map, 8 + header_len as usize))
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
