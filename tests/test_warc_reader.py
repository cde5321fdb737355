"""The WARC reader's gzip member handling, record by record (no archive, no pool): skipping a
record of another domain inflates only its WARC header block, and every case that cannot be
decided so still reads as before (several records in one member, a member cut short)."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from backfill import warcrecords
from backfill.selection import build_selection
from backfill.warcrecords import Candidate, Skipped, iter_records
from tests.warcfiles import WarcFile, demo_page, mixed_warc, write_sites


def _read(path: Path, tmp_path: Path) -> Counter[str]:
    selection = build_selection(write_sites(tmp_path))
    out: Counter[str] = Counter()
    for item in iter_records(path.as_uri(), selection.wanted):
        out[item.reason if isinstance(item, Skipped) else f"kept:{item.url}"] += 1
    return out


def _two_pages() -> tuple[WarcFile, str, str]:
    w = WarcFile()
    ch_url, ch_html, _ = demo_page("SRF")  # not configured
    jp_url, jp_html, _ = demo_page("MainichiShimbun")
    w.response("other", ch_url, ch_html, request=False)
    w.response("mainichi", jp_url, jp_html, request=False)
    return w, ch_url, jp_url


def test_other_domain_payload_is_not_inflated(tmp_path: Path) -> None:
    """Damage in the payload of a skipped record goes unnoticed (it is never inflated), the kept
    record after it is read; the same damage in a kept record fails that member."""
    w, _, jp_url = _two_pages()
    data = bytearray(w.data())
    middle = (w.offsets["other"] + w.offsets["mainichi"]) // 2
    data[middle : middle + 64] = bytes(64)
    path = tmp_path / "a.warc.gz"
    path.write_bytes(bytes(data))
    assert _read(path, tmp_path) == Counter({"unconfigured-domain": 1, f"kept:{jp_url}": 1})

    end = len(w.data())
    data = bytearray(w.data())
    data[(w.offsets["mainichi"] + end) // 2 : (w.offsets["mainichi"] + end) // 2 + 64] = bytes(64)
    path.write_bytes(bytes(data))
    assert _read(path, tmp_path) == Counter({"unconfigured-domain": 1, "corrupt-gzip": 1})


def test_one_member_holding_several_records_is_read_whole(tmp_path: Path) -> None:
    """Whole-file gzip: the first record's header says "other domain", but the member goes on with
    another record (its size is not that one record's), so it is inflated and both are read."""
    w, _, jp_url = _two_pages()
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(gzip.decompress(w.data())))
    assert _read(path, tmp_path) == Counter({"unconfigured-domain": 1, f"kept:{jp_url}": 1})


def test_a_file_cut_in_a_skipped_member_is_damaged(tmp_path: Path) -> None:
    w, _, _ = _two_pages()
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(w.data()[: (w.offsets["other"] + w.offsets["mainichi"]) // 2])
    assert _read(path, tmp_path) == Counter({"corrupt-gzip": 1})


def test_offsets_and_lengths_stay_exact_after_skips(tmp_path: Path) -> None:
    w, _, jp_url = _two_pages()
    path = tmp_path / "a.warc.gz"
    path.write_bytes(w.data())
    selection = build_selection(write_sites(tmp_path))
    kept = [c for c in iter_records(path.as_uri(), selection.wanted) if isinstance(c, Candidate)]
    assert [(c.url, c.offset, c.length) for c in kept] == [
        (jp_url, w.offsets["mainichi"], len(w.data()) - w.offsets["mainichi"])
    ]


def test_site_for_takes_the_first_site_holding_the_host_or_a_parent(tmp_path: Path) -> None:
    sites = tmp_path / "s.yaml"
    sites.write_text(
        "sites:\n"
        "  - {name: a, start_urls: ['https://news.example.com/']}\n"
        "  - {name: b, start_urls: ['https://example.com/']}\n"
        "  - {name: c, start_urls: ['https://www.other.org/']}\n",
        encoding="utf-8",
    )
    selection = build_selection(sites)

    def name(host: str) -> str | None:
        site = selection.site_for(host)
        return site.name if site else None

    assert name("news.example.com") == "a" and name("live.news.example.com") == "a"
    assert name("example.com") == "b" and name("www.example.com") == "b" and name("x.example.com") == "b"
    assert name("other.org") == "c" and name("m.other.org") == "c"
    assert name("notexample.com") is None and name("org") is None
    narrowed = build_selection(sites, domains=["x.example.com"])
    assert narrowed.site_for("x.example.com") is not None and narrowed.site_for("example.com") is None


def _all_records(path: Path, tmp_path: Path) -> list[Candidate | Skipped]:
    selection = build_selection(write_sites(tmp_path))
    return list(iter_records(path.as_uri(), selection.wanted))


def test_plain_responses_read_without_warcio_equal_warcios_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every record of a file with every kind of record (and payloads that need decoding: chunked,
    gzip content encoding, folded and Latin-1 headers) reads the same with the direct reading of
    plain responses as with warcio alone; the direct reading is taken for the plain pages."""
    w = WarcFile()
    jp_url, jp_html, _ = demo_page("MainichiShimbun")
    it_url, it_html, _ = demo_page("IlGiornale")
    w.response("plain", jp_url, jp_html, request=False)
    w.response("chunked", it_url + "?chunked", b"%x\r\n%s\r\n0\r\n\r\n" % (len(it_html), it_html),
               headers=[("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])  # fmt: skip
    w.response("gzipped", it_url + "?gz", gzip.compress(it_html),
               headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")])  # fmt: skip
    w.response("latin1", it_url + "?l1", it_html,
               headers=[("Content-Type", "text/html; charset=utf-8"), ("X-Name", "Caf\xe9")])  # fmt: skip
    w.response("folded", it_url + "?folded", it_html,
               headers=[("Content-Type", "text/html;"), ("X-Long", "a\r\n  b")])  # fmt: skip
    data, _, _ = mixed_warc()
    path = tmp_path / "all.warc.gz"
    path.write_bytes(w.data() + data)

    direct = []
    real = warcrecords._plain_response

    def counting(*args: Any) -> Candidate | Skipped | None:
        found = real(*args)
        direct.append(found.url if found is not None else None)
        return found

    monkeypatch.setattr(warcrecords, "_plain_response", counting)
    fast = _all_records(path, tmp_path)
    monkeypatch.setattr(warcrecords, "_plain_response", lambda *args: None)
    assert fast == _all_records(path, tmp_path)
    kept = [c for c in fast if isinstance(c, Candidate)]
    assert [c.body == it_html for c in kept[1:5]] == [True] * 4  # decoded where warcio decodes
    assert {jp_url, it_url + "?l1"} <= set(direct)
    assert {it_url + "?chunked", it_url + "?gz", it_url + "?folded"}.isdisjoint(direct)
    assert any(isinstance(r, Skipped) and r.reason == "corrupt-gzip" for r in fast)
