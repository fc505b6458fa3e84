//! BERT's tokenizer for ASCII text, exactly as `tokenizers` runs it, about ten times faster.
//!
//! `tokenizers` carries every text through Unicode normalization with byte alignments, a search for its added
//! tokens, and string splits; for the BERT pipeline (`BertNormalizer` with `clean_text`, `BertPreTokenizer`,
//! `WordPiece`) an ASCII text needs none of that:
//! - cleaning removes the control bytes (0x00-0x08, 0x0B, 0x0C, 0x0E-0x1F, 0x7F: joining what is around them)
//!   and turns tab, newline and carriage return into spaces;
//! - Chinese characters and accents do not occur, and lowercasing is ASCII lowercasing;
//! - words are split at spaces, and every ASCII punctuation byte is a word of its own;
//! - each word is cut into the longest vocabulary pieces from its start (`##` pieces after the first), or is
//!   the unknown token when it is longer than `max_input_chars_per_word` or cannot be cut.
//!
//! A text with any other byte, or holding an added token (`[CLS]`, `[MASK]`, ...: `tokenizers` matches them
//! before normalizing), goes to `tokenizers`, as does every text of any other pipeline. Tests compare the two on
//! the shared collections and on generated ASCII.

use std::collections::HashMap;

use tokenizers::{ModelWrapper, NormalizerWrapper, PreTokenizerWrapper, Tokenizer};

/// The WordPiece vocabulary and the few settings an ASCII text needs. Immutable, shared by every thread.
pub(super) struct AsciiBert {
    lowercase: bool,
    /// Pieces that start a word, and pieces that continue one (their continuing prefix taken off).
    first: HashMap<Box<[u8]>, u32>,
    rest: HashMap<Box<[u8]>, u32>,
    unknown: u32,
    max_word_len: usize,
    /// The added tokens: a text holding one goes to `tokenizers`.
    added: Vec<String>,
}

/// What cleaning and splitting make of an ASCII byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Removed (control characters).
    Dropped,
    /// Ends a word (space, tab, newline, carriage return).
    Space,
    /// A word of its own.
    Punctuation,
    /// Part of a word.
    Letter,
}

fn class(byte: u8) -> Class {
    match byte {
        b' ' | b'\t' | b'\n' | b'\r' => Class::Space,
        0x00..=0x1f | 0x7f => Class::Dropped,
        _ if byte.is_ascii_punctuation() => Class::Punctuation,
        _ => Class::Letter,
    }
}

impl AsciiBert {
    /// The fast path for `tokenizer`, whose model's pieces (`Model::get_vocab`) are `pieces`, when it is BERT's
    /// pipeline with cleaning on and every added token matched before normalization; `None` otherwise (or when
    /// its unknown token is not in its vocabulary).
    pub(super) fn of(tokenizer: &Tokenizer, pieces: HashMap<String, u32>) -> Option<Self> {
        let Some(NormalizerWrapper::BertNormalizer(normalizer)) = tokenizer.get_normalizer() else {
            return None;
        };
        let Some(PreTokenizerWrapper::BertPreTokenizer(_)) = tokenizer.get_pre_tokenizer() else {
            return None;
        };
        let ModelWrapper::WordPiece(model) = tokenizer.get_model() else {
            return None;
        };
        let added = tokenizer.get_added_tokens_decoder();
        if !normalizer.clean_text || added.values().any(|t| t.normalized || t.content.is_empty()) {
            return None;
        }
        let unknown = *pieces.get(&model.unk_token)?;
        let prefix = &model.continuing_subword_prefix;
        let mut first = HashMap::new();
        let mut rest = HashMap::new();
        for (piece, id) in pieces {
            if let Some(tail) = piece.strip_prefix(prefix.as_str()) {
                rest.insert(tail.as_bytes().into(), id);
            }
            first.insert(piece.into_bytes().into_boxed_slice(), id);
        }
        Some(AsciiBert {
            lowercase: normalizer.lowercase,
            first,
            rest,
            unknown,
            max_word_len: model.max_input_chars_per_word,
            added: added.into_values().map(|t| t.content).collect(),
        })
    }

