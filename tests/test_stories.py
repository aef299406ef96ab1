from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.stories import (
    FeatureWeights,
    StoryIndex,
    pack_centroid,
    raw_features,
    skeleton,
    transliterate,
    unpack_centroid,
    vectorize,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from stories import bcubed, evaluate  # noqa: E402


@pytest.mark.parametrize("names", [
    ["Kharkiv", "Kharkov", "Charkiw", "Харків", "Харьков", "Харкові"],
    ["Stoltenberg", "Столтенберг", "Stoltenberga"],
    ["Zelensky", "Zelenskyy", "Зеленський", "Selenskyj", "Zełenski"],
    ["Macron", "Макрон", "Macrona"],
])  # fmt: skip
def test_name_skeletons_match_across_scripts(names):
    assert len({skeleton(n) for n in names}) == 1, {n: skeleton(n) for n in names}


@pytest.mark.parametrize(("one", "other"), [
    ("Kharkiv", "Kherson"), ("Macron", "Moscow"), ("Stoltenberg", "Steinmeier"),
    ("Kyiv", "Kursk"), ("Zelensky", "Selydove"), ("Харків", "Херсон"),
])  # fmt: skip
def test_different_names_keep_different_skeletons(one, other):
    """The entity features are a skeleton's first three and four letters: names that share
    a first letter or sound must still differ there, or every story about one joins the other."""
    a, b = skeleton(one), skeleton(other)
    assert a[:3] != b[:3] and a[:4] != b[:4], (a, b)


def test_transliteration():
    assert transliterate("Łódź") == "lodz" and transliterate("Москва") == "moskva"
    assert skeleton("Київ") == skeleton("Kyiv") == skeleton("Kiev") == skeleton("Киев")


def test_translations_share_language_independent_features():
    w = FeatureWeights()
    en = raw_features("Biden lets Ukraine hit Russia near Kharkiv with ATACMS", "", w)
    uk = raw_features("Байден дозволив Україні бити по Росії біля Харкова ракетами ATACMS", "", w)
    shared = {f for f in en if f[0] in "EAN"} & {f for f in uk if f[0] in "EAN"}
    assert {"A:ATACMS", "E:bdn"} <= shared and any(f.startswith("E:hrk") for f in shared)


def test_story_index_assigns_joins_and_expires():
    w = FeatureWeights()
    t0 = datetime(2024, 5, 30, 21, tzinfo=timezone.utc)
    index = StoryIndex(window=timedelta(hours=72), threshold=0.2, threshold_independent=0.2)

    def vec(title: str) -> dict[str, float]:
        return vectorize(raw_features(title, "", w), {}, 1, w)

    a = vec("Biden secretly allows Ukraine to strike Russia with US weapons near Kharkiv")
    assert index.assign(a, t0).story_id is None
    index.add(1, a, t0)
    b = vec("Biden allows Ukraine to use US weapons against Russia near Kharkiv, Politico reports")
    assert index.assign(b, t0 + timedelta(hours=2)).story_id == 1
    c = vec("Grain exports from Odesa reach record high in May")
    assert index.assign(c, t0 + timedelta(hours=3)).story_id is None
    # a week later the story is no longer active
    assert index.assign(b, t0 + timedelta(days=7)).story_id is None and not index.stories


def test_centroids_round_trip_packed_and_from_json():
    centroid = {"E:hrkv": 0.5, "W:удары": 1.25, "A:ATACMS": 3.0e-7, "N:2024": 2.0}
    assert unpack_centroid(pack_centroid(centroid)) == centroid
    assert list(unpack_centroid(pack_centroid(centroid))) == list(centroid)
    assert unpack_centroid(pack_centroid({})) == {}
    # story_state rows written before the packed form held JSON
    assert unpack_centroid('{"E:hrkv": 0.5, "N:2024": 2}') == {"E:hrkv": 0.5, "N:2024": 2.0}


def test_bcubed():
    gold = {"a": "x", "b": "x", "c": "y"}
    assert bcubed({"a": 1, "b": 1, "c": 2}, gold) == (1.0, 1.0, 1.0)
    p, r, _ = bcubed({"a": 1, "b": 2, "c": 3}, gold)
    assert p == 1.0 and r == pytest.approx(2 / 3)


def test_labelled_story_set():
    """python benchmarks/stories.py prints these figures (held-out stories reported apart)."""
    m = evaluate(ROOT / "tests" / "data" / "stories.jsonl", ROOT / "feeds.yaml")
    assert m["articles"] >= 200 and m["stories"] >= 15
    assert m["relevant"] >= 0.95 * m["articles"]
    for split in ("dev", "held-out", "all"):
        p, r, f1 = m[f"bcubed_{split}"]
        assert f1 >= 0.85, (split, p, r, f1)
    assert m["copy_precision"] >= 0.95 and m["copy_recall"] >= 0.9
    assert m["credit_accuracy"] >= 0.85 and m["false_credits"] <= 0.05
