"""Scrapy settings for newsmon: the one place where crawl behaviour is tuned.

``scrapy crawl feeds`` reads this module through scrapy.cfg; ``newsmon crawl`` starts from it and
overrides only what its options say (database, feeds file, log level). Anything here can be
overridden per run with ``newsmon crawl -s NAME=VALUE``, as with ``scrapy crawl -s``.
"""

import os

BOT_NAME = "newsmon"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- newsmon -----------------------------------------------------------------------------------
NEWSMON_DB = os.environ.get("NEWSMON_DB", "news.db")
NEWSMON_FEEDS = os.environ.get("NEWSMON_FEEDS", "feeds.yaml")
NEWSMON_ONLY: list[str] = []  # poll only these feed names
NEWSMON_ALL = False  # poll every feed, due or not
NEWSMON_MAX_ARTICLES = 0  # 0: no cap on new article pages per run
NEWSMON_LOCK_HELD = False  # set by `newsmon crawl`, which takes the lock before Scrapy starts
NEWSMON_PROGRESS = False  # one-line progress on stderr (newsmon turns it on for terminals)
# Extraction runs in a process pool so both cores work while the reactor keeps fetching.
# 0 = one worker per core; 1 = extract inline in the reactor thread.
NEWSMON_EXTRACT_PROCESSES = 0
# An extraction worker that dies (the kernel's OOM killer, a crash in a C parser) breaks the pool
# and every page in it: the pool is replaced and those pages tried once more, up to this many
# times a run; after that the crawl stops, interrupted (the next run fetches what is left).
NEWSMON_EXTRACT_RESTARTS = 3
# Processing a page raising (not the extractor choking on it: that is survived) is a bug or this
# machine (no memory, no temp space) and fails every page after it: after this many pages in a
# row, the crawl stops, interrupted. A database that refuses a write stops it at once.
NEWSMON_STOP_AFTER_FAILURES = 20
# Polling policy (seconds). A feed with no poll_every is due again at the next run; a failing
# feed backs off exponentially from BACKOFF_BASE up to BACKOFF_MAX.
NEWSMON_BACKOFF_BASE = 300
NEWSMON_BACKOFF_MAX = 86400
# A feed with nothing new for IDLE_AFTER seconds is polled every IDLE_FACTOR x its silence, at
# most every IDLE_MAX seconds (it speeds up again with its next new entry).
NEWSMON_IDLE_AFTER = 7 * 86400
NEWSMON_IDLE_FACTOR = 0.05
NEWSMON_IDLE_MAX = 6 * 3600
# A feed due within this many seconds counts as due now, so that cron's schedule and a feed's
# poll_every of the same length do not skip every other run over a few seconds' jitter.
NEWSMON_DUE_SLACK = 120
# A news sitemap index can list hundreds of daily sitemaps; follow only the newest few per poll.
NEWSMON_SITEMAP_MAX_CHILDREN = 5
# `feeds add` with a site's page that announces no feed tries these paths, in order.
NEWSMON_FEED_PATHS = [
    "feed", "rss", "rss.xml", "feed.xml", "atom.xml", "index.xml", "feeds/posts/default",
    "?feed=rss2",
]  # fmt: skip
# Distributed crawls (newsmon crawl --redis URL / newsmon worker --redis URL): the Redis key
# prefix, how long the writer waits for a silent worker before it gives up on the run, how long
# it waits once every source has answered and the shared queue is empty, and after how many
# quiet seconds a worker leaves (0: never; a worker is then a daemon that waits for sources).
NEWSMON_REDIS_PREFIX = "newsmon"
NEWSMON_REDIS_IDLE_TIMEOUT = 300
NEWSMON_REDIS_SETTLE = 10
NEWSMON_REDIS_SOURCE_BATCH = 8  # sources a distributed worker takes at a time
NEWSMON_WORKER_IDLE_EXIT = 0

# -- fetching ----------------------------------------------------------------------------------
USER_AGENT = "newsmon/0.1 (news-monitoring crawler; polls public feeds, obeys robots.txt)"
ROBOTSTXT_OBEY = True
# Across all hosts. A request waiting out its host's delay counts against it: a crawl of 1,000
# unchanged feeds on 100 outlets takes 9-10 s at 32 and 6.6-7.6 s at 128, but every request
# handed to the downloader is fetched before a stopping crawl can close (Scrapy waits for
# them), so a higher value makes a stop slower and fetches more pages only to drop them.
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # no article or feed is this big; cut before it hits memory
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
COMPRESSION_ENABLED = True
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
# Items processed in parallel per response. An article page yields one item and a feed yields
# requests, never items, so Scrapy's default of 100 only costs 100 idle asyncio tasks a response.
CONCURRENT_ITEMS = 8
TELNETCONSOLE_ENABLED = False
# Scrapy's remote-control HTTP server: a cron job has no one to take control, and it costs an
# open port (``newsmon crawl`` also leaves its class out: see crawler/commands/crawl.py,
# UNUSED_EXTENSIONS)
REMOTE_CONTROL_ENABLED = False
HTTPCACHE_ENABLED = False  # conditional GET against the feeds table does the caching
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "*",
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Scrapy's meta-refresh redirects, read from the page's head instead of its whole decoded body
# (crawler/middlewares.py says why); same order as Scrapy's own
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.HeadMetaRefreshMiddleware": 580,
}

# -- pipeline: extract -> store; scoring, dedup and stories in one batch when the crawl ends ----
ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 100,
    "crawler.pipelines.StorePipeline": 900,
}
EXTENSIONS = {
    "crawler.extensions.CrawlRun": 0,
    # AutoThrottle, but a 304 may lower a host's delay as a 200 does (see FeedAwareThrottle)
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.extensions.FeedAwareThrottle": 0,
}
