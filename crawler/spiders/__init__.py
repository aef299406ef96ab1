"""Scrapy spiders: ``feeds`` (RSS/Atom)."""
