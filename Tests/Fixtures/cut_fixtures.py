#!/usr/bin/env python3
"""Cuts the test fixture from Debian's dataset-fashion-mnist: the first 1,000
training and the first 500 test images with their labels, as gzipped IDX."""
import gzip
import struct
import sys

SOURCE = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
CUTS = {"train": 1000, "t10k": 500}


def cut(name, count):
    with gzip.open(f"{SOURCE}/{name}", "rb") as f:
        raw = f.read()
    rank = raw[3]
    dims = list(struct.unpack(f">{rank}I", raw[4 : 4 + 4 * rank]))
    item = 1
    for d in dims[1:]:
        item *= d
    dims[0] = count
    header = raw[:4] + struct.pack(f">{rank}I", *dims)
    body = raw[4 + 4 * rank : 4 + 4 * rank + count * item]
    # mtime=0 keeps the output byte-for-byte reproducible
    with gzip.GzipFile(name, "wb", mtime=0) as out:
        out.write(header + body)


for prefix, count in CUTS.items():
    cut(f"{prefix}-images-idx3-ubyte.gz", count)
    cut(f"{prefix}-labels-idx1-ubyte.gz", count)
