"""The shell examples of README.md and docs/*.md run as shown, on the demo's database.

The convention (also in docs/commands.md, "Examples that are tested"):

- a fenced block with the info string ``sh`` is runnable: each of its lines that starts with
  ``newsmon `` is run through a shell, each line in its own copy of a directory holding the
  demo's database (``news.db``), the shipped ``feeds.yaml`` and
  ``tests/data/docs/archive.jsonl``, with ``newsmon`` being ``python -m crawler`` of this
  checkout; other lines are not run;
- a trailing ``# exit N`` comment is the expected exit status (default 0);
- a block with the info string ``sh skip`` is not run (network, terminal, server, crontab), but
  its ``newsmon`` lines are parsed by newsmon's own argument parser, so a documented command or
  option that disappears fails here; README.md's examples that cannot run offline are listed in
  ``README_SKIP`` for the same treatment;
- a ``text`` block right after a runnable block is its output: each of its lines must appear in
  what the block printed, ignoring runs of spaces and what differs between runs (durations,
  article ids in brackets, the demo's port), a line ending in ``…``/``...`` matching by its
  beginning.

Everything runs on 127.0.0.1: the demo serves its own site, and a runnable line with a URL that
is neither loopback nor ``--no-check`` fails instead of fetching it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from crawler.commands.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

# README.md examples that need the network, a server, a story the demo does not have, or would
# edit the user's crontab: parsed, not run.
README_SKIP = {
    "newsmon crawl": "polls the shipped feeds on the internet",
    "newsmon --db /data/news.db": "polls the shipped feeds on the internet",
    "newsmon worker": "needs Redis",
    "newsmon serve": "a server that runs until stopped",
    "newsmon story 42": "the demo has 3 stories",
    "newsmon feeds add https://www.example-news.com/": "fetches a site on the internet",
    "newsmon feeds add https://rss.politico.com/": "fetches a feed on the internet",
    "newsmon schedule --every 30m --install": "edits the user's crontab",
}

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`]*)$")
EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")
# What differs between runs of the same example: durations, article ids (the order pages were
# stored in), the demo's port and the time of the run.
VARYING = [
    (re.compile(r"\b\d+(\.\d+)? s\b"), "<seconds> s"),
    (re.compile(r"\[\d+\]"), "[<id>]"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"\bpid \d+"), "pid <pid>"),
]


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    info: str
    body: list[str]
    output: list[str] | None = None  # the ``text`` block right after it
    skip_lines: dict[str, str] = field(default_factory=dict)  # command line -> why not run

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    @property
    def commands(self) -> list[str]:
        return [line.strip() for line in self.body if line.strip().startswith("newsmon ")]


def fenced_blocks(path: Path) -> list[Block]:
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info, start = match.group(2), match.group(3).strip(), i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        blocks.append(Block(path, start + 1, info, body))
        i += 1
    for before, after in zip(blocks, blocks[1:], strict=False):
        if before.info == "sh" and after.info == "text":
            between = lines[before.line + len(before.body) + 1 : after.line - 1]
            if not any(line.strip() for line in between):
                before.output = after.body
    return blocks


def collect() -> tuple[list[Block], list[Block]]:
    """(runnable blocks, every block with newsmon lines)."""
    runnable, documented = [], []
    for path in DOCS:
        for block in fenced_blocks(path):
            if block.info not in ("sh", "sh skip") or not block.commands:
                continue
            if path.name == "README.md":
                for command in block.commands:
                    for prefix, why in README_SKIP.items():
                        if command.startswith(prefix):
                            block.skip_lines[command] = why
            documented.append(block)
            if block.info == "sh" and len(block.skip_lines) < len(block.commands):
                runnable.append(block)
    return runnable, documented


RUNNABLE, DOCUMENTED = collect()


def arguments(command: str) -> list[str]:
    """The argv of a documented command line, up to a redirection or pipe."""
    words = shlex.split(command, comments=True)
    for i, word in enumerate(words):
        if word in (">", ">>", "|", "2>", "2>&1", "&&", ";") or word.startswith((">", "|")):
            words = words[:i]
            break
    assert words[0] == "newsmon"
    return words[1:]


def normalise(text: str) -> str:
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


@dataclass
class Ran:
    command: str
    expected: int
    returncode: int
    output: str


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database, the shipped feeds.yaml and the import example, built once."""
    base = tmp_path_factory.mktemp("docs-demo")
    shutil.copy(REPO / "feeds.yaml", base / "feeds.yaml")
    shutil.copy(REPO / "tests" / "data" / "docs" / "archive.jsonl", base / "archive.jsonl")
    with socket.socket() as probe:  # not the demo's usual 8642: tests/test_demo.py wants it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "--db", "news.db", "demo", "--port", str(port)],
        cwd=base,
        env=_env(base),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return base


