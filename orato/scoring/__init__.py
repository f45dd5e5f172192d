"""The pronunciation engine: acoustic evidence in, trained scorers, assessments out.

``load_engine(settings).assess(audio, expected_words)`` is the whole public surface; the
steps (align -> evidence -> features -> scorers) live in their own modules.
"""

from orato.scoring.engine import PronunciationEngine, load_engine

__all__ = ["PronunciationEngine", "load_engine"]
