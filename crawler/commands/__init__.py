"""The commands people type (``newsmon ...``): running a crawl, import, search, stories, export,
serve, schedule, demo."""
