from datetime import datetime, timezone

from crawler.schedule import failure_interval, iso_after, retry_after_seconds, success_interval


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
