package spladerunner

import (
	"runtime"
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
