package spladerunner

import (
	"bytes"
	"log"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// An Expander dropped without Close is freed by its finalizer (and nothing else keeps it reachable).
func TestForgottenExpandersAreFinalized(t *testing.T) {
	before := finalized.Load()
	for range 3 {
		e, err := New("../../.cache/models/splade-tiny")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Expand("atomic energy"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for finalized.Load()-before < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 3 dropped expanders finalized", finalized.Load()-before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	// A closed Expander has no finalizer left to run.
	before = finalized.Load()
	func() {
		e, err := New("../../.cache/models/splade-tiny")
		if err != nil {
			t.Fatal(err)
		}
		e.Close()
	}()
	for range 5 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := finalized.Load() - before; n != 0 {
		t.Fatalf("the finalizer of a closed expander ran (%d)", n)
	}
}

// An Expander collected without Close logs a warning naming where it was created; a closed one logs nothing.
func TestForgottenExpanderWarnsWithItsCreationSite(t *testing.T) {
	var logged syncBuffer
	log.SetOutput(&logged)
	defer log.SetOutput(os.Stderr)

	func() {
		e, err := New("../../.cache/models/splade-tiny")
		if err != nil {
			t.Fatal(err)
		}
		e.Close()
	}()
	before := finalized.Load()
	dropExpander(t)
	deadline := time.Now().Add(10 * time.Second)
	for finalized.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the dropped expander was not finalized")
		}
		runtime.GC()
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	text := logged.String()
	if n := strings.Count(text, "garbage-collected without Close"); n != 1 {
		t.Fatalf("%d warnings, want 1 (the closed expander warns of nothing):\n%s", n, text)
	}
	// The creation site: the function that called New, its file and the line of the call.
	for _, want := range []string{".dropExpander\n", "finalizer_test.go:" + strconv.Itoa(dropLine)} {
		if !strings.Contains(text, want) {
			t.Fatalf("the warning does not name %q:\n%s", want, text)
		}
	}
}

// dropLine is the line of New in dropExpander.
var dropLine int

// dropExpander creates an Expander and drops it without Close, noting the line that called New.
func dropExpander(t *testing.T) {
	_, _, line, _ := runtime.Caller(0)
	e, err := New("../../.cache/models/splade-tiny")
	dropLine = line + 1
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Expand("atomic energy"); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for the finalizer goroutine to write while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
