"""Training caches keyed on what they were made from.

The slow steps cache their results (head features, cross-validated scorers, scored swaps,
delivery features). A cache named by its step alone outlives the models it was computed
with: retrain the heads and the next run silently reused features of the old ones. Each
cache now records a digest of its inputs (the model files it read, the settings that shaped
it) and is read back only when the digest still matches; otherwise the step runs again and
overwrites it.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
DIGEST_CHARS = 16
_BLOCK = 1 << 20


def digest(files: Iterable[Path], *settings: object) -> str:
    """A short hex digest of ``files``' names and bytes, in the order given, and of ``settings``
    (by ``repr``). A missing file counts as absent, so creating it changes the digest."""
    hasher = hashlib.sha256()
    for path in files:
        present = path.exists()
        hasher.update(path.name.encode() + (b"\0present\0" if present else b"\0absent\0"))
        if present:
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(_BLOCK), b""):
                    hasher.update(block)
        hasher.update(b"\1")
    for setting in settings:
        hasher.update(repr(setting).encode() + b"\0")
    return hasher.hexdigest()[:DIGEST_CHARS]


def cached(path: Path, key: str, build: Callable[[], T]) -> T:
    """``build()``'s result, pickled at ``path`` with ``key``: read back while the key matches,
    built and stored again when it does not (or when there is no file)."""
    if path.exists():
        with path.open("rb") as handle:
            stored = pickle.load(handle)
        if isinstance(stored, dict) and stored.get("key") == key:
            value: T = stored["value"]
            return value
    value = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    with partial.open("wb") as handle:
        pickle.dump({"key": key, "value": value}, handle)
    partial.replace(path)  # a run killed while writing leaves no half cache behind
    return value
