"""newsmon: a news-monitoring crawler (Scrapy project package and the ``newsmon`` CLI)."""

__version__ = "0.1.0"