def _env(base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env["PYTHONPATH"] = str(REPO)
    env["NEWSMON_CRONTAB"] = str(base / "crontab")  # never the user's crontab
    return env


def _shim(directory: Path) -> Path:
    """A ``newsmon`` on PATH that is this checkout's ``python -m crawler``."""
    directory.mkdir(exist_ok=True)
    shim = directory / "newsmon"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m crawler "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return directory


def key(command: str) -> str:
    """A command line without its comment: the same command shown twice runs once."""
    return shlex.join(shlex.split(command, comments=True))


def _run(command: str, demo: Path, work: Path, bin_dir: Path) -> Ran:
    shutil.copytree(demo, work)
    env = _env(work)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    expected = EXIT.search(command)
    result = subprocess.run(
        command, shell=True, cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    return Ran(
        command, int(expected.group(1)) if expected else 0, result.returncode,
        result.stdout + result.stderr,
    )  # fmt: skip


def to_run(block: Block) -> list[str]:
    return [c for c in block.commands if c not in block.skip_lines]


@pytest.fixture(scope="session")
def results(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    """Every runnable line, each in its own copy of the demo directory, four at a time."""
    base = tmp_path_factory.mktemp("docs-runs")
    bin_dir = _shim(base / "bin")
    commands = {key(c): c for block in RUNNABLE for c in to_run(block)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            k: pool.submit(_run, command, demo_dir, base / f"run{i}", bin_dir)
            for i, (k, command) in enumerate(commands.items())
        }
        return {k: future.result() for k, future in futures.items()}


@pytest.mark.parametrize("block", DOCUMENTED, ids=lambda b: b.name)
def test_documented_commands_parse(block: Block) -> None:
    """Every newsmon line shown (run or not) is accepted by newsmon's argument parser."""
    for command in block.commands:
        try:
            build_parser().parse_args(arguments(command))
        except SystemExit as exc:
            pytest.fail(f"{block.name}: `{command}` is not a valid newsmon command ({exc})")


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.name)
def test_documented_examples_run(block: Block, results: dict[str, Ran]) -> None:
    for command in block.commands:
        if command in block.skip_lines:
            continue
        urls = re.findall(r"https?://([^/\s'\"]+)", command)
        if any(not host.startswith("127.0.0.1") for host in urls):
            assert "--no-check" in command, (
                f"{block.name}: `{command}` would leave the machine; mark the block `sh skip`"
            )
    ran = [results[key(command)] for command in to_run(block)]
    for item in ran:
        assert item.returncode == item.expected, (
            f"{block.name}: `{item.command}` exited {item.returncode}, documented "
            f"{item.expected}:\n{item.output}"
        )
    if block.output is None:
        return
    printed = [normalise(line) for line in "\n".join(r.output for r in ran).splitlines()]
    for line in block.output:
        want = line.strip()
        if not want:
            continue
        for ellipsis in ("…", "..."):
            want = want.removesuffix(ellipsis)
        want = normalise(want)
        assert any(want in got for got in printed), (
            f"{block.name}: the documented output line\n  {line}\nis not in what it printed:\n"
            + "\n".join(r.output for r in ran)
        )


def test_the_convention_finds_examples() -> None:
    """The collector sees the pages: a change to the convention cannot silently test nothing."""
    pages = {block.path.name for block in RUNNABLE}
    assert {"README.md", "commands.md"} <= pages
    assert sum(len(block.commands) for block in DOCUMENTED) >= 30