    /// The ids `tokenizer.encode_fast(text, false)` gives, when `text` is ASCII and holds no added token.
    pub(super) fn ids(&self, text: &str) -> Option<Vec<u32>> {
        if !text.is_ascii() || self.added.iter().any(|token| text.contains(token.as_str())) {
            return None;
        }
        let mut ids = Vec::with_capacity(text.len() / 4);
        let mut word = Vec::with_capacity(32);
        for &byte in text.as_bytes() {
            match class(byte) {
                Class::Dropped => {}
                Class::Letter if self.lowercase => word.push(byte.to_ascii_lowercase()),
                Class::Letter => word.push(byte),
                Class::Space => self.word_pieces(&mut word, &mut ids),
                Class::Punctuation => {
                    self.word_pieces(&mut word, &mut ids);
                    word.push(byte);
                    self.word_pieces(&mut word, &mut ids);
                }
            }
        }
        self.word_pieces(&mut word, &mut ids);
        Some(ids)
    }

    /// Appends the pieces of `word` (if any) to `ids`, and empties it: greedily the longest piece in the
    /// vocabulary from each point, or the unknown token for the whole word.
    fn word_pieces(&self, word: &mut Vec<u8>, ids: &mut Vec<u32>) {
        if word.is_empty() {
            return;
        }
        let mark = ids.len();
        if word.len() > self.max_word_len {
            ids.push(self.unknown);
        } else {
            let mut start = 0;
            while start < word.len() {
                let pieces = if start == 0 { &self.first } else { &self.rest };
                let Some((end, id)) = (start + 1..=word.len())
                    .rev()
                    .find_map(|end| Some((end, *pieces.get(&word[start..end])?)))
                else {
                    ids.truncate(mark);
                    ids.push(self.unknown);
                    break;
                };
                ids.push(id);
                start = end;
            }
        }
        word.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_files::{model, shared_data};

    /// A model's tokenizer with its truncation and padding off, as [`super::super::TextTokenizer`] sets it.
    fn tokenizer(name: &str) -> Tokenizer {
        let mut tokenizer = Tokenizer::from_file(model(name).join("tokenizer.json")).unwrap();
        tokenizer.with_padding(None);
        tokenizer.with_truncation(None).unwrap();
        tokenizer
    }

    /// Compares the fast path with `tokenizers` on every text it takes; returns how many it took.
    fn same_ids<'a>(
        tokenizer: &Tokenizer,
        fast: &AsciiBert,
        texts: impl IntoIterator<Item = &'a str>,
    ) -> usize {
        let mut taken = 0;
        for text in texts {
            if let Some(ids) = fast.ids(text) {
                let want = tokenizer.encode_fast(text, false).unwrap();
                assert_eq!(ids, want.get_ids(), "{text:?}");
                taken += 1;
            }
        }
        taken
    }

    /// The fast path of `tokenizer`, as loading makes it.
    fn fast_path(tokenizer: &Tokenizer) -> Option<AsciiBert> {
        AsciiBert::of(
            tokenizer,
            tokenizers::Model::get_vocab(tokenizer.get_model()),
        )
    }

