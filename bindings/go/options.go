package spladerunner

// #include <stdlib.h>
// #include "spladerunner.h"
import "C"

import (
	"fmt"
	"unsafe"
)

// An Option sets one setting of New. Each one calls the C setter of the same name (splade_options_set_*), which
// checks the value; New returns the setter's error. Defaults and checks are the C library's, listed on each
// option. A test holds the options to the header's setters, one for one.
type Option func(*options) error

// options wraps the C options builder while New applies the Options to it.
type options struct {
	c *C.splade_options
}

// WithMaxLength sets the number of tokens per text, special tokens included; longer texts are truncated. 0 (the
// default) means the model's own limit from its config files, at most 512. New fails with ErrInvalidArgument
// when the model cannot honour it.
func WithMaxLength(tokens int) Option {
	return sizeOption("max_length", tokens, func(o *C.splade_options, v C.size_t, e **C.splade_error) C.enum_splade_status {
		return C.splade_options_set_max_length(o, v, e)
	})
}

// WithMaxWindows lets a long text be cut into up to n windows of max_length tokens, whose vectors are merged by
// keeping each term's largest weight, the windows after the first at half their weights. Default 1: a text is
// truncated to its first window. Must be >= 1.
func WithMaxWindows(n int) Option {
	return sizeOption("max_windows", n, func(o *C.splade_options, v C.size_t, e **C.splade_error) C.enum_splade_status {
		return C.splade_options_set_max_windows(o, v, e)
	})
}

// WithWindowOverlap sets how many text tokens consecutive windows share (used when max windows > 1). Default 32;
// New fails with ErrInvalidArgument unless it is smaller than a window's text tokens.
func WithWindowOverlap(tokens int) Option {
	return sizeOption("window_overlap", tokens, func(o *C.splade_options, v C.size_t, e **C.splade_error) C.enum_splade_status {
		return C.splade_options_set_window_overlap(o, v, e)
	})
}

// WithTopK keeps only the k highest-weighted terms of each vector; 0 (the default) keeps all.
func WithTopK(k int) Option {
	return sizeOption("top_k", k, func(o *C.splade_options, v C.size_t, e **C.splade_error) C.enum_splade_status {
		return C.splade_options_set_top_k(o, v, e)
	})
}

// WithMinWeight keeps only terms with weight >= w (default 0: every term with a positive weight). It must be
// finite and >= 0.
func WithMinWeight(w float32) Option {
	return floatOption(w, func(o *C.splade_options, v C.float, e **C.splade_error) C.enum_splade_status {
		return C.splade_options_set_min_weight(o, v, e)
	})
}

// WithMaxRatio keeps only the terms whose weight is at least ratio × the vector's largest weight (OpenSearch's
// max_ratio pruning, compared as it compares). Off by default; from 0 (keeps all) to 1 (keeps the terms of the
// largest weight). Applied to a text's merged vector, before WithAlphaMass and WithTopK.
func WithMaxRatio(ratio float32) Option {
	return floatOption(ratio, func(o *C.splade_options, v C.float, e **C.splade_error) C.enum_splade_status {
		return C.splade_options_set_max_ratio(o, v, e)
	})
}

// WithAlphaMass keeps the fewest heaviest terms whose weights sum to at least alpha × the vector's total weight
// (ties to the smaller id; a vector with terms keeps at least one). Off by default; above 0 and at most 1 (keeps
// all). Applied after WithMaxRatio and before WithTopK. Unlike OpenSearch's alpha_mass, which can keep none, it
// keeps the term that reaches the threshold.
func WithAlphaMass(alpha float32) Option {
	return floatOption(alpha, func(o *C.splade_options, v C.float, e **C.splade_error) C.enum_splade_status {
		return C.splade_options_set_alpha_mass(o, v, e)
	})
}

