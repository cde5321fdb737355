from datetime import UTC, datetime, timedelta

from core.times import compact, parse_loose_date
from core.urls import host_allowed, normalize_url


def test_tracking_parameters_and_fragments_are_dropped() -> None:
    assert normalize_url("https://News.example/a.html?utm_source=x&utm_medium=y&id=3#top") == (
        "https://news.example/a.html?id=3"
    )
    assert normalize_url("http://127.0.0.1:8000/a.html?fbclid=1") == "http://127.0.0.1:8000/a.html"


def test_host_allowed_includes_subdomains_only() -> None:
    assert host_allowed("www.example.org", ["example.org"])
    assert host_allowed("amp.example.org", ["example.org"])
    assert not host_allowed("badexample.org", ["example.org"])


def test_parse_loose_date_keeps_offsets() -> None:
    rss = parse_loose_date("Mon, 09 Feb 2026 10:15:00 +0300")
    assert rss is not None and rss.utcoffset() == timedelta(hours=3)
    iso = parse_loose_date("2026-02-09T10:15:00Z")
    assert iso == datetime(2026, 2, 9, 10, 15, tzinfo=UTC)
    assert parse_loose_date("2026-02-09") == datetime(2026, 2, 9, tzinfo=UTC)
    assert parse_loose_date("yesterday-ish") is None
    assert compact(datetime(2026, 11, 23, 10, 51, tzinfo=UTC)) == "20261123T105100Z"
