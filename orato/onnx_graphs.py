"""onnxruntime sessions for graphs Orato edits before running them, without resident copies.

Two models are edited on load (Piper's voice gains its alignment output, MiniLM's word table is
read before it is dequantised) and two are built here from their weights (Whisper-base's lower
encoder layers, MPNet's layers for the form vector, with :class:`GraphBuilder`). Two facts of
onnxruntime made each cost more memory than its weights:

* *The serialized model.* Given bytes, onnxruntime's Python session keeps them for its whole
  life (``_model_bytes``, for a GPU provider fallback a CPU server never takes; its source calls
  this "bad as we're holding the memory indefinitely"): 62 MB for Piper, 23 MB for MiniLM. A
  graph is therefore handed over as a file, read once and deleted (:func:`session_for_graph`).
* *Folded weights.* A table stored as int8 with a float scale per row is dequantised by
  constant folding into a float32 copy four times its size, even where only a few rows are read
  per request. :func:`gather_before_dequantising` reads the rows first and dequantises only
  those: the same numbers, bit for bit (a row's values are its int8 values times its own scale
  either way), and 35 MB less for MiniLM's word embeddings.

The built graphs' int8 weight matrices are stored as int8 where the CPU has VNNI and as uint8
elsewhere (:meth:`GraphBuilder.int8_weight`): the same integers, multiplied exactly on every CPU
by the fastest exact kernel it has.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
from onnx import helper, numpy_helper

from orato.cpu import this_cpu

OPSET = 17
IR_VERSION = 8  # onnxruntime reads IR versions up to its own; 8 goes with opset 17
UNSIGNED_ZERO = 128  # an int8 weight v is stored as the uint8 v + 128 with this zero point


def session_for_graph(graph: onnx.ModelProto, options: onnxruntime.SessionOptions) -> onnxruntime.InferenceSession:
    """A CPU session of ``graph`` that keeps no serialized copy of it (module doc)."""
    with tempfile.TemporaryDirectory(prefix="orato-onnx-") as folder:
        path = Path(folder) / "model.onnx"
        path.write_bytes(graph.SerializeToString())
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class GraphBuilder:
    """Nodes and initializers of an ONNX graph built op by op, each op's output named by its
    type and place; the models Orato builds from their weights add their own layers on it."""

    def __init__(self, signed_weights: bool | None = None) -> None:
        """``signed_weights``: how :meth:`int8_weight` stores a matrix; None: as this CPU
        multiplies it exactly and fastest."""
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0
        self.signed_weights = this_cpu().vnni if signed_weights is None else signed_weights

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def int8_weight(self, name: str, values: np.ndarray, zero_point_shape: tuple[int, ...] = ()) -> tuple[str, str]:
        """An int8 weight matrix for an integer product, and its zero point: as int8 (zero point
        0) where the CPU has VNNI, else as uint8 (v + 128, zero point 128). Both are the same
        integers and give the same products, bit for bit; what differs is each CPU's kernels.

        * Without VNNI, onnxruntime multiplies uint8 activations by int8 weights with AVX2's
          pairwise 16-bit sums, which saturate (onnxruntime PR 12088): on an AVX2-only AMD EPYC,
          1.7 % of a 768 x 3072 product's outputs were wrong, by up to 14,304 of int32. uint8 by
          uint8 is widened before it is summed: exact, and as fast there (6.3 against 6.4 ms for
          300 x 512 x 2048).
        * With VNNI, uint8 by int8 is exact (summed in 32 bits) and has the VNNI and AMX kernels,
          which uint8 by uint8 does not: on an Intel Xeon with AMX, a 300 x 768 x 3072 product
          took 0.85 ms signed and 8.0 ms unsigned, and a 300-word essay's scoring 0.24 s against
          0.43 s.
        """
        if self.signed_weights:
            return self.const(name, values.astype(np.int8)), self.const(f"{name}.zero_point", np.zeros(zero_point_shape, np.int8))
        unsigned = (values.astype(np.int16) + UNSIGNED_ZERO).astype(np.uint8)
        return self.const(name, unsigned), self.const(f"{name}.zero_point", np.full(zero_point_shape, UNSIGNED_ZERO, np.uint8))

    def op(self, op_type: str, *inputs: str, **attributes: Any) -> str:
        self._count += 1
        output = f"{op_type.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attributes))
        return output

    def scalar(self, value: float) -> str:
        self._count += 1
        return self.const(f"scalar_{self._count}", np.asarray(value, np.float32))

    def gelu(self, x: str, root_two: float = math.sqrt(2.0)) -> str:
        """GELU with erf, as torch computes it for Whisper and MPNet (``root_two``: the graph's
        own value of sqrt(2) where it was exported in lower precision)."""
        inner = self.op("Erf", self.op("Div", x, self.scalar(root_two)))
        return self.op("Mul", self.op("Mul", x, self.scalar(0.5)), self.op("Add", inner, self.scalar(1.0)))

    def self_attention(self, qkv: str, heads: int, width: int) -> str:
        """Scaled dot-product attention over ``heads`` heads: ``qkv [T, 3 x width]`` holds each
        frame's query, key and value side by side (one projection); ``[T, width]`` out."""
        q, k, v = (f"{qkv}/{part}" for part in "qkv")
        split = self.const(f"{qkv}/split", np.asarray([width] * 3, np.int64))
        self.nodes.append(helper.make_node("Split", [qkv, split], [q, k, v], axis=-1))
        per_head = self.const(f"{qkv}/per_head", np.asarray([0, heads, width // heads], np.int64))

        def by_head(t: str, perm: list[int]) -> str:  # [T, width] -> [heads, T, d] (or [heads, d, T])
            return self.op("Transpose", self.op("Reshape", t, per_head), perm=perm)

        scores = self.op("MatMul", by_head(q, [1, 0, 2]), by_head(k, [1, 2, 0]))
        weights = self.op("Softmax", self.op("Mul", scores, self.scalar((width // heads) ** -0.5)), axis=-1)
        mixed = self.op("Transpose", self.op("MatMul", weights, by_head(v, [1, 0, 2])), perm=[1, 0, 2])
        return self.op("Reshape", mixed, self.const(f"{qkv}/joined", np.asarray([0, width], np.int64)))

    def model(
        self, name: str, inputs: Sequence[onnx.ValueInfoProto], outputs: dict[str, str], domains: Sequence[str] = ()
    ) -> onnx.ModelProto:
        """The graph, its ``outputs`` (name -> the value it returns) and ``inputs``, as a model
        of opset ``OPSET`` (and version 1 of each of the ``domains``)."""
        for output, value in outputs.items():
            self.nodes.append(helper.make_node("Identity", [value], [output]))
        graph = helper.make_graph(
            self.nodes, name, list(inputs),
            [helper.make_tensor_value_info(output, onnx.TensorProto.FLOAT, None) for output in outputs],
            self.initializers,
        )  # fmt: skip
        opsets = [helper.make_opsetid("", OPSET), *(helper.make_opsetid(domain, 1) for domain in domains)]
        return helper.make_model(graph, opset_imports=opsets, ir_version=IR_VERSION)


def gather_before_dequantising(graph: onnx.ModelProto) -> int:
    """Rewrites each ``Gather(Mul(Cast(table), row_scales), ids)`` of an initializer ``table``
    as ``Mul(Cast(Gather(table, ids)), Gather(row_scales, ids))``, in place; returns how many.

    Only tables read by that one Gather are rewritten, and only with a scale per row (shape
    ``[rows, 1]``), so the rewrite cannot change a value.
    """
    nodes = graph.graph.node
    producer = {output: node for node in nodes for output in node.output}
    readers: dict[str, int] = {}
    for node in nodes:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    shapes = {tensor.name: list(tensor.dims) for tensor in graph.graph.initializer}
    rewritten = 0
    for gather in [node for node in nodes if node.op_type == "Gather"]:
        mul = producer.get(gather.input[0])
        if mul is None or mul.op_type != "Mul" or readers.get(mul.output[0]) != 1:
            continue
        cast, (scales_name,) = producer.get(mul.input[0]), mul.input[1:]
        if cast is None or cast.op_type != "Cast" or readers.get(cast.output[0]) != 1:
            continue
        table = cast.input[0]
        if table not in shapes or shapes.get(scales_name) != [shapes[table][0], 1] or _axis(gather) != 0:
            continue
        _replace(graph, gather, cast, mul, table, scales_name)
        rewritten += 1
    return rewritten


def _axis(gather: onnx.NodeProto) -> int:
    return next((attribute.i for attribute in gather.attribute if attribute.name == "axis"), 0)


def _replace(
    graph: onnx.ModelProto, gather: onnx.NodeProto, cast: onnx.NodeProto, mul: onnx.NodeProto, table: str, scales: str
) -> None:
    ids, out = gather.input[1], gather.output[0]
    prefix = gather.name or out
    to = next(attribute.i for attribute in cast.attribute if attribute.name == "to")
    rows, row_scales, row_floats = f"{prefix}/rows_q", f"{prefix}/row_scales", f"{prefix}/rows_f"
    replacement = [
        onnx.helper.make_node("Gather", [table, ids], [rows], name=f"{prefix}/gather_q", axis=0),
        onnx.helper.make_node("Gather", [scales, ids], [row_scales], name=f"{prefix}/gather_scale", axis=0),
        onnx.helper.make_node("Cast", [rows], [row_floats], name=f"{prefix}/cast", to=to),
        onnx.helper.make_node("Mul", [row_floats, row_scales], [out], name=f"{prefix}/dequantise"),
    ]
    nodes = graph.graph.node
    order = list(nodes)
    # Where the Gather was, less the two removed nodes before it (ids may be computed just before).
    at = order.index(gather) - sum(order.index(node) < order.index(gather) for node in (cast, mul))
    for node in (gather, cast, mul):
        nodes.remove(node)
    for offset, node in enumerate(replacement):
        nodes.insert(at + offset, node)
