"""The MPNet form encoder (orato.text.form_encoder): its graph against MPNet's layers written
out in numpy, its position buckets, the split archive it streams and the hashes it checks."""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from orato.onnx_graphs import session_for_graph
from orato.text import form_encoder
from orato.text.embeddings import ModelIntegrityError
from orato.text.form_encoder import (
    FORM_DIMENSIONS,
    HEADS,
    HIDDEN,
    MODEL_MEMBER,
    TOKENIZER_MEMBER,
    Int8Matrix,
    JoinedParts,
    build_graph,
    load_form_encoder,
    position_bias,
    prepared,
    read_archive,
    relative_buckets,
    stream_safetensors,
)


def test_position_buckets_are_exact_near_and_logarithmic_far_on_each_side() -> None:
    buckets = relative_buckets(300)
    at = {offset: int(buckets[150 + offset, 150]) for offset in (0, 1, 7, 8, 15, 16, 31, 32, 127, 128, 149)}
    assert at == {0: 0, 1: 1, 7: 7, 8: 8, 15: 9, 16: 10, 31: 11, 32: 12, 127: 15, 128: 15, 149: 15}
    behind = {offset: int(buckets[150, 150 + offset]) for offset in (1, 7, 8, 149)}  # the key after the query
    assert behind == {1: 17, 7: 23, 8: 24, 149: 31}
    assert relative_buckets(3).shape == (3, 3) and buckets.max() == 31 and buckets.min() == 0


def _weights(rng: np.random.Generator, layers: int) -> dict[str, np.ndarray]:
    """A random MPNet of the real width (its names and shapes as in the released file)."""

    def matrix(rows: int, columns: int) -> np.ndarray:
        return rng.normal(0, 0.02, (rows, columns)).astype(np.float32)

    def vector(size: int, centre: float = 0.0) -> np.ndarray:
        return (centre + rng.normal(0, 0.1, size)).astype(np.float32)

    weights = {
        "embeddings.word_embeddings.weight": matrix(50, HIDDEN) * 20,
        "embeddings.position_embeddings.weight": matrix(514, HIDDEN) * 20,
        "embeddings.LayerNorm.weight": vector(HIDDEN, 1.0), "embeddings.LayerNorm.bias": vector(HIDDEN),
        "encoder.relative_attention_bias.weight": rng.normal(0, 1, (32, HEADS)).astype(np.float32),
    }  # fmt: skip
    shapes = {"attention.attn.q": (HIDDEN, HIDDEN), "attention.attn.k": (HIDDEN, HIDDEN), "attention.attn.v": (HIDDEN, HIDDEN),
              "attention.attn.o": (HIDDEN, HIDDEN), "intermediate.dense": (4 * HIDDEN, HIDDEN),
              "output.dense": (HIDDEN, 4 * HIDDEN)}  # fmt: skip
    for index in range(layers):
        for name, (rows, columns) in shapes.items():
            weights[f"encoder.layer.{index}.{name}.weight"] = matrix(rows, columns)
            weights[f"encoder.layer.{index}.{name}.bias"] = vector(rows)
        for norm in ("attention.LayerNorm", "output.LayerNorm"):
            weights[f"encoder.layer.{index}.{norm}.weight"] = vector(HIDDEN, 1.0)
            weights[f"encoder.layer.{index}.{norm}.bias"] = vector(HIDDEN)
    return weights


def _norm(x: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=-1, keepdims=True)
    return centred / np.sqrt((centred**2).mean(axis=-1, keepdims=True) + 1e-5) * scale + shift


def _int8_product(x: np.ndarray, matrix: Int8Matrix) -> np.ndarray:
    """``x @ matrix`` as ONNX's DynamicQuantizeLinear and MatMulInteger define it: ``x`` to
    uint8 over its range (zero included), integer products, then both scales."""
    low, high = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    scale = np.float32((high - low) / 255)
    zero = np.clip(np.round(-low / scale), 0, 255)
    quantised = np.clip(np.round(x / scale) + zero, 0, 255)
    return np.asarray(((quantised - zero) @ matrix.values.astype(np.float64)) * (scale * matrix.scales))


def _reference_layer(w: dict[str, np.ndarray], p: str, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """One MPNet layer written out in numpy, as its paper and reference code describe it."""
    size = HIDDEN // HEADS

    def dense(name: str, inputs: np.ndarray) -> np.ndarray:
        return _int8_product(inputs, Int8Matrix.of(w[f"{p}{name}.weight"].T)) + w[f"{p}{name}.bias"]

    q, k, v = (dense(f"attention.attn.{n}", x).reshape(-1, HEADS, size).transpose(1, 0, 2) for n in "qkv")
    scores = np.einsum("hqd,hkd->hqk", q, k) / math.sqrt(size) + bias
    attention = np.exp(scores - scores.max(axis=-1, keepdims=True))
    attention /= attention.sum(axis=-1, keepdims=True)
    context = np.einsum("hqk,hkd->qhd", attention, v).reshape(-1, HIDDEN)
    attended = _norm(dense("attention.attn.o", context) + x, w[f"{p}attention.LayerNorm.weight"], w[f"{p}attention.LayerNorm.bias"])
    inner = dense("intermediate.dense", attended)
    inner = 0.5 * inner * (1 + np.vectorize(math.erf)(inner / math.sqrt(2)))
    return _norm(dense("output.dense", inner) + attended, w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"])


def test_the_graph_computes_mpnets_layers_with_int8_weights() -> None:
    rng = np.random.default_rng(3)
    weights = _weights(rng, layers=2)
    ids = rng.integers(0, 50, (1, 11))
    positions = np.arange(2, 13)[None]
    bias = position_bias(weights["encoder.relative_attention_bias.weight"], 11)
    kept = {name: held for name, tensor in weights.items() if (held := prepared(name, tensor)) is not None}
    session = session_for_graph(build_graph(kept, 2), onnxruntime.SessionOptions())
    got = session.run(["layer_1", "layer_2"], {"ids": ids, "positions": positions, "bias": bias})
    table = weights["embeddings.word_embeddings.weight"]
    scales = np.abs(table).max(axis=1, keepdims=True) / 127  # the graph keeps the word table as int8 rows
    words = (np.round(table / scales) * scales)[ids[0]]
    state = _norm(words + weights["embeddings.position_embeddings.weight"][positions[0]],
                  weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])  # fmt: skip
    for index in range(2):
        state = _reference_layer(weights, f"encoder.layer.{index}.", state, bias[0])
        assert np.allclose(got[index][0], state, atol=2e-3)


def _safetensors(tensors: dict[str, np.ndarray]) -> bytes:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    data, at = b"", 0
    for name, tensor in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [at, at + tensor.nbytes]}
        data, at = data + tensor.astype(np.float32).tobytes(), at + tensor.nbytes
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + data


