"""Benchmark scenarios: every module in this package is imported by ``bench/run.py``."""
