"""Imported by the crawl's forkserver before it forks any extraction worker.

The import loads the extraction stack (trafilatura, the language model) and the clustering inputs'
(datasketch, which imports scipy, and the MinHash permutations of the default num_perm) once, in
the forkserver; each worker forked from it starts with all of it in memory, shared copy-on-write,
instead of spending over a second of CPU importing and loading it again, or half a second each
importing scipy for its first signature.
"""

from crawler.config import ClusteringConfig
from crawler.extraction.pages import warm_up

_defaults = ClusteringConfig()
try:
    warm_up((_defaults.story_lead_words, _defaults.shingle_words, _defaults.num_perm, ()))
except Exception:  # a forkserver whose import fails takes the whole pool down with it
    pass  # each worker loads what is missing; a page that then fails says why, in one line
