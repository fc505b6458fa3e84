package spladerunner_test

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	spladerunner "github.com/spladerunner/spladerunner-go"
)

const sentence = "The Manhattan Project and its atomic bomb helped bring an end to World War II."

// The package's copy of the header must be the repository's header, byte for byte.
func TestHeaderCopyIsIdenticalToIncludeSpladerunnerH(t *testing.T) {
	ours, err := os.ReadFile("spladerunner.h")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := os.ReadFile(filepath.Join(repoRoot, "include", "spladerunner.h"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Fatal("bindings/go/spladerunner.h differs from include/spladerunner.h: " +
			"run `cp include/spladerunner.h bindings/go/` at the repository root")
	}
}

// Every status of the header has its Go constant with the same number, and the package declares no other;
// String gives the C name.
func TestStatusesMirrorTheHeader(t *testing.T) {
	header := map[string]int{}
	pattern := regexp.MustCompile(`(?m)^\s*SPLADE_STATUS_([A-Z0-9_]+) = (\d+),$`)
	for _, m := range pattern.FindAllSubmatch(readHeader(t), -1) {
		header[string(m[1])], _ = strconv.Atoi(string(m[2]))
	}
	ours := map[string]spladerunner.Status{
		"OK":                  spladerunner.StatusOK,
		"NULL_ARGUMENT":       spladerunner.StatusNullArgument,
		"INVALID_ARGUMENT":    spladerunner.StatusInvalidArgument,
		"INVALID_UTF8":        spladerunner.StatusInvalidUTF8,
		"MODEL_NOT_FOUND":     spladerunner.StatusModelNotFound,
		"INVALID_MODEL":       spladerunner.StatusInvalidModel,
		"TOKENIZATION":        spladerunner.StatusTokenization,
		"RUNTIME_UNAVAILABLE": spladerunner.StatusRuntimeUnavailable,
		"INFERENCE":           spladerunner.StatusInference,
		"OUT_OF_RANGE":        spladerunner.StatusOutOfRange,
		"CLOSED":              spladerunner.StatusClosed,
		"OUT_OF_MEMORY":       spladerunner.StatusOutOfMemory,
		"PANIC":               spladerunner.StatusPanic,
	}
	if len(header) < 13 {
		t.Fatalf("only %d statuses read from the header", len(header))
	}
	for name, number := range header {
		status, ok := ours[name]
		if !ok || int(status) != number {
			t.Errorf("SPLADE_STATUS_%s = %d: the package has %d (present: %v)", name, number, status, ok)
		}
		if got := status.String(); got != "SPLADE_STATUS_"+name {
			t.Errorf("Status(%d).String() = %q", number, got)
		}
	}
	for name := range ours {
		if _, ok := header[name]; !ok {
			t.Errorf("Status%s: the header has no SPLADE_STATUS_%s", name, name)
		}
	}
	// The package's own declarations: every constant of type Status names a header status, and each one once.
	declared := map[string]string{}
	for _, decl := range packageSource(t) {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			value := spec.(*ast.ValueSpec)
			if typ, ok := value.Type.(*ast.Ident); !ok || typ.Name != "Status" {
				continue
			}
			for i, ident := range value.Names {
				name := strings.TrimPrefix(cName(value.Values[i]), "SPLADE_STATUS_")
				if _, ok := header[name]; !ok || declared[name] != "" {
					t.Errorf("const %s = C.%s: not a header status, or one already declared", ident.Name, cName(value.Values[i]))
				}
				declared[name] = ident.Name
			}
		}
	}
	if len(declared) != len(header) {
		t.Errorf("the package declares %d Status constants, the header has %d statuses", len(declared), len(header))
	}
	for _, unknown := range []spladerunner.Status{-1, 12, 98, 100, 1 << 40} {
		if got := unknown.String(); got != "SPLADE_STATUS_UNKNOWN" {
			t.Errorf("Status(%d).String() = %q", int(unknown), got)
		}
	}
}

