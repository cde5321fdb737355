"""A real crawl whose archive disk fills up: the run ends with one line naming the key, nothing
is half-written, and a rerun on a disk with room completes the archive (`verify` is clean)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archive.store import open_store
from archive.verify import verify
from core.config import parse_sites
from spiders.crawljob import ArchiveUnwritableError, run_site_crawl
from tests.e2e_helpers import FAST_SETTINGS

pytestmark = pytest.mark.slow

ENOSPC_HOOK = Path(__file__).parent / "fixtures" / "enospc"


def test_disk_full_mid_crawl_is_one_clear_line_and_a_rerun_completes(
    demo_site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = str(tmp_path / "archive")
    site = parse_sites({"sites": [demo_site.site_config()]}).sites[0]
    monkeypatch.setenv("PYTHONPATH", str(ENOSPC_HOOK))
    monkeypatch.setenv("DATELINE_TEST_ENOSPC_AFTER", "25")  # a few objects fit, then the disk is full
    with pytest.raises(ArchiveUnwritableError) as caught:
        run_site_crawl(site, user_agent="t", archive_uri=archive, run_id="r1", settings=FAST_SETTINGS)
    message = str(caught.value)
    print(message)
    assert len(message.splitlines()) == 1, message
    assert "archive not writable: no space left on device, at " in message, message
    key = message.rsplit(", at ", 1)[1]
    assert not open_store(archive).exists(key) and key.split("/")[0] in (
        "raw",
        "articles",
        "ids",
        "urls",
        "feed",
        "hashes",
        "sims",
        "lsh",
        "profiles",
    )
    assert not list(Path(archive).rglob(".tmp-*")), "temp files are cleaned up"

    monkeypatch.delenv("DATELINE_TEST_ENOSPC_AFTER")
    outcome = run_site_crawl(site, user_agent="t", archive_uri=archive, run_id="r2", settings=FAST_SETTINGS)
    assert outcome.manifest.complete and outcome.manifest.stats.failed == 0
    report = verify(open_store(archive))
    assert report.ok, report.summary()
    assert report.checked["records"] == len(demo_site.expected_articles())
