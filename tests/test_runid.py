"""Run ids outside a Prefect flow run: named by kind, sortable by time, unique per call."""

from __future__ import annotations

import re

from core.runid import new_run_id


def test_run_ids_outside_a_flow_name_their_kind_and_differ() -> None:
    first, second = new_run_id("import"), new_run_id("import")
    assert re.fullmatch(r"import-\d{8}T\d{6}Z-[0-9a-f]{8}", first), first
    assert first != second and new_run_id("reextract").startswith("reextract-")
