"""Fetching: the extraction process pool, feeds and sitemaps, URL forms, when a source is due, feed
discovery, the crawl lock."""