// Every option setter of the header (splade_options_set_NAME) has the Option WithName that calls it, and every
// Option of the package calls one setter of the header.
func TestOptionsMirrorTheHeader(t *testing.T) {
	header := map[string]bool{}
	for _, m := range regexp.MustCompile(`\bsplade_options_set_(\w+)\(`).FindAllSubmatch(readHeader(t), -1) {
		header[string(m[1])] = true
	}
	if len(header) < 10 {
		t.Fatalf("only %d option setters read from the header", len(header))
	}
	options := map[string]string{}
	for _, decl := range packageSource(t) {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !fn.Name.IsExported() || fn.Type.Results == nil ||
			len(fn.Type.Results.List) != 1 || types.ExprString(fn.Type.Results.List[0].Type) != "Option" {
			continue
		}
		setters := map[string]bool{}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if name, ok := strings.CutPrefix(cName(n), "splade_options_set_"); ok {
				setters[name] = true
			}
			return true
		})
		want := snakeCase(strings.TrimPrefix(fn.Name.Name, "With"))
		if len(setters) != 1 || !setters[want] {
			t.Errorf("%s calls the setters %v, not splade_options_set_%s alone", fn.Name.Name, setters, want)
		}
		if !header[want] {
			t.Errorf("%s: the header has no splade_options_set_%s", fn.Name.Name, want)
		}
		options[want] = fn.Name.Name
	}
	for name := range header {
		if options[name] == "" {
			t.Errorf("splade_options_set_%s has no Option in the package", name)
		}
	}
}

// readHeader returns the package's copy of the header (checked against include/spladerunner.h above).
func readHeader(t *testing.T) []byte {
	t.Helper()
	header, err := os.ReadFile("spladerunner.h")
	if err != nil {
		t.Fatal(err)
	}
	return header
}

// packageSource returns the top-level declarations of the package's non-test Go files.
func packageSource(t *testing.T) []ast.Decl {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var decls []ast.Decl
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		decls = append(decls, f.Decls...)
	}
	return decls
}

// cName returns NAME when node is the cgo reference C.NAME, else "".
func cName(node ast.Node) string {
	if sel, ok := node.(*ast.SelectorExpr); ok {
		if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "C" {
			return sel.Sel.Name
		}
	}
	return ""
}

