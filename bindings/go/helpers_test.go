package spladerunner_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	spladerunner "github.com/spladerunner/spladerunner-go"
)

// The repository root, seen from this package's directory (go test runs in it). Models and reference vectors
// come from `tools/setup.sh` (run by `make build`'s callers, `make demo` and `make test`).
const repoRoot = "../.."

func modelDir(name string) string {
	return filepath.Join(repoRoot, ".cache", "models", name)
}

// reference is one line of .cache/reference/splade-tiny.maxN.jsonl, written by tools/reference.py.
type reference struct {
	Text      string    `json:"text"`
	MaxLength int       `json:"max_length"`
	Indices   []uint32  `json:"indices"`
	Weights   []float64 `json:"weights"`
}

func parityTexts(t testing.TB) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "tests", "data", "parity_texts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	if err := json.Unmarshal(data, &texts); err != nil {
		t.Fatal(err)
	}
	return texts
}

func referenceVectors(t testing.TB, maxLength int) []reference {
	t.Helper()
	return referenceFile(t, "splade-tiny.max"+strconv.Itoa(maxLength)+".jsonl")
}

// referenceFile reads one file of reference vectors from .cache/reference.
func referenceFile(t testing.TB, name string) []reference {
	t.Helper()
	path := filepath.Join(repoRoot, ".cache", "reference", name)
	file, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run `bash tools/setup.sh` at the repository root)", err)
	}
	defer file.Close()
	var refs []reference
	scanner := bufio.NewScanner(file)
	scanner.Buffer(nil, 64<<20)
	for scanner.Scan() {
		var r reference
		if err := json.Unmarshal(scanner.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r)
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return refs
}

// open opens a model of .cache/models and closes it when the test ends.
func open(t testing.TB, name string, opts ...spladerunner.Option) *spladerunner.Expander {
	t.Helper()
	e, err := spladerunner.New(modelDir(name), opts...)
	if err != nil {
		t.Fatalf("New(%s): %v", name, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// sharedTokenModel makes, in a temporary directory, splade-tiny with ids 1 and 2 ("[unused0]", "[unused1]")
// moved to 30522 and 30523 in its tokenizer: the vocabulary keeps its size (30522, the model's), and ids 1 and 2
// have no token, so both read as "": two ids that share a token string, which no shipped model has.
func sharedTokenModel(t testing.TB) string {
	t.Helper()
	src := modelDir("splade-tiny")
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		if entry.Name() == "tokenizer.json" {
			continue
		}
		target, err := filepath.Abs(filepath.Join(src, entry.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, entry.Name())); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(src, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tokenizer map[string]any
	if err := json.Unmarshal(data, &tokenizer); err != nil {
		t.Fatal(err)
	}
	vocab := tokenizer["model"].(map[string]any)["vocab"].(map[string]any)
	if vocab["[unused0]"] != 1.0 || vocab["[unused1]"] != 2.0 {
		t.Fatalf("splade-tiny's ids 1 and 2 are not [unused0] and [unused1]")
	}
	vocab["[unused0]"], vocab["[unused1]"] = 30522, 30523
	if data, err = json.Marshal(tokenizer); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lines reads a file of one text per line (the benchmark data).
func lines(t testing.TB, path string) []string {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Skipf("benchmark data not found: %v", err)
	}
	defer file.Close()
	var out []string
	scanner := bufio.NewScanner(file)
	scanner.Buffer(nil, 64<<20)
	for scanner.Scan() {
		out = append(out, scanner.Text())
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
