"""Orato: a self-hosted speech API for language learning and assessment."""

__version__ = "1.0.0"
