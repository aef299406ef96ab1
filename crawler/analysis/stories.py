"""Stories: articles reporting the same event, across outlets and languages, assigned as they come.

Each article becomes a sparse TF-IDF vector of two kinds of features:

* language-independent ones that a translation keeps: names reduced to a consonant skeleton of
  their Latin transliteration (Харків, Харьков, Kharkiv, Charkiw all give ``hrkv``), acronyms
  (ATACMS, НАТО -> NATO) and numbers;
* the article's own words (prefix-stemmed), which separate events within one language.

A new article joins the active story (last article within ``story_window_hours``) whose centroid
is most similar, when the cosine over all features or over the language-independent ones alone
reaches its threshold; otherwise it starts a story. Candidates come from an inverted index of
the active stories' features, so each article is compared with a handful of stories, never with
the archive, and memory is bounded by the window.
"""

from __future__ import annotations

import heapq
import json
import math
import re
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import islice, repeat
from operator import itemgetter, mul

_TOKEN = re.compile(r"\w+", re.UNICODE)

CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ye", "ё": "yo",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}  # fmt: skip
# Acronyms that differ by language but name the same thing.
ACRONYMS = {
    "SSHA": "US", "USA": "US", "EEUU": "US", "OTAN": "NATO",
    "YES": "EU", "ES": "EU", "UE": "EU", "OON": "UN", "ONU": "UN", "ZSU": "AFU", "VSU": "AFU",
    "RF": "RU", "FRG": "DE", "BRD": "DE",
}  # fmt: skip
LETTERS_LATIN = str.maketrans({"ł": "l", "ß": "ss", "ø": "o", "æ": "ae", "đ": "d"})


def transliterate(word: str) -> str:
    """Lower-case Latin spelling of a word in Cyrillic, Greek or accented Latin script."""
    word = word.lower()
    out = []
    for ch in word:
        if ch in CYRILLIC:
            out.append(CYRILLIC[ch])
        elif ch in GREEK:
            out.append(GREEK[ch])
        else:
            out.append(ch)
    text = "".join(out).translate(LETTERS_LATIN)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


_DIGRAPHS = [("shch", "sh"), ("sch", "sh"), ("sz", "sh"), ("cz", "ch"), ("kh", "h"), ("ch", "h"),
             ("zh", "j"), ("ck", "k"), ("ph", "f"), ("th", "t"), ("ts", "s"), ("tz", "s"),
             ("dz", "s"), ("gh", "h"), ("w", "v"), ("c", "k"), ("q", "k"), ("x", "ks"), ("z", "s"),
             ("g", "h")]  # fmt: skip
_VOWELS = set("aeiouyj")


def skeleton(word: str) -> str:
    """The consonants of a name's transliteration, spelling variants folded: Kharkiv, Kharkov,
    Charkiw, Харкові -> hrkv. Lossy on purpose: it only has to match across languages."""
    text = transliterate(word)
    text = re.sub(r"[^a-z]", "", text)
    for a, b in _DIGRAPHS:
        text = text.replace(a, b)
    consonants = [c for c in text if c not in _VOWELS]
    folded: list[str] = []
    for c in consonants:
        if not folded or folded[-1] != c:
            folded.append(c)
    return "".join(folded)


# Kinds of features a translation keeps: E names, A acronyms, N numbers, G the topic's concepts
INDEPENDENT = "EANG"


@dataclass
class FeatureWeights:
    entity: float = 1.5
    acronym: float = 1.5
    number: float = 1.0
    word: float = 1.0
    concept: float = 1.0
    title_repeat: int = 2  # title tokens count this many times
    max_features: int = 50


def raw_features(title: str | None, text: str | None, weights: FeatureWeights) -> Counter[str]:
    """Term counts of an article: E: name skeletons, A: acronyms, N: numbers, W: word stems."""
    counts: Counter[str] = Counter()
    for part, times in ((title or "", weights.title_repeat), ((text or "")[:6000], 1)):
        features = [f for tok in _TOKEN.findall(part) for f in _token_features(tok)]
        counts.update(features * times)  # Counter.update counts in C
    return counts


@lru_cache(maxsize=200_000)
def _token_features(tok: str) -> tuple[str, ...]:
    """Features of one token. Cached: news vocabulary repeats, and transliterating a name into
    its skeleton is the costly part of featurising an article."""
    if tok.isdigit():
        value = tok.lstrip("0")
        return (f"N:{value}",) if len(value) >= 2 else ()
    if not tok.isalpha():  # letters with digits (S300, F16) or underscores
        return (f"A:{transliterate(tok).upper()}",) if len(tok) >= 3 else ()
    if len(tok) >= 2 and tok.isupper():
        acronym = transliterate(tok).upper()
        return (f"A:{ACRONYMS.get(acronym, acronym)}",)
    if len(tok) < 4:
        return ()
    features = [f"W:{tok.lower()[:6]}"]
    if tok[0].isupper():
        skel = skeleton(tok)
        if len(skel) >= 3:
            features.append(f"E:{skel[:4]}")
            if len(skel) > 3:
                features.append(f"E:{skel[:3]}")
    return tuple(features)