// WithDropSpecialTokens leaves the tokenizer's special tokens ([CLS], [SEP], [PAD], [UNK], [MASK] for BERT) out of
// every vector when drop is true. Default false: the vectors as the model makes them.
func WithDropSpecialTokens(drop bool) Option {
	return func(o *options) error {
		var cerr *C.splade_error
		if status := C.splade_options_set_drop_special_tokens(o.c, C.bool(drop), &cerr); status != C.SPLADE_STATUS_OK {
			return takeError(status, cerr)
		}
		return nil
	}
}

// WithIntraOpThreads sets the threads one expander call uses; 0 (the default) means one per core. For a graph
// that ONNX Runtime runs to the end (pooled weights or logits) they are ONNX Runtime's intra-op threads. For a
// graph that stops at the hidden states (the library's decoder, as in the shipped splade-tiny) they decode one
// inference call's vocabulary together, and a batch's inference calls run side by side on them, ONNX Runtime
// running each on one thread (docs/threads.md). More threads add no copy of the model.
func WithIntraOpThreads(threads int) Option {
	return sizeOption("intra_op_threads", threads, func(o *C.splade_options, v C.size_t, e **C.splade_error) C.enum_splade_status {
		return C.splade_options_set_intra_op_threads(o, v, e)
	})
}

// WithSessions sets how many inference calls of different callers may run at once on one Expander. They share its
// one ONNX Runtime session (one copy of the weights), each with its own buffers. Default 1; must be >= 1. A
// batch's calls run side by side on WithIntraOpThreads whatever this is.
func WithSessions(sessions int) Option {
	return sizeOption("sessions", sessions, func(o *C.splade_options, v C.size_t, e **C.splade_error) C.enum_splade_status {
		return C.splade_options_set_sessions(o, v, e)
	})
}

// WithTokenBudget sets the most padded tokens (texts × padded length) one inference call may hold; a longer
// single text still runs, alone. Default 256; must be >= 1.
func WithTokenBudget(tokens int) Option {
	return sizeOption("token_budget", tokens, func(o *C.splade_options, v C.size_t, e **C.splade_error) C.enum_splade_status {
		return C.splade_options_set_token_budget(o, v, e)
	})
}

// WithOrtLibraryPath sets the path of the ONNX Runtime shared library to load. Without it: ORT_DYLIB_PATH (when
// set, the only library tried), else libonnxruntime.so beside the code of spladerunner (with the default static linking, the program's directory),
// then the dynamic linker's search, which includes the RUNPATH this package links in (target/release). A process
// loads one ONNX Runtime: naming a different library after one was loaded fails with ErrRuntimeUnavailable.
func WithOrtLibraryPath(path string) Option {
	return func(o *options) error {
		cpath, err := cString("option ort_library_path", path)
		if err != nil {
			return err
		}
		defer C.free(unsafe.Pointer(cpath))
		var cerr *C.splade_error
		if status := C.splade_options_set_ort_library_path(o.c, cpath, &cerr); status != C.SPLADE_STATUS_OK {
			return takeError(status, cerr)
		}
		return nil
	}
}

// floatOption builds an Option for a float setting: the value goes to the C setter, which checks it.
func floatOption(value float32, set func(*C.splade_options, C.float, **C.splade_error) C.enum_splade_status) Option {
	return func(o *options) error {
		var cerr *C.splade_error
		if status := set(o.c, C.float(value), &cerr); status != C.SPLADE_STATUS_OK {
			return takeError(status, cerr)
		}
		return nil
	}
}

// sizeOption builds an Option for a size_t setting. A negative int has no size_t value, so the binding reports it
// as ErrInvalidArgument itself; every other value goes to the C setter unchanged.
func sizeOption(name string, value int, set func(*C.splade_options, C.size_t, **C.splade_error) C.enum_splade_status) Option {
	return func(o *options) error {
		if value < 0 {
			return bindingError(StatusInvalidArgument, fmt.Sprintf("option %s must be at least 0, got %d", name, value))
		}
		var cerr *C.splade_error
		if status := set(o.c, C.size_t(value), &cerr); status != C.SPLADE_STATUS_OK {
			return takeError(status, cerr)
		}
		return nil
	}
}
