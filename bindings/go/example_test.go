package spladerunner_test

import (
	"cmp"
	"errors"
	"fmt"
	"log"
	"slices"

	spladerunner "github.com/spladerunner/spladerunner-go"
)

// The default model, relative to this package's directory (`make build` and `bash tools/setup.sh` at the
// repository root put it there). In an application, pass the path of a model directory.
const exampleModel = "../../.cache/models/splade-tiny"

// printTop prints the n heaviest terms of a vector, weights rounded to 2 decimals.
func printTop(expander *spladerunner.Expander, vector spladerunner.SparseVector, n int) {
	terms, err := expander.TokenWeights(vector)
	if err != nil {
		log.Fatal(err)
	}
	tokens := make([]string, 0, len(terms))
	for token := range terms {
		tokens = append(tokens, token)
	}
	slices.SortFunc(tokens, func(a, b string) int {
		return cmp.Or(cmp.Compare(terms[b], terms[a]), cmp.Compare(a, b))
	})
	for _, token := range tokens[:min(n, len(tokens))] {
		fmt.Printf("%s %.2f\n", token, terms[token])
	}
}

func Example() {
	expander, err := spladerunner.New(exampleModel)
	if err != nil {
		log.Fatal(err)
	}
	defer expander.Close()

	vector, err := expander.Expand("atomic energy")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(vector.Len(), "terms; the heaviest:")
	printTop(expander, vector, 3)
	// Output:
	// 14 terms; the heaviest:
	// atomic 2.69
	// energy 2.36
	// electricity 1.74
}

func ExampleNew_options() {
	expander, err := spladerunner.New(exampleModel, spladerunner.WithMaxLength(256), spladerunner.WithTopK(3))
	if err != nil {
		log.Fatal(err)
	}
	defer expander.Close()

	vector, err := expander.Expand("The Manhattan Project and its atomic bomb helped bring an end to World War II.")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(expander.MaxLength(), "tokens at most,", vector.Len(), "terms:")
	printTop(expander, vector, 3)
	// Output:
	// 256 tokens at most, 3 terms:
	// manhattan 2.27
	// atomic 1.92
	// project 1.78
}

func ExampleExpander_ExpandBatch() {
	expander, err := spladerunner.New(exampleModel)
	if err != nil {
		log.Fatal(err)
	}
	defer expander.Close()

	texts := []string{"atomic energy", "peaceful uses of the atom", "how long does strep throat last"}
	vectors, err := expander.ExpandBatch(texts)
	if err != nil {
		log.Fatal(err)
	}
	for i, vector := range vectors {
		token, err := expander.Token(vector.Indices[slices.Index(vector.Weights, slices.Max(vector.Weights))])
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q: %d terms, the heaviest %q\n", texts[i], vector.Len(), token)
	}
	// Output:
	// "atomic energy": 14 terms, the heaviest "atomic"
	// "peaceful uses of the atom": 18 terms, the heaviest "peaceful"
	// "how long does strep throat last": 11 terms, the heaviest "long"
}

func ExampleError() {
	_, err := spladerunner.New("no/such/model")
	fmt.Println(errors.Is(err, spladerunner.ErrModelNotFound))
	var serr *spladerunner.Error
	if errors.As(err, &serr) {
		fmt.Println(int(serr.Status), serr.Status)
		fmt.Println(serr.Message)
	}
	// Output:
	// true
	// 4 SPLADE_STATUS_MODEL_NOT_FOUND
	// model directory no/such/model does not exist
}
