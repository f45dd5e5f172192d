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
attention over the whole window); its weight matrices are int8 (as CTranslate2 runs the rest
of the encoder), quantised here as onnxruntime's ``quantize_dynamic`` would quantise them but
without building the float32 graph first: only the blocks' variables are read from the file
and no float copy of a matrix is kept, so loading costs a few tens of MB, not hundreds.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper

from orato.acoustic.whisper import assemble_model, fitted_windows
from orato.onnx_graphs import GraphBuilder, session_for_graph
from orato.registry import models

# CTranslate2's DataType enum (include/ctranslate2/types.h), in order.
_CT2_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16)
_LAYER_NORM_EPS = 1e-5
# The second CTC head reads block 3's output (of 6): MODEL_CARD.md's layer table.
MIDDLE_LAYERS = 3
N_MELS = 80
_INT8_LIMIT = 127  # symmetric int8: -127..127


def read_ct2_variables(path: Path, wanted: Callable[[str], bool]) -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 ``model.bin`` whose names are ``wanted`` (the format
    ``ctranslate2.specs.ModelSpec._serialize`` writes); the others are skipped unread."""
    out: dict[str, np.ndarray] = {}
    with open(path, "rb") as handle:

        def take(fmt: str) -> tuple[int, ...]:
            return struct.unpack(fmt, handle.read(struct.calcsize(fmt)))

        def string() -> str:
            (length,) = take("H")
            return handle.read(length)[:-1].decode()

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
            if wanted(name):
                out[name] = np.frombuffer(handle.read(size), _CT2_DTYPES[dtype]).reshape(shape)
            else:
                handle.seek(size, io.SEEK_CUR)
    return out


def lower_layers(layers: int) -> Callable[[str], bool]:
    """The encoder variables the first ``layers`` blocks need."""
    kept = ("conv1/", "conv2/", "position_encodings/", "num_heads", *(f"layer_{i}/" for i in range(layers)))
    return lambda name: name.startswith(tuple(f"encoder/{k}" for k in kept))


class _WhisperGraph(GraphBuilder):
    """Whisper's encoder graph, its weight matrices int8 or float32."""

    def __init__(self, weights: dict[str, np.ndarray], int8: bool) -> None:
        super().__init__()
        self.weights = weights
        self.int8 = int8

    def weight(self, name: str) -> str:
        return self.const(name, self.weights[f"encoder/{name}"].astype(np.float32))

    def layer_norm(self, x: str, name: str) -> str:
        return self.op(
            "LayerNormalization", x, self.weight(f"{name}/gamma"), self.weight(f"{name}/beta"),
            axis=-1, epsilon=_LAYER_NORM_EPS,
        )  # fmt: skip

    def linear(self, x: str, name: str) -> str:
        """``x @ W.T + b``; int8: W in int8 (one symmetric scale for the matrix, the quantisation
        onnxruntime's ``quantize_dynamic`` gives it) and ``x`` quantised as it arrives."""
        weight = self.weights[f"encoder/{name}/weight"].astype(np.float32).T
        if not self.int8:
            return self.op("Add", self.op("MatMul", x, self.const(f"{name}/weight", weight)), self.weight(f"{name}/bias"))
        scale = np.float32(np.abs(weight).max() / _INT8_LIMIT)
        quantised = np.clip(np.round(weight / scale), -_INT8_LIMIT, _INT8_LIMIT).astype(np.int8)
        stored, zero_point = self.int8_weight(f"{name}/weight_int8", quantised)
        return self.op(
            "DynamicQuantizeMatMul", x, stored, self.const(f"{name}/scale", np.asarray(scale)), zero_point,
            self.weight(f"{name}/bias"), domain="com.microsoft",
        )  # fmt: skip


def _attention(g: _WhisperGraph, x: str, layer: str, heads: int, width: int) -> str:
    qkv = g.linear(g.layer_norm(x, f"{layer}/self_attention/layer_norm"), f"{layer}/self_attention/linear_0")
    return g.linear(g.self_attention(qkv, heads, width), f"{layer}/self_attention/linear_1")


def _feed_forward(g: _WhisperGraph, x: str, layer: str) -> str:
    hidden = g.gelu(g.linear(g.layer_norm(x, f"{layer}/ffn/layer_norm"), f"{layer}/ffn/linear_0"))
    return g.linear(hidden, f"{layer}/ffn/linear_1")


def encoder_graph(weights: dict[str, np.ndarray], layers: int, final_norm: bool = False, int8: bool = True) -> onnx.ModelProto:
    """``mel [80, frames]`` -> ``states [frames / 2, 512]``: the output of block ``layers``.
    With ``final_norm`` and float32 weights (not ``int8``), all six blocks are the encoder as
    trained, which is how the graph is checked against CTranslate2 (the tests)."""
    g = _WhisperGraph(weights, int8)
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
    mel_input = helper.make_tensor_value_info("mel", TensorProto.FLOAT, [N_MELS, "frames"])
    return g.model("whisper_encoder_lower", [mel_input], {"states": x}, domains=["com.microsoft"])


class WhisperLowerLayers:
    """The output of Whisper-base's encoder block ``layers`` (module doc)."""

    def __init__(self, model_dir: Path, layers: int, threads: int = 1) -> None:
        from faster_whisper.feature_extractor import FeatureExtractor

        graph = encoder_graph(read_ct2_variables(model_dir / "model.bin", lower_layers(layers)), layers)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Without onnxruntime's arena, a 60 s answer's buffers (attention over 15 s windows) go
        # back after the call: +28 MB resident instead of +106, for 0.18 s more CPU on that answer.
        options.enable_cpu_mem_arena = False
        self._session = session_for_graph(graph, options)
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
