//! Turning text into token ids: the model's `tokenizer.json`, the special tokens it wraps every text in, and the
//! cut of long texts into `max_length` tokens (truncation, or up to `max_windows` overlapping windows).

mod ascii;

use std::path::Path;

use tokenizers::Tokenizer;

use crate::error::{Error, Result, Status};
use crate::model::LengthLimit;
use crate::options::DEFAULT_MAX_LENGTH_CAP;
use crate::vocab::Vocab;

/// The token ids of one window of a text, special tokens included, ready to be padded into a batch.
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

/// The special tokens the tokenizer's post-processor puts around a single text (for BERT: `[CLS]` before,
/// `[SEP]` after), and the type id it gives the text itself.
struct Template {
    prefix: Vec<(u32, u32)>,
    suffix: Vec<(u32, u32)>,
    content_type: u32,
}

impl Template {
    /// Finds the template by tokenizing a probe text with and without special tokens.
    fn of(tokenizer: &Tokenizer, path: &Path) -> Result<Self> {
        let unusable = |why: String| {
            Error::new(
                Status::InvalidModel,
                format!("{} is not a usable tokenizer: {why}", path.display()),
            )
        };
        let probe = "a";
        let with = tokenizer
            .encode_fast(probe, true)
            .map_err(|e| unusable(e.to_string()))?;
        let without = tokenizer
            .encode_fast(probe, false)
            .map_err(|e| unusable(e.to_string()))?;
        let (ids, types, content) = (with.get_ids(), with.get_type_ids(), without.get_ids());
        let start = (0..=ids.len().saturating_sub(content.len()))
            .find(|&s| ids[s..].starts_with(content))
            .ok_or_else(|| {
                unusable("its post-processor does not keep a text's tokens together".into())
            })?;
        let end = start + content.len();
        let pairs = |range: std::ops::Range<usize>| range.map(|i| (ids[i], types[i])).collect();
        Ok(Template {
            prefix: pairs(0..start),
            suffix: pairs(end..ids.len()),
            content_type: types.get(start).copied().unwrap_or(0),
        })
    }

    fn len(&self) -> usize {
        self.prefix.len() + self.suffix.len()
    }

    /// `content` wrapped in the special tokens.
    fn wrap(&self, content: &[u32]) -> Tokens {
        let all = self
            .prefix
            .iter()
            .copied()
            .chain(content.iter().map(|&id| (id, self.content_type)))
            .chain(self.suffix.iter().copied());
        let (ids, type_ids) = all.map(|(id, ty)| (i64::from(id), i64::from(ty))).unzip();
        Tokens { ids, type_ids }
    }
}

/// How a text becomes the token windows of one or more inference rows.
pub(crate) struct TextTokenizer {
    tokenizer: Tokenizer,
    /// The same ids for ASCII texts, faster, when the tokenizer is BERT's.
    ascii: Option<ascii::AsciiBert>,
    template: Template,
    max_length: usize,
    /// Text tokens per window (`max_length` minus the special tokens).
    room: usize,
    max_windows: usize,
    /// Text tokens from the start of one window to the start of the next.
    stride: usize,
}

/// The cut of long texts, as chosen in the options.
pub(crate) struct Cut {
    pub(crate) max_length: Option<usize>,
    pub(crate) max_windows: usize,
    pub(crate) window_overlap: usize,
}

