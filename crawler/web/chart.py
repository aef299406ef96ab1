"""The topic's attention as an inline SVG: relevant articles per day, stacked by language.

Drawn on the server as plain SVG text, so the home page needs no script and nothing from outside
(a newsroom's screen may be offline or locked down), and the chart is in the HTML a test or a
screen reader reads: every bar segment carries a ``<title>`` with its day, language and count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 760, 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 120, 12, 30
# one colour per language series, in order of size; "other" is grey
PALETTE = ("#1f4e79", "#ff7f0e", "#2ca02c", "#9467bd", "#e377c2", "#17becf", "#bcbd22")
OTHER_COLOUR = "#9a9a9a"
OTHER = "other"
Y_TICKS = 4


@dataclass
class Attention:
    """Articles per day by language over a window of days (oldest first)."""

    days: list[str]
    languages: list[str]  # series, biggest first; the last may be OTHER
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (day, language) -> n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def day_total(self, day: str) -> int:
        return sum(self.counts.get((day, lang), 0) for lang in self.languages)

    def as_json(self) -> dict[str, object]:
        return {
            "days": self.days,
            "languages": self.languages,
            "articles": [
                {"day": d, **{lang: self.counts.get((d, lang), 0) for lang in self.languages}}
                for d in self.days
            ],
        }


def attention(
    days: list[str], rows: list[tuple[str, str, int]], max_series: int = len(PALETTE)
) -> Attention:
    """Group (day, language, n) rows into at most ``max_series`` languages, the rest folded
    into "other" so the legend stays readable when coverage spans thirty languages."""
    totals: dict[str, int] = {}
    for _, lang, n in rows:
        totals[lang] = totals.get(lang, 0) + n
    ranked = sorted(totals, key=lambda lang: (-totals[lang], lang))
    keep = ranked if len(ranked) <= max_series else ranked[: max_series - 1]
    counts: dict[tuple[str, str], int] = {}
    for day, lang, n in rows:
        series = lang if lang in keep else OTHER
        counts[(day, series)] = counts.get((day, series), 0) + n
    languages = keep + ([OTHER] if len(keep) < len(ranked) else [])
    return Attention(days=days, languages=languages, counts=counts)


def _nice_step(top: int) -> int:
    """A round tick step (1, 2, 5 x 10^k) giving about Y_TICKS gridlines up to ``top``."""
    raw = max(top / Y_TICKS, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)


def colour(att: Attention, lang: str) -> str:
    if lang == OTHER:
        return OTHER_COLOUR
    return PALETTE[att.languages.index(lang) % len(PALETTE)]


def svg(att: Attention) -> str:
    """The stacked bar chart as an ``<svg>`` element (safe to insert unescaped: every text in
    it is escaped here)."""
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = max([att.day_total(d) for d in att.days] + [1])
    step = _nice_step(top)
    y_max = step * math.ceil(top / step)
    slot = plot_w / max(len(att.days), 1)
    bar = max(slot * 0.75, 1.0)
    parts = [
        f'<svg class="attention" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="relevant articles per day,'
        ' by language">'
    ]
    for tick in range(0, y_max + 1, step):
        y = MARGIN_TOP + plot_h - plot_h * tick / y_max
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{MARGIN_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"'
            ' stroke="#ddd"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{tick}</text>"
        )
    label_every = max(1, math.ceil(len(att.days) / 8))
    for i, day in enumerate(att.days):
        x = MARGIN_LEFT + i * slot + (slot - bar) / 2
        base = MARGIN_TOP + plot_h
        for lang in att.languages:
            n = att.counts.get((day, lang), 0)
            if not n:
                continue
            h = plot_h * n / y_max
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}"'
                f' fill="{colour(att, lang)}"><title>{escape(day)} {escape(lang)}: {n}'
                f" article{'s' if n != 1 else ''}</title></rect>"
            )
        if i % label_every == 0 or i == len(att.days) - 1:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle"'
                f' font-size="11">{escape(day[5:])}</text>'
            )
    legend_x = WIDTH - MARGIN_RIGHT + 14
    for i, lang in enumerate(att.languages):
        y = MARGIN_TOP + 8 + i * 18
        total = sum(att.counts.get((d, lang), 0) for d in att.days)
        parts.append(
            f'<rect x="{legend_x}" y="{y - 9}" width="11" height="11" fill="{colour(att, lang)}"/>'
            f'<text x="{legend_x + 16}" y="{y}" font-size="12">{escape(lang)} ({total})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
