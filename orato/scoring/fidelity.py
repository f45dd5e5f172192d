"""Did the attempt follow the script? ``fidelity_class`` and its warning (api-scoring.md 9.9, 9.10)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CORRECT = "CORRECT"
INCOMPLETE = "INCOMPLETE"
FREE_SPEAK = "FREE_SPEAK"
# Decision 17: at least 20 % of the words, counted back from the end, unspoken.
INCOMPLETE_TAIL_SHARE = 0.2
# Decision 17: more than 30 % of the speaking time off the script.
FREE_SPEAK_SHARE = 0.3
# Forced alignment places every script word somewhere, even over speech that says something
# else; a word in the "poor" band (10.1: below 60) was not recognisably said, so its time counts
# as off-script. On 60 speechocean762 readings scored against their own text and against
# another utterance's, more than 30 % off-script speech flagged 3 % of the own-text readings at
# thresholds 30 to 60, and 35 % / 80 % / 95 % of the other-text ones at 30 / 50 / 60.
RECOGNISED_QUALITY = 60
RESPONSE_INCOMPLETE = {
    "status": "warning",
    "short_message": "response_incomplete",
    "detail_message": "The response doesn't follow the script completely.",
    "source": "fluency",
}


def unspoken_tail(spoken: Sequence[bool]) -> int:
    """How many script words at the end were not said."""
    count = 0
    for said in reversed(spoken):
        if said:
            break
        count += 1
    return count


def fidelity_class(spoken: Sequence[bool], off_script_share: float) -> str:
    """``spoken``: each script word's verdict; ``off_script_share``: the share of speaking
    time that no script word explains. FREE_SPEAK wins over INCOMPLETE (9.10)."""
    if off_script_share > FREE_SPEAK_SHARE:
        return FREE_SPEAK
    if spoken and unspoken_tail(spoken) >= INCOMPLETE_TAIL_SHARE * len(spoken):
        return INCOMPLETE
    return CORRECT


def score_issues(fidelity: str) -> list[dict[str, Any]]:
    """INCOMPLETE and FREE_SPEAK add a ``response_incomplete`` warning; scores are not
    penalised further: unspoken words already count 0."""
    return [dict(RESPONSE_INCOMPLETE)] if fidelity in (INCOMPLETE, FREE_SPEAK) else []
