"""Orato's benchmark harness (see README.md); not part of the installed package."""
