//! The vocabulary: the token string of every id, kept NUL-terminated so that C callers can borrow them, and
//! which ids are special tokens.

use std::ffi::CStr;

use crate::error::{Error, Status};

use tokenizers::Tokenizer;

/// Every token string of a tokenizer, in id order, stored once in one buffer.
pub(crate) struct Vocab {
    /// The tokens, each followed by a NUL byte.
    text: Box<[u8]>,
    /// `starts[id]` is where token `id` begins in `text`; one extra entry marks the end.
    starts: Box<[usize]>,
    /// The ids of the tokenizer's special tokens (such as `[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]`), sorted.
    special: Box<[u32]>,
}

impl Vocab {
    /// Reads every id of `tokenizer` (added tokens included). An id without a token gets the empty string; a NUL
    /// byte inside a token (no known vocabulary has one) is dropped so that the C view stays whole.
    pub(crate) fn of(tokenizer: &Tokenizer) -> Self {
        let size = tokenizer.get_vocab_size(true);
        let mut text = Vec::new();
        let mut starts = Vec::with_capacity(size + 1);
        for id in 0..size {
            starts.push(text.len());
            if let Some(token) = u32::try_from(id)
                .ok()
                .and_then(|id| tokenizer.id_to_token(id))
            {
                text.extend(token.bytes().filter(|&b| b != 0));
            }
            text.push(0);
        }
        starts.push(text.len());
        let mut special: Vec<u32> = tokenizer
            .get_added_tokens_decoder()
            .into_iter()
            .filter(|(_, token)| token.special)
            .map(|(id, _)| id)
            .collect();
        special.sort_unstable();
        Vocab {
            text: text.into_boxed_slice(),
            starts: starts.into_boxed_slice(),
            special: special.into_boxed_slice(),
        }
    }

    /// True when `id` is one of the tokenizer's special tokens.
    pub(crate) fn is_special(&self, id: u32) -> bool {
        self.special.binary_search(&id).is_ok()
    }

    /// The number of ids.
    pub(crate) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// The token of `id`, NUL-terminated, or `None` when `id` is outside the vocabulary.
    pub(crate) fn c_token(&self, id: u32) -> Option<&CStr> {
        let id = usize::try_from(id).ok()?;
        let (&start, &end) = (self.starts.get(id)?, self.starts.get(id + 1)?);
        CStr::from_bytes_with_nul(&self.text[start..end]).ok()
    }

    /// The token of `id`, or `None` when `id` is outside the vocabulary.
    pub(crate) fn token(&self, id: u32) -> Option<&str> {
        self.c_token(id).and_then(|t| t.to_str().ok())
    }

    /// The error for an `id` outside the vocabulary.
    pub(crate) fn out_of_range(&self, id: u32) -> Error {
        Error::new(
            Status::OutOfRange,
            format!(
                "token id {id} is outside the vocabulary of {} ids",
                self.len()
            ),
        )
    }
}
