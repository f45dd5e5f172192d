"""A readable, colour-coded report of a score text response, for `orato score`.

Colours follow the quality bands of api-scoring.md 10.1: green from 80, orange from 70, red
below; a phone heard as another sound names what was heard.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text


def band_style(score: float) -> str:
    if score >= 80:
        return "green"
    if score >= 70:
        return "dark_orange"
    return "red"


def render(body: dict[str, Any]) -> Group | Text:
    if body.get("status") != "success":
        return Text(f"{body['short_message']}: {body['detail_message']}", style="bold red")
    score = body["text_score"]
    overall = score["speechace_score"]["pronunciation"]
    headline = Text.assemble(
        ("Pronunciation ", "bold"),
        (f"{overall}", f"bold {band_style(overall)}"),
        f"   IELTS {score['ielts_score']['pronunciation']}  PTE {score['pte_score']['pronunciation']}"
        f"  TOEIC {score['toeic_score']['pronunciation']}  CEFR {score['cefr_score']['pronunciation']}",
    )
    table = Table("word", "score", "phones (heard as)", "time (s)", box=None, pad_edge=False)
    for word in score["word_score_list"]:
        table.add_row(
            Text(word["word"], style=band_style(word["quality_score"])),
            Text(str(word["quality_score"]), style=band_style(word["quality_score"])),
            _phones(word["phone_score_list"]),
            _span(word["phone_score_list"]),
        )
    return Group(headline, Text(score["text"], style="italic"), table)


def _phones(phones: list[dict[str, Any]]) -> Text:
    text = Text()
    for phone in phones:
        label = phone["phone"]
        if phone["sound_most_like"] != phone["phone"]:
            label += f"({phone['sound_most_like']})"
        text.append(label + " ", style=band_style(phone["quality_score"]))
    return text


def _span(phones: list[dict[str, Any]]) -> str:
    return f"{phones[0]['extent'][0] / 100:.2f}-{phones[-1]['extent'][1] / 100:.2f}"
