"""Assessment request parameters: versions, flags, dialects and text limits (api-scoring.md 1.1-1.4).

Parameters may come from the query or the body (the body wins), flags accept 1/0/true/false,
empty values count as absent and unknown parameters are ignored, as Speechace clients expect.
The server and the CLI (`orato score-batch`) read parameters through the same rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from orato.dialect_support import Feature, offers
from orato.errors import (
    InvalidParametersError,
    MissingParametersError,
    NotFoundError,
    TextTooLongError,
)

NEWEST_MINOR = 17
MAX_IDENTIFIER_CHARS = 256
_VERSION = re.compile(r"v9(?:\.(0|[1-9][0-9]?))?")
_TRUE, _FALSE = {"1", "true"}, {"0", "false"}


def served_version(segment: str) -> str:
    """The minor version a path segment asks for; unknown segments are 404 ``version``."""
    match = _VERSION.fullmatch(segment)
    if match is None:
        raise NotFoundError("version")
    if match.group(1) is None:
        return f"9.{NEWEST_MINOR}"
    if int(match.group(1)) > NEWEST_MINOR:
        raise NotFoundError("version")
    return f"9.{match.group(1)}"


class Params:
    """Merged query and body values, NFC-normalised."""

    def __init__(self, query: Mapping[str, str], body: Mapping[str, str]) -> None:
        merged = {**query, **body}
        merged.pop("key", None)
        self._values = {
            name: unicodedata.normalize("NFC", value) for name, value in merged.items() if value != ""
        }

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def require(self, names: Iterable[str]) -> None:
        """Missing parameters are reported in the endpoint table's order: the first one wins."""
        for name in names:
            if not (self._values.get(name) or "").strip():
                raise MissingParametersError(name)

    def flag(self, name: str) -> bool:
        value = self._values.get(name)
        if value is None:
            return False
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InvalidParametersError(name, "must be 1, 0, true or false")

    def dialect(self, feature: Feature | None = None) -> str:
        """The dialect asked for (en-us when none), if it is one of the six and offers ``feature`` (1.9)."""
        dialect = (self._values.get("dialect") or "en-us").strip().lower()
        if not offers(dialect, feature):
            raise InvalidParametersError("dialect", "is not supported by this endpoint")
        return dialect

    def check_identifiers(self) -> None:
        for name in ("user_id", "question_info"):
            if len(self._values.get(name, "")) > MAX_IDENTIFIER_CHARS:
                raise InvalidParametersError(name, f"must be at most {MAX_IDENTIFIER_CHARS} characters")

    def check_length(self, name: str, limit: int) -> None:
        if len(self._values.get(name, "")) > limit:
            raise TextTooLongError(name, f"must be at most {limit} characters")
