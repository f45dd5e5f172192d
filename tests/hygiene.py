"""The whole suite's log output, checked at the end for every key and text the tests sent.

Tests feed :func:`sent` with what must never be logged (every key issued through the fixtures
is fed automatically) and :func:`server_log` with the log files of the servers they start. The
session fixture in ``conftest.py`` captures the in-process logs and runs :func:`leaks` last.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

SENT: set[str] = set()
SERVER_LOGS: list[Path] = []
# The one line a server prints a key on, by design: `orato serve --dev` shows its key once.
_BANNER = re.compile(r"API key \(shown once\):\n[^\n]*\n")


def sent(*values: str) -> None:
    SENT.update(v for v in values if v)


def server_log(path: Path) -> None:
    SERVER_LOGS.append(path)


# The tests' own HTTP clients log the URLs they call, keys and texts included: not Orato's output.
CLIENT_LOGGERS = ("httpx", "httpcore", "schemathesis")


class Capture(logging.Handler):
    """Every record of every logger but the test clients', formatted, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            self.lines.append(self.format(record))


def leaks(captured: str) -> list[str]:
    """The sent values found in ``captured`` or the server logs, with where they were found."""
    sources = {"in-process logs": captured}
    for path in SERVER_LOGS:
        if path.exists():
            sources[str(path)] = _BANNER.sub("", path.read_text(errors="replace"))
    return [
        f"{value[:12]}... in {where}"
        for value in sorted(SENT)
        for where, text in sources.items()
        if value in text
    ]
