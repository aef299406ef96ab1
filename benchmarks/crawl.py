"""End-to-end crawl throughput against loopback news webs, with two references.

    python benchmarks/crawl.py [--outlets 10] [--articles 1200] [--page-kb 80] [--repeat 1]
                               [--real-pages ../shared/benchmarks/extraction] [--only-real]
                               [--recrawl-feeds 1000] [--no-peer] [--start-delay S]

Every figure that involves a crawl is printed with the settings it ran with: ``[shipped
settings]`` by default, or, with ``--start-delay S``, ``[AUTOTHROTTLE_START_DELAY=S, shipped
1.0]`` (a loopback web answers in microseconds, and AutoThrottle needs a few responses per host
to come down from its start delay, so a short crawl of few hosts is slower with the shipped one).

1. Two webs, one after the other, each served from another process:
   - generated (benchmarks/newsweb.py): outlets on 127.0.0.2, .3, ..., overlapping section feeds,
     article pages of about --page-kb KB with realistic furniture;
   - real pages (when --real-pages exists): the shared extraction benchmark's 181 pages, each
     served by several outlets (as syndicated copy is) until there are about --articles, with
     their ground-truth bodies as the truth.
2. ``newsmon crawl`` (a subprocess, shipped settings unless --start-delay):
   articles/s end to end, CPU seconds per article (the crawl and its extraction workers), peak
   memory (the process tree's proportional set size, sampled), extraction F1 against the truth.
3. An immediate second crawl: requests, bytes received, seconds (it should fetch only feeds, 304).
4. The ceiling: the same extraction function over the saved pages in a process pool on all cores,
   no network; and the ceiling of all the pool's work per page (extraction, language detection,
   clustering inputs), which the crawl does and the peer does not. The peer: ``trafilatura
   --feed`` over the same feeds (its politeness sleep set to 0, whatever our start delay;
   ``--parallel`` = cores), with its F1 on the same truth.
   With --repeat N, crawl and references are timed N times in turn and the medians of the
   per-round ratios printed.
5. With --recrawl-feeds N: a web of N feeds, crawled once, then the timed no-change recrawl.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import newsweb  # noqa: E402
from extraction import match, prf  # noqa: E402

from crawler import settings as shipped_settings  # noqa: E402
from crawler.analysis.features import precompute_args  # noqa: E402
from crawler.config import load_config  # noqa: E402
from crawler.extraction.extract import extract  # noqa: E402
from crawler.extraction.pages import PageItem, process_page  # noqa: E402
from crawler.fetch.feeds import FeedEntry  # noqa: E402

CORES = os.cpu_count() or 1
SHIPPED_START_DELAY = float(shipped_settings.AUTOTHROTTLE_START_DELAY)
START_DELAY = SHIPPED_START_DELAY  # set from --start-delay by main()


def settings_note() -> str:
    """What to print next to every figure a crawl produced: the settings it ran with."""
    if START_DELAY == SHIPPED_START_DELAY:
        return "[shipped settings]"
    return f"[AUTOTHROTTLE_START_DELAY={START_DELAY:g}, shipped {SHIPPED_START_DELAY:g}]"


def f1(pairs: list[tuple[str, str]]) -> tuple[float, float, float]:
    """Precision, recall and F1 of (extracted, true) texts by benchmarks/extraction.py's metric."""
    return prf(match(truth, got) for got, truth in pairs)


def tree(pid: int, memory: bool = True) -> list[tuple[int, int, int, float]]:
    """(pid, parent pid, memory (PSS) bytes, CPU seconds) of a process and its descendants;
    memory 0 unless ``memory`` (reading it costs the kernel about 12 ms of CPU for a crawl's
    five processes, taken from the cores being measured)."""
    tick = os.sysconf("SC_CLK_TCK")
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            pss = 0
            if memory:  # proportional set size: pages shared with the forkserver count once
                with open(f"/proc/{p}/smaps_rollup") as fh:
                    pss = next((int(line.split()[1]) * 1024 for line in fh
                                if line.startswith("Pss:")), 0)  # fmt: skip
            out.append((p, int(fields[1]), pss, (int(fields[11]) + int(fields[12])) / tick))
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    stack += [int(c) for c in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError, StopIteration):
            continue
    return out


# CPU is sampled every CPU_EVERY seconds (a worker's last figure before it exits is what counts),
# memory every MEMORY_EVERY: sampling the memory of a crawl's processes ten times a second took
# about 6% of the two cores from the crawl it measured, and five times more from newsmon (five
# processes) than from the peer (one)
CPU_EVERY, MEMORY_EVERY = 0.1, 0.5


