package spladerunner_test

import (
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"

	spladerunner "github.com/spladerunner/spladerunner-go"
)

// tolerance is the largest absolute weight difference allowed against the reference pipeline.
const tolerance = 1e-5

// compare checks vectors against the reference: the same ids, every weight within tolerance.
func compare(t *testing.T, label string, got []spladerunner.SparseVector, refs []reference) {
	t.Helper()
	if len(got) != len(refs) {
		t.Fatalf("%s: %d vectors for %d texts", label, len(got), len(refs))
	}
	worst := 0.0
	for i, r := range refs {
		v := got[i]
		if !reflect.DeepEqual(v.Indices, r.Indices) && !(len(v.Indices) == 0 && len(r.Indices) == 0) {
			t.Fatalf("%s: text %d (%.40q): ids differ: %d terms, reference %d", label, i, r.Text, len(v.Indices), len(r.Indices))
		}
		if len(v.Weights) != len(v.Indices) {
			t.Fatalf("%s: text %d: %d weights for %d ids", label, i, len(v.Weights), len(v.Indices))
		}
		for j, w := range v.Weights {
			worst = math.Max(worst, math.Abs(float64(w)-r.Weights[j]))
		}
		if worst > tolerance {
			t.Fatalf("%s: text %d (%.40q): a weight differs by %g", label, i, r.Text, worst)
		}
	}
	t.Logf("%s: %d texts, max abs weight difference %.2g", label, len(refs), worst)
}

func parity(t *testing.T, maxLength int, opts ...spladerunner.Option) {
	parityWith(t, maxLength, referenceVectors(t, maxLength), opts...)
}

func parityWith(t *testing.T, maxLength int, refs []reference, opts ...spladerunner.Option) {
	texts := parityTexts(t)
	if len(texts) < 100 || len(texts) != len(refs) {
		t.Fatalf("%d texts, %d reference vectors", len(texts), len(refs))
	}
	for i := range texts {
		if texts[i] != refs[i].Text {
			t.Fatalf("the reference was made from other texts (text %d): rerun tools/setup.sh", i)
		}
	}
	e := open(t, "splade-tiny", opts...)
	if got := e.MaxLength(); got != maxLength {
		t.Fatalf("MaxLength() = %d, want %d", got, maxLength)
	}
	batch, err := e.ExpandBatch(texts)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, fmt.Sprintf("max_length %d, ExpandBatch", maxLength), batch, refs)
	single := make([]spladerunner.SparseVector, len(texts))
	for i, text := range texts {
		if single[i], err = e.Expand(text); err != nil {
			t.Fatalf("text %d: %v", i, err)
		}
	}
	compare(t, fmt.Sprintf("max_length %d, Expand", maxLength), single, refs)
}

func TestParityAtTheDefaultMaxLength512(t *testing.T) {
	parity(t, 512)
}

func TestParityAtMaxLength128(t *testing.T) {
	parity(t, 128, spladerunner.WithMaxLength(128))
}

// Long texts cut into up to 4 overlapping windows of 128 tokens, against the reference's windows.
func TestParityWithWindows(t *testing.T) {
	refs := referenceFile(t, "splade-tiny.max128.windows4.overlap32.jsonl")
	parityWith(t, 128, refs, spladerunner.WithMaxLength(128), spladerunner.WithMaxWindows(4),
		spladerunner.WithWindowOverlap(32))
}

// 32 goroutines share one Expander, each expanding its own window of 40 parity texts (the windows overlap and
// cover every text several times), even goroutines one text per call in a rotated order, odd ones in batches of
// varied sizes, on two sessions; every vector must equal the serial one exactly. (max_length 128 and one ONNX
// Runtime thread per call keep it fast on a small machine.)
func TestGoroutinesSharingAnExpanderGetTheSerialResults(t *testing.T) {
	texts := parityTexts(t)
	e := open(t, "splade-tiny", spladerunner.WithMaxLength(128), spladerunner.WithSessions(2),
		spladerunner.WithIntraOpThreads(1))
	serial := make([]spladerunner.SparseVector, len(texts))
	for i, text := range texts {
		var err error
		if serial[i], err = e.Expand(text); err != nil {
			t.Fatal(err)
		}
	}
	const goroutines, window = 32, 40
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := g * len(texts) / goroutines
			ids := make([]int, window)
			mine := make([]string, window)
			for k := range window {
				ids[k] = (first + k) % len(texts)
				mine[k] = texts[ids[k]]
			}
			got := make([]spladerunner.SparseVector, window)
			if g%2 == 0 {
				for k := range window {
					k = (k + g) % window
					v, err := e.Expand(mine[k])
					if err != nil {
						errs <- err
						return
					}
					got[k] = v
				}
			} else {
				size := 1 + g/2
				for start := 0; start < window; start += size {
					end := min(start+size, window)
					vs, err := e.ExpandBatch(mine[start:end])
					if err != nil {
						errs <- err
						return
					}
					copy(got[start:end], vs)
				}
			}
			for k, v := range got {
				if !reflect.DeepEqual(v, serial[ids[k]]) {
					errs <- fmt.Errorf("goroutine %d: text %d differs from the serial result", g, ids[k])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