impl TextTokenizer {
    /// Loads `tokenizer.json`, with its vocabulary, and checks the cut against it: `max_length` (by default the model's `limit`,
    /// capped at 512) must leave room for a token besides the special tokens and not exceed `limit`; with
    /// several windows, the overlap must be smaller than a window. A model whose own limit leaves no such room
    /// is invalid, its limit's key named.
    pub(crate) fn load(
        path: &Path,
        cut: &Cut,
        limit: Option<&LengthLimit>,
    ) -> Result<(Self, Vocab)> {
        let mut tokenizer = Tokenizer::from_file(path).map_err(|e| {
            Error::new(
                Status::InvalidModel,
                format!("{} is not a usable tokenizer: {e}", path.display()),
            )
        })?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| Error::new(Status::InvalidModel, format!("{}: {e}", path.display())))?;
        let template = Template::of(&tokenizer, path)?;
        let special = template.len();
        let invalid = |message: String| Err(Error::new(Status::InvalidArgument, message));
        let max_length = match (cut.max_length, limit) {
            (Some(n), Some(limit)) if n > limit.tokens => {
                return invalid(format!(
                    "option max_length is {n}, but the model accepts at most {} tokens ({})",
                    limit.tokens, limit.source
                ))
            }
            (Some(n), _) if n <= special => {
                return invalid(format!(
                    "option max_length is {n}, but the tokenizer adds {special} special tokens; it must be at \
                     least {}",
                    special + 1
                ))
            }
            (Some(n), _) => n,
            (None, Some(limit)) if limit.tokens <= special => {
                return Err(Error::new(
                    Status::InvalidModel,
                    format!(
                        "{} is {}, but the tokenizer adds {special} special tokens: a model must accept at \
                         least {}",
                        limit.source,
                        limit.tokens,
                        special + 1
                    ),
                ))
            }
            (None, limit) => limit
                .map_or(DEFAULT_MAX_LENGTH_CAP, |limit| limit.tokens)
                .min(DEFAULT_MAX_LENGTH_CAP),
        };
        let room = max_length - special;
        if cut.max_windows > 1 && cut.window_overlap >= room {
            return invalid(format!(
                "option window_overlap is {}, but a window holds {room} text tokens (max_length {max_length} \
                 minus {special} special tokens); it must be smaller",
                cut.window_overlap
            ));
        }
        // The model's pieces, copied out of the tokenizer once: the vocabulary and the fast path are made of them.
        let pieces = tokenizers::Model::get_vocab(tokenizer.get_model());
        let vocab = Vocab::of(&tokenizer, &pieces);
        let text_tokenizer = TextTokenizer {
            ascii: ascii::AsciiBert::of(&tokenizer, pieces),
            tokenizer,
            template,
            max_length,
            room,
            max_windows: cut.max_windows,
            stride: room.saturating_sub(cut.window_overlap).max(1),
        };
        Ok((text_tokenizer, vocab))
    }

    /// The number of tokens of a window, special tokens included.
    pub(crate) fn max_length(&self) -> usize {
        self.max_length
    }

    /// Tokenizes one text into its windows: the first `max_length` tokens (special tokens included) and, when
    /// `max_windows > 1`, further windows starting `stride` text tokens apart, until the text or the windows run
    /// out. The empty text is one window of special tokens.
    pub(crate) fn encode(&self, text: &str) -> Result<Vec<Tokens>> {
        let usable = (self.max_windows - 1)
            .saturating_mul(self.stride)
            .saturating_add(self.room);
        let content = self.text_tokens(text, usable)?;
        let mut windows = Vec::new();
        let mut start = 0;
        loop {
            let end = (start + self.room).min(content.len());
            windows.push(self.template.wrap(&content[start..end]));
            if end == content.len() || windows.len() == self.max_windows {
                return Ok(windows);
            }
            start += self.stride;
        }
    }

    /// The first `needed` tokens of `text` (without special tokens), or all of them when there are fewer.
    ///
    /// A long text is tokenized by growing prefixes cut at whitespace, so that a text of many megabytes costs
    /// about as much as the part that is used: once a prefix yields `needed` tokens they are the whole text's
    /// (tokenizers split words at whitespace, so a word before the cut does not depend on what follows it). A
    /// text with no whitespace after the first cut is tokenized whole.
    fn text_tokens(&self, text: &str, needed: usize) -> Result<Vec<u32>> {
        let mut cut = needed.saturating_mul(PREFIX_BYTES_PER_TOKEN);
        while cut < text.len() {
            let Some(end) = whitespace_at_or_after(text, cut) else {
                break;
            };
            let mut ids = self.ids(&text[..end])?;
            if ids.len() >= needed {
                ids.truncate(needed);
                return Ok(ids);
            }
            cut = cut.saturating_mul(4);
        }
        let mut ids = self.ids(text)?;
        ids.truncate(needed);
        Ok(ids)
    }

    fn ids(&self, text: &str) -> Result<Vec<u32>> {
        if let Some(ids) = self.ascii.as_ref().and_then(|fast| fast.ids(text)) {
            return Ok(ids);
        }
        let encoding = self.tokenizer.encode_fast(text, false).map_err(|e| {
            Error::new(
                Status::Tokenization,
                format!("the tokenizer failed on a text: {e}"),
            )
        })?;
        Ok(encoding.get_ids().to_vec())
    }
}

/// Texts longer than the tokens they need times this many bytes are tokenized by prefix; shorter ones, whole.
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
