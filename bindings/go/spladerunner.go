// Package spladerunner turns text into SPLADE sparse vectors (vocabulary id → weight) for search engines.
//
// It is a thin skin over the C API of spladerunner (spladerunner.h, a copy of the repository's
// include/spladerunner.h): tokenizing, inference with ONNX Runtime, pooling, pruning, defaults and the checks of
// every argument all happen in the C library; this package converts Go values to C and results back to Go.
//
// An Expander is safe for concurrent use by any number of goroutines. Close it when done; a finalizer closes a
// forgotten one, and using it after Close returns an error of status StatusClosed. The Go collector cannot see the
// model's native memory (tens of megabytes), so a forgotten Expander may wait long for collection: the finalizer
// logs a warning (standard log package) naming where it was created, so that the missing Close can be found.
//
// Linking: by default the package links the static library target/release/libspladerunner.a of the repository
// (run `make build` at its root first), with a RUNPATH to target/release where ONNX Runtime (libonnxruntime.so)
// is loaded from at run time. Build with -tags spladerunner_shared to link libspladerunner.so instead.
package spladerunner

// #cgo CFLAGS: -I${SRCDIR}
// #include <stdlib.h>
// #include "spladerunner.h"
import "C"

import (
	"fmt"
	"log"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// SparseVector is the SPLADE vector of one text: vocabulary ids in ascending order and their weights (all > 0),
// Weights[i] belonging to Indices[i]. Both slices are Go memory owned by the caller; they are empty (not nil) for a
// text with no terms.
type SparseVector struct {
	Indices []uint32
	Weights []float32
}

// Len returns the number of terms.
func (v SparseVector) Len() int { return len(v.Indices) }

// Expander is a SPLADE encoder for one model directory, created by New. Its methods may be called from any number
// of goroutines at once; Close waits for running calls to finish.
type Expander struct {
	mu     sync.RWMutex // calls hold it for reading; Close holds it for writing while it frees handle
	handle *C.splade_expander
	// created holds the call stack of New's caller (program counters: cheap to take, named only if the
	// finalizer warns), for the warning about an Expander collected without Close.
	created []uintptr
}

// createdDepth is the number of frames of the creation stack kept for the warning.
const createdDepth = 32

// New opens the model directory modelDir (holding model.onnx and tokenizer.json, see the repository README)
// with the given options (nil Options are ignored). It fails with ErrModelNotFound, ErrInvalidModel, ErrRuntimeUnavailable or
// ErrInvalidArgument (an option out of range or one the model cannot honour).
func New(modelDir string, opts ...Option) (*Expander, error) {
	cdir, err := cString("model directory", modelDir)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cdir))
	o := options{c: C.splade_options_new()}
	defer C.splade_options_free(o.c)
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	var handle *C.splade_expander
	var cerr *C.splade_error
	if status := C.splade_expander_new(cdir, o.c, &handle, &cerr); status != C.SPLADE_STATUS_OK {
		return nil, takeError(status, cerr)
	}
	e := &Expander{handle: handle, created: callers()}
	runtime.SetFinalizer(e, (*Expander).finalize)
	return e, nil
}

// finalized counts the Expanders freed by their finalizer (read by a test).
var finalized atomic.Int64

// callers returns the program counters of the stack above New.
func callers() []uintptr {
	pcs := make([]uintptr, createdDepth)
	// Skip runtime.Callers, callers and New.
	return pcs[:runtime.Callers(3, pcs)]
}

// finalize is the safety net for an Expander dropped without Close: nothing can be using it any more. It warns
// once (a finalizer runs once), naming where the Expander was created.
func (e *Expander) finalize() {
	finalized.Add(1)
	var site strings.Builder
	frames := runtime.CallersFrames(e.created)
	for {
		frame, more := frames.Next()
		fmt.Fprintf(&site, "\n\t%s\n\t\t%s:%d", frame.Function, frame.File, frame.Line)
		if !more {
			break
		}
	}
	log.Printf("spladerunner: an Expander was garbage-collected without Close (its native memory was held "+
		"until now); it was created at:%s", site.String())
	e.Close()
}

