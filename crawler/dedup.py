"""Near-duplicate copies: the same wire story on many sites, lightly edited.

MinHash signatures over word shingles, candidates from LSH bands (datasketch's banding, the keys
kept in SQLite), confirmed by the estimated Jaccard similarity. Each outlet's copy stays its own
article; ``duplicate_of`` points at the earliest copy, so coverage counts survive and the copy
relation is explicit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
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
    """The signatures of recent articles, searchable for near-duplicates of a new one.

    The LSH band keys live in SQLite (``copy_bands``), written with each article, so a cron run
    queries the copy window instead of rebuilding an in-memory index from it. The banding (how
    many bands of how many rows) is datasketch's own choice for the threshold; a candidate is any
    article sharing a band, confirmed by the estimated Jaccard of the stored signatures.
    """

    def __init__(self, store: Store, threshold: float, num_perm: int) -> None:
        self.store = store
        self.threshold = threshold
        self.num_perm = num_perm
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.bands, self.rows = lsh.b, lsh.r

    def keys(self, mh: MinHash) -> list[tuple[int, int]]:
        """(band, key) of each band of a signature: a stable 64-bit digest of its values."""
        values = np.asarray(mh.hashvalues, dtype=DTYPE)
        out = []
        for band in range(self.bands):
            chunk = values[band * self.rows : (band + 1) * self.rows].tobytes()
            digest = hashlib.blake2b(chunk, digest_size=8).digest()
            out.append((band, int.from_bytes(digest, "little", signed=True)))
        return out

    def add(self, article_id: int, mh: MinHash, when: str) -> None:
        self.store.save_copy_bands(article_id, when, self.keys(mh))

    def matches(self, mh: MinHash, since: str) -> list[CopyMatch]:
        """Articles from ``since`` on whose estimated Jaccard with ``mh`` reaches the threshold,
        best first."""
        found = []
        candidates = self.store.copy_candidates(self.keys(mh), since)
        for key, blob in self.store.signatures(candidates).items():
            jaccard = mh.jaccard(from_bytes(blob, self.num_perm))
            if jaccard >= self.threshold:
                found.append(CopyMatch(int(key), jaccard))
        return sorted(found, key=lambda m: (-m.jaccard, m.article_id))