def timed(cmd: list[str], cwd: Path) -> dict:
    """Run a command; wall seconds, CPU seconds of it and all its descendants, peak tree PSS, and
    the CPU by process as sampled (``roles``: the command itself, its children, their children;
    for a crawl: the crawl process, the forkserver, the extraction workers).

    The command's own CPU, and that of the children it waits for, comes from getrusage. The
    rest is sampled from /proc: the extraction workers are forked by a forkserver that nobody
    waits for, so their CPU never reaches getrusage."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    peak = [0]
    own = [0.0]  # the command's own CPU, as last sampled
    cpu: dict[int, float] = {}  # sampled CPU of the descendants getrusage will not see
    parents: dict[int, int] = {}
    children: set[int] = set()  # the command's own children, ever
    alive_children: set[int] = set()  # those alive at the last sample

    def sample() -> None:
        samples = 0
        while proc.poll() is None:
            memory = samples % round(MEMORY_EVERY / CPU_EVERY) == 0
            samples += 1
            rows = tree(proc.pid, memory)
            if memory:
                peak[0] = max(peak[0], sum(r[2] for r in rows))
            alive_children.clear()
            for pid, parent, _, seconds in rows:
                parents[pid] = parent
                if pid == proc.pid:
                    own[0] = max(own[0], seconds)
                else:
                    cpu[pid] = max(cpu.get(pid, 0.0), seconds)
                    if parent == proc.pid:
                        children.add(pid)
                        alive_children.add(pid)
            time.sleep(CPU_EVERY)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # a child the command outlived was waited for (getrusage has it); its grandchildren, and
    # children left running when it exited, never are
    orphaned = sum(seconds for pid, seconds in cpu.items()
                   if pid not in children or pid in alive_children)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[2:5]} failed ({proc.returncode}): {err[-2000:]}")
    roles = {"command": own[0], "children": 0.0, "grandchildren": 0.0, "workers": 0}
    for pid, seconds in cpu.items():
        if parents.get(pid) == proc.pid:
            roles["children"] += seconds
        else:
            roles["grandchildren"] += seconds
            roles["workers"] += 1
    return {"wall": wall, "cpu": waited + orphaned, "peak": peak[0], "stdout": out, "stderr": err,
            "roles": roles}  # fmt: skip


def server_stats(port: int, reset: bool = False) -> dict:
    url = f"http://{newsweb.outlet_host(0)}:{port}/" + ("__reset" if reset else "__stats")
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
    return {} if reset else json.loads(body)


def start_server(web: Path, port: int, outlets: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "newsweb.py"), "serve", str(web), "--port",
         str(port), "--outlets", str(outlets)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "serving"
    return proc


def feeds_yaml(path: Path, feeds: list[dict], topics: bool = True) -> None:
    """The benchmark's feeds with the shipped topics, so scoring costs what it costs in use
    (``topics=False``: feeds only, as a user who has not written a topic yet has them)."""
    lines = ["feeds:"]
    for f in feeds:
        lines.append(
            f"  - {{name: {f['name']}, url: '{f['url']}', outlet: '{f['outlet']}', lang: en}}"
        )
    text = "\n".join(lines) + "\n"
    if topics:
        shipped = load_config(ROOT / "feeds.yaml").model_dump(include={"topics"})["topics"]
        text += "topics: " + json.dumps(shipped) + "\n"
    path.write_text(text)


def newsmon(db: Path, feeds: Path, *extra: str) -> list[str]:
    delay = (
        []
        if START_DELAY == SHIPPED_START_DELAY
        else ["-s", f"AUTOTHROTTLE_START_DELAY={START_DELAY:g}"]
    )
    return [sys.executable, "-m", "crawler", "--db", str(db), "--feeds", str(feeds), "crawl",
            *delay, *extra]  # fmt: skip


def pool_rate(func: Callable[..., object], *columns: Sequence[object]) -> float:
    """Items/s of ``func`` over ``columns`` (its arguments, one list each) in a process pool on
    every core, timed after each worker has done one item (imports and models loaded)."""
    with ProcessPoolExecutor(CORES) as pool:
        list(pool.map(func, *(c[:CORES] for c in columns)))  # warm the workers up
        started = time.perf_counter()
        list(pool.map(func, *columns, chunksize=8))
        return len(columns[0]) / (time.perf_counter() - started)


def ceiling(pages: list[tuple[str, bytes]]) -> float:
    """Pages/s of our extraction over saved pages on every core, no network."""
    urls, htmls = zip(*pages, strict=True)
    return pool_rate(extract, htmls, urls)


def ceiling_per_page(pages: list[tuple[str, bytes]], feeds: Path, page_type: str) -> float:
    """Pages/s of everything the crawl's pool does with a page
    (crawler.extraction.pages.process_page:
    decoding, extraction, language, the clustering inputs) over saved pages on every core."""
    cluster_args = precompute_args(load_config(feeds))
    items = [PageItem(url, html, page_type, 200,
                      FeedEntry(link=url, guid=None), "bench", "bench", "en", [])
             for url, html in pages]  # fmt: skip
    return pool_rate(process_page, items, [cluster_args] * len(items))


def peer(tmp: Path, feeds: list[dict], truth: dict[str, str]) -> tuple[float, int, int, float]:
    """trafilatura --feed over the same feeds: articles/s, articles, articles matched to their
    truth, F1 over those."""
    listing = tmp / "peer-feeds.txt"
    listing.write_text("\n".join(newsweb.to_names(f["url"].encode()).decode() for f in feeds))
    # The peer refuses IP addresses (courlan wants a domain name), so it reads the same web under
    # outlet<N>.test names; this stands in for /etc/hosts entries, nothing else of it is changed.
    wrapper = tmp / "peer.py"
    wrapper.write_text(
        "import re, socket, sys\n"
        "_resolve = socket.getaddrinfo\n"
        "def getaddrinfo(host, *args, **kwargs):\n"
        "    m = re.fullmatch(r'outlet(\\d+)\\.test', str(host))\n"
        "    return _resolve(f'127.0.0.{int(m.group(1)) + 2}' if m else host, *args, **kwargs)\n"
        "socket.getaddrinfo = getaddrinfo\n"
        "from trafilatura.cli import main\n"
        "sys.argv[0] = 'trafilatura'\n"
        "main()\n"
    )
    config = tmp / "peer.cfg"
    # loopback is what this benchmark serves: the peer's SSRF guard would refuse it
    config.write_text("[DEFAULT]\nSLEEP_TIME = 0\nDOWNLOAD_TIMEOUT = 30\nSSRF_PROTECTION = false\n"
                      "MAX_FILE_SIZE = 20000000\nMIN_FILE_SIZE = 10\n")  # fmt: skip
    # results on stdout, one JSON document a line: in an output folder it names each file by a
    # hash of the text, so the copies of a syndicated page would overwrite one another
    command = [sys.executable, str(wrapper), "-i", str(listing), "--feed", "--parallel",
               str(CORES), "--json", "--with-metadata", "--config-file", str(config)]  # fmt: skip
    run = timed(command, tmp)

    def host(m: re.Match[str]) -> str:
        return newsweb.outlet_host(int(m.group(1)))

    pairs, docs = [], 0
    for line in run["stdout"].splitlines():
        if not line.startswith("{"):
            continue
        doc = json.loads(line)
        docs += 1
        url = (doc.get("source") or doc.get("url") or "").split("?")[0]
        url = re.sub(r"http://outlet(\d+)\.test", lambda m: f"http://{host(m)}", url)
        if url in truth:
            pairs.append((doc.get("text") or "", truth[url]))
    if not docs:
        print(f"peer stored nothing; its last words: {run['stderr'][-600:]}")
    # its rate counts every document it wrote; F1 only those whose source URL is the page's
    # (on some real pages it reports the URL the page's own metadata gives instead)
    return docs / run["wall"], docs, len(pairs), (f1(pairs)[2] if pairs else 0.0)


# the third web: the real pages as a user's crawl of many outlets would meet them (issue #17)
SYNDICATED = {"outlets": 12, "copies": 3, "feeds_per_outlet": 1}


def throughput(
    args: argparse.Namespace, tmp: Path, real: Path | None, syndicated: bool = False
) -> None:
    """The timed crawl, its second crawl and the references, on the generated web or (``real``)
    on the shared benchmark's real pages: each served by ``--outlets`` outlets, or
    (``syndicated``) as 3 slightly different copies on 12 outlets of one feed each, crawled
    without topics."""
    tmp = tmp / ("syndicated" if syndicated else "real" if real else "generated")
    tmp.mkdir()
    web = tmp / "web"
    if real and syndicated:
        keys = len(json.loads((real / "ground-truth.json").read_text()))
        shape = {"outlets": SYNDICATED["outlets"], "articles": keys * SYNDICATED["copies"],
                 "feeds_per_outlet": SYNDICATED["feeds_per_outlet"]}  # fmt: skip
        args = argparse.Namespace(**{**vars(args), **shape})
        manifest = newsweb.generate_real(web, real, args.outlets, args.articles,
                                         args.feeds_per_outlet, args.port,
                                         mark_copies=True)  # fmt: skip
        label = (f"{manifest['pages']} real pages, {manifest['copies']} marked copies each on "
                 f"different outlets, no topics")  # fmt: skip
    elif real:
        manifest = newsweb.generate_real(web, real, args.outlets, args.articles,
                                         args.feeds_per_outlet, args.port)  # fmt: skip
        label = (f"{manifest['pages']} real pages, {manifest['copies']} copies each "
                 f"(as syndicated)")  # fmt: skip
    else:
        manifest = newsweb.generate(web, args.outlets, args.articles, args.page_kb,
                                    args.feeds_per_outlet, args.port)  # fmt: skip
        label = f"generated, {args.page_kb} KB pages"
    truth = manifest["truth"]
    page_type = manifest.get("page_type", "text/html; charset=utf-8")
    pages = []
    for url in truth:
        path = web / url.split("//", 1)[1].split(":", 1)[0] / url.split(f":{args.port}/", 1)[1]
        pages.append((url, path.read_bytes()))
    print(f"web: {len(truth)} articles ({label}) in {len(manifest['feeds'])} "
          f"feeds of {args.outlets} outlets on {CORES} cores")  # fmt: skip
    shares: dict[str, list[float]] = {"rate": [], "ceiling": [], "whole": [], "peer": []}
    server = start_server(web, args.port, args.outlets)
    try:
        feeds = tmp / "feeds.yaml"
        feeds_yaml(feeds, manifest["feeds"], topics=not syndicated)
        # each round times the crawl and its references back to back, and the ratios are taken
        # within a round: this machine's speed drifts by tens of percent over minutes
        for round_ in range(1, args.repeat + 1):
            if args.repeat > 1:
                print(f"round {round_} of {args.repeat}")
            shares["rate"].append(rate := crawl_round(args, tmp, round_, feeds, truth))
            top = ceiling(pages)
            shares["ceiling"].append(rate / top)
            print(f"ceiling (extraction, {CORES} processes, no network): {top:.1f} articles/s; "
                  f"newsmon reaches {rate / top:.0%} of it {settings_note()}")  # fmt: skip
            whole = ceiling_per_page(pages, feeds, page_type)
            shares["whole"].append(rate / whole)
            print(f"ceiling of the pool's whole work per page (extraction, language, clustering "
                  f"inputs; {CORES} processes, no network): {whole:.1f} articles/s "
                  f"({CORES * 1000 / whole:.1f} ms of CPU a page); newsmon "
                  f"reaches {rate / whole:.0%} of it {settings_note()}")  # fmt: skip
            if not args.no_peer:
                peer_rate, peer_n, peer_matched, peer_f1 = peer(tmp, manifest["feeds"], truth)
                peer_rate = peer_rate or float("nan")
                shares["peer"].append(rate / peer_rate)
                print(f"peer (trafilatura --feed): {peer_n} articles, {peer_rate:.1f} "
                      f"articles/s, F1 {peer_f1:.3f} (over the {peer_matched} it gave the page's "
                      f"URL); newsmon is {rate / peer_rate:.2f}x its speed "
                      f"{settings_note()}")  # fmt: skip
        if args.repeat > 1:
            med = {k: statistics.median(v) for k, v in shares.items() if v}
            print(f"median of {args.repeat} rounds: newsmon {med['rate']:.1f} articles/s, "
                  f"{med['ceiling']:.0%} of the extraction ceiling, {med['whole']:.0%} of the "
                  f"whole per-page ceiling"
                  + (f", {med['peer']:.2f}x the peer" if "peer" in med else "")
                  + f" {settings_note()}")  # fmt: skip
    finally:
        server.terminate()
        server.wait()


def crawl_round(
    args: argparse.Namespace, tmp: Path, round_: int, feeds: Path, truth: dict[str, str]
) -> float:
    """One timed ``newsmon crawl`` into a new database (and, the first time, the immediate
    second crawl); prints its figures, returns its articles/s."""
    db = tmp / f"news-{round_}.db"
    first = timed(newsmon(db, feeds), tmp)
    conn = sqlite3.connect(db)
    stored = dict(conn.execute("SELECT url, text FROM articles").fetchall())
    conn.close()
    n = len(stored)
    ours_f1 = f1([(stored.get(u, ""), t) for u, t in truth.items()])
    rate = n / first["wall"]
    print(f"newsmon crawl: {n} articles in {first['wall']:.1f} s = {rate:.1f} articles/s; "
          f"{first['cpu'] / max(n, 1) * 1000:.0f} ms CPU/article; "
          f"peak memory (PSS of the tree) {first['peak'] / 2**20:.0f} MB; "
          f"extraction P {ours_f1[0]:.3f} R {ours_f1[1]:.3f} F1 {ours_f1[2]:.3f} "
          f"{settings_note()}")  # fmt: skip
    roles = first["roles"]
    print(f"  CPU by process, sampled: crawl process {roles['command']:.1f} s, forkserver and "
          f"resource tracker {roles['children']:.1f} s, {roles['workers']} extraction workers "
          f"{roles['grandchildren']:.1f} s ({roles['grandchildren'] / max(n, 1) * 1000:.1f} ms "
          f"a page)")  # fmt: skip
    print(f"  {first['stdout'].strip()}")
    if round_ == 1:
        server_stats(args.port, reset=True)
        second = timed(newsmon(db, feeds), tmp)
        stats = server_stats(args.port)
        print(f"second crawl: {stats['requests']} requests ({stats['paths'].get('page', 0)} "
              f"pages), {stats['bytes']:,} bytes received, {second['wall']:.1f} s "
              f"{settings_note()}")  # fmt: skip
    return rate


def recrawl(args: argparse.Namespace, tmp: Path) -> None:
    outlets = max(1, args.recrawl_feeds // 10)  # ten section feeds an outlet, as news sites have
    per_outlet = max(1, args.recrawl_feeds // outlets)
    web = tmp / "web-feeds"
    manifest = newsweb.generate(web, outlets, outlets * 2, 20, per_outlet, args.port + 1)
    server = start_server(web, args.port + 1, outlets)
    try:
        feeds = tmp / "many-feeds.yaml"
        feeds_yaml(feeds, manifest["feeds"])
        db = tmp / "many.db"
        first = timed(newsmon(db, feeds), tmp)
        server_stats(args.port + 1, reset=True)
        second = timed(newsmon(db, feeds), tmp)
        stats = server_stats(args.port + 1)
        print(f"no-change recrawl of {len(manifest['feeds'])} feeds of {outlets} outlets: "
              f"{second['wall']:.1f} s "
              f"(first crawl {first['wall']:.1f} s), {stats['requests']} requests, "
              f"{stats['paths'].get('page', 0)} article fetches, {stats['bytes']:,} bytes; "
              f"{second['stdout'].strip()} {settings_note()}")  # fmt: skip
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=10)
    parser.add_argument("--articles", type=int, default=1200)
    parser.add_argument("--feeds-per-outlet", type=int, default=2)
    parser.add_argument("--page-kb", type=int, default=80)
    parser.add_argument("--port", type=int, default=8530)
    parser.add_argument("--recrawl-feeds", type=int, default=1000, help="0 to skip")
    parser.add_argument("--no-peer", action="store_true", help="skip trafilatura --feed")
    parser.add_argument(
        "--real-pages", type=Path, default=ROOT.parent / "shared/benchmarks/extraction",
        help="also crawl a web of these real pages (html/*.html.gz, ground-truth.json); "
        "skipped when absent",
    )  # fmt: skip
    parser.add_argument("--only-real", action="store_true", help="skip the generated web")
    parser.add_argument(
        "--no-syndicated", action="store_true",
        help="skip the third web (the real pages as 3 marked copies on 12 one-feed outlets)",
    )  # fmt: skip
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of crawl and references; medians printed"
    )
    parser.add_argument(
        "--start-delay", type=float, default=SHIPPED_START_DELAY,
        help=f"AUTOTHROTTLE_START_DELAY for the crawls (shipped: {SHIPPED_START_DELAY:g}); "
        "every figure says which",
    )  # fmt: skip
    args = parser.parse_args()
    global START_DELAY
    START_DELAY = args.start_delay
    real = args.real_pages if (args.real_pages / "ground-truth.json").exists() else None
    with tempfile.TemporaryDirectory(prefix="newsmon-crawl-bench-") as tmp:
        if not args.only_real:
            throughput(args, Path(tmp), None)
        if real:
            throughput(args, Path(tmp), real)
            if not args.no_syndicated:
                throughput(args, Path(tmp), real, syndicated=True)
        if args.recrawl_feeds:
            recrawl(args, Path(tmp))


if __name__ == "__main__":
    main()
