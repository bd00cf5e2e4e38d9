"""Store the bundled Whisper model's weights as int8: about 36 MB less installed, about 30 MB
less in the .deb, and the same transcripts.

The speech process loads Whisper with ``compute_type="int8"``, so CTranslate2 already quantises
the float16 weights to int8 each time it loads them; storing them quantised moves that step to
the build. Quantised here is what the runtime quantises at load: every variable named
``.../weight`` (linear and embedding weights) except the encoder's two convolutions, which
CTranslate2's Whisper keeps in float (quantising them too changed 3 of the 40 test transcripts;
this way none changes). The arithmetic is that of ``ctranslate2.specs.model_spec`` (one float32
scale per output row, ``127 / max|row|``, rounded to the nearest). CTranslate2 ships no tool that
reads a converted model back (its converters start from the original checkpoint and need
PyTorch), so this reads and writes the ``model.bin`` layout of ``ModelSpec._serialize`` (binary
version 6) itself, and refuses any other.

Usage: VENV/bin/python packaging/quantize_whisper.py MODEL_DIR [OUT_DIR]
       (rewrites MODEL_DIR/model.bin in place without OUT_DIR; prints the sizes)
"""

from __future__ import annotations

import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

VERSION = 6
# CTranslate2's DataType enum (include/ctranslate2/types.h), by id.
DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


@dataclass
class Model:
    spec: str
    revision: int
    variables: dict[str, tuple[int, tuple[int, ...], bytes]]  # name -> (dtype id, shape, data)
    aliases: list[tuple[str, str]]


def read(path: Path) -> Model:
    data = path.read_bytes()
    at = 0

    def take(fmt: str) -> tuple:
        nonlocal at
        found = struct.unpack_from("<" + fmt, data, at)
        at += struct.calcsize("<" + fmt)
        return found

    def string() -> str:
        nonlocal at
        (length,) = take("H")
        text = data[at : at + length - 1].decode()
        at += length
        return text

    (version,) = take("I")
    if version != VERSION:
        raise SystemExit(f"quantize_whisper: {path} is model.bin version {version}, not {VERSION}")
    spec = string()
    revision, count = take("II")
    variables = {}
    for _ in range(count):
        name = string()
        (rank,) = take("B")
        shape = take("I" * rank)
        dtype, size = take("BI")
        variables[name] = (dtype, shape, data[at : at + size])
        at += size
    (count,) = take("I")
    aliases = [(string(), string()) for _ in range(count)]
    if at != len(data):
        raise SystemExit(f"quantize_whisper: {len(data) - at} bytes left over in {path}")
    return Model(spec, revision, variables, aliases)


def write(model: Model, path: Path) -> None:
    with path.open("wb") as out:
        _string = _writer(out)
        out.write(struct.pack("<I", VERSION))
        _string(model.spec)
        out.write(struct.pack("<II", model.revision, len(model.variables)))
        for name in sorted(model.variables):  # as the converters order them
            dtype, shape, data = model.variables[name]
            _string(name)
            out.write(struct.pack("<B" + "I" * len(shape), len(shape), *shape))
            out.write(struct.pack("<BI", dtype, len(data)))
            out.write(data)
        out.write(struct.pack("<I", len(model.aliases)))
        for alias, name in model.aliases:
            _string(alias)
            _string(name)


def _writer(out: BinaryIO):
    def string(text: str) -> None:
        raw = text.encode()
        out.write(struct.pack("<H", len(raw) + 1) + raw + b"\0")

    return string


def quantize(model: Model) -> int:
    """Quantises the float weights in place; returns how many."""
    done = 0
    for name, (dtype, shape, data) in list(model.variables.items()):
        if not name.endswith("/weight") or DTYPES[dtype] not in ("float16", "float32"):
            continue
        if name.startswith("encoder/conv"):  # the runtime keeps these in float
            continue
        value = np.frombuffer(data, dtype=DTYPES[dtype]).astype(np.float32).reshape(shape)
        rows = value.reshape(shape[0], -1)
        amax = np.amax(np.absolute(rows), axis=1)
        amax[amax == 0] = 127.0
        amax = np.maximum(amax, np.float32(127) / np.finfo(np.float32).max)
        scale = (np.float32(127.0) / amax).astype(np.float32)
        quantized = np.rint(rows * np.expand_dims(scale, 1)).astype(np.int8)
        model.variables[name] = (DTYPES.index("int8"), shape, quantized.tobytes())
        model.variables[name + "_scale"] = (DTYPES.index("float32"), scale.shape, scale.tobytes())
        done += 1
    return done


def main(argv: list[str]) -> int:
    source = Path(argv[0])
    target = Path(argv[1]) if len(argv) > 1 else source
    before = (source / "model.bin").stat().st_size
    model = read(source / "model.bin")
    if any(name.endswith("/weight_scale") for name in model.variables):
        print(f"quantize_whisper: {source} is stored as int8 already")
        return 0
    count = quantize(model)
    target.mkdir(parents=True, exist_ok=True)
    if target != source:
        for other in source.iterdir():
            if other.name != "model.bin" and other.is_file():
                (target / other.name).write_bytes(other.read_bytes())
    partial = target / "model.bin.partial"
    write(model, partial)
    partial.replace(target / "model.bin")
    after = (target / "model.bin").stat().st_size
    print(
        f"quantize_whisper: {count} weights as int8, model.bin {before / 1e6:.1f} MB -> "
        f"{after / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
