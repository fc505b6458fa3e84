//! The error type of the library and the status codes that name its kinds.
//!
//! Every fallible operation returns [`Error`]: a [`Status`] that a program can branch on and a message that a
//! person can act on (it names the file, input, option or value that was wrong). The C ABI returns the same two
//! things, so a status number means the same in every language.

use std::ffi::CStr;
use std::fmt;

/// What kind of failure happened. The numbers are part of the C ABI: they are stable and never reused.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL (C ABI only).
    NullArgument = 1,
    /// An argument or option had a value outside its allowed range.
    InvalidArgument = 2,
    /// Text passed as bytes was not valid UTF-8.
    InvalidUtf8 = 3,
    /// The model directory, or a file it must contain, does not exist.
    ModelNotFound = 4,
    /// A model file exists but cannot be used: unreadable, corrupt, or with inputs, outputs or shapes that do not
    /// fit the model directory contract.
    InvalidModel = 5,
    /// The tokenizer failed on a text.
    Tokenization = 6,
    /// The ONNX Runtime shared library could not be found or loaded.
    RuntimeUnavailable = 7,
    /// ONNX Runtime failed while running the model.
    Inference = 8,
    /// A vocabulary id is outside the model's vocabulary.
    OutOfRange = 9,
    /// An object was used after it was closed (reported by the language bindings).
    Closed = 10,
    /// Memory could not be allocated (ONNX Runtime's allocator failed while opening or running the model): the
    /// options or the input asked for more memory than the process can have. Not a fault of the model.
    OutOfMemory = 11,
    /// A bug: a Rust panic was caught at the C boundary. Please report it with the message.
    Panic = 99,
}

/// Makes `Status::ALL` and `Status::c_name` from the variants of [`Status`]. `c_name` matches on every variant
/// with no wildcard, so a list that leaves one out does not compile, and one that names a variant twice has an
/// unreachable pattern, denied.
macro_rules! status_lookups {
    ($($variant:ident),+ $(,)?) => {
        impl Status {
            /// Every status, in the order of the enum.
            const ALL: [Status; [$(Status::$variant),+].len()] = [$(Status::$variant),+];

            /// [`Status::name`], NUL-terminated for C callers.
            #[deny(unreachable_patterns)]
            pub fn c_name(self) -> &'static CStr {
                match self {
                    $(Status::$variant => {
                        const BYTES: [u8; c_name_len(stringify!($variant))] =
                            c_name_bytes(stringify!($variant));
                        const NAME: &CStr = match CStr::from_bytes_with_nul(&BYTES) {
                            Ok(name) => name,
                            Err(_) => panic!("a C name is not one NUL-terminated string"),
                        };
                        NAME
                    })+
                }
            }
        }
    };
}

// The enum `Status` is the one definition of the statuses (name, number, comment), written out because cbindgen,
// which writes it into the header, reads no item a macro makes. Its lookups are made from this list of its
// variants, which the compiler checks against it (see `status_lookups!`); each C name is made from its variant.
status_lookups!(
    Ok,
    NullArgument,
    InvalidArgument,
    InvalidUtf8,
    ModelNotFound,
    InvalidModel,
    Tokenization,
    RuntimeUnavailable,
    Inference,
    OutOfRange,
    Closed,
    OutOfMemory,
    Panic,
);

impl Status {
    /// The status with this number, if any.
    pub fn from_code(code: i64) -> Option<Status> {
        Status::ALL.into_iter().find(|s| *s as i64 == code)
    }

    /// The status's name as it appears in the C header, for example `SPLADE_STATUS_INVALID_UTF8`.
    pub fn name(self) -> &'static str {
        self.c_name().to_str().unwrap_or_default()
    }
}

/// The prefix of every status's C name.
const C_NAME_PREFIX: &str = "SPLADE_STATUS_";

/// The length in bytes, NUL included, of the C name of the variant `variant` (see [`c_name_bytes`]).
const fn c_name_len(variant: &str) -> usize {
    let variant = variant.as_bytes();
    let mut len = C_NAME_PREFIX.len() + variant.len() + 1;
    let mut i = 1;
    while i < variant.len() {
        if variant[i].is_ascii_uppercase() {
            len += 1;
        }
        i += 1;
    }
    len
}

/// The C name of the variant `variant`, NUL-terminated: `SPLADE_STATUS_` and the variant in screaming snake case
/// (`InvalidUtf8` gives `SPLADE_STATUS_INVALID_UTF8`), as cbindgen names the variants in the header
/// (`cbindgen.toml`: `rename_variants = "ScreamingSnakeCase"`, `prefix_with_name = true`). `N` is
/// `c_name_len(variant)`.
const fn c_name_bytes<const N: usize>(variant: &str) -> [u8; N] {
    let prefix = C_NAME_PREFIX.as_bytes();
    let variant = variant.as_bytes();
    let mut name = [0; N];
    let mut at = 0;
    while at < prefix.len() {
        name[at] = prefix[at];
        at += 1;
    }
    let mut i = 0;
    while i < variant.len() {
        if i > 0 && variant[i].is_ascii_uppercase() {
            name[at] = b'_';
            at += 1;
        }
        name[at] = variant[i].to_ascii_uppercase();
        at += 1;
        i += 1;
    }
    name
}

/// A failure: its kind and a message naming what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Creates an error of the given kind.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Error {
            status,
            message: message.into(),
        }
    }

    /// The kind of failure.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The message, naming the problem.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// `camel` in screaming snake case, written apart from `c_name_bytes`: `InvalidUtf8` gives `INVALID_UTF8`.
    fn screaming_snake(camel: &str) -> String {
        let mut words: Vec<String> = Vec::new();
        for c in camel.chars() {
            match words.last_mut() {
                Some(word) if !c.is_ascii_uppercase() => word.push(c.to_ascii_uppercase()),
                _ => words.push(c.to_string()),
            }
        }
        words.join("_")
    }

    #[test]
    fn every_c_name_is_the_prefix_and_the_variant_in_screaming_snake_case() {
        for status in Status::ALL {
            let expected = format!("SPLADE_STATUS_{}", screaming_snake(&format!("{status:?}")));
            assert_eq!(status.c_name().to_str(), Ok(expected.as_str()));
            assert_eq!(status.name(), expected);
        }
    }

    #[test]
    fn numbers_round_trip_and_no_other_number_is_a_status() {
        for status in Status::ALL {
            assert_eq!(Status::from_code(status as i64), Some(status));
        }
        let numbers: Vec<i64> = Status::ALL.iter().map(|&s| s as i64).collect();
        for code in -1..=1000 {
            assert_eq!(
                Status::from_code(code).is_some(),
                numbers.contains(&code),
                "{code}"
            );
        }
    }

    /// The header's `splade_status` (written by cbindgen from the enum itself) lists exactly `Status::ALL`: the
    /// same names and numbers, in the same order.
    #[test]
    fn the_header_enum_is_every_status_with_its_name_and_number() {
        let header = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/include/spladerunner.h"
        ))
        .expect("include/spladerunner.h is readable");
        let in_header: Vec<(String, i64)> = header
            .lines()
            .filter_map(|line| {
                let (name, number) = line.trim().strip_suffix(',')?.split_once(" = ")?;
                let number = number.parse().ok()?;
                name.starts_with("SPLADE_STATUS_")
                    .then(|| (name.to_string(), number))
            })
            .collect();
        let in_rust: Vec<(String, i64)> = Status::ALL
            .iter()
            .map(|&s| (s.name().to_string(), s as i64))
            .collect();
        assert_eq!(in_header, in_rust);
    }
}