def concept_features(
    matched_terms: Iterable[str], concepts: dict[str, tuple[str, ...]]
) -> Counter[str]:
    """G: features of an article: the named groups of the topics' queries that its matched
    terms belong to. A group gathers one notion in many languages ("permission": allow*,
    дозв*, erlaub*, autoris* ...), so two reports of a decision share "G:permission" in any
    language, while the threats that answered it share "G:threat" instead."""
    counts: Counter[str] = Counter()
    for term in matched_terms:
        for concept in concepts.get(term.lower(), ()):
            counts[f"G:{concept}"] = 1
    return counts


def is_language_independent(feature: str) -> bool:
    return feature[0] in INDEPENDENT


def vectorize(
    counts: Counter[str], df: dict[str, int], n_docs: int, weights: FeatureWeights
) -> dict[str, float]:
    """Unit-length TF-IDF vector over the top ``max_features`` features."""
    kind = {"E": weights.entity, "A": weights.acronym, "N": weights.number, "W": weights.word,
            "G": weights.concept}  # fmt: skip
    log, n = math.log, n_docs + 1
    vec = {f: (1.0 + log(tf)) * (log(n / (df.get(f, 0) + 1)) + 1.0) * kind[f[0]]
           for f, tf in counts.items()}  # fmt: skip
    # highest weight first, ties by name: sorted by name, then stably by weight (keys in C)
    top = sorted(vec.items())
    top.sort(key=itemgetter(1), reverse=True)
    # the topic's concepts are few and common, so they would never make the cut; they are kept
    # besides the ``max_features`` most distinctive others
    concepts = [item for item in top if item[0][0] == "G"]
    if concepts:
        top = [item for item in top if item[0][0] != "G"]
    del top[weights.max_features :]
    top += concepts
    norm = math.sqrt(sum(v * v for _, v in top)) or 1.0
    return {f: v / norm for f, v in top}


def _norms(vec: dict[str, float]) -> tuple[float, float]:
    """Euclidean norm over all features and over the language-independent ones."""
    total = independent = 0.0
    for feature, value in vec.items():
        sq = value * value
        total += sq
        if feature[0] in INDEPENDENT:
            independent += sq
    return math.sqrt(total), math.sqrt(independent)


@dataclass
class ActiveStory:
    id: int
    centroid: dict[str, float]
    last_time: datetime
    size: int = 0
    norm: float = 0.0
    norm_independent: float = 0.0


@dataclass
class Similarity:
    all: float
    independent: float
    shared_independent: int


@dataclass
class ArticleVector:
    """An article's vector split the way :func:`similarity` reads it, made once per article
    rather than once per candidate story."""

    features: list[str]
    values: list[float]
    # picks the language-independent features' entries, in order, out of a per-feature list
    pick_independent: Callable[[list[float]], tuple[float, ...]]
    norm_independent: float

    @classmethod
    def of(cls, vec: dict[str, float]) -> ArticleVector:
        positions = [i for i, f in enumerate(vec) if f[0] in INDEPENDENT]
        _, norm_ind = _norms(vec)
        if len(positions) == 1:  # itemgetter of one index returns the item, not a tuple
            (only,) = positions
            pick: Callable[[list[float]], tuple[float, ...]] = lambda row: (row[only],)  # noqa: E731
        else:
            pick = itemgetter(*positions) if positions else (lambda row: ())
        return cls(list(vec), list(vec.values()), pick, norm_ind)


def similarity(article: ArticleVector, story: ActiveStory) -> Similarity:
    """Cosine of an article (unit vector) with a story centroid, over all features and over the
    language-independent ones. The lookups and products run in C (map over dict.get and mul,
    itemgetter for the independent ones): this is the innermost loop of clustering. Article
    weights are positive and centroid weights are sums of them, so a product is 0.0 exactly
    when the story lacks the feature."""
    weights = map(story.centroid.get, article.features, repeat(0.0))
    products = list(map(mul, article.values, weights))
    independent = article.pick_independent(products)
    sim_all = sum(products) / story.norm if story.norm else 0.0
    denom = article.norm_independent * story.norm_independent
    return Similarity(
        sim_all,
        sum(independent) / denom if denom else 0.0,
        len(independent) - independent.count(0.0),
    )


@dataclass
class Assignment:
    story_id: int | None  # None: start a new story
    similarity: float = 0.0


