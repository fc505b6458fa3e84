#!/usr/bin/env bash
# The documents job of the core benchmark (examples/bench: paragraphs.txt in batches of 32 at max_length 256,
# default options), then the same through each binding (Go ExpandBatchFile, Java Bench, Node bench.js), ROUNDS
# times in turn, in one run; prints each docs/s and the median ratio of each binding to the core.
# Run after `make test` (or make build, go/npm/mvn builds); the Java classes and the Node addon are rebuilt.
# Usage: tools/bench_bindings.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
cargo build -q --release --example bench
(cd bindings/java && mvn -B -q -ntp test-compile)
# The addon's build directory holds its own copy of libspladerunner.so: refresh it.
(cd bindings/node && npm run -s build >/dev/null)
declare -A runs
for ((r = 1; r <= rounds; r++)); do
    core=$(target/release/examples/bench --job docs --json | sed -n 's/.*"docs_per_s":\([0-9.]*\).*/\1/p')
    go=$(cd bindings/go && go test -count=1 -run '^$' -bench ExpandBatchFile -benchtime 1x |
        sed -n 's/.* \([0-9.]*\) docs\/s.*/\1/p')
    java=$(cd bindings/java && java -cp target/classes:target/test-classes io.github.spladerunner.Bench |
        sed -n 's/.* = \([0-9.]*\) docs\/s.*/\1/p')
    node=$(cd bindings/node && node bench.js --json | sed -n 's/.*"docs_per_s":\([0-9.]*\).*/\1/p')
    echo "round $r: core $core, Go $go, Java $java, Node $node docs/s"
    [[ -n $core && -n $go && -n $java && -n $node ]] || { echo "a run printed no docs/s" >&2; exit 1; }
    for b in go java node; do runs[$b]+="$(awk -v x="${!b}" -v c="$core" 'BEGIN { print x / c }') "; done
done
for b in go java node; do
    median=$(tr ' ' '\n' <<<"${runs[$b]}" | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
    printf '%-5s median ratio to the core: %.3f\n' "$b" "$median"
done
