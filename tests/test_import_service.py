"""The `import-warc` deployment for real (service set: Prefect server, `dateline` pool, worker):
a run lists the files and creates one flow run of its own deployment per shard, the worker runs
those, and the parent waits for them; every record is stored once and every file marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.reader import ArchiveReader
from archive.store import open_store
from tests.fixtures.prefect_server import PrefectService
from tests.warcfiles import WarcFile, demo_page, mixed_warc, write_sites

pytestmark = pytest.mark.slow

IMPORT_DEPLOYMENT = "import-warc/import-warc"


@pytest.mark.timeout(1800)  # the session's service start (~1 min, far more on a loaded machine) counts here
def test_import_deployment_shares_its_shards_as_deployment_runs(
    prefect_service: PrefectService, tmp_path: Path
) -> None:
    api = prefect_service.api
    folder = tmp_path / "warcs"
    folder.mkdir()
    (folder / "a.warc.gz").write_bytes(mixed_warc()[0])
    second = WarcFile()
    jp_url, jp_html, _ = demo_page("MainichiShimbun")
    second.response("mainichi", jp_url + "?utm_source=x", jp_html)  # the first file's article again
    (folder / "b.warc.gz").write_bytes(second.data())
    archive = tmp_path / "archive"
    params = {"sources": [str(folder)], "sites_file": str(write_sites(tmp_path)), "archive": str(archive),
              "files_per_shard": 1, "workers": 1}  # fmt: skip

    parent = api.wait_final(api.run_deployment(IMPORT_DEPLOYMENT, params), timeout=420)
    assert parent["state"]["type"] == "COMPLETED", parent["state"]
    rows = api.table(parent["id"], "import-warc-summary")
    assert [row["state"] for row in rows] == ["Completed", "Completed"]

    deployment_id = api.deployment(IMPORT_DEPLOYMENT)["id"]
    body = {"flow_runs": {"deployment_id": {"any_": [deployment_id]}}, "limit": 50, "offset": 0,
            "sort": "EXPECTED_START_TIME_ASC"}  # fmt: skip
    shards = {r["name"]: r for r in api.post("/flow_runs/filter", body) if r["id"] != parent["id"]}
    assert sorted(shards) == sorted(row["shard_run"] for row in rows)
    files, new, again = [], 0, 0
    for shard in shards.values():  # deployment runs the pool's worker took, each with its files
        assert shard["deployment_id"] == deployment_id and shard["work_pool_name"] == "dateline"
        assert shard["parameters"]["archive"] == str(archive)
        files += shard["parameters"]["shard_files"]
        summary = {row["what"]: row["count"] for row in api.table(shard["id"], "import-warc-summary")}
        new += int(summary["stored new"])  # each shard leaves its own summary
        unchanged, alias = summary["unchanged / alias"].split(" / ")
        again += int(summary["already archived"]) + int(unchanged) + int(alias)
    assert sorted(files) == sorted(p.as_uri() for p in folder.iterdir())
    assert (new, again) == (3, 1)  # shards may run at once: the twin is skipped or a no-op store

    store = open_store(str(archive))
    records = list(ArchiveReader(store).iter_records(latest_only=False))
    assert sorted(r.site for r in records) == ["ilgiornale", "mainichi", "restofworld"]
    assert len(list(store.list("imports/"))) == 2  # both files finished, not read again
