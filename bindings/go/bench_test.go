package spladerunner_test

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	spladerunner "github.com/spladerunner/spladerunner-go"
)

// The speed data (one text per line), at $SPLADERUNNER_SHARED/data/bench (default: ../shared beside the repository
// root, like the core's `cargo run --release --example bench`); the benchmarks are skipped without it.
var benchDir = filepath.Join(sharedDir(), "data", "bench")

func sharedDir() string {
	if dir := os.Getenv("SPLADERUNNER_SHARED"); dir != "" {
		return dir
	}
	return filepath.Join(repoRoot, "..", "shared")
}

// The core benchmark's settings: documents in batches of 32 at max_length 256, queries one per call at 64.
const (
	benchBatch          = 32
	benchMaxLength      = 256
	benchQueryMaxLength = 64
)

// BenchmarkExpand: one op = one query (cycling through queries.txt) at max_length 64, after 20 warm-up calls,
// like the core benchmark's single-query latency; also reports the median and 99th percentile of the calls.
func BenchmarkExpand(b *testing.B) {
	queries := lines(b, filepath.Join(benchDir, "queries.txt"))
	e := open(b, "splade-tiny", spladerunner.WithMaxLength(benchQueryMaxLength))
	for i := range 20 {
		if _, err := e.Expand(queries[i%len(queries)]); err != nil {
			b.Fatal(err)
		}
	}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := e.Expand(queries[i%len(queries)]); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(latencies)
	percentile := func(p float64) float64 {
		i := min(max(int(math.Ceil(float64(len(latencies))*p)), 1), len(latencies)) - 1
		return float64(latencies[i].Microseconds()) / 1e3
	}
	b.ReportMetric(percentile(0.50), "p50-ms")
	b.ReportMetric(percentile(0.99), "p99-ms")
}

// BenchmarkExpandBatch: one op = one batch of 32 paragraphs (cycling through paragraphs.txt) at max_length 256.
func BenchmarkExpandBatch(b *testing.B) {
	docs := lines(b, filepath.Join(benchDir, "paragraphs.txt"))
	e := open(b, "splade-tiny", spladerunner.WithMaxLength(benchMaxLength))
	batches := (len(docs) + benchBatch - 1) / benchBatch
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := (i % batches) * benchBatch
		if _, err := e.ExpandBatch(docs[start:min(start+benchBatch, len(docs))]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkExpandBatchFile: one op = all of paragraphs.txt (2,000 paragraphs) in batches of 32 at max_length 256:
// exactly the documents part of the core benchmark, whose docs/s it reports. Run it with -benchtime=Nx.
func BenchmarkExpandBatchFile(b *testing.B) {
	docs := lines(b, filepath.Join(benchDir, "paragraphs.txt"))
	e := open(b, "splade-tiny", spladerunner.WithMaxLength(benchMaxLength))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for start := 0; start < len(docs); start += benchBatch {
			if _, err := e.ExpandBatch(docs[start:min(start+benchBatch, len(docs))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(docs))/b.Elapsed().Seconds(), "docs/s")
}
