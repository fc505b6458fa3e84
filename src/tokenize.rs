//! Turning text into token ids: the model's `tokenizer.json`, truncated to the expander's `max_length`.

use std::path::Path;

use tokenizers::{
    PostProcessor, Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy,
};

use crate::error::{Error, Result, Status};
use crate::options::DEFAULT_MAX_LENGTH_CAP;

/// The token ids of one text, special tokens included, ready to be padded into a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tokens {
    pub(crate) ids: Vec<i64>,
    pub(crate) type_ids: Vec<i64>,
}

impl Tokens {
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// A tokenizer that truncates every text to `max_length` tokens and never pads (batches pad themselves).
pub(crate) struct TextTokenizer {
    tokenizer: Tokenizer,
    max_length: usize,
}

impl TextTokenizer {
    /// Loads `tokenizer.json` and sets truncation to `requested` tokens, or by default to the model's `limit`
    /// capped at 512. `requested` must leave room for at least one token besides the special tokens, and must
    /// not exceed `limit` when the model states one.
    pub(crate) fn load(
        path: &Path,
        requested: Option<usize>,
        limit: Option<usize>,
    ) -> Result<Self> {
        let mut tokenizer = Tokenizer::from_file(path).map_err(|e| {
            Error::new(
                Status::InvalidModel,
                format!("{} is not a usable tokenizer: {e}", path.display()),
            )
        })?;
        let special = tokenizer
            .get_post_processor()
            .map_or(0, |p| p.added_tokens(false));
        let max_length = match (requested, limit) {
            (Some(n), Some(limit)) if n > limit => {
                return Err(Error::new(
                    Status::InvalidArgument,
                    format!("option max_length is {n}, but the model accepts at most {limit} tokens"),
                ))
            }
            (Some(n), _) if n <= special => {
                return Err(Error::new(
                    Status::InvalidArgument,
                    format!(
                        "option max_length is {n}, but the tokenizer adds {special} special tokens; it must be at \
                         least {}",
                        special + 1
                    ),
                ))
            }
            (Some(n), _) => n,
            (None, limit) => limit.unwrap_or(DEFAULT_MAX_LENGTH_CAP).min(DEFAULT_MAX_LENGTH_CAP),
        };
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| {
                Error::new(
                    Status::InvalidArgument,
                    format!("max_length {max_length}: {e}"),
                )
            })?;
        Ok(TextTokenizer {
            tokenizer,
            max_length,
        })
    }

    /// The number of tokens a text is truncated to, special tokens included.
    pub(crate) fn max_length(&self) -> usize {
        self.max_length
    }

    /// The underlying tokenizer (for its vocabulary).
    pub(crate) fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Tokenizes one text, adding the model's special tokens and truncating to `max_length`.
    ///
    /// A long text is tokenized by growing prefixes cut at whitespace, so that a text of many megabytes costs
    /// about as much as its first few thousand words: once a prefix fills `max_length` tokens, its tokens are
    /// the whole text's (tokenizers split words at whitespace, so a word before the cut does not depend on what
    /// follows it). A text with no whitespace after the first cut is tokenized whole.
    pub(crate) fn encode(&self, text: &str) -> Result<Tokens> {
        let mut cut = self.max_length.saturating_mul(PREFIX_BYTES_PER_TOKEN);
        while cut < text.len() {
            let Some(end) = whitespace_at_or_after(text, cut) else {
                break;
            };
            let tokens = self.encode_whole(&text[..end])?;
            if tokens.len() >= self.max_length {
                return Ok(tokens);
            }
            cut = cut.saturating_mul(4);
        }
        self.encode_whole(text)
    }

    fn encode_whole(&self, text: &str) -> Result<Tokens> {
        let encoding = self.tokenizer.encode_fast(text, true).map_err(|e| {
            Error::new(
                Status::Tokenization,
                format!("the tokenizer failed on a text: {e}"),
            )
        })?;
        let widen = |v: &[u32]| v.iter().map(|&x| i64::from(x)).collect();
        Ok(Tokens {
            ids: widen(encoding.get_ids()),
            type_ids: widen(encoding.get_type_ids()),
        })
    }
}

/// Texts longer than `max_length` times this many bytes are tokenized by prefix; shorter ones, whole.
const PREFIX_BYTES_PER_TOKEN: usize = 64;

/// The byte offset of the first whitespace character at or after byte `from`, if any.
fn whitespace_at_or_after(text: &str, from: usize) -> Option<usize> {
    let start = (from..text.len()).find(|&i| text.is_char_boundary(i))?;
    text[start..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, _)| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_whitespace_from_any_byte() {
        let text = "ab\u{e9}cd ef";
        assert_eq!(whitespace_at_or_after(text, 0), Some(6));
        assert_eq!(whitespace_at_or_after(text, 3), Some(6)); // inside the two-byte é
        assert_eq!(whitespace_at_or_after(text, 7), None);
    }
}
