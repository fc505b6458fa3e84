# spladerunner: the two commands of the README, and the steps they are made of.
#   make demo   set up (ONNX Runtime + splade-tiny, cached in .cache/), build, expand the example sentence
#   make test   set up, then every check: format, lint, licences, Rust tests, C ABI tests under valgrind, the Rust
#               and C tests under AddressSanitizer, install, Python tool tests, Go, Java and Node

CARGO   ?= cargo
CC      ?= cc
RELEASE := target/release
SONAME  := libspladerunner.so.0.1
CFLAGS  ?= -std=c11 -O1 -g -Wall -Wextra -Wpedantic -Werror
C_BUILD := target/c
PREFIX  ?= /usr/local
# The install prefix as an absolute path. Paths go through no make function that splits words, and are quoted in
# the recipes, so a clone or a prefix whose path holds spaces works.
DEST      = $(if $(filter /%,$(PREFIX)),$(PREFIX),$(CURDIR)/$(PREFIX))
TEST_DEST = $(CURDIR)/target/install-test
# A space, for $(subst) (make has no literal for it).
empty :=
space := $(empty) $(empty)
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

.PHONY: demo test setup shared-data build header lint deny nightly test-rust fuzz-build fuzz-short fuzz test-c \
	test-sanitizers test-tools test-go test-node test-java compare eval-curves install test-install bench-bindings

demo: setup
	$(CARGO) run --release --example expand

test: shared-data setup lint deny test-rust fuzz-short test-c test-sanitizers test-install test-tools test-go test-java \
	test-node

# The tests read the shared test collections (Cranfield, SciFact, the benchmark texts) from
# $SPLADERUNNER_SHARED/data, by default ../shared/data beside the repository.
SPLADERUNNER_SHARED ?= $(abspath ../shared)
export SPLADERUNNER_SHARED
shared-data:
	@test -d "$(SPLADERUNNER_SHARED)/data" || { echo "$(SPLADERUNNER_SHARED)/data is missing: the tests need the" \
		"shared test collections; set SPLADERUNNER_SHARED to the directory that holds data/" >&2; exit 1; }

setup:
	bash tools/setup.sh

# The shared and static libraries, with ONNX Runtime beside them (found through RUNPATH $ORIGIN, or the
# RUNPATH of a program linking the static library) and the SONAME link. Setup first (a second of checks once
# done), so that `make build`, and `mvn install` or `npm install` which call it, work on a fresh clone.
build: setup
	$(CARGO) build --release --lib
	@# install replaces the file (new inode) instead of rewriting it under processes that have it mapped.
	cmp -s .cache/onnxruntime/libonnxruntime.so $(RELEASE)/libonnxruntime.so || \
		install -m 755 .cache/onnxruntime/libonnxruntime.so $(RELEASE)/libonnxruntime.so
	ln -sf libspladerunner.so $(RELEASE)/$(SONAME)

# Regenerates include/spladerunner.h from src/ffi, and the Go package's copy of it (tests/header.rs and the Go
# tests fail while either is stale).
header:
	SPLADE_WRITE_HEADER=1 $(CARGO) test --release --test header
	cp include/spladerunner.h bindings/go/spladerunner.h

# Format, lints and docs of every workspace member, warnings denied; and the library's own dependency tree holds
# none of the command line's crates (a user of the library compiles no argument parser or progress bar).
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --release --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet
	@if $(CARGO) tree -p spladerunner -e normal --prefix none | grep -E '^(clap|indicatif) '; then \
		echo "the library depends on the command line's crates (above)" >&2; exit 1; fi

# The licences, duplicate versions and sources of every crate in the build, against deny.toml, by cargo-deny
# (pinned; built once into .cache/tools from the crate registry with its own lock file).
CARGO_DENY_VERSION := 0.20.2
CARGO_DENY := .cache/tools/cargo-deny-$(CARGO_DENY_VERSION)/bin/cargo-deny
$(CARGO_DENY):
	$(CARGO) install --locked --quiet --root .cache/tools/cargo-deny-$(CARGO_DENY_VERSION) cargo-deny \
		--version $(CARGO_DENY_VERSION)
deny: $(CARGO_DENY)
	$(CARGO_DENY) check bans licenses sources

# The pinned nightly toolchain, for what needs unstable flags (the sanitizers, the fuzz targets); rustup downloads
# it once; once installed, nothing is asked of its server.
NIGHTLY := nightly-2026-05-20
nightly:
	rustup run $(NIGHTLY) rustc --version >/dev/null 2>&1 || rustup toolchain install $(NIGHTLY) --profile minimal

