"""The packages of ``orato`` form a one-way graph (issue 13; README "Architecture").

Each import of an ``orato`` module is read from the source (ast, so nothing is imported) and its
edge checked against the layers below, lowest first: a module may import its own package, any
package of a lower layer, and a sibling of its own layer only while that closes no cycle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ORATO = Path(__file__).resolve().parents[1] / "orato"

# Lowest first. Top-level modules count as packages of their own.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"orato", "settings", "errors", "registry", "dialect_support", "params", "upstream", "workers",
               "native_memory", "native_threads", "onnx_graphs", "cpu"}),
    frozenset({"audio", "lang", "text"}),
    frozenset({"acoustic"}),
    frozenset({"scoring", "synthesis", "moderation"}),
    frozenset({"store"}),
    frozenset({"api", "cli", "client", "limits", "retention"}),
)
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def _package(module: str) -> str:
    """``orato.scoring.stress`` -> ``scoring``; ``orato`` -> ``orato``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _imports(path: Path) -> set[str]:
    """Every ``orato`` module the file imports, at module level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "orato" or name.startswith("orato.")}


def package_edges() -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) -> the files that make the edge."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(ORATO.rglob("*.py")):
        module = ".".join(("orato", *path.relative_to(ORATO).with_suffix("").parts))
        source = _package(module.removesuffix(".__init__"))
        for imported in _imports(path):
            target = _package(imported)
            if target != source:
                edges[(source, target)].append(str(path.relative_to(ORATO.parent)))
    return edges


def _cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    graph: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        graph[source].append(target)

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node):], node]
        for following in graph[node]:
            found = visit(following, [*path, node])
            if found:
                return found
        return None

    return next((c for node in list(graph) if (c := visit(node, [])) is not None), None)


def test_every_package_has_a_layer() -> None:
    packages = {_package(".".join(("orato", *p.relative_to(ORATO).with_suffix("").parts))) for p in ORATO.rglob("*.py")}
    assert packages - {"__init__"} <= set(RANK), f"place these in LAYERS: {sorted(packages - set(RANK) - {'__init__'})}"


def test_no_package_imports_a_higher_layer() -> None:
    upward = {f"{a} -> {b}": files for (a, b), files in package_edges().items() if RANK[a] < RANK[b]}
    assert not upward, f"imports against the layers: {upward}"


def test_siblings_of_one_layer_close_no_cycle() -> None:
    level = {(a, b) for a, b in package_edges() if RANK[a] == RANK[b]}
    assert _cycle(level) is None, f"packages importing each other: {' -> '.join(_cycle(level) or [])}"


def test_the_checker_sees_an_upward_import() -> None:
    """The rule is not vacuous: the api layer imports the scoring core, never the reverse."""
    edges = package_edges()
    assert ("api", "scoring") in edges and RANK["api"] > RANK["scoring"]