def test_safetensors_stream_as_float32_arrays_in_file_order() -> None:
    first, second = np.arange(6, dtype=np.float32).reshape(2, 3), np.array([0.5, -1.5], dtype=np.float32)
    streamed = list(stream_safetensors(io.BytesIO(_safetensors({"a": first, "b": second}))))
    assert [name for name, _ in streamed] == ["a", "b"]
    assert np.array_equal(streamed[0][1], first) and np.array_equal(streamed[1][1], second)


def test_the_split_archive_is_read_as_one_file_and_each_member_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    tensors = {"encoder.layer.0.attention.attn.q.weight": rng.normal(size=(8, 4)).astype(np.float32),
               "encoder.layer.0.attention.attn.q.bias": rng.normal(size=8).astype(np.float32),
               "encoder.layer.11.output.dense.weight": rng.normal(size=(8, 4)).astype(np.float32),
               "pooler.dense.bias": rng.normal(size=8).astype(np.float32)}  # fmt: skip
    model, tokenizer = _safetensors(tensors) + rng.bytes(20_000), b'{"version": "1.0"}'  # incompressible padding
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(TOKENIZER_MEMBER, tokenizer)
        archive.writestr(MODEL_MEMBER, model)
    whole = buffer.getvalue()
    parts = []
    for number, (begin, end) in enumerate([(0, 1000), (1000, 15_000), (15_000, len(whole))]):
        parts.append(tmp_path / f"archive.zip.{number:03d}")
        parts[-1].write_bytes(whole[begin:end])
    with JoinedParts(parts) as joined:
        joined.seek(999)
        assert joined.read(2) == whole[999:1001]  # across a part's end
        joined.seek(-5, io.SEEK_END)
        assert joined.read() == whole[-5:]
    hashes = {MODEL_MEMBER: hashlib.sha256(model).hexdigest(), TOKENIZER_MEMBER: hashlib.sha256(tokenizer).hexdigest()}
    monkeypatch.setattr(form_encoder, "MEMBERS", hashes)
    weights, read_tokenizer = read_archive(parts)
    assert read_tokenizer == tokenizer
    assert set(weights) == {"encoder.layer.0.attention.attn.q.weight", "encoder.layer.0.attention.attn.q.bias"}
    matrix = weights["encoder.layer.0.attention.attn.q.weight"]
    assert isinstance(matrix, Int8Matrix) and matrix.values.shape == (4, 8)  # inputs x outputs
    assert np.allclose(matrix.values * matrix.scales, tensors["encoder.layer.0.attention.attn.q.weight"].T, atol=0.03)
    for member in (MODEL_MEMBER, TOKENIZER_MEMBER):
        monkeypatch.setattr(form_encoder, "MEMBERS", hashes | {member: "0" * 64})
        with pytest.raises(ModelIntegrityError, match=member.split("/")[1]):
            read_archive(parts)


@pytest.fixture(scope="module")
def encoder() -> form_encoder.FormEncoder:
    return load_form_encoder()


def test_the_form_vector_is_a_unit_vector_of_the_whole_text(encoder: form_encoder.FormEncoder) -> None:
    opening = " ".join(["My school has a small garden where we grow beans and tomatoes."] * 45)  # > 512 tokens
    tidy = encoder.read(opening + " In the end, I think every school should have one.")
    broken = encoder.read(opening + " In end I thinks every schools should has one garden it.")
    assert tidy.shape == (FORM_DIMENSIONS,) and np.isclose(np.linalg.norm(tidy), 1.0, atol=1e-4)
    assert not np.allclose(tidy, broken, atol=1e-4)  # the ending, in the second piece, is read
    assert np.array_equal(encoder.read("Short."), encoder.read("Short."))
    assert np.all(np.isfinite(encoder.read("")))


def test_int8_weights_are_the_values_and_scales_onnxruntimes_quantiser_gives(tmp_path: Path) -> None:
    weight = (np.random.default_rng(9).normal(size=(96, 40)) * np.linspace(0.01, 2, 40)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "one",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 96])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 40])],
        [numpy_helper.from_array(weight, "w")],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    quantize_dynamic(model, tmp_path / "q.onnx", per_channel=True, weight_type=QuantType.QInt8)
    stored = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(tmp_path / "q.onnx")).graph.initializer}
    ours = Int8Matrix.of(weight)
    assert np.array_equal(stored["w_quantized"], ours.values) and np.array_equal(stored["w_scale"], ours.scales)
