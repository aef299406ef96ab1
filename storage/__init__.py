"""newsmon's SQLite layer: schema (sqlite-utils migrations), WAL, FTS5, and every query."""

from storage.store import Store, content_hash, now_iso

__all__ = ["Store", "content_hash", "now_iso"]