// Close frees the expander. It waits for calls running on other goroutines, is idempotent and always returns nil.
// Later calls fail with ErrClosed (VocabSize and MaxLength return 0).
func (e *Expander) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle != nil {
		C.splade_expander_free(e.handle)
		e.handle = nil
		runtime.SetFinalizer(e, nil)
	}
	return nil
}

// Expand returns the SPLADE vector of text. The text is passed to the C library as it is (pointer and length, no
// copy): one that is not valid UTF-8 fails with ErrInvalidUTF8 and its byte offset in the message.
func (e *Expander) Expand(text string) (SparseVector, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.handle == nil {
		return SparseVector{}, closedError("Expand")
	}
	var vector *C.splade_sparse_vector
	var cerr *C.splade_error
	// A string's bytes hold no Go pointers, so they may be passed to C for the duration of the call.
	status := C.splade_expander_expand(e.handle, textData(text), C.size_t(len(text)), &vector, &cerr)
	runtime.KeepAlive(e)
	if status != C.SPLADE_STATUS_OK {
		return SparseVector{}, takeError(status, cerr)
	}
	defer C.splade_sparse_vector_free(vector)
	n := int(vector.len)
	v := SparseVector{Indices: make([]uint32, n), Weights: make([]float32, n)}
	if n > 0 {
		copy(v.Indices, unsafe.Slice((*uint32)(unsafe.Pointer(vector.indices)), n))
		copy(v.Weights, unsafe.Slice((*float32)(unsafe.Pointer(vector.weights)), n))
	}
	return v, nil
}

// ExpandBatch returns the vectors of texts, in the order of the texts. Any number of texts is fine: the C library
// groups them by length into inference calls bounded by the token budget (see WithTokenBudget). If a text is not
// valid UTF-8 the whole call fails with ErrInvalidUTF8, the message naming the text's index.
func (e *Expander) ExpandBatch(texts []string) ([]SparseVector, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.handle == nil {
		return nil, closedError("ExpandBatch")
	}
	// The C function takes an array of text pointers. Go memory passed to C may hold Go pointers only if they are
	// pinned, so each text's bytes are pinned until the call returns (no copy of the texts is made).
	var pinner runtime.Pinner
	defer pinner.Unpin()
	var ptrs []*C.uint8_t
	var lens []C.size_t
	var ptrsArg **C.uint8_t
	var lensArg *C.size_t
	if len(texts) > 0 {
		ptrs = make([]*C.uint8_t, len(texts))
		lens = make([]C.size_t, len(texts))
		for i, text := range texts {
			if ptrs[i] = textData(text); ptrs[i] != nil {
				pinner.Pin(ptrs[i])
			}
			lens[i] = C.size_t(len(text))
		}
		ptrsArg = &ptrs[0]
		lensArg = &lens[0]
	}
	var batch *C.splade_sparse_batch
	var cerr *C.splade_error
	status := C.splade_expander_expand_batch(e.handle, ptrsArg, lensArg, C.size_t(len(texts)), &batch, &cerr)
	runtime.KeepAlive(e)
	if status != C.SPLADE_STATUS_OK {
		return nil, takeError(status, cerr)
	}
	defer C.splade_sparse_batch_free(batch)
	// The batch stores every vector's terms one after the other in two shared arrays: copy each array once and
	// give every vector its own capacity-limited window of the copies.
	total := int(batch.total_len)
	indices := make([]uint32, total)
	weights := make([]float32, total)
	if total > 0 {
		copy(indices, unsafe.Slice((*uint32)(unsafe.Pointer(batch.indices)), total))
		copy(weights, unsafe.Slice((*float32)(unsafe.Pointer(batch.weights)), total))
	}
	count := int(batch.count)
	vectors := make([]SparseVector, count)
	if count > 0 {
		start := 0
		for i, cv := range unsafe.Slice(batch.vectors, count) {
			end := start + int(cv.len)
			vectors[i] = SparseVector{Indices: indices[start:end:end], Weights: weights[start:end:end]}
			start = end
		}
	}
	return vectors, nil
}

