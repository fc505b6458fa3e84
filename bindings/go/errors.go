package spladerunner

// #include <stdlib.h>
// #include "spladerunner.h"
import "C"

// Status is the kind of a failure: the C library's splade_status, with the same stable numbers.
type Status int

// The statuses of the C API, taken from enum splade_status in spladerunner.h (so their numbers cannot drift); a
// test checks that every status of the header has its constant here, and no other.
const (
	StatusOK                 Status = C.SPLADE_STATUS_OK                  // success
	StatusNullArgument       Status = C.SPLADE_STATUS_NULL_ARGUMENT       // a NULL pointer argument (never from this API)
	StatusInvalidArgument    Status = C.SPLADE_STATUS_INVALID_ARGUMENT    // an argument or option out of range
	StatusInvalidUTF8        Status = C.SPLADE_STATUS_INVALID_UTF8        // a text is not valid UTF-8
	StatusModelNotFound      Status = C.SPLADE_STATUS_MODEL_NOT_FOUND     // a model directory or file is missing
	StatusInvalidModel       Status = C.SPLADE_STATUS_INVALID_MODEL       // a model file is corrupt or breaks the contract
	StatusTokenization       Status = C.SPLADE_STATUS_TOKENIZATION        // the tokenizer failed on a text
	StatusRuntimeUnavailable Status = C.SPLADE_STATUS_RUNTIME_UNAVAILABLE // ONNX Runtime could not be loaded
	StatusInference          Status = C.SPLADE_STATUS_INFERENCE           // ONNX Runtime failed while running the model
	StatusOutOfRange         Status = C.SPLADE_STATUS_OUT_OF_RANGE        // a token id outside the vocabulary
	StatusClosed             Status = C.SPLADE_STATUS_CLOSED              // an Expander used after Close
	StatusOutOfMemory        Status = C.SPLADE_STATUS_OUT_OF_MEMORY       // memory could not be allocated
	StatusPanic              Status = C.SPLADE_STATUS_PANIC               // a bug in spladerunner; please report it
)

// String returns the C name of the status, for example "SPLADE_STATUS_INVALID_UTF8", or
// "SPLADE_STATUS_UNKNOWN" for a number that is no status (from splade_status_name).
func (s Status) String() string {
	if int64(s) != int64(C.int(s)) {
		return C.GoString(C.splade_status_name(-1))
	}
	return C.GoString(C.splade_status_name(C.int(s)))
}

// Error is a failure reported by spladerunner: the C library's status and message. Every error returned by this
// package is an *Error.
//
// errors.Is(err, target) is true when target is an *Error with the same Status, whatever its message, so the
// Err* sentinels (ErrModelNotFound, ...) match every error of their status. Use errors.As to read the message.
type Error struct {
	Status  Status
	Message string // names the problem: the file, option, text index or byte offset
}

// Error returns "spladerunner: " followed by the message (or, when the message is empty, the status name).
func (e *Error) Error() string {
	if e.Message == "" {
		return "spladerunner: " + e.Status.String()
	}
	return "spladerunner: " + e.Message
}

// Is reports whether target is an *Error with the same Status.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && t.Status == e.Status
}

// Sentinels for errors.Is, one per failure status: errors.Is(err, spladerunner.ErrModelNotFound) is true for
// every error of status StatusModelNotFound.
var (
	ErrNullArgument       error = &Error{Status: StatusNullArgument}
	ErrInvalidArgument    error = &Error{Status: StatusInvalidArgument}
	ErrInvalidUTF8        error = &Error{Status: StatusInvalidUTF8}
	ErrModelNotFound      error = &Error{Status: StatusModelNotFound}
	ErrInvalidModel       error = &Error{Status: StatusInvalidModel}
	ErrTokenization       error = &Error{Status: StatusTokenization}
	ErrRuntimeUnavailable error = &Error{Status: StatusRuntimeUnavailable}
	ErrInference          error = &Error{Status: StatusInference}
	ErrOutOfRange         error = &Error{Status: StatusOutOfRange}
	ErrClosed             error = &Error{Status: StatusClosed}
	ErrOutOfMemory        error = &Error{Status: StatusOutOfMemory}
	ErrPanic              error = &Error{Status: StatusPanic}
)

// takeError turns a failed call's status and error object into an *Error, freeing the object. The object is NULL
// only if the C library could not allocate it; the status alone is then reported.
func takeError(status C.enum_splade_status, cerr *C.splade_error) error {
	if cerr == nil {
		return &Error{Status: Status(status)}
	}
	defer C.splade_error_free(cerr)
	return &Error{
		Status:  Status(C.splade_error_status(cerr)),
		Message: C.GoString(C.splade_error_message(cerr)),
	}
}

// bindingError is an error found by the binding itself, for a value the C API cannot express (a negative size, a
// path with a NUL byte) or an Expander used after Close.
func bindingError(status Status, message string) error {
	return &Error{Status: status, Message: message}
}
