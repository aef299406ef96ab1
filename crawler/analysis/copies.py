"""Near-duplicate copies: the same wire story on many sites, lightly edited.

MinHash signatures over word shingles, candidates from LSH bands (datasketch's banding, indexed
in memory for the copy window), confirmed by the estimated Jaccard similarity. Each outlet's copy
stays its own article; ``duplicate_of`` points at the earliest copy, so coverage counts survive
and the copy relation is explicit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from importlib.metadata import version
from typing import TYPE_CHECKING

import numpy as np

from storage import Store

if TYPE_CHECKING:
    # imported where used: datasketch imports scipy (a third of a second), and a crawl's main
    # process, which only indexes signatures its workers made, need never import it
    from datasketch import MinHash

_WORD = re.compile(r"\w+", re.UNICODE)
# Signatures are stored; the permutation scheme and its dtype must not change under them.
SCHEME = "affine32"
DTYPE = np.uint32
MIN_SHINGLES = 8  # below this a text is too short to call anything a copy of it


def shingles(text: str, k: int) -> set[bytes]:
    """Word k-grams of a text, case-folded: what two copies of one story share."""
    words = _WORD.findall(text.casefold())
    if len(words) < k:
        return set()
    return {" ".join(words[i : i + k]).encode("utf-8") for i in range(len(words) - k + 1)}


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> object:
    """Drawing the permutations is the slow part of making a MinHash; they depend only on
    num_perm and the seed, so every signature shares one set."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, scheme=SCHEME).permutations


def signature(text: str, k: int, num_perm: int) -> MinHash | None:
    from datasketch import MinHash

    grams = shingles(text, k)
    if len(grams) < MIN_SHINGLES:
        return None
    mh = MinHash(num_perm=num_perm, scheme=SCHEME, permutations=_permutations(num_perm))
    mh.update_batch(list(grams))
    return mh


def to_bytes(mh: MinHash) -> bytes:
    return np.asarray(mh.hashvalues, dtype=DTYPE).tobytes()


def hash_values(signature: MinHash | np.ndarray | bytes) -> np.ndarray:
    """A signature's hash values, all a :class:`CopyIndex` needs: from a MinHash, an array, or
    stored bytes (read in place, without making a MinHash and its permutations)."""
    if isinstance(signature, bytes):
        return np.frombuffer(signature, dtype=DTYPE)
    return np.asarray(getattr(signature, "hashvalues", signature), dtype=DTYPE)


def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's (bands, rows) for a Jaccard threshold. It integrates with scipy, whose
    import costs the better part of a second: see :func:`lsh_params`."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _params_key(threshold: float, num_perm: int) -> str:
    # keyed by datasketch's version too: another release may choose other ones
    return f"lsh_params:{version('datasketch')}:{threshold!r}:{num_perm}"


# (bands, rows) worked out by another process that has datasketch loaded anyway (a crawl's
# extraction worker), so that this one need not import it; see remember_band_params
_worked_out: dict[str, tuple[int, int]] = {}


def remember_band_params(threshold: float, num_perm: int, params: tuple[int, int]) -> None:
    _worked_out[_params_key(threshold, num_perm)] = params


def lsh_params(store: Store, threshold: float, num_perm: int) -> tuple[int, int]:
    """:func:`band_params`, worked out once per database: the first run stores them (or takes
    them from :func:`remember_band_params`) and later runs read them, never importing scipy."""
    key = _params_key(threshold, num_perm)
    stored = store.meta(key)
    if stored:
        bands, rows = map(int, stored.split())
        return bands, rows
    bands, rows = _worked_out.get(key) or band_params(threshold, num_perm)
    with store.db.atomic():
        store.set_meta(key, f"{bands} {rows}")
    return bands, rows


@dataclass
class CopyMatch:
    article_id: int
    jaccard: float


