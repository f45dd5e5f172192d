"""Scoring without the server: one recording (`orato score`) or a manifest (`orato score-batch`).

Each item runs the score text endpoint's own steps and produces the body the endpoint would
answer, success or error, so a batch result can be replayed through any Speechace client.
Results are appended as they finish, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orato.audio import decode_audio
from orato.errors import AudioMissingError, FileTooLargeError, InvalidParametersError, OratoError
from orato.params import NEWEST_MINOR, Params
from orato.scoring.engine import load_engine
from orato.scoring.envelope import error_body, success_body
from orato.scoring.service import prepare_text, score_text
from orato.settings import Settings

VERSION = f"9.{NEWEST_MINOR}"


@dataclass(frozen=True)
class BatchItem:
    id: str
    audio: Path
    fields: dict[str, str]


def score_recording(settings: Settings, audio: Path, fields: dict[str, str]) -> dict[str, Any]:
    """The score text response body for one recording, under the settings' default plan."""
    request_id = uuid.uuid4().hex
    try:
        return success_body(_score(settings, audio, fields), request_id, VERSION)
    except OratoError as error:
        return error_body(error, request_id, VERSION)


def _score(settings: Settings, audio: Path, fields: dict[str, str]) -> dict[str, Any]:
    plan = settings.plans[settings.default_plan]
    prepared = prepare_text(Params({}, fields), plan.features, settings.max_text_chars)
    size = audio.stat().st_size
    if size > plan.max_file_bytes:
        raise FileTooLargeError(f"The file is {size:,} bytes; the plan allows at most {plan.max_file_bytes:,} bytes.")
    decoded = decode_audio(audio, max_seconds=plan.max_audio_seconds)
    return score_text(prepared, decoded, load_engine(settings))


def read_manifest(path: Path) -> Iterator[BatchItem]:
    """Manifest lines: {"id", "audio", "text", "dialect", ...form options}; paths relative to the file."""
    with path.open(encoding="utf-8") as lines:  # line by line: a manifest may be larger than memory
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield _item(path, number, line)


def _item(manifest: Path, number: int, line: str) -> BatchItem:
    try:
        entry = json.loads(line)
        item_id, audio = str(entry.pop("id")), Path(entry.pop("audio"))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidParametersError("manifest", f"line {number} is not an object with id and audio") from None
    fields = {name: _field(value) for name, value in entry.items() if value is not None}
    return BatchItem(item_id, audio if audio.is_absolute() else manifest.parent / audio, fields)


def _field(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def finished_ids(results: Path) -> set[str]:
    """Ids already written, for --resume; a half-written last line (a crash) is dropped."""
    if not results.exists():
        return set()
    done: set[str] = set()
    lines = results.read_text(encoding="utf-8").splitlines(keepends=True)
    with results.open("w", encoding="utf-8") as rewritten:
        for line in lines:
            try:
                done.add(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError):
                continue
            rewritten.write(line if line.endswith("\n") else line + "\n")
    return done


def run_batch(settings: Settings, items: Iterable[BatchItem], workers: int) -> Iterator[dict[str, Any]]:
    """``{"id", "response"}`` per item, as each finishes; ``workers`` processes in parallel."""
    if workers <= 1:
        for item in items:
            yield score_item(settings, item)
        return
    with ProcessPoolExecutor(workers, initializer=load_engine, initargs=(settings,)) as pool:
        futures = [pool.submit(score_item, settings, item) for item in items]
        for future in as_completed(futures):
            yield future.result()


def score_item(settings: Settings, item: BatchItem) -> dict[str, Any]:
    """One manifest item's result line; the one runner of the local pool and the Ray actors."""
    if not item.audio.is_file():
        return {"id": item.id, "response": error_body(AudioMissingError(), uuid.uuid4().hex, VERSION)}
    return {"id": item.id, "response": score_recording(settings, item.audio, item.fields)}
