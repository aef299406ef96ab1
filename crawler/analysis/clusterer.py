"""Run stored articles through copy detection, credit attribution and story assignment.

One path for every way an article arrives (a crawl, ``newsmon import``, ``newsmon recluster``):
articles are taken in event order (publication time, else first seen), each is compared with the
state of the time window before it, and the result is written back to its row. The window state
(MinHash signatures, feature counts, active stories) is rebuilt from the database when a
:class:`Clusterer` starts, so a run reads the window, never the archive.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from crawler.analysis import workshare
from crawler.analysis.copies import CopyIndex, hash_values
from crawler.analysis.features import (
    Precomputed,
    PrecomputeResult,
    PrecomputeRow,
    precompute,
    precompute_args,
)
from crawler.analysis.relevance import display_term, query_terms
from crawler.analysis.stories import (
    FeatureWeights,
    StoryIndex,
    concept_features,
    pack_centroid,
    parse_time,
    unpack_centroid,
    vectorize,
)
from crawler.config import Config
from storage import Store
from storage.store import ClusterState

# rows a worker takes at a time: small enough that what no worker has started when this process
# is free again is left for it, large enough that sending rows and results costs little
PRECOMPUTE_CHUNK = 100


@dataclass
class ClusterResult:
    article_id: int
    duplicate_of: int | None
    story_id: int | None
    new_story: bool
    credited_source: str | None


class Clusterer:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.cfg = config.clustering
        self.weights = FeatureWeights(concept=self.cfg.story_concept_weight)
        self.concepts = topic_concepts(config)
        self.precompute_args = precompute_args(config)  # what precompute takes after the rows
        self.parallel_batch = config.clustering.parallel_batch
        self.fork_batch = config.clustering.fork_batch
        self._pre: dict[int, Precomputed] = {}
        self.copy_window = timedelta(days=self.cfg.copy_window_days)
        self.copies = CopyIndex(store, self.cfg.copy_threshold, self.cfg.num_perm)
        self.roots: dict[int, int] = {}  # article id -> earliest copy (itself if none)
        self.article_story: dict[int, int | None] = {}
        self.stories = StoryIndex(
            window=timedelta(hours=self.cfg.story_window_hours),
            threshold=self.cfg.story_threshold,
            threshold_independent=self.cfg.story_threshold_independent,
            min_independent_features=self.cfg.story_min_shared_independent,
            time_penalty=self.cfg.story_time_penalty,
        )
        self.n_docs = int(store.meta("n_docs", "0") or 0)
        self._df_cache: dict[str, int] = {}  # valid until the next count_documents
        self._copies_evicted_at: datetime | None = None
        self._touched: set[int] = set()  # stories whose centroid changed since the last flush
        self.stories_new = 0
        self.seq = int(store.meta("seq", "0") or 0)  # clustering order, for recluster's replay
        self._states: list[ClusterState] = []  # articles' results not yet written (see flush)
        self._window_loaded = False  # read at first use: a batch's features are made meanwhile

    def _ensure_window(self) -> None:
        if not self._window_loaded:
            self._window_loaded = True
            self._load_window()

    # -- state ---------------------------------------------------------------------------------

    def _load_window(self) -> None:
        latest = parse_time(self.store.latest_event_time())
        if latest is None:
            return
        span = max(self.copy_window, self.stories.window)
        signatures = []
        for article_id, event_time, duplicate_of, story_id, sig in self.store.window_rows(
            (latest - span).isoformat()
        ):
            when = parse_time(event_time) or latest
            self.roots[article_id] = duplicate_of or article_id
            self.article_story[article_id] = story_id
            if sig is not None and when >= latest - self.copy_window:
                signatures.append((article_id, sig, when))
        self.copies.load(signatures)
        self.stories.restore(
            (story_id, unpack_centroid(centroid), parse_time(last_time) or latest, size, norms)
            for story_id, centroid, last_time, size, *norms in self.store.story_states(
                (latest - self.stories.window).isoformat()
            )
        )

    def _write_states(self) -> None:
        self.store.save_cluster_states(self._states)
        self._states.clear()

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def flush(self) -> None:
        """Persist what changed since the last flush (caller commits): the articles' results and
        copy signatures, the stories' summaries and centroids, once per story however many
        articles joined it, and the clustering order."""
        self._write_states()
        self.copies.write()
        self.store.set_meta("seq", str(self.seq))
        self.store.refresh_stories(self._touched)
        states = []
        for story_id in sorted(self._touched):
            story = self.stories.stories.get(story_id)
            if story is not None:
                states.append(
                    (
                        story_id,
                        pack_centroid(story.centroid),
                        story.last_time.isoformat(),
                        story.size,
                        story.norm,
                        story.norm_independent,
                    )
                )
        self.store.save_story_states(states)
        self._touched.clear()

    def _evict_copies(self, now: datetime) -> None:
        """Forget signatures older than the copy window (hourly, not per article)."""
        if self._copies_evicted_at and now - self._copies_evicted_at < timedelta(hours=1):
            return
        self._copies_evicted_at = now
        self.copies.evict(now - self.copy_window)

    # -- one article ---------------------------------------------------------------------------

    def process(
        self, article_id: int, batch: int | None = None, art: dict[str, Any] | None = None
    ) -> ClusterResult:
        """Copy links, credit and story of one stored article. The caller calls :meth:`flush`,
        which writes the results, then commits.

        ``batch`` is the batch whose document frequencies already include this article
        (see :meth:`process_pending`); alone, an article is a batch of its own. ``art`` is its
        :meth:`Store.cluster_input` when the caller has read it already.
        """
        self._ensure_window()
        pre = self._pre.pop(article_id, None)
        if art is None or (pre is None and art["text"] is None):
            art = self.store.cluster_input(article_id, with_text=pre is None)
        when = _utc(parse_time(art["time"]) or datetime.now(timezone.utc))

        if pre is None:
            ((_, counts_dict, sig, credit),) = precompute(
                [(article_id, art["title"], art["summary"], art["text"], art["outlet"])],
                *self.precompute_args,
            )
        else:
            counts_dict, sig, credit = pre
        counts = self._counts(counts_dict, art)
        values = hash_values(sig) if sig is not None else None

        # 1. copies: the earliest article among the near-duplicates' roots
        self._evict_copies(when)
        duplicate_of = None
        if values is not None:
            matches = self.copies.insert(article_id, values, when, when - self.copy_window)
            roots = {self.roots.get(m.article_id, m.article_id) for m in matches}
            roots.discard(article_id)
            if roots:
                duplicate_of = min(roots, key=lambda r: (self._time_of(r), r))
                if self._time_of(duplicate_of) > when.timestamp():
                    # this copy is older than the group's root: it becomes the root
                    self._write_states()  # the re-root reads duplicate_of from the rows
                    self.store.reroot_copies(duplicate_of, article_id)
                    for a, r in list(self.roots.items()):
                        if r == duplicate_of:
                            self.roots[a] = article_id
                    duplicate_of = None
        self.roots[article_id] = duplicate_of or article_id

        # 2. whom it credits: ``credit``, computed with the features above

        # 3. story: a copy follows its original; otherwise the most similar active story
        if batch is None:
            batch = self.store.next_batch()
            self.count_documents([counts])
        df = self._df(counts)
        vec = vectorize(counts, df, self.n_docs, self.weights)
        story_id = None
        new_story = False
        if art["relevant"]:
            if duplicate_of is not None and self.article_story.get(duplicate_of):
                story_id = self.article_story[duplicate_of]
            else:
                story_id = self.stories.assign(vec, when).story_id
            if story_id is None:
                story_id = self.store.create_story(art["title"], when.isoformat())
                new_story = True
                self.stories_new += 1
            self.stories.add(story_id, vec, when)
            self._touched.add(story_id)
        self.article_story[article_id] = story_id
        self._states.append(
            (article_id, when.isoformat(), duplicate_of, story_id, credit, batch, self._next_seq())
        )
        return ClusterResult(article_id, duplicate_of, story_id, new_story, credit)

    def count_documents(self, all_counts: list[Counter[str]]) -> None:
        """Add articles to the document frequencies the TF-IDF weights come from."""
        total: Counter[str] = Counter()
        for counts in all_counts:
            total.update(counts.keys())
        self.store.add_document_frequencies(total)
        self.n_docs += len(all_counts)
        self.store.set_meta("n_docs", str(self.n_docs))
        self._df_cache.clear()

    def _counts(self, counts: dict[str, int], art: dict[str, Any]) -> Counter[str]:
        """An article's story features with its concepts (those of a relevant article only): the
        same counts for the document frequencies of a batch and for its vector."""
        out = Counter(counts)
        if art["relevant"]:
            out.update(concept_features(json.loads(art["matched_terms"] or "[]"), self.concepts))
        return out

    def _df(self, features: Counter[str]) -> dict[str, int]:
        missing = [f for f in features if f not in self._df_cache]
        if missing:
            self._df_cache.update(dict.fromkeys(missing, 0))
            self._df_cache.update(self.store.document_frequencies(missing))
        return self._df_cache

    def _time_of(self, article_id: int) -> float:
        """POSIX event time of a copy group's root: from the copy index while it is in the
        window, else from its row."""
        indexed = self.copies.time_of(article_id)
        if indexed is not None:
            return indexed
        row = self.store.cluster_input(article_id, with_text=False)
        return _utc(parse_time(row["time"]) or datetime.now(timezone.utc)).timestamp()

    def process_batch(
        self,
        ids: list[int],
        commit_every: int = 500,
        known: dict[int, Precomputed] | None = None,
    ) -> None:
        """Cluster articles as one batch: all of them are first counted into the document
        frequencies, so their weights do not depend on the order within the batch. ``known``
        holds :func:`precompute` results already made elsewhere (a crawl's extraction workers)."""
        if not ids:
            return
        known = known or {}
        unknown = [i for i in ids if i not in known]
        # one read of the batch: with the text where the features are still to be made
        inputs = self.store.cluster_inputs(unknown)
        inputs.update(self.store.cluster_inputs([i for i in ids if i in known], with_text=False))
        rows = [(i, inputs[i]["title"], inputs[i]["summary"], inputs[i]["text"],
                 inputs[i]["outlet"]) for i in unknown]  # fmt: skip
        wait = self._start_precompute(rows)
        try:
            self._ensure_window()  # read while the features are made
        finally:
            results = wait()
        results += [(i, *known[i]) for i in ids if i in known]
        self._pre = {r[0]: r[1:] for r in results}
        with self.store.db.atomic():
            batch = self.store.next_batch()
            self.count_documents([self._counts(r[1], inputs[r[0]]) for r in results])
        for start in range(0, len(ids), commit_every):
            with self.store.db.atomic():
                for article_id in ids[start : start + commit_every]:
                    self.process(article_id, batch, inputs[article_id])
                self.flush()

    def _start_precompute(self, rows: list[PrecomputeRow]) -> Callable[[], list[PrecomputeResult]]:
        """Start making the features of ``rows``; the function returned waits for them.

        On more than one core, forked workers make them while this process reads the window,
        which it then helps with (:mod:`crawler.analysis.workshare`). Forking is safe only in a
        process
        running no other thread (an import, a recluster), not in a crawl with its reactor: there
        a batch needs ``parallel_batch`` rows to be worth spawning fresh interpreters.
        """
        args = self.precompute_args
        workers = os.cpu_count() or 1
        fork = self.fork_batch and len(rows) >= self.fork_batch and workshare.can_fork()
        if workers > 1 and fork:
            # this process is busy reading the window meanwhile, then takes chunks too
            return workshare.start(
                lambda chunk: precompute(chunk, *args), rows, PRECOMPUTE_CHUNK, workers - 1
            )
        if workers > 1 and self.parallel_batch and len(rows) >= self.parallel_batch:
            step = PRECOMPUTE_CHUNK
            chunks = [rows[i : i + step] for i in range(0, len(rows), step)]
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                parts = pool.map(precompute, chunks, *[[a] * len(chunks) for a in args])
                results = [r for part in parts for r in part]
            return lambda: results
        return lambda: precompute(rows, *args)

    def process_pending(self, known: dict[int, Precomputed] | None = None) -> int:
        """Every stored article not yet clustered (an import, a crawl that died), oldest first."""
        ids = self.store.pending_cluster_ids()
        size = self.cfg.max_batch
        for start in range(0, len(ids), size):
            self.process_batch(ids[start : start + size], known=known)
        return len(ids)


def topic_concepts(config: Config) -> dict[str, tuple[str, ...]]:
    """Each term of the topics' named groups (as ``matched_terms`` shows it, lower-cased) ->
    the groups it belongs to: the concepts stories compare across languages."""
    out: dict[str, set[str]] = {}
    for topic in config.topics:
        for group, query in topic.groups.items():
            for term in query_terms(query):
                out.setdefault(display_term(term).lower(), set()).add(group)
    return {term: tuple(sorted(groups)) for term, groups in out.items()}


def _utc(when: datetime) -> datetime:
    """A time without a zone is taken as UTC, as feeds and archives mean it."""
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def recluster(store: Store, config: Config) -> tuple[int, int]:
    """Rebuild every copy link and story from the stored articles, in one transaction.

    Articles are replayed in the order and batches they were first clustered in, so with the same
    configuration the result is what the crawls and imports produced; what changed in
    feeds.yaml (topics, thresholds) applies throughout.
    """
    with store.db.atomic():
        order = store.replay_order()
        store.reset_clustering()
        clusterer = Clusterer(store, config)
        group: list[int] = []
        current: object = None
        size = config.clustering.max_batch
        for article_id, batch in order:
            key = batch if batch is not None else "never clustered"
            if group and (key != current or (batch is None and len(group) >= size)):
                clusterer.process_batch(group)
                group = []
            group.append(article_id)
            current = key
        clusterer.process_batch(group)
    return len(order), clusterer.stories_new
