"""The order-independent part of clustering, one article at a time: story features, MinHash
signature and credited source.

Kept apart from :mod:`crawler.analysis.clusterer` (which assigns in order, against the database) so
the
crawl's extraction workers and the bulk pool can import it without Scrapy or the storage layer.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from crawler.analysis.copies import signature, to_bytes
from crawler.analysis.credit import Gazetteer, build_gazetteer, credited_source
from crawler.analysis.stories import FeatureWeights, raw_features

if TYPE_CHECKING:
    from crawler.config import Config


@lru_cache(maxsize=4)
def gazetteer(outlets: tuple[str, ...]) -> Gazetteer:
    return build_gazetteer(outlets)


# (id, title, summary, text, outlet) in; (id, feature counts, MinHash signature, credit) out
PrecomputeRow = tuple[int, str | None, str | None, str | None, str | None]
PrecomputeResult = tuple[int, dict[str, int], bytes | None, str | None]


def precompute(
    rows: list[PrecomputeRow],
    lead_words: int,
    shingle_words: int,
    num_perm: int,
    outlets: tuple[str, ...],
) -> list[PrecomputeResult]:
    """The per-article, order-independent part of clustering: features, MinHash signature and
    credited source of (id, title, summary, text, outlet) rows. Module-level so a process pool
    can run it on large batches while the main process assigns stories in order."""
    weights = FeatureWeights()
    out = []
    for article_id, title, summary, text, outlet in rows:
        body = text or summary or ""
        lead = " ".join(body.split()[:lead_words]) if lead_words else body
        mh = signature(body, shingle_words, num_perm)
        credit = credited_source(f"{title or ''}. {body}", outlet, gazetteer(outlets))
        counts = raw_features(title, lead, weights)
        out.append((article_id, dict(counts), to_bytes(mh) if mh is not None else None, credit))
    return out


def precompute_args(config: Config) -> tuple[int, int, int, tuple[str, ...]]:
    """The arguments :func:`precompute` takes after the rows, from the configuration."""
    cfg = config.clustering
    outlets = tuple(sorted({f.outlet for _, f in config.sources()}))
    return cfg.story_lead_words, cfg.shingle_words, cfg.num_perm, outlets


Precomputed = tuple[dict[str, int], bytes | None, str | None]
