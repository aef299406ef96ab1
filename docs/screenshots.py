"""Take the screenshots README and docs/web.md show: the home page and a story page of the demo
database, as headless Chromium renders them from `newsmon serve` on 127.0.0.1.

    python docs/screenshots.py        # writes docs/images/home.png and docs/images/story.png
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
WIDTH = 1280
# (file, page, height): tall enough for the whole demo page, no scrolling needed
SHOTS = (("home.png", "/", 1160), ("story.png", "/story/{story}", 880))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs chromium")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "news.db"
        cli = [sys.executable, "-m", "crawler", "--db", str(db)]
        subprocess.run([*cli, "demo"], check=True, cwd=ROOT, env=env, capture_output=True)
        with sqlite3.connect(db) as conn:  # the story most outlets covered
            story = conn.execute(
                "SELECT id FROM stories ORDER BY outlet_count DESC, last_seen_at DESC LIMIT 1"
            ).fetchone()[0]
        port = _free_port()
        proc = subprocess.Popen(
            [*cli, "serve", "--port", str(port)], cwd=ROOT, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
            for name, page, height in SHOTS:
                out = IMAGES / name
                subprocess.run(
                    [
                        chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={Path(tmp) / 'profile'}",
                        f"--window-size={WIDTH},{height}", "--virtual-time-budget=5000",
                        f"--screenshot={out}", base + page.format(story=story),
                    ],
                    check=True, capture_output=True, timeout=120,
                )  # fmt: skip
                print(f"{out.relative_to(ROOT)}: {base}{page.format(story=story)}")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
