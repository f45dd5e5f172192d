"""Persistence: organisations, API keys and request logs, on SQLite or PostgreSQL."""

from orato.store.db import Database
from orato.store.keys import IssuedKey, KeyService

__all__ = ["Database", "IssuedKey", "KeyService"]
