from __future__ import annotations

import pytest

from crawler.config import ConfigError, load_config, parse_config, parse_duration

GOOD = """\
# a comment
defaults:
  poll_every: 1h
feeds:
  - name: politico-eu
    url: https://www.politico.eu/feed/
    outlet: Politico Europe
    lang: en
    poll_every: 15m
  - name: pravda
    url: https://www.pravda.com.ua/rss/
    outlet: Ukrainska Pravda
    lang: uk
sitemaps:
  - name: wire
    url: https://wire.example/news-sitemap.xml
    outlet: Wire
topics:
  - name: weapons-use-debate
    description: Ukraine's use of Western weapons against Russia
    query: '(ATACMS OR "Storm Shadow") AND Russia'
"""


def test_valid_file_loads_with_types():
    config = parse_config(GOOD)
    assert [f.name for f in config.feeds] == ["politico-eu", "pravda"]
    assert config.feeds[0].poll_every == 900
    assert config.feeds[1].poll_every is None and config.defaults.poll_every == 3600
    assert config.sitemaps[0].outlet == "Wire"
    assert config.topics[0].name == "weapons-use-debate"
    assert [k for k, _ in config.sources()] == ["feed", "feed", "sitemap"]


def test_only_feeds_is_valid_and_empty_file_is_empty():
    assert (
        len(parse_config("feeds:\n  - {name: a, url: 'http://x.test/f', outlet: A}\n").feeds) == 1
    )
    assert parse_config("").feeds == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("sitemaps:", "sitemapz:"), "feeds.yaml:14: sitemapz: unknown key 'sitemapz'"),
        (
            GOOD.replace("    lang: uk\n", "    lang: uk\n    colour: red\n"),
            "feeds.yaml:14: feeds[1].colour: unknown key",
        ),
        (
            GOOD.replace("    outlet: Ukrainska Pravda\n", ""),
            "feeds.yaml:10: feeds[1].outlet: is required",
        ),
        (
            GOOD.replace("https://www.pravda.com.ua/rss/", "file:///etc/passwd"),
            "feeds.yaml:11: feeds[1].url: 'file:///etc/passwd' is not an http(s) URL",
        ),
        (
            GOOD.replace("15m", "soon"),
            "feeds.yaml:9: feeds[0].poll_every: 'soon' is not a duration",
        ),
        (GOOD.replace("lang: uk", "lang: ukrainian"), "feeds.yaml:13: feeds[1].lang:"),
        (
            GOOD.replace("name: pravda", "name: politico-eu"),
            "feeds.yaml:10: feeds[1].name: 'politico-eu' is already used by feeds[0]",
        ),
        (
            GOOD.replace("https://www.pravda.com.ua/rss/", "http://politico.eu/feed"),
            "feeds.yaml:10: feeds[1].url: http://politico.eu/feed is already listed as feeds[0]",
        ),
        ("feeds:\n  - name: [unclosed\n", "feeds.yaml:3: invalid YAML"),
        ("- just\n- a list\n", "feeds.yaml: expected a mapping"),
        ("feeds: {name: x}\n", "feeds.yaml:1: feeds: Input should be a valid list"),
    ],
)
def test_errors_name_line_and_field(text: str, expected: str):
    with pytest.raises(ConfigError) as info:
        parse_config(text, "feeds.yaml")
    message = str(info.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, 90),
        ("45s", 45),
        ("30m", 1800),
        ("2h", 7200),
        ("1d", 86400),
        ("1w", 604800),
        ("1.5h", 5400),
    ],
)
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["0", "-5m", "5y", True, "m"])
def test_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)


def test_shipped_feeds_yaml():
    """The default sources: at least 40, every language of the shipped topic, each commented."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "feeds.yaml"
    config = load_config(path)
    sources = [f for _, f in config.sources()]
    assert len(sources) >= 40
    assert {f.lang for f in sources} >= {"en", "uk", "ru", "de", "fr", "es", "pl"}
    assert len(config.sitemaps) >= 1 and config.topics
    lines = path.read_text(encoding="utf-8").splitlines()
    section, entries = None, 0
    for i, line in enumerate(lines):
        if line and not line[0].isspace() and not line.startswith("#"):
            section = line.split(":")[0]
        if section in ("feeds", "sitemaps") and line.strip().startswith("- name:"):
            entries += 1
            assert lines[i - 1].strip().startswith("#"), f"feeds.yaml:{i + 1} has no comment"
    assert entries == len(sources)