test-rust: shared-data setup
	$(CARGO) test --workspace --release

# The fuzz targets of the C ABI (fuzz/, docs/testing.md): libFuzzer and AddressSanitizer through cargo-fuzz (pinned;
# built once into .cache/tools from the crate registry with its own lock file) on the pinned nightly. The fuzz
# crate's format and lints are checked first (it is a workspace of its own, which `make lint` does not see).
# `make fuzz-short` (in `make test`) runs each target for FUZZ_SHORT_SECONDS, its committed seeds first (all of them,
# however long they take), then new inputs, kept only for that run; `make fuzz` runs each for FUZZ_SECONDS, keeping
# the inputs that reach new code in target/fuzz/corpus/<target> from one run to the next. A crash, a leak, a failed check or an input taking more
# than FUZZ_TIMEOUT seconds fails the run and leaves the input in target/fuzz/artifacts/<target>/; the target's
# binary run on that file alone reproduces it.
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ_BIN := .cache/tools/cargo-fuzz-$(CARGO_FUZZ_VERSION)/bin
FUZZ_TARGETS := expand batch options to_json model_dir
FUZZ_SHORT_SECONDS ?= 30
FUZZ_SECONDS ?= 600
FUZZ_TIMEOUT ?= 60
FUZZ_BIN := target/fuzz/x86_64-unknown-linux-gnu/release
# Runs target $$t (a shell variable of the recipe) with libFuzzer's flags that follow: its dictionary when it has one,
# a quiet log (no list of newly covered functions), ASAN_OPTIONS as `cargo fuzz run` sets them (ASan's ODR check
# stops Rust programs early on false alarms).
FUZZ_RUN = ASAN_OPTIONS=detect_odr_violation=0 $(FUZZ_BIN)/$$t -timeout=$(FUZZ_TIMEOUT) -print_funcs=0 \
	-artifact_prefix=target/fuzz/artifacts/$$t/ \
	$$(test -f fuzz/dictionaries/$$t.dict && echo -dict=fuzz/dictionaries/$$t.dict)
$(CARGO_FUZZ_BIN)/cargo-fuzz:
	$(CARGO) install --locked --quiet --root .cache/tools/cargo-fuzz-$(CARGO_FUZZ_VERSION) cargo-fuzz \
		--version $(CARGO_FUZZ_VERSION)
fuzz-build: setup nightly $(CARGO_FUZZ_BIN)/cargo-fuzz
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml --check
	$(CARGO) clippy --manifest-path fuzz/Cargo.toml --target-dir target/fuzz-lint --release --all-targets --quiet \
		-- -D warnings
	PATH="$(CURDIR)/$(CARGO_FUZZ_BIN):$$PATH" cargo +$(NIGHTLY) fuzz build --target-dir target/fuzz
fuzz-short: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		rm -rf target/fuzz/short/$$t && mkdir -p target/fuzz/short/$$t target/fuzz/artifacts/$$t || exit 1; \
		echo "fuzz $$t: $(FUZZ_SHORT_SECONDS) s, seeds first"; \
		$(FUZZ_RUN) -max_total_time=$(FUZZ_SHORT_SECONDS) target/fuzz/short/$$t fuzz/corpus/$$t \
			2> target/fuzz/short/$$t.log || { cat target/fuzz/short/$$t.log >&2; exit 1; }; \
		grep -E '^Done [0-9]+ runs' target/fuzz/short/$$t.log; \
	done
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p target/fuzz/corpus/$$t target/fuzz/artifacts/$$t || exit 1; \
		echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
		$(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) target/fuzz/corpus/$$t fuzz/corpus/$$t || exit 1; \
	done

# The C ABI from C: every function and error path, under valgrind (errors and definite leaks fail the run).
test-c: build
	mkdir -p $(C_BUILD)
	$(CC) $(CFLAGS) -Iinclude tests/c/test_capi.c -o $(C_BUILD)/test_capi \
		-L$(RELEASE) -lspladerunner -lpthread -lm -Wl,-rpath,'$$ORIGIN/../release'
	$(CC) $(CFLAGS) -Iinclude examples/c/expand.c -o $(C_BUILD)/expand \
		-L$(RELEASE) -lspladerunner -Wl,-rpath,'$$ORIGIN/../release'
	.cache/venv/bin/python tests/c/reference_to_bin.py .cache/reference/splade-tiny.max512.jsonl \
		$(C_BUILD)/reference.bin
	valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions=tests/c/valgrind.supp \
		$(C_BUILD)/test_capi .cache/models $(C_BUILD)/reference.bin 4
	$(C_BUILD)/test_capi .cache/models $(C_BUILD)/reference.bin
	$(C_BUILD)/expand .cache/models/splade-tiny

