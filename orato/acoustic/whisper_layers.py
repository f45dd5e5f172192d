"""Whisper-base's lower encoder layers as an onnxruntime graph, built from the pinned model.bin.

CTranslate2's ``encode`` returns only the encoder's last layer, which Whisper's training
shapes for its decoder; the middle layers hold a speaker's sounds better (a CTC phone head on
layer 3's output follows the experts' phone marks better than one on the output, and the two
together better than either: scoring ``MODEL_CARD.md``, "Which encoder layer the head
hears"). This module reads the same hash-checked ``model.bin`` (no other weights, no
download), builds the convolutions, the positional encodings and the first ``layers``
transformer blocks as an ONNX graph, and runs it on the mel windows of
:meth:`orato.acoustic.whisper.WhisperFeatures.encode`, so its frames are the output's frames.

The graph is Whisper's encoder as written (pre-norm blocks, exact GELU, scaled dot-product
attention over the whole window); the matrix products run with int8 weights (onnxruntime's
dynamic quantisation, as CTranslate2 runs the rest of the encoder).
"""

from __future__ import annotations

import logging
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from orato.acoustic.whisper import assemble_model, fitted_windows
from orato.onnx_graphs import session_for_graph
from orato.registry import models

# CTranslate2's DataType enum (include/ctranslate2/types.h), in order.
_CT2_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16)
_LAYER_NORM_EPS = 1e-5
# The second CTC head reads block 3's output (of 6): MODEL_CARD.md's layer table.
MIDDLE_LAYERS = 3
N_MELS = 80
_OPSET = 17
_IR_VERSION = 8  # onnxruntime reads IR versions up to its own; 8 goes with opset 17


def read_ct2_variables(path: Path, prefix: str) -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 ``model.bin`` whose names start with ``prefix``
    (the format ``ctranslate2.specs.ModelSpec._serialize`` writes)."""
    out: dict[str, np.ndarray] = {}
    with open(path, "rb") as handle:
        for name, shape, dtype, data in _ct2_records(handle.read()):
            if name.startswith(prefix):
                out[name] = np.frombuffer(data, _CT2_DTYPES[dtype]).reshape(shape)
    return out


def _ct2_records(blob: bytes) -> Iterator[tuple[str, tuple[int, ...], int, memoryview]]:
    view, at = memoryview(blob), 0

    def take(fmt: str) -> tuple[int, ...]:
        nonlocal at
        values = struct.unpack_from(fmt, view, at)
        at += struct.calcsize(fmt)
        return values

    def string() -> str:
        nonlocal at
        (length,) = take("H")
        text = bytes(view[at : at + length - 1]).decode()
        at += length
        return text

    take("I")  # binary version
    string()  # spec name
    take("I")  # spec revision
    (count,) = take("I")
    for _ in range(count):
        name = string()
        (rank,) = take("B")
        shape = take("I" * rank)
        (dtype,) = take("B")
        (size,) = take("I")
        yield name, shape, dtype, view[at : at + size]
        at += size


class _GraphBuilder:
    """Nodes and float32 initializers of one graph, named in order."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def weight(self, name: str, transpose: bool = False) -> str:
        value = self.weights[f"encoder/{name}"].astype(np.float32)
        return self.const(name, np.ascontiguousarray(value.T if transpose else value))

    def op(self, op_type: str, *inputs: str, **attributes: Any) -> str:
        self._count += 1
        output = f"{op_type.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attributes))
        return output

    def gelu(self, x: str) -> str:
        """GELU with erf, as Whisper (torch.nn.functional.gelu) computes it."""
        inner = self.op("Erf", self.op("Div", x, self.scalar(np.sqrt(2.0))))
        return self.op("Mul", self.op("Mul", x, self.scalar(0.5)), self.op("Add", inner, self.scalar(1.0)))

    def scalar(self, value: float) -> str:
        self._count += 1
        return self.const(f"scalar_{self._count}", np.asarray(value, np.float32))

    def layer_norm(self, x: str, name: str) -> str:
        return self.op(
            "LayerNormalization", x, self.weight(f"{name}/gamma"), self.weight(f"{name}/beta"),
            axis=-1, epsilon=_LAYER_NORM_EPS,
        )  # fmt: skip

    def linear(self, x: str, name: str) -> str:
        return self.op("Add", self.op("MatMul", x, self.weight(f"{name}/weight", transpose=True)), self.weight(f"{name}/bias"))


