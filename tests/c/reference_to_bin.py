"""Writes the reference vectors (tools/reference.py's JSON lines) in a form the C test reads without a
JSON parser: per text, little-endian u32 byte length, the UTF-8 bytes, u32 term count, the u32 ids, the
f32 weights.

Usage: reference_to_bin.py REFERENCE.jsonl OUT.bin
"""
import json
import struct
import sys


def main():
    src, out = sys.argv[1:3]
    with open(src, encoding="utf-8") as lines, open(out, "wb") as f:
        for line in lines:
            ref = json.loads(line)
            text = ref["text"].encode("utf-8")
            f.write(struct.pack("<I", len(text)) + text)
            f.write(struct.pack(f"<I{len(ref['indices'])}I", len(ref["indices"]), *ref["indices"]))
            f.write(struct.pack(f"<{len(ref['weights'])}f", *ref["weights"]))


if __name__ == "__main__":
    main()
