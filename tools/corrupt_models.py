#!/usr/bin/env python3
"""Write a corpus of broken model directories made from a good one, and a manifest of what opening each must give.

Usage: corrupt_models.py MODEL_DIR OUT_DIR [--seed N]

MODEL_DIR is a model directory that stops at the hidden states (model.onnx with its weights in model.onnx_data,
tokenizer.json, config.json, tokenizer_config.json, decoder.safetensors: .cache/models/splade-tiny). OUT_DIR is emptied and gets one entry per
case, each a model directory in which one thing is broken: a file truncated at a few cut points, replaced by random
bytes or emptied; NaN weights, a decoder of another vocabulary or hidden size, huge safetensors header lengths;
symbolic link loops, unreadable files, a non-UTF-8 directory name, files that are /dev/zero, a FIFO or a
directory. The files a case leaves untouched are relative symbolic links to MODEL_DIR's, so the corpus stays small.

OUT_DIR/manifest.json lists the cases: `name` (the entry under OUT_DIR), `status` (the `SPLADE_STATUS_...` name
`Expander::new` must return; `SPLADE_STATUS_OK` when it must open), `word` (text its error message must contain),
optionally `open_hex` (the hex bytes of the path under the entry to open, for a name that is not UTF-8),
`as_root` (the status and word when the process runs as root, which reads a file whatever its mode) and
`known_wrong` (why the library's present answer is wrong: the test prints the case and skips it).

Expectations come from the model directory contract (src/model.rs), the safetensors format and, for a
model.onnx_data too short for its tensors, the words of the pinned ONNX Runtime, not from running the library. The corpus is deterministic: random bytes come from generators seeded with the seed and the case name.
"""

import argparse
import json
import os
import random
import shutil
import stat
import struct
from pathlib import Path

FILES = ("model.onnx", "model.onnx_data", "tokenizer.json", "config.json", "tokenizer_config.json",
         "decoder.safetensors")
INVALID = "SPLADE_STATUS_INVALID_MODEL"
NOT_FOUND = "SPLADE_STATUS_MODEL_NOT_FOUND"
OK = "SPLADE_STATUS_OK"
# How many random bytes replace a file: enough to look like the start of a real one, few enough to stay small.
RANDOM_BYTES = 65536


def safetensors_start(header: dict) -> bytes:
    """The start of a safetensors file with this JSON header: its length in 8 little-endian bytes, then the JSON."""
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text


class Corpus:
    """The cases written so far under `out`, and the model they are made from (with its decoder's header)."""

    def __init__(self, model: Path, out: Path, seed: int):
        self.model = model
        self.out = out
        self.seed = seed
        self.cases = []
        decoder = (model / "decoder.safetensors").read_bytes()
        self.decoder_header_len = struct.unpack("<Q", decoder[:8])[0]
        self.decoder_header = json.loads(decoder[8 : 8 + self.decoder_header_len])

    def case(self, name: str, status: str, word, description: str, **extra) -> Path:
        """A new case directory `name` whose files link to the model's, listed in the manifest; the caller then
        breaks one of them."""
        directory = self.out / name
        self.populate(directory)
        self.cases.append(dict(name=name, description=description, status=status, word=word, **extra))
        return directory

    def populate(self, directory: Path):
        """Make `directory` with a relative symbolic link to each of the model's files."""
        directory.mkdir(parents=True)
        for file in FILES:
            link = directory / file
            link.symlink_to(os.path.relpath(os.path.abspath(self.model / file), os.path.abspath(directory)))

    def replace(self, directory: Path, file: str, data: bytes, zeros: int = 0):
        """Put `data` and then `zeros` zero bytes (a hole: no disk space) in place of the link to the model's
        `file`."""
        (directory / file).unlink()
        (directory / file).write_bytes(data)
        os.truncate(directory / file, len(data) + zeros)

    def rng(self, name: str) -> random.Random:
        """The random generator of case `name`: the same bytes on every run with the same seed."""
        return random.Random(f"{self.seed}:{name}")


