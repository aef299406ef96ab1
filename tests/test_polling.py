from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import newsmon

from crawler.commands.cron import cron_schedule
from crawler.fetch.polling import failure_interval, iso_after, retry_after_seconds, success_interval


def test_success_interval_honours_poll_every_and_ttl():
    assert success_interval(None, None) == 0
    assert success_interval(900, None) == 900
    assert success_interval(900, 3600) == 3600  # never poll faster than the feed's <ttl>


def test_failure_backoff_is_exponential_and_capped():
    waits = [failure_interval(n, None, 300, 86400) for n in range(1, 12)]
    assert waits[:4] == [300, 600, 1200, 2400]
    assert waits[-1] == 86400 and all(a <= b for a, b in zip(waits, waits[1:], strict=False))
    assert failure_interval(1, 7200, 300, 86400) == 7200  # never sooner than the feed's interval
    assert failure_interval(1, None, 300, 86400, retry_after=5000) == 5000


def test_retry_after_forms():
    now = datetime(2024, 5, 30, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(b"Thu, 30 May 2024 12:10:00 GMT", now) == 600
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    assert iso_after(60, now) == "2024-05-30T12:01:00+00:00"


def test_quiet_feeds_are_polled_less_often():
    day = 86400
    assert success_interval(None, None, idle=3 * day) == 0  # a few quiet days change nothing
    assert success_interval(None, None, idle=10 * day) == 6 * 3600  # capped
    assert success_interval(None, None, idle=8 * day, idle_max=86400) == 8 * day * 0.05
    assert success_interval(86400, None, idle=30 * day) == 86400  # never faster than poll_every


def test_cron_schedules():
    assert cron_schedule("30m") == "*/30 * * * *"
    assert cron_schedule("1m") == "* * * * *"
    assert cron_schedule("1h") == "7 * * * *"
    assert cron_schedule("6h") == "7 */6 * * *"
    assert cron_schedule("1d") == "7 3 * * *"
    for bad in ("7m", "5h", "90s", "2d", "soon", "30"):
        with pytest.raises(ValueError):
            cron_schedule(bad)


@pytest.mark.parametrize("every", ["90m", "2d"])
def test_the_span_error_names_the_spans_that_are_accepted(every: str):
    """It said minutes 5m-30m while 1m-4m (every minute up to every 4) are accepted."""
    assert [cron_schedule(f"{m}m") for m in (1, 2, 3, 4)] == [
        "* * * * *", "*/2 * * * *", "*/3 * * * *", "*/4 * * * *",
    ]  # fmt: skip
    with pytest.raises(ValueError, match=r"use minutes \(1m-30m\), hours \(1h-12h\) or 1d$"):
        cron_schedule(every)


def test_schedule_prints_an_absolute_quiet_crontab_line(tmp_path: Path):
    result = newsmon(
        "--db", "rel/news.db", "--feeds", "my.yaml", "schedule", "--every", "15m", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith("*/15 * * * * cd ")
    assert f"--db {tmp_path}/rel/news.db" in line and f"--feeds {tmp_path}/my.yaml" in line
    assert " --quiet crawl" in line and f">> {tmp_path}/newsmon.log 2>&1" in line
    python = line.split(" && ")[1].split()[0]
    assert Path(python).is_absolute() and Path(python).exists()
    bad = newsmon("schedule", "--every", "7m", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("newsmon: error: --every")


def test_schedule_install_is_idempotent(tmp_path: Path):
    tab = tmp_path / "crontab"
    tab.write_text("# my own jobs\n0 5 * * * /usr/bin/backup\n")
    env = {"NEWSMON_CRONTAB": str(tab)}
    db = str(tmp_path / "news.db")
    first = newsmon("--db", db, "schedule", "--every", "30m", "--install", cwd=tmp_path, env=env)
    assert first.returncode == 0 and "crontab added" in first.stdout, first.stderr
    again = newsmon("--db", db, "schedule", "--every", "1h", "--install", cwd=tmp_path, env=env)
    assert again.returncode == 0 and "crontab updated" in again.stdout
    lines = tab.read_text().splitlines()
    assert "0 5 * * * /usr/bin/backup" in lines and "# my own jobs" in lines
    jobs = [x for x in lines if "-m crawler" in x]
    assert len(jobs) == 1 and jobs[0].startswith("7 * * * * ")
