"""What every evaluation through ``orato score-batch`` shares: a ``manifest`` command that
writes the lines to score and a ``report`` command that reads the answers back."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def commands(description: str, manifest_help: str, report_help: str) -> tuple[argparse.ArgumentParser, Any]:
    """A parser with ``manifest DATA --out FILE`` and ``report DATA RESULTS``, and its
    subparsers for any further command."""
    parser = argparse.ArgumentParser(description=description)
    subparsers = parser.add_subparsers(dest="command", required=True)
    build = subparsers.add_parser("manifest", help=manifest_help)
    build.add_argument("data", type=Path)
    build.add_argument("--out", type=Path, required=True)
    read = subparsers.add_parser("report", help=report_help)
    read.add_argument("data", type=Path)
    read.add_argument("results", type=Path)
    return parser, subparsers


def manifest_or_report(
    args: argparse.Namespace,
    manifest_lines: Callable[[Path], list[dict[str, Any]]],
    report: Callable[[Path, Path], dict[str, Any]],
) -> None:
    """Carry out ``manifest`` (the lines, one JSON object each) or ``report`` (printed)."""
    if args.command == "manifest":
        args.out.write_text("".join(json.dumps(line) + "\n" for line in manifest_lines(args.data)))
    else:
        print(json.dumps(report(args.data, args.results), indent=2))
