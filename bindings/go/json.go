package spladerunner

// #include <stdlib.h>
// #include "spladerunner.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// Format is a JSON shape of a vector that a search engine accepts (splade_expander_to_json).
type Format uint32

const (
	// FormatIndicesValues is {"indices":[ids],"values":[weights]}: Qdrant, Milvus.
	FormatIndicesValues Format = C.SPLADE_FORMAT_INDICES_VALUES
	// FormatTokenWeights is {"token":weight}: OpenSearch rank_features, Vespa.
	FormatTokenWeights Format = C.SPLADE_FORMAT_TOKEN_WEIGHTS
	// FormatElasticsearch is {"token":weight} with each "." of a token written U+2024 and only strictly positive
	// normal weights: Elasticsearch sparse_vector and rank_features.
	FormatElasticsearch Format = C.SPLADE_FORMAT_ELASTICSEARCH
	// FormatImpacts is {"token":round(weight*scale)}, zeros left out: Anserini's JsonVectorCollection.
	FormatImpacts Format = C.SPLADE_FORMAT_IMPACTS
	// FormatTEI is [{"index":id,"value":weight}]: text-embeddings-inference's sparse output.
	FormatTEI Format = C.SPLADE_FORMAT_TEI
)

// ToJSON returns v as JSON in format; scale is used by FormatImpacts only (100 is common) and must then be
// finite and above 0. It fails with ErrInvalidArgument (unknown format, bad scale, v's slices differing in
// length, ids not ascending and unique, a weight not finite and above 0, an impact above 2^31-1) or
// ErrOutOfRange (an id outside the vocabulary): a vector is written only when every engine can take it.
func (e *Expander) ToJSON(v SparseVector, format Format, scale float32) (string, error) {
	if len(v.Indices) != len(v.Weights) {
		return "", lengthError(v)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.handle == nil {
		return "", closedError("ToJSON")
	}
	// The C struct lives in Go memory and points at the slices' arrays: both are pinned for the call.
	var pinner runtime.Pinner
	defer pinner.Unpin()
	var cv C.splade_sparse_vector
	if n := len(v.Indices); n > 0 {
		pinner.Pin(&v.Indices[0])
		pinner.Pin(&v.Weights[0])
		cv.indices = (*C.uint32_t)(unsafe.Pointer(&v.Indices[0]))
		cv.weights = (*C.float)(unsafe.Pointer(&v.Weights[0]))
		cv.len = C.size_t(n)
	}
	var json *C.char
	var length C.size_t
	var cerr *C.splade_error
	status := C.splade_expander_to_json(e.handle, &cv, C.uint32_t(format), C.float(scale), &json, &length, &cerr)
	runtime.KeepAlive(e)
	if status != C.SPLADE_STATUS_OK {
		return "", takeError(status, cerr)
	}
	defer C.splade_string_free(json)
	return C.GoStringN(json, C.int(length)), nil
}