// snakeCase turns a Go name into the C one: "IntraOpThreads" → "intra_op_threads", "TopK" → "top_k".
func snakeCase(name string) string {
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func TestVersionMatchesTheHeader(t *testing.T) {
	header := readHeader(t)
	var parts []string
	for _, name := range []string{"MAJOR", "MINOR", "PATCH"} {
		m := regexp.MustCompile(`#define SPLADE_VERSION_` + name + ` (\d+)`).FindSubmatch(header)
		if m == nil {
			t.Fatalf("no SPLADE_VERSION_%s in the header", name)
		}
		parts = append(parts, string(m[1]))
	}
	if got, want := spladerunner.Version(), strings.Join(parts, "."); got != want {
		t.Fatalf("Version() = %q, the header says %q", got, want)
	}
}

func TestExpandGivesSortedPositiveTermsAndTokens(t *testing.T) {
	e := open(t, "splade-tiny")
	if got := e.VocabSize(); got != 30522 {
		t.Fatalf("VocabSize() = %d", got)
	}
	if got := e.MaxLength(); got != 512 {
		t.Fatalf("MaxLength() = %d", got)
	}
	v, err := e.Expand(sentence)
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() == 0 || len(v.Weights) != v.Len() {
		t.Fatalf("%d ids, %d weights", v.Len(), len(v.Weights))
	}
	for i, id := range v.Indices {
		if i > 0 && id <= v.Indices[i-1] || int(id) >= e.VocabSize() || !(v.Weights[i] > 0) {
			t.Fatalf("term %d: id %d weight %g", i, id, v.Weights[i])
		}
	}
	terms, err := e.TokenWeights(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(terms) != v.Len() || terms["manhattan"] < 1 || terms["atomic"] < 1 {
		t.Fatalf("TokenWeights: %d terms, manhattan %g, atomic %g", len(terms), terms["manhattan"], terms["atomic"])
	}
	for i, id := range v.Indices {
		token, err := e.Token(id)
		if err != nil || terms[token] != v.Weights[i] {
			t.Fatalf("id %d: Token %q (%v), weight %g, TokenWeights %g", id, token, err, v.Weights[i], terms[token])
		}
	}
	if token, err := e.Token(0); err != nil || token != "[PAD]" {
		t.Fatalf("Token(0) = %q, %v", token, err)
	}
	id := uint32(e.VocabSize())
	_, err = e.Token(id)
	if !errors.Is(err, spladerunner.ErrOutOfRange) {
		t.Fatalf("Token(%d): %v", id, err)
	}
	_, err = e.TokenWeights(spladerunner.SparseVector{Indices: []uint32{id}, Weights: []float32{1}})
	if !errors.Is(err, spladerunner.ErrOutOfRange) {
		t.Fatalf("TokenWeights with id %d: %v", id, err)
	}
	_, err = e.TokenWeights(spladerunner.SparseVector{Indices: []uint32{1, 2}, Weights: []float32{1}})
	if !errors.Is(err, spladerunner.ErrInvalidArgument) {
		t.Fatalf("TokenWeights with 2 ids and 1 weight: %v", err)
	}
}

// Two ids of one token string: TokenWeights keeps the later one's weight (here the smaller).
func TestTokenWeightsOfIdsSharingATokenKeepTheLaterWeight(t *testing.T) {
	e, err := spladerunner.New(sharedTokenModel(t))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, id := range []uint32{1, 2} {
		if token, err := e.Token(id); err != nil || token != "" {
			t.Fatalf("Token(%d) = %q, %v", id, token, err)
		}
	}
	v := spladerunner.SparseVector{Indices: []uint32{1, 2, 7128}, Weights: []float32{0.5, 0.25, 2}}
	terms, err := e.TokenWeights(v)
	if err != nil || fmt.Sprint(terms) != "map[:0.25 manhattan:2]" {
		t.Fatalf("TokenWeights = %v, %v", terms, err)
	}
}

func TestEmptyTextsAndBatches(t *testing.T) {
	e := open(t, "splade-tiny")
	for _, texts := range [][]string{nil, {}} {
		vs, err := e.ExpandBatch(texts)
		if err != nil || len(vs) != 0 {
			t.Fatalf("ExpandBatch(%#v) = %d vectors, %v", texts, len(vs), err)
		}
	}
	vs, err := e.ExpandBatch([]string{"", "atomic energy", ""})
	if err != nil || len(vs) != 3 {
		t.Fatalf("ExpandBatch: %d vectors, %v", len(vs), err)
	}
	single, err := e.Expand("")
	if err != nil {
		t.Fatal(err)
	}
	if single.Indices == nil || single.Weights == nil {
		t.Fatal("Expand(\"\") returned nil slices")
	}
	for _, i := range []int{0, 2} {
		if vs[i].Len() != single.Len() {
			t.Fatalf("vector %d of the batch has %d terms, Expand(\"\") %d", i, vs[i].Len(), single.Len())
		}
	}
	// Each vector of a batch is a window of shared arrays: appending to one must not touch the next.
	first := vs[0].Indices
	next := append([]uint32(nil), vs[1].Indices...)
	_ = append(first, 7)
	if fmt.Sprint(vs[1].Indices) != fmt.Sprint(next) {
		t.Fatal("appending to one vector of a batch changed the next one")
	}
}

// Go strings may hold any bytes: they reach the C library unchanged, which rejects invalid UTF-8.
func TestInvalidUTF8IsTheLibrarysError(t *testing.T) {
	e := open(t, "splade-tiny")
	bad := "caf\xc3 au lait"
	_, err := e.Expand(bad)
	var serr *spladerunner.Error
	if !errors.As(err, &serr) || serr.Status != spladerunner.StatusInvalidUTF8 || !errors.Is(err, spladerunner.ErrInvalidUTF8) {
		t.Fatalf("Expand(invalid UTF-8): %v", err)
	}
	t.Logf("Expand: %v", err)
	_, err = e.ExpandBatch([]string{"fine", "also fine", bad})
	if !errors.As(err, &serr) || serr.Status != spladerunner.StatusInvalidUTF8 || !strings.Contains(serr.Message, "2") {
		t.Fatalf("ExpandBatch with invalid UTF-8 at index 2: %v", err)
	}
	t.Logf("ExpandBatch: %v", err)
	// A NUL byte is valid UTF-8 and is passed through too (the text is pointer + length, not a C string).
	if _, err := e.Expand("atomic\x00energy"); err != nil {
		t.Fatalf("Expand(text with NUL): %v", err)
	}
}

func TestMissingModelDirectory(t *testing.T) {
	missing := modelDir("no-such-model")
	e, err := spladerunner.New(missing)
	if e != nil || !errors.Is(err, spladerunner.ErrModelNotFound) {
		t.Fatalf("New(%s) = %v, %v", missing, e, err)
	}
	var serr *spladerunner.Error
	if !errors.As(err, &serr) || serr.Status != spladerunner.StatusModelNotFound || !strings.Contains(serr.Message, "no-such-model") {
		t.Fatalf("the error does not name the directory: %#v", err)
	}
	if errors.Is(err, spladerunner.ErrInvalidModel) {
		t.Fatal("ErrModelNotFound matches ErrInvalidModel")
	}
	wrapped := fmt.Errorf("loading: %w", err)
	if !errors.Is(wrapped, spladerunner.ErrModelNotFound) || !errors.As(wrapped, &serr) {
		t.Fatal("a wrapped error does not match")
	}
	t.Logf("%v", err)
}

func TestBadModelsAreInvalidModels(t *testing.T) {
	for _, name := range []string{"bad-output-shape", "vocab-mismatch", "bad-input-name"} {
		e, err := spladerunner.New(modelDir(name))
		if e != nil || !errors.Is(err, spladerunner.ErrInvalidModel) {
			t.Fatalf("New(%s) = %v, %v", name, e, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestOptionsReachTheLibrary(t *testing.T) {
	e := open(t, "splade-tiny", spladerunner.WithTopK(5), spladerunner.WithIntraOpThreads(1),
		spladerunner.WithSessions(2), spladerunner.WithTokenBudget(64), spladerunner.WithMaxLength(32), nil)
	if e.MaxLength() != 32 {
		t.Fatalf("MaxLength() = %d", e.MaxLength())
	}
	vs, err := e.ExpandBatch([]string{sentence, "atomic energy"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Len() != 5 {
			t.Fatalf("top_k 5: %d terms", v.Len())
		}
	}
	e2 := open(t, "splade-tiny", spladerunner.WithMinWeight(1.5))
	v, err := e2.Expand(sentence)
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() == 0 {
		t.Fatal("min_weight 1.5 left no term")
	}
	for _, w := range v.Weights {
		if w < 1.5 {
			t.Fatalf("min_weight 1.5 kept %g", w)
		}
	}
}

// WithMaxRatio and WithAlphaMass prune each vector as the unpruned one pruned by hand: the weights >= 0.3 × the
// largest (a float32 product), and the fewest heaviest terms (ties to the smaller id) whose sum, in float64, reaches
// half the total.
func TestMaxRatioAndAlphaMassPrune(t *testing.T) {
	full, err := open(t, "splade-tiny").Expand(sentence)
	if err != nil {
		t.Fatal(err)
	}
	var largest float32
	for _, w := range full.Weights {
		largest = max(largest, w)
	}
	byRatio := spladerunner.SparseVector{}
	for i, w := range full.Weights {
		if w >= 0.3*largest {
			byRatio.Indices = append(byRatio.Indices, full.Indices[i])
			byRatio.Weights = append(byRatio.Weights, w)
		}
	}
	order := make([]int, full.Len())
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		i, j := order[a], order[b]
		if full.Weights[i] != full.Weights[j] {
			return full.Weights[i] > full.Weights[j]
		}
		return full.Indices[i] < full.Indices[j]
	})
	var total, sum float64
	for _, i := range order {
		total += float64(full.Weights[i])
	}
	kept := make([]bool, full.Len())
	for _, i := range order {
		if sum >= 0.5*total {
			break
		}
		sum += float64(full.Weights[i])
		kept[i] = true
	}
	byMass := spladerunner.SparseVector{}
	for i, keep := range kept {
		if keep {
			byMass.Indices = append(byMass.Indices, full.Indices[i])
			byMass.Weights = append(byMass.Weights, full.Weights[i])
		}
	}
	cases := []struct {
		name   string
		option spladerunner.Option
		want   spladerunner.SparseVector
	}{
		{"max_ratio 0.3", spladerunner.WithMaxRatio(0.3), byRatio},
		{"alpha_mass 0.5", spladerunner.WithAlphaMass(0.5), byMass},
	}
	for _, c := range cases {
		got, err := open(t, "splade-tiny", c.option).Expand(sentence)
		if err != nil {
			t.Fatal(err)
		}
		if c.want.Len() == 0 || c.want.Len() == full.Len() {
			t.Fatalf("%s: the rule keeps %d of %d terms: the test shows nothing", c.name, c.want.Len(), full.Len())
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestInvalidOptionsAreInvalidArguments(t *testing.T) {
	cases := map[string]spladerunner.Option{
		"min_weight NaN":      spladerunner.WithMinWeight(float32(math.NaN())),
		"min_weight -1":       spladerunner.WithMinWeight(-1),
		"min_weight +Inf":     spladerunner.WithMinWeight(float32(math.Inf(1))),
		"max_ratio 1.5":       spladerunner.WithMaxRatio(1.5),
		"max_ratio NaN":       spladerunner.WithMaxRatio(float32(math.NaN())),
		"alpha_mass 0":        spladerunner.WithAlphaMass(0),
		"alpha_mass -0.1":     spladerunner.WithAlphaMass(-0.1),
		"sessions 0":          spladerunner.WithSessions(0),
		"token_budget 0":      spladerunner.WithTokenBudget(0),
		"max_length 513":      spladerunner.WithMaxLength(513),
		"max_length -1":       spladerunner.WithMaxLength(-1),
		"top_k -5":            spladerunner.WithTopK(-5),
		"intra_op_threads -1": spladerunner.WithIntraOpThreads(-1),
		"ort path with NUL":   spladerunner.WithOrtLibraryPath("lib\x00onnxruntime.so"),
	}
	for name, opt := range cases {
		e, err := spladerunner.New(modelDir("splade-tiny"), opt)
		if e != nil || !errors.Is(err, spladerunner.ErrInvalidArgument) {
			t.Errorf("%s: New = %v, %v", name, e, err)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	if e, err := spladerunner.New(modelDir("splade-tiny") + "\x00"); e != nil || !errors.Is(err, spladerunner.ErrInvalidArgument) {
		t.Errorf("model directory with a NUL byte: New = %v, %v", e, err)
	}
}

func TestOrtLibraryPathOption(t *testing.T) {
	e, err := spladerunner.New(modelDir("splade-tiny"), spladerunner.WithOrtLibraryPath("/nonexistent/libonnxruntime.so"))
	if e != nil || !errors.Is(err, spladerunner.ErrRuntimeUnavailable) {
		t.Fatalf("New with a missing ONNX Runtime = %v, %v", e, err)
	}
	t.Logf("%v", err)
}

func TestUseAfterCloseIsAnError(t *testing.T) {
	e, err := spladerunner.New(modelDir("splade-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.Expand(sentence)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	check := func(what string, err error) {
		t.Helper()
		var serr *spladerunner.Error
		if !errors.Is(err, spladerunner.ErrClosed) || !errors.As(err, &serr) || serr.Status != spladerunner.StatusClosed || int(serr.Status) != 10 {
			t.Errorf("%s after Close: %v", what, err)
		}
	}
	_, err = e.Expand(sentence)
	check("Expand", err)
	_, err = e.ExpandBatch([]string{sentence})
	check("ExpandBatch", err)
	_, err = e.Token(1)
	check("Token", err)
	_, err = e.TokenWeights(v)
	check("TokenWeights", err)
	if e.VocabSize() != 0 || e.MaxLength() != 0 {
		t.Errorf("after Close: VocabSize %d, MaxLength %d", e.VocabSize(), e.MaxLength())
	}
	t.Logf("%v", err)
}

// Close while other goroutines expand: it waits for the running calls, later calls get ErrClosed, nothing crashes.
func TestCloseWhileExpanding(t *testing.T) {
	e, err := spladerunner.New(modelDir("splade-tiny"), spladerunner.WithSessions(2))
	if err != nil {
		t.Fatal(err)
	}
	var started, wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				var err error
				if g%2 == 0 {
					_, err = e.Expand(sentence)
				} else {
					_, err = e.ExpandBatch([]string{sentence, "atomic energy", "peaceful uses"})
				}
				if i == 0 {
					started.Done()
				}
				if errors.Is(err, spladerunner.ErrClosed) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestToJSONGivesEachEngineItsShape(t *testing.T) {
	e := open(t, "splade-tiny", spladerunner.WithTopK(8))
	v, err := e.Expand("The Manhattan Project and its atomic bomb")
	if err != nil {
		t.Fatal(err)
	}
	for format, prefix := range map[spladerunner.Format]string{
		spladerunner.FormatIndicesValues: `{"indices":[`,
		spladerunner.FormatTokenWeights:  `{"`,
		spladerunner.FormatElasticsearch: `{"`,
		spladerunner.FormatImpacts:       `{"`,
		spladerunner.FormatTEI:           `[{"index":`,
	} {
		json, err := e.ToJSON(v, format, 100)
		if err != nil || !strings.HasPrefix(json, prefix) || !strings.Contains(json, "manhattan") && format != spladerunner.FormatIndicesValues && format != spladerunner.FormatTEI {
			t.Errorf("format %d: %q, %v", format, json, err)
		}
	}
	if _, err := e.ToJSON(v, 99, 1); !errors.Is(err, spladerunner.ErrInvalidArgument) {
		t.Errorf("format 99: %v", err)
	}
	bad := spladerunner.SparseVector{Indices: []uint32{1 << 20}, Weights: []float32{1}}
	if _, err := e.ToJSON(bad, spladerunner.FormatTokenWeights, 1); !errors.Is(err, spladerunner.ErrOutOfRange) {
		t.Errorf("id out of range: %v", err)
	}
}

func TestSpecialTokensCanBeDropped(t *testing.T) {
	// A parity text whose vector holds [UNK] (its reference vector does too).
	const text = "机器学习是人工智能的一个分支。北京是中华人民共和国的首都，人口超过两千万。"
	for _, drop := range []bool{false, true} {
		e := open(t, "splade-tiny", spladerunner.WithDropSpecialTokens(drop))
		v, err := e.Expand(text)
		if err != nil {
			t.Fatal(err)
		}
		terms, err := e.TokenWeights(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, kept := terms["[UNK]"]; kept == drop {
			t.Errorf("drop %v: [UNK] kept %v", drop, kept)
		}
	}
}