def _attention(g: _GraphBuilder, x: str, layer: str, heads: int, width: int) -> str:
    qkv = g.linear(g.layer_norm(x, f"{layer}/self_attention/layer_norm"), f"{layer}/self_attention/linear_0")
    split = g.const(f"{layer}/split", np.asarray([width] * 3, np.int64))
    q, k, v = (f"{layer}/{part}" for part in "qkv")
    g.nodes.append(helper.make_node("Split", [qkv, split], [q, k, v], axis=-1))
    per_head = g.const(f"{layer}/per_head", np.asarray([0, heads, width // heads], np.int64))

    def by_head(t: str, perm: list[int]) -> str:  # [T, width] -> [heads, T, d] (or [heads, d, T])
        return g.op("Transpose", g.op("Reshape", t, per_head), perm=perm)

    scores = g.op("MatMul", by_head(q, [1, 0, 2]), by_head(k, [1, 2, 0]))
    weights = g.op("Softmax", g.op("Mul", scores, g.scalar((width // heads) ** -0.5)), axis=-1)
    mixed = g.op("Transpose", g.op("MatMul", weights, by_head(v, [1, 0, 2])), perm=[1, 0, 2])
    joined = g.op("Reshape", mixed, g.const(f"{layer}/joined", np.asarray([0, width], np.int64)))
    return g.linear(joined, f"{layer}/self_attention/linear_1")


def _feed_forward(g: _GraphBuilder, x: str, layer: str) -> str:
    hidden = g.gelu(g.linear(g.layer_norm(x, f"{layer}/ffn/layer_norm"), f"{layer}/ffn/linear_0"))
    return g.linear(hidden, f"{layer}/ffn/linear_1")


def encoder_graph(weights: dict[str, np.ndarray], layers: int, final_norm: bool = False) -> onnx.ModelProto:
    """``mel [80, frames]`` -> ``states [frames / 2, 512]``: the output of block ``layers``
    (and the encoder's final norm when ``final_norm``, for checking against CTranslate2)."""
    g = _GraphBuilder(weights)
    width = weights["encoder/conv1/weight"].shape[0]
    heads = int(weights["encoder/num_heads"])
    mel = g.op("Unsqueeze", "mel", g.const("batch_axis", np.asarray([0], np.int64)))
    x = g.gelu(g.op("Conv", mel, g.weight("conv1/weight"), g.weight("conv1/bias"), pads=[1, 1]))
    x = g.gelu(g.op("Conv", x, g.weight("conv2/weight"), g.weight("conv2/bias"), pads=[1, 1], strides=[2]))
    x = g.op("Transpose", g.op("Squeeze", x, "batch_axis"), perm=[1, 0])  # [T, width]
    frames = g.op("Slice", g.op("Shape", x), g.const("zero", np.asarray([0], np.int64)), g.const("one", np.asarray([1], np.int64)))
    positions = g.op("Slice", g.weight("position_encodings/encodings"), "zero", frames)
    x = g.op("Add", x, positions)
    for index in range(layers):
        layer = f"layer_{index}"
        x = g.op("Add", x, _attention(g, x, layer, heads, width))
        x = g.op("Add", x, _feed_forward(g, x, layer))
    if final_norm:
        x = g.layer_norm(x, "layer_norm")
    g.nodes.append(helper.make_node("Identity", [x], ["states"]))
    graph = helper.make_graph(
        g.nodes, "whisper_encoder_lower",
        [helper.make_tensor_value_info("mel", TensorProto.FLOAT, [80, "frames"])],
        [helper.make_tensor_value_info("states", TensorProto.FLOAT, ["encoder_frames", width])],
        g.initializers,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)], ir_version=_IR_VERSION)


class _QuantiserChatter(logging.Filter):
    """onnxruntime's quantiser logs on the root logger: a line per tensor (INFO), and advice to
    run a pre-processing pass (WARNING) that a graph built here has no use for."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname


def quantised(graph: onnx.ModelProto) -> onnx.ModelProto:
    """The graph with int8 weights on its matrix products (onnxruntime's dynamic quantisation)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    chatter, root = _QuantiserChatter(), logging.getLogger()
    root.addFilter(chatter)
    try:
        with tempfile.TemporaryDirectory(prefix="orato-onnx-") as folder:
            plain, small = Path(folder) / "plain.onnx", Path(folder) / "int8.onnx"
            plain.write_bytes(graph.SerializeToString())
            quantize_dynamic(plain, small, op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8)
            return onnx.load(small)
    finally:
        root.removeFilter(chatter)


class WhisperLowerLayers:
    """The output of Whisper-base's encoder block ``layers`` (module doc)."""

    def __init__(self, model_dir: Path, layers: int, threads: int = 1) -> None:
        from faster_whisper.feature_extractor import FeatureExtractor

        graph = encoder_graph(read_ct2_variables(model_dir / "model.bin", "encoder/"), layers)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = session_for_graph(quantised(graph), options)
        self._mel = FeatureExtractor(feature_size=N_MELS)

    def states(self, samples: np.ndarray) -> np.ndarray:
        """``[frames, 512]`` float32 states of 16 kHz mono ``samples``, frame ``k`` at ``k`` x
        20 ms: the frames of :meth:`~orato.acoustic.whisper.WhisperFeatures.encode`."""
        parts = [
            self._session.run(["states"], {"mel": np.ascontiguousarray(mel, np.float32)})[0][:real]
            for mel, real in fitted_windows(self._mel, samples)
        ]
        return np.concatenate(parts).astype(np.float32)


def load_middle_layers(cache_dir: Path) -> WhisperLowerLayers:
    """Blocks 1 to MIDDLE_LAYERS of the pinned Whisper-base, built once per process."""
    return models.get("whisper-base-middle-layers", lambda: WhisperLowerLayers(assemble_model(cache_dir), MIDDLE_LAYERS))
