"""Near-duplicate copies: the same wire story on many sites, lightly edited.

MinHash signatures over word shingles, candidates from an LSH index (datasketch), confirmed by the
estimated Jaccard similarity. Each outlet's copy stays its own article; ``duplicate_of`` points at
the earliest copy, so coverage counts survive and the copy relation is explicit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH

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
    """The signatures of recent articles, searchable for near-duplicates of a new one."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.signatures: dict[int, MinHash] = {}

    def __len__(self) -> int:
        return len(self.signatures)

    def add(self, article_id: int, mh: MinHash) -> None:
        if article_id in self.signatures:
            self.remove(article_id)
        self.lsh.insert(article_id, mh)
        self.signatures[article_id] = mh

    def remove(self, article_id: int) -> None:
        if article_id in self.signatures:
            self.lsh.remove(article_id)
            del self.signatures[article_id]

    def matches(self, mh: MinHash) -> list[CopyMatch]:
        """Stored articles whose estimated Jaccard with ``mh`` reaches the threshold, best first."""
        found = []
        for key in self.lsh.query(mh):
            jaccard = mh.jaccard(self.signatures[key])
            if jaccard >= self.threshold:
                found.append(CopyMatch(int(key), jaccard))
        return sorted(found, key=lambda m: (-m.jaccard, m.article_id))
