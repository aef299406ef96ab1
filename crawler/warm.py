"""Imported by the crawl's forkserver before it forks any extraction worker.

The import loads the extraction stack (trafilatura, datasketch, the language model) once, in the
forkserver; each worker forked from it starts with all of it in memory, shared copy-on-write,
instead of spending over a second of CPU importing and loading it again.
"""

from crawler.pages import warm_up

warm_up(None)
