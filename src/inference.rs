//! One inference call: a group of text windows, padded into the model's inputs, through the expander's ONNX Runtime
//! session, and the output checked against the shape the model's signature promises before anything reads it.

use ort::value::TensorRef;

use crate::batch::{Group, Inputs};
use crate::error::{Error, Result, Status};
use crate::model::{OutputKind, Signature};
use crate::runtime;
use crate::session::SharedSession;
use crate::tokenize::Tokens;

/// Runs the rows of `group` (windows of `tokens`) through `session` and hands `then` the output's data,
/// row-major: `[rows, seq, vocab]` for logits, `[rows, vocab]` for weights pooled in the graph, `[rows, seq,
/// hidden]` for hidden states (`seq` the group's padded length). The data lives in the session's output, so it is
/// read in place rather than copied out.
pub(crate) fn run<R>(
    session: &SharedSession,
    signature: &Signature,
    group: &Group,
    tokens: &[Tokens],
    vocab: usize,
    then: impl FnOnce(&[f32]) -> Result<R>,
) -> Result<R> {
    let rows = group.members.len();
    let seq = group.seq_len;
    let inputs = Inputs::of(group, tokens);
    // An allocation failure inside ONNX Runtime is OUT_OF_MEMORY, any other failure INFERENCE.
    let failed =
        |e: ort::Error| runtime::ort_error(Status::Inference, format!("ONNX Runtime failed: {e}"));
    let shape = [rows, seq];
    fn tensor(shape: [usize; 2], data: &[i64]) -> ort::Result<TensorRef<'_, i64>> {
        TensorRef::from_array_view((shape, data))
    }
    let mut values = vec![
        (
            signature.input_ids.as_str(),
            tensor(shape, &inputs.ids).map_err(failed)?,
        ),
        (
            signature.attention_mask.as_str(),
            tensor(shape, &inputs.mask).map_err(failed)?,
        ),
    ];
    if let Some(name) = &signature.token_type_ids {
        values.push((
            name.as_str(),
            tensor(shape, &inputs.type_ids).map_err(failed)?,
        ));
    }
    let output = session.run(&values, &signature.output).map_err(failed)?;
    let (out_shape, data) = output.try_extract_tensor::<f32>().map_err(failed)?;
    let expected: &[i64] = match signature.output_kind {
        OutputKind::Logits => &[rows as i64, seq as i64, vocab as i64],
        OutputKind::Pooled => &[rows as i64, vocab as i64],
        OutputKind::Hidden(width) => &[rows as i64, seq as i64, width as i64],
    };
    if &out_shape[..] != expected || data.len() != expected.iter().product::<i64>() as usize {
        return Err(Error::new(
            Status::InvalidModel,
            format!(
                "output '{}' has shape {out_shape} for {rows} texts of {seq} tokens; expected {expected:?}",
                signature.output
            ),
        ));
    }
    then(data)
}
