from __future__ import annotations

from datetime import datetime

import numpy as np

from crawler.analysis.copies import (
    CopyIndex,
    band_params,
    hash_values,
    shingles,
    signature,
    to_bytes,
)
from storage import Store

WIRE = (
    "WASHINGTON (Reuters) - President Joe Biden has given Ukraine permission to strike targets "
    "inside Russia with U.S. weapons near Kharkiv, Politico reported on Thursday, citing two U.S. "
    "officials. The White House did not immediately respond to a request for comment. Ukraine has "
    "pressed its allies to let it hit Russian forces massing across the border."
)
EDITED = WIRE.replace("on Thursday", "late on Thursday").replace(
    " The White House did not immediately respond to a request for comment.", ""
)
OTHER = (
    "BERLIN (Reuters) - Germany has agreed that Ukraine may use weapons it supplied to defend "
    "itself against attacks from Russian territory near Kharkiv, government spokesman Steffen "
    "Hebestreit said on Friday, adding that Berlin and its partners agree on international law."
)


def test_shingles_and_short_texts():
    assert shingles("One two three four five", 4) == {b"one two three four", b"two three four five"}
    assert signature("too short to be a copy of anything", 4, 64) is None


def _at(when: str) -> datetime:
    return datetime.fromisoformat(when)


def _signatures(store: Store) -> dict[int, bytes]:
    rows = store.db.execute("SELECT article_id, signature FROM article_signatures").fetchall()
    return {int(a): bytes(s) for a, s in rows}


def _stored(store: Store, index: CopyIndex, text: str, when: str) -> int:
    """An article indexed as the clusterer indexes it."""
    article_id = int(store.db["articles"].insert({"url": f"https://x.test/{when}"}).last_pk)
    index.insert(article_id, signature(text, 4, 128), _at(when), since=_at(when))
    return article_id


def test_copies_found_and_different_stories_not(tmp_path):
    with Store(tmp_path / "d.db") as store:
        index = CopyIndex(store, threshold=0.5, num_perm=128)
        wire = _stored(store, index, WIRE, "2024-05-30T21:00:00+00:00")
        other = _stored(store, index, OTHER, "2024-05-31T10:00:00+00:00")
        since = _at("2024-05-28T00:00:00+00:00")
        matches = index.matches(signature(EDITED, 4, 128), since)
        assert [m.article_id for m in matches] == [wire] and matches[0].jaccard > 0.5
        again = index.matches(signature(OTHER.replace("Friday", "Saturday"), 4, 128), since)
        assert again[0].article_id == other
        # outside the window (older than ``since``) nothing matches
        assert index.matches(signature(EDITED, 4, 128), _at("2024-05-31T00:00:00+00:00")) == []
        # evicted articles are gone from the index, the others stay
        index.evict(_at("2024-05-31T00:00:00+00:00"))
        assert len(index) == 1
        assert index.matches(signature(EDITED, 4, 128), since) == []
        assert index.matches(signature(OTHER, 4, 128), since)[0].article_id == other


def test_signatures_are_written_and_a_new_index_loads_them(tmp_path):
    mh = signature(WIRE, 4, 128)
    again = hash_values(to_bytes(mh))  # how a later run reads a stored signature back
    assert np.array_equal(again, mh.hashvalues)
    with Store(tmp_path / "d.db") as store:
        index = CopyIndex(store, threshold=0.5, num_perm=128)
        article = _stored(store, index, WIRE, "2024-05-30T21:00:00+00:00")
        assert _signatures(store) == {}  # kept in memory until written
        index.write()
        stored = _signatures(store)
        assert stored == {article: to_bytes(mh)}
        fresh = CopyIndex(store, threshold=0.5, num_perm=128)  # a later run
        fresh.load([(article, stored[article], _at("2024-05-30T21:00:00+00:00"))])
        found = fresh.matches(signature(EDITED, 4, 128), _at("2024-05-01T00:00:00+00:00"))
        assert [m.article_id for m in found] == [article]
        fresh.evict(_at("2024-05-31T00:00:00+00:00"))  # the window moved past it
        assert len(fresh) == 0
        assert fresh.matches(signature(EDITED, 4, 128), _at("2024-05-01T00:00:00+00:00")) == []
        # a signature of another length (num_perm changed since) is skipped, not misread
        other = CopyIndex(store, threshold=0.5, num_perm=64)
        other.load([(article, stored[article], _at("2024-05-30T21:00:00+00:00"))])
        assert len(other) == 0


