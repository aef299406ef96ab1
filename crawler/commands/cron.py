"""The crontab line for scheduled crawls, and installing it idempotently (python-crontab).

The line uses absolute paths to the interpreter, the database and feeds.yaml, runs quietly and
appends to a log file, so what cron mails (nothing) and what the log keeps (one summary line per
run, errors) are what a user expects of an unattended job.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from crontab import CronTab

from crawler.config import parse_duration

MARKER = "newsmon crawl"


@dataclass
class CronJob:
    schedule: str
    command: str
    comment: str

    @property
    def line(self) -> str:
        return f"{self.schedule} {self.command} # {self.comment}"


def cron_schedule(every: str) -> str:
    """``30m`` -> ``*/30 * * * *``; ``2h`` -> ``7 */2 * * *``; ``1d`` -> ``7 3 * * *``.

    The hour and day forms run off the hour, away from the minute everyone else's cron uses."""
    try:
        seconds = int(parse_duration(every))
    except ValueError as exc:
        raise ValueError(f"--every: {exc}") from None
    minutes = seconds // 60
    if seconds % 60 or minutes < 1:
        raise ValueError("--every: cron runs at most once a minute; use whole minutes")
    if minutes < 60:
        if 60 % minutes:
            raise ValueError(f"--every {every}: pick a number of minutes that divides an hour")
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    if minutes % 60 == 0 and minutes // 60 < 24:
        hours = minutes // 60
        if 24 % hours:
            raise ValueError(f"--every {every}: pick a number of hours that divides a day")
        return "7 * * * *" if hours == 1 else f"7 */{hours} * * *"
    if minutes == 24 * 60:
        return "7 3 * * *"
    raise ValueError(f"--every {every}: use minutes (1m-30m), hours (1h-12h) or 1d")


def crawl_job(every: str, db: Path, feeds: Path, log: Path, workdir: Path | None = None) -> CronJob:
    python = Path(sys.executable).absolute()
    db, feeds, log = db.absolute(), feeds.absolute(), log.absolute()
    workdir = (workdir or Path.cwd()).absolute()
    command = (
        f"cd {shlex.quote(str(workdir))} && {shlex.quote(str(python))} -m crawler"
        f" --db {shlex.quote(str(db))} --feeds {shlex.quote(str(feeds))} --quiet crawl"
        f" >> {shlex.quote(str(log))} 2>&1"
    )
    return CronJob(cron_schedule(every), command, f"{MARKER} {db}")


def install(job: CronJob, tabfile: str | None = None) -> str:
    """Add the job to the user's crontab (or ``tabfile``), replacing a newsmon job for the same
    database: running it twice leaves one line. Returns "added" or "updated"."""
    tabfile = tabfile or os.environ.get("NEWSMON_CRONTAB")
    cron = CronTab(tabfile=tabfile) if tabfile else CronTab(user=True)
    existing = list(cron.find_comment(job.comment))
    for old in existing:
        cron.remove(old)
    entry = cron.new(command=job.command, comment=job.comment)
    entry.setall(job.schedule)
    cron.write(tabfile) if tabfile else cron.write()
    return "updated" if existing else "added"
