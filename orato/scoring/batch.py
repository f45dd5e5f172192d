"""Scoring without the server: one recording (`orato score`, `orato score-speech`) or a manifest
(`orato score-batch`).

Each item runs the score text endpoint's own steps (or score speech's, for an item with
``"endpoint": "speech"``) and produces the body the endpoint would answer, success or error,
so a batch result can be replayed through any Speechace client. Results are appended as
they finish, so an interrupted run resumes where it stopped. An item that fails in any way
gets the endpoint's ``error_internal`` body (errors.md) and the run goes on: one bad recording
never ends a batch.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orato.audio import decode_audio
from orato.errors import (
    AudioMissingError,
    FeatureUnavailableError,
    FileTooLargeError,
    InvalidParametersError,
    OratoError,
)
from orato.params import NEWEST_MINOR, Params
from orato.scoring.engines import engine_for
from orato.scoring.envelope import error_body, success_body
from orato.scoring.render import text_json
from orato.scoring.scripted import score_text
from orato.scoring.service import prepare_text
from orato.scoring.speech import PreparedSpeech, prepare_speech, speech_response
from orato.settings import Settings

VERSION = f"9.{NEWEST_MINOR}"
SPEECH_ENDPOINT = "speech"
SUCCESS_STATUS = 200
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchItem:
    id: str
    audio: Path
    fields: dict[str, str]


@dataclass(frozen=True)
class ItemResult:
    """One result line: the body the endpoint would answer and the HTTP status it would have."""

    id: str
    status: int
    response: dict[str, Any]

    def line(self) -> str:
        return json.dumps({"id": self.id, "response": self.response}, ensure_ascii=False) + "\n"


def failed_item(item_id: str, error: OratoError, request_id: str | None = None) -> ItemResult:
    """The endpoint's error body for ``error`` (a fresh request id unless one was issued)."""
    return ItemResult(item_id, error.status, error_body(error, request_id or uuid.uuid4().hex, VERSION))


def score_item(settings: Settings, item: BatchItem) -> ItemResult:
    """The score text (or score speech) response for one item; never raises, as the endpoint never fails to answer."""
    request_id = uuid.uuid4().hex
    try:
        if not item.audio.is_file():
            raise AudioMissingError()
        body = success_body(_score(settings, item.audio, item.fields), request_id, VERSION)
        return ItemResult(item.id, SUCCESS_STATUS, body)
    except OratoError as error:
        return failed_item(item.id, error, request_id)
    except Exception as error:  # noqa: BLE001 - one bad item never ends a batch
        # As the server's last line of defence logs it: the request id and the type, no content.
        logger.error("internal error request_id=%s type=%s", request_id, type(error).__name__)
        return failed_item(item.id, OratoError(), request_id)


def score_recording(settings: Settings, audio: Path, fields: dict[str, str]) -> dict[str, Any]:
    """The score text (or score speech) response body for one recording, under the settings' default plan."""
    return score_item(settings, BatchItem("", audio, fields)).response


def _score(settings: Settings, audio: Path, fields: dict[str, str]) -> dict[str, Any]:
    """Score text, or score speech (api-scoring.md 6) when the item says ``"endpoint": "speech"``."""
    plan = settings.plans[settings.default_plan]
    speech = fields.get("endpoint") == SPEECH_ENDPOINT
    if speech and SPEECH_ENDPOINT not in plan.features:
        raise FeatureUnavailableError(SPEECH_ENDPOINT)
    params = Params({}, fields)
    prepared = prepare_speech(params) if speech else prepare_text(params, plan.features, settings.max_text_chars)
    size = audio.stat().st_size
    if size > plan.max_file_bytes:
        raise FileTooLargeError(f"The file is {size:,} bytes; the plan allows at most {plan.max_file_bytes:,} bytes.")
    decoded = decode_audio(audio, max_seconds=plan.max_audio_seconds)
    engine = engine_for(settings, prepared.dialect)
    if isinstance(prepared, PreparedSpeech):
        return speech_response(prepared, decoded, engine, settings)
    return text_json(score_text(prepared, decoded, engine))


def read_manifest(path: Path) -> Iterator[BatchItem]:
    """Manifest lines: {"id", "audio", "text", "dialect", ...form options}, or {"id", "audio",
    "endpoint": "speech", ...score speech options}; paths relative to the file."""
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


@dataclass
class BatchSummary:
    """What a run did, for the line it ends with: items done, and failures by short_message."""

    done: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    # Failures the server would answer with a 5xx: the run's exit status reports them.
    internal: int = 0

    def add(self, result: ItemResult) -> None:
        if result.status == SUCCESS_STATUS:
            self.done += 1
            return
        self.failed[str(result.response["short_message"])] += 1
        self.internal += result.status >= 500

    def render(self, left: int) -> str:
        codes = ", ".join(f"{code} {count}" for code, count in sorted(self.failed.items()))
        text = f"done {self.done}, failed {sum(self.failed.values())}" + (f" ({codes})" if codes else "")
        return text + (f"; {left} not scored, rerun with --resume" if left else "")