def build(corpus: Corpus):
    model = corpus.model
    contents = {file: (model / file).read_bytes() for file in FILES}

    # Truncated files, each at a few cut points.
    decoder_len = len(contents["decoder.safetensors"])
    header_end = 8 + corpus.decoder_header_len
    # A JSON file's last cut drops its closing brace (a cut in trailing white space would leave valid JSON).
    def points(file, *starts):
        data = contents[file]
        last = len(data.rstrip()) - 1 if file.endswith(".json") else len(data) - 1
        return [*starts, len(data) // 2, last]

    cuts = {
        "model.onnx": [(n, "model.onnx could not be loaded") for n in points("model.onnx", 1, 64)],
        # ONNX Runtime names the tensor whose bytes are missing, with the file's length.
        "model.onnx_data": [(n, f"given file_length: {n} are out of bounds") for n in points("model.onnx_data", 1)],
        "tokenizer.json": [(n, "tokenizer.json is not a usable tokenizer") for n in points("tokenizer.json", 1, 1000)],
        "config.json": [(n, "config.json is not valid JSON") for n in points("config.json", 1)],
        "tokenizer_config.json": [(n, "tokenizer_config.json is not valid JSON")
                                  for n in points("tokenizer_config.json", 1)],
        "decoder.safetensors": [
            (4, "is shorter than a safetensors header"),
            (8, "has no valid safetensors header"),
            (8 + corpus.decoder_header_len // 2, "has no valid safetensors header"),
            # Cut in its data: the message names the file's length against what its tensors need.
            (header_end, f"is {header_end} bytes long"),
            (decoder_len // 2, f"is {decoder_len // 2} bytes long"),
            (decoder_len - 1, f"is {decoder_len - 1} bytes long"),
        ],
    }
    for file, points in cuts.items():
        for n, word in points:
            name = f"truncated-{file}-at-{n}"
            d = corpus.case(name, INVALID, word, f"{file} cut to its first {n} bytes")
            corpus.replace(d, file, contents[file][:n])

    # Empty files.
    empty = {
        "model.onnx": "model.onnx could not be loaded",
        "model.onnx_data": "given file_length: 0 are out of bounds",
        "tokenizer.json": "tokenizer.json is not a usable tokenizer",
        "config.json": "config.json is not valid JSON",
        "tokenizer_config.json": "tokenizer_config.json is not valid JSON",
        "decoder.safetensors": "is shorter than a safetensors header",
    }
    for file, word in empty.items():
        d = corpus.case(f"empty-{file}", INVALID, word, f"{file} is empty")
        corpus.replace(d, file, b"")

    # Random bytes in place of each file.
    random_words = {
        "model.onnx": "model.onnx could not be loaded",
        "model.onnx_data": f"given file_length: {RANDOM_BYTES} are out of bounds",
        "tokenizer.json": "tokenizer.json is not a usable tokenizer",
        "config.json": "config.json cannot be read",  # random bytes are not UTF-8
        "tokenizer_config.json": "tokenizer_config.json cannot be read",
        "decoder.safetensors": "has no valid safetensors header",  # a random header length
    }
    for file, word in random_words.items():
        name = f"random-{file}"
        d = corpus.case(name, INVALID, word, f"{file} is {RANDOM_BYTES} random bytes")
        corpus.replace(d, file, corpus.rng(name).randbytes(RANDOM_BYTES))

    # Non-finite weights in a full copy of the decoder (a real file: the check reads every value).
    header = corpus.decoder_header
    hidden = header["weight"]["shape"][1]
    vocab = header["weight"]["shape"][0]
    for tensor, index, value, shown in (("weight", 15000 * hidden + 7, float("nan"), "NaN"),
                                        ("bias", vocab - 1, float("-inf"), "-inf")):
        name = f"non-finite-decoder-{tensor}"
        word = f"tensor '{tensor}' holds a non-finite value ({shown}) at index {index}"
        d = corpus.case(name, INVALID, word, f"decoder.safetensors holds {shown} in {tensor} at index {index}")
        data = bytearray(contents["decoder.safetensors"])
        at = header_end + header[tensor]["data_offsets"][0] + 4 * index
        data[at : at + 4] = struct.pack("<f", value)
        corpus.replace(d, "decoder.safetensors", bytes(data))

    # Decoders of the wrong shape or type (zero weights: the header is refused before any value counts).
    def tensors(rows, width, dtype="F32", bias_rows=None, weight_bytes=None):
        bias_rows = rows if bias_rows is None else bias_rows
        size = 4 if dtype == "F32" else 2
        bias_len = 4 * bias_rows
        weight_len = rows * width * size if weight_bytes is None else weight_bytes
        return {
            "bias": {"dtype": "F32", "shape": [bias_rows], "data_offsets": [0, bias_len]},
            "weight": {"dtype": dtype, "shape": [rows, width], "data_offsets": [bias_len, bias_len + weight_len]},
        }, bias_len + weight_len

    shapes = [
        ("decoder-of-another-vocabulary", tensors(30000, hidden),
         f"the model's vocabulary has 30000 ids", "a decoder of 30000 rows for a tokenizer of 30522 tokens"),
        ("decoder-of-another-hidden-size", tensors(vocab, 64),
         f"tensor 'weight' is \"F32\" [{vocab},64]; expected F32 [{vocab}, {hidden}]",
         "a decoder of hidden size 64 for a graph whose hidden states have 128"),
        ("decoder-bias-one-short", tensors(vocab, hidden, bias_rows=vocab - 1),
         "tensor 'bias' is", "a bias one row shorter than the weight"),
        ("decoder-float16", tensors(vocab, hidden, dtype="F16"),
         "tensor 'weight' is \"F16\"", "a float16 weight, which the library does not decode"),
        ("decoder-offsets-too-short", tensors(vocab, hidden, weight_bytes=16),
         "tensor 'weight' has bad data offsets", "data offsets that cover 16 bytes of a [30522, 128] weight"),
    ]
    for name, (head, data_len), word, description in shapes:
        d = corpus.case(name, INVALID, word, description)
        corpus.replace(d, "decoder.safetensors", safetensors_start(head), zeros=data_len)

    # Tensor data that the header does not account for exactly, which the safetensors format forbids: bytes after
    # the last tensor, a sparse file far larger than its tensors (read whole, it would not fit in memory), tensors
    # that overlap and leave a hole. The data is zeros: the header alone makes these files invalid.
    data_len = decoder_len - header_end
    bias_len = header["bias"]["data_offsets"][1]
    overlapping = json.loads(json.dumps(header))
    overlapping["bias"]["data_offsets"] = [bias_len, 2 * bias_len]
    huge = 1 << 36
    # Each word is what a right message names: the file's length, or the tensor that overlaps.
    for name, head, zeros, word, description in (
        ("decoder-trailing-bytes", header, data_len + 16, str(decoder_len + 16), "16 bytes after the last tensor"),
        ("decoder-huge-sparse-file", header, huge - header_end, str(huge), f"a sparse file of {huge} bytes"),
        ("decoder-overlapping-tensors", overlapping, data_len, "tensor 'bias'",
         "bias overlaps weight, leaving the first bytes of the data unused"),
    ):
        d = corpus.case(name, INVALID, word, f"decoder.safetensors holds {description}")
        corpus.replace(d, "decoder.safetensors", safetensors_start(head), zeros=zeros)

    # Huge header lengths, followed by the real header and no data.
    for label, length in (("2^63", 1 << 63), ("2^40", 1 << 40), ("2^64-1", (1 << 64) - 1), ("file-length+1", None)):
        name = f"decoder-header-length-{label}"
        d = corpus.case(name, INVALID, "has no valid safetensors header",
                        f"decoder.safetensors gives a header length of {label}")
        start = safetensors_start(header)
        length = len(start) + 1 if length is None else length
        corpus.replace(d, "decoder.safetensors", struct.pack("<Q", length) + start[8:])

    # Symbolic link loops: a file that links to itself, two files that link to each other, a model directory
    # that links to itself.
    for file in ("model.onnx", "tokenizer.json", "config.json"):
        d = corpus.case(f"symlink-loop-{file}", INVALID, f"{file} cannot be reached",
                        f"{file} is a symbolic link to itself")
        (d / file).unlink()
        (d / file).symlink_to(file)
    d = corpus.case("symlink-cycle-decoder", INVALID, "decoder.safetensors cannot be reached",
                    "decoder.safetensors links to other.safetensors, which links back")
    (d / "decoder.safetensors").unlink()
    (d / "decoder.safetensors").symlink_to("other.safetensors")
    (d / "other.safetensors").symlink_to("decoder.safetensors")
    corpus.cases.append(dict(name="symlink-loop-directory", status=INVALID, word="cannot be reached",
                             description="the model directory is a symbolic link to itself"))
    (corpus.out / "symlink-loop-directory").symlink_to("symlink-loop-directory")

    # Unreadable files and directory (mode 000). Root reads them anyway, so there the model opens.
    as_root = dict(status=OK, word=None)
    for file, word in (("tokenizer.json", "tokenizer.json is not a usable tokenizer"),
                       ("config.json", "config.json cannot be read"),
                       ("tokenizer_config.json", "tokenizer_config.json cannot be read")):
        d = corpus.case(f"unreadable-{file}", INVALID, word, f"{file} has mode 000", as_root=as_root)
        corpus.replace(d, file, contents[file])
        (d / file).chmod(0)
    d = corpus.case("unreadable-directory", INVALID, "model.onnx cannot be reached",
                    "the model directory has mode 000 (its files cannot be looked up)", as_root=as_root)

    # A model directory whose name is not UTF-8: whole, it opens; without its tokenizer, the message names it.
    for label, raw, status, word, missing in (
        ("whole", b"model-\xff", OK, None, None),
        ("no-tokenizer", b"model-\xfe", NOT_FOUND, "\ufffd has no tokenizer.json", "tokenizer.json"),
    ):
        name = f"non-utf8-name-{label}"
        directory = os.path.join(os.fsencode(corpus.out / name), raw)
        corpus.populate(Path(os.fsdecode(directory)))
        if missing:
            os.unlink(os.path.join(directory, os.fsencode(missing)))
        corpus.cases.append(dict(name=name, open_hex=raw.hex(), status=status, word=word,
                                 description=f"the model directory is named {raw!r}" +
                                 (f" and has no {missing}" if missing else "")))

    # Files that are a device, a FIFO or a directory.
    for file in ("decoder.safetensors", "model.onnx", "model.onnx_data", "tokenizer.json", "config.json"):
        d = corpus.case(f"dev-zero-{file}", INVALID, f"{file} is not a regular file: it is a character device",
                        f"{file} is a symbolic link to /dev/zero")
        (d / file).unlink()
        (d / file).symlink_to("/dev/zero")
    for file in ("decoder.safetensors", "model.onnx_data"):
        d = corpus.case(f"fifo-{file}", INVALID, f"{file} is not a regular file: it is a FIFO",
                        f"{file} is a FIFO (reading it would block)")
        (d / file).unlink()
        os.mkfifo(d / file)
    for file in FILES:
        d = corpus.case(f"directory-{file}", INVALID, f"{file} is not a regular file: it is a directory",
                        f"{file} is a directory")
        (d / file).unlink()
        (d / file).mkdir()

    # Mode 000 last, so that nothing more is written into these directories.
    (corpus.out / "unreadable-directory").chmod(0)


def remove(out: Path):
    """Remove a previous corpus, giving back the permissions that mode 000 took (a non-root user needs them)."""
    if not out.exists() and not out.is_symlink():
        return
    for root, dirs, _ in os.walk(out):
        for d in dirs:
            path = os.path.join(root, d)
            if not os.path.islink(path):
                os.chmod(path, stat.S_IRWXU)
    shutil.rmtree(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    for file in FILES:
        if not (args.model / file).is_file():
            parser.error(f"{args.model / file} is missing")
    remove(args.out)
    args.out.mkdir(parents=True)
    corpus = Corpus(args.model, args.out, args.seed)
    build(corpus)
    manifest = dict(model=str(args.model), seed=args.seed, cases=corpus.cases)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(corpus.cases)} cases in {args.out}")


if __name__ == "__main__":
    main()