# The Rust tests (library and command line) and the C test under AddressSanitizer and LeakSanitizer, and the C test
# under UndefinedBehaviorSanitizer too (Rust has no UBSan: debug assertions, overflow checks and the standard
# library's UB checks, which follow debug assertions, stand in for it). On the pinned nightly, for an explicit
# target, so that build scripts and proc macros are not instrumented, in a target directory of its own; release
# builds keep the parity tests fast. The standard library and ONNX Runtime are not instrumented: their allocations
# and frees still go through ASan's allocator, their own reads and writes are not checked.
# The Rust library built with -Zsanitizer links no ASan runtime into a cdylib; the C test's executable brings it
# (gcc's libasan here), and the library's instrumentation calls resolve to it at load (a symbol it lacked would
# stop the load, naming the symbol).
# Skipped under ASan: ffi::tests::a_misused_handle_aborts_naming_the_function, whose child processes read a freed
# handle's tag word on purpose (ASan reports that read; test-rust checks the library's message, and the C test
# below checks ASan's report of the same misuse); and cranfield_becomes_an_anserini_json_vector_collection, the
# slowest by far, which runs 1,400 documents through the command line and the library (test-rust runs it): the
# command line holds no unsafe code, what that test adds over the other command-line tests (two text fields joined,
# an output directory made) is safe Rust, and the library's batches run under ASan in the parity and thread tests.
SAN_TARGET := x86_64-unknown-linux-gnu
SAN_DIR    := target/asan
SAN_LIB    := $(SAN_DIR)/$(SAN_TARGET)/release
SAN_CARGO  := RUSTFLAGS=-Zsanitizer=address CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true \
	CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true $(CARGO) +$(NIGHTLY)
