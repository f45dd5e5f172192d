"""Learner texts for the text-analysis tests: real ELLIPSE essays where ../shared/data has them
(read at test time, never committed), otherwise essays written for these tests."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

ELLIPSE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ellipse-train" / "essays.csv"


@dataclass(frozen=True)
class Essay:
    prompt: str
    text: str
    overall: float | None  # the raters' Overall, for real essays


WRITTEN = (
    Essay(
        "Distance learning",
        "Some schools offer distance learning as an option for students to attend classes from home "
        "by way of online or video conferencing. I think distance learning is good for students "
        "because they can study at home when they are sick or when they live far from the school. "
        "However, students who learn at home do not see their friends and teachers every day, and "
        "they can feel alone. In my opinion online classes need a good internet connection and a quiet "
        "room, which not every family have. Teachers also can not see if the students understand the "
        "lesson. For example, my cousin took online classes last year and he said it was hard to ask "
        "questions. In conclusion, distance learning helps some students, but most students learn better "
        "in a classroom with their classmates and a teacher who can help them.",
        None,
    ),
    Essay(
        "Lunch menus",
        "Our school should change the lunch menu because the food is not healthy. Every day we eat pizza, "
        "fries and burgers, and there is not many vegetables or fruit. Students need healthy food to "
        "concentrate in class and to play sports after school. I think the cafeteria could offer salads, "
        "soups and fresh fruit, and it could ask students which meals they like. Some people say healthy "
        "food is more expensive, but the school can buy vegetables from local farms. Also, if the food "
        "taste good, students will eat it and waste less. In conclusion, a healthier lunch menu would make "
        "students stronger and happier, and it would teach them good habits for the rest of their lives.",
        None,
    ),
)


def essays(count: int = 2) -> list[Essay]:
    """``count`` essays on different prompts: the first ELLIPSE essays of distinct prompts, in file order."""
    if not ELLIPSE.exists():
        return list(WRITTEN[:count])
    found: dict[str, Essay] = {}
    with ELLIPSE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            words = len(row["full_text"].split())
            if row["prompt"] not in found and 150 <= words <= 400:
                found[row["prompt"]] = Essay(row["prompt"], row["full_text"], float(row["Overall"]))
            if len(found) == count:
                break
    return list(found.values())
