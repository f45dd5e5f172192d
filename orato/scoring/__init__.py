"""The pronunciation engines: acoustic evidence in, trained scorers or calibrations, assessments out.

``engine_for(settings, dialect).assess(audio, expected_words)`` is the whole public surface
(:mod:`orato.scoring.engines` picks English's or French and Spanish's engine by dialect);
``load_engine(settings)`` is the English engine itself. The steps (align -> evidence ->
features -> scorers) live in their own modules.
"""

from orato.scoring.engine import PronunciationEngine, load_engine

__all__ = ["PronunciationEngine", "load_engine"]
