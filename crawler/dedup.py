"""Near-duplicate copies: the same wire story on many sites, lightly edited.

MinHash signatures over word shingles, candidates from LSH bands (datasketch's banding, indexed
in memory for the copy window), confirmed by the estimated Jaccard similarity. Each outlet's copy
stays its own article; ``duplicate_of`` points at the earliest copy, so coverage counts survive
and the copy relation is explicit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH

from storage import Store

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
    return MinHash(num_perm=num_perm, scheme=SCHEME).permutations


def signature(text: str, k: int, num_perm: int) -> MinHash | None:
    grams = shingles(text, k)
    if len(grams) < MIN_SHINGLES:
        return None
    mh = MinHash(num_perm=num_perm, scheme=SCHEME, permutations=_permutations(num_perm))
    mh.update_batch(list(grams))
    return mh


def to_bytes(mh: MinHash) -> bytes:
    return np.asarray(mh.hashvalues, dtype=DTYPE).tobytes()


def from_bytes(blob: bytes, num_perm: int) -> MinHash:
    values = np.frombuffer(blob, dtype=DTYPE).copy()
    return MinHash(
        num_perm=num_perm, hashvalues=values, scheme=SCHEME, permutations=_permutations(num_perm)
    )


@dataclass
class CopyMatch:
    article_id: int
    jaccard: float


class CopyIndex:
    """The signatures of the copy window, searchable for near-duplicates of a new article.

    An in-memory LSH index (datasketch's banding for the threshold: ``bands`` bands of ``rows``
    values), built when a run starts from the window's stored signatures, all at once with numpy,
    and kept up to date as articles are added and the window moves on. Band keys never leave the
    process, so their hash needs no stability. A candidate is any article sharing a band key,
    confirmed by the estimated Jaccard similarity of the signatures. New signatures are stored by
    :meth:`write`, in one statement per flush.
    """

    def __init__(self, store: Store, threshold: float, num_perm: int) -> None:
        self.store = store
        self.threshold = threshold
        self.num_perm = num_perm
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.bands, self.rows = lsh.b, lsh.r
        # one odd 64-bit multiplier per band value: a band's key is their dot product mod 2**64
        rng = np.random.default_rng(0x6E6577736D6F6E)
        self._multipliers = rng.integers(1, 2**63, (self.bands, self.rows), dtype=np.uint64) * 2 + 1
        self._signatures: dict[int, np.ndarray] = {}
        self._times: dict[int, float] = {}  # POSIX time of each indexed article
        self._keys: dict[int, list[int]] = {}
        self._buckets: dict[int, list[int]] = {}
        self._unwritten: list[tuple[int, bytes]] = []

    def __len__(self) -> int:
        return len(self._signatures)

    def _band_keys(self, values: np.ndarray) -> list[list[int]]:
        """Band keys of signatures given as rows of a (n, num_perm) array."""
        bands = values[:, : self.bands * self.rows].astype(np.uint64)
        bands = bands.reshape(len(values), self.bands, self.rows)
        return (bands * self._multipliers).sum(axis=2).tolist()  # uint64 arithmetic wraps

    def _index(self, article_id: int, values: np.ndarray, keys: list[int], when: float) -> None:
        self._signatures[article_id] = values
        self._times[article_id] = when
        self._keys[article_id] = keys
        for key in keys:
            self._buckets.setdefault(key, []).append(article_id)

    def load(self, rows: list[tuple[int, bytes, datetime]]) -> None:
        """Index stored (article_id, signature, event time) rows, the window a run resumes."""
        size = self.num_perm * DTYPE().itemsize
        rows = [r for r in rows if len(r[1]) == size]  # others predate a change of num_perm
        if not rows:
            return
        values = np.frombuffer(b"".join(r[1] for r in rows), dtype=DTYPE)
        values = values.reshape(len(rows), self.num_perm)
        for (article_id, _, when), row, keys in zip(
            rows, values, self._band_keys(values), strict=True
        ):
            self._index(article_id, row, keys, when.timestamp())

    def add(self, article_id: int, mh: MinHash, when: datetime) -> None:
        """Index a new article's signature; :meth:`write` stores it."""
        values = np.asarray(mh.hashvalues, dtype=DTYPE)
        (keys,) = self._band_keys(values[None, :])
        self._index(article_id, values, keys, when.timestamp())
        self._unwritten.append((article_id, values.tobytes()))

    def write(self) -> None:
        """Store the signatures added since the last write (caller commits)."""
        self.store.save_signatures(self._unwritten)
        self._unwritten.clear()

    def evict(self, before: datetime) -> None:
        """Forget the articles older than ``before``: the window moved past them."""
        cutoff = before.timestamp()
        for article_id in [a for a, t in self._times.items() if t < cutoff]:
            for key in self._keys.pop(article_id):
                bucket = self._buckets[key]
                bucket.remove(article_id)
                if not bucket:
                    del self._buckets[key]
            del self._signatures[article_id], self._times[article_id]

    def matches(self, mh: MinHash, since: datetime) -> list[CopyMatch]:
        """Indexed articles from ``since`` on whose estimated Jaccard with ``mh`` reaches the
        threshold, best first."""
        values = np.asarray(mh.hashvalues, dtype=DTYPE)
        (keys,) = self._band_keys(values[None, :])
        start = since.timestamp()
        times = self._times
        candidates = {a for key in keys for a in self._buckets.get(key, ()) if times[a] >= start}
        found = []
        for article_id in candidates:
            # MinHash.jaccard's estimate, without building a MinHash per indexed signature
            jaccard = float(np.count_nonzero(values == self._signatures[article_id])) / len(values)
            if jaccard >= self.threshold:
                found.append(CopyMatch(article_id, jaccard))
        return sorted(found, key=lambda m: (-m.jaccard, m.article_id))