class CopyIndex:
    """The signatures of the copy window, searchable for near-duplicates of a new article.

    An in-memory LSH index (datasketch's banding for the threshold: ``bands`` bands of ``rows``
    values). The window a run resumes is loaded from the stored signatures at once with numpy,
    as a sorted array of band keys searched by bisection; articles added during the run go to a
    dict of buckets. Band keys never leave the process, so their hash needs no stability. A
    candidate is any article sharing a band key, confirmed by the estimated Jaccard similarity of
    the signatures. New signatures are stored by :meth:`write`, in one statement per flush.
    """

    def __init__(self, store: Store, threshold: float, num_perm: int) -> None:
        self.store = store
        self.threshold = threshold
        self.num_perm = num_perm
        self._signatures: dict[int, np.ndarray] = {}
        self._times: dict[int, float] = {}  # POSIX time of each indexed article
        self._loaded_keys = np.zeros(0, dtype=np.uint64)  # sorted band keys of the loaded window
        self._loaded_ids = np.zeros(0, dtype=np.int64)  # their articles
        self._buckets: dict[int, list[int]] = {}  # band key -> articles added since
        self._unwritten: list[tuple[int, bytes]] = []

    def __len__(self) -> int:
        return len(self._signatures)

    # The banding is worked out when first needed, not when the index is made: a crawl makes
    # its index at the start and first needs it at the end, by when an extraction worker may
    # have worked the parameters out (see lsh_params).

    @cached_property
    def bands(self) -> int:
        return self._banding[0]

    @cached_property
    def rows(self) -> int:
        return self._banding[1]

    @cached_property
    def _banding(self) -> tuple[int, int]:
        return lsh_params(self.store, self.threshold, self.num_perm)

    @cached_property
    def _multipliers(self) -> np.ndarray:
        """One odd 64-bit multiplier per band value: a band's key is their dot product mod 2**64."""
        rng = np.random.default_rng(0x6E6577736D6F6E)
        return rng.integers(1, 2**63, (self.bands, self.rows), dtype=np.uint64) * 2 + 1

    def _band_keys(self, values: np.ndarray) -> np.ndarray:
        """Band keys, shape (n, bands), of signatures given as rows of a (n, num_perm) array."""
        bands = values[:, : self.bands * self.rows].astype(np.uint64)
        bands = bands.reshape(len(values), self.bands, self.rows)
        return (bands * self._multipliers).sum(axis=2)  # uint64 arithmetic wraps: mod 2**64

    def load(self, rows: list[tuple[int, bytes, datetime]]) -> None:
        """Index stored (article_id, signature, event time) rows: the window a run resumes."""
        size = self.num_perm * DTYPE().itemsize
        rows = [r for r in rows if len(r[1]) == size]  # others predate a change of num_perm
        if not rows:
            return
        values = np.frombuffer(b"".join(r[1] for r in rows), dtype=DTYPE)
        values = values.reshape(len(rows), self.num_perm)
        ids = [r[0] for r in rows]
        self._signatures.update(zip(ids, values, strict=True))
        self._times.update((r[0], r[2].timestamp()) for r in rows)
        keys = np.concatenate([self._loaded_keys, self._band_keys(values).ravel()])
        owners = np.concatenate([self._loaded_ids, np.repeat(np.array(ids), self.bands)])
        order = np.argsort(keys, kind="stable")
        self._loaded_keys, self._loaded_ids = keys[order], owners[order]

    def time_of(self, article_id: int) -> float | None:
        """POSIX event time of an indexed article; None once it left the window (or never had
        a signature)."""
        return self._times.get(article_id)

    def write(self) -> None:
        """Store the signatures added since the last write (caller commits)."""
        self.store.save_signatures(self._unwritten)
        self._unwritten.clear()

    def evict(self, before: datetime) -> None:
        """Forget the articles older than ``before``: the window moved past them. (The loaded
        keys of evicted articles stay until the run ends; lookups skip them.)"""
        cutoff = before.timestamp()
        old = [a for a, t in self._times.items() if t < cutoff]
        if not old:
            return
        for article_id in old:
            del self._times[article_id]
        values = np.stack([self._signatures.pop(a) for a in old])
        for article_id, keys in zip(old, self._band_keys(values).tolist(), strict=True):
            for key in keys:
                bucket = self._buckets.get(key)
                if bucket is not None and article_id in bucket:
                    bucket.remove(article_id)
                    if not bucket:
                        del self._buckets[key]

    def _candidates(self, keys: np.ndarray, start: float) -> set[int]:
        found = {a for key in keys.tolist() for a in self._buckets.get(key, ())}
        if len(self._loaded_keys):
            left = np.searchsorted(self._loaded_keys, keys, "left")
            right = np.searchsorted(self._loaded_keys, keys, "right")
            hit = right > left
            for lo, hi in zip(left[hit].tolist(), right[hit].tolist(), strict=True):
                found.update(self._loaded_ids[lo:hi].tolist())
        times = self._times
        return {a for a in found if times.get(a, -math.inf) >= start}

    def matches(self, mh: MinHash | np.ndarray | bytes, since: datetime) -> list[CopyMatch]:
        """Indexed articles from ``since`` on whose estimated Jaccard with ``mh`` reaches the
        threshold, best first."""
        values = hash_values(mh)
        return self._matches(values, self._band_keys(values[None, :])[0], since)

    def insert(
        self, article_id: int, mh: MinHash | np.ndarray | bytes, when: datetime, since: datetime
    ) -> list[CopyMatch]:
        """:meth:`matches` of a new article, which is then indexed (and stored by :meth:`write`):
        its band keys are worked out once for both."""
        values = hash_values(mh)
        keys = self._band_keys(values[None, :])[0]
        found = self._matches(values, keys, since)
        self._signatures[article_id] = values
        self._times[article_id] = when.timestamp()
        for key in keys.tolist():
            self._buckets.setdefault(key, []).append(article_id)
        self._unwritten.append((article_id, values.tobytes()))
        return found

    def _matches(self, values: np.ndarray, keys: np.ndarray, since: datetime) -> list[CopyMatch]:
        found = []
        for article_id in self._candidates(keys, since.timestamp()):
            # MinHash.jaccard's estimate, without building a MinHash per indexed signature
            jaccard = float(np.count_nonzero(values == self._signatures[article_id])) / len(values)
            if jaccard >= self.threshold:
                found.append(CopyMatch(article_id, jaccard))
        return sorted(found, key=lambda m: (-m.jaccard, m.article_id))
