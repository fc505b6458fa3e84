//! The vocabulary: the token string of every id, kept NUL-terminated so that C callers can borrow them, and
//! which ids are special tokens.

use std::collections::HashMap;
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
    /// Reads every id of `tokenizer`, whose model's pieces (`Model::get_vocab`) are `pieces`: as many ids as
    /// `tokenizer.get_vocab_size(true)` counts (the pieces and the added tokens, each string once), and for each
    /// the token `tokenizer.id_to_token` gives (an added token before a piece), without copying the tokenizer's
    /// vocabulary again. An id without a token gets the empty string; a NUL byte inside a token (no known
    /// vocabulary has one) is dropped so that the C view stays whole.
    pub(crate) fn of(tokenizer: &Tokenizer, pieces: &HashMap<String, u32>) -> Self {
        let added = tokenizer.get_added_vocabulary();
        let size = pieces.len()
            + (added.get_vocab().keys())
                .filter(|token| !pieces.contains_key(*token))
                .count();
        let mut tokens: Vec<&str> = vec![""; size];
        let by_id = (pieces.iter().map(|(piece, &id)| (id, piece))).chain(
            (added.get_added_tokens_decoder().iter()).map(|(&id, token)| (id, &token.content)),
        );
        for (id, token) in by_id {
            if let Some(slot) = usize::try_from(id).ok().and_then(|id| tokens.get_mut(id)) {
                *slot = token;
            }
        }
        let mut text = Vec::with_capacity(tokens.iter().map(|t| t.len() + 1).sum());
        let mut starts = Vec::with_capacity(size + 1);
        for token in tokens {
            starts.push(text.len());
            text.extend(token.bytes().filter(|&b| b != 0));
            text.push(0);
        }
        starts.push(text.len());
        let mut special: Vec<u32> = (added.get_added_tokens_decoder().iter())
            .filter(|(_, token)| token.special)
            .map(|(&id, _)| id)
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokenizers::{AddedToken, Model};

    /// The vocabulary is what `tokenizers` gives one id at a time (`get_vocab_size(true)` ids, each
    /// `id_to_token`), on the shipped tokenizer and on it with added tokens: one new, one special, and one whose
    /// string is already a piece (counted once).
    #[test]
    fn every_id_has_the_token_tokenizers_gives() {
        let path = crate::test_files::model("splade-tiny").join("tokenizer.json");
        let plain = Tokenizer::from_file(&path).unwrap();
        let mut added = plain.clone();
        added.add_tokens(&[AddedToken::from("spladerunnerword", false)]);
        added.add_special_tokens(&[AddedToken::from("[spladerunner]", true)]);
        added.add_tokens(&[AddedToken::from("atomic", false)]);
        for tokenizer in [plain, added] {
            let vocab = Vocab::of(&tokenizer, &tokenizer.get_model().get_vocab());
            let size = tokenizer.get_vocab_size(true);
            assert_eq!(vocab.len(), size);
            for id in 0..size as u32 {
                let want = tokenizer.id_to_token(id).unwrap_or_default();
                assert_eq!(vocab.token(id), Some(want.as_str()), "id {id}");
            }
            assert_eq!(vocab.token(size as u32), None);
            let special: Vec<u32> = (0..size as u32)
                .filter(|&id| vocab.is_special(id))
                .collect();
            let mut want: Vec<u32> = (tokenizer.get_added_tokens_decoder().into_iter())
                .filter(|(_, t)| t.special)
                .map(|(id, _)| id)
                .collect();
            want.sort_unstable();
            assert_eq!(special, want);
        }
    }
}