    /// The texts of a collection file: lines, or for JSONL the title and text fields of each line.
    fn collection(relative: &str) -> Vec<String> {
        let path = shared_data(relative);
        let content = std::fs::read_to_string(&path).unwrap();
        if !relative.ends_with(".jsonl") {
            return content.lines().map(String::from).collect();
        }
        content
            .lines()
            .flat_map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                ["title", "text"].map(|field| value[field].as_str().unwrap_or("").to_string())
            })
            .collect()
    }

    /// Every ASCII text of the shared collections tokenizes as `tokenizers` does, and the fast path takes most
    /// of them (every text without another byte or an added token).
    #[test]
    fn collections_tokenize_as_tokenizers_does() {
        let tokenizer = tokenizer("splade-tiny");
        let fast = fast_path(&tokenizer).expect("BERT's pipeline");
        for file in [
            "bench/paragraphs.txt",
            "bench/queries.txt",
            "scifact/corpus.jsonl",
            "scifact/queries.jsonl",
            "cranfield/corpus.jsonl",
            "cranfield/queries.jsonl",
        ] {
            let texts = collection(file);
            let ascii = texts
                .iter()
                .filter(|t| t.is_ascii() && !t.contains('['))
                .count();
            let taken = same_ids(&tokenizer, &fast, texts.iter().map(String::as_str));
            assert!(
                taken >= ascii && taken > texts.len() / 2,
                "{file}: {taken} of {} texts",
                texts.len()
            );
        }
    }

    /// Generated ASCII, every byte value, with vocabulary words, punctuation runs, control bytes inside words,
    /// words of 100 and 101 letters, and unknown pieces, tokenizes as `tokenizers` does; with the model's
    /// lowercasing and without it.
    #[test]
    fn generated_ascii_tokenizes_as_tokenizers_does() {
        let words = [
            "the",
            "Tokenizer",
            "unaffable",
            "running",
            "##ing",
            "xylophonist",
            "qzxv",
            "COVID-19",
            "e.g.",
            "3.14159",
            "p<0.05",
            "don't",
            "a\u{1}b",
            "tab\tbed",
            "\r\n",
            "\u{7f}",
            "##",
            "[MASK",
            "CLS]",
            "#",
            "_x_",
            "~",
            "`",
            "\u{b}",
            "\u{c}",
            "\u{1c}",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut texts: Vec<String> = vec![
            String::new(),
            " ".into(),
            "a".repeat(100),
            "a".repeat(101),
            format!("{} b", "ab".repeat(50)),
            format!("{}\u{1}{}", "a".repeat(60), "a".repeat(60)),
        ];
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..next(40) {
                match next(4) {
                    0 => text.push(char::from(next(128) as u8)),
                    1 => text.push_str(words[next(words.len())]),
                    _ => {
                        text.push_str(words[next(words.len())]);
                        text.push(' ');
                    }
                }
            }
            texts.push(text);
        }
        let cased = {
            let mut json: serde_json::Value =
                serde_json::from_str(&tokenizer("splade-tiny").to_string(false).unwrap()).unwrap();
            json["normalizer"]["lowercase"] = false.into();
            json["normalizer"]["strip_accents"] = false.into();
            json.to_string().parse::<Tokenizer>().unwrap()
        };
        for tokenizer in [tokenizer("splade-tiny"), cased] {
            let fast = fast_path(&tokenizer).expect("BERT's pipeline");
            let taken = same_ids(&tokenizer, &fast, texts.iter().map(String::as_str));
            assert!(taken > 2500, "{taken} texts taken");
        }
    }

    /// Texts holding an added token, or a byte beyond ASCII, go to `tokenizers`; so does every text of a
    /// pipeline other than BERT's with cleaning on.
    #[test]
    fn other_texts_and_pipelines_go_to_tokenizers() {
        let tokenizer = tokenizer("splade-tiny");
        let fast = fast_path(&tokenizer).unwrap();
        for text in ["a [MASK] b", "[CLS]", "caf\u{e9}", "\u{a0}"] {
            assert_eq!(fast.ids(text), None, "{text:?}");
        }
        let mut json: serde_json::Value =
            serde_json::from_str(&tokenizer.to_string(false).unwrap()).unwrap();
        json["normalizer"]["clean_text"] = false.into();
        let unclean: Tokenizer = json.to_string().parse().unwrap();
        assert!(fast_path(&unclean).is_none());
        json["normalizer"] = serde_json::json!({"type": "Lowercase"});
        let other: Tokenizer = json.to_string().parse().unwrap();
        assert!(fast_path(&other).is_none());
    }
}
