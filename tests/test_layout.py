"""The layout by role: imports run one way, from what users type down to the storage layer.

A module may import its own layer and the layers below it, never one above: the commands use the
crawl, the crawl uses extraction, extraction uses fetching and analysis, and everything uses the
configuration, URL forms and storage. An import that reaches up fails here with its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# top to bottom; a role is a package under crawler/ (or a top-level module of it), or storage
LAYERS = [
    {"commands", "web"},
    {"spiders", "pipelines", "middlewares", "extensions", "settings"},  # the Scrapy parts
    {"distributed"},
    {"extraction"},
    {"fetch"},
    {"analysis"},
    {"config", "urls", "storage"},
]
LEVEL = {role: len(LAYERS) - i for i, roles in enumerate(LAYERS) for role in roles}


def role(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "storage":
        return "storage"
    return parts[1] if parts[0] == "crawler" and len(parts) > 1 else None


def imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module == "crawler":  # from crawler import settings
                out += [(node.lineno, f"crawler.{alias.name}") for alias in node.names]
            else:
                out.append((node.lineno, node.module))
    return out


def test_every_role_has_a_layer():
    roles = {p.stem if p.is_file() else p.name for p in (ROOT / "crawler").iterdir()}
    roles -= {"__init__", "__main__", "__pycache__"}
    assert roles <= set(LEVEL), roles - set(LEVEL)


def test_imports_run_one_way():
    upward = []
    for path in sorted([*(ROOT / "crawler").rglob("*.py"), *(ROOT / "storage").rglob("*.py")]):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        here = role(module)
        if here not in LEVEL:
            continue
        for line, target in imports(path):
            there = role(target)
            if there in LEVEL and LEVEL[there] > LEVEL[here]:
                upward.append(f"{path.relative_to(ROOT)}:{line} {here} -> {target} ({there})")
    assert not upward, "\n".join(upward)