@dataclass
class StoryIndex:
    """Stories active within the window, with an inverted index for candidate retrieval."""

    window: timedelta
    threshold: float
    threshold_independent: float
    min_independent_features: int = 2
    time_penalty: float = 0.0  # similarity taken off per day since the story's last article
    # candidates are the stories sharing one of the article's most distinctive features
    candidate_features: int = 20
    max_candidates: int = 10
    stories: dict[int, ActiveStory] = field(default_factory=dict)
    # defaultdict: setdefault(f, set()) would build a throwaway set for every feature of every
    # story restored or added, the bulk of a run's restore time
    postings: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _evicted_at: datetime | None = None

    def evict(self, now: datetime) -> None:
        if self._evicted_at is not None and now - self._evicted_at < self.window / 24:
            return  # stories expire by the hour, not by the article
        self._evicted_at = now
        cutoff = now - self.window
        for sid in [s.id for s in self.stories.values() if s.last_time < cutoff]:
            story = self.stories.pop(sid)
            for feature in story.centroid:
                ids = self.postings.get(feature)
                if ids is not None:
                    ids.discard(sid)
                    if not ids:
                        del self.postings[feature]

    def candidates(self, vec: dict[str, float]) -> set[int]:
        """The active stories sharing most of the article's most distinctive features: at most
        ``max_candidates`` of them are compared, however many stories are active. ``vec`` is
        ordered by weight, highest first, as :func:`vectorize` makes it."""
        top = islice(vec.items(), self.candidate_features)  # vectorize sorts by weight
        hits: dict[int, float] = {}  # a plain dict: Counter's __missing__ is a Python call
        get = hits.get
        for feature, weight in top:
            for sid in self.postings.get(feature, ()):
                hits[sid] = get(sid, 0.0) + weight
        return {
            sid for sid, _ in heapq.nlargest(self.max_candidates, hits.items(), key=itemgetter(1))
        }

    def assign(self, vec: dict[str, float], when: datetime) -> Assignment:
        """The best active story for an article vector, or a new one."""
        self.evict(when)
        article = ArticleVector.of(vec)
        best = Assignment(None)
        for sid in sorted(self.candidates(vec)):
            story = self.stories[sid]
            gap = abs(when - story.last_time)
            if gap > self.window:
                continue
            sim = similarity(article, story)
            # reports of one event come within hours of each other, the next event's a day or
            # more later: a story's pull weakens with the time since its last article
            late = self.time_penalty * gap.total_seconds() / 86400
            ok = sim.all - late >= self.threshold or (
                sim.independent - late >= self.threshold_independent
                and sim.shared_independent >= self.min_independent_features
            )
            score = max(sim.all, sim.independent) - late
            if ok and score > best.similarity:
                best = Assignment(sid, score)
        return best

    def restore(
        self,
        saved: Iterable[tuple[int, dict[str, float], datetime, int, Sequence[float | None]]],
    ) -> None:
        """Bring back the stories an earlier run saved: (id, centroid, last time, size, (norm,
        independent norm)); norms of None are computed from the centroid. The postings are
        gathered as lists and made sets once per feature, which is several times faster than
        adding to a set per feature of every story."""
        gathered: defaultdict[str, list[int]] = defaultdict(list)
        for story_id, centroid, last_time, size, (norm, norm_independent) in saved:
            story = ActiveStory(story_id, centroid, last_time, size)
            if norm is None or norm_independent is None:
                story.norm, story.norm_independent = _norms(centroid)
            else:
                story.norm, story.norm_independent = norm, norm_independent
            self.stories[story_id] = story
            for feature in centroid:
                gathered[feature].append(story_id)
        for feature, ids in gathered.items():
            self.postings[feature].update(ids)

    def add(self, story_id: int, vec: dict[str, float], when: datetime) -> None:
        story = self.stories.get(story_id)
        if story is None:
            story = self.stories[story_id] = ActiveStory(story_id, {}, when)
        # update the squared norms by what changes, not by re-summing the whole centroid
        sq, sq_ind = story.norm**2, story.norm_independent**2
        centroid = story.centroid
        for feature, value in vec.items():
            old = centroid.get(feature, 0.0)
            new = old + value
            centroid[feature] = new
            delta = new * new - old * old
            sq += delta
            if feature[0] in INDEPENDENT:
                sq_ind += delta
            self.postings[feature].add(story_id)
        story.norm, story.norm_independent = math.sqrt(max(sq, 0.0)), math.sqrt(max(sq_ind, 0.0))
        story.size += 1
        story.last_time = max(story.last_time, when)


def pack_centroid(centroid: dict[str, float]) -> bytes:
    """A centroid as stored between runs: its feature names, then their float64 weights. Several
    times faster to read back than JSON, which matters because every run restores the window."""
    names = "\x1f".join(centroid).encode("utf-8")
    return len(names).to_bytes(4, "little") + names + array("d", centroid.values()).tobytes()


def unpack_centroid(blob: bytes | str) -> dict[str, float]:
    """The inverse of :func:`pack_centroid`; also reads the JSON of databases from before it."""
    if isinstance(blob, str):
        return {str(k): float(v) for k, v in json.loads(blob).items()}
    size = int.from_bytes(blob[:4], "little")
    if not size:
        return {}
    values = array("d")
    values.frombytes(blob[4 + size :])
    return dict(zip(blob[4 : 4 + size].decode("utf-8").split("\x1f"), values, strict=True))


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