SAN_ARGS   := --locked --release --target $(SAN_TARGET) --target-dir $(SAN_DIR)
# Any report fails the run: the process aborts at the first error, and leaks are errors.
SAN_ENV    := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
test-sanitizers: shared-data setup nightly
	$(SAN_ENV) $(SAN_CARGO) test --workspace $(SAN_ARGS) -- \
		--skip ffi::tests::a_misused_handle_aborts_naming_the_function \
		--skip cranfield_becomes_an_anserini_json_vector_collection
	@# The cdylib of the units the tests just built (a plain `build --lib` would unify features differently and
	@# rebuild the library under them).
	$(SAN_CARGO) build --workspace --lib --tests $(SAN_ARGS)
	cmp -s .cache/onnxruntime/libonnxruntime.so $(SAN_LIB)/libonnxruntime.so || \
		install -m 755 .cache/onnxruntime/libonnxruntime.so $(SAN_LIB)/libonnxruntime.so
	ln -sf libspladerunner.so $(SAN_LIB)/$(SONAME)
	mkdir -p $(SAN_DIR)/c
	$(CC) $(CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Iinclude \
		tests/c/test_capi.c -o $(SAN_DIR)/c/test_capi \
		-L$(SAN_LIB) -lspladerunner -lpthread -lm -Wl,-rpath,'$$ORIGIN/../$(SAN_TARGET)/release'
	.cache/venv/bin/python tests/c/reference_to_bin.py .cache/reference/splade-tiny.max512.jsonl \
		$(SAN_DIR)/c/reference.bin
	$(SAN_ENV) $(SAN_DIR)/c/test_capi .cache/models $(SAN_DIR)/c/reference.bin

# The Python tools' tests; the evaluation agreement test runs the eval example against the reference pipeline.
test-tools: shared-data setup
	$(CARGO) build --release --example eval
	@# Temporary files under target/ (emptied by each run), not in the system temp directory.
	.cache/venv/bin/pytest tools/tests -q --basetemp=target/pytest-tmp

# The Go binding: format, vet, tests under the race detector (static library), then with the shared library.
# -count=1: go test cannot see that libspladerunner.a was rebuilt, so cached results would be stale.
test-go: build
	cd bindings/go && files=$$(gofmt -l .) && if [ -n "$$files" ]; then echo "gofmt needed: $$files"; exit 1; fi
	cd bindings/go && go vet ./...
	cd bindings/go && go test -race -count=1 ./...
	cd bindings/go && go test -tags spladerunner_shared -count=1 ./...

# The Node binding: npm ci builds the addon (node-gyp against the installed Node headers), npm test runs the
# type check and node --test.
test-node: build
	cd bindings/node && npm ci && npm test

# The Java binding: Maven builds the JNI glue and the jar (which carries the native libraries) and runs the JUnit
# tests; then the quick-start program runs with nothing but the jar on its class path.
test-java: build
	cd bindings/java && mvn -B -ntp package
	java -cp bindings/java/target/spladerunner-0.1.0.jar bindings/java/examples/Expand.java .cache/models/splade-tiny

# Speed and memory against the original Python spladerunner 0.1.6, in one run (BENCHMARKS.md): the jobs of the
# benchmark, then the time to the first vector of a short-lived process (the command line against the original's
# import, Expander() and expand). Not part of `make test`: it takes about 20 minutes, most of them the original on
# the BERT-base-shaped model.
compare:
	bash tools/setup.sh --bert-base
	$(CARGO) build --release --example bench
	$(CARGO) build --release -p spladerunner-cli
	.cache/venv/bin/python tools/compare.py --json .cache/compare/results.json
	.cache/venv/bin/python tools/first_vector.py --json .cache/compare/first_vector.json

# Retrieval quality on SciFact: the curves and tables of EVALUATION.md (about 15 minutes), then the full
# agreement with the reference pipeline on SciFact and Cranfield.
eval-curves:
	bash tools/setup.sh
	$(CARGO) build --release --example eval
	.cache/venv/bin/python tools/eval_curves.py "$(SPLADERUNNER_SHARED)/data/scifact"
	for c in scifact cranfield; do \
		target/release/examples/eval "$(SPLADERUNNER_SHARED)/data/$$c" --json; \
		.cache/venv/bin/python tools/eval_reference.py "$(SPLADERUNNER_SHARED)/data/$$c" --json; \
	done

# Installs the library (with its SONAME link and ONNX Runtime beside it), the header, spladerunner.pc, the
# command-line tool and the default model under PREFIX (default /usr/local), so that a C program builds with
# `cc prog.c $$(pkg-config --cflags --libs spladerunner)`.
install: setup build
	$(CARGO) build --release -p spladerunner-cli
	install -d "$(DEST)/lib/pkgconfig" "$(DEST)/include" "$(DEST)/bin" "$(DEST)/share/spladerunner/models/splade-tiny"
	install -m 755 $(RELEASE)/libspladerunner.so "$(DEST)/lib/$(SONAME)"
	ln -sf $(SONAME) "$(DEST)/lib/libspladerunner.so"
	install -m 755 .cache/onnxruntime/libonnxruntime.so "$(DEST)/lib/libonnxruntime.so"
	install -m 644 include/spladerunner.h "$(DEST)/include/spladerunner.h"
	@# pkg-config reads a space in a path as a separator unless it is escaped (and then prints it escaped).
	sed -e 's|@PREFIX@|$(subst $(space),\\ ,$(DEST))|' -e 's|@VERSION@|$(VERSION)|' spladerunner.pc.in \
		> "$(DEST)/lib/pkgconfig/spladerunner.pc"
	install -m 755 $(RELEASE)/spladerunner "$(DEST)/bin/spladerunner"
	install -m 644 .cache/models/splade-tiny/* "$(DEST)/share/spladerunner/models/splade-tiny/"

# Installs into target/install-test, builds the C example there through pkg-config alone, and runs it and the
# installed command-line tool on its installed default model.
test-install:
	rm -rf target/install-test
	$(MAKE) install PREFIX=target/install-test
	@# eval reads back the spaces that pkg-config prints escaped.
	eval '$(CC) $(CFLAGS) examples/c/expand.c -o "$(TEST_DEST)/expand"' \
		"$$(PKG_CONFIG_PATH='$(TEST_DEST)/lib/pkgconfig' pkg-config --cflags --libs spladerunner)"
	"$(TEST_DEST)/expand" "$(TEST_DEST)/share/spladerunner/models/splade-tiny" "atomic energy"
	"$(TEST_DEST)/bin/spladerunner" info
	echo "atomic energy" | "$(TEST_DEST)/bin/spladerunner" expand --format tokens --top-k 5

# Each binding's documents throughput against the core's, rounds in turn in one run (not part of `make test`).
bench-bindings: build
	bash tools/bench_bindings.sh 3