// Token returns the token string of vocabulary id id. It fails with ErrOutOfRange when id >= VocabSize().
func (e *Expander) Token(id uint32) (string, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.handle == nil {
		return "", closedError("Token")
	}
	var token *C.char
	var cerr *C.splade_error
	status := C.splade_expander_token(e.handle, C.uint32_t(id), &token, &cerr)
	runtime.KeepAlive(e)
	if status != C.SPLADE_STATUS_OK {
		return "", takeError(status, cerr)
	}
	return C.GoString(token), nil // the C string is owned by the expander: copy it
}

// TokenWeights returns the vector v as token → weight, the tokens looked up in one C call (should two ids share
// a token string, the later one's weight is kept). It fails with ErrOutOfRange for an id outside the vocabulary,
// and with ErrInvalidArgument when v's slices differ in length.
func (e *Expander) TokenWeights(v SparseVector) (map[string]float32, error) {
	if len(v.Indices) != len(v.Weights) {
		return nil, lengthError(v)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.handle == nil {
		return nil, closedError("TokenWeights")
	}
	n := len(v.Indices)
	// C writes the expander's C strings into tokens: Go memory that holds no Go pointers, as are v's ids, so both
	// may be passed for the call.
	tokens := make([]*C.char, n)
	var ids *C.uint32_t
	var tokensArg **C.char
	if n > 0 {
		ids = (*C.uint32_t)(unsafe.Pointer(&v.Indices[0]))
		tokensArg = &tokens[0]
	}
	var cerr *C.splade_error
	status := C.splade_expander_tokens(e.handle, ids, C.size_t(n), tokensArg, &cerr)
	runtime.KeepAlive(e)
	if status != C.SPLADE_STATUS_OK {
		return nil, takeError(status, cerr)
	}
	terms := make(map[string]float32, n)
	for i, token := range tokens {
		terms[C.GoString(token)] = v.Weights[i] // the C strings are owned by the expander: copy them
	}
	return terms, nil
}

// VocabSize returns the number of vocabulary ids (every id in a vector is below it), or 0 after Close.
func (e *Expander) VocabSize() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := C.splade_expander_vocab_size(e.handle) // NULL after Close: 0
	runtime.KeepAlive(e)
	return int(n)
}

// MaxLength returns the number of tokens a text is truncated to (special tokens included), or 0 after Close.
func (e *Expander) MaxLength() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := C.splade_expander_max_length(e.handle) // NULL after Close: 0
	runtime.KeepAlive(e)
	return int(n)
}

// Version returns the version of the linked C library, for example "0.1.0" (splade_version).
func Version() string {
	return C.GoString(C.splade_version())
}

// cString returns s as a C string for the caller to free, or ErrInvalidArgument naming what s is when s holds a
// NUL byte (C would see it end there).
func cString(what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, bindingError(StatusInvalidArgument, fmt.Sprintf("%s %q contains a NUL byte", what, s))
	}
	return C.CString(s), nil
}

// textData returns a pointer to the bytes of text for C, or NULL for the empty text ((NULL, 0) is "" in the C API).
func textData(text string) *C.uint8_t {
	if len(text) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(text)))
}

// lengthError is the error for a vector whose slices differ in length.
func lengthError(v SparseVector) error {
	return bindingError(StatusInvalidArgument, fmt.Sprintf(
		"the vector has %d indices but %d weights", len(v.Indices), len(v.Weights)))
}

// closedError is the error of a call on a closed Expander.
func closedError(method string) error {
	return bindingError(StatusClosed, "Expander."+method+" called after Close")
}
