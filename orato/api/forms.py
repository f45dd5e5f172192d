"""Reading request bodies within hard limits, before anything is kept in memory.

Uploads are counted while they stream in: a body larger than the biggest allowed audio file
plus its form fields is refused as soon as the excess is seen, so a 2 GB upload costs a few
megabytes of reading, never 2 GB of memory or disk. The key's own (smaller) file limit is
checked later, in the documented order of checks.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from orato.errors import FileTooLargeError, InvalidParametersError

AUDIO_PART = "user_audio_file"


@dataclass
class RequestBody:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadFile] = field(default_factory=dict)
    size: int = 0

    async def close(self) -> None:
        for upload in self.files.values():
            await upload.close()


async def read_body(request: Request, *, max_bytes: int, max_json_bytes: int) -> RequestBody:
    """Fields and files of a multipart, URL-encoded or JSON body; an empty body for anything else."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length")
    limit = max_json_bytes if media_type == "application/json" else max_bytes
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit, media_type)
    counter = _Counter()
    stream = _limited(request.stream(), limit, counter, media_type)
    if media_type == "multipart/form-data":
        body = await _read_multipart(request, stream)
    elif media_type == "application/x-www-form-urlencoded":
        raw = b"".join([chunk async for chunk in stream]).decode("utf-8", errors="replace")
        body = RequestBody(fields=dict(reversed(parse_qsl(raw, keep_blank_values=True))))
    elif media_type == "application/json":
        body = RequestBody(fields=_json_fields(b"".join([c async for c in stream])))
    else:
        body = RequestBody()
    body.size = counter.total
    return body


class _Counter:
    total = 0


async def _limited(
    chunks: AsyncIterator[bytes], limit: int, counter: _Counter, media_type: str
) -> AsyncGenerator[bytes, None]:
    async for chunk in chunks:
        counter.total += len(chunk)
        if counter.total > limit:
            raise _too_large(counter.total, limit, media_type)
        yield chunk


def _too_large(size: int, limit: int, media_type: str) -> Exception:
    if media_type == "application/json":
        return InvalidParametersError("body", f"must be at most {limit} bytes")
    return FileTooLargeError(
        f"The request body is over {limit:,} bytes (at least {size:,} bytes were sent)."
    )


async def _read_multipart(request: Request, stream: AsyncGenerator[bytes, None]) -> RequestBody:
    parser = MultiPartParser(request.headers, stream, max_files=4, max_fields=64)
    try:
        form = await parser.parse()
    except MultiPartException:
        raise InvalidParametersError("body", "is not a valid multipart/form-data body") from None
    body = RequestBody()
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            body.files.setdefault(name, value)
        else:
            body.fields.setdefault(name, value)
    return body


def _json_fields(raw: bytes) -> dict[str, str]:
    """JSON bodies may carry flags as booleans or numbers (api-scoring.md 1.3); all become strings."""
    try:
        document = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        raise InvalidParametersError("body", "is not valid JSON") from None
    if not isinstance(document, dict):
        raise InvalidParametersError("body", "must be a JSON object")
    return {name: _as_text(value) for name, value in document.items() if value is not None}


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    raise InvalidParametersError("body", "values must be strings, numbers, booleans or string lists")