def test_insert_matches_then_indexes_from_stored_bytes(tmp_path):
    """What the clusterer does per article: the matches among the articles indexed before it,
    from the stored signature bytes, then the article is itself indexed."""
    with Store(tmp_path / "d.db") as store:
        for n in (1, 2, 3):
            store.db["articles"].insert({"id": n, "url": f"https://x.test/{n}"})
        index = CopyIndex(store, threshold=0.5, num_perm=128)
        since = _at("2024-05-28T00:00:00+00:00")
        wire_bytes = to_bytes(signature(WIRE, 4, 128))
        assert index.insert(1, wire_bytes, _at("2024-05-30T21:00:00+00:00"), since) == []
        other = to_bytes(signature(OTHER, 4, 128))
        assert index.insert(2, other, _at("2024-05-31T10:00:00+00:00"), since) == []
        edited = signature(EDITED, 4, 128)
        found = index.insert(3, to_bytes(edited), _at("2024-05-31T11:00:00+00:00"), since)
        assert [m.article_id for m in found] == [1]
        # the edited copy is indexed too: a third copy finds both earlier ones, best first
        again = index.matches(signature(WIRE, 4, 128), since)
        assert [m.article_id for m in again] == [1, 3] and again[0].jaccard == 1.0
        index.write()
        assert _signatures(store)[1] == wire_bytes


def test_a_later_run_finds_copies_of_an_earlier_runs_articles(tmp_path):
    """Each run rebuilds the copy window's index from the stored signatures."""
    from crawler.commands.importer import ImportRecord, run_import
    from crawler.config import Config

    def record(url: str, text: str, published: str) -> ImportRecord:
        return ImportRecord(url=url, title="Biden and Kharkiv", text=text, published=published,
                            outlet=url.split("/")[2])  # fmt: skip

    with Store(tmp_path / "d.db") as store:
        run_import(store, Config(), [record("https://reuters.test/a", WIRE, "2024-05-30T21:00Z")])
        run_import(store, Config(), [record("https://yahoo.test/b", EDITED, "2024-05-30T22:00Z")])
        rows = dict(store.db.execute("SELECT url, duplicate_of FROM articles").fetchall())
        original = store.db.execute(
            "SELECT id FROM articles WHERE url = 'https://reuters.test/a'"
        ).fetchone()[0]
        assert rows["https://yahoo.test/b"] == original
        assert len(_signatures(store)) == 2


def test_band_parameters_are_worked_out_once_and_then_read(tmp_path):
    """datasketch (and scipy under it) is imported by the first run that needs the LSH
    parameters; later runs read them from the database and index copies without it."""
    import subprocess
    import sys

    from conftest import REPO

    db = tmp_path / "d.db"
    query = "SELECT value FROM clustering_meta WHERE key LIKE 'lsh_params:%:0.5:128'"
    with Store(db) as store:
        first = CopyIndex(store, threshold=0.5, num_perm=128)
        assert store.db.execute(query).fetchall() == []  # worked out when first needed
        assert first.bands * first.rows <= 128
        assert store.db.execute(query).fetchall() == [(f"{first.bands} {first.rows}",)]
    script = (
        "import sys\n"
        "from storage import Store\n"
        "from crawler.analysis.copies import CopyIndex\n"
        f"with Store({str(db)!r}) as store:\n"
        "    index = CopyIndex(store, threshold=0.5, num_perm=128)\n"
        "    print(index.bands, index.rows, 'datasketch' in sys.modules)\n"
    )
    later = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert later.stdout.split() == [str(first.bands), str(first.rows), "False"]


def test_band_parameters_worked_out_by_another_process_spare_the_import(tmp_path):
    """A crawl's extraction worker has datasketch loaded and hands the banding over
    (remember_band_params): the main process then never imports datasketch or scipy, even on a
    new database, and stores what it was given."""
    import subprocess
    import sys

    from conftest import REPO

    bands, rows = band_params(0.5, 128)
    script = (
        "import sys\n"
        "from storage import Store\n"
        "from crawler.analysis.copies import CopyIndex, remember_band_params\n"
        f"remember_band_params(0.5, 128, ({bands}, {rows}))\n"
        f"with Store({str(tmp_path / 'new.db')!r}) as store:\n"
        "    index = CopyIndex(store, threshold=0.5, num_perm=128)\n"
        "    print(index.bands, index.rows, store.meta(next(iter(\n"
        "        k for (k,) in store.db.execute('SELECT key FROM clustering_meta')\n"
        "        if k.startswith('lsh_params:')))))\n"
        "print('datasketch' in sys.modules, 'scipy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [str(bands), str(rows), str(bands), str(rows), "False", "False"]
