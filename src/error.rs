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
    /// A bug: a Rust panic was caught at the C boundary. Please report it with the message.
    Panic = 99,
}

/// Every status, for lookups by number.
const ALL_STATUSES: [Status; 12] = [
    Status::Ok,
    Status::NullArgument,
    Status::InvalidArgument,
    Status::InvalidUtf8,
    Status::ModelNotFound,
    Status::InvalidModel,
    Status::Tokenization,
    Status::RuntimeUnavailable,
    Status::Inference,
    Status::OutOfRange,
    Status::Closed,
    Status::Panic,
];

impl Status {
    /// The status with this number, if any.
    pub fn from_code(code: i64) -> Option<Status> {
        ALL_STATUSES.into_iter().find(|s| *s as i64 == code)
    }

    /// The status's name as it appears in the C header, for example `SPLADE_STATUS_INVALID_UTF8`.
    pub fn name(self) -> &'static str {
        self.c_name().to_str().unwrap_or_default()
    }

    /// [`Status::name`], NUL-terminated for C callers.
    pub fn c_name(self) -> &'static CStr {
        match self {
            Status::Ok => c"SPLADE_STATUS_OK",
            Status::NullArgument => c"SPLADE_STATUS_NULL_ARGUMENT",
            Status::InvalidArgument => c"SPLADE_STATUS_INVALID_ARGUMENT",
            Status::InvalidUtf8 => c"SPLADE_STATUS_INVALID_UTF8",
            Status::ModelNotFound => c"SPLADE_STATUS_MODEL_NOT_FOUND",
            Status::InvalidModel => c"SPLADE_STATUS_INVALID_MODEL",
            Status::Tokenization => c"SPLADE_STATUS_TOKENIZATION",
            Status::RuntimeUnavailable => c"SPLADE_STATUS_RUNTIME_UNAVAILABLE",
            Status::Inference => c"SPLADE_STATUS_INFERENCE",
            Status::OutOfRange => c"SPLADE_STATUS_OUT_OF_RANGE",
            Status::Closed => c"SPLADE_STATUS_CLOSED",
            Status::Panic => c"SPLADE_STATUS_PANIC",
        }
    }
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
