"""A story's spread as a picture: who reported when, who was first, who copied, whom they credit.

One row per outlet (in the order they joined the story), one mark per article at its
publication time. The first report is a large star; copies of another article are hollow;
an article that credits another outlet is coloured by that outlet, so "everyone followed
Politico within hours" is visible at a glance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: never needs a display

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from crawler.analysis.stories import parse_time  # noqa: E402

ORIGINAL = "#1f4e79"
# far from ORIGINAL and from the first report's red, so "credits X" never reads as "own report"
CREDIT_COLOURS = ("#ff7f0e", "#2ca02c", "#9467bd", "#e377c2", "#8c564b", "#17becf", "#bcbd22")


def plot_story(story: dict[str, Any], articles: list[dict[str, Any]], path: str | Path) -> Path:
    """Draw ``articles`` (story_articles rows, oldest first) of ``story`` to a PNG file."""
    points = []
    for art in articles:
        stamp = art.get("event_time") or art.get("published_at") or art.get("first_seen_at")
        when = parse_time(stamp)
        if when is not None:
            points.append((when, art))
    if not points:
        raise ValueError(f"story {story['id']} has no dated articles to plot")
    points.sort(key=lambda p: (p[0], p[1]["id"]))
    outlets: list[str] = []
    for _, art in points:
        name = art.get("outlet") or "?"
        if name not in outlets:
            outlets.append(name)
    credited = sorted({a["credited_source"] for _, a in points if a.get("credited_source")})
    colours = {name: CREDIT_COLOURS[i % len(CREDIT_COLOURS)] for i, name in enumerate(credited)}

    height = 1.6 + 0.32 * len(outlets)
    fig, ax = plt.subplots(figsize=(11, min(height, 40)), dpi=110)
    row = {name: len(outlets) - 1 - i for i, name in enumerate(outlets)}
    first_id = points[0][1]["id"]
    for when, art in points:
        y = row[art.get("outlet") or "?"]
        colour = colours.get(art.get("credited_source"), ORIGINAL)
        if art["id"] == first_id:
            ax.scatter([when], [y], s=260, marker="*", color="#d62728", zorder=4,
                       edgecolors="black", linewidths=0.6)  # fmt: skip
        elif art.get("duplicate_of"):
            ax.scatter([when], [y], s=60, facecolors="none", edgecolors=colour, linewidths=1.6,
                       zorder=3)  # fmt: skip
        else:
            ax.scatter([when], [y], s=60, color=colour, zorder=3)
    ax.set_yticks(list(row.values()), list(row.keys()))
    ax.set_ylim(-0.8, len(outlets) - 0.2)
    ax.grid(axis="x", alpha=0.3)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(mdates.AutoDateLocator()))
    ax.set_xlabel("publication time (UTC)")
    first_time = points[0][0].strftime("%Y-%m-%d %H:%M")
    title = (story.get("title") or f"story {story['id']}")[:110]
    ax.set_title(
        f"{title}\nfirst: {points[0][1].get('outlet')} at {first_time} UTC; "
        f"{len(points)} articles from {len(outlets)} outlets",
        fontsize=10,
    )
    handles = [
        Line2D([], [], marker="*", color="#d62728", markersize=14, linestyle="",
               markeredgecolor="black", label="first report"),
        Line2D([], [], marker="o", color=ORIGINAL, linestyle="", label="own report"),
        Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor=ORIGINAL,
               linestyle="", label="copy of another article"),
    ] + [
        Line2D([], [], marker="o", color=colours[name], linestyle="", label=f"credits {name}")
        for name in credited
    ]  # fmt: skip
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)  # fmt: skip
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
