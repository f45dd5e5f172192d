"""hama's phone recogniser, built as an onnxruntime graph from hama's own weight pack.

hama ships its waveform-to-IPA CTC model as a pack of named tensors (``asr_waveform.hama``)
and runs it in its own engine (libhama, written in Zig): one thread and plain loops, about 1.5
CPU s for a 15 s window, the largest single cost of score speech. The same arithmetic in
onnxruntime takes 0.08 CPU s (an AVX2-only AMD EPYC, one thread each). This module reads the
pack (sha256-pinned, from the pinned hama wheel) and builds the network as hama's engine
computes it, step by step:

1. *Log-mel.* The waveform, reflect-padded by 200 samples, through a 400-sample STFT every 160
   samples (the pack's real and imaginary kernels), power, 80 mel bands (the pack's filter
   bank), the log of at least 1e-10, rounded to float16 (the exported graph's precision there).
2. *Stem.* A convolution of 3 frames at stride 2 (80 -> 144 channels, 20 ms frames), then GELU.
3. *Four conformer blocks.* Each: half a feed-forward step (layer norm, 144 -> 576, SiLU, ->
   144), self-attention (4 heads), the convolution module (layer norm, pointwise 144 -> 288,
   GLU, a depthwise convolution of 31 frames with its batch norm folded in, SiLU, pointwise),
   the second half feed-forward step, and a layer norm.
4. *Tokens.* A projection onto hama's 191 tokens and their log-softmax.

The log-probabilities agree with hama's engine to about 1e-3 and name the same best token in
every frame (``tests/test_hama_network.py`` compares them where libhama loads).
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Sequence
from importlib import resources

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper

from orato.onnx_graphs import GraphBuilder, session_for_graph
from orato.text.embeddings import require_digest

PACK = "asr_waveform.hama"
PACK_SHA256 = "a9fcfe73e179ca48e399cd76a90a6b3e1887bf5037ecc52b778d13a149563328"
MAGIC = b"HAMAPK"
N_FFT = 400
HOP = 160
PAD = N_FFT // 2
LOG_FLOOR = 1e-10
HEADS = 4
HALF_STEP = 0.5
LAYER_NORM_EPS = 1e-5
GELU_SQRT2 = 1.4140625  # sqrt(2) as the exported graph holds it (float16)
_DTYPES = {0: np.float32, 1: np.float16}


def read_pack(data: bytes) -> dict[str, np.ndarray]:
    """The float32 tensors of a hama pack: ``HAMAPK``, two version bytes, the tensor count
    (u32), then per tensor its name (u16 length), dtype (0 float32, 1 float16), rank, shape
    (u32 each), and offset and size (u64) into the data, which ends the file."""
    if data[: len(MAGIC)] != MAGIC:
        raise ValueError("not a hama pack")
    (count,) = struct.unpack_from("<I", data, 8)
    at, entries = 12, []
    for _ in range(count):
        (length,) = struct.unpack_from("<H", data, at)
        name = data[at + 2 : at + 2 + length].decode()
        dtype, rank = data[at + 2 + length], data[at + 3 + length]
        at += 4 + length
        shape = struct.unpack_from(f"<{rank}I", data, at)
        offset, size = struct.unpack_from("<QQ", data, at + 4 * rank)
        at += 4 * rank + 16
        entries.append((name, _DTYPES[dtype], shape, offset, size))
    start = len(data) - max(offset + size for *_, offset, size in entries)
    return {
        name: np.frombuffer(data, dtype, int(np.prod(shape)), start + offset).reshape(shape).astype(np.float32)
        for name, dtype, shape, offset, size in entries
    }


def _numbered(tensors: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    """The exporter's anonymous tensors (``onnx::Conv_801``...) in the graph's order."""
    found = [(int(m.group(1)), value) for name, value in tensors.items() if (m := re.fullmatch(rf"onnx::{prefix}_(\d+)", name))]
    return [value for _, value in sorted(found, key=lambda pair: pair[0])]


class _HamaGraph(GraphBuilder):
    def __init__(self, tensors: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.tensors = tensors
        self.batch_axis = self.const("batch_axis", np.asarray([0], np.int64))

    def weight(self, name: str) -> str:
        return self.const(name, self.tensors[f"acoustic_model.model.{name}"])

    def layer_norm(self, x: str, name: str) -> str:
        return self.op("LayerNormalization", x, self.weight(f"{name}.weight"), self.weight(f"{name}.bias"), axis=-1, epsilon=LAYER_NORM_EPS)

    def linear(self, x: str, matrix: np.ndarray, bias: str) -> str:
        """``x [T, in] @ matrix [in, out] + bias``."""
        self._count += 1
        return self.op("Add", self.op("MatMul", x, self.const(f"matrix_{self._count}", matrix)), bias)

    def silu(self, x: str) -> str:
        return self.op("Mul", x, self.op("Sigmoid", x))

    def channels_first(self, x: str) -> str:  # [T, C] -> [1, C, T], for a convolution
        return self.op("Unsqueeze", self.op("Transpose", x, perm=[1, 0]), self.batch_axis)

    def time_first(self, x: str) -> str:  # [1, C, T] -> [T, C]
        return self.op("Transpose", self.op("Squeeze", x, self.batch_axis), perm=[1, 0])


def _log_mel(g: _HamaGraph) -> str:
    """Step 1: ``samples [n]`` -> ``[n // 160 + 1, 80]`` log-mel."""
    wave = g.op("Reshape", "samples", g.const("wave_shape", np.asarray([1, 1, -1], np.int64)))
    padded = g.op("Pad", wave, g.const("wave_pads", np.asarray([0, 0, PAD, 0, 0, PAD], np.int64)), mode="reflect")
    kernels = np.concatenate([g.tensors["stft_real_kernel"], g.tensors["stft_imag_kernel"]])  # [402, 1, 400]
    spectrum = g.op("Conv", padded, g.const("stft", kernels), strides=[HOP])  # [1, 402, frames]
    power = g.op("Transpose", g.op("Squeeze", g.op("Mul", spectrum, spectrum), g.batch_axis), perm=[1, 0])
    bank = np.concatenate([g.tensors["mel_fb"]] * 2)  # real^2 and imaginary^2 summed by one product
    mel = g.op("Max", g.op("MatMul", power, g.const("mel_bank", bank)), g.scalar(LOG_FLOOR))
    return g.op("Cast", g.op("Cast", g.op("Log", mel), to=TensorProto.FLOAT16), to=TensorProto.FLOAT)


def _stem(g: _HamaGraph, log_mel: str, weight: np.ndarray, bias: np.ndarray) -> str:
    """Step 2: ``[frames, 80]`` -> ``[T, 144]`` at 20 ms."""
    conv = g.op("Conv", g.channels_first(log_mel), g.const("stem_w", weight), g.const("stem_b", bias), strides=[2], pads=[1, 1])
    return g.time_first(g.gelu(conv, GELU_SQRT2))


def _feed_forward(g: _HamaGraph, x: str, name: str, matrices: list[np.ndarray]) -> str:
    hidden = g.silu(g.linear(g.layer_norm(x, f"{name}.norm"), matrices[0], g.weight(f"{name}.fc1.bias")))
    step = g.linear(hidden, matrices[1], g.weight(f"{name}.fc2.bias"))
    return g.op("Add", x, g.op("Mul", step, g.scalar(HALF_STEP)))


def _convolution(g: _HamaGraph, x: str, name: str, depthwise: tuple[np.ndarray, np.ndarray]) -> str:
    width = g.tensors[f"acoustic_model.model.{name}.pointwise2.weight"].shape[0]
    first = g.tensors[f"acoustic_model.model.{name}.pointwise1.weight"][:, :, 0].T
    both = g.linear(g.layer_norm(x, f"{name}.norm"), first, g.weight(f"{name}.pointwise1.bias"))
    half = g.const(f"{name}.glu_split", np.asarray([width, width], np.int64))
    value, gate = f"{both}/value", f"{both}/gate"
    g.nodes.append(helper.make_node("Split", [both, half], [value, gate], axis=-1))
    gated = g.op("Mul", value, g.op("Sigmoid", gate))
    kernel, bias = depthwise
    side = kernel.shape[2] // 2
    conv = g.op(
        "Conv", g.channels_first(gated), g.const(f"{name}.depthwise_w", kernel), g.const(f"{name}.depthwise_b", bias),
        group=width, pads=[side, side],
    )  # fmt: skip
    second = g.tensors[f"acoustic_model.model.{name}.pointwise2.weight"][:, :, 0].T
    return g.op("Add", x, g.linear(g.silu(g.time_first(conv)), second, g.weight(f"{name}.pointwise2.bias")))


def _block(g: _HamaGraph, x: str, index: int, matrices: list[np.ndarray], depthwise: tuple[np.ndarray, np.ndarray]) -> str:
    """Step 3, one conformer block; ``matrices``: its feed-forward, attention and feed-forward
    weights in the graph's order."""
    name = f"blocks.{index}"
    width = matrices[3].shape[0]
    x = _feed_forward(g, x, f"{name}.ffn1", matrices[0:2])
    qkv = g.linear(g.layer_norm(x, f"{name}.attn_norm"), matrices[2], g.weight(f"{name}.attn.in_proj_bias"))
    x = g.op("Add", x, g.linear(g.self_attention(qkv, HEADS, width), matrices[3], g.weight(f"{name}.attn.out_proj.bias")))
    x = _convolution(g, x, f"{name}.conv", depthwise)
    x = _feed_forward(g, x, f"{name}.ffn2", matrices[4:6])
    return g.layer_norm(x, f"{name}.norm")


def network_graph(tensors: dict[str, np.ndarray]) -> onnx.ModelProto:
    """``samples [n]`` (16 kHz) -> ``log_probs [(n // 160) // 2 + 1, 191]``: steps 1-4."""
    g = _HamaGraph(tensors)
    convs, matrices = _numbered(tensors, "Conv"), _numbered(tensors, "MatMul")
    x = _stem(g, _log_mel(g), convs[0], convs[1])
    blocks = len(matrices) // 6
    for index in range(blocks):
        depthwise = (convs[2 + 2 * index], convs[3 + 2 * index])
        x = _block(g, x, index, matrices[6 * index : 6 * index + 6], depthwise)
    projection = tensors["acoustic_model.model.proj.weight"][:, :, 0].T
    logits = g.linear(x, projection, g.weight("proj.bias"))
    samples = helper.make_tensor_value_info("samples", TensorProto.FLOAT, ["n"])
    return g.model("hama_asr", [samples], {"log_probs": g.op("LogSoftmax", logits, axis=-1)})


class HamaNetwork:
    """16 kHz samples in, hama's ``[frames, 191]`` token log-probabilities out (20 ms frames);
    thread-safe (one onnxruntime session per process, one thread)."""

    def __init__(self, pack: bytes, tokens: Sequence[str]) -> None:
        """``tokens``: the output's 191 tokens, in order."""
        require_digest(PACK, hashlib.sha256(pack).hexdigest(), PACK_SHA256)
        self.tokens = tuple(tokens)
        graph = network_graph(read_pack(pack))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # as Whisper's layers: a window's buffers go back after it
        self._session = session_for_graph(graph, options)

    @classmethod
    def packaged(cls) -> HamaNetwork:
        """The network in the installed hama wheel (``hama.assets``), with the tokens hama's
        own recogniser gives it: its phone vocabulary, then the word boundary and the blank."""
        from hama.vocab import Vocabulary  # imported here: only this loader needs hama

        pack = resources.files("hama.assets").joinpath(PACK).read_bytes()
        return cls(pack, [*Vocabulary.load().decoder, "<wb>", "<blank>"])

    def log_probs(self, samples: np.ndarray) -> np.ndarray:
        """``[n // 320 + 1, 191]`` float32 log-probabilities of ``n`` 16 kHz samples. A clip of
        no more than PAD samples (12.5 ms), too short to reflect, is heard with silence after
        it, which gives the same single frame."""
        if len(samples) <= PAD:
            samples = np.pad(samples, (0, PAD + 1 - len(samples)))
        (out,) = self._session.run(["log_probs"], {"samples": np.ascontiguousarray(samples, np.float32)})
        return np.asarray(out, np.float32)
