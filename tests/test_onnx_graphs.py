"""orato.onnx_graphs: an edited graph's session holds its weights once, the int8 table
rewrite changes no number, and a built graph's integer products are exact on any CPU.

The memory case runs in fresh interpreters (what a process holds is its history) and is
measured against onnxruntime's own bytes route, so it fails if the file route stops helping.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from orato.cpu import Cpu
from orato.onnx_graphs import GraphBuilder, gather_before_dequantising, session_for_graph

ROWS, WIDTH = 50, 8


def _int8_table_graph(extra_reader: bool = False, scale_shape: tuple[int, int] = (ROWS, 1)) -> onnx.ModelProto:
    """ids -> Gather(Mul(Cast(int8 table), scales)) -> rows, as the quantised MiniLM stores its
    word embeddings; ``extra_reader`` also reads the dequantised table elsewhere."""
    rng = np.random.default_rng(0)
    table = numpy_helper.from_array(rng.integers(-128, 128, (ROWS, WIDTH), dtype=np.int8), "table")
    scales = numpy_helper.from_array(rng.uniform(0.001, 0.1, scale_shape).astype(np.float32), "scales")
    nodes = [
        helper.make_node("Cast", ["table"], ["table_f"], name="cast", to=TensorProto.FLOAT),
        helper.make_node("Mul", ["table_f", "scales"], ["weights"], name="mul"),
        helper.make_node("Gather", ["weights", "ids"], ["rows"], name="gather", axis=0),
    ]
    outputs = [helper.make_tensor_value_info("rows", TensorProto.FLOAT, [None, WIDTH])]
    if extra_reader:
        nodes.append(helper.make_node("ReduceSum", ["weights"], ["total"], name="sum", keepdims=0))
        outputs.append(helper.make_tensor_value_info("total", TensorProto.FLOAT, []))
    graph = helper.make_graph(
        nodes, "table", [helper.make_tensor_value_info("ids", TensorProto.INT64, [None])], outputs, [table, scales]
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def _run(graph: onnx.ModelProto, ids: np.ndarray) -> list[np.ndarray]:
    return list(session_for_graph(graph, onnxruntime.SessionOptions()).run(None, {"ids": ids}))


def test_rows_are_read_before_dequantising_with_the_same_numbers() -> None:
    ids = np.array([0, 7, 7, 49, 3], np.int64)
    before = _run(_int8_table_graph(), ids)
    graph = _int8_table_graph()
    assert gather_before_dequantising(graph) == 1
    onnx.checker.check_model(graph)
    assert [node.op_type for node in graph.graph.node] == ["Gather", "Gather", "Cast", "Mul"]
    after = _run(graph, ids)
    assert np.array_equal(before[0], after[0])  # bit for bit


def _worst_product(g: GraphBuilder, depth: int) -> list[list[int]]:
    """The largest activations times the largest weights, through ``g``'s weight storage."""
    weight, zero_point = g.int8_weight("weight", np.array([[127, -127, 1]] * depth, np.int8), (3,))
    activations_zero = g.const("activations_zero", np.asarray(0, np.uint8))
    product = g.op("MatMulInteger", "activations", weight, activations_zero, zero_point)
    inputs = [helper.make_tensor_value_info("activations", TensorProto.UINT8, [None, depth])]
    outputs = [helper.make_tensor_value_info(product, TensorProto.INT32, [None, 3])]
    graph = helper.make_graph(g.nodes, "product", inputs, outputs, g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    (got,) = session_for_graph(model, onnxruntime.SessionOptions()).run(None, {"activations": np.full((2, depth), 255, np.uint8)})
    return [[int(v) for v in row] for row in got]


def test_an_int8_weights_product_is_exact_even_where_signed_products_saturate() -> None:
    """AVX2 without VNNI sums uint8 x int8 pairs in 16 bits (255 x 127 x 2 > 32,767), which gave
    32,767-sized errors before such a CPU's weights were stored unsigned; with VNNI, signed
    weights are summed in 32 bits. Whatever this CPU is, the storage chosen for it is exact,
    and so is unsigned storage anywhere."""
    depth = 64
    exact = [[255 * 127 * depth, -255 * 127 * depth, 255 * depth]] * 2
    assert _worst_product(GraphBuilder(), depth) == exact
    assert _worst_product(GraphBuilder(signed_weights=False), depth) == exact


@pytest.mark.parametrize(
    ("cpuinfo", "signed"),
    [
        ("vendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx avx2 fma\n", False),  # AVX2 only: 16-bit sums
        ("vendor_id\t: GenuineIntel\nflags\t\t: fpu avx2 avx512f avx512bw\n", False),  # AVX-512 without VNNI
        ("vendor_id\t: AuthenticAMD\nflags\t\t: avx2 avx512f avx512_vnni\n", True),
        ("vendor_id\t: GenuineIntel\nflags\t\t: avx2 avx_vnni\n", True),
        ("processor\t: 0\nFeatures\t: fp asimd\n", False),  # not x86: nothing measured, so the exact-anywhere storage
        ("", False),  # no /proc/cpuinfo
    ],
    ids=["avx2", "avx512-no-vnni", "avx512-vnni", "avx-vnni", "arm", "unknown"],
)
def test_weights_are_signed_only_where_the_cpu_sums_signed_products_exactly(cpuinfo: str, signed: bool) -> None:
    assert Cpu.parse(cpuinfo).vnni is signed


def test_both_storages_give_the_same_products_bit_for_bit() -> None:
    """The stored integers are the same (v as int8, or v + 128 with zero point 128)."""
    g_signed, g_unsigned = GraphBuilder(signed_weights=True), GraphBuilder(signed_weights=False)
    values = np.arange(-127, 128, dtype=np.int8).reshape(15, 17)
    g_signed.int8_weight("w", values)
    g_unsigned.int8_weight("w", values)
    signed, signed_zero = (numpy_helper.to_array(t) for t in g_signed.initializers)
    unsigned, unsigned_zero = (numpy_helper.to_array(t) for t in g_unsigned.initializers)
    assert signed.dtype == np.int8 and unsigned.dtype == np.uint8
    assert np.array_equal(signed.astype(np.int32) - signed_zero, unsigned.astype(np.int32) - unsigned_zero)


@pytest.mark.parametrize(
    "graph",
    [_int8_table_graph(extra_reader=True), _int8_table_graph(scale_shape=(1, WIDTH))],
    ids=["table-read-elsewhere", "scale-per-column"],
)
def test_tables_the_rewrite_would_change_are_left_alone(graph: onnx.ModelProto) -> None:
    unchanged = graph.SerializeToString()
    assert gather_before_dequantising(graph) == 0
    assert graph.SerializeToString() == unchanged


_CHILD = """
import sys
import numpy as np, onnx, onnxruntime
from onnx import TensorProto, helper, numpy_helper
from orato.onnx_graphs import session_for_graph

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))

weights = numpy_helper.from_array(np.full((64, 1 << 18), 0.5, np.float32), "weights")  # 64 MB
node = helper.make_node("Gather", ["weights", "ids"], ["rows"], axis=0)
graph = helper.make_model(helper.make_graph(
    [node], "g", [helper.make_tensor_value_info("ids", TensorProto.INT64, [None])],
    [helper.make_tensor_value_info("rows", TensorProto.FLOAT, None)], [weights]),
    opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
del weights, node
before = rss_mb()
if sys.argv[1] == "file":
    session = session_for_graph(graph, onnxruntime.SessionOptions())
else:
    session = onnxruntime.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
del graph
assert session.run(None, {"ids": np.array([3], np.int64)})[0].shape == (1, 1 << 18)
print(rss_mb() - before)
"""


def _child_growth_mb(route: str) -> float:
    done = subprocess.run([sys.executable, "-c", _CHILD, route], capture_output=True, text=True, check=True)
    return float(done.stdout)


def test_an_edited_graph_leaves_no_serialized_copy_resident() -> None:
    """onnxruntime keeps the bytes it was given (64 MB here); through a file it keeps none."""
    assert _child_growth_mb("bytes") - _child_growth_mb("file") > 40
