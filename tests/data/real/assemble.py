"""Assemble the real labelled corpus from the collectors' parts (see README.md in this folder).

    python tests/data/real/assemble.py

Reads ``parts/*.jsonl`` (articles) and ``parts/*.events.jsonl`` (events), checks every record,
merges events that two collectors named differently (``ALIASES``), drops what the corpus rules
exclude (2024 or undated, no headline, a URL seen twice), assigns each event to ``dev`` or
``held-out`` and writes ``articles.jsonl`` and ``events.jsonl``. The split is by event, never by
article, and fixed by a hash of the event id so adding events does not move old ones.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from crawler.urls import canonical_url  # noqa: E402

# the same happening labelled under two ids by two collectors -> one id
ALIASES: dict[str, str] = {
    "2022-06-us-himars-not-against-russia": "2022-06-us-himars-assurances",
    "2022-07-reznikov-himars-pledge": "2022-07-reznikov-himars-commitment",
    "2023-05-white-house-moscow-drones": "2023-05-white-house-moscow-drone-statement",
    "2025-04-merz-taurus-ready": "2025-04-merz-taurus-ard",
    "2025-05-bild-germany-no-taurus": "2025-05-bild-ronzheimer-no-taurus",
    "2025-08-wsj-pentagon-blocks-atacms": "2025-08-wsj-atacms-block",
    "2025-09-vance-tomahawk-looking": "2025-09-vance-tomahawk-considering",
    "2025-10-trump-tomahawk-threat": "2025-10-trump-tomahawk-af1",
    "2025-10-trump-zelensky-white-house-tomahawk": "2025-10-trump-zelensky-oct17",
    "2025-10-axios-trump-rejects-tomahawk": "2025-10-trump-zelensky-oct17",
    "2025-10-storm-shadow-bryansk-chemical": "2025-10-storm-shadow-bryansk-chemical-plant",
    "2025-10-storm-shadow-chemical-plant": "2025-10-storm-shadow-bryansk-chemical-plant",
    "2025-10-wsj-us-eases-long-range-curbs": "2025-10-wsj-us-allows-long-range-missiles",
    "2025-11-handelsblatt-taurus-excluded": "2025-11-handelsblatt-no-taurus",
}
# events whose articles are all kept out (labelling found them unusable); see README.md
DROP_EVENTS: set[str] = set()
REQUIRED = ("url", "outlet", "lang", "title", "text", "published", "event", "relevant")


def first_sentence(text: str, max_words: int = 25) -> str:
    """The text's first sentence (at most ``max_words`` words), for an excerpt without headline."""
    line = text.strip().split("\n", 1)[0]
    m = re.match(r"(.+?[.!?。])(\s|$)", line)
    words = (m.group(1) if m else line).split()
    return " ".join(words[:max_words])


def url_day(url: str) -> str | None:
    """The publication day a URL spells out (/2025/05/26/, 2025-05-26, /20250526), if any."""
    m = re.search(r"(20\d\d)[/-](\d\d)[/-](\d\d)(?!\d)", url) or re.search(
        r"/(20\d\d)(\d\d)(\d\d)(?!\d)", url
    )
    if not m:
        return None
    year, month, day = m.groups()
    return f"{year}-{month}-{day}" if 1 <= int(month) <= 12 and 1 <= int(day) <= 31 else None


def split_of(event: str) -> str:
    """About a third of the events are held out, chosen by a hash of the id."""
    return "held-out" if hashlib.sha1(event.encode()).digest()[0] % 3 == 0 else "dev"


def main() -> None:
    events: dict[str, dict] = {}
    for path in sorted((HERE / "parts").glob("*.events.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                ev = json.loads(line)
                eid = ALIASES.get(ev["event"], ev["event"])
                events.setdefault(eid, {**ev, "event": eid})
    articles: list[dict] = []
    seen: set[str] = set()
    dropped: Counter[str] = Counter()
    for path in sorted((HERE / "parts").glob("*.jsonl")):
        if path.name.endswith(".events.jsonl"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            title_from_text = False
            if not (rec.get("title") or "").strip() and (rec.get("text") or "").strip():
                # the stored excerpt starts below the headline: the first sentence stands in
                rec["title"] = first_sentence(rec["text"])
                title_from_text = True
            missing = [k for k in REQUIRED if rec.get(k) in (None, "")]
            if missing:
                dropped[f"missing {','.join(missing)}"] += 1
                continue
            if str(rec["published"])[:4] not in ("2022", "2023", "2025"):
                dropped["year"] += 1
                continue
            if not re.match(r"\d{4}-\d\d-\d\d", str(rec["published"])):
                # a month alone: the day the page's own URL gives, when it gives one
                day = url_day(rec["url"])
                if day and day.startswith(str(rec["published"])[:7]):
                    rec["published"] = day
            if not re.match(r"\d{4}-\d\d-\d\d", str(rec["published"])):
                dropped["no day of publication"] += 1
                continue
            try:
                key = canonical_url(rec["url"])
            except ValueError:
                dropped["url"] += 1
                continue
            if key in seen:
                dropped["duplicate url"] += 1
                continue
            rec["event"] = ALIASES.get(rec["event"], rec["event"])
            if rec["event"] in DROP_EVENTS:
                dropped["dropped event"] += 1
                continue
            seen.add(key)
            events.setdefault(
                rec["event"],
                {"event": rec["event"], "date": rec["published"][:10], "title": "",
                 "relevant": bool(rec["relevant"])},
            )  # fmt: skip
            articles.append(
                {
                    "url": rec["url"],
                    "outlet": rec["outlet"].strip(),
                    "lang": rec["lang"].strip().lower(),
                    "title": rec["title"].strip(),
                    "text": rec["text"].strip(),
                    "published": rec["published"],
                    "event": rec["event"],
                    "relevant": bool(rec["relevant"]),
                    # an outlet does not credit itself (its own wire dateline is no credit)
                    "credited": [
                        c
                        for c in rec.get("credited") or []
                        if c.strip().casefold() != rec["outlet"].strip().casefold()
                    ],
                    "copy_of": rec.get("copy_of") or None,
                    "ambiguous": bool(rec.get("ambiguous")),
                    "title_from_text": title_from_text,
                    "collector": path.stem,
                }
            )
    urls = {canonical_url(a["url"]) for a in articles}
    for a in articles:
        if a["copy_of"] and canonical_url(a["copy_of"]) not in urls:
            a["copy_of"] = None
            dropped["copy_of outside the corpus (link cleared)"] += 1
    used = {a["event"] for a in articles}
    out_events = []
    for eid in sorted(used):
        ev = events[eid]
        out_events.append({**ev, "split": split_of(eid)})
    split = {e["event"]: e["split"] for e in out_events}
    for a in articles:
        a["split"] = split[a["event"]]
    articles.sort(key=lambda a: (a["published"], a["url"]))
    with open(HERE / "articles.jsonl", "w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    with open(HERE / "events.jsonl", "w", encoding="utf-8") as f:
        for e in out_events:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    langs = Counter(a["lang"] for a in articles)
    print(f"{len(articles)} articles, {len(out_events)} events, languages: {dict(langs)}")
    print(f"dropped: {dict(dropped)}")


if __name__ == "__main__":
    main()
