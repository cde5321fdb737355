"""Run ids outside a Prefect flow run: named by kind, sortable by time, unique per call."""

from __future__ import annotations

import re
import subprocess
import sys

from core.runid import new_run_id


def test_run_ids_outside_a_flow_name_their_kind_and_differ() -> None:
    first, second = new_run_id("import"), new_run_id("import")
    assert re.fullmatch(r"import-\d{8}T\d{6}Z-[0-9a-f]{8}", first), first
    assert first != second and new_run_id("reextract").startswith("reextract-")


def test_a_run_id_outside_a_flow_does_not_import_prefect() -> None:
    """An import from the CLI needs no Prefect: loading it cost ~2 s of every import's wall time."""
    code = (
        "import sys; from core.runid import new_run_id; new_run_id('import'); print('prefect' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
