"""Load and validate feeds.yaml.

The file is the user's; a mistake in it must cost them one clear line that names the place
(file, line, field) and must never half-apply. So the whole file is parsed and validated before
anything else runs, and every error is turned into a :class:`ConfigError` carrying the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from crawler.urls import url_key

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ConfigError(Exception):
    """A feeds.yaml problem, already phrased for the user (one line)."""


def parse_duration(value: Any) -> float:
    """Seconds from ``90``, ``"45s"``, ``"30m"``, ``"2h"``, ``"1d"`` or ``"1w"``."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30m, 2h or 1d")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration such as 30m, 2h or 1d")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


def _http_url(value: str) -> str:
    value = value.strip()
    if not re.match(r"^https?://[^/\s]+", value, re.IGNORECASE):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FeedConfig(_Strict):
    """One feed (or news sitemap) to poll."""

    name: str = Field(min_length=1)
    url: str
    outlet: str = Field(min_length=1)
    lang: str | None = None
    poll_every: float | None = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("poll_every", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float | None:
        return None if value is None else parse_duration(value)

    @field_validator("lang")
    @classmethod
    def _lang(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$", value):
            raise ValueError(f"{value!r} is not a language code such as en, uk or pt-BR")
        return value.lower().replace("_", "-")


class TopicConfig(_Strict):
    """A named topic query; scored by the relevance stage.

    ``groups`` name sub-expressions that the query (and other groups) use as ``@name``, so a
    long multilingual query stays readable: ``query: "@weapons AND @russia"``.
    """

    name: str = Field(min_length=1)
    description: str = ""
    query: str = Field(min_length=1)
    groups: dict[str, str] = Field(default_factory=dict)

    @field_validator("groups")
    @classmethod
    def _group_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                raise ValueError(f"group name {name!r} must be letters, digits and _")
        return value

    def expanded_query(self) -> str:
        """The query with every ``@group`` replaced by its parenthesised expression."""
        return _expand(self.query, self.groups, ())


_GROUP_REF = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)")


def _expand(text: str, groups: dict[str, str], stack: tuple[str, ...]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in groups:
            raise ValueError(f"@{name} is not a group of this topic")
        if name in stack:
            raise ValueError(f"group @{name} refers to itself")
        return "(" + _expand(groups[name], groups, (*stack, name)) + ")"

    return _GROUP_REF.sub(replace, text)


class Defaults(_Strict):
    """Settings that apply to every feed unless the feed says otherwise."""

    poll_every: float | None = None
    lang: str | None = None
    # Relevance reads the headline, summary and this many words of the text (0: all of it).
    relevance_lead_words: int = Field(default=150, ge=0)

    @field_validator("poll_every", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float | None:
        return None if value is None else parse_duration(value)


class ClusteringConfig(_Strict):
    """Thresholds of copy detection and story clustering (see crawler/analysis/copies.py,
    stories.py)."""

    # copies: estimated Jaccard similarity of word shingles at or above which two texts are copies
    copy_threshold: float = Field(default=0.5, gt=0, le=1)
    shingle_words: int = Field(default=4, ge=1, le=10)
    num_perm: int = Field(default=128, ge=16, le=1024)
    copy_window_days: float = Field(default=3, gt=0)  # wire copies run within hours or days
    # stories: an article joins the most similar story active within the window when the cosine
    # over all its features, or over its language-independent ones (names, acronyms, numbers),
    # reaches these thresholds
    story_window_hours: float = Field(default=72, gt=0)
    story_threshold: float = Field(default=0.2, gt=0, le=1)
    story_threshold_independent: float = Field(default=0.1, gt=0, le=1)
    story_min_shared_independent: int = Field(default=3, ge=0)
    # weight of the topic's concepts (its named groups) among an article's story features
    story_concept_weight: float = Field(default=1.0, ge=0)
    # similarity a story loses per day since its last article (see crawler/analysis/stories.py)
    story_time_penalty: float = Field(default=0.4, ge=0)
    # an event is identified by the headline and the lead, not the background further down
    story_lead_words: int = Field(default=120, ge=0)
    # batches at least this large compute features on every core, in workers forked while the
    # window is read where the process runs no other thread (import, recluster); 0: never
    fork_batch: int = Field(default=200, ge=0)
    # where forking is unsafe (a crawl's reactor runs threads), batches at least this large
    # compute features on every core in spawned workers; 0: never
    parallel_batch: int = Field(default=5000, ge=0)
    # a backlog larger than this (a large import) is clustered in batches of this many, oldest
    # first, so memory stays bounded by the batch, not by the backlog
    max_batch: int = Field(default=20000, ge=100)


class Config(_Strict):
    feeds: list[FeedConfig] = Field(default_factory=list)
    sitemaps: list[FeedConfig] = Field(default_factory=list)
    topics: list[TopicConfig] = Field(default_factory=list)
    defaults: Defaults = Field(default_factory=Defaults)
    clustering: ClusteringConfig = Field(default_factory=ClusteringConfig)

    @field_validator("feeds", "sitemaps", "topics", mode="before")
    @classmethod
    def _empty_list(cls, value: Any) -> Any:
        return [] if value is None else value  # "feeds:" with nothing under it lists nothing

    def sources(self) -> list[tuple[str, FeedConfig]]:
        """Every configured source as (kind, config), kind being ``feed`` or ``sitemap``."""
        return [("feed", f) for f in self.feeds] + [("sitemap", s) for s in self.sitemaps]


@dataclass(frozen=True)
class LoadedConfig:
    path: Path
    config: Config


def _fold_url(url: str) -> str:
    """A loose key for spotting the same source listed twice under another URL form: the crawl's
    own :func:`~crawler.urls.url_key` (scheme, ``www.``/``m.`` host, default port, trailing
    slash,
    query order, tracking parameters and fragment folded), so feeds.yaml and the crawl agree on
    what is one URL. A page or offset parameter (``?from=100``) makes another source."""
    return url_key(url.strip())


def _line_of(data: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the node a pydantic error location points at, when ruamel recorded it."""
    line = None
    node = data
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(part, int) and isinstance(node, list):
                if lc is not None:
                    line = lc.item(part)[0] + 1
                node = node[part]
            elif isinstance(node, dict) and part in node:
                if lc is not None:
                    line = lc.key(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def _describe(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def parse_config(text: str, path: str | Path = "feeds.yaml") -> Config:
    """Validate feeds.yaml text; raise ConfigError naming the first bad line and field."""
    path = str(path)
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else path
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'feeds:' list at the top level")
    try:
        config = Config.model_validate(_plain(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _line_of(data, loc)
        where = f"{path}:{line}" if line else path
        if err["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}"
        elif err["type"] == "missing":
            message = "is required"
        else:
            message = err["msg"].removeprefix("Value error, ")
        more = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{where}: {_describe(loc)}: {message}{more}") from None
    _check_unique(config, data, path)
    return config


def _check_unique(config: Config, data: Any, path: str) -> None:
    names: dict[str, str] = {}
    urls: dict[str, str] = {}
    for section in ("feeds", "sitemaps"):
        for index, feed in enumerate(getattr(config, section)):
            line = _line_of(data, (section, index))
            where = f"{path}:{line}" if line else path
            if feed.name in names:
                raise ConfigError(
                    f"{where}: {section}[{index}].name: {feed.name!r} is already used by "
                    f"{names[feed.name]}"
                )
            key = _fold_url(feed.url)
            if key in urls:
                raise ConfigError(
                    f"{where}: {section}[{index}].url: {feed.url} is already listed as {urls[key]}"
                )
            names[feed.name] = f"{section}[{index}]"
            urls[key] = f"{section}[{index}]"
    seen_topics: set[str] = set()
    for index, topic in enumerate(config.topics):
        if topic.name in seen_topics:
            line = _line_of(data, ("topics", index))
            where = f"{path}:{line}" if line else path
            raise ConfigError(f"{where}: topics[{index}].name: {topic.name!r} is used twice")
        seen_topics.add(topic.name)


def topic_location(path: str | Path, name: str) -> str:
    """``path:line`` of the topic called ``name`` in feeds.yaml, for a mistake found after the
    file validated (a query FTS5 rejects, found when the topics are compiled); ``path`` alone
    when the topic's line cannot be found."""
    try:
        data = YAML(typ="rt").load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return str(path)
    topics = data.get("topics") if isinstance(data, dict) else None
    for index, topic in enumerate(topics if isinstance(topics, list) else []):
        if isinstance(topic, dict) and topic.get("name") == name:
            line = _line_of(data, ("topics", index))
            return f"{path}:{line}" if line else str(path)
    return str(path)


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists for pydantic."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def load_config(path: str | Path) -> Config:
    """Read and validate feeds.yaml from disk."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (pass --feeds or set NEWSMON_FEEDS)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, path)


# -- editing feeds.yaml ------------------------------------------------------------------------


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the user's long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _load_for_edit(path: Path) -> tuple[YAML, Any, Config]:
    config = load_config(path)  # a file we cannot validate is not edited
    yaml = _round_trip()
    data = yaml.load(path.read_text(encoding="utf-8"))
    if data is None:
        data = yaml.load("feeds: []\n")
    return yaml, data, config


def _write_validated(path: Path, yaml: YAML, data: Any) -> Config:
    """Serialise, validate the result as a fresh load would, and only then replace the file
    (write to a temporary file and rename: a crash never leaves half a feeds.yaml)."""
    import io

    buffer = io.StringIO()
    yaml.dump(data, buffer)
    text = buffer.getvalue()
    config = parse_config(text, path)
    _replace_file(path, text)
    return config


def find_source(config: Config, name_or_url: str) -> tuple[str, int, FeedConfig] | None:
    """(section, index, feed) of the feed or sitemap with this name or URL (any URL form)."""
    key = _fold_url(name_or_url) if re.match(r"^https?://", name_or_url, re.I) else None
    for section in ("feeds", "sitemaps"):
        for index, feed in enumerate(getattr(config, section)):
            if feed.name == name_or_url or (key and _fold_url(feed.url) == key):
                return section, index, feed
    return None


def add_source(
    path: str | Path,
    entry: dict[str, Any],
    *,
    section: str = "feeds",
    comment: str | None = None,
) -> Config:
    """Append a feed (or sitemap) to feeds.yaml, keeping every comment, the order and the
    formatting of the rest; refuses a name or URL (in any URL form) already listed."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    path = Path(path)
    if path.exists():
        yaml, data, config = _load_for_edit(path)
    else:
        yaml, data, config = _round_trip(), None, Config()
        data = yaml.load("feeds: []\n")
    FeedConfig.model_validate(entry)  # a bad entry is refused before the file is touched
    existing = find_source(config, entry["url"])
    if existing:
        raise ConfigError(
            f"{path}: {entry['url']} is already listed as {existing[2].name!r} ({existing[2].url})"
        )
    if any(f.name == entry["name"] for _, f in config.sources()):
        raise ConfigError(f"{path}: the name {entry['name']!r} is already used; pass --name")
    items = data.get(section)
    if items is None:
        items = CommentedSeq()
        data[section] = items
    item = CommentedMap((k, v) for k, v in entry.items() if v is not None)
    items.append(item)
    if comment:
        items.yaml_set_comment_before_after_key(len(items) - 1, before=comment, indent=2)
    return _write_validated(path, yaml, data)


_RULE = re.compile(r"^\s*#\s*(-{2,}|={2,})")


def remove_source(path: str | Path, name_or_url: str) -> FeedConfig:
    """Delete one feed or sitemap from feeds.yaml by name or URL; returns what was removed.

    The entry's own lines go, with the comment block directly above it (its description); every
    other byte of the file stays as it was."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    yaml, data, config = _load_for_edit(path)
    found = find_source(config, name_or_url)
    if found is None:
        raise ConfigError(f"{path}: no feed or sitemap named or at {name_or_url!r}")
    section, index, feed = found
    lines = text.splitlines(keepends=True)
    first, col = data[section].lc.item(index)
    dash = lines[first].index("-") if "-" in lines[first][:col] else col

    def is_comment(line: str) -> bool:
        return line.strip().startswith("#")

    start = first
    while start > 0 and is_comment(lines[start - 1]) and not _RULE.match(lines[start - 1]):
        start -= 1  # the entry's description, not a "# --- Section ---" rule above it
    end = first + 1
    while end < len(lines):
        line = lines[end]
        indent = len(line) - len(line.lstrip())
        if line.strip() and not is_comment(line) and indent <= dash:
            break
        end += 1
    while end > first + 1 and (is_comment(lines[end - 1]) or not lines[end - 1].strip()):
        end -= 1  # comments and blank lines before the next entry belong to it
    remaining = "".join(lines[:start] + lines[end:])
    parse_config(remaining, path)  # what we write must load
    _replace_file(path, remaining)
    return feed


def _replace_file(path: Path, text: str) -> None:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".feeds-", suffix=".yaml", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
