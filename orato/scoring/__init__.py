"""The pronunciation engine: acoustic evidence in, trained scorers, assessments out."""
