"""Training caches are read back only for the inputs they were made from (training.cache_keys)."""

from __future__ import annotations

import pickle
from pathlib import Path

from training.cache_keys import cached, digest


def test_the_digest_follows_the_files_bytes_and_the_settings(tmp_path: Path) -> None:
    head = tmp_path / "fold0.npz"
    head.write_bytes(b"weights")
    before = digest([head], "head+hama", 4)
    assert digest([head], "head+hama", 4) == before
    assert digest([head], "head+hama", 1) != before
    head.write_bytes(b"weights retrained")
    assert digest([head], "head+hama", 4) != before


def test_a_missing_file_differs_from_an_empty_one(tmp_path: Path) -> None:
    path = tmp_path / "scorer.npz"
    missing = digest([path])
    path.write_bytes(b"")
    assert digest([path]) != missing


def test_a_cache_is_reused_while_its_key_matches_and_rebuilt_when_it_does_not(tmp_path: Path) -> None:
    path = tmp_path / "readings.pkl"
    builds: list[str] = []

    def build(value: str):
        def make() -> list[str]:
            builds.append(value)
            return [value]

        return make

    assert cached(path, "old-heads", build("first")) == ["first"]
    assert cached(path, "old-heads", build("second")) == ["first"]
    assert cached(path, "new-heads", build("third")) == ["third"]
    assert builds == ["first", "third"]
    assert [p.name for p in tmp_path.iterdir()] == ["readings.pkl"]


def test_a_cache_from_before_keys_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "voices.pkl"
    path.write_bytes(pickle.dumps(["unkeyed readings"]))
    assert cached(path, "key", lambda: ["fresh"]) == ["fresh"]
