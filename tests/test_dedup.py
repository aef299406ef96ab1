from __future__ import annotations

from crawler.dedup import CopyIndex, from_bytes, shingles, signature, to_bytes

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


def test_copies_found_and_different_stories_not():
    index = CopyIndex(threshold=0.5, num_perm=128)
    index.add(1, signature(WIRE, 4, 128))
    index.add(2, signature(OTHER, 4, 128))
    matches = index.matches(signature(EDITED, 4, 128))
    assert [m.article_id for m in matches] == [1] and matches[0].jaccard > 0.5
    assert index.matches(signature(OTHER.replace("Friday", "Saturday"), 4, 128))[0].article_id == 2
    index.remove(1)
    assert index.matches(signature(EDITED, 4, 128)) == [] and len(index) == 1


def test_signature_survives_storage():
    mh = signature(WIRE, 4, 128)
    again = from_bytes(to_bytes(mh), 128)
    assert again.jaccard(mh) == 1.0
    index = CopyIndex(threshold=0.5, num_perm=128)
    index.add(7, again)
    assert index.matches(signature(EDITED, 4, 128))[0].article_id == 7
