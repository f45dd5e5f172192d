"""The interference ratio of score text and score word (api-scoring.md 2.10 and 9.13)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from orato.scoring.attribution import SpeechAttribution

# 9.13: 10 x unattributed voiced seconds per second of target speech, capped at 10, one decimal.
RATIO_SCALE = 10.0
RATIO_CAP = 10.0
# Half up, as every rounded score of the contract: a measured 1.95 is in the "mid" band (2.0).
RATIO_STEP = Decimal("0.1")


def interference_ratio(attribution: SpeechAttribution) -> float:
    """``10 x other / target`` seconds of voiced speech, capped; with no target speech at
    all, any other speech is the whole recording and gets the cap."""
    if attribution.other_seconds <= 0:
        return 0.0
    if attribution.target_seconds <= 0:
        return RATIO_CAP
    ratio = min(RATIO_SCALE * attribution.other_seconds / attribution.target_seconds, RATIO_CAP)
    return float(Decimal(repr(ratio)).quantize(RATIO_STEP, rounding=ROUND_HALF_UP))
