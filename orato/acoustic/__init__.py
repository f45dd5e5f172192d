"""Acoustic evidence: forced alignment and phone posteriors from the offline English models.

Each module wraps one model behind a small typed call and loads it once through the
registry; the scoring package turns their output into features and scores.
"""
